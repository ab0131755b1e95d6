"""What a component answers for: the stock it holds now (for the conservation
check) and its activity over the KPI window (for costs and KPIs), kept as
cumulative counters and a snapshot taken when the window starts."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

A = TypeVar("A", bound="DataclassInstance")


@dataclass(frozen=True)
class Stock:
    """What a component holds at one moment: parcels and kilograms of produce."""
    parcels: int = 0
    produce_kg: float = 0.0


def since(now: A, start: A | None) -> A:
    """Counters ``now`` minus counters ``start`` (a dataclass of numbers), field by
    field; ``start`` None means the window began with the run."""
    if start is None:
        return now
    return type(now)(**{f.name: getattr(now, f.name) - getattr(start, f.name) for f in fields(now)})
