"""Quality decay, seasonal prices and the cold store's holding policy, against closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from sim.config.crops import Crop
from sim.config.market import MarketConfig
from sim.config.scenario import HubConfig, scenario_from_data
from sim.county.batches import Lots
from sim.county.hub import Hub
from sim.county.quality import Quality
from sim.county.rng import generator
from sim.county.sorting import UnitDraws
from sim.errors import InputError

DECAY = MarketConfig(quality_decay=True, q10=2.5, ambient_c=20.0, cold_c=5.0, loss_quality=0.5)


@pytest.mark.parametrize("cold", [False, True])
def test_a_lot_held_at_one_temperature_decays_as_the_closed_form(cold):
    """A 100 kg lemon lot (shelf life 10 d) held in the hub, ambient or in the cold
    store from its offer: q(t) = exp(-k t / f), k = ln 2 / 240 h, f = 2.5 ** 1.5 in the
    cold (5 C against 20 C), 1 at ambient; lost once q < 0.5."""
    quality = Quality(DECAY, (Crop(shelf_life_d=10.0),), 182)
    env = simpy.Environment()
    hub = Hub(env, HubConfig(cold_store_kg=1000.0 if cold else 0.0), np.zeros(1, dtype=np.int64), 1,
              UnitDraws(generator(1, 0, "sorting"), "exponential", 1.0), quality.cold_factor)
    hub.receive_produce(Lots([0], [0], [0.0], [240.0], [100.0]), 0.0)
    f = 2.5 ** 1.5 if cold else 1.0
    k = math.log(2.0) / 240.0
    for t in (24.0, 100.0, 239.0, 500.0, 900.0):
        env.run(until=t)
        store = hub.cold if cold else hub.ambient
        left = (store.t_expiry - t) / f          # ambient-equivalent hours left, as the hub loads the trunk
        got = float(quality.quality(store.crop, left)[0])
        want = math.exp(-k * t / f)
        assert got == pytest.approx(want if want >= 0.5 else 0.0, rel=1e-12)


def test_binary_shelf_life_is_the_special_case():
    """Without decay a lot has full value until its shelf life and none after; with
    decay and elasticity 0 the value is the same step."""
    crops = (Crop(shelf_life_d=10.0, cold_shelf_life_d=40.0),)
    binary = Quality(MarketConfig(), crops, 182)
    step = Quality(MarketConfig(quality_decay=True, price_quality_elasticity=0.0), crops, 182)
    left = np.array([240.0, 100.0, 0.0, -1.0])
    c = np.zeros(4, dtype=np.intp)
    assert list(binary.grade(c, left)) == [1.0, 1.0, 1.0, 0.0]
    assert list(step.grade(c, left)) == [1.0, 1.0, 1.0, 0.0]
    assert binary.cold_factor[0] == 4.0


def test_seasonal_price_follows_its_cosine():
    """Price on day of year d = 3.5 x (1 - 0.3 cos(2 pi (d - 335) / 365)): lowest on
    day 335 (0.7 x), highest half a year later (1.3 x); the run starts on day 182."""
    q = Quality(MarketConfig(), (Crop(price_amplitude=0.3, price_low_doy=335),), 182)
    c = np.zeros(1, dtype=np.intp)
    assert q.price_at(c, np.array([24.0 * (335 - 182)]))[0] == pytest.approx(3.5 * 0.7)
    assert q.price_at(c, np.array([24.0 * (335 - 182 + 182.5)]))[0] == pytest.approx(3.5 * 1.3)
    assert q.price_at(c, np.array([24.0 * (335 - 182 + 365 / 4)]))[0] == pytest.approx(3.5, abs=1e-12)


def test_hold_only_while_a_later_day_pays_more():
    """Binary grade, price rising after its low, no storage cost: a lot with many cold
    days left is held; one that would be lost before the next day is sold now; with the
    price falling (just after its high) nothing is held."""
    market = MarketConfig(quality_decay=True, price_quality_elasticity=0.0)
    q = Quality(market, (Crop(price_amplitude=0.3, price_low_doy=335),), 182)
    now = 24.0 * (335 - 182 + 10)                      # ten days after the low: the price rises
    crop = np.zeros(2, dtype=np.intp)
    cold_expiry = np.array([now + 24.0 * 30, now + 10.0])   # 30 cold days left; 10 h left
    held = q.hold(crop, cold_expiry, now, 2.5, 0.0, 90)
    assert list(held) == [True, False]
    later = 24.0 * (335 - 182 + 182.5 + 5)             # five days after the high: the price falls
    assert not q.hold(crop, cold_expiry - now + later, later, 2.5, 0.0, 90).any()
    # a storage cost above the daily price gain (about 3.5 x 0.3 x 2 pi / 365 x sin(...) < 0.02 CNY/kg/d) stops it
    assert not q.hold(crop, cold_expiry, now, 2.5, 0.05, 90).any()


def test_reefer_needs_quality_decay():
    with pytest.raises(InputError, match=r"market\.reefer_trunk"):
        scenario_from_data({"market": {"reefer_trunk": True}}, "cfg.yaml")
