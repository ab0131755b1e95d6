"""Nothing lost: every parcel and kilogram is accounted for over many random configs,
over the whole run and over the KPI window opened after a warm-up."""
from __future__ import annotations

import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.scenario import CountyConfig, Crop, Scenario
from sim.county.kpis import run_replication


@st.composite
def scenarios(draw):
    villages = draw(st.integers(1, 40))
    sc = Scenario(
        name="random", seed=draw(st.integers(0, 2**31)), replications=1,
        horizon_d=draw(st.integers(1, 60)), start_doy=draw(st.integers(1, 365)), warmup_d=draw(st.integers(0, 40)),
        county=CountyConfig(area_km2=draw(st.floats(50, 3000)), townships=draw(st.integers(1, 8)),
                            villages=villages, residents_sigma=draw(st.floats(0, 1))),
    )
    van = dataclasses.replace(sc.vehicle_types["van"],
                              capacity_kg=draw(st.floats(50, 3000)),
                              capacity_parcels=draw(st.integers(1, 800)))
    crop = Crop(village_share=draw(st.floats(0, 1)), kg_per_resident_y=draw(st.floats(0, 200)),
                season_start_doy=draw(st.integers(1, 365)), season_end_doy=draw(st.integers(1, 365)),
                daily_cv=draw(st.floats(0, 2)), offer_h=draw(st.floats(0, 23.9)),
                shelf_life_d=draw(st.floats(0.5, 20)), cold_shelf_life_d=40.0)
    hours = st.lists(st.floats(0, 23.99), min_size=1, max_size=3, unique=True)
    return dataclasses.replace(
        sc,
        vehicle_types={**sc.vehicle_types, "van": van},
        crops=(crop,),
        demand=dataclasses.replace(sc.demand, parcels_per_resident_y=draw(st.floats(0, 40)),
                                   distribution=draw(st.sampled_from(["poisson", "negative_binomial"]))),
        trunk=dataclasses.replace(sc.trunk, departures_h=tuple(draw(hours)),
                                  trucks_per_departure=draw(st.integers(0, 3)),
                                  truck_capacity_parcels=draw(st.integers(1, 5000)),
                                  truck_capacity_kg=draw(st.floats(100, 10000)),
                                  cutoff_before_departure_h=draw(st.floats(0, 30))),
        hub=dataclasses.replace(sc.hub, sorters=draw(st.integers(1, 5)),
                                sort_rate_parcels_per_h=draw(st.floats(10, 1000)),
                                sort_time_distribution=draw(st.sampled_from(
                                    ["exponential", "deterministic", "gamma", "lognormal"])),
                                storage_kg=draw(st.floats(0, 50000)), cold_store_kg=draw(st.floats(0, 50000))),
        stations=dataclasses.replace(sc.stations, coverage_share=draw(st.floats(0, 1)),
                                     selection=draw(st.sampled_from(["largest_first", "nearest_first", "random"]))),
        lastmile=dataclasses.replace(sc.lastmile, vehicles_per_route=draw(st.integers(0, 3)),
                                     departures_h=tuple(draw(hours)), pickup_departures_h=tuple(draw(hours)),
                                     backhaul=draw(st.booleans()),
                                     routing_method=draw(st.sampled_from(["savings", "nearest_neighbour"])),
                                     availability=draw(st.floats(0, 1)), max_route_h=draw(st.floats(0.5, 12))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_parcel_and_kilogram_is_accounted_for(sc):
    res = run_replication(sc, 0)  # raises ConservationError if the books do not balance
    k, b, h = res.kpis, res.checks.balance, res.checks.hub
    # the whole run
    assert b.parcels_ordered == b.parcels_delivered + b.parcels_in_system
    assert sum(s.parcels for s in b.stocks().values()) == k["inbound_parcels_in_system"]
    assert abs(b.produce_offered_kg - (b.produce_sold_kg + b.produce_spoiled_kg + b.produce_in_system_kg)) \
        <= 1e-9 * max(1.0, b.produce_offered_kg)
    assert min(s.produce_kg for s in b.stocks().values()) >= -1e-9 * max(1.0, b.produce_offered_kg)
    # the KPI window, from the runs.csv columns alone
    assert k["inbound_parcels_ordered"] + k["inbound_parcels_in_system_start"] == \
        k["inbound_parcels_delivered"] + k["inbound_parcels_in_system"]
    came = k["outbound_produce_offered_kg"] + k["outbound_produce_in_system_start_kg"]
    went = k["outbound_produce_sold_kg"] + k["outbound_produce_spoiled_kg"] + k["outbound_produce_in_system_kg"]
    assert abs(came - went) <= 1e-9 * max(1.0, came)
    assert k["inbound_parcels_in_system_start"] >= 0 and k["outbound_produce_in_system_start_kg"] >= 0
    assert k["outbound_produce_sold_kg"] >= 0 and k["outbound_produce_spoiled_kg"] >= 0
    if sc.warmup_d == 0:  # the run starts empty
        assert k["inbound_parcels_in_system_start"] == 0 and k["outbound_produce_in_system_start_kg"] == 0
    # the shares are shares (to rounding: kg left in the system can sum to -1e-17)
    if came >= 1e-3:
        assert 0 <= k["outbound_produce_unsold_share"] <= 1
    else:   # no produce faced the window: no share (not a share of 0)
        assert math.isnan(k["outbound_produce_unsold_share"])
    decided = k["outbound_produce_sold_kg"] + k["outbound_produce_trader_kg"] + k["outbound_produce_spoiled_kg"]
    if decided >= 1e-3:
        assert 0 <= k["spoilage_rate"] <= 1
    else:   # no produce whose fate was decided in the window: no rate (not a rate of 0)
        assert math.isnan(k["spoilage_rate"])
    # means over trips or parcels: nan without any (no trip is not an empty trip), else finite and >= 0
    means = ("lastmile_load_factor_in", "lastmile_load_factor_out", "hub_sort_wait_mean_h", "hub_time_mean_h")
    for key in means:
        assert math.isnan(k[key]) or 0 <= k[key] < math.inf, key
    if k["lastmile_trips"] == 0:
        assert math.isnan(k["lastmile_load_factor_in"]) and math.isnan(k["lastmile_load_factor_out"])
    if k["inbound_parcels_ordered"] == 0 and k["inbound_parcels_in_system_start"] == 0:  # no parcel at the hub
        assert math.isnan(k["hub_sort_wait_mean_h"]) and math.isnan(k["hub_time_mean_h"])
    # Little's law at the hub holds exactly on the sample path
    assert abs(h.parcel_hours - (h.time_in_h + h.residual_h)) <= 1e-6 * max(1.0, h.parcel_hours)


def test_the_spoilage_rate_rule_by_hand():
    from sim.analysis.registry import spoilage_rate
    assert spoilage_rate(25.0, 50.0, 25.0) == 0.25            # spoiled / (spoiled + sold + to the trader)
    assert math.isnan(spoilage_rate(0.0, 0.0, 0.0))           # no produce: no rate, not 0
    assert math.isnan(spoilage_rate(1e-17, 0.0, 0.0))         # float remnants of split lots are not produce


def test_a_county_without_produce_has_no_produce_shares():
    """No crops: nothing faced the window and nothing's fate was decided, so neither share is 0 (which
    would read as 'nothing spoiled, everything sold'): both are nan."""
    sc = dataclasses.replace(Scenario(name="no produce", seed=3, replications=1, horizon_d=20, warmup_d=5,
                                      county=CountyConfig(villages=12, townships=2)), crops=())
    k = run_replication(sc, 0).kpis
    assert k["outbound_produce_offered_kg"] == 0 and k["outbound_produce_in_system_start_kg"] == 0
    assert k["inbound_parcels_delivered"] > 0
    assert math.isnan(k["spoilage_rate"]) and math.isnan(k["outbound_produce_unsold_share"])


def test_a_county_without_trips_or_parcels_has_no_load_factors_or_hub_times():
    """Means over trips and parcels are nan without any: a load factor of 0 would read as 'vehicles
    ran empty' and a hub time of 0 as 'parcels passed at once'."""
    base = Scenario(name="idle", seed=3, replications=1, horizon_d=20, warmup_d=5,
                    county=CountyConfig(villages=12, townships=2))
    no_vehicles = dataclasses.replace(base, lastmile=dataclasses.replace(base.lastmile, vehicles_per_route=0),
                                      surge=dataclasses.replace(base.surge, enabled=False))   # none hired either
    k = run_replication(no_vehicles, 0).kpis
    assert k["lastmile_trips"] == 0 and k["inbound_parcels_ordered"] > 0
    assert math.isnan(k["lastmile_load_factor_in"]) and math.isnan(k["lastmile_load_factor_out"])
    # parcels still reach the hub and are sorted, but none leaves it: a sorting wait, no time in the hub
    assert k["hub_sort_wait_mean_h"] >= 0 and math.isnan(k["hub_time_mean_h"])
    no_orders = dataclasses.replace(base, demand=dataclasses.replace(base.demand, parcels_per_resident_y=0.0))
    k = run_replication(no_orders, 0).kpis
    assert k["inbound_parcels_ordered"] == 0
    assert math.isnan(k["hub_sort_wait_mean_h"]) and math.isnan(k["hub_time_mean_h"])
