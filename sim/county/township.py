"""The township tier (``network.tiers: 2``): township stations at the seats of the
townships that have a village station. Feeder vehicles carry parcels from the county
hub to the township stations (and produce back), each township station hands its
parcels after a transfer to its own routes to its villages, and holds the produce
its village vehicles bring until a feeder collects it.

The village-tier :class:`~sim.county.lastmile.LastMile` runs unchanged from the
township stations, which answer the route-queue and storage calls it makes of a hub
(:class:`Townships`); the feeders are a last mile whose stops are township stations
(:class:`Feeders`)."""
from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.scenario import Scenario
from sim.county.account import Stock, since
from sim.county.batches import Lots
from sim.county.fleetmix import departure_loads, departure_stops, fleet_types, mixed
from sim.county.frequency import service_groups
from sim.county.lastmile import LastMile
from sim.county.network import Network, road_matrices
from sim.county.routing import Route, plan_routes, tours_to_routes, within_range
from sim.county.stations import Stations


@dataclass(frozen=True)
class FeederPlan:
    """The feeder routes from the hub to the township stations (stops are township
    indices), the hub's route for each village (its township's feeder route, -1 if
    unserved) and the township stations open (townships with a served village)."""
    routes: list[Route]
    hub_route_of_village: np.ndarray
    open_townships: np.ndarray


def plan_two_tier(sc: Scenario, net: Network, demand_scale: np.ndarray | None):
    """Village routes from each township station (planned for the vehicles that drive
    them on the township's own roads, a type's villages apart; indices run township
    by township, type by type) and the feeder routes over the township stations.
    Returns (village routes, route of each village or -1, :class:`FeederPlan`, each
    village route's vehicle type or None when every route has
    ``township.vehicle_type``)."""
    tw, lm = sc.township, sc.lastmile
    served = net.served_idx
    scale_all = np.ones(net.n) if demand_scale is None else demand_scale
    routes: list[Route] = []
    route_of = np.full(net.n, -1, dtype=np.int64)
    # with outlets every township with villages has a station (its villages without one collect there)
    open_towns = np.unique(net.township if tw.outlets else net.township[served])
    route_type: list[str] = []
    for k in open_towns:
        town_villages = served[net.township[served] == k]
        if not len(town_villages):   # an outlet township without a village station: no village routes
            continue
        seat = net.township_xy_km[k]
        # the township's seat as the depot: the network seen from the seat
        local = dataclasses.replace(net, xy_km=net.xy_km - seat, township_xy_km=net.township_xy_km - seat)
        # with less than daily service, villages of one pattern get their own routes, planned for the parcels of
        # the days between runs
        for villages, days in [(town_villages, 1.0)] if sc.service.daily else service_groups(sc, net, town_villages):
            load, stop_h = departure_stops(sc, net, villages, scale_all[villages] * days)
            service = np.concatenate([[0.0], stop_h])
            # the vehicles that will drive the township's routes, each type its villages (one type: all of them)
            for name, pos in fleet_types(sc, net, int(k), villages, stop_h):
                vehicle = sc.vehicle_types[name]
                group, rows = villages[pos], np.concatenate([[0], pos + 1])
                capacity = np.array([vehicle.capacity_kg, vehicle.capacity_parcels], dtype=float)
                dist, time = road_matrices(local, group, sc, vehicle)
                planned = plan_routes(dist, load[rows], capacity, service_h=service[rows],
                                      max_route_h=tw.max_route_h,
                                      time=within_range(dist, time, tw.max_route_h, vehicle.range_km,
                                                        len(tw.departures_h)),
                                      method=lm.routing_method)
                for route in tours_to_routes(planned, group, dist, time, len(routes)):
                    routes.append(route)
                    route_of[route.stops] = route.index
                    route_type.append(name)
    outlet = outlet_villages(sc, net)
    feeder = plan_feeders(sc, net, open_towns, np.where(outlet, scale_all * tw.outlet_collect_share, scale_all),
                          outlet)
    return routes, route_of, feeder, route_type if mixed(sc) else None


