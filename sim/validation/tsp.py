"""Exact shortest tours for small instances, written independently of the model's
routing: Held-Karp dynamic programming (n <= 12 nodes) and brute force (n <= 8, for
checking Held-Karp). The route-length cases measure the model's planned tours
against these."""
from __future__ import annotations

import itertools
import math

import numpy as np

HELD_KARP_MAX_NODES = 12


def tour_length(tour: list[int], dist: np.ndarray) -> float:
    """Length of the closed tour visiting ``tour`` in order and returning to its first node."""
    return float(sum(dist[a, b] for a, b in zip(tour, tour[1:] + tour[:1], strict=True)))


def held_karp(dist: np.ndarray) -> tuple[float, list[int]]:
    """Shortest closed tour through every node of the square matrix ``dist`` (Held & Karp
    1962): cost[S, j] = shortest path from node 0 through the set S of other nodes ending
    at j. Returns (length, tour starting at 0). O(2^n n^2) time; n <= 12."""
    d = np.asarray(dist, dtype=float)
    n = d.shape[0]
    if d.shape != (n, n) or n < 1:
        raise ValueError(f"dist must be a square matrix, got shape {d.shape}")
    if n > HELD_KARP_MAX_NODES:
        raise ValueError(f"held_karp is for at most {HELD_KARP_MAX_NODES} nodes, got {n}")
    if n <= 2:
        return (0.0 if n == 1 else float(d[0, 1] + d[1, 0])), list(range(n))
    m = n - 1                                   # nodes 1..n-1 are bits 0..m-1
    full = 1 << m
    cost = np.full((full, m), math.inf)
    parent = np.full((full, m), -1, dtype=np.int64)
    for j in range(m):
        cost[1 << j, j] = d[0, j + 1]
    sub = d[1:, 1:]                             # sub[k, j]: from node k+1 to node j+1
    for mask in range(1, full):
        row = cost[mask]
        if not np.isfinite(row).any():
            continue
        # extend every path ending at k in mask by a node j outside mask
        for j in range(m):
            bit = 1 << j
            if mask & bit:
                continue
            cand = row + sub[:, j]
            k = int(np.argmin(cand))
            nxt = mask | bit
            if cand[k] < cost[nxt, j]:
                cost[nxt, j] = cand[k]
                parent[nxt, j] = k
    last = cost[full - 1] + d[1:, 0]
    j = int(np.argmin(last))
    length = float(last[j])
    tour, mask = [], full - 1
    while j >= 0:
        tour.append(j + 1)
        k = int(parent[mask, j])
        mask ^= 1 << j
        j = k
    return length, [0, *reversed(tour)]


def brute_force(dist: np.ndarray) -> float:
    """Shortest closed tour length by trying every order of nodes 1..n-1 (n <= 9)."""
    d = np.asarray(dist, dtype=float)
    n = d.shape[0]
    if n > 9:
        raise ValueError(f"brute force is for at most 9 nodes, got {n}")
    if n <= 1:
        return 0.0
    return min(tour_length([0, *p], d) for p in itertools.permutations(range(1, n)))


def best_routes(dist: np.ndarray) -> float:
    """Shortest total length of any set of closed routes from node 0 that together visit
    every other node once (vehicles without capacity or duration limits). On metric
    distances one tour is optimal and this equals :func:`held_karp`'s length; on road
    distances that break the triangle inequality splitting can be shorter. Exact: the
    closed-tour cost of every subset by the Held-Karp recursion, then the best partition
    of the nodes into subsets (O(3^n)); n <= 12."""
    d = np.asarray(dist, dtype=float)
    n = d.shape[0]
    if n > HELD_KARP_MAX_NODES:
        raise ValueError(f"best_routes is for at most {HELD_KARP_MAX_NODES} nodes, got {n}")
    m = n - 1
    if m <= 0:
        return 0.0
    full = 1 << m
    cost = np.full((full, m), math.inf)
    for j in range(m):
        cost[1 << j, j] = d[0, j + 1]
    for mask in range(1, full):
        for k in range(m):
            if not (mask >> k) & 1 or not math.isfinite(cost[mask, k]):
                continue
            for j in range(m):
                if (mask >> j) & 1:
                    continue
                nxt = mask | (1 << j)
                c = cost[mask, k] + d[k + 1, j + 1]
                if c < cost[nxt, j]:
                    cost[nxt, j] = c
    tour = np.array([float(np.min(cost[s] + d[1:, 0])) if s else 0.0 for s in range(full)])
    best = np.full(full, math.inf)
    best[0] = 0.0
    for s in range(1, full):
        low = s & -s                              # the subset holding the lowest node starts a route
        sub = s
        while sub:
            if sub & low:
                best[s] = min(best[s], tour[sub] + best[s ^ sub])
            sub = (sub - 1) & s
    return float(best[full - 1])
