"""Running a whole experiment into its results folder through the run engine: stamp
or resume the folder, run what is missing, write the tables, the manifest and the
figures."""
from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.statistics import needs_more_replications
from sim.experiments.engine import Progress, import_when_idle, open_run, run_tasks, unusable_runs_text
from sim.experiments.spec import Experiment
from sim.experiments.stamp import check_inputs_unchanged, make_stamp
from sim.experiments.store import RunStore, mark_incomplete
from sim.experiments.tables import write_manifest, write_tables
from sim.files import remove_figures

FAIL_ENV = "RURALSIM_FAIL_RUNS"
"""Fault injection for tests: comma-separated ``scenario_id:replication`` runs that raise;
``scenario_id:replication:kill`` makes the pool worker running it die (SIGKILL)."""


def inject_failure(run: str) -> None:
    """Raise (or, in a pool worker, die) if the fault-injection variable names ``run``."""
    injected = {x.strip() for x in os.environ.get(FAIL_ENV, "").split(",") if x.strip()}
    if f"{run}:kill" in injected and multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    if run in injected:
        raise RuntimeError(f"injected failure of run {run} ({FAIL_ENV})")


def lost_run(task: tuple, why: str) -> dict:
    """The failure record of a run whose worker process died."""
    scenario_id, r, scenario = task
    return {"ok": False, "scenario_id": scenario_id, "replication": r, "seed": scenario.seed,
            "error": f"WorkerLost: {why}", "traceback": ""}

OUTPUTS = ("runs.csv", "crops.csv", "summary.csv", "comparisons.csv", "failures.csv", "manifest.json")
"""The tables an experiment writes beside its run store (replaced by ``--fresh``)."""


def run_key(rec: Mapping) -> tuple[str, str]:
    """Where an experiment's run lives in the store: runs/<scenario id>/r<replication>.json."""
    return (rec["scenario_id"], f"r{rec['replication']:05d}")


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


# ---- the work done in a worker ------------------------------------------------------
_PLANS: dict = {}


