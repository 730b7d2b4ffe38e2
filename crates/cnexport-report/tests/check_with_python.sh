#!/usr/bin/env bash
# Checks that the files cnexport-report writes open in the tools analysts use:
# pandas reads the CSV exports and openpyxl (and pandas.read_excel) the XLSX
# exports, with the Chinese text, codes, numbers and number formats intact.
#
#   bash crates/cnexport-report/tests/check_with_python.sh
#
# Uses python3 with pandas and openpyxl when it has them; otherwise makes a
# venv (default /tmp/cnexport-report-venv, or $CNEXPORT_PY_VENV) and installs
# them from PyPI. Not part of CI; the Rust tests read the files back too.
set -euo pipefail
cd "$(dirname "$0")/../../.."

py=${PYTHON:-python3}
if ! "$py" -c 'import pandas, openpyxl' 2>/dev/null; then
  venv=${CNEXPORT_PY_VENV:-/tmp/cnexport-report-venv}
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if ! "$venv/bin/python" -c 'import pandas, openpyxl' 2>/dev/null; then
    "$venv/bin/pip" install -q pandas openpyxl
  fi
  py="$venv/bin/python"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The test writes every export of the hand-built answers in tests/fixtures.
CNEXPORT_REPORT_SAMPLE_DIR="$out" cargo test -q -p cnexport-report --test report write_samples_for_python >/dev/null

"$py" - "$out" <<'EOF'
import datetime
import os
import sys

import openpyxl
import pandas as pd

d = sys.argv[1]
passed = 0


def check(cond, what):
    global passed
    if not cond:
        sys.exit(f"FAIL: {what}")
    passed += 1


def path(name):
    return os.path.join(d, name)


# Codes and months are text; pandas would read them as numbers.
TEXT = {c: str for c in ["hsCode", "countryCode", "month", "currentMonth", "currentDataMonth", "m49"]}


def csv(name):
    with open(path(name), "rb") as f:
        check(f.read(3) == b"\xef\xbb\xbf", f"{name} starts with a BOM")
    return pd.read_csv(path(name), encoding="utf-8-sig", dtype=TEXT, keep_default_na=False,
                       na_values=[""])


# --- CSV with pandas ---
m = csv("markets.csv")
check(list(m.columns) == ["countryName", "countryCode", "continent", "tradeTags",
                          "recent12mTotal", "monthlyAvg", "threeYearCAGR"], "markets header")
check(len(m) == 3, "markets rows")
check(m.loc[0, "countryName"] == "美国", "markets Chinese name")
check(m["recent12mTotal"].dtype.kind == "i" and m.loc[0, "recent12mTotal"] == 107972989953,
      "markets amount as an integer")
check(m.loc[0, "monthlyAvg"] == 8997749162.75, "markets monthlyAvg")
check(m.loc[1, "tradeTags"] == "一带一路、东盟", "markets tradeTags joined")
check(pd.isna(m.loc[1, "threeYearCAGR"]), "markets null CAGR is empty")
check(m.loc[0, "countryCode"] == "502", "markets code as text")

t = csv("topProducts.csv")
check(t.loc[1, "hsCode"] == "01012100", "topProducts keeps the leading zero")
check(t.loc[0, "bestRegion.regionName"] == "asia", "topProducts dotted column")
check(t.loc[0, "productName"] == "锂离子蓄电池", "topProducts Chinese name")

dash = csv("dashboard.csv")
check(len(dash) == 1 and len(dash.columns) == 40, "dashboard one row of 40 columns")
check(dash.loc[0, "productName"] == "智能手机", "dashboard product name")
check(dash.loc[0, "regionBreakdown.asiaPercent"] == 56.78, "dashboard region percent")
check(dash.loc[0, "recent12mGlobalTotal"] == 279462943768, "dashboard total")

tr = csv("trend.csv")
check(len(tr) == 12 and tr.loc[0, "month"] == "202411" and tr.loc[11, "month"] == "202510",
      "trend months")
check(list(tr["amount"][:3]) == [385071, 0, 412000], "trend amounts")
check(set(tr["countryName"]) == {"美国"} and set(tr["hsCode"]) == {"12019020"}, "trend repeated fields")

h = csv("history.csv")
check(len(h) == 24 and h.loc[0, "month"] == "202510" and h.loc[23, "amount"] == 2400041,
      "history rows")

pb = csv("priceband.csv")
check(len(pb) == 6 and pb.loc[1, "price1"] == 12500.69 and pd.isna(pb.loc[5, "price1"]),
      "priceband prices, null empty")
