"""Passenger bus lines (``buses``): fixed lines from the county seat (or, with two
tiers, from each township seat) through sectors of the served villages, a timetable
of runs, a per-run capacity and fees. Added to the vans, a line's bus collects
produce at its stops on every run (:class:`ProduceOnly` stands in for the hub or the
township stations: it hands the bus no parcels and stores what it brings);
replacing them, the lines are the county's (the townships') village routes and the
buses carry everything."""
from __future__ import annotations

import dataclasses

import numpy as np

from sim.config.fleet import VehicleType
from sim.config.scenario import LastMileConfig, Scenario
from sim.county.batches import Lots
from sim.county.hub import Hub
from sim.county.network import Network, road_matrices
from sim.county.routing import Route
from sim.county.township import Townships


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


def plan_lines(sc: Scenario, net: Network, served: np.ndarray, n_lines: int | None = None,
               first: int = 0) -> list[Route]:
    """``n_lines`` (default ``buses.lines``) lines over the ``served`` villages from
    the origin of ``net`` (the county seat, or a township seat for a network seen
    from it): sectors of equal numbers of villages by bearing from the origin; each
    line visits its villages nearest first and returns. Indexed from ``first``."""
    if not len(served):
        return []
    xy = net.xy_km[served]
    bearing = np.arctan2(xy[:, 1], xy[:, 0])
    by_bearing = served[np.lexsort((served, bearing))]
    lines: list[Route] = []
    for part in np.array_split(by_bearing, min(sc.buses.lines if n_lines is None else n_lines, len(served))):
        d = np.hypot(net.xy_km[part, 0], net.xy_km[part, 1])
        stops = part[np.lexsort((part, d))]
        dist, time = road_matrices(net, stops, sc, bus_vehicle(sc))
        closed = np.concatenate([[0], np.arange(1, len(stops) + 1), [0]])
        lines.append(Route(first + len(lines), stops, dist[closed[:-1], closed[1:]], time[closed[:-1], closed[1:]]))
    return lines


def township_lines(sc: Scenario, net: Network) -> list[Route]:
    """``buses.origin: townships``: ``buses.lines_per_township`` lines from each
    township seat over its served villages (:func:`plan_lines` on the network seen
    from the seat, as the township's village routes are planned); indices run
    township by township."""
    served = net.served_idx
    lines: list[Route] = []
    for k in np.unique(net.township[served]):
        seat = net.township_xy_km[k]
        local = dataclasses.replace(net, xy_km=net.xy_km - seat, township_xy_km=net.township_xy_km - seat)
        lines += plan_lines(sc, local, served[net.township[served] == k], sc.buses.lines_per_township, len(lines))
    return lines


def route_of_line(lines: list[Route], n_villages: int) -> np.ndarray:
    """Each village's line (-1: on none)."""
    out = np.full(n_villages, -1, dtype=np.int64)
    for line in lines:
        out[line.stops] = line.index
    return out


class ProduceOnly:
    """The hub (with two tiers, the township stations) as the buses added to the
    vans see it: no parcels to hand over (the vans carry them), and its storage for
    the produce they bring (at a township station it waits there for a feeder)."""

    def __init__(self, hub: Hub | Townships, n_lines: int):
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
