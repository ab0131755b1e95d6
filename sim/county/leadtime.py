"""Per-parcel lead times kept as a fine histogram (bins of 0.01 h = 36 s) plus an
exact sum: the mean is exact, quantiles are exact to one bin, and memory does not
grow with the number of parcels."""
from __future__ import annotations

import numpy as np

BIN_H = 0.01


class LeadTimes:
    """Histogram of lead times in hours (non-negative)."""

    def __init__(self, bin_h: float = BIN_H):
        self.bin_h = bin_h
        self.counts = np.zeros(0, dtype=np.int64)   # bin k holds lead times in [k, k+1) x bin_h
        self.total_h = 0.0
        self.n = 0

    @classmethod
    def from_bins(cls, lower_h, parcels, bin_h: float = BIN_H) -> LeadTimes:
        """A histogram rebuilt from written bins (lower edges and counts); the mean
        is then exact to the bin width."""
        out = cls(bin_h)
        k = np.rint(np.asarray(lower_h, float) / bin_h).astype(np.intp)
        c = np.asarray(parcels, dtype=np.int64)
        if len(k):
            out.counts = np.bincount(k, weights=c, minlength=k.max() + 1).astype(np.int64)
            out.n = int(c.sum())
            out.total_h = float(((k + 0.5) * bin_h * c).sum())
        return out

    def add(self, lead_h: np.ndarray) -> None:
        """Add lead times (the array is overwritten)."""
        if len(lead_h) == 0:
            return
        self.total_h += float(np.add.reduce(lead_h))
        self.n += len(lead_h)
        lead_h *= 1.0 / self.bin_h
        c = np.bincount(lead_h.astype(np.intp))
        if len(c) > len(self.counts):
            c[: len(self.counts)] += self.counts
            self.counts = c
        else:
            self.counts[: len(c)] += c

    @property
    def mean_h(self) -> float:
        return self.total_h / self.n if self.n else float("nan")

    def quantile_h(self, q: float) -> float:
        """The q-quantile, as the upper edge of the bin in which it falls."""
        if not self.n:
            return float("nan")
        k = int(np.searchsorted(np.cumsum(self.counts), q * self.n, side="left"))
        return (k + 1) * self.bin_h

    @property
    def min_h(self) -> float:
        nz = np.flatnonzero(self.counts)
        return float(nz[0] * self.bin_h) if len(nz) else float("nan")
