"""The outcomes of one finished run: the KPI row (the columns of ``runs.csv``), the
daily series and the checks, gathered from what each component reports."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.registry import spoilage_rate
from sim.county.conservation import Balance, WindowBooks, check_window, conservation
from sim.county.costs import Costs, costs
from sim.county.hub import HubLittle
from sim.county.leadtime import LeadTimes
from sim.county.market import PARCEL_COLUMNS, crop_rows, earnings, parcel_kpis
from sim.county.model import CountyModel
from sim.county.remoteness import remoteness
from sim.county.triplog import StopLead

KPI_COLUMNS = (
    "villages_served", "villages_served_share", "residents_served_share", "routes", "fleet_vehicles",
    "inbound_parcels_ordered", "inbound_parcels_delivered", "inbound_parcels_in_system_start",
    "inbound_parcels_in_system",
    "inbound_parcels_per_resident_y", "inbound_lead_time_mean_h", "inbound_lead_time_p95_h",
    "outbound_produce_offered_kg", "outbound_produce_sold_kg", "outbound_produce_spoiled_kg",
    "outbound_produce_in_system_start_kg", "outbound_produce_in_system_kg", "spoilage_rate",
    "outbound_produce_unsold_share", "farmer_revenue_cny",
    "vehicle_km", "lastmile_trips", "lastmile_load_factor_in", "lastmile_load_factor_out",
    "trunk_truck_runs", "hub_sort_wait_mean_h", "hub_time_mean_h",
    "cost_inbound_cny", "cost_outbound_cny", "cost_total_cny",
    "cost_inbound_direct_cny", "cost_outbound_direct_cny", "cost_shared_cny",
    "cost_per_parcel_cny", "cost_per_kg_out_cny",
    "subsidy_cny", "cost_net_cny", "cost_per_parcel_net_cny", "co2_kg",
    "surge_spot_truck_runs", "surge_vehicle_days", "surge_sorter_days", "cost_surge_cny",
    "farmer_income_with_cny", "farmer_income_without_cny", "farmer_income_gain_cny", "produce_quality_sold_mean",
    "produce_price_realised_cny_per_kg", "operator_produce_revenue_cny", "operator_produce_margin_cny",
    *PARCEL_COLUMNS,
    "inbound_lead_time_near_decile_h", "inbound_lead_time_remote_decile_h", "inbound_lead_time_village_gini",
    "inbound_parcels_collected_township", "inbound_lead_time_collected_mean_h",
    "outbound_produce_trader_kg", "farmer_income_trader_cny",
    "cost_feeders_cny", "cost_township_stations_cny",
)
"""KPI columns of ``runs.csv``, in order (after scenario, replication, seed)."""

DAILY_COLUMNS = (
    "day", "parcels_ordered", "parcels_delivered", "produce_offered_kg", "produce_sold_kg",
    "produce_spoiled_kg", "vehicle_km", "warehouse_backlog_parcels", "hub_backlog_parcels",
    "station_backlog_kg", "hub_produce_kg",
)


@dataclass(frozen=True)
class Checks:
    """What a run's invariants are checked against: the conservation balance (whole
    run) and the KPI window's books, Little's law at the hub (whole run) and parcels
    a vehicle left behind at the hub for lack of room (summed over trips)."""
    balance: Balance
    window: WindowBooks
    hub: HubLittle
    lastmile_left_behind: int


@dataclass
class RunResult:
    """The outcome of one replication: the KPI row (keyed by :data:`KPI_COLUMNS`),
    daily series (keyed by :data:`DAILY_COLUMNS`), lead times and trip load factors
    over the KPI window, costs, checks, and lead times summed per stop."""
    kpis: dict[str, float]
    daily: dict[str, np.ndarray]
    lead: LeadTimes
    load_in: np.ndarray
    load_out: np.ndarray
    costs: Costs
    checks: Checks
    stop_lead: StopLead
    crops: list[dict] = field(default_factory=list)   # per crop, keyed by sim.county.market.CROP_COLUMNS


def evaluate(model: CountyModel) -> RunResult:
    """KPIs, daily series and checks of a finished run. KPIs cover the KPI window
    (the ``horizon_d`` days after the ``warmup_d`` warm-up days): flows in it, lead
    times of parcels delivered in it, stocks at its start and at the end. The daily
    series cover every simulated day, numbered from the window's first day (warm-up
    days negative). Conservation is checked over the whole run and over the window."""
    if not model.ran:
        raise RuntimeError("evaluate() needs a model that has run")
    sc = model.scenario
    days = sc.run_days
    w = sc.warmup_d
    lm, net = model.lastmile, model.plan.network
    sales = model.trunk.sales()
    balance = conservation(model, float(sales.kg.sum()))
    day_of = lambda t: np.minimum((np.asarray(t) // 24).astype(np.int64), days - 1)  # noqa: E731
    # outlet parcels collected at the township stations (two tiers with outlets), in the run and in the window
    collect_t, collect_lead = (np.zeros(0), np.zeros(0)) if model.townships is None else \
        model.townships.collected(model.horizon_h)
    in_window = collect_t >= 24.0 * w
    spoil_t = np.array([t for t, _ in model.spoiled])
    spoil_kg = np.array([kg for _, kg in model.spoiled])
    daily = {
        "day": np.arange(days) - w,
        "parcels_ordered": model.orders.counts.sum(axis=1),
        "parcels_delivered": lm.ledger.delivered_by_day(days)
        + np.bincount(day_of(collect_t), minlength=days)[:days],
        "produce_offered_kg": model.offers.kg_day,
        "produce_sold_kg": np.bincount(day_of(sales.t_h), weights=sales.kg, minlength=days)[:days],
        # produce found spoiled at midnight belongs to the day that ended
        "produce_spoiled_kg": np.bincount(day_of(np.maximum(spoil_t - 1e-9, 0.0)), weights=spoil_kg,
                                          minlength=days)[:days],
        "vehicle_km": lm.ledger.km_by_day(days) + (0.0 if model.feeders is None
                                                   else model.feeders.ledger.km_by_day(days)),
        "warehouse_backlog_parcels": np.array(model.days.warehouse_parcels),
        "hub_backlog_parcels": np.array(model.days.hub_parcels),
        "station_backlog_kg": np.array(model.days.station_kg),
        "hub_produce_kg": np.array(model.days.hub_kg),
    }
    act = model.activity()
    window, warm = slice(w, days), slice(0, w)
    delivered = int(daily["parcels_delivered"][window].sum())
    ordered = act.orders.parcels
    sold_window = sales.t_h >= 24.0 * w
    sold_kg = float(sales.kg[sold_window].sum())
    spoiled = float(daily["produce_spoiled_kg"][window].sum())
    traded = model.traded_kg(24.0 * w)   # bought by the trader in the window (at its midnights)
    # stocks when the window opens: what came in during the warm-up and had not gone out
    books = WindowBooks(
        int(daily["parcels_ordered"][warm].sum() - daily["parcels_delivered"][warm].sum()), ordered, delivered,
        balance.parcels_in_system,
        float(daily["produce_offered_kg"][warm].sum() - sales.kg[~sold_window].sum()
              - daily["produce_spoiled_kg"][warm].sum() - (balance.produce_traded_kg - traded)), act.offers.kg,
        sold_kg, spoiled, balance.produce_in_system_kg, traded, float(daily["produce_offered_kg"][warm].sum()))
    check_window(books)
    faced_kg = act.offers.kg + books.produce_in_system_start_kg
    c = costs(model, act, days - w)
    earned = earnings(model, sales)
    revenue = float(earned.lot_value_cny[sold_window].sum()) if len(sales.crop) else 0.0
    without = float(earned.without_cny.sum())
    trader_cny = float(earned.trader_cny.sum())
    commission = revenue * sc.market.commission_share
    parcels = parcel_kpis(model, sales, earned.lot_value_cny)
    fees = parcels["operator_express_fees_cny"]
    served = net.served
    load_in, load_out = lm.loads(24.0 * w)
    residents_served = float(net.residents[served].sum())
    lead = lm.lead
    stop_lead = lm.stop_lead()
    equity = remoteness(net, model.plan.routes, stop_lead)
    a_lm, a_tr, a_hub = act.lastmile, act.trunk, act.hub
    km = a_lm.km + a_lm.pickup_km
    co2 = km * lm.vehicle.co2_kg_per_km if lm.mix is None else \
        sum((a.km + a.pickup_km) * v.co2_kg_per_km for v, _, a in lm.mix.by_type(a_lm))
    routes, fleet = len(model.plan.routes), len(model.plan.routes) * lm.cfg.vehicles_per_route
    if model.feeders is not None and act.feeders is not None:  # two tiers: the feeders count too
        feeder_km = act.feeders.km + act.feeders.pickup_km
        km += feeder_km
        co2 += feeder_km * model.feeders.vehicle.co2_kg_per_km
        routes += model.feeders.n_routes
        fleet += model.feeders.n_routes * model.feeders.cfg.vehicles_per_route
    kpis = {
        "villages_served": int(served.sum()),
        "villages_served_share": float(served.mean()),
        "residents_served_share": residents_served / float(net.residents.sum()),
        "routes": routes,
        "fleet_vehicles": fleet,
        "inbound_parcels_ordered": ordered,
        "inbound_parcels_delivered": delivered,
        "inbound_parcels_in_system_start": books.parcels_in_system_start,
        "inbound_parcels_in_system": balance.parcels_in_system,
        "inbound_parcels_per_resident_y": (ordered / residents_served * 365.0 / (days - w)
                                           if residents_served else 0.0),
        "inbound_lead_time_mean_h": lead.mean_h,
        "inbound_lead_time_p95_h": lead.quantile_h(0.95),
        "outbound_produce_offered_kg": act.offers.kg,
        "outbound_produce_sold_kg": sold_kg,
        "outbound_produce_spoiled_kg": spoiled,
        "outbound_produce_in_system_start_kg": max(books.produce_in_system_start_kg, 0.0),  # as at the end
        "outbound_produce_in_system_kg": max(balance.produce_in_system_kg, 0.0),  # float sums can leave -1e-12
        # of the produce whose fate was decided in the window (sold, to the trader or spoiled), the share spoiled
        "spoilage_rate": spoilage_rate(spoiled, sold_kg, traded),
        # of the produce the window had to move (offered in it or waiting when it opened), the share not sold
        # nan, as spoilage_rate, when under a gram faced the window (no produce: float remnants of split
        # lots, about 1e-17 kg, are not produce), and clipped to [0, 1]: the stock left is a difference
        # of sums and may be -1e-17 kg
        "outbound_produce_unsold_share": min(1.0, max(0.0, (spoiled + balance.produce_in_system_kg) / faced_kg))
        if faced_kg >= 1e-3 else float("nan"),
        "farmer_revenue_cny": revenue,
        "vehicle_km": km,
        "lastmile_trips": a_lm.trips + a_lm.pickup_trips,
        # means over the window's delivery trips and parcels: nan without any (no trip is not an empty trip)
        "lastmile_load_factor_in": float(load_in.mean()) if len(load_in) else float("nan"),
        "lastmile_load_factor_out": float(load_out.mean()) if len(load_out) else float("nan"),
        "trunk_truck_runs": a_tr.truck_runs,
        "hub_sort_wait_mean_h": a_hub.sort_wait_parcel_h / a_hub.parcels_in if a_hub.parcels_in else float("nan"),
        "hub_time_mean_h": a_hub.time_in_h / a_hub.parcels_out if a_hub.parcels_out else float("nan"),
        "cost_inbound_cny": c.inbound,
        "cost_outbound_cny": c.outbound,
        "cost_total_cny": c.total,
        "cost_inbound_direct_cny": c.inbound_direct,
        "cost_outbound_direct_cny": c.outbound_direct,
        "cost_shared_cny": c.shared,
        "cost_per_parcel_cny": c.inbound / delivered if delivered else float("nan"),
        # NaN when nothing was sold in the window (under a gram: float remnants of split lots)
        "cost_per_kg_out_cny": c.outbound / sold_kg if sold_kg >= 1e-3 else float("nan"),
        "subsidy_cny": c.subsidy,
        "cost_net_cny": c.total - c.subsidy,
        "cost_per_parcel_net_cny": (c.inbound - c.subsidy) / delivered if delivered else float("nan"),
        "co2_kg": co2 + a_tr.truck_runs * model.trunk.km_per_truck_run * sc.trunk.co2_kg_per_km,
        "surge_spot_truck_runs": a_tr.spot_truck_runs,
        "surge_vehicle_days": a_lm.surge_vehicle_days,
        "surge_sorter_days": a_hub.temp_sorter_days,
        "cost_surge_cny": c.surge,
        "farmer_income_with_cny": revenue - commission - fees + trader_cny,
        "farmer_income_without_cny": without,
        "farmer_income_gain_cny": revenue - commission - fees + trader_cny - without,
        "produce_quality_sold_mean": (float((sales.kg * earned.lot_quality)[sold_window].sum()) / sold_kg
                                      if sold_kg > 0 else float("nan")),
        "produce_price_realised_cny_per_kg": revenue / sold_kg if sold_kg >= 1e-3 else float("nan"),
        "operator_produce_revenue_cny": commission + fees,
        "operator_produce_margin_cny": commission + fees - c.outbound - parcels["produce_parcel_packing_cost_cny"],
        **parcels,
        "inbound_lead_time_near_decile_h": equity.near_decile_h,
        "inbound_lead_time_remote_decile_h": equity.remote_decile_h,
        "inbound_lead_time_village_gini": equity.gini,
        "inbound_parcels_collected_township": int(in_window.sum()),
        "inbound_lead_time_collected_mean_h": float(collect_lead[in_window].mean()) if in_window.any() else math.nan,
        "outbound_produce_trader_kg": traded,
        "farmer_income_trader_cny": trader_cny,
        # of cost_total_cny, the township tier's own (0 with one tier)
        "cost_feeders_cny": c.feeders,
        "cost_township_stations_cny": c.township_stations,
    }
    assert tuple(kpis) == KPI_COLUMNS
    checks = Checks(balance, books, model.hub.little(model.horizon_h), lm.left_behind)
    return RunResult(kpis, daily, lead, load_in, load_out, c, checks, stop_lead,
                     crop_rows(earned, [crop.name for crop in sc.crops], sc.market.commission_share))


def run_replication(scenario, replication: int, the_plan=None) -> RunResult:
    """Build, run and evaluate one replication."""
    return evaluate(CountyModel(scenario, replication, the_plan).run())
