#!/usr/bin/env bash
# cnexport at national scale, against DuckDB, SQLite's ceiling and nginx, on
# the same files, in one run. See docs/performance.md for what each number
# means and the results on the project's 2-core machine.
#
# usage: benches/run.sh [--scale F] [--dir DIR] [--duration SECONDS]
#                       [--mem-limit-gb N] [--skip-duckdb] [--skip-polars]
#                       [--skip-api] [--skip-incremental] [--reuse-full] [--keep]
#
#   --scale F          fraction of national scale (25,000 codes x 48 months,
#                      ~21.6 million facts); 0.1 for a quick run (default 1)
#   --dir DIR          work folder, outside the repository (default
#                      /tmp/cnexport-bench-<scale>); generated data is reused
#                      when its parameters match
#   --duration S       seconds of each wrk run (default 20)
#   --mem-limit-gb N   address-space limit of each cnexport build, so an
#                      out-of-memory build fails cleanly instead of waking
#                      the kernel's OOM killer (default 20)
#   --duckdb-mem-gb N  DuckDB's memory_limit (default 14; it spills to disk past it)
#   --skip-polars      leave out the polars pipeline (its first build compiles
#                      polars: about half an hour on 2 cores)
#   --reuse-full       keep the full build of an earlier run in DIR (its database,
#                      stage and results) instead of building again
#   --keep             keep the databases (default: remove the big files at the end)
#
# Needs: cargo; installs what is missing: Debian's wrk, nginx and time
# (apt-get, as root), PyPI's duckdb (in a venv under ~/.cache/cnexport-bench).
# The polars pipeline is the benches crate's bin polars-build, built with
# `--profile polars --features polars` (never by CI or the product).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCALE=1
DIR=""
DURATION=20
MEM_LIMIT_GB=20
DUCKDB_MEM_GB=14
SKIP_DUCKDB=0
SKIP_POLARS=0
SKIP_API=0
SKIP_INC=0
KEEP=0
REUSE_FULL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --mem-limit-gb) MEM_LIMIT_GB="$2"; shift 2 ;;
    --duckdb-mem-gb) DUCKDB_MEM_GB="$2"; shift 2 ;;
    --skip-duckdb) SKIP_DUCKDB=1; shift ;;
    --skip-polars) SKIP_POLARS=1; shift ;;
    --skip-api) SKIP_API=1; shift ;;
    --skip-incremental) SKIP_INC=1; shift ;;
    --keep) KEEP=1; shift ;;
    --reuse-full) REUSE_FULL=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
