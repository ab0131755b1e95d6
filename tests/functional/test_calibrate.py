"""ruralsim calibrate: known parameters recovered from synthetic targets computed by
hand, bad calibration sections and targets refused, and the counts the fit evaluates
equal to those a full rollout run reports."""
from __future__ import annotations

import csv
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.errors import InputError
from sim.rollout.calibrate import read_targets, rollout_counts, run_calibration
from sim.rollout.compare import run_compare
from sim.rollout.simulate import geographies
from sim.rollout.spec import load_rollout

PARTNER = {"lastmile": {"vehicle_type": "partner", "departures_h": [14]},
           "vehicle_types": {"partner": {"capacity_kg": 3000, "capacity_parcels": 2000, "cost_per_km_cny": 0,
                                         "cost_per_day_cny": 0, "driver_per_day_cny": 0, "fee_per_parcel_cny": 2.5,
                                         "capex_cny": 0}}}


def config(tmp_path, **extra) -> Path:
    """Four counties of 40 villages each; entry one county a month, 3 villages at entry then
    2 a month, at most half the county (20 villages)."""
    data = {"kind": "rollout", "name": "tiny_entry", "base": {"start_doy": 250},
            "region": {"counties": 4, "seed": 5, "villages": 40, "area_km2": {"min": 300, "max": 500},
                       "extent_km": 200},
            "horizon_m": 10, "sample_days": 2, "warmup_days": 1, "replications": 1, "budget_per_year_cny": 1e9,
            "operating_models": {"partner": PARTNER},
            "entry": {"counties_per_month": 1, "launch_villages": 3, "villages_per_month": 2},
            "strategies": {"s": {"village_order": "largest_first", "county_target": 0.5}}}
    data.update(extra)
    p = tmp_path / "rollout.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def villages_by_hand(m: int, launch: int = 3, rate: int = 2, cap: int = 20, counties: int = 4) -> int:
    """County k enters in month k and has min(launch + rate * age, cap) villages."""
    return sum(min(launch + rate * (m - k), cap) for k in range(min(m, counties - 1) + 1))


def test_counts_follow_entry_and_recruitment_by_hand(tmp_path):
    ro = load_rollout(config(tmp_path))
    counts = rollout_counts(ro, "s", geographies(ro, ro.operating_models["partner"]))
    assert counts["villages"].tolist() == [villages_by_hand(m) for m in range(10)]
    assert counts["counties"].tolist() == [1, 2, 3, 4, 4, 4, 4, 4, 4, 4]
    assert villages_by_hand(9) == 20 + 19 + 17 + 15


def test_calibration_recovers_known_parameters(tmp_path):
    cal = {"parameters": {"entry.launch_villages": [1, 10], "entry.villages_per_month": [0.5, 5.0]},
           "starts": 48, "seed": 3}
    path = config(tmp_path, calibration=cal, entry={"counties_per_month": 1, "launch_villages": 7,
                                                    "villages_per_month": 4.0})
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages,hold_out\n" + "".join(f"{m},{villages_by_hand(m)},{int(m == 7)}\n"
                                                              for m in (2, 4, 5, 7, 9)))
    res = run_calibration(path, targets, tmp_path / "out")
    fitted = {r["parameter"]: r["fitted"] for r in res["fit"]}
    assert fitted["entry.launch_villages"] == 3
    assert 2.0 <= fitted["entry.villages_per_month"] < 2.0 + 1 / 9   # floor(r * age) = 2 age for ages up to 9
    assert all(r["residual_rel"] == 0 for r in res["residuals"])
    rows = list(csv.DictReader((tmp_path / "out" / "residuals.csv").open()))
    assert [r["held_out"] for r in rows] == ["false", "false", "false", "true", "false"]
    assert (tmp_path / "out" / "calibration_villages.png").is_file()
    # the fitted config loads and gives the fitted counts
    refit = load_rollout(tmp_path / "out" / "fitted.yaml")
    assert refit.entry.launch_villages == 3


