"""The inputs a rollout comparison rests on, for its report: the assumptions that matter (budget,
horizon, sampling, adoption, money, each operating model's vehicle, fee and capital) with their
values and the schema's source of each default, and the levers that set each strategy apart."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from sim.config.fleet import VehicleType
from sim.config.scenario import HubConfig, LastMileConfig, StationConfig
from sim.rollout.attrition import AttritionConfig
from sim.rollout.entry import EntryConfig
from sim.rollout.sampling import Sampling
from sim.rollout.spec import AdoptionConfig, Economics, Rollout, RolloutConfig
from sim.rollout.villages import CrossSubsidyPolicy, PromoterConfig, VillageInputs

__all__ = ["assumptions", "levers"]


def _source(cls: type, name: str) -> str:
    """The schema's source of a key's default; "[G]" where it is empty (an assumption)."""
    meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
    return str(meta.get("source") or "").strip() or "[G]"


def _given(data: dict, path: str) -> bool:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def assumptions(ro: Rollout) -> list[dict]:
    """The inputs that matter to a comparison: ``{"input", "value", "unit", "source"}`` per key, the
    source from the schema (``[G]`` where it is empty), marked "set in the config" where the
    rollout file gives the value."""
    rows = []

    def add(label: str, path: str, value, cls: type, name: str, unit: str | None = None) -> None:
        meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
        src = _source(cls, name) + ("; set in the config" if _given(ro.data, path) else "")
        rows.append({"input": f"{label} ({path})", "value": value,
                     "unit": meta.get("unit", "") if unit is None else unit, "source": src})

    add("Capital budget per year", "budget_per_year_cny", list(ro.budget_per_year_cny), RolloutConfig,
        "budget_per_year_cny")
    add("Horizon", "horizon_m", ro.horizon_m, RolloutConfig, "horizon_m")
    add("Days sampled per month", "sample_days", ro.sample_days, RolloutConfig, "sample_days")
    add("Warm-up days before each sample", "warmup_days", ro.warmup_days, RolloutConfig, "warmup_days")
    if ro.sampling.method != "first_days":
        add("Sampling of the month's days", "sampling.method", ro.sampling.method, Sampling, "method")
        add("Parts of the month sampled", "sampling.strata", ro.sampling.strata, Sampling, "strata")
    add("Replications", "replications", ro.replications, RolloutConfig, "replications")
    for name, label in (("p", "Adoption: innovation p"), ("q", "Adoption: imitation q"),
                        ("ceiling", "Adoption: ceiling")):
        add(label, f"adoption.{name}", getattr(ro.adoption, name), AdoptionConfig, name)
    add("Parcels per adopter", "adoption.parcels_per_adopter_y", ro.parcels_per_adopter_y, AdoptionConfig,
        "parcels_per_adopter_y")
    for f in dataclasses.fields(Economics):
        add(str(f.metadata["doc"]), f"economics.{f.name}", getattr(ro.economics, f.name), Economics, f.name)
    if _given(ro.data, "budget_profile"):
        add("Budget profile", "budget_profile", ro.budget_profile if isinstance(ro.budget_profile, str)
            else list(ro.budget_profile), RolloutConfig, "budget_profile")
    for section, cls in (("entry", EntryConfig), ("attrition", AttritionConfig)):
        cfg = getattr(ro, section)
        for f in dataclasses.fields(cls) if cfg is not None else ():
            value = getattr(cfg, f.name)
            if value is None:
                continue
            if isinstance(value, dict):
                value = f"{len(value)} counties named"
            elif isinstance(value, tuple):    # the entry schedule's [month, counties] points
                value = "; ".join(f"month {m:g}: {c:g}" for m, c in value)
            add(str(f.metadata["doc"]), f"{section}.{f.name}", value, cls, f.name)
    _policy_rows(ro, add)
    for model, sc in ro.operating_models.items():
        key = f"operating_models.{model}"
        vt = sc.lastmile.vehicle_type
        add(f"{model}: last-mile vehicle type", f"{key}.lastmile.vehicle_type", vt, LastMileConfig, "vehicle_type")
        add(f"{model}: vehicle fee per parcel", f"{key}.vehicle_types.{vt}.fee_per_parcel_cny",
            sc.vehicle_types[vt].fee_per_parcel_cny, VehicleType, "fee_per_parcel_cny")
        add(f"{model}: hub capital", f"{key}.hub.capex_cny", sc.hub.capex_cny, HubConfig, "capex_cny")
        add(f"{model}: station capital", f"{key}.stations.capex_cny", sc.stations.capex_cny, StationConfig,
            "capex_cny")
    return rows


def _policy_rows(ro: Rollout, add) -> None:
    """Rows of the per-village inputs, promoters and cross-subsidy policy, where they are used."""
    pol = ro.cross_subsidy_policy
    if pol.months is not None:
        add("Cross-subsidy paid for", "cross_subsidy_policy.months", pol.months, CrossSubsidyPolicy, "months")
    if pol.until_parcels_per_month is not None:
        add("Cross-subsidy stops at monthly parcels", "cross_subsidy_policy.until_parcels_per_month",
            pol.until_parcels_per_month, CrossSubsidyPolicy, "until_parcels_per_month")
    vi = ro.village_inputs
    if vi is not None:
        add("Internet use of generated villages", "village_inputs.internet_use",
            f"{vi.internet_use.min:g}-{vi.internet_use.max:g}", VillageInputs, "internet_use", unit="share")
        add("Working-age share of generated villages", "village_inputs.working_age_share",
            f"{vi.working_age_share.min:g}-{vi.working_age_share.max:g}", VillageInputs, "working_age_share",
            unit="share")
        for name in ("reference_internet_use", "reference_working_age_share", "internet_elasticity",
                     "working_age_elasticity"):
            add(name.replace("_", " ").capitalize(), f"village_inputs.{name}", getattr(vi, name), VillageInputs, name)
    if any(s.promoters for s in ro.strategies):
        for name, label in (("pay_per_order_cny", "Promoter pay per order"), ("p_factor", "Promoter: p multiplied by"),
                            ("ceiling_added", "Promoter: ceiling raised by")):
            add(label, f"promoters.{name}", getattr(ro.promoters, name), PromoterConfig, name)


def levers(ro: Rollout) -> dict[str, dict]:
    """Per strategy the levers that set it apart: village order (or schedule file), share of a
    county's villages, operating model and its last-mile vehicle (and the share of the county
    centre's capital paid, where a strategy pays less than all of it)."""
    out: dict[str, dict] = {}
    lighter = any(s.hub_capex_share != 1.0 for s in ro.strategies)
    for s in ro.strategies:
        sc = ro.operating_models[s.operating_model]
        out[s.name] = {"village order": s.village_order or f"schedule {Path(s.schedule_csv or '').name}",
                       "county target": s.county_target, "operating model": s.operating_model,
                       "last-mile vehicle": sc.lastmile.vehicle_type}
        if lighter:
            out[s.name]["county centre capital share"] = s.hub_capex_share
        if any(t.promoters for t in ro.strategies):
            out[s.name]["promoters"] = "yes" if s.promoters else "no"
    return out
