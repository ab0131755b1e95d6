"""County entry apart from village recruitment: counties enter by a schedule or a
launch capacity, each recruits villages at a rate (a launch batch, then so many a
month) up to its target, and the capital budget is a constraint with a monthly
profile rather than the pace itself."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sim.config.schema import FieldError, spec
from sim.rollout.region import CountyGeo
from sim.rollout.strategies import (
    Costs,
    Schedule,
    budget_available,
    budget_of_year,
    county_fleets,
    new_township,
    township_months,
)

BUDGET_PROFILES = ("even", "upfront")


@dataclass(frozen=True)
class EntryConfig:
    """Counties enter by a schedule or a launch capacity; villages are recruited within
    each county at a rate up to the strategy's county_target. Give exactly one of
    counties_per_month, schedule and county_months."""
    counties_per_month: float | None = spec(None, "Launch capacity: counties entered a month (in order of "
                                            "population)", unit="counties/month", lo=0, lo_open=True,
                                            optional=True, source="")
    schedule: tuple[tuple[float, ...], ...] | None = spec(None, "Counties entered by the end of a month, as "
                                                          "[[month, counties], ...] (months rising; linear between "
                                                          "points, flat after the last)", optional=True, source="")
    county_months: dict[str, int] | None = spec(None, "Entry month per county id (counties not named do not "
                                                "enter)", unit="month", lo=0, optional=True, source="")
    launch_villages: int = spec(10, "Villages recruited in a county's entry month", unit="villages", lo=1,
                                source="[G] Rural Taobao launched counties with a batch of stations (press)")
    villages_per_month: float = spec(5.0, "Villages recruited per county and month after its entry month",
                                     unit="villages/month", lo=0, source="[G]")

    def check(self) -> None:
        given = [k for k in ("counties_per_month", "schedule", "county_months") if getattr(self, k) is not None]
        if len(given) != 1:
            raise FieldError("counties_per_month", self.counties_per_month,
                             "give exactly one of counties_per_month, schedule and county_months"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.schedule is not None:
            pts = self.schedule
            if not pts or not all(len(p) == 2 and p[0] >= 0 and p[1] >= 0 for p in pts):
                raise FieldError("schedule", [list(p) for p in pts], "expected [[month, counties], ...] with "
                                 "months and counties >= 0")
            if any(b[0] <= a[0] or b[1] < a[1] for a, b in itertools.pairwise(pts)):
                raise FieldError("schedule", [list(p) for p in pts], "expected rising months and counties that "
                                 "never fall")


def check_budget_profile(profile) -> None:
    """Refuse a budget profile that is neither even, upfront nor 12 monthly weights >= 0."""
    if not isinstance(profile, (str, list, tuple)) or (
            not isinstance(profile, str)
            and not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in profile)):
        raise FieldError("budget_profile", profile, f"expected {' or '.join(BUDGET_PROFILES)} or 12 monthly weights")
    if isinstance(profile, str):
        if profile not in BUDGET_PROFILES:
            raise FieldError("budget_profile", profile, f"expected {' or '.join(BUDGET_PROFILES)} or 12 monthly "
                             "weights")
        return
    if len(profile) != 12 or any(w < 0 for w in profile) or sum(profile) <= 0:
        raise FieldError("budget_profile", list(profile), "expected even, upfront or 12 monthly weights >= 0 "
                         "with a positive sum")


def entered_by(entry: EntryConfig, month: int) -> int:
    """Counties allowed to have entered by the end of ``month`` (capacity or schedule forms)."""
    if entry.counties_per_month is not None:
        return math.floor(entry.counties_per_month * (month + 1) + 1e-9)
    pts = entry.schedule or ()
    if month < pts[0][0]:
        return 0
    for (m0, c0), (m1, c1) in itertools.pairwise(pts):
        if m0 <= month <= m1:
            return math.floor(c0 + (c1 - c0) * (month - m0) / (m1 - m0) + 1e-9)
    return math.floor(pts[-1][1] + 1e-9)


def recruited_by(entry: EntryConfig, age_m: int, target: int) -> int:
    """Villages a county may have recruited ``age_m`` months after its entry month (0: the
    entry month): the launch batch, then villages_per_month a month, at most ``target``."""
    if age_m < 0:
        return 0
    return min(target, entry.launch_villages + math.floor(entry.villages_per_month * age_m + 1e-9))


def plan_entry(geos: list[CountyGeo], county_rank: np.ndarray, orders: list[np.ndarray], targets: list[int],
               entry: EntryConfig, budget_per_year_cny, profile, horizon_m: int, costs: Costs) -> Schedule:
    """Open county hubs and village stations month by month: first the villages each
    entered county may recruit by now (counties in ``county_rank`` order, villages in
    each county's order), then the counties that may enter this month, each with its
    launch batch. The budget is a constraint: by month m of a year at most the
    profile's share of the year's budget is spent (carried within a year, not into the
    next); a project that does not fit waits, and so does everything after it."""
    C = len(geos)
    hub = np.full(C, -1)
    station = [np.full(g.network.n, -1) for g in geos]
    opened = np.zeros(C, dtype=np.int64)       # stations opened per county (in its order)
    fleets = county_fleets(costs, geos)
    vehicles = [np.zeros(horizon_m, dtype=np.int64) for _ in geos]
    capex = np.zeros((C, horizon_m))
    towns = township_months(costs, geos)
    by_id = {g.county.id: i for i, g in enumerate(geos)}
    if entry.county_months is not None:
        months = {by_id[k]: v for k, v in entry.county_months.items() if k in by_id}
        entry_order = sorted(months, key=lambda c: (months[c], list(county_rank).index(c)))
    else:
        months = {}
        entry_order = [int(c) for c in county_rank]
    k_entry = 0            # next county in entry_order
    budget = {"allowance": 0.0, "spent_year": 0.0}

    def recruit(c: int, m: int) -> bool:
        """Open county c's villages due by month m; False when the budget stops it."""
        due = recruited_by(entry, m - int(hub[c]), targets[c])
        while opened[c] < due:
            v = int(orders[c][opened[c]])
            bought = fleets[c].price_village(v)
            town = new_township(towns, c, geos[c], v)
            cost = costs.station_cny + bought.cost_cny + (costs.township_cny if town >= 0 else 0.0)
            if cost > budget["allowance"] + 1e-6:
                return False
            station[c][v] = m
            if towns is not None and town >= 0:
                towns[c][town] = m
            fleets[c].buy(bought)
            opened[c] += 1
            capex[c, m] += cost
            budget["allowance"] -= cost
            budget["spent_year"] += cost
        return True

    for m in range(horizon_m):
        if m % 12 == 0:
            budget["spent_year"] = 0.0
        budget["allowance"] = (budget_available(budget_of_year(budget_per_year_cny, m // 12), profile, m % 12)
                               - budget["spent_year"])
        stuck = not all(recruit(c, m) for c in entry_order[:k_entry])
        may = sum(1 for c in entry_order if months[c] <= m) if entry.county_months is not None else entered_by(entry, m)
        while not stuck and k_entry < min(may, len(entry_order)):
            c = entry_order[k_entry]
            if costs.hub_cny > budget["allowance"] + 1e-6:
                break
            hub[c] = m
            capex[c, m] += costs.hub_cny
            budget["allowance"] -= costs.hub_cny
            budget["spent_year"] += costs.hub_cny
            k_entry += 1
            stuck = not recruit(c, m)
        for c in range(C):
            vehicles[c][m] = fleets[c].vehicles
    return Schedule(hub, station, vehicles, capex, towns)
