"""Lead time by remoteness decile and the Gini of villages' lead times, against hand
computations."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.county.network import Network
from sim.county.remoteness import remoteness
from sim.county.routing import Route
from sim.county.triplog import StopLead


def _net(xs, served):
    n = len(xs)
    return Network(tuple(f"V{i}" for i in range(n)), np.zeros(n, np.int64), np.column_stack([xs, np.zeros(n)]),
                   np.ones(n), np.ones(n, np.int64), np.zeros((1, 2)), np.asarray(served, bool))


def _route(stops):
    return Route(0, np.asarray(stops), np.ones(len(stops) + 1), np.ones(len(stops) + 1))


def test_deciles_and_gini_by_hand():
    # 12 served villages at 1..12 km (a decile = ceil(12 / 10) = 2 villages), one unserved at 0.5 km.
    xs = [0.5, *range(12, 0, -1)]                    # village i >= 1 is 13 - i km away
    served = [False] + [True] * 12
    stops = list(range(1, 13))
    parcels = np.array([10] * 12)
    mean_lead = np.array([40.0 - 13 + i for i in range(1, 13)])  # village i: 27 + i h (farther = longer)
    lead = StopLead(mean_lead * parcels, parcels)
    r = remoteness(_net(xs, served), [_route(stops)], lead)
    # nearest two: villages 12 and 11 (1 and 2 km): 39 and 38 h; farthest: villages 1 and 2: 28 and 29 h
    assert r.near_decile_h == pytest.approx(38.5)
    assert r.remote_decile_h == pytest.approx(28.5)
    x = mean_lead
    g = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())   # equal weights
    assert r.gini == pytest.approx(g)


def test_parcel_weights_and_no_parcels():
    # two villages at 1 and 5 km: 30 h for 3 parcels, 50 h for 1 parcel
    net = _net([1.0, 5.0], [True, True])
    r = remoteness(net, [_route([1, 0])], StopLead(np.array([50.0, 90.0]), np.array([1, 3])))
    assert (r.near_decile_h, r.remote_decile_h) == (pytest.approx(30.0), pytest.approx(50.0))
    # weighted mean-difference form: sum w_i w_j |x_i - x_j| / (2 W^2 mu), mu = 35
    assert r.gini == pytest.approx(2 * 3 * 1 * 20.0 / (2 * 16 * 35.0))
    empty = remoteness(net, [_route([1, 0])], StopLead(np.zeros(2), np.zeros(2, np.int64)))
    assert math.isnan(empty.near_decile_h) and math.isnan(empty.gini)
