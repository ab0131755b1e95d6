"""What a rollout comparison found, in a few sentences for the top of its report, generated from
the results the report shows: the config's question (its ``description``, where it has one), the
strategy with the best net present value and its margin (with the 95% interval of the paired
difference where there is one), whether any strategy breaks even within the horizon, where the
ranking sensitivity flips the lead, and whether coverage saturates for every strategy (as in a
preview on a few counties), which leaves coverage unable to
separate them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sim.figures.base import as_bool, as_float
from sim.figures.rollout import monthly_series, nanstats
from sim.files import plus_minus
from sim.reports.summary import leaders

__all__ = ["SATURATED", "findings", "saturation"]

#: Coverage of residents at or above this share counts as saturated (everyone covered).
SATURATED = 0.995


def _scale(*values: float) -> tuple[float, str]:
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    return (1e6, " million CNY") if top >= 1e6 else (1.0, " CNY")


def _money(v: float, *like: float, unit: bool = True) -> str:
    """An amount in CNY for a sentence, in millions (one decimal) where it or any of ``like`` is a
    million or more; ``unit=False`` leaves out the unit."""
    if not math.isfinite(v):
        return "n/a"
    factor, name = _scale(v, *like)
    return (f"{v / factor:,.1f}" if factor > 1 else f"{v:,.0f}") + (name if unit else "")


def _interval(lo: float, hi: float) -> str:
    """ "95% interval lo to hi <unit>" in one unit."""
    return f"95% interval {_money(lo, hi, unit=False)} to {_money(hi, lo)}"


def _value(v: float) -> str:
    """An input's value: three significant digits, thousands separated."""
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def _month(v: float) -> str:
    return f"{v:.0f}" if math.isfinite(v) else "n/a"


def _rows(outcomes: Sequence[Mapping], kpi: str) -> list[Mapping]:
    return [r for r in outcomes or () if str(r.get("kpi")) == kpi and r.get("strategy") is not None]


def _by_rank(rows: list[Mapping], higher: bool) -> list[Mapping]:
    """The rows best first: by rank where given, else by mean (missing values last)."""
    def key(r: Mapping) -> tuple:
        rank, mean = as_float(r.get("rank")), as_float(r.get("mean"))
        if math.isfinite(rank):
            return (0, rank, 0.0)
        return (1, 0.0, -mean if higher else mean) if math.isfinite(mean) else (2, 0.0, 0.0)
    return sorted(rows, key=key)


def _npv_sentence(outcomes: Sequence[Mapping], baseline: str | None) -> str | None:
    rows = [r for r in _by_rank(_rows(outcomes, "npv_cny"), True) if math.isfinite(as_float(r.get("mean")))]
    if not rows:
        return None
    top = rows[0]
    lead, mean, hw = str(top["strategy"]), as_float(top.get("mean")), as_float(top.get("ci95_half_width"))
    tied = [str(r["strategy"]) for r in rows[1:] if as_float(r.get("mean")) == mean]
    factor, name = _scale(mean, hw)
    value = (plus_minus(mean / factor, hw / factor) + name if math.isfinite(hw) and hw > 0   # the one ± format
             else _money(mean))
    if tied:
        return f"{', '.join([lead, *tied])} tie for the highest net present value, {value}."
    text = f"{lead} has the highest net present value, {value}"
    if len(rows) == 1:
        return text + "."
    second = rows[1]
    gap = mean - as_float(second.get("mean"))
    if lead == baseline:
        # the runner-up's paired difference from the baseline, turned round
        d, lo, hi = (as_float(second.get(k)) for k in ("diff_vs_baseline", "diff_ci95_low", "diff_ci95_high"))
        text += f", {_money(-d if math.isfinite(d) else gap)} more than the next best, {second['strategy']}"
        if math.isfinite(lo) and math.isfinite(hi):
            text += f" ({_interval(-hi, -lo)}"
            text += ", significant after Holm correction)" if as_bool(second.get("significant_holm")) else ")"
        return text + "."
    d, lo, hi = (as_float(top.get(k)) for k in ("diff_vs_baseline", "diff_ci95_low", "diff_ci95_high"))
    if baseline is not None and math.isfinite(d):
        text += f", {_money(d)} more than the baseline {baseline}"
        if math.isfinite(lo) and math.isfinite(hi):
            text += f" ({_interval(lo, hi)}"
            text += ", significant after Holm correction)" if as_bool(top.get("significant_holm")) else ")"
    if str(second["strategy"]) != baseline:
        text += f"{';' if baseline is not None and math.isfinite(d) else ','} the next best, {second['strategy']}, " \
                f"is {_money(gap)} behind"
    return text + "."


