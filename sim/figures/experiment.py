"""Matplotlib figures for experiments: many scenarios (lever/uncertainty settings) with replications,
compared with a baseline scenario.

Inputs are the experiment tables as plain lists of dicts (as read from CSV, numbers already converted):

* ``summary``: one row per scenario and KPI with ``scenario_id``, ``scenario`` (label), one key per
  factor path (e.g. ``"stations.coverage_share"``), ``kpi``, ``n``, ``mean``, ``std``, ``ci95_half_width``;
* ``comparisons``: one row per non-baseline scenario and KPI with ``scenario_id``, ``scenario``,
  ``baseline_id``, ``kpi``, ``n_pairs``, ``mean_diff``, ``ci95_low``, ``ci95_high``, ``var_reduction``,
  ``p_value``, ``p_holm``, ``significant_holm``;
* ``runs``: one row per scenario and replication with the factor columns and one column per KPI.

Like :mod:`sim.figures.county` this uses only the object-oriented API (``matplotlib.figure.Figure``, never
``pyplot``); every plot function takes ``ax=None`` and returns the Axes it drew on, and
:func:`write_experiment_figures` writes byte-identical PNG and SVG files for identical inputs.
"""

from __future__ import annotations

import math
import os
import pathlib
import re
from collections.abc import Iterable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from sim.files import short_number
from sim.figures.county import _new_axes, _no_data, save_figures

__all__ = [
    "kpi_label",
    "factor_label",
    "higher_is_better",
    "plot_kpi_vs_lever",
    "plot_heatmap",
    "pareto_front",
    "plot_pareto",
    "plot_forest",
    "standardized_regression_coefficients",
    "plot_sensitivity",
    "write_experiment_figures",
]

_FIGSIZE = (7.0, 4.8)
_FIGSIZE_HEATMAP = (7.0, 5.2)

#: Columns of the experiment tables that are not factors (everything else in a summary/runs row is).
_NON_FACTOR_COLUMNS = frozenset({
    "scenario_id", "scenario", "kpi", "n", "mean", "std", "ci95_half_width", "baseline_id",
    "replication", "seed", "n_pairs", "mean_diff", "ci95_low", "ci95_high", "var_reduction",
    "p_value", "p_holm", "significant_holm",
})

#: At most this many lines in :func:`plot_kpi_vs_lever` when other factors are chosen automatically.
MAX_LINES = 10
#: Other factors with more distinct values than this are averaged over, not drawn as separate lines.
MAX_LEVELS_PER_LINE_FACTOR = 8
#: :func:`write_experiment_figures` draws the sensitivity chart only with at least this many complete runs
#: (and never fewer than inputs + 2).
MIN_SENSITIVITY_RUNS = 10

# suffix -> (unit, keep the suffix word in the name)
_UNIT_SUFFIXES: tuple[tuple[str, str, bool], ...] = (
    ("_cny", "CNY", False),
    ("_kg", "kg", False),
    ("_km", "km", False),
    ("_h", "h", False),
    ("_d", "d", False),
    ("_y", "per year", False),
    ("_share", "share", False),
    ("_rate", "share", True),
)
_LABEL_OVERRIDES = {"vehicle_km": "vehicle distance (km)"}


# ----------------------------------------------------------------------------------------- labels

def _short(name: str) -> str:
    """Last component of a dotted factor path (``"stations.coverage_share"`` -> ``"coverage_share"``)."""
    return str(name).rsplit(".", 1)[-1]


def kpi_label(kpi: str) -> str:
    """Human label with unit for a KPI (or factor) name.

    ``inbound_lead_time_mean_h`` -> "inbound lead time mean (h)", ``cost_per_parcel_cny`` ->
    "cost per parcel (CNY)"; suffixes ``_kg``, ``_km``, ``_h``, ``_d`` become the unit in brackets,
    ``_share`` becomes "(share)" (``residents_served_share`` -> "residents served (share)") and
    ``_rate`` keeps its word (``spoilage_rate`` -> "spoilage rate (share)"). Names without a known
    suffix just have underscores replaced by spaces. A dotted path is labelled by its last component.
    """
    name = _short(kpi)
    if name in _LABEL_OVERRIDES:
        return _LABEL_OVERRIDES[name]
    for suffix, unit, keep in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name if keep else name[: -len(suffix)]
            return f"{stem.replace('_', ' ').strip()} ({unit})"
    return name.replace("_", " ").strip()


