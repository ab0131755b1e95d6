"""The rollout experiment config: a base scenario, a region of counties, a horizon in
months, a capital budget, Bass adoption, economics, operating models and the strategies
to compare, validated before anything runs (the simulation is :mod:`sim.rollout.simulate`)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.csvread import check_name, read_rows
from sim.config.jsonschema import BASE_JSON, SCENARIO_REF
from sim.config.overrides import deep_merge
from sim.config.scenario import (
    Scenario,
    read_config,
    scenario_data,
    scenario_from_data,
    scenario_input_files,
    without_kind,
)
from sim.config.schema import REQUIRED, FieldError, build, fail, spec, to_data
from sim.errors import InputError
from sim.rollout.attrition import AttritionConfig
from sim.rollout.calibration import CalibrationConfig, check_calibration
from sim.rollout.entry import EntryConfig, check_budget_profile
from sim.rollout.ranking import RankingSensitivityConfig
from sim.rollout.region import RegionConfig, counties_of, region_config
from sim.rollout.sampling import Sampling, check_sampling
from sim.rollout.strategies import VILLAGE_ORDERS
from sim.rollout.villages import CrossSubsidyPolicy, PromoterConfig, VillageInputs

DAYS_PER_MONTH = 365.0 / 12.0


@dataclass(frozen=True)
class Bass:
    """Bass diffusion of a village's residents after its station opens (monthly)."""
    p: float
    q: float
    ceiling: float
    reference_h: float | None = None     # service feedback: slower than this damps imitation
    elasticity: float = 1.0


@dataclass(frozen=True)
class Feedback:
    """Service feedback on adoption: lead times above reference_h damp imitation."""
    reference_h: float = spec(48.0, "Lead time at which imitation is undamped", unit="h", lo=0, lo_open=True)
    elasticity: float = spec(1.0, "Elasticity of imitation to lead time relative to reference_h", lo=0)

    @classmethod
    def from_short(cls, value, where: str, path: str):
        if value is False:
            return None
        raise fail(where, path, value, "expected a mapping with reference_h, elasticity, or false (no feedback)")


@dataclass(frozen=True)
class AdoptionConfig:
    """Bass diffusion coefficients per month after a village's station opens."""
    p: float = spec(0.03, "Innovation coefficient per month", unit="1/month", lo=0, hi=1, lo_open=True)
    q: float = spec(0.38, "Imitation coefficient per month", unit="1/month", lo=0, hi=5)
    ceiling: float = spec(0.6, "Share of residents who adopt eventually", lo=0, hi=1, lo_open=True)
    feedback: Feedback | None = spec(None, "Service feedback (null or false: none)", optional=True, source="")
    parcels_per_adopter_y: float = spec(8.0, "Parcels an adopter orders per year (adoption only)", unit="parcels/y",
                                        lo=0)

    def bass(self) -> Bass:
        fb = self.feedback
        return Bass(self.p, self.q, self.ceiling, fb.reference_h if fb else None, fb.elasticity if fb else 1.0)


@dataclass(frozen=True)
class Economics:
    """Money flows of the platform that runs the rollout."""
    platform_fee_per_parcel_cny: float = spec(2.0, "Platform fee per parcel delivered", unit="CNY/parcel", lo=0)
    delivery_price_per_parcel_cny: float = spec(3.0, "Delivery price per parcel delivered", unit="CNY/parcel", lo=0)
    subsidy_per_county_cny: float = spec(0.0, "Subsidy paid when the county's hub opens", unit="CNY", lo=0)
    cross_subsidy_per_parcel_cny: float = spec(0.0, "The platform's transfer from city business per parcel",
                                               unit="CNY/parcel", lo=0)
    discount_rate_y: float = spec(0.08, "Discount rate of NPVs", unit="1/y", lo=0)


@dataclass(frozen=True)
class StrategyConfig:
    """A strategy: the order villages get stations (or a schedule file) and who runs the last mile."""
    village_order: str | None = spec(None, "Order villages get stations", choices=VILLAGE_ORDERS, optional=True,
                                     shown="largest_first (without schedule)", source="")
    operating_model: str | None = spec(None, "A key of operating_models", optional=True,
                                       shown="the first operating model", source="")
    county_target: float = spec(1.0, "Share of a county's villages that get a station", lo=0, hi=1, lo_open=True,
                                source="")
    schedule: str | None = spec(None, "A CSV (month, county_id, village_id) of openings, relative to the config; "
                                "instead of village_order", optional=True, source="")
    hub_capex_share: float = spec(1.0, "Share of the county centre's capital the platform pays (below 1: premises "
                                  "provided by the county government, as for partner-run counties)", lo=0, hi=1,
                                  source="")
    promoters: bool = spec(False, "A promoter in every village with a station (see promoters)", source="")

    def check(self) -> None:
        if self.schedule is not None and self.village_order is not None:
            raise ValueError("give either schedule or village_order, not both")


