"""Tests for the rollout figures (sim.figures.rollout, sim.figures.equity) and report (sim.reports.rollout)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; sim.reports.rollout itself never selects a backend

import math
import re

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from sim.figures import equity as eq
from sim.figures import rollout as rf
from sim.reports import rollout as rr

PNG_SIG = b"\x89PNG\r\n\x1a\n"
STRATEGIES = ("county_hub", "rural_taobao", "post_office")
BASELINE = "county_hub"
N_REPS, N_MONTHS, N_COUNTIES = 2, 24, 20
KPIS = (("residents_covered_share", True), ("cost_per_parcel_cny", False), ("gini_access", False))
REPORTED = [(12, 6000), (16, 14000), (26, 16000)]


def _monthly(rng: np.random.Generator, strategies=STRATEGIES) -> list[dict]:
    rows = []
    for k, s in enumerate(strategies):
        speed = 0.15 + 0.1 * k
        for rep in range(N_REPS):
            cum = 0.0
            for m in range(N_MONTHS):
                share = 1.0 - math.exp(-speed * (m + 1)) * rng.uniform(0.9, 1.0)
                parcels = 0.0 if m == 0 else 2.0e4 * share * (1 + m) * rng.uniform(0.9, 1.1)
                opex = 4.0e5 * share + 1.0e5
                capex = 2.0e6 if m == 0 else 0.0
                revenue = 4.0 * parcels
                subsidy = 5.0e4
                net = revenue + subsidy - opex - capex
                cum += net
                rows.append({
                    "strategy": s, "replication": rep, "month": m,
                    "villages_covered_share": share, "residents_covered_share": 0.95 * share,
                    "villages_covered": int(16000 * share), "parcels_delivered": parcels,
                    "cost_per_parcel_cny": (opex + capex) / parcels if parcels else float("nan"),
                    "opex_cny": opex, "capex_cny": capex, "revenue_cny": revenue, "subsidy_cny": subsidy,
                    "net_cash_cny": net, "cumulative_cash_cny": cum,
                    "lead_time_mean_h": 72.0 - 20 * share + rng.normal(0, 2),
                    "gini_access": 0.8 * (1 - share) + rng.uniform(0, 0.05),
                    "co2_kg": 0.3 * parcels, "farmer_revenue_cny": 10.0 * parcels,
                })
    return rows


def _outcomes(rng: np.random.Generator, strategies=STRATEGIES) -> list[dict]:
    rows = []
    for kpi, hib in KPIS:
        means = {s: float(rng.uniform(0.2, 0.9)) for s in strategies}
        order = sorted(strategies, key=lambda s: -means[s] if hib else means[s])
        for s in strategies:
            base = s == BASELINE
            d = means[s] - means[BASELINE]
            rows.append({
                "strategy": s, "kpi": kpi, "mean": means[s], "ci95_half_width": 0.02,
                "diff_vs_baseline": float("nan") if base else d,
                "diff_ci95_low": float("nan") if base else d - 0.03,
                "diff_ci95_high": float("nan") if base else d + 0.03,
                "significant_holm": (not base) and s == "rural_taobao",
                "rank": order.index(s) + 1, "higher_is_better": hib,
            })
    return rows


def _equity(rng: np.random.Generator, strategies=STRATEGIES) -> list[dict]:
    return [{"strategy": s, "decile": d, "lead_time_mean_h": 24.0 + 5 * d + rng.normal(0, 1),
             "coverage_share": max(0.0, 1.0 - 0.07 * d - 0.05 * k)}
            for k, s in enumerate(strategies) for d in range(1, 11)]


def _counties(rng: np.random.Generator) -> list[dict]:
    xy = rng.uniform(0, 300, size=(N_COUNTIES, 2))
    return [{"county_id": i, "x_km": float(xy[i, 0]), "y_km": float(xy[i, 1]),
             "residents": int(rng.integers(1e5, 8e5))} for i in range(N_COUNTIES)]


def _coverage_map(rng: np.random.Generator, strategies=STRATEGIES) -> list[dict]:
    return [{"strategy": s, "month": m, "county_id": c, "residents_covered_share": float(rng.uniform(0, 1))}
            for s in strategies for m in (6, 23) for c in range(N_COUNTIES)]


@pytest.fixture(scope="module")
def data() -> dict:
    rng = np.random.default_rng(20240611)
    return {"monthly": _monthly(rng), "outcomes": _outcomes(rng), "equity": _equity(rng),
            "counties": _counties(rng), "coverage_map": _coverage_map(rng)}


META = {"name": "Rollout comparison (test)", "baseline": BASELINE, "horizon_m": N_MONTHS, "map_months": [23],
        "notes": ["Assumption: subsidies end in month 18.", "Disagreement: reported pace is faster than simulated."]}


def _new_ax() -> Axes:
    return Figure(figsize=(6, 4)).add_subplot()


def _named_lines(ax: Axes) -> list:
    return [ln for ln in ax.lines if not ln.get_label().startswith("_")]


# ------------------------------------------------------------------------------------------ plots

def test_plot_coverage_one_line_per_strategy_with_bands(data):
    ax = rf.plot_coverage(data["monthly"])
    assert isinstance(ax, Axes)
    assert [ln.get_label() for ln in ax.lines] == list(STRATEGIES)
    assert len(ax.collections) == len(STRATEGIES)  # min-max bands
    assert ax.get_ylim() == pytest.approx((0.0, 1.02))
    first = ax.lines[0]
    assert len(first.get_xdata()) == N_MONTHS


def test_plot_coverage_mean_over_replications(data):
    ax = rf.plot_coverage(data["monthly"], measure="villages_covered_share", ax=_new_ax())
    rows = [r for r in data["monthly"] if r["strategy"] == STRATEGIES[1] and r["month"] == 5]
    expected = np.mean([r["villages_covered_share"] for r in rows])
    assert ax.lines[1].get_ydata()[5] == pytest.approx(expected)


def test_plot_coverage_reported_points(data):
    ax = _new_ax()
    out = rf.plot_coverage(data["monthly"], measure="villages_covered", reported=REPORTED, ax=ax)
    assert out is ax
    assert len(ax.lines) == len(STRATEGIES) + 1
    rep = [ln for ln in ax.lines if ln.get_label() == "reported"]
    assert len(rep) == 1
    assert list(rep[0].get_xdata()) == [12, 16, 26]
    assert list(rep[0].get_ydata()) == [6000, 14000, 16000]
    assert rep[0].get_linestyle() == "None" and rep[0].get_marker() == "o"
    assert matplotlib.colors.to_hex(rep[0].get_color()) == "#000000"
    assert ax.get_xlim()[1] >= 26  # reported point beyond the horizon stays visible
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "reported" in legend
    # reported points only belong on the villages-covered curve
    ax2 = rf.plot_coverage(data["monthly"], reported=REPORTED)
    assert len(ax2.lines) == len(STRATEGIES)


def test_plot_cost_per_parcel_lines_and_log_scale(data):
    ax = rf.plot_cost_per_parcel(data["monthly"])
    assert [ln.get_label() for ln in ax.lines] == list(STRATEGIES)
    y = np.asarray(ax.lines[0].get_ydata(), dtype=float)
    assert math.isnan(y[0])  # month 0: no parcels
    # month 1 costs include the month-0 capex? no: capex only in month 0; range is > 20x here
    means = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in ax.lines])
    means = means[np.isfinite(means)]
    assert ax.get_yscale() == ("log" if means.max() / means.min() > 20 else "linear")
    flat = [dict(r, cost_per_parcel_cny=5.0 + r["month"] % 3) for r in data["monthly"]]
    assert rf.plot_cost_per_parcel(flat).get_yscale() == "linear"
    steep = [dict(r, cost_per_parcel_cny=1000.0 / (1 + r["month"]) ** 2) for r in data["monthly"]]
    assert rf.plot_cost_per_parcel(steep).get_yscale() == "log"


def test_plot_cost_vs_volume(data):
    ax = rf.plot_cost_vs_volume(data["monthly"])
    lines = _named_lines(ax)
    assert len(lines) == len(STRATEGIES)
    assert all(ln.get_label().startswith(s) for ln, s in zip(lines, STRATEGIES, strict=True))
    assert all("elasticity" in ln.get_label() for ln in lines)
    assert ax.get_xscale() == "log"
    assert all(len(ln.get_xdata()) == N_MONTHS - 1 for ln in lines)  # month 0 has no parcels
    assert all(np.all(np.asarray(ln.get_xdata()) > 0) for ln in lines)


def test_plot_cash_flow(data):
    ax = rf.plot_cash_flow(data["monthly"])
    lines = _named_lines(ax)
    assert len(lines) == len(STRATEGIES)
    assert [ln.get_label().split(" (")[0] for ln in lines] == list(STRATEGIES)
    zero = [ln for ln in ax.lines if ln.get_label() == "_zero"]
    assert len(zero) == 1 and list(zero[0].get_ydata()) == [0, 0]
    assert "CNY" in ax.get_ylabel()


def test_plot_equity_lines_and_twin(data):
    ax = eq.plot_equity(data["equity"])
    assert [ln.get_label() for ln in ax.lines] == list(STRATEGIES)
    # side by side within each decile: every strategy at its own offset, all within the decile's slot
    xs = np.array([np.asarray(ln.get_xdata(), float) for ln in ax.lines])
    assert np.array_equal(np.round(xs), np.tile(np.arange(1, 11), (len(STRATEGIES), 1)))
    assert np.all(np.abs(xs - np.round(xs)) <= 0.25)
    assert len({round(float(x), 6) for x in xs[:, 0]}) == len(STRATEGIES)
    assert len({ln.get_marker() for ln in ax.lines}) == len(STRATEGIES)
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    twin = twins[0]
    assert len(twin.lines) == len(STRATEGIES)
    assert all(ln.get_linestyle() == "--" for ln in twin.lines)
    # lead times in the upper band, coverage in the lower one: in the panel's own coordinates every
    # solid point lies above every dashed one, and each band's ticks stay inside it
    def height(a, ys):
        lo, hi = a.get_ylim()
        return (np.asarray(ys, float) - lo) / (hi - lo)
    solid = np.concatenate([height(ax, ln.get_ydata()) for ln in ax.lines])
    dashed = np.concatenate([height(twin, ln.get_ydata()) for ln in twin.lines])
    assert np.nanmin(solid) >= 0.45 and np.nanmax(solid) <= 1.0
    assert np.nanmin(dashed) >= 0.0 and np.nanmax(dashed) <= 0.45
    assert all(0.45 <= h <= 1.0 for h in height(ax, ax.get_yticks()))
    assert all(0.0 <= h <= 0.45 for h in height(twin, twin.get_yticks()))
    for a, b in zip(ax.lines, twin.lines, strict=True):
        assert a.get_color() == b.get_color()


def test_plot_gini(data):
    ax = rf.plot_gini(data["monthly"], ax=_new_ax())
    assert [ln.get_label() for ln in ax.lines] == list(STRATEGIES)
    assert ax.get_ylim() == (0.0, 1.0)


def test_colours_distinct_and_fixed_by_strategies(data):
    ax = rf.plot_gini(data["monthly"])
    colours = [ln.get_color() for ln in ax.lines]
    assert len(set(map(tuple, colours))) == len(STRATEGIES)
    # a fixed strategy order keeps each strategy's colour when another strategy is missing
    only_last = [r for r in data["monthly"] if r["strategy"] == STRATEGIES[2]]
    ax2 = rf.plot_gini(only_last, strategies=list(STRATEGIES))
    assert len(ax2.lines) == 1
    assert tuple(ax2.lines[0].get_color()) == tuple(colours[2])


def test_plot_coverage_map(data):
    ax = eq.plot_coverage_map(data["counties"], data["coverage_map"], STRATEGIES[1], 23)
    circles = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    assert len(circles) == 1
    sc = circles[0]
    assert len(sc.get_offsets()) == N_COUNTIES
    assert (sc.norm.vmin, sc.norm.vmax) == (0.0, 1.0)
    assert sc.colorbar is not None
    expected = {r["county_id"]: r["residents_covered_share"] for r in data["coverage_map"]
                if r["strategy"] == STRATEGIES[1] and r["month"] == 23}
    assert np.allclose(np.asarray(sc.get_array()), [expected[i] for i in range(N_COUNTIES)])
    sizes = sc.get_sizes()
    res = np.array([c["residents"] for c in data["counties"]])
    assert np.argmax(sizes) == np.argmax(res)  # sized by residents
    assert "month 23" in ax.get_title()


def test_plot_coverage_map_missing_values(data):
    partial = [r for r in data["coverage_map"] if not (r["county_id"] < 5)]
    ax = eq.plot_coverage_map(data["counties"], partial, STRATEGIES[0], 6)
    sc = next(c for c in ax.collections if len(c.get_offsets()))
    assert len(sc.get_offsets()) == N_COUNTIES  # counties without a value are still drawn (grey)
    ax2 = eq.plot_coverage_map(data["counties"], data["coverage_map"], STRATEGIES[0], 99)
    assert "no coverage data" in ax2.get_title()


# ------------------------------------------------------------------------------------------ table

def _table_rows(md: str) -> dict[str, list[str]]:
    rows = {}
    for line in md.strip().splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows[cells[0]] = cells
    return rows


def test_outcome_table_markdown(data):
    md = rr.outcome_table_markdown(data["outcomes"], BASELINE)
    lines = md.strip().splitlines()
    n_cols = 1 + 2 * len(KPIS)          # no "mean rank": averaging ranks across outcomes means nothing
    assert lines[0].count("|") == n_cols + 1
    assert set(lines[1]) <= set("|:-")
    rows = _table_rows(md)
    assert len(rows) == len(STRATEGIES)
    assert next(iter(rows)) == f"{BASELINE} (baseline)"
    base = rows[f"{BASELINE} (baseline)"]
    assert all("Δ" not in c and "[" not in c and "**" not in c for c in base)
    assert all(len(r) == n_cols for r in rows.values())
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header.count("rank") == len(KPIS) and "mean rank" not in header
    assert "Cost per parcel delivered (CNY) ↓" in header
    sig = rows["rural_taobao"]
    nonsig = rows["post_office"]
    for j in range(len(KPIS)):
        assert re.fullmatch(r"\S+ ± \S+; \*\*Δ .+ \[.+, .+\]\*\*", sig[1 + 2 * j])
        assert "Δ" in nonsig[1 + 2 * j] and "**" not in nonsig[1 + 2 * j]
    # ranks as given
    for s in STRATEGIES:
        row = rows[f"{s} (baseline)" if s == BASELINE else s]
        ranks = [r["rank"] for r in data["outcomes"] if r["strategy"] == s]
        assert [int(row[2 + 2 * j]) for j in range(len(KPIS))] == ranks


def test_outcome_table_markdown_nan_and_missing():
    rows = [
        {"strategy": "a", "kpi": "lead_time_mean_h_last_year", "mean": 1.0, "ci95_half_width": float("nan"),
         "diff_vs_baseline": float("nan"),
         "diff_ci95_low": float("nan"), "diff_ci95_high": float("nan"), "significant_holm": False, "rank": 1,
         "higher_is_better": False},
        {"strategy": "b|c", "kpi": "lead_time_mean_h_last_year", "mean": float("nan"), "ci95_half_width": float("nan"),
         "diff_vs_baseline": float("nan"), "diff_ci95_low": float("nan"), "diff_ci95_high": float("nan"),
         "significant_holm": False, "rank": float("nan"), "higher_is_better": False},
        {"strategy": "a", "kpi": "villages_covered_share_end", "mean": 0.5, "ci95_half_width": 0.1,
         "diff_vs_baseline": float("nan"),
         "diff_ci95_low": float("nan"), "diff_ci95_high": float("nan"), "significant_holm": False, "rank": 2,
         "higher_is_better": True},
    ]
    md = rr.outcome_table_markdown(rows, "a")
    table = _table_rows(md)
    assert len(table) == 2
    assert "b\\|c" in table  # pipes in names are escaped
    assert table["b\\|c"][1] == "n/a" and table["b\\|c"][3] == "n/a"
    assert "nan" not in md


def test_a_strategy_that_never_breaks_even_reads_not_within_the_horizon():
    rows = [{"strategy": s, "kpi": "break_even_month", "mean": m, "ci95_half_width": float("nan"),
             "diff_vs_baseline": float("nan"), "diff_ci95_low": float("nan"), "diff_ci95_high": float("nan"),
             "significant_holm": False, "rank": rank, "higher_is_better": False}
            for s, m, rank in (("a", 30.0, 1), ("b", float("nan"), 2))]
    _, body = rr._outcome_table(rows, "a", 60)
    texts = {line[0][0][0]: "".join(seg for seg, _ in line[1]) for line in body}
    assert texts["b"] == "not within 60 months" and texts["a (baseline)"].startswith("30")


# ----------------------------------------------------------------------------------------- report

@pytest.fixture(scope="module")
def report(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("report")
    res = rr.write_rollout_report(out, META, data["monthly"], data["outcomes"], data["equity"], data["counties"],
                                  data["coverage_map"], reported=REPORTED)
    return out, res


def _stems() -> list[str]:
    return [*rr.FIGURE_STEMS, rr.MAPS_STEM]


def test_figure_plan_maps_every_strategy_and_month(data):
    """Without drawing: the maps are one figure of small multiples, baseline first, defaults from the data."""
    meta = dict(META, map_months=[6, 23.0, 6])
    plan = rr._figure_plan(meta, data["monthly"], data["outcomes"], data["equity"], data["counties"],
                           data["coverage_map"], REPORTED)
    stems = [f[0] for f in plan["figures"]]
    assert stems == [*rr.FIGURE_STEMS, rr.MAPS_STEM]
    assert plan["map_months"] == [6, 23]
    assert all(caption and "\n" not in caption for _, _, caption, _ in plan["figures"])
    assert plan["order"][0] == BASELINE and plan["horizon"] == N_MONTHS
    plan2 = rr._figure_plan({}, data["monthly"], [], [], [], data["coverage_map"], None)
    assert plan2["horizon"] == N_MONTHS and plan2["map_months"] == [23] and plan2["notes"] == []


def test_write_report_figures(report):
    out, res = report
    stems = _stems()
    assert len(stems) == 7 + 1
    assert sorted(res["figures"]) == sorted([out / "figures" / f"{s}.{e}" for s in stems for e in ("png", "svg")])
    for s in stems:
        assert (out / "figures" / f"{s}.png").read_bytes()[:8] == PNG_SIG
        head = (out / "figures" / f"{s}.svg").read_text(encoding="utf-8")[:400]
        assert head.startswith("<?xml") and "<svg" in head
    assert not list((out / "figures").glob(".*.tmp"))


def test_write_report_markdown(report, data):
    out, res = report
    md = res["markdown"].read_text(encoding="utf-8")
    assert res["markdown"] == out / "report.md"
    assert md.startswith(f"# Rollout strategy comparison: {META['name']}\n")
    for s in _stems():
        assert f"](figures/{s}.png)" in md
    assert rr.outcome_table_markdown(data["outcomes"], BASELINE) in md
    for note in META["notes"]:
        assert note in md
    for s in STRATEGIES:
        assert s in md
    assert "24 months" in md and "20 counties" in md


def test_write_report_html_self_contained(report):
    out, res = report
    text = res["html"].read_text(encoding="utf-8")
    assert res["html"] == out / "report.html"
    assert text.startswith("<!DOCTYPE html>")
    assert text.count('<img src="data:image/png;base64,') == len(_stems())
    assert 'src="http' not in text and "href=\"http" not in text
    assert "<script" not in text and "<link" not in text and "<style>" in text
    assert '<table class="outcomes">' in text and "<strong>" in text
    for note in META["notes"]:
        assert note in text
    # the embedded images are the written PNGs
    first = re.search(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', text).group(1)
    import base64
    assert base64.b64decode(first) == (out / "figures" / "coverage_residents.png").read_bytes()


def test_markdown_and_html_show_the_same_table(report):
    _, res = report
    md = res["markdown"].read_text(encoding="utf-8")
    outcomes_md = md[md.index("## Outcomes"):md.index("## Figures")]
    md_rows = _table_rows("\n".join(line for line in outcomes_md.splitlines() if line.startswith("|")))
    html = res["html"].read_text(encoding="utf-8")
    tables = re.findall(r'<table class="outcomes">(.*?)</table>', html, re.S)
    html_rows = [row for t in tables for row in re.findall(r"<tr>(.*?)</tr>", t)[1:]]  # after each header row
    assert len(html_rows) == len(md_rows)
    for cells, row in zip(md_rows.values(), html_rows, strict=True):
        html_cells = [re.sub(r"</?strong>", "", c) for c in re.findall(r"<td>(.*?)</td>", row)]
        md_cells = [c.replace("**", "").replace("\\|", "|") for c in cells]
        assert [c.replace("&amp;", "&") for c in html_cells] == md_cells


def test_write_report_deterministic(report, data, tmp_path):
    _, res = report
    res2 = rr.write_rollout_report(tmp_path, META, data["monthly"], data["outcomes"], data["equity"], data["counties"],
                           data["coverage_map"], reported=REPORTED)
    assert res2["markdown"].read_bytes() == res["markdown"].read_bytes()
    assert res2["html"].read_bytes() == res["html"].read_bytes()
    for p in res["figures"]:
        assert (tmp_path / "figures" / p.name).read_bytes() == p.read_bytes(), p.name


# ------------------------------------------------------------------------------------- edge cases

def test_nan_values_do_not_crash(data, tmp_path):
    rng = np.random.default_rng(7)
    monthly = [dict(r) for r in data["monthly"]]
    for r in monthly:
        if r["strategy"] == STRATEGIES[2]:
            r["cost_per_parcel_cny"] = float("nan")
            r["gini_access"] = float("nan")
            r["parcels_delivered"] = 0.0
        if rng.random() < 0.2:
            r["residents_covered_share"] = float("nan")
            r["cumulative_cash_cny"] = None
    equity = [dict(r, lead_time_mean_h=float("nan")) if r["decile"] > 8 else r for r in data["equity"]]
    for fn in (rf.plot_cost_per_parcel, rf.plot_gini, rf.plot_cash_flow, rf.plot_cost_vs_volume):
        assert isinstance(fn(monthly), Axes)
    assert len(_named_lines(rf.plot_cost_vs_volume(monthly))) == 2  # third has no parcels
    ax = eq.plot_equity(equity)
    assert np.isnan(np.asarray(ax.lines[0].get_ydata(), float)[-1])
    all_nan = [dict(r, gini_access=float("nan"), cost_per_parcel_cny=float("nan")) for r in monthly]
    assert any("no" in t.get_text() for t in rf.plot_gini(all_nan).texts)
    assert any("no" in t.get_text() for t in rf.plot_cost_per_parcel(all_nan).texts)
    # empty inputs
    for fn in (rf.plot_coverage, rf.plot_cost_per_parcel, rf.plot_cost_vs_volume, rf.plot_cash_flow,
               rf.plot_gini, eq.plot_equity):
        assert isinstance(fn([]), Axes)
    assert isinstance(eq.plot_coverage_map([], [], "x", 0), Axes)


def test_single_strategy_with_nan_values(tmp_path):
    """write_report with one strategy, months without parcels, NaN Gini/cost/cash values and no notes."""
    rng = np.random.default_rng(11)
    one = ("only",)
    monthly = _monthly(rng, one)
    for r in monthly:
        if r["month"] % 5 == 0:
            r.update(gini_access=float("nan"), cumulative_cash_cny=float("nan"), residents_covered_share=None)
    outcomes = [{"strategy": "only", "kpi": k, "mean": 0.5, "ci95_half_width": float("nan"),
                 "diff_vs_baseline": float("nan"), "diff_ci95_low": float("nan"), "diff_ci95_high": float("nan"),
                 "significant_holm": False, "rank": 1, "higher_is_better": h} for k, h in KPIS]
    equity = [dict(r, lead_time_mean_h=float("nan")) if r["decile"] > 8 else r for r in _equity(rng, one)]
    cmap = [r for r in _coverage_map(rng, one) if r["county_id"] % 4]  # some counties without a value
    counties = _counties(rng)
    assert len(rf.plot_coverage(monthly).lines) == 1
    assert len(eq.plot_equity(equity).lines) == 1
    md = rr.outcome_table_markdown(outcomes, "only")
    assert len(_table_rows(md)) == 1 and "Δ" not in md
    res = rr.write_rollout_report(tmp_path, {"name": "One", "baseline": "only", "map_months": [23]}, monthly, outcomes,
                          equity, counties, cmap, reported=REPORTED)
    text = res["html"].read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 7 + 1
    assert (tmp_path / "figures" / f"{rr.MAPS_STEM}.png").read_bytes()[:8] == PNG_SIG
    md_text = res["markdown"].read_text(encoding="utf-8")
    assert "_None._" in md_text  # no notes
    assert not re.search(r"\bnan\b", md_text.lower())  # ("provenance" contains the letters)
