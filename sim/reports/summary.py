"""The one-page summary of a rollout comparison, generated from its outcome rows: per outcome the
strategy that leads, its value and its difference from the baseline with the 95% interval (flagged
where it is not significant after Holm correction); outcomes the same for every strategy are named,
not ranked. The strategies' levers (village order, operating model, ...) say what drives a lead."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.analysis import registry
from sim.figures.base import as_bool, as_float
from sim.files import in_interval, plus_minus, short_number

__all__ = ["differences", "leaders", "summary"]


def _label(kpi: str) -> str:
    try:
        return registry.label(kpi)
    except KeyError:
        return kpi


def _unit(kpi: str) -> str:
    try:
        return registry.kpi(kpi).unit
    except KeyError:
        return ""


def _value(kpi: str, mean: float, hw: float, horizon_m: int | None) -> str:
    if kpi == "break_even_month" and not math.isfinite(mean):
        return f"not within {horizon_m} months" if horizon_m else "not within the horizon"
    return plus_minus(mean, hw)


def _rank_of(row: Mapping, rows: Sequence[Mapping], higher: bool) -> float:
    """The row's rank as given; without one, its competition rank by mean (nan ranks last)."""
    given = as_float(row.get("rank"))
    if math.isfinite(given) or "rank" in row:
        return given
    v = as_float(row.get("mean"))
    if not math.isfinite(v):
        return float("nan")
    others = [as_float(r.get("mean")) for r in rows]
    return float(1 + sum(1 for w in others if math.isfinite(w) and (w > v if higher else w < v)))


def leaders(outcomes: Sequence[Mapping], baseline: str | None) -> list[dict]:
    """Per KPI, in the order the rows give them: ``{"kpi", "constant", "leaders": [strategy, ...],
    "higher_is_better"}``. ``leaders`` are the strategies ranked 1 (several on a tie), baseline
    first; ``constant`` is true (and ``leaders`` empty) where no strategy is ranked, i.e. the
    outcome is the same for every strategy."""
    rows = [r for r in outcomes or () if r.get("strategy") is not None and r.get("kpi") is not None]
    out = []
    for kpi in dict.fromkeys(str(r["kpi"]) for r in rows):
        kr = [r for r in rows if str(r["kpi"]) == kpi]
        flags = [r.get("higher_is_better") for r in kr if r.get("higher_is_better") is not None]
        if flags:
            higher = as_bool(flags[0])
        else:
            higher = kpi not in registry.KPIS or registry.higher_is_better(kpi) is not False
        ranks = {str(r["strategy"]): _rank_of(r, kr, higher) for r in kr}
        best = sorted((s for s, k in ranks.items() if k == 1.0), key=lambda s: (s != baseline,))
        out.append({"kpi": kpi, "constant": not any(math.isfinite(k) for k in ranks.values()),
                    "leaders": best, "higher_is_better": higher})
    return out


def differences(levers: Mapping[str, Mapping] | None, strategy: str, baseline: str | None) -> str:
    """The levers in which ``strategy`` differs from the baseline, as "lever value (baseline: value)"
    joined by "; " ("–" for the baseline itself or when the levers are not known)."""
    levers = levers or {}
    if baseline is None or strategy == baseline or strategy not in levers or baseline not in levers:
        return "–"
    mine, base = levers[strategy], levers[baseline]
    diff = [f"{k} {_text(v)} (baseline: {_text(base.get(k))})" for k, v in mine.items() if v != base.get(k)]
    return "; ".join(diff) or "no lever (same settings)"


def _text(v) -> str:
    return short_number(v) if isinstance(v, float) else str(v)


def summary(outcomes: Sequence[Mapping], baseline: str | None, horizon_m: int | None = None,
            levers: Mapping[str, Mapping] | None = None) -> dict:
    """The summary's content: ``rows`` (one per ranked outcome: outcome label with unit and
    direction, the leading strategies, their value, the difference from the baseline with its
    95% interval, whether it is significant, and the levers in which the leader differs from the
    baseline: what drives its lead), ``constant`` (labels and value of outcomes
    the same for every strategy) and ``wins`` ((strategy, number of outcomes it leads), most
    first)."""
    rows = [r for r in outcomes or () if r.get("strategy") is not None and r.get("kpi") is not None]
    cell = {(str(r["strategy"]), str(r["kpi"])): r for r in rows}
    table: list[dict] = []
    constant: list[dict] = []
    wins: dict[str, int] = {}
    for lead in leaders(rows, baseline):
        kpi = lead["kpi"]
        label = _label(kpi) + (" ↑" if lead["higher_is_better"] else " ↓")
        if lead["constant"]:   # not ranked: no direction
            first = next(r for r in rows if str(r["kpi"]) == kpi)
            constant.append({"outcome": _label(kpi), "value": _value(kpi, as_float(first.get("mean")), float("nan"),
                                                                horizon_m)})
            continue
        for s in lead["leaders"]:
            wins[s] = wins.get(s, 0) + 1
        top = lead["leaders"][0] if lead["leaders"] else None
        r = cell.get((top, kpi), {}) if top is not None else {}
        # amounts of millions of CNY in million CNY, as the findings above the table give them
        sizes = [abs(v) for v in (as_float(r.get("mean")), as_float(r.get("diff_vs_baseline"))) if math.isfinite(v)]
        scale = 1e6 if _unit(kpi) == "CNY" and sizes and max(sizes) >= 1e6 else 1.0
        if scale != 1.0:
            label = label.replace("(CNY)", "(million CNY)")
            r = {**r, **{k: as_float(r.get(k)) / scale for k in ("mean", "ci95_half_width", "diff_vs_baseline",
                                                                  "diff_ci95_low", "diff_ci95_high")}}
        value = _value(kpi, as_float(r.get("mean")), as_float(r.get("ci95_half_width")), horizon_m)
        diff = as_float(r.get("diff_vs_baseline"))
        if top is None:
            versus, verdict = "n/a", "no strategy ranked first"
        elif top == baseline:
            versus, verdict = "–", "the baseline leads"
        elif math.isfinite(diff):
            lo, hi = as_float(r.get("diff_ci95_low")), as_float(r.get("diff_ci95_high"))
            versus = in_interval(diff, lo, hi, signed=True)
            verdict = "significant" if as_bool(r.get("significant_holm")) else "not significant after Holm correction"
        else:
            versus, verdict = "n/a", "no difference computed"
        leads = ", ".join(s + (" (baseline)" if s == baseline else "") for s in lead["leaders"]) or "none"
        if len(lead["leaders"]) > 1:
            leads += " (tied)"
        table.append({"outcome": label, "leads": leads, "value": value, "versus": versus, "verdict": verdict,
                      "significant": verdict == "significant",
                      "drivers": differences(levers, top, baseline) if top is not None else "–"})
    ordered = sorted(wins.items(), key=lambda kv: -kv[1])
    return {"rows": table, "constant": constant, "wins": ordered}
