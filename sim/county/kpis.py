"""KPIs, daily series and the conservation check of one finished run, and the costs
by component with their split between goods in (per parcel) and produce out (per kg)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import ConservationError
from sim.county.leadtime import LeadTimes
from sim.county.model import CountyModel

KPI_COLUMNS = (
    "villages_served", "villages_served_share", "residents_served_share", "routes", "fleet_vehicles",
    "inbound_parcels_ordered", "inbound_parcels_delivered", "inbound_parcels_in_system",
    "inbound_parcels_per_resident_y", "inbound_lead_time_mean_h", "inbound_lead_time_p95_h",
    "outbound_produce_offered_kg", "outbound_produce_sold_kg", "outbound_produce_spoiled_kg",
    "outbound_produce_in_system_kg", "spoilage_rate", "farmer_revenue_cny",
    "vehicle_km", "lastmile_trips", "lastmile_load_factor_in", "lastmile_load_factor_out",
    "trunk_truck_runs", "hub_sort_wait_mean_h", "hub_time_mean_h",
    "cost_inbound_cny", "cost_outbound_cny", "cost_total_cny", "cost_per_parcel_cny", "cost_per_kg_out_cny",
    "subsidy_cny", "cost_net_cny", "cost_per_parcel_net_cny", "co2_kg",
)
"""KPI columns of ``runs.csv``, in order (after scenario, replication, seed)."""

DAILY_COLUMNS = (
    "day", "parcels_ordered", "parcels_delivered", "produce_offered_kg", "produce_sold_kg",
    "produce_spoiled_kg", "vehicle_km", "warehouse_backlog_parcels", "hub_backlog_parcels",
    "station_backlog_kg", "hub_produce_kg",
)


def capital_recovery_factor(rate: float, life_y: float) -> float:
    """Share of a purchase price charged per year over ``life_y`` years at ``rate``."""
    if rate == 0:
        return 1.0 / life_y
    g = (1.0 + rate) ** life_y
    return rate * g / (g - 1.0)


@dataclass
class RunResult:
    """The outcome of one replication: KPIs, daily series and per-parcel/per-trip detail."""
    kpis: dict
    daily: dict
    lead: LeadTimes
    load_in: np.ndarray
    load_out: np.ndarray
    costs: dict
    checks: dict


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0)


def conservation(model: CountyModel, sold_kg: float) -> dict:
    """Count every parcel and kilogram where it is at the end; raise
    :class:`ConservationError` if the books do not balance."""
    hub, trunk, lm = model.hub, model.trunk, model.lastmile
    ordered = int(model.counts.sum())
    delivered = lm.ledger.delivered
    places = {
        "warehouse": sum(len(c) for c in trunk.warehouse),
        "trunk": trunk.ledger.parcels_in_transit,
        "hub_sorting": hub.in_sorting,
        "hub_queues": sum(q.count() for q in hub.queues),
        "vehicles": lm.ledger.on_vehicles_at_end,
    }
    in_system = sum(places.values())
    if ordered != delivered + in_system:
        raise ConservationError(f"parcels not conserved: ordered {ordered} != delivered {delivered} + "
                                f"in system {in_system} {places}")
    offered = float(model.offers_kg.sum())
    spoiled = float(sum(kg for _, kg in model.spoiled))
    stocks = {
        "stations": model.stations.produce_kg,
        "vehicles": lm.ledger.produce_on_board_kg,
        "hub": hub.produce_kg,
        "trunk": trunk.ledger.produce_in_transit_kg,
    }
    in_system_kg = float(sum(stocks.values()))
    gap = offered - (sold_kg + spoiled + in_system_kg)
    if abs(gap) > 1e-9 * max(1.0, offered):
        raise ConservationError(f"produce not conserved: offered {offered:.6f} kg != sold {sold_kg:.6f} + "
                                f"spoiled {spoiled:.6f} + in system {in_system_kg:.6f} {stocks} (gap {gap:.3g} kg)")
    return dict(parcels_ordered=ordered, parcels_delivered=delivered, parcels_in_system=in_system, parcel_places=places,
                produce_offered_kg=offered, produce_spoiled_kg=spoiled, produce_in_system_kg=in_system_kg,
                produce_places=stocks)


def costs(model: CountyModel, act: dict, days: int) -> dict:
    """Costs (CNY) by component over a window of ``days`` days with activity ``act``
    (differences of :meth:`CountyModel.activity`), and their split between goods in
    and produce out.

    Shared resources (last-mile vehicles, trunk trucks, the hub) are split by the
    kilograms each direction moved through them; stations, agents and sorters serve
    parcels; the cold store, station cold rooms and dedicated pickups serve produce. Capital is spread
    over asset lives with the capital recovery factor."""
    sc = model.scenario
    years = days / 365.0
    r = sc.costs.discount_rate_y
    veh = sc.vehicle_types[sc.lastmile.vehicle_type]
    fleet = len(model.plan.routes) * sc.lastmile.vehicles_per_route
    stations = int(model.plan.network.served.sum())
    cold_rooms = int((model.plan.network.served & model.plan.grows.any(axis=0)).sum())  # stations of growers
    crf = capital_recovery_factor
    c = {
        "lastmile_vehicles": fleet * (veh.cost_per_day_cny * days + veh.capex_cny * crf(r, veh.life_y) * years)
        + act["km"] * veh.cost_per_km_cny + act["parcels_carried"] * veh.fee_per_parcel_cny,
        "drivers": fleet * veh.driver_per_day_cny * days,
        "pickups": act["pickup_vehicle_days"] * (veh.cost_per_day_cny + veh.driver_per_day_cny)
        + act["pickup_km"] * veh.cost_per_km_cny,
        "trunk": act["truck_runs"] * (sc.trunk.cost_per_run_cny + model.trunk.km_per_truck_run * sc.trunk.cost_per_km_cny),
        "hub": sc.hub.cost_per_day_cny * days + sc.hub.capex_cny * crf(r, sc.hub.life_y) * years,
        "sorters": sc.hub.sorters * sc.hub.sorter_wage_per_day_cny * days,
        "cold_store": sc.hub.cold_store_kg * sc.hub.cold_capex_per_kg_cny * crf(r, sc.hub.life_y) * years
        + act["cold_kg_h"] / 24.0 * sc.hub.cold_cost_per_kg_d,
        "cold_rooms": cold_rooms * sc.stations.cold_room_kg * (
            sc.stations.cold_room_capex_per_kg_cny * crf(r, sc.stations.life_y) * years
            + sc.stations.cold_room_cost_per_kg_d * days),
        "stations": stations * (sc.stations.agent_pay_per_month_cny * 12.0 * years
                                + sc.stations.capex_cny * crf(r, sc.stations.life_y) * years)
        + act["delivered"] * sc.stations.commission_per_parcel_cny,
    }

    def share_in(kg_in: float, kg_out: float) -> float:
        total = kg_in + kg_out
        return kg_in / total if total > 0 else 1.0

    lm_in = share_in(act["lm_parcel_kg"], act["lm_produce_kg"])
    tr_in = share_in(act["tr_parcel_kg"], act["tr_produce_kg"])
    hub_in = share_in(act["hub_parcels_in"] * sc.demand.parcel_kg, act["hub_produce_in_kg"])
    inbound = ((c["lastmile_vehicles"] + c["drivers"]) * lm_in + c["trunk"] * tr_in + c["hub"] * hub_in
               + c["sorters"] + c["stations"])
    total = float(sum(c.values()))
    c["inbound"] = inbound
    c["outbound"] = total - inbound
    c["total"] = total
    c["subsidy"] = sc.costs.subsidy_per_year_cny * years   # income, not a cost: kept out of the total
    return c


def evaluate(model: CountyModel) -> RunResult:
    """KPIs, daily series and checks of a finished run. The conservation check
    covers the whole run; KPIs cover the days after ``warmup_d``: flows in that
    window, lead times of parcels delivered in it, stocks at the end."""
    if not model.ran:
        raise RuntimeError("evaluate() needs a model that has run")
    sc = model.scenario
    T = model.horizon_h
    days = sc.horizon_d
    w = sc.warmup_d
    lm, tr, hub, net = model.lastmile.ledger, model.trunk.ledger, model.hub, model.plan.network
    sold_lots_kg = _cat([lots.kg for lots in tr.sold])
    sold_t = _cat(tr.sold_t_h)
    sold_crop = _cat([lots.crop for lots in tr.sold]).astype(np.int64)
    checks = conservation(model, float(sold_lots_kg.sum()))
    day_of = lambda t: np.minimum((np.asarray(t) // 24).astype(np.int64), days - 1)  # noqa: E731
    spoil_t = np.array([t for t, _ in model.spoiled])
    spoil_kg = np.array([kg for _, kg in model.spoiled])
    daily = {
        "day": np.arange(days),
        "parcels_ordered": model.counts.sum(axis=1),
        "parcels_delivered": lm.delivered_by_day(days),
        "produce_offered_kg": model.offered_kg_day,
        "produce_sold_kg": np.bincount(day_of(sold_t), weights=sold_lots_kg, minlength=days)[:days],
        # produce found spoiled at midnight belongs to the day that ended
        "produce_spoiled_kg": np.bincount(day_of(np.maximum(spoil_t - 1e-9, 0.0)), weights=spoil_kg, minlength=days)[:days],
        "vehicle_km": lm.km_by_day(days),
        "warehouse_backlog_parcels": np.array(model.days.warehouse_parcels),
        "hub_backlog_parcels": np.array(model.days.hub_parcels),
        "station_backlog_kg": np.array(model.days.station_kg),
        "hub_produce_kg": np.array(model.days.hub_kg),
    }
    end = model.activity()
    start = model.warm if (w and model.warm is not None) else {k: 0 for k in end}
    act = {k: end[k] - start[k] for k in end}
    window = slice(w, days)
    delivered = int(daily["parcels_delivered"][window].sum())
    ordered = int(daily["parcels_ordered"][window].sum())
    sold_window = sold_t >= 24.0 * w
    sold_kg = float(sold_lots_kg[sold_window].sum())
    spoiled = float(daily["produce_spoiled_kg"][window].sum())
    c = costs(model, act, days - w)
    price = np.array([crop.price_cny_per_kg for crop in sc.crops])
    revenue = float((sold_lots_kg[sold_window] * price[sold_crop[sold_window]]).sum()) if len(sold_crop) else 0.0
    served = net.served
    load_t = _cat(lm.load_t_h)
    after = load_t >= 24.0 * w
    load_in, load_out = _cat(lm.load_in)[after], _cat(lm.load_out)[after]
    residents_served = float(net.residents[served].sum())
    lead = lm.lead
    kpis = {
        "villages_served": int(served.sum()),
        "villages_served_share": float(served.mean()),
        "residents_served_share": residents_served / float(net.residents.sum()),
        "routes": len(model.plan.routes),
        "fleet_vehicles": len(model.plan.routes) * sc.lastmile.vehicles_per_route,
        "inbound_parcels_ordered": ordered,
        "inbound_parcels_delivered": delivered,
        "inbound_parcels_in_system": checks["parcels_in_system"],
        "inbound_parcels_per_resident_y": (ordered / residents_served * 365.0 / (days - w)
                                           if residents_served else 0.0),
        "inbound_lead_time_mean_h": lead.mean_h,
        "inbound_lead_time_p95_h": lead.quantile_h(0.95),
        "outbound_produce_offered_kg": float(daily["produce_offered_kg"][window].sum()),
        "outbound_produce_sold_kg": sold_kg,
        "outbound_produce_spoiled_kg": spoiled,
        "outbound_produce_in_system_kg": checks["produce_in_system_kg"],
        "spoilage_rate": spoiled / (spoiled + sold_kg) if spoiled + sold_kg > 0 else 0.0,
        "farmer_revenue_cny": revenue,
        "vehicle_km": act["km"] + act["pickup_km"],
        "lastmile_trips": act["trips"] + act["pickup_trips"],
        "lastmile_load_factor_in": float(load_in.mean()) if len(load_in) else 0.0,
        "lastmile_load_factor_out": float(load_out.mean()) if len(load_out) else 0.0,
        "trunk_truck_runs": act["truck_runs"],
        "hub_sort_wait_mean_h": act["sort_wait_parcel_h"] / act["hub_parcels_in"] if act["hub_parcels_in"] else 0.0,
        "hub_time_mean_h": act["hub_time_in_h"] / act["hub_parcels_out"] if act["hub_parcels_out"] else 0.0,
        "cost_inbound_cny": c["inbound"],
        "cost_outbound_cny": c["outbound"],
        "cost_total_cny": c["total"],
        "cost_per_parcel_cny": c["inbound"] / delivered if delivered else float("nan"),
        "cost_per_kg_out_cny": c["outbound"] / sold_kg if sold_kg else float("nan"),
        "subsidy_cny": c["subsidy"],
        "cost_net_cny": c["total"] - c["subsidy"],
        "cost_per_parcel_net_cny": (c["inbound"] - c["subsidy"]) / delivered if delivered else float("nan"),
        "co2_kg": (act["km"] + act["pickup_km"]) * sc.vehicle_types[sc.lastmile.vehicle_type].co2_kg_per_km
        + act["truck_runs"] * model.trunk.km_per_truck_run * sc.trunk.co2_kg_per_km,
    }
    assert tuple(kpis) == KPI_COLUMNS
    checks["hub_parcel_hours"] = hub.hub_parcel_hours(T)
    checks["hub_residual_h"] = hub.residual_hours(T)
    checks["hub_time_in_h"] = hub.time_in_hub_h
    checks["hub_parcels_in"] = hub.parcels_in
    checks["hub_parcels_out"] = hub.parcels_out
    checks["lastmile_left_behind"] = lm.left_behind
    checks["stop_lead"] = (lm.stop_lead_h, lm.stop_delivered)   # per stop, in route order
    return RunResult(kpis, daily, lead, load_in, load_out, c, checks)


def run_replication(scenario, replication: int, the_plan=None) -> RunResult:
    """Build, run and evaluate one replication."""
    return evaluate(CountyModel(scenario, replication, the_plan).run())
