"""A region of many counties (a prefecture, a province, the country): counties
generated from regional parameters or read from a CSV, each with its villages,
and the county scenario each one runs."""
from __future__ import annotations

import dataclasses
import math
import typing
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config.county import MAX_VILLAGES
from sim.config.csvread import check_name, number, read_rows
from sim.config.scenario import Scenario
from sim.config.schema import REQUIRED, FieldError, build, fail, spec
from sim.config.township import synthetic_township_ids
from sim.county.harvest import growers
from sim.county.network import Network, generate_villages, read_villages, road_matrices
from sim.county.rng import generator
from sim.errors import InputError

COUNTY_COLUMNS = ("id", "x_km", "y_km", "area_km2", "townships", "villages", "residents", "city_km")


@dataclass(frozen=True)
class County:
    """One county of a region: where it is, its size and how far the city is."""
    id: str
    x_km: float
    y_km: float
    area_km2: float
    townships: int
    villages: int
    residents: float          # all residents (villages x mean size)
    city_km: float


@dataclass(frozen=True)
class Range:
    """A parameter drawn uniformly per county: a number, or ``{min, max}`` (positive)."""
    min: float = spec(REQUIRED, "Lowest value", lo=0, lo_open=True, source="")
    max: float = spec(REQUIRED, "Highest value", lo=0, lo_open=True, source="")
    SHORT_JSON: typing.ClassVar[dict] = {"type": "number", "exclusiveMinimum": 0}

    @classmethod
    def from_short(cls, value, where: str, path: str) -> Range:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise fail(where, path, value, "expected a positive number or {min: .., max: ..}")
        return cls(float(value), float(value))

    def check(self) -> None:
        if self.min > self.max:
            raise FieldError("max", self.max, f"expected min <= max (min is {self.min:g})")

    def __iter__(self) -> Iterator[float]:
        return iter((self.min, self.max))

    def __getitem__(self, i: int) -> float:
        return (self.min, self.max)[i]


@dataclass(frozen=True)
class IntRange(Range):
    """A whole-number parameter drawn uniformly per county: a number, or ``{min, max}``."""
    min: int = spec(REQUIRED, "Lowest value", lo=1, source="")
    max: int = spec(REQUIRED, "Highest value", lo=1, source="")
    SHORT_JSON: typing.ClassVar[dict] = {"type": "integer", "minimum": 1}

    @classmethod
    def from_short(cls, value, where: str, path: str) -> IntRange:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() or value < 1:
            raise fail(where, path, value, "expected a whole number >= 1 or {min: .., max: ..}")
        return cls(int(value), int(value))


@dataclass(frozen=True)
class RegionConfig:
    """The region's counties: generated from these parameters, or read from a CSV."""
    counties: int = spec(40, "Counties generated (without counties_csv)", lo=1, hi=5000, source="a province [G]")
    counties_csv: str | None = spec(None, "A CSV of counties (id, x_km, y_km, area_km2, townships, villages, "
                                    "residents, city_km), relative to the config", optional=True, source="")
    villages_dir: str | None = spec(None, "A folder (relative to the config) of <county id>.csv village files; "
                                    "other counties' villages are generated", optional=True, source="")
    seed: int = spec(7, "Seed of the generated counties", lo=0, source="")
    extent_km: float = spec(600.0, "Side of the square the counties are placed in", unit="km", lo=0, lo_open=True)
    area_km2: Range = spec(lambda: Range(1000.0, 3000.0), "County area", unit="km2", factory=True)
    villages: IntRange = spec(lambda: IntRange(150, 450), "Villages per county", factory=True)
    residents_per_village: Range = spec(lambda: Range(600.0, 1400.0), "Mean residents per village", factory=True)
    city_km: Range = spec(lambda: Range(60.0, 300.0), "Road distance from the county to its city", unit="km",
                          factory=True)

    def check(self) -> None:
        check_villages_range(self.villages, "villages")


def check_villages_range(villages: IntRange, key: str) -> None:
    """A range of villages per county within what a county may have (:data:`MAX_VILLAGES`)."""
    if villages.max > MAX_VILLAGES:
        raise FieldError(f"{key}.max", villages.max, f"expected at most {MAX_VILLAGES:,} villages a county (the "
                         "routes of a county's stations are planned with road matrices that grow with the square "
                         "of their number)")


def region_config(data, where: str, base_dir: Path) -> RegionConfig:
    """Validate a rollout's ``region`` mapping; files are resolved against ``base_dir``."""
    cfg = build(RegionConfig, data, where, "region")
    csv_path, vdir = cfg.counties_csv, cfg.villages_dir
    # absolute paths: a worker elsewhere (a Dask cluster's, in another folder) reads the files that were hashed
    if csv_path is not None:
        csv_path = str((base_dir / csv_path).resolve())
    if vdir is not None:
        if not (base_dir / vdir).is_dir():
            raise fail(where, "region.villages_dir", vdir, "expected a folder (relative to the config) of "
                                                           "<county id>.csv village files")
        vdir = str((base_dir / vdir).resolve())
    return dataclasses.replace(cfg, counties_csv=csv_path, villages_dir=vdir)


VILLAGES_PER_TOWNSHIP = 18.7
"""A generated county's villages per township ([D] the domain notes' national mean)."""


