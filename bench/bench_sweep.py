"""Benchmark of the run engine, each goal measured within interleaved pairs (median
and range over at least 5 pairs; every pair in results/bench/sweep.csv):

1. a sweep of 32 baseline county-years with 2 workers is at least 1.85x faster than
   the same sweep run serially;
2. the engine's own overhead per run (everything but planning, building and running
   the model: dispatch, writing the run file, resuming, aggregating the tables) is at
   most 2% of a run.

Beside the goals it reports the machine's own ceiling: the same number of county-years
run by two bare forked processes against one (pairs as above, no engine), and the
engine's speed-up as a share of it.

Exit code 1 if a goal is missed.
"""
from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_county import county_year
from pairs import interleaved, spread, verdict, write_table

from sim.config.scenario import load_scenario
from sim.experiments.spec import experiment_from_data
from sim.experiments.sweep import run_experiment

ROOT = Path(__file__).resolve().parents[1]
GOAL_SPEEDUP = 1.85
GOAL_OVERHEAD = 0.02


def sweep(runs: int):
    """``runs`` baseline county-years: 4 sorter levels (the same routes) x runs/4 replications."""
    return experiment_from_data({"base": "baseline.yaml", "replications": runs // 4,
                                 "levers": {"hub.sorters": [3, 4, 5, 6]}}, str(ROOT / "experiments" / "bench.yaml"),
                                ROOT / "experiments")


def _years(n: int) -> None:
    sc = load_scenario(ROOT / "experiments" / "baseline.yaml")
    for _ in range(n):
        county_year(sc)


def bare(processes: int, years: int) -> float:
    """Wall time of ``years`` baseline county-years split over ``processes`` forked
    processes (1: in this process), without the run engine."""
    t0 = time.perf_counter()
    if processes == 1:
        _years(years)
    else:
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_years, args=(years // processes,)) for _ in range(processes)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=32)
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args(argv)
    exp = sweep(args.runs)
    tmp = Path(tempfile.mkdtemp(prefix="ruralsim-bench-"))
    overheads: list[float] = []
    identical = True
    counter = iter(range(10**6))

    def timed(workers: int) -> float:
        folder = tmp / f"w{workers}-{next(counter)}"
        t0 = time.perf_counter()
        res = run_experiment(exp, folder, workers=workers, quiet=True, figures=False)
        wall = time.perf_counter() - t0
        assert res.failed == 0
        if workers == 1:
            overheads.append((wall - res.sim_s) / res.sim_s)   # engine time over model time (plan + run)
        return wall

    try:
        pairs = interleaved(lambda: timed(1), lambda: timed(2), max(5, args.pairs))
        folders = sorted(tmp.iterdir())
        serial = next(f for f in folders if f.name.startswith("w1-"))
        parallel = next(f for f in folders if f.name.startswith("w2-"))
        identical = all((serial / n).read_bytes() == (parallel / n).read_bytes()
                        for n in ("runs.csv", "summary.csv", "comparisons.csv"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _years(1)   # warm this process's caches and imports before forking
    bare_pairs = interleaved(lambda: bare(1, args.runs), lambda: bare(2, args.runs), max(5, args.pairs))
    ceilings = [a / b for a, b in bare_pairs]
    c_med, c_lo, c_hi = spread(ceilings)
    speedups = [a / b for a, b in pairs]
    s_med, s_lo, s_hi = spread(speedups)
    o_med, o_lo, o_hi = spread(overheads)
    write_table("sweep", ("pair", "serial_s", "two_workers_s", "speedup", "engine_overhead_share",
                          "bare_one_process_s", "bare_two_processes_s", "machine_ceiling"),
                [(i, round(a, 3), round(b, 3), round(a / b, 3), round(o, 4), round(c, 3), round(d, 3), round(c / d, 3))
                 for i, ((a, b), o, (c, d)) in enumerate(zip(pairs, overheads, bare_pairs, strict=True))])
    ok_speed, ok_over = s_med >= GOAL_SPEEDUP, o_med <= GOAL_OVERHEAD
    print(f"sweep of {args.runs} baseline county-years, {len(pairs)} interleaved pairs (serial, 2 workers):")
    print(f"  speed-up with 2 workers  median {s_med:.2f}x (range {s_lo:.2f}-{s_hi:.2f})   goal >= {GOAL_SPEEDUP:g}   "
          f"{verdict(ok_speed)}")
    print(f"  machine's own ceiling    median {c_med:.2f}x (range {c_lo:.2f}-{c_hi:.2f}): the same {args.runs} "
          f"county-years in two bare processes against one; the engine reaches {s_med / c_med:.0%} of it")
    print(f"  engine overhead per run  median {o_med:.1%} of a run (range {o_lo:.1%}-{o_hi:.1%})   "
          f"goal <= {GOAL_OVERHEAD:.0%}   {verdict(ok_over)}")
    print(f"  tables identical (1 vs 2 workers): {identical}")
    print("  every pair: results/bench/sweep.csv")
    return 0 if ok_speed and ok_over and identical else 1


if __name__ == "__main__":
    sys.exit(main())
