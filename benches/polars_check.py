#!/usr/bin/env python3
"""Compare the Parquet tables of polars-build with the DuckDB database of
duckdb_build.py on the same input, table by table.

Every table of the DuckDB database (facts, products, hs_base_metrics,
hs_count_month; not membership, its copy of the reference tables) must be a Parquet file of the same name with the same
column names in the same order; each column is cast to the DuckDB
column's type (polars has no HUGEINT, DuckDB's sums are HUGEINT), then the
rows are compared as multisets (EXCEPT ALL both ways), exactly: integers and
text as they are, floats as stored (both round them to two decimals, half
away from zero, or not at all).

usage: polars_check.py DUCKDB_FILE POLARS_DIR
Exit status 0 when everything is equal; one line per table either way.
"""

import os
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from duckdb_check import compare  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    ref, pdir = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute(f"ATTACH '{ref}' AS r (READ_ONLY)")
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'r' AND NOT temporary ORDER BY 1").fetchall()]
    # membership is the DuckDB script's copy of the reference tables (an input), not an output
    tables = [t for t in tables if t != "membership"]
    ok = True
    for t in tables:
        path = os.path.join(pdir, f"{t}.parquet")
        if not os.path.exists(path):
            print(f"{t}: no {path}")
            ok = False
            continue
        cols = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'r' AND table_name = ? "
            "ORDER BY column_index", [t]).fetchall()
        pcols = [c for (c,) in con.execute(f"SELECT name FROM parquet_schema('{path}') WHERE num_children IS NULL").fetchall()]
        if [c for c, _ in cols] != pcols:
            print(f"{t}: columns differ: {[c for c, _ in cols]} vs {pcols}")
            ok = False
            continue
        sel = ", ".join(f'CAST("{c}" AS {ty}) AS "{c}"' for c, ty in cols)
        con.execute(f"CREATE TEMP VIEW p_{t} AS SELECT {sel} FROM read_parquet('{path}')")
        ok &= compare(con, t, f"r.{t}", f"p_{t}", len(cols), labels=("DuckDB's", "polars'"), tags=("duckdb:", "polars:"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
