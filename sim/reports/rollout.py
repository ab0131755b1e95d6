"""Comparison report of rural e-commerce rollout strategies: figures, an outcome table, and a
self-contained Markdown + HTML report.

Inputs are plain lists of dicts (numbers already converted):

* ``monthly``: region-level rows, one per (strategy, replication, month) with ``strategy``,
  ``replication``, ``month`` (0-based) and the measures ``villages_covered_share``,
  ``residents_covered_share``, ``villages_covered``, ``parcels_delivered``, ``cost_per_parcel_cny``
  (NaN without parcels), ``opex_cny``, ``capex_cny``, ``revenue_cny``, ``subsidy_cny``, ``net_cash_cny``,
  ``cumulative_cash_cny``, ``lead_time_mean_h``, ``gini_access``, ``co2_kg``, ``farmer_revenue_cny``;
* ``outcomes``: one row per (strategy, kpi) with ``mean``, ``ci95_half_width``, ``diff_vs_baseline``,
  ``diff_ci95_low``, ``diff_ci95_high``, ``significant_holm``, ``rank`` (1 = best), ``higher_is_better``;
* ``equity``: one row per (strategy, decile) with ``decile`` (1 = nearest the hub ... 10 = most remote),
  ``lead_time_mean_h`` and ``coverage_share``;
* ``counties`` (``county_id``, ``x_km``, ``y_km``, ``residents``) and ``coverage_map`` (``strategy``,
  ``month``, ``county_id``, ``residents_covered_share``; replication 0).

Like :mod:`sim.figures.county` this uses only the object-oriented matplotlib API (never ``pyplot``); every plot
function takes ``ax=None`` and returns the Axes it drew on. Each also accepts a keyword-only
``strategies`` list that fixes the order (and so the colours) of the strategies, which
:func:`write_report` uses to give every strategy the same colour in every figure.
:func:`write_report` writes byte-identical files for identical inputs.
"""

from __future__ import annotations

import base64
import html
import math
import os
import pathlib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from sim.figures.base import as_bool as _as_bool, as_float as _float, kpi_label
from sim.files import atomic_write_text, short_number
from sim.figures.base import new_axes as _new_axes, no_data as _no_data, save_figures

__all__ = [
    "plot_coverage",
    "plot_cost_per_parcel",
    "plot_cost_vs_volume",
    "plot_cash_flow",
    "plot_equity",
    "plot_gini",
    "plot_coverage_map",
    "outcome_table_markdown",
    "write_report",
    "FIGURE_STEMS",
]

_FIGSIZE = (8.0, 4.8)
_FIGSIZE_MAP = (7.0, 6.2)

#: Figures of :func:`write_report` besides the coverage maps, in report order.
FIGURE_STEMS = ("coverage_residents", "coverage_villages", "cost_per_parcel", "cost_vs_volume",
                "cash_flow", "equity", "gini")

#: Cost per parcel is drawn on a log scale when max/min of the plotted values exceeds this.
LOG_RANGE = 20.0

_MEASURE_LABELS = {
    "residents_covered_share": "Residents covered (share)",
    "villages_covered_share": "Villages covered (share)",
    "villages_covered": "Villages covered (count)",
    "parcels_delivered": "Parcels delivered (parcels/month)",
    "gini_access": "Gini coefficient of access (-)",
}


# ---------------------------------------------------------------------------------------- helpers



