"""Cost accounting: costs by cause (direct to goods in, direct to produce out,
shared), the two rules for the shared part, and the produce of dedicated pickups
kept apart from the delivery vehicles'."""
from __future__ import annotations

import dataclasses

import pytest
from conftest import with_

from sim.config.scenario import scenario_from_data
from sim.county.kpis import evaluate
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.errors import InputError


def run(scenario, replication: int = 0, the_plan=None) -> CountyModel:
    return CountyModel(scenario, replication, the_plan).run()


def test_pickup_produce_is_not_the_vans_produce(small):
    model = run(with_(small, "lastmile", backhaul=False))
    lm = model.lastmile.activity()
    assert lm.pickup_produce_kg > 0.0
    assert lm.produce_kg == 0.0            # the vans carried none
    assert lm.produce_only_trips == 0      # and never left for produce alone
    # every kg the pickups collected reached the hub or is still on board at the end
    on_board = model.lastmile.stock().produce_kg
    assert lm.pickup_produce_kg == pytest.approx(model.hub.activity().produce_in_kg + on_board, rel=1e-12)


def test_backhaul_produce_rides_the_vans(small):
    model = run(small)
    lm = model.lastmile.activity()
    assert lm.pickup_produce_kg == 0.0 and lm.pickup_trips == 0
    on_board = model.lastmile.stock().produce_kg
    assert lm.produce_kg == pytest.approx(model.hub.activity().produce_in_kg + on_board, rel=1e-12)


def with_produce(scenario, kg_per_resident_y: float, rule: str):
    crop = dataclasses.replace(scenario.crops[0], kg_per_resident_y=kg_per_resident_y)
    return with_(dataclasses.replace(scenario, crops=(crop,)), "costs", shared_allocation=rule)


@pytest.fixture
def produce_adds(small):
    """A county where produce adds cost of its own: few parcels and a second
    departure (vans leave for produce alone), small trucks (trucks sent for produce
    alone) and a cold store."""
    sc = with_(small, "demand", parcels_per_resident_y=1.0)
    sc = with_(sc, "lastmile", departures_h=(8.0, 16.0))
    sc = with_(sc, "trunk", truck_capacity_kg=1500.0, trucks_per_departure=3)
    return with_(sc, "hub", cold_store_kg=20000.0)


@pytest.mark.parametrize("rule", ["incremental", "kg"])
@pytest.mark.parametrize("backhaul", [True, False])
def test_direct_and_shared_costs_sum_to_the_total(produce_adds, rule, backhaul):
    res = evaluate(run(with_(with_(produce_adds, "costs", shared_allocation=rule), "lastmile", backhaul=backhaul)))
    c, k = res.costs, res.kpis
    assert c.inbound_direct > 0 and c.outbound_direct > 0 and c.shared > 0
    assert k["cost_inbound_direct_cny"] + k["cost_outbound_direct_cny"] + k["cost_shared_cny"] == k["cost_total_cny"]
    assert sum(getattr(c, name) for name in c.components()) == pytest.approx(c.total, rel=1e-12)
    assert k["cost_inbound_cny"] + k["cost_outbound_cny"] == pytest.approx(k["cost_total_cny"], rel=1e-12)
    # each direction carries at least its direct cost
    assert k["cost_inbound_cny"] >= k["cost_inbound_direct_cny"]
    assert k["cost_outbound_cny"] >= k["cost_outbound_direct_cny"]


def test_the_rule_moves_shared_cost_but_not_the_total(produce_adds):
    inc = evaluate(run(with_(produce_adds, "costs", shared_allocation="incremental"))).kpis
    kg = evaluate(run(with_(produce_adds, "costs", shared_allocation="kg"))).kpis
    for col in ("cost_total_cny", "cost_inbound_direct_cny", "cost_outbound_direct_cny", "cost_shared_cny"):
        assert inc[col] == kg[col]
    # incremental: goods in carry all shared cost, produce its direct cost only
    assert inc["cost_inbound_cny"] == inc["cost_inbound_direct_cny"] + inc["cost_shared_cny"]
    assert inc["cost_outbound_cny"] == inc["cost_outbound_direct_cny"]
    assert kg["cost_outbound_cny"] > inc["cost_outbound_cny"]


def test_outbound_direct_cost_by_hand(produce_adds):
    """Produce's direct cost from the activity records and the config: the km of
    trips and the trucks that left for produce alone, the cold store's capital and
    kg-days (no pickups with backhaul on, no cold rooms by default)."""
    sc = produce_adds
    model = run(sc)
    res = evaluate(model)
    a = model.activity()
    van = sc.vehicle_types[sc.lastmile.vehicle_type]
    per_truck = sc.trunk.cost_per_run_cny + sc.trunk.cost_per_km_cny * (
        sc.city.warehouse_km + sc.city.market_km + sc.city.market_to_warehouse_km)
    g = (1 + sc.costs.discount_rate_y) ** sc.hub.life_y
    crf = sc.costs.discount_rate_y * g / (g - 1)
    years = sc.horizon_d / 365.0
    cold = (sc.hub.cold_store_kg * sc.hub.cold_capex_per_kg_cny * crf * years
            + a.hub.cold_kg_h / 24 * sc.hub.cold_cost_per_kg_d)
    assert a.lastmile.produce_only_trips > 0 and a.trunk.produce_truck_runs > 0 and a.hub.cold_kg_h > 0
    # spot trucks that carried produce alone cost the surge premium
    spot = a.trunk.spot_produce_truck_runs
    expected = (a.lastmile.produce_only_km * van.cost_per_km_cny
                + (a.trunk.produce_truck_runs - spot) * per_truck + spot * sc.surge.spot_truck_premium * per_truck
                + cold)
    assert res.kpis["cost_outbound_direct_cny"] == pytest.approx(expected, rel=1e-12)


