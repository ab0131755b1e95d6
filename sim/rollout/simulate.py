"""A rollout's simulation: each county's geography, the schedule a strategy gives it,
and every month of one county (Bass adoption, a sampled county run, money flows)."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from sim.analysis.economics import break_even_month, npv
from sim.config.scenario import Scenario
from sim.county.fleetmix import mixed
from sim.county.kpis import evaluate
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.errors import InputError
from sim.rollout.adoption import bass_share, bass_step, service_damping
from sim.rollout.attrition import income_histogram, station_status
from sim.rollout.entry import plan_entry
from sim.rollout.fleets import village_type_names
from sim.rollout.region import CountyGeo, counties_of, county_geography, county_scenario, county_seed, villages_file
from sim.rollout.sampling import Block, month_blocks, month_days
from sim.rollout.spec import DAYS_PER_MONTH, Rollout, Strategy, check_township_ids
from sim.rollout.strategies import Costs, Schedule, load_schedule, plan_rollout, projects, village_order
from sim.rollout.villages import cross_subsidy_paid, draw_inputs, village_ceilings, with_promoters


# ---- region set-up ----------------------------------------------------------------
def geographies(ro: Rollout, model: Scenario) -> list[CountyGeo]:
    out = []
    for county in counties_of(ro.region)[:ro.county_limit]:
        scenario = county_scenario(model, county, ro.seed, villages_file(ro.region, county))
        geo = county_geography(scenario, county)
        check_township_ids(ro, county.id, geo.network.township_id, geo.network.village_id)
        out.append(geo)
    return out


def capital_costs(ro: Rollout, model: Scenario, hub_capex_share: float = 1.0) -> Costs:
    """Capital per project; with two tiers the village routes' vehicles are the
    townships' (each type at its own price and capacity where townships drive
    different types: see :func:`village_types_of`), every township station (with its
    cold room) is a cost of the first village station of its township, and the
    feeder routes' vehicles are bought for the open stations' parcels at the
    feeder's capacity (:mod:`sim.rollout.fleets`)."""
    tw, two = model.township, model.network.tiers == 2
    per_route = tw.vehicles_per_route if two else model.lastmile.vehicles_per_route
    departures = len(tw.departures_h if two else model.lastmile.departures_h)

    def route_set(veh, vehicles: int, trips: int) -> tuple[float, float]:
        """A route's vehicles: their capital and parcels a day."""
        cap = min(veh.capacity_parcels, veh.capacity_kg / model.demand.parcel_kg) * trips
        return veh.capex_cny * vehicles, cap * vehicles

    vehicle_cny, per_day = route_set(model.vehicle_types[tw.vehicle_type if two else model.lastmile.vehicle_type],
                                     per_route, departures)
    feeder_cny, feeder_per_day = route_set(model.vehicle_types[tw.feeder_vehicle_type],
                                           tw.feeder_vehicles_per_route, len(tw.feeder_departures_h))
    hub_cny = model.hub.capex_cny + model.hub.cold_store_kg * model.hub.cold_capex_per_kg_cny
    return Costs(hub_cny=hub_cny if hub_capex_share == 1.0 else hub_cny * hub_capex_share,
                 station_cny=(model.stations.capex_cny
                              + model.stations.cold_room_kg * model.stations.cold_room_capex_per_kg_cny),
                 vehicle_cny=vehicle_cny,
                 parcels_per_vehicle_day=per_day,
                 parcels_per_resident_day=ro.adoption.ceiling * ro.parcels_per_adopter_y / 365.0
                 * model.lastmile.planning_load_factor,
                 township_cny=tw.capex_cny + tw.cold_room_kg * tw.cold_room_capex_per_kg_cny if two else 0.0,
                 tiers=model.network.tiers,
                 feeder_cny=feeder_cny if two else 0.0, feeder_parcels_per_day=feeder_per_day if two else 0.0,
                 type_costs={name: route_set(v, per_route, departures) for name, v in model.vehicle_types.items()}
                 if two and mixed(model) else None)


