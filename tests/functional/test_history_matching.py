"""ruralsim calibrate by history matching: on a synthetic rollout whose counts are known by
hand, the retained region is exactly the hypercube points whose hand-computed implausibility
is below the cut-off at every fitted point, it contains the parameters that made the targets,
and the held-out point's range of predictions contains its reported value."""
from __future__ import annotations

import csv
import math

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.errors import InputError
from tests.functional.test_calibrate import config

LAUNCH, RATE = 3, 2.0      # the parameters that make the targets
MONTHS = (2, 4, 5, 7, 9)   # 7 is held out


def by_hand(m: int, launch: float, rate: float, cap: int = 20, counties: int = 4) -> int:
    """County k enters in month k and has min(launch + floor(rate * age), cap) villages."""
    return sum(min(int(launch) + math.floor(rate * (m - k)), cap) for k in range(min(m, counties - 1) + 1))


def _setup(tmp_path, **cal):
    cal = {"method": "history_matching", "parameters": {"entry.launch_villages": [1, 10],
                                                        "entry.villages_per_month": [0.5, 5.0]},
           "samples": 120, "seed": 4, "obs_sd_rel": 0.05, "model_sd_rel": 0.0, **cal}
    path = config(tmp_path, calibration=cal)
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages,hold_out\n" + "".join(f"{m},{by_hand(m, LAUNCH, RATE)},{int(m == 7)}\n"
                                                              for m in MONTHS))
    return path, targets


def test_history_matching_keeps_exactly_the_non_implausible_points(tmp_path):
    from sim.rollout.calibrate import run_calibration
    path, targets = _setup(tmp_path)
    res = run_calibration(path, targets, tmp_path / "out", leave_one_out=True)
    samples = res["history"]["samples"]
    assert len(samples) == 120 and res["evaluations"] == 120
    reported = {m: by_hand(m, LAUNCH, RATE) for m in MONTHS}
    kept = []
    for s in samples:
        launch, rate = s["entry.launch_villages"], s["entry.villages_per_month"]
        assert launch == int(launch)   # whole-number key evaluated as a whole number
        worst = max(abs(by_hand(m, launch, rate) - reported[m]) / (0.05 * reported[m]) for m in MONTHS if m != 7)
        assert s["retained"] == (worst < 3.0), s
        assert s["max_implausibility"] == pytest.approx(worst)
        if s["retained"]:
            kept.append((launch, rate))
    share = res["history"]["retained_share"]
    assert 0 < share < 0.5 and share == pytest.approx(len(kept) / 120)
    ranges = {r["parameter"]: (r["retained_min"], r["retained_max"]) for r in res["history"]["parameters"]}
    # the true values lie within the retained ranges, which are narrower than the bounds
    assert ranges["entry.launch_villages"][0] <= LAUNCH <= ranges["entry.launch_villages"][1]
    assert ranges["entry.villages_per_month"][0] <= RATE <= ranges["entry.villages_per_month"][1]
    assert ranges["entry.villages_per_month"][1] - ranges["entry.villages_per_month"][0] < 4.5 / 2
    # the held-out point: its range over the retained samples, by hand, contains the truth
    held = next(r for r in res["history"]["points"] if r["month"] == 7)
    preds = [by_hand(7, launch, rate) for launch, rate in kept]
    assert held["held_out"] and (held["retained_model_min"], held["retained_model_max"]) == (min(preds), max(preds))
    assert min(preds) <= reported[7] <= max(preds)
    # the least implausible sample is written as the fit, with its residuals
    best = min(samples, key=lambda s: s["max_implausibility"])
    fitted = {r["parameter"]: r["fitted"] for r in res["fit"]}
    assert fitted["entry.launch_villages"] == best["entry.launch_villages"]
    # leave-one-out reuses the samples: one row per fitted point
    assert [r["month"] for r in res["holdout"]] == [2, 4, 5, 9]
    assert all(r["retained_share"] >= share for r in res["holdout"])
    for name in ("history_parameters.csv", "history_points.csv", "history_samples.csv", "holdout.csv",
                 "fit.csv", "residuals.csv", "calibration_villages.png"):
        assert (tmp_path / "out" / name).is_file(), name
    rows = list(csv.DictReader((tmp_path / "out" / "history_samples.csv").open()))
    assert sum(r["retained"] == "true" for r in rows) == len(kept)


def test_cli_prints_the_retained_region_and_refuses_zero_variance(tmp_path):
    path, targets = _setup(tmp_path, samples=40)
    r = CliRunner().invoke(main, ["calibrate", str(path), "--targets", str(targets), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "retained (not implausible):" in r.output and "of 40 samples" in r.output
    assert "(held out)" in r.output
    path, targets = _setup(tmp_path, obs_sd_rel=0.0)
    r = CliRunner().invoke(main, ["calibrate", str(path), "--targets", str(targets), "--out", str(tmp_path / "p")])
    assert r.exit_code == 2 and "calibration.obs_sd_rel" in r.output and "Traceback" not in r.output
    path, targets = _setup(tmp_path, method="bayes")
    r = CliRunner().invoke(main, ["calibrate", str(path), "--targets", str(targets), "--out", str(tmp_path / "q")])
    assert r.exit_code == 2 and "history_matching" in r.output


def test_every_point_held_out_is_refused(tmp_path):
    from sim.rollout.calibrate import run_calibration
    path, targets = _setup(tmp_path)
    with pytest.raises(InputError, match="0 reported point"):
        run_calibration(path, targets, tmp_path / "out", hold_out=tuple(str(m) for m in MONTHS))
    assert not (tmp_path / "out").exists()   # refused before anything is written
