"""The ranking-sensitivity figure of a rollout: each input's sampled range, its base value
and the break-even value at which another strategy takes the lead (from
``ranking_breakeven.csv``)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes

from sim.figures.base import as_bool, as_float, new_axes, no_data

__all__ = ["plot_ranking_breakeven"]


def _num(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def plot_ranking_breakeven(rows: Sequence[Mapping], ax: Axes | None = None) -> Axes:
    """One line per (tier, input): its range scaled to 0-1 (low to high), a black bar at
    the base value and a red diamond at the break-even value (an arrow at the edge when
    it lies outside the range), labelled with the challenger that takes the lead there."""
    rows = list(rows)
    ax = new_axes(ax, (7.5, max(2.5, 0.8 + 0.45 * len(rows))))
    ax.set_title("Where the leading strategy (by NPV) changes", fontsize="medium")
    if not rows:
        no_data(ax, "no ranking sensitivity")
        return ax
    labels = []
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        lo, hi, base, be = (as_float(r.get(k)) for k in ("low", "high", "base", "break_even"))
        span = hi - lo if hi > lo else 1.0
        ax.plot([0, 1], [y, y], color="0.7", lw=6, solid_capstyle="butt")
        ax.plot([(base - lo) / span], [y], marker="|", color="black", ms=16, mew=2)
        if math.isfinite(be):
            pos = (be - lo) / span
            if as_bool(r.get("within_range")):
                ax.plot([pos], [y], marker="D", color="tab:red", ms=7)
                ax.annotate(f"{_num(be)}: {r.get('challenger')}", (pos, y), xytext=(0, 7),
                            textcoords="offset points", ha="center", fontsize="small", color="tab:red")
            else:
                edge = 1.02 if pos > 1 else -0.02
                ax.annotate(f"{_num(be)} ({r.get('challenger')})", (edge, y), ha="left" if pos > 1 else "right",
                            va="center", fontsize="small", color="0.35")
        labels.append(f"{r.get('label') or r.get('input')}\n[{_num(lo)}-{_num(hi)}, {r.get('tier')}]")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels[::-1], fontsize="small")   # readable at print size
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["low", "mid", "high"])
    ax.set_xlabel("Position in the sampled range (black: base value; red: break-even)")
    return ax
