"""Service frequency: which days each route runs, against hand-written calendars."""
from __future__ import annotations

import numpy as np
import pytest

from sim.config.scenario import Scenario
from sim.county.frequency import longest_gap_d, service_days, village_interval
from sim.county.network import Network
from sim.county.routing import Route


def _net(xs, towns=None):
    n = len(xs)
    t = np.zeros(n, np.int64) if towns is None else np.asarray(towns)
    return Network(tuple(f"V{i}" for i in range(n)), t, np.column_stack([xs, np.zeros(n)]), np.ones(n),
                   np.ones(n, np.int64), np.array([[5.0, 0.0], [30.0, 0.0]]), np.ones(n, bool))


def _routes(*stops):
    return [Route(i, np.array(s), np.ones(len(s) + 1), np.ones(len(s) + 1)) for i, s in enumerate(stops)]


def test_remote_routes_take_turns_every_other_day():
    # villages at 5 km (near) and 25, 30 km (remote, from 20 km): remote ones every 2nd day
    sc = Scenario().updated({"horizon_d": 6, "warmup_d": 0, "service.remote_every_d": 2,
                             "service.remote_from_km": 20.0})
    net = _net([5.0, 25.0, 30.0])
    assert village_interval(sc, net).tolist() == [1, 2, 2]
    days = service_days(sc, net, _routes([0], [1], [2]))
    assert days[:, 0].all()                                            # the near route: daily
    assert days[:, 1].tolist() == [False, True, False, True, False, True]   # route 1: (d + 1) % 2 == 0
    assert days[:, 2].tolist() == [True, False, True, False, True, False]   # route 2 takes the other days


def test_every_d_applies_to_remote_routes_too_and_two_tiers_use_the_township_seat():
    sc = Scenario().updated({"service.every_d": 3, "service.remote_every_d": 2, "network.tiers": 2})
    # village 0 is 25 km out but its township seat is 5 km out (near); village 1's seat is 30 km out (remote)
    net = _net([25.0, 10.0], towns=[0, 1])
    assert village_interval(sc, net).tolist() == [3, 3]   # remote: max(3, 2)


def test_weekdays_and_the_longest_gap():
    # start_doy 8 and no warm-up: run day 0 is day of year 8, weekday (8 - 1) % 7 = 0
    sc = Scenario().updated({"horizon_d": 14, "warmup_d": 0, "start_doy": 8, "service.weekdays": [0, 2, 4]})
    assert longest_gap_d(sc) == 3   # Friday (4) to Monday (0 + 7)
    days = service_days(sc, _net([5.0]), _routes([0]))[:, 0]
    assert np.flatnonzero(days).tolist() == [0, 2, 4, 7, 9, 11]


def test_bad_weekdays_are_refused():
    with pytest.raises(Exception, match="weekdays"):
        Scenario().updated({"service.weekdays": [1, 1]})


@pytest.mark.parametrize("changes", [{"service.remote_every_d": 2}, {"service.every_d": 3},
                                     {"service.weekdays": [1, 3, 5], "lastmile.backhaul": False}])
def test_one_tier_runs_with_less_than_daily_service_conserve_and_wait_longer(changes):
    from sim.county.kpis import run_replication
    small = {"county.villages": 60, "county.townships": 6, "county.area_km2": 2000.0, "horizon_d": 40,
             "warmup_d": 7, "stations.coverage_share": 0.5, "service.remote_from_km": 12.0}
    daily = run_replication(Scenario().updated(small), 0).kpis
    less = run_replication(Scenario().updated({**small, **changes}), 0).kpis   # conservation checked inside
    assert less["inbound_lead_time_mean_h"] > daily["inbound_lead_time_mean_h"]


# ---- service per township and per village ----------------------------------------------------------------

def _net_named(xs, towns):
    n = len(xs)
    return Network(tuple(f"V{i + 1:04d}" for i in range(n)), np.asarray(towns), np.column_stack([xs, np.zeros(n)]),
                   np.ones(n), np.ones(n, np.int64), np.array([[5.0, 0.0], [30.0, 0.0], [8.0, 0.0]]),
                   np.ones(n, bool))


