"""Experiments: configs, common random numbers, worker-count and engine invariance,
resume after a kill, failures, sequential replications, warm-up and figures."""
from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.analysis.statistics import t_interval
from sim.cli import main
from sim.config.scenario import scenario_data, scenario_from_data
from sim.county.demand import daily_means
from sim.county.kpis import run_replication
from sim.county.planning import plan
from sim.errors import InputError
from sim.experiments.spec import experiment_from_data, load_experiment
from sim.experiments.sweep import FAIL_ENV, run_experiment

ROOT = Path(__file__).resolve().parents[2]

SMALL_BASE = {"horizon_d": 40, "start_doy": 290, "county": {"area_km2": 400, "townships": 4, "villages": 30},
              "stations": {"coverage_share": 0.6}}


def small_experiment(tmp_path, **extra) -> Path:
    import yaml
    data = {"kind": "experiment", "name": "small", "base": SMALL_BASE, "replications": 3,
            "levers": {"stations.coverage_share": [0.3, 0.6], "lastmile.vehicles_per_route": [1, 2]},
            "baseline": {"stations.coverage_share": 0.3, "lastmile.vehicles_per_route": 1},
            "kpis": ["inbound_lead_time_mean_h", "cost_per_parcel_cny", "spoilage_rate"]}
    data.update(extra)
    p = tmp_path / "exp.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def tables(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes()
            for n in ("runs.csv", "crops.csv", "summary.csv", "comparisons.csv", "failures.csv")}


# ---- configs -----------------------------------------------------------------------
def test_experiment_expands_levers_and_ids_are_stable(tmp_path):
    exp = load_experiment(small_experiment(tmp_path))
    assert len(exp.scenarios) == 4
    assert [s.values for s in exp.scenarios][:2] == [
        {"stations.coverage_share": 0.3, "lastmile.vehicles_per_route": 1},
        {"stations.coverage_share": 0.3, "lastmile.vehicles_per_route": 2}]
    assert exp.scenarios[1].scenario.lastmile.vehicles_per_route == 2
    assert exp.baseline_id == exp.scenarios[0].id
    again = load_experiment(small_experiment(tmp_path))
    assert [s.id for s in again.scenarios] == [s.id for s in exp.scenarios]
    assert len({s.id for s in exp.scenarios}) == 4
    assert exp.levers == ("stations.coverage_share", "lastmile.vehicles_per_route")


def test_every_scenario_shares_the_root_seed(tmp_path):
    exp = load_experiment(small_experiment(tmp_path, seed=77))
    assert {s.scenario.seed for s in exp.scenarios} == {77}


