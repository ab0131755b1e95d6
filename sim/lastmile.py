"""Last-mile routes: vehicles leave the hub on a schedule, carry their route's
parcels up to capacity (first in, first out), unload at each station and, with the
room that frees up, collect the produce waiting there on the way back (backhaul).

A trip is one SimPy process: its stop times are computed as arrays when it leaves,
so no event is spent on a stop or a parcel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from .batches import Lots
from .leadtime import LeadTimes
from .config import LastMileConfig, VehicleType
from .hub import Hub


@dataclass
class Route:
    """A planned route: stations in visiting order and the legs between them
    (leg i ends at stop i; the last leg returns to the hub)."""
    index: int
    stops: np.ndarray       # village indices in visiting order
    leg_km: np.ndarray      # len(stops) + 1
    leg_h: np.ndarray       # len(stops) + 1

    def __post_init__(self):
        self.km = float(self.leg_km.sum())
        self.cum_leg_h = np.cumsum(self.leg_h[:-1])
        self.total_leg_h = float(self.leg_h.sum())


@dataclass
class Ledger:
    """What the last mile did, summed over the run, and per-trip records for the outputs."""
    trips: int = 0
    km: float = 0.0
    parcels_carried: int = 0
    parcel_kg_carried: float = 0.0
    produce_kg_carried: float = 0.0
    pickup_trips: int = 0
    pickup_km: float = 0.0
    pickup_vehicle_days: int = 0
    left_behind: int = 0      # sorted parcels still waiting at the hub as a vehicle leaves, summed over trips
    trip_start_h: list = field(default_factory=list)
    trip_km: list = field(default_factory=list)
    load_in: list = field(default_factory=list)
    load_out: list = field(default_factory=list)
    lead: LeadTimes = field(default_factory=LeadTimes)  # order to arrival at the station, delivered parcels
    delivered: int = 0
    on_vehicles_at_end: int = 0     # loaded, but their station is reached after the horizon
    stop_arrivals_h: list = field(default_factory=list)   # per trip: arrival time at each stop reached
    stop_parcels: list = field(default_factory=list)      # per trip: parcels unloaded at each of those stops

    def delivered_by_day(self, horizon_d: int) -> np.ndarray:
        """Parcels delivered on each day."""
        if not self.stop_arrivals_h:
            return np.zeros(horizon_d, dtype=np.int64)
        day = np.minimum((np.concatenate(self.stop_arrivals_h) // 24.0).astype(np.int64), horizon_d - 1)
        return np.bincount(day, weights=np.concatenate(self.stop_parcels), minlength=horizon_d).round().astype(np.int64)
    produce_on_board_kg: float = 0.0


class LastMile:
    """All routes of the county, their vehicles and the produce waiting at stations."""

    def __init__(self, env: simpy.Environment, cfg: LastMileConfig, vehicle: VehicleType,
                 routes: list[Route], hub: Hub, parcel_kg: float, n_villages: int, horizon_d: int,
                 available: np.ndarray, travel_factor: np.ndarray, on_spoil):
        self.env, self.cfg, self.vehicle, self.routes, self.hub = env, cfg, vehicle, routes, hub
        self.parcel_kg = parcel_kg
        self.stations = [Lots.empty() for _ in routes]       # produce waiting, per route
        self.position = np.full(n_villages, -1, dtype=np.int64)
        for r in routes:
            self.position[r.stops] = np.arange(len(r.stops))
        self.available = available          # bool (vehicles, days, routes)
        self.travel_factor = travel_factor  # (draws,), cycled through by trip count
        self.on_spoil = on_spoil
        self.ledger = Ledger()
        self.horizon_d = horizon_d
        self.horizon_h = 24.0 * horizon_d
        self.capacity_parcels = int(min(vehicle.capacity_parcels, np.floor(vehicle.capacity_kg / parcel_kg)))
        self._draw = 0

    # ---- produce at the stations --------------------------------------------------
    def offer(self, route: int, lots: Lots) -> None:
        self.stations[route].extend(lots)

    @property
    def station_produce_kg(self) -> float:
        return float(sum(s.total_kg for s in self.stations))

    def purge(self) -> None:
        now = self.env.now
        for s in self.stations:
            if len(s) and s.a[Lots.T_EXPIRY].min() < now:
                self.on_spoil(s.split(s.t_expiry < now))

    # ---- processes -----------------------------------------------------------------
    def start(self, horizon_d: int) -> None:
        for route in self.routes:
            self.env.process(self._schedule(route, horizon_d, self.cfg.departures_h, deliver=True))
            if not self.cfg.backhaul:
                self.env.process(self._schedule(route, horizon_d, self.cfg.pickup_departures_h, deliver=False))

    def _schedule(self, route: Route, horizon_d: int, hours, deliver: bool):
        """Process: at each departure time, every vehicle of the route that is
        available today and back at the hub leaves if it has something to do."""
        n_veh = self.cfg.vehicles_per_route
        back_at = np.zeros(n_veh)
        hours = sorted(hours)
        for day in range(horizon_d):
            used_today = np.zeros(n_veh, dtype=bool)
            for h in hours:
                t = 24.0 * day + h
                if t > self.env.now:
                    yield self.env.timeout(t - self.env.now)
                for v in range(n_veh):
                    if back_at[v] > self.env.now or not self.available[v, day, route.index]:
                        continue
                    trip = self._load(route, deliver)
                    if trip is None:
                        break
                    duration, produce, reserved = trip
                    back_at[v] = self.env.now + duration
                    used_today[v] = True
                    if len(produce):  # parcels need no event: their arrival times are known
                        self.env.process(self._drive(duration, produce, reserved))
            if not deliver:
                self.ledger.pickup_vehicle_days += int(used_today.sum())

    def _drive(self, duration_h: float, produce: Lots, reserved_kg: float):
        """Process: the vehicle is out for ``duration_h``, then unloads produce at the hub."""
        yield self.env.timeout(duration_h)
        self.ledger.produce_on_board_kg -= produce.total_kg
        self.hub.receive_produce(produce, reserved_kg)

    def _load(self, route: Route, deliver: bool):
        """Load a vehicle leaving now and work out its whole trip. Returns
        (duration_h, produce collected, kg reserved at the hub) or
        None if there is nothing to carry."""
        now = self.env.now
        cfg = self.cfg
        n = 0
        if deliver:
            village, t_order = self.hub.dispatch(route.index, self.capacity_parcels)
            n = len(village)
        station = self.stations[route.index]
        ready = None
        if (cfg.backhaul or not deliver) and len(station):
            ready = np.flatnonzero(station.t_offer <= now)
            if not len(ready):
                ready = None
        if n == 0 and ready is None:
            return None
        S = len(route.stops)
        if n:
            pos = self.position[village]
            counts = np.bincount(pos, minlength=S)
            dwell = counts * cfg.handling_h_per_parcel + (counts > 0) * cfg.stop_h
        else:
            counts = np.zeros(S, dtype=np.int64)
            dwell = np.zeros(S)
        if ready is not None:
            lot_pos = self.position[station.a[Lots.VILLAGE, ready].astype(np.intp)]
            dwell[lot_pos] = cfg.stop_h + counts[lot_pos] * cfg.handling_h_per_parcel
        f = self.travel_factor[self._draw % len(self.travel_factor)]
        self._draw += 1
        cum_dwell = np.cumsum(dwell)
        arrive = (now + f * route.cum_leg_h) + (cum_dwell - dwell)
        duration = float(f * route.total_leg_h + cum_dwell[-1])
        led = self.ledger
        if deliver:
            led.left_behind += len(self.hub.queues[route.index])
        if n:
            self._deliver(arrive, counts, pos, t_order)
            led.parcels_carried += n
            led.parcel_kg_carried += n * self.parcel_kg
        produce, reserved = (self._collect(station, ready, lot_pos, arrive, n - np.cumsum(counts))
                             if ready is not None else (Lots.empty(), 0.0))
        km = route.km
        if deliver:
            led.trips += 1
            led.km += km
            led.load_in.append(max(n / self.vehicle.capacity_parcels, n * self.parcel_kg / self.vehicle.capacity_kg))
            led.load_out.append(reserved / self.vehicle.capacity_kg)
        else:
            led.pickup_trips += 1
            led.pickup_km += km
        led.trip_start_h.append(now)
        led.trip_km.append(km)
        return duration, produce, reserved

    def _deliver(self, arrive: np.ndarray, counts: np.ndarray, pos: np.ndarray, t_order: np.ndarray) -> None:
        """Book the parcels of a trip: delivered when their station is reached within
        the horizon (lead time per parcel), otherwise still on the vehicle at the end."""
        led = self.ledger
        if arrive[-1] <= self.horizon_h:  # arrival times rise along the route
            led.lead.add(arrive[pos] - t_order)
            led.delivered += len(pos)
            led.stop_arrivals_h.append(arrive)
            led.stop_parcels.append(counts)
        else:
            in_time = arrive <= self.horizon_h
            ok = in_time[pos]
            led.lead.add(arrive[pos[ok]] - t_order[ok])
            led.delivered += int(ok.sum())
            led.on_vehicles_at_end += int((~ok).sum())
            led.stop_arrivals_h.append(arrive[in_time])
            led.stop_parcels.append(counts[in_time])

    def _collect(self, station: Lots, ready: np.ndarray, lot_pos: np.ndarray, arrive: np.ndarray,
                 on_board_after: np.ndarray):
        """Collect ready produce along the route with the room left after each stop's
        parcels are unloaded (and no more than the hub can store). Produce that has
        spoiled by the time the vehicle reaches its station is left behind as spoiled.
        The station's lots are rebuilt once."""
        a = station.a
        stale = a[Lots.T_EXPIRY, ready] < arrive[lot_pos]
        good, gpos = ready[~stale], lot_pos[~stale]
        order = np.lexsort((a[Lots.T_OFFER, good], gpos))
        idx = good[order]
        kg = a[Lots.KG, idx]
        room = self.vehicle.capacity_kg - self.parcel_kg * on_board_after
        room = np.maximum(np.minimum(room, self.hub.free_kg()), 0.0)[gpos[order]]
        s = np.cumsum(kg)
        # greedy along the route, C_j = min(C_{j-1} + kg_j, room_j), in closed form
        c = s + np.minimum(0.0, np.minimum.accumulate(room - s))
        take = c.copy()
        take[1:] -= c[:-1]
        np.clip(take, 0.0, kg, out=take)
        pick = take > 0
        if stale.any():
            self.on_spoil(Lots._wrap(a[:, ready[stale]]))
        if not pick.any() and not stale.any():
            return Lots.empty(), 0.0
        produce = Lots._wrap(a[:, idx[pick]])
        produce.a[Lots.KG] = take[pick]
        left = a[Lots.KG].copy()
        left[idx] -= take
        left[ready[stale]] = 0.0
        keep = left > 0.0  # lots taken whole are exactly zero
        rest = a[:, keep]
        rest[Lots.KG] = left[keep]
        station.a = rest
        reserved = produce.total_kg
        self.hub.reserved_kg += reserved
        self.ledger.produce_kg_carried += reserved
        self.ledger.produce_on_board_kg += reserved
        return produce, reserved
