#!/usr/bin/env python3
"""Hostile requests against a running `cnexport serve` (standard library only).

    hostile_probes.py HOST:PORT REQUEST_TIMEOUT_SECONDS

Sends SQL-injection probes in every parameter of every endpoint, oversize
and repeated parameters, malformed request lines, and slow clients (one that
dribbles its request head a byte at a time, silent connections, and a crowd
of both while ordinary requests go on). Passes when no answer is a 5xx,
every connection gets an answer or is closed by the server (no hang), the
slow clients are cut off, and the server keeps answering others meanwhile.
Prints one line per group and a total; exit 1 on any failure.
"""
import json
import socket
import sys
import threading
import time
import urllib.parse

HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)
TIMEOUT = float(sys.argv[2])
# How long a client may wait for the server to answer or hang up before it
# counts as a hang: the request timeout plus generous slack for a busy box.
HANG = TIMEOUT * 3 + 20

ENDPOINTS = {
    "/skill/dashboard": {"hsCode": "85171300", "currentMonth": "202503"},
    "/skill/markets": {"hsCode": "85171300", "sortBy": "amount", "order": "desc", "limit": "5", "offset": "0"},
    "/skill/trend": {"hsCode": "85171300", "countryCode": "502"},
    "/skill/history": {"hsCode": "85171300", "countryCode": "502"},
    "/skill/topProducts": {"sortBy": "growth", "level": "4", "regionFilter": "asia", "minAmount": "0",
                           "minBase": "0", "maxConcentration": "50", "limit": "5", "offset": "0"},
    "/skill/search": {"q": "8517", "limit": "5"},
}

SQLI = [
    "' OR '1'='1", "1' OR 1=1--", "85171300' UNION SELECT name, sql FROM sqlite_master--",
    "502); DROP TABLE facts;--", "\" OR \"\"=\"", "1; ATTACH DATABASE '/tmp/x' AS x;--",
    "%' AND 1=0 UNION SELECT 1,2,3--", "' || (SELECT hex(randomblob(100000000))) || '",
    "8517*", "8517%", "_______", "\\", "'", "\x00", "1e309", "-1", "99999999999999999999999",
    "NaN", "inf", "0x10", "２０２４０３", "😀", "a" * 200,
]

failures = []
counts = {"requests": 0, "5xx": 0}


def raw_request(data: bytes, timeout: float = HANG) -> bytes:
    """Sends raw bytes on a new connection; reads until the server closes."""
    with socket.create_connection((HOST, PORT), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks)


def status_of(resp: bytes) -> int:
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def get(target: str, what: str, expect_json: bool = True) -> int:
    req = f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    try:
        resp = raw_request(req)
    except socket.timeout:
        failures.append(f"{what}: hang (no answer in {HANG:.0f}s): {target[:120]}")
        return 0
    except OSError as e:
        failures.append(f"{what}: {e}: {target[:120]}")
        return 0
    counts["requests"] += 1
    st = status_of(resp)
    if st == 0 or st >= 500:
        counts["5xx"] += 1
        failures.append(f"{what}: status {st}: {target[:120]} -> {resp[:200]!r}")
    elif expect_json and st not in (414, 431):
        body = resp.split(b"\r\n\r\n", 1)[-1]
        try:
            doc = json.loads(body)
            if doc.get("code") != st:
                failures.append(f"{what}: envelope code {doc.get('code')} != status {st}")
        except ValueError:
            failures.append(f"{what}: body is not JSON ({st}): {body[:120]!r}")
    return st


def q(params) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def group(name, fn):
    before = (counts["requests"], len(failures))
    t = time.time()
    fn()
    print(f"  {name}: {counts['requests'] - before[0]} requests, "
          f"{len(failures) - before[1]} failures ({time.time() - t:.1f}s)", flush=True)


def sqli():
    for path, base in ENDPOINTS.items():
        for name in base:
            for probe in SQLI:
                params = dict(base)
                params[name] = probe
                get(f"{path}?{q(params)}", "sqli")
        # Unknown parameters carrying SQL are ignored, never executed.
        get(f"{path}?{q(base)}&{q({'x); DROP TABLE meta;--': SQLI[0]})}", "sqli-name")


def oversize():
    for path, base in ENDPOINTS.items():
        for n in (5_000, 64_000, 1_000_000):
            params = dict(base)
            first = next(iter(base))
            params[first] = "8" * n
            get(f"{path}?{q(params)}", f"oversize-{n}")
        get(f"{path}?{'&'.join(f'p{i}=1' for i in range(2000))}", "many-params")
    # A huge header.
    big = b"GET /skill/search?q=8517 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n"
    try:
        st = status_of(raw_request(big))
        counts["requests"] += 1
        if st >= 500:
            failures.append(f"oversize header: {st}")
    except OSError:
        pass  # the server may hang up mid-send: fine