def test_leave_one_out_and_hold_out_option(tmp_path):
    cal = {"parameters": {"entry.villages_per_month": [0.5, 5.0]}, "starts": 24}
    path = config(tmp_path, calibration=cal)
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages,counties\n2,15,3\n5,40,\n")
    res = run_calibration(path, targets, tmp_path / "out", hold_out=("2:counties",), leave_one_out=True)
    assert [(r["month"], r["quantity"], r["held_out"]) for r in res["residuals"]] == [
        (2, "villages", False), (2, "counties", True), (5, "villages", False)]
    assert len(res["holdout"]) == 2 and all(abs(r["residual_rel"]) < 1e-12 for r in res["holdout"])


@pytest.mark.parametrize(("parameters", "message"), [
    ({"entry.villages_per_mont": [0, 5]}, "calibration.parameters.entry.villages_per_mont.*no key"),
    ({"attrition.grace_m": [1, 5]}, "calibration.parameters.attrition.grace_m.*'attrition' is not set"),
    ({"entry.launch_villages": [5, 2]}, "calibration.parameters.entry.launch_villages.*lo < hi"),
    ({"strategies.s.village_order": [0, 1]}, "calibration.parameters.strategies.s.village_order.*a number"),
    ({"calibration.seed": [0, 1]}, "calibration.parameters.calibration.seed.*outside the calibration"),
    ({"horizon_m": [5, 20]}, "calibration.parameters.horizon_m.*targets' months"),
])
def test_bad_calibration_sections_are_refused_with_key_paths(tmp_path, parameters, message):
    with pytest.raises(InputError, match=message):
        load_rollout(config(tmp_path, calibration={"parameters": parameters}))


