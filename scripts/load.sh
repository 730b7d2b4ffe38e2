#!/usr/bin/env bash
# Load: wrk at full rate against dashboard, markets and trend, with a
# database swap in the middle, then SIGTERM and an exact reconciliation.
#
#   scripts/load.sh [SECONDS] [CONNECTIONS]   (default 60 s, 32 connections)
#
# Checks:
# - wrk: zero socket errors (connect, read, write, timeout) and zero non-2xx;
# - the swap happened (the server says "switched to generation") while the
#   load ran, and a rebuild to the same path finished meanwhile;
# - memory: the server's RSS, sampled every second, stays flat: after a
#   10 s warm-up it never exceeds 1.5 x its value at 10 s (min/max printed);
# - the access log (SQLite, table hs_skill_access_log), after SIGTERM and
#   the server's drain, holds exactly one row per request wrk issued: every
#   request carries _rid=<thread>.<n> and the logged ids of each thread are
#   exactly 1..issued, no gaps, no duplicates; and, by count, the logged 200s
#   are wrk's completed requests plus those answered after wrk hung up, which
#   with the ones logged 499 (read, then dropped) and those never read make
#   up exactly the requests in flight at wrk's end.
# Exit 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${1:-60}
conns=${2:-32}
threads=2
export CARGO_TERM_COLOR=never

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian)"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

# The dev profile by default: dependencies (SQLite, axum, hyper) are built
# with optimisation there too (see Cargo.toml), and CI's build cache has it.
# CNEXPORT_LOAD_PROFILE=release measures a release build.
profile=${CNEXPORT_LOAD_PROFILE:-debug}
echo "== building cnexport ($profile)"
if [ "$profile" = release ]; then
  cargo build --locked -q --release --bin cnexport
else
  cargo build --locked -q --bin cnexport
fi
bin="${CARGO_TARGET_DIR:-$root/target}/$profile/cnexport"
work=$(mktemp -d)
server_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the sample database"
"$bin" build --input sample_data --db "$work/served.db" --stage "$work/stage" >/dev/null 2>&1
# The request mix: dashboard and markets for the 8 largest products sold
# to the US, trend for the 24 largest product-country pairs.
python3 - "$work/served.db" >"$work/paths.txt" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
codes = [r[0] for r in c.execute("""SELECT hs_code FROM monthly_facts WHERE country_code = '502'
                                    GROUP BY hs_code ORDER BY sum(value) DESC LIMIT 8""")]
pairs = c.execute("""SELECT hs_code, country_code FROM monthly_facts
                     GROUP BY hs_code, country_code ORDER BY sum(value) DESC LIMIT 24""").fetchall()
for code in codes:
    print(f"/skill/dashboard?hsCode={code}")
    print(f"/skill/markets?hsCode={code}")
for code, country in pairs:
    print(f"/skill/trend?hsCode={code}&countryCode={country}")
PY
echo "   $(wc -l <"$work/paths.txt") request targets in the mix"

"$bin" serve --db "$work/served.db" --addr 127.0.0.1:0 --access-log "$work/access.db" \
  --watch-interval-ms 200 2>"$work/serve.log" &
server_pid=$!
addr=""
for _ in $(seq 1 200); do
  addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/serve.log" 2>/dev/null | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "the server did not start"; cat "$work/serve.log"; exit 1; }
echo "   serving on $addr (pid $server_pid)"

# Every request of the mix answers 200 before the load starts (these
# requests carry no rid and are left out of the reconciliation).
while read -r target; do
  s=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr$target")
  [ "$s" = 200 ] || { echo "$target answers $s"; exit 1; }
done <"$work/paths.txt"
warm=$(python3 -c "import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute('select count(*) from hs_skill_access_log').fetchone()[0])" "$work/access.db" 2>/dev/null || echo 0)

# RSS every second.
( while kill -0 "$server_pid" 2>/dev/null; do
    awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true
    sleep 1
  done ) >"$work/rss.txt" &
sampler_pid=$!

echo "== wrk: ${secs}s, $threads threads, $conns connections; a rebuild swaps the database at $((secs / 2))s"
( sleep $((secs / 2))
  "$bin" build --input sample_data --db "$work/served.db" --stage "$work/stage-b" >/dev/null 2>"$work/rebuild.log" \
    && echo ok >"$work/rebuild.done" ) &
rebuild_pid=$!
wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
  -s scripts/load.lua "http://$addr" -- "$work/paths.txt" | tee "$work/wrk.txt"
wait "$rebuild_pid" || true

echo "== SIGTERM"
kill -TERM "$server_pid"
set +e
wait "$server_pid"
serve_rc=$?
set -e
server_pid=""
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""

python3 - "$work" "$warm" "$serve_rc" "$conns" <<'PY'
import re, sqlite3, sys
work, warm, serve_rc, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fail = []
stats_line = [l for l in open(f"{work}/wrk.txt") if l.startswith("LOADSTATS")]
if not stats_line:
    sys.exit("no LOADSTATS line from wrk")
st = dict(kv.split("=", 1) for kv in stats_line[0].split()[1:])
n = {k: int(v) for k, v in st.items() if v.isdigit()}
errors = n["connect"] + n["read"] + n["write"] + n["timeout"] + n["status"] + n["non2xx"]
if errors:
    fail.append(f"wrk errors: {st}")
