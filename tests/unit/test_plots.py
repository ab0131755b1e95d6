"""Tests for sim.figures.county (headless, object-oriented matplotlib API)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; sim.figures.county itself never selects a backend

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from sim.figures import county as plots

PNG_SIG = b"\x89PNG\r\n\x1a\n"
N_DAYS = 365


def _daily(rng: np.random.Generator, n: int = N_DAYS) -> dict[str, np.ndarray]:
    t = np.arange(n)
    season = 1.0 + 0.5 * np.sin(2 * np.pi * t / 365.0)
    ordered = rng.poisson(120 * season).astype(float)
    offered = rng.gamma(4.0, 250.0 * season)
    return {
        "day": t,
        "parcels_ordered": ordered,
        "parcels_delivered": np.maximum(ordered - rng.integers(0, 10, n), 0),
        "produce_offered_kg": offered,
        "produce_sold_kg": offered * rng.uniform(0.6, 0.95, n),
        "produce_spoiled_kg": offered * rng.uniform(0.0, 0.05, n),
        "vehicle_km": rng.uniform(200, 400, n),
        "hub_backlog_parcels": rng.poisson(30, n).astype(float),
        "station_backlog_kg": rng.gamma(2.0, 100.0, n),
        "warehouse_backlog_parcels": rng.poisson(10, n).astype(float),
    }


def _network(rng: np.random.Generator, n: int = 40) -> dict:
    village_xy = rng.uniform(-25, 25, size=(n, 2))
    served = rng.random(n) < 0.7
    idx = np.flatnonzero(served)
    routes = [list(map(int, chunk)) for chunk in np.array_split(idx, 4)]
    return {
        "hub_xy": np.array([0.0, 0.0]),
        "village_xy": village_xy,
        "residents": rng.integers(100, 3000, n),
        "served": served,
        "routes": routes,
        "township_xy": rng.uniform(-20, 20, size=(5, 2)),
    }


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def _new_ax() -> Axes:
    return Figure().add_subplot()


def _all_text(ax: Axes) -> str:
    return " ".join([ax.get_xlabel(), ax.get_ylabel(), ax.get_title()] + [t.get_text() for t in ax.texts])


def _twin_of(ax: Axes) -> Axes:
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    return twins[0]


# --- daily flows / backlog -------------------------------------------------------------------------

def test_daily_flows_lines_axes_and_units(rng):
    daily = _daily(rng)
    ax = plots.plot_daily_flows(daily)
    assert isinstance(ax, Axes)
    twin = _twin_of(ax)
    assert len(ax.lines) == 2 and len(twin.lines) == 3
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), daily["day"])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), daily["parcels_delivered"])
    np.testing.assert_array_equal(twin.lines[2].get_ydata(), daily["produce_spoiled_kg"])
    assert ax.get_title() == "Daily flows"
    assert "(d)" in ax.get_xlabel()
    assert "parcels" in ax.get_ylabel()
    assert "kg" in twin.get_ylabel()
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) == 5


def test_daily_flows_uses_given_axes(rng):
    ax = _new_ax()
    assert plots.plot_daily_flows(_daily(rng, 30), ax=ax) is ax


def test_daily_flows_zero_days():
    empty = {k: np.array([]) for k in _daily(np.random.default_rng(0), 1)}
    ax = plots.plot_daily_flows(empty)
    assert len(ax.lines) == 2
    ax.figure.canvas.draw()


def test_daily_flows_missing_column_is_clear(rng):
    daily = _daily(rng, 10)
    del daily["produce_sold_kg"]
    with pytest.raises(KeyError, match="produce_sold_kg"):
        plots.plot_daily_flows(daily)


def test_backlog_lines_and_units(rng):
    daily = _daily(rng)
    ax = plots.plot_backlog(daily)
    twin = _twin_of(ax)
    assert len(ax.lines) == 2 and len(twin.lines) == 1
    assert "(parcels)" in ax.get_ylabel()
    assert "(kg)" in twin.get_ylabel()
    assert "(d)" in ax.get_xlabel()
    np.testing.assert_array_equal(twin.lines[0].get_ydata(), daily["station_backlog_kg"])


def _points_under_legend(ax: Axes) -> int:
    """How many drawn data points of ``ax`` and its twin fall inside ``ax`` 's legend box."""
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    n = 0
    for a in fig.axes:
        for line in a.lines:
            xy = a.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
            inside = (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)
            n += int(inside.sum())
    return n


