"""Lead time by remoteness: served villages ranked by straight-line distance from the
county seat, the mean lead time of the parcels delivered to the nearest and the most
remote tenth of them, and the Gini coefficient of the villages' mean lead times
(the equity KPIs)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.economics import gini
from sim.county.network import Network
from sim.county.routing import Route
from sim.county.triplog import StopLead


@dataclass(frozen=True)
class Remoteness:
    """Mean lead time (h) of the parcels delivered to the nearest and the most remote
    decile of served villages, and the Gini of villages' mean lead times weighted by
    their parcels (NaN where no parcel was delivered)."""
    near_decile_h: float
    remote_decile_h: float
    gini: float


def village_lead(routes: list[Route], stop_lead: StopLead, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lead time summed per village (h) and parcels delivered per village, from the
    per-stop sums of the village routes."""
    lead_h, parcels = np.zeros(n), np.zeros(n, dtype=np.int64)
    if routes:
        stops = np.concatenate([r.stops for r in routes]).astype(np.int64)
        np.add.at(lead_h, stops, stop_lead.lead_h)
        np.add.at(parcels, stops, stop_lead.delivered)
    return lead_h, parcels


def remoteness(net: Network, routes: list[Route], stop_lead: StopLead) -> Remoteness:
    """The equity KPIs of a run. A decile is ceil(served / 10) villages (at least one),
    ties in distance broken by village index."""
    served = net.served_idx
    lead_h, parcels = village_lead(routes, stop_lead, net.n)
    if not len(served) or parcels[served].sum() == 0:
        return Remoteness(math.nan, math.nan, math.nan)
    dist = np.hypot(net.xy_km[served, 0], net.xy_km[served, 1])
    ranked = served[np.lexsort((served, dist))]
    k = max(1, math.ceil(len(ranked) / 10))

    def mean(idx: np.ndarray) -> float:
        n = int(parcels[idx].sum())
        return float(lead_h[idx].sum() / n) if n else math.nan

    got = served[parcels[served] > 0]
    return Remoteness(mean(ranked[:k]), mean(ranked[-k:]),
                      gini(lead_h[got] / parcels[got], weights=parcels[got].astype(float)))
