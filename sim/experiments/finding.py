"""What a finding is made of: an experiment's finished runs addressable by scenario
(:class:`Result`), a mean with its 95% interval (:class:`Interval`) and the finding
itself (:class:`Finding`). Shared by :mod:`sim.experiments.findings` and
:mod:`sim.experiments.findings_tiers`."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.analysis.statistics import paired_difference, t_interval
from sim.experiments.spec import Experiment
from sim.files import plus_minus


@dataclass
class Result:
    """An experiment's finished runs, addressable by named scenario and lever values."""
    exp: Experiment
    runs: list[dict]

    def values(self, kpi: str, name: str | None = None, **levers) -> list[float]:
        """``kpi`` per replication (in replication order) of the one scenario with this
        name and these lever values (``coverage=0.5`` style keys name levers by their
        last path part)."""
        specs = [s for s in self.exp.scenarios
                 if (name is None or s.name == name)
                 and all(_lever(s.values, k) == v for k, v in levers.items())]
        if len(specs) != 1:
            raise KeyError(f"{self.exp.name}: {len(specs)} scenarios match name={name} {levers}")
        sid = specs[0].id
        rows = sorted((r for r in self.runs if r["scenario_id"] == sid), key=lambda r: r["replication"])
        return [float(r[kpi]) for r in rows]

    def mean(self, kpi: str, name: str | None = None, **levers) -> Interval:
        m, hw, _ = t_interval(self.values(kpi, name, **levers))
        return Interval(m, hw)

    def diff(self, kpi: str, a: dict, b: dict) -> Interval:
        """Paired difference a - b over the replications both have (common random numbers)."""
        d = paired_difference(self.values(kpi, **a), self.values(kpi, **b))
        return Interval(d["mean_diff"], d["half_width"])

    def ratio(self, kpi: str, per: str, name: str | None = None, **levers) -> Interval:
        """``kpi`` / ``per`` replication by replication (e.g. a cost per parcel delivered): mean and interval."""
        m, hw, _ = t_interval([a / b for a, b in zip(self.values(kpi, name, **levers),
                                                      self.values(per, name, **levers), strict=True)])
        return Interval(m, hw)


def _lever(values: dict, key: str):
    for path, v in values.items():
        if path == key or path.split(".")[-1] == key:
            return v
    return None


@dataclass(frozen=True)
class Interval:
    """A mean (or mean difference) and its 95% t half-width."""
    mean: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    @property
    def significant(self) -> bool:
        """The 95% interval excludes 0."""
        return math.isfinite(self.half_width) and (self.low > 0 or self.high < 0)

    def text(self, unit: str = "", scale: float = 1.0, signed: bool = False) -> str:
        m, hw = self.mean * scale, self.half_width * scale
        if abs(m) < 1e-9 and (not math.isfinite(hw) or abs(hw) < 1e-9):
            m, hw = 0.0, 0.0          # float remnants of a difference that is exactly none
        return plus_minus(m, hw, signed) + (f" {unit}" if unit else "")


@dataclass
class Finding:
    """One finding: what it says (with numbers), what drives it, and when it flips."""
    key: str
    title: str
    statement: str
    numbers: list[tuple[str, str]]           # (what, value with 95% interval)
    driver: str
    sensitivity: str
    sensitivity_numbers: list[tuple[str, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


# ---- words read off intervals (a direction is claimed only where its interval excludes 0) ----
def and_list(values) -> str:
    """Numbers for a sentence: '12.5', '12.5 and 50', '12.5, 50 and 100'."""
    return and_list_text([f"{v:g}" for v in values])


def and_list_text(names: list[str]) -> str:
    """Words for a sentence: 'a', 'a and b', 'a, b and c'."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def moves(what: str, d: Interval, base: Interval, unit: str, scale: float = 1.0, s: str = "") -> str:
    """A paired difference in words: 'raise/lower ``what`` by' its size (and its share of
    ``base``) where its interval excludes 0, else 'change ``what`` by' it, marked not
    significant. ``s``: the verb's ending for a singular subject ('s': raises)."""
    share = f" ({d.mean / base.mean:+.0%})" if base.mean else ""
    if not d.significant:
        return f"change{s} {what} by {d.text(unit, scale=scale, signed=True)}{share} (not significant)"
    size = Interval(abs(d.mean), d.half_width).text(unit, scale=scale)
    return f"{'raise' if d.mean > 0 else 'lower'}{s} {what} by {size}{share}"
