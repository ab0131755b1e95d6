"""The county's geography (area, townships, villages, residents, roads, terrain, or a
villages CSV) and the city it trades with: sections of the scenario config."""
from __future__ import annotations

from dataclasses import dataclass

from sim.config.fleet import ROAD_CLASSES
from sim.config.schema import spec

TERRAIN = {"plain": (1.2, 1.4, 1.1), "hilly": (1.3, 1.6, 1.0), "mountain": (1.5, 2.0, 0.75)}
"""Terrain class -> (circuity of county roads, circuity of village roads, speed factor)."""
TERRAINS = tuple(TERRAIN)


MAX_VILLAGES = 5000
"""The most villages a county may have. One tier at full coverage plans every station's routes
as one problem, whose road matrices grow with the square of the stations: about 1.8 GB and
half a minute at 5,000 (the largest Chinese counties have a few thousand villages)."""


@dataclass(frozen=True)
class CountyConfig:
    """The county's geography: generated from these parameters, or loaded from a CSV.
    A generated county is a disc of ``area_km2`` round the county seat: villages spread
    uniformly over it, each belonging to its nearest township seat; the seats tile the
    disc (distances to the seat and between villages follow from area and counts)."""
    area_km2: float = spec(2000.0, "Area of the county: a generated county's villages spread over a disc of this area",
                           unit="km2", lo=1, hi=250000, source="typical county [G] from NBS/census ratios")
    townships: int = spec(20, "Township seats", lo=1, hi=500,
                          source="typical county [G]; 18.7 villages per township [D]")
    villages: int = spec(370, "Administrative villages", lo=1, hi=MAX_VILLAGES, source="typical county [G]")
    residents_per_village: float = spec(1000.0, "Mean residents per village", unit="residents", lo=1,
                                        source="NBS 2015 rural population / villages [D]", hi=100000)
    residents_sigma: float = spec(0.4,
                                  "Log-normal spread of village sizes (0.4: the 90th percentile village is ~2.8x the "
                                      "10th)",
                                  lo=0, hi=3, source="'some villages 3x others' [G]")
    road_class_shares: dict[str, float] = spec(
        lambda: dict(cement=0.35, asphalt=0.26, gravel=0.26, other=0.13),
        "Share of villages by road surface", factory=True, source="2nd Agricultural Census")
    terrain: str = spec("hilly", "Terrain class: sets the circuity of county and village roads and a speed factor "
                        "(plain 1.2 / 1.4 / x1.1, hilly 1.3 / 1.6 / x1.0, mountain 1.5 / 2.0 / x0.75)",
                        choices=TERRAINS,
                        source="circuity 1.2-1.4 for national road networks (Ballou, Rahardja & Sakai 2002, "
                               "Transportation Research A 36); village roads and mountains wind more [G]; "
                               "Anyue (Sichuan) is hilly")
    circuity_county: float | None = spec(None, "Road km per straight-line km on county roads (null: from terrain)",
                                         lo=1, hi=5, optional=True, source="[G]")
    circuity_village: float | None = spec(None, "Road km per straight-line km on village roads (null: from terrain)",
                                          lo=1, hi=5, optional=True, source="[G]")
    road_speed_factor: float = spec(1.0,
                                    "Multiplies every vehicle's speed on every road (weather, road works, upgrades)",
                                    lo=0.05, lo_open=False, hi=5,
                                    source="1: the vehicle types' speeds as given; an uncertainty to vary")
    villages_csv: str | None = spec(None,
                                    "CSV of villages (id, township, x_km, y_km, residents, road_class), relative to "
                                        "the config file; replaces generation",
                                    optional=True, source="")

    @property
    def county_road_circuity(self) -> float:
        """Road km per straight-line km on county roads: the override, else the terrain's."""
        return self.circuity_county if self.circuity_county is not None else TERRAIN[self.terrain][0]

    @property
    def village_road_circuity(self) -> float:
        """Road km per straight-line km on village roads: the override, else the terrain's."""
        return self.circuity_village if self.circuity_village is not None else TERRAIN[self.terrain][1]

    @property
    def terrain_speed_factor(self) -> float:
        """Multiplies every vehicle's speed (with ``road_speed_factor``)."""
        return TERRAIN[self.terrain][2]

    def check(self) -> None:
        keys = set(self.road_class_shares)
        allowed = set(ROAD_CLASSES) - {"county"}
        if not keys <= allowed:
            raise ValueError(f"road_class_shares keys {sorted(keys - allowed)} are not allowed: expected "
                             f"{sorted(allowed)}")
        total = sum(self.road_class_shares.values())
        if any(v < 0 for v in self.road_class_shares.values()) or abs(total - 1) > 1e-6:
            raise ValueError(f"road_class_shares {self.road_class_shares} is not allowed: shares must be >= 0 and sum "
                             f"to 1")


@dataclass(frozen=True)
class CityConfig:
    """The city end of the trunk: a warehouse that ships parcels and a market that buys produce."""
    warehouse_km: float = spec(150.0, "Road distance city warehouse to county hub", unit="km", lo=0, source="[G]",
                               hi=5000)
    market_km: float = spec(150.0, "Road distance county hub to city market", unit="km", lo=0, source="[G]", hi=5000)
    market_to_warehouse_km: float = spec(20.0, "Road distance market back to warehouse (closes the trunk loop)",
                                         unit="km", lo=0, hi=5000)
