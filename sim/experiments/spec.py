"""Experiment configs: a base scenario, named scenarios and/or levers and
uncertainties swept by a design, a replication policy and a baseline, validated
like scenario configs and expanded into the scenarios to run."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.registry import RUN_KPIS
from sim.config.jsonschema import BASE_JSON, SCENARIO_REF
from sim.config.overrides import check_path, deep_merge, get_path, leaf_paths, set_path
from sim.config.scenario import (
    Scenario,
    read_config,
    scenario_data,
    scenario_from_data,
    scenario_input_files,
    without_kind,
)
from sim.config.schema import REQUIRED, FieldError, build, fail, spec, suggest
from sim.errors import InputError
from sim.experiments.design import Factor, make_design, point_label
from sim.experiments.stamp import scenario_id

DESIGN_METHODS = ("full_factorial", "latin_hypercube", "sobol")
DEFAULT_KPIS = ("inbound_lead_time_mean_h", "inbound_lead_time_p95_h", "cost_per_parcel_cny", "cost_per_kg_out_cny",
                "spoilage_rate", "farmer_revenue_cny", "outbound_produce_sold_kg", "residents_served_share",
                "vehicle_km", "cost_total_cny")
_FACTORS_JSON = {"type": "object", "additionalProperties": {"anyOf": [
    {"type": "array", "minItems": 1},
    {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"},
                                      "integer": {"type": "boolean"}, "levels": {"type": "integer", "minimum": 2}},
     "required": ["min", "max"], "additionalProperties": False}]}}


def _check_kpi(k: Any, key: str) -> None:
    if k not in RUN_KPIS:
        near = suggest(k, RUN_KPIS)
        raise FieldError(key, k, "expected a KPI column of runs.csv" + (f"; did you mean '{near}'?" if near else ""))


@dataclass(frozen=True)
class Replications:
    """Replications of every scenario: a whole number (fixed), or a mapping (sequential):
    add ``batch`` at a time until the 95% half-width of every KPI in ``kpis`` is within
    ``relative_half_width`` of its mean (at least ``min``, at most ``max``)."""
    min: int = spec(5, "Sequential: fewest replications", lo=2, source="")
    max: int = spec(50, "Sequential: most replications", lo=1, source="")
    relative_half_width: float | None = spec(None, "Sequential: target 95% half-width relative to the mean, "
                                             "e.g. 0.05 (required in the mapping form)", lo=0, hi=1, lo_open=True,
                                             hi_open=True, optional=True, source="")
    kpis: tuple[str, ...] = spec(("inbound_lead_time_mean_h",), "Sequential: KPIs whose half-width is checked",
                                 source="")
    batch: int = spec(2, "Sequential: replications added at a time", lo=1, source="")
    SHORT_JSON: typing.ClassVar[dict] = {"type": "integer", "minimum": 1}

    @property
    def sequential(self) -> bool:
        return self.relative_half_width is not None

    @classmethod
    def from_short(cls, value: Any, where: str, path: str) -> Replications:
        """A whole number: that many replications of every scenario."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail(where, path, value, "expected a whole number >= 1 or a mapping with min, max, "
                                           "relative_half_width, kpis, batch")
        return cls(min=value, max=value, kpis=())

    def check(self) -> None:
        if self.relative_half_width is None:
            raise FieldError("relative_half_width", None, "expected a number in (0, 1), e.g. 0.05 "
                                                          "(or give replications as a whole number)")
        if self.max < self.min:
            raise FieldError("max", self.max, f"expected >= min ({self.min})")
        if not self.kpis:
            raise FieldError("kpis", [], "expected a non-empty list of KPI names")
        for k in self.kpis:
            _check_kpi(k, "kpis")


@dataclass(frozen=True)
class Design:
    """How levers and uncertainties are sampled into design points."""
    method: str = spec("full_factorial", "Design: every combination, a Latin hypercube or a Sobol sequence",
                       choices=DESIGN_METHODS, source="")
    samples: int | None = spec(None, "Design points (latin_hypercube, sobol; a power of two for sobol)", lo=1,
                               optional=True, source="")
    seed: int | None = spec(None, "Seed of the sampled design", lo=0, optional=True, shown="the experiment's seed",
                            source="")

    def check(self) -> None:
        if self.method == "full_factorial" and self.samples is not None:
            raise FieldError("samples", self.samples, "samples is only for latin_hypercube and sobol; "
                                                      "a full factorial runs every combination")
        if self.method != "full_factorial" and self.samples is None:
            raise FieldError("samples", None, f"expected a whole number >= 1 for {self.method}")


