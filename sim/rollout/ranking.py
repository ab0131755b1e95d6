"""Sensitivity of the strategies' ranking (by NPV) to the guessed economics: a Latin
hypercube (scipy.stats.qmc) over the inputs, which inputs flip the leading strategy, and
the break-even value of each (the value at which another strategy takes the lead, the
others at their base values).

Two tiers. Inputs that only enter the accounting (the partner's fee per parcel, the
revenue per parcel) are re-evaluated on the stored county-month records of the run
without running the simulation again: a strategy's NPV is exactly linear in them. Inputs
that change the schedule or the demand (hub and station capital, the adoption
parameters) need runs: each of their samples is a whole rollout at preview size (the
region's first counties, one replication), with the accounting inputs of the same sample
applied to its records. Break-even values come from a least-squares fit of each
strategy's NPV on the inputs over the samples (exact for the accounting tier)."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.economics import discount_factors
from sim.config.schema import FieldError, spec
from sim.errors import InputError
from sim.files import write_csv
from sim.rollout.region import Range

ACCOUNTING_INPUTS = ("partner_fee_per_parcel_cny", "revenue_per_parcel_cny")
"""Inputs re-evaluated on stored outputs (no simulation)."""
RUN_INPUTS = ("hub_capex_cny", "station_capex_cny", "adoption_p", "adoption_q", "adoption_ceiling")
"""Inputs that change the schedule or demand: each sample is a run at preview size."""
SHARE_INPUTS = ("adoption_p", "adoption_ceiling")
"""Inputs that cannot exceed 1."""
INPUT_LABELS = {"partner_fee_per_parcel_cny": "Partner fee per parcel (CNY)",
                "revenue_per_parcel_cny": "Revenue per parcel (CNY)", "hub_capex_cny": "Hub capital (CNY)",
                "station_capex_cny": "Station capital (CNY)", "adoption_p": "Adoption p (1/month)",
                "adoption_q": "Adoption q (1/month)", "adoption_ceiling": "Adoption ceiling (share)"}
SAMPLE_COLUMNS = ("tier", "sample", *ACCOUNTING_INPUTS, *RUN_INPUTS, "strategy", "npv_cny", "rank")
BREAKEVEN_COLUMNS = ("tier", "input", "low", "base", "high", "leader_at_base", "challenger", "break_even",
                     "within_range", "npv_gap_change_cny", "other_leader_share")


_SHOWN = "base x (1 -/+ relative_range)"


@dataclass(frozen=True)
class RankingSensitivityConfig:
    """Ranges of the ranking sensitivity (``ruralsim compare --ranking-sensitivity``)."""
    relative_range: float = spec(0.5, "An input without its own range varies over its base value x (1 -/+ this)",
                                 lo=0, hi=0.95, lo_open=True)
    partner_fee_per_parcel_cny: Range | None = spec(
        None, "Fee per parcel of operating models whose last-mile vehicle is paid only per parcel (a partner)",
        unit="CNY/parcel", optional=True, shown=_SHOWN, source="")
    revenue_per_parcel_cny: Range | None = spec(
        None, "economics.platform_fee_per_parcel_cny + delivery_price_per_parcel_cny", unit="CNY/parcel",
        optional=True, shown=_SHOWN, source="")
    hub_capex_cny: Range | None = spec(
        None, "Hub capital of the baseline's operating model (the others' scale with it)", unit="CNY",
        optional=True, shown=_SHOWN, source="")
    station_capex_cny: Range | None = spec(
        None, "Station capital of the baseline's operating model (the others' scale with it)", unit="CNY",
        optional=True, shown=_SHOWN, source="")
    adoption_p: Range | None = spec(None, "adoption.p (at most 1)", unit="1/month", optional=True, shown=_SHOWN,
                                    source="")
    adoption_q: Range | None = spec(None, "adoption.q", unit="1/month", optional=True, shown=_SHOWN, source="")
    adoption_ceiling: Range | None = spec(None, "adoption.ceiling (at most 1)", optional=True, shown=_SHOWN,
                                          source="")
    counties: int = spec(6, "Counties (the region's first) of each run of the run inputs", lo=1, hi=5000, source="")
    seed: int = spec(0, "Seed of the Latin hypercube", lo=0, source="")

    def check(self) -> None:
        if self.adoption_ceiling is not None and self.adoption_ceiling.max > 1:
            raise FieldError("adoption_ceiling.max", self.adoption_ceiling.max, "expected a share <= 1")
        if self.adoption_p is not None and self.adoption_p.max > 1:
            raise FieldError("adoption_p.max", self.adoption_p.max, "expected at most 1 per month")


# ---- NPV as a function of the accounting inputs -------------------------------------------
def fee_only(sc) -> bool:
    """Whether a scenario's last-mile vehicle costs nothing but a fee per parcel (a partner)."""
    v = sc.vehicle_types[sc.lastmile.vehicle_type]
    return v.fee_per_parcel_cny > 0 and v.cost_per_km_cny == 0 and v.cost_per_day_cny == 0 \
        and v.driver_per_day_cny == 0 and v.capex_cny == 0


