"""The fast validation cases run in the test suite too, and the report names every
case with its expected value, source, tolerance and result."""
from __future__ import annotations

import math

import pytest

from sim.validation import CASES, cases
from sim.validation.core import Case, CaseResult, ci99_half_width, mean_ci
from sim.validation.extremes import CASES as EXTREME_CASES
from sim.validation.extremes import expected_timeline
from sim.validation.report import render, write_validation_report
from sim.validation.window import CASES as WINDOW_CASES


@pytest.mark.parametrize("case", EXTREME_CASES + [c for c in WINDOW_CASES if not c.slow], ids=lambda c: c.name)
def test_fast_extreme_and_littles_law_cases_pass(case, tmp_path):
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
    assert {c.group for c in CASES} <= {"theory", "extreme", "public", "statistics"}
    assert all(c.slow for c in CASES if c.group == "public")  # year-long runs: make validate only
    assert set(cases(fast_only=True)) == {c for c in CASES if not c.slow}


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