def _key(value):
    """A join key: integral floats and digit strings as int, anything else as str."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if math.isfinite(value) and float(value).is_integer() else str(value)
    s = str(value).strip()
    return int(s) if re.fullmatch(r"-?\d+", s) else s


def _month(value) -> int | None:
    m = _float(value)
    return int(m) if math.isfinite(m) else None


def _strategy_order(*tables: Iterable[Mapping], baseline: str | None = None) -> list[str]:
    """Strategies in order of first appearance over ``tables``, the baseline (if present) first."""
    seen: dict[str, None] = {}
    for rows in tables:
        for r in rows or ():
            if r.get("strategy") is not None:
                seen.setdefault(str(r["strategy"]), None)
    order = list(seen)
    if baseline is not None and str(baseline) in seen:
        order.remove(str(baseline))
        order.insert(0, str(baseline))
    return order


def _resolve_order(rows: Iterable[Mapping], strategies: Sequence[str] | None) -> list[str]:
    present = _strategy_order(rows)
    if strategies is None:
        return present
    order = [str(s) for s in strategies]
    return order + [s for s in present if s not in order]


def _colours(order: Sequence[str]) -> dict[str, tuple]:
    cmap = matplotlib.colormaps["tab10" if len(order) <= 10 else "tab20"]
    return {s: cmap(i % cmap.N) for i, s in enumerate(order)}


def _nanstats(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean, min and max ignoring NaN (NaN where a column has no finite value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(matrix, axis=0), np.nanmin(matrix, axis=0), np.nanmax(matrix, axis=0)


def _series(monthly: Iterable[Mapping], measure: str,
            strategies: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per strategy: (months, replications x months matrix of ``measure``; NaN where missing).

    Rows without a valid month are ignored; repeated (replication, month) rows are averaged.
    """
    rows = list(monthly or ())
    order = _resolve_order(rows, strategies)
    grouped: dict[str, dict[tuple, list[float]]] = {s: {} for s in order}
    for r in rows:
        s = r.get("strategy")
        m = _month(r.get("month"))
        if s is None or m is None:
            continue
        rep = _key(r.get("replication", 0))
        grouped[str(s)].setdefault((rep, m), []).append(_float(r.get(measure)))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in order:
        cells = grouped.get(s, {})
        if not cells:
            continue
        months = sorted({m for _, m in cells})
        reps = sorted({rep for rep, _ in cells}, key=lambda v: (isinstance(v, str), v))
        mi = {m: j for j, m in enumerate(months)}
        ri = {rep: i for i, rep in enumerate(reps)}
        mat = np.full((len(reps), len(months)), np.nan)
        for (rep, m), vals in cells.items():
            v = np.asarray(vals, dtype=float)
            v = v[np.isfinite(v)]
            if v.size:
                mat[ri[rep], mi[m]] = float(v.mean())
        out[s] = (np.asarray(months, dtype=float), mat)
    return out


