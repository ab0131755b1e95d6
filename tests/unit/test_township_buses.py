"""Bus lines from the township stations (buses.origin townships, two tiers): the
lines' geometry, the buses added to the township vehicles or replacing them, their
fees, and the combinations refused."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.config.scenario import Scenario
from sim.county.costs import costs
from sim.county.kpis import run_replication
from sim.county.model import CountyModel
from sim.county.planning import plan
from sim.errors import InputError

SMALL = {"county.villages": 60, "county.townships": 5, "county.area_km2": 600.0, "horizon_d": 24, "warmup_d": 4,
         "stations.coverage_share": 0.6, "start_doy": 300, "network.tiers": 2, "buses.lines_per_township": 2}


def township_buses(mode: str, **changes) -> Scenario:
    return Scenario().updated({**SMALL, "buses.mode": mode, "buses.origin": "townships", **changes})


def test_lines_partition_each_townships_villages_and_run_from_its_seat_and_back():
    sc = township_buses("added")
    p = plan(sc)
    net, lines = p.network, p.bus_lines
    assert lines is not None
    assert [line.index for line in lines] == list(range(len(lines)))
    served = net.served_idx
    cv = sc.county.village_road_circuity
    for k in np.unique(net.township[served]):
        own = [line for line in lines if net.township[line.stops[0]] == k]
        villages = served[net.township[served] == k]
        assert len(own) == min(2, len(villages))
        stops = np.concatenate([line.stops for line in own])
        assert sorted(stops.tolist()) == sorted(villages.tolist())     # each village on exactly one line
        seat = net.township_xy_km[k]
        for line in own:
            d = np.hypot(*(net.xy_km[line.stops] - seat).T)
            assert (np.diff(d) >= 0).all()                              # out from the seat, nearest first
            # the first leg leaves the seat and the last one returns to it, on the village road
            assert line.leg_km[0] == pytest.approx(cv * d[0], rel=1e-12)
            assert line.leg_km[-1] == pytest.approx(cv * d[-1], rel=1e-12)
    assert sum(len(line.stops) for line in lines) == len(served)


def test_replacing_buses_carry_every_parcel_and_no_township_vehicle_runs():
    sc = township_buses("replacing")
    m = CountyModel(sc, 0).run()
    p = m.plan
    # the village routes are the township lines, driven by the buses
    assert [r.stops.tolist() for r in p.routes] == [r.stops.tolist() for r in plan(township_buses("added")).bus_lines]
    b = sc.buses
    per_run = min(b.capacity_parcels_per_run, int(b.capacity_kg_per_run // sc.demand.parcel_kg))
    assert m.lastmile.capacity_parcels == per_run
    led = m.lastmile.ledger
    # every parcel delivered to a village went by bus (no outlets: a village parcel ends at its station)
    assert led.parcels_carried == led.delivered + led.on_vehicles_at_end
    assert led.delivered == m.lastmile.delivered > 0
    # at most one run per line and timetabled departure
    assert led.trips + led.pickup_trips <= len(p.routes) * sc.run_days * len(b.departures_h)
    # no township vehicle: the drivers paid are the feeders' only
    days = sc.horizon_d
    act = m.activity()
    feeder_veh = sc.vehicle_types[sc.township.feeder_vehicle_type]
    feeders = len(p.feeder.routes) * sc.township.feeder_vehicles_per_route
    c = costs(m, act, days)
    assert c.drivers == pytest.approx(feeders * feeder_veh.driver_per_day_cny * days, rel=1e-12)


def test_replacing_fees_are_the_fee_per_parcel_and_per_kg_of_the_activity():
    sc = township_buses("replacing", **{"buses.fee_per_parcel_cny": 2.0, "buses.fee_per_kg_cny": 0.3})
    m = CountyModel(sc, 1).run()
    act, days = m.activity(), sc.horizon_d
    lm, f = act.lastmile, act.feeders
    c = costs(m, act, days)
    # the feeders' own vehicles: day cost and capital (capital recovery factor r g / (g - 1)), km (those of
    # extra vehicles hired at peaks are the surge's), fee per parcel
    veh = sc.vehicle_types[sc.township.feeder_vehicle_type]
    r, life = sc.costs.discount_rate_y, veh.life_y
    g = (1 + r) ** life
    crf = r * g / (g - 1) if r > 0 else 1 / life
    fleet = len(m.plan.feeder.routes) * sc.township.feeder_vehicles_per_route
    feeders = (fleet * (veh.cost_per_day_cny * days + veh.capex_cny * crf * days / 365.0)
               + (f.km - f.surge_km) * veh.cost_per_km_cny + f.parcels_carried * veh.fee_per_parcel_cny)
    assert lm.parcels_carried > 0 and lm.produce_kg > 0
    assert c.lastmile_vehicles == pytest.approx(2.0 * lm.parcels_carried + feeders, rel=1e-9)
    # backhaul on: no dedicated pickups, so the pickups are the buses' fee per kg alone
    assert c.pickups == pytest.approx(0.3 * (lm.produce_kg + lm.pickup_produce_kg), rel=1e-12)


def test_added_buses_bring_produce_to_the_township_stations_and_more_is_sold():
    # backhaul-limited produce: small village vehicles in the lemon harvest
    limited = {"vehicle_types.e_tricycle.capacity_kg": 150.0, "township.vehicle_type": "e_tricycle"}
    none = run_replication(Scenario().updated({**SMALL, **limited}), 0)
    m = CountyModel(township_buses("added", **limited), 0).run()
    added = run_replication(township_buses("added", **limited), 0)   # conservation checked
    k0, k1 = none.kpis, added.kpis
    # the township vehicles keep every parcel (same seed, same orders)
    assert k1["inbound_parcels_ordered"] == k0["inbound_parcels_ordered"]
    assert m.buses is not None and m.buses.ledger.parcels_carried == 0
    assert k1["outbound_produce_sold_kg"] > 1.2 * k0["outbound_produce_sold_kg"]
    # every kg the village vehicles and the buses unloaded went into the township stations
    lm, bus = m.lastmile.ledger, m.buses.ledger
    unloaded = (lm.produce_kg_carried + lm.pickup_produce_kg - lm.produce_on_board_kg
                + bus.produce_kg_carried - bus.produce_on_board_kg)
    assert bus.produce_kg_carried > 0
    assert m.townships is not None and m.townships.produce_in_kg == pytest.approx(unloaded, rel=1e-9)
    # the fee per kg of the buses' produce is the pickups' cost (backhaul on: no dedicated pickups)
    act = m.activity()
    c = costs(m, act, SMALL["horizon_d"])
    assert c.pickups == pytest.approx(act.buses.produce_kg * township_buses("added").buses.fee_per_kg_cny, rel=1e-12)


@pytest.mark.parametrize("changes,needle", [
    ({"buses.origin": "townships", "buses.mode": "added"}, "buses.origin 'townships' is not allowed with "
                                                           "network.tiers 1"),
    ({"buses.origin": "townships"}, "buses.origin 'townships' is not allowed with network.tiers 1"),
    ({"network.tiers": 2, "buses.mode": "replacing"}, "buses.mode 'replacing' with buses.origin 'county_seat' is "
                                                      "not allowed with network.tiers 2"),
])
def test_bad_combinations_are_refused_with_one_message(tmp_path, changes, needle):
    with pytest.raises(InputError, match="not allowed"):
        Scenario().updated(changes)
    sections: dict[str, dict] = {}
    for key, value in changes.items():
        section, name = key.split(".")
        sections.setdefault(section, {})[name] = value
    text = "kind: scenario\n" + "".join(f"{s}: {{{', '.join(f'{k}: {v}' for k, v in d.items())}}}\n"
                                        for s, d in sections.items())
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    r = CliRunner().invoke(main, ["check", str(p)])
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output and str(p) in r.output
    assert r.output.count("not allowed") == 1
