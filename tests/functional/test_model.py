"""The county model end to end: reproducibility, degenerate cases, monotonicity and
the conservation check."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import with_

from sim.config.scenario import Crop, scenario_from_data
from sim.county.batches import Chunk, Lots
from sim.county.conservation import WindowBooks, check_window, conservation
from sim.county.kpis import evaluate, run_replication
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.errors import ConservationError
from sim.experiments.single import RUN_COLUMNS, run_scenario
from sim.files import csv_text


def runs_csv(scenario) -> str:
    return csv_text(RUN_COLUMNS, run_scenario(scenario).rows)


def test_same_seed_same_bytes_and_other_seed_differs(small):
    a, b = runs_csv(small), runs_csv(small)
    assert a == b
    c = runs_csv(dataclasses.replace(small, seed=small.seed + 1))
    assert c != a
    # replications differ from each other too
    rows = run_scenario(small).rows
    assert rows[0]["inbound_parcels_ordered"] != rows[1]["inbound_parcels_ordered"]


def test_zero_demand_and_no_harvest_moves_nothing(small):
    sc = with_(small, "demand", parcels_per_resident_y=0.0)
    sc = dataclasses.replace(sc, crops=(Crop(village_share=0.0),))
    k = run_replication(sc, 0).kpis
    assert k["inbound_parcels_ordered"] == 0
    assert k["inbound_parcels_delivered"] == 0
    assert k["outbound_produce_offered_kg"] == 0.0
    assert k["outbound_produce_spoiled_kg"] == 0.0
    assert k["vehicle_km"] == 0.0
    assert k["trunk_truck_runs"] == 0


def test_ample_capacity_means_nothing_waits_for_a_later_vehicle(small):
    sc = dataclasses.replace(small, vehicle_types={
        **small.vehicle_types,
        "van": dataclasses.replace(small.vehicle_types["van"], capacity_kg=1e6, capacity_parcels=10**6)})
    sc = with_(sc, "lastmile", availability=1.0, vehicles_per_route=1)
    sc = with_(sc, "trunk", trucks_per_departure=50)
    res = run_replication(sc, 0)
    assert res.checks.lastmile_left_behind == 0
    assert res.kpis["inbound_parcels_delivered"] > 1000
    # every parcel leaves on the first departure after it was sorted: at most a day in the hub
    assert res.kpis["hub_time_mean_h"] < 24.0
    # whereas a tiny vehicle leaves parcels behind
    tiny = dataclasses.replace(small, vehicle_types={
        **small.vehicle_types, "van": dataclasses.replace(small.vehicle_types["van"], capacity_parcels=5)})
    assert run_replication(tiny, 0, plan(sc)).checks.lastmile_left_behind > 0


@pytest.mark.parametrize("replication", [0, 1, 2])
def test_more_vehicles_never_raise_lead_time(small, replication):
    the_plan = plan(small)
    lead = []
    for v in (1, 2, 3):
        sc = with_(small, "lastmile", vehicles_per_route=v)
        lead.append(run_replication(sc, replication, the_plan).kpis["inbound_lead_time_mean_h"])
    assert lead[0] >= lead[1] >= lead[2]
    assert lead[0] > lead[2]  # the small county's vans are busy in the Singles' Day peak


@pytest.mark.parametrize("replication", [0, 1])
def test_more_capacity_never_raises_lead_time(small, replication):
    the_plan = plan(small)  # same routes: only the vehicles' capacity changes
    lead = []
    for cap in (150, 300, 600):
        van = dataclasses.replace(small.vehicle_types["van"], capacity_parcels=cap)
        sc = dataclasses.replace(small, vehicle_types={**small.vehicle_types, "van": van})
        lead.append(run_replication(sc, replication, the_plan).kpis["inbound_lead_time_mean_h"])
    assert lead[0] >= lead[1] >= lead[2]
    assert lead[0] > lead[2]


def test_no_vehicles_delivers_nothing_and_backlog_grows(small):
    sc = with_(with_(small, "lastmile", vehicles_per_route=0), "surge", enabled=False)
    res = run_replication(sc, 0)
    assert res.kpis["inbound_parcels_delivered"] == 0
    assert res.kpis["outbound_produce_sold_kg"] == 0.0
    backlog = res.daily["hub_backlog_parcels"] + res.daily["warehouse_backlog_parcels"]
    ordered = np.cumsum(res.daily["parcels_ordered"])
    assert np.array_equal(backlog, ordered)  # everything ordered is still waiting


def test_backhaul_off_uses_dedicated_pickups(small):
    on = run_replication(small, 0)
    off = run_replication(with_(small, "lastmile", backhaul=False), 0)
    assert on.costs.pickups == 0.0 and off.costs.pickups > 0.0
    assert off.kpis["vehicle_km"] > on.kpis["vehicle_km"]
    assert off.kpis["cost_total_cny"] > on.kpis["cost_total_cny"]
    assert off.kpis["cost_per_kg_out_cny"] > on.kpis["cost_per_kg_out_cny"]  # incremental: pickups are produce's
    # common random numbers: both see the same demand and harvest
    assert off.kpis["inbound_parcels_ordered"] == on.kpis["inbound_parcels_ordered"]
    assert off.kpis["outbound_produce_offered_kg"] == on.kpis["outbound_produce_offered_kg"]


def test_cold_store_lowers_spoilage(small):
    base = run_replication(small, 0).kpis
    cold = run_replication(with_(small, "hub", cold_store_kg=200000.0), 0).kpis
    assert base["outbound_produce_spoiled_kg"] > 0
    assert cold["spoilage_rate"] <= base["spoilage_rate"]


def test_coverage_controls_served_villages(small):
    full = run_replication(with_(small, "stations", coverage_share=1.0), 0).kpis
    half = run_replication(small, 0).kpis
    assert full["villages_served"] == 60 and half["villages_served"] == 30
    assert full["residents_served_share"] == pytest.approx(1.0)
    assert full["inbound_parcels_ordered"] > half["inbound_parcels_ordered"]


def test_conservation_check_catches_a_lost_parcel(small):
    model = CountyModel(small, 0).run()
    model.hub.queues[0].pop(1)  # a parcel vanishes from the hub
    with pytest.raises(ConservationError, match="parcels not conserved"):
        evaluate(model)


def test_conservation_check_catches_lost_produce(small):
    model = CountyModel(small, 0).run()
    lots = model.stations.lots
    assert len(lots)
    lot = int(np.argmax(lots.a[lots.KG]))   # the largest lot still waiting
    lots.a[lots.KG, lot] *= 0.5
    with pytest.raises(ConservationError, match="produce not conserved"):
        evaluate(model)


def test_conservation_check_catches_an_invented_parcel(small):
    model = CountyModel(small, 0).run()
    model.trunk.warehouse.append(Chunk(np.array([0]), np.array([1.0]), np.array([0, 1])))
    with pytest.raises(ConservationError):
        evaluate(model)


def test_conservation_check_catches_invented_produce(small):
    model = CountyModel(small, 0).run()
    balance = conservation(model, float(model.trunk.sales().kg.sum()))
    assert balance.parcels_ordered == balance.parcels_delivered + sum(s.parcels for s in balance.stocks().values())
    model.stations.offer(Lots([0], [0], [1.0], [1e9], [2.5]))   # 2.5 kg nobody offered
    with pytest.raises(ConservationError, match="produce not conserved"):
        conservation(model, balance.produce_sold_kg)


def test_window_activity_excludes_the_warm_up(small):
    """The same 90 simulated days from 17 September, once as a 90-day window and once
    as a 30-day warm-up then a 60-day window: the same draws and the same run,
    counted from day 30, with what is in the system on day 30 carried over."""
    whole = run_replication(small, 0)
    warm = run_replication(dataclasses.replace(small, warmup_d=30, start_doy=small.start_doy + 30, horizon_d=60), 0)
    k, d, w = warm.kpis, whole.daily, 30
    assert list(warm.daily["day"]) == list(range(-30, 60))
    assert all(np.array_equal(warm.daily[c], d[c]) for c in d if c != "day")
    assert k["inbound_parcels_ordered"] == d["parcels_ordered"][w:].sum() < whole.kpis["inbound_parcels_ordered"]
    assert k["outbound_produce_offered_kg"] == pytest.approx(d["produce_offered_kg"][w:].sum(), rel=1e-12)
    assert k["vehicle_km"] == pytest.approx(d["vehicle_km"][w:].sum(), rel=1e-9)
    assert warm.lead.n == k["inbound_parcels_delivered"] == d["parcels_delivered"][w:].sum()
    assert warm.stop_lead.delivered.sum() == k["inbound_parcels_delivered"]
    # parcels in the system when the window opens (midnight: no van is out) = the end-of-day backlogs of day 29
    backlog = d["warehouse_backlog_parcels"][w - 1] + d["hub_backlog_parcels"][w - 1]
    assert k["inbound_parcels_in_system_start"] == backlog > 0
    # produce: at least what waits at stations and the hub (the rest is on the night truck to market)
    assert k["outbound_produce_in_system_start_kg"] >= d["station_backlog_kg"][w - 1] + d["hub_produce_kg"][w - 1]
    before = d["produce_offered_kg"][:w].sum() - d["produce_sold_kg"][:w].sum() - d["produce_spoiled_kg"][:w].sum()
    assert k["outbound_produce_in_system_start_kg"] == pytest.approx(before, abs=1e-6)
    # the same end
    assert k["inbound_parcels_in_system"] == whole.kpis["inbound_parcels_in_system"]
    assert k["outbound_produce_in_system_kg"] == whole.kpis["outbound_produce_in_system_kg"]
    assert whole.kpis["inbound_parcels_in_system_start"] == 0


def test_unsold_share_counts_produce_left_at_the_end(small):
    """Produce still in the system at the end is not sold: the unsold share counts it,
    the spoilage rate (fate decided in the window) leaves it out."""
    k = run_replication(small, 0).kpis      # ends 15 December, mid-harvest
    spoiled, sold, left = (k["outbound_produce_spoiled_kg"], k["outbound_produce_sold_kg"],
                           k["outbound_produce_in_system_kg"])
    assert left > 0
    assert k["spoilage_rate"] == pytest.approx(spoiled / (spoiled + sold))
    assert k["outbound_produce_unsold_share"] == pytest.approx((spoiled + left) / k["outbound_produce_offered_kg"])
    assert k["outbound_produce_unsold_share"] > spoiled / k["outbound_produce_offered_kg"]


def test_window_check_catches_a_flow_booked_on_the_wrong_side():
    books = WindowBooks(10, 100, 95, 15, 5.0, 50.0, 40.0, 5.0, 10.0)
    check_window(books)
    with pytest.raises(ConservationError, match="parcels not conserved over the KPI window"):
        check_window(dataclasses.replace(books, parcels_delivered=96))
    with pytest.raises(ConservationError, match="produce not conserved over the KPI window"):
        check_window(dataclasses.replace(books, produce_sold_kg=40.001))
    with pytest.raises(ConservationError):
        check_window(dataclasses.replace(books, parcels_in_system_start=-1, parcels_ordered=111))


def test_window_check_allows_the_rounding_of_a_long_warmup_and_no_more():
    # a window opening off-season after a ten-year warm-up: nothing in stock, nothing offered, but
    # the start stock is a difference of 1.8e6 kg of warm-up flows, off by nanograms
    books = WindowBooks(0, 0, 0, 0, -1.84e-9, 0.0, 0.0, 0.0, 0.0, 0.0, 1.8e6)
    check_window(books)
    with pytest.raises(ConservationError, match="produce not conserved"):
        check_window(dataclasses.replace(books, warmup_offered_kg=0.0))   # without it: 1e-9 kg allowed
    with pytest.raises(ConservationError, match="produce not conserved"):
        check_window(dataclasses.replace(books, produce_in_system_start_kg=-0.01))   # a real gap still fails


def test_a_ten_year_warmup_runs():
    # warmup_d's largest value, the built-in county: the window opens off-season with no produce about
    sc = scenario_from_data({"replications": 1, "horizon_d": 1, "warmup_d": 3650}, "ten_year_warmup")
    res = run_replication(sc, 0)
    assert res.kpis["inbound_parcels_ordered"] >= 0


def test_daily_series_add_up_to_the_kpis(small):
    res = run_replication(small, 0)
    d, k = res.daily, res.kpis
    assert d["parcels_ordered"].sum() == k["inbound_parcels_ordered"]
    assert d["parcels_delivered"].sum() == k["inbound_parcels_delivered"]
    assert d["produce_sold_kg"].sum() == pytest.approx(k["outbound_produce_sold_kg"], rel=1e-9)
    assert d["produce_spoiled_kg"].sum() == pytest.approx(k["outbound_produce_spoiled_kg"], rel=1e-9)
    assert d["vehicle_km"].sum() == pytest.approx(k["vehicle_km"], rel=1e-9)
    assert len(d["day"]) == small.horizon_d and d["day"][0] == 0


def test_lead_time_is_order_to_station(small):
    res = run_replication(small, 0)
    lead = res.lead
    assert lead.n == res.kpis["inbound_parcels_delivered"] == lead.counts.sum()
    # an order waits at least for the trunk (cut-off, travel) and a morning departure
    travel_h = small.city.warehouse_km / small.trunk.speed_kmh
    assert lead.min_h >= small.trunk.cutoff_before_departure_h + travel_h - lead.bin_h
    assert res.kpis["inbound_lead_time_p95_h"] >= res.kpis["inbound_lead_time_mean_h"]


def test_costs_split_into_inbound_and_outbound(small):
    res = run_replication(small, 0)
    c, k = res.costs, res.kpis
    parts = ("lastmile_vehicles", "drivers", "pickups", "cold_rooms", "trunk", "hub", "sorters", "cold_store",
             "stations", "surge")
    assert set(type(c).components()) == set(parts)
    assert sum(getattr(c, p) for p in parts) == pytest.approx(c.total)
    assert c.inbound + c.outbound == pytest.approx(c.total)
    assert c.inbound_direct + c.outbound_direct + c.shared == c.total
    assert k["cost_per_parcel_cny"] == pytest.approx(c.inbound / k["inbound_parcels_delivered"])
    assert k["cost_per_kg_out_cny"] == pytest.approx(c.outbound / k["outbound_produce_sold_kg"])
    assert k["farmer_revenue_cny"] == pytest.approx(k["outbound_produce_sold_kg"] * small.crops[0].price_cny_per_kg)


def test_a_model_runs_once(small):
    model = CountyModel(small, 0).run()
    with pytest.raises(RuntimeError):
        model.run()


def test_subsidy_lowers_the_net_cost_of_goods_in(small):
    sc = with_(small, "costs", subsidy_per_year_cny=365_000.0)
    k = run_replication(sc, 0).kpis
    years = small.horizon_d / 365.0
    assert k["subsidy_cny"] == pytest.approx(365_000.0 * years)
    assert k["cost_net_cny"] == pytest.approx(k["cost_total_cny"] - k["subsidy_cny"])
    assert k["cost_per_parcel_net_cny"] == pytest.approx(
        (k["cost_inbound_cny"] - k["subsidy_cny"]) / k["inbound_parcels_delivered"])
    assert k["cost_total_cny"] == run_replication(small, 0).kpis["cost_total_cny"]  # the subsidy is no cost


def test_road_speed_factor_scales_travel_times(small):
    from sim.county.network import road_matrices
    the_plan = plan(small)
    nodes = np.flatnonzero(the_plan.network.served)
    van = small.vehicle_types["van"]
    d1, t1 = road_matrices(the_plan.network, nodes, small, van)
    d2, t2 = road_matrices(the_plan.network, nodes, with_(small, "county", road_speed_factor=2.0), van)
    assert np.array_equal(d1, d2) and np.allclose(t2, t1 / 2.0)


def test_station_cold_rooms_lower_spoilage_and_cost_money(small):
    base = run_replication(small, 0)
    cold = run_replication(with_(small, "stations", cold_room_kg=3000.0), 0)
    assert base.kpis["outbound_produce_spoiled_kg"] > 0
    assert cold.kpis["spoilage_rate"] < base.kpis["spoilage_rate"]
    assert cold.kpis["outbound_produce_spoiled_kg"] < base.kpis["outbound_produce_spoiled_kg"]
    assert base.costs.cold_rooms == 0 < cold.costs.cold_rooms
    assert cold.kpis["outbound_produce_offered_kg"] == base.kpis["outbound_produce_offered_kg"]


def test_a_scenarios_replications_give_identical_results_on_the_pool(small):
    from sim.experiments.single import run_scenario
    one = run_scenario(small, workers=1)
    two = run_scenario(small, workers=2)
    # NaN (a KPI with nothing to average, e.g. no parcels collected at township outlets) equals itself here
    same = lambda a, b: a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))  # noqa: E731
    assert len(one.rows) == len(two.rows)
    assert all(r1.keys() == r2.keys() and all(same(r1[k], r2[k]) for k in r1)
               for r1, r2 in zip(one.rows, two.rows, strict=True))
    assert np.array_equal(one.first.daily["parcels_delivered"], two.first.daily["parcels_delivered"])
    assert np.array_equal(one.first.lead.counts, two.first.lead.counts)
