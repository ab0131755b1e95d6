"""Every KPI the package reports, once: its label, unit and which direction is better.

Figures, reports and the command line label KPIs from here; a name that is not registered
is an error, never guessed from its spelling. The registry holds the KPI columns of a run
(``sim.county.kpis.KPI_COLUMNS``), the outcomes of a rollout comparison, the monthly
measures of a rollout and the group columns of a national year's tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from types import MappingProxyType


@dataclass(frozen=True)
class KPI:
    """A named scalar outcome. ``unit`` is the unit for people ("h", "CNY", "share", "-" for a
    dimensionless count or index); ``higher_is_better`` is None where neither direction is better
    (volumes, counts of things the model sizes itself)."""
    name: str
    label: str
    unit: str
    higher_is_better: bool | None
    doc: str


_UP, _DOWN, _NEITHER = True, False, None

_RUN = (  # the KPI columns of runs.csv, in their order
    ("villages_served", "Villages served", "villages", _UP, "Villages with a station and a route."),
    ("villages_served_share", "Villages served", "share", _UP, "Share of the county's villages served."),
    ("residents_served_share", "Residents served", "share", _UP, "Share of the county's residents in served villages."),
    ("routes", "Last-mile routes", "routes", _NEITHER, "Routes planned from the hub."),
    ("fleet_vehicles", "Last-mile fleet", "vehicles", _NEITHER, "Vehicles needed to drive the routes."),
    ("inbound_parcels_ordered", "Parcels ordered", "parcels", _NEITHER, "Parcels ordered by served villages."),
    ("inbound_parcels_delivered", "Parcels delivered", "parcels", _UP, "Parcels that reached a village station."),
    ("inbound_parcels_in_system_start", "Parcels in the system at the start", "parcels", _NEITHER,
     "Parcels ordered but not yet at a village station when the KPI window opens (carried over from the warm-up): "
     "ordered + in system at start = delivered + in system at end."),
    ("inbound_parcels_in_system", "Parcels in the system at the end", "parcels", _DOWN,
     "Parcels ordered but not yet at a village station when the run ends."),
    ("inbound_parcels_per_resident_y", "Parcels per resident", "parcels/y", _NEITHER,
     "Parcels delivered per resident of served villages, per year."),
    ("inbound_lead_time_mean_h", "Lead time, mean", "h", _DOWN, "Mean time from order to the village station."),
    ("inbound_lead_time_p95_h", "Lead time, 95th percentile", "h", _DOWN,
     "95th percentile of the time from order to the village station."),
    ("outbound_produce_offered_kg", "Produce offered", "kg", _NEITHER, "Farm produce offered at village stations."),
    ("outbound_produce_sold_kg", "Produce sold", "kg", _UP, "Produce that reached a city market in time."),
    ("outbound_produce_spoiled_kg", "Produce spoiled", "kg", _DOWN, "Produce that spoiled before reaching a market."),
    ("outbound_produce_in_system_start_kg", "Produce in the system at the start", "kg", _NEITHER,
     "Produce offered but neither sold nor spoiled when the KPI window opens (carried over from the warm-up): "
     "offered + in system at start = sold + spoiled + in system at end."),
    ("outbound_produce_in_system_kg", "Produce in the system at the end", "kg", _NEITHER,
     "Produce offered but neither sold nor spoiled when the run ends; never counted as saved."),
    ("spoilage_rate", "Spoilage rate", "share", _DOWN,
     "Spoiled / (sold + spoiled) in the KPI window: the share spoiled of the produce whose fate was decided in it."),
    ("outbound_produce_unsold_share", "Produce unsold", "share", _DOWN,
     "(Spoiled + in system at end) / (offered + in system at start): the share of the produce the window had to "
     "move that was not sold in it; produce still waiting at the end counts as not sold."),
    ("farmer_revenue_cny", "Farmer revenue", "CNY", _UP,
     "What farmers earn for produce sold: kg x the crop's seasonal price at the time of sale x the quality grade."),
    ("vehicle_km", "Last-mile vehicle distance", "km", _DOWN, "Distance driven by last-mile vehicles."),
    ("lastmile_trips", "Last-mile trips", "trips", _NEITHER, "Trips from the hub round a route and back."),
    ("lastmile_load_factor_in", "Load factor, parcels carried", "share", _UP,
     "Mean parcels aboard leaving the hub as a share of vehicle capacity."),
    ("lastmile_load_factor_out", "Load factor, produce carried back", "share", _UP,
     "Mean produce aboard arriving at the hub as a share of vehicle capacity."),
    ("trunk_truck_runs", "Trunk truck runs", "runs", _NEITHER, "Truck runs between the city warehouse and the hub."),
    ("hub_sort_wait_mean_h", "Hub sorting wait, mean", "h", _DOWN, "Mean wait for a sorter at the county hub."),
    ("hub_time_mean_h", "Time in the hub, mean", "h", _DOWN, "Mean time a parcel spends in the county hub."),
    ("cost_inbound_cny", "Cost of goods brought in", "CNY", _DOWN,
     "Cost of carrying parcels into villages: their direct cost plus their share of shared costs "
     "(costs.shared_allocation)."),
    ("cost_outbound_cny", "Cost of produce sent out", "CNY", _DOWN,
     "Cost of carrying produce out to markets: its direct cost plus its share of shared costs "
     "(costs.shared_allocation)."),
    ("cost_total_cny", "Total cost", "CNY", _DOWN, "Cost of the whole operation over the run."),
    ("cost_inbound_direct_cny", "Direct cost of goods brought in", "CNY", _DOWN,
     "What only parcels use: stations, agents and commissions, sorters, fees per parcel."),
    ("cost_outbound_direct_cny", "Direct cost of produce sent out", "CNY", _DOWN,
     "What only produce uses or adds: pickups, cold store, cold rooms, trips and trunk trucks for produce alone."),
    ("cost_shared_cny", "Shared cost", "CNY", _DOWN,
     "Route vehicles and drivers, trunk trucks parcels need, hub operation and capital."),
    ("cost_per_parcel_cny", "Cost per parcel delivered", "CNY", _DOWN, "Cost of goods in per parcel delivered."),
    ("cost_per_kg_out_cny", "Cost per kg sold", "CNY", _DOWN, "Cost of produce out per kg sold."),
    ("subsidy_cny", "Subsidy", "CNY", _DOWN, "Public subsidy paid."),
    ("cost_net_cny", "Net cost", "CNY", _DOWN, "Total cost less subsidy."),
    ("cost_per_parcel_net_cny", "Net cost per parcel delivered", "CNY", _DOWN,
     "Net cost of goods in per parcel delivered."),
    ("co2_kg", "CO2 emitted", "kg", _DOWN, "Carbon dioxide from vehicles and trucks."),
    ("surge_spot_truck_runs", "Spot trunk truck runs", "runs", _NEITHER,
     "Spot trucks hired to join trunk departures (also in trunk truck runs)."),
    ("surge_vehicle_days", "Extra vehicle-days", "vehicle-days", _NEITHER,
     "Extra last-mile vehicles hired for a day when a route's backlog was too large for its own."),
    ("surge_sorter_days", "Temporary sorter-days", "sorter-days", _NEITHER,
     "Temporary sorters hired for a day when a trunk brought more than the sorters sort in a shift."),
    ("cost_surge_cny", "Cost of surge capacity", "CNY", _DOWN,
     "What spot trucks, extra vehicles and temporary sorters cost (included in the total cost)."),
    ("farmer_income_with_cny", "Farmers' income with the network", "CNY", _UP,
     "Farmer revenue less the operator's commission (market.commission_share) and the express fees on produce "
     "parcels, plus what the local trader paid for produce the network left at the stations "
     "(farmer_income_trader_cny, with market.trader_takes_uncollected)."),
    ("farmer_income_without_cny", "Farmers' income without the network", "CNY", _NEITHER,
     "What a local trader would have paid for the produce offered in the window: market.trader_price_share x "
     "the crop's seasonal price on the day it was offered."),
    ("farmer_income_gain_cny", "Farmers' income gain", "CNY", _UP,
     "Farmers' income with the network less their income without it (the trader)."),
    ("produce_quality_sold_mean", "Quality of produce sold", "share", _UP,
     "Mean quality at the city market of the produce sold in the window, weighted by kg (1 = fresh; always 1 "
     "under the binary shelf life)."),
    ("produce_price_realised_cny_per_kg", "Price realised", "CNY/kg", _UP,
     "Farmer revenue / produce sold: the seasonal price at the time of sale x the quality grade."),
    ("operator_produce_revenue_cny", "Operator's produce revenue", "CNY", _UP,
     "The operator's commission on produce sold (market.commission_share x farmer revenue) plus the express fees "
     "on produce parcels."),
    ("operator_produce_margin_cny", "Operator's produce margin", "CNY", _UP,
     "The operator's produce revenue less the cost of produce out (cost_outbound_cny) and of packing boxes "
     "(produce_parcel_packing_cost_cny)."),
    ("produce_parcel_offered_kg", "Produce parcels ordered", "kg", _NEITHER,
     "Produce offered in the window that city customers ordered as parcels (each crop's parcel_share)."),
    ("produce_parcel_sold_kg", "Produce parcels delivered", "kg", _UP,
     "Produce parcels that reached city customers in time (part of produce sold)."),
    ("produce_parcel_spoiled_kg", "Produce parcels spoiled", "kg", _DOWN,
     "Produce parcels that spoiled before reaching the city (part of produce spoiled)."),
    ("produce_parcel_boxes", "Produce boxes delivered", "boxes", _NEITHER,
     "Produce parcels delivered / produce_parcels.box_kg."),
    ("produce_parcel_revenue_cny", "Produce parcel sales", "CNY", _UP,
     "What city customers paid for produce parcels (part of farmer revenue)."),
    ("produce_parcel_lead_time_mean_h", "Produce parcel lead time, mean", "h", _DOWN,
     "Mean time from the offer at the village station to the city customer's door, per box (0 when no box was "
     "delivered)."),
    ("operator_express_fees_cny", "Express fees on produce parcels", "CNY", _UP,
     "Sender-paid express fees the operator earned on produce boxes delivered (part of its produce revenue)."),
    ("produce_parcel_orders", "Produce boxes ordered", "boxes", _NEITHER,
     "Boxes city customers ordered in the window (produce_parcels.demand orders; with the share rule, the parcel "
     "share of the offers / box_kg)."),
    ("produce_parcel_orders_filled", "Produce boxes packed", "boxes", _UP,
     "Boxes ordered in the window that were filled from produce and packed."),
    ("produce_parcel_fill_rate", "Fill rate of produce orders", "share", _UP,
     "Boxes packed / boxes ordered (nan when none was ordered; 1 under the share rule)."),
    ("produce_parcel_packing_h", "Packing time", "h", _DOWN,
     "Hours spent packing the boxes packed in the window (produce_parcels.packing_h_per_box each)."),
    ("produce_parcel_packing_cost_cny", "Packing cost", "CNY", _DOWN,
     "Boxes packed x produce_parcels.packing_cost_per_box_cny, off the operator's produce margin."),
    ("produce_parcel_packing_wait_mean_h", "Order to packed box, mean", "h", _DOWN,
     "Mean time from a box's order to the end of its place's packing that day (add it to the produce parcel lead "
     "time for order to door; 0 under the share rule)."),
    ("inbound_lead_time_near_decile_h", "Lead time, nearest decile", "h", _DOWN,
     "Mean lead time of the parcels delivered to the tenth of served villages nearest the county seat."),
    ("inbound_lead_time_remote_decile_h", "Lead time, most remote decile", "h", _DOWN,
     "Mean lead time of the parcels delivered to the tenth of served villages farthest from the county seat."),
    ("inbound_lead_time_village_gini", "Gini of villages' lead times", "-", _DOWN,
     "Gini coefficient of the served villages' mean lead times, weighted by their parcels (0 = equal)."),
    ("inbound_parcels_collected_township", "Parcels collected at townships", "parcels", _NEITHER,
     "Parcels of villages without a station collected by residents at their township station (township outlets); "
     "included in the parcels delivered."),
    ("inbound_lead_time_collected_mean_h", "Lead time to collection, mean", "h", _DOWN,
     "Mean time from order to collection at the township station of the parcels collected there."),
    ("outbound_produce_trader_kg", "Produce sold to the trader", "kg", _NEITHER,
     "Produce the network did not collect that the local trader bought at the village stations after "
     "market.trader_wait_h (0 unless market.trader_takes_uncollected)."),
    ("farmer_income_trader_cny", "Farmers' income from the trader", "CNY", _NEITHER,
     "What the local trader paid for outbound_produce_trader_kg: market.trader_price_share x the crop's price "
     "on the day bought (part of farmers' income with the network)."),
    ("cost_feeders_cny", "Cost of the feeder routes", "CNY", _DOWN,
     "Two tiers: the feeder routes' vehicles, drivers, pickups and extra vehicles, part of cost_total_cny "
     "(0 with one tier)."),
    ("cost_township_stations_cny", "Cost of the township stations", "CNY", _DOWN,
     "Two tiers: the township stations' running cost and capital, their transfers and cold rooms, part of "
     "cost_total_cny (0 with one tier)."),
)

_ROLLOUT = (  # outcomes of a rollout comparison (one value per strategy and replication)
    ("npv_cny", "Net present value", "CNY", _UP, "Discounted net cash flow over the horizon."),
    ("villages_covered_share_end", "Villages covered at the end", "share", _UP,
     "Share of the region's villages with a station in the last month."),
    ("residents_covered_share_end", "Residents covered at the end", "share", _UP,
     "Share of the region's residents covered in the last month."),
    ("lead_time_mean_h_last_year", "Lead time, mean, last year", "h", _DOWN,
     "Mean parcel lead time over the last twelve months."),
    ("gini_access_end", "Gini of access at the end", "-", _DOWN,
     "Gini coefficient of access across villages in the last month (0 = equal)."),
    ("cost_per_parcel_cny_last_year", "Cost per parcel, last year", "CNY", _DOWN,
     "Cost per parcel delivered over the last twelve months."),
    ("subsidy_needed_per_parcel_cny", "Subsidy needed per parcel", "CNY", _DOWN,
     "Subsidy per parcel that would cover the operating deficit."),
    ("break_even_month", "Break-even month", "month", _DOWN,
     "First month from which cumulative cash flow stays non-negative."),
)

_MONTHLY = (  # monthly measures of a rollout (monthly.csv, equity.csv) drawn in its figures
    ("villages_covered_share", "Villages covered", "share", _UP, "Share of the region's villages with a station."),
    ("residents_covered_share", "Residents covered", "share", _UP, "Share of the region's residents covered."),
    ("villages_covered", "Villages covered", "villages", _UP, "Villages with a station."),
    ("parcels_delivered", "Parcels delivered", "parcels/month", _UP, "Parcels delivered in the month."),
    ("opex_cny", "Operating cost", "CNY", _DOWN, "Operating cost in the month."),
    ("capex_cny", "Capital spent", "CNY", _NEITHER, "Capital spent in the month."),
    ("revenue_cny", "Revenue", "CNY", _UP, "Operator revenue in the month."),
    ("net_cash_cny", "Net cash flow", "CNY", _UP, "Revenue and subsidy less operating cost and capital."),
    ("cumulative_cash_cny", "Cumulative cash flow", "CNY", _UP, "Net cash flow summed from the start."),
    ("lead_time_mean_h", "Lead time, mean", "h", _DOWN, "Mean parcel lead time."),
    ("gini_access", "Gini coefficient of access", "-", _DOWN,
     "Gini of access across villages (0 = equal; blank while no village has access)."),
    ("coverage_share", "Residents covered", "share", _UP, "Share of residents covered (equity by remoteness)."),
    ("counties_entered", "Counties entered", "counties", _UP, "Counties whose county centre has opened."),
    ("stations_open", "Stations open", "stations", _UP, "Village stations open in the month."),
    ("stations_closed", "Stations closed", "stations", _DOWN,
     "Stations opened earlier and closed by attrition in the month (their agents earn below the wage)."),
    ("agent_income_p10_cny", "Agent income, 10th percentile", "CNY/month", _UP,
     "10th percentile of the monthly income of the agents of open stations (attrition only)."),
    ("agent_income_median_cny", "Agent income, median", "CNY/month", _UP,
     "Median monthly income of the agents of open stations (attrition only)."),
)


_NATIONAL = (  # the group columns of a national year's tables (regions.csv, remoteness.csv, counties.csv)
    ("counties", "Counties", "counties", _NEITHER, "County-level units in the group, one county-year each."),
    ("villages", "Villages", "villages", _NEITHER, "Administrative villages in the group's counties."),
    ("residents", "Residents", "residents", _NEITHER, "Residents of the group's villages."),
    ("remoteness_class", "Remoteness class", "-", _NEITHER,
     "Counties ranked by road distance to their city, split into equal groups (1 = nearest)."),
    ("city_km", "Distance to the city", "km", _NEITHER, "Road distance from the county to its city."),
    ("area_km2", "County area", "km2", _NEITHER, "The county's area."),
)


def _build() -> dict[str, KPI]:
    out: dict[str, KPI] = {}
    for name, label, unit, better, doc in _RUN + _ROLLOUT + _MONTHLY + _NATIONAL:
        if name in out:
            raise ValueError(f"KPI {name!r} registered twice")
        out[name] = KPI(name, label, unit, better, doc)
    return out


KPIS = MappingProxyType(_build())
"""Every registered KPI by name: run KPI columns, then rollout outcomes, then monthly measures,
then a national year's group columns."""

