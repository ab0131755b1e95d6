"""The conservation checks of a finished run: over the whole run, every parcel
ordered is delivered or held by a component and every kilogram offered is sold,
spoiled, bought by the local trader at its station or held; over the KPI window,
what was in the system when it opened plus what came in equals what went out plus
what is left. Otherwise
:class:`~sim.errors.ConservationError`."""
from __future__ import annotations

from dataclasses import dataclass, field

from sim.county.account import Stock
from sim.county.model import CountyModel
from sim.errors import ConservationError


@dataclass(frozen=True)
class Balance:
    """Where every parcel and kilogram of a run is at its end. The stocks are what
    each component holds: the trunk (warehouse and trucks), the hub, the last-mile
    vehicles and the stations."""
    parcels_ordered: int
    parcels_delivered: int
    parcels_in_system: int
    produce_offered_kg: float
    produce_sold_kg: float
    produce_spoiled_kg: float
    produce_in_system_kg: float
    trunk: Stock
    hub: Stock
    lastmile: Stock
    stations: Stock
    tiers: dict[str, Stock] = field(default_factory=dict)  # two tiers: the feeders and the township stations
    produce_traded_kg: float = 0.0   # bought at the stations by the local trader (``market.trader_takes_uncollected``)

    def stocks(self) -> dict[str, Stock]:
        """The components' stocks by name."""
        return {"trunk": self.trunk, "hub": self.hub, "lastmile": self.lastmile, "stations": self.stations,
                **self.tiers}


def conservation(model: CountyModel, sold_kg: float) -> Balance:
    """Count every parcel and kilogram where it is at the end of ``model``'s run
    (``sold_kg``: sold at the market over the run); raise
    :class:`ConservationError` if the books do not balance."""
    trunk, hub, lastmile, stations = (model.trunk.stock(), model.hub.stock(), model.lastmile.stock(),
                                      model.stations.stock())
    ordered = model.orders.placed
    delivered = model.lastmile.delivered
    if model.townships is not None:   # outlet parcels collected at the township stations
        delivered += len(model.townships.collected(model.env.now)[0])
    tiers = {} if model.feeders is None or model.townships is None else {
        "feeders": model.feeders.stock(), "townships": model.townships.stock()}
    if model.buses is not None:   # produce on the buses added to the vans
        tiers["buses"] = model.buses.stock()
    places = {"trunk": trunk.parcels, "hub": hub.parcels, "vehicles": lastmile.parcels,
              **{name: stock.parcels for name, stock in tiers.items()}}
    in_system = sum(places.values())
    if model.hub.parcels_in_hub != hub.parcels:   # the hub's running count against its queues
        raise ConservationError(f"parcels not conserved: the hub's count {model.hub.parcels_in_hub} != "
                                f"{hub.parcels} in its sorting and route queues")
    if ordered != delivered + in_system:
        raise ConservationError(f"parcels not conserved: ordered {ordered} != delivered {delivered} + "
                                f"in system {in_system} {places}")
    offered = model.offers.placed_kg
    spoiled = float(sum(kg for _, kg in model.spoiled))
    stocks = {"stations": stations.produce_kg, "vehicles": lastmile.produce_kg, "hub": hub.produce_kg,
              "trunk": trunk.produce_kg, **{name: stock.produce_kg for name, stock in tiers.items()}}
    in_system_kg = float(sum(stocks.values()))
    traded = model.traded_kg()
    gap = offered - (sold_kg + spoiled + traded + in_system_kg)
    if abs(gap) > 1e-9 * max(1.0, offered):
        raise ConservationError(f"produce not conserved: offered {offered:.6f} kg != sold {sold_kg:.6f} + "
                                f"spoiled {spoiled:.6f} + to the trader {traded:.6f} + in system {in_system_kg:.6f} "
                                f"{stocks} (gap {gap:.3g} kg)")
    return Balance(ordered, delivered, in_system, offered, sold_kg, spoiled, in_system_kg,
                   trunk, hub, lastmile, stations, tiers, produce_traded_kg=traded)


@dataclass(frozen=True)
class WindowBooks:
    """The books of the KPI window: stocks when it opens (what had come in during
    the warm-up and not gone out) and at the end of the run, and the window's flows
    (parcels; kilograms of produce), each as the KPIs count it."""
    parcels_in_system_start: int
    parcels_ordered: int
    parcels_delivered: int
    parcels_in_system_end: int
    produce_in_system_start_kg: float
    produce_offered_kg: float
    produce_sold_kg: float
    produce_spoiled_kg: float
    produce_in_system_end_kg: float
    produce_traded_kg: float = 0.0
    warmup_offered_kg: float = 0.0   # what the start stock was worked out from (its rounding scales with it)


def check_window(b: WindowBooks) -> None:
    """Raise :class:`ConservationError` unless ordered + in system at start =
    delivered + in system at end (parcels, exactly) and offered + in system at start
    = sold + spoiled + bought by the trader + in system at end (kg, to 1e-9 relative), with no negative
    stock or flow. The stock at the start is a difference of the warm-up's flows, so the tolerance
    scales with those too (a ten-year warm-up's kilograms leave a rounding gap of nanograms)."""
    flows = (b.parcels_in_system_start, b.parcels_ordered, b.parcels_delivered, b.parcels_in_system_end)
    if min(flows) < 0 or b.parcels_ordered + b.parcels_in_system_start != b.parcels_delivered + b.parcels_in_system_end:
        raise ConservationError(f"parcels not conserved over the KPI window: ordered {b.parcels_ordered} + in system "
                                f"at start {b.parcels_in_system_start} != delivered {b.parcels_delivered} + in system "
                                f"at end {b.parcels_in_system_end}")
    came = b.produce_offered_kg + b.produce_in_system_start_kg
    went = b.produce_sold_kg + b.produce_spoiled_kg + b.produce_traded_kg + b.produce_in_system_end_kg
    tol = 1e-9 * max(1.0, came, b.warmup_offered_kg)
    kgs = (b.produce_in_system_start_kg, b.produce_offered_kg, b.produce_sold_kg, b.produce_spoiled_kg,
           b.produce_in_system_end_kg, b.produce_traded_kg)
    if min(kgs) < -tol or abs(came - went) > tol:
        raise ConservationError(f"produce not conserved over the KPI window: offered {b.produce_offered_kg:.6f} + in "
                                f"system at start {b.produce_in_system_start_kg:.6f} kg != sold "
                                f"{b.produce_sold_kg:.6f} + spoiled {b.produce_spoiled_kg:.6f} + to the trader "
                                f"{b.produce_traded_kg:.6f} + in system at end "
                                f"{b.produce_in_system_end_kg:.6f} (gap {came - went:.3g} kg)")