@dataclass(frozen=True)
class FactorRange:
    """A factor varied over a range (a list of values gives the levels directly)."""
    min: float = spec(REQUIRED, "Lowest value", source="")
    max: float = spec(REQUIRED, "Highest value", source="")
    integer: bool = spec(False, "Round values to whole numbers (in a full factorial without levels: every whole "
                         "number from min to max)", source="")
    levels: int | None = spec(None, "Evenly spaced levels in a full factorial (required there for a range that is "
                              "not integer)", lo=2, optional=True, source="")

    def check(self) -> None:
        if self.min > self.max:
            raise ValueError(f"{{'min': {self.min:g}, 'max': {self.max:g}}} is not allowed: expected min <= max")


@dataclass(frozen=True)
class ExperimentConfig:
    """An experiment: a base scenario, named scenarios and/or levers and uncertainties
    swept by a design, a replication policy, a baseline and the KPIs compared. The
    experiment's seed, replications and warmup_d replace the base scenario's."""
    name: str | None = spec(None, "Experiment name", optional=True, shown="the file's name", source="")
    description: str | None = spec(None, "Free text", optional=True, source="")
    base: Any = spec(None, "The base scenario: a scenario file (relative to this file) or a scenario mapping",
                     shown="the built-in defaults", source="", json=BASE_JSON)
    fixed: dict[str, Any] = spec(dict, "Settings every scenario shares: overrides of the base (scenario key paths "
                                 "as nested mappings), applied before the named scenarios, levers and "
                                 "uncertainties; validated through the scenario schema", factory=True,
                                 shown="none: the base as it is", source="", json={"$ref": SCENARIO_REF})
    seed: int | None = spec(None, "Root seed of every scenario (replaces the base's seed)", lo=0, optional=True,
                            shown="the base's seed", source="")
    scenarios: dict[str, Any] = spec(dict, "Named scenarios: overrides of the base (scenario key paths as nested "
                                     "mappings); validated through the scenario schema", factory=True,
                                     shown="one: the base", source="",
                                     json={"type": "object", "additionalProperties": {
                                         "anyOf": [{"$ref": SCENARIO_REF}, {"type": "null"}]}})
    levers: dict[str, Any] = spec(dict, "What a policy maker decides: scenario key path -> list of values or "
                                  "{min, max, integer, levels}", factory=True, source="", json=_FACTORS_JSON)
    uncertainties: dict[str, Any] = spec(dict, "What the world decides: scenario key path -> list of values or "
                                         "{min, max, integer, levels}", factory=True, source="", json=_FACTORS_JSON)
    design: Design = spec(Design, "How levers and uncertainties are sampled", factory=True, source="")
    replications: Replications | None = spec(None, "Replications of every scenario: a whole number, or a mapping for "
                                             "a sequential rule (replaces the base's replications)", optional=True,
                                             shown="the base's replications", source="",
                                             type_text="int, mapping or null")
    warmup_d: int | None = spec(None, "Days simulated before the KPI window (replaces the base's warmup_d)", unit="d",
                                lo=0, hi=3650,
                                optional=True, shown="the base's warmup_d", source="")
    baseline: Any = spec(None, "The scenario others are compared with: a scenario name, or a mapping of lever values "
                         "(and `scenario:`)", shown="the first scenario", source="",
                         json={"anyOf": [{"type": "string"}, {"type": "object"}, {"type": "null"}]})
    kpis: tuple[str, ...] = spec(DEFAULT_KPIS, "KPIs compared against the baseline (columns of runs.csv)", source="")

    def check(self) -> None:
        if not self.kpis:
            raise FieldError("kpis", [], "expected a non-empty list of KPI names")
        for k in self.kpis:
            _check_kpi(k, "kpis")


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
    files: tuple[Path, ...] = ()     # every file the config reads (see input_files)

    def input_files(self) -> list[Path]:
        """Every file the experiment reads, as absolute paths: the config itself, the
        base scenario's file and every scenario's villages CSV."""
        return list(self.files)

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


def _factor(spec: Any, path: str, kind: str, where: str, key: str) -> Factor:
    if isinstance(spec, list):
        if not spec:
            raise fail(where, f"{key}.{path}", spec, "expected a non-empty list of values")
        return Factor(path, values=tuple(spec), kind=kind)
    if isinstance(spec, Mapping):
        r = build(FactorRange, spec, where, f"{key}.{path}")
        return Factor(path, low=float(r.min), high=float(r.max), integer=r.integer, levels=r.levels, kind=kind)
    raise fail(where, f"{key}.{path}", spec, "expected a list of values or a range {min: .., max: ..}")


