"""Tests for sim.figures.experiment (experiment figures; headless, object-oriented matplotlib API)."""

from __future__ import annotations

import itertools
import math
import re

import matplotlib

matplotlib.use("Agg")  # tests only; sim.figures.experiment itself never selects a backend

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sim.analysis import registry
from sim.analysis.pareto import pareto_front
from sim.figures import experiment as ep
from sim.figures.base import factor_label, in_sentence, kpi_axis_label, kpi_label

PNG_SIG = b"\x89PNG\r\n\x1a\n"
COV = "stations.coverage_share"
VEH = "lastmile.vehicles"
GROWTH = "demand.growth_rate"  # a sampled uncertainty
KPIS = ("cost_per_parcel_cny", "inbound_lead_time_mean_h", "residents_served_share")
N_REPS = 5


# --- synthetic experiment tables --------------------------------------------------------------------

def _kpi_values(cov: float, veh: float, growth: float, noise: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "cost_per_parcel_cny": 2.0 + 3.0 * cov - 0.4 * veh + 4.0 * growth + 0.05 * noise[0],
        "inbound_lead_time_mean_h": 60.0 - 20.0 * cov - 5.0 * veh + 30.0 * growth + 0.5 * noise[1],
        "residents_served_share": np.clip(0.2 + 0.75 * cov + 0.01 * noise[2], 0, 1),
    }


def _tables(rng: np.random.Generator, covs=(0.25, 0.5, 0.75, 1.0), vehs=(1, 2, 3), reps=N_REPS):
    """Grid coverage x vehicles, a growth uncertainty sampled per scenario, plus a baseline scenario."""
    scenarios = [("base", "baseline", 0.5, 2, 0.05)]
    for k, (c, v) in enumerate(itertools.product(covs, vehs)):
        scenarios.append((f"s{k:02d}", f"cov {c:g}, veh {v}", c, v, float(rng.uniform(0.0, 0.1))))
    runs, summary = [], []
    per_scn: dict[str, dict[str, np.ndarray]] = {}
    for sid, label, c, v, g in scenarios:
        vals = _kpi_values(c, v, g, rng.standard_normal((3, reps)))
        per_scn[sid] = vals
        for i in range(reps):
            runs.append({"scenario_id": sid, "scenario": label, "replication": i, COV: c, VEH: v, GROWTH: g,
                         **{k: float(vals[k][i]) for k in KPIS}})
        for k in KPIS:
            x = vals[k]
            summary.append({"scenario_id": sid, "scenario": label, COV: c, VEH: v, GROWTH: g, "kpi": k,
                            "n": reps, "mean": float(x.mean()), "std": float(x.std(ddof=1)),
                            "ci95_half_width": float(2.776 * x.std(ddof=1) / math.sqrt(reps))})
    comparisons = []
    for sid, label, *_ in scenarios[1:]:
        for k in KPIS:
            d = per_scn[sid][k] - per_scn["base"][k]
            hw = 2.776 * d.std(ddof=1) / math.sqrt(reps)
            lo, hi = d.mean() - hw, d.mean() + hw
            comparisons.append({"scenario_id": sid, "scenario": label, "baseline_id": "base", "kpi": k,
                                "n_pairs": reps, "mean_diff": float(d.mean()), "ci95_low": float(lo),
                                "ci95_high": float(hi), "var_reduction": 0.3, "p_value": 0.01,
                                "p_holm": 0.04, "significant_holm": bool(lo > 0 or hi < 0)})
    return summary, comparisons, runs


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240917)


@pytest.fixture
def tables(rng):
    return _tables(rng)


def _grid_only(summary):
    return [r for r in summary if r["scenario_id"] != "base"]


def _bands(ax: Axes):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _errorbars(ax: Axes):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _legend(ax: Axes):
    """The legend of ``ax``: its own, or (a plot drawn in its own figure) the figure's legend below it."""
    return ax.get_legend() or ax.figure.legends[0]


def _all_text(ax: Axes) -> str:
    return " ".join([ax.get_xlabel(), ax.get_ylabel(), ax.get_title()] + [t.get_text() for t in ax.texts])


# --- labels -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, label", [
    ("stations.coverage_share", "coverage (share)"),
    ("demand.growth_rate", "growth rate (share)"),
    ("lastmile.vehicles", "vehicles"),
    ("trunk.route_length_km", "route length (km)"),
    ("run.horizon_d", "horizon (d)"),
    ("service.remote_every_d", "remote villages served every (d)"),  # words that say what it sets
    ("network.tiers", "network tiers"),
    ("inbound_lead_time_mean_h", "Lead time, mean (h)"),  # a KPI: its registry label
    # scenario keys: the unit the schema declares, the name without the words that spell it
    ("crops.0.price_cny_per_kg", "crop 1: price (CNY/kg)"),
    ("hub.sort_rate_parcels_per_h", "sort rate (parcels/h)"),
    ("vehicle_types.e_tricycle.speed_kmh", "e tricycle: speed (km/h)"),
    ("hub.cold_cost_per_kg_d", "cold cost (CNY/kg/d)"),
    ("hub.cost_per_day_cny", "cost per day (CNY/d)"),
    ("stations.life_y", "life (y)"),
    ("trunk.co2_kg_per_km", "CO2 (kg/km)"),
    ("demand.parcels_per_resident_y", "demand (parcels/resident/y)"),
    ("hub.sort_time_cv", "sort time CV"),
    ("crops.0.village_share", "crop 1: village (share)"),
    ("crops.1.season_start_doy", "crop 2: season start day of year (d)"),
])
def test_factor_label(path, label):
    assert factor_label(path) == label


def test_kpi_labels_come_from_the_registry():
    ax = ep.plot_forest([], "cost_per_parcel_cny")
    assert "Cost per parcel delivered" in ax.get_title() and ax.get_xlabel().endswith("(CNY)")
    with pytest.raises(KeyError, match="unknown KPI"):
        ep.plot_forest([], "cost_per_parcel")  # no guessing from the spelling


