"""Trunk runs: trucks leave the city warehouse on a schedule with the parcels
ordered before the cut-off (first in, first out, up to capacity), unload at the
county hub, load produce that will still be fresh at the city market, and sell it
there. When more waits than the scheduled trucks carry, spot trucks join the
departure (surge capacity)."""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.fleet import parcels_aboard
from sim.config.scenario import CityConfig, SurgeConfig, TrunkConfig
from sim.county.account import Stock, since
from sim.county.batches import Chunk, Lots, concat
from sim.county.hub import Hub


@dataclass(frozen=True)
class TrunkActivity:
    """What the trunk did over a window: departures with something to carry, trucks
    sent (a run of ``trucks`` trucks counts ``trucks``; spot trucks included, and
    also counted in ``spot_truck_runs``), what they carried, and the trucks sent
    beyond those the departure's parcels needed, for produce alone
    (``produce_truck_runs``, part of ``truck_runs``; ``spot_produce_truck_runs`` of
    them were spot trucks)."""
    runs: int = 0
    truck_runs: int = 0
    parcels: int = 0
    parcel_kg: float = 0.0
    produce_kg: float = 0.0
    spot_truck_runs: int = 0
    produce_truck_runs: int = 0
    spot_produce_truck_runs: int = 0


@dataclass(frozen=True)
class Sales:
    """Produce sold at the city market, one entry per lot: kilograms, crop, time (h),
    the time it would have been lost at ambient temperature (h; its quality), the
    time it was offered (h) and its channel (0 bulk, 1 produce parcels)."""
    kg: np.ndarray
    crop: np.ndarray
    t_h: np.ndarray
    t_expiry: np.ndarray
    t_offer: np.ndarray
    channel: np.ndarray