@pytest.mark.parametrize("plot", [plots.plot_daily_flows, plots.plot_backlog])
def test_legend_hides_no_data(rng, plot):
    # peaks at the very start, under where the legend sits, on both axes
    daily = _daily(rng, 120)
    for key in ("parcels_ordered", "parcels_delivered", "produce_offered_kg", "produce_sold_kg",
                "hub_backlog_parcels", "warehouse_backlog_parcels", "station_backlog_kg"):
        daily[key] = np.asarray(daily[key], dtype=float)
        daily[key][:10] = daily[key].max() * 1.5
    ax = plot(daily)
    assert _points_under_legend(ax) == 0
    fig = Figure(figsize=(10.0, 4.5), layout="constrained")
    assert _points_under_legend(plot(daily, ax=fig.add_subplot())) == 0


# --- lead time -------------------------------------------------------------------------------------

def test_lead_time_histogram_with_mean_and_p95(rng):
    lt = rng.gamma(3.0, 12.0, size=2000)
    ax = plots.plot_lead_time(lt)
    assert len(ax.patches) > 5  # histogram bars
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(lt.size)
    assert len(ax.lines) == 2
    xs = sorted(float(line.get_xdata()[0]) for line in ax.lines)
    assert xs == pytest.approx(sorted([lt.mean(), np.percentile(lt, 95)]))
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "mean" in labels and "95" in labels
    assert "(h)" in ax.get_xlabel()


def test_lead_time_empty_and_nonfinite():
    for data in (np.array([]), np.array([np.nan, np.inf])):
        ax = plots.plot_lead_time(data)
        assert len(ax.patches) == 0 and len(ax.lines) == 0
        assert "no parcels delivered" in _all_text(ax)
        ax.figure.canvas.draw()


def test_lead_time_single_value_and_heavy_tail(rng):
    ax = plots.plot_lead_time(np.array([5.0]))
    assert len(ax.lines) == 2
    heavy = np.concatenate([rng.uniform(0, 1, 10_000), [1e6]])
    ax = plots.plot_lead_time(heavy)
    assert len(ax.patches) <= 100


# --- load factors ----------------------------------------------------------------------------------

def _mean_markers(ax: Axes):
    return [line for line in ax.lines if line.get_marker() == "D"]


def test_load_factors_boxes_and_means(rng):
    lin = rng.beta(5, 2, size=300)
    lout = rng.beta(2, 5, size=200) * 1.2
    ax = plots.plot_load_factors(lin, lout)
    means = _mean_markers(ax)
    assert len(means) == 2
    assert [float(m.get_ydata()[0]) for m in means] == pytest.approx([lin.mean(), lout.mean()])
    assert len(ax.patches) == 2  # one filled box per direction
    assert "(share of vehicle capacity)" in ax.get_ylabel()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "n=300" in ticks[0] and "n=200" in ticks[1]
    assert "empty" not in ticks[0] + ticks[1]       # no trip without load


def test_load_factors_name_the_share_of_empty_trips():
    # 3 of 4 return trips bring no produce: the median is 0, on the axis, so the tick says so
    ax = plots.plot_load_factors(np.array([0.5, 0.6, 0.7, 0.8]), np.array([0.0, 0.0, 0.0, 0.9]))
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "empty" not in ticks[0] and ticks[1].endswith("n=4 trips, 75% empty")


@pytest.mark.parametrize("which", ["in", "out", "both"])
def test_load_factors_empty(rng, which):
    lin = np.array([]) if which in ("in", "both") else rng.uniform(0, 1, 50)
    lout = np.array([]) if which in ("out", "both") else rng.uniform(0, 1, 50)
    ax = plots.plot_load_factors(lin, lout)
    n_empty = 2 if which == "both" else 1
    assert len(_mean_markers(ax)) == 2 - n_empty
    assert _all_text(ax).count("no trips") == n_empty
    ax.figure.canvas.draw()


# --- network map -----------------------------------------------------------------------------------

