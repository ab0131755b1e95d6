"""Figures of a rollout comparison over time: coverage, cost per parcel and its fall with volume,
cumulative cash flow and the Gini of access, one colour, line style and marker per strategy (so lines
stay apart in greyscale and where they coincide; the equity and map figures are in
:mod:`sim.figures.equity`).

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

Every plot function takes ``ax=None`` and returns the Axes it drew on (object-oriented API only, see
:mod:`sim.figures.base`). Each also accepts a keyword-only ``strategies`` list that fixes the order (and
so the colours) of the strategies, so a report can give every strategy the same colour in every figure.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from sim.analysis.economics import cost_volume_elasticity, recovery_month
from sim.figures.base import as_float, kpi_label, new_axes, no_data

__all__ = [
    "plot_cash_flow",
    "plot_cost_per_parcel",
    "plot_cost_vs_volume",
    "plot_coverage",
    "plot_gini",
    "reported_points",
    "strategy_order",
    "strategy_styles",
]

_FIGSIZE = (8.0, 4.8)

#: Cost per parcel is drawn on a log scale when max/min of the plotted values exceeds this.
LOG_RANGE = 20.0


# ---------------------------------------------------------------------------------------- helpers

def join_key(value):
    """A join key: integral floats and digit strings as int, anything else as str."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if math.isfinite(value) and float(value).is_integer() else str(value)
    s = str(value).strip()
    return int(s) if re.fullmatch(r"-?\d+", s) else s


def month_of(value) -> int | None:
    m = as_float(value)
    return int(m) if math.isfinite(m) else None


def strategy_order(*tables: Iterable[Mapping], baseline: str | None = None) -> list[str]:
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


def resolve_order(rows: Iterable[Mapping], strategies: Sequence[str] | None) -> list[str]:
    present = strategy_order(rows)
    if strategies is None:
        return present
    order = [str(s) for s in strategies]
    return order + [s for s in present if s not in order]


def strategy_colours(order: Sequence[str]) -> dict[str, tuple]:
    cmap = matplotlib.colormaps["tab10" if len(order) <= 10 else "tab20"]
    return {s: cmap(i % cmap.N) for i, s in enumerate(order)}


