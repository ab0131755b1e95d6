"""Benchmark of a regional rollout, the goal measured as a ratio in one run: a
50-county region run by the rollout engine (one worker: schedule, tasks, result
files, streaming aggregation) takes at most 1.2x the time of simulating the same
counties one by one directly, i.e. time per county within 1.2x of a single county run.

Exit code 1 if the goal is missed.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from sim.compare import run_compare
from sim.rollout import geographies, rollout_from_data, schedule_for, simulate_county

ROOT = Path(__file__).resolve().parents[1]

CONFIG = {
    "name": "bench_region", "base": "baseline.yaml",
    "region": {"counties": 50, "seed": 3, "villages": {"min": 150, "max": 300}},
    "horizon_m": 6, "sample_days": 5, "warmup_days": 2, "replications": 1, "budget_per_year_cny": 2.0e+8,
    "strategies": {"largest_first": {"village_order": "largest_first"}},
}


def main() -> int:
    ro = rollout_from_data(CONFIG, str(ROOT / "experiments" / "bench_region.yaml"), ROOT / "experiments")
    strategy = ro.strategies[0]
    geos = geographies(ro, ro.operating_models[strategy.operating_model])
    sched = schedule_for(ro, strategy, geos)
    t0 = time.perf_counter()
    for c, geo in enumerate(geos):
        simulate_county(ro, strategy, 0, c, geo, sched)
    single = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="ruralsim-bench-region-"))
    try:
        t0 = time.perf_counter()
        run_compare(ro, tmp, workers=1, quiet=True)
        region = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(geos)
    ratio = region / single
    ok = ratio <= 1.2
    print(f"regional rollout of {n} counties x {ro.horizon_m} months (1 worker):")
    print(f"  counties one by one      {single:8.2f} s  ({single / n * 1000:.0f} ms per county)")
    print(f"  region engine            {region:8.2f} s  ({region / n * 1000:.0f} ms per county)")
    print(f"  ratio per county = {ratio:.2f}   (goal <= 1.2)   {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
