"""Running a scenario's replications and writing its results folder: runs.csv,
summary.csv, daily.csv, manifest.json and figures."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import platform
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

from sim.config.scenario import ROAD_CLASSES, Scenario, scenario_data
from sim.county.kpis import DAILY_COLUMNS, KPI_COLUMNS, RunResult, run_replication
from sim.county.model import Plan, plan
from sim.files import write_columns_csv, write_csv, write_json
from sim.analysis.statistics import summarize

RUN_COLUMNS = ("scenario", "replication", "seed") + KPI_COLUMNS
SUMMARY_COLUMNS = ("kpi", "n", "mean", "std", "ci95_half_width")
PACKAGES = ("ruralsim", "simpy", "numpy", "scipy", "matplotlib", "click", "PyYAML")


@dataclass
class ScenarioResult:
    """All replications of one scenario."""
    scenario: Scenario
    plan: Plan
    rows: list[dict]
    first: RunResult
    wall_s: float

    @property
    def summary(self) -> list[dict]:
        return summarize(self.rows, KPI_COLUMNS)


def config_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved config (canonical JSON)."""
    text = json.dumps(scenario_data(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_scenario(scenario: Scenario, progress: Callable[[int, int], None] | None = None) -> ScenarioResult:
    """Run ``scenario.replications`` replications (replication r uses the random
    streams of (seed, r)); the routes are planned once and shared."""
    t0 = time.perf_counter()
    the_plan = plan(scenario)
    rows, first = [], None
    for r in range(scenario.replications):
        res = run_replication(scenario, r, the_plan)
        if first is None:
            first = res
        rows.append({"scenario": scenario.name, "replication": r, "seed": scenario.seed, **res.kpis})
        if progress:
            progress(r + 1, scenario.replications)
    return ScenarioResult(scenario, the_plan, rows, first, time.perf_counter() - t0)


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def network_for_plot(the_plan: Plan) -> dict:
    net = the_plan.network
    return dict(hub_xy=(0.0, 0.0), village_xy=net.xy_km, residents=net.residents, served=net.served,
                routes=[list(r.stops) for r in the_plan.routes], township_xy=net.township_xy_km)


def write_results(result: ScenarioResult, out_dir: str | Path, figures: bool = True,
                  started: str | None = None) -> list[Path]:
    """Write the results folder; every file is written atomically."""
    out = Path(out_dir)
    written = [
        write_csv(out / "runs.csv", RUN_COLUMNS, result.rows),
        write_csv(out / "summary.csv", SUMMARY_COLUMNS, result.summary),
        write_columns_csv(out / "daily.csv", {c: result.first.daily[c] for c in DAILY_COLUMNS}),
    ]
    written += write_detail(result, out)
    if figures:
        from sim.figures.county import draw_scenario_figures
        written += draw_scenario_figures(out)
    sc = result.scenario
    manifest = {
        "scenario": sc.name,
        "config": scenario_data(sc),
        "config_sha256": config_hash(sc),
        "seed": sc.seed,
        "replications": sc.replications,
        "packages": package_versions(),
        "started_utc": started or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(result.wall_s, 3),
        "files": sorted(str(p.relative_to(out)) for p in written) + ["manifest.json"],
    }
    written.append(write_json(out / "manifest.json", manifest))
    return written


def write_detail(result: ScenarioResult, out: Path) -> list[Path]:
    """The first replication's detail, enough to redraw its figures from files:
    villages.csv (the county, stations and routes), lead_time_hist.csv and trips.csv."""
    net, first = result.plan.network, result.first
    route = result.plan.route_of_village
    stop = np.full(net.n, -1)
    for r in result.plan.routes:
        stop[r.stops] = np.arange(len(r.stops))
    seats = net.township_xy_km[net.township]
    villages = {"id": list(net.village_id), "township": net.township, "x_km": net.xy_km[:, 0], "y_km": net.xy_km[:, 1],
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


def with_overrides(scenario: Scenario, seed: int | None = None, replications: int | None = None) -> Scenario:
    changes = {}
    if seed is not None:
        changes["seed"] = seed
    if replications is not None:
        changes["replications"] = replications
    return dataclasses.replace(scenario, **changes) if changes else scenario
