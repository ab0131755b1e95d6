"""Experiment configs: a base scenario, named scenarios and/or levers and
uncertainties swept by a design, a replication policy and a baseline, validated
like scenario configs and expanded into the scenarios to run."""
from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from sim.config.scenario import Scenario, read_yaml, scenario_data, scenario_from_data
from sim.experiments.design import Factor, make_design, point_label
from sim.errors import InputError
from sim.county.kpis import KPI_COLUMNS

EXPERIMENT_KEYS = ("name", "description", "base", "seed", "scenarios", "levers", "uncertainties", "design",
                   "replications", "warmup_d", "baseline", "kpis")
DESIGN_METHODS = ("full_factorial", "latin_hypercube", "sobol")
DEFAULT_KPIS = ("inbound_lead_time_mean_h", "inbound_lead_time_p95_h", "cost_per_parcel_cny", "cost_per_kg_out_cny",
                "spoilage_rate", "farmer_revenue_cny", "outbound_produce_sold_kg", "residents_served_share",
                "vehicle_km", "cost_total_cny")


@dataclass(frozen=True)
class Replications:
    """A fixed number of replications, or sequential: add ``batch`` at a time until
    the 95% half-width of every KPI in ``kpis`` is within ``relative_half_width`` of
    its mean (at least ``min``, at most ``max``)."""
    min: int
    max: int
    relative_half_width: float | None = None
    kpis: tuple[str, ...] = ()
    batch: int = 2

    @property
    def sequential(self) -> bool:
        return self.relative_half_width is not None


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of an experiment: its stable id (from its parameters), label,
    the factor values it was given, and the resolved scenario."""
    id: str
    label: str
    name: str                     # the named scenario it came from ("base" without named scenarios)
    values: dict                  # factor path -> value
    scenario: Scenario


@dataclass(frozen=True)
class Experiment:
    name: str
    source: str                   # the file it came from
    data: dict                    # the experiment as read (for the manifest)
    seed: int
    scenarios: tuple[ScenarioSpec, ...]
    factors: tuple[Factor, ...]
    design: dict
    replications: Replications
    baseline_id: str | None
    warmup_d: int
    kpis: tuple[str, ...] = field(default=DEFAULT_KPIS)

    @property
    def levers(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.factors if f.kind == "lever")

    @property
    def uncertainties(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.factors if f.kind == "uncertainty")

    def config_hash(self) -> str:
        """SHA-256 of every resolved scenario and the experiment's settings."""
        blob = {"scenarios": [[s.id, scenario_data(s.scenario)] for s in self.scenarios],
                "replications": vars(self.replications) | {"kpis": list(self.replications.kpis)},
                "seed": self.seed, "warmup_d": self.warmup_d, "baseline": self.baseline_id, "kpis": list(self.kpis)}
        return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


def is_experiment(data: Any) -> bool:
    """An experiment config has a ``base`` (a scenario config does not)."""
    return isinstance(data, Mapping) and "base" in data


def _err(where: str, path: str, value: Any, allowed: str) -> InputError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InputError(f"{where}: {path}: {shown} is not allowed: {allowed}")


def deep_merge(base: dict, override: Mapping) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _split_path(path: str) -> list:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def set_path(data: dict, path: str, value: Any) -> dict:
    """Copy of ``data`` with the dotted ``path`` set (numeric parts index lists)."""
    out = copy.deepcopy(data)
    node = out
    parts = _split_path(path)
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    return out


def check_path(data: dict, path: str, where: str, key: str) -> None:
    """The dotted ``path`` must name a setting of the scenario; else name the nearest."""
    node: Any = data
    walked = []
    for p in _split_path(path):
        if isinstance(node, list):
            if not isinstance(p, int) or not 0 <= p < len(node):
                raise _err(where, f"{key}.{path}", path, f"'{'.'.join(walked)}' is a list of {len(node)}; "
                                                      f"use an index 0..{len(node) - 1}")
        elif isinstance(node, Mapping):
            if p not in node:
                near = difflib.get_close_matches(str(p), [str(k) for k in node], n=1, cutoff=0.5)
                hint = f"; did you mean '{'.'.join(walked + [near[0]])}'?" if near else ""
                raise InputError(f"{where}: {key}.{path}: unknown setting{hint}")
        else:
            raise InputError(f"{where}: {key}.{path}: '{'.'.join(walked)}' is a value, not a section")
        node = node[p]
        walked.append(str(p))
    if isinstance(node, (Mapping, list)):
        raise InputError(f"{where}: {key}.{path}: is a section; name one of its settings")


