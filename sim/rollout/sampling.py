"""Which days of a month a rollout simulates. ``first_days``: one block of
``sample_days`` at the month's start, scaled to the month (cheap, but a month whose peak
falls elsewhere, such as the Spring Festival run-up, is misread). ``stratified``: the
month is cut into equal strata and one block of ``sample_days`` starts at a random day
inside each, weighted by its stratum's length, so every day of the month is equally
likely to be sampled and peaks count in proportion. Each block runs after its own
``warmup_days``; a warm-up at least as long as the produce's shelf life makes the
produce that spoils within the block a steady-state flow (with a shorter one, produce
cannot age past its shelf life inside the run and spoilage is understated)."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from sim.config.schema import FieldError, spec

DAYS_PER_MONTH = 365.0 / 12.0
SAMPLING_METHODS = ("first_days", "stratified")


@dataclass(frozen=True)
class Sampling:
    """How a month's sample days are chosen."""
    method: str = spec("first_days", "first_days: one block at the month's start; stratified: one block in each of "
                       "`strata` equal parts of the month, at a random day", choices=SAMPLING_METHODS, source="")
    strata: int = spec(2, "Equal parts of the month with one sample block each (stratified only)", lo=1, hi=31,
                       source="")


@dataclass(frozen=True)
class Block:
    """One run of a month's sample: its KPI window starts ``offset_d`` whole days after
    the month's first day (its warm-up runs before), and its KPIs count ``weight``
    times (days of the month it stands for / sample days)."""
    index: int
    offset_d: int
    weight: float


def check_sampling(sampling: Sampling, sample_days: int) -> None:
    """A stratum must be at least a block long (blocks of two strata would otherwise
    always overlap)."""
    if sampling.method == "stratified" and sampling.strata * sample_days > 30:
        raise FieldError("sampling.strata", sampling.strata,
                         f"expected strata x sample_days <= 30 (sample_days is {sample_days}): each stratum must be "
                         "at least a block long")


def month_days(start_doy: int, month: int) -> int:
    """Whole days from the month's first day to the next month's (30 or 31): month
    ``m`` starts ``m * 365 / 12`` days after ``start_doy``, rounded down."""
    return int(np.floor((month + 1) * DAYS_PER_MONTH + start_doy - 1)) - int(np.floor(month * DAYS_PER_MONTH
                                                                                      + start_doy - 1))


def strata_bounds(days: int, strata: int) -> list[int]:
    """Whole-day boundaries of ``strata`` near-equal parts of a ``days``-day month."""
    return [round(j * days / strata) for j in range(strata + 1)]


def month_blocks(sampling: Sampling, sample_days: int, warmup_days: int, root_seed: int, county_id: str,
                 month: int, days: int = 30) -> list[Block]:
    """The month's sample blocks (``days``: the month's whole days). Stratified: a
    block starts at a uniformly drawn day of its stratum and runs ``sample_days`` on
    (into the next stratum, or for the last one past the month's end: sampling is
    circular), so every day is sampled with probability sample_days / stratum length
    and weighted by its inverse: peaks count in proportion. The draw is keyed by (root
    seed, county, month), so every strategy samples the same days (common random
    numbers). The weights sum to the month in sample days, ``DAYS_PER_MONTH /
    sample_days``, as ``first_days``'s one block (whose window starts after the
    warm-up, which runs from the month's first day)."""
    if sampling.method == "first_days":
        return [Block(0, warmup_days, DAYS_PER_MONTH / sample_days)]
    bounds = strata_bounds(days, sampling.strata)
    seq = np.random.SeedSequence([root_seed, zlib.crc32(county_id.encode()), month, zlib.crc32(b"sample_days")])
    u = np.random.default_rng(seq).random(sampling.strata)
    scale = DAYS_PER_MONTH / days
    out = []
    for j in range(sampling.strata):
        n = bounds[j + 1] - bounds[j]
        out.append(Block(j, bounds[j] + min(int(u[j] * n), n - 1), n / sample_days * scale))
    return out


def inclusion(sampling: Sampling, sample_days: int, days: int) -> np.ndarray:
    """The probability that each day of a ``days``-day month is sampled, counting a
    block that runs past the month's end as wrapping to its start (circular)."""
    p = np.zeros(days)
    bounds = strata_bounds(days, sampling.strata) if sampling.method == "stratified" else [0, 1]
    for j in range(len(bounds) - 1):
        starts = range(bounds[j], bounds[j + 1])
        for s in starts:
            for d in range(s, s + sample_days):
                p[d % days] += 1.0 / len(starts)
    return p
