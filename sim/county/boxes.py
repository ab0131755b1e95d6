"""City demand for produce parcels (``produce_parcels.demand: orders``): city customers
order boxes of each crop every day (Poisson, a mean per day over the crop's season
shaped like its harvest); each morning at the crop's offer hour the day's orders are
filled from that crop's produce where boxes are packed (the village stations or the
hub), whole boxes only, the longest-keeping (freshest) produce first; orders there is no produce for go
unfilled. A packed box is a produce-parcel lot (channel 1) in the same store, ready
to leave once its place has packed the day's boxes."""
from __future__ import annotations

import numpy as np

from sim.config.scenario import Scenario
from sim.county.batches import Lots
from sim.county.harvest import harvest_share, season_length_d


class CityOrders:
    """Boxes ordered and filled per (crop, simulated day)."""

    def __init__(self, sc: Scenario, rng: np.random.Generator):
        pp = sc.produce_parcels
        self.box_kg = pp.box_kg
        self.packing_h = pp.packing_h_per_box
        self.at_hub = pp.packing == "hub"
        mean = np.array([c.parcel_orders_per_day * season_length_d(c) * harvest_share(c, sc.first_doy, sc.run_days)
                         for c in sc.crops]).reshape(len(sc.crops), sc.run_days)
        self.ordered = rng.poisson(mean)            # boxes ordered, (crops, days)
        self.filled = np.zeros_like(self.ordered)   # boxes packed
        self.wait_box_h = np.zeros(self.ordered.shape)  # sum over boxes packed of (packed - ordered) h

    def fill(self, store: Lots, c: int, day: int, t_order: float, wanted: int | None = None,
             t_placed: float | None = None) -> int:
        """Pack up to the day's orders of crop ``c`` (or ``wanted`` boxes) at ``t_order``
        from the bulk produce of ``store`` offered by then and not spoiled: per village
        at the stations (a box from one station's produce), or all together at the hub.
        The packed kilograms become produce-parcel lots whose offer time is when their
        place's last box of the day is packed. ``t_placed``: when the orders were placed
        (default ``t_order``). Returns the boxes packed."""
        want = int(self.ordered[c, day]) if wanted is None else wanted
        a = store.a
        if want <= 0 or not len(store):
            return 0
        ok = np.flatnonzero((a[Lots.CROP] == c) & (a[Lots.CHANNEL] == 0) & (a[Lots.T_OFFER] <= t_order)
                            & (a[Lots.T_EXPIRY] > t_order))
        if not len(ok):
            return 0
        group = np.zeros(len(ok), dtype=np.intp) if self.at_hub else a[Lots.VILLAGE, ok].astype(np.intp)
        order = np.lexsort((-a[Lots.T_EXPIRY, ok], group))   # by place, the longest-keeping first
        ok, group = ok[order], group[order]
        places, first = np.unique(group, return_index=True)
        kg_place = np.add.reduceat(a[Lots.KG, ok], first)
        can = np.floor(kg_place / self.box_kg + 1e-9).astype(np.int64)
        # places with the longest-keeping produce first (a box goes to a city customer: the freshest)
        rank = np.argsort(-a[Lots.T_EXPIRY, ok[first]], kind="stable")
        boxes = np.zeros(len(places), dtype=np.int64)
        cum = np.cumsum(can[rank])
        boxes[rank] = np.clip(want - (cum - can[rank]), 0, can[rank])
        packed = int(boxes.sum())
        if not packed:
            return 0
        # within a place, take the place's boxes' kilograms from its longest-keeping lots
        need = np.repeat(boxes * self.box_kg, np.diff(np.r_[first, len(ok)]))
        kg = a[Lots.KG, ok]
        before = np.cumsum(kg) - kg - np.repeat(np.r_[0.0, np.cumsum(kg)][first], np.diff(np.r_[first, len(ok)]))
        take = np.clip(need - before, 0.0, kg)
        pick = take > 0
        ready = t_order + self.packing_h * np.repeat(boxes, np.diff(np.r_[first, len(ok)]))
        box = store.take_kg(ok[pick], take[pick])
        box.a[Lots.CHANNEL] = 1.0
        box.a[Lots.T_OFFER] = ready[pick]
        store.extend(box)
        self.filled[c, day] += packed
        t0 = t_order if t_placed is None else t_placed
        self.wait_box_h[c, day] += float((boxes * (t_order + self.packing_h * boxes - t0)).sum())
        return packed
