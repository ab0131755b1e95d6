"""Produce as a market in whole runs: quality at sale against its closed form, per-crop
totals against the combined KPIs, the trader counterfactual, and held lots' revenue
against the price curve."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import small_scenario, with_

from sim.config.crops import Crop
from sim.county.kpis import evaluate
from sim.county.market import TOTALS
from sim.county.model import CountyModel

TWO_CROPS = (Crop(name="lemon"),
             Crop(name="kiwi", village_share=0.3, kg_per_resident_y=20.0, season_start_doy=244,
                  season_end_doy=304, price_cny_per_kg=6.0, shelf_life_d=7.0, cold_shelf_life_d=30.0,
                  price_amplitude=0.2, price_low_doy=275))


def _run(sc, r=0):
    model = CountyModel(sc, r).run()
    return model, evaluate(model)


@pytest.mark.parametrize("reefer", [False, True])
def test_quality_at_sale_is_the_closed_form_of_time_at_ambient(reefer):
    """No cold store or cold room: a lot spends its life at 20 C (or, with a reefer,
    its trunk ride at 5 C), so its quality at the market is 0.5 ** (t_ambient / 240 h),
    t_ambient = sale - offer (less the ride x (1 - 1 / 2.5 ** 1.5) with a reefer)."""
    sc = with_(small_scenario(), "market", quality_decay=True, reefer_trunk=reefer)
    model, res = _run(sc)
    s = model.trunk.sales()
    assert len(s.kg) > 100
    ride_h = sc.city.market_km / sc.trunk.speed_kmh
    t_amb = s.t_h - s.t_offer - (ride_h * (1.0 - 1.0 / 2.5 ** 1.5) if reefer else 0.0)
    want = 0.5 ** (t_amb / 240.0)
    got = model.quality.quality(s.crop, s.t_expiry - s.t_h)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # revenue: kg x 3.5 x quality (elasticity 1, no seasonal price)
    assert res.kpis["farmer_revenue_cny"] == pytest.approx(float((s.kg * 3.5 * want).sum()), rel=1e-9)
    assert 0.5 <= res.kpis["produce_quality_sold_mean"] < 1.0


def test_per_crop_totals_add_up_to_the_combined_kpis():
    sc = small_scenario(crops=TWO_CROPS, horizon_d=150, start_doy=230)
    sc = with_(sc, "market", quality_decay=True)
    model, res = _run(sc)
    rows = {r["crop"]: r for r in res.crops}
    assert set(rows) == {"lemon", "kiwi"}
    assert all(r["outbound_produce_offered_kg"] > 0 and r["outbound_produce_sold_kg"] > 0 for r in rows.values())
    for col in TOTALS:
        assert sum(r[col] for r in rows.values()) == pytest.approx(res.kpis[col], rel=1e-9, abs=1e-6), col
    # offered per crop from the offers drawn, and the kiwi's season (1 Sep - 31 Oct) sold at its own price
    for c, name in enumerate(("lemon", "kiwi")):
        assert rows[name]["outbound_produce_offered_kg"] == pytest.approx(float(model.offers.kg[c].sum()), rel=1e-12)
    assert rows["kiwi"]["produce_price_realised_cny_per_kg"] > rows["lemon"]["produce_price_realised_cny_per_kg"]


def test_farmers_income_without_is_the_trader_paying_for_every_offer():
    """Trader: 0.75 x the day's seasonal price x every kg offered that day, offered at 7:00."""
    sc = small_scenario(crops=(Crop(price_amplitude=0.3, price_low_doy=335),))
    model, res = _run(sc)
    kg_day = model.offers.kg[0].sum(axis=1)
    doy = sc.first_doy + (24.0 * np.arange(len(kg_day)) + 7.0) / 24.0
    price = 3.5 * (1.0 - 0.3 * np.cos(2.0 * math.pi * (doy - 335) / 365.0))
    want = 0.75 * float((kg_day * price).sum())
    assert res.kpis["farmer_income_without_cny"] == pytest.approx(want, rel=1e-9)
    assert res.kpis["farmer_income_gain_cny"] == pytest.approx(res.kpis["farmer_revenue_cny"] - want, rel=1e-9)
    # with a 5% commission farmers keep 95% of the revenue, and the operator's margin is the 5% less produce's cost
    _, paid = _run(with_(sc, "market", commission_share=0.05))
    assert paid.kpis["farmer_income_with_cny"] == pytest.approx(0.95 * res.kpis["farmer_revenue_cny"], rel=1e-12)
    assert paid.kpis["operator_produce_margin_cny"] == pytest.approx(
        0.05 * res.kpis["farmer_revenue_cny"] - res.kpis["cost_outbound_cny"], rel=1e-9)


