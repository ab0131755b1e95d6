"""Validation under extreme and degenerate conditions: an overloaded village against
the fluid limit, and a fully deterministic county against its hand-computed trace."""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.config.scenario import CountyConfig, Scenario
from sim.county.kpis import run_replication
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.validation.core import Case, CaseResult, mean_ci, save_figure

SLOPE_TOLERANCE = 0.05        # overload: backlog slope within 5% of arrival rate minus capacity


def _replace(sc: Scenario, section: str, **changes) -> Scenario:
    return dataclasses.replace(sc, **{section: dataclasses.replace(getattr(sc, section), **changes)})


def _one_village(folder: Path, residents: float, x_km: float = 10.0) -> str:
    p = folder / "villages.csv"
    p.write_text(f"id,township,x_km,y_km,residents,road_class\nV1,T1,{x_km},0,{residents},cement\n")
    return str(p)


def _slope(days: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(days, y, 1)[0])


# ---- overload ------------------------------------------------------------------------
def overload(figures: Path) -> list[CaseResult]:
    with tempfile.TemporaryDirectory() as tmp:
        csv = _one_village(Path(tmp), residents=3650.0)          # 50 parcels a day on average
        sc = Scenario(horizon_d=150, start_doy=100, warmup_d=0, replications=1, crops=(),
                      county=CountyConfig(villages_csv=csv))
        sc = _replace(sc, "demand", distribution="poisson", calendar=())
        sc = _replace(sc, "stations", coverage_share=1.0)
        sc = _replace(sc, "lastmile", availability=1.0, travel_time_cv=0.0)
        sc = _replace(sc, "surge", enabled=False)   # fixed capacity
        van = dataclasses.replace(sc.vehicle_types["van"], capacity_parcels=30)
        sc = dataclasses.replace(sc, vehicle_types={**sc.vehicle_types, "van": van})
        the_plan = plan(sc)
        arrival, capacity = 50.0, 30.0
        ratios: list[float] = []
        for r in range(5):
            d = run_replication(sc, r, the_plan).daily
            backlog = d["warehouse_backlog_parcels"] + d["hub_backlog_parcels"]
            days = d["day"] >= 10
            ratios.append(_slope(d["day"][days], backlog[days]) / (arrival - capacity))
    m, hw = mean_ci(ratios)
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(d["day"], backlog, label="end-of-day backlog")  # the last replication
    ax.plot(d["day"], (arrival - capacity) * d["day"], "--", label="(arrival - capacity) x day")
    ax.set_xlabel("day (d)")
    ax.set_ylabel("parcels waiting")
    ax.set_title("Overload: 50 parcels/day ordered, 30/day carried")
    ax.legend()
    save_figure(fig, figures, "overload.png")
    return [CaseResult(
        "overload_backlog_slope", "extreme", "One village ordering 50 parcels a day (Poisson) served by one van "
        "carrying 30 a day: the backlog's slope matches arrival rate minus capacity.", 1.0,
        "fluid limit of an overloaded queue", m, hw, f"slope / (arrival - capacity) within {SLOPE_TOLERANCE:.0%} of 1",
        abs(m - 1.0) <= SLOPE_TOLERANCE, unit="ratio", replications=5, figure="overload.png")]


# ---- a fully deterministic tiny county ----------------------------------------------
def expected_timeline(days: int) -> list[tuple]:
    """The event trace of the deterministic tiny county, worked out by hand.

    One village at (10, 0) km, its township seat there too; 365 residents ordering 5
    parcels a day (5 per resident per year), evenly spaced over 08:00-22:00 and split
    at the 16:00 cut-off by the largest remainder: 3 before (stretch of 8 h of the 14)
    and 2 after. The truck leaves the city at 20:00 with what was ordered by 16:00
    (3 on day 0; the previous evening's 2 plus the day's 3 = 5 afterwards), drives
    150 km at 60 km/h (2.5 h), one sorter sorts 300 parcels/h, the van leaves at 08:00,
    reaches the station over the county road (10 km x 1.3 at 50 km/h = 0.26 h; the
    village road would be 16 km), stops 0.1 h + 0.004 h per parcel, and drives back."""
    out = []
    for d in range(days):
        n = 3 if d == 0 else 5
        t_dep = 24.0 * d + 20.0
        t_hub = t_dep + 2.5
        out += [(t_dep, "trunk_depart", {"parcels": n, "trucks": 1}), (t_hub, "hub_arrive", {"parcels": n}),
                (t_hub, "sort_start", {"route": 0, "parcels": n}),
                (t_hub + n / 300.0, "sort_end", {"route": 0, "parcels": n})]
        t_van = 24.0 * (d + 1) + 8.0
        if t_van < 24.0 * days:
            leg = 13.0 / 50.0
            out += [(t_van, "vehicle_depart", {"route": 0, "parcels": n}),
                    (t_van + leg, "station_arrive", {"village": 0, "parcels": n}),
                    (t_van + leg + 0.1 + 0.004 * n + leg, "vehicle_return", {"route": 0})]
    return sorted(((round(t, 9), k, v) for t, k, v in out), key=lambda e: (e[0], e[1]))


def deterministic_trace(figures: Path) -> list[CaseResult]:
    days = 6
    with tempfile.TemporaryDirectory() as tmp:
        csv = _one_village(Path(tmp), residents=365.0)
        sc = Scenario(horizon_d=days, start_doy=100, warmup_d=0, replications=1, crops=(),
                      county=CountyConfig(villages_csv=csv))
        sc = _replace(sc, "demand", distribution="deterministic", calendar=())
        sc = _replace(sc, "stations", coverage_share=1.0)
        sc = _replace(sc, "lastmile", availability=1.0, travel_time_cv=0.0)
        sc = _replace(sc, "surge", enabled=False)   # fixed capacity
        sc = _replace(sc, "hub", sorters=1, sort_time_distribution="deterministic")
        model = CountyModel(sc, 0, trace=True).run()
    assert model.trace_log is not None  # the model was built with trace=True
    got = sorted(model.trace_log, key=lambda e: (e[0], e[1]))
    want = expected_timeline(days)
    same = len(got) == len(want) and all(
        abs(a[0] - b[0]) <= 1e-9 and a[1] == b[1] and a[2] == b[2] for a, b in zip(got, want, strict=True))
    first_diff = next((f"model {a} vs hand {b}" for a, b in zip(got, want, strict=False) if a != b), "")
    return [CaseResult(
        "deterministic_trace", "extreme", "A fully deterministic one-village county: the event trace (trunk runs, "
        "sorting, van departures, station arrivals, returns) equals the hand-computed timeline exactly.",
        float(len(want)), "hand computation from the inputs (see expected_timeline)", float(len(got)), float("nan"),
        "identical events, times equal to 1e-9 h", same, unit="events",
        note="" if same else f"first difference: {first_diff}")]


CASES = [
    Case("overload", "extreme", False, overload),
    Case("deterministic_trace", "extreme", False, deterministic_trace),
]
