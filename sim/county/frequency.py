"""Service frequency: on which days each village route runs (``service`` keys), the
days of parcels a route is planned for, and the days each route's fleet is paid for."""
from __future__ import annotations

import numpy as np

from sim.config.scenario import Scenario
from sim.county.network import Network
from sim.county.routing import Route


def village_interval(sc: Scenario, net: Network) -> np.ndarray:
    """Days between runs of each village's route: ``service.every_d``, or for a remote
    village the larger of it and ``service.remote_every_d``. A village is remote when
    it (one tier) or its township seat (two tiers) is at least
    ``service.remote_from_km`` from the county seat, straight line."""
    cfg = sc.service
    xy = net.township_xy_km[net.township] if sc.network.tiers == 2 else net.xy_km
    remote = np.hypot(xy[:, 0], xy[:, 1]) >= cfg.remote_from_km
    return np.where(remote, max(cfg.every_d, cfg.remote_every_d), cfg.every_d).astype(np.int64)


def longest_gap_d(sc: Scenario) -> int:
    """The most days between two consecutive service weekdays (7 with one weekday)."""
    w = sorted(set(sc.service.weekdays))
    return max(b - a for a, b in zip(w, [*w[1:], w[0] + 7], strict=True))


def interval_groups(sc: Scenario, net: Network, villages: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """``villages`` grouped by their interval (shortest first), each with the days of
    parcels a run carries at most: the interval times the longest weekday gap."""
    k = village_interval(sc, net)[villages]
    gap = longest_gap_d(sc)
    return [(villages[k == d], float(d * gap)) for d in np.unique(k)]


def service_days(sc: Scenario, net: Network, routes: list[Route]) -> np.ndarray:
    """Bool (run days, routes): the days each village route runs. Route i with
    interval k (its villages') runs on the days d with (d + i) mod k = 0 that fall on
    one of ``service.weekdays`` (weekday = (day of year - 1) mod 7). Routes with the
    same interval take turns, so one vehicle and driver can serve k of them."""
    days = np.arange(sc.run_days)
    interval = village_interval(sc, net)
    every = np.array([interval[r.stops[0]] for r in routes], dtype=np.int64)
    turn = (days[:, None] + np.arange(len(routes))[None, :]) % every[None, :] == 0
    weekday = (sc.first_doy - 1 + days) % 365 % 7
    return turn & np.isin(weekday, sc.service.weekdays)[:, None]