def test_the_trader_takes_what_the_network_leaves_at_the_stations():
    """``market.trader_takes_uncollected``: kilograms sold through the network + bought by
    the trader + spoiled + left at the end = offered (+ waiting at the start); the trader
    pays 0.75 x 3.5 CNY/kg (one crop, no seasonal price) for what it bought; farmers'
    income with the network is the revenue plus that, and the gain is that less the trader
    counterfactual. A wait longer than the shelf life changes nothing."""
    sc = with_(small_scenario(warmup_d=10, horizon_d=60), "lastmile", vehicles_per_route=1)
    off = _run(sc)[1].kpis
    _, res = _run(with_(sc, "market", trader_takes_uncollected=True, trader_wait_h=12.0))
    k = res.kpis
    traded = k["outbound_produce_trader_kg"]
    assert traded > 100.0
    came = k["outbound_produce_offered_kg"] + k["outbound_produce_in_system_start_kg"]
    went = (k["outbound_produce_sold_kg"] + traded + k["outbound_produce_spoiled_kg"]
            + k["outbound_produce_in_system_kg"])
    assert went == pytest.approx(came, rel=1e-9)
    assert k["farmer_income_trader_cny"] == pytest.approx(0.75 * 3.5 * traded, rel=1e-12)
    assert k["farmer_income_with_cny"] == pytest.approx(k["farmer_revenue_cny"] + 0.75 * 3.5 * traded, rel=1e-12)
    assert k["farmer_income_gain_cny"] == pytest.approx(k["farmer_income_with_cny"] - k["farmer_income_without_cny"],
                                                        rel=1e-9)
    # the lots left at a station past their wait no longer spoil there
    assert k["outbound_produce_spoiled_kg"] < off["outbound_produce_spoiled_kg"]
    assert k["farmer_income_without_cny"] == off["farmer_income_without_cny"]
    assert off["outbound_produce_trader_kg"] == off["farmer_income_trader_cny"] == 0.0
    # per crop it adds up too
    assert sum(r["outbound_produce_trader_kg"] for r in res.crops) == pytest.approx(traded, rel=1e-12)
    # the shelf life (10 d) ends before a 20-day wait: the trader never comes in time
    never = _run(with_(sc, "market", trader_takes_uncollected=True, trader_wait_h=480.0))[1].kpis
    assert never == pytest.approx(off, nan_ok=True)


@pytest.mark.parametrize("packing", ["station", "hub"])
def test_city_orders_are_filled_from_the_produce_and_packed_at_a_cost(packing):
    """``produce_parcels.demand: orders``: the kilograms packed are 4 kg x the boxes filled,
    packing costs 2 CNY and takes 0.05 h a box, the operator's margin pays for it, and
    express fees are 12 CNY a box delivered. With far more orders than produce the fill
    rate falls below 1 and the boxes packed hold no more than the produce there was."""
    for rate in (30.0, 5000.0):
        sc = with_(small_scenario(crops=(Crop(parcel_orders_per_day=rate),)), "produce_parcels", demand="orders",
                   packing=packing)
        k = _run(sc)[1].kpis
        filled, ordered = k["produce_parcel_orders_filled"], k["produce_parcel_orders"]
        assert 0 < filled <= ordered
        assert k["produce_parcel_fill_rate"] == pytest.approx(filled / ordered, rel=1e-12)
        assert k["produce_parcel_offered_kg"] == pytest.approx(4.0 * filled, rel=1e-12)
        assert k["produce_parcel_packing_cost_cny"] == pytest.approx(2.0 * filled, rel=1e-12)
        assert k["produce_parcel_packing_h"] == pytest.approx(0.05 * filled, rel=1e-12)
        assert k["produce_parcel_packing_wait_mean_h"] >= 0.05
        assert k["operator_express_fees_cny"] == pytest.approx(12.0 * k["produce_parcel_sold_kg"] / 4.0, rel=1e-12)
        assert k["operator_produce_margin_cny"] == pytest.approx(
            k["operator_express_fees_cny"] - k["cost_outbound_cny"] - 2.0 * filled, rel=1e-9)
        assert k["produce_parcel_sold_kg"] + k["produce_parcel_spoiled_kg"] <= k["produce_parcel_offered_kg"] + 1e-6
        if rate > 1000:
            assert k["produce_parcel_fill_rate"] < 0.5
            assert k["produce_parcel_offered_kg"] <= k["outbound_produce_offered_kg"]
        else:
            assert k["produce_parcel_fill_rate"] > 0.9
    # the share rule stays the default: no orders, no fill rate
    k = _run(small_scenario())[1].kpis
    assert k["produce_parcel_orders"] == 0.0 and math.isnan(k["produce_parcel_fill_rate"])