def _leaders_sentence(outcomes: Sequence[Mapping], baseline: str | None) -> str | None:
    """Without an NPV: which strategy leads the most ranked outcomes."""
    ranked = [x for x in leaders(outcomes, baseline) if not x["constant"]]
    wins: dict[str, int] = {}
    for x in ranked:
        for s in x["leaders"]:
            wins[s] = wins.get(s, 0) + 1
    if not wins:
        return None
    top = max(wins.values())
    best = [s for s, n in wins.items() if n == top]
    return f"{' and '.join(best)} lead{'s' if len(best) == 1 else ''} in {top} of the {len(ranked)} ranked outcomes."


def _break_even_sentence(outcomes: Sequence[Mapping], horizon: int | None) -> str | None:
    rows = _rows(outcomes, "break_even_month")
    if not rows:
        return None
    within = f"within the {horizon}-month horizon" if horizon else "within the horizon"
    done = []
    for r in rows:
        n, mean = as_float(r.get("n")), as_float(r.get("mean"))
        if math.isfinite(mean) or (math.isfinite(n) and n > 0):
            done.append((str(r["strategy"]), mean, n))
    if not done:
        return f"No strategy breaks even {within}: every cumulative cash flow is still below zero at the end."
    done.sort(key=lambda t: (not math.isfinite(t[1]), t[1]))
    parts = [f"{s} (month {_month(m)})" if math.isfinite(m) else f"{s} (in {n:.0f} replications)"
             for s, m, n in done]
    names = {s for s, _, _ in done}
    never = [str(r["strategy"]) for r in rows if str(r["strategy"]) not in names]
    return (f"{len(done)} of {len(rows)} strategies break even {within}: " + ", ".join(parts)
            + (f"; {', '.join(never)} {'does' if len(never) == 1 else 'do'} not." if never else "."))


def _ranking_sentence(ranking: Mapping | None) -> str | None:
    rows = list((ranking or {}).get("breakeven") or ())
    if not rows:
        return None
    flips = [r for r in rows if as_bool(r.get("within_range")) and math.isfinite(as_float(r.get("break_even")))]
    lead = rows[0].get("leader_at_base")
    tiers = list(dict.fromkeys(str(r.get("tier")) for r in rows if r.get("tier") is not None))
    named = len(tiers) > 1   # the accounting and the run tier: say which each value comes from
    shares = {t: as_float(next(r for r in rows if str(r.get("tier")) == t).get("other_leader_share")) for t in tiers}
    if not tiers:
        shares = {"": as_float(rows[0].get("other_leader_share"))}
    told = [f"{v:.0%}" + (f" of the {t} tier's" if named else "") for t, v in shares.items() if math.isfinite(v)]
    others = (f"; over all sampled cases, another strategy leads in {' and '.join(told)}"
              + (" samples" if named else "")) if told else ""
    if not flips:
        return f"In the ranking sensitivity no single input moves the lead in NPV away from {lead} within its range" \
               f"{others}."
    parts = []
    for r in flips:
        be, base = as_float(r.get("break_even")), as_float(r.get("base"))
        way = "rises above" if be > base else "falls below"
        label = str(r.get("label") or r.get("input"))
        name, _, unit = label[:-1].rpartition(" (") if label.endswith(")") and " (" in label else (label, "", "")
        unit = f" {unit}" if unit and unit not in ("share", "-") else ""
        tier = f"; {r.get('tier')} tier" if named else ""
        parts.append(f"{r.get('challenger')} if {name[:1].lower() + name[1:]} {way} {_value(be)}{unit} "
                     f"(base {_value(base)}{unit}, sampled {_value(as_float(r.get('low')))} to "
                     f"{_value(as_float(r.get('high')))}{unit}{tier})")
    return f"The lead in NPV passes from {lead} to " + "; to ".join(parts) + others + "."


