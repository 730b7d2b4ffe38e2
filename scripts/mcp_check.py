"""A real MCP client (PyPI `mcp`) against `cnexport mcp` over stdio and
against `cnexport serve --mcp` over Streamable HTTP (on 127.0.0.1).

usage: python mcp_check.py CNEXPORT_BINARY DATABASE

1. initialize, list the tools: one per endpoint, each with an object input
   schema;
2. call every tool with valid arguments: the structured content is the
   `data` of `cnexport query` for the same request (a list as
   {"items", "totalCount"});
3. call every tool with an unknown argument, a wrong value and (where one
   is required) without it: each is a tool error whose text carries the
   API's message for the same request;
4. read the meta resource;
5. a malformed JSON-RPC line and a request for an unknown method get
   errors, and the server keeps answering (stdio);
6. over HTTP, the access log holds a row per tool call (the tool's endpoint
   as path, `_client=mcp` in par, its status).
Exits 1 on any failure.
"""

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

BIN, DB = sys.argv[1], sys.argv[2]

# A valid call of each tool on the sample database.
VALID = {
    "dashboard": {"hsCode": "85171300"},
    "markets": {"hsCode": "8517", "sortBy": "growth", "limit": 5},
    "trend": {"hsCode": "85171300", "countryCode": "502"},
    "topProducts": {"level": 4, "minAmount": 0, "sortBy": "chance"},
    "history": {"hsCode": "85171300", "countryCode": "USA", "vintages": True},
    "search": {"q": "手机"},
    "meta": {},
    "contributions": {"hsCode": "85"},
    "countries": {},
    "series": {"hsCode": "85", "from": "202101", "to": "202506", "countryCode": "502"},
    "growth": {"hsCode": "85", "minBase": 0},
    "priceband": {"hsCode": "85171300", "limit": 3},
    "chapter": {"hsCode": "85171300"},
    "seasonality": {"hsCode": "8517", "countryCode": "502"},
}
# A wrong value of a parameter each tool takes.
WRONG = {
    "dashboard": {"hsCode": "12x"},
    "markets": {"hsCode": "8517", "limit": 0},
    "trend": {"hsCode": "85171300", "countryCode": "ZZZ"},
    "topProducts": {"level": 3},
    "history": {"hsCode": "85171300", "countryCode": "502", "vintages": "maybe"},
    "search": {"q": "8" * 65},
    "meta": {"month": "2024"},
    "contributions": {"hsCode": "85", "limit": "many"},
    "countries": {"x": 1},
    "series": {"hsCode": "85", "from": "202406", "to": "202405"},
    "growth": {"hsCode": "85", "minBase": -1},
    "priceband": {"hsCode": "85171300", "offset": -1},
    "chapter": {"hsCode": "99"},
    "seasonality": {"hsCode": "8517", "currentMonth": "190001"},
}

failures = []


def fail(what):
    failures.append(what)
    print("FAIL", what)


def target(tool, args):
    q = urllib.parse.urlencode({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in args.items()})
    return f"/skill/{tool}" + (f"?{q}" if q else "")


def query(t):
    out = subprocess.run([BIN, "query", "--json", "--db", DB, t], capture_output=True, text=True)
    return json.loads(out.stdout)


def dump(result):
    return result.model_dump(mode="json", by_alias=True)


async def main():
    params = StdioServerParameters(command=BIN, args=["mcp", "--db", DB])
    async with stdio_client(params) as (read, write):
        await check_session(read, write, "stdio")


