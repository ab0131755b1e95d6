"""Experimental designs over levers and uncertainties (EMA-Workbench style): factors
keyed by dotted config paths, and full-factorial, Latin-hypercube or Sobol points
over them, each point a plain ``{path: value}`` dict with a stable id."""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("lever", "uncertainty")
METHODS = ("full_factorial", "latin_hypercube", "sobol")


def _plain(v: Any) -> Any:
    """A numpy scalar as the matching Python scalar; anything else unchanged."""
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class Factor:
    """One input varied by an experiment.

    ``path`` is a dotted key path into the scenario config (e.g.
    ``"stations.coverage_share"``). The factor is either discrete -- ``values``, a
    non-empty tuple of numbers, bools or strings, used as given -- or continuous --
    the range ``[low, high]`` (finite, ``low <= high``), in the units of the config
    field. A continuous factor with ``integer=True`` has its values rounded to the
    nearest int (ties to even, as Python's ``round``); in a full factorial it takes
    ``levels`` (>= 2) evenly spaced values. ``kind`` says whether the factor is a
    ``"lever"`` (a decision) or an ``"uncertainty"`` (the world); the designs treat
    both alike, the distinction is for the analysis.
    """
    path: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False
    levels: int | None = None
    kind: str = "lever"

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path or any(not p for p in self.path.split(".")):
            raise ValueError(f"factor path {self.path!r}: must be a non-empty dotted key path "
                             "like 'stations.coverage_share'")
        if self.kind not in KINDS:
            raise ValueError(f"factor {self.path!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        has_values = self.values is not None
        has_range = self.low is not None or self.high is not None
        if has_values == has_range:
            raise ValueError(f"factor {self.path!r}: give exactly one of values=(...) or low=..., high=... "
                             f"(got values={self.values!r}, low={self.low!r}, high={self.high!r})")
        if has_values:
            if isinstance(self.values, (str, bytes)) or not isinstance(self.values, (tuple, list)):
                raise ValueError(f"factor {self.path!r}: values {self.values!r} must be a tuple or list "
                                 "of numbers, bools or strings")
            values = tuple(_plain(v) for v in self.values)
            if not values:
                raise ValueError(f"factor {self.path!r}: values () is empty; give at least one value")
            for v in values:
                if not isinstance(v, (int, float, str)):  # bool is an int
                    raise ValueError(f"factor {self.path!r}: value {v!r} is a {type(v).__name__}; "
                                     "allowed are numbers, bools and strings")
            object.__setattr__(self, "values", values)
            if self.levels is not None:
                raise ValueError(f"factor {self.path!r}: levels={self.levels!r} applies only to a "
                                 "continuous range, not to values")
            if self.integer:
                raise ValueError(f"factor {self.path!r}: integer=True applies only to a continuous range, "
                                 "not to values")
            return
        if self.low is None or self.high is None:
            raise ValueError(f"factor {self.path!r}: a continuous range needs both low and high "
                             f"(got low={self.low!r}, high={self.high!r})")
        for name in ("low", "high"):
            v = _plain(getattr(self, name))
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"factor {self.path!r}: {name}={v!r} must be a finite number")
            object.__setattr__(self, name, float(v))
        if self.low > self.high:
            raise ValueError(f"factor {self.path!r}: low={self.low!r} > high={self.high!r}; need low <= high")
        if self.levels is not None:
            lv = _plain(self.levels)
            if isinstance(lv, bool) or not isinstance(lv, int) or lv < 2:
                raise ValueError(f"factor {self.path!r}: levels={self.levels!r} must be an integer >= 2")
            object.__setattr__(self, "levels", lv)

    @property
    def is_discrete(self) -> bool:
        """True for a factor given by ``values``, False for a continuous range."""
        return self.values is not None

    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` of a continuous factor (``__post_init__`` makes sure both are set)."""
        if self.low is None or self.high is None:
            raise ValueError(f"factor {self.path!r} has values, not a continuous range")
        return self.low, self.high

    def _cast(self, x: float) -> float | int:
        """A continuous value as a Python float, or int (ties to even) if ``integer``."""
        return round(float(x)) if self.integer else float(x)

    def grid_size(self) -> int:
        """How many values :meth:`grid` gives (without making them; at most, where rounding merges some)."""
        if self.values is not None:
            return len(self.values)
        if self.levels is None and self.integer:
            low, high = self.bounds()
            return max(0, math.floor(high) - math.ceil(low) + 1)
        return self.levels or 2

    def grid(self) -> tuple:
        """The factor's values in a full factorial: ``values``, or ``levels`` evenly
        spaced values over ``[low, high]`` (rounded if ``integer``; values that
        rounding makes equal are kept once, in order), or for a whole-number range
        without ``levels`` every whole number in it."""
        if self.values is not None:
            return self.values
        if self.levels is None and self.integer:
            low, high = self.bounds()
            whole = tuple(range(math.ceil(low), math.floor(high) + 1))
            if not whole:
                raise ValueError(f"factor {self.path!r}: the range [{low:g}, {high:g}] holds no whole number")
            return whole
        if self.levels is None:
            raise ValueError(f"factor {self.path!r}: a continuous range in a full factorial needs levels "
                             "(an integer >= 2), or integer: true for every whole number in it")
        low, high = self.bounds()
        pts = [self._cast(x) for x in np.linspace(low, high, self.levels)]
        return tuple(dict.fromkeys(pts)) if self.integer else tuple(pts)


def _check_factors(factors: Sequence[Factor]) -> list[Factor]:
    factors = list(factors)
    for f in factors:
        if not isinstance(f, Factor):
            raise ValueError(f"factor {f!r} is a {type(f).__name__}; expected a Factor")
    paths = [f.path for f in factors]
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise ValueError(f"factor paths {dupes!r} appear more than once; each path may be varied by one factor only")
    return factors


def _check_n(n: Any) -> int:
    n = _plain(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r} must be an integer >= 1")
    return n


def full_factorial(factors: Sequence[Factor]) -> list[dict[str, Any]]:
    """Every combination of the factors' grid values (see :meth:`Factor.grid`), in
    lexicographic order of the factors as given: the first factor varies slowest.
    The number of points is the product of the grid sizes; zero factors give one
    empty point ``[{}]``."""
    factors = _check_factors(factors)
    grids = [f.grid() for f in factors]
    return [{f.path: v for f, v in zip(factors, combo, strict=True)} for combo in itertools.product(*grids)]


def unit_to_values(factors: Sequence[Factor], u: np.ndarray) -> list[dict[str, Any]]:
    """Map points of the unit hypercube to factor values.

    ``u`` has shape ``(n, k)`` with ``k == len(factors)`` and entries in ``[0, 1]``
    (normally ``[0, 1)``). A discrete factor with L values takes
    ``values[min(floor(u * L), L - 1)]``, so each value gets an equal share of the
    unit interval; a continuous one takes ``low + u * (high - low)``, rounded (ties to
    even) if ``integer``. Values are plain Python floats, ints, bools or strings.
    """
    factors = _check_factors(factors)
    u = np.asarray(u, dtype=float)
    if u.ndim != 2 or u.shape[1] != len(factors):
        raise ValueError(f"unit points of shape {u.shape} do not fit {len(factors)} factors; "
                         f"need shape (n, {len(factors)})")
    if u.size and (not np.all(np.isfinite(u)) or u.min() < 0.0 or u.max() > 1.0):
        raise ValueError(f"unit points must lie in [0, 1]; got min {np.nanmin(u)!r}, max {np.nanmax(u)!r}")
    cols = []
    for j, f in enumerate(factors):
        if f.values is not None:
            idx = np.minimum(np.floor(u[:, j] * len(f.values)).astype(int), len(f.values) - 1)
            cols.append([f.values[i] for i in idx])
        else:
            low, high = f.bounds()
            cols.append([f._cast(x) for x in low + u[:, j] * (high - low)])
    return [{f.path: cols[j][i] for j, f in enumerate(factors)} for i in range(u.shape[0])]


def _sampler(cls, d: int, seed: int, **kw):
    """A scipy QMC engine drawing from ``np.random.default_rng(seed)`` (``rng=`` since
    scipy 1.15, ``seed=`` before)."""
    rng = np.random.default_rng(seed)
    try:
        return cls(d=d, rng=rng, **kw)
    except TypeError:  # scipy < 1.15
        return cls(d=d, seed=rng, **kw)


def latin_hypercube(factors: Sequence[Factor], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` Latin-hypercube points: for every factor, each of the n equal strata of
    ``[0, 1)`` holds exactly one point (at a random position within it). Same seed,
    same points."""
    factors, n = _check_factors(factors), _check_n(n)
    if not factors:
        return [{} for _ in range(n)]
    from scipy.stats import qmc  # here, not at the top: validating a config must not load SciPy
    u = _sampler(qmc.LatinHypercube, len(factors), seed).random(n)
    return unit_to_values(factors, u)


def sobol(factors: Sequence[Factor], n: int, seed: int) -> list[dict[str, Any]]:
    """The first ``n`` points of a scrambled Sobol sequence; ``n`` must be a power of
    two, which keeps the sequence's balance (each of the n equal strata of ``[0, 1)``
    holds one point, in every factor). Same seed, same points."""
    factors, n = _check_factors(factors), _check_n(n)
    if n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise ValueError(f"sobol: n={n} is not a power of two; use {lo} or {2 * lo}")
    if not factors:
        return [{} for _ in range(n)]
    from scipy.stats import qmc  # here, not at the top: validating a config must not load SciPy
    u = _sampler(qmc.Sobol, len(factors), seed, scramble=True).random_base2(n.bit_length() - 1)
    return unit_to_values(factors, u)


def make_design(factors: Sequence[Factor], method: str, n: int | None, seed: int) -> list[dict[str, Any]]:
    """The design named by ``method`` (one of :data:`METHODS`). ``n`` is the number of
    points for the two samplers and must be None for ``full_factorial`` (whose size
    is fixed by the factors); ``seed`` is ignored by ``full_factorial``."""
    if method not in METHODS:
        raise ValueError(f"design method {method!r} is unknown; allowed: {', '.join(METHODS)}")
    if method == "full_factorial":
        if n is not None:
            raise ValueError(f"n={n!r} is not used by full_factorial (its size is the product of the "
                             "factor levels); leave n unset")
        return full_factorial(factors)
    if n is None:
        raise ValueError(f"design method {method!r} needs n, the number of points")
    return (latin_hypercube if method == "latin_hypercube" else sobol)(factors, n, seed)


def point_id(point: Mapping[str, Any]) -> str:
    """A stable short id of a design point: the first 10 hex digits of the SHA-256 of
    its canonical JSON (keys sorted, no spaces, floats written with ``repr``). The
    same parameters give the same id whatever the key order; ``1`` and ``1.0`` differ."""
    def default(v):
        if isinstance(v, np.generic):
            return v.item()
        raise ValueError(f"point value {v!r} of type {type(v).__name__} has no canonical form; "
                         "use numbers, bools or strings")
    # json writes floats with float.__repr__, so equal floats always give equal text
    text = json.dumps({str(k): v for k, v in point.items()}, sort_keys=True, separators=(",", ":"),
                      default=default, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:10]


def point_label(point: Mapping[str, Any]) -> str:
    """A short human label such as ``"coverage_share=0.5, vehicles_per_route=2"``:
    the last component of each path, in the point's order, floats with ``:g``."""
    def fmt(v: Any) -> str:
        v = _plain(v)
        return f"{v:g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{str(k).rsplit('.', 1)[-1]}={fmt(v)}" for k, v in point.items())
