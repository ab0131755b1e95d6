"""The fast theory validation cases pass, report what they check, and their math helpers are right."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.validation import coverage, orders, queues, routes, theory
from sim.validation.core import CaseResult
from sim.validation.tsp import brute_force, held_karp, tour_length

FAST = [c for c in theory.CASES if not c.slow]


def test_case_list_is_well_formed():
    names = [c.name for c in theory.CASES]
    assert len(names) == len(set(names))
    assert {"erlang_c_fast", "erlang_c_slow", "kingman", "kingman_fast", "exact_gap", "bhh", "daganzo",
            "order_counts", "t_coverage", "model_coverage"} <= set(names)
    assert {c.name for c in FAST} == {"erlang_c_fast", "kingman_fast", "exact_gap", "county_tours", "order_counts"}


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
        if r.tol_rel is not None:  # a theory case states its relative tolerance; its interval is narrower
            assert r.hw_rel is not None and r.hw_rel < r.tol_rel, r
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


@pytest.mark.parametrize("n", range(1, 9))
def test_held_karp_equals_brute_force(n):
    rng = np.random.default_rng(100 + n)
    pts = rng.random((n, 2)) * 40.0
    dist = routes.euclid(pts)
    length, tour = held_karp(dist)
    assert sorted(tour) == list(range(n)) and tour[0] == 0
    assert tour_length(tour, dist) == pytest.approx(length, abs=1e-9)
    assert length == pytest.approx(brute_force(dist), abs=1e-9)


def test_held_karp_on_a_square_with_a_known_tour():
    # the corners of a 3 x 4 rectangle and the midpoints of its long sides: the perimeter, 14
    pts = np.array([[0, 0], [2, 0], [4, 0], [4, 3], [2, 3], [0, 3]], float)
    order = [0, 3, 1, 5, 2, 4]  # shuffled node order: the optimum must still be the perimeter
    length, _ = held_karp(routes.euclid(pts[order]))
    assert length == pytest.approx(14.0)
    with pytest.raises(ValueError):
        held_karp(np.zeros((13, 13)))


def test_model_tour_is_one_closed_route():
    pts = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], float)  # a unit square: the tour is its perimeter
    for method in ("savings", "nearest_neighbour"):
        assert routes.model_tour(routes.euclid(pts), method) == pytest.approx(4.0)


def test_season_table_by_hand():
    doy = np.array([1, 24, 25, 38, 39, 45, 46, 314, 315, 320, 321, 365])
    want = [1, 1, 2, 2, 0.2, 0.2, 1, 1, 3, 3, 1, 1]
    assert orders.season_table_multiplier(doy).tolist() == pytest.approx(want)


def test_coverage_band_by_hand():
    # true 0.8829, 1,000 trials: s.e. = sqrt(0.8829 x 0.1171 / 1000) = 0.010168
    lo, hi = coverage.coverage_band(0.8829, 1000)
    assert lo == pytest.approx(0.8829 - 3 * 0.010168, abs=1e-5)
    assert hi == pytest.approx(0.8829 + 3 * 0.010168, abs=1e-5)
    # the exponential n = 5 floor sits below the interval's true coverage (~0.883), not at 0.90
    assert lo < 0.8829 < 0.90


def test_exponential_t_coverage_at_n5_is_about_0_883():
    """An independent, vectorised check of the TRUE_COVERAGE constant (200,000 runs)."""
    rng = np.random.default_rng(7)
    x = rng.exponential(1.0, (200_000, 5))
    hw = stats.t.ppf(0.975, 4) * x.std(axis=1, ddof=1) / math.sqrt(5)
    cov = float(np.mean(np.abs(x.mean(axis=1) - 1.0) <= hw))
    assert cov == pytest.approx(coverage.TRUE_COVERAGE[("exponential", 5)], abs=4 * math.sqrt(0.883 * 0.117 / 2e5))


def test_best_routes_equals_one_tour_on_metric_distances_and_splits_when_that_is_shorter():
    import itertools

    import numpy as np

    from sim.validation.tsp import best_routes, held_karp
    rng = np.random.default_rng(5)
    for _ in range(5):
        pts = rng.random((7, 2))
        d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
        assert best_routes(d) == pytest.approx(held_karp(d)[0])
    # two far-apart villages next to each other's depot road: a detour-free network where
    # going 1 -> 2 directly costs more than returning to the depot in between
    d = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 5.0], [1.0, 5.0, 0.0]])
    assert held_karp(d)[0] == pytest.approx(7.0)       # 0-1-2-0
    assert best_routes(d) == pytest.approx(4.0)        # 0-1-0 and 0-2-0
    # against every partition into routes, each route its best order, on a random non-metric matrix
    m = rng.random((6, 6)) * 10
    m = (m + m.T) / 2
    np.fill_diagonal(m, 0.0)
    nodes = list(range(1, 6))

    def tour(sub):
        return min(sum(m[a, b] for a, b in zip((0, *p), (*p, 0), strict=True)) for p in itertools.permutations(sub))

    def partitions(items):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for k in range(len(rest) + 1):
            for combo in itertools.combinations(rest, k):
                left = [x for x in rest if x not in combo]
                for p in partitions(left):
                    yield [(first, *combo), *p]

    brute = min(sum(tour(s) for s in part) for part in partitions(nodes))
    assert best_routes(m) == pytest.approx(brute)
