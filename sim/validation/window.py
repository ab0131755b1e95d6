"""Validation of the KPI window: books that balance over a window opened after a
warm-up, and the station cold rooms' saving over a whole harvest season against an
analytic bound."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sim.config.scenario import CountyConfig, Scenario
from sim.county.batches import Lots
from sim.county.kpis import evaluate
from sim.county.model import CountyModel, plan
from sim.validation.core import Case, CaseResult, mean_ci

REPS = 5
KG_TOLERANCE = 1e-9        # relative, stated before the run (float sums of kilograms)
IN_SYSTEM_END_MAX = 0.001  # share of the produce offered still in the system at the window's end


def _replace(sc: Scenario, section: str, **changes) -> Scenario:
    return dataclasses.replace(sc, **{section: dataclasses.replace(getattr(sc, section), **changes)})


# ---- conservation over a window opened after a warm-up ------------------------------------
def window_conservation(figures: Path) -> list[CaseResult]:
    """Small counties whose windows open at different points of the year (mid-harvest
    included), after warm-ups of 7 to 40 days: the books close from the runs.csv
    columns alone."""
    worst_parcels, worst_kg, runs = 0.0, 0.0, 0
    for r, (start, warm) in enumerate([(290, 14), (330, 40), (20, 7), (182, 28)]):
        sc = Scenario(horizon_d=45, start_doy=start, warmup_d=warm, replications=1,
                      county=CountyConfig(area_km2=400, townships=4, villages=40))
        k = evaluate(CountyModel(sc, r).run()).kpis
        parcels = (k["inbound_parcels_ordered"] + k["inbound_parcels_in_system_start"]
                   - k["inbound_parcels_delivered"] - k["inbound_parcels_in_system"])
        came = k["outbound_produce_offered_kg"] + k["outbound_produce_in_system_start_kg"]
        went = (k["outbound_produce_sold_kg"] + k["outbound_produce_spoiled_kg"]
                + k["outbound_produce_in_system_kg"])
        worst_parcels = max(worst_parcels, abs(parcels))
        worst_kg = max(worst_kg, abs(came - went) / max(1.0, came))
        runs += 1
    ok = worst_parcels == 0.0 and worst_kg <= KG_TOLERANCE
    return [CaseResult(
        "window_conservation", "extreme", "With a warm-up, the KPI window's books close from runs.csv columns "
        "alone: ordered + in system at start = delivered + in system at end (parcels), offered + in system at "
        "start = sold + spoiled + in system at end (kg).", 0.0, "conservation of parcels and kilograms",
        float(worst_parcels), float("nan"), f"0 parcels and at most {KG_TOLERANCE:g} relative in kg", ok,
        unit="parcels", replications=runs,
        note=f"Largest produce gap {worst_kg:.2g} (relative) over {runs} runs; windows open on days 290, 330, 20 "
             "and 182 of the year after 14, 40, 7 and 28 warm-up days.")]


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
    Case("window_conservation", "extreme", False, window_conservation),
    Case("cold_room_bound", "theory", True, cold_room_bound),
]
