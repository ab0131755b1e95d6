"""Faults while running: damaged run files are redone by name, a dead worker is
isolated, a second run into the same folder is refused, a full disk leaves a folder
marked incomplete, results never go into a folder of another kind, workers end with
their parent, and a scheduler that is not one is refused within its time-out."""
from __future__ import annotations

import http.server
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY_SCENARIO_YAML as SCENARIO

from sim.cli import main
from sim.errors import InputError
from sim.experiments.store import lock_folder
from sim.experiments.sweep import FAIL_ENV

EXPERIMENT = """\
kind: experiment
name: faults
base: base.yaml
replications: 2
scenarios:
  a: {}
  b: {lastmile: {vehicles_per_route: 2}}
  c: {stations: {coverage_share: 0.8}}
"""


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def exp(tmp_path):
    (tmp_path / "base.yaml").write_text(SCENARIO)
    p = tmp_path / "exp.yaml"
    p.write_text(EXPERIMENT)
    return p


def _run(exp: Path, out: Path, *extra: str):
    return _cli("run", str(exp), "--out", str(out), "--no-figures", "--quiet", *extra)


TABLES = ("runs.csv", "summary.csv", "comparisons.csv")


def _tables(out: Path) -> dict:
    return {t: (out / t).read_text() for t in TABLES}


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "braces", "tamper", "swap"])
def test_a_damaged_run_file_is_named_and_redone(exp, tmp_path, damage):
    out = tmp_path / "out"
    assert _run(exp, out, "--workers", "1").exit_code == 0
    clean = _tables(out)
    files = sorted((out / "runs").rglob("*.json"))
    victim = files[1]
    text = victim.read_text()
    if damage == "truncate":
        victim.write_text(text[: len(text) // 2])
    elif damage == "empty":
        victim.write_text("")
    elif damage == "garbage":
        victim.write_bytes(b"\xff\xfe not json at all")
    elif damage == "braces":
        victim.write_text("{}")
    elif damage == "tamper":
        rec = json.loads(text)
        rec["kpis"]["inbound_parcels_delivered"] += 1000
        victim.write_text(json.dumps(rec, sort_keys=True))
    else:  # another run's file at this run's path
        victim.write_text(files[0].read_text())
    again = _run(exp, out, "--workers", "1")
    assert again.exit_code == 0
    assert str(victim) in again.output and "run again" in again.output
    assert _tables(out) == clean


def test_a_killed_worker_is_isolated_and_recorded(exp, tmp_path, monkeypatch):
    out = tmp_path / "out"
    clean_out = tmp_path / "clean"
    assert _run(exp, clean_out, "--workers", "1").exit_code == 0
    sid = json.loads((clean_out / "manifest.json").read_text())["scenarios"][1]["id"]
    monkeypatch.setenv(FAIL_ENV, f"{sid}:0:kill")
    res = _run(exp, out, "--workers", "2")
    assert res.exit_code == 1
    failures = (out / "failures.csv").read_text()
    assert sid in failures and "WorkerLost" in failures
    assert len((out / "runs.csv").read_text().splitlines()) == 1 + 5   # the five others finished
    monkeypatch.delenv(FAIL_ENV)
    assert _run(exp, out, "--workers", "2").exit_code == 0
    assert _tables(out) == _tables(clean_out)


def test_a_second_run_into_a_locked_folder_is_refused(exp, tmp_path):
    out = tmp_path / "out"
    lock = lock_folder(out)
    try:
        res = _run(exp, out, "--workers", "1")
        assert res.exit_code == 2 and "another run is writing to this folder" in res.output
        assert not (out / "runs").exists()
    finally:
        lock.close()
    assert _run(exp, out, "--workers", "1").exit_code == 0


def test_a_full_disk_leaves_the_scenario_folder_marked_incomplete(tmp_path, monkeypatch):
    cfg = tmp_path / "sc.yaml"
    cfg.write_text(SCENARIO)
    out = tmp_path / "out"
    assert _cli("run", str(cfg), "--out", str(out), "--no-figures", "--quiet").exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    cfg.write_text(SCENARIO.replace("seed: 3", "seed: 4"))

    import sim.experiments.single as single_mod
    real = single_mod.write_csv

    def full(path, *args, **kwargs):
        if Path(path).name == "summary.csv":
            raise OSError(28, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(single_mod, "write_csv", full)
    res = _cli("run", str(cfg), "--out", str(out), "--no-figures", "--quiet")
    assert res.exit_code == 1 and "No space left on device" in res.output and "Traceback" not in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    # no table of the old run is left beside the new one
    assert not (out / "summary.csv").exists() and not (out / "daily.csv").exists()


def test_results_never_go_into_a_folder_of_another_kind(exp, tmp_path):
    exp_out, sc_out = tmp_path / "exp_out", tmp_path / "sc_out"
    cfg = tmp_path / "sc.yaml"
    cfg.write_text(SCENARIO)
    assert _run(exp, exp_out, "--workers", "1").exit_code == 0
    assert _cli("run", str(cfg), "--out", str(sc_out), "--no-figures", "--quiet").exit_code == 0
    before = _tables(exp_out)
    into_exp = _cli("run", str(cfg), "--out", str(exp_out), "--no-figures", "--quiet")
    assert into_exp.exit_code == 2 and "experiment" in into_exp.output
    assert _tables(exp_out) == before
    into_sc = _run(exp, sc_out, "--workers", "1", "--fresh")
    assert into_sc.exit_code == 2 and "scenario" in into_sc.output


def test_an_out_folder_that_cannot_be_written_is_refused_before_any_work(exp, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    res = _run(exp, blocker / "out", "--workers", "1")
    assert res.exit_code == 2 and "cannot write there" in res.output


def test_workers_end_with_their_parent(tmp_path):
    (tmp_path / "base.yaml").write_text(SCENARIO.replace("horizon_d: 20", "horizon_d: 365")
                                        .replace("villages: 20", "villages: 120"))
    exp = tmp_path / "exp.yaml"
    exp.write_text(EXPERIMENT.replace("replications: 2", "replications: 20"))
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", str(exp), "--out", str(tmp_path / "out"),
                             "--workers", "2", "--no-figures", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        children: list[int] = []
        while time.time() < deadline and len(children) < 2:
            time.sleep(0.2)
            children = _children(proc.pid)
        assert len(children) >= 2, "the pool's workers did not start"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(c) for c in children):
        time.sleep(0.2)
    assert not any(_alive(c) for c in children), "workers outlived their parent"


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_scheduler_address_that_is_not_one_is_refused(exp, tmp_path):
    res = _run(exp, tmp_path / "out", "--scheduler", "not a url")
    assert res.exit_code == 2 and "not a scheduler address" in res.output
    assert not (tmp_path / "out").exists()


def test_a_web_server_posing_as_a_scheduler_is_refused_within_the_time_out():
    pytest.importorskip("dask.distributed")
    from sim.experiments.engine import DaskExecutor

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(InputError, match="scheduler"):
            DaskExecutor(f"tcp://127.0.0.1:{server.server_address[1]}", timeout_s=1.0)
        assert time.perf_counter() - t0 < 15
    finally:
        server.shutdown()


def test_a_crash_while_the_tables_are_written_is_marked_and_resumes_identically(exp, tmp_path, monkeypatch):
    out, clean = tmp_path / "out", tmp_path / "clean"
    assert _run(exp, clean, "--workers", "1").exit_code == 0
    import sim.experiments.tables as tables_mod
    real = tables_mod.write_csv

    def crash(path, *args, **kwargs):
        if Path(path).name == "summary.csv":
            raise OSError(28, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(tables_mod, "write_csv", crash)
    res = _run(exp, out, "--workers", "1")
    assert res.exit_code == 1 and "No space left on device" in res.output
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    monkeypatch.setattr(tables_mod, "write_csv", real)
    again = _run(exp, out, "--workers", "1")
    assert again.exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert _tables(out) == _tables(clean)
