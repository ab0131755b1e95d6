"""Costs of one county run by component over the KPI window, and their split
between goods in (per parcel) and produce out (per kg)."""
from __future__ import annotations

from dataclasses import dataclass, fields

from sim.county.model import Activity, CountyModel


def capital_recovery_factor(rate: float, life_y: float) -> float:
    """Share of a purchase price charged per year over ``life_y`` years at ``rate``."""
    if rate == 0:
        return 1.0 / life_y
    g = (1.0 + rate) ** life_y
    return rate * g / (g - 1.0)


@dataclass(frozen=True)
class Costs:
    """Costs (CNY) over a window by component, then their split: ``inbound`` +
    ``outbound`` == ``total``, the sum of the components. ``subsidy`` is income
    over the window, kept out of the total."""
    lastmile_vehicles: float
    drivers: float
    pickups: float
    trunk: float
    hub: float
    sorters: float
    cold_store: float
    cold_rooms: float
    stations: float
    surge: float
    inbound: float
    outbound: float
    total: float
    subsidy: float

    @classmethod
    def components(cls) -> tuple[str, ...]:
        """Names of the fields that are costs of a component (they sum to ``total``):
        every field before ``inbound``."""
        names = [f.name for f in fields(cls)]
        return tuple(names[:names.index("inbound")])


def _share_in(kg_in: float, kg_out: float) -> float:
    total = kg_in + kg_out
    return kg_in / total if total > 0 else 1.0


def surge_costs(model: CountyModel, act: Activity) -> tuple[float, float, float]:
    """What the surge capacity hired over the window cost (CNY): spot trunk truck
    runs, extra last-mile vehicles (day cost and driver at the premium, km at the
    usual rate) and temporary sorters."""
    sc = model.scenario
    s, veh = sc.surge, sc.vehicle_types[sc.lastmile.vehicle_type]
    run_cny = sc.trunk.cost_per_run_cny + model.trunk.km_per_truck_run * sc.trunk.cost_per_km_cny
    trucks = act.trunk.spot_truck_runs * s.spot_truck_premium * run_cny
    vehicle_day_cny = s.extra_vehicle_premium * (veh.cost_per_day_cny + veh.driver_per_day_cny)
    vehicles = act.lastmile.surge_vehicle_days * vehicle_day_cny + act.lastmile.surge_km * veh.cost_per_km_cny
    sorters = act.hub.temp_sorter_days * s.temp_sorter_premium * sc.hub.sorter_wage_per_day_cny
    return trucks, vehicles, sorters


def costs(model: CountyModel, act: Activity, days: int) -> Costs:
    """Costs by component over a window of ``days`` days in which the components
    did ``act``, and their split between goods in and produce out.

    Shared resources (last-mile vehicles, trunk trucks, the hub) are split by the
    kilograms each direction moved through them; stations, agents and sorters serve
    parcels; the cold store, station cold rooms and dedicated pickups serve produce. Surge
    capacity (:func:`surge_costs`) is split like what it adds to: spot trucks like the
    trunk, extra vehicles like the last mile; temporary sorters serve parcels. Capital is spread
    over asset lives with the capital recovery factor."""
    sc = model.scenario
    years = days / 365.0
    r = sc.costs.discount_rate_y
    veh = sc.vehicle_types[sc.lastmile.vehicle_type]
    fleet = len(model.plan.routes) * sc.lastmile.vehicles_per_route
    stations = int(model.plan.network.served.sum())
    cold_rooms = int((model.plan.network.served & model.plan.grows.any(axis=0)).sum())  # stations of growers
    crf = capital_recovery_factor
    lm, tr, hub = act.lastmile, act.trunk, act.hub
    c = {
        "lastmile_vehicles": fleet * (veh.cost_per_day_cny * days + veh.capex_cny * crf(r, veh.life_y) * years)
        + (lm.km - lm.surge_km) * veh.cost_per_km_cny + lm.parcels_carried * veh.fee_per_parcel_cny,
        "drivers": fleet * veh.driver_per_day_cny * days,
        "pickups": lm.pickup_vehicle_days * (veh.cost_per_day_cny + veh.driver_per_day_cny)
        + lm.pickup_km * veh.cost_per_km_cny,
        "trunk": (tr.truck_runs - tr.spot_truck_runs)
        * (sc.trunk.cost_per_run_cny + model.trunk.km_per_truck_run * sc.trunk.cost_per_km_cny),
        "hub": sc.hub.cost_per_day_cny * days + sc.hub.capex_cny * crf(r, sc.hub.life_y) * years,
        "sorters": sc.hub.sorters * sc.hub.sorter_wage_per_day_cny * days,
        "cold_store": sc.hub.cold_store_kg * sc.hub.cold_capex_per_kg_cny * crf(r, sc.hub.life_y) * years
        + hub.cold_kg_h / 24.0 * sc.hub.cold_cost_per_kg_d,
        "cold_rooms": cold_rooms * sc.stations.cold_room_kg * (
            sc.stations.cold_room_capex_per_kg_cny * crf(r, sc.stations.life_y) * years
            + sc.stations.cold_room_cost_per_kg_d * days),
        "stations": stations * (sc.stations.agent_pay_per_month_cny * 12.0 * years
                                + sc.stations.capex_cny * crf(r, sc.stations.life_y) * years)
        + lm.delivered * sc.stations.commission_per_parcel_cny,
    }
    surge_trucks, surge_vehicles, surge_sorters = surge_costs(model, act)
    c["surge"] = surge_trucks + surge_vehicles + surge_sorters
    lm_in = _share_in(lm.parcel_kg, lm.produce_kg)
    tr_in = _share_in(tr.parcel_kg, tr.produce_kg)
    hub_in = _share_in(hub.parcels_in * sc.demand.parcel_kg, hub.produce_in_kg)
    inbound = ((c["lastmile_vehicles"] + c["drivers"]) * lm_in + c["trunk"] * tr_in + c["hub"] * hub_in
               + c["sorters"] + c["stations"]
               + surge_trucks * tr_in + surge_vehicles * lm_in + surge_sorters)
    total = float(sum(c.values()))
    return Costs(**c, inbound=inbound, outbound=total - inbound, total=total,
                 subsidy=sc.costs.subsidy_per_year_cny * years)
