"""Per-parcel lead times kept as a fine histogram (bins of 0.01 h = 36 s) plus an
exact sum: the mean is exact, quantiles are exact to one bin, and memory does not
grow with the number of parcels."""
from __future__ import annotations

import numpy as np

BIN_H = 0.01


class LeadTimes:
    """Histogram of lead times in hours (non-negative). Arrays added are buffered and
    binned in bulk, so adding costs little per call and memory stays bounded."""

    FLUSH_AT = 1 << 20

    def __init__(self, bin_h: float = BIN_H):
        self.bin_h = bin_h
        self._counts = np.zeros(0, dtype=np.int64)
        self._buf: list[np.ndarray] = []
        self._buffered = 0
        self.total_h = 0.0
        self.n = 0

    def add(self, lead_h: np.ndarray) -> None:
        if len(lead_h):
            self._buf.append(lead_h)
            self._buffered += len(lead_h)
            if self._buffered >= self.FLUSH_AT:
                self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        lead = np.concatenate(self._buf)
        self._buf, self._buffered = [], 0
        self.total_h += float(lead.sum())
        self.n += len(lead)
        c = np.bincount((lead * (1.0 / self.bin_h)).astype(np.int64))
        if len(c) > len(self._counts):
            c[: len(self._counts)] += self._counts
            self._counts = c
        else:
            self._counts[: len(c)] += c

    @property
    def counts(self) -> np.ndarray:
        """Parcels per bin; bin k holds lead times in [k, k+1) x bin_h."""
        self._flush()
        return self._counts

    @property
    def count(self) -> int:
        self._flush()
        return self.n

    @property
    def mean_h(self) -> float:
        self._flush()
        return self.total_h / self.n if self.n else float("nan")

    def quantile_h(self, q: float) -> float:
        """The q-quantile, as the upper edge of the bin in which it falls."""
        counts = self.counts
        if not self.n:
            return float("nan")
        k = int(np.searchsorted(np.cumsum(counts), q * self.n, side="left"))
        return (k + 1) * self.bin_h

    @property
    def min_h(self) -> float:
        nz = np.flatnonzero(self.counts)
        return float(nz[0] * self.bin_h) if len(nz) else float("nan")
