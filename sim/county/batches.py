"""Parcels and produce in batches: arrays of per-parcel order times and per-lot
kilograms that move together, so no SimPy event is ever spent on one parcel."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


def concat(parts) -> np.ndarray:
    """The arrays ``parts`` end to end (an empty float array if there are none)."""
    return np.concatenate(parts) if parts else np.empty(0)


@dataclass
class Chunk:
    """Parcels ordered in one stretch of a day, travelling together from the city
    warehouse: destination village and order time (h since the start of the run)
    per parcel, grouped by last-mile route (route r's parcels are
    ``bounds[r]:bounds[r+1]``) so the hub splits a truckload without sorting."""
    village: np.ndarray
    t_order: np.ndarray
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.village)

    @property
    def t_max(self) -> float:
        """The latest order time (worked out once: a chunk's parcels never change)."""
        t = self.__dict__.get("_t_max")
        if t is None:
            t = self.__dict__["_t_max"] = float(np.maximum.reduce(self.t_order)) if len(self.t_order) \
                else float("-inf")
        return t

    def split(self, mask: np.ndarray, route_of: np.ndarray) -> tuple[Chunk, Chunk]:
        """(parcels where ``mask``, the rest); both stay grouped by route."""
        n_routes = len(self.bounds) - 1
        parts = []
        for m in (mask, ~mask):
            v = self.village[m]
            b = np.concatenate([[0], np.cumsum(np.bincount(route_of[v], minlength=n_routes))])
            parts.append(Chunk(v, self.t_order[m], b))
        return parts[0], parts[1]


class ParcelQueue:
    """First-in-first-out parcels as a deque of segments (village, order time, time
    they joined the queue): joining and leaving cost no copy of what waits."""

    def __init__(self):
        self._segs: deque = deque()
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def count(self) -> int:
        """Parcels in the queue, counted segment by segment (for the conservation check)."""
        return sum(len(seg[0]) for seg in self._segs)

    def push(self, village: np.ndarray, t_order: np.ndarray, t_in: float) -> None:
        if len(village):
            self._segs.append((village, t_order, t_in))
            self.n += len(village)

    def pop(self, n: int) -> tuple[list, list, float]:
        """Remove the first ``n`` parcels (all if fewer): (village arrays, order-time
        arrays, sum of their times of joining the queue). The arrays are the queue's
        own segments (views), so nothing is copied here."""
        vs, ts, stamps, need = [], [], 0.0, min(int(n), self.n)
        self.n -= need
        while need:
            v, t, t_in = self._segs[0]
            if len(v) <= need:
                self._segs.popleft()
            else:
                self._segs[0] = (v[need:], t[need:], t_in)
                v, t = v[:need], t[:need]
            vs.append(v)
            ts.append(t)
            stamps += len(v) * t_in
            need -= len(v)
        return vs, ts, stamps


class Lots:
    """Lots of produce: village of origin, crop, offer time (h), expiry time (h: the
    lot spoils after it under its current storage), kilograms, whether it is in
    a cold room now (its expiry then assumes it stays cold) and its channel (0: bulk
    to the wholesale market, 1: parcels ordered by city customers). Stored as one
    (7, n) float array so that moving lots costs one array operation."""
    __slots__ = ("a",)
    VILLAGE, CROP, T_OFFER, T_EXPIRY, KG, COLD, CHANNEL = range(7)

    def __init__(self, village, crop, t_offer, t_expiry, kg, cold=None, channel=None):
        kg = np.asarray(kg, dtype=float).reshape(-1)
        a = self.a = np.empty((7, len(kg)))
        a[0], a[1], a[2], a[3], a[4] = village, crop, t_offer, t_expiry, kg
        a[5] = 0.0 if cold is None else cold
        a[6] = 0.0 if channel is None else channel

    @classmethod
    def _wrap(cls, a: np.ndarray) -> Lots:
        out = cls.__new__(cls)
        out.a = a
        return out

    @classmethod
    def empty(cls) -> Lots:
        return cls._wrap(np.empty((7, 0)))

    def __len__(self) -> int:
        return self.a.shape[1]

    @property
    def village(self) -> np.ndarray:
        return self.a[0].astype(np.intp)

    @property
    def crop(self) -> np.ndarray:
        return self.a[1].astype(np.intp)

    @property
    def t_offer(self) -> np.ndarray:
        return self.a[2]

    @property
    def t_expiry(self) -> np.ndarray:
        return self.a[3]

    @t_expiry.setter
    def t_expiry(self, value) -> None:
        self.a[3] = value

    @property
    def channel(self) -> np.ndarray:
        return self.a[6].astype(np.intp)

    @property
    def kg(self) -> np.ndarray:
        return self.a[4]

    @property
    def total_kg(self) -> float:
        return float(np.add.reduce(self.a[4]))

    def extend(self, other: Lots) -> None:
        if other.a.shape[1]:
            self.a = np.concatenate([self.a, other.a], axis=1) if self.a.shape[1] else other.a

    def select(self, idx) -> Lots:
        return Lots._wrap(self.a[:, idx])

    def split(self, mask: np.ndarray) -> Lots:
        """Remove and return the lots where ``mask`` is true."""
        out = Lots._wrap(self.a[:, mask])
        self.a = self.a[:, ~mask]
        return out

    def take_kg(self, idx: np.ndarray, take: np.ndarray) -> Lots:
        """Remove ``take`` kg from lots ``idx`` (partial lots stay with the rest) and
        return what was taken."""
        take = np.minimum(take, self.a[4, idx])
        out = self.a[:, idx]
        out[4] = take
        rest = self.a.copy()
        rest[4, idx] -= take
        self.a = rest[:, rest[4] > 0.0]  # lots taken whole are exactly zero
        return Lots._wrap(out[:, take > 0])
