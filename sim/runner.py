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

from .config import Scenario, scenario_data
from .metrics import DAILY_COLUMNS, KPI_COLUMNS, RunResult, run_replication
from .model import Plan, plan
from .output import write_columns_csv, write_csv, write_json
from .stats import summarize

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
    if figures:
        from .plots import write_figures
        first = result.first
        written += write_figures(out / "figures", first.daily, first.lead, first.load_in,
                                 first.load_out, network_for_plot(result.plan))
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


def with_overrides(scenario: Scenario, seed: int | None = None, replications: int | None = None) -> Scenario:
    changes = {}
    if seed is not None:
        changes["seed"] = seed
    if replications is not None:
        changes["replications"] = replications
    return dataclasses.replace(scenario, **changes) if changes else scenario
