"""City orders for produce boxes: whole boxes packed from the freshest produce where
they are packed, worked out by hand on a few lots."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import small_scenario, with_

from sim.config.crops import Crop
from sim.county.batches import Lots
from sim.county.boxes import CityOrders
from sim.county.harvest import season_length_d


def _orders(packing: str) -> CityOrders:
    sc = with_(small_scenario(crops=(Crop(name="a", parcel_orders_per_day=1.0), Crop(name="b"))),
               "produce_parcels", demand="orders", packing=packing, box_kg=4.0, packing_h_per_box=0.5)
    return CityOrders(sc, np.random.default_rng(0))


def _lots() -> Lots:
    # village 0: 10 kg of crop 0 keeping to 247 h; village 1: 6 kg of crop 0 to 200 h, 20 kg of crop 1;
    # village 2: 9 kg of crop 0 not offered until 31 h; village 3: 5 kg of crop 0 spoiled at 6 h
    return Lots([0, 1, 1, 2, 3], [0, 0, 1, 0, 0], [7.0, 7.0, 7.0, 31.0, 0.0], [247.0, 200.0, 247.0, 271.0, 6.0],
                [10.0, 6.0, 20.0, 9.0, 5.0])


def test_stations_pack_whole_boxes_from_their_own_produce_freshest_first():
    """4 boxes of 4 kg wanted at 7 h: village 0 (freshest) packs 2 (8 of its 10 kg), village 1
    packs 1 (4 of 6 kg); village 2's produce is not there yet, village 3's is spoiled, crop 1
    is another crop: 3 packed, 1 unfilled. Village 0's boxes are ready at 7 + 2 x 0.5 = 8 h,
    village 1's at 7.5 h; the boxes waited 2 x 1 + 1 x 0.5 = 2.5 box-hours."""
    orders = _orders("station")
    store = _lots()
    assert orders.fill(store, 0, 3, 7.0, wanted=4) == 3
    assert orders.filled[0, 3] == 3 and orders.wait_box_h[0, 3] == pytest.approx(2.5)
    box = store.channel == 1
    assert sorted(zip(store.village[box], store.kg[box], store.t_offer[box], strict=True)) == \
        [(0, 8.0, 8.0), (1, 4.0, 7.5)]
    bulk = {(int(v), int(c)): kg for v, c, kg in zip(store.village[~box], store.crop[~box], store.kg[~box],
                                                     strict=True)}
    assert bulk == {(0, 0): pytest.approx(2.0), (1, 0): pytest.approx(2.0), (1, 1): 20.0, (2, 0): 9.0, (3, 0): 5.0}
    assert store.total_kg == pytest.approx(50.0)


def test_the_hub_packs_all_its_produce_as_one_place():
    """At the hub the 16 kg of crop 0 on hand at 7 h make 4 whole boxes, all ready at 7 + 4 x 0.5 = 9 h."""
    orders = _orders("hub")
    store = _lots()
    assert orders.fill(store, 0, 3, 7.0, wanted=5) == 4
    box = store.channel == 1
    assert store.kg[box].sum() == pytest.approx(16.0) and set(store.t_offer[box]) == {9.0}


def test_orders_follow_the_season_and_average_the_rate_over_it():
    """Poisson orders at 30 boxes a day on average over the 123-day season, none out of it:
    over a run holding the whole season, 30 x 123 = 3,690 boxes expected (sd 61)."""
    crop = Crop(parcel_orders_per_day=30.0)
    sc = with_(small_scenario(crops=(crop,), start_doy=250, horizon_d=200), "produce_parcels", demand="orders")
    orders = CityOrders(sc, np.random.default_rng(1))
    assert season_length_d(crop) == 123
    assert abs(orders.ordered.sum() - 3690) < 4 * 3690 ** 0.5
    doy = (250 - 1 + np.arange(200)) % 365 + 1
    out = (doy > 31) & (doy < 274)
    assert orders.ordered[0, out].sum() == 0
