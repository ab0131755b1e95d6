"""The township tier (network.tiers: 2): its plan, the township stations' queues,
conservation over random two-tier counties, and the reduction of a county with
one village per township to the one-tier county plus the transfer time."""
from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.scenario import Scenario
from sim.county.batches import Lots
from sim.county.kpis import evaluate, run_replication
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.county.stations import Stations
from sim.county.township import Townships
from sim.errors import InputError

SMALL = {"county.villages": 60, "county.townships": 6, "county.area_km2": 600.0, "horizon_d": 20, "warmup_d": 4,
         "stations.coverage_share": 0.5}


def two_tier(**changes) -> Scenario:
    return Scenario().updated({**SMALL, "network.tiers": 2, **changes})


def test_plan_routes_stay_within_a_township_and_feeders_visit_each_open_township_once():
    sc = two_tier()
    p = plan(sc)
    net = p.network
    assert p.feeder is not None
    for r in p.routes:
        assert len(set(net.township[r.stops].tolist())) == 1
    visited = np.concatenate([r.stops for r in p.feeder.routes])
    assert sorted(visited.tolist()) == sorted(set(net.township[net.served].tolist()))
    # every served village: a village route and a feeder route, the one of its township
    served = net.served
    assert (p.route_of_village[served] >= 0).all() and (p.route_of_village[~served] == -1).all()
    town_route = {int(t): r.index for r in p.feeder.routes for t in r.stops}
    assert all(p.feeder.hub_route_of_village[v] == town_route[int(net.township[v])] for v in np.flatnonzero(served))


def test_one_tier_plan_has_no_feeders():
    assert plan(Scenario().updated(SMALL)).feeder is None


def _dispatch(towns: Townships, routes, n) -> tuple[list, list, int, np.ndarray]:
    loaded = np.zeros(len(towns.count), dtype=np.int64)
    v, t, left = towns.dispatch_routes(np.asarray(routes), n, loaded)
    return (np.concatenate(v).tolist() if v else []), (np.concatenate(t).tolist() if t else []), left, loaded


def test_township_queues_hand_over_ready_parcels_first_ready_first():
    env = simpy.Environment()
    towns = Townships(env, np.array([0, 0, 1]), 2, 1, 100.0, Stations(env, 3, lambda lots: None))
    towns.receive(np.array([0, 1, 2, 0]), np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 5.0, 5.0, 9.0]))
    assert towns.stock().parcels == 4
    assert towns.waiting(0) == 0  # nothing ready at time 0
    env.run(until=6.0)
    assert towns.waiting(0) == 2 and towns.waiting(1) == 1 and towns.waiting_all().tolist() == [2, 1]
    v, t, left, loaded = _dispatch(towns, [0], 1)
    assert v == [0] and t == [1.0] and left == 1 and loaded.tolist() == [1, 0]
    v, t, left, _ = _dispatch(towns, [0], 5)  # the parcel ready at 9 h stays
    assert v == [1] and t == [2.0] and left == 0
    assert towns.stock().parcels == 2
    env.run(until=10.0)
    v, t, left, loaded = _dispatch(towns, [0, 1], np.array([5, 0]))   # a mixed fleet: a number per route
    assert t == [4.0] and left == 1 and loaded.tolist() == [1, 0]
    assert towns.stock().parcels == 1


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 5), st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.5])),
                     min_size=1, max_size=25),
       seed=st.integers(0, 2**16))