@dataclass(frozen=True, kw_only=True)
class RolloutConfig:
    """A rollout: strategies compared over a region's counties, month by month, under
    one capital budget. A county's scenario is the base (with its operating model's
    overrides) resized to the county; see the reference for the base keys it replaces."""
    name: str | None = spec(None, "Rollout name", optional=True, shown="the file's name", source="")
    description: str | None = spec(None, "Free text", optional=True, source="")
    base: Any = spec(None, "The base scenario: a scenario file (relative to this file) or a scenario mapping",
                     shown="the built-in defaults", source="", json=BASE_JSON)
    region: RegionConfig = spec(RegionConfig, "The region's counties", factory=True, source="")
    seed: int | None = spec(None, "Root seed of schedules, counties and monthly samples", lo=0, optional=True,
                            shown="the base's seed", source="")
    horizon_m: int = spec(60, "Months simulated", unit="months", lo=1, hi=240, source="")
    sample_days: int = spec(10, "Days simulated per month, scaled to the month", unit="d", lo=1, hi=31, source="")
    warmup_days: int = spec(3, "Warm-up days before each month's sample", unit="d", lo=0, hi=30, source="")
    sampling: Sampling = spec(Sampling, "Which days of each month are sampled", factory=True, source="")
    replications: int = spec(2, "Replications of every (strategy, county)", lo=1, hi=1000, source="")
    budget_per_year_cny: tuple[float, ...] = spec((2e8,), "Capital budget per year of the horizon (a list: one per "
                                                  "year, the last repeats)", unit="CNY/y", lo=0, one_or_list=True)
    adoption: AdoptionConfig = spec(AdoptionConfig, "Online shopping adoption of residents", factory=True, source="")
    produce_participation: AdoptionConfig = spec(lambda: AdoptionConfig(p=0.02, q=0.3, ceiling=1.0),
                                                 "Farmers' participation in selling produce (parcels_per_adopter_y "
                                                 "unused)", factory=True, source="")
    economics: Economics = spec(Economics, "Money flows", factory=True, source="")
    cross_subsidy_policy: CrossSubsidyPolicy = spec(CrossSubsidyPolicy, "How long economics.cross_subsidy_per_"
                                                    "parcel_cny is paid in a county", factory=True, source="")
    village_inputs: VillageInputs | None = spec(None, "Per-village adoption ceilings from internet use and "
                                                "working-age share (null: every village at adoption.ceiling)",
                                                optional=True, source="")
    promoters: PromoterConfig = spec(PromoterConfig, "Village promoters, for strategies with promoters: true",
                                     factory=True, source="")
    ranking_sensitivity: RankingSensitivityConfig = spec(RankingSensitivityConfig, "Ranges of the ranking "
                                                         "sensitivity (compare --ranking-sensitivity)", factory=True,
                                                         source="")
    operating_models: dict[str, Any] = spec(lambda: {"self_run": {}}, "Operating models: name -> overrides of the "
                                            "base scenario; validated through the scenario schema", factory=True,
                                            shown="self_run: the base as is", source="",
                                            json={"type": "object", "additionalProperties": {"$ref": SCENARIO_REF}})
    strategies: dict[str, StrategyConfig] = spec(REQUIRED, "Strategies compared: name -> settings", source="")
    baseline: str | None = spec(None, "The strategy others are compared with", optional=True,
                                shown="the first strategy", source="")
    map_months: tuple[int, ...] | None = spec(None, "Months of the coverage maps", optional=True,
                                              shown="the last month", source="")
    reported: tuple[tuple[float, ...], ...] = spec((), "Reported [month, villages covered] points shown with the "
                                                   "model's curve", source="")
    budget_profile: Any = spec("even", "Share of a year's budget available by each month: even ((m+1)/12 by month "
                               "m), upfront (all from the year's first month) or 12 monthly weights", source="",
                               json={"oneOf": [{"enum": ["even", "upfront"]},
                                               {"type": "array", "items": {"type": "number", "minimum": 0},
                                                "minItems": 12, "maxItems": 12}]})
    entry: EntryConfig | None = spec(None, "County entry apart from village recruitment (null: the budget sets "
                                     "the pace, counties in turn)", optional=True, source="")
    attrition: AttritionConfig | None = spec(None, "Station attrition against the agent's reservation wage (null: "
                                             "stations never close)", optional=True, source="")
    calibration: CalibrationConfig | None = spec(None, "Parameters `ruralsim calibrate` fits (null: none)",
                                                 optional=True, source="")

    def check(self) -> None:
        if not self.budget_per_year_cny:
            raise FieldError("budget_per_year_cny", [], "expected a number or a non-empty list of numbers")
        if not self.strategies:
            raise FieldError("strategies", {}, "expected a mapping of name: {village_order, operating_model, "
                                               "county_target} or {schedule, operating_model}")
        months = self.map_months if self.map_months is not None else ()
        if not all(0 <= m < self.horizon_m for m in months):
            raise FieldError("map_months", list(months), f"expected a list of months in 0..{self.horizon_m - 1}")
        check_sampling(self.sampling, self.sample_days)
        if not all(len(r) == 2 for r in self.reported):
            raise FieldError("reported", [list(r) for r in self.reported], "expected a list of [month, villages]")
        check_budget_profile(self.budget_profile)


