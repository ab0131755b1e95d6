"""What a validation case is and what it reports: the check, the expected value and
its source, the simulated mean with its 95% confidence interval, the tolerance
stated before the run, and PASS or FAIL."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.analysis.statistics import t_interval

#: the root seed of every theory case (sim.county.rng.generator streams, one name per case
#: and configuration), fixed before any case runs
SEED = 20240601
#: the tolerance of a check against theory over replications
CI99_TOL = "theory within the 99% t interval of the replication means"


@dataclass
class CaseResult:
    case: str                 # a short id, e.g. "erlang_c_wait_c2_rho0.9"
    group: str                # "theory", "extreme", "public" or "statistics"
    checks: str               # what it checks, one sentence
    expected: float | str     # the value it should come close to (or a range or a direction, as text)
    source: str               # where the expected value comes from
    simulated: float          # the mean over replications (or the single value)
    half_width: float         # 95% confidence half-width of ``simulated`` (NaN if deterministic)
    tolerance: str            # stated before the run
    passed: bool
    unit: str = ""
    note: str = ""            # why it disagrees, or what to read into it
    figure: str | None = None  # a file name in the report's figures folder
    replications: int = 1


@dataclass(frozen=True)
class Case:
    """A validation case: ``run(figures_dir)`` returns one or more results. ``slow``
    cases run in ``make validate`` only; the others also run in ``make test``."""
    name: str
    group: str
    slow: bool
    run: Callable[[Path], list[CaseResult]] = field(repr=False)


def mean_ci(values) -> tuple[float, float]:
    """Mean and 95% t half-width of replication values (the experiments' :func:`t_interval`)."""
    m, hw, _ = t_interval(list(values))
    return m, hw


def within_ci(expected: float, values, confidence_hw: float | None = None) -> tuple[float, float, bool]:
    """Mean, half-width and whether ``expected`` lies within mean +- half-width."""
    m, hw = mean_ci(values)
    hw = hw if confidence_hw is None else confidence_hw
    return m, hw, bool(abs(m - expected) <= hw)


def relative_error(simulated: float, expected: float) -> float:
    return abs(simulated - expected) / abs(expected) if expected else math.inf


def ci99_half_width(values) -> float:
    """99% t half-width, for checks against theory over many cases (fewer false alarms)."""
    return t_interval(list(values), confidence=0.99)[1]


def save_figure(fig, figures: Path, name: str) -> str:
    """Write a case's figure as PNG into the report's figures folder; returns its name."""
    figures.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures / name, dpi=100)
    return name


def figures_folder(figures_dir: Path) -> Path:
    """The report's figures folder, created if needed."""
    p = Path(figures_dir)
    p.mkdir(parents=True, exist_ok=True)
    return p
