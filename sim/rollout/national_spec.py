"""The national year's config (``kind: national``): every county of the country, by
province-like region, simulated for a whole year with stations at a stated coverage;
validated before anything runs (the run itself is :mod:`sim.rollout.national`)."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.csvread import check_name
from sim.config.jsonschema import BASE_JSON
from sim.config.scenario import (
    TERRAINS,
    Scenario,
    read_config,
    scenario_from_data,
    scenario_input_files,
    without_kind,
)
from sim.config.schema import REQUIRED, FieldError, build, spec
from sim.county.rng import generator
from sim.rollout.region import MAX_COUNTIES, County, IntRange, Range, check_villages_range, townships_for
from sim.rollout.spec import _base_scenario, check_governed


@dataclass(frozen=True)
class NationalRegion:
    """A province-like region: how many counties it has and the ranges its counties'
    size, villages and distance to their city are drawn from (uniformly, per county)."""
    counties: int = spec(REQUIRED, "County-level units in the region", lo=1, hi=MAX_COUNTIES,
                         source="about 2,850 in all (NBS yearbooks); the split by region [G]")
    area_km2: Range = spec(lambda: Range(1000.0, 3000.0), "County area ([G] about 2,000 km2 a typical county)",
                           unit="km2", factory=True, source="[G] about 2,000 km2 a county")
    villages: IntRange = spec(lambda: IntRange(150, 270), "Administrative villages per county ([D] about 209: "
                              "596,450 villages / 2,850 counties)", factory=True,
                              source="[D] 596,450 villages (3rd Agricultural Census) / 2,850")
    residents_per_village: Range = spec(lambda: Range(700.0, 1300.0), "Mean residents per village ([D] about "
                                        "1,000: 603 M rural residents / 596,450 villages)", factory=True,
                                        source="[D] 603 M rural residents / 596,450 villages")
    city_km: Range = spec(lambda: Range(60.0, 300.0), "Road distance from the county to its city (warehouse and "
                          "market) [G]", unit="km", factory=True, source="[G]")
    terrain: str | None = spec(None, "Terrain of the region's counties (null: the base scenario's)",
                               choices=TERRAINS, optional=True, shown="the base's terrain",
                               source="[G] townships within 1 h of the county seat: east 92%, west 65% "
                                      "(2nd Agricultural Census)")

    def check(self) -> None:
        for name in ("area_km2", "villages", "residents_per_village", "city_km"):
            r = getattr(self, name)
            if r.min > r.max:
                raise FieldError(f"{name}.max", r.max, f"expected min <= max (min is {r.min:g})")
        check_villages_range(self.villages, "villages")


@dataclass(frozen=True, kw_only=True)
class NationalConfig:
    """A national year: every county of every region simulated for a whole year (the base
    scenario's horizon and warm-up), one county-year each, with stations in
    ``coverage_share`` of each county's villages; national tables by region and by
    remoteness class."""
    name: str | None = spec(None, "Name of the national year", optional=True, shown="the file's name", source="")
    description: str | None = spec(None, "Free text", optional=True, source="")
    base: Any = spec(None, "The base scenario: a scenario file (relative to this file) or a scenario mapping",
                     shown="the built-in defaults", source="", json=BASE_JSON)
    seed: int | None = spec(None, "Root seed of the counties and of every county's random streams", lo=0,
                            optional=True, shown="the base's seed", source="")
    coverage_share: float = spec(0.251, "Share of each county's villages with a station (the base's "
                                 "stations.selection picks them)", unit="share", lo=0, hi=1, lo_open=True,
                                 source="villages with an e-commerce delivery site: 25.1% (2016), 3rd Agricultural "
                                        "Census, bulletin 3")
    remoteness_classes: int = spec(10, "Remoteness classes: counties ranked by road distance to their city, split "
                                   "into this many equal groups (10: deciles)", lo=2, hi=100, source="")
    regions: dict[str, NationalRegion] = spec(REQUIRED, "Province-like regions: name -> counties and their ranges",
                                              source="")

    def check(self) -> None:
        if not self.regions:
            raise FieldError("regions", {}, "expected a mapping of name: {counties, ...}")
        total = sum(r.counties for r in self.regions.values())
        if total > MAX_COUNTIES:
            raise FieldError("regions", f"{total} counties in all", f"expected at most {MAX_COUNTIES:,} counties")
        fewest = min(r.villages.min for r in self.regions.values())
        if round(self.coverage_share * fewest) < 1:   # stations are round(share x villages): none in such a county
            raise FieldError("coverage_share", self.coverage_share,
                             f"a share that gives every county a station: above {0.5 / fewest:.4g} (the smallest "
                             f"counties have {fewest} villages)")


NATIONAL_GOVERNED = {
    "name": "the county ids",
    "seed": "seed (each county gets its own streams)",
    "replications": "one county-year per county",
    "stations.coverage_share": "coverage_share",
    "county.area_km2": "regions.NAME.area_km2",
    "county.townships": "regions.NAME.villages (a township per 18.7 villages)",
    "county.villages": "regions.NAME.villages",
    "county.residents_per_village": "regions.NAME.residents_per_village",
    "county.villages_csv": "regions (villages are generated)",
    "city.warehouse_km": "regions.NAME.city_km",
    "city.market_km": "regions.NAME.city_km",
}
"""Base scenario keys a national year replaces, and the national key that governs each
(``county.terrain`` too, for a region that sets ``terrain``)."""


@dataclass(frozen=True)
class NationalCounty:
    """A county of the national year: its region, its remoteness class (1 = nearest its
    city) and its terrain (None: the base's)."""
    region: str
    county: County
    remoteness_class: int
    terrain: str | None


@dataclass(frozen=True)
class National:
    name: str
    source: str
    data: dict
    base: Scenario                 # with stations.coverage_share = coverage_share
    regions: tuple[tuple[str, NationalRegion], ...]
    seed: int
    coverage_share: float
    remoteness_classes: int
    files: tuple[Path, ...] = ()
    county_limit: int | None = None   # a quick preview: a sample of this many counties from every region

    def preview(self, counties: int | None) -> National:
        """The same national year on ``counties`` counties spread evenly over the country's
        list (every region in proportion); stamped apart from the full run."""
        return dataclasses.replace(self, county_limit=counties) if counties is not None else self

    def input_files(self) -> list[Path]:
        return list(self.files)

    def resolved(self) -> dict:
        """Every resolved setting (the file's own path excepted): what the folder's stamp hashes."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("source", "files")}

    def all_counties(self) -> list[NationalCounty]:
        """Every county of every region (ids ``<region>_<n>``), with its national
        remoteness class: counties ranked by road distance to their city (ties by id),
        split into ``remoteness_classes`` groups of equal size."""
        out: list[tuple[str, County, str | None]] = []
        for k, (name, reg) in enumerate(self.regions):
            rng = generator(self.seed, k, f"national/{name}")
            n = reg.counties
            area = rng.uniform(reg.area_km2.min, reg.area_km2.max, n)
            villages = rng.integers(reg.villages.min, reg.villages.max + 1, n)
            size = rng.uniform(reg.residents_per_village.min, reg.residents_per_village.max, n)
            city = rng.uniform(reg.city_km.min, reg.city_km.max, n)
            for i in range(n):
                townships = townships_for(int(villages[i]))
                out.append((name, County(f"{name}_{i + 1:04d}", 0.0, 0.0, float(area[i]), townships,
                                         int(villages[i]), float(villages[i] * size[i]), float(city[i])), reg.terrain))
        order = sorted(range(len(out)), key=lambda j: (out[j][1].city_km, out[j][1].id))
        classes = np.empty(len(out), dtype=int)
        for rank, j in enumerate(order):
            classes[j] = 1 + rank * self.remoteness_classes // len(out)
        return [NationalCounty(r, c, int(classes[j]), t) for j, (r, c, t) in enumerate(out)]

    def counties(self) -> list[NationalCounty]:
        """The counties this run simulates: all of them, or the preview's even sample (the
        county at the middle of each of ``county_limit`` equal stretches of the list)."""
        every = self.all_counties()
        if self.county_limit is None or self.county_limit >= len(every):
            return every
        idx = np.unique(np.floor((np.arange(self.county_limit) + 0.5) * len(every) / self.county_limit).astype(int))
        return [every[i] for i in idx]


def check_national_overrides(overrides: Mapping, where: str, key: str) -> None:
    """An inline base may not set a key the national year replaces to anything but its default."""
    check_governed(overrides, where, key, NATIONAL_GOVERNED, "national year")




def _check_named_ids(base: Scenario, regions: Mapping[str, NationalRegion], where: str) -> None:
    """Township and village ids the base names (``township.vehicle_types_by_township``,
    ``service.by_township``, ``service.by_village``) must be in every county the national
    year generates, so in each region's smallest (``villages.min`` villages and its
    townships): refused here, not county by county once the run has started."""
    from sim.config.township import synthetic_township_ids, synthetic_village_ids
    from sim.county.network import check_township_keys, named_entries
    if not named_entries(base):
        return
    for name, reg in regions.items():
        villages = reg.villages.min
        check_township_keys(base, f"{where}: base (the smallest county of region {name}: {villages} villages)",
                            synthetic_township_ids(townships_for(villages)), synthetic_village_ids(villages))


def national_from_data(data: Any, where: str, base_dir: Path) -> National:
    """Validate plain data (from YAML) into a :class:`National`."""
    data = without_kind(data, where, "national")
    cfg = build(NationalConfig, data, where)
    if isinstance(cfg.base, Mapping) or cfg.base is None:
        check_national_overrides(cfg.base or {}, where, "base")
        base, base_file = scenario_from_data(cfg.base or {}, f"{where}: base", base_dir), None
    else:
        base, base_file = _base_scenario(cfg.base, where, base_dir)
    for name in cfg.regions:
        check_name(name, where, f"regions.{name}")   # county ids and run files are named after the region
    _check_named_ids(base, cfg.regions, where)
    base = dataclasses.replace(base, replications=1,
                               stations=dataclasses.replace(base.stations, coverage_share=cfg.coverage_share))
    seed = base.seed if cfg.seed is None else cfg.seed
    files = [Path(where).resolve()] if Path(where).is_file() else []
    files += [base_file] if base_file else []
    files += scenario_input_files(base)
    return National(cfg.name or Path(where).stem, where, dict(data or {}), base, tuple(cfg.regions.items()), seed,
                    cfg.coverage_share, cfg.remoteness_classes, tuple(dict.fromkeys(files)))


def load_national(path) -> National:
    """Read and validate a national year file (``kind: national``)."""
    return national_from_data(read_config(path, "national"), str(path), Path(path).parent)
