"""Parcels and produce in batches: arrays of per-parcel order times and per-lot
kilograms that move together, so no SimPy event is ever spent on one parcel."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Parcels:
    """Parcels in first-in-first-out order: destination village, order time and hub
    arrival time (h since the start of the run; NaN before the hub)."""
    village: np.ndarray
    t_order: np.ndarray
    t_hub: np.ndarray

    @classmethod
    def empty(cls) -> "Parcels":
        return cls(np.empty(0, np.int64), np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return len(self.village)

    def extend(self, other: "Parcels") -> None:
        if len(other):
            if len(self):
                self.village = np.concatenate([self.village, other.village])
                self.t_order = np.concatenate([self.t_order, other.t_order])
                self.t_hub = np.concatenate([self.t_hub, other.t_hub])
            else:
                self.village, self.t_order, self.t_hub = other.village, other.t_order, other.t_hub

    def pop_front(self, n: int) -> "Parcels":
        """Remove and return the first ``n`` parcels (all if fewer)."""
        n = max(0, min(int(n), len(self)))
        head = Parcels(self.village[:n], self.t_order[:n], self.t_hub[:n])
        self.village, self.t_order, self.t_hub = self.village[n:], self.t_order[n:], self.t_hub[n:]
        return head

    def select(self, mask: np.ndarray) -> "Parcels":
        return Parcels(self.village[mask], self.t_order[mask], self.t_hub[mask])


class Lots:
    """Lots of produce: village of origin, crop, offer time (h), expiry time (h: the
    lot spoils after it under its current storage) and kilograms. Stored as one
    (5, n) float array so that moving lots costs one array operation."""
    __slots__ = ("a",)
    VILLAGE, CROP, T_OFFER, T_EXPIRY, KG = range(5)

    def __init__(self, village, crop, t_offer, t_expiry, kg):
        self.a = np.array([village, crop, t_offer, t_expiry, kg], dtype=float).reshape(5, -1)

    @classmethod
    def _wrap(cls, a: np.ndarray) -> "Lots":
        out = cls.__new__(cls)
        out.a = a
        return out

    @classmethod
    def empty(cls) -> "Lots":
        return cls._wrap(np.empty((5, 0)))

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
    def kg(self) -> np.ndarray:
        return self.a[4]

    @property
    def total_kg(self) -> float:
        return float(self.a[4].sum())

    def extend(self, other: "Lots") -> None:
        if other.a.shape[1]:
            self.a = np.concatenate([self.a, other.a], axis=1) if self.a.shape[1] else other.a

    def select(self, idx) -> "Lots":
        return Lots._wrap(self.a[:, idx])

    def split(self, mask: np.ndarray) -> "Lots":
        """Remove and return the lots where ``mask`` is true."""
        out = Lots._wrap(self.a[:, mask])
        self.a = self.a[:, ~mask]
        return out

    def take_kg(self, idx: np.ndarray, take: np.ndarray) -> "Lots":
        """Remove ``take`` kg from lots ``idx`` (partial lots stay with the rest) and
        return what was taken."""
        take = np.minimum(take, self.a[4, idx])
        out = self.a[:, idx]
        out[4] = take
        rest = self.a.copy()
        rest[4, idx] -= take
        self.a = rest[:, rest[4] > 0.0]  # lots taken whole are exactly zero
        return Lots._wrap(out[:, take > 0])
