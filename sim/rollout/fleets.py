"""The vehicles a rollout buys for a county as its stations open: the village routes'
vehicles, a fleet for each vehicle type where townships drive different types, and
with two tiers the feeder vehicles from the county hub to the township stations.

A planner buys for the parcels the open stations' residents will order at full
adoption (with the planning load factor): each type's vehicles for the residents of
the villages that type serves, at its own capacity and price, and the feeders for
every open station's residents at the feeder's capacity (the feeders carry every
parcel of the county's village stations). Vehicles are never sold."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from sim.config.scenario import Scenario
from sim.county.fleetmix import departure_stops, fleet_types, town_types
from sim.county.frequency import service_groups
from sim.county.network import Network


@dataclasses.dataclass(frozen=True)
class Purchase:
    """A county's fleet after an opening: residents of the open stations per type,
    vehicles (routes' sets) owned per type, feeder routes' sets owned, and what the
    new vehicles cost (CNY)."""
    residents: np.ndarray
    owned: np.ndarray
    feeders: int
    cost_cny: float


class CountyFleet:
    """What one county owns, type by type (one type: ``group`` all 0)."""

    def __init__(self, residents: np.ndarray, group: np.ndarray, cny: list[float], parcels_per_day: list[float],
                 parcels_per_resident_day: float, feeder_cny: float = 0.0, feeder_parcels_per_day: float = 0.0):
        """``group``: each village's type (an index into ``cny`` and ``parcels_per_day``,
        a route's vehicles' capital and daily capacity); ``feeder_cny`` and
        ``feeder_parcels_per_day`` the same of a feeder route (0: none bought)."""
        self.village_res = residents
        self.group = group
        self.cny = cny
        self.cap = parcels_per_day
        self.per_resident = parcels_per_resident_day
        self.feeder_cny = feeder_cny
        self.feeder_cap = feeder_parcels_per_day
        self.state = Purchase(np.zeros(len(cny)), np.zeros(len(cny), dtype=np.int64), 0, 0.0)

    @property
    def vehicles(self) -> int:
        """Village routes' vehicle sets owned, every type."""
        return int(self.state.owned.sum())

    @property
    def feeders(self) -> int:
        """Feeder routes' vehicle sets owned."""
        return self.state.feeders

    def _need(self, residents: float, cny: float, cap: float) -> int:
        if cny <= 0 or residents <= 0:
            return 0
        return math.ceil(residents * self.per_resident / cap)

    def _price(self, residents: np.ndarray) -> Purchase:
        cost = 0.0
        owned = self.state.owned.copy()
        for g in range(len(self.cny)):
            extra = max(0, self._need(float(residents[g]), self.cny[g], self.cap[g]) - int(owned[g]))
            owned[g] += extra
            cost += extra * self.cny[g]
        feeders = self.state.feeders
        if self.feeder_cny > 0:
            total = float(residents[0]) if len(residents) == 1 else float(residents.sum())
            extra = max(0, self._need(total, self.feeder_cny, self.feeder_cap) - feeders)
            feeders += extra
            cost += extra * self.feeder_cny
        return Purchase(residents, owned, feeders, cost)

    def price_village(self, v: int) -> Purchase:
        """The fleet when village ``v``'s station opens next (its residents added)."""
        residents = self.state.residents.copy()
        residents[self.group[v]] += self.village_res[v]
        return self._price(residents)

    def price_open(self, is_open: np.ndarray) -> Purchase:
        """The fleet for the stations ``is_open`` (a bool mask of villages)."""
        if len(self.cny) == 1:
            return self._price(np.array([float(self.village_res[is_open].sum())]))
        return self._price(np.array([float(self.village_res[is_open & (self.group == g)].sum())
                                     for g in range(len(self.cny))]))

    def buy(self, purchase: Purchase) -> None:
        self.state = purchase


def village_type_names(sc: Scenario, net: Network, scale: np.ndarray) -> np.ndarray:
    """The vehicle type that would serve each village (two tiers, every village with
    a station): its township's type, or with a list of types the first that reaches
    it (:func:`sim.county.fleetmix.fleet_types`, the stops' handling at each village's
    demand share ``scale`` and the days between runs of its service pattern, as the
    county's routes are planned)."""
    out = np.full(net.n, sc.township.vehicle_type, dtype=object)
    for k in range(len(net.township_xy_km)):
        villages = np.flatnonzero(net.township == k)
        if not len(villages):
            continue
        types = town_types(sc, net, k)
        if len(types) == 1:
            out[villages] = types[0]
            continue
        for group, days in [(villages, 1.0)] if sc.service.daily else service_groups(sc, net, villages):
            for name, pos in fleet_types(sc, net, k, group, departure_stops(sc, net, group, scale[group] * days)[1]):
                out[group[pos]] = name
    return out
