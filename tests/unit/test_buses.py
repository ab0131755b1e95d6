"""Passenger bus lines: the lines' geometry, added to the vans and replacing them."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.config.scenario import Scenario
from sim.county.kpis import evaluate, run_replication
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.errors import InputError

SMALL = {"county.villages": 80, "county.townships": 6, "county.area_km2": 800.0, "horizon_d": 30, "warmup_d": 5,
         "stations.coverage_share": 0.5, "start_doy": 300, "buses.lines": 4}


def test_lines_cover_every_station_once_nearest_first_by_sector():
    sc = Scenario().updated({**SMALL, "buses.mode": "added"})
    p = plan(sc)
    net = p.network
    assert p.bus_lines is not None and len(p.bus_lines) == 4
    stops = np.concatenate([line.stops for line in p.bus_lines])
    assert sorted(stops.tolist()) == net.served_idx.tolist()
    for line in p.bus_lines:
        d = np.hypot(net.xy_km[line.stops, 0], net.xy_km[line.stops, 1])
        assert (np.diff(d) >= 0).all()                      # out from the seat, nearest first
    # sectors: every village of line i has a bearing no larger than any of line i + 1
    bearing = [np.arctan2(net.xy_km[line.stops, 1], net.xy_km[line.stops, 0]) for line in p.bus_lines]
    assert all(a.max() <= b.min() for a, b in itertools.pairwise(bearing))


def test_added_buses_collect_produce_and_leave_the_parcels_to_the_vans():
    vans = run_replication(Scenario().updated(SMALL), 0)
    added = run_replication(Scenario().updated({**SMALL, "buses.mode": "added"}), 0)   # conservation checked
    k0, k1 = vans.kpis, added.kpis
    assert k1["inbound_parcels_delivered"] == k0["inbound_parcels_delivered"]
    # the vans stop where produce waits, so their timing may move a little; never their fleet
    assert k1["cost_inbound_cny"] == pytest.approx(k0["cost_inbound_cny"], rel=1e-12)
    assert k1["outbound_produce_sold_kg"] > k0["outbound_produce_sold_kg"]


def test_replacing_buses_cost_their_fees_only():
    sc = Scenario().updated({**SMALL, "buses.mode": "replacing"})
    m = CountyModel(sc, 0).run()
    res = evaluate(m)
    act = m.activity().lastmile
    b = sc.buses
    assert res.costs.lastmile_vehicles == pytest.approx(act.parcels_carried * b.fee_per_parcel_cny, rel=1e-12)
    assert res.costs.drivers == 0.0
    assert res.costs.pickups == pytest.approx((act.produce_kg + act.pickup_produce_kg) * b.fee_per_kg_cny, rel=1e-12)
    per_run = min(b.capacity_parcels_per_run, int(b.capacity_kg_per_run / sc.demand.parcel_kg))
    assert m.lastmile.capacity_parcels == per_run


def test_bus_lines_are_refused_with_two_tiers():
    with pytest.raises(InputError, match=r"buses\.mode"):
        Scenario().updated({"buses.mode": "added", "network.tiers": 2})


@pytest.mark.parametrize("mode", ["added", "replacing"])
@pytest.mark.parametrize("backhaul", [True, False])
def test_bus_runs_conserve_parcels_and_produce(mode, backhaul):
    res = run_replication(Scenario().updated({**SMALL, "buses.mode": mode, "lastmile.backhaul": backhaul,
                                              "hub.storage_kg": 2000.0}), 1)   # raises ConservationError if not
    b = res.checks.balance
    kg = sum(s.produce_kg for s in b.stocks().values())
    assert b.produce_offered_kg == pytest.approx(b.produce_sold_kg + b.produce_spoiled_kg + kg, rel=1e-9, abs=1e-6)
