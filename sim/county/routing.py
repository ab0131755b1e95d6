"""Single-depot vehicle routing on a symmetric distance matrix (node 0 is the county hub).

Clarke-Wright savings and nearest-neighbour route construction with multi-dimensional
capacity and a maximum route duration, each route then improved by
:mod:`sim.county.improve` (2-opt and or-opt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.county.improve import check_dist, check_route, closed_length, improve

__all__ = [
    "Route",
    "nearest_neighbour",
    "plan_routes",
    "route_length",
    "savings",
    "tsp_tour",
]

_METHODS = ("savings", "nearest_neighbour")


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
        self.total_leg_h = float(self.leg_h.sum())


def tours_to_routes(tours: Sequence[Sequence[int]], villages: np.ndarray, dist: np.ndarray, time: np.ndarray,
                    first: int) -> list[Route]:
    """Routes from planned tours over the nodes of ``dist``/``time`` (node 0 the depot,
    node i the place ``villages[i - 1]``: a village, or a township station for a feeder), indexed
    from ``first``."""
    out: list[Route] = []
    for nodes in tours:
        closed = np.concatenate([[0], nodes, [0]])
        out.append(Route(first + len(out), villages[np.asarray(nodes) - 1],
                         dist[closed[:-1], closed[1:]], time[closed[:-1], closed[1:]]))
    return out


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _check_nodes(nodes: Sequence[int] | None, n_nodes: int) -> list[int]:
    """Default node set 1..n, else the validated given nodes."""
    if nodes is None:
        return list(range(1, n_nodes))
    return check_route(nodes, n_nodes, name="nodes")


def _check_loads(
    demand: np.ndarray, capacity: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return demand as (n+1, k) and capacity as (k,) float arrays, validated.

    A 1-D demand of shape (n+1,) is read as k = 1; a scalar capacity is broadcast to (k,).
    """
    dem = np.asarray(demand, dtype=float)
    if dem.ndim == 1:
        dem = dem[:, None]
    if dem.ndim != 2 or dem.shape[0] != n_nodes:
        raise ValueError(
            f"demand must have shape ({n_nodes}, k) to match dist, got {np.shape(demand)}"
        )
    if not np.all(np.isfinite(dem)) or np.any(dem < 0):
        raise ValueError(f"demand must be finite and non-negative, got min {np.min(dem)!r}")
    if np.any(dem[0] != 0):
        raise ValueError(f"demand row 0 (the depot) must be zero, got {dem[0].tolist()}")
    cap = np.asarray(capacity, dtype=float)
    if cap.ndim == 0:
        cap = np.full(dem.shape[1], float(cap))
    if cap.shape != (dem.shape[1],):
        raise ValueError(
            f"capacity must have shape ({dem.shape[1]},) to match demand {dem.shape}, "
            f"got {np.shape(capacity)}"
        )
    if np.any(np.isnan(cap)) or np.any(cap < 0):
        raise ValueError(f"capacity must be non-negative (inf allowed), got {cap.tolist()}")
    return dem, cap


@dataclass(frozen=True)
class _DurationLimit:
    """A route's duration limit (h) and the travel-time matrix (h) its duration is measured with."""
    time_h: np.ndarray
    max_h: float


def _check_duration_inputs(
    time: np.ndarray | None,
    service_h: np.ndarray | None,
    max_route_h: float | None,
    n_nodes: int,
) -> tuple[np.ndarray, _DurationLimit | None]:
    """Validate the travel-time matrix (h), per-node service time (h) and route limit (h).

    Returns the service times and the duration limit (None when max_route_h is None).
    """
    time_h = None
    if time is not None:
        time_h = check_dist(time, name="time", symmetric=False)
        if time_h.shape[0] != n_nodes:
            raise ValueError(
                f"time must have shape {(n_nodes, n_nodes)} like dist, got {time_h.shape}"
            )
    if service_h is None:
        svc_h = np.zeros(n_nodes)
    else:
        svc_h = np.asarray(service_h, dtype=float)
        if svc_h.shape != (n_nodes,):
            raise ValueError(f"service_h must have shape ({n_nodes},), got {svc_h.shape}")
        if not np.all(np.isfinite(svc_h)) or np.any(svc_h < 0):
            raise ValueError(f"service_h must be finite and non-negative, got {svc_h.tolist()}")
    if max_route_h is None:
        return svc_h, None
    max_route_h = float(max_route_h)
    if not max_route_h >= 0:  # also rejects NaN
        raise ValueError(f"max_route_h must be >= 0, got {max_route_h!r}")
    if time_h is None:
        raise ValueError(
            "max_route_h was given but time is None; pass the travel-time matrix (h)"
        )
    return svc_h, _DurationLimit(time_h, max_route_h)