def experiment_from_data(data: Any, where: str, base_dir: str | os.PathLike | None = None) -> Experiment:
    """Validate plain data (from YAML) into an :class:`Experiment`; a ``kind`` key, if
    any, must be ``experiment``."""
    data = without_kind(data, where, "experiment")
    cfg = build(ExperimentConfig, data, where)
    base_dir = Path(base_dir) if base_dir is not None else Path(".")
    base_sc, base_file = _base_scenario(cfg.base, where, base_dir)
    base_data = scenario_data(base_sc)
    seed = base_sc.seed if cfg.seed is None else cfg.seed
    warmup = base_sc.warmup_d if cfg.warmup_d is None else cfg.warmup_d
    base_data = deep_merge(base_data, {"seed": seed, "warmup_d": warmup})
    if cfg.fixed:
        for key, own in (("name", "each scenario's name is its label"), ("seed", "the experiment's seed"),
                         ("replications", "the experiment's replications"), ("warmup_d", "the experiment's warmup_d")):
            if key in cfg.fixed:
                raise fail(where, f"fixed.{key}", cfg.fixed[key], f"not a shared setting: set {own} instead"
                           if key != "name" else f"not a shared setting: {own}")
        base_data = deep_merge(base_data, cfg.fixed)
        scenario_from_data(base_data, f"{where}: fixed", base_dir)   # a bad key or value named as fixed's
    # named scenarios: free-form overrides, validated when each is built below
    named = cfg.scenarios or {"base": {}}
    for name, ov in named.items():
        if not name:
            raise fail(where, "scenarios", name, "expected text names")
        if not isinstance(ov, Mapping) and ov is not None:
            raise fail(where, f"scenarios.{name}", ov, "expected a mapping of overrides (or {} for the base as is)")
    # factors
    factors = []
    for key, kind in (("levers", "lever"), ("uncertainties", "uncertainty")):
        for path, fspec in getattr(cfg, key).items():
            check_path(base_data, str(path), where, key)
            try:
                factors.append(_factor(fspec, str(path), kind, where, key))
            except ValueError as exc:
                raise InputError(f"{where}: {key}.{path}: {exc}") from None
    paths = [f.path for f in factors]
    for path in paths:
        for held in leaf_paths(cfg.fixed):
            if path == held or path.startswith(held + ".") or held.startswith(path + "."):
                raise fail(where, f"fixed.{held}", get_path(cfg.fixed, held),
                           f"{path} is varied as a lever or uncertainty: a setting is fixed or varied, not both")
    if len(set(paths)) != len(paths):
        raise fail(where, "levers/uncertainties", paths, "each key path may be varied once")
    method, samples = cfg.design.method, cfg.design.samples
    dseed = seed if cfg.design.seed is None else cfg.design.seed
    check_size(factors, method, samples, len(named), cfg.replications, where)
    try:
        points = make_design(factors, method, samples, dseed)
    except ValueError as exc:
        raise InputError(f"{where}: design: {exc}") from None
    reps = cfg.replications or Replications(min=base_sc.replications, max=base_sc.replications, kpis=())
    kpis = list(cfg.kpis)
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
            # a villages file the experiment names is relative to its folder (the base's is absolute already)
            sc = scenario_from_data(d, f"{where}: scenarios.{name}" + (f" at {point_label(point)}" if point else ""),
                                    base_dir)
            specs.append(ScenarioSpec(scenario_id(sc), label, name, dict(point), sc))
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        labels = [s.label for s in specs if s.id in dup]
        shown = f"{labels[:4]} and {len(labels) - 4} more" if len(labels) > 4 else f"{labels}"
        hint = "" if method == "full_factorial" else (
            f" (design.method {method} drew the same point more than once: factors given as lists of values "
            "have few combinations; ask for fewer design.samples, or give ranges)")
        raise InputError(f"{where}: scenarios {shown} have identical parameters: each scenario must differ{hint}")
    only_uncertain = not cfg.scenarios and factors and all(f.kind == "uncertainty" for f in factors)
    if only_uncertain and cfg.baseline is None:
        baseline_id = None  # a sample of the world: nothing to compare against
    else:
        baseline_id = _baseline(cfg.baseline, specs, named, where)
    name = cfg.name or Path(where).stem
    files = [Path(where).resolve()] if Path(where).is_file() else []
    files += [base_file] if base_file else []
    for sc in [base_sc] + [s.scenario for s in specs]:
        files += scenario_input_files(sc)
    return Experiment(name=name, source=where, data=dict(data or {}), seed=seed, scenarios=tuple(specs),
                      factors=tuple(factors), design={"method": method, "samples": samples, "seed": dseed},
                      replications=reps, baseline_id=baseline_id, warmup_d=warmup, kpis=tuple(kpis),
                      files=tuple(dict.fromkeys(files)))


