"""Figures of an experiment's trade-offs: the Pareto front of cost against service,
and the forest plot of paired differences against the baseline scenario."""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from sim.analysis.pareto import pareto_front
from sim.figures.base import (
    as_bool,
    as_float,
    factor_label,
    in_sentence,
    kpi_axis_label,
    kpi_unit,
    legend_below,
    money_scale,
    new_axes,
    no_data,
    plain_ticks,
    short_name,
    wrap_title,
)
from sim.figures.rows import (
    factor_columns,
    kpi_rows,
    summary_by_scenario,
)

_FIGSIZE = (7.0, 4.8)

#: Longest title line (characters) that fits the width of a figure.
TITLE_CHARS = 70

LABEL_CHARS = 32
"""Longest scenario label written beside a point (longer ones are cut, the rest is in summary.csv)."""


def constant_kpi(summary, kpi: str) -> bool:
    """Every scenario has the same mean of ``kpi`` (to 1e-12 relative)."""
    means = [float(r["mean"]) for r in kpi_rows(summary, kpi) if np.isfinite(float(r["mean"]))]
    return len(means) > 0 and max(means) - min(means) <= 1e-12 * max(1.0, abs(max(means)))


def plot_pareto(summary: Sequence[Mapping], cost_kpi: str, service_kpi: str, service_higher_is_better: bool = False,
                baseline_id: str | None = None, ax: Axes | None = None) -> Axes:
    """Cost (x) against service (y), one point per scenario with 95% error bars in both directions.

    The Pareto front (cost minimised; service minimised, or maximised if ``service_higher_is_better``)
    is drawn as a red staircase with markers (label "Pareto front"; a front of one scenario says so),
    the edge of what the scenarios dominate; the baseline scenario, if given and present, is a gold
    star. Every point is annotated with its scenario label (red on the front), placed clear of the
    other labels, the markers and the legend. Amounts in CNY are shown in thousand or million CNY
    where large. Scenarios missing either mean are left out.
    """
    ax = new_axes(ax, _FIGSIZE)
    cost = summary_by_scenario(summary, cost_kpi)
    serv = summary_by_scenario(summary, service_kpi)
    ids = sorted(sid for sid in cost if sid in serv
                 and math.isfinite(cost[sid][1]) and math.isfinite(serv[sid][1]))
    xs, xunit = money_scale([cost[s][1] for s in ids], kpi_unit(cost_kpi))
    ys, yunit = money_scale([serv[s][1] for s in ids], kpi_unit(service_kpi))
    better = "higher" if service_higher_is_better else "lower"
    ax.set_xlabel(f"{kpi_axis_label(cost_kpi, xunit)}, lower is better")
    ax.set_ylabel(f"{kpi_axis_label(service_kpi, yunit)}, {better} is better")
    ax.set_title(wrap_title(f"Trade-off: {in_sentence(kpi_axis_label(cost_kpi, ''))} vs "
                            f"{in_sentence(kpi_axis_label(service_kpi, ''))}"), fontsize="medium")
    if not ids:
        no_data(ax, "no scenarios with both KPIs")
        return ax
    x = np.array([cost[s][1] for s in ids]) / xs
    xe = np.array([cost[s][2] for s in ids]) / xs
    y = np.array([serv[s][1] for s in ids]) / ys
    ye = np.array([serv[s][2] for s in ids]) / ys
    paths = {short_name(k): k for k in factor_columns(summary)}
    labels, keys = compact_labels([cost[s][0] for s in ids], paths)
    if keys:   # design points: their values, the factors named once
        ax.set_title(ax.get_title() + "\n" + wrap_title(f"points labelled by {', '.join(keys)}"), fontsize="medium")

    ax.errorbar(x, y, xerr=xe, yerr=ye, fmt="o", color="0.55", ms=4, lw=0.8, capsize=2,
                label="scenario (±95% CI)", zorder=2)
    front = pareto_front(np.column_stack([x, -y if service_higher_is_better else y]))
    idx = np.flatnonzero(front)
    order = idx[np.lexsort((y[idx] if not service_higher_is_better else -y[idx], x[idx]))]
    # a staircase: the corners between two front points are not scenarios, and a straight segment
    # would suggest options in between that were never run
    front_label = "Pareto front" if len(order) > 1 else "Pareto front (one scenario: no other is better on either)"
    ax.plot(x[order], y[order], color="tab:red", marker="o", ms=6, lw=1.5, zorder=3, label=front_label,
            drawstyle="steps-post")
    sizes = np.where(front, 4.0, 3.0)  # marker radius (points) that labels keep clear of
    if baseline_id is not None and str(baseline_id) in ids:
        b = ids.index(str(baseline_id))
        name = "baseline" if labels[b].strip().lower() == "baseline" else f"baseline ({labels[b]})"
        # on the front the star hides a red marker: its red edge says so
        ax.scatter([x[b]], [y[b]], marker="*", s=220, c="gold", edgecolors="tab:red" if front[b] else "black",
                   linewidths=1.2 if front[b] else 0.8, zorder=4, label=name)
        sizes[b] = 9.0
    ax.margins(x=0.15, y=0.12)  # room for the labels
    ax.legend(fontsize="small", loc="best")
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    colours = ["tab:red" if f else "0.25" for f in front]
    whiskers = [np.array([[x[i] - xe[i], y[i]], [x[i] + xe[i], y[i]]]) for i in range(len(ids))]
    whiskers += [np.array([[x[i], y[i] - ye[i]], [x[i], y[i] + ye[i]]]) for i in range(len(ids))]
    place_labels(ax, x, y, [short_label(t) for t in labels], colours, sizes,
                 [np.column_stack([x[order], y[order]]), *whiskers])
    return ax