def base_values(ro) -> dict[str, float]:
    """Every input's value in the rollout as configured (the partner fee: nan without a partner model)."""
    fees = [sc.vehicle_types[sc.lastmile.vehicle_type].fee_per_parcel_cny
            for sc in ro.operating_models.values() if fee_only(sc)]
    base_sc = ro.operating_models[next(s.operating_model for s in ro.strategies if s.name == ro.baseline)]
    e = ro.economics
    return {"partner_fee_per_parcel_cny": fees[0] if fees else float("nan"),
            "revenue_per_parcel_cny": e.platform_fee_per_parcel_cny + e.delivery_price_per_parcel_cny,
            "hub_capex_cny": base_sc.hub.capex_cny, "station_capex_cny": base_sc.stations.capex_cny,
            "adoption_p": ro.adoption.p, "adoption_q": ro.adoption.q, "adoption_ceiling": ro.adoption.ceiling}


def npv_parts(ro, read: Callable[[tuple], dict | None], geos_by_model: Mapping, run_key: Callable) -> dict:
    """Per strategy, over its replications: ``A`` the NPV as run, ``D`` the discounted
    parcels delivered and ``L`` the discounted last-mile vehicle cost (summed over
    counties), so that with revenue R' per parcel and partner fee f' the NPV is exactly
    ``A + (R' - R) D - (f' / f - 1) L`` (the last term for partner models only)."""
    d = discount_factors(ro.horizon_m, ro.economics.discount_rate_y)
    out = {}
    for s in ro.strategies:
        a, dd, ll = [], [], []
        for r in range(ro.replications):
            ta = td = tl = 0.0
            for geo in geos_by_model[s.operating_model]:
                rec = read(run_key({"strategy": s.name, "replication": r, "county_id": geo.county.id}))
                if rec is None:
                    raise InputError(f"county run {s.name}/r{r}/{geo.county.id} is missing: see failures.csv")
                ta += float(rec["npv_cny"])
                td += float(np.dot(d, [m["parcels_delivered"] for m in rec["months"]]))
                tl += float(np.dot(d, [m.get("lastmile_vehicles_cny", 0.0) for m in rec["months"]]))
            a.append(ta)
            dd.append(td)
            ll.append(tl)
        out[s.name] = {"A": np.array(a), "D": np.array(dd), "L": np.array(ll),
                       "fee_only": fee_only(ro.operating_models[s.operating_model])}
    return out


def npv_at(parts: Mapping, base: Mapping[str, float], x: Mapping[str, float]) -> dict[str, float]:
    """Each strategy's mean NPV over replications at the accounting inputs ``x``."""
    out = {}
    for s, p in parts.items():
        v = p["A"] + (x.get("revenue_per_parcel_cny", base["revenue_per_parcel_cny"])
                      - base["revenue_per_parcel_cny"]) * p["D"]
        if p["fee_only"] and "partner_fee_per_parcel_cny" in x:
            v = v - (x["partner_fee_per_parcel_cny"] / base["partner_fee_per_parcel_cny"] - 1.0) * p["L"]
        out[s] = float(np.mean(v))
    return out


# ---- the hypercube and the break-even values ---------------------------------------------
def input_ranges(cfg: RankingSensitivityConfig, base: Mapping[str, float], names) -> dict[str, tuple[float, float]]:
    """Each input's (low, high): its own range, or base x (1 -/+ relative_range)."""
    out = {}
    for k in names:
        given = getattr(cfg, k)
        if given is not None:
            out[k] = (given.min, given.max)
        else:
            lo, hi = base[k] * (1 - cfg.relative_range), base[k] * (1 + cfg.relative_range)
            out[k] = (lo, min(hi, 1.0) if k in ("adoption_ceiling", "adoption_p") else hi)
    return out


