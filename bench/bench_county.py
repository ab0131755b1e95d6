"""Benchmark of one baseline county-year, with the goals measured as ratios in the
same run (so a busy machine slows both sides alike):

1. simulated parcels per second / raw SimPy events per second (a bare timeout
   loop) must be at least 2: parcels cost far less than an event each;
2. ten times the demand with ten times the capacity (vehicles, trucks, sorters)
   must take less than 1.5x the baseline's wall time: work grows with events
   (trips, runs, lots), not with parcels.

Each timing is the best of several repetitions. Exit code 1 if a goal is missed.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import simpy

import sim.county.model
from sim.config.scenario import Scenario, load_scenario
from sim.county.kpis import evaluate
from sim.county.model import CountyModel, plan

ROOT = Path(__file__).resolve().parents[1]


def raw_simpy_rate(n: int = 300_000) -> float:
    """Events per second of a bare SimPy timeout loop."""
    env = simpy.Environment()

    def loop():
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(loop())
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0)


class CountingEnvironment(simpy.Environment):
    """An environment that counts the events it processes (used untimed)."""
    events = 0

    def step(self):
        CountingEnvironment.events += 1
        return super().step()


def count_events(scenario: Scenario, the_plan) -> int:
    CountingEnvironment.events = 0
    # the model builds its environment as `simpy.Environment()`: swap the class for the run
    model_simpy = sim.county.model.simpy
    original = model_simpy.Environment
    setattr(model_simpy, "Environment", CountingEnvironment)  # noqa: B010 (mypy: no assigning to a type)
    try:
        CountyModel(scenario, 0, the_plan).run()
    finally:
        setattr(model_simpy, "Environment", original)  # noqa: B010
    return CountingEnvironment.events


def time_run(scenario: Scenario, the_plan) -> tuple[float, int]:
    """Wall time of one replication (build, run, evaluate) and its parcels."""
    t0 = time.perf_counter()
    res = evaluate(CountyModel(scenario, 0, the_plan).run())
    return time.perf_counter() - t0, res.kpis["inbound_parcels_ordered"]


def scaled(sc: Scenario, k: float) -> Scenario:
    """k times the demand and k times the capacity of vehicles, trucks and sorting."""
    veh = {name: dataclasses.replace(v, capacity_kg=v.capacity_kg * k, capacity_parcels=int(v.capacity_parcels * k))
           for name, v in sc.vehicle_types.items()}
    return dataclasses.replace(
        sc, vehicle_types=veh,
        demand=dataclasses.replace(sc.demand, parcels_per_resident_y=sc.demand.parcels_per_resident_y * k),
        trunk=dataclasses.replace(sc.trunk, truck_capacity_parcels=int(sc.trunk.truck_capacity_parcels * k),
                                  truck_capacity_kg=sc.trunk.truck_capacity_kg * k),
        hub=dataclasses.replace(sc.hub, sort_rate_parcels_per_h=sc.hub.sort_rate_parcels_per_h * k),
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "experiments" / "baseline.yaml"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    base = load_scenario(args.config)
    big = scaled(base, 10.0)
    t_plan0 = time.perf_counter()
    plan_base = plan(base)
    t_plan = time.perf_counter() - t_plan0
    plan_big = plan_base  # the same routes, driven by vehicles of ten times the capacity

    raw, t_base, t_big = [], [], []
    parcels = parcels_big = 0
    for _ in range(args.repeat):  # interleaved, so load on the machine hits all three alike
        raw.append(raw_simpy_rate())
        dt, parcels = time_run(base, plan_base)
        t_base.append(dt)
        dt, parcels_big = time_run(big, plan_big)
        t_big.append(dt)
    events = count_events(base, plan_base)
    raw_rate, wall, wall_big = max(raw), min(t_base), min(t_big)
    parcel_rate = parcels / wall
    ratio = parcel_rate / raw_rate
    growth = wall_big / wall
    goals = {"parcels_per_s_over_raw_events_per_s >= 2": ratio >= 2.0,
             "wall_10x_demand_and_capacity_over_baseline < 1.5": growth < 1.5}
    report = {
        "route_planning_s": round(t_plan, 4),
        "wall_time_s": round(wall, 4),
        "simpy_events": events,
        "parcels": int(parcels),
        "parcels_per_s": round(parcel_rate),
        "model_events_per_s": round(events / wall),
        "raw_simpy_events_per_s": round(raw_rate),
        "ratio_parcels_per_s_to_raw_events_per_s": round(ratio, 3),
        "wall_time_10x_s": round(wall_big, 4),
        "parcels_10x": int(parcels_big),
        "ratio_wall_10x_to_baseline": round(growth, 3),
        "goals": goals,
    }
    print(f"one baseline county-year ({args.config}), best of {args.repeat}:")
    print(f"  route planning            {t_plan:9.3f} s (once per scenario)")
    print(f"  wall time                 {wall:9.3f} s  (build, run, evaluate)")
    print(f"  SimPy events              {events:9d}")
    print(f"  parcels simulated         {parcels:9d}  -> {parcel_rate:,.0f} parcels/s")
    print(f"  raw SimPy (timeout loop)  {raw_rate:11,.0f} events/s")
    verdict = {key: "PASS" if ok else "FAIL" for key, ok in goals.items()}
    print(f"  ratio parcels/s : raw events/s = {ratio:.2f}   (goal >= 2)   "
          f"{verdict['parcels_per_s_over_raw_events_per_s >= 2']}")
    print(f"  10x demand and capacity: {wall_big:.3f} s for {parcels_big} parcels;"
          f" ratio to baseline = {growth:.2f}   (goal < 1.5)   "
          f"{verdict['wall_10x_demand_and_capacity_over_baseline < 1.5']}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
