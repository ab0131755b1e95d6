"""The report's section on stations and agents: per strategy, the counties entered, stations
open and closed and the agents' income at the end of the horizon (means over replications of
``stations.csv``), and, where the config has reported points, the baseline's model value and
its residual at each."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sim.figures.base import as_float
from sim.figures.rollout import month_of

__all__ = ["stations_section"]


def _mean_at(rows: Sequence[Mapping], strategy: str, month: int, key: str) -> float:
    vals = [as_float(r.get(key)) for r in rows
            if str(r.get("strategy")) == strategy and month_of(r.get("month")) == month]
    vals = [v for v in vals if math.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def _text(v: float) -> str:
    """A count or an amount in CNY: whole numbers with thousands separators, else one decimal."""
    if not math.isfinite(v):
        return "n/a"
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 1000 else f"{v:,.1f}"


def stations_section(stations: Sequence[Mapping], order: Sequence[str], reported: Sequence[tuple[float, float]],
                     baseline: str | None) -> dict | None:
    """``{"month", "table", "calibration"}`` or None without ``stations`` rows: ``table`` has one
    row per strategy at the last month; ``calibration`` (None without reported points or baseline
    rows) one row per reported point: month, reported villages, the baseline's mean stations open
    and the residual model / reported - 1 in percent."""
    rows = list(stations or ())
    months = [m for m in (month_of(r.get("month")) for r in rows) if m is not None]
    if not months:
        return None
    last = max(months)
    body = []
    for s in order:
        if not any(str(r.get("strategy")) == s for r in rows):
            continue
        v = {k: _mean_at(rows, s, last, k) for k in ("counties_entered", "stations_open", "stations_closed",
                                                     "agent_income_median_cny", "agent_income_p10_cny")}
        body.append([s, _text(v["counties_entered"]), _text(v["stations_open"]), _text(v["stations_closed"]),
                     _text(v["agent_income_median_cny"]), _text(v["agent_income_p10_cny"])])
    table = {"header": ["Strategy", "Counties entered", "Stations open", "Stations closed",
                        "Agent income, median (CNY/month)", "Agent income, p10 (CNY/month)"], "body": body}
    calibration = None
    if reported and baseline is not None and any(str(r.get("strategy")) == baseline for r in rows):
        cal = []
        for m, pv in reported:
            model = _mean_at(rows, baseline, int(m), "stations_open")
            res = model / pv - 1.0 if math.isfinite(model) and pv else float("nan")
            cal.append([str(int(m)) if float(m).is_integer() else str(m), _text(pv), _text(model),
                        f"{100 * res:+.1f}%" if math.isfinite(res) else "n/a (outside the horizon)"])
        calibration = {"header": ["Month (0 = first)", "Reported villages", f"Model: stations open ({baseline})",
                                  "Residual"], "body": cal}
    return {"month": last, "table": table, "calibration": calibration}
