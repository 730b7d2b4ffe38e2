#!/usr/bin/env python3
"""The same ingest and aggregation as `cnexport build`, in DuckDB.

Reads the bulletin CSVs (the platform's quoted layout with thousands
separators and a trailing comma), applies the overlap rule (the later
release, by path, wins per month/code/partner), and computes what
cnexport's hs_base_metrics and hs_count_month hold, for 8-digit codes and
the 2/4/6-digit roll-ups, at every as-of month whose 24-month window lies in
the data; writes every table into DuckDB's own database file.

It is meant as the strongest DuckDB peer of the build, so it is written for
speed (docs/performance.md, "The DuckDB pipeline", lists the formulations
tried): integer keys, a dense month grid pivoted to one row of month columns
per code and partner, the 12-month windows as sums of those columns, one
GROUP BY per code for every as-of month side by side, then UNNEST. Its
tables equal, row for row, those of the plainer formulation it replaced
(window functions over a joined dense grid); benches/duckdb_check.py
compares two databases.

What is left out: pinyin keys, the countries/products reference tables and
the quarantine of bad rows with reasons (bad rows are filtered, not
explained), the build report, and indexes (DuckDB has no secondary B-tree
indexes to match SQLite's).

Prints one JSON line: stage times (wall and CPU seconds) and row counts.

usage: duckdb_build.py --input DIR --db FILE [--threads 2] [--memory-limit 14GB] [--reference DIR]
"""

import argparse
import csv
import json
import os
import resource
import sys
import time

import duckdb

CONTINENTS = ["asia", "europe", "africa", "north_america", "south_america", "oceania"]
# first digit of the partner code -> continent (docs/contract.md, section 2); 7xx in none
DIGIT_CONTINENT = {"1": "asia", "2": "africa", "3": "europe", "4": "south_america",
                   "5": "north_america", "6": "oceania"}
BLOCS = ["middle_east", "belt_road", "asean", "eu", "usmca"]
BLOC_FILE_NAMES = {"ASEAN10": "asean", "EU27": "eu", "USMCA": "usmca",
                   "MiddleEast17_convention": "middle_east"}


