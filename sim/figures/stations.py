"""Figures of a rollout's stations and agents (from ``stations.csv``): counties entered, stations
open and closed by attrition, and the agents' monthly income, one colour per strategy; and the
report's calibration figure, the baseline strategy's villages with a station against the
config's reported points.

``stations`` rows: one per (strategy, replication, month) with ``counties_entered``,
``stations_open``, ``stations_closed``, ``agent_income_p10_cny`` and ``agent_income_median_cny``
(NaN without attrition)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.figures.base import as_float, no_data
from sim.figures.calibration import plot_calibration
from sim.figures.rollout import (
    any_finite,
    legend,
    lines_with_band,
    month_axis,
    monthly_series,
    nanstats,
    resolve_order,
    strategy_colours,
)

__all__ = ["plot_report_calibration", "plot_stations"]


def plot_stations(stations: Sequence[Mapping], *, strategies: Sequence[str] | None = None,
                  reservation_wage_cny: float | None = None, fig: Figure | None = None) -> Axes:
    """Three panels over the months, one line per strategy (mean over replications, band =
    min-max): counties entered; stations open (solid) and closed by attrition (dashed, drawn
    only where any station closed); the agents' monthly income over open stations, median
    (solid) and 10th percentile (dashed), with the reservation wage (grey) where given. The
    income panel says "no attrition" where no strategy has incomes. Returns the first panel's
    axes (its ``figure`` holds all three)."""
    rows = list(stations or ())
    order = resolve_order(rows, strategies)
    colours = strategy_colours(order)
    if fig is None:
        fig = Figure(figsize=(8.0, 9.0), layout="constrained")
    ax_c, ax_s, ax_i = fig.subplots(3, 1, sharex=True)
    counties = monthly_series(rows, "counties_entered", order)
    if any_finite(counties):
        lines_with_band(ax_c, counties, colours)
    else:
        no_data(ax_c, "no stations data")
    ax_c.set_ylabel("Counties entered")
    ax_c.set_title("Counties, stations and agents", fontsize="medium")
    opened = monthly_series(rows, "stations_open", order)
    closed = monthly_series(rows, "stations_closed", order)
    if any_finite(opened):
        lines_with_band(ax_s, opened, colours)
    any_closed = any(np.nan_to_num(mat).max(initial=0.0) > 0 for _, mat in closed.values())
    if any_closed:
        for s, (months, mat) in closed.items():
            ax_s.plot(months, nanstats(mat)[0], color=colours[s], lw=1.2, ls="--")
    ax_s.set_ylabel("Stations (solid: open,\ndashed: closed)" if any_closed else "Stations open")
    med = monthly_series(rows, "agent_income_median_cny", order)
    p10 = monthly_series(rows, "agent_income_p10_cny", order)
    if any_finite(med):
        lines_with_band(ax_i, med, colours, band=False)
        for s, (months, mat) in p10.items():
            ax_i.plot(months, nanstats(mat)[0], color=colours[s], lw=1.2, ls="--")
        wage = as_float(reservation_wage_cny)
        if np.isfinite(wage):
            ax_i.axhline(wage, color="0.4", lw=1.0, ls=":", label="reservation wage")
        ax_i.set_ylim(bottom=0)
    else:
        no_data(ax_i, "no attrition: agents' income not modelled")
    ax_i.set_ylabel("Agent income (CNY/month;\nsolid: median, dashed: p10)")
    for ax in (ax_c, ax_s, ax_i):
        month_axis(ax, counties or opened)
    for ax in (ax_c, ax_s):
        ax.set_xlabel("")
    legend(ax_c, loc="lower right", fontsize="x-small")
    return ax_c


def plot_report_calibration(stations: Sequence[Mapping], strategy: str, reported: Sequence[tuple[float, float]],
                            ax: Axes | None = None) -> Axes:
    """The calibration figure of :mod:`sim.figures.calibration` for a comparison: ``strategy``'s
    stations open month by month (mean over replications) against the ``reported`` (month,
    villages) points, all drawn as fitted (filled)."""
    series = monthly_series(stations, "stations_open", [strategy]).get(strategy)
    mean = nanstats(series[1])[0] if series is not None else np.zeros(0)
    points = [{"month": m, "reported": v, "held_out": False} for m, v in reported]
    ax = plot_calibration(mean, points, "villages", ax=ax)
    ax.set_title(f"Model ({strategy}) against reported figures", fontsize="medium")
    return ax
