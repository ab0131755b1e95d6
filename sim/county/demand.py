"""Parcels ordered by served villages: a seasonal calendar, daily counts drawn as one
matrix ahead of the run (Poisson or negative binomial), and order times within a day."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from sim.config.scenario import DemandConfig, Scenario
from sim.county.account import Stock
from sim.county.batches import Chunk


@dataclass(frozen=True)
class OrderActivity:
    """Parcels ordered over a window."""
    parcels: int = 0


class Orders:
    """The source of parcels: order counts per (day, village) drawn ahead of the run,
    placed day by day. It holds no stock: what it places is at once in the warehouse."""

    def __init__(self, counts: np.ndarray):
        self.counts = counts
        self.placed_d = 0           # days placed so far
        self._window_d = 0

    def place(self, day: int) -> np.ndarray:
        """The counts of ``day`` (per village), now placed."""
        self.placed_d = day + 1
        return self.counts[day]

    @property
    def placed(self) -> int:
        """Parcels ordered since the start of the run."""
        return int(self.counts[:self.placed_d].sum())

    def stock(self) -> Stock:
        """Nothing: what a source places is at once with the next component."""
        return Stock()

    def activity(self) -> OrderActivity:
        """Parcels ordered since the window started."""
        return OrderActivity(int(self.counts[self._window_d:self.placed_d].sum()))

    def reset_window(self) -> None:
        """Start the KPI window now (before the day's orders are placed)."""
        self._window_d = self.placed_d


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
    """Expected parcels per simulated day (rows, warm-up first) and village (columns):
    residents x parcels per resident per year / 365 x season x growth, growth
    counted from the KPI window's first day."""
    cfg = scenario.demand
    days = np.arange(scenario.run_days) - scenario.warmup_d
    per_day = cfg.parcels_per_resident_y / 365.0 * season_multiplier(cfg, scenario.first_doy, scenario.run_days)
    per_day = per_day * (1.0 + cfg.growth_per_y) ** (days / 365.0)
    return per_day[:, None] * residents[None, :]


def draw_counts(cfg: DemandConfig, means: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Order counts with the given means (any shape), drawn in one vector call."""
    if cfg.distribution == "poisson":
        return rng.poisson(means)
    if cfg.distribution == "deterministic":
        return np.floor(np.asarray(means) + 0.5).astype(np.int64)
    k = cfg.dispersion_k
    return rng.negative_binomial(k, k / (k + means))


def order_segments(cfg: DemandConfig, cutoff_hours) -> list[tuple[float, float]]:
    """Stretches of the order window that no trunk cut-off splits: parcels ordered
    in one stretch ride the same trunk run. ``cutoff_hours`` are clock times."""
    lo, hi = cfg.order_window_h
    cuts = sorted({h % 24.0 for h in cutoff_hours if lo < h % 24.0 < hi})
    edges = [lo, *cuts, hi]
    return list(itertools.pairwise(edges))


def order_chunks(cfg: DemandConfig, day: int, villages: np.ndarray, route: np.ndarray, n_routes: int,
                 counts: np.ndarray, segments, rng: np.random.Generator) -> list[Chunk]:
    """One day's parcels as chunks, one per stretch of the order window. Each
    village's orders are split over the stretches (multinomial, by length) and
    placed uniformly within them: independent uniform order times over the window.
    ``villages`` must be grouped by ``route`` (their route index)."""
    lo, hi = cfg.order_window_h
    deterministic = cfg.distribution == "deterministic"
    p = np.array([(b - a) / (hi - lo) for a, b in segments])
    if len(segments) == 1:
        per_seg = counts[:, None]
    elif deterministic:
        per_seg = _largest_remainder(counts, p)
    else:
        per_seg = rng.multinomial(counts, p / p.sum())
    out = []
    for j, (a, b) in enumerate(segments):
        n = per_seg[:, j]
        total = int(n.sum())
        if not total:
            continue
        village = villages.repeat(n)
        if deterministic:  # each village's orders evenly spaced over the stretch
            t = np.concatenate([(np.arange(k) + 0.5) / k for k in n if k])
        else:
            t = rng.random(total)
        t *= b - a
        t += 24.0 * day + a
        bounds = np.zeros(n_routes + 1, dtype=np.int64)
        bounds[1:] = np.bincount(route, weights=n, minlength=n_routes).cumsum()
        out.append(Chunk(village, t, bounds))
    return out


def _largest_remainder(counts: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Split each count over shares ``p`` in whole numbers (largest remainder first)."""
    exact = counts[:, None] * p[None, :]
    base = np.floor(exact).astype(np.int64)
    left = counts - base.sum(axis=1)
    order = np.argsort(-(exact - base), axis=1, kind="stable")
    for i in np.flatnonzero(left):
        base[i, order[i, :left[i]]] += 1
    return base