@dataclass(frozen=True)
class Strategy:
    name: str
    operating_model: str
    village_order: str | None = None
    county_target: float = 1.0
    schedule_csv: str | None = None
    hub_capex_share: float = 1.0
    promoters: bool = False


@dataclass(frozen=True)
class Rollout:
    name: str
    source: str
    data: dict
    base: Scenario
    region: RegionConfig
    seed: int
    horizon_m: int
    sample_days: int
    warmup_days: int
    replications: int
    budget_per_year_cny: tuple[float, ...]   # per year of the horizon; the last one repeats
    adoption: Bass
    produce: Bass
    parcels_per_adopter_y: float
    economics: Economics
    operating_models: dict          # name -> Scenario (the base with the model's overrides)
    strategies: tuple[Strategy, ...]
    baseline: str
    map_months: tuple[int, ...]
    reported: tuple[tuple[int, float], ...]
    files: tuple[Path, ...] = ()     # every file the config reads (see input_files)
    county_limit: int | None = None  # a quick preview: only the region's first counties (see preview)
    budget_profile: Any = "even"     # see RolloutConfig.budget_profile
    entry: EntryConfig | None = None
    attrition: AttritionConfig | None = None
    calibration: CalibrationConfig | None = None
    sampling: Sampling = dataclasses.field(default_factory=Sampling)
    cross_subsidy_policy: CrossSubsidyPolicy = dataclasses.field(default_factory=CrossSubsidyPolicy)
    village_inputs: VillageInputs | None = None
    promoters: PromoterConfig = dataclasses.field(default_factory=PromoterConfig)
    ranking_sensitivity: RankingSensitivityConfig = dataclasses.field(default_factory=RankingSensitivityConfig)

    def preview(self, counties: int | None = None, replications: int | None = None) -> Rollout:
        """The same rollout on the region's first ``counties`` counties and/or with
        ``replications`` replications: a quick first look (its results folder is stamped
        apart from the full run's). The capital budget is scaled by the preview's share of
        the region's counties, so that it binds as in the full run (the whole region's
        budget would open every county of a preview at once); an entry schedule is not."""
        changes: dict[str, Any] = {}
        if counties is not None:
            changes["county_limit"] = counties
            total = len(counties_of(self.region))
            now = total if self.county_limit is None else min(self.county_limit, total)   # a preview's preview
            if min(counties, total) != now and counties > 0:
                share = min(counties, total) / now
                changes["budget_per_year_cny"] = tuple(b * share for b in self.budget_per_year_cny)
        if replications is not None:
            changes["replications"] = replications
        return dataclasses.replace(self, **changes) if changes else self

    def input_files(self) -> list[Path]:
        """Every file the rollout reads, as absolute paths: the config itself, the base
        scenario's file, villages CSVs, the counties CSV, every file in villages_dir and
        schedule CSVs."""
        return list(self.files)


