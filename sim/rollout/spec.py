"""The rollout experiment config: a base scenario, a region of counties, a horizon in
months, a capital budget, Bass adoption, economics, operating models and the strategies
to compare, validated before anything runs (the simulation is :mod:`sim.rollout.simulate`)."""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.scenario import Scenario, read_yaml, scenario_data, scenario_from_data
from sim.errors import InputError
from sim.experiments.spec import deep_merge
from sim.rollout.region import RegionConfig, region_config
from sim.rollout.strategies import VILLAGE_ORDERS

KEYS = ("name", "description", "base", "region", "seed", "horizon_m", "sample_days", "warmup_days", "replications",
        "budget_per_year_cny", "adoption", "produce_participation", "economics", "operating_models", "strategies",
        "baseline", "map_months", "reported")
DAYS_PER_MONTH = 365.0 / 12.0


@dataclass(frozen=True)
class Bass:
    p: float
    q: float
    ceiling: float
    reference_h: float | None = None     # service feedback: slower than this damps imitation
    elasticity: float = 1.0


@dataclass(frozen=True)
class Economics:
    platform_fee_per_parcel_cny: float = 2.0
    delivery_price_per_parcel_cny: float = 3.0
    subsidy_per_county_cny: float = 0.0        # paid when the county's hub opens
    cross_subsidy_per_parcel_cny: float = 0.0  # the platform's transfer from city business
    discount_rate_y: float = 0.08


@dataclass(frozen=True)
class Strategy:
    name: str
    operating_model: str
    village_order: str | None = None
    county_target: float = 1.0
    schedule_csv: str | None = None


@dataclass(frozen=True)
class Rollout:
    name: str
    source: str
    data: dict
    base: Scenario
    region: RegionConfig
    seed: int
    horizon_m: int
    sample_days: int
    warmup_days: int
    replications: int
    budget_per_year_cny: tuple[float, ...]   # per year of the horizon; the last one repeats
    adoption: Bass
    produce: Bass
    parcels_per_adopter_y: float
    economics: Economics
    operating_models: dict          # name -> Scenario (the base with the model's overrides)
    strategies: tuple[Strategy, ...]
    baseline: str
    map_months: tuple[int, ...]
    reported: tuple[tuple[int, float], ...]


def _num(v, where, key, lo=None, hi=None, integer=False, lo_open=False):
    ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
    if integer:
        ok = ok and float(v).is_integer()
    if ok and lo is not None:
        ok = v > lo if lo_open else v >= lo
    if ok and hi is not None:
        ok = v <= hi
    if not ok:
        rng = f"{'(' if lo_open else '['}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise InputError(f"{where}: {key}: {v!r} is not allowed: expected a {'whole ' if integer else ''}number in {rng}"
                         + _yaml_hint(v))
    return int(v) if integer else float(v)


def _yaml_hint(v) -> str:
    try:
        float(v) if isinstance(v, str) else None
    except ValueError:
        return ""
    return " (YAML reads 2.0e7 as text: write 2.0e+7 or 20000000)" if isinstance(v, str) else ""


def _mapping(data, where, key, allowed):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{where}: {key}: {data!r} is not allowed: expected a mapping with keys {', '.join(allowed)}")
    for k in data:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.5)
            raise InputError(f"{where}: {key}.{k}: unknown key" + (f"; did you mean '{near[0]}'?" if near else "")
                             + f" (valid: {', '.join(allowed)})")
    return data


def _bass(data, where, key, default) -> tuple[Bass, float]:
    d = _mapping(data, where, key, ("p", "q", "ceiling", "feedback", "parcels_per_adopter_y"))
    p = _num(d.get("p", default[0]), where, f"{key}.p", 0, 1, lo_open=True)
    q = _num(d.get("q", default[1]), where, f"{key}.q", 0, 5)
    m = _num(d.get("ceiling", default[2]), where, f"{key}.ceiling", 0, 1, lo_open=True)
    fb = d.get("feedback")
    ref, el = None, 1.0
    if fb not in (None, False):
        fbd = _mapping(fb, where, f"{key}.feedback", ("reference_h", "elasticity"))
        ref = _num(fbd.get("reference_h", 48.0), where, f"{key}.feedback.reference_h", 0, lo_open=True)
        el = _num(fbd.get("elasticity", 1.0), where, f"{key}.feedback.elasticity", 0)
    ppa = _num(d.get("parcels_per_adopter_y", 8.0), where, f"{key}.parcels_per_adopter_y", 0)
    return Bass(p, q, m, ref, el), ppa