@pytest.mark.parametrize("extra,needle", [
    ({"levers": {"stations.coverage": [0.5]}},
     "levers.stations.coverage: unknown setting; did you mean 'stations.coverage_share'?"),
    ({"levers": {"stations.coverage_share": [0.5, 1.5]}}, "stations.coverage_share: 1.5 is not allowed"),
    ({"levers": {"stations.coverage_share": {"min": 0.9, "max": 0.1}}}, "expected min <= max"),
    ({"levers": {"stations.coverage_share": "all"}}, "expected a list of values or a range"),
    ({"levers": {"stations": [1]}}, "is a section"),
    ({"design": {"method": "taguchi"}}, "design.method: 'taguchi' is not allowed"),
    ({"design": {"method": "latin_hypercube"}}, "design.samples: None is not allowed"),
    ({"design": {"method": "sobol", "samples": 12}}, "power of two"),
    ({"replications": 0}, "replications: 0 is not allowed"),
    ({"replications": {"min": 3, "max": 2, "relative_half_width": 0.1}}, "replications.max: 2 is not allowed"),
    ({"replications": {"min": 3, "max": 9}}, "replications.relative_half_width: None is not allowed"),
    ({"kpis": ["lead_time"]}, "kpis: 'lead_time' is not allowed"),
    ({"baseline": {"stations.coverage_share": 0.99}}, "baseline"),
    ({"basline": "x"}, "basline: unknown key; did you mean 'baseline'?"),
    ({"base": {"county": {"villagez": 3}}}, "base: county.villagez: unknown key"),
    ({"base": "missing.yaml"}, "missing.yaml: file not found"),
    ({"warmup_d": 4000}, "warmup_d: 4000 is not allowed"),
    ({"scenarios": {"a": {"hub": {"sorters": -1}}}}, "scenarios.a"),
    ({"fixed": {"township": {"vehicle_type": "bike"}}}, "fixed: township.vehicle_type: 'bike' is not allowed"),
    ({"fixed": {"stations": {"coverage_share": 0.5}}},
     "fixed.stations.coverage_share: 0.5 is not allowed: stations.coverage_share is varied"),
    ({"fixed": {"stations": {"coverage_share": 0.5}}, "levers": {"stations": [1]}}, "is a section"),
    ({"fixed": {"seed": 4}}, "fixed.seed: 4 is not allowed: not a shared setting: set the experiment's seed"),
    ({"fixed": {"replications": 2}}, "fixed.replications: 2 is not allowed"),
    ({"fixed": [1]}, "fixed: [1] is not allowed"),
    ({"levers": {"service.by_township.T02.every_d": [1, 2]}},
     "levers.service.by_township.T02.every_d: unknown setting; 'service.by_township' has no entries in the base "
     "scenario: add 'T02' there to vary it"),
    ({"levers": {"service.zzz": [1, 2]}}, "levers.service.zzz: unknown setting (keys of 'service': every_d,"),
])
def test_bad_experiment_configs(tmp_path, extra, needle):
    p = small_experiment(tmp_path, **extra)
    with pytest.raises(InputError) as exc:
        load_experiment(p)
    assert needle in str(exc.value) and str(p) in str(exc.value)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(out)])
    assert r.exit_code == 2 and needle in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_fixed_settings_reach_every_scenario_and_named_scenarios_override_them(tmp_path):
    p = small_experiment(tmp_path, fixed={"township": {"vehicle_type": "van"}, "lastmile": {"stop_h": 0.3}},
                         scenarios={"plain": {}, "slow_stops": {"lastmile": {"stop_h": 0.5}}},
                         baseline={"stations.coverage_share": 0.3, "lastmile.vehicles_per_route": 1,
                                   "scenario": "plain"})
    exp = load_experiment(p)
    assert len(exp.scenarios) == 8
    assert {s.scenario.township.vehicle_type for s in exp.scenarios} == {"van"}
    assert {s.name: s.scenario.lastmile.stop_h for s in exp.scenarios} == {"plain": 0.3, "slow_stops": 0.5}
    # without it, the base's own values
    plain = load_experiment(small_experiment(tmp_path))
    assert {s.scenario.township.vehicle_type for s in plain.scenarios} == {"e_tricycle"}


def test_a_villages_file_named_in_an_experiment_is_relative_to_the_experiment(tmp_path, monkeypatch):
    import yaml
    (tmp_path / "csv").mkdir()
    (tmp_path / "exp").mkdir()
    (tmp_path / "elsewhere").mkdir()
    rows = "".join(f"V{i},T{i % 2},{i},{i % 3},500,cement\n" for i in range(1, 9))
    (tmp_path / "csv" / "v.csv").write_text("id,township,x_km,y_km,residents,road_class\n" + rows)
    data = {"kind": "experiment", "name": "csvs", "base": SMALL_BASE, "replications": 1,
            "scenarios": {"generated": {}, "from_file": {"county": {"villages_csv": "../csv/v.csv"}}},
            "kpis": ["cost_per_parcel_cny"]}
    p = tmp_path / "exp" / "e.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.chdir(tmp_path / "elsewhere")   # not where the experiment is
    exp = load_experiment(p)
    csv = exp.scenarios[1].scenario.county.villages_csv
    assert Path(csv).resolve() == (tmp_path / "csv" / "v.csv").resolve()
    r = CliRunner().invoke(main, ["check", str(p)])
    assert r.exit_code == 0, r.output
    # a missing one is named with the experiment's file and the scenario
    data["scenarios"]["from_file"]["county"]["villages_csv"] = "../csv/missing.csv"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    r = CliRunner().invoke(main, ["check", str(p)])
    assert r.exit_code == 2 and str(p) in r.output and "scenario 'from_file'" in r.output
    assert "missing.csv" in r.output and "Traceback" not in r.output


