"""Matplotlib figures for experiments: many scenarios (lever/uncertainty settings) with replications,
compared with a baseline scenario.

Inputs are the experiment tables as plain lists of dicts (as read from CSV, numbers already converted):

* ``summary``: one row per scenario and KPI with ``scenario_id``, ``scenario`` (label), one key per
  factor path (e.g. ``"stations.coverage_share"``), ``kpi``, ``n``, ``mean``, ``std``, ``ci95_half_width``;
* ``comparisons``: one row per non-baseline scenario and KPI with ``scenario_id``, ``scenario``,
  ``baseline_id``, ``kpi``, ``n_pairs``, ``mean_diff``, ``ci95_low``, ``ci95_high``, ``var_reduction``,
  ``p_value``, ``p_holm``, ``significant_holm``;
* ``runs``: one row per scenario and replication with the factor columns and one column per KPI.

Every plot function takes ``ax=None`` and returns the Axes it drew on (object-oriented API only, see
:mod:`sim.figures.base`); :func:`write_experiment_figures` writes byte-identical PNG and SVG files for
identical inputs. KPI labels and directions come from :mod:`sim.analysis.registry`; the sensitivity
chart is in :mod:`sim.figures.sensitivity`.
"""

from __future__ import annotations

import functools
import math
import os
import pathlib
import re
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from sim.analysis import registry
from sim.figures.base import (
    as_float,
    factor_label,
    kpi_axis_label,
    kpi_unit,
    label_name,
    legend_below,
    money_scale,
    new_axes,
    no_data,
    plain_ticks,
    save_figures,
    short_name,
    wrap_title,
)
from sim.figures.rows import (
    combine,
    distinct,
    factor_columns,
    fmt_value,
    has_finite,
    is_numeric,
    kpi_rows,
    norm,
    resolve,
    sort_key,
)
from sim.figures.sensitivity import MIN_SENSITIVITY_RUNS, plot_sensitivity
from sim.figures.tradeoffs import FOREST_TICKS, constant_kpi, plot_forest, plot_pareto
from sim.files import at_decimals, supported_decimals

__all__ = [
    "plot_forest",
    "plot_heatmap",
    "plot_kpi_by_scenario",
    "plot_kpi_vs_lever",
    "plot_pareto",
    "plot_sensitivity",
    "write_experiment_figures",
]

_FIGSIZE = (7.0, 4.8)
_FIGSIZE_HEATMAP = (7.0, 5.2)

#: At most this many lines in :func:`plot_kpi_vs_lever` when other factors are chosen automatically.
MAX_LINES = 10
#: Other factors with more distinct values than this are averaged over, not drawn as separate lines.
MAX_LEVELS_PER_LINE_FACTOR = 8
#: A numeric lever with at most this many distinct values has its x ticks at exactly those values.
MAX_TICKED_LEVELS = 10


# ---------------------------------------------------------------------------------- KPI vs lever