@pytest.mark.parametrize("name", sorted(registry.KPIS))
def test_kpi_labels_read_as_phrases(name):
    k = registry.kpi(name)
    for label in (kpi_label(name), kpi_axis_label(name)):
        assert "(-)" not in label and "()" not in label  # a pure number has no unit
        assert label.endswith(f"({k.unit})") == (k.unit != "-")
    assert kpi_label(name).startswith(k.label)
    assert kpi_axis_label(name).startswith(k.label.rsplit(" ", 1)[0])  # at most the last word rephrased
    # a bare flow direction right before the unit reads as "in (CNY)": figures say what is counted
    # ("per parcel delivered") or where it goes ("brought in", "sent out")
    assert not re.search(r"(?<!brought)(?<!sent) (in|out)( \(|$)", kpi_axis_label(name))


def test_dimensionless_and_scaled_units():
    assert kpi_axis_label("inbound_lead_time_village_gini") == "Gini of villages' lead times"
    assert kpi_axis_label("cost_per_parcel_cny") == "Cost per parcel delivered (CNY)"
    assert kpi_axis_label("cost_total_cny", "million CNY") == "Total cost (million CNY)"
    assert in_sentence("Total cost") == "total cost"
    assert in_sentence("CO2 emitted") == "CO2 emitted" and in_sentence("Gini of access") == "Gini of access"


# --- KPI vs lever -----------------------------------------------------------------------------------

def test_kpi_vs_lever_one_line_per_other_lever_value(tables):
    summary = _grid_only(tables[0])
    ax = ep.plot_kpi_vs_lever(summary, COV, "cost_per_parcel_cny")
    # growth is sampled (12 distinct values) -> averaged; vehicles (3 values) -> 3 lines
    assert len(ax.lines) == 3 and len(_bands(ax)) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["vehicles = 1", "vehicles = 2", "vehicles = 3"]
    for line in ax.lines:
        np.testing.assert_allclose(line.get_xdata(), [0.25, 0.5, 0.75, 1.0])  # sorted by x
    assert ax.get_xlabel() == "coverage (share)" and ax.get_ylabel() == "Cost per parcel delivered (CNY)"
    assert "mean over growth rate" in ax.get_title()  # says what was averaged over
    # the means are the summary means of the matching scenarios
    want = [r["mean"] for r in sorted(summary, key=lambda r: r[COV])
            if r["kpi"] == "cost_per_parcel_cny" and r[VEH] == 2]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), want)


def test_kpi_vs_lever_factorial_other_factors(rng):
    summary = []
    for c, v, w in itertools.product((0.25, 0.5, 0.75), (1, 2, 3), ("dry", "wet")):
        summary.append({"scenario_id": f"{c}-{v}-{w}", "scenario": "x", COV: c, VEH: v, "weather.season": w,
                        "kpi": "spoilage_rate", "n": 3, "mean": float(rng.uniform()), "std": 0.1,
                        "ci95_half_width": 0.05})
    ax = ep.plot_kpi_vs_lever(summary, COV, "spoilage_rate")
    assert len(ax.lines) == 6 and len(_bands(ax)) == 6
    assert "season = dry" in ax.get_legend().get_texts()[0].get_text()
    # explicit grouping: average over everything else -> a single line
    ax = ep.plot_kpi_vs_lever(summary, COV, "spoilage_rate", group_by=[])
    assert len(ax.lines) == 1 and ax.get_legend() is None
    np.testing.assert_allclose(ax.lines[0].get_ydata(),
                               [np.mean([r["mean"] for r in summary if r[COV] == c]) for c in (0.25, 0.5, 0.75)])


def test_kpi_vs_lever_single_factor_and_short_name(tables):
    summary = [r for r in _grid_only(tables[0]) if r[VEH] == 2]
    summary = [{k: v for k, v in r.items() if k != GROWTH} for r in summary]
    ax = ep.plot_kpi_vs_lever(summary, "coverage_share", "inbound_lead_time_mean_h")  # short name resolves
    assert len(ax.lines) == 1 and len(_bands(ax)) == 1


def test_kpi_vs_lever_categorical(rng):
    summary = []
    for vt in ("van", "ebike", "tricycle"):
        for v in (1, 2):
            summary.append({"scenario_id": f"{vt}{v}", "scenario": vt, "lastmile.vehicle_type": vt, VEH: v,
                            "kpi": "cost_total_cny", "n": 4, "mean": float(rng.uniform(100, 200)),
                            "std": 5.0, "ci95_half_width": 4.0})
    ax = ep.plot_kpi_vs_lever(summary, "lastmile.vehicle_type", "cost_total_cny")
    assert len(_errorbars(ax)) == 2 and len(_bands(ax)) == 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ebike", "tricycle", "van"]
    ax.figure.canvas.draw()


def test_kpi_vs_lever_uses_given_axes_and_edge_cases(tables):
    summary = _grid_only(tables[0])
    ax = Figure().add_subplot()
    assert ep.plot_kpi_vs_lever(summary, COV, "cost_per_parcel_cny", ax=ax) is ax
    # single scenario, NaN half-width
    one = [dict(r, ci95_half_width=float("nan"), n=1) for r in summary[:3]]
    ax = ep.plot_kpi_vs_lever(one, COV, "cost_per_parcel_cny")
    assert len(ax.lines) == 1
    ax.figure.canvas.draw()
    # all-NaN KPI
    nan = [dict(r, mean=float("nan")) for r in summary]
    ax = ep.plot_kpi_vs_lever(nan, COV, "cost_per_parcel_cny")
    assert len(ax.lines) == 0 and "no finite values" in _all_text(ax)