def test_network_artists(rng):
    net = _network(rng)
    ax = plots.plot_network(**net)
    assert len(ax.lines) == len(net["routes"])  # one closed polyline per route
    for line, route in zip(ax.lines, net["routes"], strict=True):
        x, y = line.get_xdata(), line.get_ydata()
        assert len(x) == len(route) + 2
        assert (x[0], y[0]) == (x[-1], y[-1]) == (0.0, 0.0)
        np.testing.assert_allclose(np.c_[x[1:-1], y[1:-1]], net["village_xy"][route])
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines}
    assert len(colours) == len(net["routes"])
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 4  # served, unserved, township, hub
    served, unserved, towns, hub = scatters
    assert len(served.get_offsets()) == net["served"].sum()
    assert len(unserved.get_offsets()) == (~net["served"]).sum()
    assert len(towns.get_offsets()) == 5
    np.testing.assert_allclose(hub.get_offsets(), [[0.0, 0.0]])
    assert ax.get_aspect() == 1.0
    assert "(km)" in ax.get_xlabel() and "(km)" in ax.get_ylabel()
    # bigger villages get bigger markers
    res = net["residents"][net["served"]]
    sizes = served.get_sizes()
    assert sizes[np.argmax(res)] > sizes[np.argmin(res)]


def test_network_without_townships_and_empty_routes(rng):
    net = _network(rng, n=6)
    net["township_xy"] = None
    net["served"] = np.zeros(6, dtype=bool)
    net["routes"] = [[], [2, 4]]
    ax = plots.plot_network(**net)
    assert len(ax.lines) == 1
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 3
    ax.figure.canvas.draw()


def test_network_bad_route_index(rng):
    net = _network(rng, n=5)
    net["routes"] = [[0, 7]]
    with pytest.raises(ValueError, match="route 0"):
        plots.plot_network(**net)


# --- write_figures ---------------------------------------------------------------------------------

STEMS = ["daily_flows", "backlog", "lead_time", "load_factors", "network_map"]


def _write(out_dir, seed=7):
    rng = np.random.default_rng(seed)
    return plots.write_figures(
        out_dir,
        _daily(rng, 120),
        rng.gamma(3.0, 12.0, size=500),
        rng.beta(5, 2, size=100),
        rng.beta(2, 5, size=80),
        _network(rng, n=25),
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One write_figures call shared by the file checks (saving 10 figures costs ~1-2 s)."""
    out = tmp_path_factory.mktemp("figs") / "nested" / "dir"
    return out, _write(out)


def test_write_figures_files(written):
    out, paths = written
    expected = sorted(out / f"{s}.{ext}" for s in STEMS for ext in ("png", "svg"))
    assert paths == expected
    assert sorted(out.iterdir()) == expected  # no temporary files left behind
    for p in paths:
        data = p.read_bytes()
        assert len(data) > 1000
        if p.suffix == ".png":
            assert data.startswith(PNG_SIG)
        else:
            assert data.startswith(b"<?xml")
            assert b"</svg>" in data[-100:]


def test_write_figures_png_dpi(written):
    import struct

    _, paths = written
    png = next(p for p in paths if p.name == "lead_time.png")
    width, height = struct.unpack(">II", png.read_bytes()[16:24])  # IHDR chunk
    fig_w, fig_h = plots._FIGSIZE_SMALL
    assert (width, height) == (round(fig_w * plots.PNG_DPI), round(fig_h * plots.PNG_DPI))


def test_write_figures_deterministic(written, tmp_path):
    _, first_paths = written
    first = {p.name: p.read_bytes() for p in first_paths}
    second = {p.name: p.read_bytes() for p in _write(tmp_path)}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_write_figures_empty_inputs(tmp_path):
    rng = np.random.default_rng(1)
    net = _network(rng, n=4)
    net["routes"] = []
    paths = plots.write_figures(tmp_path, _daily(rng, 0), np.array([]), np.array([]), np.array([]), net)
    assert len(paths) == 10 and all(p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("replications", [1, 5])
def test_one_replications_figures_say_which_replication_they_show(monkeypatch, tmp_path, replications):
    titles = {}

    def capture(out, makers, workers=None, prune=False):
        for stem, make in makers:
            titles[stem] = make().get_title()
        return []

    monkeypatch.setattr(plots, "save_figures", capture)
    rng = np.random.default_rng(3)
    plots.write_figures(tmp_path, _daily(rng, 30), rng.gamma(3.0, 12.0, size=50), rng.beta(5, 2, size=10),
                        rng.beta(2, 5, size=10), _network(rng, n=8), replications=replications)
    for stem in ("daily_flows", "backlog", "lead_time", "load_factors"):
        assert titles[stem].endswith(" (replication 1 of 5)") == (replications == 5), titles[stem]
    assert "replication" not in titles["network_map"]     # the county is every replication's


def test_module_does_not_import_pyplot():
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    code = "import sys, sim.figures.county; print('matplotlib.pyplot' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root)
    assert res.stdout.strip() == "False"
