"""What the last mile did, in the terms others read it: the activity over a window
(trips, km, parcels and kilograms carried, pickups, extra vehicles) for costs and
KPIs, the ledger of every trip (for daily series, load factors and the conservation
check) and lead times summed per stop (for the rollout's equity figures)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.county.leadtime import LeadTimes


@dataclass(frozen=True)
class LastMileActivity:
    """What the last mile did over a window: delivery trips (km, parcels and kg
    carried, produce they collected on the way back), dedicated pickup trips (km,
    vehicle days hired), parcels delivered to stations, extra vehicles hired for a day
    (vehicle-days; their km are in ``km`` and also in ``surge_km``), the delivery
    trips that left with produce to collect but no parcels (and their km), and the
    produce the pickups collected (never counted in ``produce_kg``)."""
    trips: int = 0
    km: float = 0.0
    parcels_carried: int = 0
    parcel_kg: float = 0.0
    produce_kg: float = 0.0
    pickup_trips: int = 0
    pickup_km: float = 0.0
    pickup_vehicle_days: int = 0
    delivered: int = 0
    surge_vehicle_days: int = 0
    surge_km: float = 0.0
    produce_only_trips: int = 0
    produce_only_km: float = 0.0
    pickup_produce_kg: float = 0.0


@dataclass(frozen=True)
class StopLead:
    """Lead times summed per stop (h) and parcels delivered there, over the KPI
    window; stops of every route in route order, then visiting order."""
    lead_h: np.ndarray
    delivered: np.ndarray


@dataclass
class Ledger:
    """What the last mile did, summed over the run, and per-trip records for the outputs."""
    trips: int = 0
    km: float = 0.0
    parcels_carried: int = 0
    parcel_kg_carried: float = 0.0
    produce_kg_carried: float = 0.0
    pickup_trips: int = 0
    pickup_km: float = 0.0
    pickup_vehicle_days: int = 0
    surge_vehicle_days: int = 0     # extra vehicles hired for a day
    surge_km: float = 0.0           # km driven by them (also in ``km``)
    produce_only_trips: int = 0   # delivery trips that left with no parcels, only produce to collect
    produce_only_km: float = 0.0
    pickup_produce_kg: float = 0.0
    left_behind: int = 0      # sorted parcels still waiting at the hub as a vehicle leaves, summed over trips
    lead: LeadTimes = field(default_factory=LeadTimes)  # order to arrival at the station, delivered parcels
    delivered: int = 0
    on_vehicles_at_end: int = 0     # loaded, but their station is reached after the horizon
    produce_on_board_kg: float = 0.0
    trip_start_h: list = field(default_factory=list)      # per departure: start time and km of all its trips
    trip_km: list = field(default_factory=list)
    load_t_h: list = field(default_factory=list)          # per delivery departure: its time, once per trip
    load_in: list = field(default_factory=list)           # per delivery departure: utilisation of each trip
    load_out: list = field(default_factory=list)
    stop_arrivals_h: list = field(default_factory=list)   # per departure: arrival time at stops reached
    stop_parcels: list = field(default_factory=list)      # per departure: parcels unloaded there
    depart_h: list = field(default_factory=list)          # per departure with parcels: its time
    stop_lead_h: np.ndarray = field(default_factory=lambda: np.zeros(0))     # summed lead time per stop
    stop_delivered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def delivered_by_day(self, horizon_d: int) -> np.ndarray:
        """Parcels delivered on each day."""
        if not self.stop_arrivals_h:
            return np.zeros(horizon_d, dtype=np.int64)
        day = np.minimum((np.concatenate(self.stop_arrivals_h) // 24.0).astype(np.int64), horizon_d - 1)
        return np.bincount(day, weights=np.concatenate(self.stop_parcels), minlength=horizon_d).round().astype(np.int64)

    def km_by_day(self, horizon_d: int) -> np.ndarray:
        if not self.trip_start_h:
            return np.zeros(horizon_d)
        day = np.minimum((np.concatenate(self.trip_start_h) // 24.0).astype(np.int64), horizon_d - 1)
        return np.bincount(day, weights=np.concatenate(self.trip_km), minlength=horizon_d)