def _factor(spec: Any, path: str, kind: str, where: str, key: str) -> Factor:
    if isinstance(spec, list):
        if not spec:
            raise _err(where, f"{key}.{path}", spec, "expected a non-empty list of values")
        return Factor(path, values=tuple(spec), kind=kind)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"min", "max", "integer", "levels"}
        if unknown:
            raise InputError(f"{where}: {key}.{path}.{sorted(unknown)[0]}: unknown key (valid: min, max, integer, levels)")
        lo, hi = spec.get("min"), spec.get("max")
        for name, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise _err(where, f"{key}.{path}.{name}", v, "expected a finite number")
        if lo > hi:
            raise _err(where, f"{key}.{path}", dict(spec), "expected min <= max")
        integer = spec.get("integer", False)
        if not isinstance(integer, bool):
            raise _err(where, f"{key}.{path}.integer", integer, "expected true or false")
        levels = spec.get("levels")
        if levels is not None and (isinstance(levels, bool) or not isinstance(levels, int) or levels < 2):
            raise _err(where, f"{key}.{path}.levels", levels, "expected a whole number >= 2")
        return Factor(path, low=float(lo), high=float(hi), integer=integer, levels=levels, kind=kind)
    raise _err(where, f"{key}.{path}", spec, "expected a list of values or a range {min: .., max: ..}")


def _replications(spec: Any, where: str) -> Replications:
    if isinstance(spec, bool) or spec is None:
        raise _err(where, "replications", spec, "expected a whole number >= 1 or a mapping with min, max, "
                                                 "relative_half_width, kpis")
    if isinstance(spec, int):
        if spec < 1:
            raise _err(where, "replications", spec, "expected a whole number >= 1")
        return Replications(min=spec, max=spec)
    if not isinstance(spec, Mapping):
        raise _err(where, "replications", spec, "expected a whole number or a mapping")
    allowed = ("min", "max", "relative_half_width", "kpis", "batch")
    for k in spec:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1, cutoff=0.5)
            raise InputError(f"{where}: replications.{k}: unknown key" + (f"; did you mean '{near[0]}'?" if near else "")
                             + f" (valid: {', '.join(allowed)})")
    lo, hi, batch = spec.get("min", 5), spec.get("max", 50), spec.get("batch", 2)
    for name, v in (("min", lo), ("max", hi), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, int) or v < (2 if name == "min" else 1):
            raise _err(where, f"replications.{name}", v, f"expected a whole number >= {2 if name == 'min' else 1}")
    if hi < lo:
        raise _err(where, "replications.max", hi, f"expected >= min ({lo})")
    rhw = spec.get("relative_half_width")
    if isinstance(rhw, bool) or not isinstance(rhw, (int, float)) or not 0 < rhw < 1:
        raise _err(where, "replications.relative_half_width", rhw, "expected a number in (0, 1), e.g. 0.05")
    kpis = spec.get("kpis", ["inbound_lead_time_mean_h"])
    if not isinstance(kpis, list) or not kpis:
        raise _err(where, "replications.kpis", kpis, "expected a non-empty list of KPI names")
    for k in kpis:
        _check_kpi(k, where, "replications.kpis")
    return Replications(min=lo, max=hi, relative_half_width=float(rhw), kpis=tuple(kpis), batch=batch)


def _check_kpi(k: Any, where: str, key: str) -> None:
    if k not in KPI_COLUMNS:
        near = difflib.get_close_matches(str(k), KPI_COLUMNS, n=1, cutoff=0.5)
        raise _err(where, key, k, "expected a KPI column of runs.csv" + (f"; did you mean '{near[0]}'?" if near else ""))


