"""Comparisons across scenarios done right: t intervals, paired differences under
common random numbers, multiple-comparison corrections, MSER-5 warm-up truncation
and a stopping rule for replications."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Student t's CDF and its inverse, which scipy.stats.t calls, without importing scipy.stats
# (about half a second in every process that runs a scenario)
from scipy.special import stdtr, stdtrit


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence={confidence!r} must be a number strictly between 0 and 1, e.g. 0.95")
    return float(confidence)


def _vector(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} has shape {a.shape}; expected a 1-D sequence of numbers (one per replication)")
    return a


def _t_quantile(n: int, confidence: float) -> float:
    return float(stdtrit(n - 1, 0.5 + confidence / 2.0))


def t_interval(x: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Student-t interval for the mean of ``x`` (one value per replication):
    ``(mean, half_width, sd)`` with ``sd`` the sample standard deviation (ddof=1) and
    ``half_width = t_{(1+confidence)/2, n-1} * sd / sqrt(n)``, in the units of ``x``.
    NaN values count as missing and are dropped. ``half_width`` and ``sd`` are NaN
    if fewer than 2 values remain (``mean`` too if none does)."""
    confidence = _check_confidence(confidence)
    a = _vector(x, "x")
    a = a[~np.isnan(a)]
    n = len(a)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(a.mean())
    if n < 2:
        return mean, math.nan, math.nan
    sd = float(a.std(ddof=1))
    return mean, _t_quantile(n, confidence) * sd / math.sqrt(n), sd


def paired_difference(x: Sequence[float], y: Sequence[float], confidence: float = 0.95) -> dict:
    """Compare a scenario with a baseline run on the same random numbers.

    ``x[i]`` is the scenario's KPI in replication i and ``y[i]`` the baseline's in the
    same replication (equal lengths). Pairs with a NaN on either side are dropped;
    ``n`` is the number of pairs used. Returns a dict with ``n``; ``mean_diff``,
    ``sd_diff``, ``half_width``, ``ci_low``, ``ci_high`` of d = x - y (units of the
    KPI); ``p_value`` of the two-sided paired t test of mean d = 0 (1.0 if every d is
    0, 0.0 if every d is the same non-zero value, NaN if n < 2); and the variances
    per replication, ``var_independent = var(x) + var(y)`` (what a difference of
    means would have from independent runs) and ``var_paired = var(x - y)``, with
    ``var_reduction = 1 - var_paired / var_independent`` (the share of variance
    common random numbers removed; NaN if ``var_independent == 0``; negative if
    pairing hurt). Statistics needing n >= 2 are NaN below that.
    """
    confidence = _check_confidence(confidence)
    a, b = _vector(x, "x"), _vector(y, "y")
    if len(a) != len(b):
        raise ValueError(f"x has {len(a)} values and y has {len(b)}; paired replications need equal lengths")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    d = a - b
    n = len(d)
    out = dict(n=n, mean_diff=float(d.mean()) if n else math.nan, sd_diff=math.nan, half_width=math.nan,
               ci_low=math.nan, ci_high=math.nan, p_value=math.nan,
               var_independent=math.nan, var_paired=math.nan, var_reduction=math.nan)
    if n < 2:
        return out
    mean, sd = out["mean_diff"], float(d.std(ddof=1))
    hw = _t_quantile(n, confidence) * sd / math.sqrt(n)
    if sd == 0.0:
        p = 1.0 if mean == 0.0 else 0.0
    else:
        p = float(2.0 * stdtr(n - 1, -(abs(mean) / (sd / math.sqrt(n)))))   # the upper tail, doubled
    v_ind = float(a.var(ddof=1) + b.var(ddof=1))
    v_pair = sd * sd
    out.update(sd_diff=sd, half_width=hw, ci_low=mean - hw, ci_high=mean + hw, p_value=p,
               var_independent=v_ind, var_paired=v_pair,
               var_reduction=1.0 - v_pair / v_ind if v_ind > 0.0 else math.nan)
    return out