check(pb.loc[0, "bandZh1"] == "高端" and pb.loc[4, "m49"] == "036", "priceband bands and codes")

se = csv("seasonality.csv")
check(len(se) == 12 and list(se["peak"]) == [m in (3, 12) for m in range(1, 13)],
      "seasonality one row per month, peaks as booleans")
check(se.loc[11, "monthShare"] == 16.07 and se.loc[0, "peakMonths"] == "3、12", "seasonality shares")

ch = csv("chapter.csv")
check(len(ch) == 5 and ch.loc[3, "hsCode"] == "8485" and bool(ch.loc[3, "isSelf"]), "chapter headings")

# --- XLSX with openpyxl ---
wb = openpyxl.load_workbook(path("markets.xlsx"))
check(wb.sheetnames == ["markets"], "markets sheet name")
ws = wb["markets"]
check(ws.freeze_panes == "A2", "header row frozen")
check(all(c.font.b for c in ws[1]), "header bold")
check(ws["A1"].value == "countryName" and ws["A2"].value == "美国", "markets Chinese text")
check(ws["B2"].value == "502" and ws["B2"].data_type == "s", "country code stored as text")
check(ws["E2"].value == 107972989953 and ws["E2"].number_format == "#,##0", "amount format")
check(ws["F2"].value == 8997749162.75 and ws["F2"].number_format == "#,##0.00", "average format")
check(ws["G2"].value == -7.5 and ws["G2"].number_format == "0.00", "rate format")
check(ws["G3"].value is None, "null is an empty cell")
check(ws["D3"].value == "一带一路、东盟", "tags")
check(ws.column_dimensions["E"].width >= 15, "amount column wide enough")
check(wb.properties.created == datetime.datetime(2000, 1, 1), "fixed creation time")

ws = openpyxl.load_workbook(path("topProducts.xlsx"))["topProducts"]
check(ws["B3"].value == "01012100", "hsCode keeps its zero")
check(ws["A2"].number_format == "0", "rank as a count")

ws = openpyxl.load_workbook(path("dashboard.xlsx"))["dashboard"]
header = [c.value for c in ws[1]]
col = header.index("regionBreakdown.asiaPercent") + 1
check(ws.cell(2, col).value == 56.78 and ws.cell(2, col).number_format == "0.00", "dashboard percent")
check(ws.cell(2, header.index("productName") + 1).value == "智能手机", "dashboard product")

wb = openpyxl.load_workbook(path("history.xlsx"))
check(wb.sheetnames == ["history", "summary"], "history sheets")
s = wb["summary"]
check([c.value for c in s[1]] == ["year", "totalAmount"], "summary header")
check(s["A2"].value == 2024 and s["B2"].value == 15601234 and s["B2"].number_format == "#,##0",
      "yearly summary")
stats = {r[0].value: r[1] for r in s.iter_rows(min_row=5) if r[0].value}
check(stats["total24MonthAmount"].value == 29400984, "summaryStats total")
check(stats["maxMonth.month"].value == "202311", "summaryStats maxMonth")

wb = openpyxl.load_workbook(path("priceband.xlsx"))
check(wb.sheetnames == ["priceband", "summary", "priceTrend"], "priceband sheets")
ws = wb["priceband"]
header = [c.value for c in ws[1]]
col = header.index("price1") + 1
check(ws.cell(3, col).value == 12500.69 and ws.cell(3, col).number_format == "#,##0.00",
      "price with two decimals and separators")
ws = wb["priceTrend"]
check([c.value for c in ws[1]] == ["month", "price1", "unit1", "price2", "unit2"]
      and ws["B2"].number_format == "#,##0.00", "price trend sheet")
stats = {r[0].value: r[1] for r in wb["summary"].iter_rows(min_row=2)}
check(stats["unit1.median"].value == 11000 and stats["unit1.median"].number_format == "#,##0.00",
      "priceband median")

tr = openpyxl.load_workbook(path("trend.xlsx"))["trend"]
check(tr.max_row == 13 and tr["F13"].value == 339348, "trend sheet")

# --- XLSX with pandas ---
x = pd.read_excel(path("markets.xlsx"), engine="openpyxl", dtype=TEXT)
check(list(x.columns) == list(m.columns), "read_excel header")
check(list(x["countryName"]) == ["美国", "越南", "瑞士"], "read_excel Chinese")
check(list(x["recent12mTotal"]) == list(m["recent12mTotal"]), "read_excel equals the CSV")

print(f"python check: {passed} passed, 0 failed "
      f"(python {sys.version.split()[0]}, pandas {pd.__version__}, openpyxl {openpyxl.__version__})")
EOF
