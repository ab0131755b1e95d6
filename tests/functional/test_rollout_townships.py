"""Rollouts of a two-tier operating model: township stations open with the first
village station of their township, and their capital is charged once, then."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import InputError
from sim.rollout.simulate import geographies, month_scenario, schedule_for, simulate_county
from sim.rollout.spec import load_rollout

HUB_CNY, STATION_CNY, TOWN_CNY, ROOM_KG, ROOM_CNY_PER_KG = 1.0e6, 1.0e4, 5.0e4, 1000.0, 10.0
TWO_TIER = {"network": {"tiers": 2},
            "hub": {"capex_cny": HUB_CNY, "cold_store_kg": 0},
            "stations": {"capex_cny": STATION_CNY},
            "township": {"vehicle_type": "own_tricycle", "capex_cny": TOWN_CNY, "cold_room_kg": ROOM_KG,
                         "cold_room_capex_per_kg_cny": ROOM_CNY_PER_KG},
            # vehicles (the feeders' vans too) bought for nothing, so the capital is hubs, stations and township
            # stations alone
            "vehicle_types": {"own_tricycle": {"capacity_kg": 180, "capacity_parcels": 80, "capex_cny": 0},
                              "van": {"capex_cny": 0}}}


def config(tmp_path: Path, model: dict, budget: float = 8.0e6) -> Path:
    data = {"kind": "rollout", "name": "two_tier_region", "base": {"start_doy": 250},
            "region": {"counties": 2, "seed": 3, "villages": {"min": 40, "max": 60},
                       "area_km2": {"min": 300, "max": 500}, "extent_km": 200},
            "horizon_m": 6, "sample_days": 2, "warmup_days": 1, "replications": 1,
            "budget_per_year_cny": budget, "operating_models": {"two_tier": model},
            "strategies": {"largest": {"village_order": "largest_first", "operating_model": "two_tier"}},
            "baseline": "largest"}
    p = tmp_path / "rollout.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_township_capital_is_counted_once_per_township_opened(tmp_path):
    ro = load_rollout(config(tmp_path, TWO_TIER))
    strategy = ro.strategies[0]
    geos = geographies(ro, ro.operating_models["two_tier"])
    sched = schedule_for(ro, strategy, geos)
    assert sched.township_month is not None
    towns_opened = 0
    for c, g in enumerate(geos):
        opened = sched.station_month[c]
        # each township station opens in the month of its first village station, and only then
        for k in range(len(g.network.township_xy_km)):
            months = opened[(g.network.township == k) & (opened >= 0)]
            assert sched.township_month[c][k] == (months.min() if len(months) else -1)
        towns_opened += len({int(g.network.township[v]) for v in np.flatnonzero(opened >= 0)})
    hubs = int((sched.hub_month >= 0).sum())
    stations = sum(int((s >= 0).sum()) for s in sched.station_month)
    assert towns_opened >= 2 and stations > towns_opened   # several villages share a township station
    town_cny = TOWN_CNY + ROOM_KG * ROOM_CNY_PER_KG
    assert sched.capex.sum() == pytest.approx(hubs * HUB_CNY + stations * STATION_CNY + towns_opened * town_cny,
                                              rel=1e-12)
    # by month m of the year at most (m + 1) / 12 of the budget: township stations count against it
    assert np.all(np.cumsum(sched.capex.sum(axis=0)) <= 8.0e6 * np.arange(1, 7) / 12 + 1e-6)
    # the months' running costs leave the capital out (the schedule paid it)
    sc = month_scenario(ro.operating_models["two_tier"], ro, geos[0].county.id, 0)
    assert sc.township.capex_cny == 0 and sc.township.cold_room_capex_per_kg_cny == 0
    c = int(np.argmax([(s >= 0).sum() for s in sched.station_month]))
    res = simulate_county(ro, strategy, 0, c, geos[c], sched)
    assert sum(r["capex_cny"] for r in res["months"]) == pytest.approx(sched.capex[c].sum(), rel=1e-12)
    assert sum(r["parcels_delivered"] for r in res["months"]) > 0


def test_outlets_are_refused_in_a_rollout(tmp_path):
    model = {**TWO_TIER, "township": {**TWO_TIER["township"], "outlets": True}}
    with pytest.raises(InputError, match=r"operating_models\.two_tier\.township\.outlets: True is not allowed"):
        load_rollout(config(tmp_path, model))