def test_identical_scenarios_are_refused(tmp_path):
    p = small_experiment(tmp_path, levers={}, scenarios={"a": {}, "b": {}})
    with pytest.raises(InputError, match="identical parameters"):
        load_experiment(p)


# ---- statistics ----------------------------------------------------------------------
def test_common_random_numbers_reduce_the_variance_of_differences():
    """On the backhaul experiment: paired differences under common random numbers
    vary far less than differences of independently seeded runs."""
    exp = load_experiment(ROOT / "experiments" / "backhaul.yaml")
    a, b = (s.scenario for s in exp.scenarios)
    pa, pb = plan(a), plan(b)
    # (over a window holding the whole harvest season, the produce KPIs' paired differences are
    # dominated by how each way of collecting meets the peak, and pairing halves their variance at
    # best; distance and total cost follow the shared demand)
    kpis = ("vehicle_km", "cost_total_cny")
    crn, indep = {k: [] for k in kpis}, {k: [] for k in kpis}
    for r in range(5):
        ka, kb, kb_other = (run_replication(a, r, pa).kpis, run_replication(b, r, pb).kpis,
                            run_replication(b, 1000 + r, pb).kpis)
        for k in kpis:
            crn[k].append(ka[k] - kb[k])
            indep[k].append(ka[k] - kb_other[k])
    for k in kpis:
        assert np.var(crn[k], ddof=1) < 0.5 * np.var(indep[k], ddof=1), k


def test_t_interval_covers_a_known_model_mean():
    """Parcels ordered over 30 days has a known mean (the sum of the daily means):
    the 95% t interval over 5 replications covers it in about 95% of macro-replications."""
    sc = experiment_from_data({"base": SMALL_BASE}, "x").scenarios[0].scenario
    sc = dataclasses.replace(sc, horizon_d=30, crops=())
    the_plan = plan(sc)
    served = the_plan.network.served
    known = daily_means(sc, the_plan.network.residents)[sc.warmup_d:, served].sum()  # the window's days
    macro, covered = 60, 0
    for m in range(macro):
        x = [run_replication(sc, 5 * m + r, the_plan).kpis["inbound_parcels_ordered"] for r in range(5)]
        mean, hw, _ = t_interval(x)
        covered += abs(mean - known) <= hw
    assert covered / macro >= 0.85  # 95% nominal; 60 macro-replications give a standard error of ~3%


# ---- running -------------------------------------------------------------------------
def test_worker_count_does_not_change_results(tmp_path):
    exp = load_experiment(small_experiment(tmp_path))
    one = run_experiment(exp, tmp_path / "w1", workers=1, quiet=True, figures=False)
    two = run_experiment(exp, tmp_path / "w2", workers=2, quiet=True, figures=False)
    assert one.failed == two.failed == 0
    assert tables(tmp_path / "w1") == tables(tmp_path / "w2")
    assert len(one.tables["runs"]) == 12
    comps = one.tables["comparisons"]
    assert len(comps) == 3 * 3  # three scenarios against the baseline, three KPIs
    assert all(c["baseline_id"] == exp.baseline_id for c in comps)