def village_types_of(ro: Rollout, strategy: Strategy, model: Scenario, costs: Costs,
                     geos: list[CountyGeo]) -> Costs:
    """``costs`` with each county's village types, where townships drive different
    types (two tiers): decided at mature demand (each village's adoption ceiling), as
    the county's monthly routes are planned; ``costs`` itself otherwise."""
    if costs.type_costs is None:
        return costs
    out = []
    for g in geos:
        sc = county_scenario(model, g.county, ro.seed)
        out.append(village_type_names(sc, g.network, mature_scale(ro, strategy, g, sc)))
    return dataclasses.replace(costs, village_type=out)


def mature_scale(ro: Rollout, strategy: Strategy, geo: CountyGeo, sc: Scenario) -> np.ndarray:
    """Each village's demand share at its adoption ceiling, in the scenario's parcels
    per resident (what the county's routes are planned for)."""
    per_resident = sc.demand.parcels_per_resident_y
    per_adopter = ro.parcels_per_adopter_y / per_resident if per_resident > 0 else 0.0
    ceiling = adoption_params(ro, strategy, geo)[1]
    return np.full(geo.network.n, 1.0) * ceiling * per_adopter


def schedule_for(ro: Rollout, strategy: Strategy, geos: list[CountyGeo]) -> Schedule:
    model = ro.operating_models[strategy.operating_model]
    costs = village_types_of(ro, strategy, model, capital_costs(ro, model, strategy.hub_capex_share), geos)
    if strategy.schedule_csv:
        return load_schedule(strategy.schedule_csv, geos, ro.horizon_m, costs, ro.budget_per_year_cny)
    order = strategy.village_order
    if order is None:  # the spec gives every strategy without a schedule file a village order
        raise ValueError(f"strategy {strategy.name!r} has neither a schedule nor a village order")
    from sim.county.rng import generator
    rng = generator(ro.seed, 0, "network")
    route_orders = [route_order(ro, model, g) for g in geos] if strategy.village_order == "route_contiguous" else None
    if ro.entry is not None:
        return entry_schedule(ro, strategy, geos, costs, rng, route_orders)
    plist = projects(geos, order, strategy.county_target, rng, route_orders)
    return plan_rollout(geos, plist, ro.budget_per_year_cny, ro.horizon_m, costs, ro.budget_profile)


def entry_schedule(ro: Rollout, strategy: Strategy, geos: list[CountyGeo], costs: Costs, rng,
                   route_orders=None) -> Schedule:
    """The schedule of ``ro.entry``: counties in order of population enter by the entry
    schedule or launch capacity and recruit villages in the strategy's order up to its
    county_target, within the budget."""
    assert ro.entry is not None and strategy.village_order is not None
    if ro.entry.county_months is not None:
        ids = {g.county.id for g in geos}
        unknown = sorted(set(ro.entry.county_months) - ids)
        if unknown and ro.county_limit is None:
            raise InputError(f"{ro.source}: entry.county_months.{unknown[0]} is not allowed: no such county in the "
                             f"region (its counties are {min(ids)}..{max(ids)})")
    county_rank = np.lexsort((np.arange(len(geos)), -np.array([g.network.residents.sum() for g in geos])))
    orders = [village_order(g, strategy.village_order, rng, None if route_orders is None else route_orders[i])
              for i, g in enumerate(geos)]
    targets = [max(1, math.ceil(strategy.county_target * g.network.n)) for g in geos]
    return plan_entry(geos, county_rank, orders, targets, ro.entry, ro.budget_per_year_cny, ro.budget_profile,
                      ro.horizon_m, costs)


def station_months(ro: Rollout, sched: Schedule, c: int, geo: CountyGeo) -> tuple[np.ndarray, np.ndarray | None]:
    """Which of county c's stations are open each month ``(horizon_m, villages)``, and
    their agents' incomes (None without attrition): opened by the schedule, closed and
    reopened by attrition on the closed-form adoption volumes."""
    opened = sched.station_month[c]
    if ro.attrition is None:
        months = np.arange(ro.horizon_m)[:, None]
        return (opened >= 0) & (opened <= months), None
    ad = ro.adoption
    return station_status(ro.attrition, opened, geo.network.residents, ad.p, ad.q, ad.ceiling,
                          ro.parcels_per_adopter_y, ro.horizon_m)


