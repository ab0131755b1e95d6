"""The last-mile fleet's configs: vehicle types (what they carry, how fast they go on
each road class, what they cost; the four built-in types) and the surge capacity hired
at peaks (spot trunk trucks, extra vehicles, temporary sorters)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sim.config.schema import FieldError, spec

ROAD_CLASSES = ("county", "cement", "asphalt", "gravel", "other")
"""Road classes: ``county`` is the paved road from the county seat to township seats;
the other four are the surfaces of village roads (2nd Agricultural Census)."""


def speeds_by_road(county, cement, asphalt, gravel, other):
    return lambda: dict(county=county, cement=cement, asphalt=asphalt, gravel=gravel, other=other)


@dataclass(frozen=True)
class VehicleType:
    """A last-mile vehicle: what it carries, how fast it goes on each road class and
    what it costs."""
    capacity_kg: float = spec(1500.0, "Payload", unit="kg", lo=0, lo_open=True, source="van 1.5 t [G]", hi=50000)
    capacity_parcels: int = spec(400, "Parcels that fit by volume", unit="parcels", lo=1, hi=100000)
    speed_kmh: dict[str, float] = spec(speeds_by_road(50.0, 40.0, 45.0, 25.0, 15.0),
                                       "Mean speed by road class (county, cement, asphalt, gravel, other)",
                                       unit="km/h", factory=True)
    cost_per_km_cny: float = spec(2.5, "Running cost per km (fuel, wear)", unit="CNY/km", lo=0,
                                  source="van ~2.5 CNY/km [G]", hi=1000)
    cost_per_day_cny: float = spec(60.0, "Fixed cost per vehicle-day: insurance, parking, upkeep", unit="CNY/d", lo=0,
                                   hi=100000)
    driver_per_day_cny: float = spec(200.0, "Driver's pay per vehicle-day (0 where the bus company pays the driver)",
                                     unit="CNY/d", lo=0, source="rural driver ~5,000-6,000 CNY/month [G]", hi=100000)
    fee_per_parcel_cny: float = spec(0.0, "Fee per parcel carried (a bus company's or partner's price)",
                                     unit="CNY/parcel", lo=0, hi=1000)
    capex_cny: float = spec(80000.0, "Purchase price (0 for hired vehicles and buses)", unit="CNY", lo=0, hi=1e+08)
    life_y: float = spec(6.0, "Economic life over which the purchase is spread", unit="y", lo=0.1, lo_open=False,
                         hi=100)
    co2_kg_per_km: float = spec(0.25, "CO2 emitted per km driven (well to wheel)", unit="kg/km", lo=0,
                                source="light diesel van [G]", hi=100)
    range_km: float | None = spec(None, "Distance the vehicle can drive in a day (an e-tricycle's battery, charged "
                                  "overnight); routes are planned so a day's trips stay within it (null: no limit)",
                                  unit="km", lo=1, hi=10000, optional=True,
                                  source="[G] e-tricycles run 60-100 km on a charge")

    def check(self) -> None:
        missing = [c for c in ROAD_CLASSES if c not in self.speed_kmh]
        extra = [c for c in self.speed_kmh if c not in ROAD_CLASSES]
        if missing or extra:
            raise FieldError("speed_kmh", dict(self.speed_kmh),
                             f"expected a speed for every road class and no other: {', '.join(ROAD_CLASSES)} "
                             f"(missing {', '.join(missing) or 'none'}; unknown {', '.join(extra) or 'none'})")
        bad = {k: v for k, v in self.speed_kmh.items() if not 1.0 <= v <= 200.0}
        if bad:
            raise FieldError("speed_kmh", dict(self.speed_kmh), f"speeds in [1, 200] km/h (not {bad})")


def parcels_aboard(capacity_parcels: int, capacity_kg: float, parcel_kg: float) -> int:
    """Whole parcels of ``parcel_kg`` a vehicle carries: its parcel capacity, or fewer
    when their weight reaches ``capacity_kg`` first (exact for any positive weight, however
    small or large)."""
    by_weight = capacity_kg / parcel_kg
    return int(capacity_parcels) if by_weight >= capacity_parcels else max(0, math.floor(by_weight))


def builtin_vehicle_types():
    return {
        "van": VehicleType(),
        "e_tricycle": VehicleType(capacity_kg=180.0, capacity_parcels=80,
                                  speed_kmh=speeds_by_road(15.0, 15.0, 15.0, 12.0, 8.0)(),
                                  cost_per_km_cny=0.2, cost_per_day_cny=10.0, driver_per_day_cny=150.0,
                                  capex_cny=8000.0, life_y=4.0, co2_kg_per_km=0.02),
        "walking_tractor": VehicleType(capacity_kg=750.0, capacity_parcels=200,
                                       speed_kmh=speeds_by_road(20.0, 18.0, 20.0, 15.0, 12.0)(),
                                       cost_per_km_cny=0.8, cost_per_day_cny=20.0, driver_per_day_cny=150.0,
                                       capex_cny=15000.0, life_y=8.0, co2_kg_per_km=0.3),
        "bus": VehicleType(capacity_kg=300.0, capacity_parcels=150,
                           speed_kmh=speeds_by_road(45.0, 35.0, 40.0, 25.0, 15.0)(),
                           cost_per_km_cny=0.0, cost_per_day_cny=50.0, driver_per_day_cny=0.0, fee_per_parcel_cny=1.0,
                           capex_cny=0.0, life_y=1.0, co2_kg_per_km=0.0),
    }


@dataclass(frozen=True)
class SurgeConfig:
    """Capacity hired for a day or a run when the contracted capacity falls short:
    spot trunk trucks, extra last-mile vehicles and temporary sorters, each dearer
    than its contracted counterpart."""
    enabled: bool = spec(True, "Hire surge capacity (false: fleets, sorters and trucks never flex)",
                         source="express firms add spot trucks, vans and sorters at peaks (domain notes, peak "
                             "capacity)")
    spot_trucks_max: int = spec(2, "Spot trucks that may join a trunk departure when more parcels (or produce kg on "
                                "the return leg) wait than the scheduled trucks carry", lo=0, hi=1000,
                                source="[G] as many again as the contracted trucks")
    spot_truck_premium: float = spec(1.5,
                                     "Cost of a spot truck run as a multiple of a contracted run (per run and per km)",
                                     lo=1, hi=10,
                                         source="spot trucks cost more than contracted ones (domain notes) [G]")
    vehicle_backlog_threshold: float = spec(2.5,
                                            "A route hires extra vehicles for the day when the sorted parcels waiting "
                                            "at the hub at its first departure exceed this many vehicle loads",
                                            unit="vehicle loads", lo=0, hi=100,
                                            source="[G] calibrated so the Singles' Day backlog clears in about 10 days "
                                                   "(domain notes)")
    extra_vehicles_max: int = spec(1, "Extra vehicles of the route's type a route may hire for a day (enough to carry "
                                   "the parcels waiting beyond what its own available vehicles carry)",
                                   lo=0, hi=100, source="[G] calibrated so the Singles' Day backlog clears in about 10 "
                                                        "days (domain notes)")
    extra_vehicle_premium: float = spec(1.5, "Day cost of an extra vehicle (cost per day + driver) as a multiple of "
                                        "an own vehicle's; its km cost the same", lo=1, hi=10,
                                        source="temporary vans cost more than own ones (domain notes) [G]")
    sorter_shift_h: float = spec(8.0, "Hours a sorter works in a shift: temporary sorters are hired when the parcels "
                                 "waiting to be sorted at a trunk arrival exceed what the sorters sort in a shift",
                                 unit="h", lo=0, lo_open=True, hi=24, source="8-hour shift [G]")
    temp_sorters_max: int = spec(4, "Temporary sorters that may be hired at once, each for 24 h", lo=0, hi=10000,
                                 source="[G] as many again as the baseline's sorters")
    temp_sorter_premium: float = spec(1.5, "Day wage of a temporary sorter as a multiple of a sorter's wage", lo=1,
                                      hi=10,
                                      source="agency staff cost more than own staff (domain notes) [G]")