def hypercube(ranges: Mapping[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` Latin-hypercube points (scipy.stats.qmc) over the ranges."""
    from scipy.stats import qmc  # here: checking a config must not load scipy
    names = list(ranges)
    u = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(n)
    lo = np.array([ranges[k][0] for k in names])
    hi = np.array([ranges[k][1] for k in names])
    pts = lo + u * (hi - lo)
    return [dict(zip(names, map(float, row), strict=True)) for row in pts]


def ranks(npv: Mapping[str, float]) -> dict[str, int]:
    """1 = highest NPV; equal values share the best rank of their group."""
    return {s: 1 + sum(1 for w in npv.values() if w > v + 1e-9 * max(1.0, abs(v))) for s, v in npv.items()}


def break_even(samples: list[dict[str, float]], npvs: list[dict[str, float]], base: Mapping[str, float],
               ranges: Mapping[str, tuple[float, float]], tier: str) -> list[dict]:
    """Per input: fit every strategy's NPV linearly on the inputs over the samples; the
    leader is the best fitted strategy at the base values; the break-even value is the
    input value (others at base) nearest the base at which a challenger's fitted NPV
    equals the leader's (none where that value is one the input cannot take: not
    positive, or above 1 for a share); ``npv_gap_change_cny`` is how much the leader's
    margin over that challenger (or, without one, the runner-up) changes over the range."""
    names = list(ranges)
    strategies = list(npvs[0])
    k = len(names)
    if len(samples) < k + 2:
        raise InputError(f"ranking sensitivity ({tier}): {len(samples)} samples is not allowed: expected at least "
                         f"{k + 2} for {k} inputs")
    X = np.column_stack([np.ones(len(samples))] + [[s[n] for s in samples] for n in names])
    x0 = np.array([1.0] + [base[n] for n in names])
    coef = {}
    for s in strategies:
        y = np.array([v[s] for v in npvs])
        coef[s] = np.linalg.lstsq(X, y, rcond=None)[0]
    fitted = {s: float(x0 @ coef[s]) for s in strategies}
    leader = max(strategies, key=lambda s: (fitted[s], -strategies.index(s)))
    other = float(np.mean([max(v, key=v.__getitem__) != leader for v in npvs]))
    others = sorted((s for s in strategies if s != leader), key=lambda s: -fitted[s])
    rows = []
    for i, n in enumerate(names, start=1):
        lo, hi = ranges[n]
        top = 1.0 if n in SHARE_INPUTS else math.inf
        best: tuple[float, str] | None = None
        for s in others:
            slope = coef[leader][i] - coef[s][i]
            gap = fitted[leader] - fitted[s]
            if slope == 0 or not math.isfinite(slope) or abs(slope) * max(abs(hi), abs(lo), 1.0) < 1e-9 * abs(gap):
                continue
            xb = base[n] - gap / slope
            if not 0 < xb <= top:        # no break-even at a value the input cannot take
                continue
            if best is None or abs(xb - base[n]) < abs(best[0] - base[n]):
                best = (xb, s)
        rival = best[1] if best else (others[0] if others else None)
        gap_change = float((coef[leader][i] - coef[rival][i]) * (hi - lo)) if rival else float("nan")
        rows.append({"tier": tier, "input": n, "low": lo, "base": base[n], "high": hi, "leader_at_base": leader,
                     "challenger": best[1] if best else "", "break_even": best[0] if best else float("nan"),
                     "within_range": bool(best and lo <= best[0] <= hi), "npv_gap_change_cny": gap_change,
                     "other_leader_share": other})
    return rows


def variant(ro, x: Mapping[str, float], base: Mapping[str, float], counties: int):
    """The rollout at a sample's run inputs, at preview size (``counties``, one replication)."""
    def scaled(key: str, own: float) -> float:
        return own * x[key] / base[key] if base[key] > 0 else x[key]

    models = {}
    for name, sc in ro.operating_models.items():
        hub = dataclasses.replace(sc.hub, capex_cny=scaled("hub_capex_cny", sc.hub.capex_cny))
        st = dataclasses.replace(sc.stations, capex_cny=scaled("station_capex_cny", sc.stations.capex_cny))
        models[name] = dataclasses.replace(sc, hub=hub, stations=st)
    ad = dataclasses.replace(ro.adoption, p=x["adoption_p"], q=x["adoption_q"], ceiling=x["adoption_ceiling"])
    return dataclasses.replace(ro, operating_models=models, adoption=ad).preview(counties, 1)


def accounting_names(base: Mapping[str, float]) -> list[str]:
    """The accounting tier's inputs: those the rollout gives a value."""
    return [k for k in ACCOUNTING_INPUTS if math.isfinite(base[k])]


def check_samples(ro, n: int, runs: int) -> None:
    """Refuse, before anything runs, a tier asked for fewer samples than its linear fit of
    every input needs (inputs + 2)."""
    acc = accounting_names(base_values(ro))
    for tier, asked, k, option in (("accounting", n, len(acc), "--ranking-sensitivity"),
                                   ("runs", runs, len(acc) + len(RUN_INPUTS), "--ranking-runs")):
        if asked and asked < k + 2:
            raise InputError(f"{option} {asked}: ranking sensitivity ({tier}): {asked} samples is not allowed: "
                             f"expected at least {k + 2} for {k} inputs")


def ranking_sensitivity(ro, out: Path, parts: Mapping, n: int, runs: int,
                        run_parts: Callable[[Any, Path], Mapping] | None = None) -> dict:
    """The accounting tier over ``n`` hypercube points on ``parts`` (the run's
    :func:`npv_parts`), and (``runs`` > 0) the run tier over ``runs`` points, each a
    preview-size rollout run by ``run_parts(variant, folder)`` (returning its npv_parts)
    into ``out/ranking_runs/sNNN``. Writes ``ranking_samples.csv`` and
    ``ranking_breakeven.csv``; returns their rows."""
    cfg = ro.ranking_sensitivity
    base = base_values(ro)
    acc_names = accounting_names(base)
    sample_rows: list[dict] = []
    breakeven: list[dict] = []
    if n:
        ranges = input_ranges(cfg, base, acc_names)
        pts = hypercube(ranges, n, cfg.seed)
        npvs = [npv_at(parts, base, x) for x in pts]
        sample_rows += _sample_rows("accounting", pts, npvs)
        breakeven += break_even(pts, npvs, base, ranges, "accounting")
    if runs:
        if run_parts is None:
            raise ValueError("the run tier needs run_parts")
        names = acc_names + list(RUN_INPUTS)
        ranges = input_ranges(cfg, base, names)
        pts = hypercube(ranges, runs, cfg.seed + 1)
        npvs = []
        for j, x in enumerate(pts):
            p = run_parts(variant(ro, x, base, cfg.counties), out / "ranking_runs" / f"s{j:03d}")
            npvs.append(npv_at(p, base, {k: x[k] for k in acc_names}))
        sample_rows += _sample_rows("runs", pts, npvs)
        breakeven += break_even(pts, npvs, base, ranges, "runs")
    write_csv(out / "ranking_samples.csv", SAMPLE_COLUMNS, sample_rows)
    write_csv(out / "ranking_breakeven.csv", BREAKEVEN_COLUMNS, breakeven)
    return {"samples": sample_rows, "breakeven": breakeven}


def _sample_rows(tier: str, pts: list[dict], npvs: list[dict]) -> list[dict]:
    rows = []
    for j, (x, v) in enumerate(zip(pts, npvs, strict=True)):
        rk = ranks(v)
        for s in v:
            row = {"tier": tier, "sample": j, **dict.fromkeys(SAMPLE_COLUMNS[2:-3], ""), **x}
            row.update(strategy=s, npv_cny=v[s], rank=rk[s])
            rows.append(row)
    return rows


def ranking_text(breakeven: list[dict]) -> list[str]:
    """The report's sentences: per tier, how often another strategy leads, and every
    input whose break-even value lies in its range."""
    lines = []
    for tier in dict.fromkeys(r["tier"] for r in breakeven):
        rows = [r for r in breakeven if r["tier"] == tier]
        how = ("accounting inputs, re-evaluated on the stored outputs without new runs" if tier == "accounting"
               else "every input, each sample a rollout run at preview size")
        lines.append(f"{tier.capitalize()} tier ({how}): {rows[0]['leader_at_base']} leads by NPV at the base "
                     f"values; another strategy leads in {rows[0]['other_leader_share']:.0%} of the samples.")
        for r in rows:
            if r["within_range"]:
                lines.append(f"{INPUT_LABELS[r['input']]} flips the lead to {r['challenger']} at "
                             f"{_num(r['break_even'])} (base {_num(r['base'])}; range {_num(r['low'])}-"
                             f"{_num(r['high'])}).")
        flat = [INPUT_LABELS[r["input"]] for r in rows if not r["within_range"]]
        if flat:
            lines.append("No flip within its range: " + ", ".join(flat) + ".")
    return lines


def _num(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
