"""Improvement of one closed route on a symmetric distance matrix (node 0 is the
county hub): vectorised 2-opt and or-opt, and the checks of a distance matrix and a
route that planning shares."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["check_dist", "check_route", "closed_length", "improve", "or_opt", "two_opt"]

REL_TOL = 1e-9  # a move must shorten the closed route by more than this fraction of its length
_SYM_RTOL = 1e-9  # relative tolerance of the symmetry check on dist


def check_dist(dist: np.ndarray, name: str = "dist", symmetric: bool = True) -> np.ndarray:
    """Return `dist` as floats; ValueError unless square, finite, >= 0 (and symmetric)."""
    arr = np.asarray(dist, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty square 2-D matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(x) for x in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, got {arr[bad]!r} at {bad}")
    if np.any(arr < 0):
        bad = tuple(int(x) for x in np.argwhere(arr < 0)[0])
        raise ValueError(f"{name} must be non-negative, got {arr[bad]!r} at {bad}")
    if symmetric:
        scale = float(arr.max(initial=0.0))
        diff = np.abs(arr - arr.T)
        if np.any(diff > _SYM_RTOL * scale):
            bad = tuple(int(x) for x in np.unravel_index(np.argmax(diff), diff.shape))
            raise ValueError(
                f"{name} must be symmetric, got {name}[{bad[0]},{bad[1]}]={arr[bad]!r} "
                f"!= {name}[{bad[1]},{bad[0]}]={arr[bad[::-1]]!r}"
            )
    return arr


def check_route(route: Sequence[int], n_nodes: int, name: str = "route") -> list[int]:
    """Return `route` as a list of ints; ValueError on the depot, out-of-range or repeated nodes."""
    nodes = [int(v) for v in route]
    for v in nodes:
        if not 1 <= v < n_nodes:
            raise ValueError(f"{name} node {v} out of range 1..{n_nodes - 1} (node 0 is the depot)")
    if len(set(nodes)) != len(nodes):
        raise ValueError(f"{name} visits a node more than once: {nodes}")
    return nodes



def _closed(route: Sequence[int]) -> np.ndarray:
    """Closed node sequence 0, route..., 0 as an int array."""
    return np.concatenate(([0], np.asarray(route, dtype=np.intp), [0]))


def closed_length(route: Sequence[int], dist: np.ndarray) -> float:
    """Unvalidated closed-route length."""
    if len(route) == 0:
        return 0.0
    tour = _closed(route)
    return float(dist[tour[:-1], tour[1:]].sum())


def _two_opt(route: list[int], dist: np.ndarray, max_passes: int) -> list[int]:
    """Unvalidated 2-opt on the closed tour 0, route..., 0; the depot stays at both ends."""
    m = len(route)
    if m < 3:  # with <= 2 villages every order has the same length (symmetric dist)
        return list(route)
    tour = _closed(route)
    tol = REL_TOL * closed_length(route, dist)
    for _ in range(max_passes):
        improved = False
        # Edge (tour[i], tour[i+1]) is exchanged with edge (tour[j], tour[j+1]), j >= i+2;
        # the segment tour[i+1..j] is reversed. Positions 0 and m+1 (the depot) never move.
        for i in range(m - 1):
            a, b = tour[i], tour[i + 1]
            c = tour[i + 2 : m + 1]  # tour[j]   for j = i+2..m
            d = tour[i + 3 : m + 2]  # tour[j+1]
            delta = dist[a, c] + dist[b, d] - dist[a, b] - dist[c, d]
            k = int(np.argmin(delta))
            if delta[k] < -tol:
                j = i + 2 + k
                tour[i + 1 : j + 1] = tour[i + 1 : j + 1][::-1].copy()
                improved = True
        if not improved:
            break
    return [int(v) for v in tour[1:-1]]


def two_opt(route: Sequence[int], dist: np.ndarray, max_passes: int = 50) -> list[int]:
    """Improve the closed route by 2-opt moves (the depot stays fixed at the start/end).

    Applies moves until none shortens the route by more than 1e-9 of its length, or
    `max_passes` sweeps were made. Returns a permutation of `route` that is never longer
    (dist must be symmetric). Each sweep is O(m) numpy calls of length O(m).
    """
    arr = check_dist(dist)
    nodes = check_route(route, arr.shape[0])
    best = _two_opt(nodes, arr, max_passes)
    return best if closed_length(best, arr) <= closed_length(nodes, arr) else nodes


def _or_opt(route: list[int], dist: np.ndarray, max_passes: int) -> list[int]:
    """Unvalidated or-opt: move segments of 1-3 villages (maybe reversed) elsewhere in the tour."""
    m = len(route)
    if m < 3:
        return list(route)
    tour = _closed(route)
    tol = REL_TOL * closed_length(route, dist)
    for _ in range(max_passes):
        improved = False
        for seg_len in (1, 2, 3):
            if seg_len >= m:
                break
            for s in range(1, m - seg_len + 2):  # segment occupies tour[s .. e]
                e = s + seg_len - 1
                first, last = tour[s], tour[e]
                prev, nxt = tour[s - 1], tour[e + 1]
                removal_gain = dist[prev, first] + dist[last, nxt] - dist[prev, nxt]
                rest = np.concatenate((tour[:s], tour[e + 1 :]))  # still starts and ends at 0
                u, v = rest[:-1], rest[1:]  # insert between u[k] and v[k]
                base = removal_gain + dist[u, v]
                fwd = dist[u, first] + dist[last, v] - base
                k = int(np.argmin(fwd))
                best, reverse = fwd[k], False
                if seg_len > 1:
                    rev = dist[u, last] + dist[first, v] - base
                    kr = int(np.argmin(rev))
                    if rev[kr] < best:
                        best, k, reverse = rev[kr], kr, True
                if best < -tol:
                    seg = tour[s : e + 1][::-1] if reverse else tour[s : e + 1]
                    tour = np.concatenate((rest[: k + 1], seg, rest[k + 1 :]))
                    improved = True
        if not improved:
            break
    return [int(v) for v in tour[1:-1]]


def or_opt(route: Sequence[int], dist: np.ndarray, max_passes: int = 50) -> list[int]:
    """Improve the closed route by or-opt: relocate segments of 1-3 consecutive villages.

    A segment may be inserted reversed. The depot stays fixed; the result is a permutation
    of `route` that is never longer (dist must be symmetric).
    """
    arr = check_dist(dist)
    nodes = check_route(route, arr.shape[0])
    best = _or_opt(nodes, arr, max_passes)
    return best if closed_length(best, arr) <= closed_length(nodes, arr) else nodes


def improve(route: list[int], dist: np.ndarray, max_rounds: int = 20) -> list[int]:
    """2-opt then or-opt, repeated until the length stops decreasing; never longer."""
    best, best_len = list(route), closed_length(route, dist)
    for _ in range(max_rounds):
        cand = _or_opt(_two_opt(best, dist, 50), dist, 50)
        cand_len = closed_length(cand, dist)
        if cand_len >= best_len - REL_TOL * best_len:
            if cand_len < best_len:
                best = cand
            break
        best, best_len = cand, cand_len
    return best
