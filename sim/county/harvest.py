"""Produce offered by villages: which villages grow each crop, a seasonal harvest
curve per crop, and daily offers drawn as one matrix ahead of the run."""
from __future__ import annotations

import numpy as np

from sim.config.scenario import Crop, Scenario
from sim.county.demand import day_of_year


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
        k = int(round(share * n))
        out[c, rng.permutation(n)[:k]] = True
    return out


def daily_offers_kg(scenario: Scenario, residents: np.ndarray, grows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Kilograms offered per (crop, day, village): gamma around the harvest curve
    with the crop's day-to-day coefficient of variation."""
    out = np.zeros((len(scenario.crops), scenario.horizon_d, len(residents)))
    for c, crop in enumerate(scenario.crops):
        mean = harvest_share(crop, scenario.start_doy, scenario.horizon_d)[:, None] * \
            (residents * crop.kg_per_resident_y * grows[c])[None, :]
        if crop.daily_cv > 1e-6:  # below that the gamma is indistinguishable from its mean
            shape = 1.0 / crop.daily_cv**2
            draws = rng.gamma(shape, 1.0 / shape, mean.shape)
            out[c] = mean * draws
        else:
            out[c] = mean
    return out