def _service_frequency_summary(rng, kpi="cost_per_parcel_cny", scale=1.0):
    """Two-level tiers x three-level interval of remote service, as in a service-frequency experiment."""
    summary = []
    for tiers, every in itertools.product((1, 2), (1, 2, 3)):
        summary.append({"scenario_id": f"t{tiers}e{every}", "scenario": f"tiers={tiers}, remote_every_d={every}",
                        "network.tiers": tiers, "service.remote_every_d": every, "kpi": kpi, "n": 5,
                        "mean": scale * (6.0 * tiers + 0.1 * every + float(rng.uniform(0, 0.05))), "std": 0.1,
                        "ci95_half_width": 0.05 * scale})
    return summary


def test_kpi_vs_lever_integer_levels_are_the_ticks(rng):
    summary = _service_frequency_summary(rng)
    ax = ep.plot_kpi_vs_lever(summary, "service.remote_every_d", "cost_per_parcel_cny")
    ax.figure.canvas.draw()
    np.testing.assert_array_equal(ax.get_xticks(), [1, 2, 3])  # no ticks at 1.25, 1.5, ...
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert ax.get_title() == "Cost per parcel delivered (CNY) vs remote villages served every (d)"


def test_kpi_vs_lever_two_levels_are_not_a_continuum(rng):
    summary = _service_frequency_summary(rng)
    ax = ep.plot_kpi_vs_lever(summary, "network.tiers", "cost_per_parcel_cny")
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2"]
    assert len(ax.get_xticks()) == 2 and len(_bands(ax)) == 0
    assert len(_errorbars(ax)) == 3  # one set of markers per interval of remote service
    for line in ax.lines:  # markers only: nothing drawn between the two tiers
        assert line.get_linestyle() in ("None", "none", "")


def test_money_in_millions_has_no_offset_text(rng):
    summary = _service_frequency_summary(rng, "cost_total_cny", scale=1e6)
    ax = ep.plot_kpi_vs_lever(summary, "service.remote_every_d", "cost_total_cny")
    ax.figure.canvas.draw()
    assert ax.get_ylabel() == "Total cost (million CNY)" and ax.yaxis.get_offset_text().get_text() == ""
    ys = np.concatenate([ln.get_ydata() for ln in ax.lines])
    assert 5.0 < ys.min() and ys.max() < 13.0  # 6-12 million CNY, in millions
    ax = ep.plot_heatmap(summary, "network.tiers", "service.remote_every_d", "cost_total_cny")
    ax.figure.canvas.draw()
    cbar = next(a for a in ax.figure.axes if a is not ax)
    assert cbar.get_ylabel() == "Total cost (million CNY)" and cbar.yaxis.get_offset_text().get_text() == ""


# --- heatmap ----------------------------------------------------------------------------------------

def test_heatmap_grid_shape_annotations_colorbar(tables):
    summary = tables[0]
    ax = ep.plot_heatmap(_grid_only(summary), COV, VEH, "residents_served_share")
    img = ax.images[0].get_array()
    assert img.shape == (3, 4)  # y = vehicles, x = coverage
    assert len(ax.texts) == 12
    cbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert len(cbar_axes) == 1 and cbar_axes[0].get_ylabel() == "Residents served (share)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.25", "0.5", "0.75", "1"]
    # cell (vehicles=3, coverage=1.0) is the mean of that scenario
    want = [r for r in summary if r["kpi"] == "residents_served_share" and r[COV] == 1.0 and r[VEH] == 3]
    assert img[2, 3] == pytest.approx(want[0]["mean"])
    ax.figure.canvas.draw()


def test_heatmap_cells_show_their_half_widths():
    """Each cell reads 'mean\n± half-width', all in one format: the digits the widest interval supports
    (its half-width to two significant digits), as plus_minus gives one interval."""
    hws = {(0.25, 1): 0.0079, (0.25, 2): 0.00004, (0.5, 1): 0.0123, (0.5, 2): 0.0}
    summary = [{"scenario_id": f"{c}-{v}", "scenario": f"{c}-{v}", COV: c, VEH: v, "kpi": "spoilage_rate",
                "n": 5, "mean": 0.2 + c / 10 + v / 100, "std": 0.0, "ci95_half_width": hw}
               for (c, v), hw in hws.items()]
    ax = ep.plot_heatmap(summary, COV, VEH, "spoilage_rate")
    texts = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts}
    assert texts == {(0, 0): "0.235\n± 0.008", (0, 1): "0.245\n± 0.000",
                     (1, 0): "0.260\n± 0.012", (1, 1): "0.270\n± 0.000"}
    small = [dict(r, mean=r["mean"] * 1000, ci95_half_width=r["ci95_half_width"] / 10) for r in summary]
    texts = [t.get_text() for t in ep.plot_heatmap(small, COV, VEH, "spoilage_rate").texts]
    assert texts[:2] == ["235.0000\n± 0.0008", "260.0000\n± 0.0012"]   # the means in the intervals' digits
    assert ax.get_title().endswith("(each cell: mean ± 95% CI half-width)")


def test_heatmap_averaged_cell_combines_half_widths_and_large_grids_show_means_only():
    """A cell over another factor's levels is their mean, its half-width sqrt(sum hw^2) / k (independent
    means); a grid wider than HEATMAP_INTERVAL_MAX shows the means alone and says where the intervals are."""
    summary = [{"scenario_id": f"{g}", "scenario": f"{g}", COV: 0.5, VEH: 1, GROWTH: g, "kpi": "spoilage_rate",
                "n": 5, "mean": m, "std": 0.0, "ci95_half_width": hw}
               for g, m, hw in ((0.0, 0.2, 0.03), (0.1, 0.3, 0.04))]
    summary.append(dict(summary[0], scenario_id="other", **{COV: 1.0, VEH: 2}))
    ax = ep.plot_heatmap(summary, COV, VEH, "spoilage_rate")
    cell = next(t.get_text() for t in ax.texts if t.get_position() == (0, 0))
    assert cell == "0.250\n± 0.025"   # (0.2 + 0.3) / 2; sqrt(0.03^2 + 0.04^2) / 2 = 0.05 / 2
    assert "mean over growth" in ax.get_title()
    n = ep.HEATMAP_INTERVAL_MAX + 1
    wide = [{"scenario_id": f"{i}-{j}", "scenario": f"{i}-{j}", COV: i, VEH: j, "kpi": "spoilage_rate", "n": 5,
             "mean": 0.1 * i + j, "std": 0.0, "ci95_half_width": 0.01} for i in range(n) for j in range(2)]
    ax = ep.plot_heatmap(wide, COV, VEH, "spoilage_rate")
    assert len(ax.texts) == 2 * n and not any("±" in t.get_text() for t in ax.texts)
    assert "intervals in summary.csv" in ax.get_title()