# ---------------------------------------------------------------------------
# route length / duration
# ---------------------------------------------------------------------------


def _duration_h(route: Sequence[int], time_h: np.ndarray, svc_h: np.ndarray) -> float:
    """Travel time along the closed route plus service time of its nodes (h)."""
    if len(route) == 0:
        return 0.0
    return closed_length(route, time_h) + float(svc_h[np.asarray(route, dtype=np.intp)].sum())


def route_length(route: Sequence[int], dist: np.ndarray) -> float:
    """Length of the closed route depot -> route... -> depot (same unit as dist).

    Empty route -> 0.0.
    `route` holds village indices 1..n (no depot, no repeats); dist is (n+1, n+1).
    """
    arr = check_dist(dist, symmetric=False)
    return closed_length(check_route(route, arr.shape[0]), arr)


# ---------------------------------------------------------------------------
# single-tour construction
# ---------------------------------------------------------------------------


def nearest_neighbour(dist: np.ndarray, nodes: Sequence[int] | None = None) -> list[int]:
    """Tour through `nodes` (default 1..n) from the depot, always to the nearest unvisited node.

    Ties are broken by the lowest node index (deterministic). Returns a permutation of `nodes`.
    """
    arr = check_dist(dist)
    remaining = np.array(sorted(_check_nodes(nodes, arr.shape[0])), dtype=np.intp)
    tour: list[int] = []
    current = 0
    while remaining.size:
        k = int(np.argmin(arr[current, remaining]))  # first minimum = lowest index (sorted)
        current = int(remaining[k])
        tour.append(current)
        remaining = np.delete(remaining, k)
    return tour


def tsp_tour(dist: np.ndarray, nodes: Sequence[int] | None = None) -> list[int]:
    """A good single tour from the depot through `nodes` (default 1..n), ignoring capacity.

    Nearest neighbour, then 2-opt and or-opt repeated until no improvement.
    Returns a permutation of `nodes` (depot excluded).
    """
    arr = check_dist(dist)
    return improve(nearest_neighbour(arr, nodes), arr)


# ---------------------------------------------------------------------------
# capacitated routing
# ---------------------------------------------------------------------------


def savings(
    dist: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    time: np.ndarray | None = None,
    service_h: np.ndarray | None = None,
    max_route_h: float | None = None,
) -> list[list[int]]:
    """Clarke-Wright parallel savings; every village 1..n ends in exactly one route.

    demand has shape (n+1, k) (row 0, the depot, is zero) with k load dimensions (e.g. kg
    and parcels); capacity has shape (k,). `time` is the (n+1, n+1) travel-time matrix (h),
    service_h the per-node stop time (h). A merge is allowed only if the merged route's total
    demand <= capacity in every dimension and, when max_route_h is given, its duration (travel
    time along the closed route + service time of its villages) <= max_route_h. A village whose
    own demand exceeds capacity (or whose out-and-back duration exceeds max_route_h) gets a
    singleton route. Only positive savings are merged. Deterministic: savings sorted
    descending, ties by (i, j) ascending (stable sort). Routes are sorted by smallest node.
    """
    arr = check_dist(dist)
    n_nodes = arr.shape[0]
    dem, cap = _check_loads(demand, capacity, n_nodes)
    svc_h, limit = _check_duration_inputs(time, service_h, max_route_h, n_nodes)

    def duration_ok(route: list[int]) -> bool:
        return limit is None or _duration_h(route, limit.time_h, svc_h) <= limit.max_h

    routes: dict[int, list[int]] = {v: [v] for v in range(1, n_nodes)}  # keyed by a route id
    route_of = np.arange(n_nodes)  # village -> id of the route containing it
    load = {v: dem[v].copy() for v in range(1, n_nodes)}
    mergeable = np.array(
        [False] + [bool(np.all(dem[v] <= cap)) and duration_ok([v]) for v in range(1, n_nodes)]
    )

    cand = np.flatnonzero(mergeable)
    ii, jj = np.triu_indices(cand.size, k=1)  # row-major: pairs already in (i, j) ascending order
    ii, jj = cand[ii], cand[jj]
    s = arr[0, ii] + arr[0, jj] - arr[ii, jj]
    order = np.argsort(-s, kind="stable")
    order = order[s[order] > 0]

    for i, j in zip(ii[order].tolist(), jj[order].tolist(), strict=True):
        ri, rj = int(route_of[i]), int(route_of[j])
        if ri == rj:
            continue
        a, b = routes[ri], routes[rj]
        if i not in (a[0], a[-1]) or j not in (b[0], b[-1]):
            continue  # interior nodes cannot be linked
        new_load = load[ri] + load[rj]
        if np.any(new_load > cap):
            continue
        # Orient so that ... i -> j ... becomes the new edge.
        left = a if a[-1] == i else a[::-1]
        right = b if b[0] == j else b[::-1]
        merged = left + right
        if not duration_ok(merged):
            merged = merged[::-1]  # only differs if time is asymmetric
            if not duration_ok(merged):
                continue
        routes[ri] = merged
        load[ri] = new_load
        del routes[rj], load[rj]
        route_of[b] = ri
    return sorted(routes.values(), key=min)


