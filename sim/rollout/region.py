"""A region of many counties (a prefecture, a province, the country): counties
generated from regional parameters or read from a CSV, each with its villages,
and the county scenario each one runs."""
from __future__ import annotations

import csv
import dataclasses
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config.scenario import Scenario
from sim.errors import InputError
from sim.county.harvest import growers
from sim.county.network import Network, generate_villages, load_villages, road_matrices
from sim.county.rng import generator

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
class RegionConfig:
    counties: int = 40
    counties_csv: str | None = None
    villages_dir: str | None = None      # a folder of <county id>.csv village files (others are generated)
    seed: int = 7
    extent_km: float = 600.0
    area_km2: tuple = (1000.0, 3000.0)
    villages: tuple = (150, 450)
    residents_per_village: tuple = (600.0, 1400.0)
    city_km: tuple = (60.0, 300.0)


def _range(spec, where: str, key: str, integer: bool = False) -> tuple:
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = {"min": spec, "max": spec}
    if not isinstance(spec, dict) or set(spec) - {"min", "max"} or "min" not in spec or "max" not in spec:
        raise InputError(f"{where}: region.{key}: {spec!r} is not allowed: expected a number or {{min: .., max: ..}}")
    lo, hi = spec["min"], spec["max"]
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise InputError(f"{where}: region.{key}: {spec!r} is not allowed: expected positive numbers")
    if lo > hi:
        raise InputError(f"{where}: region.{key}: {spec!r} is not allowed: expected min <= max")
    return (int(lo), int(hi)) if integer else (float(lo), float(hi))


def region_config(data, where: str, base_dir: Path) -> RegionConfig:
    if not isinstance(data, dict):
        raise InputError(f"{where}: region: {data!r} is not allowed: expected a mapping")
    allowed = {f.name for f in dataclasses.fields(RegionConfig)}
    for k in data:
        if k not in allowed:
            import difflib
            near = difflib.get_close_matches(str(k), sorted(allowed), n=1, cutoff=0.5)
            raise InputError(f"{where}: region.{k}: unknown key" + (f"; did you mean '{near[0]}'?" if near else "")
                             + f" (valid: {', '.join(sorted(allowed))})")
    n = data.get("counties", 40)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 5000:
        raise InputError(f"{where}: region.counties: {n!r} is not allowed: expected a whole number in [1, 5000]")
    csv_path = data.get("counties_csv")
    if csv_path is not None:
        csv_path = str(base_dir / csv_path)
    vdir = data.get("villages_dir")
    if vdir is not None:
        if not isinstance(vdir, str) or not (base_dir / vdir).is_dir():
            raise InputError(f"{where}: region.villages_dir: {vdir!r} is not allowed: expected a folder "
                             "(relative to the config) of <county id>.csv village files")
        vdir = str(base_dir / vdir)
    seed = data.get("seed", 7)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"{where}: region.seed: {seed!r} is not allowed: expected a whole number >= 0")
    extent = data.get("extent_km", 600.0)
    if isinstance(extent, bool) or not isinstance(extent, (int, float)) or extent <= 0:
        raise InputError(f"{where}: region.extent_km: {extent!r} is not allowed: expected a number > 0")
    return RegionConfig(
        counties=n, counties_csv=csv_path, villages_dir=vdir, seed=seed, extent_km=float(extent),
        area_km2=_range(data.get("area_km2", {"min": 1000, "max": 3000}), where, "area_km2"),
        villages=_range(data.get("villages", {"min": 150, "max": 450}), where, "villages", integer=True),
        residents_per_village=_range(data.get("residents_per_village", {"min": 600, "max": 1400}), where,
                                     "residents_per_village"),
        city_km=_range(data.get("city_km", {"min": 60, "max": 300}), where, "city_km"),
    )


def generate_counties(cfg: RegionConfig) -> list[County]:
    rng = generator(cfg.seed, 0, "network")
    n = cfg.counties
    xy = rng.uniform(0, cfg.extent_km, (n, 2))
    area = rng.uniform(*cfg.area_km2, n)
    villages = rng.integers(cfg.villages[0], cfg.villages[1] + 1, n)
    size = rng.uniform(*cfg.residents_per_village, n)
    city = rng.uniform(*cfg.city_km, n)
    out = []
    for i in range(n):
        townships = max(1, int(round(villages[i] / 18.7)))
        out.append(County(f"C{i + 1:04d}", float(xy[i, 0]), float(xy[i, 1]), float(area[i]), townships,
                          int(villages[i]), float(villages[i] * size[i]), float(city[i])))
    return out


def load_counties(path: str) -> list[County]:
    """Counties from a CSV with columns id, x_km, y_km, area_km2, townships, villages,
    residents, city_km; a bad row is named by its line."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: counties file not found (region.counties_csv)")
    out, seen = [], set()
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COUNTY_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(f"{p}: line 1: missing column(s) {', '.join(missing)}; expected {', '.join(COUNTY_COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            cid = (row["id"] or "").strip()
            if not cid or cid in seen:
                raise InputError(f"{p}: line {line}: id {cid!r} is not allowed: ids must be non-empty and unique")
            seen.add(cid)
            vals = {}
            for k in COUNTY_COLUMNS[1:]:
                try:
                    vals[k] = float(row[k])
                except (TypeError, ValueError):
                    raise InputError(f"{p}: line {line}: {k} {row[k]!r} is not allowed: expected a number") from None
                if not math.isfinite(vals[k]) or (k not in ("x_km", "y_km") and vals[k] <= 0):
                    raise InputError(f"{p}: line {line}: {k} {row[k]!r} is not allowed: expected a positive number")
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


def county_geography(scenario: Scenario) -> CountyGeo:
    rng = generator(scenario.seed, -1, "network")
    if scenario.county.villages_csv:
        ids, township, xy, residents, road, town_xy = load_villages(scenario.county.villages_csv)
    else:
        ids, township, xy, residents, road, town_xy = generate_villages(scenario.county, rng)
    net = Network(ids, township, xy, residents, road, town_xy, np.zeros(len(ids), dtype=bool))
    grows = growers(len(scenario.crops), [c.village_share for c in scenario.crops], net.n, rng)
    vehicle = scenario.vehicle_types[scenario.lastmile.vehicle_type]
    dist, _ = road_matrices(net, np.arange(net.n), scenario, vehicle)
    return CountyGeo(None, scenario, net, grows, dist[0, 1:].copy())  # a copy: the full matrix is not kept


def villages_file(cfg: RegionConfig, county: County) -> str | None:
    """The county's own villages CSV in ``villages_dir``, if there is one."""
    if not cfg.villages_dir:
        return None
    p = Path(cfg.villages_dir) / f"{county.id}.csv"
    return str(p) if p.is_file() else None