#: Line styles and markers given to strategies in turn (with the colours of :func:`strategy_colours`),
#: so that lines stay apart in greyscale print and where they lie on top of each other. Five styles
#: and nine markers: the first 45 strategies all get a different pair.
LINE_STYLES: tuple = ("-", (0, (6, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)), (0, (3, 1.5, 1, 1.5, 1, 1.5)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h")

#: About this many markers along each line.
MARKS_PER_LINE = 8


def strategy_styles(order: Sequence[str], n_points: int = 0) -> dict[str, dict]:
    """Per strategy, the keyword arguments of ``Axes.plot`` that tell it apart: colour, line style
    and marker. With ``n_points`` points per line, markers sit every ``n_points / MARKS_PER_LINE``
    points, each strategy's set shifted by a different offset, so the markers of lines drawn on top
    of each other do not hide each other."""
    colours = strategy_colours(order)
    every = max(1, round(n_points / MARKS_PER_LINE)) if n_points else 1
    n = max(1, len(order))
    return {s: {"color": colours[s], "ls": LINE_STYLES[i % len(LINE_STYLES)], "marker": MARKERS[i % len(MARKERS)],
                "markevery": (round(i * every / n) % every, every), "ms": 5.5, "mec": "white", "mew": 0.6}
            for i, s in enumerate(order)}


#: Lines whose means differ by at most this share of the range most plotted values span (5th to
#: 95th percentile) at every month "coincide".
COINCIDE_SHARE = 0.01


def coinciding(means: Mapping[str, np.ndarray], share: float = COINCIDE_SHARE) -> dict[str, str]:
    """Per strategy whose line lies on an earlier strategy's line (every common month within
    ``share`` of the range from the 5th to the 95th percentile of all plotted values), the first
    such earlier strategy. The percentiles keep a few extreme months (the cost per parcel of the
    first months of a rollout, say) from stretching the tolerance: against the full range, lines
    10% apart in every later month would be called the same."""
    finite = [m[np.isfinite(m)] for m in means.values()]
    finite = [f for f in finite if f.size]
    if not finite:
        return {}
    values = np.concatenate(finite)
    lo, hi = np.percentile(values, [5.0, 95.0])
    if not hi > lo:
        lo, hi = values.min(), values.max()
    tol = share * float(hi - lo)
    out: dict[str, str] = {}
    names = list(means)
    for k, s in enumerate(names):
        for t in names[:k]:
            if t in out or means[s].shape != means[t].shape:
                continue
            a, b = means[s], means[t]
            both = np.isfinite(a) & np.isfinite(b)
            if both.any() and np.array_equal(np.isfinite(a), np.isfinite(b)) \
                    and float(np.max(np.abs(a[both] - b[both]))) <= tol:
                out[s] = t
                break
    return out


def with_note(label: str, note: str) -> str:
    """``label`` with ``note`` in its parentheses ("a (b)" + "c" -> "a (b; c)", "a" + "c" -> "a (c)")."""
    return f"{label[:-1]}; {note})" if label.endswith(")") else f"{label} ({note})"


def nanstats(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean, min and max ignoring NaN (NaN where a column has no finite value)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(matrix, axis=0), np.nanmin(matrix, axis=0), np.nanmax(matrix, axis=0)


def monthly_series(monthly: Iterable[Mapping], measure: str,
            strategies: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per strategy: (months, replications x months matrix of ``measure``; NaN where missing).

    Rows without a valid month are ignored; repeated (replication, month) rows are averaged.
    """
    rows = list(monthly or ())
    order = resolve_order(rows, strategies)
    grouped: dict[str, dict[tuple, list[float]]] = {s: {} for s in order}
    for r in rows:
        s = r.get("strategy")
        m = month_of(r.get("month"))
        if s is None or m is None:
            continue
        rep = join_key(r.get("replication", 0))
        grouped[str(s)].setdefault((rep, m), []).append(as_float(r.get(measure)))
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


def any_finite(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> bool:
    return any(np.isfinite(mat).any() for _, mat in series.values())


def legend(ax: Axes, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        kwargs.setdefault("fontsize", "small")
        kwargs.setdefault("loc", "best")
        ax.legend(handles, labels, **kwargs)


def lines_with_band(ax: Axes, series, colours, labels: Mapping[str, str] | None = None,
                     band: bool = True, styles: Mapping[str, dict] | None = None) -> dict[str, np.ndarray]:
    """One line per strategy (mean over replications) with a min-max band; returns the means.

    Each strategy is drawn in its colour with its own line style and markers (``styles``, by
    default :func:`strategy_styles` over the order of ``colours``); a line that lies on an earlier
    one (:func:`coinciding`) says so in its legend label ("≈ other")."""
    if styles is None:
        n = max((m.size for m, _ in series.values()), default=0)
        styles = strategy_styles(list(colours), n)
    means = {s: nanstats(mat)[0] for s, (_, mat) in series.items()}
    same = coinciding(means)
    for s, (months, mat) in series.items():
        _, lo, hi = nanstats(mat)
        label = labels.get(s, s) if labels else s
        if s in same:
            label = with_note(label, f"≈ {same[s]}")
        style = {**styles[s], "color": colours[s]}
        ax.plot(months, means[s], lw=1.6, label=label, zorder=3, **style)
        if band and mat.shape[0] > 1 and np.isfinite(lo).any():
            ax.fill_between(months, lo, hi, color=colours[s], alpha=0.15, lw=0, zorder=2)
    return means


def month_axis(ax: Axes, series) -> None:
    ax.set_xlabel("Month since rollout start")
    months = [m for m, _ in series.values() if m.size]
    if months:
        lo = min(float(m.min()) for m in months)
        hi = max(float(m.max()) for m in months)
        if hi > lo:
            ax.set_xlim(lo, hi)
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)


def reported_points(reported) -> list[tuple[float, float]]:
    pts = []
    for p in reported or ():
        if isinstance(p, Mapping):
            m, v = as_float(p.get("month")), as_float(p.get("villages", p.get("value")))
        else:
            m, v = (as_float(x) for x in tuple(p)[:2])
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
    ax = new_axes(ax, _FIGSIZE)
    label = kpi_label(measure)
    ax.set_ylabel(label)
    ax.set_title(f"{label.split(' (')[0]} over time (mean, band = min-max over replications)",
                 fontsize="medium")
    series = monthly_series(monthly, measure, strategies)
    month_axis(ax, series)
    pts = reported_points(reported) if measure == "villages_covered" else []
    if not any_finite(series) and not pts:
        no_data(ax, "no coverage data")
        return ax
    lines_with_band(ax, series, strategy_colours(resolve_order(monthly, strategies)))
    if pts:
        xs, ys = zip(*pts, strict=True)
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
    legend(ax, loc="best")
    return ax


def plot_cost_per_parcel(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                         strategies: Sequence[str] | None = None) -> Axes:
    """Cost per parcel (CNY) over time per strategy (mean over replications, min-max band); the y axis
    is logarithmic when the plotted means span more than ``LOG_RANGE`` (20x). Months without parcels
    (NaN) leave gaps."""
    monthly = list(monthly or ())
    ax = new_axes(ax, _FIGSIZE)
    ax.set_ylabel("Cost per parcel (CNY)")
    ax.set_title("Cost per parcel over time (mean, band = min-max over replications)", fontsize="medium")
    series = monthly_series(monthly, "cost_per_parcel_cny", strategies)
    month_axis(ax, series)
    if not any_finite(series):
        no_data(ax, "no parcels delivered")
        return ax
    means = lines_with_band(ax, series, strategy_colours(resolve_order(monthly, strategies)))
    vals = np.concatenate([m[np.isfinite(m)] for m in means.values()])
    if vals.size and vals.min() > 0 and vals.max() / vals.min() > LOG_RANGE:
        ax.set_yscale("log")
        ax.set_ylabel("Cost per parcel (CNY, log scale)")
    elif vals.size and vals.min() >= 0:
        ax.set_ylim(bottom=0.0)
    legend(ax, loc="best")
    return ax


def plot_cost_vs_volume(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                        strategies: Sequence[str] | None = None) -> Axes:
    """Cost per parcel (y, CNY) against parcels delivered per month (x, log scale): one line per
    strategy through its monthly means (in month order, start hollow circle), labelled with the
    log-log slope (cost elasticity to volume; negative = cost falls as volume grows)."""
    monthly = list(monthly or ())
    ax = new_axes(ax, _FIGSIZE)
    ax.set_xlabel("Parcels delivered per month (log scale)")
    ax.set_ylabel("Cost per parcel (CNY)")
    ax.set_title("Does cost per parcel fall as volume grows? (monthly means)", fontsize="medium")
    ax.grid(True, which="both", color="0.92", lw=0.5)
    ax.set_axisbelow(True)
    vol = monthly_series(monthly, "parcels_delivered", strategies)
    cost = monthly_series(monthly, "cost_per_parcel_cny", strategies)
    full = resolve_order(monthly, strategies)
    styles = strategy_styles(full)
    order = [s for s in full if s in vol and s in cost]
    drawn = 0
    all_y = []
    for s in order:
        mv, matv = vol[s]
        mc, matc = cost[s]
        common = np.intersect1d(mv, mc)
        x = nanstats(matv[:, np.searchsorted(mv, common)])[0] if common.size else np.array([])
        y = nanstats(matc[:, np.searchsorted(mc, common)])[0] if common.size else np.array([])
        ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
        if not ok.any():
            continue
        slope = cost_volume_elasticity(x, y)
        label = f"{s} (elasticity {slope:+.2f})" if math.isfinite(slope) else s
        ax.plot(x[ok], y[ok], lw=1.3, label=label, zorder=3, **{**styles[s], "ms": 3.5, "mew": 0.3})
        ax.scatter(x[ok][:1], y[ok][:1], s=60, facecolors="none", edgecolors=styles[s]["color"], zorder=4)
        all_y.append(y[ok])
        drawn += 1
    if not drawn:
        no_data(ax, "no months with parcels delivered")
        return ax
    ax.set_xscale("log")
    ys = np.concatenate(all_y)
    if ys.min() > 0 and ys.max() / ys.min() > LOG_RANGE:
        ax.set_yscale("log")
        ax.set_ylabel("Cost per parcel (CNY, log scale)")
    ax.scatter([], [], s=45, facecolors="none", edgecolors="0.3", label="first month")
    legend(ax, loc="best")
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
    """Legend text of a cumulative cash flow: "" if it is never negative (or nothing is known),
    else the month it recovers for good, or "not by m<last month>"."""
    ok = np.isfinite(mean)
    if not ok.any() or (mean[ok] >= 0).all():
        return ""
    month = recovery_month(months, mean)
    return f"not by m{int(months[ok][-1])}" if month is None else f"break-even m{month}"


def plot_cash_flow(monthly: Sequence[Mapping], ax: Axes | None = None, *,
                   strategies: Sequence[str] | None = None) -> Axes:
    """Cumulative cash flow per strategy (mean over replications, min-max band) with a zero line;
    legend labels give the break-even month of the mean (first month from which it stays >= 0)."""
    monthly = list(monthly or ())
    ax = new_axes(ax, _FIGSIZE)
    ax.set_title("Cumulative cash flow (mean, band = min-max over replications)", fontsize="medium")
    series = monthly_series(monthly, "cumulative_cash_cny", strategies)
    month_axis(ax, series)
    if not any_finite(series):
        ax.set_ylabel("Cumulative cash flow (CNY)")
        no_data(ax, "no cash-flow data")
        return ax
    factor, unit = _money_scale(np.concatenate([mat.ravel() for _, mat in series.values()]))
    scaled = {s: (m, mat / factor) for s, (m, mat) in series.items()}
    labels = {}
    for s, (m, mat) in series.items():
        be = _break_even(m, nanstats(mat)[0])
        labels[s] = f"{s} ({be})" if be else s
    lines_with_band(ax, scaled, strategy_colours(resolve_order(monthly, strategies)), labels)
    ax.axhline(0.0, color="black", lw=0.9, ls="--", zorder=1, label="_zero")
    ax.set_ylabel(f"Cumulative cash flow ({unit})")
    legend(ax, loc="best")
    return ax


def plot_gini(monthly: Sequence[Mapping], ax: Axes | None = None, *,
              strategies: Sequence[str] | None = None) -> Axes:
    """Gini coefficient of access over time per strategy (0 = equal access everywhere, 1 = all access
    in one place); mean over replications with a min-max band."""
    monthly = list(monthly or ())
    ax = new_axes(ax, _FIGSIZE)
    ax.set_ylabel(kpi_label("gini_access"))
    ax.set_title("Inequality of access over time (mean, band = min-max over replications)", fontsize="medium")
    series = monthly_series(monthly, "gini_access", strategies)
    month_axis(ax, series)
    if not any_finite(series):
        no_data(ax, "no Gini data")
        return ax
    lines_with_band(ax, series, strategy_colours(resolve_order(monthly, strategies)))
    ax.set_ylim(0.0, 1.0)
    legend(ax, loc="best")
    return ax
