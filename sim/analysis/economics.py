"""Money: monthly discounting, net present value, payback, subsidy per parcel, the cost
elasticity to volume and the Gini coefficient of how benefits spread across villages."""
from __future__ import annotations

import numbers

import numpy as np


def _series(x, name: str) -> np.ndarray:
    """``x`` as a finite 1-D float array (one entry per month or per unit)."""
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} has shape {a.shape!r}; allowed: a 1-D sequence")
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{name} contains {a[bad][0].item()!r}; allowed: finite numbers")
    return a


def discount_factors(n_months: int, annual_rate: float) -> np.ndarray:
    """Discount factors for ``n_months`` monthly cash flows at an annual rate.

    End-of-month convention: the cash flow of month ``k`` (0-based) arrives at the
    end of that month and is discounted by ``(1 + annual_rate) ** (-(k + 1) / 12)``,
    so month 11 is discounted by exactly ``1 / (1 + annual_rate)``. ``annual_rate``
    is a fraction per year (0.05 = 5 %), > -1.
    """
    if isinstance(n_months, bool) or not isinstance(n_months, numbers.Integral) or n_months < 0:
        raise ValueError(f"n_months = {n_months!r}; allowed: an integer >= 0")
    r = float(annual_rate)
    if not (np.isfinite(r) and r > -1):
        raise ValueError(f"annual_rate = {annual_rate!r}; allowed: a finite fraction per year > -1")
    k = np.arange(int(n_months), dtype=float)
    return (1.0 + r) ** (-(k + 1.0) / 12.0)


def npv(cash_flows_cny, annual_rate) -> float:
    """Net present value (CNY) of monthly cash flows (CNY, month 0 first).

    ``sum_k cash_flows_cny[k] * discount_factors(n, annual_rate)[k]`` (end-of-month
    convention, see :func:`discount_factors`); an empty series gives 0.0.
    """
    cf = _series(cash_flows_cny, "cash_flows_cny")
    return float(np.dot(cf, discount_factors(len(cf), annual_rate)))


def break_even_month(cash_flows_cny) -> int | None:
    """The payback month that holds: the first month (0-based) from which the cumulative
    cash flow (CNY) stays >= 0 until the end of the series.

    A series whose cumulative never goes negative breaks even at month 0; a series
    that recovers and then dips below zero again breaks even only after the last dip.
    None if the cumulative is negative in the last month, or the series is empty.
    Undiscounted; pass discounted flows for a discounted payback.
    """
    cum = np.cumsum(_series(cash_flows_cny, "cash_flows_cny"))
    if len(cum) == 0 or cum[-1] < 0:
        return None
    negative = np.flatnonzero(cum < 0)
    return 0 if len(negative) == 0 else int(negative[-1]) + 1


def subsidy_needed_per_parcel(opex_cny, revenue_cny, parcels) -> np.ndarray:
    """Subsidy needed per parcel (CNY/parcel) in each month: ``max(0, opex - revenue) / parcels``.

    ``opex_cny`` and ``revenue_cny`` are monthly CNY, ``parcels`` monthly counts (>= 0),
    all 1-D of equal length. NaN where a month has no parcels (the subsidy per
    parcel is undefined there, even if no subsidy is needed).
    """
    opex = _series(opex_cny, "opex_cny")
    rev = _series(revenue_cny, "revenue_cny")
    n = _series(parcels, "parcels")
    if not (len(opex) == len(rev) == len(n)):
        raise ValueError(f"lengths opex_cny={len(opex)}, revenue_cny={len(rev)}, parcels={len(n)}; "
                         "allowed: equal lengths (one entry per month)")
    if (n < 0).any():
        raise ValueError(f"parcels contains {n[n < 0][0].item()!r}; allowed: counts >= 0")
    gap = np.maximum(0.0, opex - rev)
    out = np.full(len(n), np.nan)
    np.divide(gap, n, out=out, where=n > 0)
    return out


