"""The rollout figures read apart and in print: every strategy has its own line style and marker
besides its colour (sim.figures.rollout), lines that lie on each other say so in the legend, the
coverage maps keep their row names inside the figure and print legibly on A4 (sim.figures.equity),
split over figures of a few strategies each (sim.reports.rollout)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only

import io
import math

import numpy as np
import pytest
from matplotlib import image

from sim.figures import equity as eq
from sim.figures import rollout as rf
from sim.figures.base import figure_style
from sim.reports import rollout as rr

SEVEN = ["largest_first", "breadth_largest_first", "nearest_first", "route_contiguous", "remote_first", "random",
         "partner_largest_first"]
MONTHS = 60


def _monthly(shares: dict[str, float]) -> list[dict]:
    """Two replications of 60 months; strategy s covers 1 - exp(-rate m) with its rate in ``shares``."""
    return [{"strategy": s, "replication": r, "month": m, "residents_covered_share": 1.0 - math.exp(-rate * m),
             "gini_access": math.exp(-rate * m), "cumulative_cash_cny": -1e6 * m * rate,
             "cost_per_parcel_cny": 5.0 + rate, "villages_covered": 100 * (1.0 - math.exp(-rate * m))}
            for s, rate in shares.items() for r in (0, 1) for m in range(MONTHS)]


def _named(ax) -> list:
    return [ln for ln in ax.lines if not ln.get_label().startswith("_") and ln.get_label() != "reported"]


def test_every_strategy_has_its_own_line_style_and_marker():
    """Seven strategies: seven different (line style, marker) pairs, so they read apart in greyscale."""
    styles = rf.strategy_styles(SEVEN, MONTHS)
    pairs = {(str(st["ls"]), st["marker"]) for st in styles.values()}
    assert len(pairs) == len(SEVEN)
    assert len({st["marker"] for st in styles.values()}) == len(SEVEN)
    # markers of lines on top of each other sit at different months: the offsets all differ
    offsets = [st["markevery"][0] for st in styles.values()]
    every = {st["markevery"][1] for st in styles.values()}
    assert len(set(offsets)) == len(SEVEN) and len(every) == 1 and max(offsets) < every.pop()


@pytest.mark.parametrize("plot", [
    lambda rows: rf.plot_coverage(rows, strategies=SEVEN),
    lambda rows: rf.plot_coverage(rows, "villages_covered", strategies=SEVEN),
    lambda rows: rf.plot_gini(rows, strategies=SEVEN),
    lambda rows: rf.plot_cash_flow(rows, strategies=SEVEN),
    lambda rows: rf.plot_cost_per_parcel(rows, strategies=SEVEN),
])
def test_time_series_lines_differ_in_style_and_name_coinciding_lines(plot):
    # five strategies within 0.2% of each other (as in the shipped comparison), two clearly apart
    rates = dict(zip(SEVEN, (0.200, 0.10, 0.2002, 0.2001, 0.1999, 0.2003, 0.35), strict=True))
    ax = plot(_monthly(rates))
    lines = _named(ax)
    assert len(lines) == len(SEVEN)
    assert len({(str(ln.get_linestyle()), ln.get_marker()) for ln in lines}) == len(SEVEN)
    assert all(ln.get_marker() not in (None, "None", "") for ln in lines)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for s, label in zip(SEVEN, labels, strict=True):
        assert label.startswith(s)
        coincides = s in ("nearest_first", "route_contiguous", "remote_first", "random")
        assert ("≈ largest_first" in label) == coincides, label


def test_lines_apart_are_not_called_coinciding():
    means = {"a": np.linspace(0, 1, 20), "b": np.linspace(0, 1, 20) + 0.005, "c": np.linspace(0, 1, 20) + 0.05}
    assert rf.coinciding(means) == {"b": "a"}          # 0.5% of the range: on top; 5%: apart
    assert rf.coinciding({"a": np.full(5, np.nan)}) == {}


def test_lines_apart_are_not_called_coinciding_when_a_few_months_stretch_the_range():
    # cost per parcel: 1,500 CNY in the first two months, then about 7 CNY; 6.90 against 7.84 is
    # 13% apart, though within 1% of the full range the first months make
    a = np.r_[1500.0, 800.0, np.linspace(7.5, 6.90, 58)]
    b = np.r_[1500.0, 800.0, np.linspace(8.5, 7.84, 58)]
    c = a + 0.004                          # 0.4% of the 6.9-7.5 span most values cover
    assert rf.coinciding({"a": a, "b": b}) == {}
    assert rf.coinciding({"a": a, "c": c}) == {"c": "a"}


# ------------------------------------------------------------------------------------------- maps

def _region(n: int = 40, extent: float = 500.0) -> list[dict]:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, extent, size=(n, 2))
    xy[0], xy[1] = (0.0, 0.0), (extent, extent)       # the region's corners: a square extent from 0
    return [{"county_id": i, "x_km": float(xy[i, 0]), "y_km": float(xy[i, 1]),
             "residents": int(rng.integers(1e5, 8e5))} for i in range(n)]


def _cmap(counties, strategies, months):
    return [{"strategy": s, "month": m, "county_id": c["county_id"], "residents_covered_share": (k + 1) / 8}
            for k, s in enumerate(strategies) for m in months for c in counties]


def test_map_row_names_stay_inside_the_saved_figure():
    """The bold strategy names (the first column's y labels) lie wholly inside the PNG as saved:
    nothing is drawn in its outermost pixels (a name cut at the edge would be), and no name
    overlaps its row's tick labels."""
    counties, months = _region(), [12, 36, 59]
    with figure_style():
        fig = eq.plot_coverage_maps(counties, _cmap(counties, SEVEN, months), SEVEN, months).figure
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        renderer = fig._get_renderer()
        labelled = [ax for ax in fig.axes if ax.get_ylabel() in SEVEN]
        assert [ax.get_ylabel() for ax in labelled] == SEVEN
        for ax in labelled:
            box = ax.yaxis.label.get_window_extent(renderer)
            lo, hi = ax.get_ylim()
            ticks = [t.get_window_extent(renderer) for t in ax.get_yticklabels()
                     if t.get_text() and lo <= t.get_position()[1] <= hi]       # the tick labels drawn
            assert ticks and min(t.x0 for t in ticks) > box.x1, ax.get_ylabel()
    buf.seek(0)
    ink = (image.imread(buf)[:, :, :3] < 0.9).any(axis=2)
    cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    assert cols[0] >= 3 and cols[-1] <= ink.shape[1] - 4
    assert rows[0] >= 3 and rows[-1] <= ink.shape[0] - 4


def test_map_figure_prints_legibly_on_a4():
    """A figure of MAPS_PER_FIGURE rows printed at the page's width (186 mm) fits the page's
    25 cm image height and its tick labels print at 6.5 pt or more."""
    counties, months = _region(), [12, 36, 59]
    names = SEVEN[:rr.MAPS_PER_FIGURE]
    with figure_style():
        fig = eq.plot_coverage_maps(counties, _cmap(counties, names, months), names, months).figure
        w_in, h_in = fig.get_size_inches()
        scale = (186 / 25.4) / w_in
        assert h_in * scale * 2.54 <= 25.0
        sizes = [t.get_fontsize() for ax in fig.axes[:-1] for t in ax.get_xticklabels() + ax.get_yticklabels()]
        assert sizes and min(sizes) * scale >= 6.5


def test_every_map_panel_shows_the_same_extent_at_equal_scale():
    counties, months = _region(), [12, 59]
    names = SEVEN[:3]
    with figure_style():
        fig = eq.plot_coverage_maps(counties, _cmap(counties, names, months), names, months).figure
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    panels = fig.axes[:-1]                               # the last is the colour bar
    limits = np.array([[*ax.get_xlim(), *ax.get_ylim()] for ax in panels])
    assert np.allclose(limits, limits[0], rtol=0, atol=1e-6)
    x0, x1, y0, y1 = limits[0]
    assert x0 < 0 and x1 > 500 and y0 < 0 and y1 > 500  # every county inside, with a margin
    box = panels[0].get_window_extent()
    assert (x1 - x0) / box.width == pytest.approx((y1 - y0) / box.height, rel=0.02)   # 1 km is 1 km both ways


@pytest.mark.parametrize("n, sizes", [(1, [1]), (4, [4]), (5, [3, 2]), (7, [4, 3]), (9, [3, 3, 3])])
def test_map_groups_split_the_strategies_evenly(n, sizes):
    names = [f"s{i}" for i in range(n)]
    groups = rr.map_groups(names)
    assert [len(g) for g in groups] == sizes
    assert [s for g in groups for s in g] == names


def test_report_splits_the_maps_over_figures():
    counties = _region(6)
    monthly = _monthly(dict(zip(SEVEN, np.linspace(0.1, 0.4, 7), strict=True)))
    plan = rr._figure_plan({"baseline": SEVEN[0], "map_months": [12, 59]}, monthly, [], [], counties,
                           _cmap(counties, SEVEN, [12, 59]), None)
    maps = [(stem, title, caption) for stem, title, caption, _ in plan["figures"] if stem.startswith(rr.MAPS_STEM)]
    assert [m[0] for m in maps] == [rr.MAPS_STEM, f"{rr.MAPS_STEM}_2"]
    assert [m[1] for m in maps] == ["Coverage maps (1 of 2)", "Coverage maps (2 of 2)"]
    assert "rows: largest_first, breadth_largest_first, nearest_first, route_contiguous)" in maps[0][2]
    assert "rows: remote_first, random, partner_largest_first)" in maps[1][2]
