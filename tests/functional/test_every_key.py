"""A value the reference calls valid never crashes the model: random values for random
sets of scenario keys, drawn from each key's declared type, range and choices (walked
from the schema, so a new key is covered as soon as it is declared), in one- and
two-tier counties. Each config is either refused with a message (InputError: the
checks between keys) or runs with its books balanced (the run checks conservation
itself) and KPIs that are numbers."""
from __future__ import annotations

import dataclasses
import math
import re
import types
import typing

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.scenario import Scenario, scenario_data, scenario_from_data
from sim.config.schema import is_dataclass_type
from sim.county.kpis import run_replication
from sim.errors import InputError

# keys the base below sets (the size and length of the run, so an example stays small) or that name a file
FIXED = {"name", "seed", "replications", "horizon_d", "warmup_d", "start_doy", "county.villages_csv",
         "county.villages", "county.townships", "county.area_km2", "county.residents_per_village", "network.tiers"}


@dataclasses.dataclass(frozen=True)
class Leaf:
    path: str
    tp: typing.Any
    meta: typing.Mapping
    default: typing.Any


def leaves(cls: type, prefix: str = "", defaults: typing.Any = None, fixed: frozenset | set = FIXED) -> list[Leaf]:
    """Every settable key below ``cls`` but ``fixed`` (entries of named mappings and lists by their
    default entries; an optional section, null by default, by its class's defaults)."""
    out: list[Leaf] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        default = getattr(defaults if defaults is not None else cls(), f.name)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            inner = next(a for a in args if a is not type(None))
            if is_dataclass_type(inner) and path not in fixed:
                try:
                    out += leaves(inner, path, default if default is not None else inner(), fixed)
                except TypeError:   # a section with required keys and no default: left to its own tests
                    pass
                continue
        if is_dataclass_type(tp):
            out += leaves(tp, path, default, fixed)
        elif origin is dict and is_dataclass_type(args[1]):
            for name, entry in (default or {}).items():
                out += leaves(args[1], f"{path}.{name}", entry, fixed)
        elif origin in (tuple, list) and is_dataclass_type(args[0]):
            for i, entry in enumerate(default or ()):
                out += leaves(args[0], f"{path}[{i}]", entry, fixed)
        elif path not in fixed:
            out.append(Leaf(path, tp, f.metadata, default))
    return out


LEAVES = leaves(Scenario)
VEHICLE_TYPES = sorted(Scenario().vehicle_types)


def _number(tp: type, meta: typing.Mapping, default: typing.Any) -> st.SearchStrategy:
    lo, hi = meta.get("lo"), meta.get("hi")
    scale = abs(float(default)) if isinstance(default, (int, float)) and not isinstance(default, bool) else 1.0
    top = max(5.0 * scale, 1.0 if lo is None else lo + 1.0)   # unbounded keys: up to five times their default
    hi_eff = top if hi is None else min(hi, top)
    lo_eff = 0.0 if lo is None else lo
    if tp is int:
        return st.integers(math.ceil(lo_eff + (1 if meta.get("lo_open") else 0)),
                           math.floor(hi_eff - (1 if meta.get("hi_open") and hi_eff == hi else 0)))
    return st.floats(lo_eff, hi_eff, exclude_min=bool(meta.get("lo_open")),
                     exclude_max=bool(meta.get("hi_open")) and hi_eff == hi, allow_nan=False)


def value(tp: typing.Any, meta: typing.Mapping, default: typing.Any) -> st.SearchStrategy | None:
    """Values of a key from its declared type, range and choices (None: not drawn)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = value(next(a for a in args if a is not type(None)), meta, default)
        return None if inner is None else st.none() | inner
    if meta.get("choices"):
        return st.sampled_from(list(meta["choices"]))
    if tp is bool:
        return st.booleans()
    if tp in (int, float):
        return _number(tp, meta, default)
    if origin in (tuple, list) and args and args[0] in (int, float) and default:
        # a list of numbers (hours, days): a non-empty subset of its default's values, or each value moved
        # within the span of the default's values (the checks between values refuse what is not allowed)
        lo, hi = min(default), max(default)
        item = st.sampled_from(list(default)) | (st.integers(int(lo), int(hi)) if args[0] is int
                                                  else st.floats(float(lo), float(hi)))
        return st.lists(item, min_size=1, max_size=max(1, len(default)), unique=True).map(sorted)
    return None


def set_key(data: dict, path: str, v: typing.Any) -> None:
    node: typing.Any = data
    *parents, last = path.split(".")
    for part in parents:
        m = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if m:
            node = node[m.group(1)][int(m.group(2))]
        else:
            if node.get(part) is None:   # an optional section, null or absent, starts empty
                node[part] = {}
            node = node[part]
    node[last] = v


@st.composite
def configs(draw) -> dict:
    data = scenario_data(Scenario())
    data.update(name="every_key", seed=draw(st.integers(0, 10_000)), replications=1,
                horizon_d=draw(st.sampled_from([7, 30, 75])), warmup_d=draw(st.sampled_from([0, 3])),
                start_doy=draw(st.integers(1, 365)))
    data["county"].update(area_km2=draw(st.sampled_from([80.0, 500.0, 1500.0])),
                          villages=draw(st.sampled_from([1, 4, 15, 40])), townships=draw(st.sampled_from([1, 2, 5])),
                          residents_per_village=draw(st.sampled_from([150.0, 1000.0])))
    data["network"]["tiers"] = draw(st.sampled_from([1, 2]))
    keys = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=15, unique_by=lambda leaf: leaf.path))
    for leaf in keys:
        strategy = value(leaf.tp, leaf.meta, leaf.default)
        if leaf.path.endswith("vehicle_type"):   # the name of a vehicle type (null: a tier's default)
            strategy = st.sampled_from(VEHICLE_TYPES) | (st.none() if leaf.default is None else st.nothing())
        if strategy is not None:
            set_key(data, leaf.path, draw(strategy))
    data["crops"] = data["crops"][:draw(st.sampled_from([0, 1, 2, 2]))]   # none (valid: no produce), one or both
    return data


def test_the_walk_reaches_every_section():
    """The schema walk finds keys in every section, the vehicle types and the crops (so the
    property below draws from all of them)."""
    sections = {leaf.path.split(".")[0].split("[")[0] for leaf in LEAVES}
    # (network has one key, tiers, which every example draws)
    assert {f.name for f in dataclasses.fields(Scenario)} - FIXED - {"network"} <= sections
    assert any(leaf.path.startswith("vehicle_types.e_tricycle.") for leaf in LEAVES)
    assert any(leaf.path.startswith("crops[1].") for leaf in LEAVES)
    # keys not drawn: names, and mappings of road classes and townships
    drawn = [leaf.path for leaf in LEAVES
             if value(leaf.tp, leaf.meta, leaf.default) is not None or leaf.path.endswith("vehicle_type")]
    assert len(drawn) >= 0.9 * len(LEAVES), sorted({leaf.path for leaf in LEAVES} - set(drawn))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs())
def test_a_valid_value_never_crashes_the_model(data):
    try:
        sc = scenario_from_data(data, "<every key>")
    except InputError as exc:   # refused by a check between keys: a message, not a crash
        assert str(exc).startswith("<every key>: ")
        return
    res = run_replication(sc, 0)   # raises ConservationError if a parcel or a kilogram is lost
    for name, v in res.kpis.items():
        assert isinstance(v, (int, float, str)) and not isinstance(v, bool), name
        assert not (isinstance(v, float) and math.isinf(v)), (name, v)