def test_per_crop_rows_of_an_experiment_add_up_to_its_runs(tmp_path):
    """crops.csv: one row per run and crop (the default county's two crops), whose
    kilograms and incomes sum over the crops to the run's row in runs.csv."""
    import csv

    from sim.county.market import TOTALS
    exp = load_experiment(small_experiment(tmp_path, replications=2))
    run_experiment(exp, tmp_path / "o", workers=1, quiet=True, figures=False)
    with open(tmp_path / "o" / "runs.csv") as f:
        runs = {(r["scenario_id"], int(r["replication"])): r for r in csv.DictReader(f)}
    with open(tmp_path / "o" / "crops.csv") as f:
        crops = list(csv.DictReader(f))
    assert len(runs) == 8 and len(crops) == 2 * 8
    assert {r["crop"] for r in crops} == {c.name for c in exp.scenarios[0].scenario.crops}
    assert all(r["stations.coverage_share"] in ("0.3", "0.6") for r in crops)
    for key, run in runs.items():
        mine = [r for r in crops if (r["scenario_id"], int(r["replication"])) == key]
        assert len(mine) == 2
        for col in TOTALS:
            assert sum(float(r[col]) for r in mine) == pytest.approx(float(run[col]), rel=1e-9, abs=1e-6), col
    assert sum(float(r["outbound_produce_offered_kg"]) for r in crops) > 0


def test_dask_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    exp = load_experiment(small_experiment(tmp_path))
    run_experiment(exp, tmp_path / "local", workers=1, quiet=True, figures=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = run_experiment(exp, tmp_path / "dask", scheduler=cluster.scheduler_address, quiet=True, figures=False)
    assert res.engine.startswith("dask")
    assert tables(tmp_path / "local") == tables(tmp_path / "dask")


def test_dask_workers_running_other_code_are_refused(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    from sim.experiments.engine import DaskExecutor
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        DaskExecutor(cluster.scheduler_address).close()   # the same code: accepted
        # this checkout's files changed since the worker loaded its modules
        monkeypatch.setattr("sim.experiments.stamp.code_version", lambda: "0.0.0+edited")
        with pytest.raises(InputError, match=r"workers run other code than this checkout \(0\.0\.0\+edited\)"):
            DaskExecutor(cluster.scheduler_address)


def test_dask_workers_running_other_package_versions_are_refused(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    from sim.experiments import stamp
    from sim.experiments.engine import DaskExecutor
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        real = stamp.loaded_result_packages()
        # this process upgraded numpy; the worker still runs the version it imported
        monkeypatch.setattr(stamp, "loaded_result_packages", lambda: {**real, "numpy": "99.0"})
        with pytest.raises(InputError, match=r"other package versions than this checkout \(numpy 99\.0, scipy .*"
                                             rf"has numpy {re.escape(real['numpy'])};.*pinned"):
            DaskExecutor(cluster.scheduler_address)


@pytest.mark.parametrize("share", [0.25, 0.5, 0.85])
def test_resume_after_sigkill_runs_only_what_is_missing(tmp_path, share):
    """A SIGKILL of the whole process group early, half way and late in a sweep, then
    a resume: every run present once, finished runs not redone, tables identical."""
    p = small_experiment(tmp_path, replications=8)
    whole = tmp_path / "whole"
    run_experiment(load_experiment(p), whole, workers=1, quiet=True, figures=False)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim.cli", "run", str(p), "--out", str(out), "--workers", "2",
           "--no-figures", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    total = 4 * 8
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list((out / "runs").glob("*/r*.json"))) >= int(total * share):
            break
        time.sleep(0.01)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {q: q.stat().st_mtime_ns for q in (out / "runs").glob("*/r*.json")}
    assert 0 < len(done_before) < total, "the kill should land mid-sweep"
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    files = list((out / "runs").glob("*/r*.json"))
    assert len(files) == total
    assert all(q.stat().st_mtime_ns == t for q, t in done_before.items())  # finished runs were not redone
    assert not list(out.rglob("*.tmp"))
    assert tables(out) == tables(whole)


def test_a_failing_run_is_recorded_and_retried_alone(tmp_path, monkeypatch):
    exp = load_experiment(small_experiment(tmp_path))
    victim = exp.scenarios[2].id
    monkeypatch.setenv(FAIL_ENV, f"{victim}:1")
    out = tmp_path / "out"
    res = run_experiment(exp, out, workers=2, quiet=True, figures=False)
    assert res.failed == 1 and len(res.tables["runs"]) == 11
    fail = res.tables["failures"][0]
    assert fail["scenario_id"] == victim and fail["replication"] == 1
    assert "injected failure" in fail["error"] and "Traceback" in fail["traceback"]
    done = {q: q.stat().st_mtime_ns for q in (out / "runs").glob("*/r*.json")}
    monkeypatch.delenv(FAIL_ENV)
    again = run_experiment(exp, out, workers=2, quiet=True, figures=False)
    assert again.failed == 0 and len(again.tables["runs"]) == 12
    assert all(q.stat().st_mtime_ns == t for q, t in done.items())
    assert (out / "failures.csv").read_text().count("\n") == 1  # the header only


def test_cli_exit_code_1_on_failure(tmp_path, monkeypatch):
    p = small_experiment(tmp_path)
    exp = load_experiment(p)
    monkeypatch.setenv(FAIL_ENV, f"{exp.scenarios[0].id}:0")
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "o"), "--workers", "1", "--no-figures"])
    assert r.exit_code == 1 and "1 run(s) failed" in r.output