async def check_session(read, write, transport):
    if True:
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            print("initialized:", dump(init).get("serverInfo"))
            tools = (await session.list_tools()).tools
            names = [t.name for t in tools]
            if sorted(names) != sorted(VALID):
                fail(f"tools {names}")
            for t in tools:
                schema = dump(t)["inputSchema"]
                if schema.get("type") != "object" or not t.description:
                    fail(f"{t.name}: schema or description missing")
            calls = 0
            for tool, args in VALID.items():
                want = query(target(tool, args))
                r = dump(await session.call_tool(tool, args))
                calls += 1
                data = want["data"]
                expected = data if isinstance(data, dict) else {"items": data}
                got = r.get("structuredContent") or {}
                if r.get("isError") or want["code"] != 200:
                    fail(f"{tool} {args}: error {r.get('content')}")
                    continue
                if isinstance(data, dict):
                    same = got == expected
                else:
                    same = got.get("items") == data and isinstance(got.get("totalCount"), int)
                if not same:
                    fail(f"{tool}: structured content differs from cnexport query")
                if not r["content"] or r["content"][0]["type"] != "text":
                    fail(f"{tool}: no summary line")
            bad = dict(WRONG)
            bad.update({f"{k}#unknown": dict(v, bogus="1") for k, v in VALID.items()})
            for key, args in bad.items():
                tool = key.split("#")[0]
                want = query(target(tool, args))
                r = dump(await session.call_tool(tool, args))
                calls += 1
                text = " ".join(c.get("text", "") for c in r.get("content", []))
                if not r.get("isError"):
                    fail(f"{tool} {args}: not an error")
                elif want["code"] == 200 or want["message"] not in text:
                    fail(f"{tool} {args}: the error {text!r} does not carry the API's {want['message']!r}")
            # Required parameters left out.
            for tool in ("dashboard", "trend", "growth", "priceband", "chapter", "seasonality"):
                r = dump(await session.call_tool(tool, {}))
                calls += 1
                if not r.get("isError") or "hsCode" not in json.dumps(r["content"], ensure_ascii=False):
                    fail(f"{tool} without hsCode: {r}")
            res = await session.read_resource("cnexport://meta")
            text = dump(res)["contents"][0]["text"]
            if json.loads(text) != query("/skill/meta")["data"]:
                fail("the meta resource is not /skill/meta")
            print(f"{transport}: {len(tools)} tools, {calls} calls")
            return calls


def raw_protocol():
    """A malformed line, an unknown method: errors, and the server lives on."""
    p = subprocess.Popen([BIN, "mcp", "--db", DB], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    def send(obj):
        p.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        p.stdin.flush()
    send("{not json")
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
    lines = []
    while True:
        line = p.stdout.readline()
        if not line:
            break
        msg = json.loads(line)  # stdout holds protocol messages only
        lines.append(msg)
        if msg.get("id") == 1:
            break
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "no/such/method"})
    send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "meta", "arguments": {}}})
    got = {}
    while len(got) < 2:
        line = p.stdout.readline()
        if not line:
            break
        msg = json.loads(line)
        if "id" in msg:
            got[msg["id"]] = msg
    p.stdin.close()
    code = p.wait(timeout=10)
    if not any(m.get("id") == 1 and "result" in m for m in lines):
        fail(f"initialize after a malformed line: {lines}")
    if "error" not in got.get(2, {}):
        fail(f"unknown method: {got.get(2)}")
    if got.get(3, {}).get("result", {}).get("isError"):
        fail(f"meta after an unknown method: {got.get(3)}")
    if code != 0:
        fail(f"exit {code} when the client closed stdin: {p.stderr.read()[-500:]}")
    print("raw protocol: malformed line and unknown method answered, clean exit")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def over_http(url):
    async with streamable_http_client(url) as streams:
        return await check_session(streams[0], streams[1], "http")


def http():
    port = free_port()
    work = tempfile.mkdtemp()
    log = os.path.join(work, "access.db")
    p = subprocess.Popen([BIN, "serve", "--db", DB, "--addr", f"127.0.0.1:{port}", "--mcp",
                          "--access-log", log], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        calls = asyncio.run(over_http(f"http://127.0.0.1:{port}/mcp"))
        # A foreign Host header is refused (DNS rebinding protection).
        req = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=b"{}", method="POST",
                                     headers={"Host": "evil.example", "Content-Type": "application/json",
                                              "Accept": "application/json, text/event-stream"})
        try:
            urllib.request.urlopen(req, timeout=5)
            fail("a foreign Host header was accepted")
        except urllib.error.HTTPError as e:
            if e.code < 400:
                fail(f"foreign Host: {e.code}")
    finally:
        p.terminate()
        code = p.wait(timeout=20)
    if code != 0:
        fail(f"serve exited {code}: {p.stderr.read()[-500:]}")
    rows = sqlite3.connect(log).execute(
        "SELECT path, par, status FROM hs_skill_access_log WHERE par LIKE '%_client=mcp%'").fetchall()
    # Every tool call with a known tool is a row (the resource read is one more).
    if len(rows) < calls:
        fail(f"access log: {len(rows)} MCP rows for {calls} tool calls")
    if not any(r[0] == "/skill/dashboard" and r[2] == 200 for r in rows):
        fail("access log: no /skill/dashboard row of a tool call")
    if not any(r[2] == 400 for r in rows):
        fail("access log: no 400 of a bad tool call")
    print(f"http: access log holds {len(rows)} tool-call rows")


asyncio.run(main())
raw_protocol()
http()
if failures:
    print(f"{len(failures)} failures")
    sys.exit(1)
print("mcp check: all clean")
