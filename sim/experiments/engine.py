"""Running an experiment's (scenario, replication) runs on a local process pool or a
Dask cluster. Each finished run is written atomically to its own file before it
counts as done, so a crashed or killed sweep resumes with only what is missing; a
run that raises is recorded as a failure and the others go on."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from sim.errors import InputError
from sim.experiments.spec import Experiment
from sim.files import atomic_write_text
from sim.analysis.statistics import needs_more_replications

FAIL_ENV = "RURALSIM_FAIL_RUNS"
"""Fault injection for tests: comma-separated ``scenario_id:replication`` runs that raise."""


def code_version() -> str:
    """Package version plus a hash of every module of the package (recursively, with
    their paths), so results from other code are noticed."""
    from sim import __version__
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


# ---- the work done in a worker ------------------------------------------------------
_PLANS: dict = {}


def run_one(task: tuple) -> dict:
    """Run replication ``r`` of a scenario (in a worker). Returns the KPI row and
    timings, or the error with its traceback: a failure never raises here."""
    scenario_id, r, scenario = task
    from sim.county.kpis import run_replication
    from sim.county.model import plan
    t0 = time.perf_counter()
    try:
        injected = {x.strip() for x in os.environ.get(FAIL_ENV, "").split(",") if x.strip()}
        if f"{scenario_id}:{r}" in injected:
            raise RuntimeError(f"injected failure of run {scenario_id}:{r} ({FAIL_ENV})")
        if scenario_id not in _PLANS:
            _PLANS.clear()  # keep one plan per worker: memory stays bounded in long sweeps
            _PLANS[scenario_id] = plan(scenario)
        t1 = time.perf_counter()
        res = run_replication(scenario, r, _PLANS[scenario_id])
        t2 = time.perf_counter()
        return {"ok": True, "scenario_id": scenario_id, "replication": r, "seed": scenario.seed,
                "kpis": res.kpis, "plan_s": t1 - t0, "sim_s": t2 - t1}
    except Exception as exc:  # recorded as a failure by the engine
        return {"ok": False, "scenario_id": scenario_id, "replication": r, "seed": scenario.seed,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


# ---- the run folder -------------------------------------------------------------------
@dataclass
class RunStore:
    """DIR/runs/<scenario_id>/r<replication>.json for finished runs and
    DIR/failures/<scenario_id>_r<replication>.json for failed ones."""
    root: Path

    def run_path(self, sid: str, r: int) -> Path:
        return self.root / "runs" / sid / f"r{r:05d}.json"

    def failure_path(self, sid: str, r: int) -> Path:
        return self.root / "failures" / f"{sid}_r{r:05d}.json"

    def done(self) -> dict[tuple[str, int], dict]:
        out = {}
        for p in sorted((self.root / "runs").glob("*/r*.json")):
            rec = json.loads(p.read_text())
            out[(rec["scenario_id"], rec["replication"])] = rec
        return out

    def failures(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted((self.root / "failures").glob("*.json"))]

    def write(self, rec: dict) -> None:
        sid, r = rec["scenario_id"], rec["replication"]
        if rec["ok"]:
            atomic_write_text(self.run_path(sid, r), json.dumps(rec, sort_keys=True) + "\n")
            fp = self.failure_path(sid, r)
            if fp.exists():
                fp.unlink()
        else:
            atomic_write_text(self.failure_path(sid, r), json.dumps(rec, sort_keys=True) + "\n")

    def clean_temporaries(self) -> None:
        for p in self.root.rglob(".*.tmp"):
            p.unlink()


def prepare_folder(exp: Experiment, out: Path, fresh: bool) -> RunStore:
    """Start or resume a results folder. A folder started with another config or
    code version is refused unless ``fresh`` (which clears it)."""
    stamp = {"config_sha256": exp.config_hash(), "code_version": code_version()}
    marker = out / "experiment.json"
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r}: exists and is not a folder")
    if marker.exists() and not fresh:
        old = json.loads(marker.read_text())
        changed = [k for k in stamp if old.get(k) != stamp[k]]
        if changed:
            raise InputError(f"{out}: was started with a different {' and '.join(c.replace('_sha256', '') for c in changed)} "
                             f"({', '.join(f'{k} {old.get(k)!r} now {stamp[k]!r}' for k in changed)}); "
                             "use --fresh to discard its runs and start again, or another --out")
    elif not marker.exists() and out.exists() and any(out.iterdir()) and not fresh:
        if (out / "runs").exists() or (out / "runs.csv").exists():
            raise InputError(f"{out}: holds results of an unknown experiment; use --fresh to replace them, or another --out")
    if fresh and out.exists():
        for sub in ("runs", "failures"):
            for p in sorted((out / sub).rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
        for name in ("runs.csv", "summary.csv", "comparisons.csv", "failures.csv", "manifest.json", "experiment.json"):
            if (out / name).exists():
                (out / name).unlink()
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps(stamp | {"experiment": exp.name}, indent=2, sort_keys=True) + "\n")
    store = RunStore(out)
    store.clean_temporaries()
    return store


# ---- executors --------------------------------------------------------------------------
class LocalExecutor:
    """Runs tasks in this process (workers=1) or in a process pool."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        self.name = f"local process pool ({workers} workers)" if self.pool else "in-process (1 worker)"

    def run(self, tasks: list[tuple], fn=run_one) -> Iterable[dict]:
        if self.pool is None:
            for t in tasks:
                yield fn(t)
            return
        # keep a bounded number in flight so finished runs are written as they come
        pending = set()
        it = iter(tasks)
        for t in it:
            pending.add(self.pool.submit(fn, t))
            if len(pending) >= 4 * self.workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(self.pool.submit(fn, nxt))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Sends the same tasks to a Dask distributed scheduler."""

    def __init__(self, address: str):
        try:
            from dask.distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'ruralsim[dask]'") from None
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {address!r}: cannot connect: {exc}") from None
        self.name = f"dask scheduler {address}"

    def run(self, tasks: list[tuple], fn=run_one) -> Iterable[dict]:
        from dask.distributed import as_completed
        futures = [self.client.submit(fn, t, pure=False) for t in tasks]
        for f in as_completed(futures):
            yield f.result()

    def close(self) -> None:
        self.client.close()


# ---- the sweep -------------------------------------------------------------------------
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
            need = any(needs_more_replications([row[k] for row in rows], pol.relative_half_width)
                       for k in pol.kpis)
            target = min(pol.max, n + pol.batch) if need else n
        for r in range(target):
            if (spec.id, r) not in done:
                tasks.append((spec.id, r, spec.scenario))
    return tasks


def run_sweep(exp: Experiment, store: RunStore, executor, progress: Callable[[int, int, int], None] | None = None,
              attempted: set | None = None) -> tuple[dict, list[dict], float]:
    """Run rounds until nothing is missing. Returns (finished runs, failures of this
    invocation, wall seconds)."""
    t0 = time.perf_counter()
    done = store.done()
    failures: list[dict] = []
    attempted = set() if attempted is None else attempted
    total_done = 0
    while True:
        tasks = [t for t in plan_tasks(exp, done) if (t[0], t[1]) not in attempted]
        if not tasks:
            break
        for t in tasks:
            attempted.add((t[0], t[1]))
        expected = total_done + len(tasks)
        for rec in executor.run(tasks):
            store.write(rec)
            if rec["ok"]:
                done[(rec["scenario_id"], rec["replication"])] = rec
            else:
                failures.append(rec)
            total_done += 1
            if progress:
                progress(total_done, expected, len(failures))
    return done, failures, time.perf_counter() - t0


class Progress:
    """Counts, rate and time left: a bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool = False, stream=None, every_s: float = 10.0):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.every_s = every_s

    def __call__(self, done: int, total: int, failed: int) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        el = now - self.t0
        rate = done / el if el > 0 else 0.0
        left = (total - done) / rate if rate > 0 else float("nan")
        text = f"{done}/{total} runs, {failed} failed, {rate:.1f} runs/s, ~{left:.0f} s left"
        if self.tty:
            width = 30
            fill = int(width * done / max(total, 1))
            self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {text}   ")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        elif done == total or now - self.last >= self.every_s:
            self.stream.write(text + "\n")
            self.stream.flush()
            self.last = now
