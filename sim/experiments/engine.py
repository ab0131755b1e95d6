"""The one run engine: tasks (an experiment's (scenario, replication) runs, a
rollout's (strategy, replication, county) runs) on a local process pool or a Dask
cluster. Each finished run is written to the run store before it counts as done, so a
crashed or killed run resumes with only what is missing; a run that raises is
recorded as a failure and the others go on; one progress display for all."""
from __future__ import annotations

import importlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from sim.errors import InputError
from sim.experiments.store import Key, RunStore, prepare_folder

# ---- executors --------------------------------------------------------------------------
Lost = Callable[[tuple, str], dict]
"""Builds the failure record of a task whose worker process died."""

WORKER_DIED = ("the worker process running it died (killed from outside, e.g. by the out-of-memory killer); "
               "it was run once more on its own and died again")


def _watch_parent() -> None:
    """In a pool worker: end this process when its parent is gone, so a killed run
    leaves no workers behind."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ruralsim-parent-watch").start()


class LocalExecutor:
    """Runs tasks in this process (workers=1) or in a process pool of at most as many
    workers as there are tasks. A task whose worker dies is run again once, alone; if
    it dies again it is recorded as a failure (``lost``) and the others go on."""

    def __init__(self, workers: int):
        self.workers = workers
        self.name = f"local process pool ({workers} workers)" if workers > 1 else "in-process (1 worker)"

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=_watch_parent)

    def run(self, tasks: list[tuple], fn: Callable[[tuple], dict], lost: Lost | None = None) -> Iterator[dict]:
        if not tasks:
            return
        workers = min(self.workers, len(tasks))
        if self.workers <= 1:
            for t in tasks:
                yield fn(t)
            return
        suspects: list[tuple] = []
        requeue: list[tuple] = []
        pool = self._pool(workers)
        try:
            pending: dict = {}
            it = iter(tasks)
            # keep a bounded number in flight so finished runs are written as they come
            for t in it:
                pending[pool.submit(fn, t)] = t
                if len(pending) >= 4 * workers:
                    break
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for f in done:
                    t = pending.pop(f)
                    try:
                        yield f.result()
                    except BrokenProcessPool:
                        suspects.append(t)
                        continue
                    nxt = next(it, None)
                    if nxt is not None:
                        try:
                            pending[pool.submit(fn, nxt)] = nxt
                        except BrokenProcessPool:  # the pool broke meanwhile: it runs in the next pool
                            requeue.append(nxt)
                if suspects and not pending:
                    break
            rest = requeue + list(it)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        # the tasks that were running when a worker died: once more, one at a time
        for t in suspects:
            yield self._alone(t, fn, lost)
        if rest:
            yield from self.run(rest, fn, lost)

    def _alone(self, task: tuple, fn: Callable[[tuple], dict], lost: Lost | None) -> dict:
        pool = self._pool(1)
        try:
            return pool.submit(fn, task).result()
        except BrokenProcessPool:
            if lost is None:
                raise
            return lost(task, WORKER_DIED)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Nothing is kept between runs (each call of ``run`` starts its own pool)."""


SCHEDULER_TIMEOUT_S = 30.0
"""How long ``--scheduler`` waits for a Dask scheduler to answer before giving up."""
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://\[?[A-Za-z0-9.:_-]+\]?:\d{1,5}$")


