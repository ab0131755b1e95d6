"""Reading the experiment tables for figures: which columns are factors, their distinct values,
one KPI's rows, and means combined over scenarios.

The tables are plain lists of dicts as read from CSV (numbers already converted); see
:mod:`sim.figures.experiment` for their columns.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from sim.figures.base import as_float, short_name

#: Columns of the experiment tables that are not factors (everything else in a summary/runs row is).
NON_FACTOR_COLUMNS = frozenset({
    "scenario_id", "scenario", "kpi", "n", "mean", "std", "ci95_half_width", "baseline_id",
    "replication", "seed", "n_pairs", "mean_diff", "ci95_low", "ci95_high", "var_reduction",
    "p_value", "p_holm", "significant_holm",
})


def norm(value):
    """Normalise a factor value for grouping: missing -> None, numbers -> float, bools kept, else str."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, str):
        return value if value.strip() else None
    return str(value)


def sort_key(value):
    if value is None:
        return (3, 0.0, "")
    if isinstance(value, bool):
        return (1, float(value), "")
    if isinstance(value, float):
        return (0, value, "")
    return (2, 0.0, str(value))


def fmt_value(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def factor_columns(rows: Iterable[Mapping]) -> list[str]:
    """Factor keys of the table rows (every key that is not a standard column), in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in NON_FACTOR_COLUMNS:
                seen.setdefault(key, None)
    return list(seen)


def distinct(rows: Iterable[Mapping], key: str) -> list:
    """Sorted distinct non-missing (normalised) values of ``key``."""
    vals = {norm(r.get(key)) for r in rows}
    vals.discard(None)
    return sorted(vals, key=sort_key)


def resolve(rows: Sequence[Mapping], key: str, what: str = "factor") -> str:
    """``key`` itself if the rows have it, else the unique factor whose short name is ``key``."""
    if any(key in r for r in rows):
        return key
    matches = [f for f in factor_columns(rows) if short_name(f) == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise KeyError(f"{what} {key!r} is ambiguous: {matches}")
    raise KeyError(f"{what} {key!r} not found in the table")


def kpi_rows(summary: Iterable[Mapping], kpi: str) -> list[Mapping]:
    return [r for r in summary if r.get("kpi") == kpi]


def is_numeric(values: Sequence) -> bool:
    return bool(values) and all(isinstance(v, float) for v in values)


def combine(means: Sequence[float], hws: Sequence[float]) -> tuple[float, float]:
    """Average of scenario means and the half-width of that average (independent means:
    sqrt(sum hw^2) / k); NaN half-width if any is missing."""
    m = np.asarray(means, dtype=float)
    h = np.asarray(hws, dtype=float)
    if m.size == 1:
        return float(m[0]), float(h[0])
    hw = float(np.sqrt(np.sum(h**2)) / h.size) if np.all(np.isfinite(h)) else float("nan")
    return float(np.mean(m)), hw


def summary_by_scenario(summary: Iterable[Mapping], kpi: str) -> dict[str, tuple[str, float, float]]:
    """scenario_id -> (label, mean, half-width) for one KPI (first row wins on duplicates)."""
    out: dict[str, tuple[str, float, float]] = {}
    for r in summary:
        if r.get("kpi") != kpi:
            continue
        sid = str(r.get("scenario_id"))
        if sid not in out:
            out[sid] = (str(r.get("scenario", sid)), as_float(r.get("mean")), as_float(r.get("ci95_half_width")))
    return out


def has_finite(rows: Iterable[Mapping], key: str) -> bool:
    """Whether some row has a finite number under ``key``."""
    return any(math.isfinite(as_float(r.get(key))) for r in rows)
