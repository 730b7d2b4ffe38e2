#!/usr/bin/env python3
"""Reads the result files of benches/run.sh and prints the table of results
and of the targets (Markdown); writes results.json beside them."""

import argparse
import json
import os
import re


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


CPU = {}


def cpu(path):
    """CPU seconds (user + sys) of a /usr/bin/time -v file read by time_v."""
    return CPU.get(path)


def load_before(path):
    """The 1-minute load average recorded before a run."""
    try:
        m = re.search(r"load before [^:]*: ([\d.]+)", open(path).read())
    except OSError:
        return None
    return float(m.group(1)) if m else None


def time_v(path):
    """/usr/bin/time -v: (max RSS in MB, wall seconds, exit status)."""
    try:
        text = open(path).read()
    except OSError:
        return None, None, None
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    signal = re.search(r"terminated by signal (\d+)", text)
    if signal:
        status = re.search(r"(\d+)", f"{128 + int(signal.group(1))}")
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    CPU[path] = (float(user.group(1)) + float(system.group(1))) if user and system else None
    secs = None
    if wall:
        parts = [float(p) for p in wall.group(1).split(":")]
        secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return (int(rss.group(1)) / 1024 if rss else None, secs,
            int(status.group(1)) if status else 0)


def wrk(path):
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"WRKJSON (\{.*\})", text)
    if not m:
        return None
    d = json.loads(m.group(1))
    d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
    d["errors"] = sum(d[k] for k in ("errors_status", "errors_connect", "errors_read", "errors_timeout"))
    return d


def fmt(x, unit="", nd=2):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{nd}f}{unit}"
    return f"{x:,}{unit}"


