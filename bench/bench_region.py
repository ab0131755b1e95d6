"""Benchmark of a regional rollout, the goal measured as a ratio in one run: a
50-county region run by the rollout engine (one worker: schedule, tasks, result
files, streaming aggregation) takes at most 1.2x the time of running the same
counties one by one directly (each its geography and its months), i.e. time per
county within 1.2x of a single county run.

The two are measured as interleaved pairs (median and range over 5 pairs; every pair
in results/bench/region.csv). Exit code 1 if the goal is missed.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from pairs import interleaved, spread, verdict, write_table

from sim.rollout.compare import run_compare
from sim.rollout.region import county_geography, county_scenario
from sim.rollout.simulate import geographies, schedule_for, simulate_county
from sim.rollout.spec import rollout_from_data

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.2

CONFIG = {
    "name": "bench_region", "base": "baseline.yaml",
    "region": {"counties": 50, "seed": 3, "villages": {"min": 150, "max": 300}},
    "horizon_m": 6, "sample_days": 5, "warmup_days": 2, "replications": 1, "budget_per_year_cny": 2.0e+8,
    "strategies": {"largest_first": {"village_order": "largest_first"}},
}


def main() -> int:
    ro = rollout_from_data(CONFIG, str(ROOT / "experiments" / "bench_region.yaml"), ROOT / "experiments")
    strategy = ro.strategies[0]
    model = ro.operating_models[strategy.operating_model]
    geos = geographies(ro, model)
    sched = schedule_for(ro, strategy, geos)

    def one_by_one() -> float:
        t0 = time.perf_counter()
        for c, geo in enumerate(geos):  # each county on its own: its geography, then its months
            county_geography(county_scenario(model, geo.county, ro.seed), geo.county)
            simulate_county(ro, strategy, 0, c, geo, sched)
        return time.perf_counter() - t0

    def region() -> float:
        tmp = Path(tempfile.mkdtemp(prefix="ruralsim-bench-region-"))
        try:
            t0 = time.perf_counter()
            run_compare(ro, tmp, workers=1, quiet=True)
            return time.perf_counter() - t0
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    pairs = interleaved(one_by_one, region, 5)
    ratios = [b / a for a, b in pairs]
    med, lo, hi = spread(ratios)
    n = len(geos)
    ok = med <= GOAL_RATIO
    write_table("region", ("pair", "one_by_one_s", "region_engine_s", "ratio"),
                [(i, round(a, 3), round(b, 3), round(b / a, 3)) for i, (a, b) in enumerate(pairs)])
    print(f"regional rollout of {n} counties x {ro.horizon_m} months (1 worker), {len(pairs)} interleaved pairs:")
    print(f"  time per county, region engine over one by one: median {med:.2f} (range {lo:.2f}-{hi:.2f})   "
          f"goal <= {GOAL_RATIO:g}   {verdict(ok)}")
    print("  every pair: results/bench/region.csv")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
