"""Benchmark of one two-tier county-year (``network.tiers: 2``: feeders from the hub to
the township stations, each township's own routes to its villages), as interleaved
pairs with a raw SimPy timeout loop (median and range over at least 5 pairs; every
pair in results/bench/township.csv): simulated parcels per second over raw SimPy
events per second must be at least 2. The county-year's time includes route
planning (feeders and every township's routes), building, running and evaluating.

Beside the goal it reports what bounds it: the two-tier county-year's time over the
same county's with one tier, in interleaved pairs of their own.

Exit code 1 if the goal is missed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench_county import county_year, raw_simpy_rate
from pairs import interleaved, spread, verdict, write_table

from sim.config.scenario import load_scenario
from sim.county.planning import plan

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 2.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "experiments" / "baseline.yaml"))
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args(argv)
    pairs = max(5, args.pairs)
    sc = load_scenario(args.config).updated({"network.tiers": 2})
    parcels: dict[str, int] = {}

    def run() -> float:
        wall, n = county_year(sc)
        parcels["two_tier"] = n
        return wall

    run()   # warm caches and imports once
    rate_pairs = interleaved(raw_simpy_rate, run, pairs)
    ratios = [parcels["two_tier"] / wall / raw for raw, wall in rate_pairs]
    r_med, r_lo, r_hi = spread(ratios)
    # what bounds it: the same county with one tier, paired, and its own ratio
    one = load_scenario(args.config)
    tier_pairs = interleaved(lambda: county_year(one)[0], run, pairs)
    cost = [b / a for a, b in tier_pairs]
    c_med, c_lo, c_hi = spread(cost)
    p = plan(sc)
    assert p.feeder is not None
    write_table("township", ("pair", "raw_simpy_events_per_s", "county_year_s", "parcels_per_s_over_raw_events_per_s",
                             "one_tier_county_year_s", "two_tier_county_year_s", "two_tier_over_one_tier"),
                [(i, round(raw), round(w, 4), round(parcels["two_tier"] / w / raw, 3), round(a, 4), round(b, 4),
                  round(b / a, 3))
                 for i, ((raw, w), (a, b)) in enumerate(zip(rate_pairs, tier_pairs, strict=True))])
    ok = r_med >= GOAL_RATIO
    print(f"one two-tier county-year ({args.config} with network.tiers: 2; {len(p.feeder.routes)} feeder routes, "
          f"{len(p.routes)} township-to-village routes), {pairs} interleaved pairs, route planning included:")
    print(f"  parcels simulated          {parcels['two_tier']:,}")
    print(f"  parcels/s : raw SimPy events/s  median {r_med:.2f} (range {r_lo:.2f}-{r_hi:.2f})   "
          f"goal >= {GOAL_RATIO:g}   {verdict(ok)}")
    print(f"  what bounds it: two-tier over one-tier county-year time  median {c_med:.2f} "
          f"(range {c_lo:.2f}-{c_hi:.2f}); with the same parcels the two-tier ratio is the one-tier ratio "
          f"(bench_county) divided by it, so the goal needs it at most the one-tier ratio / {GOAL_RATIO:g}")
    print("  every pair: results/bench/township.csv")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
