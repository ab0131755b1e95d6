"""What a vehicle takes of the produce waiting at its stops (sim.county.backhaul)."""
from __future__ import annotations

import numpy as np

from sim.config.scenario import scenario_from_data
from sim.county.backhaul import loads
from sim.county.batches import Lots
from sim.experiments.stamp import scenario_id


def _two_lots_one_stop():
    # one stop: an old lot kept cold (spoils late) and a newer one at ambient (spoils soon)
    lots = Lots(village=[0, 0], crop=[0, 0], t_offer=[10.0, 30.0], t_expiry=[500.0, 100.0], kg=[80.0, 80.0],
                cold=[1.0, 0.0])
    return dict(a=lots.a, ready=np.array([0, 1]), lot_stop=np.array([0, 0]), arrive=np.array([50.0]),
                on_board=np.array([0]), stop_route=np.array([0]), cap_kg=100.0, parcel_kg=1.5, free_kg=1e9,
                n_routes=1)


def test_the_oldest_lot_goes_first_by_default():
    idx, _, take, stale = loads(**_two_lots_one_stop())
    assert not stale.any()
    taken = dict(zip(idx.tolist(), take.tolist(), strict=True))
    assert taken == {0: 80.0, 1: 20.0}     # 100 kg of room: the old cold lot whole, 20 kg of the other


def test_soonest_to_spoil_first_takes_the_ambient_lot_before_the_cold_one():
    idx, _, take, _ = loads(**_two_lots_one_stop(), soonest_first=True)
    taken = dict(zip(idx.tolist(), take.tolist(), strict=True))
    assert taken == {1: 80.0, 0: 20.0}


def test_produce_parcels_still_go_before_bulk_under_either_rule():
    kw = _two_lots_one_stop()
    kw["a"][Lots.CHANNEL, 0] = 1.0          # the cold lot is boxes ordered by city customers
    for soonest in (False, True):
        idx, _, take, _ = loads(**kw, soonest_first=soonest)
        assert dict(zip(idx.tolist(), take.tolist(), strict=True)) == {0: 80.0, 1: 20.0}


def test_the_rule_enters_the_scenario_id_only_when_it_is_not_the_default():
    base = scenario_from_data({}, "x")
    same = scenario_from_data({"stations": {"hand_over_first": "oldest"}}, "x")
    other = scenario_from_data({"stations": {"hand_over_first": "soonest_to_spoil"}}, "x")
    assert scenario_id(base) == scenario_id(same) != scenario_id(other)
