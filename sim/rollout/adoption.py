"""Bass diffusion of online shopping in a village after its e-commerce station opens:
the closed-form adoption curve, an exact per-village step with service feedback, and
the feedback factor itself."""
from __future__ import annotations

import numpy as np


def _first_bad(x: np.ndarray, bad: np.ndarray):
    """The first offending element of ``x`` where ``bad`` (broadcast), as a Python scalar."""
    return np.broadcast_to(x, bad.shape)[bad].flat[0].item()


def _check_params(p, q, ceiling) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = np.asarray(ceiling, dtype=float)
    bad = ~(np.isfinite(p) & (p > 0))
    if bad.any():
        raise ValueError(f"p (coefficient of innovation per month) = {_first_bad(p, bad)!r}; "
                         "allowed: a finite number > 0")
    bad = ~(np.isfinite(q) & (q >= 0))
    if bad.any():
        raise ValueError(f"q (coefficient of imitation per month) = {_first_bad(q, bad)!r}; "
                         "allowed: a finite number >= 0")
    bad = ~((m > 0) & (m <= 1))
    if bad.any():
        raise ValueError(f"ceiling (share of residents who eventually shop online) = {_first_bad(m, bad)!r}; "
                         "allowed: 0 < ceiling <= 1")
    return p, q, m


def bass_share(t_m, p, q, ceiling) -> np.ndarray:
    """Share of residents (0..ceiling) who shop online ``t_m`` months after the station opened.

    Closed-form Bass curve ``F(t) = m (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})`` with
    ``p`` the coefficient of innovation per month (> 0), ``q`` the coefficient of
    imitation per month (>= 0) and ``m = ceiling`` in (0, 1]. ``F(0) = 0``,
    ``F(inf) = m``; before opening (``t_m < 0``) the share is 0. Vectorised over
    ``t_m`` (the parameters broadcast too); NaN times raise ValueError.
    """
    p, q, m = _check_params(p, q, ceiling)
    t = np.asarray(t_m, dtype=float)
    if np.isnan(t).any():
        raise ValueError(f"t_m (months since the station opened) = {_first_bad(t, np.isnan(t))!r}; "
                         "allowed: numbers (t < 0 means not yet open), not NaN")
    tt = np.maximum(t, 0.0)
    k = p + q
    with np.errstate(over="ignore"):
        ratio = np.asarray(q / p, dtype=float)
    if np.isfinite(ratio).all():
        imitation = ratio * np.exp(-k * tt)
    else:   # p so small that q / p overflows: (q / p) e^{-kt} as one exponential (inf * 0 would be nan)
        with np.errstate(divide="ignore", over="ignore"):   # (inf early on: F is 0 there, as it should be)
            imitation = np.exp(np.log(q) - np.log(p) - k * tt)
    f = m * -np.expm1(-k * tt) / (1.0 + imitation)
    return np.where(t > 0, f, 0.0)


def bass_step(share, p, q, ceiling, dt_m=1.0, damping=1.0) -> np.ndarray:
    """Advance adoption shares (one per village) exactly by ``dt_m`` months.

    Integrates ``dF/dt = damping (p + q F/m)(m - F)`` in closed form, with damping
    held constant over the step. With ``a = damping p`` and ``b = damping q / m`` the
    ODE is ``dF/dt = (a + bF)(m - F)``, whose roots are ``F = m`` and ``F = -a/b``;
    ``d/dt ln[(m - F)/(a + bF)] = -(a + bm) = -k`` with ``k = damping (p + q)``, so
    with ``E = exp(-k dt)``::

        F(dt) = [a m (1 - E) + F0 (b m + a E)] / [a + b m E + b F0 (1 - E)]

    From ``F0 = 0`` with damping 1 this is the Bass curve :func:`bass_share`, and
    steps compose (``step(step(F, s), t) == step(F, s + t)``) up to rounding.

    ``share`` must lie in [0, ceiling]; ``damping`` in [0, 1] (1 = no feedback,
    0 = adoption frozen over the step) may be one value or one per village;
    ``dt_m`` >= 0 months. The result is a float array in [0, ceiling].
    """
    p, q, m = _check_params(p, q, ceiling)
    f0 = np.asarray(share, dtype=float)
    bad = ~((f0 >= 0) & (f0 <= m))
    if bad.any():
        raise ValueError(f"share (adopting share of residents) = {_first_bad(f0, bad)!r}; "
                         "allowed: 0 <= share <= ceiling")
    dt = float(dt_m)
    if not (np.isfinite(dt) and dt >= 0):
        raise ValueError(f"dt_m (step length in months) = {dt_m!r}; allowed: a finite number >= 0")
    d = np.asarray(damping, dtype=float)
    bad = ~((d >= 0) & (d <= 1))
    if bad.any():
        raise ValueError(f"damping = {_first_bad(d, bad)!r}; allowed: 0 <= damping <= 1")

    a = d * p
    b = d * q / m
    kdt = d * (p + q) * dt
    e = np.exp(-kdt)
    one_minus_e = -np.expm1(-kdt)
    num = a * m * one_minus_e + f0 * (b * m + a * e)
    den = a + b * m * e + b * f0 * one_minus_e
    moves = (kdt > 0) & (den > 0)         # damping 0 (or so small it underflows) or dt 0: frozen
    f = np.where(moves, num / np.where(moves, den, 1.0), f0)
    return np.clip(f, f0, m)              # the exact path never falls or passes m; clip rounding only


def service_damping(lead_time_h, reference_h, elasticity=1.0) -> np.ndarray:
    """Feedback of delivery service on adoption: a damping factor in [0, 1] for :func:`bass_step`.

    ``1`` where the parcel lead time ``lead_time_h`` (hours) is at most
    ``reference_h`` (hours, > 0), else ``(reference_h / lead_time_h) ** elasticity``
    (``elasticity`` >= 0; 0 switches the feedback off). A NaN lead time (no parcels
    yet) gives 1; negative lead times raise ValueError. Vectorised over lead times.
    """
    lead = np.asarray(lead_time_h, dtype=float)
    ref = float(reference_h)
    el = float(elasticity)
    if not (np.isfinite(ref) and ref > 0):
        raise ValueError(f"reference_h (reference lead time in hours) = {reference_h!r}; "
                         "allowed: a finite number > 0")
    if not (np.isfinite(el) and el >= 0):
        raise ValueError(f"elasticity = {elasticity!r}; allowed: a finite number >= 0")
    bad = lead < 0
    if bad.any():
        raise ValueError(f"lead_time_h (hours) = {_first_bad(lead, bad)!r}; allowed: >= 0 or NaN (no data)")
    slow = lead > ref                      # False for NaN
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(slow, ref / np.where(slow, lead, 1.0), 1.0)
    return ratio ** el
