#!/usr/bin/env python3
"""Memory over time of one command: its resident set (VmRSS of the process,
from /proc) sampled every --every seconds, beside the lines it logs, so
that the peak can be put on a stage. For `cnexport build` run it with
RUST_LOG=info: the build logs "ingest done", "transform done", "load done".

Prints the log lines with the resident set at that moment, then the peak
and the largest resident set between each pair of log lines (one stage).

With --stop-after TEXT the command is killed once it logs a line holding
TEXT (to profile the early stages of a long build).

usage: mem_timeline.py [--every 0.1] [--stop-after TEXT] -- COMMAND [ARG ...]
"""

import argparse
import subprocess
import sys
import threading
import time


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=float, default=0.1)
    ap.add_argument("--stop-after", default=None)
    ap.add_argument("--samples", default=None, help="write every sample (seconds, MB) to this file")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            r = rss_mb(p.pid)
            if r is not None:
                samples.append((time.perf_counter() - t0, r))
            time.sleep(a.every)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    marks = []
    for line in p.stdout:
        now = time.perf_counter() - t0
        marks.append((now, line.rstrip()))
        if a.stop_after and a.stop_after in line:
            p.kill()
            break
    rc = p.wait()
    done.set()
    th.join()

    def peak(lo, hi):
        vals = [r for t, r in samples if lo <= t < hi]
        return max(vals) if vals else None

    prev = 0.0
    print(f"{'time s':>8} {'RSS MB':>8} {'stage peak MB':>14}  line")
    for t, line in marks:
        cur = [r for s, r in samples if s <= t]
        pk = peak(prev, t)
        print(f"{t:8.2f} {cur[-1] if cur else 0:8.0f} {pk if pk is not None else 0:14.0f}  {line[:320]}")
        prev = t
    if a.samples:
        with open(a.samples, "w") as f:
            for t, r in samples:
                f.write(f"{t:.2f} {r:.0f}\n")
    top = max(samples, key=lambda s: s[1]) if samples else (0, 0)
    print(f"peak {top[1]:.0f} MB at {top[0]:.2f} s; exit status {rc}; {len(samples)} samples")
    return rc


if __name__ == "__main__":
    sys.exit(main())
