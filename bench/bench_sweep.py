"""Benchmark of the experiment engine, goals measured as ratios in one run:

1. a sweep of 32 baseline county-years with 2 workers takes at most 1/1.8 of the
   same sweep run serially;
2. the engine's own overhead per run (everything but building and running the
   model: dispatch, writing the run file, resuming, aggregating the tables) stays
   under 5% of a baseline run.

Exit code 1 if a goal is missed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sim.experiments.spec import experiment_from_data
from sim.experiments.sweep import run_experiment

ROOT = Path(__file__).resolve().parents[1]


def sweep(runs: int):
    """32 runs: 4 scenarios (stations at 25/50/75/100% coverage... kept small: 4 sorter
    levels, same routes) x 8 replications of the baseline county-year."""
    return experiment_from_data({"base": "baseline.yaml", "replications": runs // 4,
                                 "levers": {"hub.sorters": [3, 4, 5, 6]}}, str(ROOT / "experiments" / "bench.yaml"),
                                ROOT / "experiments")


def timed(exp, workers: int, folder: Path):
    t0 = time.perf_counter()
    res = run_experiment(exp, folder, workers=workers, quiet=True, figures=False)
    wall = time.perf_counter() - t0
    assert res.failed == 0 and len(res.tables["runs"]) == sum(1 for _ in res.tables["runs"])
    return wall, res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=32)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    exp = sweep(args.runs)
    tmp = Path(tempfile.mkdtemp(prefix="ruralsim-bench-"))
    try:
        t_serial, serial = timed(exp, 1, tmp / "serial")
        t_par, _ = timed(exp, 2, tmp / "parallel")
        identical = all((tmp / "serial" / n).read_bytes() == (tmp / "parallel" / n).read_bytes()
                        for n in ("runs.csv", "summary.csv", "comparisons.csv"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(serial.tables["runs"])
    model_s = serial.sim_s                      # build + run + evaluate, summed over the serial runs
    per_run = model_s / n
    overhead = (t_serial - model_s) / n
    speedup = t_serial / t_par
    goals = {"serial_over_2_workers >= 1.8": speedup >= 1.8,
             "engine_overhead_per_run < 5% of a run": overhead < 0.05 * per_run,
             "identical tables": identical}
    n_scenarios = len(exp.scenarios)
    print(f"sweep of {n} baseline county-years ({n_scenarios} scenarios x {n // n_scenarios} replications):")
    print(f"  serial (in-process)      {t_serial:8.2f} s")
    print(f"  2 workers                {t_par:8.2f} s   speed-up {speedup:.2f}x (goal >= 1.8)   "
          f"{'PASS' if goals['serial_over_2_workers >= 1.8'] else 'FAIL'}")
    print(f"  model time per run       {per_run * 1000:8.1f} ms")
    print(f"  engine overhead per run  {overhead * 1000:8.1f} ms = {overhead / per_run:.1%} of a run (goal < 5%)   "
          f"{'PASS' if goals['engine_overhead_per_run < 5% of a run'] else 'FAIL'}")
    print(f"  tables identical (1 vs 2 workers): {identical}")
    if args.json:
        Path(args.json).write_text(json.dumps({"serial_s": t_serial, "parallel_s": t_par, "speedup": speedup,
                                               "model_s_per_run": per_run, "overhead_s_per_run": overhead,
                                               "goals": goals}, indent=2) + "\n")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