def _name(kpi: str) -> str:
    """Label without its unit: ``cost_per_parcel_cny`` -> "cost per parcel"."""
    return re.sub(r" \([^()]*\)$", "", kpi_label(kpi))


def factor_label(path: str) -> str:
    """Label of a factor path: its short name with unit, e.g. ``stations.coverage_share`` -> "coverage (share)"."""
    return kpi_label(path)


def higher_is_better(kpi: str) -> bool:
    """Whether larger values of a KPI are better (service shares, revenue, produce sold, load factors)."""
    name = _short(kpi)
    return any(word in name for word in ("served", "revenue", "sold", "load_factor"))


# ------------------------------------------------------------------------------------ table access

def _norm(value):
    """Normalise a factor value for grouping: missing -> None, numbers -> float, bools kept, else str."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, str):
        return value if value.strip() else None
    return str(value)


def _sort_key(value):
    if value is None:
        return (3, 0.0, "")
    if isinstance(value, bool):
        return (1, float(value), "")
    if isinstance(value, float):
        return (0, value, "")
    return (2, 0.0, str(value))


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_fmt_num = short_number


def _float(value) -> float:
    """A table value as float (NaN if missing or not a number)."""
    if value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _as_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y"}
    try:
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def _factor_columns(rows: Iterable[Mapping]) -> list[str]:
    """Factor keys of the table rows (every key that is not a standard column), in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in _NON_FACTOR_COLUMNS:
                seen.setdefault(key, None)
    return list(seen)


def _distinct(rows: Iterable[Mapping], key: str) -> list:
    """Sorted distinct non-missing (normalised) values of ``key``."""
    vals = {_norm(r.get(key)) for r in rows}
    vals.discard(None)
    return sorted(vals, key=_sort_key)