class Trunk:
    """The warehouse queue and the trunk trucks between the city and the hub."""

    def __init__(self, env: simpy.Environment, cfg: TrunkConfig, city: CityConfig, hub: Hub,
                 parcel_kg: float, on_spoil, surge: SurgeConfig | None = None):
        """``surge``: spot trucks may join a departure (None or disabled: never)."""
        self.env, self.cfg, self.city, self.hub = env, cfg, city, hub
        self.spot_max = surge.spot_trucks_max if surge is not None and surge.enabled else 0
        self.parcel_kg = parcel_kg
        self.warehouse: deque[Chunk] = deque()   # in order-time order
        self.warehouse_parcels = 0
        self.on_spoil = on_spoil
        self.tracer: Callable[..., None] | None = None  # (kind, time_h, **details), set to record an event trace
        self._done: list = [0, 0, 0, 0.0, 0.0, 0, 0, 0]   # the fields of TrunkActivity, cumulative since the start
        self._window: TrunkActivity | None = None
        self._parcels_in_transit = 0
        self._produce_in_transit_kg = 0.0
        self.reefer_factor: np.ndarray | None = None  # per crop: how much slower produce ages on the way
        self._sold: list[Lots] = []
        self._sold_t_h: list[np.ndarray] = []
        self.to_hub_h = city.warehouse_km / cfg.speed_kmh
        self.to_market_h = city.market_km / cfg.speed_kmh
        self.truck_parcels = parcels_aboard(cfg.truck_capacity_parcels, cfg.truck_capacity_kg, parcel_kg)

    # ---- the component's account -------------------------------------------------------
    def stock(self) -> Stock:
        """Parcels in the warehouse and on trucks to the hub, produce on trucks to the market."""
        return Stock(sum(len(c) for c in self.warehouse) + self._parcels_in_transit, self._produce_in_transit_kg)

    def activity(self) -> TrunkActivity:
        """What the trunk did since the window started."""
        return since(TrunkActivity(*self._done), self._window)

    def reset_window(self) -> None:
        """Start the KPI window now."""
        self._window = TrunkActivity(*self._done)

    def sales(self) -> Sales:
        """Every lot sold at the market since the start of the run."""
        return Sales(concat([lots.kg for lots in self._sold]),
                     concat([lots.crop for lots in self._sold]).astype(np.int64),
                     concat(self._sold_t_h), concat([lots.t_expiry for lots in self._sold]),
                     concat([lots.t_offer for lots in self._sold]),
                     concat([lots.channel for lots in self._sold]).astype(np.int64))

    @property
    def km_per_truck_run(self) -> float:
        return self.city.warehouse_km + self.city.market_km + self.city.market_to_warehouse_km

    def order(self, chunks: list[Chunk]) -> None:
        for ch in chunks:
            self.warehouse.append(ch)
            self.warehouse_parcels += len(ch)

    def start(self, horizon_d: int) -> None:
        self.env.process(self._schedule(horizon_d))

    def _schedule(self, horizon_d: int):
        """Process: start a run at every departure time of every day."""
        hours = sorted(self.cfg.departures_h)
        for day in range(horizon_d):
            for h in hours:
                t = 24.0 * day + h
                if t > self.env.now:
                    yield self.env.timeout(t - self.env.now)
                self._depart()

    def _take(self, cutoff: float, capacity: int) -> list[Chunk]:
        """Parcels ordered by ``cutoff``, oldest first, up to ``capacity``."""
        taken, n, wh = [], 0, self.warehouse
        route_of = self.hub.route_of_village
        while wh and n < capacity:
            ch = wh[0]
            if ch.t_max <= cutoff and n + len(ch) <= capacity:
                taken.append(wh.popleft())
                n += len(ch)
                continue
            eligible = ch.t_order <= cutoff
            k = int(eligible.sum())
            if k == 0:
                break
            room = capacity - n
            if k > room:  # the truck fills up: the earliest orders go
                idx = np.flatnonzero(eligible)
                first = idx[np.argpartition(ch.t_order[idx], room - 1)[:room]]
                eligible = np.zeros(len(ch), dtype=bool)
                eligible[first] = True
                k = room
            part, rest = ch.split(eligible, route_of)
            taken.append(part)
            n += k
            if len(rest):
                wh[0] = rest
            else:
                wh.popleft()
            break  # the truck is full, or what is left of this chunk (and all after it) is too late
        self.warehouse_parcels -= n
        return taken

    def _depart(self) -> None:
        cfg = self.cfg
        cutoff = self.env.now - cfg.cutoff_before_departure_h
        # the scheduled trucks, then spot trucks for what they cannot carry, up to the limit
        fleet = cfg.trucks_per_departure + self.spot_max
        chunks = self._take(cutoff, fleet * self.truck_parcels)
        n = sum(len(c) for c in chunks)
        trucks_for_parcels = math.ceil(n / self.truck_parcels) if n else 0
        loads_kg = self.hub.shippable_kg / cfg.truck_capacity_kg   # (inf for a truck of next to no kg)
        trucks_for_produce = fleet if loads_kg >= fleet else math.ceil(loads_kg)
        trucks = max(trucks_for_parcels, trucks_for_produce)
        if trucks == 0:
            return
        d = self._done   # runs, truck runs, parcels, parcel kg, produce kg, spot, produce-only, spot produce-only
        spot = max(0, trucks - cfg.trucks_per_departure)
        produce_only = trucks - trucks_for_parcels
        # parcels take the first trucks; spot trucks are the last ones sent
        spot_produce = max(0, trucks - max(cfg.trucks_per_departure, trucks_for_parcels))
        d[0] += 1
        d[1] += trucks
        d[2] += n
        d[3] += n * self.parcel_kg
        d[5] += spot
        d[6] += produce_only
        d[7] += spot_produce
        self._parcels_in_transit += n
        if self.tracer:
            self.tracer("trunk_depart", self.env.now, parcels=n, trucks=trucks)
        self.env.process(self._run(chunks, n, trucks))

    def _run(self, chunks: list[Chunk], n: int, trucks: int):
        """Process: one run of ``trucks`` trucks, warehouse -> hub -> market."""
        yield self.env.timeout(self.to_hub_h)
        self._parcels_in_transit -= n
        if self.tracer:
            self.tracer("hub_arrive", self.env.now, parcels=n)
        self.hub.receive(chunks)
        yield self.env.timeout(self.cfg.unload_h)
        t_market = self.env.now + self.to_market_h
        lots = self.hub.load_trunk(trucks * self.cfg.truck_capacity_kg, t_market)
        if not len(lots):
            return
        kg = lots.total_kg
        self._done[4] += kg
        self._produce_in_transit_kg += kg
        f = None if self.reefer_factor is None else self.reefer_factor[lots.crop]
        if f is not None:  # refrigerated: what is left of the lots' life stretches while they ride
            lots.t_expiry = self.env.now + (lots.t_expiry - self.env.now) * f
        yield self.env.timeout(self.to_market_h)
        if f is not None:
            lots.t_expiry = self.env.now + (lots.t_expiry - self.env.now) / f
        self._produce_in_transit_kg -= kg
        spoiled = lots.t_expiry < self.env.now
        if spoiled.any():  # only if travel took longer than planned: kept as a safeguard
            self.on_spoil(lots.split(spoiled))
        self._sold.append(lots)
        if self.tracer:
            self.tracer("produce_sold", self.env.now, kg=round(lots.total_kg, 9))
        self._sold_t_h.append(np.full(len(lots), float(self.env.now)))
