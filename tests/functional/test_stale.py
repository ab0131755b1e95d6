"""Results are never stale: a results folder is stamped with the resolved config, the
contents of every input file and the code version; a change to any of them is refused
without --fresh, and the manifest describes the county actually simulated."""
from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY_SCENARIO_YAML as SCENARIO

from sim.cli import main


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def _villages_csv(path: Path, n: int, residents: float) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "township", "x_km", "y_km", "residents", "road_class"])
        for i in range(n):
            w.writerow([f"v{i}", i % 3, 2.0 + i, 1.0 + (i % 5), residents, "cement"])
    return path


def _experiment(tmp: Path, base: str = "base.yaml") -> Path:
    return _write(tmp / "exp.yaml", f"""\
        kind: experiment
        name: stale_check
        base: {base}
        replications: 1
        scenarios:
          a: {{}}
          b: {{lastmile: {{vehicles_per_route: 2}}}}
        """)


def test_experiment_refuses_an_edited_base_file(tmp_path):
    base = _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    first = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert first.exit_code == 0, first.output
    base.write_text(SCENARIO + "hub: {cost_per_day_cny: 2500}\n")
    again = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2
    assert "a different config" in again.output and "base.yaml" in again.output and "--fresh" in again.output
    fresh = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet", "--fresh")
    assert fresh.exit_code == 0, fresh.output


def test_experiment_refuses_an_edited_villages_csv_and_ids_follow_the_file(tmp_path):
    csv_path = _villages_csv(tmp_path / "villages.csv", 12, 800.0)
    _write(tmp_path / "base.yaml", SCENARIO.replace("county: {area_km2: 300, townships: 3, villages: 20}",
                                                    "county: {villages_csv: villages.csv}"))
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    ids_before = [s["id"] for s in manifest["scenarios"]]
    # the manifest describes the county simulated (12 villages from the CSV, not the default 370)
    assert {s["county"]["villages"] for s in manifest["scenarios"]} == {12}
    assert {s["county"]["residents"] for s in manifest["scenarios"]} == {12 * 800.0}
    delivered_before = sum(float(r["inbound_parcels_delivered"]) for r in csv.DictReader((out / "runs.csv").open()))

    _villages_csv(csv_path, 12, 1600.0)  # every village twice as large
    again = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2
    assert "other contents of input file" in again.output and "villages.csv" in again.output
    fresh = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet", "--fresh")
    assert fresh.exit_code == 0, fresh.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert not set(ids_before) & {s["id"] for s in manifest["scenarios"]}
    assert {s["county"]["residents"] for s in manifest["scenarios"]} == {12 * 1600.0}
    delivered_after = sum(float(r["inbound_parcels_delivered"]) for r in csv.DictReader((out / "runs.csv").open()))
    assert delivered_after > 1.5 * delivered_before


def test_experiment_refuses_other_code(tmp_path, monkeypatch):
    _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    monkeypatch.setattr("sim.experiments.stamp.code_version", lambda: "0.0.0+othercode")
    again = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2 and "code version" in again.output and "othercode" in again.output


def test_experiment_refuses_other_package_versions(tmp_path, monkeypatch):
    import sim.experiments.stamp as stamp
    _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    real = stamp.loaded_result_packages
    monkeypatch.setattr(stamp, "loaded_result_packages", lambda: {**real(), "numpy": "99.0"})   # numpy upgraded
    again = _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2 and "numpy" in again.output and "(now 99.0)" in again.output


def test_fresh_removes_only_what_the_program_wrote(tmp_path):
    _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    notes = out / "runs" / "notes.txt"
    notes.write_text("my notes")
    mine = out / "my_analysis.csv"
    mine.write_text("x\n1\n")
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet",
                "--fresh").exit_code == 0
    assert notes.read_text() == "my notes" and mine.read_text() == "x\n1\n"


def test_a_run_file_of_another_stamp_is_run_again(tmp_path):
    _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    runs_csv = (out / "runs.csv").read_text()
    run_file = sorted((out / "runs").rglob("*.json"))[0]
    rec = json.loads(run_file.read_text())
    rec["stamp"] = "not-this-folder"
    rec["kpis"]["inbound_parcels_delivered"] = -1.0
    run_file.write_text(json.dumps(rec))
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--no-figures", "--quiet").exit_code == 0
    assert (out / "runs.csv").read_text() == runs_csv
    assert json.loads(run_file.read_text())["stamp"] != "not-this-folder"


ROLLOUT = """\
kind: rollout
name: stale_rollout
base: base.yaml
region: {counties: 2, seed: 5, extent_km: 100, villages: {min: 20, max: 30}}
horizon_m: 3
sample_days: 2
warmup_days: 1
replications: 1
budget_per_year_cny: 8.0e+6
strategies:
  largest_first: {village_order: largest_first}
  nearest_first: {village_order: nearest_first}
"""


