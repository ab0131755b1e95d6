"""A county's plan: what does not change between its replications (the network, who
grows what, the routes, with two tiers the feeders, and bus lines), built once and
shared by the replications (and across workers)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.scenario import Scenario
from sim.county import harvest
from sim.county.buses import plan_lines, route_of_line, township_lines
from sim.county.frequency import service_groups
from sim.county.network import Network, build_network, road_matrices
from sim.county.rng import Streams
from sim.county.routing import Route, plan_routes, tours_to_routes, within_range
from sim.county.township import FeederPlan, plan_two_tier


@dataclass(frozen=True)
class Plan:
    """What does not change between replications: the county, its stations, who
    grows what, and the routes."""
    network: Network
    grows: np.ndarray                 # bool (crops, villages)
    routes: list[Route]
    route_of_village: np.ndarray      # route index per village, -1 if unserved
    feeder: FeederPlan | None = None  # with two tiers: the hub's feeder routes to the township stations
    bus_lines: list[Route] | None = None  # bus lines added to the vans or township vehicles (buses.mode added)
    route_vehicle: list[str] | None = None  # a mixed fleet: each village route's vehicle type (None: one type)


def plan(scenario: Scenario, network: Network | None = None, grows: np.ndarray | None = None,
         demand_scale: np.ndarray | None = None) -> Plan:
    """Build the county and plan its routes (deterministic given the root seed).
    A rollout passes its own ``network`` (the stations open that month), ``grows``
    and the villages' ``demand_scale`` (the share of residents who shop online)."""
    streams = Streams(scenario.seed, 0)
    rng = streams["network"]
    net = build_network(scenario, rng) if network is None else network
    if grows is None:
        grows = harvest.growers(len(scenario.crops), [c.village_share for c in scenario.crops], net.n, rng)
    if scenario.network.tiers == 2:
        village_routes, village_route_of, feeder, route_vehicle = plan_two_tier(scenario, net, demand_scale)
        if scenario.buses.mode == "none":
            return Plan(net, grows, village_routes, village_route_of, feeder, route_vehicle=route_vehicle)
        lines = township_lines(scenario, net)   # buses.origin townships (the one origin allowed with two tiers)
        if scenario.buses.mode == "replacing":   # the township bus lines are the village routes
            return Plan(net, grows, lines, route_of_line(lines, net.n), feeder)
        return Plan(net, grows, village_routes, village_route_of, feeder, bus_lines=lines, route_vehicle=route_vehicle)
    served = net.served_idx
    if scenario.buses.mode == "replacing":   # the bus lines are the routes
        lines = plan_lines(scenario, net, served)
        return Plan(net, grows, lines, route_of_line(lines, net.n))
    bus_lines = plan_lines(scenario, net, served) if scenario.buses.mode == "added" else None
    vehicle = scenario.vehicle_types[scenario.lastmile.vehicle_type]
    lm = scenario.lastmile
    routes: list[Route] = []
    route_of = np.full(net.n, -1, dtype=np.int64)
    # with less than daily service, villages with the same interval and weekdays get their own routes, planned
    # for the parcels of the days between runs
    groups = [(served, 1.0)] if scenario.service.daily else service_groups(scenario, net, served)
    for served, days in groups:
        if not len(served):
            continue
        dist, time = road_matrices(net, served, scenario, vehicle)
        scale = 1.0 if demand_scale is None else demand_scale[served]
        mean_daily = net.residents[served] * scale * scenario.demand.parcels_per_resident_y / 365.0
        per_departure = mean_daily * lm.planning_load_factor / len(lm.departures_h) * days
        load = np.zeros((len(served) + 1, 2))
        load[1:, 0] = per_departure * scenario.demand.parcel_kg
        load[1:, 1] = per_departure
        capacity = np.array([vehicle.capacity_kg, vehicle.capacity_parcels], dtype=float)
        service = np.concatenate([[0.0], lm.stop_h + per_departure * lm.handling_h_per_parcel])
        planned = plan_routes(dist, load, capacity, service_h=service, max_route_h=lm.max_route_h,
                              time=within_range(dist, time, lm.max_route_h, vehicle.range_km, len(lm.departures_h)),
                              method=lm.routing_method)
        for route in tours_to_routes(planned, served, dist, time, len(routes)):
            routes.append(route)
            route_of[route.stops] = route.index
    return Plan(net, grows, routes, route_of, bus_lines=bus_lines)