def test_produce_volume_does_not_move_cost_per_parcel_under_incremental(produce_adds):
    """Same seed, same plan, produce 0, 25 and 50 kg per resident: parcels do the
    same (common random numbers), produce adds trips, trucks and cold-store use;
    under ``incremental`` cost per parcel stays put, under ``kg`` it falls as
    produce takes a growing share of the shared resources."""
    the_plan = plan(produce_adds)
    per_parcel = {"incremental": [], "kg": []}
    for rule in per_parcel:
        for kg in (0.0, 25.0, 50.0):
            model = run(with_produce(produce_adds, kg, rule), the_plan=the_plan)
            res, a = evaluate(model), model.activity()
            per_parcel[rule].append(res.kpis["cost_per_parcel_cny"])
            # what parcels did is the same at every produce volume
            parcels = (a.lastmile.trips - a.lastmile.produce_only_trips, a.lastmile.parcels_carried,
                       a.lastmile.delivered, a.trunk.truck_runs - a.trunk.produce_truck_runs)
            if kg == 0.0:
                parcels0 = parcels
            assert parcels == parcels0
            assert (a.lastmile.produce_only_trips > 0) == (kg > 0)
    # identical but for rounding of the km sums (parcel-trip km = all km - produce-only km)
    inc = per_parcel["incremental"]
    assert inc[1] == pytest.approx(inc[0], rel=1e-12) and inc[2] == pytest.approx(inc[0], rel=1e-12)
    kg_rule = per_parcel["kg"]
    assert kg_rule[0] == pytest.approx(inc[0], rel=1e-12)   # with no produce the rules agree
    assert kg_rule[0] > kg_rule[1] > kg_rule[2]             # the allocation artefact


def test_one_way_minus_two_way_is_pickups_and_what_backhaul_changes(small):
    """Total cost with dedicated pickups (backhaul off) less total cost with
    backhaul, both computed from the activity records: the pickups' days, drivers
    and km, plus the changes in van km and parcel fees, trunk trucks, cold-store
    kg-days and commissions (vehicle timing differs). The fleet, drivers, hub,
    sorters and station pay are the same in both."""
    sc = small
    on_model, off_model = run(sc), run(with_(sc, "lastmile", backhaul=False))
    on, off = on_model.activity(), off_model.activity()
    van = sc.vehicle_types[sc.lastmile.vehicle_type]
    per_truck = sc.trunk.cost_per_run_cny + sc.trunk.cost_per_km_cny * (
        sc.city.warehouse_km + sc.city.market_km + sc.city.market_to_warehouse_km)
    pickups = (off.lastmile.pickup_vehicle_days * (van.cost_per_day_cny + van.driver_per_day_cny)
               + off.lastmile.pickup_km * van.cost_per_km_cny)
    vans = ((off.lastmile.km - on.lastmile.km) * van.cost_per_km_cny
            + (off.lastmile.parcels_carried - on.lastmile.parcels_carried) * van.fee_per_parcel_cny)
    rest = ((off.trunk.truck_runs - on.trunk.truck_runs) * per_truck
            + (off.hub.cold_kg_h - on.hub.cold_kg_h) / 24 * sc.hub.cold_cost_per_kg_d
            + (off.lastmile.delivered - on.lastmile.delivered) * sc.stations.commission_per_parcel_cny)
    assert pickups > 0
    assert off.lastmile.produce_kg == 0.0 < on.lastmile.produce_kg
    assert on.lastmile.pickup_vehicle_days == 0 and on.lastmile.pickup_km == 0
    total_on = evaluate(on_model).kpis["cost_total_cny"]
    total_off = evaluate(off_model).kpis["cost_total_cny"]
    assert total_off - total_on == pytest.approx(pickups + vans + rest, rel=1e-9, abs=1e-6)
    # pickups are produce's own cost: all of it lands in the outbound direct cost
    k_off = evaluate(off_model).kpis
    assert k_off["cost_outbound_direct_cny"] >= pickups


def test_an_unknown_rule_is_refused_with_its_key_path():
    with pytest.raises(InputError) as exc:
        scenario_from_data({"costs": {"shared_allocation": "kilograms"}}, "cfg.yaml")
    msg = str(exc.value)
    assert "costs.shared_allocation" in msg and "kilograms" in msg and "incremental" in msg
    assert scenario_from_data({"costs": {"shared_allocation": "kg"}}, "cfg.yaml").costs.shared_allocation == "kg"
