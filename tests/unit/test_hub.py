"""The hub's sorting queue against queueing theory (Erlang C, Little's law)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scipy import stats

from sim.analysis.queueing import erlang_c, mmc_mean_wait
from sim.config.scenario import HubConfig, Scenario
from sim.county.batches import Chunk
from sim.county.hub import Hub
from sim.county.kpis import run_replication
from sim.county.rng import generator
from sim.county.sorting import UnitDraws


def test_erlang_c_known_values():
    # M/M/1: P(wait) = rho; M/M/2 with a = 1: C = 1/3
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho/(mu - lambda)
    with pytest.raises(ValueError):
        erlang_c(2, 2.5)


def simulate_mmc(servers: int, rho: float, seed: int, jobs: int = 6000, warmup: int = 1000):
    """Poisson arrivals of one-parcel sort lots at the hub with exponential sorting."""
    mu = 60.0  # parcels per hour per sorter
    lam = rho * servers * mu
    env = simpy.Environment()
    cfg = HubConfig(sorters=servers, sort_rate_parcels_per_h=mu, sort_time_distribution="exponential")
    hub = Hub(env, cfg, np.zeros(1, dtype=np.int64), 1, UnitDraws(generator(seed, 0, "sorting"), "exponential", 1.0),
              np.ones(1))
    gaps = generator(seed, 0, "orders").exponential(1.0 / lam, jobs)

    def arrivals():
        for g in gaps:
            yield env.timeout(g)
            hub.receive([Chunk(np.zeros(1, np.int64), np.zeros(1), np.array([0, 1]))])

    env.process(arrivals())
    env.run()
    hub.settle()
    waits = np.array(hub.lot_waits_h[warmup:])
    return waits.mean(), (waits > 0).mean(), lam, mu


@pytest.mark.parametrize("servers,rho", [(1, 0.5), (2, 0.7), (4, 0.8)])
def test_hub_sorting_as_mmc_matches_erlang_c(servers, rho):
    reps = [simulate_mmc(servers, rho, seed) for seed in range(10)]
    means = np.array([r[0] for r in reps])
    pwait = np.array([r[1] for r in reps])
    lam, mu = reps[0][2], reps[0][3]
    wq = mmc_mean_wait(servers, lam, mu)
    pw = erlang_c(servers, lam / mu)
    t = stats.t.ppf(0.995, len(reps) - 1)
    hw = t * means.std(ddof=1) / math.sqrt(len(reps))
    assert abs(means.mean() - wq) <= hw, (means.mean(), wq, hw)
    hw_p = t * pwait.std(ddof=1) / math.sqrt(len(reps))
    assert abs(pwait.mean() - pw) <= hw_p, (pwait.mean(), pw, hw_p)


def test_littles_law_at_the_hub_over_a_year():
    res = run_replication(Scenario(), 0)
    h = res.checks.hub
    T = 365 * 24.0
    L = h.parcel_hours / T
    lam = h.parcels_in / T
    W = h.time_in_h / h.parcels_out
    assert L == pytest.approx(lam * W, rel=0.01)
    # and exactly, counting the time of parcels still in the hub at the end
    assert h.parcel_hours == pytest.approx(h.time_in_h + h.residual_h, rel=1e-12)


def test_unit_draws_have_unit_mean_and_the_requested_spread():
    for dist, cv in [("exponential", 1.0), ("gamma", 0.3), ("lognormal", 0.5), ("deterministic", 0.0)]:
        d = UnitDraws(np.random.default_rng(1), dist, cv)
        x = np.array([d.next() for _ in range(20000)])
        assert x.mean() == pytest.approx(1.0, abs=0.03)
        assert x.std() == pytest.approx(cv, abs=0.03)
