"""The 95% t interval's coverage of the true mean, for normal and skewed data
(the interval the experiments report for every KPI)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from sim.county.rng import generator
from sim.validation.core import (
    SEED,
    CaseResult,
    figures_folder,
    mean_ci,
    save_figure,
)

# ---------------------------------------------------------------------------------
# Settings and tolerances: all fixed here, before any case runs, never adjusted to
# results. Every case draws from streams of the root seed SEED (sim.validation.core),
# with a stream name per case and configuration, so configurations are independent.
# ---------------------------------------------------------------------------------
# t coverage: 1,000 macro-replications per (distribution, n). Floors: 0.93 for normal
# data (nominal 0.95 less ~3 binomial standard errors of a 1,000-run estimate); 0.90
# for exponential data, where the t interval is known to undercover at small n.
COVERAGE_MACRO = 1000
COVERAGE_NS = (5, 20)
COVERAGE_MIN = {"normal": 0.93, "exponential": 0.90}


# ---- t-interval coverage --------------------------------------------------------------
COVERAGE_REFERENCE = 200_000  # macro-replications of the vectorised reference, quoted in notes only


def _t_coverage_reference(dist: str, true_mean: float, n: int) -> float:
    """Coverage of the 95% t interval by a large vectorised run (for the note on a shortfall)."""
    rng = generator(SEED, 1, f"theory/t_coverage/reference/{dist}/n{n}")
    x = rng.normal(true_mean, 2.0, (COVERAGE_REFERENCE, n)) if dist == "normal" \
        else rng.exponential(true_mean, (COVERAGE_REFERENCE, n))
    hw = stats.t.ppf(0.975, n - 1) * x.std(axis=1, ddof=1) / math.sqrt(n)
    return float(np.mean(np.abs(x.mean(axis=1) - true_mean) <= hw))


def run_t_coverage(figures_dir: Path) -> list[CaseResult]:
    figures_dir = figures_folder(figures_dir)
    fig_name = "theory_t_coverage.png"
    out, plot = [], []
    for dist, true_mean in (("normal", 10.0), ("exponential", 1.0)):
        for n in COVERAGE_NS:
            rng = generator(SEED, 0, f"theory/t_coverage/{dist}/n{n}")
            data = rng.normal(true_mean, 2.0, (COVERAGE_MACRO, n)) if dist == "normal" \
                else rng.exponential(true_mean, (COVERAGE_MACRO, n))
            hits = 0
            for row in data:
                m, hw = mean_ci(row)
                hits += abs(m - true_mean) <= hw
            cov = hits / COVERAGE_MACRO
            hw_cov = 1.96 * math.sqrt(cov * (1 - cov) / COVERAGE_MACRO)
            floor = COVERAGE_MIN[dist]
            note = f"{COVERAGE_MACRO} macro-replications of {n} values each; binomial 95% half-width {hw_cov:.3f}."
            if dist == "exponential":
                note += (" Skewed data: the t interval undercovers at small n (the sample mean and standard deviation "
                         "are positively correlated), hence the lower floor stated up front.")
            if cov < floor:
                ref = _t_coverage_reference(dist, true_mean, n)
                note += (f" Coverage {cov:.3f} is below the floor {floor:.2f}. A vectorised reference run of "
                         f"{COVERAGE_REFERENCE:,} macro-replications gives {ref:.3f}: the t interval's true coverage "
                         f"on exponential data at n = {n}, not a code fault, and a reason to use more than {n} "
                         f"replications for skewed KPIs.")
            out.append(CaseResult(
                case=f"t_coverage_{dist}_n{n}", group="statistics",
                checks=f"The 95% t interval (sim.analysis.statistics.t_interval) from {n} {dist} values covers "
                       f"the true mean in about 95% of macro-replications.",
                expected=0.95, source="Student t interval: nominal coverage 0.95 (exact for normal data)",
                simulated=cov, half_width=hw_cov, tolerance=f"coverage >= {floor:.2f}", passed=bool(cov >= floor),
                unit="share", replications=COVERAGE_MACRO, note=note, figure=fig_name))
            plot.append((f"{dist[:4]} n={n}", cov, hw_cov, floor))

    fig = Figure(figsize=(4.5, 3.0))
    ax = fig.subplots()
    xs = np.arange(len(plot))
    ax.bar(xs, [p[1] for p in plot], yerr=[p[2] for p in plot], color="C0", capsize=3)
    ax.axhline(0.95, color="k", ls="--", lw=0.8, label="nominal 0.95")
    for i, p in enumerate(plot):
        ax.plot([i - 0.4, i + 0.4], [p[3]] * 2, "r-", lw=1.2, label="floor" if i == 0 else None)
    ax.set_xticks(xs, [p[0] for p in plot], fontsize=7)
    ax.set_ylim(0.8, 1.0)
    ax.set_ylabel("coverage")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, figures_dir, fig_name)
    return out