def test_heatmap_missing_cells_and_all_nan(tables):
    summary = [r for r in _grid_only(tables[0]) if not (r[COV] == 0.25 and r[VEH] == 1)]
    ax = ep.plot_heatmap(summary, COV, VEH, "cost_per_parcel_cny")
    img = ax.images[0].get_array()
    assert img.shape == (3, 4) and np.ma.is_masked(img[0, 0]) and len(ax.texts) == 11
    ax = ep.plot_heatmap([dict(r, mean=float("nan")) for r in summary], COV, VEH, "cost_per_parcel_cny")
    assert len(ax.images) == 0
    ax.figure.canvas.draw()


# --- Pareto -----------------------------------------------------------------------------------------

def _pareto_line(ax: Axes):
    lines = [ln for ln in ax.lines if str(ln.get_label()).startswith("Pareto front")]
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("service, higher", [("inbound_lead_time_mean_h", False), ("residents_served_share", True)])
def test_plot_pareto_highlights_exactly_the_front(tables, service, higher):
    summary = tables[0]
    ax = ep.plot_pareto(summary, "cost_per_parcel_cny", service, service_higher_is_better=higher, baseline_id="base")
    by = {}
    for r in summary:
        by.setdefault(r["scenario_id"], {})[r["kpi"]] = r["mean"]
    ids = sorted(by)
    pts = np.array([[by[s]["cost_per_parcel_cny"], by[s][service]] for s in ids])
    front = pareto_front(np.c_[pts[:, 0], -pts[:, 1] if higher else pts[:, 1]])
    line = _pareto_line(ax)
    got = sorted(zip(line.get_xdata(), line.get_ydata(), strict=True))
    assert got == sorted(map(tuple, pts[front]))
    assert np.all(np.diff(line.get_xdata()) >= 0)  # connected in cost order
    assert line.get_drawstyle() == "steps-post"      # a staircase: no straight segment between scenarios
    assert len(ax.texts) == len(ids)  # every point is labelled, the front's in red
    label_of = {r["scenario_id"]: r["scenario"] for r in summary}
    assert sorted(t.get_text() for t in ax.texts) == sorted(label_of[s] for s in ids)
    red = sorted(t.get_text() for t in ax.texts if t.get_color() == "tab:red")
    assert red == sorted(label_of[s] for s, on in zip(ids, front, strict=True) if on)
    assert len(_errorbars(ax)) == 1 and len(_errorbars(ax)[0].lines[0].get_xdata()) == len(ids)
    stars = [c for c in ax.collections if "baseline" in str(c.get_label())]
    assert len(stars) == 1
    np.testing.assert_allclose(stars[0].get_offsets()[0], pts[ids.index("base")])
    assert ("higher" if higher else "lower") in ax.get_ylabel()
    ax.figure.canvas.draw()


def test_plot_pareto_edge_cases(tables):
    summary = tables[0]
    single = [dict(r, ci95_half_width=float("nan")) for r in summary if r["scenario_id"] == "s00"]
    ax = ep.plot_pareto(single, "cost_per_parcel_cny", "inbound_lead_time_mean_h", baseline_id="missing")
    assert len(_pareto_line(ax).get_xdata()) == 1
    assert "one scenario" in _pareto_line(ax).get_label()   # a front of one point says so
    ax.figure.canvas.draw()
    ax = ep.plot_pareto(summary, "cost_total_cny", "inbound_lead_time_mean_h")  # not in the summary
    assert "no scenarios" in _all_text(ax)


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_plot_pareto_labels_clear_of_each_other_the_star_and_the_legend():
    # the audit's case: the only front point sits just beside the baseline star, long labels, and a
    # cluster of four points close together
    pts = {"one_tier_van": (6.2, 33.2), "one_tier_walking_tractor": (5.7, 33.0), "one_tier_e_tricycle": (8.1, 32.0),
           "two_tier_van": (12.0, 36.6), "two_tier_e_tricycle": (12.1, 38.1), "two_tier_mixed": (12.4, 37.6),
           "two_tier_walking_tractor": (10.3, 38.3)}
    summary = []
    for name, (cost, lead) in pts.items():
        for kpi, mean in (("cost_per_parcel_cny", cost), ("inbound_lead_time_mean_h", lead)):
            summary.append({"scenario_id": name, "scenario": name, "kpi": kpi, "n": 5, "mean": mean, "std": 0.1,
                            "ci95_half_width": 0.15})
    ax = ep.plot_pareto(summary, "cost_per_parcel_cny", "inbound_lead_time_mean_h", baseline_id="one_tier_van")
    fig = ax.figure
    fig.canvas.draw()
    for t in ax.texts:
        t.get_window_extent()  # places the text (and its leader line, if any)
    labels = {t.get_text(): Text.get_window_extent(t) for t in ax.texts}  # the text without the line
    assert set(labels) == set(pts)
    for (a, ba), (b, bb) in itertools.combinations(labels.items(), 2):
        assert not _overlaps(ba, bb), (a, b)
    frame = ax.get_window_extent()
    legend = ax.get_legend().get_window_extent()
    px = fig.dpi / 72
    for name, box in labels.items():
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, name
        assert not _overlaps(box, legend), name
        for other, xy in pts.items():  # no label covers a marker (the star is about 15 points wide)
            cx, cy = ax.transData.transform(xy)
            r = (7 if other == "one_tier_van" else 3) * px
            assert not _overlaps(box, Bbox.from_extents(cx - r, cy - r, cx + r, cy + r)), (name, other)


