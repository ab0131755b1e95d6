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