def _choose_line_factors(rows: Sequence[Mapping], candidates: Sequence[str]) -> list[str]:
    """Other factors to draw as separate lines: those with few levels, fewest levels first, while the
    number of distinct combinations present stays <= MAX_LINES. The rest are averaged over."""
    levels = {f: len(distinct(rows, f)) for f in candidates}
    chosen: list[str] = []
    for f in sorted(candidates, key=lambda f: (levels[f], f)):
        if levels[f] > MAX_LEVELS_PER_LINE_FACTOR:
            continue
        trial = [*chosen, f]
        combos = {tuple(norm(r.get(g)) for g in trial) for r in rows}
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
    by x. Non-numeric lever values (e.g. vehicle type names) and numeric levers with only two values
    (no continuum between them to interpolate) are drawn at categorical x positions with error bars
    instead of a band; other numeric levers with few values have their ticks at exactly those values.
    Amounts in CNY are shown in thousand or million CNY where large. Scenarios with a missing lever
    value or non-finite mean are skipped.
    """
    ax = new_axes(ax, _FIGSIZE)
    rows = kpi_rows(summary, kpi)
    lever = resolve(rows, lever, "lever") if rows else lever
    rows = [r for r in rows if norm(r.get(lever)) is not None and math.isfinite(as_float(r.get("mean")))]
    scale, unit = money_scale([as_float(r.get("mean")) for r in rows], kpi_unit(kpi))
    ax.set_ylabel(kpi_axis_label(kpi, unit))
    ax.set_xlabel(factor_label(lever))
    title = f"{kpi_axis_label(kpi, unit)} vs {factor_label(lever)}"
    ax.set_title(wrap_title(title))
    if not rows:
        no_data(ax, "no finite values")
        return ax

    others = [f for f in factor_columns(rows) if f != lever and len(distinct(rows, f)) >= 2]
    if group_by is None:
        line_factors = _choose_line_factors(rows, others)
    else:
        line_factors = [resolve(rows, g) for g in group_by]
    averaged = [f for f in others if f not in line_factors]
    if averaged:
        over = ", ".join(label_name(factor_label(f)) for f in averaged)
        ax.set_title(wrap_title(f"{title}\n(mean over {over})"), fontsize="medium")

    # (combo, x) -> [(mean, hw)]
    cells: dict[tuple, dict] = {}
    for r in rows:
        combo = tuple(norm(r.get(f)) for f in line_factors)
        x = norm(r.get(lever))
        cell = cells.setdefault(combo, {}).setdefault(x, [])
        cell.append((as_float(r.get("mean")) / scale, as_float(r.get("ci95_half_width")) / scale))
    combos = sorted(cells, key=lambda c: tuple(sort_key(v) for v in c))
    xs_all = distinct(rows, lever)
    numeric = is_numeric(xs_all) and len(xs_all) != 2
    cmap = matplotlib.colormaps["tab10" if len(combos) <= 10 else "tab20"]
    n_lines = len(combos)
    width = 0.6  # total dodge width for categorical levers

    for k, combo in enumerate(combos):
        colour = cmap(k % cmap.N)
        if line_factors:
            label = ", ".join(f"{factor_label(f)} = {fmt_value(v)}" for f, v in zip(line_factors, combo, strict=True))
        else:
            label = kpi_axis_label(kpi, unit)
        xv = sorted(cells[combo], key=sort_key)
        stats = [combine(*zip(*cells[combo][x], strict=True)) for x in xv]
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
        ax.set_xticks(np.arange(len(xs_all)), [fmt_value(v) for v in xs_all])
        ax.set_xlim(-0.5, len(xs_all) - 0.5)
    elif _tick_at_levels(xs_all):
        ax.set_xticks(xs_all, [fmt_value(v) for v in xs_all])
    if line_factors or n_lines > 1:
        ax.legend(fontsize="small", loc="best")
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    return ax


def _tick_at_levels(levels: Sequence[float]) -> bool:
    """Whether a numeric lever's values are few and spread enough to be the x ticks themselves
    (evenly spaced integers, say, rather than values sampled from a range)."""
    if len(levels) > MAX_TICKED_LEVELS:
        return False
    gaps = np.diff(np.asarray(levels, dtype=float))
    span = float(levels[-1]) - float(levels[0])
    return span > 0 and float(gaps.min()) >= span / 25  # closer ticks would run into each other


# ----------------------------------------------------------------------------------------- heatmap

def plot_heatmap(summary: Sequence[Mapping], lever_x: str, lever_y: str, kpi: str, ax: Axes | None = None) -> Axes:
    """Grid of KPI means over two levers (mean of scenario means where other factors vary), annotated
    with the values and their 95% confidence half-widths (those of the averages where other factors
    vary: :func:`sim.figures.rows.combine`), all in the digits the widest interval supports, and with
    a colorbar labelled with the KPI. Cells without data are left grey. Grids wider than
    ``HEATMAP_INTERVAL_MAX`` columns or rows show the means alone (two lines would not fit a cell)
    and say so in the title."""
    ax = new_axes(ax, _FIGSIZE_HEATMAP)
    rows = kpi_rows(summary, kpi)
    if rows:
        lever_x = resolve(rows, lever_x, "lever")
        lever_y = resolve(rows, lever_y, "lever")
    ax.set_xlabel(factor_label(lever_x))
    ax.set_ylabel(factor_label(lever_y))
    rows = [r for r in rows if norm(r.get(lever_x)) is not None and norm(r.get(lever_y)) is not None
            and math.isfinite(as_float(r.get("mean")))]
    scale, unit = money_scale([as_float(r.get("mean")) for r in rows], kpi_unit(kpi))
    label = kpi_axis_label(kpi, unit)
    ax.set_title(label)
    if not rows:
        no_data(ax, "no finite values")
        return ax
    xs = distinct(rows, lever_x)
    ys = distinct(rows, lever_y)
    acc: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for r in rows:
        i = ys.index(norm(r.get(lever_y)))
        j = xs.index(norm(r.get(lever_x)))
        acc.setdefault((i, j), []).append((as_float(r.get("mean")) / scale,
                                           as_float(r.get("ci95_half_width")) / scale))
    grid = np.full((len(ys), len(xs)), np.nan)
    half = np.full_like(grid, np.nan)
    for (i, j), cell_rows in acc.items():
        grid[i, j], half[i, j] = combine(*zip(*cell_rows, strict=True))
    others = [f for f in factor_columns(rows) if f not in (lever_x, lever_y) and len(distinct(rows, f)) >= 2]
    intervals = max(len(xs), len(ys)) <= HEATMAP_INTERVAL_MAX
    what = "mean" + (f" over {', '.join(label_name(factor_label(f)) for f in others)}" if others else "")
    what += " ± 95% CI half-width" if intervals else "; intervals in summary.csv"
    ax.set_title(wrap_title(f"{label}\n(each cell: {what})"), fontsize="medium")

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.85")
    masked = np.ma.masked_invalid(grid)
    vmin, vmax = float(masked.min()), float(masked.max())
    if vmin == vmax:
        vmin, vmax = vmin - 0.5 * max(abs(vmin), 1.0), vmax + 0.5 * max(abs(vmax), 1.0)
    im = ax.imshow(masked, cmap=cmap, vmin=vmin, vmax=vmax, origin="lower", aspect="auto",
                   interpolation="nearest")
    # the means and their half-widths in the digits the widest interval supports, as plus_minus gives them; where
    # no interval varies (half-widths of 0), the means in one format that lines them up
    top = float(np.nanmax(half)) if intervals and np.isfinite(half).any() else math.nan
    decimals = supported_decimals(top, float(np.nanmax(np.abs(grid))))
    if decimals is None:
        cell, cell_half = _cell_format(grid), (lambda v: "0")
    else:
        cell = cell_half = functools.partial(at_decimals, decimals=decimals)
    for (i, j), v in np.ndenumerate(grid):
        if not math.isfinite(v):
            continue
        r, g, b, _ = cmap((v - vmin) / (vmax - vmin))
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        text = cell(v)
        if intervals and math.isfinite(half[i, j]):
            text += f"\n± {cell_half(half[i, j])}"
        ax.text(j, i, text, ha="center", va="center", fontsize="small", color="white" if dark else "black")
    ax.set_xticks(np.arange(len(xs)), [fmt_value(v) for v in xs])
    ax.set_yticks(np.arange(len(ys)), [fmt_value(v) for v in ys])
    cbar = ax.figure.colorbar(im, ax=ax, label=label)
    if max(abs(vmin), abs(vmax)) >= 1e4:   # 500,000 km, not 500000 (below, matplotlib's own ticks line up)
        plain_ticks(cbar.ax.yaxis)
    return ax


HEATMAP_INTERVAL_MAX = 8
"""Most columns or rows of a heat map whose cells also show their 95% half-widths."""


def _cell_format(grid: np.ndarray):
    """One format for every cell of a heat map, so that its values line up: as many decimals as
    ``sim.files.short_number`` gives the largest value (below 0.01 throughout: three significant digits)."""
    finite = np.abs(grid[np.isfinite(grid)])
    top = float(finite.max()) if finite.size else 0.0
    if 0 < top < 0.01:
        return lambda v: f"{v:.3g}"
    decimals = 0 if top >= 1000 else 1 if top >= 10 else 3
    return lambda v: f"{v:,.{decimals}f}"


MAX_SCENARIO_ROWS = 30
"""Most scenarios a figure of each scenario's value draws (one row each)."""
MAX_SCENARIO_LABEL = 36
"""Longest scenario name a row label shows; longer names (a sampled point's every factor) are numbered."""