# --- forest -----------------------------------------------------------------------------------------

def test_forest_rows_and_significance(tables):
    comparisons = tables[1]
    kpi = "inbound_lead_time_mean_h"
    rows = [r for r in comparisons if r["kpi"] == kpi]
    rows[0]["significant_holm"] = False  # make sure both classes occur
    rows[1]["significant_holm"] = True
    ax = ep.plot_forest(comparisons, kpi)
    bars = [b for b in _errorbars(ax) if not str(b.get_label()).startswith("bar:")]
    assert len(bars) == len(rows) == 12
    filled = [b for b in bars if b.lines[0].get_markerfacecolor() != "none"]
    hollow = [b for b in bars if b.lines[0].get_markerfacecolor() == "none"]
    assert len(filled) == sum(r["significant_holm"] for r in rows) and len(hollow) == len(rows) - len(filled)
    for b, r in zip(bars, rows, strict=True):
        assert b.lines[0].get_xdata()[0] == pytest.approx(r["mean_diff"])
        seg = b.lines[2][0].get_segments()[0]
        assert sorted(seg[:, 0]) == pytest.approx([r["ci95_low"], r["ci95_high"]])
    assert [t.get_text() for t in ax.get_yticklabels()] == [r["scenario"] for r in rows]
    assert any(ln.get_xdata()[0] == 0 for ln in ax.lines if len(ln.get_xdata()) == 2)  # vertical zero line
    assert "vs baseline" in ax.get_title()
    legend = [t.get_text() for t in _legend(ax).get_texts()]
    # the markers' fill is the corrected test, the bars are not corrected: the legend says both
    assert len(legend) == 3 and "significant after Holm correction (5%)" in legend
    assert any(t.startswith("bar: 95% CI") and "not corrected" in t for t in legend)
    ax.figure.canvas.draw()


def test_forest_empty_and_nan():
    ax = ep.plot_forest([], "cost_per_parcel_cny")
    assert "no comparisons" in _all_text(ax)
    rows = [{"scenario_id": "a", "scenario": "A", "baseline_id": "b", "kpi": "hub_time_mean_h", "n_pairs": 1,
             "mean_diff": 1.0, "ci95_low": float("nan"), "ci95_high": float("nan"), "var_reduction": float("nan"),
             "p_value": float("nan"), "p_holm": float("nan"), "significant_holm": False},
            {"scenario_id": "c", "scenario": "C", "baseline_id": "b", "kpi": "hub_time_mean_h", "n_pairs": 0,
             "mean_diff": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan"),
             "var_reduction": float("nan"), "p_value": float("nan"), "p_holm": float("nan"),
             "significant_holm": "False"}]
    ax = ep.plot_forest(rows, "hub_time_mean_h")
    drawn = [b for b in _errorbars(ax) if not str(b.get_label()).startswith("bar:")]
    assert len(drawn) == 1 and "n/a" in _all_text(ax)
    ax.figure.canvas.draw()


def _comparison(sid, label, kpi, diff, hw=0.05, base="6642d0e87e70"):
    return {"scenario_id": sid, "scenario": label, "baseline_id": base, "kpi": kpi, "n_pairs": 5,
            "mean_diff": diff, "ci95_low": diff - hw, "ci95_high": diff + hw, "var_reduction": 0.5,
            "p_value": 0.001, "p_holm": 0.002, "significant_holm": True}


def test_forest_labels_design_points_by_their_values_and_names_the_factors_once():
    rows = [_comparison("a1", "tiers=1, remote_every_d=2", "cost_per_parcel_cny", 0.2),
            _comparison("a2", "tiers=2, remote_every_d=3", "cost_per_parcel_cny", 5.6)]
    names = {"6642d0e87e70": "tiers=1, remote_every_d=1"}
    paths = {"tiers": "network.tiers", "remote_every_d": "service.remote_every_d"}
    ax = ep.plot_forest(rows, "cost_per_parcel_cny", scenario_labels=names, factor_paths=paths)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1, 2", "2, 3"]
    assert ax.get_ylabel().replace("\n", " ") == "network tiers, remote villages served every (d)"
    assert "(1, 1)" in ax.get_title()


def test_forest_names_the_baseline_by_its_label_not_its_id():
    rows = [_comparison("a1", "tiers=2, remote_every_d=1", "cost_per_parcel_cny", 5.9)]
    names = {"6642d0e87e70": "tiers=1, remote_every_d=1", "a1": "tiers=2, remote_every_d=1"}
    ax = ep.plot_forest(rows, "cost_per_parcel_cny", scenario_labels=names)
    assert "6642d0e87e70" not in ax.get_title() and "(tiers=1, remote_every_d=1)" in ax.get_title()
    ax = ep.plot_forest(rows, "cost_per_parcel_cny")  # label unknown: no id either
    assert "6642d0e87e70" not in ax.get_title() and "vs baseline" in ax.get_title()


def test_forest_money_in_millions_has_no_offset_text_over_the_label():
    kpi = "cost_township_stations_cny"
    rows = [_comparison(f"s{i}", f"two_tier_{i}", kpi, 1.49e6, hw=2e4) for i in range(4)]
    rows.append(_comparison("s9", "one_tier_e_tricycle", kpi, 0.0, hw=0.0))
    ax = ep.plot_forest(rows, kpi, scenario_labels={"6642d0e87e70": "one_tier_van"})
    fig = ax.figure
    fig.canvas.draw()
    assert ax.get_xlabel().endswith("(million CNY)")
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert ax.containers[0].lines[0].get_xdata()[0] == pytest.approx(1.49)  # 1.49 million CNY
    label = ax.xaxis.label.get_window_extent()
    for tick in ax.get_xticklabels():
        assert not _overlaps(label, tick.get_window_extent())


# --- SRC / sensitivity ------------------------------------------------------------------------------

