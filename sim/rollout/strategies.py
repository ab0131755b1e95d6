"""Rollout strategies: each turns a region, a yearly capital budget and the months
into openings (county hubs, village stations, vehicles). A strategy orders the
projects; the budget sets the pace. User-defined schedules come from a CSV."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config.csvread import number, read_rows
from sim.errors import InputError
from sim.rollout.fleets import CountyFleet
from sim.rollout.region import CountyGeo

VILLAGE_ORDERS = ("largest_first", "nearest_first", "route_contiguous", "remote_first", "random")


@dataclass
class Schedule:
    """When everything opens, per county: the hub's month (-1: never), each village's
    station month (-1: never), vehicles owned each month, capital spent each month and,
    with two tiers, each township station's month (-1: never; None with one tier)."""
    hub_month: np.ndarray                 # (counties,)
    station_month: list[np.ndarray]       # per county: (villages,)
    vehicles: list[np.ndarray]            # per county: (months,) vehicles owned
    capex: np.ndarray                     # (counties, months) CNY
    township_month: list[np.ndarray] | None = None  # per county: (townships,), two tiers only

    def spent_by_year(self) -> np.ndarray:
        months = self.capex.shape[1]
        years = math.ceil(months / 12)
        per_month = self.capex.sum(axis=0)
        return np.array([per_month[12 * y:12 * (y + 1)].sum() for y in range(years)])


@dataclass(frozen=True)
class Costs:
    """Capital per project and the fleet each station needs (self-run only)."""
    hub_cny: float
    station_cny: float
    vehicle_cny: float              # 0 for a partner operating model
    parcels_per_vehicle_day: float  # one vehicle's daily capacity
    parcels_per_resident_day: float  # at full adoption, with the planning load factor
    township_cny: float = 0.0       # a township station with its cold room (two tiers)
    tiers: int = 1                  # the operating model's network.tiers: 2 opens township stations
    feeder_cny: float = 0.0         # two tiers: a feeder route's vehicles
    feeder_parcels_per_day: float = 0.0  # and their daily capacity
    # per-township vehicle types (two tiers): each type's (vehicle_cny, parcels_per_vehicle_day) and, per
    # county, each village's type (None: every village route of vehicle_cny's type)
    type_costs: dict[str, tuple[float, float]] | None = None
    village_type: list[np.ndarray] | None = None


def county_fleets(costs: Costs, geos: list[CountyGeo]) -> list[CountyFleet]:
    """Each county's fleet, nothing owned yet."""
    out = []
    for c, g in enumerate(geos):
        n = g.network.n
        if costs.village_type is None or costs.type_costs is None:
            group, cny, cap = np.zeros(n, dtype=np.int64), [costs.vehicle_cny], [costs.parcels_per_vehicle_day]
        else:
            names = list(dict.fromkeys(costs.village_type[c].tolist()))
            group = np.array([names.index(t) for t in costs.village_type[c]], dtype=np.int64)
            cny = [costs.type_costs[t][0] for t in names]
            cap = [costs.type_costs[t][1] for t in names]
        out.append(CountyFleet(g.network.residents, group, cny, cap, costs.parcels_per_resident_day,
                               costs.feeder_cny, costs.feeder_parcels_per_day))
    return out


def township_months(costs: Costs, geos: list[CountyGeo]) -> list[np.ndarray] | None:
    """Every township station unopened (-1), per county; None with one tier."""
    if costs.tiers < 2:
        return None
    return [np.full(len(g.network.township_xy_km), -1, dtype=np.int64) for g in geos]


def new_township(towns: list[np.ndarray] | None, c: int, geo: CountyGeo, v: int) -> int:
    """The township whose station opens with village ``v``'s station: its own, when
    it has none yet (-1: one tier, or already open). Its capital is charged with the
    village station, once."""
    if towns is None:
        return -1
    k = int(geo.network.township[v])
    return k if towns[c][k] < 0 else -1


