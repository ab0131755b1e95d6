"""Service frequency: on which days each village route runs (``service`` keys), the
days of parcels a route is planned for, and the days each route's fleet is paid for.

Each village has a pattern: an interval (its route runs every so many days) and the
weekdays it runs on. The county-wide keys give it (remote villages their own
interval), a ``service.by_township`` entry replaces them for a township's villages
and a ``service.by_village`` entry for one village. Villages of one route share a
pattern: routes are planned pattern by pattern."""
from __future__ import annotations

import numpy as np

from sim.config.scenario import Scenario
from sim.config.township import ServiceOverride
from sim.county.network import Network
from sim.county.routing import Route


def village_service(sc: Scenario, net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Each village's interval (days between runs of its route) and weekdays (bool
    (villages, 7)). County-wide: ``service.every_d``, for a remote village the larger
    of it and ``service.remote_every_d`` (remote: it (one tier) or its township seat
    (two tiers) at least ``service.remote_from_km`` from the county seat, straight
    line), on ``service.weekdays``; then the entries of ``service.by_township`` and
    ``service.by_village`` (ids checked when the county is built)."""
    cfg = sc.service
    xy = net.township_xy_km[net.township] if sc.network.tiers == 2 else net.xy_km
    remote = np.hypot(xy[:, 0], xy[:, 1]) >= cfg.remote_from_km
    interval = np.where(remote, max(cfg.every_d, cfg.remote_every_d), cfg.every_d).astype(np.int64)
    week = np.zeros((net.n, 7), dtype=bool)
    week[:, list(cfg.weekdays)] = True

    def apply(entry: ServiceOverride, which: np.ndarray) -> None:
        if entry.every_d is not None:
            interval[which] = entry.every_d
        if entry.weekdays is not None:
            week[which] = False
            week[np.ix_(which, np.asarray(entry.weekdays, dtype=np.intp))] = True

    if cfg.by_township:
        town = {name: k for k, name in enumerate(net.township_id)}
        for name, entry in cfg.by_township.items():
            apply(entry, np.flatnonzero(net.township == town[name]))
    if cfg.by_village:
        village = {vid: i for i, vid in enumerate(net.village_id)}
        for vid, entry in cfg.by_village.items():
            apply(entry, np.array([village[vid]]))
    return interval, week


def village_interval(sc: Scenario, net: Network) -> np.ndarray:
    """Days between runs of each village's route (:func:`village_service`)."""
    return village_service(sc, net)[0]


def gap_d(weekdays) -> int:
    """The most days between two consecutive days of ``weekdays`` (7 with one day)."""
    w = sorted(set(int(d) for d in weekdays))
    return max(b - a for a, b in zip(w, [*w[1:], w[0] + 7], strict=True))


def longest_gap_d(sc: Scenario) -> int:
    """The most days between two consecutive county-wide service weekdays."""
    return gap_d(sc.service.weekdays)


def service_groups(sc: Scenario, net: Network, villages: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """``villages`` grouped by their pattern (interval and weekdays; shortest interval
    first), each with the days of parcels a run carries at most: the interval times
    the longest gap between its weekdays."""
    interval, week = village_service(sc, net)
    code = interval[villages] * 128 + week[villages] @ (1 << np.arange(7))
    out = []
    for c in np.unique(code):
        group = villages[code == c]
        days = np.flatnonzero(week[group[0]])
        out.append((group, float(interval[group[0]] * gap_d(days))))
    return out


def service_days(sc: Scenario, net: Network, routes: list[Route]) -> np.ndarray:
    """Bool (run days, routes): the days each village route runs. Route i with
    interval k (its villages') runs on the days d with (d + i) mod k = 0 that fall on
    one of its villages' weekdays (weekday = (day of year - 1) mod 7). Routes with the
    same interval take turns, so one vehicle and driver can serve k of them."""
    days = np.arange(sc.run_days)
    interval, week = village_service(sc, net)
    first = np.array([r.stops[0] for r in routes], dtype=np.int64)
    every = interval[first]
    turn = (days[:, None] + np.arange(len(routes))[None, :]) % every[None, :] == 0
    weekday = (sc.first_doy - 1 + days) % 365 % 7
    return turn & week[first][:, weekday].T
