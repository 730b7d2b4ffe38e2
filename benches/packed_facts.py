#!/usr/bin/env python3
"""A trial of packed fact storage, measured on a database `cnexport build`
wrote: how many bytes, how long to write, how fast to read, if the facts
were stored one row per code and destination (the months of the pair as
one JSON array) behind a view that gives back `monthly_facts` row for row.

Not the product: a measurement of the layout the database-size target
points at (docs/performance.md, "What limits the targets that are missed").
It copies every other table as it is, writes `fact_series` (WITHOUT ROWID,
key hs_code + country_code, an index by country_code + hs_code) and the
view `monthly_facts`, checks on a sample of pairs that the view gives the
same rows as the original table, and prints one JSON line.

Layout of a pair's `facts`: a JSON array of one array per month,
[months since `first_month`, value, quantity1, quantity2, source_file]
then, only where they differ from the pair's, first_value (else null) and
[unit1, unit2] (the pair's units are columns of the row: its most common).

usage: packed_facts.py SOURCE.db OUT.db [--sample 2000]
"""

import argparse
import json
import os
import random
import sqlite3
import sys
import time

VIEW = """
CREATE VIEW monthly_facts AS
SELECT s.hs_code AS hs_code, s.country_code AS country_code,
       ((s.first_month / 100) + (s.first_month % 100 - 1 + j.value ->> 0) / 12) * 100
         + (s.first_month % 100 - 1 + j.value ->> 0) % 12 + 1 AS month,
       j.value ->> 1 AS value,
       j.value ->> 2 AS quantity1,
       CASE WHEN json_array_length(j.value) > 6 THEN j.value ->> 6 ELSE s.unit1 END AS unit1,
       j.value ->> 3 AS quantity2,
       CASE WHEN json_array_length(j.value) > 6 THEN j.value ->> 7 ELSE s.unit2 END AS unit2,
       coalesce(j.value ->> 5, j.value ->> 1) AS first_value,
       j.value ->> 4 AS source_file
FROM fact_series AS s, json_each(s.facts) AS j
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--sample", type=int, default=2000)
    a = ap.parse_args()
    if os.path.exists(a.out):
        os.remove(a.out)
    src = sqlite3.connect(f"file:{a.source}?mode=ro", uri=True)
    cols = [r[1] for r in src.execute("PRAGMA table_info(monthly_facts)")]
    want = ["hs_code", "country_code", "month", "value", "quantity1", "unit1", "quantity2", "unit2",
            "first_value", "source_file"]
    assert cols == want, f"monthly_facts columns {cols}"
    first = src.execute("SELECT min(month) FROM monthly_facts").fetchone()[0]
    base = (first // 100) * 12 + first % 100 - 1
    times = {}

    dst = sqlite3.connect(a.out, isolation_level=None)
    dst.execute("PRAGMA journal_mode = OFF")
    dst.execute("PRAGMA synchronous = OFF")
    dst.execute("PRAGMA page_size = 4096")
    dst.execute(f"ATTACH 'file:{a.source}?mode=ro' AS src")
    t = time.perf_counter()
    dst.execute("BEGIN")
    for name, sql in src.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name <> 'monthly_facts' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall():
        dst.execute(sql)
        dst.execute(f'INSERT INTO main."{name}" SELECT * FROM src."{name}"')
    for sql, in src.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name <> 'monthly_facts'").fetchall():
        dst.execute(sql)
    dst.execute("COMMIT")
    dst.execute("DETACH src")
    times["other_tables"] = time.perf_counter() - t

    # Pack: the facts in key order, one row per pair.
    t = time.perf_counter()
    dst.execute("""CREATE TABLE fact_series (
        hs_code TEXT NOT NULL, country_code TEXT NOT NULL, first_month INTEGER NOT NULL,
        unit1 TEXT, unit2 TEXT, facts TEXT NOT NULL,
        PRIMARY KEY (hs_code, country_code)) WITHOUT ROWID""")
    dst.execute("BEGIN")
    ins = "INSERT INTO fact_series VALUES (?, ?, ?, ?, ?, ?)"
    batch, pairs, facts = [], 0, 0

    def flush_pair(key, rows):
        units = {}
        for r in rows:
            units[(r[5], r[7])] = units.get((r[5], r[7]), 0) + 1
        u1, u2 = max(units.items(), key=lambda kv: kv[1])[0]
        out = []
        for (hs, cc, month, value, q1, unit1, q2, unit2, fv, sf) in rows:
            e = [(month // 100) * 12 + month % 100 - 1 - base, value, q1, q2, sf]
            if (unit1, unit2) != (u1, u2):
                e += [fv if fv != value else None, unit1, unit2]
            elif fv != value:
                e.append(fv)
            out.append(e)
        batch.append((key[0], key[1], first, u1, u2, json.dumps(out, separators=(",", ":"), ensure_ascii=False)))

    key, rows = None, []
    for r in src.execute("SELECT * FROM monthly_facts ORDER BY hs_code, country_code, month"):
        k = (r[0], r[1])
        if k != key:
            if rows:
                flush_pair(key, rows)
                pairs += 1
            key, rows = k, []
        rows.append(r)
        facts += 1
        if len(batch) >= 10000:
            dst.executemany(ins, batch)
            batch.clear()
    if rows:
        flush_pair(key, rows)
        pairs += 1
    dst.executemany(ins, batch)
    dst.execute("COMMIT")
    times["pack_and_insert"] = time.perf_counter() - t
    t = time.perf_counter()
    dst.execute("CREATE INDEX fact_series_by_country ON fact_series (country_code, hs_code)")
    times["index"] = time.perf_counter() - t
    dst.execute(VIEW)
    t = time.perf_counter()
    dst.execute("ANALYZE")
    times["analyze"] = time.perf_counter() - t
    dst.close()

    # Same rows through the view, on a sample of pairs; read speeds.
    new = sqlite3.connect(f"file:{a.out}?mode=ro", uri=True)
    keys = [tuple(k) for k in src.execute("SELECT hs_code, country_code FROM hs_count_month WHERE level = 8").fetchall()]
    sample = random.Random(17).sample(keys, min(a.sample, len(keys)))
    q = "SELECT * FROM monthly_facts WHERE hs_code = ? AND country_code = ? ORDER BY month"
    mismatched = sum(src.execute(q, k).fetchall() != new.execute(q, k).fetchall() for k in sample)
    reads = {}
    for label, con in (("table", src), ("view", new)):
        t = time.perf_counter()
        for k in sample:
            con.execute(q, k).fetchall()
        reads[f"pair_series_{label}_ms"] = round((time.perf_counter() - t) * 1000 / len(sample), 3)
    t = time.perf_counter()
    n_view = new.execute("SELECT count(*), sum(value), sum(first_value) FROM monthly_facts").fetchone()
    reads["full_scan_view_s"] = round(time.perf_counter() - t, 2)
    n_src = src.execute("SELECT count(*), sum(value), sum(first_value) FROM monthly_facts").fetchone()
    size_new = os.path.getsize(a.out)
    size_src = os.path.getsize(a.source)
    stat = dict(new.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    print(json.dumps({
        "facts": facts, "pairs": pairs, "facts_per_pair": round(facts / pairs, 2),
        "source_bytes": size_src, "source_bytes_per_fact": round(size_src / facts, 2),
        "packed_bytes": size_new, "packed_bytes_per_fact": round(size_new / facts, 2),
        "fact_series_bytes_per_fact": round((stat.get("fact_series", 0) + stat.get("fact_series_by_country", 0)) / facts, 2),
        "other_tables_bytes_per_fact": round((size_new - stat.get("fact_series", 0) - stat.get("fact_series_by_country", 0)) / facts, 2),
        "times": {k: round(v, 2) for k, v in times.items()}, "reads": reads,
        "sample_pairs": len(sample), "sample_mismatched": mismatched,
        "totals_equal": n_view == n_src,
    }))
    return 0 if mismatched == 0 and n_view == n_src else 1


if __name__ == "__main__":
    sys.exit(main())
