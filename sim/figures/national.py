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
    """Bars of ``kpi`` for each group row (the row named ``national`` drawn as a dashed
    line across them)."""
    ax = new_axes(ax, (5.0, 3.2))
    parts = [r for r in rows if str(r.get(group)) != NATIONAL]
    whole = [r for r in rows if str(r.get(group)) == NATIONAL]
    if not parts:
        no_data(ax, "no counties")
        return ax
    x = np.arange(len(parts))
    y = np.array([as_float(r.get(kpi)) for r in parts])
    ax.bar(x, np.nan_to_num(y), color="#4C72B0", width=0.7)
    ax.set_xticks(x, [str(r.get(group)) for r in parts], rotation=0 if len(parts) <= 6 else 90)
    if whole and np.isfinite(as_float(whole[0].get(kpi))):
        ax.axhline(as_float(whole[0].get(kpi)), color="0.2", linestyle="--", linewidth=1.0, label="national")
        ax.legend(loc="best", fontsize="small")
    ax.set_ylabel(kpi_label(kpi))
    ax.set_xlabel("remoteness class (1 = nearest its city)" if group == "remoteness_class" else group)
    return ax


def plot_national_panels(rows: Sequence[Mapping], group: str, title: str) -> Axes:
    """A figure of :data:`NATIONAL_FIGURE_KPIS` by ``group``; returns its first axes."""
    fig = Figure(figsize=(9.0, 6.0), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, kpi in zip(axes, NATIONAL_FIGURE_KPIS, strict=True):
        plot_by_group(rows, group, kpi, ax)
    fig.suptitle(title)
    return axes[0]


def draw_national_figures(out: pathlib.Path) -> list[pathlib.Path]:
    """A national year's figures into ``out/figures`` from its written tables."""
    out = pathlib.Path(out)
    regions = read_table(out / "regions.csv")
    remote = read_table(out / "remoteness.csv")
    figs = out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    return save_figures(figs, [
        ("national_by_region", lambda: plot_national_panels(regions, "region", "A national year by region")),
        ("national_by_remoteness", lambda: plot_national_panels(remote, "remoteness_class",
                                                                 "A national year by remoteness")),
    ])
