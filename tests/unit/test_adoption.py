"""Bass adoption: closed form against hand and ODE-solver values, exactness and
semigroup property of the step, damping, and the service feedback factor."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from sim.rollout.adoption import bass_share, bass_step, service_damping

P, Q, M = 0.03, 0.38, 0.6


def ode_solution(f0, p, q, m, t_end, damping=1.0):
    """dF/dt = damping (p + q F/m)(m - F) integrated numerically (independent of the closed form)."""
    sol = solve_ivp(lambda t, f: damping * (p + q * f / m) * (m - f), (0.0, t_end), [f0],
                    method="DOP853", rtol=1e-13, atol=1e-15)
    assert sol.success
    return sol.y[0, -1]


# ---------------------------------------------------------------- bass_share

def test_share_endpoints():
    assert bass_share(0.0, P, Q, M) == 0.0
    assert bass_share(np.inf, P, Q, M) == pytest.approx(M, abs=1e-15)
    assert bass_share(1000.0, P, Q, M) == pytest.approx(M, abs=1e-15)


def test_share_hand_value_t12():
    # (p+q) t = 0.41 * 12 = 4.92; E = exp(-4.92) = 0.0072991308...
    # q/p = 0.38/0.03 = 12.6667; F = 0.6 (1 - E) / (1 + 12.6667 E) = 0.6 * 0.9927009 / 1.0924557 = 0.5452125...
    e = math.exp(-4.92)
    assert e == pytest.approx(0.0072991308, abs=1e-10)
    f = float(bass_share(12.0, P, Q, M))
    assert f == pytest.approx(0.545212537883216, abs=1e-12)
    assert f == pytest.approx(ode_solution(0.0, P, Q, M, 12.0), abs=1e-8)


def test_share_against_ode_at_several_times():
    t = np.array([0.5, 3.0, 7.0, 24.0, 60.0])
    got = bass_share(t, 0.01, 0.5, 0.35)
    want = [ode_solution(0.0, 0.01, 0.5, 0.35, ti) for ti in t]
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_share_vectorised_zero_before_opening_monotone_bounded():
    t = np.linspace(-12, 120, 500)
    f = bass_share(t, P, Q, M)
    assert f.shape == t.shape
    assert np.all(f[t <= 0] == 0.0)
    assert np.all(np.diff(f) >= 0)
    assert np.all((f >= 0) & (f <= M))
    assert bass_share(-np.inf, P, Q, M) == 0.0


def test_share_without_imitation_is_exponential():
    # q = 0: F = m (1 - exp(-p t))
    assert float(bass_share(10.0, 0.05, 0.0, 0.8)) == pytest.approx(0.8 * (1 - math.exp(-0.5)), rel=1e-14)


@pytest.mark.parametrize("kwargs, word", [
    (dict(p=0.0), "p "), (dict(p=-0.1), "p "), (dict(p=np.nan), "p "),
    (dict(q=-0.2), "q "), (dict(ceiling=0.0), "ceiling"), (dict(ceiling=1.2), "ceiling"),
])
def test_share_rejects_bad_parameters(kwargs, word):
    args = dict(p=P, q=Q, ceiling=M) | kwargs
    with pytest.raises(ValueError, match=word):
        bass_share(1.0, **args)


def test_share_rejects_nan_time():
    with pytest.raises(ValueError, match="nan"):
        bass_share([1.0, np.nan], P, Q, M)


# ---------------------------------------------------------------- bass_step

@pytest.mark.parametrize("t", [0.0, 0.25, 1.0, 12.0, 36.0, 200.0])
def test_step_from_zero_equals_closed_form(t):
    got = bass_step(np.zeros(3), P, Q, M, dt_m=t)
    np.testing.assert_allclose(got, bass_share(t, P, Q, M), rtol=0, atol=1e-12)


def test_monthly_steps_follow_closed_form():
    f = np.zeros(1)
    for month in range(1, 61):
        f = bass_step(f, P, Q, M)
        assert f[0] == pytest.approx(float(bass_share(month, P, Q, M)), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(p=st.floats(1e-4, 0.2), q=st.floats(0.0, 1.0), m=st.floats(0.05, 1.0),
       frac0=st.floats(0.0, 1.0), dt1=st.floats(0.0, 24.0), dt2=st.floats(0.0, 24.0),
       damping=st.floats(0.0, 1.0))
def test_step_semigroup(p, q, m, frac0, dt1, dt2, damping):
    f0 = np.array([frac0 * m])
    two = bass_step(bass_step(f0, p, q, m, dt1, damping), p, q, m, dt2, damping)
    one = bass_step(f0, p, q, m, dt1 + dt2, damping)
    np.testing.assert_allclose(two, one, rtol=0, atol=1e-12)


def test_damping_zero_freezes():
    f0 = np.array([0.0, 0.1, 0.3, M])
    np.testing.assert_array_equal(bass_step(f0, P, Q, M, dt_m=50.0, damping=0.0), f0)


def test_zero_step_is_identity():
    f0 = np.array([0.0, 0.2, M])
    np.testing.assert_array_equal(bass_step(f0, P, Q, M, dt_m=0.0), f0)


def test_damping_below_one_is_slower():
    f0 = np.array([0.0, 0.05, 0.3, 0.55])
    full = bass_step(f0, P, Q, M, dt_m=3.0, damping=1.0)
    half = bass_step(f0, P, Q, M, dt_m=3.0, damping=0.5)
    tenth = bass_step(f0, P, Q, M, dt_m=3.0, damping=0.1)
    assert np.all(tenth < half) and np.all(half < full)
    assert np.all(tenth > f0)


def test_damping_per_village():
    f0 = np.array([0.1, 0.1, 0.1])
    d = np.array([1.0, 0.5, 0.0])
    got = bass_step(f0, P, Q, M, dt_m=2.0, damping=d)
    for i in range(3):
        assert got[i] == bass_step(f0[i:i + 1], P, Q, M, dt_m=2.0, damping=d[i])[0]
    assert got[2] == 0.1


@pytest.mark.parametrize("f0", [0.0, 0.02, 0.3, 0.59])
@pytest.mark.parametrize("dt", [0.5, 6.0, 30.0])
def test_step_with_half_damping_against_ode(f0, dt):
    got = bass_step(np.array([f0]), P, Q, M, dt_m=dt, damping=0.5)[0]
    assert got == pytest.approx(ode_solution(f0, P, Q, M, dt, damping=0.5), abs=1e-9)


def test_step_is_time_scaled_by_damping():
    # constant damping d is the undamped curve run at d times the speed
    f0 = np.array([0.0, 0.2])
    np.testing.assert_allclose(bass_step(f0, P, Q, M, 10.0, 0.4), bass_step(f0, P, Q, M, 4.0, 1.0),
                               rtol=0, atol=1e-14)


@settings(max_examples=150, deadline=None)
@given(p=st.floats(1e-4, 0.2), q=st.floats(0.0, 1.0), m=st.floats(0.05, 1.0),
       damping=st.floats(0.0, 1.0), dt=st.floats(0.01, 6.0))
def test_step_path_monotone_and_bounded(p, q, m, damping, dt):
    f = np.array([0.0, 0.5 * m, m])
    for _ in range(30):
        g = bass_step(f, p, q, m, dt, damping)
        assert np.all(g >= f) and np.all(g <= m)
        f = g
    assert f[2] == m                      # the ceiling is a fixed point


@pytest.mark.parametrize("kwargs, word", [
    (dict(share=np.array([-0.01])), "share"), (dict(share=np.array([0.7])), "share"),
    (dict(share=np.array([np.nan])), "share"),
    (dict(damping=1.5), "damping"), (dict(damping=-0.1), "damping"), (dict(damping=np.nan), "damping"),
    (dict(dt_m=-1.0), "dt_m"), (dict(dt_m=np.inf), "dt_m"),
])
def test_step_rejects_bad_input(kwargs, word):
    args = dict(share=np.array([0.1]), p=P, q=Q, ceiling=M) | kwargs
    with pytest.raises(ValueError, match=word):
        bass_step(**args)


# ---------------------------------------------------------------- service_damping

def test_service_damping_values():
    lead = np.array([0.0, 24.0, 48.0, 72.0, 96.0, np.nan])
    np.testing.assert_allclose(service_damping(lead, 48.0), [1, 1, 1, 48 / 72, 0.5, 1], rtol=1e-15)
    np.testing.assert_allclose(service_damping(lead, 48.0, elasticity=2.0),
                               [1, 1, 1, (2 / 3) ** 2, 0.25, 1], rtol=1e-15)
    np.testing.assert_array_equal(service_damping(lead, 48.0, elasticity=0.0), np.ones(6))
    assert float(service_damping(np.inf, 48.0)) == 0.0


def test_service_damping_feeds_step():
    d = service_damping(np.array([24.0, 96.0]), 48.0)
    got = bass_step(np.array([0.1, 0.1]), P, Q, M, 1.0, d)
    assert got[1] < got[0]


@pytest.mark.parametrize("args, word", [
    ((np.array([-1.0]), 48.0), "lead_time_h"), ((np.array([1.0]), 0.0), "reference_h"),
    ((np.array([1.0]), 48.0, -1.0), "elasticity"),
])
def test_service_damping_rejects_bad_input(args, word):
    with pytest.raises(ValueError, match=word):
        service_damping(*args)


def test_bass_share_with_the_smallest_innovation_coefficient_has_no_overflow():
    import warnings
    t = np.array([0.5, 12.0, 1000.0, 2000.0, 5000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # q / p overflows: no warning, no nan
        f = bass_share(t, 5e-324, 0.38, 0.6)
    assert np.all(np.isfinite(f)) and np.all((f >= 0) & (f <= 0.6))
    assert np.all(np.diff(f) >= 0) and f[0] == 0.0 and f[-1] == pytest.approx(0.6)
    # in between, F = m / (1 + (q/p) e^{-(p+q)t}) with (q/p) e^{-qt} = e^{ln q - ln p - q t}, about e^{363} at
    # t = 1000 months: F is about 0.6 e^{-363}
    assert 0.0 < f[2] < 1e-150
