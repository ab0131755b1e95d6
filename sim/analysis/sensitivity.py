"""Global sensitivity of KPIs to inputs over a set of runs: standardised regression coefficients."""
from __future__ import annotations

import numpy as np


def standardized_regression_coefficients(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised regression coefficients (SRC) and R^2 of a linear fit of ``y`` on the columns of ``X``.

    ``y`` and each column of ``X`` are standardised (zero mean, unit standard deviation), then fitted by
    least squares with an intercept. Rows with a non-finite value are dropped first. Constant columns
    get coefficient 0 and are left out of the fit; if ``y`` is constant all coefficients are 0 and R^2
    is NaN. Raises ``ValueError`` with fewer (complete) rows than columns + 2.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"X must be (n, k) with n = len(y) = {y.size}, got shape {X.shape}")
    ok = np.all(np.isfinite(X), axis=1) & np.isfinite(y)
    X, y = X[ok], y[ok]
    n, k = X.shape
    if n < k + 2:
        raise ValueError(f"need at least {k + 2} complete rows for {k} inputs, got {n}")
    coef = np.zeros(k)

    def _std(a: np.ndarray) -> float:
        sd = float(np.std(a))
        scale = max(float(np.max(np.abs(a))), 1e-300)
        return sd if sd > 1e-12 * scale else 0.0

    sy = _std(y)
    if sy == 0.0:
        return coef, float("nan")
    z = (y - y.mean()) / sy
    sx = np.array([_std(X[:, j]) for j in range(k)])
    use = np.flatnonzero(sx > 0)
    if use.size == 0:
        return coef, 0.0
    Z = (X[:, use] - X[:, use].mean(axis=0)) / sx[use]
    A = np.column_stack([np.ones(n), Z])
    beta, *_ = np.linalg.lstsq(A, z, rcond=None)
    coef[use] = beta[1:]
    resid = z - A @ beta
    r2 = 1.0 - float(resid @ resid) / float(z @ z)
    return coef, r2
