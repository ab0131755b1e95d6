"""Pareto fronts (sim.analysis.pareto)."""
import numpy as np
import pytest

from sim.analysis.pareto import pareto_front


def test_pareto_front_hand_made():
    pts = np.array([
        [1.0, 5.0],   # front
        [2.0, 3.0],   # front
        [2.0, 3.0],   # duplicate of a front point: also front
        [3.0, 3.0],   # tie in y, worse x -> dominated
        [4.0, 1.0],   # front
        [4.0, 2.0],   # tie in x, worse y -> dominated
        [5.0, 5.0],   # dominated
        [1.0, 5.0],   # duplicate -> front
        [np.nan, 0.0],  # invalid -> not front, dominates nothing
    ])
    np.testing.assert_array_equal(pareto_front(pts),
                                  [True, True, True, False, True, False, False, True, False])


def test_pareto_front_shapes():
    assert pareto_front(np.empty((0, 2))).shape == (0,)
    np.testing.assert_array_equal(pareto_front(np.array([3.0, 1.0, 1.0, 2.0])), [False, True, True, False])
    np.testing.assert_array_equal(pareto_front(np.array([[1.0, 2.0, 3.0]])), [True])
    with pytest.raises(ValueError):
        pareto_front(np.zeros((2, 2, 2)))