def townships_for(villages: int) -> int:
    """Townships of a generated county of ``villages`` villages."""
    return max(1, round(villages / VILLAGES_PER_TOWNSHIP))


def generate_counties(cfg: RegionConfig) -> list[County]:
    rng = generator(cfg.seed, 0, "network")
    n = cfg.counties
    xy = rng.uniform(0, cfg.extent_km, (n, 2))
    area = rng.uniform(cfg.area_km2.min, cfg.area_km2.max, n)
    villages = rng.integers(cfg.villages.min, cfg.villages.max + 1, n)
    size = rng.uniform(cfg.residents_per_village.min, cfg.residents_per_village.max, n)
    city = rng.uniform(cfg.city_km.min, cfg.city_km.max, n)
    out = []
    for i in range(n):
        townships = townships_for(int(villages[i]))
        out.append(County(f"C{i + 1:04d}", float(xy[i, 0]), float(xy[i, 1]), float(area[i]), townships,
                          int(villages[i]), float(villages[i] * size[i]), float(city[i])))
    return out


MAX_COUNTIES = 5000
"""The most counties a region may have (China has about 2,850 county-level units)."""


def load_counties(path: str) -> list[County]:
    """Counties from a CSV with columns id, x_km, y_km, area_km2, townships, villages,
    residents, city_km; a bad row is named by its line. County ids become parts of
    file paths, so they must be plain names."""
    p = Path(path)
    out, seen = [], set()
    limits = {"x_km": dict(lo=-10000.0, hi=10000.0), "y_km": dict(lo=-10000.0, hi=10000.0),
              "area_km2": dict(lo=1.0, hi=250000.0), "townships": dict(lo=1, hi=500, whole=True),
              "villages": dict(lo=1, hi=MAX_VILLAGES, whole=True), "residents": dict(lo=0, lo_open=True, hi=1e8),
              "city_km": dict(lo=0.0, hi=5000.0)}
    for line, row in read_rows(p, COUNTY_COLUMNS, "counties file (region.counties_csv)", MAX_COUNTIES):
        cid = check_name((row["id"] or "").strip(), f"{p}: line {line}", "id")
        if cid in seen:
            raise InputError(f"{p}: line {line}: id {cid!r} is not allowed: ids must be unique")
        seen.add(cid)
        vals = {k: number(row, k, p, line, **limits[k]) for k in COUNTY_COLUMNS[1:]}  # type: ignore[arg-type]
        out.append(County(cid, vals["x_km"], vals["y_km"], vals["area_km2"], int(vals["townships"]),
                          int(vals["villages"]), vals["residents"], vals["city_km"]))
    if not out:
        raise InputError(f"{p}: no counties: expected at least one data row")
    return out


def counties_of(cfg: RegionConfig) -> list[County]:
    return load_counties(cfg.counties_csv) if cfg.counties_csv else generate_counties(cfg)


def county_seed(root: int, county_id: str) -> int:
    """The seed of a county's own geography and random streams (stable per id)."""
    return int(np.random.SeedSequence([root, zlib.crc32(county_id.encode())]).generate_state(1)[0])


def county_scenario(base: Scenario, county: County, root_seed: int, villages_csv: str | None = None) -> Scenario:
    """The base scenario resized to a county: its area, townships, villages, village
    size and distance to the city (its villages read from ``villages_csv`` if given)."""
    cc = dataclasses.replace(base.county, area_km2=county.area_km2, townships=county.townships,
                             villages=county.villages, residents_per_village=county.residents / county.villages,
                             villages_csv=villages_csv)
    city = dataclasses.replace(base.city, warehouse_km=county.city_km, market_km=county.city_km)
    return dataclasses.replace(base, name=county.id, seed=county_seed(root_seed, county.id), county=cc, city=city)


@dataclass
class CountyGeo:
    """A county's villages (all of them) and who grows what, fixed for a rollout."""
    county: County
    scenario: Scenario
    network: Network          # served = all False; a rollout sets it month by month
    grows: np.ndarray
    hub_km: np.ndarray        # road distance of each village from the county hub


def county_geography(scenario: Scenario, county: County) -> CountyGeo:
    """``county``'s villages as ``scenario`` (made by ``county_scenario``) lays them out."""
    rng = generator(scenario.seed, -1, "network")
    if scenario.county.villages_csv:
        ids, township, xy, residents, road, town_xy, names = read_villages(scenario.county.villages_csv)
    else:
        ids, township, xy, residents, road, town_xy = generate_villages(scenario.county, rng)
        names = synthetic_township_ids(len(town_xy))
    net = Network(ids, township, xy, residents, road, town_xy, np.zeros(len(ids), dtype=bool), names)
    grows = growers(len(scenario.crops), [c.village_share for c in scenario.crops], net.n, rng)
    vehicle = scenario.vehicle_types[scenario.lastmile.vehicle_type]
    dist, _ = road_matrices(net, np.arange(net.n), scenario, vehicle)
    return CountyGeo(county, scenario, net, grows, dist[0, 1:].copy())  # a copy: the full matrix is not kept


def villages_file(cfg: RegionConfig, county: County) -> str | None:
    """The county's own villages CSV in ``villages_dir``, if there is one."""
    if not cfg.villages_dir:
        return None
    p = Path(cfg.villages_dir) / f"{county.id}.csv"
    return str(p) if p.is_file() else None
