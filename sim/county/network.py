"""The county's geography: the hub at the county seat (0, 0), township seats and
villages with coordinates, residents and road class; which villages have a station;
and road distances and travel times between them.

Road distance is the straight line times a circuity factor. A trip between two
points takes the direct village road or the detour through township seats on the
county road network, whichever is shorter.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config.county import MAX_VILLAGES, CountyConfig
from sim.config.csvread import number, read_rows
from sim.config.fleet import ROAD_CLASSES
from sim.config.scenario import Scenario, VehicleType
from sim.config.township import synthetic_township_ids, synthetic_village_ids
from sim.errors import InputError

_VILLAGE_COLUMNS = ("id", "township", "x_km", "y_km", "residents", "road_class")


@dataclass(frozen=True)
class Network:
    """Villages of one county. Arrays are indexed by village; the hub is at (0, 0)."""
    village_id: tuple[str, ...]
    township: np.ndarray          # int, index into township_xy
    xy_km: np.ndarray             # (n, 2)
    residents: np.ndarray         # float
    road_class: np.ndarray        # int, index into ROAD_CLASSES (never 0, the county class)
    township_xy_km: np.ndarray    # (m, 2)
    served: np.ndarray            # bool: the village has a station
    township_id: tuple[str, ...] = ()  # a name per township seat (empty: T01, T02, ... in index order)

    def __post_init__(self) -> None:
        if not self.township_id:
            object.__setattr__(self, "township_id", synthetic_township_ids(len(self.township_xy_km)))

    @property
    def n(self) -> int:
        return len(self.village_id)

    @property
    def served_idx(self) -> np.ndarray:
        return np.flatnonzero(self.served)


def township_ids(scenario: Scenario) -> tuple[str, ...]:
    """The township ids of a scenario's county without building it: its villages
    CSV's township names (sorted, as the townships are indexed) or T01..Tm."""
    cfg = scenario.county
    if cfg.villages_csv:
        return read_villages(cfg.villages_csv)[6]
    return synthetic_township_ids(cfg.townships)


def named_entries(scenario: Scenario) -> bool:
    """The scenario names townships or villages (``township.vehicle_types_by_township``,
    ``service.by_township``, ``service.by_village``)."""
    return bool(scenario.township.vehicle_types_by_township or scenario.service.by_township
                or scenario.service.by_village)


def check_township_keys(scenario: Scenario, where: str, ids: tuple[str, ...] | None = None,
                        village_ids: tuple[str, ...] | None = None) -> None:
    """Refuse an entry of ``township.vehicle_types_by_township`` or
    ``service.by_township`` whose township is not one of the county's (``ids``), or of
    ``service.by_village`` whose village is not (``village_ids``): an
    :class:`InputError` naming ``where``, the key and the ids."""
    checks: list[tuple[str, Mapping[str, object], str]] = [
        ("township.vehicle_types_by_township", scenario.township.vehicle_types_by_township, "township"),
        ("service.by_township", scenario.service.by_township, "township"),
        ("service.by_village", scenario.service.by_village, "village")]
    for path, entries, kind in checks:
        if not entries:
            continue
        if kind == "township":
            ids = township_ids(scenario) if ids is None else ids
            known = ids
        else:
            village_ids = village_ids_of(scenario) if village_ids is None else village_ids
            known = village_ids
        names = set(known)
        for key in entries:
            if key not in names:
                shown = ", ".join(known) if len(known) <= 12 else \
                    f"{', '.join(known[:6])}, ..., {', '.join(known[-3:])}"
                raise InputError(f"{where}: {path}.{key}: {key!r} is not allowed: expected a {kind} id of the "
                                 f"county ({shown})")


def village_ids_of(scenario: Scenario) -> tuple[str, ...]:
    """The village ids of a scenario's county without building it."""
    cfg = scenario.county
    if cfg.villages_csv:
        return read_villages(cfg.villages_csv)[0]
    return synthetic_village_ids(cfg.villages)


