"""Experimental designs: full factorial order and size, Latin-hypercube stratification,
Sobol balance, factor validation and stable point ids."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from sim.experiments.design import (
    Factor,
    full_factorial,
    latin_hypercube,
    make_design,
    point_id,
    point_label,
    sobol,
    unit_to_values,
)


def unit(path: str) -> Factor:
    """A continuous factor over [0, 1), whose values are the unit samples themselves."""
    return Factor(path, low=0.0, high=1.0, kind="uncertainty")


# -- full factorial -------------------------------------------------------------------

def test_full_factorial_count_and_order_first_factor_slowest():
    fs = [Factor("a.x", values=(1, 2)), Factor("b.y", values=("p", "q", "r")), Factor("c.z", values=(True, False))]
    pts = full_factorial(fs)
    assert len(pts) == 2 * 3 * 2
    assert [tuple(p.values()) for p in pts[:4]] == [(1, "p", True), (1, "p", False), (1, "q", True), (1, "q", False)]
    assert [p["a.x"] for p in pts] == [1] * 6 + [2] * 6
    assert [list(p) for p in pts] == [["a.x", "b.y", "c.z"]] * 12
    assert len({tuple(p.values()) for p in pts}) == 12


def test_full_factorial_continuous_levels_use_linspace():
    pts = full_factorial([Factor("s.share", low=0.2, high=0.8, levels=4)])
    assert [p["s.share"] for p in pts] == pytest.approx(np.linspace(0.2, 0.8, 4).tolist())
    assert all(type(p["s.share"]) is float for p in pts)


def test_full_factorial_integer_rounding_half_to_even_and_dedup():
    pts = full_factorial([Factor("r.vehicles", low=1, high=5, levels=5, integer=True)])
    assert [p["r.vehicles"] for p in pts] == [1, 2, 3, 4, 5]
    assert all(type(p["r.vehicles"]) is int for p in pts)
    # linspace(0, 3, 5) = 0, 0.75, 1.5, 2.25, 3 -> 0, 1, 2 (1.5 to even), 2, 3 -> kept once each
    pts = full_factorial([Factor("r.vehicles", low=0, high=3, levels=5, integer=True)])
    assert [p["r.vehicles"] for p in pts] == [0, 1, 2, 3]


def test_full_factorial_zero_factors_is_one_point():
    assert full_factorial([]) == [{}]


def test_full_factorial_continuous_without_levels_names_factor():
    with pytest.raises(ValueError, match=r"stations\.coverage_share"):
        full_factorial([Factor("stations.coverage_share", low=0.0, high=1.0)])


def test_a_whole_number_range_without_levels_takes_every_whole_number():
    f = Factor("lastmile.vehicles_per_route", low=0.5, high=3.0, integer=True)
    assert full_factorial([f]) == [{"lastmile.vehicles_per_route": v} for v in (1, 2, 3)]
    assert f.grid_size() == 3
    with pytest.raises(ValueError, match=r"holds no whole number"):
        full_factorial([Factor("a.b", low=1.2, high=1.8, integer=True)])


# -- Latin hypercube ------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 7, 50])
def test_latin_hypercube_one_point_per_stratum(n):
    fs = [unit("a"), unit("b"), unit("c")]
    pts = latin_hypercube(fs, n, seed=3)
    assert len(pts) == n
    for f in fs:
        u = np.array([p[f.path] for p in pts])
        assert np.all((u >= 0) & (u < 1))
        assert sorted(np.floor(u * n).astype(int)) == list(range(n))


def test_latin_hypercube_discrete_each_value_once():
    values = ("a", "b", "c", "d", "e", "f")
    pts = latin_hypercube([Factor("x.mode", values=values), unit("y")], len(values), seed=11)
    assert sorted(p["x.mode"] for p in pts) == sorted(values)


def test_latin_hypercube_reproducible_by_seed():
    fs = [unit("a"), Factor("b", low=1, high=9, integer=True)]
    assert latin_hypercube(fs, 20, seed=5) == latin_hypercube(fs, 20, seed=5)
    assert latin_hypercube(fs, 20, seed=5) != latin_hypercube(fs, 20, seed=6)
    assert all(type(p["b"]) is int and 1 <= p["b"] <= 9 for p in latin_hypercube(fs, 20, seed=5))


# -- Sobol ----------------------------------------------------------------------------

@pytest.mark.parametrize("n, hint", [(3, "2 or 4"), (12, "8 or 16"), (100, "64 or 128")])
def test_sobol_needs_power_of_two(n, hint):
    with pytest.raises(ValueError, match=f"n={n}.*{hint}"):
        sobol([unit("a")], n, seed=0)


def test_sobol_reproducible_and_balanced():
    fs = [unit("a"), unit("b"), Factor("c", values=("p", "q", "r", "s")), Factor("d", values=tuple(range(8)))]
    pts = sobol(fs, 256, seed=2)
    assert pts == sobol(fs, 256, seed=2)
    assert pts != sobol(fs, 256, seed=3)
    for path in ("a", "b"):
        u = np.array([p[path] for p in pts])
        assert abs(u.mean() - 0.5) < 0.01  # i.i.d. uniform would give sd 0.018
        # a scrambled Sobol prefix of 2^m points is a (0, m, 1)-net in each dimension
        assert sorted(np.floor(u * 256).astype(int)) == list(range(256))
    # hence discrete factors with a power-of-two number of values are exactly balanced
    assert Counter(p["c"] for p in pts) == {v: 64 for v in "pqrs"}
    assert Counter(p["d"] for p in pts) == {v: 32 for v in range(8)}


# -- unit mapping, make_design --------------------------------------------------------

def test_unit_to_values_mapping_and_plain_types():
    fs = [Factor("a", values=(10, 20, 30)), Factor("b", low=2.0, high=4.0), Factor("c", low=0, high=10, integer=True)]
    u = np.array([[0.0, 0.0, 0.25], [1 / 3, 0.5, 0.45], [0.999, 0.75, 0.55], [1.0, 1.0, 1.0]])
    pts = unit_to_values(fs, u)
    assert [p["a"] for p in pts] == [10, 20, 30, 30]
    assert [p["b"] for p in pts] == pytest.approx([2.0, 3.0, 3.5, 4.0])
    assert [p["c"] for p in pts] == [2, 4, 6, 10]  # 2.5 -> 2, 4.5 -> 4, 5.5 -> 6: ties to even
    assert all(type(v) in (int, float) and not isinstance(v, np.generic) for p in pts for v in p.values())
    with pytest.raises(ValueError, match="shape"):
        unit_to_values(fs, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        unit_to_values(fs, np.full((1, 3), 1.5))


def test_make_design_dispatch_and_errors():
    fs = [Factor("a", values=(1, 2)), Factor("b", low=0, high=1, levels=3)]
    assert make_design(fs, "full_factorial", None, seed=0) == full_factorial(fs)
    assert make_design(fs, "latin_hypercube", 10, seed=4) == latin_hypercube(fs, 10, 4)
    assert make_design(fs, "sobol", 8, seed=4) == sobol(fs, 8, 4)
    with pytest.raises(ValueError, match=r"'grid'.*full_factorial, latin_hypercube, sobol"):
        make_design(fs, "grid", 4, seed=0)
    with pytest.raises(ValueError, match="needs n"):
        make_design(fs, "sobol", None, seed=0)
    with pytest.raises(ValueError, match="n=4"):
        make_design(fs, "full_factorial", 4, seed=0)
    with pytest.raises(ValueError, match="n=0"):
        latin_hypercube(fs, 0, seed=0)


# -- Factor validation ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs, msg", [
    (dict(), "exactly one of"),
    (dict(values=(1, 2), low=0.0, high=1.0), "exactly one of"),
    (dict(low=0.0), "both low and high"),
    (dict(low=2.0, high=1.0), "low=2.0 > high=1.0"),
    (dict(low=0.0, high=math.inf), "finite"),
    (dict(values=()), "empty"),
    (dict(values="abc"), "tuple or list"),
    (dict(values=(1, None)), "None"),
    (dict(low=0.0, high=1.0, levels=1), "levels=1"),
    (dict(values=(1, 2), levels=3), "levels=3"),
    (dict(values=(1, 2), integer=True), "integer"),
    (dict(low=0.0, high=1.0, kind="decision"), "'decision'.*lever, uncertainty"),
])
def test_factor_validation(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        Factor("stations.coverage_share", **kwargs)


def test_factor_path_and_duplicates():
    with pytest.raises(ValueError, match="path"):
        Factor("stations..share", values=(1,))
    with pytest.raises(ValueError, match="more than once"):
        full_factorial([Factor("a", values=(1,)), Factor("a", values=(2,))])


def test_factor_normalises_values():
    f = Factor("a", values=[np.int64(3), np.float64(0.5), np.str_("x")], kind="uncertainty")
    assert f.values == (3, 0.5, "x") and all(not isinstance(v, np.generic) for v in f.values)


# -- ids and labels -------------------------------------------------------------------

def test_point_id_stable():
    a = {"stations.coverage_share": 0.5, "routes.vehicles_per_route": 2, "mode": "van"}
    b = {"mode": "van", "routes.vehicles_per_route": 2, "stations.coverage_share": 0.5}
    assert point_id(a) == point_id(b)
    assert len(point_id(a)) == 10 and all(c in "0123456789abcdef" for c in point_id(a))
    assert point_id({**a, "stations.coverage_share": 0.6}) != point_id(a)
    assert point_id({**a, "stations.coverage_share": 0.1 + 0.2}) != point_id({**a, "stations.coverage_share": 0.3})
    assert point_id({"x": np.float64(0.5)}) == point_id({"x": 0.5})
    assert point_id({}) == point_id({})


def test_point_id_pinned():
    # sha256 of '{"a":1,"b":0.1}' -- changing the canonical form would change every stored id
    import hashlib
    assert point_id({"b": 0.1, "a": 1}) == hashlib.sha256(b'{"a":1,"b":0.1}').hexdigest()[:10]


def test_point_label():
    pt = {"stations.coverage_share": 0.5, "routes.vehicles_per_route": 2, "flag": True, "x.y": 1 / 3}
    assert point_label(pt) == "coverage_share=0.5, vehicles_per_route=2, flag=True, y=0.333333"
    assert point_label({}) == ""
