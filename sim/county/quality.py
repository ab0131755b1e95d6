"""Produce quality and what it is worth: first-order decay whose rate depends on the
temperature a lot is held at (a Q10 law), the seasonal price per crop, the value of a
lot sold at a given time, and the hub cold store's decision to sell now or hold.

A lot's state is its expiry time under its current storage (``Lots.T_EXPIRY``): with
first-order kinetics, q(t) = exp(-integral of k dt), and a lot is lost when q reaches
``loss_quality``; so the ambient-equivalent time a lot has left, r = expiry - t
(at ambient temperature), fixes its quality: q = loss_quality ** (1 - r / shelf life).
Cooling by a factor f (the rate at ambient / the rate in the cold) stretches what is
left by f, which is what the stores and vehicles do to the expiry time."""
from __future__ import annotations

import math

import numpy as np

from sim.config.crops import Crop
from sim.config.market import MarketConfig


def q10_factor(q10: float, warm_c: float, cold_c: float) -> float:
    """How many times slower a lot ages at ``cold_c`` than at ``warm_c``."""
    return float(q10 ** ((warm_c - cold_c) / 10.0))


def quality_closed_form(t_h: float, shelf_h: float, loss_quality: float, factor: float = 1.0) -> float:
    """Quality after ``t_h`` hours held at one temperature, ageing ``factor`` times
    slower than at ambient: exp(-k t / factor), k = ln(1 / loss_quality) / shelf_h."""
    return math.exp(-math.log(1.0 / loss_quality) / shelf_h * t_h / factor)


class Quality:
    """Quality, price and value of produce, per crop."""

    def __init__(self, market: MarketConfig, crops: tuple[Crop, ...], first_doy: int):
        self.cfg = market
        self.on = market.quality_decay
        self.shelf_h = np.array([c.shelf_life_d * 24.0 for c in crops])
        if self.on:
            f = q10_factor(market.q10, market.ambient_c, market.cold_c)
            self.cold_factor = np.full(len(crops), f)
            self.reefer_factor = np.full(len(crops), f if market.reefer_trunk else 1.0)
        else:
            self.cold_factor = np.array([c.cold_shelf_life_d / c.shelf_life_d for c in crops])
            self.reefer_factor = np.ones(len(crops))
        self.price = np.array([c.price_cny_per_kg for c in crops])
        self.amplitude = np.array([c.price_amplitude for c in crops])
        self.low_doy = np.array([c.price_low_doy for c in crops], dtype=float)
        self.first_doy = first_doy

    def quality(self, crop: np.ndarray, left_h: np.ndarray) -> np.ndarray:
        """Quality of lots of ``crop`` with ``left_h`` ambient-equivalent hours left
        before they are lost (0 once lost). Without decay: 1 until lost."""
        left_h = np.asarray(left_h, dtype=float)
        if not self.on:
            return np.where(left_h >= 0, 1.0, 0.0)
        q_min = self.cfg.loss_quality
        frac = np.clip(1.0 - left_h / self.shelf_h[crop], 0.0, None)
        return np.where(left_h >= 0, q_min ** frac, 0.0)

    def grade(self, crop: np.ndarray, left_h: np.ndarray) -> np.ndarray:
        """Share of the full price a lot fetches: quality ** elasticity while saleable, else 0."""
        q = self.quality(crop, left_h)
        if not self.on:
            return q
        return np.where(q > 0, q ** self.cfg.price_quality_elasticity, 0.0)

    def price_index(self, crop: np.ndarray, t_h: np.ndarray) -> np.ndarray:
        """The seasonal price at time ``t_h`` (h since the run's start) over its yearly mean."""
        doy = self.first_doy + np.asarray(t_h, dtype=float) / 24.0
        return 1.0 - self.amplitude[crop] * np.cos(2.0 * np.pi * (doy - self.low_doy[crop]) / 365.0)

    def price_at(self, crop: np.ndarray, t_h: np.ndarray) -> np.ndarray:
        """Price through the network at time ``t_h`` for produce at full quality (CNY/kg)."""
        return self.price[crop] * self.price_index(crop, t_h)

    def value_per_kg(self, crop: np.ndarray, t_h: np.ndarray, left_h: np.ndarray) -> np.ndarray:
        """What a kg sold at ``t_h`` with ``left_h`` ambient hours left earns (CNY/kg)."""
        return self.price_at(crop, t_h) * self.grade(crop, left_h)

    def hold(self, crop: np.ndarray, cold_expiry_h: np.ndarray, now: float, trip_h: float,
             cost_per_kg_d: float, horizon_d: int) -> np.ndarray:
        """Which lots in the cold store to keep: those for which some later day (1 to
        ``horizon_d`` days on) is expected to pay more than selling on this trunk, net
        of the cold store's running cost per kg-day. ``cold_expiry_h``: expiry in the
        cold; ``trip_h``: the trunk's time to the market (ageing at the reefer rate)."""
        if not len(crop):
            return np.zeros(0, dtype=bool)
        f, fr = self.cold_factor[crop], self.reefer_factor[crop]
        days = np.arange(0, horizon_d + 1, dtype=float)[:, None]        # (days, lots)
        leave = now + 24.0 * days
        left = (cold_expiry_h[None, :] - leave) / f[None, :] - trip_h / fr[None, :]
        value = self.value_per_kg(crop[None, :], leave + trip_h, left) - cost_per_kg_d * days
        return value[1:].max(axis=0) > value[0] + 1e-9 if horizon_d else np.zeros(len(crop), dtype=bool)
