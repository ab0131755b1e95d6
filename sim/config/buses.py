"""Passenger bus lines that carry parcels and produce for a fee (``buses``): fixed
lines from the county seat (one tier) or from each township station (two tiers) with
a timetable, added to the vans (they collect
produce at their stops on every run) or replacing them (they carry the parcels and
the produce of the villages on their lines)."""
from __future__ import annotations

from dataclasses import dataclass

from sim.config.schema import spec

BUS_MODES = ("none", "added", "replacing")
BUS_ORIGINS = ("county_seat", "townships")


@dataclass(frozen=True)
class BusConfig:
    """Bus lines from the county seat (one tier) or from each township station (two
    tiers, ``origin: townships``). The served villages (of a township) are split into
    ``lines`` (``lines_per_township``) sectors by their bearing from the seat; a line
    runs out through its sector's villages, nearest first, and back, at the speeds of
    the `bus` vehicle type. One bus per line: a run leaves at each departure when the
    bus is back and something waits. The operator pays the fees only (no vehicle,
    driver or km cost); the buses' km are the bus company's, not in `vehicle_km`."""
    mode: str = spec("none", "none: no buses; added: the vans (two tiers: the township vehicles) run as before and the "
                     "buses collect produce at their stops on every run (shared passenger-freight lines); replacing: "
                     "the buses carry the parcels and the produce of every served village and no van (township "
                     "vehicle) runs", choices=BUS_MODES,
                     source="Hunan shared passenger-freight routes (MDPI Systems 13(7):602)")
    origin: str = spec("county_seat", "Where the lines start: county_seat (one tier: the lines leave the county seat "
                       "and stand in for the hub's vans); townships (two tiers only: each township station runs "
                       "`lines_per_township` lines through its own villages and they stand in for its village "
                       "vehicles; the feeders still run hub -> township station)", choices=BUS_ORIGINS,
                       source="[G] the three-level system county -> township -> village (domain notes); Hunan's "
                              "shared passenger-freight routes (MDPI Systems 13(7):602) give no origin")
    lines: int = spec(16, "Bus lines from the county seat (origin county_seat; not read with townships)", lo=1,
                      hi=500, source="[G] Yucheng county runs parcels on 28 bus routes (domain notes)")
    lines_per_township: int = spec(2, "Bus lines from each township station (origin townships; not read with "
                                   "county_seat); fewer where a township has fewer served villages", lo=1, hi=50,
                                   source="[G] Yucheng's 28 bus routes (domain notes) over a county's ~11 "
                                          "townships (national average, domain notes): two to three a township")
    departures_h: tuple[float, ...] = spec((7.0, 10.0, 13.0, 16.0), "Timetable: departures from the county seat "
                                           "(origin townships: from each township station) each day", unit="h",
                                           source="[G] four runs a day", lo=0, hi=24, hi_open=True)
    capacity_parcels_per_run: int = spec(100, "Parcels a run may carry (the luggage hold)", unit="parcels", lo=1,
                                         hi=10000, source="~440 parcels a day per bus in Yucheng (domain notes) [D] "
                                         "over four runs")
    capacity_kg_per_run: float = spec(300.0, "Kilograms (parcels and produce) a run may carry", unit="kg", lo=1,
                                      hi=100000, source="[G] as the built-in bus type")
    fee_per_parcel_cny: float = spec(1.0, "Fee per parcel carried, paid to the bus company", unit="CNY/parcel", lo=0,
                                     hi=1000, source="[G] as the built-in bus type")
    fee_per_kg_cny: float = spec(0.1, "Fee per kilogram of produce carried", unit="CNY/kg", lo=0, hi=1000,
                                 source="[G]")

    def check(self) -> None:
        hs = self.departures_h
        if not hs or any(not 0 <= h < 24 for h in hs) or len(set(hs)) != len(hs):
            raise ValueError(f"departures_h {list(hs)} is not allowed: expected distinct hours in [0, 24)")
