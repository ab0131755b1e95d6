"""The fast theory validation cases pass, report what they check, and their math helpers are right."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.validation import orders, queues, theory
from sim.validation.core import CaseResult

FAST = [c for c in theory.CASES if not c.slow]


def test_case_list_is_well_formed():
    names = [c.name for c in theory.CASES]
    assert len(names) == len(set(names))
    assert {"erlang_c_fast", "erlang_c_slow", "kingman", "kingman_fast", "bhh", "daganzo", "order_counts",
            "t_coverage"} <= set(names)
    assert {c.name for c in FAST} == {"erlang_c_fast", "kingman_fast", "bhh", "daganzo", "order_counts"}


@pytest.mark.parametrize("case", FAST, ids=[c.name for c in FAST])
def test_fast_case_passes(case, tmp_path):
    results = case.run(tmp_path / "figures")
    assert results
    for r in results:
        assert isinstance(r, CaseResult)
        assert r.group in ("theory", "statistics")
        assert r.checks.strip() and r.source.strip() and r.tolerance.strip()
        assert math.isfinite(r.simulated), r
        assert isinstance(r.expected, float) and math.isfinite(r.expected), r
        assert r.replications >= 1
        if r.figure:
            assert (tmp_path / "figures" / r.figure).is_file(), r.figure
        assert r.passed, (r.case, r.expected, r.simulated, r.half_width, r.tolerance, r.note)
    assert len({r.case for r in results}) == len(results)
    assert any(r.figure for r in results)


def test_kingman_formula_by_hand():
    # ca = 0, cs = 1, rho = 0.8, E[S] = 2: (0 + 1)/2 * 0.8/0.2 * 2 = 4
    assert queues.kingman_wq(0.8, 0.0, 1.0, 2.0) == pytest.approx(4.0)
    # M/M/1 (ca = cs = 1): Kingman is exact, rho/(1-rho) E[S]
    assert queues.kingman_wq(0.5, 1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert queues.klb_factor(0.7, 1.0, 0.25) == pytest.approx(1.0)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.7, 0.8, 0.9, 0.99])
def test_dm1_sigma_solves_its_equation(rho):
    s = queues.dm1_sigma(rho)
    assert 0.0 < s < 1.0
    assert s == pytest.approx(math.exp(-(1.0 - s) / rho), rel=1e-10)
    # the wait grows with load and is below Kingman (= M/M/1 halved: ca = 0)
    assert queues.dm1_mean_wait(rho) < queues.kingman_wq(rho, 0.0, 1.0)


def test_dm1_sigma_limits():
    assert queues.dm1_sigma(0.05) == pytest.approx(math.exp(-20.0), rel=1e-6)  # sigma ~ e^{-1/rho}
    assert queues.dm1_sigma(0.01) < 1e-40
    sig = [queues.dm1_sigma(r) for r in (0.2, 0.5, 0.8, 0.95)]
    assert sig == sorted(sig)
    with pytest.raises(ValueError):
        queues.dm1_sigma(1.0)


def test_spitzer_series_matches_dm1_and_heavy_traffic():
    for rho in (0.5, 0.8, 0.9):
        assert queues.dgamma1_mean_wait(rho, 1.0) == pytest.approx(queues.dm1_mean_wait(rho), rel=1e-9)
    # less variable service waits less; near rho = 1 Kingman becomes exact
    assert queues.dgamma1_mean_wait(0.8, 0.5) < queues.dgamma1_mean_wait(0.8, 1.0)
    assert queues.dgamma1_mean_wait(0.98, 0.5) / queues.kingman_wq(0.98, 0.0, 0.25) == pytest.approx(1.0, abs=0.06)


def test_dispersion_index_and_gof_helpers():
    rng = np.random.default_rng(5)
    x = rng.poisson(12.0, 50_000)
    d, se = orders.dispersion_index(x)
    assert se == pytest.approx(math.sqrt(2 / len(x)), rel=0.1)
    assert abs(d - 1.0) < 4 * se
    _, df, p = orders.chi2_gof(x, stats.poisson(12.0))
    assert df > 5 and p > 0.001
    _, _, p_bad = orders.chi2_gof(x, stats.poisson(12.5))
    assert p_bad < 1e-6
