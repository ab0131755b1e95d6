"""Parcels ordered by served villages: a seasonal calendar, daily counts drawn as one
matrix ahead of the run (Poisson or negative binomial), and order times within a day."""
from __future__ import annotations

import numpy as np

from .batches import Parcels
from .config import DemandConfig, Scenario


def day_of_year(start_doy: int, horizon_d: int) -> np.ndarray:
    """Day of year (1..365) of each simulated day."""
    return (start_doy - 1 + np.arange(horizon_d)) % 365 + 1


def season_multiplier(cfg: DemandConfig, start_doy: int, horizon_d: int) -> np.ndarray:
    """Demand multiplier of each simulated day; overlapping calendar events multiply."""
    doy = day_of_year(start_doy, horizon_d)
    mult = np.ones(horizon_d)
    for ev in cfg.calendar:
        offset = (doy - ev.start_doy) % 365
        mult[offset < ev.duration_d] *= ev.multiplier
    return mult


def daily_means(scenario: Scenario, residents: np.ndarray) -> np.ndarray:
    """Expected parcels per day (rows) and village (columns):
    residents x parcels per resident per year / 365 x season x growth."""
    cfg = scenario.demand
    days = np.arange(scenario.horizon_d)
    per_day = cfg.parcels_per_resident_y / 365.0 * season_multiplier(cfg, scenario.start_doy, scenario.horizon_d)
    per_day = per_day * (1.0 + cfg.growth_per_y) ** (days / 365.0)
    return per_day[:, None] * residents[None, :]


def draw_counts(cfg: DemandConfig, means: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Order counts with the given means (any shape), drawn in one vector call."""
    if cfg.distribution == "poisson":
        return rng.poisson(means)
    k = cfg.dispersion_k
    return rng.negative_binomial(k, k / (k + means))


def order_times(cfg: DemandConfig, day: int, villages: np.ndarray, counts: np.ndarray,
                rng: np.random.Generator) -> Parcels:
    """One day's parcels, sorted by order time: independent uniform times over the
    order window. Drawn in O(n): sorted uniforms from normalised exponential spacings,
    with the parcels' villages in random order."""
    total = int(counts.sum())
    lo, hi = cfg.order_window_h
    gaps = rng.exponential(1.0, total + 1)
    spacing = np.cumsum(gaps)
    t = 24.0 * day + lo + (hi - lo) * (spacing[:-1] / spacing[-1])
    v = rng.permutation(np.repeat(villages, counts))
    return Parcels(v, t, np.full(total, np.nan))
