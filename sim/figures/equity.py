"""Where and for whom a rollout serves: service by remoteness decile and maps of coverage by county,
one colour and marker per strategy as in :mod:`sim.figures.rollout`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.figures.base import as_float, kpi_label, new_axes, no_data
from sim.figures.rollout import coinciding, join_key, legend, month_of, resolve_order, strategy_styles, with_note

__all__ = ["MAP_CMAP", "plot_coverage_map", "plot_coverage_maps", "plot_equity"]

_FIGSIZE = (8.0, 4.8)
_FIGSIZE_MAP = (7.0, 6.2)

#: Colour map of the coverage maps (bad = NaN = no data).
MAP_CMAP = "YlGnBu"


def _map_panel(ax: Axes, cs: list, coverage_map: Sequence[Mapping], strategy: str, month: int, size: float = 1.0,
               adjustable: Literal["box", "datalim"] = "datalim"):
    """Draw one strategy's coverage at one month on ``ax``; returns the scatter and the
    resident-weighted coverage of the counties with a value (nan without any) and whether every
    county has a value."""
    values: dict = {}
    for r in coverage_map or ():
        if str(r.get("strategy")) == str(strategy) and month_of(r.get("month")) == month_of(month):
            values[join_key(r.get("county_id"))] = as_float(r.get("residents_covered_share"))
    x = np.array([as_float(c.get("x_km")) for c in cs], dtype=float)
    y = np.array([as_float(c.get("y_km")) for c in cs], dtype=float)
    res = np.array([as_float(c.get("residents")) for c in cs], dtype=float)
    cov = np.array([values.get(join_key(c.get("county_id")), np.nan) for c in cs], dtype=float)
    res_ok = np.where(np.isfinite(res) & (res > 0), res, 0.0)
    rmax = float(res_ok.max()) if res_ok.size and res_ok.max() > 0 else 1.0
    sizes = size * (20.0 + 380.0 * res_ok / rmax)
    cmap = matplotlib.colormaps[MAP_CMAP].with_extremes(bad="0.85")
    sc = ax.scatter(x, y, s=sizes, c=np.clip(cov, 0.0, 1.0), cmap=cmap, norm=Normalize(vmin=0.0, vmax=1.0),
                    plotnonfinite=True, edgecolors="0.2", linewidths=0.5, zorder=3)
    ok = np.isfinite(cov)
    weighted = (float(np.sum(cov[ok] * res_ok[ok]) / np.sum(res_ok[ok]))
                if ok.any() and np.sum(res_ok[ok]) > 0 else float("nan"))
    ax.set_aspect("equal", adjustable=adjustable)
    return sc, weighted, bool(ok.all())


def _share_text(weighted: float) -> str:
    return f"{100 * weighted:.0f}% of residents covered" if math.isfinite(weighted) else "no coverage data"


def plot_coverage_map(counties: Sequence[Mapping], coverage_map: Sequence[Mapping], strategy: str, month: int,
                      ax: Axes | None = None) -> Axes:
    """Map of the counties as circles (area proportional to residents) coloured by the share of
    residents covered by ``strategy`` at ``month`` (fixed scale 0..1, colorbar). Counties without a
    value are drawn light grey. The title gives the resident-weighted coverage of the mapped counties."""
    ax = new_axes(ax, _FIGSIZE_MAP)
    cs = list(counties or ())
    sc, weighted, complete = _map_panel(ax, cs, coverage_map, strategy, month)
    ax.figure.colorbar(sc, ax=ax, label=kpi_label("residents_covered_share"), shrink=0.85)
    ax.set_title(f"{strategy}, month {month_of(month)}: {_share_text(weighted)}", fontsize="medium")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    if not cs:
        no_data(ax, "no counties")
    elif not complete:
        ax.scatter([], [], s=40, c="0.85", edgecolors="0.2", linewidths=0.5, label="no data")
        legend(ax, loc="best")
    return ax


def _extent(cs: Sequence[Mapping]) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y limits (km) holding every county with a margin for its circle: one span for both,
    so that every panel of a grid shows the same square of land."""
    x = np.array([as_float(c.get("x_km")) for c in cs], dtype=float)
    y = np.array([as_float(c.get("y_km")) for c in cs], dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return (0.0, 1.0), (0.0, 1.0)
    x, y = x[ok], y[ok]
    pad = 0.08 * max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    return (float(x.min()) - pad, float(x.max()) + pad), (float(y.min()) - pad, float(y.max()) + pad)


def plot_coverage_maps(counties: Sequence[Mapping], coverage_map: Sequence[Mapping], strategies: Sequence[str],
                       months: Sequence[int], fig: Figure | None = None) -> Axes:
    """Small multiples: one small map per strategy (rows) and month (columns), drawn as
    :func:`plot_coverage_map` draws one, with one shared colour bar (0..1) and each panel titled
    with its month and resident-weighted coverage; the strategy names the row (the y label of its
    first panel). Every panel shows the same extent at equal scale. Returns the first panel's axes
    (its ``figure`` is the whole grid).

    The panels keep their place in the grid (equal scale comes from the data limits, never from
    shrinking an axes box), so the constrained layout makes room for the row names: no name is
    clipped at the figure's edge."""
    rows, cols = max(1, len(strategies)), max(1, len(months))
    cs = list(counties or ())
    xlim, ylim = _extent(cs)
    ratio = min(1.4, max(0.6, (ylim[1] - ylim[0]) / (xlim[1] - xlim[0])))
    if fig is None:
        fig = Figure(figsize=(1.5 + 2.3 * cols, 0.6 + (0.4 + 1.85 * ratio) * rows), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    sc = None
    for i in range(rows):
        for j in range(cols):
            ax = axes[i, j]
            ax.tick_params(labelsize="small", labelleft=j == 0, labelbottom=i == rows - 1)
            if not strategies or not months:
                no_data(ax, "no maps")
                continue
            s, m = strategies[i], months[j]
            sc, weighted, _ = _map_panel(ax, cs, coverage_map, s, m, size=0.35)
            # the extent as data limits, autoscaled: equal scale then widens x or y to fill the panel
            ax.update_datalim([(xlim[0], ylim[0]), (xlim[1], ylim[1])])
            ax.margins(0.0)
            ax.autoscale_view()
            ax.set_title(f"month {month_of(m)}: {_share_text(weighted).replace(' of residents', '')}",
                         fontsize="small")
            if j == 0:
                ax.set_ylabel(s, fontsize="medium", fontweight="bold")
            if i == rows - 1:
                ax.set_xlabel("x, y (km)", fontsize="small")
            if not cs:
                no_data(ax, "no counties")
    if sc is not None:
        fig.colorbar(sc, ax=axes, label=kpi_label("residents_covered_share"), shrink=min(0.9, 2.5 / rows),
                     aspect=25)
    return axes[0, 0]


#: Points of the strategies within a decile are spread over this width (deciles), side by side.
DODGE = 0.36


def _band(ax: Axes, ys, bottom: float, top: float, floor: float, lo_limit: float = -np.inf,
          hi_limit: float = np.inf) -> None:
    """Set ``ax``'s y range so that the finite values of ``ys`` span the share ``bottom`` to ``top``
    of its height (a span of at least ``floor``, within ``lo_limit``..``hi_limit`` where the values
    allow), with ticks only inside that band."""
    vals = np.concatenate([np.asarray(y, dtype=float) for y in ys]) if len(ys) else np.empty(0)
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return
    lo, hi = float(vals.min()), float(vals.max())
    pad = max(floor, hi - lo) - (hi - lo)
    lo, hi = max(lo_limit, lo - pad / 2), min(hi_limit, hi + pad / 2)
    if hi - lo < floor:   # against a limit: widen away from it
        lo, hi = (lo, lo + floor) if lo == lo_limit else (hi - floor, hi)
    height = (hi - lo) / (top - bottom)
    ax.set_ylim(lo - bottom * height, lo - bottom * height + height)
    ticks = [t for t in MaxNLocator(nbins=4).tick_values(lo, hi) if lo - 1e-9 <= t <= hi + 1e-9]
    ax.set_yticks(ticks)


def plot_equity(equity: Sequence[Mapping], ax: Axes | None = None, *,
                strategies: Sequence[str] | None = None) -> Axes:
    """Lead time (h, solid lines, left axis, upper band of the panel) and coverage share of residents
    (dashed lines, right axis, lower band) by remoteness decile (1 = nearest the hub, 10 = most
    remote), one colour and marker per strategy; within a decile the strategies' points sit side by
    side (spread over ``DODGE``), so equal values do not hide each other. The legend sits below the
    axes (in a figure of its own: a figure legend the layout makes room for). Returns the left axes;
    the right axis is its twin."""
    own = ax is None
    ax = new_axes(ax, _FIGSIZE)
    ax.set_xlabel("Remoteness decile (1 = nearest the hub, 10 = most remote)")
    ax.set_ylabel(f"{kpi_label('lead_time_mean_h')} — solid, upper band")
    ax.set_title("Equity: service by remoteness decile", fontsize="medium")
    rows = list(equity or ())
    order = resolve_order(rows, strategies)
    data: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for r in rows:
        d = month_of(r.get("decile"))
        if r.get("strategy") is None or d is None:
            continue
        data.setdefault(str(r["strategy"]), {}).setdefault(d, []).append(
            (as_float(r.get("lead_time_mean_h")), as_float(r.get("coverage_share"))))
    styles = strategy_styles(order)
    order = [s for s in order if s in data]
    twin = ax.twinx()
    twin.set_ylabel(f"{kpi_label('coverage_share')} — dashed, lower band")
    twin.set_ylim(0.0, 1.05)
    if not order:
        no_data(ax, "no equity data")
        return ax
    deciles = sorted({d for s in order for d in data[s]})
    curves = {}
    for s in order:
        ds = np.asarray(sorted(data[s]), dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lt = np.array([np.nanmean([v[0] for v in data[s][int(d)]]) for d in ds])
            cov = np.array([np.nanmean([v[1] for v in data[s][int(d)]]) for d in ds])
        curves[s] = (ds, lt, cov)
    # a strategy whose two curves both lie on an earlier one's says so in the legend
    same_lt = coinciding({s: c[1] for s, c in curves.items()})
    same_cov = coinciding({s: c[2] for s, c in curves.items()})
    step = DODGE / (len(order) - 1) if len(order) > 1 else 0.0
    for k, (s, (ds, lt, cov)) in enumerate(curves.items()):
        x = ds + (k - (len(order) - 1) / 2) * step
        mark = {"color": styles[s]["color"], "marker": styles[s]["marker"], "mec": "white", "mew": 0.5}
        label = with_note(s, f"≈ {same_lt[s]}") if s in same_lt and same_cov.get(s) == same_lt[s] else s
        ax.plot(x, lt, lw=1.5, ms=5.5, label=label, zorder=3, **mark)
        twin.plot(x, cov, lw=1.2, ls="--", ms=4.5, label="_" + s, zorder=2, **mark)
    ax.set_xticks(deciles)
    if deciles:
        ax.set_xlim(deciles[0] - 0.5, deciles[-1] + 0.5)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="0.3", lw=1.5), Line2D([], [], color="0.3", lw=1.2, ls="--")]
    labels += ["lead time (left)", "coverage (right)"]
    # lead times in the upper band of the panel, coverage in the lower one, each axis zoomed to its
    # own values: on axes from 0 both sets of lines crowded the top fifth on top of each other
    _band(ax, [ln.get_ydata() for ln in ax.lines], 0.50, 0.95, floor=0.5)
    _band(twin, [ln.get_ydata() for ln in twin.lines], 0.05, 0.40, floor=0.02, lo_limit=0.0, hi_limit=1.0)
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    if own:
        ax.figure.legend(handles, labels, fontsize="small", loc="outside lower center", ncols=3)
    else:
        ax.legend(handles, labels, fontsize="x-small", loc="lower center", ncols=3)
    return ax