def test_cli_refuses_bounds_the_key_does_not_accept_and_bad_targets(tmp_path):
    path = config(tmp_path, calibration={"parameters": {"entry.launch_villages": [0, 5]}})
    targets = tmp_path / "t.csv"
    targets.write_text("month,villages\n3,10\n")
    r = CliRunner().invoke(main, ["calibrate", str(path), "--targets", str(targets), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "calibration.parameters.entry.launch_villages" in r.output
    assert "Traceback" not in r.output
    ok = config(tmp_path, calibration={"parameters": {"entry.launch_villages": [1, 5]}})
    targets.write_text("month,villages\n30,10\n")
    r = CliRunner().invoke(main, ["calibrate", str(ok), "--targets", str(targets), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "line 2" in r.output and "month" in r.output
    with pytest.raises(InputError, match="--hold-out"):
        targets.write_text("month,villages\n3,10\n")
        read_targets(targets, 10, ("4",))
    no_cal = config(tmp_path)
    r = CliRunner().invoke(main, ["calibrate", str(no_cal), "--targets", str(targets), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "calibration" in r.output
    # nothing left to fit, or one point and --leave-one-out: refused before anything is written
    ok = config(tmp_path, calibration={"parameters": {"entry.launch_villages": [1, 5]}})
    for text, extra, says in (("month,villages,hold_out\n3,10,1\n", [], "0 reported point(s) not held out"),
                              ("month,villages\n3,10\n", ["--leave-one-out"], "--leave-one-out needs at least 2")):
        targets.write_text(text)
        r = CliRunner().invoke(main, ["calibrate", str(ok), "--targets", str(targets), "--out", str(tmp_path / "n"),
                                      *extra])
        assert r.exit_code == 2 and says in r.output and str(targets) in r.output, r.output
        assert "Traceback" not in r.output and not (tmp_path / "n").exists()


def test_a_full_run_reports_the_counts_the_fit_evaluates(tmp_path):
    # agents earn 450 + 1 CNY a parcel against a wage of 600: small villages close after two months
    attr = {"pay_per_month_cny": 450, "commission_per_parcel_cny": 1.0, "reservation_wage_cny": 600, "grace_m": 2,
            "reopen": False}
    path = config(tmp_path, attrition=attr, horizon_m=6, region={"counties": 2, "seed": 5, "villages": 30,
                                                                  "area_km2": {"min": 300, "max": 400},
                                                                  "extent_km": 200})
    ro = load_rollout(path)
    counts = rollout_counts(ro, "s", geographies(ro, ro.operating_models["partner"]))
    tables = run_compare(ro, tmp_path / "run", workers=1, quiet=True)
    st = tables["stations"]
    assert [r["stations_open"] for r in st] == counts["villages"].tolist()
    assert [r["stations_closed"] for r in st] == counts["stations_closed"].tolist()
    assert [r["villages_covered"] for r in tables["monthly"]] == counts["villages"].tolist()
    assert counts["stations_closed"][-1] > 0
    assert all(r["agent_income_median_cny"] >= 450 for r in st if r["stations_open"])
    assert (tmp_path / "run" / "stations.csv").is_file()


def test_attrition_levels_the_count_off_while_counties_keep_entering(tmp_path):
    # a county a month with 2 villages each and no more; no agent ever earns the wage, so each
    # station closes after its 3 grace months: the count rises by 2 a month, then stays at 2 x 3
    attr = {"pay_per_month_cny": 0, "commission_per_parcel_cny": 0, "reservation_wage_cny": 100, "grace_m": 3}
    path = config(tmp_path, attrition=attr, horizon_m=8,
                  region={"counties": 10, "seed": 5, "villages": 30, "area_km2": 300, "extent_km": 200},
                  entry={"counties_per_month": 1, "launch_villages": 2, "villages_per_month": 0})
    ro = load_rollout(path)
    counts = rollout_counts(ro, "s", geographies(ro, ro.operating_models["partner"]))
    assert counts["counties"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert counts["villages"].tolist() == [2, 4, 6, 6, 6, 6, 6, 6]
    assert counts["stations_closed"].tolist() == [0, 0, 0, 2, 4, 6, 8, 10]


def test_the_shipped_rural_taobao_rollout_meets_the_reported_points_and_levels_off():
    root = Path(__file__).resolve().parents[2]
    ro = load_rollout(root / "experiments" / "rural_taobao_2015.yaml")
    counts = rollout_counts(ro, ro.baseline, geographies(ro, ro.operating_models["partner"]))
    targets = read_targets(root / "experiments" / "rural_taobao_2015_targets.csv", ro.horizon_m)
    assert len(targets) == 4
    for t in targets:   # >6,000 at 12 months, >14,000 in ~300 counties at 16, >16,000 at 26
        assert abs(counts[t.quantity][t.month] / t.reported - 1) <= 0.10, t
    # levelled off: the last three months add far fewer than the ~3,000 villages a month of the rush
    assert counts["villages"][-1] - counts["villages"][-4] < 3 * 300
    assert counts["villages"][15] - counts["villages"][12] > 3 * 1500


def test_an_entry_month_for_a_county_not_in_the_region_is_refused(tmp_path):
    ro = load_rollout(config(tmp_path, entry={"county_months": {"C0001": 0, "C0099": 2}}))
    with pytest.raises(InputError, match=r"entry\.county_months\.C0099.*no such county"):
        rollout_counts(ro, "s", geographies(ro, ro.operating_models["partner"]))


def test_cli_writes_each_methods_summary_into_the_doc_and_refuses_a_doc_without_its_place(tmp_path):
    path = config(tmp_path, calibration={"parameters": {"entry.villages_per_month": [0.5, 5.0]}, "starts": 24,
                                         "samples": 20})
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages\n2,15\n5,40\n")   # launch 3, 2 a month (villages_by_hand)
    doc = tmp_path / "doc.md"
    doc.write_text("# Doc\n")
    args = ["calibrate", str(path), "--targets", str(targets), "--leave-one-out", "--doc", str(doc)]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "ls")])
    assert r.exit_code == 2 and "<!-- calibration:least_squares:start -->" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "ls").exists() and doc.read_text() == "# Doc\n"
    ls, hm = (f"<!-- calibration:{m}:start -->\n<!-- calibration:{m}:end -->" for m in ("least_squares",
                                                                                     "history_matching"))
    doc.write_text(f"# Doc\n\n{ls}\n\nBetween.\n\n{hm}\nAfter.\n")
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "ls")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, [*args, "--method", "history_matching", "--out", str(tmp_path / "hm")])
    assert r.exit_code == 0, r.output
    text = doc.read_text()
    for method, folder, title in (("least_squares", "ls", "# Calibration by least squares\n\n"),
                                  ("history_matching", "hm", "# History matching\n\n")):
        summary = (tmp_path / folder / "summary.md").read_text()
        assert summary.startswith(title)
        start, end = f"<!-- calibration:{method}:start -->\n", f"<!-- calibration:{method}:end -->"
        assert text[text.index(start) + len(start):text.index(end)] == summary[len(title):]
    assert text.startswith("# Doc\n\n<!-- calibration:least_squares:start -->\n*Written by")
    assert "\n\nBetween.\n\n" in text and text.endswith("<!-- calibration:history_matching:end -->\nAfter.\n")
    assert "The fit meets all 2 fitted points within 0.00% (1 parameter fitted to 2 points)" in text   # exactly
    assert "**History matching** (20 Latin hypercube samples, seed 0;" in text   # --method overrides the config
    rows = list(csv.DictReader((tmp_path / "ls" / "holdout.csv").open()))
    # nothing closes (no attrition section): the stations opened by the end (month 9) are those open, by hand
    assert [(float(r["stations_opened_end"]), float(r["stations_closed_end"])) for r in rows] == \
        [(villages_by_hand(9), 0.0)] * 2


def test_the_summary_quotes_the_agents_pay_at_the_fitted_values(tmp_path):
    from sim.rollout.calibrate import Model, calibration_meta
    attr = {"pay_per_month_cny": 450, "commission_per_parcel_cny": 1.5, "reservation_wage_cny": 400}
    path = config(tmp_path, attrition=attr, calibration={"parameters": {"attrition.pay_per_month_cny": [100, 900]}})
    targets = tmp_path / "t.csv"
    targets.write_text("month,villages\n3,10\n")
    model = Model(path)
    fitted = model.rollout({"attrition.pay_per_month_cny": 777.0}).attrition
    meta = calibration_meta(model, targets, 5, fitted)
    assert meta["pay"] == "777 CNY a month plus 1.5 CNY a parcel"
    assert meta["config"] == "rollout.yaml" and meta["targets"] == "t.csv"   # absolute paths: names only
    assert meta["calibration"]["method"] == "least_squares" and meta["evaluations"] == 5
    assert calibration_meta(Model(config(tmp_path, calibration={"parameters": {"entry.launch_villages": [1, 5]}})),
                            targets, 1, None)["pay"] is None


@pytest.mark.parametrize("method", ["least_squares", "history_matching"])
def test_the_files_are_the_same_on_one_worker_and_on_two(tmp_path, method):
    """The fit's starts, the history match's samples and the leave-one-out refits run on
    the pool; every file written is byte for byte the serial one's."""
    cal = {"method": method, "parameters": {"entry.launch_villages": [1, 10], "entry.villages_per_month": [0.5, 5.0]},
           "starts": 20, "samples": 40, "seed": 2}
    path = config(tmp_path, calibration=cal)
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages\n2,15\n5,40\n7,58\n")
    one = run_calibration(path, targets, tmp_path / "one", leave_one_out=True, workers=1)
    two = run_calibration(path, targets, tmp_path / "two", leave_one_out=True, workers=2)
    assert one["evaluations"] == two["evaluations"]
    if method == "history_matching":   # the refits reuse the samples
        assert one["evaluations"] == 40
    else:   # the fit and 3 refits, each from 20 starts
        assert one["evaluations"] > 4 * 20
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert "holdout.csv" in names and names == sorted(p.name for p in (tmp_path / "two").iterdir())
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_apply_writes_the_fitted_values_into_the_config_and_a_refit_keeps_them(tmp_path):
    cal = {"parameters": {"entry.launch_villages": [1, 10], "entry.villages_per_month": [0.5, 5.0]},
           "starts": 48, "seed": 3}
    path = config(tmp_path, calibration=cal, entry={"counties_per_month": 1, "launch_villages": 7,
                                                    "villages_per_month": 4.0})
    before = path.read_text()
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages\n" + "".join(f"{m},{villages_by_hand(m)}\n" for m in (2, 4, 5, 9)))
    res = run_calibration(path, targets, tmp_path / "out", apply=True, workers=1)
    ro = load_rollout(path)
    fitted = {r["parameter"]: r["fitted"] for r in res["fit"]}
    assert ro.entry.launch_villages == fitted["entry.launch_villages"] == 3
    assert ro.entry.villages_per_month == pytest.approx(fitted["entry.villages_per_month"], rel=5e-6)
    # the file's other lines are as they were; fit.csv and the summary quote the values as written
    assert [ln for ln in path.read_text().splitlines() if "launch_villages" not in ln
            and "villages_per_month" not in ln] == [ln for ln in before.splitlines() if "launch_villages" not in ln
                                                    and "villages_per_month" not in ln]
    assert all(r["config_value"] == pytest.approx(r["fitted"], rel=5e-6) for r in res["fit"])
    assert "The config holds the fitted values" in (tmp_path / "out" / "summary.md").read_text()
    # the fit depends on the bounds, the targets and the seed, not on the config's own values
    applied = path.read_text()
    again = run_calibration(path, targets, tmp_path / "again", apply=True, workers=1)
    assert again["fit"] == res["fit"]
    assert path.read_text() == applied


def test_apply_refuses_a_key_not_written_in_the_config_before_the_fit(tmp_path):
    path = config(tmp_path, calibration={"parameters": {"entry.launch_villages": [1, 10]}},
                  entry={"counties_per_month": 1, "villages_per_month": 2})   # launch_villages: its default
    before = path.read_text()
    targets = tmp_path / "t.csv"
    targets.write_text("month,villages\n3,10\n5,20\n")
    r = CliRunner().invoke(main, ["calibrate", str(path), "--targets", str(targets), "--out", str(tmp_path / "o"),
                                  "--apply"])
    assert r.exit_code == 2 and "calibration.parameters.entry.launch_villages" in r.output and "--apply" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "o").exists() and path.read_text() == before