def test_township_queues_match_a_queue_per_route_by_hand(steps, seed):
    """Random batches (times ready not always in arrival order: a later trip may arrive first) and
    dispatches to random routes: the parcels handed over, their order, the counts loaded and left and
    the stock are those of a plain list per route kept in order of (time ready, arrival)."""
    rng = np.random.default_rng(seed)
    route_of = np.array([0, 0, 1, 2, 2, -1])
    env = simpy.Environment()
    towns = Townships(env, route_of, 3, 1, 100.0, Stations(env, 6, lambda lots: None))
    queues: list[list] = [[], [], []]
    seq = 0
    for receive, k, dt in steps:
        if dt > 0:
            env.run(until=env.now + dt)
        if receive:
            village = rng.integers(0, 6, k)
            t = np.round(rng.uniform(0, env.now + 1, k), 3)
            ready = np.round(env.now + rng.choice([0.5, 1.0, 2.0], k), 3)
            towns.receive(village, t, ready)
            for v, tt, r in zip(village.tolist(), t.tolist(), ready.tolist(), strict=True):
                if route_of[v] >= 0:
                    queues[route_of[v]].append((r, seq, v, tt))
                    seq += 1
        else:
            routes = np.flatnonzero(rng.random(3) < 0.7)
            v, t, left, loaded = _dispatch(towns, routes, k)
            want_v, want_t, want_left = [], [], 0
            for r in routes.tolist():
                queues[r].sort()
                ready = [p for p in queues[r] if p[0] <= env.now]
                taken = ready[:k]
                queues[r] = [p for p in queues[r] if p not in taken]
                want_v += [p[2] for p in taken]
                want_t += [p[3] for p in taken]
                want_left += len(ready) - len(taken)
                assert loaded[r] == len(taken)
            assert (v, t, left) == (want_v, want_t, want_left)
        assert towns.waiting_all().tolist() == [sum(p[0] <= env.now for p in q) for q in queues]
        assert towns.stock().parcels - int((towns.collect_times() > env.now).sum()) == sum(map(len, queues))


def test_township_storage_limits_what_village_vehicles_promise():
    env = simpy.Environment()
    towns = Townships(env, np.array([0]), 1, 2, 100.0, Stations(env, 1, lambda lots: None))
    assert towns.free_kg() == 200.0  # two open stations of 100 kg
    towns.reserve(150.0)
    assert towns.free_kg() == 50.0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(villages=st.integers(8, 60), townships=st.integers(1, 8), coverage=st.floats(0.1, 1.0),
       village_vehicle=st.sampled_from(["van", "e_tricycle", "walking_tractor", "bus"]),
       feeder_vehicle=st.sampled_from(["van", "walking_tractor"]),
       remote_vehicle=st.sampled_from([None, "van", "walking_tractor", "e_tricycle"]),
       departure=st.floats(0.0, 23.5), transfer_h=st.floats(0.0, 30.0), storage_kg=st.floats(0.0, 3000.0),
       cold_share=st.sampled_from([0.0, 0.5, 1.0]),
       backhaul=st.booleans(), surge=st.booleans(), start_doy=st.sampled_from([182, 300]),
       every_d=st.integers(1, 3), remote_every_d=st.integers(1, 3), outlets=st.booleans(),
       pickup_h=st.floats(0.0, 200.0), replication=st.integers(0, 3),
       buses=st.sampled_from(["none", "added", "replacing"]), lines=st.integers(1, 4),
       by_township=st.sampled_from([{}, {"T01": 2}, {"T01": [0, 3]}, {"T01": {"every_d": 3, "weekdays": [1, 2, 5]}}]),
       transfer_rate=st.sampled_from([None, 5.0, 300.0]))