def test_changed_config_is_refused_unless_fresh(tmp_path):
    out = tmp_path / "out"
    run_experiment(load_experiment(small_experiment(tmp_path)), out, workers=1, quiet=True, figures=False)
    changed = small_experiment(tmp_path, replications=4)
    r = CliRunner().invoke(main, ["run", str(changed), "--out", str(out), "--workers", "1", "--no-figures"])
    assert r.exit_code == 2 and "different config" in r.output and "--fresh" in r.output
    r = CliRunner().invoke(main, ["run", str(changed), "--out", str(out), "--workers", "1", "--no-figures", "--fresh",
                                  "--quiet"])
    assert r.exit_code == 0
    assert len(list((out / "runs").glob("*/r*.json"))) == 16


def test_sequential_replications_stop_when_precise_enough(tmp_path):
    loose = load_experiment(small_experiment(tmp_path, replications={
        "min": 3, "max": 9, "batch": 2, "relative_half_width": 0.5, "kpis": ["inbound_lead_time_mean_h"]}))
    res = run_experiment(loose, tmp_path / "loose", workers=1, quiet=True, figures=False)
    assert len(res.tables["runs"]) == 4 * 3
    tight = load_experiment(small_experiment(tmp_path, replications={
        "min": 3, "max": 7, "batch": 2, "relative_half_width": 1e-6, "kpis": ["inbound_lead_time_mean_h"]}))
    res = run_experiment(tight, tmp_path / "tight", workers=2, quiet=True, figures=False)
    assert len(res.tables["runs"]) == 4 * 7
    n = {row["n"] for row in res.tables["summary"] if row["kpi"] == "inbound_lead_time_mean_h"}
    assert n == {7}


