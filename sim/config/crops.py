"""A crop sold through the network: how much, when, at what price, how long it keeps."""
from __future__ import annotations

from dataclasses import dataclass

from sim.config.schema import spec


@dataclass(frozen=True)
class Crop:
    """A crop sold through the network: how much, when, at what price, how long it keeps."""
    name: str = spec("lemon", "Label", source="")
    village_share: float = spec(0.4, "Share of villages that grow it", lo=0, hi=1)
    kg_per_resident_y: float = spec(25.0,
                                    "Produce offered through the network per resident of a growing village per year",
                                    unit="kg/resident/y", lo=0,
                                    source="[G] calibrated to ~25% spoilage without a cold chain (20-30% reported for "
                                           "fruit and vegetables); with the KPI window over a whole harvest "
                                           "season lemons now lose about 20% (docs/validation.md)", hi=100000)
    season_start_doy: int = spec(274, "First harvest day (274 = 1 October)", unit="d", lo=1, hi=366,
                                 source="Anyue lemons Oct-Jan")
    season_end_doy: int = spec(31, "Last harvest day (31 = 31 January; may wrap the year)", unit="d", lo=1, hi=366,
                               source="Anyue lemons Oct-Jan")
    daily_cv: float = spec(0.5, "Day-to-day variation of a village's offer (gamma)", lo=0, hi=5)
    offer_h: float = spec(7.0, "Hour at which the day's produce is ready at the station", unit="h", lo=0, hi=24,
                          hi_open=True)
    price_cny_per_kg: float = spec(3.5, "Farm-gate price", unit="CNY/kg", lo=0, source="Anyue lemons 3.2-3.8 CNY/kg",
                                   hi=10000)
    shelf_life_d: float = spec(10.0, "Days from offer until it spoils at ambient temperature", unit="d", lo=0.1,
                               lo_open=False,
                               source="7-14 d without cold chain [G]", hi=3650)
    cold_shelf_life_d: float = spec(40.0,
                                    "Shelf life if kept in a cold store throughout (aging is slowed by "
                                        "shelf_life_d/cold_shelf_life_d)",
                                    unit="d", lo=0.1, lo_open=False, hi=3650)

    price_amplitude: float = spec(0.0, "Seasonal swing of the price through the network: price on day d = "
                                       "price_cny_per_kg x (1 - amplitude x cos(2 pi (d - price_low_doy) / 365)), "
                                       "so price_cny_per_kg is its yearly mean (0: one price all year)",
                                  lo=0, hi=0.95,
                                  source="[G] no public figure in the domain notes: 0 keeps the one "
                                         "farm-gate price of 3.2-3.8 CNY/kg")
    price_low_doy: int = spec(335, "Day of year of the lowest price (335 = 1 December, mid-harvest)", unit="d",
                              lo=1, hi=366, source="[G] the middle of the Oct-Jan harvest")
    parcel_share: float = spec(0.0, "Share of each day's offer ordered as produce parcels by city customers (the "
                                    "rest is sold in bulk to the wholesale market); parcel orders follow the harvest",
                               lo=0, hi=1, source="[G] 0: bulk only")
    parcel_orders_per_day: float = spec(0.0, "Boxes city customers order per day, on average over the crop's "
                                             "season (with `produce_parcels.demand: orders`; the days' means follow "
                                             "the harvest curve, none out of season; Poisson day to day)",
                                        unit="boxes/d", lo=0, hi=1e6, source="[G] 0: no city orders")

    def check(self) -> None:
        if self.cold_shelf_life_d < self.shelf_life_d:
            raise ValueError(f"cold_shelf_life_d {self.cold_shelf_life_d:g} is not allowed: must be >= shelf_life_d "
                             f"{self.shelf_life_d:g}")


def default_crops() -> tuple[Crop, ...]:
    """The default county's two crops, with different seasons: lemons (October to
    January, modelled on Anyue) and kiwifruit (August and September)."""
    return (Crop(), Crop(name="kiwi", village_share=0.2, kg_per_resident_y=15.0, season_start_doy=213,
                         season_end_doy=273, price_cny_per_kg=6.0, shelf_life_d=7.0, cold_shelf_life_d=30.0,
                         price_low_doy=243))