def test_two_tier_runs_conserve_parcels_and_produce(villages, townships, coverage, village_vehicle, feeder_vehicle,
                                                    remote_vehicle,
                                                    departure, transfer_h, storage_kg, cold_share, backhaul, surge,
                                                    start_doy, every_d, remote_every_d, outlets, pickup_h, replication,
                                                    buses, lines, by_township, transfer_rate):
    if buses == "replacing":   # bus lines replacing the village routes run daily (other service is refused)
        every_d = remote_every_d = 1
        by_township = {}
    sc = two_tier(**{"county.villages": villages, "county.townships": townships,
                     "stations.coverage_share": coverage, "township.vehicle_type": village_vehicle,
                     "township.feeder_vehicle_type": feeder_vehicle, "township.departures_h": [departure],
                     "township.remote_vehicle_type": remote_vehicle, "township.remote_vehicle_from_km": 8.0,
                     "township.transfer_h": transfer_h, "township.storage_kg": storage_kg,
                     "township.cold_room_kg": storage_kg * cold_share,
                     "lastmile.backhaul": backhaul, "surge.enabled": surge, "start_doy": start_doy,
                     "service.every_d": every_d, "service.remote_every_d": remote_every_d,
                     "service.remote_from_km": 8.0, "township.outlets": outlets,
                     "township.outlet_pickup_delay_h": pickup_h, "buses.mode": buses,
                     "buses.origin": "townships", "buses.lines_per_township": lines,
                     "service.by_township": by_township, "township.transfer_parcels_per_h": transfer_rate})
    res = run_replication(sc, replication)  # raises ConservationError if anything is lost
    b = res.checks.balance
    if int(res.kpis["villages_served"]):
        assert set(b.tiers) == {"feeders", "townships"} | ({"buses"} if buses == "added" else set())
    held = b.trunk.parcels + b.hub.parcels + b.lastmile.parcels + sum(s.parcels for s in b.tiers.values())
    assert b.parcels_ordered == b.parcels_delivered + held
    kg = sum(s.produce_kg for s in b.stocks().values())
    assert b.produce_offered_kg == pytest.approx(b.produce_sold_kg + b.produce_spoiled_kg + kg, rel=1e-9, abs=1e-6)