def saturation(monthly: Sequence[Mapping], strategies: Sequence[str] | None = None) -> dict[str, int | None]:
    """Per strategy, the first month from which its mean share of residents covered stays at or
    above ``SATURATED`` to the end (None if it never does)."""
    out: dict[str, int | None] = {}
    for s, (months, mat) in monthly_series(monthly, "residents_covered_share", strategies).items():
        mean = nanstats(mat)[0]
        ok = np.isfinite(mean)
        if not ok.any():
            out[s] = None
            continue
        m, v = months[ok], mean[ok]
        below = np.flatnonzero(v < SATURATED)
        if below.size == 0:
            out[s] = int(m[0])
        elif below[-1] + 1 < v.size:
            out[s] = int(m[below[-1] + 1])
        else:
            out[s] = None
    return out


def _config(meta: Mapping) -> Mapping:
    return dict((meta.get("manifest") or {}).get("config") or {})


def _saturation_sentences(monthly: Sequence[Mapping], order: Sequence[str], horizon: int | None,
                          n_counties: int, meta: Mapping) -> list[str]:
    sat = saturation(monthly, order)
    if not sat or any(m is None for m in sat.values()):
        return []
    months = [m for m in sat.values() if m is not None]
    first = min(months)
    text = (f"Coverage saturates for every strategy: all cover at least {SATURATED:.1%} of residents by month "
            f"{max(months)}" + (f" of {horizon}" if horizon else ""))
    if first < max(months):
        text += f" ({', '.join(s for s, m in sat.items() if m == first)} first, by month {first})"
    text += ", so after that coverage, equity and the maps cannot tell the strategies apart."
    return [text]


def _preview_sentence(n_counties: int, meta: Mapping) -> str | None:
    """Whether the report is a preview on some of the region's counties, and its budget."""
    cfg = _config(meta)
    region = cfg.get("region") if isinstance(cfg.get("region"), Mapping) else {}
    full = region.get("counties") if isinstance(region, Mapping) else None
    budget = as_float(cfg.get("budget_per_year_cny"))
    if not (isinstance(full, int) and 0 < n_counties < full):
        return None
    return (f"This is a preview on {n_counties} of the config's {full} counties, with the budget scaled to them"
            + (f" ({_money(budget * n_counties / full)} a year)" if math.isfinite(budget) else "")
            + ": the full run is the one that answers the question.")


def findings(meta: Mapping, outcomes: Sequence[Mapping], monthly: Sequence[Mapping], order: Sequence[str],
             horizon: int | None, n_counties: int) -> dict:
    """``{"question", "sentences"}``: the config's question (its ``description``: ``meta`` or the
    manifest's config; None without one) and what the comparison found, each sentence built from
    ``outcomes``, ``monthly``, ``meta["ranking"]`` and the manifest's config (empty where none
    of them says anything)."""
    meta = dict(meta or {})
    question = meta.get("description") or _config(meta).get("description")
    baseline = meta.get("baseline")
    base = None if baseline is None else str(baseline)
    sentences = [s for s in (_npv_sentence(outcomes, base) or _leaders_sentence(outcomes, base),
                             _break_even_sentence(outcomes, horizon),
                             _ranking_sentence(meta.get("ranking"))) if s]
    sentences += _saturation_sentences(monthly, order, horizon, n_counties, meta)
    preview = _preview_sentence(n_counties, meta)
    if preview:
        sentences.append(preview)
    return {"question": " ".join(str(question).split()) if question else None, "sentences": sentences}
