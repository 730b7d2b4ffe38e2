#!/usr/bin/env bash
# A real MCP client against `cnexport mcp` over stdio, on the sample
# database (scripts/mcp_check.py says what it checks).
#
#   scripts/mcp-check.sh [DB]   (default: the sample data, built into a temp dir)
#
# Installs PyPI's `mcp` in a venv under ~/.cache/cnexport-mcp. Exit 1 on any
# failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CNEXPORT_MCP_VENV:-$HOME/.cache/cnexport-mcp/venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import mcp" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "mcp>=2.3,<3"
fi
(cd "$ROOT" && cargo build -q --bin cnexport)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/cnexport"
DB="${1:-}"
if [ -z "$DB" ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  DB="$WORK/sample.db"
  "$BIN" build --input "$ROOT/sample_data" --db "$DB" --stage "$WORK/stage" >/dev/null 2>&1
fi
"$VENV/bin/python" "$ROOT/scripts/mcp_check.py" "$BIN" "$DB"