def _county_csv(path, xy):
    """One village per township, each at its township's seat (km from the hub)."""
    rows = ["id,township,x_km,y_km,residents,road_class"]
    rows += [f"V{i},T{i},{x!r},{y!r},800,cement" for i, (x, y) in enumerate(xy)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def _exact(csv: str, **changes) -> Scenario:
    return Scenario().updated({
        "county.villages_csv": csv, "county.circuity_county": 1.25, "stations.coverage_share": 1.0,
        "horizon_d": 30, "warmup_d": 3, "surge.enabled": False, "lastmile.availability": 1.0,
        "lastmile.travel_time_cv": 0.0, "lastmile.stop_h": 0.0, "lastmile.handling_h_per_parcel": 0.0,
        "lastmile.max_route_h": 1.5, "township.feeder_max_route_h": 1.5, "township.vehicle_type": "van",
        "township.feeder_vehicle_type": "van", "hub.sort_time_distribution": "deterministic", **changes})


def test_one_village_per_township_is_the_one_tier_county_plus_the_transfer(tmp_path):
    # the village sits at its township's seat 20 km east: 20 x 1.25 = 25 km of county road at 50 km/h = 0.5 h.
    # One tier: the van leaves at 8:00 and reaches the village at 8:30. Two tiers: the feeder reaches the
    # township station at 8:30, the transfer takes 1.5 h, the village van leaves at 10:00 and is there at once
    # (0 km): every parcel arrives 1.5 h later than in one tier, the transfer time.
    csv = _county_csv(tmp_path / "v.csv", [(20.0, 0.0)])
    one = run_replication(_exact(csv), 0)
    two = run_replication(_exact(csv, **{"network.tiers": 2, "township.transfer_h": 1.5,
                                         "township.departures_h": [10.0]}), 0)
    assert one.kpis["inbound_parcels_ordered"] == two.kpis["inbound_parcels_ordered"] > 0
    assert one.kpis["inbound_parcels_delivered"] == two.kpis["inbound_parcels_delivered"]
    assert two.kpis["inbound_lead_time_mean_h"] == pytest.approx(one.kpis["inbound_lead_time_mean_h"] + 1.5,
                                                                 abs=1e-9)
    # the vans' km of one tier are the feeders' km; the village vans drive 0 km
    assert two.kpis["vehicle_km"] == pytest.approx(one.kpis["vehicle_km"], rel=1e-12)


def test_several_townships_add_the_wait_from_feeder_arrival_to_village_departure(tmp_path):
    # three villages 16, 20 and 24 km from the hub, 120 degrees apart: 0.4, 0.5 and 0.6 h of county road each
    # way; any two on one route take over 1.6 h, more than the 1.5 h allowed, so a route each. With a 0.5 h
    # transfer and the village vans leaving at 11:00, each parcel arrives 11 - (8 + leg) h later than in one tier.
    c, s = -0.5, 3.0 ** 0.5 / 2
    csv = _county_csv(tmp_path / "v.csv", [(16.0, 0.0), (20.0 * c, 20.0 * s), (24.0 * c, -24.0 * s)])
    one = run_replication(_exact(csv), 0)
    two = run_replication(_exact(csv, **{"network.tiers": 2, "township.transfer_h": 0.5,
                                         "township.departures_h": [11.0]}), 0)
    routes = plan(_exact(csv)).routes
    assert sorted(len(r.stops) for r in routes) == [1, 1, 1]
    leg_h = {0: 0.4, 1: 0.5, 2: 0.6}
    stops = np.concatenate([r.stops for r in routes]).tolist()
    extra_h = sum((11.0 - 8.0 - leg_h[v]) * n for v, n in zip(stops, one.stop_lead.delivered.tolist(), strict=True))
    assert one.kpis["inbound_parcels_delivered"] == two.kpis["inbound_parcels_delivered"]
    assert two.lead.total_h == pytest.approx(one.lead.total_h + extra_h, rel=1e-12)


def test_outlet_parcels_are_collected_after_the_pickup_delay():
    # villages 0 and 1: village 1 has no route (-1), so its parcels wait at the station for collection
    env = simpy.Environment()
    towns = Townships(env, np.array([0, -1]), 1, 1, 100.0, Stations(env, 2, lambda lots: None), pickup_delay_h=5.0)
    towns.receive(np.array([0, 1, 1]), np.array([1.0, 2.0, 3.0]), np.array([10.0, 10.0, 10.0]))
    assert towns.count == [1] and towns.parcels_in == 3   # one waits for its village route
    t, lead = towns.collected(until_h=100.0)
    assert t.tolist() == [15.0, 15.0] and lead.tolist() == [13.0, 12.0]
    assert towns.stock().parcels == 3   # at time 0 nothing is collected yet
    env.run(until=16.0)
    assert towns.stock().parcels == 1   # the village-route parcel is still queued
    assert len(towns.collected(until_h=14.0)[0]) == 0


def test_outlets_carry_the_villages_without_a_station_through_the_hub():
    off = run_replication(two_tier(), 0).kpis
    on = run_replication(two_tier(**{"township.outlets": True, "township.outlet_collect_share": 1.0}), 0).kpis
    # served villages order the same parcels (common random numbers); the others add theirs
    assert on["inbound_parcels_ordered"] > off["inbound_parcels_ordered"]
    assert on["inbound_parcels_collected_township"] > 0 and off["inbound_parcels_collected_township"] == 0
    assert on["inbound_lead_time_collected_mean_h"] >= 24.0   # at least the default one-day pickup delay


def test_two_tier_runs_are_the_same_on_one_or_two_workers():
    from sim.experiments.single import run_scenario
    sc = two_tier(**{"township.outlets": True, "service.remote_every_d": 2, "replications": 2})
    one, two = run_scenario(sc, workers=1), run_scenario(sc, workers=2)
    assert [r["inbound_lead_time_mean_h"] for r in one.rows] == [r["inbound_lead_time_mean_h"] for r in two.rows]
    assert [r["cost_total_cny"] for r in one.rows] == [r["cost_total_cny"] for r in two.rows]


def test_village_routes_keep_to_the_vehicles_daily_range():
    sc = two_tier(**{"vehicle_types.e_tricycle.range_km": 30.0, "township.departures_h": [9.0, 15.0]})
    p = plan(sc)
    # two trips a day: 15 km a route, unless a village's round trip alone is longer
    for r in p.routes:
        assert r.km <= 15.0 + 1e-9 or len(r.stops) == 1
    assert any(len(r.stops) > 1 for r in p.routes)


def test_township_cold_room_is_shared_by_the_villages_of_its_township():
    env = simpy.Environment()
    # villages 0 and 1 belong to township 0, village 2 to township 1; 100 kg of cold room per township
    store = Stations(env, 3, lambda lots: None, cold_room_kg=100.0, cold_factor=np.array([3.0]),
                     room_of=np.array([0, 0, 1]))
    store.offer(Lots([0, 1, 2], [0, 0, 0], [0.0, 0.0, 0.0], [10.0, 10.0, 10.0], [60.0, 60.0, 30.0]))
    a = store.lots
    cold = a.a[Lots.COLD] > 0
    # township 0: village 0's 60 kg and 40 of village 1's fill its 100 kg; township 1's 30 kg all fit
    got = sorted(zip(a.a[Lots.VILLAGE, cold].tolist(), a.kg[cold].tolist(), strict=True))
    assert got == [(0, 60.0), (1, 40.0), (2, 30.0)]
    assert a.t_expiry[cold].tolist() == [30.0, 30.0, 30.0]   # 3 x 10 h in the cold
    assert a.a[Lots.VILLAGE, ~cold].tolist() == [1] and a.kg[~cold].tolist() == [20.0]
    assert a.t_expiry[~cold].tolist() == [10.0]
    # a later lot of township 0 finds its room full
    store.offer(Lots([0], [0], [1.0], [11.0], [5.0]))
    assert float(store.lots.kg[store.lots.a[Lots.COLD] > 0].sum()) == 130.0


def test_township_cold_rooms_are_paid_per_open_township_and_refused_beyond_storage():
    kg, capex, per_kg_d, life_y, r = 1000.0, 6.0, 0.005, 10.0, 0.05
    base = run_replication(two_tier(**{"costs.discount_rate_y": r}), 0)
    cold = run_replication(two_tier(**{"costs.discount_rate_y": r, "township.cold_room_kg": kg,
                                       "township.cold_room_capex_per_kg_cny": capex,
                                       "township.cold_room_cost_per_kg_d": per_kg_d}), 0)
    towns = len(plan(two_tier()).feeder.open_townships)
    days = 20   # the KPI window is horizon_d; the warm-up comes before it
    crf = r / (1 - (1 + r) ** -life_y)
    expected = towns * kg * (capex * crf * days / 365.0 + per_kg_d * days)
    assert cold.costs.cold_rooms - base.costs.cold_rooms == pytest.approx(expected, rel=1e-9)
    with pytest.raises(InputError, match="township: cold_room_kg 6000 is not allowed"):
        two_tier(**{"township.cold_room_kg": 6000.0, "township.storage_kg": 5000.0})


MIXED = {"township.remote_vehicle_type": "van", "township.remote_vehicle_from_km": 9.0,
         "vehicle_types.e_tricycle.range_km": 30.0, "township.departures_h": [9.0, 15.0]}


def test_remote_townships_routes_are_planned_for_their_own_vehicle():
    sc = two_tier(**MIXED)
    p = plan(sc)
    net = p.network
    assert p.route_vehicle is not None and len(p.route_vehicle) == len(p.routes)
    seat_km = np.hypot(net.township_xy_km[:, 0], net.township_xy_km[:, 1])
    per_departure = net.residents * sc.demand.parcels_per_resident_y / 365.0 * sc.lastmile.planning_load_factor / 2
    for r, name in zip(p.routes, p.route_vehicle, strict=True):
        town = int(net.township[r.stops[0]])
        assert name == ("van" if seat_km[town] >= 9.0 else "e_tricycle")
        veh = sc.vehicle_types[name]
        # planned within the capacity of the vehicle that drives it (parcels and kg a departure)
        load = per_departure[r.stops].sum()
        assert load <= veh.capacity_parcels + 1e-9 and load * sc.demand.parcel_kg <= veh.capacity_kg + 1e-9
        if name == "e_tricycle":   # two trips a day within the 30 km charge
            assert r.km <= 15.0 + 1e-9 or len(r.stops) == 1
    assert {"van", "e_tricycle"} == set(p.route_vehicle)


def test_a_mixed_fleet_pays_each_type_its_own_drivers_and_one_type_is_the_single_type_fleet():
    sc = two_tier(**MIXED)
    res = run_replication(sc, 0)
    p = plan(sc)
    vans = sum(name == "van" for name in p.route_vehicle)
    tricycles = len(p.routes) - vans
    feeders = len(p.feeder.routes)
    # one vehicle a route, daily service, 20 days: drivers at 200 CNY/d a van (feeders too), 150 a tricycle
    assert res.costs.drivers == pytest.approx(20 * (200.0 * (vans + feeders) + 150.0 * tricycles), rel=1e-12)
    # the remote type being the village type, or no township far enough: the fleet of one type, to the cent
    single = run_replication(two_tier(**{k: v for k, v in MIXED.items() if not k.startswith("township.remote")}), 0)
    for same in ({"township.remote_vehicle_type": "e_tricycle"}, {"township.remote_vehicle_from_km": 999.0}):
        res_same = run_replication(two_tier(**{**MIXED, **same}), 0)
        for k in ("cost_total_cny", "cost_per_parcel_cny", "co2_kg", "vehicle_km", "inbound_lead_time_mean_h",
                  "surge_vehicle_days", "lastmile_load_factor_in"):
            assert res_same.kpis[k] == pytest.approx(single.kpis[k], rel=1e-12, abs=1e-12), k


def test_a_stations_transfer_capacity_works_the_feeders_batches_one_after_another(tmp_path):
    # one village at its township's seat 20 km out: feeders reach the station at 8:30. Vans carry 8 parcels and
    # three leave together, so a day's parcels come in batches of up to 8; at 10 parcels an hour with a 0.5 h
    # transfer, a batch of n is ready 0.5 + n / 10 h after the later of 8:30 and the batch before. The village
    # vans (three of 8) leave at 10:00: batches ready later wait for the next day's.
    csv = _county_csv(tmp_path / "v.csv", [(20.0, 0.0)])
    sc = _exact(csv, **{"network.tiers": 2, "township.transfer_h": 0.5, "township.departures_h": [10.0],
                        "township.transfer_parcels_per_h": 10.0, "vehicle_types.van.capacity_parcels": 8,
                        "township.feeder_vehicles_per_route": 3, "township.vehicles_per_route": 3})
    m = CountyModel(sc, 0, trace=True).run()
    log = m.trace_log
    assert log is not None
    batches = [(t, d["parcels"]) for t, kind, d in log if kind == "feeder_station_arrive"]
    done = [(t, d["parcels"]) for t, kind, d in log if kind == "transfer_done"]
    assert len(done) == len(batches) > 10 and any(n == 8 for _, n in batches)
    free = 0.0
    for (arrive, n), (t_done, n_done) in zip(batches, done, strict=True):
        assert arrive % 24.0 == pytest.approx(8.5) and n_done == n
        free = max(arrive, free) + 0.5 + n / 10.0
        assert t_done == pytest.approx(free, abs=1e-8)
    # each day's village departure (three vans, one arrival event each) takes what is ready by then
    arrivals: dict[float, int] = {}
    for t, kind, d in log:
        if kind == "station_arrive":
            arrivals[t] = arrivals.get(t, 0) + d["parcels"]
    delivered = 0
    for t, n in sorted(arrivals.items()):
        assert t % 24.0 == pytest.approx(10.0)
        ready_by = sum(k for t_done, k in done if t_done <= t + 1e-9)
        assert n == ready_by - delivered <= 24
        delivered += n
    assert any(t % 24.0 > 10.0 for t, _ in done)   # some batches missed the day's departure
    res = evaluate(m)   # conservation is checked here
    without = run_replication(_exact(csv, **{"network.tiers": 2, "township.transfer_h": 0.5,
                                             "township.departures_h": [10.0], "vehicle_types.van.capacity_parcels": 8,
                                             "township.feeder_vehicles_per_route": 3,
                                             "township.vehicles_per_route": 3}), 0)
    assert res.kpis["inbound_lead_time_mean_h"] > without.kpis["inbound_lead_time_mean_h"]


def test_the_township_tiers_own_costs_by_hand(tmp_path):
    # one village at its township's seat 20 km out: one feeder route of one van (25 km of county road each
    # way), one township station, one village route of 0 km. No discounting: capital is price / life a year.
    csv = _county_csv(tmp_path / "v.csv", [(20.0, 0.0)])
    sc = _exact(csv, **{"network.tiers": 2, "township.transfer_h": 0.5, "township.departures_h": [10.0],
                        "costs.discount_rate_y": 0.0, "township.cost_per_day_cny": 120.0,
                        "township.capex_cny": 36500.0, "township.life_y": 10.0,
                        "township.transfer_cost_per_parcel_cny": 0.25})
    m = CountyModel(sc, 0).run()
    res = evaluate(m)
    act = m.activity()
    assert act.feeders is not None and act.townships is not None
    days = sc.horizon_d   # the KPI window
    van = sc.vehicle_types["van"]
    f = act.feeders
    assert f.km == pytest.approx(50.0 * f.trips) and f.trips > 0 and f.pickup_trips == 0
    feeders = (days * (van.cost_per_day_cny + van.driver_per_day_cny) + van.capex_cny / van.life_y * days / 365.0
               + f.km * van.cost_per_km_cny + f.parcels_carried * van.fee_per_parcel_cny)
    stations = days * 120.0 + 36500.0 / 10.0 * days / 365.0 + act.townships.parcels_in * 0.25
    assert res.kpis["cost_feeders_cny"] == pytest.approx(feeders, rel=1e-12)
    assert res.kpis["cost_township_stations_cny"] == pytest.approx(stations, rel=1e-12)
    one = run_replication(_exact(csv), 0)
    assert one.kpis["cost_feeders_cny"] == one.kpis["cost_township_stations_cny"] == 0.0


def test_outlets_may_need_more_feeder_routes_than_there_are_village_routes():
    # one village with a station, the rest collecting at two townships' outlets: the feeders
    # carry the whole county's parcels on more routes than the one village route
    sc = two_tier(**{"county.villages": 12, "county.townships": 2, "county.area_km2": 1500.0,
                     "stations.coverage_share": 0.1, "township.outlets": True,
                     "demand.parcels_per_resident_y": 40.0})
    p = plan(sc)
    assert p.feeder is not None and len(p.feeder.routes) > len(p.routes) == 1
    k = run_replication(sc, 0).kpis   # raises ConservationError if a parcel is lost
    assert k["inbound_parcels_collected_township"] > 0 and k["inbound_parcels_delivered"] > 0


def test_a_mixed_village_fleet_with_no_station_to_serve_costs_nothing():
    # remote townships get their own vehicle type, but no village has a station: no routes at all
    sc = two_tier(**{"county.villages": 5, "county.townships": 5, "county.area_km2": 4000.0,
                     "stations.coverage_share": 0.1, "township.remote_vehicle_type": "van"})
    p = plan(sc)
    assert not p.network.served.any() and not p.routes
    k = run_replication(sc, 0).kpis
    assert k["inbound_parcels_ordered"] == 0 and k["cost_feeders_cny"] == 0.0
    # what is left is the hub, its sorters and the township stations' running cost (nothing variable)
    assert k["cost_total_cny"] == k["cost_inbound_cny"] > 0 and k["cost_outbound_cny"] == 0.0
