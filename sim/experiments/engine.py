"""The one run engine: tasks (an experiment's (scenario, replication) runs, a
rollout's (strategy, replication, county) runs) on a local process pool or a Dask
cluster. Each finished run is written to the run store before it counts as done, so a
crashed or killed run resumes with only what is missing; a run that raises is
recorded as a failure and the others go on; one progress display for all."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import numpy as np

from sim.errors import InputError
from sim.experiments.store import RunStore


# ---- executors --------------------------------------------------------------------------
class LocalExecutor:
    """Runs tasks in this process (workers=1) or in a process pool."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        self.name = f"local process pool ({workers} workers)" if self.pool else "in-process (1 worker)"

    def run(self, tasks: list[tuple], fn: Callable[[tuple], dict]) -> Iterable[dict]:
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

    def run(self, tasks: list[tuple], fn: Callable[[tuple], dict]) -> Iterable[dict]:
        from dask.distributed import as_completed
        futures = [self.client.submit(fn, t, pure=False) for t in tasks]
        for f in as_completed(futures):
            yield f.result()

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


def run_tasks(tasks: list[tuple], fn: Callable[[tuple], dict], executor, store: RunStore,
              progress: Callable[[int, int, int], None] | None = None,
              counted: tuple[int, int] = (0, 0)) -> list[dict]:
    """Run ``tasks`` with ``fn`` (which returns a record with ``ok``; it never raises)
    on ``executor``, writing each record to ``store`` as it comes. ``counted`` is
    (runs, failures) already shown by ``progress`` in earlier rounds."""
    n_done, n_failed = counted
    total = n_done + len(tasks)
    out = []
    for rec in executor.run(tasks, fn):
        store.write(rec, default=json_default)
        out.append(rec)
        n_done += 1
        n_failed += 0 if rec["ok"] else 1
        if progress:
            progress(n_done, total, n_failed)
    return out


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
