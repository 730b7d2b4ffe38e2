#!/usr/bin/env bash
# Fuzzes the readers and the query-string parser with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs each target (default: csv excel html query) for SECONDS (default 60)
# and prints, per target, the executions, the corpus size and the crashes.
# Exits 1 when any target crashed; the crashing input is in
# fuzz/artifacts/<target>/ (replay: cargo fuzz run <target> <file>).
#
# The machine has one stable toolchain; cargo-fuzz needs nightly flags
# (-Zsanitizer=address), which RUSTC_BOOTSTRAP=1 unlocks on stable.
# Seeds: fuzz/seeds/<target>/ (committed, among them every input that once
# crashed) plus inputs cut from sample_data/ and the ingest test fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv excel html query)

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

work="$root/fuzz/corpus"
mkdir -p "$work"

echo "== seeds"
seed() { # seed <target> <name> <file> [prefix-byte-in-octal]
  local dir="$work/$1"
  mkdir -p "$dir"
  if [ -n "${4:-}" ]; then
    { printf "\\$4"; cat "$3"; } >"$dir/$2"
  else
    cp "$3" "$dir/$2"
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for f in $(find sample_data crates/cnexport-ingest/tests/fixtures -name '*.csv' | sort); do
  i=$((i + 1))
  head -c 6000 "$f" >"$tmp/s.csv"
  seed csv "sample$i.csv" "$tmp/s.csv"
done
for f in $(find sample_data -name '*.html' | sort); do
  head -c 20000 "$f" >"$tmp/s.html"
  seed html "sample.html" "$tmp/s.html"
done
printf '<html><meta charset="gbk"><table><tr><th>\xca\xfd\xbe\xdd\xc4\xea\xd4\xc2</th><th>商品编码</th><th>贸易伙伴编码</th><th>人民币</th></tr><tr><td>202401</td><td>12011000</td><td>502</td><td>5</td></tr></table>' >"$tmp/gbk.html"
seed html gbk.html "$tmp/gbk.html"
seed excel bulletin.xls crates/cnexport-ingest/tests/fixtures/xls/bulletin.xls 001
python3 - "$tmp" <<'PY'
# A small real .xlsx (deflated) and its sheet XML, as seeds.
import sys, zipfile
tmp = sys.argv[1]
ss = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>数据年月</t></si><si><t>商品编码</t></si><si><t>贸易伙伴编码</t></si><si><t>人民币</t></si><si><t>美国</t></si></sst>'
sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:E3"/><sheetData>'
         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="inlineStr"><is><t>贸易伙伴名称</t></is></c></row>'
         '<row r="2"><c r="A2"><v>202401</v></c><c r="B2"><v>1012100</v></c><c r="C2" t="str"><v>502</v></c><c r="D2"><f>400+5</f><v>405</v></c><c r="E2" t="s"><v>4</v></c></row>'
         '<row r="3"><c r="A3" s="1"><v>45352</v></c><c r="B3" t="str"><v>85171300</v></c><c r="C3"><v>502</v></c><c r="D3"><v>12.5</v></c></row>'
         '</sheetData></worksheet>')
ct = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
rels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
wb = '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
wbrels = '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
with zipfile.ZipFile(f"{tmp}/s.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb),
                       ("xl/_rels/workbook.xml.rels", wbrels), ("xl/worksheets/sheet1.xml", sheet),
                       ("xl/sharedStrings.xml", ss)]:
        z.writestr(name, data)
open(f"{tmp}/sheet.bin", "wb").write(sheet.encode() + b"\0" + ss.encode())
PY
seed excel small.xlsx "$tmp/s.xlsx" 000
seed excel sheet.bin "$tmp/sheet.bin" 002

# The query target answers against the sample database.
db="$root/fuzz/target/sample.db"
if [ ! -f "$db" ]; then
  echo "== building the sample database for the query target"
  mkdir -p "$root/fuzz/target"
  cargo run --locked -q --bin cnexport -- build --input sample_data --db "$db" --stage "$root/fuzz/target/stage" >/dev/null
fi
export CNEXPORT_FUZZ_DB="$db"

# The fuzz build (sanitizer flags) keeps its own target directory, apart
# from the workspace's.
fuzz_target_dir="${CNEXPORT_FUZZ_TARGET_DIR:-$root/fuzz/target}"
echo "== building the fuzz targets (in $fuzz_target_dir)"
cargo fuzz build -O -a --target-dir "$fuzz_target_dir" 2>&1 | tail -3

summary=()
failed=0
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${secs}s"
  mkdir -p "$work/$t" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("$root/fuzz/seeds/$t")
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  log="fuzz/target/$t.log"
  set +e
  cargo fuzz run -O -a --target-dir "$fuzz_target_dir" "$t" "$work/$t" "${seeds[@]}" -- \
      -max_total_time="$secs" -rss_limit_mb=4096 -max_len=65536 -timeout=30 \
      -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  corpus=$(find "$work/$t" -type f | wc -l)
  if [ $rc -ne 0 ] || [ $crashes -gt 0 ]; then
    failed=1
    echo "   $t FAILED (exit $rc); log: $log"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -5 || true
  fi
  summary+=("$(printf '%-6s %8ss %12s execs %6s corpus %3s crashes' "$t" "$secs" "${execs:-?}" "$corpus" "$crashes")")
done

echo
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $failed
