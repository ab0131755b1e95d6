"""Sensitivity figure of an experiment: standardised regression coefficients of each KPI on the
sampled inputs, over all runs (the coefficients come from :mod:`sim.analysis.sensitivity`)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from sim.analysis.sensitivity import standardized_regression_coefficients
from sim.figures.base import as_float, factor_label, kpi_label, label_name, legend_below, new_axes, no_data, wrap_title

__all__ = ["MIN_SENSITIVITY_RUNS", "plot_sensitivity"]

#: :func:`sim.figures.experiment.write_experiment_figures` draws the sensitivity chart only with at
#: least this many complete runs (and never fewer than inputs + 2).
MIN_SENSITIVITY_RUNS = 10


def _runs_matrix(runs: Sequence[Mapping], inputs: Sequence[str]) -> np.ndarray:
    X = np.full((len(runs), len(inputs)), np.nan)
    for j, name in enumerate(inputs):
        for i, r in enumerate(runs):
            v = r.get(name)
            if isinstance(v, str) and v.strip() and not math.isfinite(as_float(v)):
                raise ValueError(f"input {name!r} is not numeric (value {v!r}); SRC needs numeric inputs")
            X[i, j] = as_float(v)
    return X


def plot_sensitivity(runs: Sequence[Mapping], inputs: Sequence[str], kpis: Sequence[str],
                     ax: Axes | None = None, left_out: Sequence[str] = ()) -> Axes:
    """Grouped horizontal bar chart of standardised regression coefficients from the runs table.

    Each input is a group of bars on the y axis (first input on top); within a group one bar per KPI,
    coloured by KPI, whose legend entry (under the axes: with two-level inputs the bars reach +-1 on
    both sides) gives the fit's R^2. KPIs that cannot be fitted (too few complete runs, constant) are
    left out; ``left_out`` names varying inputs that could not be regressed on (the title says so).
    Raises ``ValueError`` for a non-numeric input.
    """
    inputs = list(inputs)
    kpis = list(kpis)
    runs = list(runs)
    own = ax is None
    if ax is None:
        h = max(4.0, 1.5 + 0.22 * len(inputs) * max(len(kpis), 1))
        ax = new_axes(None, (7.5, h))
    ax.set_xlabel("Standardised regression coefficient (SRC)")
    title = "Sensitivity of KPIs to inputs (SRC over runs)"
    if left_out:
        names = ", ".join(label_name(factor_label(f)) for f in left_out)
        title = wrap_title(f"{title}\n(not numeric, left out: {names})")
    ax.set_title(title, fontsize="medium")
    X = _runs_matrix(runs, inputs)
    fits: list[tuple[str, np.ndarray, float]] = []
    for kpi in kpis:
        y = np.array([as_float(r.get(kpi)) for r in runs])
        try:
            coef, r2 = standardized_regression_coefficients(X, y)
        except ValueError:
            continue
        if not math.isfinite(r2):
            continue
        fits.append((kpi, coef, r2))
    if not fits or not inputs:
        no_data(ax, "not enough data for a regression")
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
    legend_below(ax, own, fontsize="x-small")
    return ax