def test_a_village_entry_beats_its_township_entry_which_beats_the_county_rule():
    from sim.county.frequency import village_service
    # T01 (seat 5 km) near, T02 (seat 30 km) remote, T03 (8 km) near; remote every 3rd day county-wide
    sc = Scenario().updated({"service.remote_every_d": 3, "service.remote_from_km": 20.0, "network.tiers": 2,
                             "county.townships": 3,
                             "service.by_township": {"T02": 2, "T03": [1, 4]},
                             "service.by_village": {"V0002": {"every_d": 5, "weekdays": [0]}}})
    net = _net_named([5.0, 6.0, 30.0, 31.0, 8.0], towns=[0, 0, 1, 1, 2])
    interval, week = village_service(sc, net)
    assert interval.tolist() == [1, 5, 2, 2, 1]   # V0002 its own; T02's 2 in place of the remote rule's 3
    assert week[0].all() and week[2].all() and week[3].all()
    assert np.flatnonzero(week[1]).tolist() == [0]
    assert np.flatnonzero(week[4]).tolist() == [1, 4]   # T03's weekdays, its interval the county's


def test_patterns_get_their_own_routes_planned_for_the_days_between_runs():
    from sim.county.frequency import service_groups
    sc = Scenario().updated({"county.townships": 3, "service.by_township": {"T02": 2, "T03": [1, 4]}})
    net = _net_named([5.0, 6.0, 30.0, 31.0, 8.0], towns=[0, 0, 1, 1, 2])
    groups = {tuple(g.tolist()): days for g, days in service_groups(sc, net, np.arange(5))}
    # daily: 1 day; every 2nd day: 2 days; Tuesday and Friday: the longest gap is Friday to Tuesday, 4 days
    assert groups == {(0, 1): 1.0, (4,): 4.0, (2, 3): 2.0}


def test_a_townships_weekdays_and_interval_set_the_days_its_routes_run():
    sc = Scenario().updated({"horizon_d": 14, "warmup_d": 0, "start_doy": 8, "county.townships": 3,
                             "service.by_township": {"T02": 2, "T03": [0, 3]}})
    net = _net_named([5.0, 30.0, 8.0], towns=[0, 1, 2])
    days = service_days(sc, net, _routes([0], [1], [2]))
    assert days[:, 0].all()
    assert days[:, 1].tolist() == [(d + 1) % 2 == 0 for d in range(14)]   # route 1 of interval 2
    assert np.flatnonzero(days[:, 2]).tolist() == [0, 3, 7, 10]          # run day 0 is weekday 0


def test_short_forms_and_bad_entries():
    from sim.errors import InputError
    sc = Scenario().updated({"service.by_township": {"T01": 3, "T02": [2, 5]}})
    assert sc.service.by_township["T01"].every_d == 3 and sc.service.by_township["T01"].weekdays is None
    assert sc.service.by_township["T02"].weekdays == (2, 5) and not sc.service.daily
    assert Scenario().updated({"service.by_village": {"V0001": {"every_d": 1}}}).service.daily
    for bad, match in [({"service.by_township": {"T01": 9}}, r"service\.by_township\.T01\.every_d: 9"),
                       ({"service.by_township": {"T01": [7]}},
                        r"service\.by_township\.T01\.weekdays\[0\]: 7 is not allowed: "
                        r"expected a whole number in \[0, 6\]"),
                       ({"service.by_township": {"T99": 2}}, r"service\.by_township\.T99: 'T99' is not allowed: "
                                                             r"expected a township id"),
                       ({"service.by_village": {"V9999": 2}}, r"service\.by_village\.V9999: 'V9999' is not "
                                                              r"allowed: expected a village id")]:
        with pytest.raises((InputError, ValueError), match=match):
            Scenario().updated(bad)