def test_plot_sensitivity_bars_and_r2(tables):
    runs = tables[2]
    inputs = [GROWTH, COV, VEH]
    ax = ep.plot_sensitivity(runs, inputs, list(KPIS))
    assert len(ax.patches) == len(inputs) * len(KPIS)
    legend = [t.get_text() for t in _legend(ax).get_texts()]
    assert len(legend) == len(KPIS) and all("R² = " in t for t in legend)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["growth rate (share)", "coverage (share)", "vehicles"]
    # residents served depends on coverage only: its coverage bar is the largest of its series
    served = ax.containers[2]
    widths = [p.get_width() for p in served]
    assert int(np.argmax(np.abs(widths))) == 1 and widths[1] > 0.9
    ax.figure.canvas.draw()


def test_plot_sensitivity_not_enough_data(tables):
    runs = tables[2][:3]
    ax = ep.plot_sensitivity(runs, [GROWTH, COV, VEH], list(KPIS))
    assert len(ax.patches) == 0 and "not enough data" in _all_text(ax)
    with pytest.raises(ValueError, match="not numeric"):
        ep.plot_sensitivity([{"x": "van", "k": 1.0}] * 5, ["x"], ["k"])


def test_sensitivity_regresses_on_two_level_levers_and_names_those_left_out(tmp_path, rng, fast_save, monkeypatch):
    # cost doubles with a second tier (two levels); lead time grows with the interval of remote service;
    # the vehicle type (not numeric) varies too and cannot enter the regression
    runs = []
    for k, (tiers, every, vt) in enumerate(itertools.product((1, 2), (1, 2, 3), ("van", "tricycle"))):
        for rep in range(3):
            runs.append({"scenario_id": f"s{k}", "scenario": "x", "replication": rep, "network.tiers": tiers,
                         "service.remote_every_d": every, "lastmile.vehicle_type": vt,
                         "cost_per_parcel_cny": 6.0 * tiers + 0.01 * float(rng.standard_normal()),
                         "inbound_lead_time_mean_h": 30.0 + 5.0 * every + 0.1 * float(rng.standard_normal())})
    drawn = []
    original = ep.plot_sensitivity

    def spy(runs, inputs, kpis, ax=None, left_out=()):
        drawn.append((list(inputs), original(runs, inputs, kpis, ax, left_out=left_out)))
        return drawn[-1][1]

    monkeypatch.setattr(ep, "plot_sensitivity", spy)
    levers = ["network.tiers", "service.remote_every_d", "lastmile.vehicle_type"]
    paths = ep.write_experiment_figures(tmp_path, [], [], runs, levers, [],
                                        ["cost_per_parcel_cny", "inbound_lead_time_mean_h"], None, workers=1)
    assert "sensitivity" in {p.stem for p in paths} and len(drawn) == 1
    inputs, ax = drawn[0]
    assert inputs == ["network.tiers", "service.remote_every_d"]
    assert "left out" in ax.get_title() and "vehicle type" in ax.get_title()
    r2 = {t.get_text().split(",")[0]: float(t.get_text().rsplit("= ", 1)[1]) for t in _legend(ax).get_texts()}
    assert r2["Cost per parcel delivered (CNY)"] > 0.99  # the two tiers explain the cost
    assert "(-)" not in ax.get_xlabel()


# --- writer -----------------------------------------------------------------------------------------

def _expected_stems():
    stems = {f"kpi_vs_{lv}__{k}" for lv in ("coverage_share", "vehicles") for k in KPIS}
    stems |= {f"heatmap__{k}" for k in KPIS}
    stems |= {"pareto__inbound_lead_time_mean_h", "pareto__residents_served_share"}
    stems |= {f"forest__{k}" for k in KPIS}
    stems.add("sensitivity")
    return stems


@pytest.fixture
def fast_save(monkeypatch):
    """Replace the file writer by a stub that only renders the figure (Agg) and writes a marker file,
    so that tests about which files are written stay fast. Set ``render=False`` to skip rendering."""
    state = {"render": True, "calls": 0}

    def save(fig, path, fmt, **kwargs):
        state["calls"] += 1
        if state["render"] and fmt == "png":
            fig.canvas.draw()
        path.write_bytes(fmt.encode())

    monkeypatch.setattr("sim.figures.base.atomic_savefig", save)
    return state


def test_write_experiment_figures_file_names(tmp_path, tables, fast_save):
    summary, comparisons, runs = tables
    fast_save["render"] = False
    paths = ep.write_experiment_figures(tmp_path, summary, comparisons, runs, levers=[COV, VEH],
                                        uncertainties=[GROWTH], kpis=list(KPIS), baseline_id="base",
                                        workers=1)   # in this process: the stub counts its calls here
    assert paths == sorted(paths) and all(p.parent == tmp_path for p in paths)
    assert {p.name for p in paths} == {f"{s}.{ext}" for s in _expected_stems() for ext in ("png", "svg")}
    assert fast_save["calls"] == len(paths)


def test_write_experiment_figures_formats_and_determinism(tmp_path, rng):
    summary, comparisons, runs = _tables(rng, covs=(0.25, 0.5, 1.0), vehs=(1, 2), reps=3)  # small: real rendering
    kwargs = dict(levers=[COV, VEH], uncertainties=[GROWTH], kpis=["residents_served_share"], baseline_id="base",
                  service_kpis=("inbound_lead_time_mean_h",))
    paths = ep.write_experiment_figures(tmp_path / "a", summary, comparisons, runs, **kwargs)
    stems = {"kpi_vs_coverage_share__residents_served_share", "kpi_vs_vehicles__residents_served_share",
             "heatmap__residents_served_share", "pareto__inbound_lead_time_mean_h",
             "forest__residents_served_share", "sensitivity"}
    assert [p.name for p in paths] == sorted(f"{s}.{ext}" for s in stems for ext in ("png", "svg"))
    assert {p.name for p in (tmp_path / "a").iterdir()} == {p.name for p in paths}  # no temporary files left
    first = {}
    for p in paths:
        data = p.read_bytes()
        first[p.name] = data
        if p.suffix == ".png":
            assert data.startswith(PNG_SIG)
        else:
            assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:1000]
    again = ep.write_experiment_figures(tmp_path / "a", summary, comparisons, runs, **kwargs)  # overwrite
    assert again == paths
    for p in again:
        assert p.read_bytes() == first[p.name], p.name