def peers(full, duck, pol, full_cpu, duck_cpu, pol_cpu, full_rss, duck_rss, pol_rss, p):
    """The three pipelines side by side: cnexport, DuckDB, polars."""
    t = full["times"]
    d = (duck or {}).get("times", {})
    pt = (pol or {}).get("times", {})
    rows = [
        ("total (wall)", t["total_secs"], d.get("total"), pt.get("total")),
        ("ingest: parse + merge", t["ingest_secs"] + (t.get("merge_secs") or 0), d.get("ingest"),
         (pt.get("ingest_parse") or 0) + (pt.get("ingest_merge") or 0) if pol else None),
        ("- of which the CSV parse", t["ingest_secs"], None, pt.get("ingest_parse")),
        ("aggregation", t["transform_secs"], d.get("transform_total"),
         sum(pt.get(k) or 0 for k in ("series", "products", "hs_base_metrics", "hs_count_month")) if pol else None),
        ("writing the tables (cnexport: SQLite load, indexes, check; DuckDB: checkpoint; polars: Parquet)",
         t["load_secs"], d.get("checkpoint"), pt.get("write")),
        ("CPU seconds", full_cpu, duck_cpu, pol_cpu),
    ]
    out = {}
    p("")
    p("The three pipelines on the same files (2 threads each; DuckDB and polars compute the same tables, "
      "benches/polars_check.py compares them):")
    p("")
    p("| stage | cnexport | DuckDB | polars | DuckDB / cnexport | polars / cnexport |")
    p("|---|---|---|---|---|---|")
    ratio = lambda x, base: fmt(x / base) if x is not None and base else "n/a"
    for name, c, dv, pv in rows:
        out[name] = {"cnexport": c, "duckdb": dv, "polars": pv}
        p(f"| {name} | {fmt(c, ' s')} | {fmt(dv, ' s')} | {fmt(pv, ' s')} | {ratio(dv, c)} | {ratio(pv, c)} |")
    mem = (full_rss, duck_rss, pol_rss)
    p(f"| max RSS | {fmt(mem[0], ' MB', 0)} | {fmt(mem[1], ' MB', 0)} | {fmt(mem[2], ' MB', 0)} | {ratio(mem[1], mem[0])} | {ratio(mem[2], mem[0])} |")
    size = (full.get("database_bytes"), (duck or {}).get("db_bytes"), (pol or {}).get("parquet_bytes"))
    p(f"| output (cnexport: SQLite database; DuckDB: its database file; polars: Parquet files) | "
      f"{fmt((size[0] or 0) / 1e9, ' GB')} | {fmt((size[1] or 0) / 1e9, ' GB') if size[1] else 'n/a'} | "
      f"{fmt((size[2] or 0) / 1e9, ' GB') if size[2] else 'n/a'} | {ratio(size[1], size[0])} | {ratio(size[2], size[0])} |")
    out["max_rss_mb"] = dict(zip(("cnexport", "duckdb", "polars"), mem))
    out["output_bytes"] = dict(zip(("cnexport", "duckdb", "polars"), size))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", required=True)
    ap.add_argument("--scale", default="?")
    a = ap.parse_args()
    r = lambda name: os.path.join(a.res, name)

    gen = load_json(r("gen.json")) or {}
    full = load_json(r("full.report.json"))
    inc = load_json(r("inc.report.json"))
    inc_prev = load_json(r("inc_prev.report.json"))
    duck = load_json(r("duckdb.json"))
    ceil = load_json(r("ceiling.json"))
    full_rss, full_wall, full_status = time_v(r("full.time"))
    inc_rss, inc_wall, _ = time_v(r("inc.time"))
    duck_rss, duck_wall, _ = time_v(r("duckdb.time"))
    pol = load_json(r("polars.json"))
    pol_rss, pol_wall, _ = time_v(r("polars.time"))
    w = {k: wrk(r(f"wrk_{k}.txt")) for k in ("nginx_full", "api_full", "nginx_half", "api_half")}

    out = {"scale": a.scale, "generated": gen}
    lines = []
    p = lines.append
    p(f"### Results at scale {a.scale}: {fmt(gen.get('codes'))} HS codes x {gen.get('months')} months, "
      f"{fmt(gen.get('facts'))} facts, {fmt(gen.get('files'))} files, {fmt((gen.get('bytes') or 0) / 1e9, ' GB')}")
    p("")
    p("| measurement | value |")
    p("|---|---|")
    if full:
        t = full["times"]
        out["full"] = {"times": t, "peak_memory_mb": full.get("peak_memory_mb"), "max_rss_mb": full_rss,
                       "facts": full.get("facts"), "database_bytes": full.get("database_bytes")}
        p(f"| cnexport full build (cold stage), total | {fmt(t['total_secs'], ' s')} (wall {fmt(full_wall, ' s')}, "
          f"CPU {fmt(cpu(r('full.time')), ' s')}, load average before {fmt(load_before(r('full.load')))}) |")
        c = lambda k: f" (CPU {fmt(t.get(k), ' s')})" if t.get(k) is not None else ""
        p(f"| - ingest (parse {full.get('files_parsed')} files + stage) | {fmt(t['ingest_secs'], ' s')}{c('ingest_cpu_secs')} |")
        if t.get('merge_secs') is not None:
            p(f"| - merge (the overlap rule, last step of ingest) | {fmt(t['merge_secs'], ' s')}{c('merge_cpu_secs')} |")
        p(f"| - transform (the aggregates) | {fmt(t['transform_secs'], ' s')}{c('transform_cpu_secs')} = {fmt(full['facts'] / t['transform_secs'] / 1e6, ' M facts/s')} |")
        p(f"| - load (SQLite, indexes, check) | {fmt(t['load_secs'], ' s')}{c('load_cpu_secs')} |")
        p(f"| peak memory (report / time -v max RSS) | {fmt(full.get('peak_memory_mb'), ' MB', 0)} / {fmt(full_rss, ' MB', 0)} |")
        p(f"| database | {fmt(full.get('database_bytes', 0) / 1e9, ' GB')} |")
    else:
        err = ""
        try:
            log_lines = open(r("full.log")).read().strip().splitlines()
            err = next((l for l in log_lines if "error" in l or "failed" in l), log_lines[-1])[:200]
        except (OSError, IndexError):
            pass
        out["full"] = {"failed": True, "exit_status": full_status, "max_rss_mb": full_rss, "error": err}
        p(f"| cnexport full build | FAILED (exit {full_status}) after {fmt(full_wall, ' s')}, max RSS {fmt(full_rss, ' MB', 0)}: `{err}` |")
    if inc:
        out["incremental"] = {"times": inc["times"], "files_parsed": inc.get("files_parsed"),
                              "load_mode": inc.get("load_mode"), "load_note": inc.get("load_note"),
                              "files_from_stage": inc.get("files_from_stage"), "max_rss_mb": inc_rss,
                              "previous_build_total_secs": inc_prev["times"]["total_secs"] if inc_prev else None}
        t = inc["times"]
        p(f"| monthly incremental (1 new file, {inc.get('files_from_stage')} from the stage; load {inc.get('load_mode', 'full')}: {inc.get('load_note') or ''}) | {fmt(t['total_secs'], ' s')}: "
          f"ingest {fmt(t['ingest_secs'], ' s')}, merge {fmt(t.get('merge_secs'), ' s')}, transform {fmt(t['transform_secs'], ' s')}, load {fmt(t['load_secs'], ' s')}; "
          f"CPU {fmt(cpu(r('inc.time')), ' s')}, load average before {fmt(load_before(r('inc.load')))} |")
    if duck:
        out["duckdb"] = dict(duck, max_rss_mb=duck_rss, wall=duck_wall)
        t = duck["times"]
        p(f"| DuckDB {duck['duckdb_version']} ({duck['threads']} threads), total | {fmt(t['total'], ' s')}: ingest {fmt(t['ingest'], ' s')}, "
          f"aggregation {fmt(t['transform_total'], ' s')}, checkpoint {fmt(t['checkpoint'], ' s')}; max RSS {fmt(duck_rss, ' MB', 0)}; "
          f"CPU {fmt(cpu(r('duckdb.time')), ' s')}, load average before {fmt(load_before(r('duckdb.load')))} |")
    if ceil:
        out["sqlite_ceiling"] = ceil
        t = ceil["times"]
        p(f"| SQLite {ceil['sqlite_version']} ceiling (INSERT ... SELECT + same indexes, ANALYZE, check, fsync) | {fmt(t['total'], ' s')}: "
          f"insert {fmt(t['insert'], ' s')}, indexes {fmt(t['indexes'], ' s')}, analyze {fmt(t['analyze'], ' s')}, "
          f"integrity_check {fmt(t['integrity_check'], ' s')}; CPU {fmt(t.get('total_cpu'), ' s')} |")
    for k, label in (("nginx_full", "nginx, full load (32 connections)"), ("api_full", "cnexport serve, full load (32 connections)"),
                     ("nginx_half", "nginx, half load"), ("api_half", "cnexport serve, half load")):
        d = w.get(k)
        if d:
            out[f"wrk_{k}"] = d
            p(f"| /skill/dashboard: {label} | {fmt(d['rps'], ' req/s', 0)}, p50 {fmt(d['p50_us'] / 1000, ' ms')}, "
              f"p99 {fmt(d['p99_us'] / 1000, ' ms')}, errors {d['errors']} |")
    if full and (duck or pol):
        out["peers"] = peers(full, duck, pol, cpu(r("full.time")), cpu(r("duckdb.time")), cpu(r("polars.time")),
                             full_rss, duck_rss, pol_rss, p)
        try:
            check = open(r("polars_check.txt")).read().strip()
        except OSError:
            check = ""
        if check:
            out["polars_check"] = check.splitlines()
            p("")
            p("polars' tables against DuckDB's (benches/polars_check.py):")
            p("")
            for l in check.splitlines():
                p(f"    {l}")
    p("")
    p("| target | measured | goal | ratio to goal | met |")
    p("|---|---|---|---|---|")
    targets = []

    def target(name, measured, goal, ratio, ok, unit=""):
        targets.append({"target": name, "measured": measured, "goal": goal, "ratio": ratio, "met": ok})
        p(f"| {name} | {measured} | {goal} | {fmt(ratio)} | {'yes' if ok else ('NO' if ok is not None else 'n/a')} |")

    if full and duck:
        ratio = full["times"]["total_secs"] / duck["times"]["total"]
        target("full build vs DuckDB (cnexport / DuckDB)", f"{fmt(full['times']['total_secs'], ' s')} / {fmt(duck['times']['total'], ' s')} = {fmt(ratio)}",
               "<= 0.50", ratio, ratio <= 0.50)
        fc, dc = cpu(r("full.time")), cpu(r("duckdb.time"))
        if fc and dc:
            p(f"| (same, in CPU seconds: a check against the machine's load) | {fmt(fc, ' s')} / {fmt(dc, ' s')} = {fmt(fc / dc)} | | | |")
    else:
        target("full build vs DuckDB", "n/a", "<= 0.50", None, None if full else False)
    if full and full.get("database_bytes") and full.get("facts"):
        per_fact = full["database_bytes"] / full["facts"]
        target("database size per fact", fmt(per_fact, " bytes"), "<= 50 bytes", per_fact / 50, per_fact <= 50)
    if full:
        rate = full["facts"] / full["times"]["transform_secs"]
        target("transform throughput", fmt(rate / 1e6, " M facts/s"), ">= 20 M facts/s", rate / 20e6, rate >= 20e6)
        tc = full["times"].get("transform_cpu_secs")
        if tc:
            p(f"| (same, per CPU second: x2 for the 2 cores of an idle machine) | {fmt(full['facts'] / tc / 1e6, ' M facts/CPU s')} | | | |")
    else:
        target("transform throughput", "n/a", ">= 20 M facts/s", None, False)
    if full and ceil:
        ratio = ceil["times"]["total"] / full["times"]["load_secs"]
        target("load vs SQLite ceiling (ceiling time / load time)", f"{fmt(ceil['times']['total'], ' s')} / {fmt(full['times']['load_secs'], ' s')}",
               ">= 0.5", ratio, ratio >= 0.5)
        lc, cc = full["times"].get("load_cpu_secs"), ceil["times"].get("total_cpu")
        if lc and cc:
            p(f"| (same, in CPU seconds) | {fmt(cc, ' s')} / {fmt(lc, ' s')} = {fmt(cc / lc)} | | | |")
    if full and inc:
        ratio = inc["times"]["total_secs"] / full["times"]["total_secs"]
        target("monthly incremental / full build", f"{fmt(inc['times']['total_secs'], ' s')} / {fmt(full['times']['total_secs'], ' s')}",
               "<= 0.08", ratio, ratio <= 0.08)
        ic, fc = inc["times"].get("total_cpu_secs"), full["times"].get("total_cpu_secs")
        if ic and fc:
            p(f"| (same, in CPU seconds) | {fmt(ic, ' s')} / {fmt(fc, ' s')} = {fmt(ic / fc)} | | | |")
    peak = max(x for x in (full_rss, (full or {}).get("peak_memory_mb"), inc_rss, 0) if x is not None)
    if peak:
        target("peak memory (largest cnexport build, full or incremental)", fmt(peak / 1024, " GB"), "<= 2 GB", (peak / 1024) / 2, peak <= 2048 and bool(full))
    if w.get("api_full") and w.get("nginx_full"):
        ratio = w["api_full"]["rps"] / w["nginx_full"]["rps"]
        target("dashboard req/s vs nginx (full load)", f"{fmt(w['api_full']['rps'], '', 0)} / {fmt(w['nginx_full']['rps'], '', 0)}",
               ">= 0.5", ratio, ratio >= 0.5)
    if w.get("api_half") and w.get("nginx_half"):
        ratio = w["api_half"]["p99_us"] / max(w["nginx_half"]["p99_us"], 1)
        target("dashboard p99 vs nginx (half load)", f"{fmt(w['api_half']['p99_us'] / 1000, ' ms')} / {fmt(w['nginx_half']['p99_us'] / 1000, ' ms')}",
               "<= 2.0", ratio, ratio <= 2.0)
    out["targets"] = targets
    sizes = load_json(r("sizes.json"))
    if sizes and sizes.get("objects"):
        out["sizes"] = sizes
        p("")
        p(f"Where the database's {fmt(sizes['bytes'] / 1e9, ' GB')} go ({fmt(sizes['bytes_per_fact'], ' bytes')} per fact; "
          f"SQLite's dbstat, benches/sqlite_sizes.py):")
        p("")
        p("| table or index | rows | bytes | bytes per fact |")
        p("|---|---|---|---|")
        for o in sizes["objects"][:12]:
            label = o["name"] if o["type"] == "table" else f"{o['name']} (index of {o['table']})"
            p(f"| {label} | {fmt(o['rows']) if o['rows'] is not None else ''} | {fmt(o['bytes'] / 1e6, ' MB', 1)} | "
              f"{fmt(o['bytes_per_fact'])} |")
    mixes = ("dashboard", "growth", "priceband", "chapter", "seasonality", "seasonality_country",
             "series_history", "series_history_country", "top_chance", "top_season")
    for prefix, title in (("ep", "with the answer cache (default; after the warm-up mostly hits)"),
                          ("nocache", "without the answer cache (--cache-mb 0: every request reads the database)")):
        ep = {k: wrk(r(f"wrk_{prefix}_{k}.txt")) for k in mixes}
        if not any(ep.values()):
            continue
        p("")
        p(f"Each endpoint under full load (cnexport serve, 32 connections, the same 400 codes), {title}:")
        p("")
        p("| endpoint (request mix) | req/s | p50 | p99 | p99 / dashboard's | errors |")
        p("|---|---|---|---|---|---|")
        base = (ep.get("dashboard") or {}).get("p99_us")
        for k in mixes:
            d = ep.get(k)
            if not d:
                continue
            out[f"wrk_{prefix}_{k}"] = d
            rel = fmt(d["p99_us"] / base) if base else "n/a"
            p(f"| {k} | {fmt(d['rps'], '', 0)} | {fmt(d['p50_us'] / 1000, ' ms')} | {fmt(d['p99_us'] / 1000, ' ms')} | "
              f"{rel} | {d['errors']} |")
    real = {k: wrk(r(f"wrk_{k}_realistic.txt")) for k in ("nginx", "api")}
    if real["nginx"] and real["api"]:
        p("")
        p("A realistic load (32 connections): requests drawn uniformly at random from dashboard, markets, "
          "trend and history over every code of every level; cnexport without the answer cache "
          "(--cache-mb 0) beside nginx serving the same bodies:")
        p("")
        p("| server | req/s | p50 | p99 | errors |")
        p("|---|---|---|---|---|")
        for k, label in (("nginx", "nginx (static files)"), ("api", "cnexport serve --cache-mb 0")):
            d = real[k]
            out[f"wrk_{k}_realistic"] = d
            p(f"| {label} | {fmt(d['rps'], '', 0)} | {fmt(d['p50_us'] / 1000, ' ms')} | "
              f"{fmt(d['p99_us'] / 1000, ' ms')} | {d['errors']} |")
        a_, n_ = real["api"], real["nginx"]
        p(f"| cnexport / nginx | {fmt(a_['rps'] / n_['rps'])} | {fmt(a_['p50_us'] / max(n_['p50_us'], 1))} | "
          f"{fmt(a_['p99_us'] / max(n_['p99_us'], 1))} | |")
    with open(r("results.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