def _check_p(p_values: Sequence[float]) -> np.ndarray:
    p = _vector(p_values, "p_values")
    bad = p[~((p >= 0.0) & (p <= 1.0))]
    if len(bad):
        raise ValueError(f"p-value {bad[0]!r} is not a probability; p-values must lie in [0, 1] (no NaN)")
    return p


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni step-down adjusted p-values, in the order given: sort the m
    p-values ascending, multiply the i-th smallest (i = 1..m) by m - i + 1, take the
    running maximum and cap at 1. Rejecting where adjusted p <= alpha controls the
    family-wise error rate at alpha; never larger than :func:`bonferroni`."""
    p = _check_p(p_values)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj_sorted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    adj = np.empty(m)
    adj[order] = adj_sorted
    return [float(v) for v in adj]


def bonferroni(p_values: Sequence[float]) -> list[float]:
    """Bonferroni adjusted p-values ``min(1, p * m)`` for m comparisons, in the order given."""
    p = _check_p(p_values)
    return [float(v) for v in np.minimum(1.0, p * len(p))]


MSER_BATCH = 5


def mser5(series: Sequence[float]) -> int:
    """MSER-5 warm-up truncation point (White 1997), in original observations.

    The series (e.g. a KPI per day of one run) is averaged in consecutive batches of
    5, a final partial batch dropped; for each truncation of d batches over the first
    half (d = 0 .. floor(B/2) of B batches),
    ``MSER(d) = sum_{j>=d} (b_j - mean(b[d:]))^2 / (B - d)^2``.
    Returns ``5 * d*`` for the d minimising it (ties to the smallest d); series
    shorter than 10 observations return 0. A d* at the half-way limit means the run
    is too short to judge the warm-up.
    """
    x = _vector(series, "series")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"series has a non-finite value {x[~np.isfinite(x)][0]!r}; MSER needs finite observations")
    nb = len(x) // MSER_BATCH
    if nb < 2:
        return 0
    b = x[: nb * MSER_BATCH].reshape(nb, MSER_BATCH).mean(axis=1)
    b = b - b.mean()  # centring keeps the suffix sums below well conditioned
    # suffix sums over b[d:] for every d, from which the sum of squared deviations
    s1 = np.cumsum(b[::-1])[::-1]
    s2 = np.cumsum((b * b)[::-1])[::-1]
    d = np.arange(nb // 2 + 1)
    m = nb - d
    ss = np.maximum(s2[d] - s1[d] ** 2 / m, 0.0)
    mser = ss / (m.astype(float) ** 2)
    return int(MSER_BATCH * np.argmin(mser))


def needs_more_replications(values: Sequence[float], relative_half_width: float, confidence: float = 0.95) -> bool:
    """Relative-precision stopping rule: True while the t interval's half-width
    exceeds ``relative_half_width * |mean|`` (e.g. 0.05 for +-5 % of the mean), or
    fewer than 2 non-NaN values are in. A mean and half-width both 0 is precise
    enough (False); a mean of 0 with a positive half-width never is."""
    if not (isinstance(relative_half_width, (int, float)) and relative_half_width > 0
            and math.isfinite(relative_half_width)):
        raise ValueError(f"relative_half_width={relative_half_width!r} must be a positive finite number, e.g. 0.05")
    mean, hw, _ = t_interval(values, confidence)
    if math.isnan(hw):
        return True
    if mean == 0.0 and hw == 0.0:
        return False
    return hw > relative_half_width * abs(mean)


def summarize(rows, columns: Sequence[str]) -> list[dict]:
    """Per KPI over replications: values present (finite), mean, standard deviation
    and 95% t half-width. A KPI undefined in a replication (e.g. cost per kg when
    nothing was sold) is left out and shows as fewer values."""
    rows = list(rows)
    out = []
    for col in columns:
        x = [float(r[col]) for r in rows]
        x = [v for v in x if math.isfinite(v)]
        mean, hw, sd = t_interval(x) if x else (float("nan"), float("nan"), float("nan"))
        out.append({"kpi": col, "n": len(x), "mean": mean, "std": sd, "ci95_half_width": hw})
    return out