def repeated():
    for path, base in ENDPOINTS.items():
        for name, value in base.items():
            st = get(f"{path}?{q(base)}&{q({name: value})}", "repeated")
            if st != 400:
                failures.append(f"repeated {name} on {path}: {st}, expected 400")
        get(f"{path}?{q(base)}&" + "&".join(f"{next(iter(base))}=1" for _ in range(500)), "repeated-500")


def malformed():
    targets = [
        "/skill/trend?hsCode=%zz&countryCode=502", "/skill/trend?hsCode=%ff%fe&countryCode=502",
        "/skill/trend?%00=1", "/skill/trend?&&&&=&=&", "/skill/trend?hsCode", "/skill/../../etc/passwd",
        "/skill/%2e%2e/%2e%2e/etc/passwd", "/skill//trend", "/skill/trend/", "/skill/TREND", "/skill/",
        "/skill/" + "a" * 5000, "/openapi.json?x=1", "/healthz?x=%", "/" + "%41" * 3000,
    ]
    for t in targets:
        get(t, "malformed", expect_json=False)
    for raw in [b"GET\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                b"GET / HTTP/9.9\r\n\r\n", b"POST /skill/trend HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                b"GET /skill/trend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"DELETE /skill/trend HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"GET /skill/search?q=8517 HTTP/1.1\r\n" + b"X: y\r\n" * 500 + b"\r\n"]:
        try:
            resp = raw_request(raw)
        except socket.timeout:
            failures.append(f"raw: hang on {raw[:40]!r}")
            continue
        except OSError:
            continue
        counts["requests"] += 1
        st = status_of(resp)
        if st >= 500:
            counts["5xx"] += 1
            failures.append(f"raw: {st} on {raw[:40]!r}")


def dribble(head: bytes, delay: float, out: dict):
    """Sends `head` a byte every `delay` s, then padding, until cut off."""
    s = socket.create_connection((HOST, PORT), timeout=HANG)
    t0 = time.time()
    sent = 0
    try:
        while time.time() - t0 < HANG:
            b = head[sent:sent + 1] or b"a"
            s.sendall(b)
            sent += 1
            time.sleep(delay)
            # The server answering (408/400) or closing ends the dribble.
            s.setblocking(False)
            try:
                out["answer"] = s.recv(4096)
                break  # an answer (408/400) or a close: cut off
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    except OSError:
        pass
    out["sent"] = sent
    out["seconds"] = time.time() - t0
    out["cut_off"] = time.time() - t0 < HANG
    s.close()


def silent(out: dict):
    s = socket.create_connection((HOST, PORT), timeout=HANG)
    t0 = time.time()
    try:
        got = s.recv(4096)
        out["answer"] = got
        out["cut_off"] = True
    except socket.timeout:
        out["cut_off"] = False
    except OSError:
        out["cut_off"] = True
    out["seconds"] = time.time() - t0
    s.close()


def slow_clients():
    head = b"GET /skill/topProducts HTTP/1.1\r\nHost: x\r\nX-Slow: "
    crowd = []
    for i in range(100):
        out = {}
        fn = (lambda o=out: dribble(head, 0.2, o)) if i % 2 == 0 else (lambda o=out: silent(o))
        th = threading.Thread(target=fn, daemon=True)
        th.start()
        crowd.append((th, out, "dribble" if i % 2 == 0 else "silent"))
    # While the crowd holds its connections, ordinary clients are answered.
    time.sleep(0.5)
    served = 0
    t_end = time.time() + TIMEOUT + 1
    while time.time() < t_end:
        if get("/skill/trend?hsCode=85171300&countryCode=502", "during-slowloris") == 200:
            served += 1
        time.sleep(0.05)
    if served == 0:
        failures.append("slow clients: no ordinary request was answered meanwhile")
    longest = 0.0
    for th, out, kind in crowd:
        th.join(HANG + 5)
        if th.is_alive() or not out.get("cut_off"):
            failures.append(f"slow clients: a {kind} connection was never cut off")
        else:
            longest = max(longest, out["seconds"])
        ans = out.get("answer") or b""
        if status_of(ans) >= 500 or status_of(ans) == 200:
            failures.append(f"slow clients: a {kind} client got {ans[:60]!r}")
    print(f"    100 slow/silent connections cut off after at most {longest:.1f}s; "
          f"{served} ordinary requests answered meanwhile", flush=True)


group("SQL-injection probes", sqli)
group("oversize parameters and headers", oversize)
group("repeated parameters", repeated)
group("malformed requests", malformed)
group("slow and silent clients", slow_clients)
# Still alive and whole?
if get("/healthz", "final", expect_json=False) != 200:
    failures.append("the server does not answer /healthz at the end")
print(f"probes: {counts['requests']} requests, {counts['5xx']} 5xx, {len(failures)} failures")
for f in failures[:40]:
    print("  FAIL", f)
sys.exit(1 if failures else 0)
