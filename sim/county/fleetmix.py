"""Mixed fleets: village routes driven by different vehicle types (with two tiers,
``township.vehicle_types_by_township`` for named townships, a list of types giving a
township several, and ``township.remote_vehicle_type`` on the routes of remote
townships). A route keeps one type; its capacity, what it did (km, trips, days
hired) and so its costs are booked by route, and the costs and CO2 summed type by
type."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.config.fleet import VehicleType, parcels_aboard
from sim.config.scenario import Scenario
from sim.county.account import since
from sim.county.network import Network, road_matrices
from sim.county.routing import within_range
from sim.county.triplog import LastMileActivity


def route_vehicle_names(sc, net, town_of_route: list[int]) -> list[str] | None:
    """The vehicle type of each village route (``town_of_route``: each route's
    township): ``township.remote_vehicle_type`` where the township's seat is at least
    ``remote_vehicle_from_km`` from the county seat (straight line), the village tier's
    type elsewhere; None without a remote type (one type for every route)."""
    tw = sc.township
    if tw.remote_vehicle_type is None:
        return None
    far = np.hypot(net.township_xy_km[:, 0], net.township_xy_km[:, 1]) >= tw.remote_vehicle_from_km
    return [tw.remote_vehicle_type if far[k] else tw.vehicle_type for k in town_of_route]


def town_vehicle(sc, net, k: int) -> str:
    """The vehicle type planned for township ``k``'s village routes by the remote rule
    (``remote_vehicle_type``) or ``vehicle_type``."""
    names = route_vehicle_names(sc, net, [k])
    return sc.township.vehicle_type if names is None else names[0]


def mixed(sc) -> bool:
    """The village routes of two tiers may differ in type (per-township types or the remote rule)."""
    tw = sc.township
    return tw.remote_vehicle_type is not None or bool(tw.vehicle_types_by_township)


def town_types(sc, net: Network, k: int) -> tuple[str, ...]:
    """The vehicle types of township ``k``'s fleet, in order of preference: its entry
    in ``vehicle_types_by_township``, else the remote rule's or ``vehicle_type``."""
    entry = sc.township.vehicle_types_by_township.get(net.township_id[k])
    return tuple(entry) if entry else (town_vehicle(sc, net, k),)


