"""Produce offered by villages: which villages grow each crop, a seasonal harvest
curve per crop, and daily offers drawn as one matrix ahead of the run."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.scenario import Crop, Scenario
from sim.county.account import Stock
from sim.county.demand import day_of_year


@dataclass(frozen=True)
class OfferActivity:
    """Produce offered over a window (kg)."""
    kg: float = 0.0


class Offers:
    """The source of produce: kilograms offered per (crop, day, village) drawn ahead
    of the run, placed day by day at the stations. It holds no stock."""

    def __init__(self, kg: np.ndarray):
        self.kg = kg
        self.kg_day = kg.sum(axis=(0, 2))   # offered per day
        self.placed_d = 0
        self._window_d = 0

    def place(self, day: int) -> np.ndarray:
        """The kilograms of ``day`` (crops, villages), now placed."""
        self.placed_d = day + 1
        return self.kg[:, day]

    @property
    def placed_kg(self) -> float:
        """Produce offered since the start of the run."""
        return float(self.kg[:, :self.placed_d].sum())

    def stock(self) -> Stock:
        """Nothing: what a source places is at once with the next component."""
        return Stock()

    def activity(self) -> OfferActivity:
        """Produce offered since the window started."""
        return OfferActivity(float(self.kg_day[self._window_d:self.placed_d].sum()))

    def reset_window(self) -> None:
        """Start the KPI window now (before the day's produce is offered)."""
        self._window_d = self.placed_d


def season_length_d(crop: Crop) -> int:
    return (crop.season_end_doy - crop.season_start_doy) % 365 + 1


def harvest_share(crop: Crop, start_doy: int, horizon_d: int) -> np.ndarray:
    """Share of a year's crop offered on each simulated day: a sine hump over the
    season (zero outside), summing to 1 over one season. With a 123-day season the
    peak day is about 4.7x the yearly mean day."""
    length = season_length_d(crop)
    k = (day_of_year(start_doy, horizon_d) - crop.season_start_doy) % 365
    inside = k < length
    w = np.sin(np.pi * (k + 0.5) / length)
    norm = np.sin(np.pi * (np.arange(length) + 0.5) / length).sum()
    return np.where(inside, w / norm, 0.0)


def growers(crop_count: int, shares, n: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean (crops, villages): which villages grow which crop (the same in every
    replication: drawn from the network stream)."""
    out = np.zeros((crop_count, n), dtype=bool)
    for c, share in enumerate(shares):
        k = round(share * n)
        out[c, rng.permutation(n)[:k]] = True
    return out


def daily_offers_kg(scenario: Scenario, residents: np.ndarray, grows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Kilograms offered per (crop, simulated day, village), warm-up days first: gamma
    around the harvest curve with the crop's day-to-day coefficient of variation."""
    out = np.zeros((len(scenario.crops), scenario.run_days, len(residents)))
    for c, crop in enumerate(scenario.crops):
        mean = harvest_share(crop, scenario.first_doy, scenario.run_days)[:, None] * \
            (residents * crop.kg_per_resident_y * grows[c])[None, :]
        if crop.daily_cv > 1e-6:  # below that the gamma is indistinguishable from its mean
            shape = 1.0 / crop.daily_cv**2
            draws = rng.gamma(shape, 1.0 / shape, mean.shape)
            out[c] = mean * draws
        else:
            out[c] = mean
    return out
