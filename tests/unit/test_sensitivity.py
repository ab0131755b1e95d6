"""Standardised regression coefficients (sim.analysis.sensitivity)."""
import math

import numpy as np
import pytest

from sim.analysis.sensitivity import standardized_regression_coefficients as src


@pytest.fixture
def rng():
    return np.random.default_rng(20240917)


def test_src_recovers_linear_model(rng):
    n = 400
    X = rng.uniform(0, 1, size=(n, 3))
    y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.0 * X[:, 2] + rng.normal(0, 0.02, n)
    coef, r2 = src(X, y)
    assert coef[0] > 0 > coef[1]
    assert abs(coef[0]) > abs(coef[1]) > abs(coef[2])
    assert abs(coef[2]) < 0.02
    assert r2 > 0.99
    # for independent inputs SRC_j ~ b_j sd_j / sd_y and sum of squares ~ R^2
    # SRC_j = b_j sd(x_j) / sd(y) and the two inputs have equal spread
    assert coef[0] / -coef[1] == pytest.approx(2.0, rel=0.05)


def test_src_constant_column_and_errors(rng):
    n = 30
    X = np.c_[rng.uniform(size=n), np.full(n, 7.0), rng.uniform(size=n)]
    y = 3 * X[:, 0] + X[:, 2]
    coef, r2 = src(X, y)
    assert coef[1] == 0.0 and coef[0] > coef[2] > 0 and r2 == pytest.approx(1.0)
    full = coef
    coef, r2 = src(X, np.full(n, 2.0))  # constant y
    np.testing.assert_array_equal(coef, 0.0)
    assert math.isnan(r2)
    with pytest.raises(ValueError):
        src(X[:4], y[:4])  # 4 rows < 3 columns + 2
    coef, r2 = src(X[:5], y[:5])  # exactly enough
    assert coef.shape == (3,)
    Xn = X.copy()
    Xn[0, 0] = np.nan  # incomplete rows are dropped
    dropped = src(Xn, y)[0]
    np.testing.assert_allclose(dropped, src(X[1:], y[1:])[0])
    assert dropped[0] == pytest.approx(full[0], rel=0.2)
