"""Last-mile routes: vehicles leave the hub on a schedule, carry their route's
parcels up to capacity (first in, first out), unload at each station and, with the
room that frees up, collect the produce waiting there on the way back (backhaul).
A route whose backlog at the hub is too large for its own vehicles hires extra
vehicles for the day (surge capacity).

All vehicles leaving at one time are worked out together as arrays over the
stops of every route: arrival times, deliveries and collections are known when
they leave. A vehicle's return is one SimPy event (it frees the vehicle and
unloads its produce at the hub); no event is spent on a stop or a parcel.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from sim.config.fleet import parcels_aboard
from sim.config.scenario import LastMileConfig, SurgeConfig, VehicleType
from sim.county.account import Stock, since
from sim.county.backhaul import loads
from sim.county.batches import Lots, concat
from sim.county.fleetmix import RouteFleet
from sim.county.hub import Hub
from sim.county.leadtime import LeadTimes
from sim.county.routing import Route
from sim.county.stations import Stations
from sim.county.surge import extra_vehicles
from sim.county.triplog import LastMileActivity, Ledger, StopLead


class LastMile:
    """All routes of the county, their vehicles and the produce waiting at stations."""

    def __init__(self, env: simpy.Environment, cfg: LastMileConfig, vehicle: VehicleType,
                 routes: list[Route], hub: Hub, parcel_kg: float, n_villages: int, horizon_d: int,
                 available: np.ndarray, travel_factor: np.ndarray, stations: Stations,
                 surge: SurgeConfig | None = None, route_vehicles: list[VehicleType] | None = None):
        """``available``: bool (own vehicles, days, routes); ``travel_factor``: (own
        then extra vehicles, days, routes, departure slots); ``surge``: extra vehicles
        may be hired (None or disabled: never); ``route_vehicles``: each route's
        vehicle type in a mixed fleet (None: ``vehicle`` on every route)."""
        self.env, self.cfg, self.vehicle, self.hub = env, cfg, vehicle, hub
        if surge is not None and surge.enabled:
            self.extra_max, self.backlog_threshold = surge.extra_vehicles_max, surge.vehicle_backlog_threshold
        else:
            self.extra_max, self.backlog_threshold = 0, 0.0
        self.stations = stations    # where the vehicles collect produce
        self.tracer: Callable[..., None] | None = None  # (kind, time_h, **details) for an event trace
        self.parcel_kg = parcel_kg
        self.available = available          # bool (vehicles, days, routes)
        self.travel_factor = travel_factor  # (vehicles, days, routes, departure slots)
        self.ledger = Ledger()
        self.ledger.stop_lead_h = np.zeros(int(sum(len(r.stops) for r in routes)))
        self.ledger.stop_delivered = np.zeros(len(self.ledger.stop_lead_h), dtype=np.int64)
        self.horizon_h = 24.0 * horizon_d
        self.capacity_parcels = parcels_aboard(vehicle.capacity_parcels, vehicle.capacity_kg, parcel_kg)
        self.mix = None if route_vehicles is None else RouteFleet(route_vehicles, parcel_kg)
        # every stop of every route as one array ("global stops")
        R = len(routes)
        self.n_routes = R
        lengths = np.array([len(r.stops) for r in routes], dtype=np.int64)
        self.first_stop = np.concatenate([[0],
                                          np.cumsum(lengths)[:-1]]).astype(np.int64) if R else np.zeros(0, np.int64)
        self.lengths = lengths
        self.stop_route = np.repeat(np.arange(R), lengths)
        self.stop_village = np.concatenate([r.stops for r in routes]).astype(np.int64) if R else np.zeros(0, np.int64)
        self.stop_of_village = np.full(n_villages, -1, dtype=np.int64)
        self.stop_of_village[self.stop_village] = np.arange(len(self.stop_village))
        self.cum_leg_h = np.concatenate([np.cumsum(r.leg_h[:-1]) for r in routes]) if R else np.zeros(0)
        self.route_leg_h = np.array([r.total_leg_h for r in routes])
        self.route_km = np.array([r.km for r in routes])
        # when each vehicle is next at the hub: the route's own vehicles, and the hired
        # pickup vehicles used instead of backhaul (always to be had, one per own vehicle);
        # delivery vehicles from index vehicles_per_route on are the extra ones hired for a day
        self.back_at = {True: np.zeros((R, cfg.vehicles_per_route + self.extra_max)),
                        False: np.zeros((R, cfg.vehicles_per_route))}
        self._window: LastMileActivity | None = None
        # a route hires extra vehicles only when its backlog is above this many parcels
        self._hire_floor = self.backlog_threshold * (self.capacity_parcels if self.mix is None
                                                     else self.mix.capacity_parcels)
        self._no_hire = np.zeros(R, dtype=np.int64)
        self._no_lots = np.zeros(0, dtype=np.int64)
        self.serve_day: np.ndarray | None = None  # bool (days, routes): the days each route runs (None: every day)

    # ---- the component's account -------------------------------------------------------
    def stock(self) -> Stock:
        """At the end of a run: parcels on vehicles whose station is reached after the
        horizon, and produce on vehicles on their way back to the hub."""
        led = self.ledger
        return Stock(led.on_vehicles_at_end, led.produce_on_board_kg)

    def _done(self) -> LastMileActivity:
        led = self.ledger
        return LastMileActivity(led.trips, led.km, led.parcels_carried, led.parcel_kg_carried, led.produce_kg_carried,
                                led.pickup_trips, led.pickup_km, led.pickup_vehicle_days, led.delivered,
                                led.surge_vehicle_days, led.surge_km, led.produce_only_trips, led.produce_only_km,
                                led.pickup_produce_kg)

    def activity(self) -> LastMileActivity:
        """What the last mile did since the window started."""
        return since(self._done(), self._window)

    def reset_window(self) -> None:
        """Start the KPI window now: activity, lead times and per-stop lead sums count
        from here (lead times of parcels delivered from now on)."""
        self._window = self._done()
        if self.mix is not None:
            self.mix.reset_window()
        led = self.ledger
        led.lead = LeadTimes()
        led.stop_lead_h = np.zeros_like(led.stop_lead_h)
        led.stop_delivered = np.zeros_like(led.stop_delivered)

    @property
    def delivered(self) -> int:
        """Parcels delivered to stations since the start of the run."""
        return self.ledger.delivered

    @property
    def left_behind(self) -> int:
        """Sorted parcels still waiting at the hub as a vehicle left, summed over trips."""
        return self.ledger.left_behind

    @property
    def lead(self) -> LeadTimes:
        """Lead times (order to station) of parcels delivered in the window."""
        return self.ledger.lead

    def stop_lead(self) -> StopLead:
        return StopLead(self.ledger.stop_lead_h, self.ledger.stop_delivered)

    def parcels_aboard(self, now: float) -> int:
        """Parcels on vehicles at time ``now``, searched among the last ten departures
        with parcels (for sampling the stock)."""
        led = self.ledger
        on_board = 0
        for t0, arr, cnt in zip(led.depart_h[-10:], led.stop_arrivals_h[-10:], led.stop_parcels[-10:], strict=True):
            if t0 <= now:
                on_board += int(cnt[arr > now].sum())
        return on_board

    def loads(self, from_h: float) -> tuple[np.ndarray, np.ndarray]:
        """Load factors (inbound, outbound) of the delivery trips leaving from ``from_h`` on."""
        led = self.ledger
        load_t = concat(led.load_t_h)
        after = load_t >= from_h
        return concat(led.load_in)[after], concat(led.load_out)[after]

    # ---- processes -----------------------------------------------------------------
    def start(self, horizon_d: int) -> None:
        if self.n_routes and (self.cfg.vehicles_per_route or self.extra_max):
            self.env.process(self._schedule(horizon_d))

    def _schedule(self, horizon_d: int):
        """Process: at each departure time, every available vehicle that is back at
        the hub leaves if it has something to carry."""
        cfg = self.cfg
        deliver_at = set(cfg.departures_h)
        pickup_at = set() if cfg.backhaul else set(cfg.pickup_departures_h)
        slot_of = {h: i for i, h in enumerate(sorted(set(cfg.departures_h) | set(cfg.pickup_departures_h)))}
        hours = sorted(deliver_at | pickup_at)
        own = cfg.vehicles_per_route
        used_for_pickup = np.zeros_like(self.back_at[False], dtype=bool)
        for day in range(horizon_d):
            if pickup_at:
                used_for_pickup[:] = False
            hired = None
            for h in hours:
                t = 24.0 * day + h
                if t > self.env.now:
                    yield self.env.timeout(t - self.env.now)
                for deliver in ([True] if h in deliver_at else []) + ([False] if h in pickup_at else []):
                    if deliver and hired is None and self.extra_max:
                        hired = self._hire(day)
                    for v in range(own):
                        free = self.back_at[deliver][:, v] <= self.env.now
                        if deliver:
                            free &= self.available[v, day]
                        routes = free.nonzero()[0]
                        if len(routes):
                            sent = self._depart(routes, v, deliver, self.travel_factor[v, day, :, slot_of[h]])
                            if not deliver:
                                used_for_pickup[sent, v] = True
                    if not (deliver and hired is not None and len(hired)):
                        continue
                    for j in range(int(hired.max())):
                        routes = np.flatnonzero((hired > j) & (self.back_at[True][:, own + j] <= self.env.now))
                        if len(routes):
                            sent = self._depart(routes, own + j, True, self.travel_factor[own + j, day, :, slot_of[h]])
                            self.ledger.surge_km += float(self.route_km[sent].sum())
                            if self.mix is not None:
                                self.mix.done.surge_km[sent] += self.route_km[sent]
            if pickup_at:   # (no dedicated pickups: no pickup vehicle-days to count)
                self.ledger.pickup_vehicle_days += int(used_for_pickup.sum())
                if self.mix is not None:
                    self.mix.done.pickup_vehicle_days[:] += used_for_pickup.sum(axis=1)

    def _hire(self, day: int) -> np.ndarray:
        """At the day's first delivery departure: extra vehicles each route hires for
        the day, from the sorted parcels waiting and its own vehicles ready to leave."""
        now, own = self.env.now, self.cfg.vehicles_per_route
        backlog = self.hub.waiting_all()
        if not (backlog > self._hire_floor).any():
            return self._no_hire
        ready = (self.back_at[True][:, :own] <= now) & self.available[:, day].T
        hired = extra_vehicles(backlog, ready.sum(axis=1),
                               self.capacity_parcels if self.mix is None else self.mix.capacity_parcels,
                               self.backlog_threshold, self.extra_max)
        if self.serve_day is not None:  # a route hires only on the days it runs
            hired = np.where(self.serve_day[day], hired, 0)
        self.ledger.surge_vehicle_days += int(hired.sum())
        if self.mix is not None:
            self.mix.done.surge_vehicle_days[:] += hired
        return hired

    def _depart(self, routes: np.ndarray, vehicle: int, deliver: bool, travel: np.ndarray) -> np.ndarray:
        """Load one vehicle on each of ``routes`` and work out their trips (``travel``:
        each route's travel-time factor for this departure). Returns the routes whose
        vehicle left (those with something to carry)."""
        now = self.env.now
        cfg, led = self.cfg, self.ledger
        G = len(self.stop_village)
        n_r = np.zeros(self.n_routes, dtype=np.int64)
        # parcels, route by route from the hub's queues
        villages: list = []
        orders: list = []
        n = 0
        if deliver:
            cap = self.capacity_parcels if self.mix is None else self.mix.capacity_parcels[routes]
            villages, orders, left = self.hub.dispatch_routes(routes, cap, n_r)
            led.left_behind += left
            n = int(n_r.sum())
        # produce ready at the stations of these routes
        st = self.stations.lots
        ready = self._no_lots
        if (cfg.backhaul or not deliver) and len(st):
            lot_stop = self.stop_of_village[st.a[Lots.VILLAGE].astype(np.intp)]
            on_route = np.zeros(self.n_routes, dtype=bool)
            on_route[routes] = True
            ready = ((st.a[Lots.T_OFFER] <= now) & on_route[self.stop_route[lot_stop]]).nonzero()[0]
            lot_stop = lot_stop[ready]
        if len(ready):
            has_lot = np.zeros(self.n_routes, dtype=bool)
            has_lot[self.stop_route[lot_stop]] = True
            go = routes[(n_r[routes] > 0) | has_lot[routes]]
        elif n:
            go = routes[n_r[routes] > 0]
        else:
            return routes[:0]
        if len(go) == 0:
            return go
        # stop times along every route that goes
        if n:
            village = np.concatenate(villages) if len(villages) > 1 else villages[0]
            t_order = np.concatenate(orders) if len(orders) > 1 else orders[0]
            pos = self.stop_of_village[village]
            counts = np.bincount(pos, minlength=G)
            active = counts > 0
        else:
            counts = np.zeros(G, dtype=np.int64)
            active = np.zeros(G, dtype=bool)
        if len(ready):
            active[lot_stop] = True
        dwell = cfg.stop_h + counts * cfg.handling_h_per_parcel
        dwell[~active] = 0.0
        k = len(go)
        f_r = travel
        cum = dwell.cumsum()
        before = cum - dwell
        route_base = before[self.first_stop].repeat(self.lengths)   # dwell before each route's first stop
        arrive = now + f_r[self.stop_route] * self.cum_leg_h + (before - route_base)
        dwell_r = np.add.reduceat(dwell, self.first_stop) if G else np.zeros(0)
        duration = f_r * self.route_leg_h + dwell_r
        if n:
            self._deliver(arrive, counts, pos, t_order, village)
            led.parcels_carried += n
            led.parcel_kg_carried += n * self.parcel_kg
        # produce collected on the way
        produce_r: np.ndarray | None = None   # kg collected per route
        if len(ready):
            # parcels still aboard after each stop: those for the route's later stops
            cum = counts.cumsum()
            on_board = cum[self.first_stop + self.lengths - 1].repeat(self.lengths) - cum
            collected = self._collect(ready, lot_stop, arrive, on_board, deliver)
            if collected is not None:
                lots, lot_route = collected
                produce_r = np.bincount(lot_route, weights=lots.kg, minlength=self.n_routes)
        if self.tracer:
            for r in go:
                self.tracer("vehicle_depart", now, route=int(r), parcels=int(n_r[r]))
                stops = np.arange(self.first_stop[r], self.first_stop[r] + self.lengths[r])
                for g in stops[counts[stops] > 0]:
                    self.tracer("station_arrive", arrive[g], village=int(self.stop_village[g]), parcels=int(counts[g]))
                self.tracer("vehicle_return", now + duration[r], route=int(r))
        # book the trips and schedule the return of each vehicle that brings produce
        self.back_at[deliver][go, vehicle] = now + duration[go]
        if produce_r is not None:
            self._returns(go, duration, produce_r, lots, lot_route)
        km = self.route_km[go]
        at = np.full(k, now)
        if deliver:
            led.trips += k
            led.km += float(km.sum())
            n_go = n_r[go]
            alone = n_go == 0
            if alone.any():
                led.produce_only_trips += int(alone.sum())
                led.produce_only_km += float(km[alone].sum())
            led.load_t_h.append(at)
            if self.mix is None:
                cap_n, cap_kg = float(self.vehicle.capacity_parcels), self.vehicle.capacity_kg
            else:
                cap_n, cap_kg = self.mix.nominal_parcels[go], self.mix.capacity_kg[go]
            led.load_in.append(np.maximum(n_go / cap_n, n_go * self.parcel_kg / cap_kg))
            led.load_out.append(produce_r[go] / cap_kg if produce_r is not None else np.zeros(k))
        else:
            led.pickup_trips += k
            led.pickup_km += float(km.sum())
        if self.mix is not None:
            self.mix.book(go, km, n_r[go], deliver)
        led.trip_start_h.append(at)
        led.trip_km.append(km)
        return go

    def _returns(self, go: np.ndarray, duration: np.ndarray, produce_r: np.ndarray, lots: Lots,
                 lot_route: np.ndarray) -> None:
        """Schedule the return of each vehicle of ``go`` that carries produce: one event
        each, with its route's lots (in the order collected: ``lot_route`` is sorted, as
        the lots are collected stop by stop and stops are numbered route by route)."""
        back = go[produce_r[go] > 0]
        lo = np.searchsorted(lot_route, back, side="left").tolist()
        hi = np.searchsorted(lot_route, back, side="right").tolist()
        a = lots.a
        for i, j, d, kg in zip(lo, hi, duration[back].tolist(), produce_r[back].tolist(), strict=True):
            self.env.timeout(d).callbacks.append(self._returner(Lots._wrap(a[:, i:j]), kg))

    def _returner(self, lots: Lots, reserved_kg: float):
        def back(_event) -> None:
            kg = lots.total_kg
            self.ledger.produce_on_board_kg -= kg
            self.hub.receive_produce(lots, reserved_kg, kg)
        return back

    def _deliver(self, arrive: np.ndarray, counts: np.ndarray, pos: np.ndarray, t_order: np.ndarray,
                 village: np.ndarray | None = None) -> None:
        """Book the parcels of the trips: delivered when their station is reached
        within the horizon (lead time per parcel), otherwise still on the vehicle.
        ``village``: each parcel's village (for a tier that hands parcels on)."""
        led = self.ledger
        reached = counts > 0
        G = len(self.stop_village)
        if np.maximum.reduce(arrive[reached]) <= self.horizon_h:
            lead = arrive[pos]
            lead -= t_order
            led.stop_lead_h += np.bincount(pos, weights=lead, minlength=G)
            led.stop_delivered += counts
            led.lead.add(lead)
            led.delivered += len(pos)
        else:
            ok = arrive[pos] <= self.horizon_h
            lead = arrive[pos[ok]] - t_order[ok]
            led.stop_lead_h += np.bincount(pos[ok], weights=lead, minlength=G)
            led.stop_delivered += np.bincount(pos[ok], minlength=G)
            led.lead.add(lead)
            led.delivered += int(ok.sum())
            led.on_vehicles_at_end += int((~ok).sum())
            reached &= arrive <= self.horizon_h
        led.stop_arrivals_h.append(arrive[reached])
        led.stop_parcels.append(counts[reached])
        led.depart_h.append(self.env.now)

    def _collect(self, ready: np.ndarray, lot_stop: np.ndarray, arrive: np.ndarray, on_board: np.ndarray,
                 deliver: bool) -> tuple[Lots, np.ndarray] | None:
        """Collect ready produce along each route with the room left after each stop's
        parcels are unloaded, and no more in all than the hub can store (routes in
        index order; :func:`sim.county.backhaul.loads`). Produce that has spoiled by the
        time the vehicle reaches its station is left behind as spoiled. The stations'
        lots are rebuilt once. A dedicated pickup's produce (``deliver`` False) is
        booked apart from the delivery vehicles'. Returns (lots collected, their route)
        or None."""
        a = self.stations.lots.a
        cap_kg = self.vehicle.capacity_kg if self.mix is None else self.mix.capacity_kg
        idx, gstop, take, stale = loads(a, ready, lot_stop, arrive, on_board, self.stop_route, cap_kg, self.parcel_kg,
                                        self.hub.free_kg(), self.n_routes, self.stations.soonest_first)
        produce = self.stations.hand_over(idx, take, arrive[gstop], ready[stale], arrive[lot_stop[stale]])
        pick = take > 0
        if self.tracer and pick.any():
            for g, kg_taken in zip(gstop[pick], take[pick], strict=True):
                self.tracer("produce_collected", arrive[g], village=int(self.stop_village[g]),
                            kg=round(float(kg_taken), 9))
        if not len(produce):
            return None
        reserved = produce.total_kg
        self.hub.reserve(reserved)
        if deliver:
            self.ledger.produce_kg_carried += reserved
        else:
            self.ledger.pickup_produce_kg += reserved
        self.ledger.produce_on_board_kg += reserved
        return produce, self.stop_route[gstop[pick]]
