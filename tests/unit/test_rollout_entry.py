"""County entry apart from village recruitment, budget profiles and station attrition,
against small cases computed by hand."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from sim.config.schema import build
from sim.errors import InputError
from sim.rollout.attrition import AttritionConfig, income_histogram, income_quantile, station_status
from sim.rollout.entry import EntryConfig, entered_by, plan_entry, recruited_by
from sim.rollout.strategies import Costs, budget_available

COSTS = Costs(hub_cny=100.0, station_cny=10.0, vehicle_cny=0.0, parcels_per_vehicle_day=1.0,
              parcels_per_resident_day=0.0)


def geos(*villages: int) -> list:
    """Stand-ins for CountyGeo: an id and n villages of 100 residents each."""
    return [SimpleNamespace(county=SimpleNamespace(id=f"C{i}"),
                            network=SimpleNamespace(n=n, residents=np.full(n, 100.0))) for i, n in enumerate(villages)]


def plan(g, entry, budget=1e9, profile="even", horizon=6, targets=None):
    orders = [np.arange(x.network.n) for x in g]
    return plan_entry(g, np.arange(len(g)), orders, targets or [x.network.n for x in g], entry, budget, profile,
                      horizon, COSTS)


def test_launch_capacity_and_recruitment_by_hand():
    # 1.5 counties a month: floor(1.5) = 1 by month 0, floor(3.0) = 3 by month 1
    # villages: launch 2, then 1.5 a month (floored), at most 5: ages 0,1,2,3 -> 2, 3, 5, 5
    e = EntryConfig(counties_per_month=1.5, launch_villages=2, villages_per_month=1.5)
    s = plan(geos(6, 6, 6), e, targets=[5, 5, 5])
    assert s.hub_month.tolist() == [0, 1, 1]
    assert s.station_month[0].tolist() == [0, 0, 1, 2, 2, -1]
    assert s.station_month[1].tolist() == [1, 1, 2, 3, 3, -1]
    # capital: hubs 100 each, stations 10 each, in the month they open
    assert s.capex[0].tolist() == [120.0, 10.0, 20.0, 0.0, 0.0, 0.0]
    assert s.capex[:, 1].sum() == 10 + 2 * (100 + 20)


def test_entry_schedule_interpolates_and_levels_off():
    e = EntryConfig(schedule=((2, 0), (4, 2)))
    assert [entered_by(e, m) for m in range(7)] == [0, 0, 0, 1, 2, 2, 2]
    s = plan(geos(3, 3, 3), EntryConfig(schedule=((2, 0), (4, 2)), launch_villages=1, villages_per_month=0))
    assert s.hub_month.tolist() == [3, 4, -1]
    assert s.station_month[0].tolist() == [3, -1, -1]


def test_entry_month_per_county():
    e = EntryConfig(county_months={"C2": 1, "C0": 4}, launch_villages=1, villages_per_month=1)
    s = plan(geos(2, 2, 2), e)
    assert s.hub_month.tolist() == [4, -1, 1]
    assert s.station_month[2].tolist() == [1, 2]
    assert s.station_month[0].tolist() == [4, 5]


def test_recruitment_caps_at_the_target():
    e = EntryConfig(counties_per_month=1, launch_villages=4, villages_per_month=10)
    assert [recruited_by(e, a, 7) for a in (-1, 0, 1, 2)] == [0, 4, 7, 7]


def test_budget_is_a_constraint_with_a_profile():
    # one county: a hub (100) and 3 stations (10 each) due at once; 1,320 a year evenly is 110 a month
    e = EntryConfig(counties_per_month=1, launch_villages=3, villages_per_month=0)
    even = plan(geos(3), e, budget=1320.0)
    assert even.hub_month.tolist() == [0]
    assert even.station_month[0].tolist() == [0, 1, 1]      # 110 - 100 = one station in month 0
    upfront = plan(geos(3), e, budget=1320.0, profile="upfront")
    assert upfront.station_month[0].tolist() == [0, 0, 0]
    # monthly weights: nothing in the first two months, then a tenth a month: 120 by month 2 (the hub and
    # two stations), 240 by month 3
    weights = [0, 0] + [1] * 10
    late = plan(geos(3), e, budget=1200.0, profile=weights)
    assert late.hub_month.tolist() == [2] and late.station_month[0].tolist() == [2, 2, 3]
    assert budget_available(1200.0, "even", 2) == 300.0
    assert budget_available(1200.0, weights, 3) == 240.0


def test_entry_needs_exactly_one_form():
    with pytest.raises(InputError, match=r"entry\.counties_per_month.*exactly one"):
        build(EntryConfig, {"counties_per_month": 2, "schedule": [[0, 1]]}, "x.yaml", "entry")
    with pytest.raises(InputError, match=r"entry\.schedule"):
        build(EntryConfig, {"schedule": [[3, 1], [2, 4]]}, "x.yaml", "entry")


def test_attrition_closes_after_exactly_the_grace_months_and_reopens():
    # q = 0: share = 1 - exp(-p t) at mid-month t = m + 0.5; 1,000 residents, 12 parcels a year each,
    # commission 1 CNY: income = 1000 (1 - exp(-0.1 (m + 0.5))); the wage 400 is reached when
    # m + 0.5 >= ln(1/0.6) / 0.1 = 5.11, i.e. from month 5
    first = next(m for m in range(20) if 1000 * (1 - math.exp(-0.1 * (m + 0.5))) >= 400)
    assert first == 5
    attr = AttritionConfig(pay_per_month_cny=0, commission_per_parcel_cny=1, services_per_month_cny=0,
                           reservation_wage_cny=400, grace_m=3, reopen=True)
    is_open, income = station_status(attr, np.array([0, -1]), np.array([1000.0, 1000.0]), 0.1, 0.0, 1.0, 12.0, 9)
    # below the wage in months 0, 1, 2 -> closed from month 3; income reaches the wage in month 5 -> open from 6
    assert is_open[:, 0].tolist() == [True, True, True, False, False, False, True, True, True]
    assert not is_open[:, 1].any() and (income[:, 1] == 0).all()
    assert income[2, 0] == pytest.approx(1000 * (1 - math.exp(-0.25)))
    never = station_status(AttritionConfig(pay_per_month_cny=0, commission_per_parcel_cny=1, reservation_wage_cny=400,
                                           grace_m=3, reopen=False),
                           np.array([0]), np.array([1000.0]), 0.1, 0.0, 1.0, 12.0, 9)[0]
    assert never[:, 0].tolist() == [True, True, True] + [False] * 6


def test_a_station_above_the_wage_never_closes():
    attr = AttritionConfig(pay_per_month_cny=500, reservation_wage_cny=500, grace_m=1)
    is_open, _ = station_status(attr, np.array([2]), np.array([10.0]), 0.03, 0.38, 0.6, 8.0, 6)
    assert is_open[:, 0].tolist() == [False, False, True, True, True, True]


def test_income_quantiles_from_the_histogram():
    # 10 agents earning 105, 115, ..., 195: the 10th percentile is the first, the median the fifth (bin centres)
    h = np.zeros(10_000, dtype=np.int64)
    for b, k in income_histogram(np.arange(105.0, 200.0, 10.0)):
        h[b] += k
    assert income_quantile(h, 0.1) == 105.0
    assert income_quantile(h, 0.5) == 145.0
    assert math.isnan(income_quantile(np.zeros(5), 0.5))
