"""The scenario config: one typed schema with every default in one place, and the
YAML loader that validates it before anything runs.

Defaults describe the typical county c. 2015 of the project's domain notes. Each
field's ``source`` says where its default comes from; ``[G]`` marks an assumption a
user should override, ``[D]`` a figure derived from sourced ones.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.buses import BusConfig
from sim.config.county import TERRAIN, TERRAINS, CityConfig, CountyConfig  # noqa: F401 (re-exported)
from sim.config.crops import Crop, default_crops
from sim.config.fleet import SurgeConfig, VehicleType, builtin_vehicle_types
from sim.config.loader import (  # noqa: F401 (re-exported)
    CONFIG_KINDS,
    config_kind,
    read_config,
    read_yaml,
    without_kind,
)
from sim.config.market import MarketConfig, ProduceParcelConfig
from sim.config.schema import FieldError, build, spec, to_data
from sim.config.township import (
    NetworkConfig,
    ServiceConfig,
    TownshipConfig,
    synthetic_township_ids,
    synthetic_village_ids,
)

SORT_DISTRIBUTIONS = ("exponential", "deterministic", "gamma", "lognormal")
DEMAND_DISTRIBUTIONS = ("poisson", "negative_binomial", "deterministic")
STATION_SELECTIONS = ("largest_first", "nearest_first", "random")
HAND_OVER_RULES = ("oldest", "soonest_to_spoil")
ROUTING_METHODS = ("savings", "nearest_neighbour")
SHARED_ALLOCATIONS = ("incremental", "kg")
MAX_PARCELS_PER_DAY = 5_000_000
"""The most parcels a county may order in a day (the baseline orders about 5,000)."""


@dataclass(frozen=True)
class CalendarEvent:
    """A stretch of days on which demand is multiplied (a sales festival, a holiday)."""
    name: str = spec("event", "Label", source="")
    start_doy: int = spec(1, "First day of year (1 = 1 January)", unit="d", lo=1, hi=366, source="")
    duration_d: int = spec(1, "Length", unit="d", lo=1, hi=366, source="")
    multiplier: float = spec(1.0, "Demand multiplier on those days", lo=0, source="", hi=100)


def _calendar():
    return (
        CalendarEvent("singles_day", 315, 6, 3.0),          # 11 Nov: ~3x for ~6 days (industry reports, 2014)
        CalendarEvent("spring_festival_runup", 25, 14, 2.0),  # late Jan: 2-4x (press); Spring Festival 2016 on 8 Feb
        CalendarEvent("spring_festival_holiday", 39, 7, 0.2),  # holiday week 10-30% of normal (press)
    )


@dataclass(frozen=True)
class DemandConfig:
    """Parcels ordered by served villages: goods into the countryside."""
    parcels_per_resident_y: float = spec(5.0, "Inbound parcels per resident per year", unit="parcels/resident/y", lo=0,
                                         source="2015 county ~5 [D]/[G]", hi=1000)
    growth_per_y: float = spec(0.0, "Compound growth of demand over the run (0.4 = +40%/y as reported for the period)",
                               unit="1/y", lo=-0.99, hi=10,
                               source="[G] 0: a steady year; the period's ~+40%/y (domain notes) is a lever")
    distribution: str = spec("negative_binomial", "Daily order count per village (deterministic: the mean rounded, "
                             "order times evenly spaced; for verification)", choices=DEMAND_DISTRIBUTIONS)
    dispersion_k: float = spec(10.0, "Negative-binomial size k: variance = mean + mean^2/k", lo=0.01, lo_open=False,
                               hi=1e+06)
    order_window_h: tuple[float, ...] = spec((8.0, 22.0), "Hours of the day over which orders are placed (uniform)",
                                             unit="h", lo=0, hi=24)
    parcel_kg: float = spec(1.5, "Mean parcel weight", unit="kg", lo=0, lo_open=True, hi=1000)
    calendar: tuple[CalendarEvent, ...] = spec(_calendar, "Seasonal multipliers; overlapping events multiply. A "
                                               "list given replaces the default events (Singles' Day, the Spring "
                                               "Festival run-up and holiday) whole",
                                               factory=True, source="industry reports and press (domain notes)")

    def check(self) -> None:
        w = self.order_window_h
        if len(w) != 2 or not 0 <= w[0] < w[1] <= 24:
            raise ValueError(f"order_window_h {list(w)} is not allowed: expected [start, end] with 0 <= start < end "
                             f"<= 24 h")


@dataclass(frozen=True)
class TrunkConfig:
    """Trunk trucks: city warehouse -> county hub with parcels, hub -> city market with produce."""
    departures_h: tuple[float, ...] = spec((20.0,), "Departure times from the city warehouse each day", unit="h",
                                           lo=0, hi=24, hi_open=True)
    cutoff_before_departure_h: float = spec(4.0, "Orders must be placed this long before a departure to ride it",
                                            unit="h", lo=0, hi=24)
    speed_kmh: float = spec(60.0, "Mean trunk speed", unit="km/h", lo=1, lo_open=False, hi=200)
    trucks_per_departure: int = spec(2,
                                     "Trucks available at each departure (0: none; spot trucks only, if surge is on)",
                                         lo=0, hi=1000)
    truck_capacity_parcels: int = spec(5000, "Parcels per truck", unit="parcels", lo=1, hi=1000000)
    truck_capacity_kg: float = spec(8000.0, "Payload per truck", unit="kg", lo=0, lo_open=True,
                                    source="8 t box truck [G]", hi=100000)
    unload_h: float = spec(1.0, "Time at the hub between arrival and departure to the market", unit="h", lo=0, hi=24)
    cost_per_km_cny: float = spec(4.0, "Truck running cost", unit="CNY/km", lo=0, hi=10000)
    cost_per_run_cny: float = spec(400.0, "Driver and tolls per truck run", unit="CNY/run", lo=0, hi=1e+06)
    co2_kg_per_km: float = spec(0.8, "CO2 emitted per truck-km", unit="kg/km", lo=0, source="8 t diesel truck [G]",
                                hi=100)

    def check(self) -> None:
        if not self.departures_h or any(not 0 <= h < 24 for h in self.departures_h) or \
                len(set(self.departures_h)) != len(self.departures_h):
            raise ValueError(f"departures_h {list(self.departures_h)} is not allowed: expected distinct hours in [0, "
                             f"24)")


@dataclass(frozen=True)
class HubConfig:
    """The county hub: sorting of inbound parcels, storage and an optional cold store for produce."""
    sorters: int = spec(4,
                        "Sorting staff working in parallel (servers of the sorting queue; 0: parcels wait for "
                            "temporary sorters, if surge is on)", lo=0, hi=10000)
    sort_rate_parcels_per_h: float = spec(300.0, "Parcels one sorter sorts per hour", unit="parcels/h", lo=1,
                                          lo_open=False, hi=100000)
    sort_time_distribution: str = spec("gamma", "Distribution of a sort lot's service time", choices=SORT_DISTRIBUTIONS)
    sort_time_cv: float = spec(0.3, "Coefficient of variation of a lot's sort time (gamma, lognormal)", lo=0, hi=10)
    storage_kg: float = spec(30000.0, "Ambient storage for produce awaiting a trunk", unit="kg", lo=0, hi=1e+09)
    cold_store_kg: float = spec(0.0, "Cold-store capacity for produce (0: none)", unit="kg", lo=0, hi=1e+09)
    cold_cost_per_kg_d: float = spec(0.01, "Cold-store running cost per kg stored per day", unit="CNY/kg/d", lo=0,
                                     hi=100)
    cold_capex_per_kg_cny: float = spec(4.0, "Cold-store capital cost per kg of capacity", unit="CNY/kg", lo=0,
                                        hi=10000)
    cost_per_day_cny: float = spec(1500.0, "Hub operation: rent, power, management", unit="CNY/d", lo=0, hi=1e+07)
    sorter_wage_per_day_cny: float = spec(150.0, "Wage per sorter per day", unit="CNY/d", lo=0, hi=100000)
    capex_cny: float = spec(1500000.0, "Hub building and equipment", unit="CNY", lo=0, hi=1e+10)
    life_y: float = spec(10.0, "Economic life of hub and cold store", unit="y", lo=0.1, lo_open=False, hi=100)


@dataclass(frozen=True)
class StationConfig:
    """Village stations: which villages are served and what their agents cost."""
    coverage_share: float = spec(0.25, "Share of villages with a station", lo=0, hi=1,
                                 source="25.1% of villages had an e-commerce delivery site in 2016 (census bulletin 3)")
    selection: str = spec("largest_first", "Which villages get a station first", choices=STATION_SELECTIONS)
    agent_pay_per_month_cny: float = spec(450.0, "Agent's monthly pay", unit="CNY/month", lo=0,
                                          source="400-500 CNY/month part-time (Zhejiang government)", hi=100000)
    commission_per_parcel_cny: float = spec(0.5, "Agent's commission per parcel delivered", unit="CNY/parcel", lo=0,
                                            hi=1000)
    capex_cny: float = spec(10000.0, "Station fit-out", unit="CNY", lo=0, hi=1e+07)
    life_y: float = spec(5.0, "Economic life of a station", unit="y", lo=0.1, lo_open=False, hi=100)
    cold_room_kg: float = spec(0.0, "Cold room at each station of a growing village: produce waiting for pickup "
                                    "ages as in a cold store while there is room (0: none)", unit="kg", lo=0, hi=1e+06)
    cold_room_capex_per_kg_cny: float = spec(6.0, "Capital cost of station cold rooms per kg of capacity",
                                             unit="CNY/kg", lo=0, hi=10000)
    cold_room_cost_per_kg_d: float = spec(0.005, "Running cost of station cold rooms per kg of capacity per day",
                                          unit="CNY/kg/d", lo=0, hi=100)
    hand_over_first: str = spec("oldest", "Which waiting produce a station (village or township) hands to a vehicle "
                                "without room for all of it, after produce parcels: the oldest, or the produce that "
                                "will spoil soonest (cold-room produce keeps longer)", choices=HAND_OVER_RULES)


@dataclass(frozen=True)
class LastMileConfig:
    """Routes from the hub to the stations and the vehicles that drive them."""
    vehicle_type: str = spec("van", "Vehicle type on every route (a key of vehicle_types)", source="")
    vehicles_per_route: int = spec(1,
                                   "Vehicles per route; they leave together and share the load (0: only extra "
                                       "vehicles hired at peaks, if surge is on)", lo=0, hi=100)
    departures_h: tuple[float, ...] = spec((8.0,), "Departure times from the hub each day", unit="h", lo=0, hi=24,
                                           hi_open=True)
    backhaul: bool = spec(True, "Vehicles collect produce with their spare capacity; false: dedicated pickup trips",
                          source="")
    pickup_departures_h: tuple[float, ...] = spec((13.0,),
                                                  "Departure times of dedicated produce pickups when backhaul is off",
                                                      unit="h", lo=0, hi=24, hi_open=True)
    routing_method: str = spec("savings",
                               "Route planning method: Clarke-Wright savings or nearest neighbour, each improved by "
                                   "2-opt", choices=ROUTING_METHODS, source="")
    planning_load_factor: float = spec(1.5,
                                       "Routes are planned so one vehicle carries this multiple of a mean day's load",
                                       lo=0.1, lo_open=False,
                                           source="~1.5x capacity clears the Singles' Day peak (domain notes) [G]",
                                               hi=100)
    max_route_h: float = spec(8.0, "Longest planned route (driving and stops)", unit="h", lo=0.1, lo_open=False, hi=24)
    stop_h: float = spec(0.1, "Time per station stop", unit="h", lo=0, hi=24)
    handling_h_per_parcel: float = spec(0.004, "Unloading time per parcel", unit="h/parcel", lo=0, hi=1)
    availability: float = spec(0.97, "Probability a vehicle is available on a day (breakdowns)", lo=0, hi=1)
    travel_time_cv: float = spec(0.1, "Trip-to-trip variation of travel times (log-normal factor)", lo=0, hi=2)

    def check(self) -> None:
        for name in ("departures_h", "pickup_departures_h"):
            hs = getattr(self, name)
            if not hs or any(not 0 <= h < 24 for h in hs) or len(set(hs)) != len(hs):
                raise ValueError(f"{name} {list(hs)} is not allowed: expected distinct hours in [0, 24)")


@dataclass(frozen=True)
class CostConfig:
    """How capital is spread over time, and how shared costs are allocated."""
    discount_rate_y: float = spec(0.08, "Rate for spreading capital over asset lives (capital recovery factor)",
                                  unit="1/y", lo=0, hi=1)
    subsidy_per_year_cny: float = spec(0.0,
                                       "Government subsidy to the county's rural delivery (reduces the net cost of "
                                           "goods in)",
                                       unit="CNY/y", lo=0,
                                       source="3.7 bn CNY to 200 demonstration counties in 2015, ~18.5 M per county "
                                           "[D] (MOFCOM)", hi=1e+12)
    shared_allocation: str = spec(
        "incremental", "How costs shared by goods in and produce out (route vehicles and drivers, trunk runs parcels "
        "need, hub operation and capital) are allocated: `incremental` = goods in carry them and produce pays only "
        "what it adds (trips and trunk trucks that left for produce alone, plus its own pickups, cold store and "
        "cold rooms), so produce volume does not move cost per parcel by allocation; `kg` = split by the kilograms "
        "each direction moved through each shared resource. Total cost is the same under both",
        choices=SHARED_ALLOCATIONS, source="")


@dataclass(frozen=True)
class Scenario:
    """One county scenario: everything a run needs."""
    name: str = spec("baseline", "Scenario name, written to every output row", source="")
    seed: int = spec(20150329, "Root seed; replication r uses streams keyed by (seed, r, stream name)", lo=0, source="")
    replications: int = spec(5, "Independent replications", lo=1, hi=100000, source="")
    horizon_d: int = spec(365, "Length of the KPI window: the days whose flows the KPIs count", unit="d", lo=1,
                          hi=36500, source="one year, so the window holds a whole harvest season")
    start_doy: int = spec(182, "Day of year of the KPI window's first day (182 = 1 July); the run starts "
                          "`warmup_d` days earlier", unit="d", lo=1, hi=365,
                          source="between harvests (Anyue lemons Oct-Jan): the whole season falls inside the window")
    warmup_d: int = spec(28, "Days simulated before the KPI window and excluded from its flows; the run starts "
                         "empty, and what is in the system when the window opens is carried over and reported "
                         "(`*_in_system_start`); see `ruralsim warmup`", unit="d", lo=0, hi=3650,
                         source="[G] four weeks: many times the ~2-day parcel lead time, and June has no harvest, "
                         "so the window opens with backlogs at their level and no produce left over")
    county: CountyConfig = dataclasses.field(default_factory=CountyConfig)
    city: CityConfig = dataclasses.field(default_factory=CityConfig)
    demand: DemandConfig = dataclasses.field(default_factory=DemandConfig)
    trunk: TrunkConfig = dataclasses.field(default_factory=TrunkConfig)
    hub: HubConfig = dataclasses.field(default_factory=HubConfig)
    stations: StationConfig = dataclasses.field(default_factory=StationConfig)
    lastmile: LastMileConfig = dataclasses.field(default_factory=LastMileConfig)
    vehicle_types: dict[str, VehicleType] = spec(builtin_vehicle_types,
                                                 "Vehicle types by name; a known name refines its defaults",
                                                 factory=True, source="see each type below and the baseline config")
    crops: tuple[Crop, ...] = spec(default_crops, "Crops offered by villages (default: lemons Oct-Jan and "
                                   "kiwifruit Aug-Sep)", factory=True,
                                   source="Anyue lemons (domain notes); the kiwifruit is [G], no public figure in "
                                          "the domain notes")
    costs: CostConfig = dataclasses.field(default_factory=CostConfig)
    market: MarketConfig = dataclasses.field(default_factory=MarketConfig)
    produce_parcels: ProduceParcelConfig = dataclasses.field(default_factory=ProduceParcelConfig)
    surge: SurgeConfig = dataclasses.field(default_factory=SurgeConfig)
    network: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    township: TownshipConfig = dataclasses.field(default_factory=TownshipConfig)
    service: ServiceConfig = dataclasses.field(default_factory=ServiceConfig)
    buses: BusConfig = dataclasses.field(default_factory=BusConfig)

    def check(self) -> None:
        for key, name in (("lastmile.vehicle_type", self.lastmile.vehicle_type),
                          ("township.vehicle_type", self.township.vehicle_type),
                          ("township.feeder_vehicle_type", self.township.feeder_vehicle_type),
                          ("township.remote_vehicle_type", self.township.remote_vehicle_type)):
            if name is not None and name not in self.vehicle_types:
                raise FieldError(key, name, f"expected a vehicle type, one of {', '.join(sorted(self.vehicle_types))}")
        for name in self._vehicle_types_in_use():
            vehicle = self.vehicle_types[name]
            if vehicle.capacity_kg < self.demand.parcel_kg:
                raise FieldError(f"vehicle_types.{name}.capacity_kg", vehicle.capacity_kg,
                                 f"at least demand.parcel_kg ({self.demand.parcel_kg:g} kg): a vehicle that "
                                 "carries parcels must carry one")
        self._check_township_types()
        if self.buses.origin == "townships" and self.network.tiers != 2:
            raise ValueError(f"buses.origin 'townships' is not allowed with network.tiers {self.network.tiers}: "
                             "township bus lines need township stations (expected network.tiers 2, or buses.origin "
                             "county_seat)")
        if self.buses.mode != "none" and self.buses.origin == "county_seat" and self.network.tiers != 1:
            raise ValueError(f"buses.mode {self.buses.mode!r} with buses.origin 'county_seat' is not allowed with "
                             f"network.tiers {self.network.tiers}: bus lines from the county seat run in the one-tier "
                             "model (expected buses.origin townships, or buses.mode none)")
        if self.buses.mode == "replacing" and not self.service.daily:
            key, value = self.service.first_not_daily() or ("", None)
            raise FieldError(f"service.{key}", value, "expected daily service with buses.mode 'replacing': the bus "
                             "lines that replace the village routes run their timetable every day (or buses.mode "
                             "none or added)")
        if self.buses.mode != "none" and self.buses.capacity_kg_per_run < self.demand.parcel_kg:
            raise FieldError("buses.capacity_kg_per_run", self.buses.capacity_kg_per_run,
                             f"at least demand.parcel_kg ({self.demand.parcel_kg:g} kg): a bus run that carries "
                             "parcels must carry one")
        if self.buses.mode != "none" and "bus" not in self.vehicle_types:
            raise ValueError("buses.mode needs the `bus` vehicle type (its speeds) in vehicle_types")
        if self.produce_parcels.demand == "orders" and any(c.parcel_share > 0 for c in self.crops):
            raise ValueError("crops parcel_share > 0 is not allowed with produce_parcels.demand orders: city orders "
                             "come from each crop's parcel_orders_per_day (set parcel_share to 0, or demand to share)")
        if self.produce_parcels.demand == "share" and any(c.parcel_orders_per_day > 0 for c in self.crops):
            raise ValueError("crops parcel_orders_per_day > 0 is not allowed with produce_parcels.demand share: it is "
                             "read only with demand orders")
        names = [c.name for c in self.crops]
        if len(set(names)) != len(names):
            raise ValueError(f"crops names {names} are not allowed: names must be distinct")
        if not self.county.villages_csv:
            peak = self.peak_parcels_per_day()
            if peak > MAX_PARCELS_PER_DAY:
                raise ValueError(f"demand of about {peak:,.0f} parcels a day at its peak is not allowed: the model "
                                 f"runs "
                                 f"counties of up to {MAX_PARCELS_PER_DAY:,} parcels a day (county.villages x "
                                 "county.residents_per_village x demand.parcels_per_resident_y / 365 x the calendar's "
                                 "multipliers x growth over the run)")

    def _vehicle_types_in_use(self) -> list[str]:
        """The (known) vehicle types some key of this scenario sends on the road."""
        names: list[str | None] = [self.lastmile.vehicle_type]
        if self.network.tiers == 2:
            names += [self.township.vehicle_type, self.township.feeder_vehicle_type,
                      self.township.remote_vehicle_type]
            names += [t for types in self.township.vehicle_types_by_township.values() for t in types]
        if self.buses.mode != "none":
            names.append("bus")
        return sorted({n for n in names if n is not None and n in self.vehicle_types})

    def _check_township_types(self) -> None:
        """``township.vehicle_types_by_township``: known vehicle types; and in a generated
        county, the township and village ids its entries and ``service.by_township``'s and
        ``service.by_village``'s name (a villages CSV's are checked when it is read)."""
        by_town = self.township.vehicle_types_by_township
        for town, types in by_town.items():
            for name in types:
                if name not in self.vehicle_types:
                    raise FieldError(f"township.vehicle_types_by_township.{town}", name,
                                     f"expected a vehicle type, one of {', '.join(sorted(self.vehicle_types))}")
        if self.county.villages_csv:
            return
        towns = synthetic_township_ids(self.county.townships)
        for key, names in (("township.vehicle_types_by_township", by_town), ("service.by_township",
                                                                             self.service.by_township)):
            for town in names:
                if town not in towns:
                    raise FieldError(f"{key}.{town}", town, f"expected a township id of the county, "
                                     f"{towns[0]}..{towns[-1]} (county.townships: {self.county.townships})")
        if self.service.by_village:
            villages = set(synthetic_village_ids(self.county.villages))
            for vid in self.service.by_village:
                if vid not in villages:
                    raise FieldError(f"service.by_village.{vid}", vid, f"expected a village id of the county, "
                                     f"V0001..V{self.county.villages:04d} (county.villages: {self.county.villages})")

    def peak_parcels_per_day(self) -> float:
        """An upper bound on a generated county's parcels ordered in a day: every
        village served, every calendar multiplier above 1 at once, growth to the end."""
        mult = 1.0
        for event in self.demand.calendar:
            mult *= max(1.0, event.multiplier)
        growth = (1.0 + self.demand.growth_per_y) ** (self.run_days / 365.0) if self.demand.growth_per_y > 0 else 1.0
        return (self.county.villages * self.county.residents_per_village * self.demand.parcels_per_resident_y
                / 365.0 * mult * growth)

    @property
    def run_days(self) -> int:
        """Days simulated: the warm-up, then the KPI window."""
        return self.warmup_d + self.horizon_d

    @property
    def first_doy(self) -> int:
        """Day of year (1..365) of the first simulated day, ``warmup_d`` days before
        ``start_doy``."""
        return (self.start_doy - 1 - self.warmup_d) % 365 + 1

    def replace(self, **changes: Any) -> Scenario:
        """A copy with top-level fields replaced, validated like a config file."""
        return build(Scenario, to_data(dataclasses.replace(self, **changes)), "Scenario.replace")

    def updated(self, changes: Mapping[str, Any]) -> Scenario:
        """A copy with settings changed, validated like a config file: keys are dotted
        paths (``"hub.sorters"``, ``"crops.0.shelf_life_d"``) or sections given as nested
        mappings (``{"hub": {"sorters": 6}}``, merged into the current section)."""
        data = to_data(self)
        for key, value in changes.items():
            data = _set_setting(data, str(key).split("."), to_data(value))
        return build(Scenario, data, "Scenario.updated")


def _set_setting(node: Any, parts: list[str], value: Any) -> Any:
    """``node`` with the setting at ``parts`` set; a mapping merges into a mapping."""
    if not parts:
        if isinstance(value, Mapping) and isinstance(node, Mapping):
            out = dict(node)
            for k, v in value.items():
                out[k] = _set_setting(node.get(k), [], v) if k in node else v
            return out
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, list) and head.isdigit() and int(head) < len(node):
        out_list = list(node)
        out_list[int(head)] = _set_setting(node[int(head)], rest, value)
        return out_list
    if isinstance(node, Mapping):
        out = dict(node)
        out[head] = _set_setting(node.get(head), rest, value)
        return out
    return {head: _set_setting(None, rest, value)} if node is None else node  # build names the bad path


def scenario_from_data(data: Any, where: str = "<config>", base_dir: str | os.PathLike | None = None) -> Scenario:
    """Validate plain data into a :class:`Scenario`. Relative paths are resolved
    against ``base_dir`` (the config file's folder). A ``kind`` key, if any, must be
    ``scenario`` and is not part of the scenario."""
    scenario = build(Scenario, without_kind(data, where, "scenario"), where)
    csv = scenario.county.villages_csv
    if csv is not None and not os.path.isabs(csv):
        # absolute: a worker elsewhere (a Dask cluster's, in another folder) reads the file that was hashed
        county = dataclasses.replace(scenario.county, villages_csv=str((Path(base_dir or ".") / csv).resolve()))
        scenario = dataclasses.replace(scenario, county=county)
    return scenario


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario YAML file (``kind: scenario``)."""
    data = read_config(path, "scenario")
    return scenario_from_data(data, str(path), Path(path).parent)


def scenario_input_files(sc: Scenario) -> list[Path]:
    """Every file a resolved scenario reads (its villages CSV, if any), as absolute paths."""
    return [Path(sc.county.villages_csv).resolve()] if sc.county.villages_csv else []


def scenario_data(scenario: Scenario) -> dict:
    """The resolved scenario as plain data (every field, defaults filled in)."""
    return to_data(scenario)