def run_one(task: tuple) -> dict:
    """Run replication ``r`` of a scenario (in a worker). Returns the KPI row, the
    county actually simulated and timings, or the error with its traceback: a failure
    never raises here."""
    scenario_id, r, scenario = task
    from sim.county.kpis import run_replication
    from sim.county.planning import plan
    t0 = time.perf_counter()
    try:
        inject_failure(f"{scenario_id}:{r}")
        if scenario_id not in _PLANS:
            _PLANS.clear()  # keep one plan per worker: memory stays bounded in long sweeps
            _PLANS[scenario_id] = plan(scenario)
        the_plan = _PLANS[scenario_id]
        t1 = time.perf_counter()
        res = run_replication(scenario, r, the_plan)
        t2 = time.perf_counter()
        return {"ok": True, "scenario_id": scenario_id, "replication": r, "seed": scenario.seed,
                "kpis": res.kpis, "crops": res.crops, "county": county_summary(the_plan),
                "plan_s": t1 - t0, "sim_s": t2 - t1}
    except Exception as exc:  # recorded as a failure by the engine
        return {"ok": False, "scenario_id": scenario_id, "replication": r, "seed": scenario.seed,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def county_summary(the_plan) -> dict:
    """The county a run simulated (from its network, not from the config's defaults)."""
    net = the_plan.network
    return {"villages": int(net.n), "townships": len(net.township_xy_km),
            "residents": float(net.residents.sum()), "stations": int(net.served.sum()),
            "routes": len(the_plan.routes)}


# ---- rounds of runs -----------------------------------------------------------------
def plan_tasks(exp: Experiment, done: dict) -> list[tuple]:
    """The runs still missing in the current round: fixed replications, or for a
    sequential policy, the next batch of every scenario whose KPIs are not yet
    precise enough (decided from finished runs only, so the same whatever the
    workers)."""
    pol = exp.replications
    tasks = []
    for spec in exp.scenarios:
        have = sorted(r for (sid, r) in done if sid == spec.id)
        n = len(have)
        if not pol.sequential:
            target = pol.min
        elif n < pol.min:
            target = pol.min
        elif n >= pol.max:
            target = n
        else:
            rows = [done[(spec.id, r)]["kpis"] for r in have]
            rhw = float(pol.relative_half_width or 0.0)
            need = any(needs_more_replications([row[k] for row in rows], rhw) for k in pol.kpis)
            target = min(pol.max, n + pol.batch) if need else n
        for r in range(target):
            if (spec.id, r) not in done:
                tasks.append((spec.id, r, spec.scenario))
    return tasks


def run_sweep(exp: Experiment, store: RunStore, executor, progress: Callable[[int, int, int], None] | None = None,
              tail: Callable[[int, int], None] | None = None) -> tuple[dict, list[dict], float]:
    """Run rounds until nothing is missing. Returns (finished runs by (scenario id,
    replication), failures of this invocation, wall seconds). ``tail(done, total)`` is
    called after ``progress`` as each run ends."""
    t0 = time.perf_counter()

    def report(done: int, total: int, failed: int) -> None:
        if progress is not None:
            progress(done, total, failed)
        if tail is not None:
            tail(done, total)

    done = {(rec["scenario_id"], rec["replication"]): rec for rec in store.records()}
    if store.problems and progress is not None and hasattr(progress, "note"):
        progress.note(unusable_runs_text(store.problems))
    failures: list[dict] = []
    attempted: set = set()
    n_done = 0
    while True:
        tasks = [t for t in plan_tasks(exp, done) if (t[0], t[1]) not in attempted]
        if not tasks:
            break
        attempted.update((t[0], t[1]) for t in tasks)
        for rec in run_tasks(tasks, run_one, executor, store, report, (n_done, len(failures)), lost_run):
            n_done += 1
            if rec["ok"]:
                done[(rec["scenario_id"], rec["replication"])] = rec
            else:
                failures.append(rec)
    return done, failures, time.perf_counter() - t0


def experiment_stamp(exp: Experiment) -> dict:
    return make_stamp("experiment", exp.name, exp.config_hash(), exp.input_files())


def run_experiment(exp: Experiment, out: str | os.PathLike, *, workers: int | None = None,
                   scheduler: str | None = None, fresh: bool = False, quiet: bool = False,
                   figures: bool = True, progress=None) -> SweepOutcome:
    """Run ``exp`` into ``out`` (resuming what is there) and write every output."""
    out = Path(out)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    stamp = experiment_stamp(exp)
    executor, store = open_run(out, stamp, fresh, run_key, OUTPUTS, workers, scheduler)
    try:
        try:
            soon = import_when_idle("sim.figures.experiment", getattr(executor, "workers", 1)) if figures else None
            done, failures, wall = run_sweep(exp, store, executor, progress or Progress(quiet), soon)
        finally:
            executor.close()
        mark_incomplete(out, "experiment", exp.name, started)
        check_inputs_unchanged(stamp)
        tables = write_tables(exp, out, done, store.failures())
        new = {(f["scenario_id"], f["replication"]) for f in failures}
        sim_s = sum(rec.get("sim_s", 0.0) + rec.get("plan_s", 0.0) for key, rec in done.items() if key not in new)
        counties = {sid: rec["county"] for (sid, r), rec in sorted(done.items()) if r == 0 and "county" in rec}
        write_manifest(exp, out, tables, stamp=stamp, engine=executor.name, started=started,
                       wall_s=wall, sim_s=sim_s, runs_this_time=len(tables["runs"]), counties=counties)
        if figures:
            draw_figures(exp, out, tables, workers)
        else:   # figures of an earlier draw would not show these tables
            remove_figures(out / "figures")
    finally:
        store.close()
    return SweepOutcome(out, tables, executor.name, wall, sim_s, len(tables["runs"]))


def draw_figures(exp: Experiment, out: Path, tables: dict, workers: int | None = None) -> list[Path]:
    """The experiment's figures, drawn in parallel on ``workers`` local processes (default: every core)."""
    from sim.figures.experiment import write_experiment_figures
    return write_experiment_figures(out / "figures", tables["summary"], tables["comparisons"], tables["runs"],
                                    exp.levers, exp.uncertainties, exp.kpis, exp.baseline_id, workers=workers)
