"""Validation against the public figures of the domain notes, with the calibrated
defaults. Where the model disagrees, the result says so and why; no expectation is
tuned to the model. A figure an input was calibrated to is reported as a
"calibration" check, not as evidence."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.statistics import paired_difference
from sim.config.scenario import Scenario
from sim.county.kpis import run_replication
from sim.county.planning import plan
from sim.validation.core import Case, CaseResult, mean_ci, save_figure

REPS = 5
SPOILAGE_RANGE = (0.20, 0.30)     # fruit and vegetables lost in Chinese logistics
CLEARANCE_RANGE_D = (7, 13)       # "backlog cleared in about 10 days", +-3 days
FLUID_TOLERANCE = 0.25            # without surge: within 25% of the fluid model's clearance


def _replace(sc: Scenario, section: str, **changes) -> Scenario:
    return dataclasses.replace(sc, **{section: dataclasses.replace(getattr(sc, section), **changes)})


def _runs(sc: Scenario, reps: int = REPS):
    p = plan(sc)
    return [run_replication(sc, r, p) for r in range(reps)]


def spoilage(figures: Path) -> list[CaseResult]:
    base = Scenario()
    runs = {"none": _runs(base),
            "hub cold store 50 t": _runs(_replace(base, "hub", cold_store_kg=50000.0)),
            "station cold rooms 2 t": _runs(_replace(base, "stations", cold_room_kg=2000.0))}
    rate = {k: [r.kpis["spoilage_rate"] for r in v] for k, v in runs.items()}
    m, hw = mean_ci(rate["none"])
    out = [CaseResult(
        "spoilage_without_cold_chain", "calibration", "Share of produce spoiled without any cold storage.",
        f"{SPOILAGE_RANGE[0]}-{SPOILAGE_RANGE[1]}", "domain notes: 20-30% of fruit and vegetables lost in logistics",
        m, hw, "mean within 20-30%", SPOILAGE_RANGE[0] <= m <= SPOILAGE_RANGE[1], unit="share", replications=REPS,
        note="Not an independent check: the lemon volume per grower resident ([G]) was calibrated so the baseline "
             "loses about 25%. The loss comes from produce waiting at stations for room on the vans at the "
             "harvest peak.")]
    for name in ("hub cold store 50 t", "station cold rooms 2 t"):
        d = paired_difference(rate[name], rate["none"])
        lower = d["ci_high"] < 0
        out.append(CaseResult(
            f"spoilage_with_{name.split(' 5')[0].split(' 2')[0].replace(' ', '_')}", "public",
            f"Spoilage is lower with a {name} than without (paired difference, common random numbers).",
            "< 0", "domain notes: ~5% of perishables lost in a cold chain vs 20-30% without",
            d["mean_diff"], d["half_width"], "95% CI of the difference entirely below 0", lower, unit="share",
            replications=REPS,
            note=("" if lower else
                  "The model disagrees: in the baseline county produce spoils while waiting at the stations for room "
                  "on the vans at the harvest peak, and what reaches the hub leaves for the market within hours, so "
                  "a cold store at the hub has nothing to keep. The public ~5% describes an end-to-end cold chain "
                  "(refrigerated collection as well), which the model represents only through station cold rooms.")
            + f" Spoilage {np.mean(rate[name]):.3f} vs {m:.3f} without."))
    return out


def fluid_clearance_d(peak_multiplier: float, peak_d: float, capacity_multiplier: float) -> float:
    """Days from the start of a demand peak until a fluid backlog clears: demand runs
    at ``peak_multiplier`` x the normal day for ``peak_d`` days against a capacity of
    ``capacity_multiplier`` x the normal day, so the backlog grows at (peak - capacity)
    during the peak and drains at (capacity - 1) after it; infinite if it never drains."""
    if capacity_multiplier >= peak_multiplier:
        return 0.0
    if capacity_multiplier <= 1.0:
        return float("inf")
    return peak_d + peak_d * (peak_multiplier - capacity_multiplier) / (capacity_multiplier - 1.0)


def _clearance(base: Scenario) -> tuple[list[float], list[np.ndarray]]:
    """Per replication: days from 11 November until the parcels waiting (warehouse +
    hub) are back within 10% of their level over the 20 days before, and the curve."""
    days_to_clear, curves = [], []
    for res in _runs(base):
        d = res.daily
        # index of 11 November in the daily series (numbered from the KPI window's first day)
        peak = int(np.flatnonzero(d["day"] == (315 - base.start_doy) % 365)[0])
        backlog = (d["warehouse_backlog_parcels"] + d["hub_backlog_parcels"]).astype(float)
        before = backlog[peak - 20:peak].mean()
        after = np.flatnonzero(backlog[peak + 6:] <= 1.1 * before)
        days_to_clear.append(float(after[0] + 6) if len(after) else float(len(backlog) - peak))
        curves.append(backlog[peak - 20:])
    return days_to_clear, curves


def singles_day(figures: Path) -> list[CaseResult]:
    base = Scenario()
    off = base.updated({"surge.enabled": False})
    event = next(e for e in base.demand.calendar if e.name == "singles_day")
    on_d, on_curves = _clearance(base)
    off_d, off_curves = _clearance(off)
    fig = Figure(figsize=(6.5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(-20, len(on_curves[0]) - 20)
    for i, (c_on, c_off) in enumerate(zip(on_curves, off_curves, strict=True)):
        ax.plot(x, c_on, lw=0.8, color="C0", label="surge capacity (default)" if i == 0 else None)
        ax.plot(x, c_off, lw=0.8, color="C3", ls="--", label="no surge" if i == 0 else None)
    ax.axvspan(0, event.duration_d, color="orange", alpha=0.2, label="Singles' Day x3 (6 days)")
    ax.axvline(10, color="k", ls=":", label="reported clearance ~10 days")
    ax.set_xlabel("days from 11 November (d)")
    ax.set_ylabel("parcels waiting (warehouse + hub)")
    ax.legend(fontsize=9)
    save_figure(fig, figures, "singles_day.png")
    lo, hi = CLEARANCE_RANGE_D
    m, hw = mean_ci(on_d)
    lm = base.lastmile
    capacity = lm.planning_load_factor * lm.availability
    fluid = fluid_clearance_d(event.multiplier, event.duration_d, capacity)
    m_off, hw_off = mean_ci(off_d)
    ok_off = abs(m_off - fluid) <= FLUID_TOLERANCE * fluid
    what = ("Days from the start of the Singles' Day peak (x3 for 6 days) until the backlog is back within 10% "
            "of its pre-peak level")
    return [
        CaseResult(
            "singles_day_clearance", "calibration", f"{what}, with the default surge capacity (extra vans for a route "
            "whose backlog exceeds its threshold).", f"{lo}-{hi}",
            "industry reports: ~3x a normal day for ~6 days (2014); backlog cleared in about 10 days",
            m, hw, f"mean within {lo}-{hi} days", lo <= m <= hi, unit="d", replications=REPS, figure="singles_day.png",
            note="Not an independent check: the extra-vehicle threshold and limit were calibrated to this figure."),
        CaseResult(
            "singles_day_clearance_no_surge", "public", f"{what}, without surge capacity (surge.enabled false), "
            "against a fluid model: the backlog grows at (3 - c) normal days for 6 days and drains at (c - 1), "
            "with last-mile capacity c = planning load factor x vehicle availability.", round(fluid, 2),
            f"fluid model: 6 + 6 x (3 - {capacity:.3g}) / ({capacity:.3g} - 1)", m_off, hw_off,
            f"mean within {FLUID_TOLERANCE:.0%} of the fluid model", bool(ok_off), unit="d", replications=REPS,
            figure="singles_day.png",
            note=("Without surge the fixed fleet cannot clear a 3x peak in 10 days: the reported clearance needs "
                  "surge capacity." if ok_off else
                  "The model disagrees with the fluid model: routes differ in their spare capacity and the "
                  "backlog clears only when the slowest routes have cleared.")),
    ]


def hunan_buses(figures: Path) -> list[CaseResult]:
    van = Scenario()
    bus = _replace(van, "lastmile", vehicle_type="bus", departures_h=(7.0, 12.0, 16.0), max_route_h=4.0)
    rv, rb = _runs(van), _runs(bus)
    out = []
    for kpi, want, label in (("cost_per_parcel_cny", -0.20, "inbound cost per parcel"),
                             ("outbound_produce_sold_kg", +0.30, "outbound volume (produce sold)")):
        xv = np.array([r.kpis[kpi] for r in rv])
        xb = np.array([r.kpis[kpi] for r in rb])
        rel = (xb - xv) / xv
        m, hw = mean_ci(rel)
        ok = np.sign(m) == np.sign(want) and abs(m) > hw
        out.append(CaseResult(
            f"buses_{kpi}", "public", f"Parcels on passenger buses (three runs a day) instead of vans: relative "
            f"change of {label}.", want, "Hunan shared passenger-freight routes (MDPI Systems 13(7):602): "
            "-20% inbound cost, +30% outbound parcels", m, hw, "same direction as reported, significantly",
            bool(ok), unit="relative change", replications=REPS,
            note=("" if ok else f"The model disagrees: it finds {m:+.1%} (+-{hw:.1%}). Its buses replace the "
                  "vans: three runs a day give more chances to collect, but each carries at most 300 kg. In Hunan "
                  "the buses were added to the existing logistics on shared routes: that arrangement (timetabled "
                  "lines added to the vans) is the case hunan_shared_bus_lines.")))
    return out


CASES = [
    Case("spoilage", "public", True, spoilage),
    Case("singles_day", "public", True, singles_day),
    Case("hunan_buses", "public", True, hunan_buses),
]