if serve_rc != 0:
    fail.append(f"server exit status {serve_rc}")
log = open(f"{work}/serve.log").read()
if "panicked" in log:
    fail.append("the server panicked")
switched = log.count("switched to generation")
if switched < 1:
    fail.append("the database was never swapped")
try:
    open(f"{work}/rebuild.done")
except OSError:
    fail.append("the rebuild did not finish")

# Access log: one row per issued request, ids 1..issued per thread.
c = sqlite3.connect(f"{work}/access.db")
rows = c.execute("select par, status from hs_skill_access_log").fetchall()
ids, bad_status, dropped = {}, 0, []
for par, status in rows:
    m = re.search(r"(?:^|&)_rid=(\d+)\.(\d+)$", par)
    if not m:
        continue
    key = (int(m.group(1)), int(m.group(2)))
    ids[key] = ids.get(key, 0) + 1
    if status == 499:
        dropped.append(key)  # read, then dropped when wrk hung up
    elif status != 200:
        bad_status += 1
unlabelled = len(rows) - sum(ids.values())
if unlabelled != warm:
    fail.append(f"{unlabelled} rows without a rid, expected the {warm} warm-up requests")
dups = sum(1 for v in ids.values() if v > 1)
if dups:
    fail.append(f"{dups} requests logged more than once")
issued = dict((int(t), int(k)) for t, k in (x.split(":") for x in st["per_thread"].split(",")))
# wrk calls request() once on the first thread's script before the run, to
# count pipelined requests, and never sends it: that is rid 1.1.
first = {t: 2 if t == 1 else 1 for t in issued}
n["issued"] -= 1
in_flight = n["issued"] - n["completed"]
if not (0 <= in_flight <= conns):
    fail.append(f"{in_flight} requests in flight at wrk's end (more than {conns} connections?)")
# Requests wrk issued that the server never logged (wrk may close a
# connection before the server has read its last request) and requests the
# server read but dropped when wrk hung up (logged 499) can only be among the
# requests still in flight at wrk's end. Which ones those are cannot be told
# from wrk's side (its response() callback does not say which request a
# response answers, and a slow request may stay in flight while the other
# connections issue hundreds), so the check is by count, exactly:
#   logged 200 = completed + answered-but-unread, and
#   answered-but-unread + 499 + never read = in flight.
missing_ids = [(t, i) for t, k in issued.items() for i in range(first[t], k + 1) if (t, i) not in ids]
missing = len(missing_ids)
extra = sum(1 for (t, i) in ids if i > issued.get(t, 0) or i < first.get(t, 1))
ok_rows = sum(1 for par, status in rows if status == 200 and re.search(r"(?:^|&)_rid=", par))
unread = ok_rows - n["completed"]
if extra:
    fail.append(f"{extra} logged ids wrk never issued")
if unread < 0 or unread + len(dropped) + missing != in_flight:
    fail.append(f"in flight at wrk's end {in_flight} != {unread} answered but unread + "
                f"{len(dropped)} dropped (499) + {missing} never read; "
                f"{ok_rows} logged 200 vs wrk's {n['completed']} completed")
if bad_status:
    fail.append(f"{bad_status} logged requests with a status other than 200")
if n["completed"] != n["requests"]:
    fail.append(f"lua completed {n['completed']} != wrk requests {n['requests']}")

rss = [int(x) for x in open(f"{work}/rss.txt").read().split() if x.strip().isdigit()]
mem = ""
if len(rss) > 12:
    base = rss[10]
    after = rss[10:]
    mem = (f"RSS (MiB) min {min(rss)/1024:.1f}, at 10 s {base/1024:.1f}, max after 10 s "
           f"{max(after)/1024:.1f}, last {rss[-1]/1024:.1f} ({len(rss)} samples; every 10 s: "
           + " ".join(f"{x/1024:.0f}" for x in rss[::10]) + ")")
    if max(after) > base * 1.5:
        fail.append("memory is not flat: " + mem)
else:
    fail.append(f"only {len(rss)} RSS samples")

print("== results")
print(f"wrk requests completed: {n['requests']}; issued: {n['issued']}; in flight at wrk's end: {in_flight}")
print(f"errors: connect {n['connect']}, read {n['read']}, write {n['write']}, timeout {n['timeout']}, non-2xx {n['non2xx']}")
print(f"latency: p50 {st['p50_ms']} ms, p99 {st['p99_ms']} ms, max {st['max_ms']} ms")
load_rows = sum(ids.values())
print(f"access log: {len(rows)} rows = {warm} warm-up + {load_rows} load rows, one per request id, "
      f"no duplicates ({dups}), none foreign ({extra})")
print(f"  load rows {load_rows} = wrk completed {n['completed']} + {in_flight - missing} of the {in_flight} "
      f"requests in flight when wrk stopped ({len(dropped)} of them logged 499: read, then dropped when wrk "
      f"hung up; the other {missing} never reached the server: ids {missing_ids[:5]})")
if load_rows != n["completed"] + in_flight - missing:
    fail.append("access-log arithmetic does not add up")
print(f"database swaps seen by the server: {switched}")
print(mem)
if fail:
    print("FAILED:")
    for f in fail:
        print("  ", f)
    sys.exit(1)
print("== all clean")
PY
