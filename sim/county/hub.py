"""The county hub: inbound parcels are sorted into route lots by a pool of sorters
(temporary sorters join it for a day when a trunk brings more than the sorters sort
in a shift; the sorting queue is worked out directly, :mod:`sim.county.sorting`) and
wait for their route's next vehicle; produce from the villages is
stored (ambient, or in a cold store that slows ageing) until a trunk takes it to
the city market."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.config.scenario import HubConfig, SurgeConfig
from sim.county.account import Stock, since
from sim.county.batches import Chunk, Lots, ParcelQueue
from sim.county.sorting import SortingLine, UnitDraws
from sim.county.surge import temp_sorters


@dataclass(frozen=True)
class HubActivity:
    """What the hub did over a window: parcels in and out, hours they waited for a
    sorter and spent in the hub (summed over parcels), sorter-hours worked, produce
    in, and the cold-store stock integrated over time (kg-hours)."""
    parcels_in: int = 0
    parcels_out: int = 0
    sort_wait_parcel_h: float = 0.0
    time_in_h: float = 0.0
    sorting_h: float = 0.0
    produce_in_kg: float = 0.0
    cold_kg_h: float = 0.0
    temp_sorter_days: int = 0


@dataclass(frozen=True)
class HubLittle:
    """Little's law at the hub over a whole run up to ``t_end``: ``parcel_hours``
    (the integral of parcels in the hub) equals ``time_in_h`` (time spent by parcels
    that left) plus ``residual_h`` (time spent so far by those still there)."""
    parcel_hours: float
    time_in_h: float
    residual_h: float
    parcels_in: int
    parcels_out: int


class Hub:
    """Sorting, route queues and produce storage at the county hub."""

    def __init__(self, env: simpy.Environment, cfg: HubConfig, route_of_village: np.ndarray,
                 n_routes: int, sort_draws: UnitDraws, cold_factor: np.ndarray, surge: SurgeConfig | None = None):
        """``surge``: temporary sorters may be hired (None or disabled: never)."""
        self.env = env
        self.cfg = cfg
        self.route_of_village = route_of_village
        self.sorters = SortingLine(cfg.sorters, self._start_lot, self._finish_lot)
        if surge is not None and surge.enabled:
            self.temp_max, shift_h = surge.temp_sorters_max, surge.sorter_shift_h
        else:
            self.temp_max, shift_h = 0, 0.0
        self.per_sorter_shift = cfg.sort_rate_parcels_per_h * shift_h
        self._temp_active = 0                    # temporary sorters on duty (as worked out so far)
        self._dismissals: deque[tuple[float, int]] = deque()   # (time, temporary sorters leaving then)
        self.temp_sorter_days = 0                # temporary sorters hired, 24 h each
        self.draws = sort_draws
        self.queues = [ParcelQueue() for _ in range(n_routes)]
        self.cold_factor = cold_factor          # per crop: cold shelf life / ambient shelf life
        # parcels
        self._in_sorting = 0
        self.parcels_in = 0
        self._lot_waits_h: list[float] = []
        self._sort_wait_parcel_h = 0.0
        self._sorting_h = 0.0                    # sorter-hours worked
        self._n = 0                              # parcels in the hub (sorting + route queues)
        self._area = 0.0                         # integral of _n over time (parcel-hours)
        self._t = 0.0
        self.time_in_hub_h = 0.0                 # summed over parcels that left the hub
        self._stamp_sum = 0.0                    # sum of hub arrival times of parcels still in the hub
        self.parcels_out = 0
        # produce
        self.ambient = Lots.empty()
        self.cold = Lots.empty()
        self.reserved_kg = 0.0
        self.produce_in_kg = 0.0
        self.cold_kg_h = 0.0                     # integral of cold-store stock (kg-hours)
        self.cold_in_kg = 0.0                    # kg into the cold store, and sums of kg x time in and out
        self.cold_in_kg_h = 0.0
        self.cold_out_kg_h = 0.0
        self.tracer: Callable[..., None] | None = None  # (kind, time_h, **details) for an event trace
        # holding policy: (crops, cold expiries, now, t_market) -> bool mask of cold lots to keep; None: sell all
        self.holder: Callable[..., np.ndarray] | None = None
        # packs city orders from the produce here as it arrives (produce_parcels.packing: hub)
        self.packer: Callable[[], None] | None = None
        self.held_kg = 0.0                       # kg the last loading kept in the cold store on purpose
        self._cold_t = 0.0
        self._window: HubActivity | None = None

    # ---- the component's account -------------------------------------------------------
    def stock(self) -> Stock:
        """Parcels being sorted or waiting for their route's vehicle (counted segment by
        segment), and produce in store."""
        self._sort_up_to_now()
        return Stock(self._in_sorting + sum(q.count() for q in self.queues), self.produce_kg)

    def _done(self) -> HubActivity:
        self._cold_tick()
        self._sort_up_to_now()
        return HubActivity(self.parcels_in, self.parcels_out, self._sort_wait_parcel_h, self.time_in_hub_h,
                           self._sorting_h, self.produce_in_kg, self.cold_kg_h, self.temp_sorter_days)

    def activity(self) -> HubActivity:
        """What the hub did since the window started (the cold-store integral is
        brought up to now)."""
        return since(self._done(), self._window)

    def reset_window(self) -> None:
        """Start the KPI window now."""
        self._window = self._done()

    # ---- parcels -------------------------------------------------------------------
    def _count(self, delta: int) -> None:
        now = self.env.now
        self._area += self._n * (now - self._t)
        self._t = now
        self._n += delta

    def _sort_up_to_now(self) -> None:
        now = self.env.now
        if now >= self.sorters.next_t:
            self.sorters.advance(now)
        while self._dismissals and self._dismissals[0][0] <= now:
            self._temp_active -= self._dismissals.popleft()[1]

    def settle(self) -> None:
        """Work the sorting out to the end: every lot received is sorted (for a hub
        driven on its own, e.g. a queueing check, after its arrivals have run)."""
        self.sorters.advance(float("inf"))

    @property
    def in_sorting(self) -> int:
        """Parcels waiting for a sorter or being sorted."""
        self._sort_up_to_now()
        return self._in_sorting

    @property
    def sorters_on_duty(self) -> int:
        """Sorters on duty now, temporary ones included."""
        self._sort_up_to_now()
        return self.sorters.capacity

    @property
    def temp_active(self) -> int:
        """Temporary sorters on duty now."""
        self._sort_up_to_now()
        return self._temp_active

    @property
    def lot_waits_h(self) -> list[float]:
        """Each lot's wait for a sorter (h), in the order sorters took them."""
        self._sort_up_to_now()
        return self._lot_waits_h

    @property
    def sort_wait_parcel_h(self) -> float:
        self._sort_up_to_now()
        return self._sort_wait_parcel_h

    @property
    def sorting_h(self) -> float:
        """Sorter-hours worked."""
        self._sort_up_to_now()
        return self._sorting_h

    def receive(self, chunks: list[Chunk]) -> None:
        """A trunk unloads: one sort lot per route (the chunks are grouped by route)."""
        n = sum(len(c) for c in chunks)
        if n == 0:
            return
        now = float(self.env.now)
        self._sort_up_to_now()
        self._count(n)
        self.parcels_in += n
        self._in_sorting += n
        self._stamp_sum += n * now
        self._hire_sorters(now)
        if len(chunks) == 1:   # one sort lot per route with parcels, in route order
            c = chunks[0]
            b = c.bounds.tolist()
            for r in (np.diff(c.bounds) > 0).nonzero()[0].tolist():
                lo, hi = b[r], b[r + 1]
                self.sorters.add((r, [(c.village[lo:hi], c.t_order[lo:hi])], hi - lo, now), now)
            return
        bounds = [(c, c.bounds.tolist()) for c in chunks]
        for r in range(len(self.queues)):
            parts = [(c.village[b[r]:b[r + 1]], c.t_order[b[r]:b[r + 1]]) for c, b in bounds if b[r + 1] > b[r]]
            if parts:
                self.sorters.add((r, parts, sum(len(p[0]) for p in parts), now), now)

    def _hire_sorters(self, now: float) -> None:
        """At a trunk arrival: if the parcels waiting to be sorted exceed what the
        sorters sort in a shift, hire temporary sorters (up to the limit on duty at
        once), each for 24 h."""
        want = temp_sorters(self._in_sorting, self.cfg.sorters, self.per_sorter_shift, self.temp_max)
        extra = want - self._temp_active
        if extra <= 0:
            return
        self._temp_active += extra
        self.temp_sorter_days += extra
        self.sorters.add_capacity(extra, now)
        self.sorters.schedule_capacity(-extra, now + 24.0)
        self._dismissals.append((now + 24.0, extra))

    def _start_lot(self, lot: tuple, t: float) -> float:
        """A sorter takes a lot (route, parts, parcels, time in) at ``t``: its sorting time (h)."""
        route, _, n, t_in = lot
        wait = t - t_in
        self._lot_waits_h.append(wait)
        self._sort_wait_parcel_h += wait * n
        if self.tracer:
            self.tracer("sort_start", t, route=route, parcels=n)
        sort_h = n / self.cfg.sort_rate_parcels_per_h * self.draws.next()
        self._sorting_h += sort_h
        return sort_h

    def _finish_lot(self, lot: tuple, t: float) -> None:
        """A lot is sorted at ``t`` and joins its route's queue."""
        route, parts, n, t_in = lot
        if self.tracer:
            self.tracer("sort_end", t, route=route, parcels=n)
        self._in_sorting -= n
        for village, t_order in parts:
            self.queues[route].push(village, t_order, t_in)

    def dispatch(self, route: int, n: int) -> tuple[list, list]:
        """Hand the first ``n`` sorted parcels of a route to a departing vehicle:
        (village arrays, order-time arrays)."""
        villages, orders, _ = self.dispatch_routes(np.array([route]), n, np.zeros(len(self.queues), dtype=np.int64))
        return villages, orders

    def dispatch_routes(self, routes: np.ndarray, n: int, loaded: np.ndarray) -> tuple[list, list, int]:
        """Hand the first ``n`` sorted parcels of each of ``routes`` to its departing
        vehicle, in the order given: (village arrays, order-time arrays, parcels left
        waiting on these routes); each route's count goes into ``loaded[route]``."""
        self._sort_up_to_now()
        villages: list = []
        orders: list = []
        left = 0
        queues = self.queues
        now = float(self.env.now)
        for r in routes.tolist():
            q = queues[r]
            if not q.n:
                continue
            v, t, stamps = q.pop(n)
            k = sum(len(x) for x in v)
            self._count(-k)
            self.parcels_out += k
            self._stamp_sum -= stamps
            self.time_in_hub_h += k * now - stamps
            villages += v
            orders += t
            loaded[r] = k
            left += q.n
        return villages, orders, left

    def waiting_all(self) -> np.ndarray:
        """Sorted parcels waiting for a vehicle, per route."""
        self._sort_up_to_now()
        return np.array([len(q) for q in self.queues], dtype=np.int64)

    def waiting(self, route: int) -> int:
        """Sorted parcels waiting for a vehicle of ``route``."""
        self._sort_up_to_now()
        return len(self.queues[route])

    @property
    def parcels_waiting(self) -> int:
        self._sort_up_to_now()
        return sum(len(q) for q in self.queues)

    @property
    def parcels_in_hub(self) -> int:
        """Parcels being sorted or waiting for a vehicle."""
        self._sort_up_to_now()   # the line is brought up to now whenever the hub is read
        return self._n   # counted as they come and go (``stock`` counts the queues segment by segment)

    def little(self, t_end: float) -> HubLittle:
        """The terms of Little's law at the hub from the start of the run to ``t_end``."""
        return HubLittle(self._area + self._n * (t_end - self._t), self.time_in_hub_h,
                         self._n * t_end - self._stamp_sum, self.parcels_in, self.parcels_out)

    # ---- produce -------------------------------------------------------------------
    def _cold_tick(self) -> None:
        """Bring the cold-store integral up to now."""
        now = self.env.now
        self.cold_kg_h += self.cold.total_kg * (now - self._cold_t)
        self._cold_t = now

    @property
    def produce_kg(self) -> float:
        return self.ambient.total_kg + self.cold.total_kg

    @property
    def ambient_kg(self) -> float:
        return self.ambient.total_kg

    @property
    def cold_kg(self) -> float:
        return self.cold.total_kg

    @property
    def shippable_kg(self) -> float:
        """Produce at the hub less what the holding policy kept back at the last loading."""
        return max(0.0, self.produce_kg - self.held_kg)

    def free_kg(self) -> float:
        """Storage not yet filled or promised to a vehicle on its way back."""
        return max(0.0, self.cfg.storage_kg + self.cfg.cold_store_kg - self.produce_kg - self.reserved_kg)

    def reserve(self, kg: float) -> None:
        """Promise storage to produce a vehicle is bringing back."""
        self.reserved_kg += kg

    def receive_produce(self, lots: Lots, reserved_kg: float, total_kg: float | None = None) -> None:
        """A vehicle unloads produce: the cold store fills first, the rest is ambient
        (``total_kg``: the lots' kilograms if the caller has summed them)."""
        self.reserved_kg = max(0.0, self.reserved_kg - reserved_kg)
        if not len(lots):
            return
        self.produce_in_kg += lots.total_kg if total_kg is None else total_kg
        now = self.env.now
        room = self.cfg.cold_store_kg - self.cold.total_kg
        if room > 0:
            self._cold_tick()
            cum = np.cumsum(lots.kg)
            take = np.clip(room - (cum - lots.kg), 0.0, lots.kg)
            idx = np.flatnonzero(take > 0)
            to_cold = lots.take_kg(idx, take[idx])
            f = self.cold_factor[to_cold.crop]
            to_cold.t_expiry = now + (to_cold.t_expiry - now) * f
            self.cold.extend(to_cold)
            self.cold_in_kg += to_cold.total_kg
            self.cold_in_kg_h += to_cold.total_kg * now
        self.ambient.extend(lots)
        if self.packer is not None:
            self.packer()

    def load_trunk(self, capacity_kg: float, t_market: float) -> Lots:
        """Load produce that will still be fresh at the market, produce parcels first, then
        first-expiring first, up to ``capacity_kg``. Produce leaving the cold store ages at the ambient rate again."""
        now = self.env.now
        self._cold_tick()
        if not len(self.ambient) and not len(self.cold):
            return Lots.empty()
        cold_amb = now + (self.cold.t_expiry - now) / self.cold_factor[self.cold.crop]
        expiry = np.concatenate([self.ambient.t_expiry, cold_amb])
        kg = np.concatenate([self.ambient.kg, self.cold.kg])
        fresh = expiry >= t_market
        # boxes still being packed at the hub (produce_parcels.packing: hub) wait for the next trunk
        t_offer = np.concatenate([self.ambient.t_offer, self.cold.t_offer])
        fresh &= t_offer <= now
        if self.holder is not None and len(self.cold):
            held = self.holder(self.cold.crop, self.cold.t_expiry, now, t_market) & (self.cold.channel == 0)
            fresh[len(self.ambient):] &= ~held
            self.held_kg = float(self.cold.kg[held].sum())
        ok = np.flatnonzero(fresh)
        if capacity_kg <= 0 or len(ok) == 0:
            return Lots.empty()
        channel = np.concatenate([self.ambient.a[Lots.CHANNEL], self.cold.a[Lots.CHANNEL]])
        order = ok[np.lexsort((expiry[ok], -channel[ok]))]  # produce parcels first, then first-expiring
        cum = np.cumsum(kg[order])
        take = np.clip(capacity_kg - (cum - kg[order]), 0.0, kg[order])
        pick = take > 0
        order, take = order[pick], take[pick]
        na = len(self.ambient)
        from_amb = order < na
        out = self.ambient.take_kg(order[from_amb], take[from_amb])
        cold_idx = order[~from_amb] - na
        if len(cold_idx):
            c = self.cold.take_kg(cold_idx, take[~from_amb])
            self.cold_out_kg_h += c.total_kg * now
            c.t_expiry = now + (c.t_expiry - now) / self.cold_factor[c.crop]
            out.extend(c)
        return out

    def purge(self) -> Lots:
        """Remove and return produce that has spoiled by now."""
        now = self.env.now
        self._cold_tick()
        amb, cold = self.ambient.a[Lots.T_EXPIRY], self.cold.a[Lots.T_EXPIRY]
        out = self.ambient.split(amb < now) if len(amb) and np.minimum.reduce(amb) < now else Lots.empty()
        if len(cold) and np.minimum.reduce(cold) < now:
            gone = self.cold.split(cold < now)
            self.cold_out_kg_h += gone.total_kg * now
            out.extend(gone)
        return out