FIT_120 = """
import json, sys
from sim.rollout.calibrate import run_calibration
res = run_calibration(sys.argv[1], sys.argv[2], sys.argv[3], workers=1)
print(json.dumps({r["parameter"]: r["fitted"] for r in res["fit"]}))
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="OpenBLAS core types named for x86-64")
def test_the_fit_is_the_same_whatever_blas_kernels_the_cpu_gets(tmp_path):
    """The shipped Rural Taobao calibration scaled to 120 counties, fitted in two processes,
    one with OpenBLAS's kernels for this CPU and one with its oldest x86-64 kernels
    (Prescott): the same fitted values. With the Jacobian's SVD as the trust-region solver
    the two came out at different points on a machine with AVX-512 (Prescott and Haswell
    agree with each other, so a CPU that gets Haswell kernels cannot tell)."""
    root = Path(__file__).resolve().parents[2] / "experiments"
    text = (root / "rural_taobao_2015.yaml").read_text(encoding="utf-8")
    text = text.replace("base: baseline.yaml", f"base: {(root / 'baseline.yaml').as_posix()}")
    text = re.sub(r"schedule: \[\[0, 20\], \[11, [0-9.]+\], \[15, 300\]\]", "schedule: [[0, 8], [11, 44.4], [15, 120]]",
                  text)
    text = text.replace("counties: 300", "counties: 120", 1).replace("entry.schedule.1.1: [50, 300]",
                                                                      "entry.schedule.1.1: [20, 120]")
    assert "[15, 120]" in text and "counties: 120" in text and "[20, 120]" in text
    cfg = tmp_path / "rural_taobao_120.yaml"
    cfg.write_text(text, encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text("month,villages,counties\n11,2400,\n15,5600,120\n25,6400,\n")   # 2/5 of the reported points
    procs = []
    for core in (None, "Prescott"):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        if core:
            env["OPENBLAS_CORETYPE"] = core
        procs.append(subprocess.Popen([sys.executable, "-c", FIT_120, str(cfg), str(targets),
                                       str(tmp_path / f"out_{core}")], env=env, stdout=subprocess.PIPE, text=True))
    fitted = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert fitted[0] == fitted[1]
    assert fitted[0]["entry.launch_villages"] == round(fitted[0]["entry.launch_villages"])
