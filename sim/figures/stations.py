"""Figures of a rollout's stations and agents (from ``stations.csv``): counties entered, stations
open, stations closed by attrition and the agents' monthly income, one colour, line style and
marker per strategy; and the report's calibration figure, the baseline strategy's villages with a
station against the config's reported points.

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
    strategy_styles,
)

__all__ = ["plot_report_calibration", "plot_stations", "stations_panels"]


def stations_panels(stations: Sequence[Mapping]) -> dict[str, bool]:
    """Which of the optional panels of :func:`plot_stations` the rows fill: ``closed`` (any station
    closed by attrition) and ``income`` (any agent income, i.e. attrition is modelled)."""
    rows = list(stations or ())
    closed = any(as_float(r.get("stations_closed")) > 0 for r in rows)
    income = any(np.isfinite(as_float(r.get(k))) for r in rows
                 for k in ("agent_income_median_cny", "agent_income_p10_cny"))
    return {"closed": closed, "income": income}


def plot_stations(stations: Sequence[Mapping], *, strategies: Sequence[str] | None = None,
                  reservation_wage_cny: float | None = None, fig: Figure | None = None) -> Axes:
    """Panels over the months, one line per strategy (mean over replications, band = min-max):
    counties entered; stations open; stations closed by attrition (only where any station
    closed); the agents' monthly income over open stations, median (thick) and 10th percentile
    (thin), with the reservation wage (grey, dotted) where given (only where attrition is modelled,
    see :func:`stations_panels`). Returns the first panel's axes (its ``figure`` holds them all)."""
    rows = list(stations or ())
    order = resolve_order(rows, strategies)
    colours = strategy_colours(order)
    panels = stations_panels(rows)
    n = 2 + panels["closed"] + panels["income"]
    if fig is None:
        fig = Figure(figsize=(8.0, 1.2 + 2.6 * n), layout="constrained")
    axes = list(fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0])
    ax_c, ax_s = axes[0], axes[1]
    counties = monthly_series(rows, "counties_entered", order)
    opened = monthly_series(rows, "stations_open", order)
    n_months = max((m.size for m, _ in (counties or opened).values()), default=0)
    styles = strategy_styles(order, n_months)
    if any_finite(counties):
        lines_with_band(ax_c, counties, colours, styles=styles)
    else:
        no_data(ax_c, "no stations data")
    ax_c.set_ylabel("Counties entered")
    ax_c.set_title("Counties, stations and agents", fontsize="medium")
    if any_finite(opened):
        lines_with_band(ax_s, opened, colours, styles=styles)
    ax_s.set_ylabel("Stations open")
    k = 2
    if panels["closed"]:
        ax_x = axes[k]
        k += 1
        lines_with_band(ax_x, monthly_series(rows, "stations_closed", order), colours, styles=styles)
        ax_x.set_ylabel("Stations closed by\nattrition, to date")
        ax_x.set_ylim(bottom=0)
    if panels["income"]:
        ax_i = axes[k]
        med = monthly_series(rows, "agent_income_median_cny", order)
        p10 = monthly_series(rows, "agent_income_p10_cny", order)
        lines_with_band(ax_i, med, colours, band=False, styles=styles)
        for s, (months, mat) in p10.items():
            ax_i.plot(months, nanstats(mat)[0], color=colours[s], lw=0.9, ls=styles[s]["ls"], label="_p10_" + s)
        wage = as_float(reservation_wage_cny)
        if np.isfinite(wage):
            ax_i.axhline(wage, color="0.4", lw=1.0, ls=":", label="reservation wage")
        ax_i.set_ylim(bottom=0)
        ax_i.set_ylabel("Agent income (CNY/month;\nthick: median, thin: p10)")
    for ax in axes:
        month_axis(ax, counties or opened)
    for ax in axes[:-1]:
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
