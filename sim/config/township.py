"""The township tier's configs: how many echelons the last mile has (``network``)
and, with two, the township stations, the feeder routes from the county hub to
them and the routes from each township to its villages (``township``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.config.schema import FieldError, spec


def synthetic_township_ids(m: int) -> tuple[str, ...]:
    """The ids of a generated county's ``m`` townships, in index order: T01, T02, ...
    (three digits from 100 townships)."""
    width = max(2, len(str(m)))
    return tuple(f"T{k + 1:0{width}d}" for k in range(m))


def synthetic_village_ids(n: int) -> tuple[str, ...]:
    """The ids of a generated county's ``n`` villages, in index order: V0001, V0002, ..."""
    return tuple(f"V{i + 1:04d}" for i in range(n))


@dataclass(frozen=True)
class NetworkConfig:
    """The shape of the last mile."""
    tiers: int = spec(1, "Echelons of the last mile: 1 = vehicles of `lastmile` run from the county hub straight to "
                      "the village stations; 2 = feeder routes run from the hub to township stations and each "
                      "township serves its villages with its own routes and fleet (the `township` keys)",
                      lo=1, hi=2, source="county -> township -> village system of national rural logistics "
                      "policy (domain notes)")


@dataclass(frozen=True)
class TownshipConfig:
    """The township tier (used only with ``network.tiers: 2``): township stations at
    the seats of townships that have a village station, feeder routes from the hub
    to them, and each township's own routes to its villages. Vehicles of both tiers
    follow the `lastmile` keys for stops, handling, availability, travel-time
    variation, backhaul and pickups."""
    feeder_vehicle_type: str = spec("van", "Vehicle type on the feeder routes from the hub to the township stations "
                                    "(a key of vehicle_types)", source="vans or light trucks on county roads [G]")
    feeder_vehicles_per_route: int = spec(1, "Vehicles per feeder route; they leave together", lo=0, hi=100)
    feeder_departures_h: tuple[float, ...] = spec((8.0,), "Departure times of the feeder vehicles from the hub each "
                                                  "day", unit="h", source="as the one-tier routes' departure [G]",
                                                  lo=0, hi=24, hi_open=True)
    feeder_max_route_h: float = spec(8.0, "Longest planned feeder route (driving and stops)", unit="h", lo=0.1,
                                     lo_open=False, hi=24)
    vehicle_type: str = spec("e_tricycle", "Vehicle type on the township-to-village routes (a key of vehicle_types)",
                             source="tricycles and walking tractors on the township-to-village leg (seed article, "
                             "domain notes)")
    remote_vehicle_type: str | None = spec(None, "A mixed fleet: vehicle type on the village routes of the "
                                           "townships whose seat is at least remote_vehicle_from_km from the county "
                                           "seat (straight line); their routes are planned for it, within its "
                                           "capacity and range_km, and its costs and CO2 are booked by its km, days "
                                           "and parcels (null: vehicle_type on every route)", optional=True,
                                           source="[G] vans where township roads are long, tricycles near the seat")
    remote_vehicle_from_km: float = spec(20.0, "With remote_vehicle_type: the distance from the county seat from "
                                         "which a township's routes use it", unit="km", lo=0, hi=1000,
                                         source="[G] the outer half of the baseline county's disc, as "
                                         "service.remote_from_km")
    vehicle_types_by_township: dict[str, tuple[str, ...]] = spec(
        dict, "Vehicle types of named townships (township id: a type, or a list of types), before "
        "remote_vehicle_type and vehicle_type (an entry > the remote rule > vehicle_type). Ids are T01, T02, ... in a "
        "generated county, the villages CSV's township names otherwise. With a list, each village is served by the "
        "first type that can reach it (a round trip to it alone, with its stop, within max_route_h and the type's "
        "range_km per departure), the last type if none can, and the township's routes are planned type by type "
        "for the vehicles that drive them (empty: no entries)", factory=True, one_or_list=True, shown="{}",
        source="[G] a county's own fleet plan: e-tricycles near a township seat, vans to its far villages")
    vehicles_per_route: int = spec(1, "Vehicles per township-to-village route; they leave together", lo=0, hi=100)
    departures_h: tuple[float, ...] = spec((13.0,), "Departure times of the township-to-village vehicles from their "
                                           "township station each day; parcels that have not finished their "
                                           "transfer wait for the next", unit="h",
                                           source="[G] after the feeders' arrival and transfer",
                                           lo=0, hi=24, hi_open=True)
    max_route_h: float = spec(6.0, "Longest planned township-to-village route (driving and stops)", unit="h", lo=0.1,
                              lo_open=False, hi=24, source="[G] an afternoon's round")
    transfer_h: float = spec(1.0, "Handling time at a township station between a feeder's arrival and the parcels "
                             "being ready for the village routes", unit="h", lo=0, hi=48, source="[G]")
    transfer_parcels_per_h: float | None = spec(None, "Parcels a township station transfers an hour: a feeder's "
                                                "parcels are ready transfer_h plus their number / this after the "
                                                "station is free of the batch before (null: no limit, every batch "
                                                "ready transfer_h after its feeder's arrival)", unit="parcels/h",
                                                lo=0, lo_open=True, hi=1e6, optional=True, shown="null",
                                                source="[G] one or two clerks at a township station")
    transfer_cost_per_parcel_cny: float = spec(0.3, "Handling cost per parcel transferred at a township station",
                                               unit="CNY/parcel", lo=0, hi=100,
                                               source="[G] a small share of the 3-5 CNY/parcel township-to-village "
                                               "cost (domain notes)")
    storage_kg: float = spec(5000.0, "Produce a township station can hold while it waits for a feeder (the village "
                                     "vehicles collect no more than fits)", unit="kg", lo=0, hi=1e+07, source="[G]")
    cost_per_day_cny: float = spec(150.0, "Running cost of a township station per day (rent, staff)", unit="CNY/d",
                                   lo=0, hi=1e+06, source="[G] one clerk at ~3,000 CNY/month (migrant worker income, "
                                   "domain notes) plus rent")
    capex_cny: float = spec(60000.0, "Fit-out of a township station", unit="CNY", lo=0, hi=1e+08, source="[G]")
    life_y: float = spec(10.0, "Economic life of a township station", unit="y", lo=0.1, lo_open=False, hi=100)
    cold_room_kg: float = spec(0.0, "Cold room at each township station: produce waiting there for a feeder ages "
                               "as in a cold store while there is room, the rest at ambient (part of storage_kg; 0: "
                               "none)", unit="kg", lo=0, hi=1e+07,
                               source="[G] a township's consolidation point for its villages' produce")
    cold_room_capex_per_kg_cny: float = spec(6.0, "Capital cost of township cold rooms per kg of capacity, spread "
                                             "over life_y", unit="CNY/kg", lo=0, hi=10000,
                                             source="[G] as the village stations' cold rooms")
    cold_room_cost_per_kg_d: float = spec(0.005, "Running cost of township cold rooms per kg of capacity per day",
                                          unit="CNY/kg/d", lo=0, hi=100,
                                          source="[G] as the village stations' cold rooms")
    outlets: bool = spec(False, "Township outlets: every township with villages gets a station, and the parcels of "
                         "villages without a station go to their township's station, where residents collect them",
                         source="township stations as pickup points for villages without a station [G]")
    outlet_collect_share: float = spec(0.5, "With outlets: the share of the parcels residents of a village without "
                                       "a station would order that they order and collect at the township",
                                       lo=0, hi=1, source="[G] about half travel to the township seat to collect")
    outlet_pickup_delay_h: float = spec(24.0, "With outlets: time from a parcel being ready at the township station "
                                        "to its collection", unit="h", lo=0, hi=720,
                                        source="[G] residents collect on their next trip to the township seat")

    def check(self) -> None:
        for town, types in self.vehicle_types_by_township.items():
            if not types or len(set(types)) != len(types):
                raise FieldError(f"vehicle_types_by_township.{town}", list(types),
                                 "expected a vehicle type or a list of distinct vehicle types")
        if self.cold_room_kg > self.storage_kg:
            raise ValueError(f"cold_room_kg {self.cold_room_kg:g} is not allowed: the cold room is part of the "
                             f"township station's storage, at most storage_kg ({self.storage_kg:g})")
        for name in ("feeder_departures_h", "departures_h"):
            hs = getattr(self, name)
            if not hs or any(not 0 <= h < 24 for h in hs) or len(set(hs)) != len(hs):
                raise ValueError(f"{name} {list(hs)} is not allowed: expected distinct hours in [0, 24)")


