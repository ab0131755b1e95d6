"""What produce earned over the KPI window, per crop and in all: kilograms offered,
sold and spoiled, farmers' income through the network (the seasonal price x the
quality each lot had when sold), the income the local trader would have paid for
the same produce, and the gain. The per-crop rows are written to ``crops.csv``; the
sum over crops of each total is the run's KPI of the same name."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.registry import spoilage_rate
from sim.county.model import CountyModel
from sim.county.trunk import Sales

CROP_COLUMNS = (
    "crop", "outbound_produce_offered_kg", "outbound_produce_sold_kg", "outbound_produce_spoiled_kg",
    "spoilage_rate", "farmer_revenue_cny", "farmer_income_with_cny", "farmer_income_without_cny",
    "farmer_income_gain_cny",
    "produce_quality_sold_mean", "produce_price_realised_cny_per_kg",
    "outbound_produce_trader_kg", "farmer_income_trader_cny",
)
"""Columns of ``crops.csv`` after scenario and replication: one row per crop."""

TOTALS = ("outbound_produce_offered_kg", "outbound_produce_sold_kg", "outbound_produce_spoiled_kg",
          "farmer_revenue_cny", "farmer_income_with_cny", "farmer_income_without_cny", "farmer_income_gain_cny",
          "outbound_produce_trader_kg", "farmer_income_trader_cny")
"""The per-crop columns that add up to the run's KPI of the same name."""


@dataclass(frozen=True)
class Earnings:
    """Per-crop arrays over the KPI window (kg and CNY), and each lot sold's value."""
    offered_kg: np.ndarray
    sold_kg: np.ndarray
    spoiled_kg: np.ndarray
    revenue_cny: np.ndarray
    without_cny: np.ndarray
    quality_kg: np.ndarray       # sum over lots sold of kg x quality at sale
    fees_cny: np.ndarray         # express fees farmers paid for the produce parcels sold
    lot_value_cny: np.ndarray    # per lot sold over the whole run: what it earned
    lot_quality: np.ndarray      # and its quality when sold
    trader_kg: np.ndarray        # bought at the stations by the local trader (``market.trader_takes_uncollected``)
    trader_cny: np.ndarray       # and what the trader paid for it


def sale_values(model: CountyModel, sales: Sales) -> tuple[np.ndarray, np.ndarray]:
    """(value in CNY, quality) of each lot sold: kg x the crop's seasonal price at the
    time of sale x quality ** elasticity at the sale (1 under the binary shelf life),
    x ``produce_parcels.price_factor`` for produce parcels."""
    q = model.quality
    if not len(sales.kg):
        return np.zeros(0), np.zeros(0)
    left = sales.t_expiry - sales.t_h
    value = sales.kg * q.value_per_kg(sales.crop, sales.t_h, left)
    parcel = sales.channel == 1
    if parcel.any():  # city customers pay a retail price for a box
        value[parcel] *= model.scenario.produce_parcels.price_factor
    return value, q.quality(sales.crop, left)


def earnings(model: CountyModel, sales: Sales) -> Earnings:
    """What each crop earned over the KPI window (sales and spoilage in it, produce offered in it)."""
    sc = model.scenario
    n, w = len(sc.crops), sc.warmup_d
    t0 = 24.0 * w
    value, quality = sale_values(model, sales)
    win = sales.t_h >= t0
    sold = np.bincount(sales.crop[win], weights=sales.kg[win], minlength=n)
    revenue = np.bincount(sales.crop[win], weights=value[win], minlength=n)
    qkg = np.bincount(sales.crop[win], weights=(sales.kg * quality)[win], minlength=n)
    boxed = win & (sales.channel == 1)
    pp = sc.produce_parcels
    fees = np.bincount(sales.crop[boxed], weights=sales.kg[boxed], minlength=n) / pp.box_kg * pp.express_fee_per_box_cny
    spoiled = np.zeros(n)
    for (t, _), kg in zip(model.spoiled, model.spoiled_crops, strict=True):
        if t - 1e-9 >= t0:  # as the daily series counts it: found at midnight, it belongs to the day that ended
            spoiled += kg
    offered_cdv = model.offers.kg[:, w:]                 # (crops, window days, villages)
    offered = offered_cdv.sum(axis=(1, 2))
    # the counterfactual: a trader buys all of it on the day it is offered, at a share of the day's price
    days = np.arange(w, sc.run_days)
    without = np.zeros(n)
    for c, crop in enumerate(sc.crops):
        t_offer = 24.0 * days + crop.offer_h
        price = model.quality.price_at(np.full(len(days), c), t_offer)
        without[c] = sc.market.trader_price_share * float((offered_cdv[c].sum(axis=1) * price).sum())
    trader_kg, trader_cny = np.zeros(n), np.zeros(n)
    for t, kg, cny in model.traded:
        if t > t0:  # bought at midnight: it belongs to the day that ended, as spoilage does
            trader_kg += kg
            trader_cny += cny
    return Earnings(offered, sold, spoiled, revenue, without, qkg, fees, value, quality, trader_kg, trader_cny)


