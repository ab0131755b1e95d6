"""Little's law at the hub in steady state: over a window inside a long run without
calendar peaks, the time average of the parcels in the hub (sampled) against the
arrival rate times the mean time in the hub (both measured from the flows). Unlike a
run that starts and ends empty, where L = lambda W is a bookkeeping identity, the
window's edges cut through parcels in the hub, so the law holds only approximately
and the case can fail if the samples, the flows or the hub's clock disagree."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.config.scenario import CountyConfig, Scenario
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.validation.core import Case, CaseResult, relative_result

#: the window: days 60-300 of a run (60 warm-up days, then 240 days)
LITTLE_WARMUP_D, LITTLE_WINDOW_D = 60, 240
LITTLE_REPS = 3
LITTLE_MONITOR_H = 0.25
#: relative tolerance on L / (lambda W), stated before the run. Edge effect: parcels in
#: the hub at the window's two edges (under a day's flow each) are at most ~2 x 1 / 240
#: of the window's parcel-hours (< 1%); sampling a daily cycle every 0.25 h off the hour
#: adds well under 1%.
LITTLE_TOL = 0.02


def little_hub_steady(figures: Path) -> list[CaseResult]:
    sc = Scenario(horizon_d=LITTLE_WINDOW_D, start_doy=100, warmup_d=LITTLE_WARMUP_D, replications=1,
                  county=CountyConfig(area_km2=800, townships=8, villages=120))
    sc = sc.updated({"demand.calendar": []})
    the_plan = plan(sc)
    ratios, parts = [], []
    for r in range(LITTLE_REPS):
        model = CountyModel(sc, r, the_plan, monitor_h=LITTLE_MONITOR_H).run()
        start_h, end_h = 24.0 * LITTLE_WARMUP_D, 24.0 * (LITTLE_WARMUP_D + LITTLE_WINDOW_D)
        t = np.asarray(model.samples["t_h"], float)
        inside = (t >= start_h) & (t < end_h)
        L = float(np.asarray(model.samples["hub_parcels"], float)[inside].mean())
        act = model.hub.activity()
        lam = act.parcels_in / (end_h - start_h)
        W = act.time_in_h / max(act.parcels_out, 1)
        ratios.append(L / (lam * W))
        parts.append((L, lam, W))
    L, lam, W = (float(np.mean([p[i] for p in parts])) for i in range(3))
    return [relative_result(
        "little_hub_steady_state",
        f"Little's law at the hub over days {LITTLE_WARMUP_D}-{LITTLE_WARMUP_D + LITTLE_WINDOW_D} of a run without "
        "calendar peaks: L (time average of the parcels in the hub, sampled every "
        f"{LITTLE_MONITOR_H:g} h) / (lambda x W) = 1.",
        1.0, "Little's law, lambda = parcels into the hub per hour and W = mean hours in the hub of the parcels "
             "that left, both from the window's flows", ratios, LITTLE_TOL, "ratio",
        note=f"{LITTLE_REPS} replications of a 120-village county; mean L = {L:.1f} parcels, lambda = {lam:.2f} "
             f"per h, W = {W:.2f} h;")]


CASES = [Case("little_hub_steady", "theory", True, little_hub_steady)]