def outlet_villages(sc: Scenario, net: Network) -> np.ndarray:
    """Bool per village: its parcels are collected at its township station (township
    outlets on, and the village has no station of its own)."""
    if not (sc.network.tiers == 2 and sc.township.outlets):
        return np.zeros(net.n, dtype=bool)
    return ~net.served


def plan_feeders(sc: Scenario, net: Network, open_towns: np.ndarray, scale: np.ndarray,
                 outlet: np.ndarray) -> FeederPlan:
    """Feeder routes from the hub over the township stations ``open_towns``, on county
    roads, for the feeder vehicle; a township's load is its served and ``outlet``
    villages' load (``scale``: each village's share of its residents' parcels)."""
    tw, lm, county = sc.township, sc.lastmile, sc.county
    vehicle = sc.vehicle_types[tw.feeder_vehicle_type]
    m = len(open_towns)
    hub_route = np.full(net.n, -1, dtype=np.int64)
    if m == 0:
        return FeederPlan([], hub_route, open_towns)
    xy = np.vstack([[0.0, 0.0], net.township_xy_km[open_towns]])
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) * county.county_road_circuity
    time = dist / (vehicle.speed_kmh["county"] * county.road_speed_factor * county.terrain_speed_factor)
    served = np.flatnonzero(net.served | outlet)
    village_load, per_departure = departure_loads(sc, net, served, scale[served], len(tw.feeder_departures_h))
    town_pos = np.searchsorted(open_towns, net.township[served])
    load = np.zeros((m + 1, 2))
    np.add.at(load[1:], town_pos, village_load[1:])
    parcels = np.bincount(town_pos, weights=per_departure, minlength=m)
    service = np.concatenate([[0.0], lm.stop_h + parcels * lm.handling_h_per_parcel])
    capacity = np.array([vehicle.capacity_kg, vehicle.capacity_parcels], dtype=float)
    planned = plan_routes(dist, load, capacity, service_h=service, max_route_h=tw.feeder_max_route_h,
                          time=within_range(dist, time, tw.feeder_max_route_h, vehicle.range_km,
                                            len(tw.feeder_departures_h)),
                          method=lm.routing_method)
    routes = tours_to_routes(planned, open_towns, dist, time, 0)   # the feeders' stops are township stations
    route_of_town = np.full(len(net.township_xy_km), -1, dtype=np.int64)
    for route in routes:
        route_of_town[route.stops] = route.index
    hub_route[served] = route_of_town[net.township[served]]
    return FeederPlan(routes, hub_route, open_towns)


@dataclass(frozen=True)
class TownshipActivity:
    """What the township stations did over a window: parcels transferred to their
    village routes' queues and produce received from their village vehicles (kg)."""
    parcels_in: int = 0
    produce_in_kg: float = 0.0