MAX_SCENARIOS = 10_000
"""The most scenarios an experiment may expand to (named scenarios x design points)."""
MAX_RUNS = 1_000_000
"""The most runs (scenarios x replications) an experiment may ask for."""


def check_size(factors: list[Factor], method: str, samples: int | None, named: int, reps: Any, where: str) -> None:
    """Refuse an experiment too large to run before anything is built, stating its size."""
    if method == "full_factorial":
        points = 1
        for f in factors:
            n = f.grid_size()
            points *= n
            if points * named > MAX_SCENARIOS:
                break
    else:
        points = int(samples or 0)
    scenarios = points * named
    if scenarios > MAX_SCENARIOS:
        raise fail(where, "design", f"{scenarios:,}+ scenarios" if method == "full_factorial" else samples,
                   f"an experiment may expand to at most {MAX_SCENARIOS:,} scenarios "
                   f"({named} named x {points:,} design points asked for)")
    most = reps.max if reps is not None else 1
    if scenarios * most > MAX_RUNS:
        raise fail(where, "replications", most, f"{scenarios:,} scenarios x {most:,} replications = "
                   f"{scenarios * most:,} runs; an experiment may ask for at most {MAX_RUNS:,}")


def _base_scenario(base: Any, where: str, base_dir: Path) -> tuple[Scenario, Path | None]:
    """The base scenario (from its file, relative to the experiment's folder, or a
    mapping) and its file, if any."""
    if isinstance(base, str):
        base_path = base_dir / base
        try:
            raw = read_config(base_path, "scenario")
        except InputError as exc:
            raise InputError(f"{where}: base: {exc}") from None
        return scenario_from_data(raw, str(base_path), base_path.parent), base_path.resolve()
    if isinstance(base, Mapping) or base is None:
        return scenario_from_data(dict(base or {}), f"{where}: base", base_dir), None
    raise fail(where, "base", base, "expected a path to a scenario file or a scenario mapping")


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
            raise fail(where, "baseline", spec, f"expected a scenario name: one of {', '.join(named)}"
                       + (" (with design points, give the baseline's lever values as a mapping)"
                          if len(specs) > len(named) else ""))
        raise fail(where, "baseline", spec, "names several scenarios; give lever values as a mapping to pick one")
    if isinstance(spec, Mapping):
        want = {str(k): v for k, v in spec.items() if k != "scenario"}
        match = [s for s in specs if all(s.values.get(k) == v for k, v in want.items())
                 and ("scenario" not in spec or s.name == spec["scenario"])]
        if len(match) == 1:
            return match[0].id
        raise fail(where, "baseline", dict(spec),
                   f"expected lever values matching exactly one scenario (matched {len(match)})")
    raise fail(where, "baseline", spec, "expected a scenario name or a mapping of lever values")


def load_experiment(path: str | os.PathLike, seed: int | None = None, replications: int | None = None) -> Experiment:
    """Read and validate an experiment file (``kind: experiment``). ``seed`` replaces
    the experiment's seed; ``replications`` fixes the replication count (a sequential
    rule gets min = max = replications)."""
    data = read_config(path, "experiment")
    if seed is not None:
        data = {**data, "seed": seed}
    exp = experiment_from_data(data, str(path), Path(path).parent)
    if replications is not None:
        exp = dataclasses.replace(exp, replications=dataclasses.replace(exp.replications, min=replications,
                                                                        max=replications))
    return exp


def read_inputs(exp: Experiment) -> int:
    """Read every villages CSV the experiment's scenarios name, so that ``ruralsim
    check`` finds a missing or bad one before a run would; returns how many."""
    from sim.county.network import load_villages
    first: dict[str, str] = {}
    for s in exp.scenarios:
        if s.scenario.county.villages_csv:
            first.setdefault(s.scenario.county.villages_csv, s.label)
    for path in sorted(first):
        try:
            load_villages(path)
        except InputError as exc:   # which config and scenario named it
            raise InputError(f"{exp.source}: scenario {first[path]!r}: {exc}") from None
    check_township_ids(exp)
    return len(first)


def check_township_ids(exp: Experiment) -> None:
    """Township and village ids a scenario names (``township.vehicle_types_by_township``,
    ``service.by_township``, ``service.by_village``) are its villages file's (a
    generated county's are checked with the scenario)."""
    from sim.county.network import check_township_keys, named_entries
    for s in exp.scenarios:
        if s.scenario.county.villages_csv and named_entries(s.scenario):
            check_township_keys(s.scenario, f"{exp.source}: scenarios.{s.name}")