def village_types(sc, local: Network, types: tuple[str, ...], villages: np.ndarray,
                  service_h: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """A township's ``villages`` by the type of its fleet ``types`` that serves them: (type, positions in
    ``villages``) in the township's order of types, empty groups left out. Each
    village goes to the first type that can reach it: a round trip from the seat to
    it alone, with its stop (``service_h``, per village), within ``max_route_h`` and
    the type's ``range_km`` per departure; to the last type if none can. ``local``
    is the network seen from the township's seat (the seat at (0, 0))."""
    if len(types) == 1:
        return [(types[0], np.arange(len(villages)))]
    tw = sc.township
    left = np.ones(len(villages), dtype=bool)
    out = []
    for j, name in enumerate(types):
        if j == len(types) - 1:
            reach = left.copy()
        else:
            vehicle = sc.vehicle_types[name]
            dist, time = road_matrices(local, villages, sc, vehicle)
            plan_h = within_range(dist, time, tw.max_route_h, vehicle.range_km, len(tw.departures_h))
            reach = left & (plan_h[0, 1:] + plan_h[1:, 0] + service_h <= tw.max_route_h)
        if reach.any():
            out.append((name, np.flatnonzero(reach)))
        left &= ~reach
    return out


def departure_loads(sc: Scenario, net: Network, villages: np.ndarray, scale, departures: int):
    """Planning loads of ``villages`` for one departure at demand share ``scale``:
    (rows [kg, parcels] with the depot's first, parcels per departure)."""
    mean_daily = net.residents[villages] * scale * sc.demand.parcels_per_resident_y / 365.0
    per_departure = mean_daily * sc.lastmile.planning_load_factor / departures
    load = np.zeros((len(villages) + 1, 2))
    load[1:, 0] = per_departure * sc.demand.parcel_kg
    load[1:, 1] = per_departure
    return load, per_departure


def departure_stops(sc: Scenario, net: Network, villages: np.ndarray, scale) -> tuple[np.ndarray, np.ndarray]:
    """The village routes' planning loads of ``villages`` at demand share ``scale``
    (:func:`departure_loads`, ``township.departures_h``) and the time at each
    village's stop: ``lastmile.stop_h`` plus the handling of its parcels a departure."""
    lm = sc.lastmile
    load, per_departure = departure_loads(sc, net, villages, scale, len(sc.township.departures_h))
    return load, lm.stop_h + per_departure * lm.handling_h_per_parcel


def fleet_types(sc: Scenario, net: Network, k: int, villages: np.ndarray,
                stop_h: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Township ``k``'s ``villages`` by the type of its fleet that serves them
    (:func:`village_types`, seen from the township's seat), with the time at each
    village's stop ``stop_h`` (:func:`departure_stops`, as the routes are planned).
    Returns (type, positions in ``villages``)."""
    seat = net.township_xy_km[k]
    local = dataclasses.replace(net, xy_km=net.xy_km - seat, township_xy_km=net.township_xy_km - seat)
    return village_types(sc, local, town_types(sc, net, k), villages, stop_h)


@dataclass(frozen=True)
class RouteActivity:
    """Per village route, over a window: km of delivery trips (with the extra
    vehicles'), of trips that carried produce alone, of the extra vehicles and of
    dedicated pickups; parcels carried; pickup and extra vehicle-days."""
    km: np.ndarray
    produce_only_km: np.ndarray
    surge_km: np.ndarray
    pickup_km: np.ndarray
    parcels_carried: np.ndarray
    pickup_vehicle_days: np.ndarray
    surge_vehicle_days: np.ndarray


class RouteFleet:
    """The vehicle of each route, its capacities, and what each route did."""

    def __init__(self, vehicles: list[VehicleType], parcel_kg: float):
        self.vehicles = vehicles
        self.capacity_parcels = np.array([parcels_aboard(v.capacity_parcels, v.capacity_kg, parcel_kg)
                                          for v in vehicles], dtype=np.int64)
        self.nominal_parcels = np.array([v.capacity_parcels for v in vehicles], dtype=float)
        self.capacity_kg = np.array([v.capacity_kg for v in vehicles], dtype=float)
        n = len(vehicles)
        self.done = RouteActivity(*(np.zeros(n) for _ in range(7)))
        self._window: RouteActivity | None = None

    def book(self, go: np.ndarray, km: np.ndarray, parcels: np.ndarray, deliver: bool) -> None:
        """Trips of routes ``go`` (their km and parcels carried)."""
        d = self.done
        if deliver:
            d.km[go] += km
            d.parcels_carried[go] += parcels
            alone = parcels == 0
            d.produce_only_km[go[alone]] += km[alone]
        else:
            d.pickup_km[go] += km

    def activity(self) -> RouteActivity:
        return since(self.done, self._window)

    def reset_window(self) -> None:
        self._window = RouteActivity(*(getattr(self.done, f.name).copy() for f in dataclasses.fields(RouteActivity)))

    def types(self) -> dict[int, np.ndarray]:
        """Routes by vehicle type: {id of the type: bool mask of its routes}, first seen first."""
        out: dict[int, np.ndarray] = {}
        ids = np.array([id(v) for v in self.vehicles])
        for i in dict.fromkeys(ids.tolist()):
            out[i] = ids == i
        return out

    def by_type(self, lm: LastMileActivity) -> list[tuple[VehicleType, np.ndarray, LastMileActivity]]:
        """For each vehicle type: (type, its routes' mask, ``lm`` with the counters of
        those routes; the kilograms carried stay the whole fleet's, for the share of
        goods in)."""
        a = self.activity()
        out = []
        for mask in self.types().values():
            veh = self.vehicles[int(np.flatnonzero(mask)[0])]
            part = dataclasses.replace(
                lm, km=float(a.km[mask].sum()), produce_only_km=float(a.produce_only_km[mask].sum()),
                surge_km=float(a.surge_km[mask].sum()), pickup_km=float(a.pickup_km[mask].sum()),
                parcels_carried=int(a.parcels_carried[mask].sum()),
                pickup_vehicle_days=int(a.pickup_vehicle_days[mask].sum()),
                surge_vehicle_days=int(a.surge_vehicle_days[mask].sum()))
            out.append((veh, mask, part))
        return out