ALL_WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)


def _check_weekdays(w: tuple[int, ...], key: str) -> None:
    if not w or any(not 0 <= d <= 6 for d in w) or len(set(w)) != len(w):
        raise FieldError(key, list(w), "expected distinct days in 0-6")


@dataclass(frozen=True)
class ServiceOverride:
    """The service of a named township's or village's routes, in place of the
    county-wide keys (a key left out keeps the county-wide value). Written as a
    mapping, or short: a number (every_d) or a list of weekdays."""
    every_d: int | None = spec(None, "Its routes run every this many days, in place of every_d and remote_every_d "
                               "(null: the county-wide rule)", unit="d", lo=1, hi=7, optional=True, shown="null",
                               source="[G] a county's own timetable")
    weekdays: tuple[int, ...] | None = spec(None, "Days of the week its routes run, 0-6 (0 = the weekday of 1 "
                                            "January), in place of weekdays (null: the county-wide weekdays)",
                                            optional=True, shown="null",
                                            source="[G] a county's own timetable", lo=0, hi=6)
    SHORT_JSON: ClassVar[dict] = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 7},
                                             {"type": "array",
                                              "items": {"type": "integer", "minimum": 0, "maximum": 6}}]}

    @classmethod
    def from_short(cls, value, where: str, path: str) -> ServiceOverride:
        from sim.config.schema import build
        if isinstance(value, (list, tuple)):
            return build(cls, {"weekdays": list(value)}, where, path)
        return build(cls, {"every_d": value}, where, path)

    def check(self) -> None:
        if self.weekdays is not None:
            _check_weekdays(self.weekdays, "weekdays")

    @property
    def daily(self) -> bool:
        return self.every_d in (None, 1) and (self.weekdays is None or set(self.weekdays) == set(ALL_WEEKDAYS))