def test_warmup_excludes_the_first_days(small_scenario_factory=None):
    """An experiment's warmup_d override: 20 more days simulated before the same window."""
    from conftest import small_scenario
    sc = small_scenario()
    full = run_replication(sc, 0)
    exp = experiment_from_data({"base": scenario_data(sc), "warmup_d": 20}, "x")
    warm_sc = exp.scenarios[0].scenario
    assert (warm_sc.warmup_d, warm_sc.start_doy, warm_sc.horizon_d) == (20, sc.start_doy, sc.horizon_d)
    warm = run_replication(warm_sc, 0)
    d = full.daily
    # the window's own days are the same calendar days, but the county is no longer empty on day 0
    assert warm.kpis["inbound_parcels_in_system_start"] > 0 == full.kpis["inbound_parcels_in_system_start"]
    assert list(warm.daily["day"][:2]) == [-20, -19] and len(warm.daily["day"]) == 20 + len(d["day"])
    assert warm.kpis["inbound_parcels_delivered"] == warm.daily["parcels_delivered"][20:].sum()
    assert warm.kpis["vehicle_km"] == pytest.approx(warm.daily["vehicle_km"][20:].sum())
    assert warm.kpis["outbound_produce_spoiled_kg"] == pytest.approx(warm.daily["produce_spoiled_kg"][20:].sum())
    assert warm.lead.n == warm.kpis["inbound_parcels_delivered"]
    # an empty start delivers fewer parcels in the window's first days than a warmed-up one
    assert warm.daily["parcels_delivered"][20:23].sum() > d["parcels_delivered"][:3].sum()


def test_plot_redraws_figures_from_the_files(tmp_path):
    exp = load_experiment(small_experiment(tmp_path, kpis=["inbound_lead_time_mean_h"]))
    out = tmp_path / "out"
    run_experiment(exp, out, workers=1, quiet=True, figures=True)
    first = {p.name: p.read_bytes() for p in (out / "figures").iterdir()}
    assert any(n.startswith("heatmap__") for n in first) and any(n.startswith("forest__") for n in first)
    assert any(n.startswith("kpi_vs_coverage_share") for n in first) and any(n.startswith("pareto__") for n in first)
    for p in (out / "figures").iterdir():
        p.unlink()
    r = CliRunner().invoke(main, ["plot", str(out)])
    assert r.exit_code == 0, r.output
    assert {p.name: p.read_bytes() for p in (out / "figures").iterdir() if p.suffix == ".svg"} == \
        {n: b for n, b in first.items() if n.endswith(".svg")}


def test_warmup_command_suggests_a_truncation(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("kind: scenario\nhorizon_d: 60\ncounty: {villages: 40, townships: 4, area_km2: 500}\n"
                   "replications: 1\n")
    out = tmp_path / "o"
    assert CliRunner().invoke(main, ["run", str(cfg), "--out", str(out), "--no-figures", "--quiet"]).exit_code == 0
    r = CliRunner().invoke(main, ["warmup", str(out)])
    assert r.exit_code == 0 and "set warmup_d:" in r.output


def test_shipped_experiments_are_valid():
    for p in sorted((ROOT / "experiments").rglob("*.yaml")):   # the findings' sensitivities too
        r = CliRunner().invoke(main, ["check", str(p)])
        assert r.exit_code == 0, r.output


def test_a_scenario_id_knows_its_villages_file_by_its_contents_not_its_path(tmp_path, monkeypatch):
    from sim.experiments.stamp import scenario_id
    rows = "id,township,x_km,y_km,residents,road_class\n" + "".join(
        f"V{i},T{i % 2},{i},{i % 3},500,cement\n" for i in range(1, 9))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "v.csv").write_text(rows)
    (tmp_path / "b.csv").write_text(rows)
    (tmp_path / "c.csv").write_text(rows.replace(",500,", ",600,"))
    sc = scenario_from_data(dict(SMALL_BASE, county={"villages_csv": "a/v.csv"}), "x", tmp_path)
    monkeypatch.chdir(tmp_path)
    same_file_other_path = scenario_from_data(dict(SMALL_BASE, county={"villages_csv": "a/../a/v.csv"}), "x", None)
    same_contents = scenario_from_data(dict(SMALL_BASE, county={"villages_csv": "b.csv"}), "x", None)
    other_contents = scenario_from_data(dict(SMALL_BASE, county={"villages_csv": "c.csv"}), "x", None)
    assert scenario_id(sc) == scenario_id(same_file_other_path) == scenario_id(same_contents)
    assert scenario_id(other_contents) != scenario_id(sc)
