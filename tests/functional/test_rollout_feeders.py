"""A two-tier rollout buys feeder vehicles for its open stations' parcels, and the
village routes' vehicles of each township's own type."""
from __future__ import annotations

import copy
import math

import pytest

from sim.rollout.simulate import geographies, schedule_for
from sim.rollout.spec import load_rollout
from tests.functional.test_rollout_townships import TWO_TIER, config

VAN_CNY, TRICYCLE_CNY, TRACTOR_CNY = 80000.0, 8000.0, 15000.0


def schedule(tmp_path, model: dict):
    ro = load_rollout(config(tmp_path, model, budget=1.0e9))   # every project affordable when its turn comes
    model_sc = ro.operating_models["two_tier"]
    geos = geographies(ro, model_sc)
    return ro, model_sc, geos, schedule_for(ro, ro.strategies[0], geos)


def per_resident_day(ro, sc) -> float:
    """Parcels a day a resident of an open station is planned for: the adoption ceiling's
    parcels with the planning load factor."""
    return ro.adoption.ceiling * ro.parcels_per_adopter_y / 365.0 * sc.lastmile.planning_load_factor


def test_two_tiers_buy_feeder_vehicles_for_the_open_stations_parcels(tmp_path):
    free = copy.deepcopy(TWO_TIER)
    paid = copy.deepcopy(TWO_TIER)
    paid["vehicle_types"]["van"] = {"capex_cny": VAN_CNY}
    paid["township"]["feeder_vehicles_per_route"] = 2
    free["township"]["feeder_vehicles_per_route"] = 2
    ro, sc, geos, without = schedule(tmp_path, free)
    _, _, _, with_feeders = schedule(tmp_path, paid)
    for a, b in zip(without.station_month, with_feeders.station_month, strict=True):
        assert (a == b).all()   # the same openings: the capital differs by the feeders alone
    # by hand: a van carries min(400 parcels, 1500 kg / 1.5 kg) = 400 parcels on its one daily run; a feeder
    # route has 2 vans, so 800 parcels a day; a county needs ceil(open residents' parcels a day / 800) routes
    ppd = per_resident_day(ro, sc)
    assert sc.demand.parcel_kg == 1.5 and sc.township.feeder_departures_h == (8.0,)
    expected = 0.0
    for c, g in enumerate(geos):
        opened = with_feeders.station_month[c] >= 0
        routes = math.ceil(float(g.network.residents[opened].sum()) * ppd / 800.0)
        assert routes >= 1
        expected += routes * 2 * VAN_CNY
    assert with_feeders.capex.sum() - without.capex.sum() == pytest.approx(expected, rel=1e-12)
    # a county's feeders are bought by the month its stations' parcels need them, never before its first station
    for c in range(len(geos)):
        first = int(with_feeders.station_month[c][with_feeders.station_month[c] >= 0].min())
        extra = with_feeders.capex[c] - without.capex[c]
        assert extra[:first].sum() == 0 and extra[first] >= 2 * VAN_CNY


def test_a_townships_own_type_is_bought_at_its_price_and_capacity(tmp_path):
    model = copy.deepcopy(TWO_TIER)
    model["vehicle_types"]["own_tricycle"]["capex_cny"] = TRICYCLE_CNY
    model["vehicle_types"]["walking_tractor"] = {"capex_cny": TRACTOR_CNY}
    *_, base = schedule(tmp_path, model)
    model["township"]["vehicle_types_by_township"] = {"T01": "walking_tractor"}
    ro, sc, geos, sched = schedule(tmp_path, model)
    assert sc.vehicle_types["walking_tractor"].capacity_parcels == 200
    ppd = per_resident_day(ro, sc)
    expected_mixed = expected_one = 0.0
    for c, g in enumerate(geos):
        opened = sched.station_month[c] >= 0
        t01 = g.network.township == 0
        # by hand: a tricycle route carries 80 parcels a day, a walking tractor 200 (750 kg / 1.5 kg = 500 > 200)
        res_t01 = float(g.network.residents[opened & t01].sum())
        res_rest = float(g.network.residents[opened & ~t01].sum())
        expected_mixed += (math.ceil(res_t01 * ppd / 200.0) * TRACTOR_CNY
                           + math.ceil(res_rest * ppd / 80.0) * TRICYCLE_CNY)
        expected_one += math.ceil((res_t01 + res_rest) * ppd / 80.0) * TRICYCLE_CNY
        assert res_t01 > 0 and res_rest > 0
    for a, b in zip(base.station_month, sched.station_month, strict=True):
        assert (a == b).all()
    assert sched.capex.sum() - base.capex.sum() == pytest.approx(expected_mixed - expected_one, rel=1e-12)
    # vehicles owned: both types counted
    assert sum(int(v[-1]) for v in sched.vehicles) == sum(
        math.ceil(float(g.network.residents[(sched.station_month[c] >= 0) & (g.network.township == 0)].sum())
                  * ppd / 200.0)
        + math.ceil(float(g.network.residents[(sched.station_month[c] >= 0) & (g.network.township != 0)].sum())
                    * ppd / 80.0) for c, g in enumerate(geos))
