"""A national year's figures: headline KPIs by province-like region and by remoteness
class, drawn from regions.csv and remoteness.csv alone (the country's value as a dashed
line)."""
from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.figures.base import as_float, kpi_label, new_axes, no_data, read_table, save_figures

NATIONAL_FIGURE_KPIS = ("cost_per_parcel_cny", "inbound_lead_time_mean_h", "spoilage_rate", "cost_per_kg_out_cny")
"""The panels of each national figure, in order."""

NATIONAL = "national"


def plot_by_group(rows: Sequence[Mapping], group: str, kpi: str, ax: Axes | None = None) -> Axes:
    """``kpi`` of each group row as a dot (the row named ``national`` as a dashed line across
    them; the y axis need not start at 0, so lead times of 32 and 33 h stay apart). A group
    without a value (no counties in a preview, no produce) shows "n/a", not a zero; each tick
    gives the group's number of counties."""
    ax = new_axes(ax, (5.0, 3.2))
    parts = [r for r in rows if str(r.get(group)) != NATIONAL]
    whole = [r for r in rows if str(r.get(group)) == NATIONAL]
    if not parts:
        no_data(ax, "no counties")
        return ax
    x = np.arange(len(parts))
    y = np.array([as_float(r.get(kpi)) for r in parts])
    ok = np.isfinite(y)
    ax.plot(x[ok], y[ok], "o", color="#4C72B0", ms=7, zorder=3)
    if whole and np.isfinite(as_float(whole[0].get(kpi))):
        ax.axhline(as_float(whole[0].get(kpi)), color="0.2", linestyle="--", linewidth=1.0, label="national")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False, borderaxespad=0.2)
    lo, hi = ax.get_ylim()
    for i in np.flatnonzero(~ok):
        ax.text(x[i], (lo + hi) / 2, "n/a", ha="center", va="center", fontsize="small", color="0.4")
    names = [str(r.get(group)) for r in parts]
    counts = [int(as_float(r.get("counties"))) if np.isfinite(as_float(r.get("counties"))) else 0 for r in parts]
    long_names = len(parts) > 6 and max(len(n) for n in names) > 3
    sep = " " if long_names else "\n"
    ax.set_xticks(x, [f"{n}{sep}(n={c})" for n, c in zip(names, counts, strict=True)],
                  rotation=90 if long_names else 0, fontsize="small")
    ax.set_xlim(-0.6, len(parts) - 0.4)
    ax.grid(True, axis="y", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_ylabel(kpi_label(kpi))
    ax.set_xlabel("remoteness class (1 = nearest its city; n = counties)" if group == "remoteness_class"
                  else f"{group} (n = counties)")
    return ax


def plot_national_panels(rows: Sequence[Mapping], group: str, title: str) -> Axes:
    """A figure of :data:`NATIONAL_FIGURE_KPIS` by ``group``; returns its first axes."""
    fig = Figure(figsize=(9.0, 6.5), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, kpi in zip(axes, NATIONAL_FIGURE_KPIS, strict=True):
        plot_by_group(rows, group, kpi, ax)
    fig.suptitle(title)
    return axes[0]


def draw_national_figures(out: pathlib.Path, preview: int | None = None) -> list[pathlib.Path]:
    """A national year's figures into ``out/figures`` from its written tables; a preview
    (``preview`` counties sampled) says so in the titles."""
    out = pathlib.Path(out)
    regions = read_table(out / "regions.csv")
    remote = read_table(out / "remoteness.csv")
    figs = out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    note = f" (a preview: {preview} counties sampled)" if preview else ""
    return save_figures(figs, [
        ("national_by_region", lambda: plot_national_panels(regions, "region", f"A national year by region{note}")),
        ("national_by_remoteness", lambda: plot_national_panels(remote, "remoteness_class",
                                                                 f"A national year by remoteness{note}")),
    ], prune=True)