@dataclass(frozen=True)
class ServiceConfig:
    """How often the village routes run (a lever): every route on the chosen weekdays,
    every ``every_d`` days, and routes to remote villages every ``remote_every_d``
    days. Routes are planned for the parcels of the days between runs (the interval
    times the longest gap between weekdays). Routes with the same interval take turns
    (route i runs on days d with (d + i) mod interval = 0), so one vehicle and driver
    serve that many routes in turn: a route's fleet is paid for the share of days it
    runs. With two tiers the
    village routes are the townships' (the feeders run daily); dedicated produce
    pickups (``lastmile.backhaul: false``) keep their daily schedule, and bus lines
    run every day (less than daily service is refused when they replace the
    village routes). Named townships and villages can have their own interval and
    weekdays (``by_township``, ``by_village``)."""
    every_d: int = spec(1, "Village routes run every this many days (1 daily, 2 every second day, 3 every third)",
                        unit="d", lo=1, hi=7, source="daily service [G]")
    remote_every_d: int = spec(1, "Routes to remote villages (see remote_from_km) run every this many days (the "
                               "larger of this and every_d)",
                               unit="d", lo=1, hi=7,
                               source="remote villages are often served every 2-3 days (domain notes) [G]")
    remote_from_km: float = spec(20.0, "A village is remote when it (one tier) or its township seat (two tiers) is "
                                 "at least this far from the county seat, straight line; remote and other villages "
                                 "get routes of their own",
                                 unit="km", lo=0, hi=1000, source="[G] the outer half of the baseline county's disc")
    weekdays: tuple[int, ...] = spec(ALL_WEEKDAYS, "Days of the week the village routes run, 0-6 (0 = the "
                                     "weekday of 1 January)", source="every day [G]", lo=0, hi=6)
    by_township: dict[str, ServiceOverride] = spec(
        dict, "The service of named townships' villages (township id: every_d and/or weekdays, or short: a number "
        "of days or a list of weekdays), in place of the county-wide keys. Ids are T01, T02, ... in a generated "
        "county, the villages CSV's township names otherwise (empty: no entries)", factory=True, shown="{}",
        source="[G] a county's own timetable")
    by_village: dict[str, ServiceOverride] = spec(
        dict, "The service of named villages (village id: as by_township), in place of their township's entry and "
        "the county-wide keys. Ids are V0001, V0002, ... in a generated county, the villages CSV's ids otherwise "
        "(empty: no entries)", factory=True, shown="{}", source="[G] a county's own timetable")

    def check(self) -> None:
        _check_weekdays(self.weekdays, "weekdays")

    def first_not_daily(self) -> tuple[str, object] | None:
        """The first key (path, value) that makes some route run less than daily, if any."""
        for key in ("every_d", "remote_every_d"):
            if getattr(self, key) != 1:
                return key, getattr(self, key)
        if set(self.weekdays) != set(ALL_WEEKDAYS):
            return "weekdays", list(self.weekdays)
        for key in ("by_township", "by_village"):
            for name, o in getattr(self, key).items():
                if not o.daily:
                    return f"{key}.{name}", {k: v for k, v in (("every_d", o.every_d), ("weekdays", o.weekdays))
                                             if v is not None}
        return None

    @property
    def daily(self) -> bool:
        """Every route runs every day (the default: the schedule as it was)."""
        return self.first_not_daily() is None