def generate_villages(cfg: CountyConfig, rng: np.random.Generator):
    """A county of ``area_km2``: a disc of radius sqrt(area / pi) round the county seat.
    Township seats tile the disc (a sunflower spiral with a random turn and jitter, so
    each seat has about the same share of the area); villages are spread uniformly over
    the disc and belong to their nearest township seat; sizes log-normal with mean
    ``residents_per_village``; road surfaces drawn by their shares. Distances between
    villages, to their township seat and to the county seat follow from the area and
    the counts (for 2,000 km2 and 20 townships: median about 4 km to the township seat)."""
    m, n = cfg.townships, cfg.villages
    radius = math.sqrt(cfg.area_km2 / math.pi)
    k = np.arange(m)
    golden = math.pi * (3.0 - math.sqrt(5.0))
    turn = rng.uniform(0, 2 * math.pi)
    seat_r = radius * np.sqrt((k + 0.5) / m)
    seat_a = turn + k * golden + rng.uniform(-0.2, 0.2, m)
    town_xy = np.column_stack([seat_r * np.cos(seat_a), seat_r * np.sin(seat_a)])
    vr = radius * np.sqrt(rng.uniform(0.0, 1.0, n))
    va = rng.uniform(0, 2 * math.pi, n)
    xy = np.column_stack([vr * np.cos(va), vr * np.sin(va)])
    d2 = (xy[:, None, 0] - town_xy[None, :, 0]) ** 2 + (xy[:, None, 1] - town_xy[None, :, 1]) ** 2
    township = np.argmin(d2, axis=1).astype(np.int64)
    order = np.lexsort((np.arange(n), township))   # villages numbered township by township
    xy, township = xy[order], township[order]
    s = cfg.residents_sigma
    residents = np.maximum(1.0, np.round(cfg.residents_per_village * rng.lognormal(-s * s / 2, s, n)))
    classes = [c for c in ROAD_CLASSES[1:]]
    shares = np.array([cfg.road_class_shares.get(c, 0.0) for c in classes])
    road = 1 + rng.choice(len(classes), size=n, p=shares / shares.sum())
    ids = synthetic_village_ids(n)
    return ids, township, xy, residents, road.astype(np.int64), town_xy


MAX_COORD_KM = 1000.0
"""Village coordinates relative to the county seat, in km (a county is at most a few hundred km across)."""


def load_villages(path: str):
    """Read villages from a CSV with columns id, township, x_km, y_km, residents,
    road_class (coordinates relative to the county seat). Township seats are the
    centroids of their villages. A bad row is an :class:`InputError` naming it."""
    return read_villages(path)[:6]


def read_villages(path: str):
    """:func:`load_villages`'s arrays and, last, the township names (sorted: the
    township index of each village points into them)."""
    p = Path(path)
    ids: list[str] = []
    seen: set[str] = set()
    towns, xs, ys, res, road = [], [], [], [], []
    for line, row in read_rows(p, _VILLAGE_COLUMNS, "villages file (county.villages_csv)", MAX_VILLAGES):
        vid = (row.get("id") or "").strip()
        if not vid:
            raise InputError(f"{p}: line {line}: id is empty: every village needs an id")
        if vid in seen:
            raise InputError(f"{p}: line {line}: id {vid!r} is not allowed: ids must be unique")
        town = (row.get("township") or "").strip()
        if not town:
            raise InputError(f"{p}: line {line}: township is empty: every village needs its township")
        cls = (row.get("road_class") or "").strip()
        if cls not in ROAD_CLASSES[1:]:
            raise InputError(f"{p}: line {line}: road_class {cls!r} is not allowed: expected one of "
                             f"{', '.join(ROAD_CLASSES[1:])}")
        seen.add(vid)
        ids.append(vid)
        towns.append(town)
        xs.append(number(row, "x_km", p, line, lo=-MAX_COORD_KM, hi=MAX_COORD_KM))
        ys.append(number(row, "y_km", p, line, lo=-MAX_COORD_KM, hi=MAX_COORD_KM))
        res.append(number(row, "residents", p, line, lo=0, lo_open=True, hi=1e6))
        road.append(ROAD_CLASSES.index(cls))
    if not ids:
        raise InputError(f"{p}: no villages: expected at least one data row")
    names = sorted(set(towns))
    index = {name: k for k, name in enumerate(names)}
    township = np.array([index[t] for t in towns], dtype=np.int64)
    xy = np.column_stack([xs, ys]).astype(float)
    town_xy = np.array([xy[township == k].mean(axis=0) for k in range(len(names))])
    return tuple(ids), township, xy, np.array(res, float), np.array(road, np.int64), town_xy, tuple(names)


