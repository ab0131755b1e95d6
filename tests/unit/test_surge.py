"""Surge capacity on tiny deterministic cases: the hiring rules, the sorter pool, and
spot trucks, temporary sorters and extra vehicles in their components, with the
numbers worked out by hand in the comments."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from sim.config.scenario import CityConfig, HubConfig, LastMileConfig, Scenario, SurgeConfig, TrunkConfig, VehicleType
from sim.county.batches import Chunk
from sim.county.costs import surge_part
from sim.county.hub import Hub, HubActivity
from sim.county.lastmile import LastMile
from sim.county.routing import Route
from sim.county.sorting import UnitDraws
from sim.county.stations import Stations
from sim.county.surge import SorterPool, extra_vehicles, temp_sorters
from sim.county.triplog import LastMileActivity
from sim.county.trunk import Trunk, TrunkActivity

OFF = SurgeConfig(enabled=False)


def chunk(n: int, t_order: float = 0.0) -> Chunk:
    return Chunk(np.zeros(n, np.int64), np.full(n, t_order), np.array([0, n]))


def hub_for(env, surge=None, routes: int = 1, **cfg) -> Hub:
    return Hub(env, HubConfig(**cfg), np.zeros(1, np.int64), routes,
               UnitDraws(np.random.default_rng(0), "deterministic", 0.0), np.full(1, 2.0), surge=surge)


# ---- the hiring rules -----------------------------------------------------------------
def test_extra_vehicles_carry_the_backlog_beyond_the_threshold_up_to_the_limit():
    # capacity 100, threshold 2.5 loads (250 parcels), one own vehicle ready, at most 2 extra
    got = extra_vehicles(np.array([0, 250, 251, 301, 5000]), np.array([1, 1, 1, 1, 1]), 100, 2.5, 2)
    # 250 is not above 250; 251 -> ceil(2.51) - 1 = 2; 301 -> 4 - 1 = 3 -> 2; 5000 -> 2
    assert got.tolist() == [0, 0, 2, 2, 2]
    # above a low threshold but within what the own vehicles carry: none
    assert extra_vehicles(np.array([180]), np.array([2]), 100, 1.0, 5).tolist() == [0]
    # no own vehicle: ceil(801 / 100) = 9, limited to 5
    assert extra_vehicles(np.array([801, 250]), np.array([0, 0]), 100, 0.0, 5).tolist() == [5, 3]
    assert extra_vehicles(np.array([900]), np.array([0]), 100, 0.0, 0).tolist() == [0]


def test_temp_sorters_sort_the_excess_in_a_shift_up_to_the_limit():
    # 4 sorters x 300 parcels/h x 8 h = 9600 a shift
    assert temp_sorters(9600, 4, 2400.0, 4) == 0
    assert temp_sorters(9601, 4, 2400.0, 4) == 1           # ceil(9601 / 2400) = 5 sorters
    assert temp_sorters(14401, 4, 2400.0, 4) == 3          # ceil(6.0004) = 7
    assert temp_sorters(10**6, 4, 2400.0, 4) == 4
    assert temp_sorters(1, 0, 2400.0, 2) == 1              # no sorters of its own: one comes
    assert temp_sorters(10**6, 4, 2400.0, 0) == 0
    assert temp_sorters(2, 4, 1e-321, 4) == 4              # a shift too short to sort one parcel: all who may come


# ---- the sorter pool ----------------------------------------------------------------------
def _starts(env, server_factory, arrivals, services):
    """Start times of jobs at given arrival times and service times."""
    pool = server_factory(env)
    starts = {}

    def job(i):
        yield env.timeout(arrivals[i])
        if isinstance(pool, simpy.Resource):
            with pool.request() as req:
                yield req
                starts[i] = env.now
                yield env.timeout(services[i])
        else:
            yield pool.request()
            starts[i] = env.now
            yield env.timeout(services[i])
            pool.release()
    for i in range(len(arrivals)):
        env.process(job(i))
    env.run()
    return [starts[i] for i in range(len(arrivals))]


@pytest.mark.parametrize("c", [1, 2, 3])
def test_sorter_pool_serves_like_a_simpy_resource(c):
    rng = np.random.default_rng(c)
    arrivals = np.round(rng.uniform(0, 10, 60), 1)        # rounded: ties happen
    services = np.round(rng.exponential(0.8, 60), 1)
    a = _starts(simpy.Environment(), lambda env: simpy.Resource(env, capacity=c), arrivals, services)
    b = _starts(simpy.Environment(), lambda env: SorterPool(env, c), arrivals, services)
    assert a == b


def test_sorter_pool_of_zero_waits_and_a_sorter_who_leaves_finishes_the_lot():
    env = simpy.Environment()
    pool = SorterPool(env, 0)
    first, second = pool.request(), pool.request()
    env.run(until=1.0)
    assert not first.triggered and pool.busy == 0
    pool.set_capacity(1)
    assert first.triggered and not second.triggered and pool.busy == 1
    pool.set_capacity(0)              # the sorter leaves, but the lot in hand is not taken away
    pool.release()
    env.run(until=2.0)
    assert not second.triggered and pool.busy == 0


# ---- spot trunk trucks --------------------------------------------------------------------
def _trunk(env, parcels: int, surge, trucks: int = 1):
    hub = hub_for(env, sorters=1, sort_rate_parcels_per_h=1e6)
    cfg = TrunkConfig(departures_h=(10.0,), cutoff_before_departure_h=2.0, trucks_per_departure=trucks,
                      truck_capacity_parcels=10, truck_capacity_kg=1e6)
    trunk = Trunk(env, cfg, CityConfig(warehouse_km=100.0), hub, 1.0, lambda lots: None, surge=surge)
    trunk.order([chunk(parcels)])
    trunk.start(1)
    env.run(until=11.0)
    return trunk


@pytest.mark.parametrize("parcels, trucks, spot, left", [
    (10, 1, 0, 0),     # what the scheduled truck carries: no spot truck
    (25, 3, 2, 0),     # ceil(25 / 10) = 3 trucks: 2 spot
    (55, 4, 3, 15),    # 1 + 3 spot carry 40; 15 wait for the next departure
])
def test_spot_trucks_join_a_departure_for_what_the_scheduled_trucks_cannot_carry(parcels, trucks, spot, left):
    trunk = _trunk(simpy.Environment(), parcels, SurgeConfig(spot_trucks_max=3))
    assert trunk.activity() == TrunkActivity(runs=1, truck_runs=trucks, parcels=parcels - left,
                                             parcel_kg=float(parcels - left), spot_truck_runs=spot)
    assert trunk.warehouse_parcels == left


def test_without_surge_or_trucks_nothing_extra_leaves():
    assert _trunk(simpy.Environment(), 25, OFF).activity().truck_runs == 1
    idle = _trunk(simpy.Environment(), 25, OFF, trucks=0)
    assert idle.activity() == TrunkActivity() and idle.stock().parcels == 25
    spot_only = _trunk(simpy.Environment(), 25, SurgeConfig(spot_trucks_max=2), trucks=0)
    assert spot_only.activity().spot_truck_runs == 2 and spot_only.warehouse_parcels == 5


# ---- temporary sorters --------------------------------------------------------------------
def test_temp_sorters_come_for_a_day_when_a_trunk_brings_more_than_a_shift():
    env = simpy.Environment()
    # 1 sorter x 10 parcels/h x 8 h = 80 a shift; 3 routes so three lots can be sorted at once
    hub = Hub(env, HubConfig(sorters=1, sort_rate_parcels_per_h=10.0), np.array([0, 1, 2]), 3,
              UnitDraws(np.random.default_rng(0), "deterministic", 0.0), np.full(1, 2.0),
              surge=SurgeConfig(temp_sorters_max=4, sorter_shift_h=8.0))
    hub.receive([Chunk(np.array([0] * 40 + [1] * 40 + [2] * 40), np.zeros(120), np.array([0, 40, 80, 120]))])
    # 120 > 80: ceil(120 / 80) - 1 = 1 temporary sorter; 2 sorters work the 3 lots of 40 (4 h each)
    assert hub.temp_sorter_days == 1 and hub.sorters_on_duty == 2
    env.run(until=4.5)
    assert hub.in_sorting == 40 and hub.parcels_waiting == 80
    env.run(until=8.5)
    assert hub.in_sorting == 0
    env.run(until=24.5)
    assert hub.sorters_on_duty == 1 and hub.temp_active == 0     # gone after 24 h
    assert hub.activity() == HubActivity(parcels_in=120, sort_wait_parcel_h=40 * 4.0, sorting_h=12.0,
                                         temp_sorter_days=1)


def test_zero_sorters_sort_nothing_without_surge_and_temp_sorters_come_with_it():
    env = simpy.Environment()
    idle = hub_for(env, OFF, sorters=0, sort_rate_parcels_per_h=10.0)
    idle.receive([chunk(5)])
    env.run(until=100.0)
    assert idle.in_sorting == 5 and idle.temp_sorter_days == 0
    env = simpy.Environment()
    hub = hub_for(env, SurgeConfig(temp_sorters_max=2), sorters=0, sort_rate_parcels_per_h=10.0)
    hub.receive([chunk(5)])
    env.run(until=1.0)
    assert hub.temp_sorter_days == 1 and hub.parcels_waiting == 5   # 5 parcels at 10/h: 0.5 h


# ---- extra last-mile vehicles -----------------------------------------------------------
def _lastmile(backlog: int, surge, own: int = 1):
    env = simpy.Environment()
    hub = hub_for(env, sorters=1, sort_rate_parcels_per_h=1e6)
    hub.receive([chunk(backlog)])
    van = VehicleType(capacity_kg=1e6, capacity_parcels=100)
    cfg = LastMileConfig(departures_h=(8.0,), vehicles_per_route=own, stop_h=0.5, handling_h_per_parcel=0.0)
    route = Route(0, np.array([0]), np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    extra = surge.extra_vehicles_max if surge.enabled else 0
    lm = LastMile(env, cfg, van, [route], hub, 1.0, 1, 1, np.ones((own, 1, 1), bool),
                  np.ones((own + extra, 1, 1, 2)), Stations(env, 1, lambda lots: None), surge=surge)
    lm.start(1)
    env.run(until=24.0)
    return lm, hub


@pytest.mark.parametrize("backlog, own, hired, delivered", [
    (100, 1, 0, 100),    # not above 1.5 loads: the own van
    (150, 1, 0, 100),    # 150 is not above 150
    (151, 1, 1, 151),    # ceil(1.51) - 1 = 1 extra
    (450, 1, 2, 300),    # ceil(4.5) - 1 = 4, limited to 2: 3 vans carry 300
    (450, 0, 2, 200),    # no own van: 2 extra
])
def test_extra_vehicles_are_hired_for_the_day_when_the_backlog_exceeds_the_threshold(backlog, own, hired, delivered):
    lm, hub = _lastmile(backlog, SurgeConfig(vehicle_backlog_threshold=1.5, extra_vehicles_max=2), own)
    a = lm.activity()
    assert a.surge_vehicle_days == hired and a.delivered == delivered
    assert a.km == 10.0 * (min(own, 1) + hired) and a.surge_km == 10.0 * hired
    assert hub.waiting(0) == backlog - delivered


def test_without_surge_no_vehicle_no_delivery():
    lm, hub = _lastmile(450, OFF, own=0)
    assert lm.activity() == LastMileActivity() and hub.waiting(0) == 450


# ---- what surge costs --------------------------------------------------------------------
def test_surge_cost_counts_each_premium():
    sc = Scenario().updated({"surge": {"spot_truck_premium": 2.0, "extra_vehicle_premium": 1.5,
                                        "temp_sorter_premium": 1.2}})
    model = SimpleNamespace(scenario=sc, trunk=SimpleNamespace(km_per_truck_run=320.0),
                            lastmile=SimpleNamespace(mix=None))   # one vehicle type
    act = SimpleNamespace(trunk=TrunkActivity(spot_truck_runs=3, spot_produce_truck_runs=1),
                          lastmile=LastMileActivity(surge_vehicle_days=4, surge_km=100.0),
                          hub=HubActivity(temp_sorter_days=5))
    per_truck = 400.0 + 320.0 * 4.0                                         # run cost 400 + 320 km x 4 CNY/km
    part = surge_part(model, act, per_truck, tr_in=0.5, lm_in=1.0)
    trucks = 3 * 2.0 * per_truck
    vehicles = 4 * 1.5 * (60.0 + 200.0) + 100.0 * 2.5                      # van day + driver, km at 2.5
    assert part.inbound_direct == pytest.approx(5 * 1.2 * 150.0)           # temporary sorters: goods in's
    assert part.outbound_direct == pytest.approx(1 * 2.0 * per_truck)      # the spot truck that carried produce alone
    assert part.shared == pytest.approx(trucks - 2.0 * per_truck + vehicles)
    assert part.total == pytest.approx(trucks + vehicles + 5 * 1.2 * 150.0)
    # under the kilogram rule the shared part splits by each resource's own share
    assert part.kg_share_in == pytest.approx((2 * 2.0 * per_truck * 0.5 + vehicles * 1.0) / part.shared)
