#!/usr/bin/env bash
# The web page in a real browser: installs Debian's chromium (and a CJK font)
# and playwright-core if missing, builds the sample database, starts
# `cnexport serve` on a free 127.0.0.1 port, and runs scripts/browser-check.mjs
# against it (search, dashboard, seasonality, markets, growth, price bands,
# chapter, a country, English, errors, phone width), saving screenshots.
# Exits non-zero if a check fails.
#
#   scripts/browser-check.sh [--out DIR]      (default: target/browser-check)
#
# Environment: CARGO_TARGET_DIR (where cargo builds), CNEXPORT_BIN (use this
# binary instead of building one), PLAYWRIGHT_CORE_VERSION (default below),
# BROWSER_CHECK_MODULES (where playwright-core is installed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/target/browser-check
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "browser-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

say() { printf '\n== %s\n' "$*"; }

# 1. Chromium and a font with Chinese glyphs, from Debian's packages.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then need+=(fonts-wqy-microhei); fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${need[@]}" \
    || { $SUDO apt-get update -q && $SUDO apt-get install -y --no-install-recommends "${need[@]}"; }
fi

# 2. playwright-core (the driver only: the browser is Debian's).
command -v node >/dev/null || { echo "browser-check: node is needed (Node.js 18 or later)" >&2; exit 1; }
PW_VERSION=${PLAYWRIGHT_CORE_VERSION:-1.65.1}
MODULES=${BROWSER_CHECK_MODULES:-$HOME/.cache/cnexport-browser-check}
if [ "$(node -p "try{require('$MODULES/node_modules/playwright-core/package.json').version}catch(e){''}")" != "$PW_VERSION" ]; then
  say "installing playwright-core@$PW_VERSION into $MODULES"
  mkdir -p "$MODULES"
  (cd "$MODULES" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$MODULES" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error \
    "playwright-core@$PW_VERSION")
fi

# 3. The binary and the sample database.
if [ -n "${CNEXPORT_BIN:-}" ]; then
  BIN=$CNEXPORT_BIN
else
  say "building cnexport"
  (cd "$ROOT" && cargo build --locked --quiet -p cnexport-cli --bin cnexport)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/cnexport
  case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
fi
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
say "building the sample database"
"$BIN" build --input "$ROOT/sample_data" --db "$WORK/sample.db" --stage "$WORK/stage" >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log" >&2; exit 1; }

# 4. The server, on a port the system picks.
"$BIN" serve --db "$WORK/sample.db" --addr 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
SERVER=$!
BASE=""
for _ in $(seq 1 100); do
  BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.log" | head -n 1 || true)
  [ -n "$BASE" ] && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$BASE" ] || { echo "browser-check: the server did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
say "server at $BASE (pid $SERVER)"

# 5. The browser.
say "checking the page in $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
status=0
node "$ROOT/scripts/browser-check.mjs" --base "$BASE" --out "$OUT" --modules "$MODULES" || status=$?
exit $status
