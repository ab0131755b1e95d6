"""The fast validation cases run in the test suite too, and the report names every
case with its expected value, source, tolerance and result."""
from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

import sim.validation
from sim.cli import main
from sim.validation import CASES, KNOWN, cases, judge
from sim.validation.core import GROUPS, Case, CaseResult, ci99_half_width, mean_ci, relative_result
from sim.validation.extremes import CASES as EXTREME_CASES
from sim.validation.extremes import expected_timeline
from sim.validation.known import Known
from sim.validation.report import render, write_validation_report


@pytest.mark.parametrize("case", EXTREME_CASES, ids=lambda c: c.name)
def test_fast_extreme_cases_pass(case, tmp_path):
    results = case.run(tmp_path)
    assert results
    for r in results:
        assert r.passed, (r.case, r.expected, r.simulated, r.note)
        assert r.checks and r.source and r.tolerance
        assert math.isfinite(r.simulated)
        if r.figure:
            assert (tmp_path / r.figure).is_file()


def test_hand_timeline_is_what_the_docstring_says():
    events = expected_timeline(2)
    assert events[0] == (20.0, "trunk_depart", {"parcels": 3, "trucks": 1})
    assert (32.26, "station_arrive", {"village": 0, "parcels": 3}) in events


def test_every_case_is_registered_once_and_slow_ones_are_marked():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert {c.group for c in CASES} <= set(GROUPS)
    assert all(c.slow for c in CASES if c.group == "public")  # year-long runs: make validate only
    assert set(cases(fast_only=True)) == {c for c in CASES if not c.slow}
    # echoes of an input and bookkeeping identities are not validation cases (they are tests)
    assert not {"parcels_per_resident", "no_vehicles", "littles_law", "window_conservation"} & set(names)


def test_every_known_disagreement_has_a_reason_and_numbers():
    assert KNOWN
    for name, k in KNOWN.items():
        assert k.case == name and len(k.reason) > 40 and any(ch.isdigit() for ch in k.numbers)


def _result(case, passed, group="public"):
    return CaseResult(case, group, "checks", 1.0, "a source", 1.5, 0.1, "a tolerance", passed)


def test_judge_separates_new_failures_known_disagreements_and_notices():
    known = {"k_fail": Known("k_fail", "a reason", "1 vs 2"), "k_ok": Known("k_ok", "a reason", "1 vs 2")}
    v = judge([_result("new", False), _result("k_fail", False), _result("k_ok", True), _result("ok", True)], known)
    assert [r.case for r in v.failed] == ["new"]
    assert [r.case for r in v.known_failing] == ["k_fail"]
    assert [r.case for r in v.now_agree] == ["k_ok"]


def test_report_lists_known_disagreements_first_and_calibration_apart():
    known = {"k_fail": Known("k_fail", "the model lacks X", "0.1 vs 0.3"),
             "k_ok": Known("k_ok", "the model lacked Y", "1 vs 2")}
    results = [_result("theory_case", True, "theory"), _result("k_fail", False), _result("k_ok", True),
               _result("tuned", True, "calibration")]
    text = render(results, {"x": 1.0}, fast_only=False, known=known)
    assert text.index("## Known disagreements") < text.index("## Against theory")
    assert "the model lacks X" in text and "0.1 vs 0.3" in text
    assert "`k_ok` now agrees: remove it from the known list" in text
    assert text.index("## Against public figures") < text.index("## Calibration checks")
    assert "**FAIL**" not in text  # the only failure is a known disagreement
    assert "Every check that is not a known disagreement passes" in text


@pytest.mark.parametrize("results,code", [
    ([_result("fine", True), _result("spoilage_with_hub_cold_store", False)], 0),  # only a known one fails
    ([_result("fine", True), _result("broken", False)], 1),
])
def test_validate_exits_1_only_on_a_failure_that_is_not_known(monkeypatch, tmp_path, results, code):
    fake = Case("fake", "public", False, lambda figures: results)
    monkeypatch.setattr(sim.validation, "cases", lambda fast=False: [fake])
    out = CliRunner().invoke(main, ["validate", "--out", str(tmp_path), "--quiet"])
    assert out.exit_code == code, out.output
    assert "known disagreement spoilage_with_hub_cold_store" in out.output or code == 1


