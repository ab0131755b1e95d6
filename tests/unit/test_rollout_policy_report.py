"""The rollout report as a policy document: the generated summary, the assumptions and provenance,
tables narrow enough to print, the print style sheet and the maps as small multiples."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only

import re
from pathlib import Path

import numpy as np
import pytest

from sim.figures import equity as eq
from sim.reports import rollout as rr
from sim.reports.inputs import assumption_rows, provenance_rows
from sim.reports.summary import differences, leaders, summary
from sim.rollout.assumptions import assumptions, levers
from sim.rollout.spec import load_rollout

ROOT = Path(__file__).resolve().parents[2]
NAN = float("nan")


def _row(s, kpi, mean, rank, hib, diff=NAN, lo=NAN, hi=NAN, sig=False, hw=0.5):
    return {"strategy": s, "kpi": kpi, "mean": mean, "ci95_half_width": hw, "diff_vs_baseline": diff,
            "diff_ci95_low": lo, "diff_ci95_high": hi, "significant_holm": sig, "rank": rank,
            "higher_is_better": hib}


# Three strategies, "a" the baseline. By hand:
#   npv_cny (higher better): b leads (rank 1), +5 [+2, +8] vs a, significant.
#   cost_per_parcel_cny_last_year (lower better): c leads, -0.4 [-0.9, +0.1], not significant.
#   spoilage_rate: the same for every strategy (no rank): named, not ranked.
#   co2_kg (lower better): a and c tie at rank 1; the baseline leads.
#   farmer_revenue_cny: no rank given; means 3, 7, 5 with higher better -> b leads.
ROWS = [
    _row("a", "npv_cny", 10.0, 2, True),
    _row("b", "npv_cny", 15.0, 1, True, 5.0, 2.0, 8.0, True),
    _row("c", "npv_cny", 9.0, 3, True, -1.0, -3.0, 1.0, False),
    _row("a", "cost_per_parcel_cny_last_year", 5.0, 3, False),
    _row("b", "cost_per_parcel_cny_last_year", 4.8, 2, False, -0.2, -0.5, 0.1),
    _row("c", "cost_per_parcel_cny_last_year", 4.6, 1, False, -0.4, -0.9, 0.1),
    _row("a", "spoilage_rate", 0.0, NAN, False),
    _row("b", "spoilage_rate", 0.0, NAN, False, 0.0, 0.0, 0.0),
    _row("c", "spoilage_rate", 0.0, NAN, False, 0.0, 0.0, 0.0),
    _row("a", "co2_kg", 100.0, 1, False),
    _row("b", "co2_kg", 120.0, 3, False, 20.0, 10.0, 30.0, True),
    _row("c", "co2_kg", 100.0, 1, False, 0.0, 0.0, 0.0),
]
UNRANKED = [{k: v for k, v in r.items() if k != "rank"} for r in (
    _row("a", "farmer_revenue_cny", 3.0, 0, True),
    _row("b", "farmer_revenue_cny", 7.0, 0, True, 4.0, 1.0, 7.0, True),
    _row("c", "farmer_revenue_cny", 5.0, 0, True, 2.0, -1.0, 5.0))]
LEVERS = {"a": {"village order": "largest_first", "operating model": "self_run"},
          "b": {"village order": "nearest_first", "operating model": "self_run"},
          "c": {"village order": "largest_first", "operating model": "partner"}}


def test_leaders_per_outcome_from_given_rows():
    got = {x["kpi"]: (x["leaders"], x["constant"]) for x in leaders(ROWS + UNRANKED, "a")}
    assert got == {"npv_cny": (["b"], False), "cost_per_parcel_cny_last_year": (["c"], False),
                   "spoilage_rate": ([], True), "co2_kg": (["a", "c"], False),
                   "farmer_revenue_cny": (["b"], False)}


def test_summary_names_leader_difference_significance_and_drivers():
    s = summary(ROWS + UNRANKED, "a", 60, LEVERS)
    rows = {r["outcome"]: r for r in s["rows"]}
    npv = rows["Net present value (CNY) ↑"]
    assert (npv["leads"], npv["versus"], npv["verdict"]) == ("b", "+5.0 [+2.0, +8.0]", "significant")
    assert npv["value"] == "15.00 ± 0.50"
    assert npv["drivers"] == "village order nearest_first (baseline: largest_first)"
    cost = rows["Cost per parcel, last year (CNY) ↓"]
    assert (cost["leads"], cost["versus"], cost["verdict"]) == ("c", "-0.40 [-0.90, +0.10]",
                                                             "not significant after Holm correction")
    assert cost["drivers"] == "operating model partner (baseline: self_run)"
    co2 = rows["CO2 emitted (kg) ↓"]
    assert co2["leads"] == "a (baseline), c (tied)" and co2["verdict"] == "the baseline leads"
    assert rows["Farmer revenue (CNY) ↑"]["leads"] == "b"
    # a constant outcome is named with its value, never ranked
    assert [c["outcome"] for c in s["constant"]] == ["Spoilage rate (share)"]   # not ranked: no arrow
    assert not any(r["outcome"].startswith("Spoilage") for r in s["rows"])
    # b leads npv and farmer revenue; a and c one each (the tie counts for both)
    assert s["wins"][0] == ("b", 2) and dict(s["wins"]) == {"b": 2, "c": 2, "a": 1}


def test_differences_name_only_changed_levers():
    assert differences(LEVERS, "a", "a") == "–"
    assert differences(LEVERS, "c", "a") == "operating model partner (baseline: self_run)"
    assert differences({"a": {"x": 1}, "b": {"x": 1}}, "b", "a") == "no lever (same settings)"
    assert differences(None, "b", "a") == "–"


@pytest.fixture(scope="module")
def rollout():
    return load_rollout(ROOT / "experiments" / "rollout_strategies.yaml")


def test_assumptions_list_every_input_with_its_value(rollout):
    table = {row[0]: row for row in assumption_rows(assumptions(rollout))}
    # values as experiments/rollout_strategies.yaml and experiments/baseline.yaml give them
    expected = {
        "budget_per_year_cny": "40,000,000 CNY/y", "horizon_m": "60 months", "sample_days": "4 d",
        "replications": "2", "adoption.p": "0.020 1/month", "adoption.q": "0.150 1/month", "adoption.ceiling": "0.600",
        "adoption.parcels_per_adopter_y": "8 parcels/y",
        "economics.platform_fee_per_parcel_cny": "2 CNY/parcel",
        "economics.delivery_price_per_parcel_cny": "3 CNY/parcel",
        "economics.subsidy_per_county_cny": "1,300,000 CNY",
        "economics.cross_subsidy_per_parcel_cny": "1 CNY/parcel", "economics.discount_rate_y": "0.080 1/y",
        "operating_models.self_run.lastmile.vehicle_type": "van",
        "operating_models.self_run.vehicle_types.van.fee_per_parcel_cny": "0 CNY/parcel",
        "operating_models.partner.lastmile.vehicle_type": "partner",
        "operating_models.partner.vehicle_types.partner.fee_per_parcel_cny": "2.500 CNY/parcel",
        "operating_models.self_run.hub.capex_cny": "1,500,000 CNY",
        "operating_models.partner.hub.capex_cny": "1,500,000 CNY",
        "operating_models.self_run.stations.capex_cny": "10,000 CNY",
        "operating_models.partner.stations.capex_cny": "10,000 CNY",
    }
    by_key = {re.search(r"\(([^()]*)\)$", name).group(1): row for name, row in table.items()}
    assert set(expected) <= set(by_key)
    for key, value in expected.items():
        assert by_key[key][1] == value, key
    # every row has a source; keys whose schema gives none are assumptions; the file's values are marked
    assert all(row[2] for row in table.values())
    assert by_key["horizon_m"][2] == "[G]; set in the config"
    assert by_key["operating_models.self_run.hub.capex_cny"][2] == "[G]"


def test_levers_per_strategy(rollout):
    lv = levers(rollout)
    assert list(lv) == [s.name for s in rollout.strategies]
    assert lv["partner_largest_first"]["operating model"] == "partner"
    assert lv["partner_largest_first"]["last-mile vehicle"] == "partner"
    assert lv["breadth_largest_first"]["county target"] == 0.3


MANIFEST = {"finished_utc": "2026-01-02T03:04:05+00:00", "code_version": "0.1.0+abcdef123456",
            "config_sha256": "c" * 64, "inputs_sha256": {"/x/experiments/a.yaml": "1" * 64,
                                                        "/x/experiments/b.yaml": "2" * 64},
            "seed": 20150329, "seeds": "streams keyed by (seed, county, month)", "replications": 3,
            "packages": {"numpy": "2.0"}}


def test_provenance_rows_from_the_manifest():
    rows = dict(provenance_rows(MANIFEST))
    assert rows["Code version"] == "0.1.0+abcdef123456"
    assert rows["Config hash (SHA-256 of the resolved settings)"] == "c" * 64
    assert rows["Input file a.yaml (SHA-256)"] == "1" * 64 and rows["Input file b.yaml (SHA-256)"] == "2" * 64
    assert rows["Root seed"] == "20150329" and rows["Replications per strategy"] == "3"
    assert rows["Date (UTC)"] == "2026-01-02T03:04:05+00:00"
    assert provenance_rows(None) == []


# --------------------------------------------------------------------------------- the whole report

KPIS = ("npv_cny", "villages_covered_share_end", "residents_covered_share_end", "lead_time_mean_h_last_year",
        "gini_access_end", "cost_per_parcel_cny_last_year", "subsidy_needed_per_parcel_cny", "farmer_revenue_cny",
        "spoilage_rate", "co2_kg", "break_even_month")


@pytest.fixture(scope="module")
def written(tmp_path_factory, rollout):
    rng = np.random.default_rng(5)
    strategies = ("a", "b", "c")
    outcomes = [_row(s, k, float(rng.uniform(1, 9)), i + 1, True, *((NAN,) * 3 if s == "a" else (1.0, 0.5, 1.5)))
                for k in KPIS for i, s in enumerate(strategies)]
    monthly = [{"strategy": s, "replication": 0, "month": m, "residents_covered_share": m / 12,
                "villages_covered": m, "parcels_delivered": 10.0 * m, "cost_per_parcel_cny": 5.0,
                "cumulative_cash_cny": -1.0, "net_cash_cny": 0.0, "gini_access": 0.5}
               for s in strategies for m in range(12)]
    counties = [{"county_id": i, "x_km": float(i), "y_km": float(i % 3), "residents": 1000 + i} for i in range(5)]
    cmap = [{"strategy": s, "month": m, "county_id": i, "residents_covered_share": 0.2 * i}
            for s in strategies for m in (5, 11) for i in range(5)]
    meta = {"name": "Policy test", "baseline": "a", "horizon_m": 12, "map_months": [5, 11], "notes": ["n"],
            "levers": LEVERS, "assumptions": assumptions(rollout), "manifest": MANIFEST}
    out = tmp_path_factory.mktemp("policy")
    res = rr.write_rollout_report(out, meta, monthly, outcomes, [], counties, cmap)
    return res["markdown"].read_text(encoding="utf-8"), res["html"].read_text(encoding="utf-8")


def test_summary_comes_first(written):
    md, html = written
    sections = re.findall(r"^## (.+)$", md, re.M)
    assert sections[:4] == ["What the comparison found", "Summary", "What was compared", "Assumptions"]
    assert sections[-1] == "Provenance"
    assert html.index('id="findings"') < html.index('id="summary"') < html.index('id="outcomes"')
    # what was found comes before how the summary table is made
    for text, table in ((md, "| Outcome | Leads |"), (html, '<table class="summary')):
        assert text.index(table) < text.index("How this table is made")


def test_every_table_prints_with_at_most_8_columns(written):
    md, html = written
    headers = [line for i, line in enumerate(md.splitlines())
               if line.startswith("|") and i + 1 < len(md.splitlines())
               and re.fullmatch(r"\|(:?-+:?\|)+", md.splitlines()[i + 1])]
    assert len(headers) >= 1 + 1 + 1 + 4 + 1    # summary, levers, assumptions, 11 outcomes in 4, provenance
    for h in headers:
        assert len(re.split(r"(?<!\\)\|", h)) - 2 <= 8, h
    tables = re.findall(r"<table[^>]*>(.*?)</table>", html, re.S)
    assert len(tables) == len(headers)
    for t in tables:
        head = re.search(r"<thead>(.*?)</thead>", t, re.S).group(1)
        assert 2 <= head.count("<th") <= 8
    # every outcome appears in the outcome tables, with its unit
    assert all(rr.kpi_label(k) in html for k in KPIS)


def test_html_has_a_print_style_sheet(written):
    _, html = written
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert "@media print" in style
    printing = style[style.index("@media print"):]
    for rule in ("break-inside: avoid", "break-before: page", "max-width: 100%", "display: table-header-group"):
        assert rule in printing, rule
    # the summary's last column ("Leader differs from the baseline in") is never squeezed to a word a line
    assert re.search(r"table\.summary td:last-child \{[^}]*min-width: \d+em", style)
    assert "<script" not in html


def test_provenance_shows_code_version_and_config_hash(written):
    md, html = written
    for text in (md, html):
        assert "0.1.0+abcdef123456" in text and "c" * 64 in text and "1" * 64 in text
    assert "set in the config" in md and "[G]" in md


def test_coverage_maps_are_small_multiples():
    counties = [{"county_id": i, "x_km": float(i), "y_km": 0.0, "residents": 100} for i in range(4)]
    cmap = [{"strategy": s, "month": m, "county_id": i, "residents_covered_share": 0.5}
            for s in ("a", "b", "c") for m in (1, 2) for i in range(3)]     # county 3 has no value
    ax = eq.plot_coverage_maps(counties, cmap, ["a", "b", "c"], [1, 2])
    fig = ax.figure
    panels = [a for a in fig.axes if a.get_title()]
    assert len(panels) == 3 * 2
    assert len(fig.axes) == 3 * 2 + 1   # one shared colour bar
    # 3 of 4 equal-resident counties at 0.5: the title reports 50%
    assert all("50%" in a.get_title() for a in panels)
    assert [a.get_ylabel().split("\n")[0] for a in fig.axes[:6:2]] == ["a", "b", "c"]
    width_in = fig.get_size_inches()[0]
    assert width_in < 8.5  # three columns of small panels, not full-width maps


def test_millions_of_cny_read_in_million_cny():
    # NPVs of -29.3 and -48.1 million CNY: the table says million CNY, as the findings above it do
    rows = [_row("a", "npv_cny", -48.1e6, 2, True, hw=1.2e6),
            _row("b", "npv_cny", -29.3e6, 1, True, 18.8e6, 17.6e6, 20.1e6, True, hw=1.1e6)]
    got = {r["outcome"]: r for r in summary(rows, "a")["rows"]}
    npv = got["Net present value (million CNY) ↑"]
    assert npv["value"] == "-29.3 ± 1.1" and npv["versus"] == "+18.8 [+17.6, +20.1]"
    small = {r["outcome"] for r in summary(ROWS, "a")["rows"]}
    assert "Net present value (CNY) ↑" in small      # under a million: as it is
