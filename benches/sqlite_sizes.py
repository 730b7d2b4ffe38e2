#!/usr/bin/env python3
"""Where the bytes of a cnexport database go: pages per table and index
(SQLite's dbstat virtual table), rows per table, and each one's bytes per
fact (the database's size divided by monthly_facts' rows is the target's
figure). Prints one JSON line.

usage: sqlite_sizes.py DATABASE
"""

import json
import sqlite3
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    facts = con.execute("SELECT count(*) FROM monthly_facts").fetchone()[0]
    try:
        rows = con.execute(
            "SELECT name, tbl_name, type FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name").fetchall()
        stat = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    except sqlite3.OperationalError as e:
        print(json.dumps({"error": f"dbstat is not available in this SQLite ({e})"}))
        return 1
    objects = []
    for name, table, kind in rows:
        size = stat.get(name, 0)
        count = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] if kind == "table" else None
        objects.append({"name": name, "table": table, "type": kind, "bytes": size, "rows": count,
                        "bytes_per_fact": round(size / facts, 2) if facts else None})
    objects.sort(key=lambda o: -o["bytes"])
    print(json.dumps({"sqlite_version": sqlite3.sqlite_version, "page_size": page, "bytes": page * pages,
                      "facts": facts, "bytes_per_fact": round(page * pages / facts, 2) if facts else None,
                      "objects": objects}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