def _resolve(rows: Sequence[Mapping], key: str, what: str = "factor") -> str:
    """``key`` itself if the rows have it, else the unique factor whose short name is ``key``."""
    if any(key in r for r in rows):
        return key
    matches = [f for f in _factor_columns(rows) if _short(f) == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KeyError(f"{what} {key!r} is ambiguous: {matches}")
    raise KeyError(f"{what} {key!r} not found in the table")


def _kpi_rows(summary: Iterable[Mapping], kpi: str) -> list[Mapping]:
    return [r for r in summary if r.get("kpi") == kpi]


def _is_numeric(values: Sequence) -> bool:
    return bool(values) and all(isinstance(v, float) for v in values)


def _combine(means: Sequence[float], hws: Sequence[float]) -> tuple[float, float]:
    """Average of scenario means and the half-width of that average (independent means:
    sqrt(sum hw^2) / k); NaN half-width if any is missing."""
    m = np.asarray(means, dtype=float)
    h = np.asarray(hws, dtype=float)
    if m.size == 1:
        return float(m[0]), float(h[0])
    hw = float(np.sqrt(np.sum(h**2)) / h.size) if np.all(np.isfinite(h)) else float("nan")
    return float(np.mean(m)), hw


def _summary_by_scenario(summary: Iterable[Mapping], kpi: str) -> dict[str, tuple[str, float, float]]:
    """scenario_id -> (label, mean, half-width) for one KPI (first row wins on duplicates)."""
    out: dict[str, tuple[str, float, float]] = {}
    for r in summary:
        if r.get("kpi") != kpi:
            continue
        sid = str(r.get("scenario_id"))
        if sid not in out:
            out[sid] = (str(r.get("scenario", sid)), _float(r.get("mean")), _float(r.get("ci95_half_width")))
    return out


# ---------------------------------------------------------------------------------- KPI vs lever

def _choose_line_factors(rows: Sequence[Mapping], candidates: Sequence[str]) -> list[str]:
    """Other factors to draw as separate lines: those with few levels, fewest levels first, while the
    number of distinct combinations present stays <= MAX_LINES. The rest are averaged over."""
    levels = {f: len(_distinct(rows, f)) for f in candidates}
    chosen: list[str] = []
    for f in sorted(candidates, key=lambda f: (levels[f], f)):
        if levels[f] > MAX_LEVELS_PER_LINE_FACTOR:
            continue
        trial = chosen + [f]
        combos = {tuple(_norm(r.get(g)) for g in trial) for r in rows}
        if len(combos) <= MAX_LINES:
            chosen = trial
    return [f for f in candidates if f in chosen]  # keep table order for legend labels


def plot_kpi_vs_lever(summary: Sequence[Mapping], lever: str, kpi: str, ax: Axes | None = None,
                      group_by: Sequence[str] | None = None) -> Axes:
    """KPI mean (y) against a lever's value (x) with a shaded 95% band (mean +- half-width).

    If other factors vary too, one line per combination of their values (legend labelled with short
    names). By default (``group_by=None``) other factors with more than ``MAX_LEVELS_PER_LINE_FACTOR``
    levels (e.g. sampled uncertainties), or that would push the line count past ``MAX_LINES``, are
    averaged over instead (mean of scenario means, half-width sqrt(sum hw^2)/k); pass ``group_by``
    (a list of factor keys, possibly empty) to choose the line factors explicitly. Points are sorted
    by x. Non-numeric lever values (e.g. vehicle type names) are drawn at categorical x positions with
    error bars instead of a band. Scenarios with a missing lever value or non-finite mean are skipped.
    """
    ax = _new_axes(ax, _FIGSIZE)
    rows = _kpi_rows(summary, kpi)
    lever = _resolve(rows, lever, "lever") if rows else lever
    ax.set_ylabel(kpi_label(kpi))
    ax.set_xlabel(factor_label(lever))
    ax.set_title(f"{kpi_label(kpi)} vs {_name(lever)}")
    rows = [r for r in rows if _norm(r.get(lever)) is not None and math.isfinite(_float(r.get("mean")))]
    if not rows:
        _no_data(ax, "no finite values")
        return ax

    others = [f for f in _factor_columns(rows) if f != lever and len(_distinct(rows, f)) >= 2]
    if group_by is None:
        line_factors = _choose_line_factors(rows, others)
    else:
        line_factors = [_resolve(rows, g) for g in group_by]
    averaged = [f for f in others if f not in line_factors]
    if averaged:
        ax.set_title(f"{kpi_label(kpi)} vs {_name(lever)}\n(mean over {', '.join(_name(f) for f in averaged)})",
                     fontsize="medium")

    # (combo, x) -> [(mean, hw)]
    cells: dict[tuple, dict] = {}
    for r in rows:
        combo = tuple(_norm(r.get(f)) for f in line_factors)
        x = _norm(r.get(lever))
        cells.setdefault(combo, {}).setdefault(x, []).append((_float(r.get("mean")), _float(r.get("ci95_half_width"))))
    combos = sorted(cells, key=lambda c: tuple(_sort_key(v) for v in c))
    xs_all = _distinct(rows, lever)
    numeric = _is_numeric(xs_all)
    cmap = matplotlib.colormaps["tab10" if len(combos) <= 10 else "tab20"]
    n_lines = len(combos)
    width = 0.6  # total dodge width for categorical levers

    for k, combo in enumerate(combos):
        colour = cmap(k % cmap.N)
        label = ", ".join(f"{_short(f)}={_fmt(v)}" for f, v in zip(line_factors, combo)) if line_factors else kpi_label(kpi)
        xv = sorted(cells[combo], key=_sort_key)
        stats = [_combine(*zip(*cells[combo][x])) for x in xv]
        mean = np.array([s[0] for s in stats])
        hw = np.array([s[1] for s in stats])
        if numeric:
            x = np.array(xv, dtype=float)
            ax.fill_between(x, mean - hw, mean + hw, color=colour, alpha=0.2, linewidth=0)
            ax.plot(x, mean, color=colour, marker="o", ms=4, lw=1.5, label=label)
        else:
            pos = np.array([xs_all.index(v) for v in xv], dtype=float)
            if n_lines > 1:
                pos = pos - width / 2 + width * (k + 0.5) / n_lines
            ax.errorbar(pos, mean, yerr=hw, color=colour, marker="o", ms=5, ls="none", elinewidth=1.2,
                        capsize=3, label=label)  # categories are unordered: no connecting line
    if not numeric:
        ax.set_xticks(np.arange(len(xs_all)), [_fmt(v) for v in xs_all])
        ax.set_xlim(-0.5, len(xs_all) - 0.5)
    if line_factors or n_lines > 1:
        ax.legend(fontsize="small", loc="best")
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    return ax


# ----------------------------------------------------------------------------------------- heatmap

def plot_heatmap(summary: Sequence[Mapping], lever_x: str, lever_y: str, kpi: str, ax: Axes | None = None) -> Axes:
    """Grid of KPI means over two levers (mean of scenario means where other factors vary), annotated
    with the values and with a colorbar labelled with the KPI. Cells without data are left grey."""
    ax = _new_axes(ax, _FIGSIZE_HEATMAP)
    rows = _kpi_rows(summary, kpi)
    if rows:
        lever_x = _resolve(rows, lever_x, "lever")
        lever_y = _resolve(rows, lever_y, "lever")
    ax.set_xlabel(factor_label(lever_x))
    ax.set_ylabel(factor_label(lever_y))
    ax.set_title(f"{kpi_label(kpi)}")
    rows = [r for r in rows if _norm(r.get(lever_x)) is not None and _norm(r.get(lever_y)) is not None
            and math.isfinite(_float(r.get("mean")))]
    if not rows:
        _no_data(ax, "no finite values")
        return ax
    xs = _distinct(rows, lever_x)
    ys = _distinct(rows, lever_y)
    acc: dict[tuple[int, int], list[float]] = {}
    for r in rows:
        i = ys.index(_norm(r.get(lever_y)))
        j = xs.index(_norm(r.get(lever_x)))
        acc.setdefault((i, j), []).append(_float(r.get("mean")))
    grid = np.full((len(ys), len(xs)), np.nan)
    for (i, j), vals in acc.items():
        grid[i, j] = float(np.mean(vals))
    others = [f for f in _factor_columns(rows) if f not in (lever_x, lever_y) and len(_distinct(rows, f)) >= 2]
    if others:
        ax.set_title(f"{kpi_label(kpi)}\n(mean over {', '.join(_name(f) for f in others)})", fontsize="medium")

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.85")
    masked = np.ma.masked_invalid(grid)
    vmin, vmax = float(masked.min()), float(masked.max())
    if vmin == vmax:
        vmin, vmax = vmin - 0.5 * max(abs(vmin), 1.0), vmax + 0.5 * max(abs(vmax), 1.0)
    im = ax.imshow(masked, cmap=cmap, vmin=vmin, vmax=vmax, origin="lower", aspect="auto",
                   interpolation="nearest")
    for (i, j), v in np.ndenumerate(grid):
        if not math.isfinite(v):
            continue
        r, g, b, _ = cmap((v - vmin) / (vmax - vmin))
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        ax.text(j, i, _fmt_num(v), ha="center", va="center", fontsize="small",
                color="white" if dark else "black")
    ax.set_xticks(np.arange(len(xs)), [_fmt(v) for v in xs])
    ax.set_yticks(np.arange(len(ys)), [_fmt(v) for v in ys])
    ax.figure.colorbar(im, ax=ax, label=kpi_label(kpi))
    return ax


# ------------------------------------------------------------------------------------------ Pareto

def pareto_front(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``points`` (n, d) when every column is minimised.

    A point is dominated if another point is <= in every column and < in at least one, so exact
    duplicates do not dominate each other (both stay on the front). Rows containing NaN are never on
    the front and dominate nothing. A 1-D array is treated as a single column.
    """
    p = np.asarray(points, dtype=float)
    if p.ndim == 1:
        p = p.reshape(-1, 1)
    if p.ndim != 2:
        raise ValueError(f"points must be 2-D (n, d), got shape {p.shape}")
    valid = np.all(np.isfinite(p), axis=1)
    mask = valid.copy()
    q = p[valid]
    for i in np.flatnonzero(valid):
        le = np.all(q <= p[i], axis=1)
        lt = np.any(q < p[i], axis=1)
        if np.any(le & lt):
            mask[i] = False
    return mask


def plot_pareto(summary: Sequence[Mapping], cost_kpi: str, service_kpi: str, service_higher_is_better: bool = False,
                baseline_id: str | None = None, ax: Axes | None = None) -> Axes:
    """Cost (x) against service (y), one point per scenario with 95% error bars in both directions.

    The Pareto front (cost minimised; service minimised, or maximised if ``service_higher_is_better``)
    is drawn as a connected red line with markers (label "Pareto front") and its points are annotated
    with the scenario labels; the baseline scenario, if given and present, is a gold star.
    Scenarios missing either mean are left out.
    """
    ax = _new_axes(ax, _FIGSIZE)
    cost = _summary_by_scenario(summary, cost_kpi)
    serv = _summary_by_scenario(summary, service_kpi)
    ids = sorted(sid for sid in cost if sid in serv
                 and math.isfinite(cost[sid][1]) and math.isfinite(serv[sid][1]))
    better = "higher" if service_higher_is_better else "lower"
    ax.set_xlabel(f"{kpi_label(cost_kpi)} (lower is better)")
    ax.set_ylabel(f"{kpi_label(service_kpi)} ({better} is better)")
    ax.set_title(f"Trade-off: {_name(cost_kpi)} vs {_name(service_kpi)}", fontsize="medium")
    if not ids:
        _no_data(ax, "no scenarios with both KPIs")
        return ax
    x = np.array([cost[s][1] for s in ids])
    xe = np.array([cost[s][2] for s in ids])
    y = np.array([serv[s][1] for s in ids])
    ye = np.array([serv[s][2] for s in ids])
    labels = [cost[s][0] for s in ids]

    ax.errorbar(x, y, xerr=xe, yerr=ye, fmt="o", color="0.55", ms=4, lw=0.8, capsize=2,
                label="scenario (±95% CI)", zorder=2)
    front = pareto_front(np.column_stack([x, -y if service_higher_is_better else y]))
    idx = np.flatnonzero(front)
    order = idx[np.lexsort((y[idx] if not service_higher_is_better else -y[idx], x[idx]))]
    ax.plot(x[order], y[order], color="tab:red", marker="o", ms=6, lw=1.5, zorder=3, label="Pareto front")
    for k, i in enumerate(order):  # alternate above/below so neighbouring labels overlap less
        up = k % 2 == 0
        ax.annotate(labels[i], (x[i], y[i]), xytext=(5, 5 if up else -5), textcoords="offset points",
                    va="bottom" if up else "top", fontsize="x-small", color="tab:red")
    if baseline_id is not None and str(baseline_id) in ids:
        b = ids.index(str(baseline_id))
        name = "baseline" if labels[b].strip().lower() == "baseline" else f"baseline ({labels[b]})"
        ax.scatter([x[b]], [y[b]], marker="*", s=220, c="gold", edgecolors="black", linewidths=0.8, zorder=4,
                   label=name)
    ax.margins(x=0.12, y=0.08)  # room for the annotations
    ax.legend(fontsize="small", loc="best")
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    return ax


# ------------------------------------------------------------------------------------------ forest

def plot_forest(comparisons: Sequence[Mapping], kpi: str, ax: Axes | None = None) -> Axes:
    """Forest plot: one row per scenario (in table order, first on top) with its mean difference from
    the baseline and the 95% CI as a horizontal error bar, a vertical line at 0. Differences significant
    after Holm correction are dark filled markers; others are grey hollow markers. Holm-adjusted p-values
    are shown as right-hand tick labels. Rows without a finite mean difference are listed as "n/a"."""
    rows = [r for r in comparisons if r.get("kpi") == kpi]
    if ax is None:
        ax = _new_axes(None, (7.0, max(3.0, 1.2 + 0.32 * len(rows))))
    baselines = sorted({str(r.get("baseline_id")) for r in rows if r.get("baseline_id") is not None})
    vs = f"vs baseline ({baselines[0]})" if len(baselines) == 1 else "vs baseline"
    ax.set_title(f"{kpi_label(kpi)}: difference {vs}", fontsize="medium")
    ax.set_xlabel(f"Difference in {kpi_label(kpi)} (scenario − baseline)")
    if not rows:
        _no_data(ax, "no comparisons")
        return ax
    n = len(rows)
    ypos = np.arange(n)[::-1].astype(float)
    labelled = {True: False, False: False}
    for r, yy in zip(rows, ypos):
        md = _float(r.get("mean_diff"))
        if not math.isfinite(md):
            ax.text(0.0, yy, "n/a", ha="center", va="center", fontsize="small", color="0.4")
            continue
        lo, hi = _float(r.get("ci95_low")), _float(r.get("ci95_high"))
        err = [[max(md - lo, 0.0) if math.isfinite(lo) else np.nan],
               [max(hi - md, 0.0) if math.isfinite(hi) else np.nan]]
        sig = _as_bool(r.get("significant_holm"))
        if sig:
            style = dict(color="#1b2a4a", mfc="#1b2a4a", mec="#1b2a4a", lw=1.8)
            label = "significant (Holm, 5%)"
        else:
            style = dict(color="0.6", mfc="none", mec="0.45", lw=1.2)
            label = "not significant"
        ax.errorbar([md], [yy], xerr=err, fmt="o", ms=6, capsize=3, zorder=3,
                    label=label if not labelled[sig] else "_nolegend_", **style)
        labelled[sig] = True
    ax.axvline(0.0, color="black", lw=0.9, ls="--", zorder=1)
    ax.set_yticks(ypos, [str(r.get("scenario", r.get("scenario_id"))) for r in rows])
    ax.set_ylim(-0.7, n - 0.3)
    pv = [_float(r.get("p_holm")) for r in rows]
    if any(math.isfinite(p) for p in pv):
        sec = ax.secondary_yaxis("right")
        sec.set_yticks(ypos, [f"p={p:.3g}" if math.isfinite(p) else "" for p in pv])
        sec.tick_params(labelsize="x-small", length=0)
        sec.set_ylabel("Holm-adjusted p", fontsize="small")
    ax.grid(True, axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    if any(labelled.values()):
        ax.legend(fontsize="small", loc="best")
    return ax


# ------------------------------------------------------------------------------------- sensitivity

def standardized_regression_coefficients(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised regression coefficients (SRC) and R^2 of a linear fit of ``y`` on the columns of ``X``.

    ``y`` and each column of ``X`` are standardised (zero mean, unit standard deviation), then fitted by
    least squares with an intercept. Rows with a non-finite value are dropped first. Constant columns
    get coefficient 0 and are left out of the fit; if ``y`` is constant all coefficients are 0 and R^2
    is NaN. Raises ``ValueError`` with fewer (complete) rows than columns + 2.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"X must be (n, k) with n = len(y) = {y.size}, got shape {X.shape}")
    ok = np.all(np.isfinite(X), axis=1) & np.isfinite(y)
    X, y = X[ok], y[ok]
    n, k = X.shape
    if n < k + 2:
        raise ValueError(f"need at least {k + 2} complete rows for {k} inputs, got {n}")
    coef = np.zeros(k)

    def _std(a: np.ndarray) -> float:
        sd = float(np.std(a))
        scale = max(float(np.max(np.abs(a))), 1e-300)
        return sd if sd > 1e-12 * scale else 0.0

    sy = _std(y)
    if sy == 0.0:
        return coef, float("nan")
    z = (y - y.mean()) / sy
    sx = np.array([_std(X[:, j]) for j in range(k)])
    use = np.flatnonzero(sx > 0)
    if use.size == 0:
        return coef, 0.0
    Z = (X[:, use] - X[:, use].mean(axis=0)) / sx[use]
    A = np.column_stack([np.ones(n), Z])
    beta, *_ = np.linalg.lstsq(A, z, rcond=None)
    coef[use] = beta[1:]
    resid = z - A @ beta
    r2 = 1.0 - float(resid @ resid) / float(z @ z)
    return coef, r2


def _runs_matrix(runs: Sequence[Mapping], inputs: Sequence[str]) -> np.ndarray:
    X = np.full((len(runs), len(inputs)), np.nan)
    for j, name in enumerate(inputs):
        for i, r in enumerate(runs):
            v = r.get(name)
            if isinstance(v, str) and v.strip() and not math.isfinite(_float(v)):
                raise ValueError(f"input {name!r} is not numeric (value {v!r}); SRC needs numeric inputs")
            X[i, j] = _float(v)
    return X


def plot_sensitivity(runs: Sequence[Mapping], inputs: Sequence[str], kpis: Sequence[str], ax: Axes | None = None) -> Axes:
    """Grouped horizontal bar chart of standardised regression coefficients from the runs table.

    Each input is a group of bars on the y axis (first input on top); within a group one bar per KPI,
    coloured by KPI, whose legend entry gives the fit's R^2. KPIs that cannot be fitted (too few
    complete runs, constant) are left out. Raises ``ValueError`` for a non-numeric input.
    """
    inputs = list(inputs)
    kpis = list(kpis)
    runs = list(runs)
    if ax is None:
        h = max(4.0, 1.5 + 0.22 * len(inputs) * max(len(kpis), 1))
        ax = _new_axes(None, (7.5, h))
    ax.set_xlabel("Standardised regression coefficient (SRC, -)")
    ax.set_title("Sensitivity of KPIs to inputs (SRC over runs)", fontsize="medium")
    X = _runs_matrix(runs, inputs)
    fits: list[tuple[str, np.ndarray, float]] = []
    for kpi in kpis:
        y = np.array([_float(r.get(kpi)) for r in runs])
        try:
            coef, r2 = standardized_regression_coefficients(X, y)
        except ValueError:
            continue
        if not math.isfinite(r2):
            continue
        fits.append((kpi, coef, r2))
    if not fits or not inputs:
        _no_data(ax, "not enough data for a regression")
        return ax
    m = len(fits)
    height = 0.8 / m
    base = np.arange(len(inputs))[::-1].astype(float)
    cmap = matplotlib.colormaps["tab10" if m <= 10 else "tab20"]
    for k, (kpi, coef, r2) in enumerate(fits):
        pos = base + 0.4 - height * (k + 0.5)
        ax.barh(pos, coef, height=height * 0.9, color=cmap(k % cmap.N),
                label=f"{kpi_label(kpi)}, R² = {r2:.2f}")
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(base, [factor_label(f) for f in inputs])
    lim = max(1.0, float(np.max(np.abs([c for _, cs, _ in fits for c in cs])))) * 1.05
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.6, len(inputs) - 0.4)
    ax.grid(True, axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize="x-small", loc="best")
    return ax


# ------------------------------------------------------------------------------------------ writer

def _token(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))


def _file_tokens(names: Sequence[str]) -> dict[str, str]:
    """File-name token per factor: its short name, or the full path (dots -> '-') if short names clash."""
    shorts = [_short(n) for n in names]
    return {n: _token(s if shorts.count(s) == 1 else n.replace(".", "-")) for n, s in zip(names, shorts)}


def _has_finite(rows: Iterable[Mapping], key: str) -> bool:
    return any(math.isfinite(_float(r.get(key))) for r in rows)


def write_experiment_figures(out_dir: str | os.PathLike, summary: Sequence[Mapping], comparisons: Sequence[Mapping],
                             runs: Sequence[Mapping], levers: Sequence[str], uncertainties: Sequence[str],
                             kpis: Sequence[str], baseline_id: str | None,
                             cost_kpi: str = "cost_per_parcel_cny",
                             service_kpis: Sequence[str] = ("inbound_lead_time_mean_h", "residents_served_share"),
                             ) -> list[pathlib.Path]:
    """Write the experiment figures as PNG (dpi 120) and SVG into ``out_dir`` (created if needed):

    * ``kpi_vs_<lever short name>__<kpi>`` for each lever with >= 2 distinct values and each KPI;
    * ``heatmap__<kpi>`` for each KPI if exactly two levers have >= 2 distinct values;
    * ``pareto__<service kpi>`` for each service KPI in the summary (cost on x; skipped without ``cost_kpi``);
      the direction of "better" comes from :func:`higher_is_better`;
    * ``forest__<kpi>`` for each KPI of ``kpis`` present in the comparisons;
    * ``sensitivity`` if some uncertainties/levers take >= 3 distinct numeric values in the runs and there
      are at least max(``MIN_SENSITIVITY_RUNS``, inputs + 2) runs (inputs = uncertainties, then levers).

    Figures of a KPI without any finite value are skipped. Files are written atomically and
    deterministically (fixed SVG hash salt, no date), so identical inputs give byte-identical files.
    Returns the sorted list of written paths.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = list(summary)
    comparisons = list(comparisons or [])
    runs = list(runs or [])
    kpis = list(dict.fromkeys(kpis))
    levers = list(dict.fromkeys(levers))
    uncertainties = list(dict.fromkeys(uncertainties))

    makers: list[tuple[str, object]] = []
    kpis_ok = [k for k in kpis if _has_finite(_kpi_rows(summary, k), "mean")]
    varying = [lv for lv in levers if len(_distinct(summary, lv)) >= 2]
    tokens = _file_tokens(levers)
    for lv in varying:
        for kpi in kpis_ok:
            makers.append((f"kpi_vs_{tokens[lv]}__{_token(kpi)}",
                           lambda lv=lv, kpi=kpi: plot_kpi_vs_lever(summary, lv, kpi)))
    if len(varying) == 2:
        for kpi in kpis_ok:
            makers.append((f"heatmap__{_token(kpi)}",
                           lambda kpi=kpi: plot_heatmap(summary, varying[0], varying[1], kpi)))
    if _has_finite(_kpi_rows(summary, cost_kpi), "mean"):
        for sk in dict.fromkeys(service_kpis):
            if sk == cost_kpi or not _has_finite(_kpi_rows(summary, sk), "mean"):
                continue
            makers.append((f"pareto__{_token(sk)}",
                           lambda sk=sk: plot_pareto(summary, cost_kpi, sk, higher_is_better(sk), baseline_id)))
    for kpi in kpis:
        if _has_finite([r for r in comparisons if r.get("kpi") == kpi], "mean_diff"):
            makers.append((f"forest__{_token(kpi)}", lambda kpi=kpi: plot_forest(comparisons, kpi)))
    inputs = [f for f in dict.fromkeys(uncertainties + levers)
              if len(_distinct(runs, f)) >= 3 and _is_numeric(_distinct(runs, f))]
    run_kpis = [k for k in kpis if _has_finite(runs, k)]
    if inputs and run_kpis:
        complete = sum(1 for r in runs if all(math.isfinite(_float(r.get(f))) for f in inputs))
        if complete >= max(MIN_SENSITIVITY_RUNS, len(inputs) + 2):
            makers.append(("sensitivity", lambda: plot_sensitivity(runs, inputs, run_kpis)))

    return save_figures(out, makers)
