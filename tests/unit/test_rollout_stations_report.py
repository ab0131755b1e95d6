"""The rollout report's stations and agents: the figure (sim.figures.stations), the section with
its end-of-horizon table and, where the config has reported points, the calibration figure and
table (sim.reports.stations, sim.reports.rollout)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only

import re

import numpy as np

from sim.figures.stations import plot_report_calibration, plot_stations, stations_panels
from sim.reports import rollout as rr

MONTHS = 12
NAN = float("nan")


def _stations(attrition: bool = True) -> list[dict]:
    """Two strategies, two replications; strategy "a" opens 10 stations a month (replication 1:
    12 a month), closes 1 a month from month 6; "b" opens 5 a month and closes none. Incomes:
    median 1000 + 10 m (+20 in replication 1), p10 half of it."""
    rows = []
    for s, per in (("a", 10), ("b", 5)):
        for rep in (0, 1):
            for m in range(MONTHS):
                opened = (per + 2 * rep * (s == "a")) * (m + 1)
                closed = max(0, m - 5) if s == "a" else 0
                med = 1000.0 + 10 * m + 20 * rep if attrition else NAN
                rows.append({"strategy": s, "replication": rep, "month": m, "counties_entered": 1 + m // 4,
                             "stations_open": opened, "stations_closed": closed,
                             "agent_income_p10_cny": med / 2, "agent_income_median_cny": med})
    return rows


def _monthly() -> list[dict]:
    return [{"strategy": s, "replication": rep, "month": m, "villages_covered": 1, "residents_covered_share": 0.5,
             "parcels_delivered": 100.0, "cost_per_parcel_cny": 5.0, "cumulative_cash_cny": 0.0, "gini_access": 0.5}
            for s in ("a", "b") for rep in (0, 1) for m in range(MONTHS)]


def _rows(md: str, first_cell: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines()
            if line.startswith(f"| {first_cell} |")]


def test_stations_figure_with_attrition_has_four_labelled_panels():
    ax = plot_stations(_stations(), strategies=["a", "b"], reservation_wage_cny=900.0)
    axes = ax.figure.axes
    assert len(axes) == 4
    assert [a.get_ylabel().split("\n")[0].split(" (")[0] for a in axes] == [
        "Counties entered", "Stations open", "Stations closed by", "Agent income"]
    assert "CNY/month" in axes[3].get_ylabel()
    # stations open: the mean over replications, a: (10 + 12) / 2 per month -> 11 (m + 1)
    a_line = next(ln for ln in axes[1].get_lines() if ln.get_label() == "a")
    assert np.allclose(a_line.get_ydata(), 11.0 * (np.arange(MONTHS) + 1))
    # closed by attrition: a closes max(0, m - 5), b none
    closed = {ln.get_label(): np.asarray(ln.get_ydata(), float) for ln in axes[2].get_lines()}
    assert np.allclose(closed["a"], np.maximum(0, np.arange(MONTHS) - 5)) and not closed["b"].any()
    # the reservation wage is drawn at 900
    wage = [ln for ln in axes[3].get_lines() if ln.get_label() == "reservation wage"]
    assert wage and np.allclose(wage[0].get_ydata(), 900.0)
    # each strategy has its own line style and marker besides its colour
    styles = {(ln.get_linestyle(), ln.get_marker()) for ln in axes[1].get_lines()}
    assert len(styles) == 2


def test_stations_figure_without_attrition_drops_the_income_panel():
    """Without incomes (no attrition modelled) and without closings, only counties and stations open."""
    rows = [dict(r, stations_closed=0) for r in _stations(attrition=False)]
    ax = plot_stations(rows, strategies=["a", "b"])
    assert [a.get_ylabel() for a in ax.figure.axes] == ["Counties entered", "Stations open"]
    assert not any(t.get_text() for a in ax.figure.axes for t in a.texts)  # no empty panel with a message
    assert stations_panels(rows) == {"closed": False, "income": False}
    assert stations_panels(_stations()) == {"closed": True, "income": True}


def test_calibration_figure_draws_the_mean_and_the_points():
    ax = plot_report_calibration(_stations(), "a", [(5, 70.0), (11, 120.0)])
    model = next(ln for ln in ax.get_lines() if ln.get_label() == "model")
    assert np.allclose(model.get_ydata(), 11.0 * (np.arange(MONTHS) + 1))
    pts = next(ln for ln in ax.get_lines() if ln.get_label() == "reported (fitted)")
    assert list(pts.get_xdata()) == [5, 11] and list(pts.get_ydata()) == [70.0, 120.0]


def test_report_has_the_stations_section_table_and_figures(tmp_path):
    meta = {"name": "Stations", "baseline": "a", "horizon_m": MONTHS, "map_months": [], "reservation_wage_cny": 900.0}
    res = rr.write_rollout_report(tmp_path, meta, _monthly(), [], [], [], [], reported=[(5, 70.0), (11, 120.0)],
                                  stations=_stations())
    md = res["markdown"].read_text(encoding="utf-8")
    html = res["html"].read_text(encoding="utf-8")
    assert "## Stations and agents" in md and "month 11" in md
    # at month 11: a opens 11 x 12 = 132 (mean of 120 and 144), 3 counties, 6 closed, median 1120 (mean of
    # 1110 and 1130), p10 560; b: 60 open, none closed
    assert _rows(md, "a")[0] == ["a", "3", "132", "6", "1,120", "560"]
    assert _rows(md, "b")[0] == ["b", "3", "60", "0", "1,120", "560"]
    # calibration: month 5 model 66 against 70 (-5.7%), month 11 132 against 120 (+10.0%)
    assert _rows(md, "5")[0] == ["5", "70", "66", "-5.7%"]
    assert _rows(md, "11")[0] == ["11", "120", "132", "+10.0%"]
    for stem in (rr.STATIONS_STEM, rr.CALIBRATION_STEM):
        assert (tmp_path / "figures" / f"{stem}.png").exists()
        assert f"](figures/{stem}.png)" in md
    assert '<section id="stations">' in html and "+10.0%" in html
    assert html.count('<img src="data:image/png;base64,') == md.count("![")
    assert "reservation wage 900 CNY a month" in md


def test_report_without_stations_or_reported_points_has_neither(tmp_path):
    meta = {"name": "Plain", "baseline": "a", "horizon_m": MONTHS, "map_months": []}
    md = rr.write_rollout_report(tmp_path / "none", meta, _monthly(), [], [], [], [])["markdown"].read_text()
    assert "Stations and agents" not in md and "stations.png" not in md
    md = rr.write_rollout_report(tmp_path / "no_pts", meta, _monthly(), [], [], [], [],
                                 stations=_stations(attrition=False))["markdown"].read_text()
    assert "## Stations and agents" in md and "calibration.png" not in md
    assert _rows(md, "a")[0][4:] == ["n/a", "n/a"]
    assert not re.search(r"\bnan\b", md)


def test_stations_caption_describes_only_what_is_drawn(tmp_path):
    meta = {"name": "Plain", "baseline": "a", "horizon_m": MONTHS, "map_months": [], "reservation_wage_cny": 900.0}
    rows = [dict(r, stations_closed=0) for r in _stations(attrition=False)]
    plan = rr._figure_plan(meta, _monthly(), [], [], [], [], None, rows)
    caption = next(c for stem, _, c, _ in plan["figures"] if stem == rr.STATIONS_STEM)
    assert "not modelled" in caption
    for drawn_only_with_attrition in ("median", "10th percentile", "reservation wage", "closed"):
        assert drawn_only_with_attrition not in caption
    plan = rr._figure_plan(meta, _monthly(), [], [], [], [], None, _stations())
    caption = next(c for stem, _, c, _ in plan["figures"] if stem == rr.STATIONS_STEM)
    assert "closed by attrition" in caption and "median" in caption and "reservation wage 900" in caption
    assert "not modelled" not in caption