def route_order(ro: Rollout, model: Scenario, geo: CountyGeo) -> np.ndarray:
    """Villages route by route: the routes planned for the whole county at mature
    demand, the busiest route first, each in its visiting order."""
    sc = county_scenario(model, geo.county, ro.seed)
    net = dataclasses.replace(geo.network, served=np.ones(geo.network.n, dtype=bool))
    per_resident = sc.demand.parcels_per_resident_y
    per_adopter = ro.parcels_per_adopter_y / per_resident if per_resident else 0.0
    full = plan(sc, net, geo.grows, np.full(net.n, ro.adoption.ceiling * per_adopter))
    routes = sorted(full.routes, key=lambda r: (-net.residents[r.stops].sum(), r.index))
    return np.concatenate([r.stops for r in routes]) if routes else np.arange(net.n)


# ---- one county, month by month ------------------------------------------------------
def month_scenario(sc: Scenario, ro: Rollout, county_id: str, month: int, block: Block | None = None) -> Scenario:
    """The county's scenario for a month's sample block (by default the first days'
    block): the KPI window is the ``sample_days`` from the block's offset in the month
    (by default after ``warmup_days`` from the month's first day) and the
    ``warmup_days`` before it are the warm-up; capital is left out (it is spent by the
    schedule), and random streams are keyed by (county, month, block) so every
    strategy sees the same draws."""
    first = int((sc.start_doy - 1 + month * DAYS_PER_MONTH) % 365) + 1
    offset = ro.warmup_days if block is None else block.offset_d
    doy = (first - 1 + offset) % 365 + 1          # the sample's first day
    key = f"{county_id}/m{month}" if block is None or ro.sampling.method == "first_days" \
        else f"{county_id}/m{month}/b{block.index}"
    zero_veh = {k: dataclasses.replace(v, capex_cny=0.0) for k, v in sc.vehicle_types.items()}
    return dataclasses.replace(
        sc, horizon_d=ro.sample_days, warmup_d=ro.warmup_days, start_doy=doy,
        seed=county_seed(ro.seed, key), vehicle_types=zero_veh,
        hub=dataclasses.replace(sc.hub, capex_cny=0.0, cold_capex_per_kg_cny=0.0),
        stations=dataclasses.replace(sc.stations, capex_cny=0.0, cold_room_capex_per_kg_cny=0.0),
        township=dataclasses.replace(sc.township, capex_cny=0.0, cold_room_capex_per_kg_cny=0.0),
        costs=dataclasses.replace(sc.costs, subsidy_per_year_cny=0.0))


MONTH_COLUMNS = ("county_id", "month", "hub_open", "stations_open", "stations_closed", "villages", "residents",
                 "residents_covered",
                 "adopters", "vehicles", "parcels_unserved", "parcels_ordered", "parcels_delivered", "lead_time_sum_h",
                 "produce_sold_kg", "produce_spoiled_kg", "produce_trader_kg", "farmer_revenue_cny", "vehicle_km",
                 "co2_kg", "capex_cny", "opex_cny",
                 "revenue_cny", "subsidy_cny", "cross_subsidy_cny", "net_cash_cny", "promoter_cost_cny",
                 "lastmile_vehicles_cny")
"""A county-month's record (the run store's rows): opex_cny includes promoter_cost_cny and lastmile_vehicles_cny
(the last-mile vehicles' cost; with a partner paid only per parcel, its fees)."""


def _add_block(row: dict, res, weight: float) -> None:
    """Add one sample block's KPIs, scaled by its weight, to a county-month row."""
    k = res.kpis
    delivered = k["inbound_parcels_delivered"] * weight
    row["parcels_ordered"] += k["inbound_parcels_ordered"] * weight
    row["parcels_delivered"] += delivered
    row["lead_time_sum_h"] += k["inbound_lead_time_mean_h"] * delivered if delivered else 0.0
    row["produce_sold_kg"] += k["outbound_produce_sold_kg"] * weight
    row["produce_spoiled_kg"] += k["outbound_produce_spoiled_kg"] * weight
    row["produce_trader_kg"] += k["outbound_produce_trader_kg"] * weight
    row["farmer_revenue_cny"] += k["farmer_revenue_cny"] * weight
    row["vehicle_km"] += k["vehicle_km"] * weight
    row["co2_kg"] += k["co2_kg"] * weight
    row["opex_cny"] += res.costs.total * weight
    row["lastmile_vehicles_cny"] += res.costs.lastmile_vehicles * weight


