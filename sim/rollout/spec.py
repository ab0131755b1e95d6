"""Rollout over years and many counties: the rollout experiment config, the monthly
simulation of one county under a strategy's schedule (Bass adoption, money flows),
and the region-level tables built by streaming over the counties' result files."""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.rollout.adoption import bass_share, bass_step, service_damping
from sim.config.scenario import Scenario, read_yaml, scenario_data, scenario_from_data
from sim.analysis.economics import break_even_month, npv
from sim.errors import InputError
from sim.experiments.spec import deep_merge
from sim.county.kpis import evaluate
from sim.county.model import CountyModel, plan
from sim.rollout.region import CountyGeo, RegionConfig, counties_of, county_geography, county_scenario, county_seed, \
    region_config, villages_file
from sim.rollout.strategies import VILLAGE_ORDERS, Costs, Schedule, load_schedule, plan_rollout, projects

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


# ---- region set-up ----------------------------------------------------------------
def geographies(ro: Rollout, model: Scenario) -> list[CountyGeo]:
    out = []
    for county in counties_of(ro.region):
        geo = county_geography(county_scenario(model, county, ro.seed, villages_file(ro.region, county)))
        geo.county = county
        out.append(geo)
    return out


def capital_costs(ro: Rollout, model: Scenario) -> Costs:
    veh = model.vehicle_types[model.lastmile.vehicle_type]
    cap = min(veh.capacity_parcels, veh.capacity_kg / model.demand.parcel_kg) * len(model.lastmile.departures_h)
    return Costs(hub_cny=model.hub.capex_cny + model.hub.cold_store_kg * model.hub.cold_capex_per_kg_cny,
                 station_cny=model.stations.capex_cny + model.stations.cold_room_kg * model.stations.cold_room_capex_per_kg_cny,
                 vehicle_cny=veh.capex_cny * model.lastmile.vehicles_per_route,
                 parcels_per_vehicle_day=cap * model.lastmile.vehicles_per_route,
                 parcels_per_resident_day=ro.adoption.ceiling * ro.parcels_per_adopter_y / 365.0
                 * model.lastmile.planning_load_factor)


def schedule_for(ro: Rollout, strategy: Strategy, geos: list[CountyGeo]) -> Schedule:
    model = ro.operating_models[strategy.operating_model]
    costs = capital_costs(ro, model)
    if strategy.schedule_csv:
        return load_schedule(strategy.schedule_csv, geos, ro.horizon_m, costs, ro.budget_per_year_cny)
    from sim.county.rng import generator
    rng = generator(ro.seed, 0, "network")
    route_orders = [route_order(ro, model, g) for g in geos] if strategy.village_order == "route_contiguous" else None
    plist = projects(geos, strategy.village_order, strategy.county_target, rng, route_orders)
    return plan_rollout(geos, plist, ro.budget_per_year_cny, ro.horizon_m, costs)


def route_order(ro: Rollout, model: Scenario, geo: CountyGeo) -> np.ndarray:
    """Villages route by route: the routes planned for the whole county at mature
    demand, the busiest route first, each in its visiting order."""
    sc = county_scenario(model, geo.county, ro.seed)
    net = dataclasses.replace(geo.network, served=np.ones(geo.network.n, dtype=bool))
    per_adopter = ro.parcels_per_adopter_y / sc.demand.parcels_per_resident_y if sc.demand.parcels_per_resident_y else 0.0
    full = plan(sc, net, geo.grows, np.full(net.n, ro.adoption.ceiling * per_adopter))
    routes = sorted(full.routes, key=lambda r: (-net.residents[r.stops].sum(), r.index))
    return np.concatenate([r.stops for r in routes]) if routes else np.arange(net.n)


# ---- one county, month by month ------------------------------------------------------
def month_scenario(sc: Scenario, ro: Rollout, county_id: str, month: int) -> Scenario:
    """The county's scenario for a month's sample: warm-up plus sample days from the
    month's first day, capital left out (it is spent by the schedule), and random
    streams keyed by (county, month) so every strategy sees the same draws."""
    doy = int((sc.start_doy - 1 + month * DAYS_PER_MONTH) % 365) + 1
    zero_veh = {k: dataclasses.replace(v, capex_cny=0.0) for k, v in sc.vehicle_types.items()}
    return dataclasses.replace(
        sc, horizon_d=ro.warmup_days + ro.sample_days, warmup_d=ro.warmup_days, start_doy=doy,
        seed=county_seed(ro.seed, f"{county_id}/m{month}"), vehicle_types=zero_veh,
        hub=dataclasses.replace(sc.hub, capex_cny=0.0, cold_capex_per_kg_cny=0.0),
        stations=dataclasses.replace(sc.stations, capex_cny=0.0, cold_room_capex_per_kg_cny=0.0),
        costs=dataclasses.replace(sc.costs, subsidy_per_year_cny=0.0))