def test_relative_result_needs_the_value_and_an_interval_inside_the_tolerance():
    # mean 1.02, sd 0.01 over 4 values: t(0.975, 3) = 3.182446 -> half-width 0.0159
    vals = [1.01, 1.03, 1.01, 1.03]
    sd = (4 * 0.01**2 / 3) ** 0.5
    r = relative_result("c", "checks", 1.0, "src", vals, 0.03, "h")
    assert r.passed and r.tol_rel == 0.03
    assert r.hw_rel == pytest.approx(3.182446 * sd / 2, rel=1e-5)
    assert not relative_result("c", "checks", 1.0, "src", vals, 0.015, "h").passed      # 2% off
    wide = [0.8, 1.2, 0.8, 1.2]                                                           # mean on target
    assert not relative_result("c", "checks", 1.0, "src", wide, 0.03, "h").passed       # interval too wide


def test_report_shows_expected_source_ci_tolerance_and_failures(tmp_path):
    good = CaseResult("ok_case", "theory", "checks a thing", 1.0, "a textbook", 1.01, 0.02, "within the CI", True,
                      unit="h", replications=10)
    bad = CaseResult("bad_case", "public", "checks another", "< 0", "a report", 0.1, 0.01, "below 0", False,
                     note="the model disagrees because of X")
    boom = Case("boom", "extreme", False, lambda figures: 1 / 0)
    text = render([good, bad], {"x": 1.0}, fast_only=False)
    assert "`ok_case`" in text and "a textbook" in text and "1.010 ± 0.020 h" in text and "within the CI" in text
    assert "**FAIL**" in text and "the model disagrees because of X" in text
    results = write_validation_report([boom], tmp_path)
    assert not results[0].passed and "ZeroDivisionError" in results[0].note
    assert "**FAIL**" in (tmp_path / "report.md").read_text()


def test_confidence_half_widths_are_the_experiments_t_intervals():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]  # sd = sqrt(2.5), n = 5
    # t quantiles from tables: t(0.975, 4) = 2.776445, t(0.995, 4) = 4.604095
    assert mean_ci(values) == pytest.approx((3.0, 2.776445 * math.sqrt(2.5 / 5)), rel=1e-6)
    assert ci99_half_width(values) == pytest.approx(4.604095 * math.sqrt(2.5 / 5), rel=1e-6)


def test_hull_area_of_known_polygons():
    from sim.validation.geometry import hull_area
    square = [[0, 0], [2, 0], [2, 2], [0, 2], [1, 1], [0.5, 1.5]]    # interior points do not count
    assert hull_area(square) == pytest.approx(4.0)
    triangle = [[0, 0], [4, 0], [0, 3], [1, 1]]
    assert hull_area(triangle) == pytest.approx(6.0)


def test_generated_county_area_case_passes():
    from pathlib import Path

    from sim.validation.geometry import county_area
    results = county_area(Path("."))
    assert len(results) == 5 and all(r.passed for r in results)


def test_a_figure_shared_by_cases_in_two_sections_is_shown_once():
    first = CaseResult("peak", "public", "checks", 1.0, "a source", 1.0, 0.1, "a tolerance", True, figure="peak.png")
    again = CaseResult("peak_calibrated", "calibration", "checks", 1.0, "a source", 1.0, 0.1, "a tolerance", True,
                       figure="peak.png")
    text = render([first, again], {"x": 1.0}, fast_only=False)
    assert text.count("](figures/peak.png)") == 1
    assert "Figure: `peak.png`, shown under" in text


def test_the_report_folder_keeps_only_the_figures_its_cases_drew(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sim.validation.core import save_figure

    def drawn(figures):
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, 1], [0, 1])
        return [CaseResult("drawn", "theory", "draws", 1.0, "src", 1.0, 0.0, "", True,
                           figure=save_figure(fig, figures, "drawn.png"))]
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a_case_removed_since.png").write_bytes(b"old")
    write_validation_report([Case("drawn", "theory", False, drawn)], tmp_path)
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["drawn.png"]
    assert "figures/drawn.png" in (tmp_path / "report.md").read_text()
