#!/usr/bin/env python3
"""SQLite's own ceiling for cnexport's load stage.

Copies every table of a database cnexport built into a fresh file with the
same schema (tables and views) and the same settings cnexport's load uses (page_size 4096,
journal_mode OFF, synchronous OFF, locking_mode EXCLUSIVE), with
`INSERT INTO t SELECT * FROM src.t` from the attached database (one
transaction, rows arriving in primary-key order, as cnexport inserts them),
then the same finishing steps as cnexport's load: the secondary indexes,
ANALYZE, PRAGMA integrity_check, fsync. No Rust, no binding, no per-row
statement: the fastest SQLite itself writes these rows.

Prints one JSON line of times.

usage: sqlite_ceiling.py --src BUILT.db --dst NEW.db
"""

import argparse
import json
import os
import sqlite3
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    a = ap.parse_args()
    if os.path.exists(a.dst):
        os.remove(a.dst)

    src = sqlite3.connect(f"file:{a.src}?mode=ro", uri=True)
    tables = src.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    indexes = [r[0] for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid")]
    views = [r[0] for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")]
    counts = {name: src.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name, _ in tables}
    src.close()

    times = {}
    cpu_all = time.process_time()
    t_all = time.perf_counter()
    con = sqlite3.connect(a.dst, isolation_level=None)
    con.executescript(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
        " PRAGMA locking_mode = EXCLUSIVE; PRAGMA encoding = 'UTF-8';")
    for _, sql in tables:
        con.execute(sql)
    for sql in views:
        con.execute(sql)
    con.execute("ATTACH DATABASE ? AS src", (a.src,))
    t = time.perf_counter()
    con.execute("BEGIN")
    for name, _ in tables:
        t_table = time.perf_counter()
        con.execute(f'INSERT INTO main."{name}" SELECT * FROM src."{name}"')
        times[f"insert_{name}"] = time.perf_counter() - t_table
    con.execute("COMMIT")
    times["insert"] = time.perf_counter() - t
    con.execute("DETACH DATABASE src")
    t = time.perf_counter()
    for sql in indexes:
        con.execute(sql)
    times["indexes"] = time.perf_counter() - t
    t = time.perf_counter()
    con.execute("ANALYZE")
    times["analyze"] = time.perf_counter() - t
    t = time.perf_counter()
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    times["integrity_check"] = time.perf_counter() - t
    con.close()
    t = time.perf_counter()
    fd = os.open(a.dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    times["fsync"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t_all
    times["total_cpu"] = time.process_time() - cpu_all
    print(json.dumps({
        "sqlite_version": sqlite3.sqlite_version,
        "integrity": ok,
        "rows": counts,
        "times": {k: round(v, 3) for k, v in times.items()},
        "bytes": os.path.getsize(a.dst),
    }))


if __name__ == "__main__":
    main()