class Townships:
    """Every township station: parcels in transfer and waiting for their village
    route (a queue per village route of segments ready at a time), and produce
    waiting for a feeder (``store``, one set of lots keyed by village). It answers
    the calls a last mile makes of its hub: :meth:`dispatch_routes`, :meth:`waiting_all`, :meth:`waiting`,
    :meth:`free_kg`, :meth:`reserve`, :meth:`receive_produce`."""

    def __init__(self, env: simpy.Environment, route_of_village: np.ndarray, n_routes: int, n_open: int,
                 storage_kg: float, store: Stations, pickup_delay_h: float = 0.0):
        """``route_of_village``: each village's route from its township (-1: none; with
        outlets its parcels are collected at the station ``pickup_delay_h`` after they
        are ready)."""
        self.env = env
        self.pickup_delay_h = pickup_delay_h
        self._collect_t: list[np.ndarray] = []     # outlet parcels: collection times (h)
        self._collect_lead: list[np.ndarray] = []  # and lead times, order to collection (h)
        self.route_of_village = route_of_village
        # per village route, segments (ready h, villages, order times) kept in order of ready time
        self.queues: list[deque] = [deque() for _ in range(n_routes)]
        self.count = [0] * n_routes  # parcels queued per village route
        self.store = store
        self.capacity_kg = storage_kg * n_open   # produce storage, pooled over the stations
        self.reserved_kg = 0.0
        self.parcels = 0
        self.parcels_in = 0
        self.produce_in_kg = 0.0
        self._window: TownshipActivity | None = None

    # ---- the component's account -------------------------------------------------------
    def stock(self) -> Stock:
        """Parcels handed to the township stations (on their way from a feeder's stop,
        in transfer, waiting for a village vehicle or, at an outlet, to be collected)
        and produce waiting there."""
        t = self.collect_times()
        return Stock(self.parcels + int((t > self.env.now).sum()), self.store.produce_kg)

    def collect_times(self) -> np.ndarray:
        """Collection times (h) of every outlet parcel handed over so far."""
        return np.concatenate(self._collect_t) if self._collect_t else np.zeros(0)

    def collected(self, until_h: float, from_h: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Outlet parcels collected in [from_h, until_h]: (collection times, lead times) in h."""
        t = self.collect_times()
        lead = np.concatenate(self._collect_lead) if self._collect_lead else np.zeros(0)
        pick = (t >= from_h) & (t <= until_h)
        return t[pick], lead[pick]

    def _done(self) -> TownshipActivity:
        return TownshipActivity(self.parcels_in, self.produce_in_kg)

    def activity(self) -> TownshipActivity:
        return since(self._done(), self._window)

    def reset_window(self) -> None:
        self._window = self._done()

    # ---- parcels ---------------------------------------------------------------------
    def receive(self, village: np.ndarray, t_order: np.ndarray, ready_h: np.ndarray) -> None:
        """Parcels a feeder hands over, ready for their village route at ``ready_h``
        (arrival at the station plus the transfer)."""
        if not len(village):
            return
        route = self.route_of_village[village]
        self.parcels_in += len(village)
        outlet = route < 0
        if outlet.any():   # collected at the station by the residents
            t_c = ready_h[outlet] + self.pickup_delay_h
            self._collect_t.append(t_c)
            self._collect_lead.append(t_c - t_order[outlet])
            keep = ~outlet
            route, village, t_order, ready_h = route[keep], village[keep], t_order[keep], ready_h[keep]
            if not len(village):
                return
        # a village route lies in one township, reached once per feeder trip: mostly one ready time per route
        # (a stable sort of 16-bit keys is a radix sort: several times faster, the same order)
        order = (route.astype(np.int16) if len(self.queues) < 2**15 else route).argsort(kind="stable")
        route, village, t_order, ready_h = route[order], village[order], t_order[order], ready_h[order]
        change = (route[1:] != route[:-1]) | (ready_h[1:] != ready_h[:-1])
        cuts = np.concatenate([[0], np.flatnonzero(change) + 1, [len(route)]])
        first = cuts[:-1]
        for a, b, r, ready in zip(first.tolist(), cuts[1:].tolist(), route[first].tolist(), ready_h[first].tolist(),
                                  strict=True):
            q = self.queues[r]
            late = bool(q) and q[-1][0] > ready   # a vehicle that left earlier arrives later: keep the order
            q.append((ready, village[a:b], t_order[a:b]))
            self.count[r] += b - a
            if late:
                self.queues[r] = deque(sorted(q, key=lambda seg: seg[0]))
        self.parcels += len(village)

    def _take(self, route: int, n: int, villages: list, orders: list) -> int:
        now = self.env.now
        q = self.queues[route]
        left = n
        while q and left > 0:
            ready, v, t = q[0]
            if ready > now:
                break
            k = len(v)
            if k > left:
                villages.append(v[:left])
                orders.append(t[:left])
                q[0] = (ready, v[left:], t[left:])
                left = 0
            else:
                q.popleft()
                villages.append(v)
                orders.append(t)
                left -= k
        taken = n - left
        self.parcels -= taken
        self.count[route] -= taken
        return taken

    def dispatch_routes(self, routes: np.ndarray, n: int | np.ndarray, loaded: np.ndarray) -> tuple[list, list, int]:
        """Up to ``n`` ready parcels for each of ``routes`` (one number, or one per
        route of ``routes`` for a mixed fleet), in the order given: (village arrays,
        order-time arrays, ready parcels left waiting on these routes); each route's
        count goes into ``loaded[route]``."""
        villages: list = []
        orders: list = []
        left = 0
        most = np.broadcast_to(np.asarray(n, dtype=np.int64), routes.shape).tolist()
        count = self.count
        for r, n_r in zip(routes.tolist(), most, strict=True):
            if count[r]:
                loaded[r] = self._take(r, n_r, villages, orders)
                left += self.waiting(r)
        return villages, orders, left

    def waiting_all(self) -> np.ndarray:
        """Parcels ready for a vehicle now, per village route."""
        now = self.env.now
        return np.array([n if not q or q[-1][0] <= now else self.waiting(r)
                         for r, (n, q) in enumerate(zip(self.count, self.queues, strict=True))], dtype=np.int64)

    def waiting(self, route: int) -> int:
        """Parcels ready for a vehicle of ``route`` now."""
        n = self.count[route]
        q = self.queues[route]
        if not q or q[-1][0] <= self.env.now:   # all ready (the queue is in ready order)
            return n
        now = self.env.now
        for ready, v, _ in reversed(q):
            if ready <= now:
                break
            n -= len(v)
        return n

    # ---- produce ---------------------------------------------------------------------
    def free_kg(self) -> float:
        """Storage not yet filled or promised to a village vehicle on its way back."""
        return max(0.0, self.capacity_kg - self.store.produce_kg - self.reserved_kg)

    def reserve(self, kg: float) -> None:
        self.reserved_kg += kg

    def receive_produce(self, lots: Lots, reserved_kg: float, total_kg: float | None = None) -> None:
        """A village vehicle unloads produce: it waits for a feeder from now
        (``total_kg``: the lots' kilograms if the caller has summed them)."""
        self.reserved_kg = max(0.0, self.reserved_kg - reserved_kg)
        if not len(lots):
            return
        lots.a[Lots.T_OFFER] = self.env.now
        kg = lots.total_kg if total_kg is None else total_kg
        self.produce_in_kg += kg
        self.store.offer(lots, kg)


class Feeders(LastMile):
    """The feeder routes: a last mile whose stops are township stations. Parcels and
    produce stay keyed by village; a village's stop is its township's. At a stop
    the parcels go to the township station, ready after ``transfer_h``; with a
    transfer capacity (``transfer_parcels_per_h``) each feeder's batch is ready
    ``transfer_h`` + its parcels / the capacity after the station has finished the
    batch before."""

    def __init__(self, *args, townships: Townships, township_of_village: np.ndarray, transfer_h: float,
                 transfer_parcels_per_h: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.townships = townships
        self.transfer_h = transfer_h
        self.transfer_parcels_per_h = transfer_parcels_per_h
        self.transfer_free_h = np.zeros(len(self.stop_village))   # when each township station is free again
        stop_of_town = self.stop_of_village
        self.stop_of_village = np.where(township_of_village >= 0, stop_of_town[township_of_village], -1)

    def _deliver(self, arrive: np.ndarray, counts: np.ndarray, pos: np.ndarray, t_order: np.ndarray,
                 village: np.ndarray | None = None) -> None:
        assert village is not None
        rate = self.transfer_parcels_per_h
        if rate is None:
            self.townships.receive(village, t_order, arrive[pos] + self.transfer_h)
            return
        at = counts > 0   # a township is a stop of one feeder route, reached once a departure
        start = np.maximum(arrive[at], self.transfer_free_h[at])
        ready = np.zeros(len(counts))
        ready[at] = self.transfer_free_h[at] = start + self.transfer_h + counts[at] / rate
        if self.tracer:
            for g in np.flatnonzero(at):
                self.tracer("transfer_done", ready[g], township=int(self.stop_village[g]), parcels=int(counts[g]))
        self.townships.receive(village, t_order, ready[pos])
