"""Vehicle types per township (township.vehicle_types_by_township): township ids on
the network, the override of one township's routes, a township with a fleet of
two types, and the refusal of unknown ids and types."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.config.scenario import Scenario
from sim.county.kpis import evaluate
from sim.county.model import CountyModel
from sim.county.network import build_network, road_matrices
from sim.county.planning import plan
from sim.county.rng import Streams
from sim.errors import InputError

SMALL = {"county.villages": 60, "county.townships": 6, "county.area_km2": 600.0, "horizon_d": 20, "warmup_d": 4,
         "stations.coverage_share": 0.5, "surge.enabled": False}


def two_tier(**changes) -> Scenario:
    return Scenario().updated({**SMALL, "network.tiers": 2, **changes})


def assert_conserved(res) -> None:
    """Every parcel ordered is delivered or held somewhere (the run itself raises if not)."""
    b = res.checks.balance
    held = b.trunk.parcels + b.hub.parcels + b.lastmile.parcels + sum(s.parcels for s in b.tiers.values())
    assert b.parcels_ordered == b.parcels_delivered + held


def busiest_open_township(p) -> int:
    """The open township with the most village routes (ties: the lowest index)."""
    towns = [int(p.network.township[r.stops[0]]) for r in p.routes]
    return max(sorted(set(towns)), key=towns.count)


def test_generated_townships_are_named_t01_on_and_a_csv_keeps_its_names(tmp_path):
    net = build_network(two_tier(), Streams(1, 0)["network"])
    assert net.township_id == ("T01", "T02", "T03", "T04", "T05", "T06")
    csv = tmp_path / "villages.csv"
    csv.write_text("id,township,x_km,y_km,residents,road_class\n"
                   "a,Zhen,1,0,500,cement\nb,Anxi,-5,0,400,gravel\nc,Zhen,2,1,300,asphalt\n")
    sc = two_tier(**{"county.villages_csv": str(csv), "township.vehicle_types_by_township": {"Zhen": "van"}})
    net = build_network(sc, Streams(1, 0)["network"])
    # townships indexed in sorted order of their names; each village points at its own
    assert net.township_id == ("Anxi", "Zhen")
    assert [net.township_id[k] for k in net.township] == ["Zhen", "Anxi", "Zhen"]
    bad = two_tier(**{"county.villages_csv": str(csv), "township.vehicle_types_by_township": {"Zhenn": "van"}})
    with pytest.raises(InputError, match=r"township\.vehicle_types_by_township\.Zhenn: 'Zhenn' is not allowed: "
                                         r"expected a township id of the county \(Anxi, Zhen\)"):
        build_network(bad, Streams(1, 0)["network"])


def test_an_override_changes_exactly_its_townships_routes_and_their_costs_by_km_and_days():
    base_sc = two_tier()
    base = plan(base_sc)
    k = busiest_open_township(base)
    tid = base.network.township_id[k]
    sc = two_tier(**{"township.vehicle_types_by_township": {tid: "van"}})
    p = plan(sc)
    assert base.route_vehicle is None and p.route_vehicle is not None
    town = [int(p.network.township[r.stops[0]]) for r in p.routes]
    for name, t in zip(p.route_vehicle, town, strict=True):
        assert name == ("van" if t == k else "e_tricycle")
    # the other townships' routes are the same routes
    same = [(tuple(r.stops), r.km) for r in base.routes if int(base.network.township[r.stops[0]]) != k]
    assert same == [(tuple(r.stops), r.km) for r, t in zip(p.routes, town, strict=True) if t != k]
    # costs: each route's vehicle by its type's day rate, capital and km rate (the table's numbers), feeders vans
    model = CountyModel(sc, 0, p).run()
    res = evaluate(model)
    km = model.lastmile.mix.activity().km
    f_km = model.feeders.activity().km
    days, r = sc.horizon_d, sc.costs.discount_rate_y
    van, tri = sc.vehicle_types["van"], sc.vehicle_types["e_tricycle"]

    def per_vehicle(v):
        crf = r / (1 - (1 + r) ** -v.life_y)
        return v.cost_per_day_cny * days + v.capex_cny * crf * days / 365.0

    vans = sum(name == "van" for name in p.route_vehicle)
    tricycles = len(p.routes) - vans
    feeders = len(p.feeder.routes)
    is_van = np.array([name == "van" for name in p.route_vehicle])
    expected = ((vans + feeders) * per_vehicle(van) + tricycles * per_vehicle(tri)
                + (km[is_van].sum() + f_km) * van.cost_per_km_cny + km[~is_van].sum() * tri.cost_per_km_cny)
    assert res.costs.lastmile_vehicles == pytest.approx(expected, rel=1e-9)
    assert res.costs.drivers == pytest.approx(
        days * ((vans + feeders) * van.driver_per_day_cny + tricycles * tri.driver_per_day_cny), rel=1e-12)
    assert vans >= 1 and tricycles >= 1
    assert_conserved(res)


def test_an_override_outranks_the_remote_rule_and_the_rule_outranks_vehicle_type():
    sc = two_tier(**{"township.remote_vehicle_type": "walking_tractor", "township.remote_vehicle_from_km": 0.0})
    p = plan(sc)
    assert set(p.route_vehicle) == {"walking_tractor"}
    k = busiest_open_township(p)
    p2 = plan(two_tier(**{"township.remote_vehicle_type": "walking_tractor", "township.remote_vehicle_from_km": 0.0,
                          "township.vehicle_types_by_township": {p.network.township_id[k]: "van"}}))
    names = {int(p2.network.township[r.stops[0]]): n for r, n in zip(p2.routes, p2.route_vehicle, strict=True)}
    assert names[k] == "van" and {n for t, n in names.items() if t != k} == {"walking_tractor"}


def test_a_list_gives_a_township_routes_of_both_types_each_within_its_types_reach():
    # a 12 km e-tricycle charge and two departures: 6 km a round, so only the seat's near villages are within it
    changes = {"vehicle_types.e_tricycle.range_km": 12.0, "township.departures_h": [9.0, 15.0],
               "stations.coverage_share": 1.0}
    base = plan(two_tier(**changes))
    k = busiest_open_township(base)
    tid = base.network.township_id[k]
    sc = two_tier(**changes, **{"township.vehicle_types_by_township": {tid: ["e_tricycle", "van"]}})
    p = plan(sc)
    net = p.network
    mine = [(r, n) for r, n in zip(p.routes, p.route_vehicle, strict=True) if int(net.township[r.stops[0]]) == k]
    assert {n for _, n in mine} == {"e_tricycle", "van"}
    # every village of the township is served once, by the first type that reaches it alone
    villages = np.flatnonzero(net.township == k)
    assert sorted(int(v) for r, _ in mine for v in r.stops) == villages.tolist()
    seat = net.township_xy_km[k]
    tri = sc.vehicle_types["e_tricycle"]
    local = dataclasses.replace(net, xy_km=net.xy_km - seat, township_xy_km=net.township_xy_km - seat)
    dist, time = road_matrices(local, villages, sc, tri)
    lm = sc.lastmile
    per_departure = net.residents[villages] * sc.demand.parcels_per_resident_y / 365.0 * lm.planning_load_factor / 2
    stop_h = lm.stop_h + per_departure * lm.handling_h_per_parcel
    # by hand: within 6 km (12 km / 2 departures) and 6 h there and back, with the stop
    reach = (2 * dist[0, 1:] <= 6.0 + 1e-9) & (2 * time[0, 1:] + stop_h <= sc.township.max_route_h + 1e-9)
    by_tricycle = {int(v) for r, n in mine if n == "e_tricycle" for v in r.stops}
    assert by_tricycle == set(villages[reach].tolist()) and 0 < len(by_tricycle) < len(villages)
    for r, n in mine:
        if n == "e_tricycle":   # the tricycle's routes keep within a departure's share of its charge
            assert r.km <= 6.0 + 1e-9
    res = evaluate(CountyModel(sc, 0, p).run())
    assert_conserved(res)


def test_bad_township_ids_and_types_are_refused_with_one_message(tmp_path):
    cfg = tmp_path / "bad.yaml"
    for entry, message in (
            ("{T03: [e_tricycle, bike]}", "township.vehicle_types_by_township.T03: 'bike' is not allowed: expected a "
                                          "vehicle type, one of bus, e_tricycle, van, walking_tractor"),
            ("{T21: van}", "township.vehicle_types_by_township.T21: 'T21' is not allowed: expected a township id "
                           "of the county, T01..T20 (county.townships: 20)"),
            ("{T02: []}", "township.vehicle_types_by_township.T02: [] is not allowed")):
        cfg.write_text(f"kind: scenario\nnetwork: {{tiers: 2}}\ntownship:\n  vehicle_types_by_township: {entry}\n")
        out = CliRunner().invoke(main, ["check", str(cfg)])
        assert out.exit_code == 2, out.output
        lines = [line for line in out.output.splitlines() if line.strip()]
        assert lines == [f"error: {cfg}: {message}"] or (len(lines) == 1 and message in lines[0]), out.output
        assert "Traceback" not in out.output


def test_township_ids_of_a_villages_file_and_of_a_rollouts_counties_are_checked_before_a_run(tmp_path):
    csv = tmp_path / "villages.csv"
    csv.write_text("id,township,x_km,y_km,residents,road_class\n"
                   "a,Zhen,1,0,500,cement\nb,Anxi,-5,0,400,gravel\n")
    exp = tmp_path / "exp.yaml"
    exp.write_text("kind: experiment\nname: e\nbase: {county: {villages_csv: villages.csv}, network: {tiers: 2}}\n"
                   "scenarios:\n  a: {}\n  b: {township: {vehicle_types_by_township: {Nowhere: van}}}\nbaseline: a\n")
    ro = tmp_path / "ro.yaml"
    ro.write_text("kind: rollout\nname: r\nregion: {counties: 2, seed: 3, villages: {min: 40, max: 60}}\n"
                  "operating_models:\n  two: {network: {tiers: 2}, township: {vehicle_types_by_township: {T09: van}}}\n"
                  "strategies:\n  s: {village_order: largest_first, operating_model: two}\nbaseline: s\n")
    for cfg, message in ((exp, "scenarios.b: township.vehicle_types_by_township.Nowhere: 'Nowhere' is not allowed: "
                               "expected a township id of the county (Anxi, Zhen)"),
                         (ro, "operating_models.two (county C0001): township.vehicle_types_by_township.T09: 'T09' "
                              "is not allowed: expected a township id of the county (T01, T02, T03)")):
        for cmd in (["check", str(cfg)], ["run", str(cfg), "--out", str(tmp_path / "out")]):
            out = CliRunner().invoke(main, cmd)
            assert out.exit_code == 2, out.output
            assert out.output.strip() == f"error: {cfg}: {message}"
        assert not (tmp_path / "out").exists()


def test_a_rollout_buys_for_each_village_the_type_its_route_is_planned_for():
    """The purchase's choice of type (sim.rollout.fleets) and the county plan's agree
    village by village, at each village's own demand share and with the days of
    parcels a run carries under the township's service."""
    from sim.rollout.fleets import village_type_names
    changes = {"vehicle_types.e_tricycle.range_km": 40.0, "stations.coverage_share": 1.0,
               "lastmile.handling_h_per_parcel": 0.02}
    base = plan(two_tier(**changes))
    k = busiest_open_township(base)
    tid = base.network.township_id[k]
    vans = {}
    for every_d in (1, 3):
        sc = two_tier(**changes, **{"township.vehicle_types_by_township": {tid: ["e_tricycle", "van"]},
                                    "service.by_township": {tid: every_d}})
        net = build_network(sc, Streams(sc.seed, 0)["network"])
        scale = np.random.default_rng(1).uniform(0.3, 2.0, net.n)
        p = plan(sc, net, None, scale)
        planned = {int(v): name for r, name in zip(p.routes, p.route_vehicle, strict=True) for v in r.stops}
        bought = village_type_names(sc, net, scale)
        mine = np.flatnonzero(net.township == k)
        assert [planned[int(v)] for v in mine] == [bought[v] for v in mine]
        vans[every_d] = int(sum(bought[v] == "van" for v in mine))
    # three days of parcels a run lengthen the stops: some village the tricycle reached daily needs the van
    assert vans[3] > vans[1]