def village_order(geo: CountyGeo, order: str, rng: np.random.Generator, route_order=None) -> np.ndarray:
    """The order in which a county's villages get stations."""
    n = geo.network.n
    idx = np.arange(n)
    if order == "largest_first":
        return np.lexsort((idx, -geo.network.residents))
    if order == "nearest_first":
        return np.lexsort((idx, geo.hub_km))
    if order == "remote_first":
        return np.lexsort((idx, -geo.hub_km))
    if order == "random":
        return rng.permutation(n)
    if order == "route_contiguous":
        return route_order if route_order is not None else np.lexsort((idx, geo.hub_km))
    raise InputError(f"strategy village_order {order!r} is not allowed: expected one of {', '.join(VILLAGE_ORDERS)}")


def projects(geos: list[CountyGeo], order: str, county_target: float, rng: np.random.Generator,
             route_orders=None) -> list[tuple[int, int]]:
    """The strategy's priority list of (county, village) projects, village -1 being
    the county hub. Counties go in order of population; each gets stations in the
    strategy's village order up to ``county_target`` of its villages, then a second
    pass opens the rest."""
    county_rank = np.lexsort((np.arange(len(geos)), -np.array([g.network.residents.sum() for g in geos])))
    orders = [village_order(g, order, rng, None if route_orders is None else route_orders[i])
              for i, g in enumerate(geos)]
    first = [max(1, math.ceil(county_target * g.network.n)) for g in geos]
    out = []
    for c in county_rank:
        out.append((int(c), -1))
        out += [(int(c), int(v)) for v in orders[c][:first[c]]]
    for c in county_rank:
        out += [(int(c), int(v)) for v in orders[c][first[c]:]]
    return out


def budget_of_year(budget_per_year_cny, year: int) -> float:
    """The capital budget of a year: a number for every year, or one per year (the last repeats)."""
    if isinstance(budget_per_year_cny, (int, float)):
        return float(budget_per_year_cny)
    return float(budget_per_year_cny[min(year, len(budget_per_year_cny) - 1)])


def budget_available(budget_cny: float, profile, month_in_year: int) -> float:
    """Capital of a year's budget available by the end of its month ``month_in_year``
    (0..11): ``even`` (m+1)/12 of it, ``upfront`` all of it from the first month, or 12
    monthly weights (cumulated and normalised)."""
    if profile == "even":
        return budget_cny * (month_in_year + 1) / 12.0
    if profile == "upfront":
        return budget_cny
    w = np.asarray(profile, dtype=float)
    return budget_cny * float(w[:month_in_year + 1].sum() / w.sum())


