"""Village stations: produce offered by farmers waits at its station (in the
station's cold room while it has room) until a last-mile vehicle collects it, or
spoils there."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from sim.county.account import Stock, since
from sim.county.batches import Lots


@dataclass(frozen=True)
class StationActivity:
    """Produce offered at the stations over a window (kg)."""
    offered_kg: float


class Stations:
    """The produce waiting at every station of the county, one set of lots."""

    def __init__(self, env: simpy.Environment, n_villages: int, on_spoil, *,
                 cold_room_kg: float = 0.0, cold_factor: np.ndarray | None = None,
                 room_of: np.ndarray | None = None, soonest_first: bool = False):
        """``cold_room_kg``: cold-room capacity per station; ``cold_factor``: per crop,
        cold shelf life / ambient shelf life; ``on_spoil(lots)`` takes spoiled produce;
        ``room_of``: the cold room of each village's produce (a township station's,
        shared by its villages; None: each village's own); ``soonest_first``: a vehicle
        without room for all is handed the produce that will spoil soonest first, not
        the oldest (:func:`sim.county.backhaul.loads`)."""
        self.soonest_first = soonest_first
        self.env = env
        self.n_villages = n_villages
        self.on_spoil = on_spoil
        self.cold_room_kg = cold_room_kg
        self.room_of = room_of
        # read only for lots in a cold room, and a lot goes in one only when cold_room_kg > 0
        self.cold_factor: npt.NDArray[np.float64] = np.ones(0) if cold_factor is None else cold_factor
        self._lots = Lots.empty()
        self._incoming: list[np.ndarray] = []   # lots offered since the stations were last read, joined then
        self.in_kg = 0.0        # kg offered, and sums of kg x time in and out (Little's law)
        self.in_kg_h = 0.0
        self.out_kg_h = 0.0
        self.pending: list = []  # recent collections: (visit times, kg) per departure
        self._window: StationActivity | None = None

    @property
    def lots(self) -> Lots:
        """The produce waiting at the stations, in the order it was offered (lots offered
        since the last read are joined on to it now, in one copy)."""
        if self._incoming:
            lots, parts = self._lots, self._incoming
            if len(lots):
                parts.insert(0, lots.a)
            lots.a = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
            self._incoming = []
        return self._lots

    # ---- the component's account -------------------------------------------------------
    def stock(self) -> Stock:
        """Produce at the stations now (no parcels wait there: they are delivered)."""
        return Stock(0, self.lots.total_kg)

    def activity(self) -> StationActivity:
        """What the stations received since the window started."""
        return since(StationActivity(self.in_kg), self._window)

    def reset_window(self) -> None:
        """Start the KPI window now."""
        self._window = StationActivity(self.in_kg)

    @property
    def produce_kg(self) -> float:
        return self.lots.total_kg

    def kg_waiting(self, now: float) -> float:
        """Produce at the stations at time ``now``, counting lots already handed to a
        vehicle that reaches their station later (for sampling the stock)."""
        lots = self.lots
        pending = sum(float(kg[t > now].sum()) for t, kg in self.pending)
        return float(lots.kg[lots.t_offer <= now].sum()) + pending

    # ---- produce in ------------------------------------------------------------------
    def offer(self, lots: Lots, total_kg: float | None = None) -> None:
        """New produce at the stations; with cold rooms, what fits goes in (oldest first
        keeps its place: a lot already in the room stays until it is collected).
        ``total_kg``: the lots' kilograms if the caller has summed them already."""
        if self.cold_room_kg > 0 and len(lots):
            lots = self._into_cold_rooms(lots)
            total_kg = None
        a = lots.a
        self.in_kg += float(np.add.reduce(a[Lots.KG])) if total_kg is None else total_kg
        self.in_kg_h += float(np.add.reduce(a[Lots.KG] * a[Lots.T_OFFER]))
        if a.shape[1]:
            self._incoming.append(a)

    def _into_cold_rooms(self, lots: Lots) -> Lots:
        st = self.lots.a
        in_cold = st[Lots.COLD] > 0
        room = self.room_of
        key = st[Lots.VILLAGE, in_cold].astype(np.intp)
        new = lots.a[Lots.VILLAGE].astype(np.intp)
        if room is not None:   # rooms shared by villages: keyed by room
            key, new = room[key], room[new]
        used = np.bincount(key, weights=st[Lots.KG, in_cold],
                           minlength=self.n_villages if room is None else int(room.max()) + 1)
        order = np.argsort(new, kind="stable")
        a = lots.a[:, order]
        v = new[order]
        kg = a[Lots.KG]
        cum = np.cumsum(kg)
        first = np.r_[True, v[1:] != v[:-1]]
        before = cum - kg - np.maximum.accumulate(np.where(first, cum - kg, 0.0))  # kg of earlier lots, same village
        take = np.clip(self.cold_room_kg - used[v] - before, 0.0, kg)
        cold = a[:, take > 0].copy()
        cold[Lots.KG] = take[take > 0]
        f = self.cold_factor[cold[Lots.CROP].astype(np.intp)]
        cold[Lots.T_EXPIRY] = cold[Lots.T_OFFER] + (cold[Lots.T_EXPIRY] - cold[Lots.T_OFFER]) * f
        cold[Lots.COLD] = 1.0
        warm = a[:, kg - take > 0].copy()
        warm[Lots.KG] = (kg - take)[kg - take > 0]
        return Lots._wrap(np.concatenate([cold, warm], axis=1))

    # ---- produce out -----------------------------------------------------------------
    def purge(self) -> None:
        """Produce that has spoiled at the stations by now leaves as spoiled."""
        s = self.lots
        if len(s) and np.minimum.reduce(s.a[Lots.T_EXPIRY]) < self.env.now:
            gone = s.split(s.t_expiry < self.env.now)
            self.out_kg_h += gone.total_kg * self.env.now
            self.on_spoil(gone)

    def to_trader(self, wait_h: float) -> Lots:
        """Produce that has waited at its station ``wait_h`` or longer by now and has not
        spoiled leaves it, bought by the local trader; returns it."""
        s, now = self.lots, self.env.now
        if not len(s) or s.a[Lots.T_OFFER].min() + wait_h > now:
            return Lots.empty()
        gone = s.split((s.t_offer + wait_h <= now) & (s.t_expiry >= now))
        self.out_kg_h += gone.total_kg * now
        return gone

    def hand_over(self, idx: np.ndarray, take_kg: np.ndarray, t_h: np.ndarray,
                  stale: np.ndarray, t_stale_h: np.ndarray) -> Lots:
        """Vehicles visit: ``take_kg`` of lots ``idx`` are collected at ``t_h`` (zero
        leaves a lot where it is), and lots ``stale``, found spoiled at their visit
        at ``t_stale_h``, leave as spoiled. Returns the collected lots in the order
        of ``idx``; those from a cold room age at the ambient rate again from their
        visit."""
        lots = self.lots
        a = lots.a
        if len(stale):
            self.on_spoil(Lots._wrap(a[:, stale]))
            self.out_kg_h += float((a[Lots.KG, stale] * t_stale_h).sum())
        self.out_kg_h += float((take_kg * t_h).sum())
        # until the vehicle gets there, the produce is still at the station (kept for sampling)
        self.pending.append((np.concatenate([t_h, t_stale_h]), np.concatenate([take_kg, a[Lots.KG, stale]])))
        del self.pending[:-20]
        pick = take_kg > 0
        if not pick.any():
            if len(stale):
                gone = np.zeros(len(lots), dtype=bool)
                gone[stale] = True
                lots.split(gone)
            return Lots.empty()
        produce = Lots._wrap(a[:, idx[pick]])
        produce.a[Lots.KG] = take_kg[pick]
        cold = produce.a[Lots.COLD] > 0
        if cold.any():
            t = t_h[pick][cold]
            f = self.cold_factor[produce.a[Lots.CROP, cold].astype(np.intp)]
            produce.a[Lots.T_EXPIRY, cold] = t + (produce.a[Lots.T_EXPIRY, cold] - t) / f
            produce.a[Lots.COLD, cold] = 0.0
        left = a[Lots.KG].copy()
        left[idx] -= take_kg
        left[stale] = 0.0
        keep = left > 0.0  # lots taken whole are exactly zero
        rest = a[:, keep]
        rest[Lots.KG] = left[keep]
        lots.a = rest
        return produce