def experiment_from_data(data: Any, where: str, base_dir: str | os.PathLike | None = None) -> Experiment:
    """Validate plain data (from YAML) into an :class:`Experiment`."""
    if not isinstance(data, Mapping):
        raise _err(where, "(top level)", data, "expected a mapping with keys " + ", ".join(EXPERIMENT_KEYS))
    for k in data:
        if k not in EXPERIMENT_KEYS:
            near = difflib.get_close_matches(str(k), EXPERIMENT_KEYS, n=1, cutoff=0.5)
            raise InputError(f"{where}: {k}: unknown key" + (f"; did you mean '{near[0]}'?" if near else "")
                             + f" (valid keys here: {', '.join(EXPERIMENT_KEYS)})")
    base_dir = Path(base_dir) if base_dir is not None else Path(".")
    # the base scenario
    base_spec = data.get("base")
    if isinstance(base_spec, str):
        base_path = base_dir / base_spec
        try:
            base_raw = read_yaml(base_path)
        except InputError as exc:
            raise InputError(f"{where}: base: {exc}") from None
        base_where, base_root = str(base_path), base_path.parent
    elif isinstance(base_spec, Mapping) or base_spec is None:
        base_raw, base_where, base_root = dict(base_spec or {}), f"{where}: base", base_dir
    else:
        raise _err(where, "base", base_spec, "expected a path to a scenario file or a scenario mapping")
    base_sc = scenario_from_data(base_raw, base_where, base_root)
    base_data = scenario_data(base_sc)
    seed = data.get("seed", base_sc.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _err(where, "seed", seed, "expected a whole number >= 0")
    warmup = data.get("warmup_d", base_sc.warmup_d)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or not 0 <= warmup < base_sc.horizon_d:
        raise _err(where, "warmup_d", warmup, f"expected a whole number in [0, {base_sc.horizon_d - 1}] (below horizon_d)")
    base_data = deep_merge(base_data, {"seed": seed, "warmup_d": warmup})
    # named scenarios
    named = data.get("scenarios") or {"base": {}}
    if not isinstance(named, Mapping) or not named:
        raise _err(where, "scenarios", named, "expected a mapping of name: overrides of the base")
    for name, ov in named.items():
        if not isinstance(name, str) or not name:
            raise _err(where, "scenarios", name, "expected text names")
        if not isinstance(ov, Mapping) and ov is not None:
            raise _err(where, f"scenarios.{name}", ov, "expected a mapping of overrides (or {} for the base as is)")
    # factors
    factors = []
    for key, kind in (("levers", "lever"), ("uncertainties", "uncertainty")):
        specs = data.get(key) or {}
        if not isinstance(specs, Mapping):
            raise _err(where, key, specs, "expected a mapping of key path: list of values or {min, max}")
        for path, spec in specs.items():
            check_path(base_data, str(path), where, key)
            try:
                factors.append(_factor(spec, str(path), kind, where, key))
            except ValueError as exc:
                raise InputError(f"{where}: {key}.{path}: {exc}") from None
    paths = [f.path for f in factors]
    if len(set(paths)) != len(paths):
        raise _err(where, "levers/uncertainties", paths, "each key path may be varied once")
    design = data.get("design") or {}
    if not isinstance(design, Mapping):
        raise _err(where, "design", design, "expected a mapping with method, samples, seed")
    for k in design:
        if k not in ("method", "samples", "seed"):
            raise InputError(f"{where}: design.{k}: unknown key (valid: method, samples, seed)")
    method = design.get("method", "full_factorial")
    if method not in DESIGN_METHODS:
        raise _err(where, "design.method", method, f"expected one of {', '.join(DESIGN_METHODS)}")
    samples = design.get("samples")
    if method == "full_factorial" and samples is not None:
        raise _err(where, "design.samples", samples, "samples is only for latin_hypercube and sobol; "
                                                     "a full factorial runs every combination")
    if method != "full_factorial" and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise _err(where, "design.samples", samples, f"expected a whole number >= 1 for {method}")
    dseed = design.get("seed", seed)
    if isinstance(dseed, bool) or not isinstance(dseed, int) or dseed < 0:
        raise _err(where, "design.seed", dseed, "expected a whole number >= 0")
    try:
        points = make_design(factors, method, samples, dseed)
    except ValueError as exc:
        raise InputError(f"{where}: design: {exc}") from None
    reps = _replications(data.get("replications", base_sc.replications), where)
    kpis = data.get("kpis", list(DEFAULT_KPIS))
    if not isinstance(kpis, list) or not kpis:
        raise _err(where, "kpis", kpis, "expected a non-empty list of KPI names")
    for k in kpis:
        _check_kpi(k, where, "kpis")
    # expand: named scenarios x design points
    specs: list[ScenarioSpec] = []
    for name, ov in named.items():
        merged = deep_merge(base_data, ov or {})
        for point in points:
            d = merged
            for path, value in point.items():
                d = set_path(d, path, value)
            label = name if not point else (point_label(point) if len(named) == 1 and name == "base"
                                            else f"{name}, {point_label(point)}")
            d = deep_merge(d, {"name": label})
            sc = scenario_from_data(d, f"{where}: scenarios.{name}" + (f" at {point_label(point)}" if point else ""),
                                    None)
            specs.append(ScenarioSpec(scenario_id(sc), label, name, dict(point), sc))
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        labels = [s.label for s in specs if s.id in dup]
        raise InputError(f"{where}: scenarios {labels} have identical parameters: each scenario must differ")
    only_uncertain = not data.get("scenarios") and factors and all(f.kind == "uncertainty" for f in factors)
    if only_uncertain and data.get("baseline") is None:
        baseline_id = None  # a sample of the world: nothing to compare against
    else:
        baseline_id = _baseline(data.get("baseline"), specs, named, where)
    name = data.get("name") or Path(where).stem
    if not isinstance(name, str):
        raise _err(where, "name", name, "expected text")
    return Experiment(name=name, source=where, data=dict(data), seed=seed, scenarios=tuple(specs),
                      factors=tuple(factors), design={"method": method, "samples": samples, "seed": dseed},
                      replications=reps, baseline_id=baseline_id, warmup_d=warmup, kpis=tuple(kpis))


def _baseline(spec: Any, specs: list[ScenarioSpec], named: Mapping, where: str) -> str | None:
    if len(specs) == 1:
        return specs[0].id
    if spec is None:
        return specs[0].id
    if isinstance(spec, str):
        match = [s for s in specs if s.name == spec or s.label == spec]
        if len(match) == 1:
            return match[0].id
        if not match:
            raise _err(where, "baseline", spec, f"expected a scenario name: one of {', '.join(named)}"
                       + (" (with design points, give the baseline's lever values as a mapping)" if len(specs) > len(named) else ""))
        raise _err(where, "baseline", spec, "names several scenarios; give lever values as a mapping to pick one")
    if isinstance(spec, Mapping):
        want = {str(k): v for k, v in spec.items() if k != "scenario"}
        match = [s for s in specs if all(s.values.get(k) == v for k, v in want.items())
                 and ("scenario" not in spec or s.name == spec["scenario"])]
        if len(match) == 1:
            return match[0].id
        raise _err(where, "baseline", dict(spec), f"expected lever values matching exactly one scenario (matched {len(match)})")
    raise _err(where, "baseline", spec, "expected a scenario name or a mapping of lever values")


def scenario_id(sc: Scenario) -> str:
    """A stable id from a scenario's parameters (name and replications excluded) and
    the contents of the files it reads (its villages CSV): other villages, another id."""
    from sim.experiments.stamp import input_hashes, scenario_files
    d = scenario_data(sc)
    d.pop("name", None)
    d.pop("replications", None)
    files = input_hashes(scenario_files(sc))
    if files:
        d["input_files_sha256"] = sorted(files.values())
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def load_experiment(path: str | os.PathLike) -> Experiment:
    data = read_yaml(path)
    return experiment_from_data(data, str(path), Path(path).parent)