def plan_rollout(geos: list[CountyGeo], project_list: list[tuple[int, int]], budget_per_year_cny,
                 horizon_m: int, costs: Costs, profile="even") -> Schedule:
    """Open projects in priority order, each month, while the year's budget allows:
    by month m of a year at most (m+1)/12 of the yearly budget is spent (or the share
    ``profile`` makes available, see :func:`budget_available`), unspent money
    carries over within the year but not into the next. The order is strict: a
    project that does not fit waits, and so does everything after it."""
    C = len(geos)
    hub = np.full(C, -1)
    station = [np.full(g.network.n, -1) for g in geos]
    fleets = county_fleets(costs, geos)
    vehicles = [np.zeros(horizon_m, dtype=np.int64) for _ in geos]
    capex = np.zeros((C, horizon_m))
    towns = township_months(costs, geos)
    k = 0
    spent_year = 0.0
    for m in range(horizon_m):
        if m % 12 == 0:
            spent_year = 0.0
        allowance = budget_available(budget_of_year(budget_per_year_cny, m // 12), profile, m % 12) - spent_year
        while k < len(project_list):
            c, v = project_list[k]
            town = -1
            if v < 0:
                cost, bought = costs.hub_cny, None
            else:
                bought = fleets[c].price_village(v)
                town = new_township(towns, c, geos[c], v)
                cost = costs.station_cny + bought.cost_cny + (costs.township_cny if town >= 0 else 0.0)
            if cost > allowance + 1e-6:
                break
            if bought is None:
                hub[c] = m
            else:
                station[c][v] = m
                if towns is not None and town >= 0:
                    towns[c][town] = m
                fleets[c].buy(bought)
            capex[c, m] += cost
            allowance -= cost
            spent_year += cost
            k += 1
        for c in range(C):
            vehicles[c][m] = fleets[c].vehicles
    return Schedule(hub, station, vehicles, capex, towns)


def load_schedule(path: str, geos: list[CountyGeo], horizon_m: int, costs: Costs,
                  budget_per_year_cny=None) -> Schedule:
    """A user's schedule from a CSV with columns month, county_id, village_id (empty:
    the county's hub). Every row is checked: known county and village, month within
    the horizon, a station no earlier than its county's hub, each opening once, and
    the yearly budget (if given) not exceeded."""
    p = Path(path)
    by_id = {g.scenario.name: i for i, g in enumerate(geos)}
    rows = []
    village_index: dict[int, dict[str, int]] = {}
    for line, row in read_rows(p, ("month", "county_id", "village_id"), "schedule file", 10_000_000):
        m = int(number(row, "month", p, line, lo=0, hi=horizon_m - 1, whole=True))
        cid = (row["county_id"] or "").strip()
        if cid not in by_id:
            raise InputError(f"{p}: line {line}: county_id {cid!r} is not allowed: no such county in the region")
        c = by_id[cid]
        vid = (row["village_id"] or "").strip()
        if vid:
            ids = geos[c].network.village_id
            index = village_index.setdefault(c, {v: k for k, v in enumerate(ids)})
            if vid not in index:
                raise InputError(f"{p}: line {line}: village_id {vid!r} is not allowed: county {cid} has villages "
                                 f"{ids[0]}..{ids[-1]}")
            v = index[vid]
        else:
            v = -1
        rows.append((line, m, c, v))
    C = len(geos)
    hub = np.full(C, -1)
    station = [np.full(g.network.n, -1) for g in geos]
    for line, m, c, v in sorted(rows, key=lambda r: (r[1], r[3])):
        if v < 0:
            if hub[c] >= 0:
                raise InputError(f"{p}: line {line}: the hub of {geos[c].scenario.name} opens twice")
            hub[c] = m
        else:
            if station[c][v] >= 0:
                raise InputError(f"{p}: line {line}: the station of {geos[c].network.village_id[v]} opens twice")
            if hub[c] < 0 or hub[c] > m:
                raise InputError(f"{p}: line {line}: a station in {geos[c].scenario.name} at month {m} before its "
                                 "county hub opens: add a row for the hub (empty village_id) no later")
            station[c][v] = m
    vehicles, capex = [], np.zeros((C, horizon_m))
    towns = township_months(costs, geos)
    for c, (g, fleet) in enumerate(zip(geos, county_fleets(costs, geos), strict=True)):
        veh = np.zeros(horizon_m, dtype=np.int64)
        if hub[c] >= 0:
            capex[c, hub[c]] += costs.hub_cny
        for m in range(horizon_m):
            opened = station[c] == m
            capex[c, m] += opened.sum() * costs.station_cny
            if towns is not None:   # a township station opens with its first village station
                new = np.unique(g.network.township[opened])
                new = new[towns[c][new] < 0]
                towns[c][new] = m
                capex[c, m] += len(new) * costs.township_cny
            bought = fleet.price_open((station[c] >= 0) & (station[c] <= m))
            if bought.cost_cny > 0:
                capex[c, m] += bought.cost_cny
            fleet.buy(bought)
            veh[m] = fleet.vehicles
        vehicles.append(veh)
    sched = Schedule(hub, station, vehicles, capex, towns)
    if budget_per_year_cny is not None:
        for y, spent in enumerate(sched.spent_by_year()):
            cap = budget_of_year(budget_per_year_cny, y)
            if spent > cap + 1e-6:
                raise InputError(f"{p}: the schedule spends {spent:,.0f} CNY in year {y + 1}, above that year's "
                                 f"budget of {cap:,.0f} CNY")
    return sched
