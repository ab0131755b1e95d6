"""The conservation check of a finished run: every parcel ordered is delivered or
held by a component, every kilogram offered is sold, spoiled or held; otherwise
:class:`~sim.errors.ConservationError`."""
from __future__ import annotations

from dataclasses import dataclass

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

    def stocks(self) -> dict[str, Stock]:
        """The components' stocks by name."""
        return {"trunk": self.trunk, "hub": self.hub, "lastmile": self.lastmile, "stations": self.stations}


def conservation(model: CountyModel, sold_kg: float) -> Balance:
    """Count every parcel and kilogram where it is at the end of ``model``'s run
    (``sold_kg``: sold at the market over the run); raise
    :class:`ConservationError` if the books do not balance."""
    trunk, hub, lastmile, stations = (model.trunk.stock(), model.hub.stock(), model.lastmile.stock(),
                                      model.stations.stock())
    ordered = model.orders.placed
    delivered = model.lastmile.delivered
    places = {"trunk": trunk.parcels, "hub": hub.parcels, "vehicles": lastmile.parcels}
    in_system = sum(places.values())
    if ordered != delivered + in_system:
        raise ConservationError(f"parcels not conserved: ordered {ordered} != delivered {delivered} + "
                                f"in system {in_system} {places}")
    offered = model.offers.placed_kg
    spoiled = float(sum(kg for _, kg in model.spoiled))
    stocks = {"stations": stations.produce_kg, "vehicles": lastmile.produce_kg, "hub": hub.produce_kg,
              "trunk": trunk.produce_kg}
    in_system_kg = float(sum(stocks.values()))
    gap = offered - (sold_kg + spoiled + in_system_kg)
    if abs(gap) > 1e-9 * max(1.0, offered):
        raise ConservationError(f"produce not conserved: offered {offered:.6f} kg != sold {sold_kg:.6f} + "
                                f"spoiled {spoiled:.6f} + in system {in_system_kg:.6f} {stocks} (gap {gap:.3g} kg)")
    return Balance(ordered, delivered, in_system, offered, sold_kg, spoiled, in_system_kg,
                   trunk, hub, lastmile, stations)
