"""Pareto fronts: which scenarios no other scenario beats on every objective."""
from __future__ import annotations

import numpy as np


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``points`` (n, d) when every column is minimised.

    A point is dominated if another point is <= in every column and < in at least one, so exact
    duplicates do not dominate each other (both stay on the front). Rows containing NaN are never on
    the front and dominate nothing. A 1-D array is treated as a single column.
    """
    p = np.asarray(points, dtype=float)
    if p.ndim == 1:
        p = p.reshape(-1, 1)
    if p.ndim != 2:
        raise ValueError(f"points must be 2-D (n, d), got shape {p.shape}")
    valid = np.all(np.isfinite(p), axis=1)
    mask = valid.copy()
    q = p[valid]
    for i in np.flatnonzero(valid):
        le = np.all(q <= p[i], axis=1)
        lt = np.any(q < p[i], axis=1)
        if np.any(le & lt):
            mask[i] = False
    return mask