def test_held_lots_earn_the_price_curve_at_their_sale():
    """Binary grade (elasticity 0), lemons keeping 16x longer in a 0 C cold store than
    at 20 C (q10 4: 4 ** 2), a price half below its mean at the harvest and
    no storage cost: the cold store holds produce for later, every lot earns kg x 3.5 x
    (1 - 0.5 cos(2 pi (d - 335) / 365)) on its day of sale, and the price realised
    beats selling at once."""
    crops = (Crop(price_amplitude=0.5, price_low_doy=300),)
    sc = small_scenario(crops=crops, horizon_d=200, start_doy=260, replications=1)
    sc = with_(sc, "hub", cold_store_kg=200000.0, cold_cost_per_kg_d=0.0)
    sell = with_(sc, "market", quality_decay=True, price_quality_elasticity=0.0, q10=4.0, cold_c=0.0)
    hold = with_(sell, "market", hold_at_cold_store=True)
    _, res_sell = _run(sell)
    model, res_hold = _run(hold)
    s = model.trunk.sales()
    doy = sc.first_doy + s.t_h / 24.0
    want = float((s.kg * 3.5 * (1.0 - 0.5 * np.cos(2.0 * math.pi * (doy - 300) / 365.0))).sum())
    assert res_hold.kpis["farmer_revenue_cny"] == pytest.approx(want, rel=1e-9)
    held_late = s.t_h - s.t_offer > 24.0 * 20       # sold three weeks or more after its offer
    assert held_late.any()
    assert (res_hold.kpis["produce_price_realised_cny_per_kg"]
            > res_sell.kpis["produce_price_realised_cny_per_kg"] + 0.1)


def test_two_channels_conserve_kilograms_and_value():
    """30% of each offer ordered as 4 kg boxes: over a whole season (nothing left in
    the system) each channel's kilograms offered = sold + spoiled; what customers and the
    market paid = farmers' income + the operator's commission and express fees; boxes
    are first onto vans and trucks, so they spoil less than bulk."""
    sc = small_scenario(crops=(Crop(parcel_share=0.3),), horizon_d=250, start_doy=260, replications=1)
    sc = with_(with_(sc, "market", quality_decay=True, commission_share=0.05), "produce_parcels", box_kg=4.0,
               express_fee_per_box_cny=12.0, price_factor=1.6, city_delivery_h=24.0)
    model, res = _run(sc)
    k = res.kpis
    assert k["outbound_produce_in_system_kg"] == pytest.approx(0.0, abs=1e-6)
    assert k["produce_parcel_offered_kg"] == pytest.approx(0.3 * k["outbound_produce_offered_kg"], rel=1e-12)
    parcel = (k["produce_parcel_offered_kg"], k["produce_parcel_sold_kg"], k["produce_parcel_spoiled_kg"])
    bulk = tuple(k[c] - p for c, p in zip(("outbound_produce_offered_kg", "outbound_produce_sold_kg",
                                           "outbound_produce_spoiled_kg"), parcel, strict=True))
    for offered, sold, spoiled in (parcel, bulk):
        assert sold > 0
        assert offered == pytest.approx(sold + spoiled, rel=1e-9)
    assert parcel[2] / parcel[0] < bulk[2] / bulk[0]
    assert k["produce_parcel_boxes"] == pytest.approx(parcel[1] / 4.0, rel=1e-12)
    assert k["operator_express_fees_cny"] == pytest.approx(12.0 * parcel[1] / 4.0, rel=1e-12)
    assert k["farmer_income_with_cny"] + k["operator_produce_revenue_cny"] == pytest.approx(
        k["farmer_revenue_cny"], rel=1e-12)
    s = model.trunk.sales()
    boxes = s.channel == 1
    grade = 0.5 ** ((s.t_h - s.t_offer) / 240.0)
    assert k["produce_parcel_revenue_cny"] == pytest.approx(float((s.kg * 3.5 * 1.6 * grade)[boxes].sum()), rel=1e-9)
    assert k["farmer_revenue_cny"] == pytest.approx(
        float((s.kg * 3.5 * grade)[~boxes].sum()) + k["produce_parcel_revenue_cny"], rel=1e-9)
    ride_h = sc.city.market_km / sc.trunk.speed_kmh
    assert k["produce_parcel_lead_time_mean_h"] > 24.0 + ride_h
