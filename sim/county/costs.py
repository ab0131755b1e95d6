"""Costs of one county run over the KPI window: by component, by cause (direct to
goods in, direct to produce out, shared), and allocated between goods in (per
parcel) and produce out (per kg)."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.config.fleet import VehicleType
from sim.county.model import Activity, CountyModel
from sim.county.triplog import LastMileActivity


def capital_recovery_factor(rate: float, life_y: float) -> float:
    """Share of a purchase price charged per year over ``life_y`` years at ``rate``."""
    if rate == 0:
        return 1.0 / life_y
    g = (1.0 + rate) ** life_y
    if g - 1.0 <= 1e-6 * rate * life_y:   # a rate so small that 1 + rate rounds away: (g - 1) / rate -> life
        return 1.0 / life_y
    return rate * g / (g - 1.0)


@dataclass(frozen=True)
class Costs:
    """Costs (CNY) over a window by component, then by cause: ``inbound_direct``
    (what only parcels use) + ``outbound_direct`` (what only produce uses, or what
    produce alone added) + ``shared`` == ``total``, the sum of the components. Then
    the allocated totals: ``inbound`` + ``outbound`` == ``total``, each direction's
    direct cost plus its share of ``shared`` under ``costs.shared_allocation``.
    ``subsidy`` is income over the window, kept out of the total."""
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
    inbound_direct: float
    outbound_direct: float
    shared: float
    inbound: float
    outbound: float
    total: float
    subsidy: float
    feeders: float = 0.0            # of the components: the feeder routes' (two tiers)
    township_stations: float = 0.0  # and the township stations' (running, capital, transfers, cold rooms)

    @classmethod
    def components(cls) -> tuple[str, ...]:
        """Names of the fields that are costs of a component (they sum to ``total``):
        every field before ``inbound_direct``."""
        names = [f.name for f in fields(cls)]
        return tuple(names[:names.index("inbound_direct")])


@dataclass(frozen=True)
class Part:
    """One component's cost by cause (CNY), and the share of its shared part that
    goods in would carry under the kilogram rule (their kilograms through it)."""
    inbound_direct: float = 0.0
    outbound_direct: float = 0.0
    shared: float = 0.0
    kg_share_in: float = 1.0

    @property
    def total(self) -> float:
        return self.inbound_direct + self.outbound_direct + self.shared


def _share_in(kg_in: float, kg_out: float) -> float:
    total = kg_in + kg_out
    return kg_in / total if total > 0 else 1.0


def parts(model: CountyModel, act: Activity, days: int,
          tiers: dict[str, list[tuple[str, Part]]] | None = None) -> dict[str, Part]:
    """Each component's cost over a window of ``days`` days in which the components
    did ``act``, split by cause. Capital is spread over asset lives with the
    capital recovery factor.

    - Goods in alone: stations (agents' pay, commissions, fit-out), sorters, and the
      vehicles' fee per parcel carried.
    - Produce out alone: dedicated pickups (vehicle days, drivers, km), hub cold
      store (capital and kg-days) and station cold rooms; and what produce adds to
      resources parcels need anyway: the km of delivery trips that left with produce
      to collect but no parcels (a trip drives its whole route, so collecting on a
      trip that carries parcels adds no km), and the trunk trucks sent beyond those
      a departure's parcels needed (runs with no parcels included).
    - Shared: the route fleet's days and capital, drivers, km of trips that carried
      parcels, the trunk trucks parcels needed, hub operation and capital.

    - Surge capacity hired at peaks (its own component, at the premiums of the
      ``surge`` keys): spot trunk trucks are produce's where they carried produce
      alone and shared otherwise, like the contracted trucks; extra last-mile
      vehicles (days, drivers, km) are shared like the fleet; temporary sorters are
      goods in's.

    Time at a stop is not priced (vehicles and drivers are paid by the day), so a
    collection stop without a delivery costs nothing at a fixed fleet; its only
    effect, a later return, shows in lead times. ``tiers``: the township tier's parts
    (:func:`tier_parts`) if the caller has them."""
    sc = model.scenario
    years = days / 365.0
    r = sc.costs.discount_rate_y
    stations = int(model.plan.network.served.sum())
    cold_rooms = int((model.plan.network.served & model.plan.grows.any(axis=0)).sum())  # stations of growers
    crf = capital_recovery_factor
    lm, tr, hub = act.lastmile, act.trunk, act.hub
    lm_in = _share_in(lm.parcel_kg, lm.produce_kg)   # the vans' kilograms; pickups' produce is not theirs
    tr_in = _share_in(tr.parcel_kg, tr.produce_kg)
    per_truck = sc.trunk.cost_per_run_cny + model.trunk.km_per_truck_run * sc.trunk.cost_per_km_cny
    fleet: float = len(model.plan.routes) * model.lastmile.cfg.vehicles_per_route
    if model.service is not None:  # routes that run on some days share vehicles and drivers in turn
        fleet = model.lastmile.cfg.vehicles_per_route * float(model.service[-days:].mean(axis=0).sum())
    out = {
        **(fleet_parts(model.lastmile.vehicle, fleet, lm, days, r) if model.lastmile.mix is None
           else mixed_fleet_parts(model, lm, days, r)),
        "trunk": Part(outbound_direct=(tr.produce_truck_runs - tr.spot_produce_truck_runs) * per_truck,
                      shared=(tr.truck_runs - tr.spot_truck_runs - tr.produce_truck_runs
                              + tr.spot_produce_truck_runs) * per_truck, kg_share_in=tr_in),
        "hub": Part(shared=sc.hub.cost_per_day_cny * days + sc.hub.capex_cny * crf(r, sc.hub.life_y) * years,
                    kg_share_in=_share_in(hub.parcels_in * sc.demand.parcel_kg, hub.produce_in_kg)),
        "sorters": Part(inbound_direct=sc.hub.sorters * sc.hub.sorter_wage_per_day_cny * days),
        "cold_store": Part(outbound_direct=sc.hub.cold_store_kg * sc.hub.cold_capex_per_kg_cny * crf(r, sc.hub.life_y)
                           * years + hub.cold_kg_h / 24.0 * sc.hub.cold_cost_per_kg_d
                           + (tr.produce_kg * sc.market.reefer_cost_per_kg_cny if sc.market.reefer_trunk else 0.0)),
        "cold_rooms": Part(outbound_direct=cold_rooms * sc.stations.cold_room_kg * (
            sc.stations.cold_room_capex_per_kg_cny * crf(r, sc.stations.life_y) * years
            + sc.stations.cold_room_cost_per_kg_d * days)),
        "stations": Part(inbound_direct=stations * (sc.stations.agent_pay_per_month_cny * 12.0 * years
                                                    + sc.stations.capex_cny * crf(r, sc.stations.life_y) * years)
                         + lm.delivered * sc.stations.commission_per_parcel_cny),
        "surge": surge_part(model, act, per_truck, tr_in, lm_in),
    }
    if tiers is None and _two_tiers(model, act):
        tiers = tier_parts(model, act, days)
    if tiers:
        out = with_tiers(out, tiers)
    if sc.buses.mode != "none":
        # the bus company's fee per kg of produce: the buses added to the vans, or the buses that replace them
        kg = act.buses.produce_kg if act.buses is not None else lm.produce_kg + lm.pickup_produce_kg
        out["pickups"] = _plus(out["pickups"], Part(outbound_direct=kg * sc.buses.fee_per_kg_cny))
    return out


def fleet_parts(veh: VehicleType, fleet: float, lm: LastMileActivity, days: int, r: float) -> dict[str, Part]:
    """The route fleet's vehicles, drivers and dedicated pickups (see :func:`parts`):
    ``fleet`` own vehicles of type ``veh`` that did ``lm`` over ``days`` days."""
    years = days / 365.0
    lm_in = _share_in(lm.parcel_kg, lm.produce_kg)
    return {
        "lastmile_vehicles": Part(
            inbound_direct=lm.parcels_carried * veh.fee_per_parcel_cny,
            outbound_direct=lm.produce_only_km * veh.cost_per_km_cny,
            shared=fleet * (veh.cost_per_day_cny * days + veh.capex_cny * capital_recovery_factor(r, veh.life_y)
                            * years)
            + (lm.km - lm.produce_only_km - lm.surge_km) * veh.cost_per_km_cny, kg_share_in=lm_in),
        "drivers": Part(shared=fleet * veh.driver_per_day_cny * days, kg_share_in=lm_in),
        "pickups": Part(outbound_direct=lm.pickup_vehicle_days * (veh.cost_per_day_cny + veh.driver_per_day_cny)
                        + lm.pickup_km * veh.cost_per_km_cny),
    }


def mixed_fleet_parts(model: CountyModel, lm: LastMileActivity, days: int, r: float) -> dict[str, Part]:
    """:func:`fleet_parts` of a mixed fleet: each vehicle type's own vehicles (its
    routes' share of the fleet), km, days and parcels at its own prices, summed."""
    mix = model.lastmile.mix
    assert mix is not None
    per_route = model.lastmile.cfg.vehicles_per_route * np.ones(model.lastmile.n_routes)
    if model.service is not None:  # routes that run on some days share vehicles and drivers in turn
        per_route = model.lastmile.cfg.vehicles_per_route * model.service[-days:].mean(axis=0)
    out: dict[str, Part] = {}
    for veh, mask, lm_t in mix.by_type(lm):
        for name, part in fleet_parts(veh, float(per_route[mask].sum()), lm_t, days, r).items():
            out[name] = part if name not in out else _plus(out[name], part)
    for name in ("lastmile_vehicles", "drivers", "pickups"):   # no routes (no village has a station): nothing
        out.setdefault(name, Part())
    return out


def _plus(a: Part, b: Part) -> Part:
    """Two parts of one component as one (the kilogram share weighted by their shared cost)."""
    shared = a.shared + b.shared
    share = (a.shared * a.kg_share_in + b.shared * b.kg_share_in) / shared if shared > 0 else 1.0
    return Part(a.inbound_direct + b.inbound_direct, a.outbound_direct + b.outbound_direct, shared, share)


def tier_parts(model: CountyModel, act: Activity, days: int) -> dict[str, list[tuple[str, Part]]]:
    """Two tiers, by whose they are: the feeders' vehicles, drivers, pickups and extra
    vehicles (as the village routes' components), and the township stations' cold
    rooms (capital over the stations' life and running cost, produce's) and running
    cost and capital (shared by the directions by their kilograms through the
    stations) with the transfer of each parcel (goods in's), as the stations'."""
    sc, tw = model.scenario, model.scenario.township
    assert model.feeders is not None and model.plan.feeder is not None
    assert act.feeders is not None and act.townships is not None
    f, veh = act.feeders, model.feeders.vehicle
    fleet = len(model.plan.feeder.routes) * tw.feeder_vehicles_per_route
    feeders = list(fleet_parts(veh, fleet, f, days, sc.costs.discount_rate_y).items())
    s = sc.surge
    extra = f.surge_vehicle_days * s.extra_vehicle_premium * (veh.cost_per_day_cny + veh.driver_per_day_cny) \
        + f.surge_km * veh.cost_per_km_cny
    feeders.append(("surge", Part(shared=extra, kg_share_in=_share_in(f.parcel_kg, f.produce_kg))))
    years = days / 365.0
    crf = capital_recovery_factor(sc.costs.discount_rate_y, tw.life_y)
    towns = len(model.plan.feeder.open_townships) * (tw.cost_per_day_cny * days + tw.capex_cny * crf * years)
    rooms = len(model.plan.feeder.open_townships) * tw.cold_room_kg * (
        tw.cold_room_capex_per_kg_cny * crf * years + tw.cold_room_cost_per_kg_d * days)
    t = act.townships
    stations = [("cold_rooms", Part(outbound_direct=rooms)),
                ("stations", Part(inbound_direct=t.parcels_in * tw.transfer_cost_per_parcel_cny, shared=towns,
                                  kg_share_in=_share_in(t.parcels_in * sc.demand.parcel_kg, t.produce_in_kg)))]
    return {"feeders": feeders, "township_stations": stations}


def _two_tiers(model: CountyModel, act: Activity) -> bool:
    return model.feeders is not None and act.feeders is not None and act.townships is not None


def with_tiers(p: dict[str, Part], tiers: dict[str, list[tuple[str, Part]]]) -> dict[str, Part]:
    """Two tiers: the parts of :func:`tier_parts` join the components they belong to."""
    out = dict(p)
    for tier in tiers.values():
        for name, part in tier:
            out[name] = _plus(out[name], part)
    return out


def surge_part(model: CountyModel, act: Activity, per_truck: float, tr_in: float, lm_in: float) -> Part:
    """What the surge capacity hired over the window cost (CNY), by cause: spot trunk
    trucks at their premium (produce's where they carried produce alone, shared
    otherwise), extra vehicles (day cost and driver at the premium, km at the usual
    rate; shared) and temporary sorters (goods in's). ``per_truck`` is a contracted
    truck run's cost; ``tr_in`` and ``lm_in`` the kilogram shares of goods in through
    the trunk and the last mile (for the ``kg`` rule)."""
    sc = model.scenario
    village_type = sc.township.vehicle_type if sc.network.tiers == 2 else sc.lastmile.vehicle_type
    s, veh = sc.surge, sc.vehicle_types[village_type]
    lm, tr = act.lastmile, act.trunk
    spot_cny = s.spot_truck_premium * per_truck
    trucks_shared = (tr.spot_truck_runs - tr.spot_produce_truck_runs) * spot_cny
    mix = model.lastmile.mix
    by_type = [(veh, lm)] if mix is None else [(v, a) for v, _, a in mix.by_type(lm)]
    vehicles = sum(a.surge_vehicle_days * s.extra_vehicle_premium * (v.cost_per_day_cny + v.driver_per_day_cny)
                   + a.surge_km * v.cost_per_km_cny for v, a in by_type)
    shared = trucks_shared + vehicles
    return Part(inbound_direct=act.hub.temp_sorter_days * s.temp_sorter_premium * sc.hub.sorter_wage_per_day_cny,
                outbound_direct=tr.spot_produce_truck_runs * spot_cny, shared=shared,
                kg_share_in=(trucks_shared * tr_in + vehicles * lm_in) / shared if shared > 0 else 1.0)


def costs(model: CountyModel, act: Activity, days: int) -> Costs:
    """Costs by component and by cause over a window of ``days`` days in which the
    components did ``act`` (see :func:`parts`), and their allocation between goods
    in and produce out under ``costs.shared_allocation``:

    - ``incremental``: goods in carry the shared resources they need; produce pays
      its direct costs only, which already hold all it adds to the shared resources
      (trips and trucks that left for produce alone). At a fixed fleet and routes,
      produce volume then moves cost per parcel only through what parcels
      themselves do.
    - ``kg``: the shared part of each resource (last-mile vehicles and drivers, the
      trunk, the hub) is split by the kilograms each direction moved through it;
      direct costs go to their direction."""
    tiers = tier_parts(model, act, days) if _two_tiers(model, act) else {}
    p = parts(model, act, days, tiers)
    kg_rule = model.scenario.costs.shared_allocation == "kg"
    inbound_direct = sum(x.inbound_direct for x in p.values())
    outbound_direct = sum(x.outbound_direct for x in p.values())
    shared = sum(x.shared for x in p.values())
    shared_in = sum(x.shared * x.kg_share_in for x in p.values()) if kg_rule else shared
    total = inbound_direct + outbound_direct + shared
    return Costs(**{name: x.total for name, x in p.items()}, inbound_direct=inbound_direct,
                 outbound_direct=outbound_direct, shared=shared, inbound=inbound_direct + shared_in,
                 outbound=outbound_direct + (shared - shared_in), total=total,
                 subsidy=model.scenario.costs.subsidy_per_year_cny * days / 365.0,
                 **{name: sum(part.total for _, part in tier) for name, tier in tiers.items()})