MONTH_COLUMNS = ("county_id", "month", "hub_open", "stations_open", "villages", "residents", "residents_covered",
                 "adopters", "vehicles", "parcels_unserved", "parcels_ordered", "parcels_delivered", "lead_time_sum_h",
                 "produce_sold_kg",
                 "produce_spoiled_kg", "farmer_revenue_cny", "vehicle_km", "co2_kg", "capex_cny", "opex_cny",
                 "revenue_cny", "subsidy_cny", "cross_subsidy_cny", "net_cash_cny")


def simulate_county(ro: Rollout, strategy: Strategy, replication: int, c: int, geo: CountyGeo,
                    sched: Schedule) -> dict:
    """Every month of one county under a schedule. Returns monthly rows, remoteness
    deciles (within the county) and the county's break-even month."""
    model_sc = county_scenario(ro.operating_models[strategy.operating_model], geo.county, ro.seed)
    net = geo.network
    n = net.n
    scale_days = DAYS_PER_MONTH / ro.sample_days
    opened = sched.station_month[c]
    share = np.zeros(n)
    produce_share = np.zeros(n)
    last_lead = np.full(n, np.nan)
    lead_sum, lead_n = np.zeros(n), np.zeros(n)
    plans: dict = {}
    rows = []
    access_hist = []
    ad, pr = ro.adoption, ro.produce
    per_adopter = ro.parcels_per_adopter_y / model_sc.demand.parcels_per_resident_y \
        if model_sc.demand.parcels_per_resident_y > 0 else 0.0
    for m in range(ro.horizon_m):
        hub_open = 0 <= sched.hub_month[c] <= m
        is_open = (opened >= 0) & (opened <= m)
        # adoption: months since each station opened (to mid-month)
        if ad.reference_h is None:
            share = np.where(is_open, bass_share(np.where(is_open, m - opened + 0.5, 0.0), ad.p, ad.q, ad.ceiling), 0.0)
        else:
            damp = np.where(np.isnan(last_lead), 1.0, service_damping(last_lead, ad.reference_h, ad.elasticity))
            step = np.where(opened == m, 0.5, 1.0)
            share = np.where(is_open, bass_step(share, ad.p, ad.q, ad.ceiling, 1.0, damp) if m else 0.0, 0.0)
            share = np.where(is_open & (opened == m), bass_share(step, ad.p, ad.q, ad.ceiling), share)
        produce_share = np.where(is_open, bass_share(np.where(is_open, m - opened + 0.5, 0.0), pr.p, pr.q, pr.ceiling), 0.0)
        # access of each village: the share of its residents shopping through a station (0 without one),
        # kept as a residents-weighted histogram so the region's Gini streams county by county
        access = np.where(is_open & hub_open, share, 0.0) / ad.ceiling
        access_hist.append(access_histogram(access, net.residents))
        row = dict.fromkeys(MONTH_COLUMNS, 0.0)
        row.update(county_id=geo.county.id, month=m, hub_open=bool(hub_open), stations_open=int(is_open.sum()),
                   villages=n, residents=float(net.residents.sum()),
                   residents_covered=float(net.residents[is_open].sum()) if hub_open else 0.0,
                   adopters=float((net.residents * share)[is_open].sum()) if hub_open else 0.0,
                   vehicles=int(sched.vehicles[c][m]), capex_cny=float(sched.capex[c, m]),
                   # demand of villages without service: their residents at the adoption ceiling
                   parcels_unserved=float(net.residents[~is_open if hub_open else slice(None)].sum())
                   * ad.ceiling * ro.parcels_per_adopter_y / 12.0,
                   subsidy_cny=ro.economics.subsidy_per_county_cny if sched.hub_month[c] == m else 0.0)
        if hub_open:
            sc_m = month_scenario(model_sc, ro, geo.county.id, m)
            key = is_open.tobytes()
            if key not in plans:  # routes planned for mature demand, kept until stations open
                plans.clear()
                plans[key] = plan(sc_m, dataclasses.replace(net, served=is_open), geo.grows,
                                  np.full(n, ad.ceiling * per_adopter))
            the_plan = plans[key]
            res = evaluate(CountyModel(sc_m, replication, the_plan, demand_scale=share * per_adopter,
                                       produce_scale=produce_share).run())
            k = res.kpis
            delivered = k["inbound_parcels_delivered"] * scale_days
            row.update(parcels_ordered=k["inbound_parcels_ordered"] * scale_days, parcels_delivered=delivered,
                       lead_time_sum_h=k["inbound_lead_time_mean_h"] * delivered if delivered else 0.0,
                       produce_sold_kg=k["outbound_produce_sold_kg"] * scale_days,
                       produce_spoiled_kg=k["outbound_produce_spoiled_kg"] * scale_days,
                       farmer_revenue_cny=k["farmer_revenue_cny"] * scale_days,
                       vehicle_km=k["vehicle_km"] * scale_days, co2_kg=k["co2_kg"] * scale_days,
                       opex_cny=res.costs.total * scale_days,
                       revenue_cny=delivered * (ro.economics.platform_fee_per_parcel_cny
                                                + ro.economics.delivery_price_per_parcel_cny),
                       cross_subsidy_cny=delivered * ro.economics.cross_subsidy_per_parcel_cny)
            stops = np.concatenate([r.stops for r in the_plan.routes]) if the_plan.routes else np.zeros(0, np.int64)
            if len(stops):
                s_lead, s_n = res.stop_lead.lead_h, res.stop_lead.delivered
                lead_sum[stops] += s_lead
                lead_n[stops] += s_n
                with np.errstate(invalid="ignore", divide="ignore"):
                    last_lead[stops] = np.where(s_n > 0, s_lead / np.maximum(s_n, 1), np.nan)
        row["net_cash_cny"] = (row["revenue_cny"] + row["subsidy_cny"] + row["cross_subsidy_cny"]
                               - row["opex_cny"] - row["capex_cny"])
        rows.append(row)
    # remoteness deciles within the county
    rank = np.argsort(np.argsort(geo.hub_km, kind="stable"), kind="stable")
    decile = (rank * 10) // n + 1
    final_open = (opened >= 0) & (opened < ro.horizon_m) & (0 <= sched.hub_month[c] < ro.horizon_m)
    deciles = [{"decile": int(d), "residents": float(net.residents[decile == d].sum()),
                "residents_covered": float(net.residents[(decile == d) & final_open].sum()),
                "lead_time_sum_h": float(lead_sum[decile == d].sum()), "parcels": float(lead_n[decile == d].sum())}
               for d in range(1, 11)]
    flows = np.array([r["net_cash_cny"] for r in rows])
    be = break_even_month(flows) if sched.hub_month[c] >= 0 else None
    return {"strategy": strategy.name, "replication": replication, "county_id": geo.county.id, "months": rows,
            "deciles": deciles, "break_even_month": be, "access_hist": access_hist,
            "npv_cny": npv(flows, ro.economics.discount_rate_y)}


ACCESS_BINS = 1000


def access_histogram(access: np.ndarray, residents: np.ndarray) -> list:
    """Residents by access level (0..1 of the adoption ceiling): bin 0 holds no access at
    all, bins 1..ACCESS_BINS equal widths above it; sparse, as [[bin, residents], ...]."""
    b = np.where(access <= 0, 0, np.minimum(np.ceil(access * ACCESS_BINS), ACCESS_BINS)).astype(np.int64)
    h = np.bincount(b, weights=residents, minlength=ACCESS_BINS + 1)
    nz = np.flatnonzero(h)
    return [[int(i), float(h[i])] for i in nz]


def access_gini(hist: np.ndarray) -> float:
    """Gini across villages of access, weighted by residents, from a summed histogram
    (values at bin centres: exact to half a bin, 0.05% of the ceiling)."""
    from sim.analysis.economics import gini
    values = np.concatenate([[0.0], (np.arange(1, ACCESS_BINS + 1) - 0.5) / ACCESS_BINS])
    keep = hist > 0
    if not keep.any():
        return 0.0
    return gini(values[keep], hist[keep])
