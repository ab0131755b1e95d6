"""Running a scenario's replications and writing its results folder: runs.csv,
crops.csv, summary.csv, daily.csv, manifest.json and figures."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.statistics import summarize
from sim.config.fleet import ROAD_CLASSES
from sim.config.loader import a_kind
from sim.config.scenario import Scenario, scenario_data, scenario_input_files
from sim.county.kpis import DAILY_COLUMNS, KPI_COLUMNS, RunResult, run_replication
from sim.county.market import CROP_COLUMNS
from sim.county.planning import Plan, plan
from sim.errors import InputError
from sim.experiments.stamp import make_stamp, package_versions
from sim.experiments.store import folder_kind, lock_folder
from sim.files import write_columns_csv, write_csv, write_json

RUN_COLUMNS = ("scenario", "replication", "seed", *KPI_COLUMNS)
SUMMARY_COLUMNS = ("kpi", "n", "mean", "std", "ci95_half_width")
CROPS_COLUMNS = ("scenario", "replication", *CROP_COLUMNS)


@dataclass
class ScenarioResult:
    """All replications of one scenario."""
    scenario: Scenario
    plan: Plan
    rows: list[dict]
    first: RunResult
    wall_s: float
    crop_rows: list[dict] | None = None   # every replication's per-crop rows (crops.csv)

    @property
    def summary(self) -> list[dict]:
        return summarize(self.rows, KPI_COLUMNS)


def config_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved config (canonical JSON)."""
    text = json.dumps(scenario_data(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replication(task: tuple) -> dict:
    """One replication (in a worker): its KPI row, and its whole result for replication 0
    (the detail files and figures come from it)."""
    scenario, r, the_plan = task
    res = run_replication(scenario, r, the_plan)
    return {"replication": r, "kpis": res.kpis, "crops": res.crops, "first": res if r == 0 else None}


def run_scenario(scenario: Scenario, progress: Callable[[int, int], None] | None = None,
                 workers: int = 1) -> ScenarioResult:
    """Run ``scenario.replications`` replications (replication r uses the random
    streams of (seed, r)); the routes are planned once and shared. With ``workers`` >
    1 the replications run on a process pool; the results are identical."""
    from sim.experiments.engine import LocalExecutor
    t0 = time.perf_counter()
    if scenario.replications < 1:
        raise ValueError(f"scenario {scenario.name!r}: replications must be at least 1")
    the_plan = plan(scenario)
    tasks = [(scenario, r, the_plan) for r in range(scenario.replications)]
    done: dict[int, dict] = {}
    for rec in LocalExecutor(max(1, workers)).run(tasks, _replication):
        done[rec["replication"]] = rec
        if progress:
            progress(len(done), scenario.replications)
    rows = [{"scenario": scenario.name, "replication": r, "seed": scenario.seed, **done[r]["kpis"]}
            for r in range(scenario.replications)]
    crops = [{"scenario": scenario.name, "replication": r, **row}
             for r in range(scenario.replications) for row in done[r]["crops"]]
    return ScenarioResult(scenario, the_plan, rows, done[0]["first"], time.perf_counter() - t0, crops)


def network_for_plot(the_plan: Plan) -> dict:
    net = the_plan.network
    return dict(hub_xy=(0.0, 0.0), village_xy=net.xy_km, residents=net.residents, served=net.served,
                routes=[list(r.stops) for r in the_plan.routes], township_xy=net.township_xy_km)


def write_results(result: ScenarioResult, out_dir: str | Path, figures: bool = True,
                  started: str | None = None, workers: int | None = None) -> list[Path]:
    """Write the results folder; every file is written atomically. The folder is
    marked incomplete (``manifest.json`` with ``status: incomplete``) and the files an
    earlier scenario run listed in its manifest are removed before anything new is
    written, so a kill or a full disk never leaves new tables beside old ones
    unmarked; the final manifest says ``complete``. Figures are drawn on ``workers``
    processes (default: every core)."""
    out = Path(out_dir)
    check_scenario_folder(out)
    sc = result.scenario
    started = started or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    old = _listed_files(out)
    write_json(out / "manifest.json", {"kind": "scenario", "status": "incomplete", "scenario": sc.name,
                                       "started_utc": started})
    for name in old:
        p = out / name
        if name != "manifest.json" and p.is_file():
            p.unlink()
    written = [
        write_csv(out / "runs.csv", RUN_COLUMNS, result.rows),
        write_csv(out / "summary.csv", SUMMARY_COLUMNS, result.summary),
        write_csv(out / "crops.csv", CROPS_COLUMNS, result.crop_rows or []),
        write_columns_csv(out / "daily.csv", {c: result.first.daily[c] for c in DAILY_COLUMNS}),
    ]
    written += write_detail(result, out)
    if figures:
        from sim.figures.county import draw_scenario_figures
        written += draw_scenario_figures(out, workers)
    stamp = make_stamp("scenario", sc.name, config_hash(sc), scenario_input_files(sc))
    net = result.plan.network
    manifest = {
        "kind": "scenario",
        "status": "complete",
        "scenario": sc.name,
        "config": scenario_data(sc),
        "config_sha256": stamp["config_sha256"],
        "inputs_sha256": stamp["inputs_sha256"],
        "code_version": stamp["code_version"],
        "county": {"source": sc.county.villages_csv or "generated from county.*", "villages": int(net.n),
                   "townships": len(net.township_xy_km), "residents": float(net.residents.sum()),
                   "stations": int(net.served.sum()), "routes": len(result.plan.routes)},
        "seed": sc.seed,
        "replications": sc.replications,
        "packages": package_versions(),
        "started_utc": started,
        "wall_time_s": round(result.wall_s, 3),
        "files": [*sorted(str(p.relative_to(out)) for p in written), "manifest.json"],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


def check_scenario_folder(out: Path) -> None:
    """A scenario's results go into a new folder or one of an earlier scenario run,
    never into an experiment's or a rollout's."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r}: exists and is not a folder")
    kind = folder_kind(out) if out.exists() else None
    if kind not in (None, "scenario"):
        raise InputError(f"{out}: holds the results of {a_kind(kind)}, not of a scenario; use another --out")
    if kind is None and out.exists() and (out / "runs").is_dir():
        raise InputError(f"{out}: holds an experiment's runs; use another --out")


def _listed_files(out: Path) -> list[str]:
    """The files an earlier scenario run wrote here (from its manifest), inside ``out``."""
    p = out / "manifest.json"
    try:
        listed = json.loads(p.read_text()).get("files", []) if p.is_file() else []
    except (OSError, ValueError, AttributeError):
        return []
    root = out.resolve()
    safe = []
    for name in listed if isinstance(listed, list) else []:
        if isinstance(name, str) and (out / name).resolve().is_relative_to(root):
            safe.append(name)
    return safe


def run_into(scenario: Scenario, out_dir: str | Path, *, figures: bool = True,
             progress: Callable[[int, int], None] | None = None, workers: int = 1) -> ScenarioResult:
    """Run a scenario's replications and write its results folder, refusing a folder
    of another kind or one that cannot be written before anything runs, and holding
    the folder's lock throughout."""
    out = Path(out_dir)
    check_scenario_folder(out)
    lock = lock_folder(out)
    from sim.experiments.engine import import_when_idle
    soon = import_when_idle("sim.figures.county", workers) if figures else None

    def tick(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)
        if soon is not None:
            soon(done, total)

    try:
        started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        result = run_scenario(scenario, tick, workers)
        write_results(result, out, figures=figures, started=started, workers=workers)
    finally:
        lock.close()
    return result


def write_detail(result: ScenarioResult, out: Path) -> list[Path]:
    """The first replication's detail, enough to redraw its figures from files:
    villages.csv (the county, stations and routes), lead_time_hist.csv and trips.csv."""
    net, first = result.plan.network, result.first
    route = result.plan.route_of_village
    stop = np.full(net.n, -1)
    for r in result.plan.routes:
        stop[r.stops] = np.arange(len(r.stops))
    seats = net.township_xy_km[net.township]
    villages = {"id": list(net.village_id), "township": [net.township_id[t] for t in net.township],
                "x_km": net.xy_km[:, 0], "y_km": net.xy_km[:, 1],
                "township_x_km": seats[:, 0], "township_y_km": seats[:, 1],
                "residents": net.residents, "road_class": [ROAD_CLASSES[c] for c in net.road_class],
                "served": net.served, "route": route, "stop": stop}
    counts = first.lead.counts
    nz = np.flatnonzero(counts)
    hist = {"lead_time_from_h": nz * first.lead.bin_h, "lead_time_to_h": (nz + 1) * first.lead.bin_h,
            "parcels": counts[nz]}
    trips = {"trip": np.arange(len(first.load_in)), "load_factor_in": first.load_in, "load_factor_out": first.load_out}
    return [write_columns_csv(out / "villages.csv", villages), write_columns_csv(out / "lead_time_hist.csv", hist),
            write_columns_csv(out / "trips.csv", trips)]
