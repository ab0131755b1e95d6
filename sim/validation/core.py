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
#: groups whose results are evidence for the model (the report's own sections); a
#: "calibration" result shows an input still reproduces the figure it was tuned to
GROUPS = ("theory", "extreme", "public", "statistics", "calibration")


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
    tol_rel: float | None = None  # the tolerance as a relative error on the quantity (theory cases)
    hw_rel: float | None = None   # the 95% half-width relative to the expected value (must be < tol_rel)


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


def relative_result(case: str, checks: str, expected: float, source: str, values, tol_rel: float, unit: str,
                    note: str = "", figure: str | None = None, group: str = "theory") -> CaseResult:
    """A result that passes if the mean of ``values`` is within ``tol_rel`` (relative) of
    ``expected`` and its 95% interval is narrower than the tolerance (else the case is
    too small to tell and fails)."""
    m, hw = mean_ci(values)
    err, hw_rel = relative_error(m, expected), hw / abs(expected)
    ok = bool(err <= tol_rel and hw_rel < tol_rel)
    extra = f"relative error {err:.2%}, 95% half-width {hw_rel:.2%} of the expected value."
    if hw_rel >= tol_rel:
        extra += " The interval is not narrower than the tolerance: too few replications to tell."
    return CaseResult(case=case, group=group, checks=checks, expected=float(expected), source=source,
                      simulated=float(m), half_width=float(hw), tolerance=f"relative error <= {tol_rel:.1%}",
                      passed=ok, unit=unit, note=f"{note} {extra}".strip(), figure=figure,
                      replications=len(list(values)), tol_rel=tol_rel, hw_rel=hw_rel)


def ci99_half_width(values) -> float:
    """99% t half-width, for checks against theory over many cases (fewer false alarms)."""
    return t_interval(list(values), confidence=0.99)[1]


def save_figure(fig, figures: Path, name: str) -> str:
    """Write a case's figure as PNG (at the house resolution, atomically) into the
    report's figures folder; returns its name."""
    from sim.figures.base import PNG_DPI, atomic_savefig

    figures.mkdir(parents=True, exist_ok=True)
    atomic_savefig(fig, figures / name, "png", dpi=PNG_DPI)
    return name


def figures_folder(figures_dir: Path) -> Path:
    """The report's figures folder, created if needed."""
    p = Path(figures_dir)
    p.mkdir(parents=True, exist_ok=True)
    return p
