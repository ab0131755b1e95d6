"""Produce as a market: quality that decays with time and temperature, the price
paid for it, the cold store's holding policy, reefer trunks, and the local trader
farmers would sell to without the network."""
from __future__ import annotations

from dataclasses import dataclass

from sim.config.schema import FieldError, spec


@dataclass(frozen=True)
class MarketConfig:
    """How produce quality and prices work (section ``market``). With
    ``quality_decay: false`` (the default) produce keeps full value until its shelf
    life and is then lost, and each crop's ``cold_shelf_life_d`` sets how much a cold
    store or cold room slows its ageing (the binary shelf life)."""
    quality_decay: bool = spec(False,
                               "First-order quality decay: quality q = exp(-k t) with the rate k set by the "
                               "temperature the lot is held at (k = k_ambient / q10^((ambient_c - T)/10)); a lot is "
                               "lost when q falls below `loss_quality` (each crop's `shelf_life_d` is the time to get "
                               "there at ambient temperature), and the price paid is the market price x q^"
                               "`price_quality_elasticity`. Off: the binary shelf life (full value, then lost) with "
                               "each crop's `cold_shelf_life_d`, which this mode ignores", source="")
    q10: float = spec(2.5, "Factor by which the decay rate rises per +10 C (with `quality_decay`)", lo=1, hi=10,
                      source="[G] rate x2-3 per +10 C (postharvest literature, domain notes)")
    ambient_c: float = spec(20.0, "Temperature of produce held without cooling: at the stations, on the vans, in "
                                  "the hub's ambient store and on ordinary trunks (with `quality_decay`)",
                            unit="C", lo=-10, hi=50,
                            source="[G] autumn-winter harvest in Sichuan, handled in the day's warmth")
    cold_c: float = spec(5.0, "Temperature of the hub cold store and the station cold rooms (with `quality_decay`)",
                         unit="C", lo=-10, hi=50,
                         source="[G] with q10 2.5 ageing is 3.95x slower than at 20 C, as the binary "
                                "shelf lives 10 d / 40 d")
    loss_quality: float = spec(0.5, "Quality below which a lot is lost (with `quality_decay`)", lo=0.01, hi=0.99,
                               source="[G] unsaleable at half its initial quality")
    price_quality_elasticity: float = spec(1.0, "Exponent of quality in the price paid (0: full price until lost, "
                                                "the binary shelf life; with `quality_decay`)", lo=0, hi=10,
                                           source="[G] price proportional to quality")
    reefer_trunk: bool = spec(False, "Produce rides the trunk to the city market refrigerated (at `cold_c`; with "
                                     "`quality_decay`, which it needs)", source="")
    reefer_cost_per_kg_cny: float = spec(0.05, "Extra cost of a refrigerated trunk per kg of produce carried",
                                         unit="CNY/kg", lo=0, hi=100,
                                         source="[G] no public figure in the domain notes")
    hold_at_cold_store: bool = spec(False,
                                    "The hub sells produce in its cold store only when no later day (up to "
                                    "`hold_horizon_d`) is expected to pay more: the seasonal price x quality then, "
                                    "less the cold-store running cost per kg-day meanwhile. Off: everything at the "
                                    "hub leaves on the next trunk with room", source="")
    hold_horizon_d: int = spec(90, "Longest a held lot is planned ahead (with `hold_at_cold_store`)", unit="d",
                               lo=1, hi=365, source="[G] one season")
    trader_price_share: float = spec(0.75, "Farm-gate price a local trader pays, as a share of the price through "
                                           "the network (the counterfactual of farmers' income: the trader buys "
                                           "everything offered, on the day it is offered, whatever its fate in "
                                           "the network)", lo=0, hi=1,
                                     source="[G] traders' margin of about a quarter of the farm-gate price")
    trader_takes_uncollected: bool = spec(
        False, "With the network, produce it does not collect goes to the local trader: at each midnight the trader "
               "buys every lot that has waited at its village station `trader_wait_h` or longer (and not spoiled), "
               "at `trader_price_share` x that day's price, and farmers' income with the network includes it. Off: "
               "produce left at a station earns nothing (it waits for a van or spoils there)", source="")
    trader_wait_h: float = spec(24.0, "How long a lot waits at its village station for the network before its "
                                      "farmer sells it to the local trader (with `trader_takes_uncollected`; the "
                                      "trader comes at midnight, so a lot offered at 7:00 goes at the first midnight "
                                      "at least this long after)", unit="h", lo=0, hi=8760,
                                source="[G] a farmer gives the network's van about a day")
    commission_share: float = spec(0.0, "The operator's commission on produce sold through the network, as a share "
                                        "of the sale (farmers' income with the network is revenue x (1 - share))",
                                    lo=0, hi=1, source="[G] no public figure in the domain notes: 0 = no commission")

    def check(self) -> None:
        if self.reefer_trunk and not self.quality_decay:
            raise FieldError("reefer_trunk", True, "needs market.quality_decay: true (the binary shelf life has no "
                                                   "trunk temperature)")
        if self.cold_c > self.ambient_c:
            raise FieldError("cold_c", self.cold_c, f"must be <= ambient_c {self.ambient_c:g}")