def test_village_ids_of_a_villages_file_are_checked(tmp_path):
    from sim.county.network import check_township_keys
    from sim.errors import InputError
    csv = tmp_path / "v.csv"
    csv.write_text("id,township,x_km,y_km,residents,road_class\nA1,North,1,2,500,asphalt\nB1,South,-3,1,400,gravel\n",
                   encoding="utf-8")
    ok = Scenario().updated({"county.villages_csv": str(csv), "service.by_village": {"A1": 2},
                             "service.by_township": {"South": [0, 3]}})
    check_township_keys(ok, "x.yaml")
    bad = Scenario().updated({"county.villages_csv": str(csv), "service.by_village": {"C1": 2}})
    with pytest.raises(InputError, match=r"x\.yaml: service\.by_village\.C1: 'C1' is not allowed: expected a village "
                                         r"id of the county \(A1, B1\)"):
        check_township_keys(bad, "x.yaml")


@pytest.mark.parametrize("tiers", [1, 2])
def test_a_township_served_every_third_day_waits_longer_than_the_others(tiers):
    """Only the named township's villages change: their lead time rises, their routes
    run every third day, and the run conserves every parcel and kilogram."""
    from sim.county.kpis import evaluate
    from sim.county.model import CountyModel
    small = {"county.villages": 80, "county.townships": 4, "county.area_km2": 1500.0, "horizon_d": 45,
             "warmup_d": 7, "stations.coverage_share": 0.6, "network.tiers": tiers}
    base = CountyModel(Scenario().updated(small), 0).run()
    slow = CountyModel(Scenario().updated({**small, "service.by_township": {"T02": 3}}), 0).run()
    net = slow.plan.network
    in_t02 = net.township == 1
    for route in slow.plan.routes:   # a route serves one pattern: all its villages in T02, or none
        assert len(set(in_t02[route.stops].tolist())) == 1
        runs = slow.service[:, route.index]
        assert runs.mean() == (pytest.approx(1 / 3, abs=0.02) if in_t02[route.stops[0]] else 1.0)
    lead = {name: m.lastmile.ledger.stop_lead_h.sum() for name, m in (("base", base), ("slow", slow))}
    assert lead["slow"] > lead["base"]
    b, s = evaluate(base), evaluate(slow)   # conservation is checked in every evaluation
    assert s.kpis["inbound_lead_time_mean_h"] > b.kpis["inbound_lead_time_mean_h"]


def test_the_cli_refuses_an_unknown_township_with_exit_2_and_one_message(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main
    cfg = tmp_path / "s.yaml"
    cfg.write_text("kind: scenario\nservice:\n  by_township:\n    T42: 2\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(cfg)])
    assert r.exit_code == 2
    assert "service.by_township.T42: 'T42' is not allowed: expected a township id of the county, T01..T20" in r.output
    assert "Traceback" not in r.output


def test_less_than_daily_service_is_refused_when_bus_lines_replace_the_village_routes():
    with pytest.raises(Exception, match=r"service\.by_township\.T02: \{'every_d': 2\} is not allowed: expected "
                                        r"daily service with buses\.mode 'replacing'"):
        Scenario().updated({"buses.mode": "replacing", "service.by_township": {"T02": 2}})
    with pytest.raises(Exception, match=r"service\.every_d: 3 is not allowed"):
        Scenario().updated({"buses.mode": "replacing", "service.every_d": 3})
    with pytest.raises(Exception, match=r"service\.weekdays: \[0, 2, 4\] is not allowed"):
        Scenario().updated({"buses.mode": "replacing", "service.weekdays": [0, 2, 4]})
    assert Scenario().updated({"buses.mode": "added", "service.remote_every_d": 2}).service.remote_every_d == 2


def test_a_bus_run_must_carry_one_parcel():
    with pytest.raises(Exception, match=r"buses\.capacity_kg_per_run: 1\.0 is not allowed: at least "
                                        r"demand\.parcel_kg \(1\.5 kg\)"):
        Scenario().updated({"buses.mode": "added", "buses.capacity_kg_per_run": 1.0})
    assert Scenario().updated({"buses.capacity_kg_per_run": 1.0}).buses.capacity_kg_per_run == 1.0   # no buses: unread
