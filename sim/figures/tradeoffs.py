"""Figures of an experiment's trade-offs: the Pareto front of cost against service,
and the forest plot of paired differences against the baseline scenario."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from sim.analysis.pareto import pareto_front
from sim.figures.base import (
    as_bool,
    as_float,
    kpi_label,
    label_name,
    new_axes,
    no_data,
)
from sim.figures.rows import (
    kpi_rows,
    summary_by_scenario,
)

_FIGSIZE = (7.0, 4.8)

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
    is drawn as a connected red line with markers (label "Pareto front") and its points are annotated
    with the scenario labels; the baseline scenario, if given and present, is a gold star.
    Scenarios missing either mean are left out.
    """
    ax = new_axes(ax, _FIGSIZE)
    cost = summary_by_scenario(summary, cost_kpi)
    serv = summary_by_scenario(summary, service_kpi)
    ids = sorted(sid for sid in cost if sid in serv
                 and math.isfinite(cost[sid][1]) and math.isfinite(serv[sid][1]))
    better = "higher" if service_higher_is_better else "lower"
    ax.set_xlabel(f"{kpi_label(cost_kpi)} (lower is better)")
    ax.set_ylabel(f"{kpi_label(service_kpi)} ({better} is better)")
    ax.set_title(f"Trade-off: {label_name(kpi_label(cost_kpi))} vs {label_name(kpi_label(service_kpi))}",
                 fontsize="medium")
    if not ids:
        no_data(ax, "no scenarios with both KPIs")
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
        text = labels[i] if len(labels[i]) <= LABEL_CHARS else labels[i][:LABEL_CHARS - 1] + "…"
        ax.annotate(text, (x[i], y[i]), xytext=(5, 5 if up else -5), textcoords="offset points",
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
        ax = new_axes(None, (7.0, max(3.0, 1.2 + 0.32 * len(rows))))
    baselines = sorted({str(r.get("baseline_id")) for r in rows if r.get("baseline_id") is not None})
    vs = f"vs baseline ({baselines[0]})" if len(baselines) == 1 else "vs baseline"
    ax.set_title(f"{kpi_label(kpi)}: difference {vs}", fontsize="medium")
    ax.set_xlabel(f"Difference in {kpi_label(kpi)} (scenario − baseline)")
    if not rows:
        no_data(ax, "no comparisons")
        return ax
    n = len(rows)
    ypos = np.arange(n)[::-1].astype(float)
    labelled = {True: False, False: False}
    for r, yy in zip(rows, ypos, strict=True):
        md = as_float(r.get("mean_diff"))
        if not math.isfinite(md):
            ax.text(0.0, yy, "n/a", ha="center", va="center", fontsize="small", color="0.4")
            continue
        lo, hi = as_float(r.get("ci95_low")), as_float(r.get("ci95_high"))
        err = [[max(md - lo, 0.0) if math.isfinite(lo) else np.nan],
               [max(hi - md, 0.0) if math.isfinite(hi) else np.nan]]
        sig = as_bool(r.get("significant_holm"))
        style: dict[str, Any]
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
    pv = [as_float(r.get("p_holm")) for r in rows]
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


# ------------------------------------------------------------------------------------------ writer