def select_stations(residents: np.ndarray, xy_km: np.ndarray, share: float, selection: str,
                    rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of villages with a station: ``round(share * n)`` villages chosen
    largest first, nearest to the hub first, or at random."""
    n = len(residents)
    k = round(share * n)
    if selection == "largest_first":
        order = np.lexsort((np.arange(n), -residents))
    elif selection == "nearest_first":
        order = np.lexsort((np.arange(n), np.hypot(xy_km[:, 0], xy_km[:, 1])))
    elif selection == "random":
        order = rng.permutation(n)
    else:  # pragma: no cover - the schema only admits the three above
        raise ValueError(selection)
    served = np.zeros(n, dtype=bool)
    served[order[:k]] = True
    return served


def build_network(scenario: Scenario, rng: np.random.Generator) -> Network:
    """The county of a scenario, generated from ``rng`` (the replication-independent
    network stream) or loaded from ``county.villages_csv``."""
    cfg = scenario.county
    if cfg.villages_csv:
        ids, township, xy, residents, road, town_xy, names = read_villages(cfg.villages_csv)
    else:
        ids, township, xy, residents, road, town_xy = generate_villages(cfg, rng)
        names = synthetic_township_ids(len(town_xy))
    check_township_keys(scenario, cfg.villages_csv or "scenario", names, ids)
    served = select_stations(residents, xy, scenario.stations.coverage_share,
                             scenario.stations.selection, rng)
    return Network(ids, township, xy, residents, road, town_xy, served, names)


def road_matrices(net: Network, nodes: np.ndarray, scenario: Scenario, vehicle: VehicleType):
    """Road distance (km) and travel time (h) between the hub (row/column 0) and the
    villages ``nodes`` (rows 1..). The shorter of the direct village road and the
    detour over township seats on county roads is taken; a direct trip runs at the
    speed of the slower road surface at its two ends."""
    county = scenario.county
    cc, cv = county.county_road_circuity, county.village_road_circuity
    speed = (np.array([vehicle.speed_kmh[c] for c in ROAD_CLASSES]) * county.road_speed_factor
             * county.terrain_speed_factor)
    xy = np.vstack([[0.0, 0.0], net.xy_km[nodes]])
    seat = np.vstack([[0.0, 0.0], net.township_xy_km[net.township[nodes]]])
    cls = np.concatenate([[0], net.road_class[nodes]])
    to_seat = np.hypot(*(xy - seat).T) * cv               # village road to own township seat
    e = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    direct_km = e * cv
    seat_e = np.hypot(seat[:, None, 0] - seat[None, :, 0], seat[:, None, 1] - seat[None, :, 1]) * cc
    via_km = to_seat[:, None] + seat_e + to_seat[None, :]
    v_slow = np.minimum(speed[cls][:, None], speed[cls][None, :])
    direct_h = direct_km / v_slow
    seat_h = to_seat / speed[cls]
    via_h = seat_h[:, None] + seat_e / speed[0] + seat_h[None, :]
    use_via = via_km < direct_km
    dist = np.where(use_via, via_km, direct_km)
    time = np.where(use_via, via_h, direct_h)
    np.fill_diagonal(dist, 0.0)
    np.fill_diagonal(time, 0.0)
    return dist, time