def compact_labels(labels: Sequence[str], paths: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Scenario labels of design points ("coverage_share=0.5, vehicles_per_route=2", a named
    scenario's name first) as their values alone ("0.5, 2") and the factors' labels in that
    order (``paths``: a factor's key path by its short name, for its label), when every label
    names the same factors in the same order; else the labels as they are and no factors."""
    parsed = [[tuple(part.split("=", 1)) if "=" in part else ("", part) for part in str(t).split(", ")]
              for t in labels]
    keys = [[k for k, _ in parts if k] for parts in parsed]
    if not labels or not keys[0] or any(k != keys[0] for k in keys):
        return list(labels), []
    names = [factor_label((paths or {}).get(k, k)) for k in keys[0]]
    return [", ".join(v for _, v in parts) for parts in parsed], names


def short_label(text: str) -> str:
    """A scenario label cut to ``LABEL_CHARS`` characters (with an ellipsis)."""
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


# where a label goes relative to its point: direction and text alignment
_HA = Literal["left", "center", "right"]
_VA = Literal["bottom", "center", "top"]
_SPOTS: tuple[tuple[float, float, _HA, _VA], ...] = (
    (1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"), (0, -1, "center", "top"),
    (1, 1, "left", "bottom"), (-1, 1, "right", "bottom"), (1, -1, "left", "top"), (-1, -1, "right", "top"))
_RINGS = (3.0, 14.0, 28.0)  # gaps (points) between a marker's edge and its label, tried in turn


def place_labels(ax: Axes, x: np.ndarray, y: np.ndarray, texts: Sequence[str], colours: Sequence,
                 radii: np.ndarray, lines: Sequence[np.ndarray] = ()) -> list[Annotation]:
    """Annotate each point (``x``, ``y``) with its text, trying spots around it (right, left, above,
    below, the diagonals; then further out, with a leader line) and taking the first whose text stays
    inside the axes and clear of the markers (``radii`` in points), of ``lines`` (polylines in data
    coordinates, (n, 2) arrays: error bars, connecting lines), of the labels placed so far and of the
    legend; failing that the spot with the least overlap. The figure is laid out once to measure the
    texts; the legend is then fixed where it was drawn and the labels are left out of the layout, so
    that neither moves when the figure is drawn again."""
    fig = ax.figure
    assert isinstance(fig, Figure)
    fig.draw_without_rendering()
    legend = ax.get_legend()
    frame = ax.get_window_extent()
    obstacles = []
    if legend is not None:
        box = legend.get_window_extent()
        legend.set_loc(((box.x0 - frame.x0) / frame.width, (box.y0 - frame.y0) / frame.height))
        obstacles.append(box)
    pt = fig.dpi / 72.0
    centres = ax.transData.transform(np.column_stack([x, y]))
    for (cx, cy), r in zip(centres, radii, strict=True):
        obstacles.append(Bbox.from_extents(cx - r * pt, cy - r * pt, cx + r * pt, cy + r * pt))
    for line in lines:  # a line is a chain of small boxes every 3 points along it
        xy = ax.transData.transform(np.asarray(line, dtype=float))
        for a, b in itertools.pairwise(xy):
            if not np.all(np.isfinite([a, b])):
                continue
            for t in np.linspace(0.0, 1.0, int(np.hypot(*(b - a)) / (3 * pt)) + 2):
                cx, cy = a + t * (b - a)
                obstacles.append(Bbox.from_extents(cx - pt, cy - pt, cx + pt, cy + pt))
    placed: list[Annotation] = []
    for i in np.lexsort((y, x)):  # left to right: deterministic
        probe = ax.annotate(texts[i], (x[i], y[i]), xytext=(0, 0), textcoords="offset points", fontsize="x-small")
        best: tuple[float, tuple] | None = None
        for ring in _RINGS:
            for ux, uy, ha, va in _SPOTS:
                d = radii[i] + ring
                probe.set_position((ux * d, uy * d))
                probe.set_horizontalalignment(ha)
                probe.set_verticalalignment(va)
                box = probe.get_window_extent()
                clash = sum(_overlap(box, o) for o in obstacles)
                clash += box.width * box.height - _overlap(box, frame)  # the part outside the axes
                if best is None or clash < best[0]:
                    best = (clash, (ux * d, uy * d, ha, va, ring, box))
                if clash == 0:
                    break
            if best is not None and best[0] == 0:
                break
        probe.remove()
        assert best is not None
        dx, dy, ha, va, ring, box = best[1]
        far = ring > _RINGS[0]
        arrow = dict(arrowstyle="-", color=colours[i], lw=0.6, shrinkA=1, shrinkB=radii[i]) if far else None
        ann = ax.annotate(texts[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                          fontsize="x-small", color=colours[i], arrowprops=arrow, zorder=5)
        ann.set_in_layout(False)
        obstacles.append(box)
        placed.append(ann)
    return placed


# ------------------------------------------------------------------------------------------ forest

FOREST_TICKS = 5
"""Most intervals on the value axis of a plot of one row per scenario (forest, each scenario's value)."""


def plot_forest(comparisons: Sequence[Mapping], kpi: str, ax: Axes | None = None, *,
                scenario_labels: Mapping[str, str] | None = None,
                factor_paths: Mapping[str, str] | None = None) -> Axes:
    """Forest plot: one row per scenario (in table order, first on top) with its mean difference from
    the baseline and the 95% CI as a horizontal error bar, a vertical line at 0. Differences significant
    after Holm correction are dark filled markers; others are grey hollow markers (so a bar clear of 0
    may carry a hollow marker: the legend says the bars are not corrected). Holm-adjusted p-values
    are shown as right-hand tick labels. Rows without a finite mean difference are listed as "n/a".
    The title names the baseline by its label in ``scenario_labels`` (scenario_id -> label, e.g. from
    the summary table), never by its id; amounts in CNY are in thousand or million CNY where large.
    Design points ("tiers=2, remote_every_d=3") are labelled by their values, the factors named
    once on the axis by their labels (``factor_paths``: a factor's key path by its short name), as
    in the heat maps and Pareto plots."""
    rows = [r for r in comparisons if r.get("kpi") == kpi]
    own = ax is None
    if ax is None:
        ax = new_axes(None, (7.0, max(3.0, 1.2 + 0.32 * len(rows))))
    baselines = sorted({str(r.get("baseline_id")) for r in rows if r.get("baseline_id") is not None})
    names = scenario_labels or {}
    scale, unit = money_scale([as_float(r.get(k)) for r in rows for k in ("mean_diff", "ci95_low", "ci95_high")],
                              kpi_unit(kpi))
    name = kpi_axis_label(kpi, "")  # without its unit
    title = f"{name}: difference vs baseline"
    row_labels = [str(r.get("scenario", r.get("scenario_id"))) for r in rows]
    keys: list[str] = []
    if factor_paths:
        row_labels, keys = compact_labels(row_labels, factor_paths)
    if len(baselines) == 1 and baselines[0] in names:
        base_label = names[baselines[0]]
        if keys:
            base_label = compact_labels([base_label], factor_paths)[0][0]
        which = f"({base_label})"
        title += f"\n{which}" if len(title) + len(which) > TITLE_CHARS else f" {which}"
    ax.set_title(wrap_title(title, TITLE_CHARS), fontsize="medium")
    ax.set_xlabel(f"Difference in {in_sentence(name)}, scenario − baseline"
                  + (f" ({unit})" if kpi_axis_label(kpi, unit) != name else ""))
    if not rows:
        no_data(ax, "no comparisons")
        return ax
    n = len(rows)
    ypos = np.arange(n)[::-1].astype(float)
    labelled = {True: False, False: False}
    for r, yy in zip(rows, ypos, strict=True):
        md = as_float(r.get("mean_diff")) / scale
        if not math.isfinite(md):
            ax.text(0.0, yy, "n/a", ha="center", va="center", fontsize="small", color="0.4")
            continue
        lo, hi = as_float(r.get("ci95_low")) / scale, as_float(r.get("ci95_high")) / scale
        err = [[max(md - lo, 0.0) if math.isfinite(lo) else np.nan],
               [max(hi - md, 0.0) if math.isfinite(hi) else np.nan]]
        sig = as_bool(r.get("significant_holm"))
        style: dict[str, Any]
        if sig:
            style = dict(color="#1b2a4a", mfc="#1b2a4a", mec="#1b2a4a", lw=1.8)
            label = "significant after Holm correction (5%)"
        else:
            style = dict(color="0.6", mfc="none", mec="0.45", lw=1.2)
            label = "not significant after Holm correction"
        ax.errorbar([md], [yy], xerr=err, fmt="o", ms=6, capsize=3, zorder=3,
                    label=label if not labelled[sig] else "_nolegend_", **style)
        labelled[sig] = True
    ax.axvline(0.0, color="black", lw=0.9, ls="--", zorder=1)
    # few ticks: long scenario names leave the data a narrow strip, where signed decimals would run together
    plain_ticks(ax.xaxis, most=FOREST_TICKS)
    ax.set_yticks(ypos, row_labels)
    if keys:
        ax.set_ylabel(wrap_title(", ".join(keys), 40), fontsize="small")
    ax.set_ylim(-0.7, n - 0.3)
    pv = [as_float(r.get("p_holm")) for r in rows]
    if any(math.isfinite(p) for p in pv):
        sec = ax.secondary_yaxis("right")
        sec.set_yticks(ypos, [f"p={p:.3g}" if math.isfinite(p) else "" for p in pv])
        sec.tick_params(labelsize="x-small", length=0)
        sec.set_ylabel("Holm-adjusted p", fontsize="small")
    ax.grid(True, axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    if any(labelled.values()):
        # the bars are each comparison's own interval, the markers' fill the corrected test: a bar clear
        # of 0 on a hollow marker is no contradiction, and the legend says why
        ax.errorbar([np.nan], [np.nan], xerr=[[np.nan], [np.nan]], fmt="none", ecolor="0.3", capsize=3,
                    label="bar: 95% CI of the difference alone (not corrected)")
        legend_below(ax, own)   # clear of the rows (at "best" it could sit on a point: errorbars are not avoided)
    return ax


# ------------------------------------------------------------------------------------------ writer
