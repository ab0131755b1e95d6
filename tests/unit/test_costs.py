"""Cost accounting: costs by cause (direct to goods in, direct to produce out,
shared), the two rules for the shared part, and the produce of dedicated pickups
kept apart from the delivery vehicles'."""
from __future__ import annotations

import pytest

from conftest import with_
from sim.county.model import CountyModel


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
