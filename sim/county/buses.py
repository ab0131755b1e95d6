"""Passenger bus lines (``buses``): fixed lines from the county seat through sectors of
the served villages, a timetable of runs, a per-run capacity and fees. Added to the
vans, a line's bus collects produce at its stops on every run (:class:`ProduceOnly`
stands in for the hub: it hands the bus no parcels and stores what it brings);
replacing them, the lines are the county's routes and the buses carry everything."""
from __future__ import annotations

import dataclasses

import numpy as np

from sim.config.fleet import VehicleType
from sim.config.scenario import LastMileConfig, Scenario
from sim.county.batches import Lots
from sim.county.hub import Hub
from sim.county.network import Network, road_matrices
from sim.county.routing import Route


def bus_vehicle(sc: Scenario) -> VehicleType:
    """A run of a line's bus: the `bus` type's speeds, the per-run capacity, the fee per
    parcel, and no vehicle, driver or km cost to the operator."""
    return dataclasses.replace(sc.vehicle_types["bus"], capacity_kg=sc.buses.capacity_kg_per_run,
                               capacity_parcels=sc.buses.capacity_parcels_per_run, cost_per_km_cny=0.0,
                               cost_per_day_cny=0.0, driver_per_day_cny=0.0,
                               fee_per_parcel_cny=sc.buses.fee_per_parcel_cny, capex_cny=0.0, co2_kg_per_km=0.0)


def bus_config(sc: Scenario) -> LastMileConfig:
    """The `lastmile` keys with one bus per line leaving on the timetable."""
    return dataclasses.replace(sc.lastmile, vehicle_type="bus", vehicles_per_route=1,
                               departures_h=sc.buses.departures_h)


def plan_lines(sc: Scenario, net: Network, served: np.ndarray) -> list[Route]:
    """``buses.lines`` lines over the ``served`` villages: sectors of equal numbers of
    villages by bearing from the county seat; each line visits its villages nearest
    first and returns to the seat."""
    if not len(served):
        return []
    xy = net.xy_km[served]
    bearing = np.arctan2(xy[:, 1], xy[:, 0])
    by_bearing = served[np.lexsort((served, bearing))]
    lines: list[Route] = []
    for part in np.array_split(by_bearing, min(sc.buses.lines, len(served))):
        d = np.hypot(net.xy_km[part, 0], net.xy_km[part, 1])
        stops = part[np.lexsort((part, d))]
        dist, time = road_matrices(net, stops, sc, bus_vehicle(sc))
        closed = np.concatenate([[0], np.arange(1, len(stops) + 1), [0]])
        lines.append(Route(len(lines), stops, dist[closed[:-1], closed[1:]], time[closed[:-1], closed[1:]]))
    return lines


class ProduceOnly:
    """The hub as the buses added to the vans see it: no parcels to hand over (the
    vans carry them), and the hub's storage for the produce they bring."""

    def __init__(self, hub: Hub, n_lines: int):
        self.hub = hub
        self.n_lines = n_lines

    def dispatch_routes(self, routes: np.ndarray, n: int, loaded: np.ndarray) -> tuple[list, list, int]:
        return [], [], 0

    def waiting_all(self) -> np.ndarray:
        return np.zeros(self.n_lines, dtype=np.int64)

    def waiting(self, route: int) -> int:
        return 0

    def free_kg(self) -> float:
        return self.hub.free_kg()

    def reserve(self, kg: float) -> None:
        self.hub.reserve(kg)

    def receive_produce(self, lots: Lots, reserved_kg: float) -> None:
        self.hub.receive_produce(lots, reserved_kg)