def plot_kpi_by_scenario(summary: Sequence[Mapping], kpi: str, baseline_id: str | None = None,
                         ax: Axes | None = None) -> Axes:
    """One row per scenario (in table order, first on top): the KPI's mean over the replications
    with its 95% confidence interval, the baseline drawn apart; the values themselves, which the
    forest plot shows only as differences. Amounts in CNY in thousand or million CNY where large."""
    rows = kpi_rows(summary, kpi)
    own = ax is None
    if ax is None:
        ax = new_axes(None, (7.0, max(3.0, 1.3 + 0.32 * len(rows))))
    scale, unit = money_scale([as_float(r.get("mean")) for r in rows], kpi_unit(kpi))
    name = kpi_axis_label(kpi, "")
    reps = sorted({int(as_float(r.get("n"))) for r in rows if math.isfinite(as_float(r.get("n")))})
    over = f", {reps[0]} replications" if len(reps) == 1 else ""
    ax.set_title(wrap_title(f"{name} by scenario (mean, 95% CI{over})", 80), fontsize="medium")
    ax.set_xlabel(kpi_axis_label(kpi, unit))
    if not rows:
        no_data(ax, "no values")
        return ax
    ypos = np.arange(len(rows))[::-1].astype(float)
    for base in (False, True):
        pick = [i for i, r in enumerate(rows) if (str(r.get("scenario_id")) == str(baseline_id)) is base]
        if not pick:
            continue
        mean = np.array([as_float(rows[i].get("mean")) for i in pick]) / scale
        hw = np.array([as_float(rows[i].get("ci95_half_width")) for i in pick]) / scale
        ax.errorbar(mean, ypos[pick], xerr=np.where(np.isfinite(hw), hw, 0.0), fmt="*" if base else "o",
                    ms=11 if base else 6, capsize=3, color="#b8860b" if base else "#1b2a4a", zorder=3,
                    label="baseline" if base else "scenario")
    plain_ticks(ax.xaxis, most=FOREST_TICKS)
    labels = [str(r.get("scenario", r.get("scenario_id"))) for r in rows]
    if max(len(label) for label in labels) > MAX_SCENARIO_LABEL:   # design points named by every factor's value
        labels = [f"point {i + 1}" for i in range(len(rows))]
        ax.set_ylabel("Design point (scenarios in the order of summary.csv)")
        ax.set_title(wrap_title(f"{name} by design point (mean, 95% CI{over})", 80), fontsize="medium")
    ax.set_yticks(ypos, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(True, axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    if baseline_id is not None:
        legend_below(ax, own)
    return ax


def _regressable(values: Sequence) -> bool:
    """Whether a factor's distinct values can enter a linear regression: numbers, or true/false (0/1)."""
    return bool(values) and all(isinstance(v, (float, bool)) for v in values)


def scenario_labels(summary: Sequence[Mapping]) -> dict[str, str]:
    """scenario_id -> scenario label (its name, or its lever values) from the summary table."""
    out: dict[str, str] = {}
    for r in summary:
        sid, name = r.get("scenario_id"), r.get("scenario")
        if sid is not None and name is not None and str(name).strip():
            out.setdefault(str(sid), str(name))
    return out


def _token(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))


def _file_tokens(names: Sequence[str]) -> dict[str, str]:
    """File-name token per factor: its short name, or the full path (dots -> '-') if short names clash."""
    shorts = [short_name(n) for n in names]
    return {n: _token(s if shorts.count(s) == 1 else n.replace(".", "-")) for n, s in zip(names, shorts, strict=True)}


def write_experiment_figures(out_dir: str | os.PathLike, summary: Sequence[Mapping], comparisons: Sequence[Mapping],
                             runs: Sequence[Mapping], levers: Sequence[str], uncertainties: Sequence[str],
                             kpis: Sequence[str], baseline_id: str | None,
                             cost_kpi: str = "cost_per_parcel_cny",
                             service_kpis: Sequence[str] = ("inbound_lead_time_mean_h", "residents_served_share"),
                             workers: int | None = None) -> list[pathlib.Path]:
    """Write the experiment figures as PNG (dpi 120) and SVG into ``out_dir`` (created if needed):

    * ``kpi_vs_<lever short name>__<kpi>`` for each lever with >= 2 distinct values and each KPI;
    * ``heatmap__<kpi>`` for each KPI if exactly two levers have >= 2 distinct values;
    * ``pareto__<service kpi>`` for each service KPI in the summary (cost on x; skipped without ``cost_kpi``);
      the direction of "better" comes from :mod:`sim.analysis.registry`;
    * ``forest__<kpi>`` for each KPI of ``kpis`` present in the comparisons, the baseline named by its
      scenario label from the summary;
    * ``by_scenario__<kpi>`` for each KPI, each scenario's mean and interval, when no lever varies
      (named scenarios or a sample of uncertainties) and there are at most ``MAX_SCENARIO_ROWS``
      scenarios;
    * ``sensitivity`` if some uncertainties/levers take >= 2 distinct numeric (or true/false) values in
      the runs and there are at least max(``MIN_SENSITIVITY_RUNS``, inputs + 2) runs (inputs =
      uncertainties, then levers); varying inputs that are not numeric are named on the chart as left out.

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
    kpis_ok = [k for k in kpis if has_finite(kpi_rows(summary, k), "mean")]
    varying = [lv for lv in levers if len(distinct(summary, lv)) >= 2]
    tokens = _file_tokens(levers)
    for lv in varying:
        for kpi in kpis_ok:
            makers.append((f"kpi_vs_{tokens[lv]}__{_token(kpi)}",
                           lambda lv=lv, kpi=kpi: plot_kpi_vs_lever(summary, lv, kpi)))
    if len(varying) == 2:
        for kpi in kpis_ok:
            makers.append((f"heatmap__{_token(kpi)}",
                           lambda kpi=kpi: plot_heatmap(summary, varying[0], varying[1], kpi)))
    if has_finite(kpi_rows(summary, cost_kpi), "mean"):
        for sk in dict.fromkeys(service_kpis):
            if sk == cost_kpi or not has_finite(kpi_rows(summary, sk), "mean") or constant_kpi(summary, sk):
                continue   # no trade-off to draw when the service KPI is the same everywhere
            makers.append((f"pareto__{_token(sk)}",
                           lambda sk=sk: plot_pareto(summary, cost_kpi, sk, registry.higher_is_better(sk) is True,
                                                     baseline_id)))
    names = scenario_labels(summary)
    paths = {short_name(k): k for k in factor_columns(summary)}
    for kpi in kpis:
        if has_finite([r for r in comparisons if r.get("kpi") == kpi], "mean_diff"):
            makers.append((f"forest__{_token(kpi)}",
                           lambda kpi=kpi: plot_forest(comparisons, kpi, scenario_labels=names,
                                                       factor_paths=paths)))
    n_scenarios = len({str(r.get("scenario_id")) for r in summary})
    if not varying and 2 <= n_scenarios <= MAX_SCENARIO_ROWS:
        for kpi in kpis_ok:
            makers.append((f"by_scenario__{_token(kpi)}",
                           lambda kpi=kpi: plot_kpi_by_scenario(summary, kpi, baseline_id)))
    varying_inputs = [f for f in dict.fromkeys(uncertainties + levers) if len(distinct(runs, f)) >= 2]
    inputs = [f for f in varying_inputs if _regressable(distinct(runs, f))]
    left_out = [f for f in varying_inputs if f not in inputs]
    run_kpis = [k for k in kpis if has_finite(runs, k)]
    if inputs and run_kpis:
        complete = sum(1 for r in runs if all(math.isfinite(as_float(r.get(f))) for f in inputs))
        if complete >= max(MIN_SENSITIVITY_RUNS, len(inputs) + 2):
            makers.append(("sensitivity", lambda: plot_sensitivity(runs, inputs, run_kpis, left_out=left_out)))

    return save_figures(out, makers, workers, prune=True)
