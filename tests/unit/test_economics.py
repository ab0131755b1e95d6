"""Money: discounting and NPV against hand arithmetic, payback that holds, subsidy per
parcel, and the weighted Gini against a brute-force pairwise formula."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.economics import (
    break_even_month,
    cost_volume_elasticity,
    cumulative,
    discount_factors,
    gini,
    npv,
    recovery_month,
    subsidy_needed_per_parcel,
)

# ---------------------------------------------------------------- discounting

def test_discount_factor_month_11_is_one_year():
    for r in (0.0, 0.05, 0.12, -0.02):
        df = discount_factors(24, r)
        assert df[11] == pytest.approx(1 / (1 + r), rel=1e-14)
        assert df[23] == pytest.approx(1 / (1 + r) ** 2, rel=1e-14)


def test_discount_factors_end_of_month():
    df = discount_factors(3, 0.05)
    np.testing.assert_allclose(df, [1.05 ** (-1 / 12), 1.05 ** (-2 / 12), 1.05 ** (-3 / 12)], rtol=1e-15)
    assert df[0] < 1.0                       # month 0 is already discounted (paid at its end)
    assert discount_factors(0, 0.05).shape == (0,)
    np.testing.assert_array_equal(discount_factors(5, 0.0), np.ones(5))


@pytest.mark.parametrize("n, r, word", [(-1, 0.05, "n_months"), (2.5, 0.05, "n_months"), (True, 0.05, "n_months"),
                                        (3, -1.0, "annual_rate"), (3, np.nan, "annual_rate")])
def test_discount_factors_reject_bad_input(n, r, word):
    with pytest.raises(ValueError, match=word):
        discount_factors(n, r)


def test_npv_hand_example():
    # annual rate chosen so that one month discounts by exactly 1/1.01: (1+r)^(1/12) = 1.01
    r = 1.01 ** 12 - 1
    # month 0: -1000 / 1.01    = -990.0990099...
    # month 1:   500 / 1.01^2  =  490.1480247...
    # month 2:   800 / 1.01^3  =  776.4703...  (1.01^3 = 1.030301; 800 / 1.030301 = 776.47211...)
    # total                    =  276.52...
    hand = -1000 / 1.01 + 500 / 1.0201 + 800 / 1.030301
    assert hand == pytest.approx(276.5211, abs=1e-3)
    assert npv([-1000.0, 500.0, 800.0], r) == pytest.approx(hand, rel=1e-12)


def test_npv_zero_rate_and_empty():
    assert npv([1.0, -2.0, 3.5], 0.0) == pytest.approx(2.5, rel=1e-15)
    assert npv([], 0.08) == 0.0
    assert isinstance(npv(np.array([1.0]), 0.1), float)


def test_npv_rejects_nan():
    with pytest.raises(ValueError, match="nan"):
        npv([1.0, np.nan], 0.05)


# ---------------------------------------------------------------- break-even

@pytest.mark.parametrize("flows, month", [
    ([5.0, 1.0, 0.0, 2.0], 0),                    # cumulative never negative
    ([0.0, 0.0], 0),                              # zero counts as broken even
    ([-10.0, 4.0, 4.0, 4.0, 4.0], 3),             # cumulative -10, -6, -2, 2, 6
    ([-10.0, 10.0, 1.0], 1),                      # exactly 0 at month 1 holds
    ([-10.0, 15.0, -8.0, 2.0, 5.0], 4),           # -10, 5, -3, -1, 4: recovers, dips, recovers later
    ([3.0, -5.0, 4.0], 2),                        # 3, -2, 2: starts positive, dips, recovers
])
def test_break_even_month_hand_cases(flows, month):
    assert break_even_month(flows) == month


@pytest.mark.parametrize("flows", [[-1.0, -1.0, -1.0], [-10.0, 15.0, -8.0], [2.0, -3.0], []])
def test_break_even_month_never(flows):
    assert break_even_month(flows) is None


def test_break_even_month_returns_int():
    assert type(break_even_month(np.array([-1.0, 2.0]))) is int


# ---------------------------------------------------------------- subsidy

def test_subsidy_per_parcel():
    opex = [1000.0, 1000.0, 1000.0, 500.0]
    rev = [400.0, 1200.0, 1000.0, 100.0]
    parcels = [300.0, 500.0, 10.0, 0.0]
    got = subsidy_needed_per_parcel(opex, rev, parcels)
    # 600/300 = 2; revenue covers opex -> 0; exactly covered -> 0; no parcels -> NaN
    np.testing.assert_array_equal(got[:3], [2.0, 0.0, 0.0])
    assert np.isnan(got[3])


@pytest.mark.parametrize("args, word", [
    (([1.0, 2.0], [1.0], [1.0, 1.0]), "length"),
    (([1.0], [0.0], [-3.0]), "parcels"),
])
def test_subsidy_rejects_bad_input(args, word):
    with pytest.raises(ValueError, match=word):
        subsidy_needed_per_parcel(*args)


# ---------------------------------------------------------------- gini

def pairwise_gini(x, w):
    """Brute force: sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu), mu = sum w x / W."""
    x = np.asarray(x, float)
    w = np.asarray(w, float)
    W = w.sum()
    mu = (w * x).sum() / W
    if mu == 0:
        return 0.0
    total = 0.0
    for i in range(len(x)):
        for j in range(len(x)):
            total += w[i] * w[j] * abs(x[i] - x[j])
    return total / (2 * W * W * mu)


def test_gini_hand_values():
    assert gini([3.0, 3.0, 3.0]) == pytest.approx(0.0, abs=1e-15)
    assert gini([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.75, abs=1e-15)
    assert gini([0.0, 0.0, 0.0]) == 0.0
    assert gini([7.0]) == pytest.approx(0.0, abs=1e-15)
    # [1, 3]: mean 2, pairs |1-3| twice -> 4 / (2 * 4 * 2) = 0.25
    assert gini([3.0, 1.0]) == pytest.approx(0.25, rel=1e-14)


def test_gini_weights_are_frequencies():
    # weight 3 on value 0, weight 1 on value 1 == [0, 0, 0, 1]
    assert gini([1.0, 0.0], weights=[1.0, 3.0]) == pytest.approx(0.75, rel=1e-14)
    assert gini([2.0, 5.0, 1.0], weights=[2, 1, 3]) == pytest.approx(gini([2, 2, 5, 1, 1, 1]), rel=1e-13)
    # zero weight drops a unit
    assert gini([1.0, 100.0, 1.0], weights=[1.0, 0.0, 1.0]) == pytest.approx(0.0, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.tuples(st.floats(0.0, 1e4, allow_subnormal=False),
                               st.one_of(st.just(0.0), st.floats(1e-3, 100.0))),
                    min_size=1, max_size=25))  # no subnormal weights: the brute-force reference underflows there
def test_gini_matches_pairwise_weighted(data):
    x = np.array([d[0] for d in data])
    w = np.array([d[1] for d in data])
    if w.sum() <= 1e-6:
        w = w + 1.0
    g = gini(x, w)
    assert 0.0 <= g <= 1.0
    assert g == pytest.approx(pairwise_gini(x, w), abs=1e-9)
    assert gini(x) == pytest.approx(pairwise_gini(x, np.ones_like(x)), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(x=st.lists(st.floats(0.0, 1e3, allow_subnormal=False), min_size=2, max_size=20), k=st.floats(0.01, 100.0),
       seed=st.integers(0, 2**32 - 1))
def test_gini_scale_and_order_invariant(x, k, seed):
    x = np.array(x)
    perm = np.random.default_rng(seed).permutation(len(x))
    assert gini(x * k) == pytest.approx(gini(x), abs=1e-9)
    assert gini(x[perm]) == pytest.approx(gini(x), abs=1e-12)


@pytest.mark.parametrize("values, weights, word", [
    ([1.0, -0.5], None, "values"), ([], None, "empty"), ([1.0, np.nan], None, "values"),
    ([1.0, 2.0], [1.0], "weights"), ([1.0, 2.0], [1.0, -1.0], "weights"), ([1.0, 2.0], [0.0, 0.0], "weights"),
])
def test_gini_rejects_bad_input(values, weights, word):
    with pytest.raises(ValueError, match=word):
        gini(values, weights)


# ---------------------------------------------------------------- cumulative

def test_cumulative():
    got = cumulative([1, -2, 3])
    assert got.dtype == float
    np.testing.assert_array_equal(got, [1.0, -1.0, 2.0])
    assert cumulative([]).shape == (0,)


# --- recovery month of a cumulative series, cost-volume elasticity ------------------------------------

@pytest.mark.parametrize("months, cum, expected", [
    ([0, 1, 2, 3], [-5.0, -2.0, 1.0, 4.0], 2),
    ([0, 1, 2, 3], [1.0, 2.0, 3.0, 4.0], 0),          # never negative: from the first month
    ([0, 1, 2, 3], [-1.0, 2.0, -1.0, 3.0], 3),        # only after the last dip
    ([0, 1, 2, 3], [-1.0, 2.0, 3.0, -0.5], None),     # negative at the end
    ([3, 6, 9], [-4.0, float("nan"), 2.0], 9),        # NaN ignored, months as given
    ([], [], None),
])
def test_recovery_month(months, cum, expected):
    assert recovery_month(months, cum) == expected


def test_recovery_month_lengths_must_match():
    with pytest.raises(ValueError, match="must match"):
        recovery_month([0, 1], [1.0])


def test_cost_volume_elasticity_of_a_power_law():
    volume = np.array([10.0, 100.0, 1000.0, 10000.0])
    assert cost_volume_elasticity(volume, 50.0 * volume ** -0.3) == pytest.approx(-0.3)
    assert cost_volume_elasticity(volume, np.full(4, 7.0)) == pytest.approx(0.0, abs=1e-12)


def test_cost_volume_elasticity_needs_three_usable_points():
    assert np.isnan(cost_volume_elasticity([10.0, 100.0, 0.0, np.nan], [5.0, 3.0, 2.0, 1.0]))
    assert np.isnan(cost_volume_elasticity([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]))  # no spread in volume
