"""Sensitivity of the strategies' ranking: the Latin hypercube finds a planted flip at its
known value, accounting inputs re-evaluated on stored outputs equal a re-run, and the
command writes its tables, figure and report section."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.rollout.compare import run_compare
from sim.rollout.ranking import break_even, hypercube, npv_at, ranks
from sim.rollout.spec import load_rollout

PARTNER = {"lastmile": {"vehicle_type": "partner", "departures_h": [14]},
           "vehicle_types": {"partner": {"capacity_kg": 3000, "capacity_parcels": 2000, "cost_per_km_cny": 0,
                                         "cost_per_day_cny": 0, "driver_per_day_cny": 0, "fee_per_parcel_cny": 2.5,
                                         "capex_cny": 0}}}


def config(tmp_path: Path, fee: float = 2.5, revenue: float = 3.0, **extra) -> Path:
    partner = {**PARTNER, "vehicle_types": {"partner": {**PARTNER["vehicle_types"]["partner"],
                                                        "fee_per_parcel_cny": fee}}}
    data = {"kind": "rollout", "name": "tiny_ranking", "base": {"start_doy": 250},
            "region": {"counties": 2, "seed": 5, "villages": {"min": 12, "max": 16},
                       "area_km2": {"min": 200, "max": 300}, "extent_km": 100},
            "horizon_m": 6, "sample_days": 3, "warmup_days": 1, "replications": 2,
            "budget_per_year_cny": 1.0e7,
            "economics": {"platform_fee_per_parcel_cny": 2.0, "delivery_price_per_parcel_cny": revenue - 2.0},
            "operating_models": {"self_run": {}, "partner": partner},
            "strategies": {"self": {"village_order": "largest_first", "operating_model": "self_run"},
                           "partner": {"village_order": "largest_first", "operating_model": "partner"}},
            "ranking_sensitivity": {"counties": 1}}
    data.update(extra)
    p = tmp_path / f"rollout_{fee}_{revenue}.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_the_hypercube_finds_a_planted_flip_at_its_known_value():
    # self-run: NPV 1000 + 100 (R - 5); partner: 1200 + 100 (R - 5) - (f / 2.5 - 1) 400.
    # They are equal where (f / 2.5 - 1) 400 = 200: f = 3.75 (by hand); revenue moves both alike: no flip.
    parts = {"self": {"A": np.array([1000.0]), "D": np.array([100.0]), "L": np.array([0.0]), "fee_only": False},
             "partner": {"A": np.array([1200.0]), "D": np.array([100.0]), "L": np.array([400.0]), "fee_only": True}}
    base = {"partner_fee_per_parcel_cny": 2.5, "revenue_per_parcel_cny": 5.0}
    ranges = {"partner_fee_per_parcel_cny": (1.0, 5.0), "revenue_per_parcel_cny": (2.0, 8.0)}
    pts = hypercube(ranges, 40, 3)
    # a Latin hypercube: every one of the 40 equal slices of each range holds exactly one point
    for k, (lo, hi) in ranges.items():
        slots = sorted(int((p[k] - lo) / (hi - lo) * 40) for p in pts)
        assert slots == list(range(40))
    npvs = [npv_at(parts, base, x) for x in pts]
    rows = {r["input"]: r for r in break_even(pts, npvs, base, ranges, "accounting")}
    fee = rows["partner_fee_per_parcel_cny"]
    assert fee["leader_at_base"] == "partner" and fee["challenger"] == "self"
    assert fee["break_even"] == pytest.approx(3.75, rel=1e-9)
    assert fee["within_range"] is True
    assert fee["npv_gap_change_cny"] == pytest.approx(-400 / 2.5 * 4.0)    # d(gap)/df = -160 over a range of 4
    assert fee["other_leader_share"] == pytest.approx(np.mean([p["partner_fee_per_parcel_cny"] > 3.75 for p in pts]))
    rev = rows["revenue_per_parcel_cny"]
    assert rev["challenger"] == "" and math.isnan(rev["break_even"]) and rev["within_range"] is False


def test_ranks_share_ties():
    assert ranks({"a": 3.0, "b": 5.0, "c": 3.0}) == {"a": 2, "b": 1, "c": 2}


def test_accounting_inputs_re_evaluated_on_stored_outputs_equal_a_re_run(tmp_path):
    ro = load_rollout(config(tmp_path))
    tables = run_compare(ro, tmp_path / "base", workers=1, quiet=True, ranking=(0, 0))
    parts = tables["npv_parts"]
    base = {"partner_fee_per_parcel_cny": 2.5, "revenue_per_parcel_cny": 3.0}
    at_base = npv_at(parts, base, base)
    npv_rows = {r["strategy"]: r["mean"] for r in tables["outcomes"] if r["kpi"] == "npv_cny"}
    assert at_base == pytest.approx(npv_rows, rel=1e-9)
    rerun = run_compare(load_rollout(config(tmp_path, fee=3.5, revenue=4.2)), tmp_path / "rerun", workers=1,
                        quiet=True)
    npv_rerun = {r["strategy"]: r["mean"] for r in rerun["outcomes"] if r["kpi"] == "npv_cny"}
    got = npv_at(parts, base, {"partner_fee_per_parcel_cny": 3.5, "revenue_per_parcel_cny": 4.2})
    assert got == pytest.approx(npv_rerun, rel=1e-9)


def test_the_command_writes_the_ranking_tables_figure_and_report_section(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(config(tmp_path)), "--out", str(out), "--workers", "1",
                                       "--quiet", "--ranking-sensitivity", "16", "--ranking-runs", "9"])
    assert result.exit_code == 0, result.output
    with (out / "ranking_breakeven.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["tier"], r["input"]) for r in rows][:2] == [("accounting", "partner_fee_per_parcel_cny"),
                                                           ("accounting", "revenue_per_parcel_cny")]
    assert {r["input"] for r in rows if r["tier"] == "runs"} >= {"hub_capex_cny", "adoption_ceiling"}
    with (out / "ranking_samples.csv").open() as fh:
        samples = list(csv.DictReader(fh))
    assert len(samples) == (16 + 9) * 2
    assert (out / "ranking_runs" / "s008" / "monthly.csv").is_file()
    assert (out / "figures" / "ranking_sensitivity.png").is_file()
    md = (out / "report.md").read_text()
    assert "## Sensitivity of the ranking" in md and "Partner fee per parcel (CNY)" in md
    assert 'id="ranking"' in (out / "report.html").read_text()


@pytest.mark.parametrize("option", ["--ranking-sensitivity", "--ranking-runs"])
def test_too_few_ranking_samples_are_refused_before_anything_runs(tmp_path, option):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(config(tmp_path)), "--out", str(out), "--workers", "1",
                                       "--quiet", option, "3"])
    assert result.exit_code == 2 and f"{option} 3" in result.output and "expected at least" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()   # refused before the folder is made


def test_bad_ranking_ranges_are_refused(tmp_path):
    result = CliRunner().invoke(main, ["check", str(config(tmp_path, ranking_sensitivity={
        "adoption_ceiling": {"min": 0.5, "max": 1.5}}))])
    assert result.exit_code == 2
    assert "ranking_sensitivity.adoption_ceiling.max" in result.output and "1.5" in result.output