def gini(values, weights=None) -> float:
    """Gini coefficient of a non-negative quantity across units (e.g. villages), 0..1.

    0 = everyone has the same, towards 1 = concentrated in few units. With optional
    non-negative ``weights`` (e.g. residents per village; default 1 each), units are
    sorted by value and the Lorenz curve is built from cumulative population shares
    ``P_i = sum_{j<=i} w_j / W`` and cumulative value shares
    ``L_i = sum_{j<=i} w_j x_j / sum_j w_j x_j`` (``P_0 = L_0 = 0``); the area under it
    is taken with trapezoids, so ``G = 1 - sum_i (P_i - P_{i-1}) (L_i + L_{i-1})``.
    This equals the (population, not sample-corrected) mean-difference form
    ``G = sum_ij w_i w_j |x_i - x_j| / (2 W^2 mu)`` with ``mu = sum_i w_i x_i / W``;
    e.g. ``[0, 0, 0, 1]`` gives 0.75. All zeros give 0.0. Negative or non-finite
    values or weights, all-zero weights, and an empty input raise ValueError.
    """
    x = _series(values, "values")
    if len(x) == 0:
        raise ValueError("values is empty; allowed: at least one value")
    if (x < 0).any():
        raise ValueError(f"values contains {x[x < 0][0].item()!r}; allowed: values >= 0")
    if weights is None:
        w = np.ones_like(x)
    else:
        w = _series(weights, "weights")
        if len(w) != len(x):
            raise ValueError(f"weights has length {len(w)}; allowed: the length of values ({len(x)})")
        if (w < 0).any():
            raise ValueError(f"weights contains {w[w < 0][0].item()!r}; allowed: weights >= 0")
        if w.sum() <= 0:
            raise ValueError("weights are all zero; allowed: weights >= 0 with a positive sum")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    wx = w * x
    total = wx.sum()
    if total <= 0:
        return 0.0
    pop = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    lor = np.concatenate([[0.0], np.cumsum(wx) / total])
    g = 1.0 - np.sum(np.diff(pop) * (lor[1:] + lor[:-1]))
    return float(min(1.0, max(0.0, g)))


def cumulative(x) -> np.ndarray:
    """Running sum of a 1-D series as floats (e.g. cumulative CNY by month); empty -> empty."""
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"x has shape {a.shape!r}; allowed: a 1-D sequence")
    return np.cumsum(a)


def recovery_month(months, cumulative_cny) -> int | None:
    """Of a cumulative cash flow (CNY) observed at ``months`` (ascending), the first observed
    month from which it stays >= 0 until the last observation; None if it is negative at the
    last one or nothing finite is observed. NaN observations are ignored. Unlike
    :func:`break_even_month` this takes the cumulative series itself, e.g. a mean over
    replications, on possibly non-consecutive months."""
    m = np.asarray(months, dtype=float).ravel()
    v = np.asarray(cumulative_cny, dtype=float).ravel()
    if m.size != v.size:
        raise ValueError(f"months has {m.size} values and cumulative_cny has {v.size}; they must match")
    ok = np.isfinite(v) & np.isfinite(m)
    m, v = m[ok], v[ok]
    if v.size == 0 or v[-1] < 0:
        return None
    negative = np.flatnonzero(v < 0)
    return int(m[0]) if negative.size == 0 else int(m[negative[-1] + 1])


def cost_volume_elasticity(volume, cost_per_unit) -> float:
    """Slope of log(cost per unit) on log(volume): the cost elasticity to volume (negative when
    unit cost falls as volume grows). Points with a non-finite or non-positive value are left
    out; NaN with fewer than 3 points left or no spread in volume."""
    x = np.asarray(volume, dtype=float).ravel()
    y = np.asarray(cost_per_unit, dtype=float).ravel()
    if x.size != y.size:
        raise ValueError(f"volume has {x.size} values and cost_per_unit has {y.size}; they must match")
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 3:
        return float("nan")
    lx, ly = np.log(x[ok]), np.log(y[ok])
    if np.ptp(lx) <= 0:
        return float("nan")
    return float(np.polyfit(lx, ly, 1)[0])
