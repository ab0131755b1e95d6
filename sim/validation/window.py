"""Validation over a whole harvest season: the station cold rooms' saving over a KPI
window holding the season, against an analytic bound."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sim.config.scenario import Scenario
from sim.county.batches import Lots
from sim.county.kpis import evaluate
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.validation.core import Case, CaseResult, mean_ci

REPS = 5
KG_TOLERANCE = 1e-9        # relative, stated before the run (float sums of kilograms)
IN_SYSTEM_END_MAX = 0.001  # share of the produce offered still in the system at the window's end


def _replace(sc: Scenario, section: str, **changes) -> Scenario:
    return dataclasses.replace(sc, **{section: dataclasses.replace(getattr(sc, section), **changes)})


# ---- station cold rooms over a whole season ------------------------------------------------
def _station_spoiled_kg(sc: Scenario, replication: int, the_plan) -> tuple[dict, float]:
    """KPIs of a run and the kilograms that spoiled at the stations in its KPI window."""
    model = CountyModel(sc, replication, the_plan)
    at_stations: list[tuple[float, float]] = []
    spoil = model.stations.on_spoil

    def tap(lots: Lots) -> None:
        if len(lots):
            at_stations.append((float(model.env.now), lots.total_kg))
        spoil(lots)

    model.stations.on_spoil = tap
    res = evaluate(model.run())
    start_h = 24.0 * sc.warmup_d
    # spoilage found at a midnight belongs to the day that ended (as in the KPIs)
    kg = sum(k for t, k in at_stations if t - 1e-9 >= start_h)
    return res.kpis, kg


def cold_room_bound(figures: Path) -> list[CaseResult]:
    """The whole-season saving of a 1 t cold room at every growing station, per
    replication, against the bound derived in the note."""
    base = Scenario()
    cold = _replace(base, "stations", cold_room_kg=1000.0)
    the_plan = plan(base)
    savings, bounds, ends = [], [], []
    for r in range(REPS):
        k0, station0 = _station_spoiled_kg(base, r, the_plan)
        k1, _ = _station_spoiled_kg(cold, r, the_plan)
        savings.append(k0["outbound_produce_spoiled_kg"] - k1["outbound_produce_spoiled_kg"])
        bounds.append(station0)
        ends.append(max(k0["outbound_produce_in_system_kg"] / max(k0["outbound_produce_offered_kg"], 1.0),
                        k1["outbound_produce_in_system_kg"] / max(k1["outbound_produce_offered_kg"], 1.0)))
    saved_kg, bound_kg = np.array(savings), np.array(bounds)
    ok_bound = bool(np.all(saved_kg <= bound_kg * (1 + KG_TOLERANCE)))
    ok_end = max(ends) <= IN_SYSTEM_END_MAX
    m, hw = mean_ci(saved_kg)
    share = float(np.mean(saved_kg / np.where(bound_kg > 0, bound_kg, np.nan)))
    return [CaseResult(
        "cold_room_saving_bound", "theory", "Over a KPI window holding the whole harvest season (1 July to 30 June), "
        "the spoilage a 1 t cold room at every growing station saves is at most the produce that spoiled at the "
        "stations without cold rooms, and almost no produce is left in the system at the window's end.",
        f"<= {bound_kg.mean():,.0f}", "bound derived in the note", m, hw,
        f"saving <= bound in every replication (paired, common random numbers); produce in the system at the end "
        f"<= {IN_SYSTEM_END_MAX:.1%} of produce offered", ok_bound and ok_end, unit="kg", replications=REPS,
        note="Derivation: a station cold room changes only how fast produce ages while it waits at its station "
             "(by shelf life / cold shelf life). Produce that left its station within its ambient shelf life "
             "without cold rooms would have left it as fresh or fresher with them and faces the same hub and trunk, "
             "so the only produce a cold room can save is produce that, without cold rooms, waited at a station "
             "longer than its ambient shelf life and spoiled there. Hence saving <= station spoilage without cold "
             "rooms (first order: it ignores changes in the order vans collect and in the hub's free room). "
             "Produce still in the system at the window's end is neither sold nor spoiled; a window ending in "
             "June, five months after the season, leaves none to be miscounted as saved. "
             f"Saving {m:,.0f} +- {hw:,.0f} kg = {share:.0%} of the bound on average; largest share left in the "
             f"system at the end {max(ends):.2%}.")]


CASES = [
    Case("cold_room_bound", "theory", True, cold_room_bound),
]
