#!/usr/bin/env bash
# Hostile requests against a real `cnexport serve` over the sample database.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES]   (default 500 per operation)
#
# 1. schemathesis (PyPI, in a venv under ~/.cache) generates requests from
#    /openapi.json, valid and invalid, and checks every answer: no 5xx, the
#    status, content type and body as the document declares them.
# 2. scripts/hostile_probes.py: SQL-injection probes in every parameter,
#    oversize and repeated parameters, malformed requests, slow and silent
#    clients (the server must cut them off and keep answering others).
# 3. The server is stopped with SIGTERM: it must exit 0, and its stderr must
#    hold no panic.
# Exit 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
examples=${1:-500}
# The checks: CNEXPORT_ST_CHECKS=all adds the ones about how invalid input
# is rejected (negative_data_rejection etc.).
checks=${CNEXPORT_ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}
timeout_s=3

export CARGO_TERM_COLOR=never
venv="${XDG_CACHE_HOME:-$HOME/.cache}/cnexport-schemathesis"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "== installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi
"$venv/bin/schemathesis" --version

echo "== building cnexport and the sample database"
cargo build --locked -q --bin cnexport
bin="${CARGO_TARGET_DIR:-$root/target}/debug/cnexport"
work=$(mktemp -d)
logs="$root/target/hostile"
mkdir -p "$logs"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" build --input sample_data --db "$work/sample.db" --stage "$work/stage" >/dev/null 2>"$work/build.log"

echo "== starting cnexport serve"
"$bin" serve --db "$work/sample.db" --addr 127.0.0.1:0 --access-log "$work/access.db" \
  --request-timeout "$timeout_s" 2>"$work/serve.log" &
server_pid=$!
addr=""
for _ in $(seq 1 200); do
  addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/serve.log" 2>/dev/null | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "the server did not start"; cat "$work/serve.log"; exit 1; }
echo "   listening on $addr"

status=0
echo "== schemathesis (max $examples examples per operation)"
set +e
# (From the scratch folder: schemathesis keeps a .schemathesis/ cache in
# the current folder.)
(cd "$work" && "$venv/bin/schemathesis" run "http://$addr/openapi.json" \
  --checks "$checks" \
  --max-examples "$examples" --request-timeout 30 --workers 2 \
  --suppress-health-check too_slow,filter_too_much \
  --no-color) 2>&1 | tee "$logs/schemathesis.log" | sed -n '/FAILURES\|SUMMARY/,$p' 
st_rc=${PIPESTATUS[0]}
set -e
if [ "$st_rc" -ne 0 ]; then
  echo "schemathesis: FAILED (exit $st_rc)"
  status=1
fi
st_cases=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$logs/schemathesis.log" | tail -1)

echo "== hostile probes"
python3 scripts/hostile_probes.py "$addr" "$timeout_s" 2>&1 | tee "$logs/probes.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== SIGTERM"
kill -TERM "$server_pid"
set +e
wait "$server_pid"
serve_rc=$?
set -e
server_pid=""
if [ "$serve_rc" -ne 0 ]; then
  echo "the server exited $serve_rc"
  status=1
fi
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked:"
  grep -A3 "panicked" "$work/serve.log" | head -20
  status=1
fi
logged=$(python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute('select count(*), sum(status >= 500) from hs_skill_access_log').fetchone())" "$work/access.db")
echo "access log (rows, 5xx): $logged"
echo "schemathesis test cases: ${st_cases:-?} ($(grep -E 'generated' "$logs/schemathesis.log" | tail -1 | sed 's/^ *//')); full log: $logs/schemathesis.log"
[ "$status" -eq 0 ] && echo "== all clean" || echo "== FAILURES"
exit $status
