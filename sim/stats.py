"""Summary statistics over replications: mean, standard deviation and the 95%
Student-t confidence half-width."""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy import stats


def t_half_width(values: Sequence[float], confidence: float = 0.95) -> float:
    """Half-width of the two-sided Student-t interval for the mean (NaN for n < 2)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return float("nan")
    sd = float(np.std(x, ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))


def summarize(rows: Iterable[Mapping], columns: Sequence[str]) -> list[dict]:
    """Per KPI: replications with a finite value, mean, standard deviation and 95% t
    half-width. Non-finite values (a KPI undefined in a replication, e.g. cost per kg
    when nothing was sold) are left out and show as fewer replications."""
    rows = list(rows)
    out = []
    for col in columns:
        x = np.array([float(r[col]) for r in rows], dtype=float)
        x = x[np.isfinite(x)]
        n = len(x)
        out.append({
            "kpi": col,
            "n": n,
            "mean": float(x.mean()) if n else float("nan"),
            "std": float(np.std(x, ddof=1)) if n > 1 else float("nan"),
            "ci95_half_width": t_half_width(x),
        })
    return out
