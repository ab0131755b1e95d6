"""Running validation cases and writing the report a reviewer reads:
results/validation/report.md with the known disagreements first, then per case what
it checks, the expected value and its source, the simulated mean with its 95%
confidence interval, the tolerance (and, for theory cases, the tolerance and the
interval's half-width as relative errors) and PASS or FAIL, the calibration checks
apart, plus the figures."""
from __future__ import annotations

import datetime as _dt
import math
import time
import traceback
from pathlib import Path

from sim.files import atomic_write_text, remove_figures
from sim.reports.render import render as render_template
from sim.validation.core import Case, CaseResult
from sim.validation.known import KNOWN, Known, judge

GROUPS = (("theory", "Against theory"), ("extreme", "Extreme and degenerate conditions"),
          ("public", "Against public figures"), ("statistics", "The statistics themselves"),
          ("calibration", "Calibration checks (not evidence: inputs were tuned to these figures)"))


def run_cases(cases: list[Case], figures: Path, progress=None) -> tuple[list[CaseResult], dict]:
    """Run every case; a case that raises is a FAIL with its traceback as the note."""
    results, timings = [], {}
    for case in cases:
        t0 = time.perf_counter()
        try:
            results += case.run(figures)
        except Exception as exc:  # a broken case must show in the report, not stop it
            results.append(CaseResult(case.name, case.group, "(the case raised)", "", "", math.nan, math.nan, "",
                                      False, note=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
        timings[case.name] = time.perf_counter() - t0
        if progress:
            progress(case, timings[case.name])
    return results, timings


def _row(r: CaseResult, known: dict[str, Known]) -> dict:
    rel = None
    if r.tol_rel is not None:
        rel = f"{r.tol_rel:.1%} / {r.hw_rel:.2%}" if r.hw_rel is not None else f"{r.tol_rel:.1%} / —"
    return {"case": r.case, "checks": r.checks, "expected": r.expected, "source": r.source,
            "simulated": r.simulated, "half_width": None if math.isnan(r.half_width) else r.half_width,
            "unit": f" {r.unit}" if r.unit else "", "replications": r.replications,
            "tolerance": r.tolerance, "passed": r.passed, "known": r.case in known, "relative": rel}


def render(results: list[CaseResult], timings: dict, fast_only: bool,
           known: dict[str, Known] | None = None) -> str:
    """The report's Markdown, from the template ``validation.md.j2`` of :mod:`sim.reports`."""
    known = KNOWN if known is None else known
    verdict = judge(results, known)
    groups = []
    drawn: dict[str, str] = {}   # figure -> the section that shows it (a figure shared by cases is shown once)
    for group, title in GROUPS:
        rows = [r for r in results if r.group == group]
        if not rows:
            continue
        figures = sorted({r.figure for r in rows if r.figure})
        groups.append({
            "title": title,
            "rows": [_row(r, known) for r in rows],
            "notes": [{"case": r.case, "passed": r.passed, "note": r.note.strip()} for r in rows if r.note],
            "figures": [f for f in figures if f not in drawn],
            "shown_above": [{"figure": f, "section": drawn[f]} for f in figures if f in drawn],
        })
        drawn.update({f: title for f in figures if f not in drawn})
    shown = [r for r in results if r.case in known]
    context = {"generated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
               "scope": "fast cases only" if fast_only else "all cases", "total_s": sum(timings.values()),
               "passed": sum(r.passed for r in results), "checks": len(results), "groups": groups,
               "failed": [r.case for r in verdict.failed],
               "known": [{"case": r.case, "passed": r.passed, "simulated": r.simulated, "expected": r.expected,
                          "unit": f" {r.unit}" if r.unit else "", "reason": known[r.case].reason,
                          "numbers": known[r.case].numbers} for r in shown],
               "now_agree": [r.case for r in verdict.now_agree],
               "timings": list(timings.items())}
    return render_template("validation.md.j2", context)


def write_validation_report(cases: list[Case], out: Path, fast_only: bool = False,
                            progress=None) -> list[CaseResult]:
    """Run ``cases`` and write ``out/report.md`` with the figures in ``out/figures``; returns the results."""
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    results, timings = run_cases(cases, figures, progress)
    # the figures the report shows; others (of cases not run this time, or no longer drawn) go
    remove_figures(figures, keep=[figures / r.figure for r in results if r.figure])
    atomic_write_text(out / "report.md", render(results, timings, fast_only))
    return results