@pytest.fixture
def rollout(tmp_path):
    _write(tmp_path / "base.yaml", SCENARIO)
    return _write(tmp_path / "ro.yaml", ROLLOUT)


def test_rollout_refuses_an_edited_base_file(tmp_path, rollout):
    out = tmp_path / "out"
    first = _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert first.exit_code == 0, first.output
    monthly = (out / "monthly.csv").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "rollout" and manifest["region"]["self_run"]["counties"] == 2
    (tmp_path / "base.yaml").write_text(SCENARIO + "hub: {cost_per_day_cny: 4000}\n")
    again = _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2 and "base.yaml" in again.output and "--fresh" in again.output
    fresh = _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures", "--quiet", "--fresh")
    assert fresh.exit_code == 0, fresh.output
    assert (out / "monthly.csv").read_text() != monthly  # the hub's cost now counts


def test_rollout_refuses_other_code_and_resumes_with_the_same(tmp_path, rollout, monkeypatch):
    out = tmp_path / "out"
    assert _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures",
                "--quiet").exit_code == 0
    same = _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures")
    assert same.exit_code == 0 and " 0 county runs" in same.output
    monkeypatch.setattr("sim.experiments.stamp.code_version", lambda: "0.0.0+othercode")
    again = _cli("compare", str(rollout), "--out", str(out), "--workers", "1", "--no-figures", "--quiet")
    assert again.exit_code == 2 and "code version" in again.output


def test_scenario_manifest_describes_the_villages_csv(tmp_path):
    _villages_csv(tmp_path / "villages.csv", 9, 500.0)
    cfg = _write(tmp_path / "sc.yaml", SCENARIO.replace("county: {area_km2: 300, townships: 3, villages: 20}",
                                                        "county: {villages_csv: villages.csv}"))
    out = tmp_path / "out"
    assert _cli("run", str(cfg), "--out", str(out), "--no-figures", "--quiet").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["county"]["villages"] == 9 and manifest["county"]["residents"] == 4500.0
    (path, digest), = manifest["inputs_sha256"].items()
    assert path.endswith("villages.csv") and len(digest) == 64
    assert manifest["code_version"]


def test_figures_never_outlive_the_tables_they_show(tmp_path):
    """--fresh removes the figures the program drew; a run without figures removes an earlier
    draw's (they would show other tables); a redraw removes the figures it no longer makes."""
    _write(tmp_path / "base.yaml", SCENARIO)
    exp = _experiment(tmp_path)
    out = tmp_path / "out"
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--quiet").exit_code == 0
    drawn = sorted(p.name for p in (out / "figures").iterdir())
    assert drawn and all(p.endswith((".png", ".svg")) for p in drawn)
    stale = out / "figures" / "pareto__an_old_kpi.png"   # as an older version's figure set would leave
    stale.write_bytes(b"old")
    assert _cli("plot", str(out)).exit_code == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == drawn
    assert _cli("run", str(exp), "--out", str(out), "--workers", "1", "--quiet", "--fresh",
                "--no-figures").exit_code == 0
    assert not (out / "figures").exists()


def test_a_same_size_edit_with_its_modification_time_put_back_is_hashed_anew(tmp_path):
    import os

    from sim.experiments.stamp import file_sha256
    p = tmp_path / "villages.csv"
    p.write_text("id,residents\nV1,1282\n")
    before = file_sha256(p)
    st = p.stat()
    p.write_text("id,residents\nV1,1828\n")          # the same size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # as cp -p, rsync -t or tar would leave it
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns
    assert file_sha256(p) != before


def test_an_input_changed_while_the_runs_ran_is_refused_and_the_folder_left_incomplete(tmp_path, monkeypatch):
    import sim.experiments.sweep as sweep
    from sim.errors import InputError
    from sim.experiments.spec import load_experiment
    from sim.experiments.stamp import check_inputs_unchanged, make_stamp
    csv_path = _villages_csv(tmp_path / "villages.csv", 12, 400.0)
    stamp = make_stamp("experiment", "x", {"a": 1}, [csv_path])
    check_inputs_unchanged(stamp)                      # nothing changed: fine
    exp_path = _write(tmp_path / "exp.yaml", """\
        kind: experiment
        base: {horizon_d: 6, warmup_d: 1, county: {villages_csv: villages.csv}}
        replications: 2
        levers: {lastmile.vehicles_per_route: [1, 2]}
        kpis: [cost_per_parcel_cny]
    """)
    exp = load_experiment(exp_path)
    real = sweep.run_sweep

    def edited_half_way(*args, **kwargs):
        result = real(*args, **kwargs)
        _villages_csv(csv_path, 12, 900.0)             # as if edited while the runs ran
        return result
    monkeypatch.setattr(sweep, "run_sweep", edited_half_way)
    with pytest.raises(InputError, match=r"villages\.csv: changed while the runs were running"):
        sweep.run_experiment(exp, tmp_path / "out", workers=1, quiet=True, figures=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and not (tmp_path / "out" / "summary.csv").exists()