DIR="${DIR:-/tmp/cnexport-bench-$SCALE}"
case "$DIR" in
  "$ROOT"|"$ROOT"/*) echo "run.sh: --dir must be outside the repository" >&2; exit 2 ;;
esac
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
RES="$DIR/results"
mkdir -p "$RES"
log() { printf '\n== %s (%s, load %s)\n' "$*" "$(date +%H:%M:%S)" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# ---------------------------------------------------------------- tools
log "tools"
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ] && [ "$SKIP_API" = 0 -o ! -x /usr/bin/time ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "run.sh: needs ${need_apt[*]} (apt-get install as root)" >&2; exit 1
  fi
  # Do not let the package start a system nginx on port 80.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
VENV="${CNEXPORT_BENCH_VENV:-$HOME/.cache/cnexport-bench/venv}"
if [ "$SKIP_DUCKDB" = 0 -o "$SKIP_POLARS" = 0 ] && ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check duckdb
fi
NPROC="$(nproc)"
echo "machine: $NPROC cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); $(rustc --version)"

# ---------------------------------------------------------------- build
log "cargo build --release"
(cd "$ROOT" && cargo build --release -q -p cnexport-cli -p cnexport-benches --bins)
TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET_DIR/release/cnexport"
GEN="$TARGET_DIR/release/gen-national"
if [ "$SKIP_POLARS" = 0 ]; then
  log "cargo build --profile polars --features polars (polars-build)"
  (cd "$ROOT" && cargo build --profile polars -q -p cnexport-benches --features polars --bin polars-build)
fi
PBIN="$TARGET_DIR/polars/polars-build"

# ---------------------------------------------------------------- data
RAW="$DIR/raw"
STAMP="scale=$SCALE gen=$(sha256sum "$GEN" | cut -c1-16)"
if [ ! -f "$DIR/raw.stamp" ] || [ "$(cat "$DIR/raw.stamp")" != "$STAMP" ]; then
  log "generate national data (scale $SCALE)"
  rm -rf "$RAW" "$DIR/raw.stamp"
  "$GEN" --dir "$RAW" --scale "$SCALE" > "$RES/gen.json"
  echo "$STAMP" > "$DIR/raw.stamp"
else
  log "reuse generated data in $RAW"
fi
cat "$RES/gen.json"
echo "input: $(du -sh "$RAW" | cut -f1) in $(find "$RAW" -name '*.csv' | wc -l) files"

# Runs a cnexport build under the memory limit with /usr/bin/time -v;
# $1 = label, then the build arguments. Writes $RES/$1.time and $1.log.
# Returns the build's exit status.
run_build() {
  local label="$1"; shift
  echo "load before $label: $(loadavg)" > "$RES/$label.load"
  set +e
  ( ulimit -v $((MEM_LIMIT_GB * 1024 * 1024)); exec /usr/bin/time -v -o "$RES/$label.time" "$BIN" build "$@" ) \
    > "$RES/$label.log" 2>&1
  local rc=$?
  set -e
  echo "exit $rc" >> "$RES/$label.load"
  tail -n 12 "$RES/$label.log" | sed 's/^/  /'
  return $rc
}

# ---------------------------------------------------------------- full build
FULL_OK=1
if [ "$REUSE_FULL" = 1 ] && [ -f "$RES/full.report.json" ] && [ -f "$DIR/full/national.db" ] && [ -d "$DIR/full/stage" ]; then
  log "full build: reusing the one in $DIR/full"
  tail -n 4 "$RES/full.log" | sed 's/^/  /'
else
  log "full build (cold stage)"
  rm -rf "$DIR/full"; mkdir -p "$DIR/full"
  sync
  run_build full --input "$RAW" --db "$DIR/full/national.db" --stage "$DIR/full/stage" \
    --report "$RES/full.report.json" || FULL_OK=0
fi

# Where the database's bytes go (pages per table and index).
if [ "$FULL_OK" = 1 ]; then
  python3 "$ROOT/benches/sqlite_sizes.py" "$DIR/full/national.db" > "$RES/sizes.json" || true
fi

# ---------------------------------------------------------------- incremental
INC_OK=0
if [ "$SKIP_INC" = 0 ] && [ "$FULL_OK" = 0 ]; then
  log "incremental: skipped (the full build failed; the previous-month build would fail the same way)"
elif [ "$SKIP_INC" = 0 ]; then
  log "incremental: build without the latest month, then add it"
  rm -rf "$DIR/inc"; mkdir -p "$DIR/inc/raw"
  # The previous month's build starts from the full build's stage (its own
  # time is not a result: only the run that adds the month is timed).
  cp -al "$DIR/full/stage" "$DIR/inc/stage"
  LAST="$(ls "$RAW" | sort | tail -n 1)"
  for d in $(ls "$RAW" | sort); do
    [ "$d" = "$LAST" ] || cp -al "$RAW/$d" "$DIR/inc/raw/$d"
  done
  # Both runs ask for --incremental, as pipelines/monthly.toml does: the
  # first has no previous database (a full build), the second updates it.
  if run_build inc_prev --input "$DIR/inc/raw" --db "$DIR/inc/national.db" --stage "$DIR/inc/stage" \
       --incremental --report "$RES/inc_prev.report.json"; then
    cp -al "$RAW/$LAST" "$DIR/inc/raw/$LAST"
    sync
    run_build inc --input "$DIR/inc/raw" --db "$DIR/inc/national.db" --stage "$DIR/inc/stage" \
      --incremental --report "$RES/inc.report.json" && INC_OK=1
  fi
  rm -rf "$DIR/inc/raw" "$DIR/inc/stage"
  [ "$KEEP" = 1 ] || rm -f "$DIR/inc/national.db"
fi
[ "$KEEP" = 1 ] || rm -rf "$DIR/full/stage"

# Runs a peer pipeline with /usr/bin/time -v; $1 = label, then the command.
# Writes $RES/$1.load (load average before, exit status), $1.time, its
# stdout (one JSON line) to $1.json and its stderr to $1.err.
run_peer() {
  local label="$1"; shift
  sync
  echo "load before $label: $(loadavg)" > "$RES/$label.load"
  set +e
  /usr/bin/time -v -o "$RES/$label.time" "$@" > "$RES/$label.json" 2> "$RES/$label.err"
  echo "exit $?" >> "$RES/$label.load"
  set -e
  cat "$RES/$label.json" "$RES/$label.err" | tail -n 5
}

# ---------------------------------------------------------------- DuckDB
if [ "$SKIP_DUCKDB" = 0 ]; then
  log "DuckDB: the same ingest and aggregation, 2 threads"
  rm -rf "$DIR/duck"; mkdir -p "$DIR/duck"
  run_peer duckdb "$VENV/bin/python" "$ROOT/benches/duckdb_build.py" \
    --input "$RAW" --db "$DIR/duck/national.duckdb" --threads 2 --memory-limit "${DUCKDB_MEM_GB}GB"
fi

# ---------------------------------------------------------------- polars
if [ "$SKIP_POLARS" = 0 ]; then
  log "polars: the same ingest and aggregation, lazy API, 2 threads"
  rm -rf "$DIR/polars"; mkdir -p "$DIR/polars"
  POLARS_MAX_THREADS=2 run_peer polars "$PBIN" --input "$RAW" --out "$DIR/polars" --threads 2
  if [ "$SKIP_DUCKDB" = 0 ] && [ -s "$RES/polars.json" ]; then
    log "polars' tables against DuckDB's"
    "$VENV/bin/python" "$ROOT/benches/polars_check.py" "$DIR/duck/national.duckdb" "$DIR/polars" \
      > "$RES/polars_check.txt" 2>&1 || true
    cat "$RES/polars_check.txt"
  fi
  [ "$KEEP" = 1 ] || rm -rf "$DIR/polars"
fi
[ "$KEEP" = 1 ] || rm -rf "$DIR/duck"

# ---------------------------------------------------------------- SQLite ceiling
if [ "$FULL_OK" = 1 ]; then
  log "SQLite ceiling: INSERT ... SELECT from the attached database, same settings"
  python3 "$ROOT/benches/sqlite_ceiling.py" --src "$DIR/full/national.db" --dst "$DIR/ceiling.db" \
    > "$RES/ceiling.json"
  cat "$RES/ceiling.json"
  rm -f "$DIR/ceiling.db"
fi

# ---------------------------------------------------------------- API vs nginx
if [ "$SKIP_API" = 0 ] && [ "$FULL_OK" = 1 ]; then
  log "API: /skill/dashboard vs nginx serving the same bodies"
  API_PORT="${CNEXPORT_BENCH_API_PORT:-18731}"
  NGINX_PORT="${CNEXPORT_BENCH_NGINX_PORT:-18732}"
  NG="$DIR/nginx"; rm -rf "$NG"; mkdir -p "$NG/root/dashboard" "$NG/tmp"
  PIDS=()
  cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
  trap cleanup EXIT
  "$BIN" serve --db "$DIR/full/national.db" --addr "127.0.0.1:$API_PORT" \
    --access-log "$DIR/access-log.db" > "$RES/serve.log" 2>&1 &
  PIDS+=($!)
  # The request mix: 400 codes at the latest month, every level (8-digit
  # codes spread over the table, and 6/4/2-digit roll-ups).
  python3 - "$DIR/full/national.db" "$NG/paths.txt" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
latest = con.execute("SELECT max(as_of_month) FROM hs_base_metrics").fetchone()[0]
codes = []
for level, n in ((8, 280), (6, 80), (4, 30), (2, 10)):
    rows = [r[0] for r in con.execute(
        "SELECT hs_code FROM hs_base_metrics WHERE as_of_month = ? AND level = ? ORDER BY hs_code", (latest, level))]
    step = max(1, len(rows) // n)
    codes += rows[::step][:n]
with open(sys.argv[2], "w") as f:
    for c in codes:
        f.write(f"/skill/dashboard?hsCode={c}\n")
print(f"{len(codes)} dashboard paths at {latest}")
PY
  for i in $(seq 1 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$API_PORT/healthz', timeout=1)" 2>/dev/null && break
    sleep 0.2
  done
  # The same bodies as static files.
  python3 - "$API_PORT" "$NG/paths.txt" "$NG/root/dashboard" <<'PY'
import sys, urllib.request, os
port, paths, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
for p in open(paths).read().split():
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=10).read()
    code = p.rsplit("=", 1)[1]
    open(os.path.join(out, code + ".json"), "wb").write(body)
    n += 1
print(f"{n} bodies saved for nginx")
PY
  cat > "$NG/nginx.conf" <<EOF
worker_processes $NPROC;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 4096; }
http {
  access_log $NG/access.log;
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $NG/root;
    location = /skill/dashboard {
      default_type "application/json; charset=utf-8";
      try_files /dashboard/\$arg_hsCode.json =404;
    }
  }
  # The realistic load's bodies: the file of /skill/E?ARGS is
  # real/skill/E/ARGS.json (the query string as it was sent).
  server {
    listen 127.0.0.1:$((NGINX_PORT + 2));
    root $NG/real;
    location /skill/ {
      default_type "application/json; charset=utf-8";
      try_files \$uri/\$args.json =404;
    }
  }
}
EOF
  "$NGINX" -c "$NG/nginx.conf" -p "$NG" > "$RES/nginx.out" 2>&1 &
  PIDS+=($!)
  sleep 1
  # Same bytes from both.
  P1="$(head -n 1 "$NG/paths.txt")"
  python3 - "$API_PORT" "$NGINX_PORT" "$P1" <<'PY'
import sys, urllib.request
a = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[3]}").read()
b = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}{sys.argv[3]}").read()
assert a == b, "nginx and cnexport bodies differ"
print(f"same body from both ({len(a)} bytes)")
PY
  # wrk: 1 thread (the other core is the server's), 32 connections, latency
  # recorded per request. $1 label, $2 port, $3 connections, $4 delay ms.
  run_wrk() {
    echo "load before $1: $(loadavg)" > "$RES/wrk_$1.load"
    WRK_PATHS="$NG/paths.txt" WRK_DELAY_MS="$4" wrk -t1 -c"$3" -d"${DURATION}s" --latency \
      -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$2/" > "$RES/wrk_$1.txt" 2>&1
    grep -E "Requests/sec|99%|Non-2xx" "$RES/wrk_$1.txt" | sed "s/^/  $1: /"
  }
  # Warm both (page cache, connection pools).
  WRK_PATHS="$NG/paths.txt" wrk -t1 -c8 -d3s -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$API_PORT/" >/dev/null 2>&1
  WRK_PATHS="$NG/paths.txt" wrk -t1 -c8 -d3s -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$NGINX_PORT/" >/dev/null 2>&1
  run_wrk nginx_full "$NGINX_PORT" 32 0
  run_wrk api_full "$API_PORT" 32 0
  # Half load: a fixed offered rate of half cnexport's full-load rate, the
  # same for both servers: 32 connections, each waiting 32/rate s between
  # requests (wrk's delay(); Debian's wrk has no -R).
  API_RPS="$(grep WRKJSON "$RES/wrk_api_full.txt" | sed 's/WRKJSON //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests"]/(d["duration_us"]/1e6))')"
  DELAY_MS="$(python3 -c "print(max(1, round(32 * 1000 / ($API_RPS / 2))))")"
  echo "half load: offered ~$(python3 -c "print(round(32*1000/$DELAY_MS))") requests/s (32 connections, ${DELAY_MS} ms between requests)"
  run_wrk nginx_half "$NGINX_PORT" 32 "$DELAY_MS"
  run_wrk api_half "$API_PORT" 32 "$DELAY_MS"

  # Every answer of the next questions under the same full load (32
  # connections, the same 400 codes), beside the dashboard's: p99 per
  # endpoint. The long series are whole histories (to the world and to
  # one destination), chapters included.
  log "API: p99 of each endpoint under full load"
  python3 - "$DIR/full/national.db" "$NG/paths.txt" "$NG" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
first = con.execute("SELECT value FROM meta WHERE key = 'data_first_month'").fetchone()[0]
latest = con.execute("SELECT value FROM meta WHERE key = 'data_latest_month'").fetchone()[0]
codes = [l.rsplit("=", 1)[1] for l in open(sys.argv[2]).read().split()]
country = {}
for c in codes:
    row = con.execute("SELECT country_code FROM hs_count_month WHERE hs_code = ? ORDER BY recent12m_total DESC LIMIT 1", (c,)).fetchone()
    country[c] = row[0] if row else "502"
mixes = {
    "dashboard": [f"/skill/dashboard?hsCode={c}" for c in codes],
    "growth": [f"/skill/growth?hsCode={c}" for c in codes],
    "priceband": [f"/skill/priceband?hsCode={c}" for c in codes],
    "chapter": [f"/skill/chapter?hsCode={c}" for c in codes],
    "seasonality": [f"/skill/seasonality?hsCode={c}" for c in codes],
    "seasonality_country": [f"/skill/seasonality?hsCode={c}&countryCode={country[c]}" for c in codes],
    "series_history": [f"/skill/series?hsCode={c}&from={first}&to={latest}" for c in codes],
    "series_history_country": [f"/skill/series?hsCode={c}&from={first}&to={latest}&countryCode={country[c]}" for c in codes],
    "top_chance": [f"/skill/topProducts?sortBy=chance&level={l}&offset={o}" for l in (8, 6, 4, 2) for o in (0, 30)],
    "top_season": [f"/skill/topProducts?sortBy=season&level={l}&offset={o}" for l in (8, 6, 4, 2) for o in (0, 30)],
}
for name, paths in mixes.items():
    with open(f"{sys.argv[3]}/paths_{name}.txt", "w") as f:
        f.write("\n".join(paths) + "\n")
print(f"{len(mixes)} request mixes of {len(codes)} codes, whole history {first}..{latest}")
PY
  MIXES="dashboard growth priceband chapter seasonality seasonality_country series_history series_history_country top_chance top_season"
  # $1: label prefix, $2: port.
  run_mixes() {
    for mix in $MIXES; do
      WRK_PATHS="$NG/paths_$mix.txt" wrk -t1 -c8 -d2s -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$2/" >/dev/null 2>&1
      echo "load before $1_$mix: $(loadavg)" > "$RES/wrk_$1_$mix.load"
      WRK_PATHS="$NG/paths_$mix.txt" WRK_DELAY_MS=0 wrk -t1 -c32 -d"${DURATION}s" --latency \
        -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$2/" > "$RES/wrk_$1_$mix.txt" 2>&1
      grep -E "Requests/sec|99%|Non-2xx" "$RES/wrk_$1_$mix.txt" | sed "s/^/  $1 $mix: /"
    done
  }
  # With the answer cache (the default: after the warm-up, mostly hits).
  run_mixes ep "$API_PORT"
  # Without it (--cache-mb 0): every request asks the database.
  NOCACHE_PORT=$((API_PORT + 2))
  "$BIN" serve --db "$DIR/full/national.db" --addr "127.0.0.1:$NOCACHE_PORT" --cache-mb 0 \
    > "$RES/serve_nocache.log" 2>&1 &
  PIDS+=($!)
  for i in $(seq 1 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$NOCACHE_PORT/healthz', timeout=1)" 2>/dev/null && break
    sleep 0.2
  done
  run_mixes nocache "$NOCACHE_PORT"

  # A realistic load: requests drawn uniformly at random (seed 17) from
  # dashboard, markets, trend and history over every code of every level at
  # the latest month; trend and history to a partner drawn from those the
  # code has records with. Against --cache-mb 0 (every request reads the
  # database) and nginx serving the same bodies at the same URLs.
  log "API: realistic load (random dashboard/markets/trend/history, every code, no answer cache) vs nginx"
  REAL_PATHS="$NG/paths_realistic.txt"
  REAL_N="${CNEXPORT_BENCH_REALISTIC_PATHS:-20000}"
  python3 - "$DIR/full/national.db" "$REAL_PATHS" "$REAL_N" <<'PY'
import random, sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
latest = con.execute("SELECT max(as_of_month) FROM hs_base_metrics").fetchone()[0]
codes = [r[0] for r in con.execute(
    "SELECT hs_code FROM hs_base_metrics WHERE as_of_month = ? ORDER BY hs_code", (latest,))]
partners = {}
for code, country in con.execute("SELECT hs_code, country_code FROM hs_count_month ORDER BY hs_code, country_code"):
    partners.setdefault(code, []).append(country)
codes = [c for c in codes if c in partners]
rng = random.Random(17)
n = int(sys.argv[3])
levels = {}
with open(sys.argv[2], "w") as f:
    for _ in range(n):
        endpoint = rng.choice(("dashboard", "markets", "trend", "history"))
        code = rng.choice(codes)
        levels[len(code)] = levels.get(len(code), 0) + 1
        if endpoint in ("trend", "history"):
            f.write(f"/skill/{endpoint}?hsCode={code}&countryCode={rng.choice(partners[code])}\n")
        else:
            f.write(f"/skill/{endpoint}?hsCode={code}\n")
print(f"{n} paths over {len(codes)} codes at {latest} (drawn: "
      + ", ".join(f"{k}-digit {v}" for k, v in sorted(levels.items())) + ")")
PY
  # The same bodies as files for nginx, fetched from the server under test.
  python3 - "$NOCACHE_PORT" "$REAL_PATHS" "$NG/real" "$((NGINX_PORT + 2))" <<'PY'
import os, random, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, paths, out, nginx = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
unique = sorted(set(open(paths).read().split()))
def fetch(p, port=port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=30).read()
def save(p):
    body = fetch(p)
    path, args = p.split("?", 1)
    os.makedirs(out + path, exist_ok=True)
    with open(f"{out}{path}/{args}.json", "wb") as f:
        f.write(body)
with ThreadPoolExecutor(4) as pool:
    list(pool.map(save, unique))
sample = random.Random(17).sample(unique, min(200, len(unique)))
assert all(fetch(p) == fetch(p, nginx) for p in sample), "nginx and cnexport bodies differ"
print(f"{len(unique)} distinct bodies saved for nginx; {len(sample)} checked byte-identical from both")
PY
  # $1 label, $2 port: a warm-up, then 32 connections for --duration.
  run_real() {
    WRK_PATHS="$REAL_PATHS" wrk -t1 -c8 -d3s -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$2/" >/dev/null 2>&1
    echo "load before $1: $(loadavg)" > "$RES/wrk_$1.load"
    WRK_PATHS="$REAL_PATHS" WRK_DELAY_MS=0 wrk -t1 -c32 -d"${DURATION}s" --latency \
      -s "$ROOT/benches/wrk_dashboard.lua" "http://127.0.0.1:$2/" > "$RES/wrk_$1.txt" 2>&1
    grep -E "Requests/sec| 50%| 99%|Non-2xx" "$RES/wrk_$1.txt" | sed "s/^/  $1: /"
  }
  run_real nginx_realistic "$((NGINX_PORT + 2))"
  run_real api_realistic "$NOCACHE_PORT"
  cleanup
  trap - EXIT
  [ "$KEEP" = 1 ] || rm -rf "$NG/access.log" "$DIR/access-log.db"
fi

# ---------------------------------------------------------------- results
log "results"
python3 "$ROOT/benches/report.py" --res "$RES" --scale "$SCALE" | tee "$RES/results.md"
[ "$KEEP" = 1 ] || rm -f "$DIR/full/national.db"
echo "results: $RES/results.md and $RES/results.json"
