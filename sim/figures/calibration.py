"""The calibration figure: a rollout's modelled counts month by month against the
reported points it was fitted to (filled) and those held out (open)."""
from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from sim.figures.base import new_axes, save_figures

LABELS = {"villages": "Villages with an open station", "counties": "Counties entered",
          "stations_closed": "Stations closed"}


def plot_calibration(series: np.ndarray, points: Sequence[Mapping], quantity: str, ax: Axes | None = None) -> Axes:
    """The modelled ``series`` (one value per month) of ``quantity``, with the reported
    points (rows with month, reported, held_out), fitted ones filled, held-out ones open."""
    ax = new_axes(ax, (6.0, 3.6))
    months = np.arange(len(series))
    ax.plot(months, series, color="C0", label="model")
    fitted = [p for p in points if not p["held_out"]]
    held = [p for p in points if p["held_out"]]
    if fitted:
        ax.plot([p["month"] for p in fitted], [p["reported"] for p in fitted], "o", color="C3",
                label="reported (fitted)")
    if held:
        ax.plot([p["month"] for p in held], [p["reported"] for p in held], "o", mfc="none", color="C3",
                label="reported (held out)")
    ax.set_xlabel("Month of the rollout (0 = the first)")
    ax.set_ylabel(LABELS.get(quantity, quantity))
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right")
    return ax


def write_calibration_figure(out: pathlib.Path, series: Mapping[str, np.ndarray],
                             points: Sequence[Mapping]) -> list[pathlib.Path]:
    """calibration_<quantity>.png/.svg for every quantity with reported points."""
    quantities = list(dict.fromkeys(p["quantity"] for p in points))
    return save_figures(out, [(f"calibration_{q}",
                               (lambda q=q: plot_calibration(series[q], [p for p in points if p["quantity"] == q], q)))
                              for q in quantities])