RUN_KPIS = tuple(row[0] for row in _RUN)
ROLLOUT_OUTCOMES = (
    "npv_cny", "villages_covered_share_end", "residents_covered_share_end", "lead_time_mean_h_last_year",
    "gini_access_end", "cost_per_parcel_cny_last_year", "subsidy_needed_per_parcel_cny", "farmer_revenue_cny",
    "spoilage_rate", "co2_kg", "break_even_month")
"""The outcomes of a rollout comparison, in report order (some are also run KPIs)."""


def kpi(name: str) -> KPI:
    """The registered KPI ``name``; ``KeyError`` naming the closest registered names otherwise."""
    try:
        return KPIS[name]
    except (KeyError, TypeError):
        near = get_close_matches(str(name), list(KPIS), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise KeyError(f"unknown KPI {name!r}: not in sim.analysis.registry{hint}") from None


def label(name: str) -> str:
    """Label with unit for axes and tables, e.g. "Lead time, mean (h)"; a pure number (unit "-",
    such as a Gini index) has none."""
    k = kpi(name)
    return k.label if k.unit == "-" else f"{k.label} ({k.unit})"


def higher_is_better(name: str) -> bool | None:
    """True if larger values are better, False if smaller are, None if neither."""
    return kpi(name).higher_is_better


def spoilage_rate(spoiled_kg: float, sold_kg: float, trader_kg: float) -> float:
    """The share spoiled of the produce whose fate was decided (sold, to the trader or
    spoiled); nan, not 0, when under a gram was (no produce, or float remnants of split
    lots): runs.csv, crops.csv, the national tables and the rollouts use this one rule."""
    decided = spoiled_kg + sold_kg + trader_kg
    return spoiled_kg / decided if decided >= 1e-3 else float("nan")