def rollout_from_data(data: Any, where: str, base_dir: Path) -> Rollout:
    """Validate plain data (from YAML) into a :class:`Rollout`."""
    data = without_kind(data, where, "rollout")
    cfg = build(RolloutConfig, data, where)
    base, base_file = _base_scenario(cfg.base, where, base_dir)
    region = region_config(to_data(cfg.region), where, base_dir)
    seed = base.seed if cfg.seed is None else cfg.seed
    base_data = scenario_data(base)
    models = {}
    for name, ov in (cfg.operating_models or {"self_run": {}}).items():
        check_name(name, where, f"operating_models.{name}")
        if not isinstance(ov, Mapping):
            raise fail(where, f"operating_models.{name}", ov, "expected scenario overrides (a mapping)")
        check_rollout_overrides(ov, where, f"operating_models.{name}")
        models[name] = scenario_from_data(deep_merge(base_data, ov), f"{where}: operating_models.{name}", base_dir)
        if models[name].network.tiers == 2 and models[name].township.outlets:
            # outlets open a station in every township from the hub's first month, which the schedule does not buy
            own = isinstance(ov.get("township"), Mapping) and "outlets" in ov["township"]
            source = where if own or base_file is None else str(base_file)
            key = f"operating_models.{name}.township.outlets" if own else "township.outlets" if base_file \
                else "base.township.outlets"
            raise fail(source, key, True, "false in a rollout (township stations open with their first village "
                       "station)" + ("" if own else f"; the rollout's base sets it (operating model {name!r})"))
    strategies = []
    for name, sd in cfg.strategies.items():
        check_name(name, where, f"strategies.{name}")   # a strategy's runs are stored under its name
        om = sd.operating_model or next(iter(models))
        if om not in models:
            raise fail(where, f"strategies.{name}.operating_model", om, f"expected one of {', '.join(models)}")
        if sd.schedule is not None:
            strategies.append(Strategy(name, om, schedule_csv=str((base_dir / sd.schedule).resolve()),
                                       hub_capex_share=sd.hub_capex_share, promoters=sd.promoters))
        else:
            strategies.append(Strategy(name, om, sd.village_order or "largest_first", sd.county_target,
                                       hub_capex_share=sd.hub_capex_share, promoters=sd.promoters))
    baseline = strategies[0].name if cfg.baseline is None else cfg.baseline
    if cfg.calibration is not None:
        check_calibration(cfg, where)
    if baseline not in [s.name for s in strategies]:
        raise fail(where, "baseline", baseline, f"expected one of {', '.join(s.name for s in strategies)}")
    maps = cfg.map_months if cfg.map_months is not None else (cfg.horizon_m - 1,)
    files = [Path(where).resolve()] if Path(where).is_file() else []
    files += [base_file] if base_file else []
    for sc in [base, *models.values()]:
        files += scenario_input_files(sc)
    if region.counties_csv:
        files.append(Path(region.counties_csv).resolve())
    if region.villages_dir:
        files += sorted(p.resolve() for p in Path(region.villages_dir).iterdir() if p.is_file())
    files += [Path(s.schedule_csv).resolve() for s in strategies if s.schedule_csv]
    return Rollout(cfg.name or Path(where).stem, where, dict(data or {}), base, region, seed, cfg.horizon_m,
                   cfg.sample_days, cfg.warmup_days, cfg.replications, cfg.budget_per_year_cny, cfg.adoption.bass(),
                   cfg.produce_participation.bass(), cfg.adoption.parcels_per_adopter_y, cfg.economics, models,
                   tuple(strategies), baseline, tuple(maps), tuple((int(m), float(v)) for m, v in cfg.reported),
                   tuple(dict.fromkeys(files)),
                   budget_profile=(cfg.budget_profile if isinstance(cfg.budget_profile, str)
                                   else tuple(float(w) for w in cfg.budget_profile)),
                   entry=cfg.entry, attrition=cfg.attrition, calibration=cfg.calibration,
                   sampling=cfg.sampling, cross_subsidy_policy=cfg.cross_subsidy_policy,
                   village_inputs=cfg.village_inputs, promoters=cfg.promoters,
                   ranking_sensitivity=cfg.ranking_sensitivity)