def _polish(
    route: list[int],
    dist: np.ndarray,
    svc_h: np.ndarray,
    limit: _DurationLimit | None,
) -> list[int]:
    """Improve a route's order by 2-opt/or-opt; keep it only if the duration limit still holds.

    The node set never changes, so load is unaffected. The new order is kept if its duration
    is <= max_route_h or no longer than the old duration.
    """
    new = improve(route, dist)
    if limit is None or len(route) < 2:
        return new
    new_h = _duration_h(new, limit.time_h, svc_h)
    if new_h <= limit.max_h or new_h <= _duration_h(route, limit.time_h, svc_h):
        return new
    return route


def _greedy_nn_routes(
    dist: np.ndarray,
    dem: np.ndarray,
    cap: np.ndarray,
    svc_h: np.ndarray,
    limit: _DurationLimit | None,
) -> list[list[int]]:
    """Nearest-neighbour route building: a route is closed when the next node would not fit."""
    remaining = np.arange(1, dist.shape[0], dtype=np.intp)
    routes: list[list[int]] = []
    route: list[int] = []
    load = np.zeros_like(cap)
    travel_h = 0.0  # travel + service time from the depot to the current node
    current = 0
    while remaining.size:
        k = int(np.argmin(dist[current, remaining]))
        nxt = int(remaining[k])
        fits = bool(np.all(load + dem[nxt] <= cap))
        if limit is not None:
            fits = fits and travel_h + limit.time_h[current, nxt] + svc_h[nxt] + limit.time_h[nxt, 0] <= limit.max_h
        if route and not fits:
            routes.append(route)
            route, load, travel_h, current = [], np.zeros_like(cap), 0.0, 0
            continue
        route.append(nxt)
        load = load + dem[nxt]
        if limit is not None:
            travel_h += limit.time_h[current, nxt] + svc_h[nxt]
        current = nxt
        remaining = np.delete(remaining, k)
        if not fits:  # a lone node that exceeds capacity / duration on its own
            routes.append(route)
            route, load, travel_h, current = [], np.zeros_like(cap), 0.0, 0
    if route:
        routes.append(route)
    return routes


def within_range(dist: np.ndarray, time: np.ndarray, max_route_h: float, range_km: float | None,
                 trips_per_day: int) -> np.ndarray:
    """Travel times for planning that also keep a route within a daily range:
    max(time, dist x max_route_h / (range_km / trips_per_day)) per leg, so a route
    whose planning time fits ``max_route_h`` drives at most range_km / trips_per_day
    km (a sum of maxima bounds both sums). ``time`` itself when there is no range."""
    if range_km is None:
        return time
    return np.maximum(time, dist * max_route_h * trips_per_day / range_km)


def plan_routes(
    dist: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    time: np.ndarray | None = None,
    service_h: np.ndarray | None = None,
    max_route_h: float | None = None,
    method: str = "savings",
) -> list[list[int]]:
    """Plan routes covering every village 1..n exactly once, sorted by their smallest node index.

    method "savings": savings() then 2-opt and or-opt on each route. method "nearest_neighbour":
    greedy routes built by nearest neighbour from the depot, a route being closed when the next
    node would break capacity or max_route_h, then 2-opt and or-opt on each route. Improvement
    never changes a route's node set and keeps a new order only if its duration (h) stays
    <= max_route_h or does not grow. Loads respect capacity and multi-node routes respect
    max_route_h, except that a village infeasible on its own is served by a singleton route.
    Arguments as in savings(); unknown method -> ValueError.
    """
    if method not in _METHODS:
        allowed = ", ".join(map(repr, _METHODS))
        raise ValueError(f"unknown method {method!r}; allowed values are {allowed}")
    arr = check_dist(dist)
    n_nodes = arr.shape[0]
    dem, cap = _check_loads(demand, capacity, n_nodes)
    svc_h, limit = _check_duration_inputs(time, service_h, max_route_h, n_nodes)
    if method == "savings":
        routes = savings(arr, dem, cap, time, service_h, max_route_h)
    else:
        routes = _greedy_nn_routes(arr, dem, cap, svc_h, limit)
    routes = [_polish(r, arr, svc_h, limit) for r in routes]
    return sorted(routes, key=min)