def membership(reference_dir):
    """partner code -> set of bloc keys, from the repository's reference CSVs."""
    tags = {}

    def rows(name):
        with open(os.path.join(reference_dir, name), encoding="utf-8") as f:
            lines = [l for l in f if not l.startswith("#")]
        return list(csv.DictReader(lines))

    for r in rows("trade-blocs.csv"):
        bloc = BLOC_FILE_NAMES.get(r["bloc"])
        if bloc:
            tags.setdefault(r["customs_code"].strip().zfill(3), set()).add(bloc)
    br = rows("belt-and-road.csv")
    code_col = [k for k in br[0].keys() if "code" in k][0]
    for r in br:
        code = (r[code_col] or "").strip()
        if code.isdigit():
            tags.setdefault(code.zfill(3), set()).add("belt_road")
    return tags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default=None, help="e.g. 16GB")
    ap.add_argument("--reference", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "crates", "cnexport-core", "data"))
    a = ap.parse_args()

    for p in (a.db, a.db + ".wal"):
        if os.path.exists(p):
            os.remove(p)
    times = {}
    t_all = time.perf_counter()
    con = duckdb.connect(a.db)
    con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")
    if a.memory_limit:
        con.execute(f"SET memory_limit = '{a.memory_limit}'")

    cpu_times = {}

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def step(name, sql, *params):
        t, c = time.perf_counter(), cpu()
        con.execute(sql, *params)
        times[name] = times.get(name, 0.0) + time.perf_counter() - t
        cpu_times[name] = cpu_times.get(name, 0.0) + cpu() - c

    # Reference: partner -> continent and bloc flags (a few hundred rows).
    tags = membership(a.reference)
    con.execute("CREATE TABLE membership (partner VARCHAR PRIMARY KEY, continent VARCHAR, "
                + ", ".join(f"{b} BOOLEAN" for b in BLOCS) + ")")
    rows = []
    for code in sorted(set(list(tags.keys()) + [f"{i:03d}" for i in range(100, 800)])):
        t = tags.get(code, set())
        rows.append([code, DIGIT_CONTINENT.get(code[0])] + [b in t for b in BLOCS])
    con.executemany("INSERT INTO membership VALUES (" + ",".join("?" * (2 + len(BLOCS))) + ")", rows)

    # 1. Ingest: read every CSV as text, parse values with thousands
    #    separators, drop bad rows; then the overlap rule (the later release,
    #    by path, wins per key). Most keys come from one file: only the keys
    #    seen more than once (a GROUP BY of the BIGINT keys alone) go through
    #    the GROUP BY with arg_max (of one struct of the winning row's
    #    fields), the others are kept as they are.
    glob = os.path.join(a.input, "**", "*.csv")
    # The columns, by position, from the first file's header, as DuckDB's
    # sniffer would take them from it (it reads the other files with the
    # first one's layout too); given explicitly, no file is sniffed.
    files = [f for (f,) in con.execute("SELECT file FROM glob(?) ORDER BY file", [glob]).fetchall()]
    with open(files[0], encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    columns = "{" + ", ".join(f"'{h.strip() or f'column{i}'}': 'VARCHAR'" for i, h in enumerate(header)) + "}"
    num = lambda col: f"TRY_CAST(replace(replace(\"{col}\", ',', ''), ' ', '') AS BIGINT)"
    step("ingest", f"""
        CREATE TEMP TABLE raw AS
        WITH src AS (
            SELECT TRY_CAST("数据年月" AS INTEGER) AS month,
                   "商品编码" AS hs, "贸易伙伴编码" AS partner,
                   "商品名称" AS name,
                   {num('人民币')} AS value,
                   coalesce({num('第一数量')}, 0) AS q1,
                   nullif(nullif("第一计量单位", '?'), '') AS unit1,
                   coalesce({num('第二数量')}, 0) AS q2,
                   nullif(nullif("第二计量单位", '?'), '') AS unit2,
                   filename
            FROM read_csv(?, header = true, auto_detect = false, columns = {columns}, quote = '"', delim = ',',
                          filename = true, null_padding = true, union_by_name = false)
        )
        -- one BIGINT key per month, code and partner (all digits, checked)
        SELECT month::BIGINT * 100000000000 + hs::BIGINT * 1000 + partner::BIGINT AS k,
               value, q1, unit1, q2, unit2, name, filename
        FROM src
        WHERE month BETWEEN 190001 AND 299912 AND month % 100 BETWEEN 1 AND 12
          AND regexp_full_match(hs, '[0-9]{{8}}') AND regexp_full_match(partner, '[0-9]{{3}}')
          AND value >= 0
    """, [glob])
    step("ingest", "CREATE TEMP TABLE dup AS SELECT k FROM raw GROUP BY k HAVING count(*) > 1")
    step("ingest", """
        CREATE TABLE facts AS
        WITH merged AS (
            SELECT k, value, q1, unit1, q2, unit2, value AS first_value, name FROM raw ANTI JOIN dup USING (k)
            UNION ALL
            SELECT k, w.v, w.q1, w.u1, w.q2, w.u2, first_value, w.name
            FROM (SELECT k, arg_max({'v': value, 'q1': q1, 'u1': unit1, 'q2': q2, 'u2': unit2, 'name': name}, filename) AS w,
                         arg_min(value, filename) AS first_value
                  FROM raw SEMI JOIN dup USING (k) GROUP BY k)
        )
        SELECT (k // 100000000000)::INTEGER AS month, lpad((k // 1000 % 100000000)::VARCHAR, 8, '0') AS hs,
               lpad((k % 1000)::VARCHAR, 3, '0') AS partner, value, q1 AS quantity1, unit1,
               q2 AS quantity2, unit2, first_value, name
        FROM merged
    """)
    con.execute("DROP TABLE raw")
    con.execute("DROP TABLE dup")

    # 2. Transform. Codes and partners become integers (an 8-digit code is
    #    its number, a roll-up the number divided by 100, 10,000, 1,000,000;
    #    the text comes back with lpad at the end), values BIGINT; the output
    #    columns keep the types of the plain SQL (HUGEINT sums).
    t_tr = time.perf_counter()
    first, latest = con.execute("SELECT min(month), max(month) FROM facts").fetchone()
    mi = f"((month // 100 - {first // 100}) * 12 + month % 100 - {first % 100})"
    n = ((latest // 100 - first // 100) * 12 + latest % 100 - first % 100) + 1
    as_of = list(range(23, n))  # as-of months whose 24-month window lies in the data
    step("products", "CREATE TABLE products AS SELECT hs AS hs_code, 8 AS level, arg_max(name, month) AS name_zh FROM facts GROUP BY hs")
    # The dense month grid per code and partner, as one row of n month
    # columns x0..x{n-1} (the pivot: the lists of a pair's months and values,
    # read at every month), for the 8-digit codes; the roll-ups sum those rows.
    xs = [f"x{i}" for i in range(n)]
    step("series", f"""
        CREATE TEMP TABLE w8 AS
        SELECT c, p, list(m) AS ms, list(value) AS vs
        FROM (SELECT hs::INTEGER AS c, partner::SMALLINT AS p, {mi}::SMALLINT AS m, value FROM facts)
        GROUP BY c, p
    """)
    step("series", f"""
        CREATE TEMP TABLE grid AS
        SELECT 8 AS level, c, p, {", ".join(f"coalesce(vs[list_position(ms, {i}::SMALLINT)], 0) AS x{i}" for i in range(n))} FROM w8
    """)
    for lvl, div in ((6, 100), (4, 100), (2, 100)):
        step("series", f"""
            INSERT INTO grid
            SELECT {lvl}, c // {div}, p, {", ".join(f"sum({x})::BIGINT" for x in xs)}
            FROM grid WHERE level = {lvl + 2} GROUP BY c // {div}, p
        """)
    con.execute("DROP TABLE w8")

    def window(lo, hi, f="{}"):
        """The sum of f(x_i) for months lo..hi (clipped to the data), as an expression."""
        terms = [f.format(f"x{i}") for i in range(max(lo, 0), hi + 1)]
        return "(" + " + ".join(terms) + ")" if terms else "0"

    # Per code and as-of month, over its partners: the 12-month windows of
    # every partner as sums of the grid's columns (r{m} = months m-11..m,
    # so a month's prev12 is r{m-12}; a{m} = active months in m-11..m), then
    # one GROUP BY per code with the partner counts, the average of active
    # months and the top 3 for every as-of month side by side; UNNEST turns
    # them into one row per as-of month.
    active = "({} > 0)::INTEGER"
    lo = as_of[0] - 12 if as_of else n
    inner = ", ".join([f"{window(m - 11, m)}::BIGINT AS r{m}" for m in range(lo, n)]
                      + [f"{window(m - 11, m, active)}::BIGINT AS a{m}" for m in as_of] or ["0"])
    aggs = ", ".join([f"count(*) FILTER (WHERE r{m} > 0) AS ca{m}, count(*) FILTER (WHERE r{m - 12} > 0) AS cp{m}, "
                      f"((sum(a{m}) FILTER (WHERE r{m} > 0) * 200 + count(*) FILTER (WHERE r{m} > 0)) // (2 * count(*) FILTER (WHERE r{m} > 0))) / 100 AS am{m}, "
                      # (the average of active months rounded half up from its exact value, as cnexport does: round(avg(..), 2)
                      # rounds the double, which for 307 / 40 = 7.675 lies just below the half)
                      f"list_sum(max(r{m}, 3))::HUGEINT AS t{m}"
                      for m in as_of] or ["0"])
    # (with no as-of month, the tables are empty, with the same column types)
    unnest = lambda col, typ: f"unnest([{', '.join(f'{col}{m}' for m in as_of)}])" if as_of else f"NULL::{typ}"
    step("partner_windows", f"""
        CREATE TEMP TABLE kw AS
        SELECT level, c, {aggs} FROM (SELECT level, c, {inner} FROM grid) GROUP BY level, c
    """)
    # Per code and partner at the latest month (hs_count_month).
    step("partner_windows", f"""
        CREATE TEMP TABLE cl AS
        SELECT level, c, p, {window(n - 12, n - 1)}::HUGEINT AS r12,
               {window(n - 24, n - 13) if n - 1 >= 23 else 0}::HUGEINT AS p12,
               {window(n - 48, n - 37)}::HUGEINT AS base36
        FROM grid
    """)
    # Regions and blocs: window sums are sums, so the grid's 8-digit rows
    # are first summed per code and region (a partner in several blocs
    # counts in each; tagmap holds one row per partner and region), summed
    # up to the roll-ups, and windowed like the partners' rows; one GROUP
    # BY per code sets the regions side by side.
    tags = CONTINENTS + BLOCS
    con.execute("CREATE TEMP TABLE tagmap AS SELECT partner::SMALLINT AS p, continent AS t FROM membership WHERE continent IS NOT NULL "
                + " ".join(f"UNION ALL SELECT partner::SMALLINT, '{b}' FROM membership WHERE {b}" for b in BLOCS))
    step("regions", f"""
        CREATE TEMP TABLE tg AS
        SELECT 8 AS level, c, t, {", ".join(f"sum({x})::BIGINT AS {x}" for x in xs)}
        FROM grid JOIN tagmap USING (p) WHERE level = 8 GROUP BY c, t
    """)
    for lvl in (6, 4, 2):
        step("regions", f"""
            INSERT INTO tg SELECT {lvl}, c // 100, t, {", ".join(f"sum({x})::BIGINT" for x in xs)}
            FROM tg WHERE level = {lvl + 2} GROUP BY c // 100, t
        """)
    rinner = ", ".join([f"{window(m - 11, m)}::BIGINT" for m in range(lo, n)])
    step("regions", f"""
        CREATE TEMP TABLE tw AS
        SELECT level, c, {", ".join(f"rs[list_position(ts, '{k}')] AS {k}" for k in tags)}
        FROM (SELECT level, c, list(t) AS ts, list([{rinner}]) AS rs FROM tg GROUP BY level, c)
    """)
    # One row per code and as-of month (UNNEST of the lists side by side);
    # a region without any partner of the code gives NULL, as a FILTERed SUM.
    unnest_r = lambda k, back: f"unnest([{', '.join(f'{k}[{m - back - lo + 1}]' for m in as_of)}])" if as_of else "NULL::BIGINT"
    step("per_code", f"""
        CREATE TEMP TABLE per_code AS
        SELECT level, c, {f"unnest(range({lo + 12}, {n}))" if as_of else "NULL::BIGINT"} AS mi,
               {unnest("ca", "BIGINT")} AS active_countries_count, {unnest("cp", "BIGINT")} AS active_countries_prev,
               {unnest("am", "DOUBLE")} AS avg_country_active_months, {unnest("t", "HUGEINT")} AS top3,
               {", ".join(f"{unnest_r(k, 0)}::HUGEINT AS {k}_total, {unnest_r(k, 12)}::HUGEINT AS {k}_prev_total" for k in tags)}
        FROM kw LEFT JOIN tw USING (level, c) {"" if as_of else "WHERE false"}
    """)
    for tmp in ("kw", "tg", "tw", "tagmap"):
        con.execute(f"DROP TABLE {tmp}")
    # Global per code and month: value and quantities (units checked per
    # month), for the 8-digit codes, summed up to the roll-ups.
    step("global_windows", f"""
        CREATE TEMP TABLE q AS
        SELECT 8 AS level, hs::INTEGER AS c, {mi} AS mi, sum(value) v, sum(quantity1) q1, sum(quantity2) q2,
               min(unit1) u1lo, max(unit1) u1hi, min(unit2) u2lo, max(unit2) u2hi
        FROM facts GROUP BY ALL
    """)
    for lvl in (6, 4, 2):
        step("global_windows", f"""
            INSERT INTO q SELECT {lvl}, c // 100, mi, sum(v), sum(q1), sum(q2), min(u1lo), max(u1hi), min(u2lo), max(u2hi)
            FROM q WHERE level = {lvl + 2} GROUP BY c // 100, mi
        """)
    # The same dense grid per code: lists of months and of each column,
    # read at every month, then the windows as sums (units: the least and
    # greatest unit in the window, NULLs ignored as by min and max).
    cols_q = ("v", "q1", "q2", "u1lo", "u1hi", "u2lo", "u2hi")
    step("global_windows", f"""
        CREATE TEMP TABLE qg AS
        WITH l AS (SELECT level, c, list(mi) AS ms, {", ".join(f"list({x}) AS {x}" for x in cols_q)} FROM q GROUP BY level, c),
             pos AS (SELECT *, {", ".join(f"list_position(ms, {i}) AS k{i}" for i in range(n))} FROM l)
        SELECT level, c,
               {", ".join(f"coalesce({x}[k{i}], 0) AS {x}_{i}" for x in ("v", "q1", "q2") for i in range(n))},
               {", ".join(f"{x}[k{i}] AS {x}_{i}" for x in ("u1lo", "u1hi", "u2lo", "u2hi") for i in range(n))}
        FROM pos
    """)
    def wsum(col, lo_, hi_, f="{}"):
        terms = [f.format(f"{col}_{i}") for i in range(max(lo_, 0), hi_ + 1)]
        return "(" + " + ".join(terms) + ")" if terms else "0"
    ext = lambda fn, col, m: f"{fn}({', '.join(f'{col}_{i}' for i in range(max(m - 11, 0), m + 1))})"
    per_month = {
        "value_month": lambda m: f"v_{m}",
        "value_prev_month": lambda m: f"v_{m - 1}",
        "recent12": lambda m: wsum("v", m - 11, m),
        "prev12": lambda m: wsum("v", m - 23, m - 12),
        "monthly_activity": lambda m: f"{wsum('v', m - 11, m, '({} > 0)::INTEGER')}::BIGINT",
        "s3": lambda m: wsum("v", m - 2, m),
        "s3_prev": lambda m: wsum("v", m - 14, m - 12),
        "first_quantity": lambda m: wsum("q1", m - 11, m),
        "second_quantity": lambda m: wsum("q2", m - 11, m),
        "u1lo": lambda m: ext("least", "u1lo", m), "u1hi": lambda m: ext("greatest", "u1hi", m),
        "u2lo": lambda m: ext("least", "u2lo", m), "u2hi": lambda m: ext("greatest", "u2hi", m),
    }
    step("global_windows", f"""
        CREATE TEMP TABLE gser AS
        SELECT level, c, {f"unnest(range({lo + 12}, {n}))" if as_of else "NULL::BIGINT"} AS mi,
               {", ".join((f"unnest([{', '.join(f(m) for m in as_of)}])" if as_of else
                           f"NULL::{'VARCHAR' if name[0] == 'u' else 'BIGINT' if name == 'monthly_activity' else 'HUGEINT'}") + f" AS {name}"
                          for name, f in per_month.items())}
        FROM qg {"" if as_of else "WHERE false"}
    """)
    con.execute("DROP TABLE qg")
    def hundredths(num, den):
        """num / den / 100 rounded half away from zero from the exact
        quotient of the integers (den > 0), as a DOUBLE: cnexport's
        rounding. round(x, 2) of the DOUBLE quotient differs at exact
        halves, which a double holds a hair off (13,429 / 4,000 - 1 =
        235.725%, which round() gives as 235.72)."""
        return f"(sign({num}) * ((2 * abs({num}) + {den}) // (2 * {den})) / 100)"

    cont_list = "[" + ", ".join(f"coalesce(p.{c}_total, 0)" for c in CONTINENTS) + "]"
    ratio = lambda n, b: f"(CASE WHEN {b} = 0 THEN (CASE WHEN {n} > 0 THEN 1.0 ELSE 0.0 END) ELSE {n} / {b} - 1 END)"
    cols = ",\n".join(f"coalesce(p.{c}_total, 0) AS {c}_total, coalesce(p.{c}_prev_total, 0) AS {c}_prev_total"
                      for c in CONTINENTS + BLOCS)
    step("base_metrics", f"""
        CREATE TABLE hs_base_metrics AS
        SELECT lpad(g.c::VARCHAR, g.level, '0') AS hs_code, g.level,
               ((g.mi + {first % 100} - 1) // 12 + {first // 100}) * 100 + (g.mi + {first % 100} - 1) % 12 + 1 AS as_of_month,
               g.recent12 AS recent12m_global_total, g.prev12 AS prev12m_global_total,
               CASE WHEN g.prev12 = 0 THEN NULL ELSE {hundredths('(g.recent12 - g.prev12) * 10000', 'g.prev12')} END AS yoy_growth_rate,
               g.value_month, g.value_prev_month,
               CASE WHEN g.value_prev_month = 0 THEN NULL ELSE {hundredths('(g.value_month - g.value_prev_month) * 10000', 'g.value_prev_month')} END AS mom_growth_rate,
               p.active_countries_count, p.active_countries_prev, g.monthly_activity AS monthly_activity_count,
               CASE WHEN g.recent12 = 0 THEN NULL ELSE {hundredths('p.top3 * 10000', 'g.recent12')} END AS top3_concentration_percent,
               p.avg_country_active_months,
               CASE WHEN g.u1lo = g.u1hi THEN g.u1lo END AS first_unit,
               CASE WHEN g.u1lo <> g.u1hi THEN NULL ELSE g.first_quantity END AS first_quantity,
               CASE WHEN g.u2lo = g.u2hi THEN g.u2lo END AS second_unit,
               CASE WHEN g.u2lo <> g.u2hi THEN NULL ELSE g.second_quantity END AS second_quantity,
               {cols},
               CASE WHEN g.recent12 > 0 AND list_max({cont_list}) > 0
                    THEN {CONTINENTS!r}[list_position({cont_list}, list_max({cont_list}))] END AS best_region,
               CASE WHEN g.recent12 > 0 AND list_max({cont_list}) > 0
                    THEN {hundredths(f'list_max({cont_list}) * 10000', 'g.recent12')} END AS best_region_percent,
               {ratio('g.s3', 'g.s3_prev')} AS g3,
               {ratio('g.recent12', 'g.prev12')} AS g12,
               (p.active_countries_count - p.active_countries_prev) / greatest(p.active_countries_prev, 1) AS gb,
               round(100 * (0.5 * tanh({ratio('g.s3', 'g.s3_prev')}) + 0.3 * tanh({ratio('g.recent12', 'g.prev12')})
                     + 0.2 * tanh((p.active_countries_count - p.active_countries_prev) / greatest(p.active_countries_prev, 1))), 2)
                 AS momentum_score
        FROM gser g JOIN per_code p USING (level, c, mi)
    """)
    step("count_month", f"""
        CREATE TABLE hs_count_month AS
        SELECT lpad(c::VARCHAR, level, '0') AS hs_code, level, lpad(p::VARCHAR, 3, '0') AS country_code,
               {latest} AS as_of_month,
               r12 AS recent12m_total, p12 AS prev12m_total,
               {hundredths('r12 * 100', '12')} AS monthly_avg,
               CASE WHEN {n - 1} >= 47 AND base36 > 0 THEN round((pow(r12 / base36, 1.0 / 3) - 1) * 100, 2) END AS three_year_cagr
        FROM cl
    """)
    times["transform_total"] = time.perf_counter() - t_tr
    t = time.perf_counter()
    for tmp in ("grid", "cl", "per_code", "q", "gser"):
        con.execute(f"DROP TABLE {tmp}")
    con.execute("CHECKPOINT")
    con.close()
    times["checkpoint"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t_all
    con = duckdb.connect(a.db, read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("facts", "hs_base_metrics", "hs_count_month")}
    con.close()
    print(json.dumps({"duckdb_version": duckdb.__version__, "threads": a.threads,
                      "times": {k: round(v, 3) for k, v in times.items()},
                      "cpu_times": {k: round(v, 3) for k, v in cpu_times.items()}, "cpu_total": round(cpu(), 3),
                      "rows": counts, "db_bytes": os.path.getsize(a.db)}))


if __name__ == "__main__":
    sys.exit(main())