def adoption_params(ro: Rollout, strategy: Strategy, geo: CountyGeo):
    """The innovation coefficient and ceiling of every village of a county (scalars
    without village inputs and promoters: every village at the region's), and each
    village's ceiling without promoters (the demand of a village still waiting for a
    station)."""
    ad = ro.adoption
    if ro.village_inputs is None and not strategy.promoters:
        return ad.p, ad.ceiling, ad.ceiling
    n = geo.network.n
    base = np.full(n, ad.ceiling)
    if ro.village_inputs is not None:
        internet, working = draw_inputs(ro.village_inputs, n, ro.seed, geo.county.id, geo.scenario.county.villages_csv)
        base = village_ceilings(ad.ceiling, ro.village_inputs, internet, working)
    if not strategy.promoters:
        return np.full(n, ad.p), base, base
    p_v, m_v = with_promoters(ad.p, base, ro.promoters, np.ones(n, bool))
    return p_v, m_v, base


def simulate_county(ro: Rollout, strategy: Strategy, replication: int, c: int, geo: CountyGeo,
                    sched: Schedule) -> dict:
    """Every month of one county under a schedule. Returns monthly rows, remoteness
    deciles (within the county) and the county's break-even month."""
    model_sc = county_scenario(ro.operating_models[strategy.operating_model], geo.county, ro.seed)
    net = geo.network
    n = net.n
    opened = sched.station_month[c]
    share = np.zeros(n)
    produce_share = np.zeros(n)
    last_lead = np.full(n, np.nan)
    lead_sum, lead_n = np.zeros(n), np.zeros(n)
    plans: dict = {}
    rows = []
    access_hist = []
    ad, pr = ro.adoption, ro.produce
    p_v, ceil_v, waiting_ceil = adoption_params(ro, strategy, geo)
    uniform = np.ndim(ceil_v) == 0
    econ = ro.economics
    volume_reached = False
    per_adopter = ro.parcels_per_adopter_y / model_sc.demand.parcels_per_resident_y \
        if model_sc.demand.parcels_per_resident_y > 0 else 0.0
    status, income = station_months(ro, sched, c, geo)
    mature = mature_scale(ro, strategy, geo, model_sc)   # routes (and vehicle types) are planned for it
    income_hist = []
    for m in range(ro.horizon_m):
        hub_open = 0 <= sched.hub_month[c] <= m
        started = (opened >= 0) & (opened <= m)     # adoption runs from a station's first opening
        is_open = status[m]                         # served this month (attrition may have closed it)
        # adoption: months since each station opened (to mid-month)
        if ad.reference_h is None:
            share = np.where(started, bass_share(np.where(started, m - opened + 0.5, 0.0), p_v, ad.q, ceil_v), 0.0)
        else:
            damp = np.where(np.isnan(last_lead), 1.0, service_damping(last_lead, ad.reference_h, ad.elasticity))
            step = np.where(opened == m, 0.5, 1.0)
            share = np.where(started, bass_step(share, p_v, ad.q, ceil_v, 1.0, damp) if m else 0.0, 0.0)
            share = np.where(started & (opened == m), bass_share(step, p_v, ad.q, ceil_v), share)
        produce_share = np.where(is_open, bass_share(np.where(started, m - opened + 0.5, 0.0),
                                                     pr.p, pr.q, pr.ceiling), 0.0)
        if income is not None:
            income_hist.append(income_histogram(income[m][is_open]))
        # access of each village: the share of its residents shopping through a station (0 without one) over the
        # region's ceiling (at most 1), kept as a residents-weighted histogram so the region's Gini streams county
        # by county
        access = np.where(is_open & hub_open, share, 0.0) / ad.ceiling
        access_hist.append(access_histogram(np.minimum(access, 1.0) if not uniform else access, net.residents))
        waiting = ~is_open if hub_open else np.ones(n, bool)
        row: dict[str, Any] = dict.fromkeys(MONTH_COLUMNS, 0.0)
        row.update(county_id=geo.county.id, month=m, hub_open=bool(hub_open), stations_open=int(is_open.sum()),
                   stations_closed=int((started & ~is_open).sum()),
                   villages=n, residents=float(net.residents.sum()),
                   residents_covered=float(net.residents[is_open].sum()) if hub_open else 0.0,
                   adopters=float((net.residents * share)[is_open].sum()) if hub_open else 0.0,
                   vehicles=int(sched.vehicles[c][m]), capex_cny=float(sched.capex[c, m]),
                   # demand of villages without service: their residents at the adoption ceiling
                   parcels_unserved=(float(net.residents[waiting].sum()) * ad.ceiling if uniform
                                     else float((net.residents * waiting_ceil)[waiting].sum()))
                   * ro.parcels_per_adopter_y / 12.0,
                   subsidy_cny=econ.subsidy_per_county_cny if sched.hub_month[c] == m else 0.0)
        if hub_open:
            key = is_open.tobytes()
            days = month_days(model_sc.start_doy, m)
            blocks = month_blocks(ro.sampling, ro.sample_days, ro.warmup_days, ro.seed, geo.county.id, m, days)
            if key not in plans:  # routes planned for mature demand, kept until stations open
                plans.clear()
                plans[key] = plan(month_scenario(model_sc, ro, geo.county.id, m, blocks[0]),
                                  dataclasses.replace(net, served=is_open), geo.grows, mature)
            the_plan = plans[key]
            stops = np.concatenate([r.stops for r in the_plan.routes]) if the_plan.routes else np.zeros(0, np.int64)
            s_lead, s_n = np.zeros(len(stops)), np.zeros(len(stops))
            for block in blocks:
                sc_m = month_scenario(model_sc, ro, geo.county.id, m, block)
                res = evaluate(CountyModel(sc_m, replication, the_plan,
                                           demand_scale=np.where(is_open, share, 0.0) * per_adopter,
                                           produce_scale=produce_share).run())
                _add_block(row, res, block.weight)
                if len(stops):
                    s_lead += res.stop_lead.lead_h
                    s_n += res.stop_lead.delivered
            delivered = row["parcels_delivered"]
            paid = cross_subsidy_paid(ro.cross_subsidy_policy, m, int(sched.hub_month[c]), volume_reached)
            limit = ro.cross_subsidy_policy.until_parcels_per_month
            volume_reached = volume_reached or (limit is not None and delivered >= limit)
            row["promoter_cost_cny"] = delivered * ro.promoters.pay_per_order_cny if strategy.promoters else 0.0
            row.update(opex_cny=row["opex_cny"] + row["promoter_cost_cny"],
                       revenue_cny=delivered * (econ.platform_fee_per_parcel_cny + econ.delivery_price_per_parcel_cny),
                       cross_subsidy_cny=delivered * econ.cross_subsidy_per_parcel_cny if paid else 0.0)
            if len(stops):
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
    final_open = status[-1] & (0 <= sched.hub_month[c] < ro.horizon_m)
    deciles = [{"decile": int(d), "residents": float(net.residents[decile == d].sum()),
                "residents_covered": float(net.residents[(decile == d) & final_open].sum()),
                "lead_time_sum_h": float(lead_sum[decile == d].sum()), "parcels": float(lead_n[decile == d].sum())}
               for d in range(1, 11)]
    flows = np.array([r["net_cash_cny"] for r in rows])
    be = break_even_month(flows) if sched.hub_month[c] >= 0 else None
    return {"strategy": strategy.name, "replication": replication, "county_id": geo.county.id, "months": rows,
            "deciles": deciles, "break_even_month": be, "access_hist": access_hist, "income_hist": income_hist,
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
    (values at bin centres: exact to half a bin, 0.05% of the ceiling). NaN while no
    village has any access: a Gini of nothing is undefined (0/0), and 0 would read as
    equal access."""
    from sim.analysis.economics import gini
    values = np.concatenate([[0.0], (np.arange(1, ACCESS_BINS + 1) - 0.5) / ACCESS_BINS])
    keep = hist > 0
    if not keep[1:].any():
        return float("nan")
    return gini(values[keep], hist[keep])
