"""Running a whole experiment into its results folder: prepare or resume the
folder, run what is missing on the chosen engine, write the tables, the manifest
and the figures."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.tables import write_manifest, write_tables
from sim.experiments.engine import DaskExecutor, LocalExecutor, Progress, code_version, prepare_folder, run_sweep
from sim.experiments.spec import Experiment


@dataclass
class SweepOutcome:
    out: Path
    tables: dict
    engine: str
    wall_s: float
    sim_s: float
    runs_this_time: int

    @property
    def failed(self) -> int:
        return len(self.tables["failures"])


def run_experiment(exp: Experiment, out: str | os.PathLike, *, workers: int | None = None,
                   scheduler: str | None = None, fresh: bool = False, quiet: bool = False,
                   figures: bool = True, progress=None) -> SweepOutcome:
    """Run ``exp`` into ``out`` (resuming what is there) and write every output."""
    out = Path(out)
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    store = prepare_folder(exp, out, fresh)
    executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers or os.cpu_count() or 1)
    try:
        done, failures, wall = run_sweep(exp, store, executor, progress or Progress(quiet))
    finally:
        executor.close()
    tables = write_tables(exp, out, done, store.failures())
    new = {(f["scenario_id"], f["replication"]) for f in failures}
    sim_s = sum(rec.get("sim_s", 0.0) + rec.get("plan_s", 0.0) for key, rec in done.items() if key not in new)
    write_manifest(exp, out, tables, code_version=code_version(), engine=executor.name, started=started,
                   wall_s=wall, sim_s=sim_s, runs_this_time=len(tables["runs"]))
    if figures:
        draw_figures(exp, out, tables)
    return SweepOutcome(out, tables, executor.name, wall, sim_s, len(tables["runs"]))


def draw_figures(exp: Experiment, out: Path, tables: dict) -> list[Path]:
    from sim.figures.experiment import write_experiment_figures
    return write_experiment_figures(out / "figures", tables["summary"], tables["comparisons"], tables["runs"],
                                    exp.levers, exp.uncertainties, exp.kpis, exp.baseline_id)
