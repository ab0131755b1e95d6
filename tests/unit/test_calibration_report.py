"""The calibration summary (summary.md and the blocks of docs/rollout.md): every sentence
from synthetic fits whose numbers were worked out by hand, the doc's blocks replaced in
place, and the shipped doc's blocks stamped with the inputs they came from."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.reports import calibration as rep

ROOT = Path(__file__).resolve().parents[2]
META = {"config": "experiments/x.yaml", "targets": "experiments/x_targets.csv", "inputs": "abc123abc123",
        "code_version": "1.0+deadbeef", "date": "2026-12-01", "evaluations": 80,
        "calibration": {"seed": 2, "cutoff": 3.0, "obs_sd_rel": 0.05, "model_sd_rel": 0.05},
        "pay": "450 CNY a month plus 3 CNY a parcel"}


def _ls_result(closed_end: float = 0.0, held_closed: float = 0.0) -> dict:
    villages = np.array([100, 200, 300, 400, 400, 400], dtype=float)
    return {
        "fit": [{"parameter": "entry.launch_villages", "lo": 1.0, "hi": 60.0, "config_value": 11.0, "fitted": 11.0},
                {"parameter": "attrition.reservation_wage_cny", "lo": 450.0, "hi": 3000.0, "config_value": 848.45,
                 "fitted": 848.4541}],
        "residuals": [{"month": 1, "quantity": "villages", "reported": 198.0, "model": 200.0,
                       "residual_rel": 2 / 198, "held_out": False},
                      {"month": 5, "quantity": "villages", "reported": 401.0, "model": 400.0,
                       "residual_rel": -1 / 401, "held_out": False}],
        "holdout": [{"month": 1, "quantity": "villages", "reported": 198.0, "model": 150.0, "residual_rel": -0.25,
                     "max_abs_residual_fitted": 0.004, "stations_opened_end": 400.0, "stations_closed_end": 0.0,
                     "fitted:entry.launch_villages": 5.0, "fitted:attrition.reservation_wage_cny": 900.0},
                    {"month": 5, "quantity": "villages", "reported": 401.0, "model": 250.0, "residual_rel": -0.6,
                     "max_abs_residual_fitted": 0.02, "stations_opened_end": 410.0,
                     "stations_closed_end": held_closed,
                     "fitted:entry.launch_villages": 11.0, "fitted:attrition.reservation_wage_cny": 1940.0}],
        "evaluations": 80,
        "counts": {"villages": villages, "counties": np.ones(6), "stations_closed": np.array([0, 0, 0, 0, 0,
                                                                                              closed_end])},
    }


def test_small_helpers_by_hand():
    assert rep._value(2894.72, 3) == "2,895" and rep._value(604.403, 3) == "604" and rep._value(54.1147, 3) == "54.1"
    assert rep._value(848.4541) == "848.454" and rep._value(8.0) == "8" and rep._value(0.2577539) == "0.257754"
    assert rep.pct(0.0005) == "+0.05%" and rep.pct(-0.6058) == "-60.6%" and rep.pct(0.0, 1) == "+0.0%"
    assert rep.level_off(np.array([1, 2, 3, 3, 3])) == 2
    assert rep.level_off(np.array([5, 5, 5])) == 0
    assert rep.level_off(np.array([1, 2, 3])) is None
    assert rep.markers("least_squares") == ("<!-- calibration:least_squares:start -->",
                                            "<!-- calibration:least_squares:end -->")


def test_least_squares_block_by_hand():
    text = rep.least_squares_block(_ls_result(), META)
    lines = text.splitlines()
    assert lines[0].startswith("*Written by `ruralsim calibrate` (`make calibrate`) on 2026-12-01 from "
                               "`experiments/x.yaml` and `experiments/x_targets.csv` (inputs abc123abc123")
    # worst fitted residual 2/198 = 1.0101%; held out: missed by 25% and 60%, the others within 0.4% and 2%
    assert lines[2] == ("**Least squares.** The fit meets all 2 fitted points within 1.01% (2 parameters fitted "
                        "to 2 points). Held out in turn and predicted by a refit to the others, a point is missed "
                        "by 25.0% to 60.0%, while the others are then met within 0.4% to 2.0%: the points do not "
                        "pin the parameters down, and the fitted values below are one of several that meet them.")
    assert "| 1 | villages | 198 | 200 | +1.0% | 150 | -25.0% | 0.4% |" in lines
    assert "| 5 | villages | 401 | 400 | -0.25% | 250 | -60.0% | 2.0% |" in lines
    assert ("| `attrition.reservation_wage_cny` | 450-3,000 | 848.454 | 848.45 | 900 | 1,940 |" in lines), text
    assert "The config holds the fitted values (marked [C])" in text
    # levels off at 400 from month 3 (0-based) to the end (month 5); nothing closes
    assert ("At the fitted values the villages with an open station level off at 400 from month 3 to the end "
            "(month 5); no station closes within the horizon (agents earn 450 CNY a month plus 3 CNY a parcel).") \
        in text


def test_the_stamp_line_names_the_package_versions_when_known():
    line = rep.stamp_line({**META, "packages": "numpy 2.0.0, scipy 1.0.0, simpy 4.0.0"})
    assert "code version 1.0+deadbeef with numpy 2.0.0, scipy 1.0.0, simpy 4.0.0; 80 evaluations" in line
    assert "code version 1.0+deadbeef; 80 evaluations" in rep.stamp_line(META)   # a summary from before


def test_least_squares_block_names_closures_and_config_drift():
    res = _ls_result(held_closed=300.0)
    res["fit"][0]["config_value"] = 12.0
    text = rep.least_squares_block(res, META)
    assert ("Refitted without month 5 villages, 300 of the 410 stations opened close by the end: closures are what "
            "the held-out point rules out.") in text
    assert ("The config does not hold the fitted values of `entry.launch_villages`: refit with `--apply`, or copy "
            "them from fitted.yaml") in text
    text = rep.least_squares_block(_ls_result(closed_end=7.0), META)
    assert "; 7 stations have closed by the end." in text and "agents earn" not in text


def _hm_result(inside: tuple[bool, bool]) -> dict:
    return {
        "evaluations": 200, "holdout": [
            {"month": 1, "quantity": "villages", "reported": 198.0, "retained_share": 0.1, "retained_model_min": 150.0,
             "retained_model_max": 260.0, "reported_inside": inside[0]},
            {"month": 5, "quantity": "counties", "reported": 30.0, "retained_share": 0.0,
             "retained_model_min": float("nan"), "retained_model_max": float("nan"), "reported_inside": inside[1]}],
        "history": {"retained_share": 0.035, "parameters": [
            {"parameter": "a", "lo": 0.0, "hi": 10.0, "retained_min": 2.0, "retained_max": 7.0,
             "least_implausible": 4.0},
            {"parameter": "b", "lo": 100.0, "hi": 200.0, "retained_min": 110.0, "retained_max": 190.0,
             "least_implausible": 150.0}],
            "points": [{"month": 1, "quantity": "villages", "reported": 198.0, "held_out": False,
                        "retained_model_min": 150.0, "retained_model_max": 260.0, "least_implausible_model": 199.0,
                        "implausibility": 0.0714}]},
    }


def test_history_block_by_hand():
    text = rep.history_block(_hm_result((True, True)), META)
    # 3.5% of 200 samples = 7 retained; widths 5/10 = 50% and 80/100 = 80%
    assert ("**History matching** (200 Latin hypercube samples, seed 2; implausibility cutoff 3, obs_sd_rel 0.05, "
            "model_sd_rel 0.05): 7 of the 200 samples (3.5%) are not ruled out by the fitted points. The "
            "retained ranges span 50% to 80% of each parameter's bounds: the points constrain combinations of the "
            "parameters more than each one.") in text
    assert "| `b` | 100-200 | 110-190 | 150 |" in text
    assert "| 1 | villages | 198 | 150-260 | 199 | 0.07 |" in text
    assert ("the range the other points leave for each point is month 1 villages: 150-260 (10.0% retained); "
            "month 5 counties: nothing retained.") in text
    assert "Every reported value lies inside the range the others leave" in text
    text = rep.history_block(_hm_result((True, False)), META)
    assert "The reported month 5 counties lie outside the range the others leave" in text


def test_doc_blocks_are_replaced_in_place_and_a_doc_without_them_refused(tmp_path):
    from sim.errors import InputError
    doc = tmp_path / "d.md"
    start, end = rep.markers("history_matching")
    doc.write_text(f"# D\n\nBefore.\n{start}\nold numbers\n{end}\nAfter.\n")
    rep.write_doc(doc, "history_matching", "new numbers\n")
    assert doc.read_text() == f"# D\n\nBefore.\n{start}\nnew numbers\n{end}\nAfter.\n"
    with pytest.raises(InputError, match=r"d.md: the least_squares calibration's results goes between one line "
                                         r"<!-- calibration:least_squares:start -->"):
        rep.check_doc(doc, "least_squares")


def test_inputs_digest_changes_with_any_file_and_not_with_the_folder(tmp_path):
    a, b = tmp_path / "one" / "c.yaml", tmp_path / "one" / "t.csv"
    a.parent.mkdir()
    a.write_text("x: 1\n")
    b.write_text("month\n1\n")
    d = rep.inputs_digest([a, b], a.parent)
    assert re.fullmatch(r"[0-9a-f]{12}", d)
    moved = tmp_path / "two"
    a.parent.rename(moved)
    assert rep.inputs_digest([moved / "c.yaml", moved / "t.csv"], moved) == d   # same files elsewhere
    (moved / "t.csv").write_text("month\n2\n")
    assert rep.inputs_digest([moved / "c.yaml", moved / "t.csv"], moved) != d


def test_the_shipped_docs_calibration_blocks_come_from_the_shipped_inputs():
    """docs/rollout.md's blocks were written by make calibrate from today's config, targets
    and every file the config reads: a change to any of them needs make calibrate again."""
    from sim.rollout.spec import load_rollout
    config = ROOT / "experiments" / "rural_taobao_2015.yaml"
    targets = ROOT / "experiments" / "rural_taobao_2015_targets.csv"
    want = rep.inputs_digest([*load_rollout(config).input_files(), targets], config.parent)
    text = (ROOT / "docs" / "rollout.md").read_text()
    for method in ("least_squares", "history_matching"):
        start, end = rep.markers(method)
        block = text[text.index(start):text.index(end)]
        assert f"(inputs {want}:" in block, f"docs/rollout.md's {method} block is stale: run make calibrate"
