#!/usr/bin/env python3
"""Compare two databases written by duckdb_build.py, table by table.

Every table of the reference database must be in the other one with the
same columns (names and types, in order) and the same rows, as multisets
(EXCEPT ALL both ways), exact: integers and text as they are, floats as
stored (the scripts round them to two decimals, or not at all, the same
way). Used to check a rewrite of the pipeline against the version before
it on the same input.

usage: duckdb_check.py REFERENCE.duckdb OTHER.duckdb [--tables a,b,...]
Exit status 0 when everything is equal; one line per table either way.
"""

import argparse
import sys

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--tables", default=None, help="comma-separated; default every table of the reference")
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"ATTACH '{a.reference}' AS r (READ_ONLY)")
    con.execute(f"ATTACH '{a.other}' AS o (READ_ONLY)")

    def tables(db):
        return [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary ORDER BY 1", [db]).fetchall()]

    def columns(db, t):
        return con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
            "ORDER BY column_index", [db, t]).fetchall()

    names = a.tables.split(",") if a.tables else tables("r")
    other = set(tables("o"))
    ok = True
    for t in names:
        if t not in other:
            print(f"{t}: missing from {a.other}")
            ok = False
            continue
        cr, co = columns("r", t), columns("o", t)
        if cr != co:
            print(f"{t}: columns differ: {cr} vs {co}")
            ok = False
            continue
        ok &= compare(con, t, f"r.{t}", f"o.{t}", len(cr))
    return 0 if ok else 1


def compare(con, name, ref, other, ncols, labels=("the reference", "the other"), tags=("reference:", "other:    ")):
    """Rows of the relations `ref` and `other` as multisets (EXCEPT ALL both
    ways); prints one line for table `name` and, when they differ, up to 3
    rows only in each. Returns whether they are equal."""
    n_r = con.execute(f"SELECT count(*) FROM {ref}").fetchone()[0]
    n_o = con.execute(f"SELECT count(*) FROM {other}").fetchone()[0]
    only_r = con.execute(f"SELECT count(*) FROM (SELECT * FROM {ref} EXCEPT ALL SELECT * FROM {other})").fetchone()[0]
    only_o = con.execute(f"SELECT count(*) FROM (SELECT * FROM {other} EXCEPT ALL SELECT * FROM {ref})").fetchone()[0]
    same = n_r == n_o and only_r == 0 and only_o == 0
    print(f"{name}: {n_r} / {n_o} rows, {ncols} columns, {only_r} only in {labels[0]}, {only_o} only in {labels[1]}: "
          + ("equal" if same else "DIFFERENT"))
    if not same:
        for row in con.execute(f"SELECT * FROM {ref} EXCEPT ALL SELECT * FROM {other} ORDER BY ALL LIMIT 3").fetchall():
            print(f"  {tags[0]}", row)
        for row in con.execute(f"SELECT * FROM {other} EXCEPT ALL SELECT * FROM {ref} ORDER BY ALL LIMIT 3").fetchall():
            print(f"  {tags[1]}", row)
    return same


if __name__ == "__main__":
    sys.exit(main())