def _any_finite(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> bool:
    return any(np.isfinite(mat).any() for _, mat in series.values())


def _legend(ax: Axes, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        kwargs.setdefault("fontsize", "small")
        kwargs.setdefault("loc", "best")
        ax.legend(handles, labels, **kwargs)


def _lines_with_band(ax: Axes, series, colours, labels: Mapping[str, str] | None = None,
                     band: bool = True) -> dict[str, np.ndarray]:
    """One line per strategy (mean over replications) with a min-max band; returns the means."""
    means = {}
    for s, (months, mat) in series.items():
        mean, lo, hi = _nanstats(mat)
        means[s] = mean
        label = labels.get(s, s) if labels else s
        ax.plot(months, mean, color=colours[s], lw=1.8, label=label, zorder=3)
        if band and mat.shape[0] > 1 and np.isfinite(lo).any():
            ax.fill_between(months, lo, hi, color=colours[s], alpha=0.18, lw=0, zorder=2)
    return means


def _month_axis(ax: Axes, series) -> None:
    ax.set_xlabel("Month since rollout start")
    months = [m for m, _ in series.values() if m.size]
    if months:
        lo = min(float(m.min()) for m in months)
        hi = max(float(m.max()) for m in months)
        if hi > lo:
            ax.set_xlim(lo, hi)
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)


def _reported_points(reported) -> list[tuple[float, float]]:
    pts = []
    for p in reported or ():
        if isinstance(p, Mapping):
            m, v = _float(p.get("month")), _float(p.get("villages", p.get("value")))
        else:
            m, v = (_float(x) for x in tuple(p)[:2])
        if math.isfinite(m) and math.isfinite(v):
            pts.append((m, v))
    return pts


# ------------------------------------------------------------------------------------------ plots

def plot_coverage(monthly: Sequence[Mapping], measure: str = "residents_covered_share", reported=None,
                  ax: Axes | None = None, *, strategies: Sequence[str] | None = None) -> Axes:
    """Coverage over time: one line per strategy (mean over replications) with a min-max band over
    replications. With ``measure == "villages_covered"``, ``reported`` (month, villages) points are
    drawn as black markers labelled "reported" (ignored for other measures)."""
    monthly = list(monthly or ())
    ax = _new_axes(ax, _FIGSIZE)
    label = _MEASURE_LABELS.get(measure, kpi_label(measure))
    ax.set_ylabel(label)
    ax.set_title(f"{label.split(' (')[0]} over time (mean, band = min-max over replications)",
                 fontsize="medium")
    series = _series(monthly, measure, strategies)
    _month_axis(ax, series)
    pts = _reported_points(reported) if measure == "villages_covered" else []
    if not _any_finite(series) and not pts:
        _no_data(ax, "no coverage data")
        return ax
    _lines_with_band(ax, series, _colours(_resolve_order(monthly, strategies)))
    if pts:
        xs, ys = zip(*pts)
        ax.plot(xs, ys, ls="none", marker="o", ms=7, color="black", mfc="black", zorder=5,
                label="reported")
        lo, hi = ax.get_xlim() if series else (min(xs), max(xs))
        lo, hi = min(lo, min(xs)), max(hi, max(xs))
        pad = 0.02 * (hi - lo) if hi > lo else 1.0
        ax.set_xlim(lo - pad, hi + pad)
    if measure.endswith("_share"):
        ax.set_ylim(0.0, 1.02)
    else:
        ax.set_ylim(bottom=0.0)
    _legend(ax, loc="best")
    return ax


def plot_cost_per_parcel(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                         strategies: Sequence[str] | None = None) -> Axes:
    """Cost per parcel (CNY) over time per strategy (mean over replications, min-max band); the y axis
    is logarithmic when the plotted means span more than ``LOG_RANGE`` (20x). Months without parcels
    (NaN) leave gaps."""
    monthly = list(monthly or ())
    ax = _new_axes(ax, _FIGSIZE)
    ax.set_ylabel("Cost per parcel (CNY)")
    ax.set_title("Cost per parcel over time (mean, band = min-max over replications)", fontsize="medium")
    series = _series(monthly, "cost_per_parcel_cny", strategies)
    _month_axis(ax, series)
    if not _any_finite(series):
        _no_data(ax, "no parcels delivered")
        return ax
    means = _lines_with_band(ax, series, _colours(_resolve_order(monthly, strategies)))
    vals = np.concatenate([m[np.isfinite(m)] for m in means.values()])
    if vals.size and vals.min() > 0 and vals.max() / vals.min() > LOG_RANGE:
        ax.set_yscale("log")
        ax.set_ylabel("Cost per parcel (CNY, log scale)")
    elif vals.size and vals.min() >= 0:
        ax.set_ylim(bottom=0.0)
    _legend(ax, loc="best")
    return ax


def _elasticity(x: np.ndarray, y: np.ndarray) -> float:
    """Slope of log(cost) on log(volume) (NaN with fewer than 3 usable points or no spread)."""
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 3:
        return float("nan")
    lx, ly = np.log(x[ok]), np.log(y[ok])
    if np.ptp(lx) <= 0:
        return float("nan")
    return float(np.polyfit(lx, ly, 1)[0])


def plot_cost_vs_volume(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                        strategies: Sequence[str] | None = None) -> Axes:
    """Cost per parcel (y, CNY) against parcels delivered per month (x, log scale): one line per
    strategy through its monthly means (in month order, start hollow circle), labelled with the
    log-log slope (cost elasticity to volume; negative = cost falls as volume grows)."""
    monthly = list(monthly or ())
    ax = _new_axes(ax, _FIGSIZE)
    ax.set_xlabel("Parcels delivered per month (log scale)")
    ax.set_ylabel("Cost per parcel (CNY)")
    ax.set_title("Does cost per parcel fall as volume grows? (monthly means)", fontsize="medium")
    ax.grid(True, which="both", color="0.92", lw=0.5)
    ax.set_axisbelow(True)
    vol = _series(monthly, "parcels_delivered", strategies)
    cost = _series(monthly, "cost_per_parcel_cny", strategies)
    full = _resolve_order(monthly, strategies)
    colours = _colours(full)
    order = [s for s in full if s in vol and s in cost]
    drawn = 0
    all_y = []
    for s in order:
        mv, matv = vol[s]
        mc, matc = cost[s]
        common = np.intersect1d(mv, mc)
        x = _nanstats(matv[:, np.searchsorted(mv, common)])[0] if common.size else np.array([])
        y = _nanstats(matc[:, np.searchsorted(mc, common)])[0] if common.size else np.array([])
        ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
        if not ok.any():
            continue
        slope = _elasticity(x, y)
        label = f"{s} (elasticity {slope:+.2f})" if math.isfinite(slope) else s
        ax.plot(x[ok], y[ok], color=colours[s], lw=1.4, marker="o", ms=3, label=label, zorder=3)
        ax.scatter(x[ok][:1], y[ok][:1], s=45, facecolors="none", edgecolors=colours[s], zorder=4)
        all_y.append(y[ok])
        drawn += 1
    if not drawn:
        _no_data(ax, "no months with parcels delivered")
        return ax
    ax.set_xscale("log")
    ys = np.concatenate(all_y)
    if ys.min() > 0 and ys.max() / ys.min() > LOG_RANGE:
        ax.set_yscale("log")
        ax.set_ylabel("Cost per parcel (CNY, log scale)")
    ax.scatter([], [], s=45, facecolors="none", edgecolors="0.3", label="first month")
    _legend(ax, loc="best")
    return ax


def _money_scale(values: np.ndarray) -> tuple[float, str]:
    finite = values[np.isfinite(values)]
    top = float(np.max(np.abs(finite))) if finite.size else 0.0
    if top >= 1e6:
        return 1e6, "million CNY"
    if top >= 1e3:
        return 1e3, "thousand CNY"
    return 1.0, "CNY"


def _break_even(months: np.ndarray, mean: np.ndarray) -> str:
    ok = np.isfinite(mean)
    if not ok.any():
        return ""
    m, v = months[ok], mean[ok]
    if (v >= 0).all():
        return ""
    if v[-1] < 0:
        return f"not by m{int(m[-1])}"
    last_neg = int(np.flatnonzero(v < 0)[-1])
    return f"break-even m{int(m[last_neg + 1])}"


def plot_cash_flow(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                   strategies: Sequence[str] | None = None) -> Axes:
    """Cumulative cash flow per strategy (mean over replications, min-max band) with a zero line;
    legend labels give the break-even month of the mean (first month from which it stays >= 0)."""
    monthly = list(monthly or ())
    ax = _new_axes(ax, _FIGSIZE)
    ax.set_title("Cumulative cash flow (mean, band = min-max over replications)", fontsize="medium")
    series = _series(monthly, "cumulative_cash_cny", strategies)
    _month_axis(ax, series)
    if not _any_finite(series):
        ax.set_ylabel("Cumulative cash flow (CNY)")
        _no_data(ax, "no cash-flow data")
        return ax
    factor, unit = _money_scale(np.concatenate([mat.ravel() for _, mat in series.values()]))
    scaled = {s: (m, mat / factor) for s, (m, mat) in series.items()}
    labels = {}
    for s, (m, mat) in series.items():
        be = _break_even(m, _nanstats(mat)[0])
        labels[s] = f"{s} ({be})" if be else s
    _lines_with_band(ax, scaled, _colours(_resolve_order(monthly, strategies)), labels)
    ax.axhline(0.0, color="black", lw=0.9, ls="--", zorder=1, label="_zero")
    ax.set_ylabel(f"Cumulative cash flow ({unit})")
    _legend(ax, loc="best")
    return ax


def plot_equity(equity: Sequence[Mapping], ax: Axes | None = None, *,
                strategies: Sequence[str] | None = None) -> Axes:
    """Lead time (h, solid lines, left axis) and coverage share of residents (dashed lines, right axis,
    0..1, with headroom above for the legend) by remoteness decile (1 = nearest the hub, 10 = most remote),
    one colour per strategy.
    Returns the left axes; the right axis is its twin."""
    ax = _new_axes(ax, _FIGSIZE)
    ax.set_xlabel("Remoteness decile (1 = nearest the hub, 10 = most remote)")
    ax.set_ylabel("Lead time, mean (h) — solid")
    ax.set_title("Equity: service by remoteness decile", fontsize="medium")
    rows = list(equity or ())
    order = _resolve_order(rows, strategies)
    data: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for r in rows:
        d = _month(r.get("decile"))
        if r.get("strategy") is None or d is None:
            continue
        data.setdefault(str(r["strategy"]), {}).setdefault(d, []).append(
            (_float(r.get("lead_time_mean_h")), _float(r.get("coverage_share"))))
    colours = _colours(order)
    order = [s for s in order if s in data]
    twin = ax.twinx()
    twin.set_ylabel("Residents covered (share) — dashed")
    twin.set_ylim(0.0, 1.05)
    if not order:
        _no_data(ax, "no equity data")
        return ax
    deciles = sorted({d for s in order for d in data[s]})
    for s in order:
        ds = np.asarray(sorted(data[s]), dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lt = np.array([np.nanmean([v[0] for v in data[s][int(d)]]) for d in ds])
            cov = np.array([np.nanmean([v[1] for v in data[s][int(d)]]) for d in ds])
        ax.plot(ds, lt, color=colours[s], lw=1.8, marker="o", ms=4, label=s, zorder=3)
        twin.plot(ds, cov, color=colours[s], lw=1.4, ls="--", marker="s", ms=3, label="_" + s, zorder=2)
    ax.set_xticks(deciles)
    if deciles:
        ax.set_xlim(deciles[0] - 0.3, deciles[-1] + 0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="0.3", lw=1.8, marker="o", ms=4),
                Line2D([], [], color="0.3", lw=1.4, ls="--", marker="s", ms=3)]
    labels += ["lead time (left)", "coverage (right)"]
    # the legend sits in headroom above both sets of lines (lines of the twin axes are invisible to "best")
    ncols = min(4, len(labels))
    headroom = 1.08 + 0.09 * math.ceil(len(labels) / ncols)
    lt_all = np.concatenate([np.asarray(ln.get_ydata(), dtype=float) for ln in ax.lines])
    lt_all = lt_all[np.isfinite(lt_all)]
    if lt_all.size and lt_all.max() > 0 and lt_all.min() >= 0:
        ax.set_ylim(0.0, float(lt_all.max()) * headroom)
    twin.set_ylim(0.0, headroom)
    twin.set_yticks(np.linspace(0.0, 1.0, 6))
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(handles, labels, fontsize="small", loc="upper center", ncols=ncols)
    return ax


def plot_gini(monthly: Sequence[Mapping], ax: Axes | None = None, *,
              strategies: Sequence[str] | None = None) -> Axes:
    """Gini coefficient of access over time per strategy (0 = equal access everywhere, 1 = all access
    in one place); mean over replications with a min-max band."""
    monthly = list(monthly or ())
    ax = _new_axes(ax, _FIGSIZE)
    ax.set_ylabel(_MEASURE_LABELS["gini_access"])
    ax.set_title("Inequality of access over time (mean, band = min-max over replications)", fontsize="medium")
    series = _series(monthly, "gini_access", strategies)
    _month_axis(ax, series)
    if not _any_finite(series):
        _no_data(ax, "no Gini data")
        return ax
    _lines_with_band(ax, series, _colours(_resolve_order(monthly, strategies)))
    ax.set_ylim(0.0, 1.0)
    _legend(ax, loc="best")
    return ax


#: Colour map of the coverage maps (bad = NaN = no data).
MAP_CMAP = "YlGnBu"


def plot_coverage_map(counties: Sequence[Mapping], coverage_map: Sequence[Mapping], strategy: str, month: int,
                      ax: Axes | None = None) -> Axes:
    """Map of the counties as circles (area proportional to residents) coloured by the share of
    residents covered by ``strategy`` at ``month`` (fixed scale 0..1, colorbar). Counties without a
    value are drawn light grey. The title gives the resident-weighted coverage of the mapped counties."""
    ax = _new_axes(ax, _FIGSIZE_MAP)
    cs = list(counties or ())
    values: dict = {}
    for r in coverage_map or ():
        if str(r.get("strategy")) == str(strategy) and _month(r.get("month")) == _month(month):
            values[_key(r.get("county_id"))] = _float(r.get("residents_covered_share"))
    x = np.array([_float(c.get("x_km")) for c in cs], dtype=float)
    y = np.array([_float(c.get("y_km")) for c in cs], dtype=float)
    res = np.array([_float(c.get("residents")) for c in cs], dtype=float)
    cov = np.array([values.get(_key(c.get("county_id")), np.nan) for c in cs], dtype=float)
    res_ok = np.where(np.isfinite(res) & (res > 0), res, 0.0)
    rmax = float(res_ok.max()) if res_ok.size and res_ok.max() > 0 else 1.0
    sizes = 20.0 + 380.0 * res_ok / rmax
    cmap = matplotlib.colormaps[MAP_CMAP].with_extremes(bad="0.85")
    norm = Normalize(vmin=0.0, vmax=1.0)
    sc = ax.scatter(x, y, s=sizes, c=np.clip(cov, 0.0, 1.0), cmap=cmap, norm=norm, plotnonfinite=True,
                    edgecolors="0.2", linewidths=0.5, zorder=3)
    ax.figure.colorbar(sc, ax=ax, label="Residents covered (share)", shrink=0.85)
    ok = np.isfinite(cov)
    weighted = (float(np.sum(cov[ok] * res_ok[ok]) / np.sum(res_ok[ok]))
                if ok.any() and np.sum(res_ok[ok]) > 0 else float("nan"))
    share = f"{100 * weighted:.0f}% of residents covered" if math.isfinite(weighted) else "no coverage data"
    ax.set_title(f"{strategy}, month {_month(month)}: {share}", fontsize="medium")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal", adjustable="datalim")
    if not cs:
        _no_data(ax, "no counties")
    elif not ok.all():
        ax.scatter([], [], s=40, c="0.85", edgecolors="0.2", linewidths=0.5, label="no data")
        _legend(ax, loc="best")
    return ax


# ------------------------------------------------------------------------------------ outcome table

def _num(v: float) -> str:
    return short_number(v) if math.isfinite(v) else "n/a"


def _signed(v: float) -> str:
    s = _num(v)
    return "+" + s if math.isfinite(v) and v > 0 else s


def _rank_text(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _outcome_table(outcomes: Sequence[Mapping], baseline: str | None):
    """Header and rows of the outcome table; each cell is a list of (text, bold) segments."""
    rows = [r for r in outcomes or () if r.get("strategy") is not None and r.get("kpi") is not None]
    strategies = _strategy_order(rows, baseline=baseline)
    kpis = list(dict.fromkeys(str(r["kpi"]) for r in rows))
    cell = {(str(r["strategy"]), str(r["kpi"])): r for r in rows}
    direction = {}
    for k in kpis:
        flags = [r.get("higher_is_better") for r in rows if str(r["kpi"]) == k and r.get("higher_is_better") is not None]
        direction[k] = (" ↑" if _as_bool(flags[0]) else " ↓") if flags else ""
    header = ["Strategy"]
    for k in kpis:
        header += [f"{kpi_label(k)}{direction[k]}", "rank"]
    header.append("mean rank")
    body = []
    for s in strategies:
        is_base = baseline is not None and s == str(baseline)
        line = [[(s + (" (baseline)" if is_base else ""), False)]]
        ranks = []
        for k in kpis:
            r = cell.get((s, k))
            if r is None:
                line += [[("n/a", False)], [("–", False)]]
                continue
            mean, hw = _float(r.get("mean")), _float(r.get("ci95_half_width"))
            text = _num(mean) + (f" ± {_num(hw)}" if math.isfinite(hw) and math.isfinite(mean) else "")
            segs = [(text, False)]
            diff = _float(r.get("diff_vs_baseline"))
            if not is_base and math.isfinite(diff):
                lo, hi = _float(r.get("diff_ci95_low")), _float(r.get("diff_ci95_high"))
                segs += [("; ", False),
                         (f"Δ {_signed(diff)} [{_signed(lo)}, {_signed(hi)}]", _as_bool(r.get("significant_holm")))]
            rank = _float(r.get("rank"))
            if math.isfinite(rank):
                ranks.append(rank)
            line += [segs, [(_rank_text(rank), False)]]
        line.append([(f"{np.mean(ranks):.2f}" if ranks else "–", False)])
        body.append(line)
    return header, body


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _md_cell(segs) -> str:
    return "".join(f"**{_md_escape(t)}**" if bold else _md_escape(t) for t, bold in segs)


def outcome_table_markdown(outcomes: Sequence[Mapping], baseline: str | None) -> str:
    """The outcomes as a Markdown table: one row per strategy (baseline first, marked "(baseline)"),
    per KPI a column "mean ± 95% CI half width" followed by "; Δ diff [low, high]" against the baseline
    for non-baseline strategies (bold if significant after Holm correction) and a rank column
    (1 = best), and a last column with the mean rank over KPIs. KPI headers carry ↑ (higher is
    better) or ↓. Missing values show as "n/a" / "–". Returns the table text ending in a newline."""
    header, body = _outcome_table(outcomes, baseline)
    lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in body:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def _html_table(outcomes: Sequence[Mapping], baseline: str | None) -> str:
    header, body = _outcome_table(outcomes, baseline)
    esc = html.escape
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    for row in body:
        cells = []
        for c in row:
            cells.append("".join(f"<strong>{esc(t)}</strong>" if b else esc(t) for t, b in c))
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ report

def _token(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_.")


def _strategy_tokens(strategies: Sequence[str]) -> dict[str, str]:
    """File-name-safe, unique token per strategy ("strategy<i>" for names without ASCII letters/digits)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for i, s in enumerate(strategies):
        tok = _token(s)
        if not re.search(r"[A-Za-z0-9]", tok):
            tok = f"strategy{i + 1}"
        base, n = tok, 2
        while tok in used:
            tok, n = f"{base}_{n}", n + 1
        used.add(tok)
        out[s] = tok
    return out


_HTML_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1, h2, h3 { color: #1b2a4a; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 1rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef1f6; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #444; }
""".strip()


def _figure_plan(meta, monthly, outcomes, equity, counties, coverage_map, reported):
    """Everything :func:`write_report` derives from its inputs before drawing: title, baseline,
    strategy order, horizon, map months, notes, reported points and the figures as
    (stem, title, caption, function drawing the figure)."""
    monthly, outcomes, equity = list(monthly or ()), list(outcomes or ()), list(equity or ())
    counties, coverage_map = list(counties or ()), list(coverage_map or ())
    meta = dict(meta or {})
    name = str(meta.get("name") or "Rollout strategy comparison")
    baseline = meta.get("baseline")
    baseline = None if baseline is None else str(baseline)
    order = _strategy_order(monthly, outcomes, equity, coverage_map, baseline=baseline)
    months_seen = sorted({m for m in (_month(r.get("month")) for r in monthly) if m is not None})
    horizon = _month(meta.get("horizon_m"))
    if horizon is None:
        horizon = months_seen[-1] + 1 if months_seen else 0
    map_months = meta.get("map_months")
    if map_months is None:
        mm = [m for m in (_month(r.get("month")) for r in coverage_map) if m is not None]
        map_months = [max(mm)] if mm else []
    map_months = list(dict.fromkeys(m for m in (_month(v) for v in map_months) if m is not None))
    notes = [str(n) for n in meta.get("notes") or ()]
    pts = _reported_points(reported)

    # ---- figures and captions
    kw = {"strategies": order}
    figures: list[tuple[str, str, str, object]] = [
        ("coverage_residents", "Coverage of residents",
         "Share of the region's residents covered by e-commerce service each month, per strategy "
         "(line = mean over replications, band = min-max).",
         lambda: plot_coverage(monthly, "residents_covered_share", ax=None, **kw)),
        ("coverage_villages", "Villages covered",
         "Number of villages with a service point each month, per strategy"
         + (" (black markers: publicly reported figures)." if pts else "."),
         lambda: plot_coverage(monthly, "villages_covered", reported=pts, **kw)),
        ("cost_per_parcel", "Cost per parcel",
         "Cost per delivered parcel each month, per strategy (gaps: months without parcels).",
         lambda: plot_cost_per_parcel(monthly, **kw)),
        ("cost_vs_volume", "Cost per parcel against volume",
         "Monthly cost per parcel against parcels delivered (log scale), with each strategy's "
         "log-log slope: negative means cost falls as volume grows.",
         lambda: plot_cost_vs_volume(monthly, **kw)),
        ("cash_flow", "Cumulative cash flow",
         "Cumulative net cash flow per strategy (dashed: zero), with the month each strategy breaks even.",
         lambda: plot_cash_flow(monthly, **kw)),
        ("equity", "Equity by remoteness",
         "Mean lead time (solid) and share of residents covered at the end (dashed) by remoteness "
         "decile, 1 = nearest the hub, 10 = most remote.",
         lambda: plot_equity(equity, **kw)),
        ("gini", "Inequality of access",
         "Gini coefficient of access across villages each month (0 = equal access), per strategy.",
         lambda: plot_gini(monthly, **kw)),
    ]
    tokens = _strategy_tokens(order)
    for s in order:
        for m in map_months:
            figures.append((f"map_{tokens[s]}_m{m}", f"Coverage map: {s}, month {m}",
                            f"Share of residents covered per county under {s} at month {m} "
                            "(replication 0; circle area ∝ residents, grey = no data).",
                            lambda s=s, m=m: plot_coverage_map(counties, coverage_map, s, m)))
    return {"name": name, "baseline": baseline, "order": order, "horizon": horizon, "map_months": map_months,
            "notes": notes, "pts": pts, "figures": figures}


def write_report(out_dir: str | os.PathLike, meta: Mapping, monthly: Sequence[Mapping], outcomes: Sequence[Mapping],
                 equity: Sequence[Mapping], counties: Sequence[Mapping], coverage_map: Sequence[Mapping],
                 reported=None) -> dict:
    """Write the comparison report into ``out_dir`` (created if needed):

    * ``figures/<stem>.png`` (dpi 120) and ``.svg`` for ``FIGURE_STEMS`` and ``map_<strategy>_m<month>``
      for each strategy and each month of ``meta["map_months"]`` (strategy names made file-name safe);
    * ``report.md``: title, what was compared, the outcome table, each figure (``figures/<stem>.png``)
      with a one-line caption, and ``meta["notes"]``;
    * ``report.html``: the same content as one self-contained file (PNG images embedded as base64
      data URIs, a small inline style sheet, no scripts or external links).

    ``meta`` keys: ``name``, ``baseline``, ``horizon_m``, ``map_months``, ``notes`` (all optional;
    the horizon defaults to the months in ``monthly``, the map months to the last mapped month).
    Files are written atomically and deterministically: identical inputs give byte-identical files.
    Returns ``{"markdown": path, "html": path, "figures": [sorted PNG and SVG paths]}``.
    """
    out = pathlib.Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    monthly, outcomes, equity = list(monthly or ()), list(outcomes or ()), list(equity or ())
    counties, coverage_map = list(counties or ()), list(coverage_map or ())
    plan = _figure_plan(meta, monthly, outcomes, equity, counties, coverage_map, reported)
    name, baseline, order, horizon = plan["name"], plan["baseline"], plan["order"], plan["horizon"]
    notes, pts, figures = plan["notes"], plan["pts"], plan["figures"]
    written = save_figures(fig_dir, [(stem, make) for stem, _, _, make in figures])

    # ---- "what was compared"
    reps = sorted({str(_key(r.get("replication", 0))) for r in monthly})
    kpis = list(dict.fromkeys(str(r["kpi"]) for r in outcomes if r.get("kpi") is not None))
    residents = sum(v for v in (_float(c.get("residents")) for c in counties) if math.isfinite(v))
    compared = [
        "Strategies: " + (", ".join(s + (" (baseline)" if s == baseline else "") for s in order) or "none"),
        f"Horizon: {horizon} months; {len(reps)} replication{'s' if len(reps) != 1 else ''} per strategy.",
        f"Region: {len(counties)} counties, {short_number(float(residents))} residents.",
    ]
    if kpis:
        compared.append("Outcome measures: " + ", ".join(kpi_label(k) for k in kpis) + ".")
    if pts:
        compared.append("Reported public figures (month: villages): "
                        + ", ".join(f"{int(m) if float(m).is_integer() else m}: {short_number(v)}" for m, v in pts)
                        + ".")
    table_key = ("Each cell: mean ± 95% confidence half-width over replications; for other strategies "
                 f"also Δ = difference from the baseline{f' ({baseline})' if baseline else ''} with its 95% "
                 "confidence interval, **bold** where significant after Holm correction. "
                 "↑ higher is better, ↓ lower is better; rank 1 = best.")

    # ---- Markdown
    md = [f"# {name}", "", "## What was compared", ""]
    md += [f"- {line}" for line in compared]
    md += ["", "## Outcomes", "", table_key, ""]
    md.append(outcome_table_markdown(outcomes, baseline) if outcomes else "_No outcome rows._\n")
    md += ["## Figures", ""]
    for stem, title, caption, _ in figures:
        md += [f"### {title}", "", f"![{title}](figures/{stem}.png)", "", f"*{caption}*", ""]
    md += ["## Notes", ""]
    md += [f"- {n}" for n in notes] if notes else ["_None._"]
    md_text = "\n".join(md).rstrip("\n") + "\n"

    # ---- HTML
    esc = html.escape
    h = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         f"<title>{esc(name)}</title>", f"<style>\n{_HTML_STYLE}\n</style>", "</head>", "<body>",
         f"<h1>{esc(name)}</h1>", "<h2>What was compared</h2>", "<ul>"]
    h += [f"<li>{esc(line)}</li>" for line in compared]
    h += ["</ul>", "<h2>Outcomes</h2>",
          "<p>" + esc(table_key).replace("**bold**", "<strong>bold</strong>") + "</p>"]
    h.append(_html_table(outcomes, baseline) if outcomes else "<p><em>No outcome rows.</em></p>")
    h.append("<h2>Figures</h2>")
    for stem, title, caption, _ in figures:
        data = base64.b64encode((fig_dir / f"{stem}.png").read_bytes()).decode("ascii")
        h += [f"<h3>{esc(title)}</h3>", "<figure>",
              f'<img src="data:image/png;base64,{data}" alt="{esc(caption)}">',
              f"<figcaption>{esc(caption)}</figcaption>", "</figure>"]
    h.append("<h2>Notes</h2>")
    h += (["<ul>"] + [f"<li>{esc(n)}</li>" for n in notes] + ["</ul>"]) if notes else ["<p><em>None.</em></p>"]
    h += ["</body>", "</html>"]
    html_text = "\n".join(h) + "\n"

    md_path = atomic_write_text(out / "report.md", md_text)
    html_path = atomic_write_text(out / "report.html", html_text)
    return {"markdown": md_path, "html": html_path, "figures": written}