@dataclass(frozen=True)
class ProduceParcelConfig:
    """Produce parcels (section ``produce_parcels``): boxes of produce ordered by city
    customers, the second outbound channel beside bulk sales to the wholesale market.
    They share the stations, vans, hub and trunk with bulk produce and go first onto
    vans and trucks; each crop's ``parcel_share`` of its daily offer is ordered so."""
    box_kg: float = spec(4.0, "Produce per box", unit="kg", lo=2.5, hi=5.0,
                         source="[G] 2.5-5 kg boxes (issue brief), the middle")
    express_fee_per_box_cny: float = spec(12.0, "Express fee per box, paid by the sender (the farmer) to the operator",
                                          unit="CNY/box", lo=0, hi=1000,
                                          source="express revenue 13.4 CNY (2015), 12.7 (2016) per parcel (State Post "
                                                 "Bureau), rounded down for a county-to-city box")
    price_factor: float = spec(1.6, "Price a city customer pays per kg of a box, as a multiple of the crop's price "
                                    "through the network on the day", lo=1, hi=20,
                               source="[G] retail over farm gate; no public figure in the domain notes")
    city_delivery_h: float = spec(24.0, "From the trunk's arrival in the city to the customer's door", unit="h",
                                  lo=0, hi=240, source="[G] next-day city delivery")
    demand: str = spec("share", "How city customers' orders for boxes arise: `share` (each crop's `parcel_share` of "
                                "each day's offer is ordered as boxes: orders follow the harvest) or `orders` (each "
                                "crop's `parcel_orders_per_day`: Poisson orders each day, filled from the crop's "
                                "produce where they are packed, orders beyond it unfilled)",
                       choices=("share", "orders"), source="")
    packing: str = spec("station", "Where boxes are packed with `demand: orders`: `station` (from the produce "
                                   "waiting at the village stations, a station's boxes of a day from its own "
                                   "produce) or `hub` (from the produce at the county hub, ambient or cold store)",
                        choices=("station", "hub"), source="")
    packing_h_per_box: float = spec(0.05, "Time to pack a box (with `demand: orders`): a station or the hub packs "
                                          "the day's boxes one after another from the crop's offer hour, and a box "
                                          "leaves once its place's boxes of the day are packed",
                                    unit="h/box", lo=0, hi=10,
                                    source="[G] about 3 minutes to grade, wrap and tape a 4 kg box")
    packing_cost_per_box_cny: float = spec(2.0, "Box, padding and packer's time per box (with `demand: orders`), "
                                                "paid by the operator: it comes off its produce margin",
                                           unit="CNY/box", lo=0, hi=100,
                                           source="[G] a printed carton and padding about 1.5 CNY plus 3 minutes' "
                                                  "labour; no public figure in the domain notes")
