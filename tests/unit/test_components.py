"""Each county component answers for its own state: stock() (what it holds now),
activity() (what it did since the window started) and reset_window(), checked on
tiny deterministic cases whose numbers are worked out by hand in the comments."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.config.fleet import parcels_aboard
from sim.config.scenario import CityConfig, HubConfig, LastMileConfig, TrunkConfig, VehicleType
from sim.county.account import Stock, since
from sim.county.batches import Chunk, Lots
from sim.county.costs import capital_recovery_factor
from sim.county.demand import OrderActivity, Orders
from sim.county.harvest import OfferActivity, Offers
from sim.county.hub import Hub, HubActivity
from sim.county.lastmile import LastMile
from sim.county.routing import Route
from sim.county.sorting import UnitDraws
from sim.county.stations import StationActivity, Stations
from sim.county.triplog import LastMileActivity
from sim.county.trunk import Trunk, TrunkActivity


def chunk(n: int, t_order: float = 0.0) -> Chunk:
    """``n`` parcels for village 0 (route 0) ordered at ``t_order``."""
    return Chunk(np.zeros(n, np.int64), np.full(n, t_order), np.array([0, n]))


def lot(kg: float, t_offer: float = 0.0, t_expiry: float = 100.0, village: int = 0) -> Lots:
    return Lots([village], [0], [t_offer], [t_expiry], [kg])


def hub_for(env: simpy.Environment, **cfg) -> Hub:
    """A hub with one route and deterministic sorting."""
    return Hub(env, HubConfig(**cfg), np.zeros(1, np.int64), 1,
               UnitDraws(np.random.default_rng(0), "deterministic", 0.0), np.full(1, 2.0))


def test_since_subtracts_field_by_field_and_none_is_the_start():
    assert since(OrderActivity(7), None) == OrderActivity(7)
    assert (since(TrunkActivity(3, 5, 10, 20.0, 1.5), TrunkActivity(1, 2, 4, 8.0, 0.5))
            == TrunkActivity(2, 3, 6, 12.0, 1.0))


def test_orders_count_what_was_placed_since_the_window_started():
    orders = Orders(np.array([[1, 2], [3, 4], [5, 6]]))
    orders.place(0)
    orders.place(1)
    assert orders.placed == 1 + 2 + 3 + 4
    orders.reset_window()
    assert orders.activity() == OrderActivity(0)
    orders.place(2)
    assert orders.activity() == OrderActivity(5 + 6)
    assert orders.placed == 21
    assert orders.stock() == Stock()


def test_offers_count_kilograms_offered_since_the_window_started():
    kg = np.zeros((2, 3, 2))        # (crops, days, villages)
    kg[0, :, 0] = [1.0, 2.0, 4.0]
    kg[1, :, 1] = [0.5, 0.5, 0.5]
    offers = Offers(kg)
    assert np.array_equal(offers.place(0), kg[:, 0])
    assert offers.activity() == OfferActivity(1.5)
    offers.reset_window()
    offers.place(1)
    offers.place(2)
    assert offers.activity() == OfferActivity(2.5 + 4.5)
    assert offers.placed_kg == 1.5 + 2.5 + 4.5


def test_stations_hold_offered_produce_until_it_spoils():
    env = simpy.Environment()
    spoiled = []
    st = Stations(env, 2, spoiled.append)
    st.offer(Lots([0, 1], [0, 0], [0.0, 0.0], [10.0, 30.0], [5.0, 7.0]))
    assert st.stock() == Stock(0, 12.0)
    assert st.activity() == StationActivity(12.0)
    st.reset_window()
    st.offer(lot(3.0, t_offer=1.0, village=1))
    assert st.activity() == StationActivity(3.0)
    env.run(until=20.0)
    st.purge()                      # the 5 kg lot expired at 10 h
    assert [g.total_kg for g in spoiled] == [5.0]
    assert st.stock() == Stock(0, 10.0)


def test_the_trader_buys_what_waited_long_enough_and_has_not_spoiled():
    """At 48 h with a 24 h wait: the lot offered at 7 h (waited 41 h) goes to the trader;
    the one offered at 31 h (17 h) stays; the one that expired at 40 h is left for the
    purge (spoiled, not bought)."""
    env = simpy.Environment()
    spoiled = []
    st = Stations(env, 3, spoiled.append)
    st.offer(Lots([0, 1, 2], [0, 0, 0], [7.0, 31.0, 7.0], [247.0, 271.0, 40.0], [5.0, 7.0, 2.0]))
    env.run(until=48.0)
    st.purge()
    bought = st.to_trader(24.0)
    assert bought.total_kg == 5.0 and list(bought.village) == [0]
    assert [g.total_kg for g in spoiled] == [2.0]
    assert st.stock() == Stock(0, 7.0)
    assert st.to_trader(24.0).total_kg == 0.0     # nothing else has waited a day yet
    env.run(until=55.0)
    assert st.to_trader(24.0).total_kg == 7.0     # 31 + 24 = 55 h
    assert st.stock() == Stock(0, 0.0)


def test_station_cold_room_takes_what_fits_and_slows_ageing():
    env = simpy.Environment()
    st = Stations(env, 1, lambda lots: None, cold_room_kg=4.0, cold_factor=np.array([3.0]))
    st.offer(lot(5.0, t_offer=0.0, t_expiry=10.0))
    a = st.lots
    cold = a.a[Lots.COLD] > 0
    # 4 kg in the room keep 3 x 10 h; the other 1 kg spoils at 10 h
    assert a.kg[cold].tolist() == [4.0] and a.t_expiry[cold].tolist() == [30.0]
    assert a.kg[~cold].tolist() == [1.0] and a.t_expiry[~cold].tolist() == [10.0]
    assert st.stock() == Stock(0, 5.0)


def test_stations_hand_over_what_a_vehicle_takes():
    env = simpy.Environment()
    spoiled = []
    st = Stations(env, 2, spoiled.append)
    st.offer(Lots([0, 1], [0, 0], [0.0, 0.0], [50.0, 2.0], [6.0, 1.0]))
    out = st.hand_over(np.array([0]), np.array([2.5]), np.array([5.0]), np.array([1]), np.array([5.0]))
    assert out.total_kg == 2.5
    assert [g.total_kg for g in spoiled] == [1.0]  # found spoiled at the visit
    assert st.stock() == Stock(0, 3.5)


def test_hub_stock_and_activity_over_sorting_dispatch_and_cold_store():
    env = simpy.Environment()
    hub = hub_for(env, sorters=1, sort_rate_parcels_per_h=2.0, storage_kg=100.0, cold_store_kg=6.0)
    hub.receive([chunk(4)])          # at 0 h: 4 parcels, sorted in 4 / 2 = 2 h
    env.run(until=1.0)
    assert hub.stock() == Stock(4, 0.0)
    env.run(until=5.0)
    assert hub.stock() == Stock(4, 0.0)  # sorted, waiting for a vehicle
    hub.dispatch(0, 3)               # at 5 h: 3 parcels leave after 5 h each
    assert hub.stock() == Stock(1, 0.0)
    assert hub.activity() == HubActivity(parcels_in=4, parcels_out=3, sort_wait_parcel_h=0.0, time_in_h=15.0,
                                         sorting_h=2.0)
    hub.reset_window()
    assert hub.activity() == HubActivity()
    hub.receive_produce(lot(10.0), 0.0)   # at 5 h: 6 kg into the cold store, 4 kg ambient
    assert hub.stock() == Stock(1, 10.0)
    env.run(until=7.0)
    # 6 kg cold for 2 h
    assert hub.activity() == HubActivity(produce_in_kg=10.0, cold_kg_h=12.0)
    little = hub.little(7.0)
    assert little.parcel_hours == 4 * 5.0 + 1 * 2.0
    assert little.parcel_hours == little.time_in_h + little.residual_h


def test_trunk_stock_and_activity_from_warehouse_to_hub():
    env = simpy.Environment()
    hub = hub_for(env, sorters=1, sort_rate_parcels_per_h=1000.0)
    trunk = Trunk(env, TrunkConfig(departures_h=(10.0,), cutoff_before_departure_h=2.0, speed_kmh=50.0),
                  CityConfig(warehouse_km=100.0), hub, 2.0, lambda lots: None)
    trunk.order([chunk(3, t_order=1.0), chunk(2, t_order=9.0)])   # the second misses the 8 h cut-off
    assert trunk.stock() == Stock(5, 0.0)
    trunk.start(1)
    env.run(until=11.0)              # left at 10 h with 3 parcels; at the hub at 10 + 100 / 50 = 12 h
    assert trunk.stock() == Stock(5, 0.0)
    assert trunk.activity() == TrunkActivity(runs=1, truck_runs=1, parcels=3, parcel_kg=6.0)
    env.run(until=12.5)
    assert trunk.stock() == Stock(2, 0.0) and hub.stock() == Stock(3, 0.0)
    trunk.reset_window()
    assert trunk.activity() == TrunkActivity()


def test_last_mile_stock_and_activity_over_one_trip():
    env = simpy.Environment()
    hub = hub_for(env, sorters=1, sort_rate_parcels_per_h=1000.0)
    hub.receive([chunk(2, t_order=0.0)])
    spoiled = []
    stations = Stations(env, 1, spoiled.append)
    stations.offer(lot(4.0, t_offer=0.0, t_expiry=100.0))
    van = VehicleType(capacity_kg=1000.0, capacity_parcels=100)
    cfg = LastMileConfig(departures_h=(8.0,), vehicles_per_route=1, stop_h=0.5, handling_h_per_parcel=0.25)
    route = Route(0, np.array([0]), np.array([5.0, 5.0]), np.array([1.0, 1.0]))
    lm = LastMile(env, cfg, van, [route], hub, 1.0, 1, 1, np.ones((1, 1, 1), bool), np.ones((1, 1, 1, 2)), stations)
    lm.start(1)
    # leaves at 8 h, at the station at 9 h (stop 0.5 + 2 x 0.25 = 1 h), back at 8 + 2 + 1 = 11 h
    env.run(until=10.0)
    assert lm.stock() == Stock(0, 4.0)       # the produce is on its way back
    assert stations.stock() == Stock(0, 0.0)
    env.run(until=12.0)
    assert lm.stock() == Stock(0, 0.0) and hub.stock() == Stock(0, 4.0)
    assert lm.activity() == LastMileActivity(trips=1, km=10.0, parcels_carried=2, parcel_kg=2.0, produce_kg=4.0,
                                             delivered=2)
    assert lm.lead.n == 2 and lm.lead.mean_h == pytest.approx(9.0)   # ordered at 0 h, at the station at 9 h
    assert lm.stop_lead().lead_h.tolist() == [18.0] and lm.stop_lead().delivered.tolist() == [2]
    lm.reset_window()
    assert lm.activity() == LastMileActivity()
    assert lm.lead.n == 0 and lm.stop_lead().delivered.tolist() == [0]
    assert lm.delivered == 2          # the run's total stays


def test_capital_recovery_factor_by_hand():
    assert capital_recovery_factor(0.0, 4.0) == 0.25
    assert capital_recovery_factor(0.1, 1.0) == pytest.approx(1.1)
    assert capital_recovery_factor(0.1, 2.0) == pytest.approx(0.1 * 1.21 / 0.21)
    assert capital_recovery_factor(1e-90, 8.0) == 0.125     # 1 + rate rounds to 1: the limit, no division by 0
    assert capital_recovery_factor(5e-324, 8.0) == 0.125    # (the smallest float: rate x life underflows too)
    assert capital_recovery_factor(1e-9, 8.0) == pytest.approx(0.125, rel=1e-6)


def test_parcels_aboard_by_hand():
    assert parcels_aboard(200, 1000.0, 1.5) == 200          # the parcel count fills first
    assert parcels_aboard(200, 150.0, 1.5) == 100           # the weight fills first
    assert parcels_aboard(200, 1.0, 1.5) == 0
    assert parcels_aboard(200, 1000.0, 5e-324) == 200       # a weightless parcel: no overflow