def crop_rows(e: Earnings, names: list[str], commission_share: float) -> list[dict]:
    """One row per crop, keyed by :data:`CROP_COLUMNS`."""
    rows = []
    for c, name in enumerate(names):
        income = float(e.revenue_cny[c]) * (1.0 - commission_share) - float(e.fees_cny[c]) + float(e.trader_cny[c])
        sold, spoiled, traded = float(e.sold_kg[c]), float(e.spoiled_kg[c]), float(e.trader_kg[c])
        rows.append({
            "crop": name,
            "outbound_produce_offered_kg": float(e.offered_kg[c]),
            "outbound_produce_sold_kg": sold,
            "outbound_produce_spoiled_kg": spoiled,
            "spoilage_rate": spoilage_rate(spoiled, sold, traded),
            "farmer_revenue_cny": float(e.revenue_cny[c]),
            "farmer_income_with_cny": income,
            "farmer_income_without_cny": float(e.without_cny[c]),
            "farmer_income_gain_cny": income - float(e.without_cny[c]),
            "produce_quality_sold_mean": float(e.quality_kg[c]) / sold if sold > 0 else float("nan"),
            "produce_price_realised_cny_per_kg": float(e.revenue_cny[c]) / sold if sold >= 1e-3 else float("nan"),
            "outbound_produce_trader_kg": traded,
            "farmer_income_trader_cny": float(e.trader_cny[c]),
        })
    return rows


PARCEL_COLUMNS = (
    "produce_parcel_offered_kg", "produce_parcel_sold_kg", "produce_parcel_spoiled_kg", "produce_parcel_boxes",
    "produce_parcel_revenue_cny", "produce_parcel_lead_time_mean_h", "operator_express_fees_cny",
    "produce_parcel_orders", "produce_parcel_orders_filled", "produce_parcel_fill_rate", "produce_parcel_packing_h",
    "produce_parcel_packing_cost_cny", "produce_parcel_packing_wait_mean_h",
)
"""The produce-parcel channel's KPI columns (the bulk channel's are the totals less these)."""


def parcel_kpis(model: CountyModel, sales: Sales, value_cny: np.ndarray) -> dict[str, float]:
    """The produce-parcel channel over the KPI window: kilograms offered, sold (delivered
    to city customers) and spoiled, boxes delivered, what customers paid, the mean
    time from offer to the customer's door (per box) and the express fees farmers paid."""
    sc = model.scenario
    w, cfg = sc.warmup_d, sc.produce_parcels
    t0 = 24.0 * w
    orders = model.city_orders
    if orders is None:   # demand share: every box ordered is a share of an offer, filled by construction
        share = np.array([c.parcel_share for c in sc.crops])
        offered = float((model.offers.kg[:, w:].sum(axis=(1, 2)) * share).sum())
        ordered = filled = offered / cfg.box_kg
        packing_h = packing_cny = wait_h = 0.0
    else:                # demand orders: the kilograms packed into boxes are the channel's offer
        ordered, filled = float(orders.ordered[:, w:].sum()), float(orders.filled[:, w:].sum())
        offered = filled * cfg.box_kg
        packing_h, packing_cny = filled * cfg.packing_h_per_box, filled * cfg.packing_cost_per_box_cny
        wait_h = float(orders.wait_box_h[:, w:].sum()) / filled if filled else 0.0
    sold = (sales.channel == 1) & (sales.t_h >= t0)
    kg = float(sales.kg[sold].sum())
    spoiled = sum(p for (t, _), p in zip(model.spoiled, model.spoiled_parcel_kg, strict=True) if t - 1e-9 >= t0)
    door_h = sales.t_h[sold] + cfg.city_delivery_h - sales.t_offer[sold]
    boxes = kg / cfg.box_kg
    return {
        "produce_parcel_offered_kg": offered,
        "produce_parcel_sold_kg": kg,
        "produce_parcel_spoiled_kg": float(spoiled),
        "produce_parcel_boxes": boxes,
        "produce_parcel_revenue_cny": float(value_cny[sold].sum()),
        # 0 when no box was delivered (the parcel channel is off by default)
        "produce_parcel_lead_time_mean_h": float((door_h * sales.kg[sold]).sum()) / kg if kg > 0 else 0.0,
        "operator_express_fees_cny": boxes * cfg.express_fee_per_box_cny,
        "produce_parcel_orders": ordered,
        "produce_parcel_orders_filled": filled,
        # nan when no box was ordered in the window (the channel is off by default)
        "produce_parcel_fill_rate": filled / ordered if ordered > 0 else float("nan"),
        "produce_parcel_packing_h": packing_h,
        "produce_parcel_packing_cost_cny": packing_cny,
        "produce_parcel_packing_wait_mean_h": wait_h,
    }
