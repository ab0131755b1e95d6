"""Benchmark of the national year: runs ``ruralsim run experiments/national_year.yaml``
(the whole country, or ``--counties N`` for a sample) into a fresh folder and measures
wall time, CPU time of the parent and its workers, and the peak of their summed
resident memory (sampled every 0.2 s over the process tree). A sample's time is
extrapolated to the country by CPU seconds per county-year over the cores; its memory is
not (a worker's resident memory creeps up over its county-years), so the memory goal is
judged on the whole country only. Goals: at most 15 minutes wall and 1 GiB summed peak
memory on 2 cores. The load average before and after is printed, since a shared machine
slows the wall time. Exit code 1 if a goal is missed (for a sample: the time goal, by the
extrapolation).

    python bench/bench_national.py                 # 200 counties, extrapolated
    python bench/bench_national.py --counties 0    # the whole country
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "national_year.yaml"
GOAL_WALL_S = 15 * 60.0
GOAL_RSS_MIB = 1024.0


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for k in kids:
        out += _tree(int(k))
    return out


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=200, help="sample size (0: the whole country)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.rollout.national_spec import load_national
    country = len(load_national(CONFIG).counties())
    out = Path(tempfile.mkdtemp(prefix="bench_national_"))
    cmd = [str(Path(sys.executable).parent / "ruralsim"), "run", str(CONFIG),
           "--out", str(out / "run"), "--workers", str(args.workers), "--quiet"]
    if args.counties:
        cmd += ["--counties", str(args.counties)]
    n = min(args.counties, country) if args.counties else country
    load0 = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _rss_kib(_tree(proc.pid)))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load1 = os.getloadavg()
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        print(f"bench_national: the run failed (exit {proc.returncode})")
        return 1
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per = cpu / n
    est = wall if n == country else per * country / args.workers
    rss = peak / 1024
    print(f"national year, {n:,} county-years on {args.workers} workers: wall {wall:.1f} s, CPU {cpu:.1f} s "
          f"({per:.3f} CPU-s per county-year), peak memory (parent + workers) {rss:.0f} MiB; "
          f"load average {load0[0]:.1f} before, {load1[0]:.1f} after")
    if n != country:
        print(f"the country ({country:,} county-years) at {per:.3f} CPU-s each on {args.workers} cores: "
              f"about {est / 60:.1f} min on an otherwise idle machine")
        ok = est <= GOAL_WALL_S
        print(f"goal: <= {GOAL_WALL_S / 60:.0f} min: {'met' if ok else 'MISSED'} (by the extrapolation); the "
              f"<= {GOAL_RSS_MIB:.0f} MiB memory goal is judged on the whole country only (COUNTIES=0)")
        return 0 if ok else 1
    ok = est <= GOAL_WALL_S and rss <= GOAL_RSS_MIB
    print(f"goal: <= {GOAL_WALL_S / 60:.0f} min and <= {GOAL_RSS_MIB:.0f} MiB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