def test_write_experiment_figures_edge_cases(tmp_path, tables, fast_save):
    summary, comparisons, runs = tables
    # single scenario, NaN half-widths, no comparisons: nothing varies, so no trade-off is drawn either
    single = [dict(r, ci95_half_width=float("nan"), n=1) for r in summary if r["scenario_id"] == "base"]
    paths = ep.write_experiment_figures(tmp_path / "one", single, [], [r for r in runs if r["scenario_id"] == "base"],
                                        [COV, VEH], [GROWTH], list(KPIS), "base")
    assert not any(p.stem.startswith("pareto") for p in paths)
    # all-NaN KPI skipped everywhere; no cost KPI -> no Pareto; one varying lever -> no heatmap
    nan_kpi = "cost_per_parcel_cny"
    s2 = [dict(r, mean=float("nan")) if r["kpi"] == nan_kpi else r for r in summary if r[VEH] == 2]
    c2 = [dict(r, mean_diff=float("nan")) if r["kpi"] == nan_kpi else r for r in comparisons]
    r2 = [dict(r, **{nan_kpi: float("nan")}) for r in runs if r[VEH] == 2]
    paths = ep.write_experiment_figures(tmp_path / "two", s2, c2, r2, [COV, VEH], [GROWTH], list(KPIS), "base")
    stems = {p.stem for p in paths}
    assert not any(nan_kpi in s for s in stems)
    assert not any(s.startswith(("heatmap", "pareto", "kpi_vs_vehicles")) for s in stems)
    assert "kpi_vs_coverage_share__inbound_lead_time_mean_h" in stems and "sensitivity" in stems
    # empty tables
    assert ep.write_experiment_figures(tmp_path / "empty", [], [], [], [COV], [], list(KPIS), None) == []
    assert (tmp_path / "empty").is_dir()


def test_write_experiment_figures_clashing_short_names(tmp_path, fast_save):
    summary = []
    for a, b in itertools.product((1.0, 2.0), (3.0, 4.0)):
        summary.append({"scenario_id": f"{a}{b}", "scenario": "x", "hub.capacity": a, "trunk.capacity": b,
                        "kpi": "cost_total_cny", "n": 2, "mean": a + b, "std": 1.0, "ci95_half_width": 0.5})
    paths = ep.write_experiment_figures(tmp_path, summary, [], [], ["hub.capacity", "trunk.capacity"], [],
                                        ["cost_total_cny"], None)
    stems = {p.stem for p in paths}
    assert {"kpi_vs_hub-capacity__cost_total_cny", "kpi_vs_trunk-capacity__cost_total_cny",
            "heatmap__cost_total_cny"} <= stems


def test_no_pareto_front_for_a_service_kpi_that_never_changes(tmp_path, fast_save):
    summary = []
    for i, cost in enumerate((5.0, 6.0, 7.0)):
        for kpi, mean in (("cost_per_parcel_cny", cost), ("residents_served_share", 0.375),
                          ("inbound_lead_time_mean_h", 30.0 + i)):
            summary.append({"scenario_id": f"s{i}", "scenario": f"a very long scenario label number {i} " * 3,
                            "x": float(i), "kpi": kpi, "n": 2, "mean": mean, "std": 0.1, "ci95_half_width": 0.1})
    paths = ep.write_experiment_figures(tmp_path, summary, [], [], ["x"], [],
                                        ["cost_per_parcel_cny", "residents_served_share", "inbound_lead_time_mean_h"],
                                        None)
    stems = {p.stem for p in paths}
    assert "pareto__inbound_lead_time_mean_h" in stems and "pareto__residents_served_share" not in stems


def test_kpi_by_scenario_draws_each_scenarios_mean_and_interval_with_the_baseline_apart():
    summary = [{"scenario_id": f"s{i}", "scenario": name, "kpi": "cost_per_parcel_cny", "n": 5, "mean": mean,
                "std": 0.1, "ci95_half_width": hw}
               for i, (name, mean, hw) in enumerate([("vans", 6.2, 0.05), ("buses", 4.8, 0.1), ("trikes", 8.1, 0.2)])]
    ax = ep.plot_kpi_by_scenario(summary, "cost_per_parcel_cny", baseline_id="s0")
    drawn = {}
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer):
            line = c.lines[0]
            for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
                drawn[float(y)] = (float(x), line.get_marker())
    labels = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    by_name = {labels[y]: v for y, v in drawn.items()}
    assert by_name == {"vans": (6.2, "*"), "buses": (4.8, "o"), "trikes": (8.1, "o")}
    assert labels[max(labels)] == "vans"   # the table's first scenario on top
    assert "5 replications" in " ".join(ax.get_title().split()) and "(CNY)" in ax.get_xlabel()


def test_sampled_points_named_by_every_factor_are_numbered_and_fit_the_figure():
    names = [f"parcels_per_resident_y={4 + i / 7:.5g}, kg_per_resident_y={20 + i:.5g}, shelf_life_d={7 + i / 3:.5g}"
             for i in range(12)]
    summary = [{"scenario_id": f"s{i}", "scenario": n, "kpi": "cost_per_parcel_cny", "n": 2, "mean": 5.0 + i / 10,
                "std": 0.1, "ci95_half_width": 0.1} for i, n in enumerate(names)]
    ax = ep.plot_kpi_by_scenario(summary, "cost_per_parcel_cny")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(ticks, key=lambda t: int(t.split()[1])) == [f"point {i + 1}" for i in range(12)]
    assert "summary.csv" in ax.get_ylabel() and "design point" in ax.get_title()
    fig = ax.figure
    fig.canvas.draw()
    frame = fig.bbox
    for t in ax.get_yticklabels():   # every row label inside the figure (long names were cut off at its edge)
        box = t.get_window_extent()
        assert box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1, t.get_text()


