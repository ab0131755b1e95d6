"""Adoption that differs between villages: each village's ceiling from its residents'
internet use and share of working age, village promoters who raise adoption where they
work and are paid per order, and the cross-subsidy policy that says for how long the
platform's transfer is paid. Without ``village_inputs`` or promoters every village has
the region's ceiling (the rollout as before)."""
from __future__ import annotations

import typing
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config.csvread import number, read_rows
from sim.config.schema import REQUIRED, FieldError, fail, spec

CNNIC_RURAL_INTERNET_USE = 0.301
"""Share of rural residents who used the internet in mid-2015 (CNNIC, 36th report)."""

VILLAGE_INPUT_COLUMNS = ("internet_use", "working_age_share")
"""Optional columns of a villages CSV read by ``village_inputs`` (shares of residents, 0..1)."""


@dataclass(frozen=True)
class ShareRange:
    """A share drawn uniformly per village: a number in [0, 1], or ``{min, max}``."""
    min: float = spec(REQUIRED, "Lowest share", lo=0, hi=1, source="")
    max: float = spec(REQUIRED, "Highest share", lo=0, hi=1, source="")
    SHORT_JSON: typing.ClassVar[dict] = {"type": "number", "minimum": 0, "maximum": 1}

    @classmethod
    def from_short(cls, value, where: str, path: str) -> ShareRange:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise fail(where, path, value, "expected a share in [0, 1] or {min: .., max: ..}")
        return cls(float(value), float(value))

    def check(self) -> None:
        if self.min > self.max:
            raise FieldError("max", self.max, f"expected min <= max (min is {self.min:g})")


@dataclass(frozen=True)
class VillageInputs:
    """What makes adoption differ between villages. A village's ceiling is
    ``adoption.ceiling * (internet_use / reference_internet_use) ** internet_elasticity
    * (working_age_share / reference_working_age_share) ** working_age_elasticity``,
    capped at 1: a village at the references has the region's ceiling. Generated
    villages draw both shares uniformly from the ranges below; a villages CSV may give
    them per village in the optional columns internet_use and working_age_share (a
    missing column or empty cell is drawn)."""
    internet_use: ShareRange = spec(lambda: ShareRange(0.2, 0.4), "Share of a generated village's residents who "
                                    "use the internet, drawn per village", factory=True,
                                    source="CNNIC 36th report: 30.1% of rural residents (mid-2015); the spread [G]")
    working_age_share: ShareRange = spec(lambda: ShareRange(0.45, 0.65), "Share of a generated village's residents "
                                         "of working age (15-64) living there, drawn per village", factory=True,
                                         source="[G] villages lose working-age residents to migrant work")
    reference_internet_use: float = spec(CNNIC_RURAL_INTERNET_USE, "Internet use of a village whose ceiling is "
                                         "adoption.ceiling", lo=0, hi=1, lo_open=True,
                                         source="CNNIC 36th report: 30.1% of rural residents (mid-2015)")
    reference_working_age_share: float = spec(0.55, "Working-age share of a village whose ceiling is "
                                              "adoption.ceiling", lo=0, hi=1, lo_open=True)
    internet_elasticity: float = spec(1.0, "Elasticity of a village's ceiling to its internet use", lo=0, hi=5)
    working_age_elasticity: float = spec(0.5, "Elasticity of a village's ceiling to its working-age share", lo=0,
                                         hi=5)


@dataclass(frozen=True)
class PromoterConfig:
    """Village promoters (JD's model): residents who help others order online and are
    paid per order, without running a station. A strategy with ``promoters: true``
    has one in every village with a station from the month it opens; there the
    innovation coefficient p is multiplied by ``p_factor`` and the ceiling raised by
    ``ceiling_added`` (residents who order through the promoter without using the
    internet themselves), capped at 1."""
    pay_per_order_cny: float = spec(1.0, "Paid to the promoter per parcel delivered to the village",
                                    unit="CNY/parcel", lo=0, hi=100,
                                    source="[G] about a courier's piece rate of ~1 CNY a delivery (China Daily 2015)")
    p_factor: float = spec(2.0, "Innovation coefficient p multiplied where a promoter works", lo=1, hi=100)
    ceiling_added: float = spec(0.1, "Share of residents added to the village's ceiling where a promoter works "
                                "(capped at 1)", lo=0, hi=1)


@dataclass(frozen=True)
class CrossSubsidyPolicy:
    """How long the platform pays economics.cross_subsidy_per_parcel_cny in a county
    (both null: every month, as long as the horizon). Does nothing while that
    transfer is 0."""
    months: int | None = spec(None, "Months, from the month the county's hub opens, in which the cross-subsidy is "
                              "paid", unit="months", lo=1, hi=240, optional=True, shown="every month", source="")
    until_parcels_per_month: float | None = spec(None, "The cross-subsidy stops after the first month in which the "
                                                 "county delivers at least this many parcels", unit="parcels/month",
                                                 lo=0, lo_open=True, optional=True, shown="never", source="")


def cross_subsidy_paid(policy: CrossSubsidyPolicy, month: int, hub_month: int, reached: bool) -> bool:
    """Whether the cross-subsidy is paid in ``month`` in a county whose hub opened in
    ``hub_month``; ``reached`` says an earlier month's volume reached the level (the
    month that reaches it is still paid)."""
    if hub_month < 0 or month < hub_month or reached:
        return False
    return policy.months is None or month - hub_month < policy.months


def draw_inputs(cfg: VillageInputs, n: int, root_seed: int, county_id: str,
                villages_csv: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Internet use and working-age share of a county's ``n`` villages: from the
    villages CSV's optional columns where given, otherwise drawn uniformly (a stream
    keyed by the root seed and the county, the same for every strategy)."""
    seq = np.random.SeedSequence([root_seed, zlib.crc32(county_id.encode()), zlib.crc32(b"village_inputs")])
    rng = np.random.default_rng(seq)
    internet = rng.uniform(cfg.internet_use.min, cfg.internet_use.max, n)
    working = rng.uniform(cfg.working_age_share.min, cfg.working_age_share.max, n)
    if villages_csv:
        for i, (line, row) in enumerate(read_rows(Path(villages_csv), ("id",), "villages file", n)):
            for col, arr in (("internet_use", internet), ("working_age_share", working)):
                if (row.get(col) or "").strip():
                    arr[i] = number(row, col, Path(villages_csv), line, lo=0, hi=1)
    return internet, working


def village_ceilings(ceiling: float, cfg: VillageInputs, internet_use: np.ndarray,
                     working_age_share: np.ndarray) -> np.ndarray:
    """Each village's adoption ceiling (see :class:`VillageInputs`), in [0, 1]. A
    village where nobody uses the internet gets a tiny positive ceiling (the Bass
    curve needs one) instead of 0."""
    rel = (np.asarray(internet_use, float) / cfg.reference_internet_use) ** cfg.internet_elasticity \
        * (np.asarray(working_age_share, float) / cfg.reference_working_age_share) ** cfg.working_age_elasticity
    return np.clip(ceiling * rel, 1e-6, 1.0)


def with_promoters(p: float, ceiling, cfg: PromoterConfig, promoted: np.ndarray):
    """The innovation coefficient and ceiling of each village where ``promoted`` says
    a promoter works (arrays), the others unchanged."""
    promoted = np.asarray(promoted, bool)
    p_v = np.where(promoted, p * cfg.p_factor, p)
    m_v = np.where(promoted, np.minimum(np.asarray(ceiling, float) + cfg.ceiling_added, 1.0), ceiling)
    return p_v, m_v