ROLLOUT_GOVERNED = {
    "name": "the county ids (each county's scenario is named after it)",
    "seed": "seed (each county and month gets its own stream)",
    "replications": "replications",
    "horizon_d": "sample_days",
    "warmup_d": "warmup_days",
    "stations.coverage_share": "strategies (the schedule opens stations)",
    "stations.selection": "strategies.NAME.village_order",
    "county.area_km2": "region (each county's area)",
    "county.townships": "region (each county's townships)",
    "county.villages": "region.villages",
    "county.residents_per_village": "region.residents_per_village",
    "county.villages_csv": "region.villages_dir",
    "city.warehouse_km": "region.city_km",
    "city.market_km": "region.city_km",
    "costs.subsidy_per_year_cny": "economics.subsidy_per_county_cny",
}
"""Base scenario keys a rollout replaces, and the rollout key that governs each."""


def check_governed(overrides: Mapping, where: str, key: str, governed: Mapping[str, str], kind: str) -> None:
    """Overrides may not set a scenario key that a ``kind`` (a rollout, a national year)
    replaces (``governed``: key path -> the key that governs it) to anything but its
    default: it would do nothing."""
    defaults = to_data(Scenario())
    for path, governs in governed.items():
        node: Any = overrides
        default: Any = defaults
        for part in path.split("."):
            node = node.get(part, _ABSENT) if isinstance(node, Mapping) else _ABSENT
            default = default[part]
        if node is not _ABSENT and node != default:
            raise fail(where, f"{key}.{path}", node, f"a {kind} replaces this scenario key; set {governs} instead")


def check_rollout_overrides(overrides: Mapping, where: str, key: str) -> None:
    """Overrides (an operating model's, an inline base) may not set a scenario key the
    rollout replaces to anything but its default: it would do nothing."""
    check_governed(overrides, where, key, ROLLOUT_GOVERNED, "rollout")


_ABSENT = object()


def _base_scenario(base: Any, where: str, base_dir: Path) -> tuple[Scenario, Path | None]:
    if isinstance(base, str):
        try:
            raw = read_config(base_dir / base, "scenario")
        except InputError as exc:
            raise InputError(f"{where}: base: {exc}") from None
        return scenario_from_data(raw, str(base_dir / base), base_dir), (base_dir / base).resolve()
    if isinstance(base, Mapping) or base is None:
        if isinstance(base, Mapping):
            check_rollout_overrides(base, where, "base")
        return scenario_from_data(base or {}, f"{where}: base", base_dir), None
    raise fail(where, "base", base, "expected a path to a scenario file or a scenario mapping")


def load_rollout(path) -> Rollout:
    """Read and validate a rollout file (``kind: rollout``)."""
    return rollout_from_data(read_config(path, "rollout"), str(path), Path(path).parent)


def check_township_ids(ro: Rollout, county_id: str, ids: tuple[str, ...], village_ids: tuple[str, ...]) -> None:
    """The township and village ids an operating model names
    (``township.vehicle_types_by_township``, ``service.by_township``,
    ``service.by_village``) are of every county of the region (``ids`` and
    ``village_ids``: county ``county_id``'s)."""
    from sim.county.network import check_township_keys, named_entries
    for name, model in ro.operating_models.items():
        if named_entries(model):
            check_township_keys(model, f"{ro.source}: operating_models.{name} (county {county_id})", ids,
                                village_ids)


def read_inputs(ro: Rollout) -> int:
    """Read every file the rollout will read (counties CSV, villages files, schedule
    CSVs), so that ``ruralsim check`` finds what a run would; returns the number of
    counties. Schedules are checked row by row against the region when it runs."""
    from sim.config.township import synthetic_township_ids, synthetic_village_ids
    from sim.county.network import load_villages, named_entries, read_villages
    from sim.rollout.region import counties_of, villages_file
    counties = counties_of(ro.region)
    for county in counties:
        path = villages_file(ro.region, county)
        if path:
            load_villages(path)
    for county in counties if any(named_entries(m) for m in ro.operating_models.values()) else []:
        path = villages_file(ro.region, county)
        if path:
            villages = read_villages(path)
            check_township_ids(ro, county.id, villages[6], villages[0])
        else:
            check_township_ids(ro, county.id, synthetic_township_ids(county.townships),
                               synthetic_village_ids(county.villages))
    for sc in {id(s): s for s in [ro.base, *ro.operating_models.values()]}.values():
        if sc.county.villages_csv:
            load_villages(sc.county.villages_csv)
    for s in ro.strategies:
        if s.schedule_csv:
            for _ in read_rows(s.schedule_csv, ("month", "county_id", "village_id"), "schedule file", 10_000_000):
                pass
    return len(counties)
