"""The hub's sorters as a first-come-first-served multi-server queue worked out
directly instead of with SimPy events: a lot's start and end times follow from the
sorters' end times and the capacity changes, so sorting costs no event.

The line is brought up to a time with :meth:`SortingLine.advance` before anything
reads it (the hub does this whenever it is asked for its stock, its queues or its
activity). Events are handled in time order; at one instant, a lot that ends is
finished before the sorter is given to the next lot, and capacity changes apply after
the lots ending at the same instant. These are the rules of a SimPy ``Resource``
queue with a changing capacity; only exact ties between a sort's end and another
component's event at the same instant may fall the other way."""
from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

INF = float("inf")


class SortingLine:
    """Sorters (``capacity`` of them, which may change and may be 0) working lots in
    arrival order. ``start(lot, t)`` is called when a sorter takes a lot at ``t`` and
    returns its sorting time (h); ``finish(lot, t)`` when the lot is sorted. A sorter
    who leaves finishes the lot in hand."""

    def __init__(self, capacity: int, start: Callable[[Any, float], float], finish: Callable[[Any, float], None]):
        self.capacity = capacity
        self._start, self._finish = start, finish
        self._busy: list[tuple[float, int, Any]] = []      # heap of (end time, order, lot)
        self._waiting: deque[Any] = deque()
        self._changes: list[tuple[float, int, int]] = []   # heap of (time, order, capacity change)
        self._order = 0

    @property
    def busy(self) -> int:
        return len(self._busy)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, lot: Any, now: float) -> None:
        """A lot joins the queue at ``now`` (the line must have been advanced to it)."""
        self._waiting.append(lot)
        self._admit(now)

    def add_capacity(self, delta: int, now: float) -> None:
        """Add ``delta`` sorters now (the line must have been advanced to ``now``)."""
        self.capacity += delta
        self._admit(now)

    def schedule_capacity(self, delta: int, at: float) -> None:
        """Add ``delta`` sorters (negative: remove them) at a later time ``at``."""
        self._order += 1
        heapq.heappush(self._changes, (at, self._order, delta))

    @property
    def next_t(self) -> float:
        """When the line next changes by itself (a lot ends or the capacity changes)."""
        t_end = self._busy[0][0] if self._busy else INF
        return min(t_end, self._changes[0][0]) if self._changes else t_end

    def pending_changes(self) -> list[tuple[float, int]]:
        """Capacity changes still to come: (time, change)."""
        return sorted((t, d) for t, _, d in self._changes)

    def advance(self, now: float) -> None:
        """Work the line out up to ``now``: finish the lots that end by then, start
        the waiting ones as sorters come free, apply the capacity changes due."""
        busy, changes = self._busy, self._changes
        while busy or changes:
            t_end = busy[0][0] if busy else INF
            t_change = changes[0][0] if changes else INF
            if t_end <= t_change:
                if t_end > now:
                    break
                _, _, lot = heapq.heappop(busy)
                self._finish(lot, t_end)
                self._admit(t_end)
            else:
                if t_change > now:
                    break
                _, _, delta = heapq.heappop(changes)
                self.capacity += delta
                self._admit(t_change)

    def _admit(self, t: float) -> None:
        while self._waiting and len(self._busy) < self.capacity:
            lot = self._waiting.popleft()
            self._order += 1
            heapq.heappush(self._busy, (t + self._start(lot, t), self._order, lot))


class UnitDraws:
    """Unit-mean service-time multipliers drawn from a generator in blocks, so each
    sort lot costs an array read rather than a generator call."""

    def __init__(self, rng: np.random.Generator, distribution: str, cv: float, block: int = 1024):
        self.rng, self.distribution, self.cv, self.block = rng, distribution, cv, block
        self._buf = np.empty(0)
        self._i = 0

    def _refill(self) -> None:
        rng, cv, n = self.rng, self.cv, self.block
        if self.distribution == "exponential":
            self._buf = rng.exponential(1.0, n)
        elif self.distribution == "deterministic" or cv < 1e-6:
            self._buf = np.ones(n)
        elif self.distribution == "gamma":
            shape = 1.0 / cv**2
            self._buf = rng.gamma(shape, 1.0 / shape, n)
        elif self.distribution == "lognormal":
            s2 = np.log1p(cv**2)
            self._buf = rng.lognormal(-s2 / 2, np.sqrt(s2), n)
        else:  # pragma: no cover - the schema admits only the four above
            raise ValueError(self.distribution)
        self._i = 0

    def next(self) -> float:
        if self._i >= len(self._buf):
            self._refill()
        x = self._buf[self._i]
        self._i += 1
        return float(x)