def rollout_from_data(data: Any, where: str, base_dir: Path) -> Rollout:
    data = _mapping(data, where, "(top level)", KEYS)
    base_spec = data.get("base")
    if isinstance(base_spec, str):
        try:
            raw = read_yaml(base_dir / base_spec)
        except InputError as exc:
            raise InputError(f"{where}: base: {exc}") from None
        base = scenario_from_data(raw, str(base_dir / base_spec), base_dir)
    else:
        base = scenario_from_data(base_spec or {}, f"{where}: base", base_dir)
    region = region_config(data.get("region", {}), where, base_dir)
    seed = _num(data.get("seed", base.seed), where, "seed", 0, integer=True)
    horizon = _num(data.get("horizon_m", 60), where, "horizon_m", 1, 240, integer=True)
    sample = _num(data.get("sample_days", 10), where, "sample_days", 1, 31, integer=True)
    warm = _num(data.get("warmup_days", 3), where, "warmup_days", 0, 30, integer=True)
    reps = _num(data.get("replications", 2), where, "replications", 1, 1000, integer=True)
    budget_spec = data.get("budget_per_year_cny", 2e8)
    if isinstance(budget_spec, list) and budget_spec:
        budget = tuple(_num(b, where, f"budget_per_year_cny[{i}]", 0) for i, b in enumerate(budget_spec))
    else:
        budget = (_num(budget_spec, where, "budget_per_year_cny", 0),)
    adoption, ppa = _bass(data.get("adoption"), where, "adoption", (0.03, 0.38, 0.6))
    produce, _ = _bass(data.get("produce_participation"), where, "produce_participation", (0.02, 0.3, 1.0))
    econ_d = _mapping(data.get("economics"), where, "economics", [f.name for f in dataclasses.fields(Economics)])
    econ = Economics(**{k: _num(v, where, f"economics.{k}", 0) for k, v in econ_d.items()})
    models_d = _mapping(data.get("operating_models") or {"self_run": {}}, where, "operating_models",
                        list((data.get("operating_models") or {"self_run": {}}).keys()))
    base_data = scenario_data(base)
    models = {}
    for name, ov in models_d.items():
        if not isinstance(ov, dict):
            raise InputError(f"{where}: operating_models.{name}: {ov!r} is not allowed: expected scenario overrides")
        models[name] = scenario_from_data(deep_merge(base_data, ov), f"{where}: operating_models.{name}", base_dir)
    strat_d = data.get("strategies")
    if not isinstance(strat_d, dict) or not strat_d:
        raise InputError(f"{where}: strategies: {strat_d!r} is not allowed: expected a mapping of name: "
                         "{village_order, operating_model, county_target} or {schedule, operating_model}")
    strategies = []
    for name, sd in strat_d.items():
        sd = _mapping(sd, where, f"strategies.{name}", ("village_order", "operating_model", "county_target", "schedule"))
        om = sd.get("operating_model", next(iter(models)))
        if om not in models:
            raise InputError(f"{where}: strategies.{name}.operating_model: {om!r} is not allowed: expected one of "
                             f"{', '.join(models)}")
        if "schedule" in sd:
            if "village_order" in sd:
                raise InputError(f"{where}: strategies.{name}: give either schedule or village_order, not both")
            strategies.append(Strategy(name, om, schedule_csv=str(base_dir / sd["schedule"])))
            continue
        vo = sd.get("village_order", "largest_first")
        if vo not in VILLAGE_ORDERS:
            near = difflib.get_close_matches(str(vo), VILLAGE_ORDERS, n=1, cutoff=0.4)
            raise InputError(f"{where}: strategies.{name}.village_order: {vo!r} is not allowed: expected one of "
                             f"{', '.join(VILLAGE_ORDERS)}" + (f" (did you mean '{near[0]}'?)" if near else ""))
        target = _num(sd.get("county_target", 1.0), where, f"strategies.{name}.county_target", 0, 1, lo_open=True)
        strategies.append(Strategy(name, om, vo, target))
    baseline = data.get("baseline", strategies[0].name)
    if baseline not in [s.name for s in strategies]:
        raise InputError(f"{where}: baseline: {baseline!r} is not allowed: expected one of "
                         f"{', '.join(s.name for s in strategies)}")
    maps = data.get("map_months", [horizon - 1])
    if not isinstance(maps, list) or not all(isinstance(m, int) and 0 <= m < horizon for m in maps):
        raise InputError(f"{where}: map_months: {maps!r} is not allowed: expected a list of months in 0..{horizon - 1}")
    reported = data.get("reported", [])
    if not isinstance(reported, list) or not all(isinstance(r, list) and len(r) == 2 for r in reported):
        raise InputError(f"{where}: reported: {reported!r} is not allowed: expected a list of [month, villages]")
    name = data.get("name") or Path(where).stem
    return Rollout(name, where, dict(data), base, region, seed, horizon, sample, warm, reps, budget, adoption,
                   produce, ppa, econ, models, tuple(strategies), baseline, tuple(maps),
                   tuple((int(m), float(v)) for m, v in reported))


def load_rollout(path) -> Rollout:
    return rollout_from_data(read_yaml(path), str(path), Path(path).parent)


def is_rollout(data: Any) -> bool:
    return isinstance(data, dict) and "strategies" in data and "region" in data