def test_scenarios_without_levers_get_a_figure_of_their_values(tmp_path, fast_save):
    summary = [{"scenario_id": f"s{i}", "scenario": f"sc{i}", "kpi": "cost_per_parcel_cny", "n": 3, "mean": 5.0 + i,
                "std": 0.1, "ci95_half_width": 0.2} for i in range(3)]
    paths = ep.write_experiment_figures(tmp_path, summary, [], [], [], [], ["cost_per_parcel_cny"], "s0", workers=1)
    assert "by_scenario__cost_per_parcel_cny" in {p.stem for p in paths}


def test_heatmap_cells_share_one_number_format():
    summary = [{"scenario_id": f"s{i}{j}", "scenario": "x", "a": float(i), "b": float(j), "kpi": "cost_per_parcel_cny",
                "n": 3, "mean": v, "std": 0.1, "ci95_half_width": 0.1}
               for (i, j), v in np.ndenumerate(np.array([[6.297, 11.84], [9.5, 12.0]]))]
    ax = ep.plot_heatmap(summary, "a", "b", "cost_per_parcel_cny")   # half-widths of 0.1: two decimals
    assert sorted(t.get_text() for t in ax.texts) == ["11.84\n± 0.10", "12.00\n± 0.10", "6.30\n± 0.10",
                                                      "9.50\n± 0.10"]
    ax = ep.plot_heatmap([dict(r, ci95_half_width=0.0) for r in summary], "a", "b", "cost_per_parcel_cny")
    # no interval to go by: the largest value's digits (short_number's) for every cell, so they line up
    assert sorted(t.get_text() for t in ax.texts) == ["11.8\n± 0", "12.0\n± 0", "6.3\n± 0", "9.5\n± 0"]


def test_forest_value_ticks_never_run_together_beside_long_scenario_names():
    comps = [{"scenario_id": f"s{i}", "scenario": f"cold_store_kg={50000 * (i % 2)}, cold_room_kg={1000 * i}",
              "kpi": "spoilage_rate", "baseline_id": "b", "mean_diff": -0.002 * i, "ci95_low": -0.002 * i - 0.002,
              "ci95_high": -0.002 * i + 0.002, "significant_holm": True, "p_holm": 0.01} for i in range(7)]
    ax = ep.plot_forest(comps, "spoilage_rate")
    ax.figure.canvas.draw()
    boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels() if t.get_text() and t.get_visible()),
                   key=lambda b: b.x0)
    assert len(boxes) >= 2
    assert all(a.x1 + 2 <= b.x0 for a, b in itertools.pairwise(boxes)), [(b.x0, b.x1) for b in boxes]


def test_design_point_labels_are_compacted_to_their_values_with_the_factors_named_once():
    from sim.figures.tradeoffs import compact_labels
    labels = ["coverage_share=0.5, vehicles_per_route=2", "coverage_share=1, vehicles_per_route=3"]
    paths = {"coverage_share": "stations.coverage_share", "vehicles_per_route": "lastmile.vehicles_per_route"}
    assert compact_labels(labels, paths) == (["0.5, 2", "1, 3"], ["coverage (share)", "vehicles per route"])
    assert compact_labels(["vans", "buses"]) == (["vans", "buses"], [])            # named scenarios stay
    assert compact_labels(["a, x=1", "b, x=2"]) == (["a, 1", "b, 2"], ["x"])       # names x design points
    assert compact_labels(["x=1", "y=2"]) == (["x=1", "y=2"], [])                  # not the same factors


def test_pareto_names_the_factors_of_compacted_labels():
    summary = [{"scenario_id": f"s{c}{v}", "scenario": f"coverage_share={c}, vehicles_per_route={v}",
                "stations.coverage_share": c, "lastmile.vehicles_per_route": v, "kpi": kpi, "n": 3,
                "mean": mean, "std": 0.1, "ci95_half_width": 0.1}
               for c in (0.25, 1.0) for v in (1, 2)
               for kpi, mean in (("cost_per_parcel_cny", 5.0 + v + c), ("inbound_lead_time_mean_h", 34.0 - v - c))]
    ax = ep.plot_pareto(summary, "cost_per_parcel_cny", "inbound_lead_time_mean_h")
    texts = [t.get_text() for t in ax.texts]
    assert texts and all("=" not in t for t in texts)
    assert "points labelled by coverage (share), vehicles per route" in " ".join(ax.get_title().split())


def test_plain_tick_labels_carry_thousands_separators_and_true_minus_signs():
    from sim.figures.base import _plain_tick
    assert [_plain_tick(v) for v in (450000.0, -150000.0, -0.012, 0.30000000000000004, 0.0, 7.5)] == \
        ["450,000", "\u2212150,000", "\u22120.012", "0.3", "0", "7.5"]


def test_heatmap_colorbar_of_large_values_separates_thousands():
    summary = [{"scenario_id": f"s{i}{j}", "scenario": "x", "a": float(i), "b": float(j), "kpi": "vehicle_km",
                "n": 5, "mean": 300_000.0 + 100_000.0 * i + 50_000.0 * j, "std": 1.0, "ci95_half_width": 1500.0}
               for i in range(2) for j in range(2)]
    ax = ep.plot_heatmap(summary, "a", "b", "vehicle_km")
    ax.figure.canvas.draw()
    cbar = next(a for a in ax.figure.axes if a is not ax)
    labels = [t.get_text() for t in cbar.get_yticklabels() if t.get_text()]
    assert labels and all("," in t for t in labels), labels        # 400,000, not 400000
    assert sorted(t.get_text() for t in ax.texts)[0] == "300,000\n± 1,500"
