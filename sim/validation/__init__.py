"""The validation suite: the model against queueing and routing theory, under
extreme conditions, and against the public figures of the domain notes; known
disagreements are registered in :mod:`sim.validation.known`."""
from __future__ import annotations

from sim.validation.core import Case, CaseResult
from sim.validation.extremes import CASES as _EXTREME
from sim.validation.geometry import CASES as _GEOMETRY
from sim.validation.known import KNOWN, judge
from sim.validation.little import CASES as _LITTLE
from sim.validation.public import CASES as _PUBLIC
from sim.validation.theory import CASES as _THEORY
from sim.validation.tiers import CASES as _TIERS
from sim.validation.window import CASES as _WINDOW

CASES: list[Case] = [*_THEORY, *_LITTLE, *_GEOMETRY, *_EXTREME, *_PUBLIC, *_WINDOW, *_TIERS]


def cases(fast_only: bool = False) -> list[Case]:
    return [c for c in CASES if not (fast_only and c.slow)]


__all__ = ["CASES", "KNOWN", "Case", "CaseResult", "cases", "judge"]
