"""Surge capacity: the decisions to hire spot trunk trucks, extra last-mile vehicles
and temporary sorters (taken from counters at a departure, a day's first vehicle
departure or a trunk arrival), and a pool of sorters whose size can change."""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy


def extra_vehicles(backlog: np.ndarray, own: np.ndarray, capacity: int | np.ndarray, threshold: float,
                   most: int) -> np.ndarray:
    """Extra vehicles each route hires for the day: where the parcels waiting
    (``backlog``) exceed ``threshold`` vehicle loads, enough to carry what the route's
    ``own`` available vehicles cannot, at most ``most``; elsewhere none. ``capacity``:
    one vehicle's parcels, for every route or per route (a mixed fleet)."""
    backlog = np.asarray(backlog, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64)
    if most <= 0 or not (cap > 0).any():
        return np.zeros(len(backlog), dtype=np.int64)
    need = -(-backlog // np.maximum(cap, 1)) - np.asarray(own, dtype=np.int64)   # ceil(backlog / capacity) - own
    return np.where((cap > 0) & (backlog > threshold * cap), np.clip(need, 0, most), 0).astype(np.int64)


def temp_sorters(waiting: int, sorters: int, per_sorter_shift: float, most: int) -> int:
    """Temporary sorters wanted when ``waiting`` parcels exceed what ``sorters`` sort
    in a shift (``per_sorter_shift`` parcels each): enough to sort them all in a
    shift, at most ``most``."""
    if most <= 0 or waiting <= sorters * per_sorter_shift:
        return 0
    wanted = waiting / per_sorter_shift   # sorters a shift needs (inf for a shift too short to sort a parcel)
    return most if wanted >= most + sorters else min(most, max(0, math.ceil(wanted) - sorters))


class SorterPool:
    """Servers of the sorting queue, first come first served, like a SimPy
    ``Resource`` (the same event order) but with a capacity that may change while
    lots wait, and may be 0 (lots then wait until a sorter comes). A sorter who
    leaves finishes the lot in hand."""

    def __init__(self, env: simpy.Environment, capacity: int):
        self.env, self.capacity = env, capacity
        self.busy = 0
        self.queue: deque[simpy.Event] = deque()

    def request(self) -> simpy.Event:
        """An event that fires when a sorter takes the lot."""
        ev = self.env.event()
        self.queue.append(ev)
        self._admit(1)
        return ev

    def release(self) -> None:
        """A sorter finishes a lot; the next waiting lot is taken up as an event of its own."""
        self.busy -= 1
        ev = self.env.event()
        ev.callbacks.append(lambda _e: self._admit(1))
        ev.succeed()

    def set_capacity(self, capacity: int) -> None:
        self.capacity = capacity
        self._admit(len(self.queue))

    def _admit(self, most: int) -> None:
        while most > 0 and self.queue and self.busy < self.capacity:
            self.busy += 1
            self.queue.popleft().succeed()
            most -= 1
