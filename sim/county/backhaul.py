"""Backhaul: how much of the produce waiting along a route a vehicle takes on its
way back. Lots are taken stop by stop (produce parcels first, then the oldest, or
the soonest to spoil: ``stations.hand_over_first``), each
up to the room the vehicle has once that stop's parcels are unloaded, and all
routes together no more than the hub (or township station) can still store."""
from __future__ import annotations

import numpy as np

from sim.county.batches import Lots


def _segmented_greedy(kg: np.ndarray, room: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Kilograms taken from each lot when a vehicle takes lots in order and may hold
    at most ``room[j]`` once it has reached lot j (room never falls along a route):
    C_j = min(C_{j-1} + kg_j, room_j), restarting at each new ``seg`` (route).
    Closed form: C_j = S_j + min(0, min_{k<=j} (room_k - S_k)) within the segment."""
    if len(kg) == 0:
        return kg.copy()
    new = np.empty(len(seg), dtype=bool)     # a lot that starts a segment
    new[0] = True
    np.not_equal(seg[1:], seg[:-1], out=new[1:])
    starts = new.nonzero()[0]
    s = kg.cumsum()
    seg_no = new.cumsum() - 1
    if len(starts) > 1:
        base = np.zeros(len(starts))
        base[1:] = s[starts[1:] - 1]
        s -= base[seg_no]
    x = np.minimum(room - s, 0.0)
    # running minimum within segments: lift each segment below all earlier ones
    lift = 4.0 * (float(np.maximum.reduce(np.abs(x))) + 1.0)
    y = np.minimum.accumulate(x - lift * seg_no) + lift * seg_no
    c = s + np.minimum(y, 0.0)
    take = c.copy()
    take[1:] -= c[:-1]
    take[starts] = c[starts]
    return np.minimum(np.maximum(take, 0.0), kg)


def loads(a: np.ndarray, ready: np.ndarray, lot_stop: np.ndarray, arrive: np.ndarray, on_board: np.ndarray,
          stop_route: np.ndarray, cap_kg: float | np.ndarray, parcel_kg: float, free_kg: float,
          n_routes: int, soonest_first: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the vehicles take of the stations' lots ``a`` (a :class:`Lots` array):
    ``ready`` lots (indices) waiting at stops ``lot_stop``, reached at ``arrive``
    (per stop), with ``on_board`` parcels still aboard after each stop; ``cap_kg``
    one vehicle's kilograms (or per route); ``free_kg`` what the destination can
    still store, shared by the routes in index order; ``soonest_first``: at each stop,
    after produce parcels, the lots that will spoil soonest go first instead of the
    oldest. Returns (lots in the order taken, their stops, kilograms taken of each,
    and which of ``ready`` have spoiled)."""
    stale = a[Lots.T_EXPIRY, ready] < arrive[lot_stop]
    good, gstop = ready[~stale], lot_stop[~stale]
    first = a[Lots.T_EXPIRY if soonest_first else Lots.T_OFFER, good]
    order = np.lexsort((first, -a[Lots.CHANNEL, good], gstop))  # parcels first, then the oldest (or soonest to spoil)
    idx, gstop = good[order], gstop[order]
    kg = a[Lots.KG, idx]
    lot_route = stop_route[gstop]
    cap = cap_kg if np.ndim(cap_kg) == 0 else np.asarray(cap_kg)[lot_route]
    room = np.maximum(cap - parcel_kg * on_board[gstop], 0.0)
    take = _segmented_greedy(kg, room, lot_route)
    # the destination's free storage is shared: routes in index order take what is left
    if np.add.reduce(take) > free_kg:
        per_route = np.bincount(lot_route, weights=take, minlength=n_routes)
        allowed = np.minimum(np.maximum(free_kg - (per_route.cumsum() - per_route), 0.0), per_route)
        take = _segmented_greedy(kg, np.minimum(room, allowed[lot_route]), lot_route)
    return idx, gstop, take, stale
