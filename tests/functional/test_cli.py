"""The ruralsim command end to end in a temporary folder."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.county.kpis import DAILY_COLUMNS, KPI_COLUMNS

SMALL = """\
kind: scenario
name: tiny
replications: 3
horizon_d: 40
start_doy: 290
county: {area_km2: 400, townships: 4, villages: 30}
stations: {coverage_share: 0.6}
"""


@pytest.fixture
def cfg(tmp_path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(SMALL)
    return p


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def read_csv(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_run_writes_every_output(cfg, tmp_path):
    out = tmp_path / "res"
    r = invoke("run", cfg, "--out", out)
    assert r.exit_code == 0, r.output
    assert "Lead time, mean" in r.output and "Cost per parcel delivered" in r.output
    runs = read_csv(out / "runs.csv")
    assert len(runs) == 3
    assert list(runs[0])[:3] == ["scenario", "replication", "seed"]
    assert set(KPI_COLUMNS) <= set(runs[0])
    assert [row["replication"] for row in runs] == ["0", "1", "2"]
    summary = read_csv(out / "summary.csv")
    assert [s["kpi"] for s in summary] == list(KPI_COLUMNS)
    assert set(summary[0]) == {"kpi", "n", "mean", "std", "ci95_half_width"}
    daily = read_csv(out / "daily.csv")
    # every simulated day: the default 28 warm-up days (numbered -28..-1), then the 40-day window
    assert len(daily) == 28 + 40 and list(daily[0]) == list(DAILY_COLUMNS)
    assert [int(row["day"]) for row in daily] == list(range(-28, 40))
    # the window's books close from runs.csv alone (the window opens mid-harvest on 17 October)
    for row in runs:
        k = {c: float(row[c]) for c in KPI_COLUMNS}
        assert k["inbound_parcels_in_system_start"] > 0 and k["outbound_produce_in_system_start_kg"] > 0
        assert k["inbound_parcels_ordered"] + k["inbound_parcels_in_system_start"] == \
            k["inbound_parcels_delivered"] + k["inbound_parcels_in_system"]
        came = k["outbound_produce_offered_kg"] + k["outbound_produce_in_system_start_kg"]
        went = k["outbound_produce_sold_kg"] + k["outbound_produce_spoiled_kg"] + k["outbound_produce_in_system_kg"]
        assert went == pytest.approx(came, rel=1e-9)
        # the daily series over the window add up to the window's flows
        window = [d for d in daily if int(d["day"]) >= 0]
        if row["replication"] == "0":
            assert sum(int(d["parcels_ordered"]) for d in window) == k["inbound_parcels_ordered"]
            assert sum(int(d["parcels_delivered"]) for d in window) == k["inbound_parcels_delivered"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 20150329 and len(manifest["config_sha256"]) == 64
    assert manifest["config"]["county"]["villages"] == 30
    assert manifest["packages"]["simpy"] and manifest["wall_time_s"] >= 0
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == sorted(f"{s}.{e}" for s in ("backlog", "daily_flows", "lead_time", "load_factors", "network_map")
                          for e in ("png", "svg"))
    assert not list(out.rglob("*.tmp"))


def test_overrides_and_no_figures(cfg, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("run", cfg, "--out", a, "--replications", 2, "--no-figures", "--quiet").exit_code == 0
    assert invoke("run", cfg, "--out", b, "--replications", 2, "--seed", 7, "--no-figures").exit_code == 0
    assert not (a / "figures").exists()
    ra, rb = read_csv(a / "runs.csv"), read_csv(b / "runs.csv")
    assert len(ra) == 2 and rb[0]["seed"] == "7"
    assert ra[0]["inbound_parcels_ordered"] != rb[0]["inbound_parcels_ordered"]


def test_same_config_same_runs_csv_bytes(cfg, tmp_path):
    for d in ("x", "y"):
        assert invoke("run", cfg, "--out", tmp_path / d, "--no-figures", "--quiet").exit_code == 0
    assert (tmp_path / "x" / "runs.csv").read_bytes() == (tmp_path / "y" / "runs.csv").read_bytes()
    assert (tmp_path / "x" / "daily.csv").read_bytes() == (tmp_path / "y" / "daily.csv").read_bytes()


def test_check(cfg):
    r = invoke("check", cfg)
    assert r.exit_code == 0 and "ok" in r.output


@pytest.mark.parametrize("text,needle", [
    ("kind: scenario\ncounty: {villagez: 3}\n", "county.villagez: unknown key; did you mean 'villages'?"),
    ("kind: scenario\ncounty: {villages: -3}\n", "county.villages: -3 is not allowed"),
    ("kind: scenario\nseed: [1\n", "not valid YAML"),
    ("kind: scenario\nseed: !!python/object/apply:os.getcwd []\n",
     "YAML tags that build Python objects are not allowed"),
    ("kind: scenario\ncounty: {villages_csv: missing.csv}\n", "villages file not found"),
])
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, text, needle):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    out = tmp_path / "out"
    for cmd in (["run", p, "--out", out], ["check", p]):
        r = CliRunner().invoke(main, [str(a) for a in cmd])
        assert r.exit_code == 2, r.output
        assert needle in r.output and "Traceback" not in r.output
        assert str(p) in r.output or "missing.csv" in r.output
    assert not out.exists()


def test_missing_config_file(tmp_path):
    r = CliRunner().invoke(main, ["run", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "file not found" in r.output
    assert not (tmp_path / "o").exists()


def test_bad_villages_csv_row(tmp_path):
    (tmp_path / "v.csv").write_text("id,township,x_km,y_km,residents,road_class\n"
                                    "A,T1,1,2,100,cement\nB,T1,x,2,100,cement\n")
    p = tmp_path / "c.yaml"
    p.write_text("kind: scenario\ncounty: {villages_csv: v.csv}\n")
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "v.csv: line 3: x_km 'x' is not allowed" in r.output
    assert not (tmp_path / "o").exists()


def test_console_script_exit_codes_without_traceback(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("kind: scenario\nhub: {sorters: many}\n")
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "check", str(p)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "hub.sorters: 'many' is not allowed" in proc.stderr and "Traceback" not in proc.stderr


def test_the_county_a_run_writes_reads_back_with_the_township_ids_configs_use(cfg, tmp_path):
    out = tmp_path / "res"
    assert invoke("run", cfg, "--out", out, "--no-figures", "--quiet").exit_code == 0
    first = read_csv(out / "villages.csv")
    assert {row["township"] for row in first} == {"T01", "T02", "T03", "T04"}
    again = tmp_path / "again.yaml"
    again.write_text(SMALL.replace("county: {area_km2: 400, townships: 4, villages: 30}",
                                   f"county: {{villages_csv: {out / 'villages.csv'}}}")
                     + "service: {by_township: {T02: 2}}\n")
    out2 = tmp_path / "res2"
    r = invoke("run", again, "--out", out2, "--no-figures", "--quiet")
    assert r.exit_code == 0, r.output
    second = read_csv(out2 / "villages.csv")
    keep = ("id", "township", "x_km", "y_km", "residents", "road_class")
    assert [{k: row[k] for k in keep} for row in second] == [{k: row[k] for k in keep} for row in first]


def test_plot_on_a_rollout_folder_says_how_its_figures_are_drawn(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "rollout", "source": "experiments/r.yaml"}))
    r = CliRunner().invoke(main, ["plot", str(folder)])
    assert r.exit_code == 2
    assert f"ruralsim compare experiments/r.yaml --out {folder}" in r.output and "Traceback" not in r.output
    assert not (folder / "figures").exists()