class DaskExecutor:
    """Sends the same tasks to a Dask distributed scheduler."""

    def __init__(self, address: str, timeout_s: float = SCHEDULER_TIMEOUT_S):
        if not isinstance(address, str) or not _ADDRESS.match(address):
            raise InputError(f"--scheduler {address!r}: not a scheduler address; expected e.g. tcp://host:8786")
        try:
            from dask.distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'ruralsim[dask]'") from None
        box: dict = {}

        def connect() -> None:
            try:
                box["client"] = Client(address, timeout=f"{int(timeout_s)}s")
            except BaseException as exc:  # reported below
                box["error"] = exc

        # a server that is not a Dask scheduler can hold the handshake for ever: a hard deadline
        th = threading.Thread(target=connect, daemon=True, name="ruralsim-dask-connect")
        th.start()
        th.join(timeout_s + 5.0)
        if "client" not in box:
            why = f"cannot connect: {box['error']}" if "error" in box else \
                f"no Dask scheduler answered within {timeout_s + 5.0:.0f} s"
            raise InputError(f"--scheduler {address!r}: {why}")
        self.client = box["client"]
        self.name = f"dask scheduler {address}"
        self._check_workers_code(address)

    def _check_workers_code(self, address: str) -> None:
        """Refuse workers that run other code than this checkout, or other versions of the
        packages that can change a run's numbers: a long-lived worker keeps the modules it
        imported, and its results would be stamped with this checkout's code and versions."""
        from sim.experiments.stamp import code_version, loaded_result_packages, result_packages, worker_identity
        mine, my_packages = code_version(), loaded_result_packages()
        try:
            theirs = self.client.run(worker_identity)
        except Exception as exc:   # a worker without the package cannot run a task either
            self.client.close()
            raise InputError(f"--scheduler {address!r}: cannot ask the workers for their code version: "
                             f"{type(exc).__name__}: {exc}") from None
        other = {w: v["code"] for w, v in sorted(theirs.items()) if v["code"] != mine}
        if other:
            self.client.close()
            shown = ", ".join(f"{w} runs {v}" for w, v in list(other.items())[:3])
            raise InputError(f"--scheduler {address!r}: workers run other code than this checkout ({mine}): "
                             f"{shown}; restart them from this checkout")
        other_packages = {w: v["packages"] for w, v in sorted(theirs.items()) if v["packages"] != my_packages}
        if other_packages:
            self.client.close()
            shown = ", ".join(f"{w} has " + ", ".join(f"{k} {v}" for k, v in sorted(pk.items())
                                                      if my_packages.get(k) != v)
                              for w, pk in list(other_packages.items())[:3])
            raise InputError(f"--scheduler {address!r}: workers run other package versions than this checkout "
                             f"({result_packages()}): {shown}; install the pinned ones on them (pip install -e "
                             "'.[dask,pinned]') and restart them")

    def run(self, tasks: list[tuple], fn: Callable[[tuple], dict], lost: Lost | None = None) -> Iterator[dict]:
        from dask.distributed import as_completed
        futures = {self.client.submit(fn, t, pure=False): t for t in tasks}
        for f in as_completed(list(futures)):
            try:
                yield f.result()
            except Exception as exc:  # a lost worker after the scheduler's own retries
                if lost is None:
                    raise
                yield lost(futures[f], f"the Dask cluster lost the task: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.client.close()


# ---- running tasks ---------------------------------------------------------------------
def json_default(o):
    """numpy scalars in run records as plain numbers."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    raise TypeError(type(o).__name__)


def make_executor(workers: int | None, scheduler: str | None):
    """The Dask executor for a scheduler address, else the local pool (default: all cores)."""
    return DaskExecutor(scheduler) if scheduler else LocalExecutor(workers or os.cpu_count() or 1)


def open_run(out: Path, stamp: dict, fresh: bool, key_of: Callable[[Mapping], Key], outputs: tuple[str, ...],
             workers: int | None, scheduler: str | None):
    """The executor and the started (or resumed) results folder of a run. The executor
    comes first, so a bad scheduler fails before the folder is touched; it is closed
    again if the folder is refused."""
    executor = make_executor(workers, scheduler)
    try:
        return executor, prepare_folder(out, stamp, fresh, key_of, outputs)
    except BaseException:
        executor.close()
        raise


def run_tasks(tasks: list[tuple], fn: Callable[[tuple], dict], executor, store: RunStore,
              progress: Callable[[int, int, int], None] | None = None,
              counted: tuple[int, int] = (0, 0), lost: Lost | None = None) -> list[dict]:
    """Run ``tasks`` with ``fn`` (which returns a record with ``ok``; it never raises)
    on ``executor``, writing each record to ``store`` as it comes. ``counted`` is
    (runs, failures) already shown by ``progress`` in earlier rounds; ``lost`` builds
    the failure record of a task whose worker died twice."""
    n_done, n_failed = counted
    total = n_done + len(tasks)
    out = []
    for rec in executor.run(tasks, fn, lost):
        store.write(rec, default=json_default)
        out.append(rec)
        n_done += 1
        n_failed += 0 if rec["ok"] else 1
        if progress:
            progress(n_done, total, n_failed)
    return out


def import_when_idle(module: str, workers: int) -> Callable[[int, int], None]:
    """A progress hook (runs done, runs in all): once fewer runs are left than there are
    ``workers``, import ``module`` (what comes after the runs needs it: matplotlib for the
    figures), so it loads while a worker has nothing left to run, not after the last run."""
    def hook(done: int, total: int) -> None:
        if total - done < workers:
            importlib.import_module(module)
    return hook


def unusable_runs_text(problems: dict[str, str], limit: int = 10) -> str:
    """One line per run file that could not be used (and whose run is done again)."""
    lines = [f"{len(problems)} run file(s) could not be used and are run again:"]
    lines += [f"  {path}: {why}" for path, why in list(problems.items())[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


class Progress:
    """Counts, rate and time left: a bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool = False, stream=None, every_s: float = 10.0):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.every_s = every_s

    def note(self, text: str) -> None:
        """A message for the person running (on its own lines, even when quiet)."""
        self.stream.write(text + "\n")
        self.stream.flush()

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
