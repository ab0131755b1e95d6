"""The 95% t interval's coverage of the true mean, for normal and skewed data
(the interval the experiments report for every KPI)."""
from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.config.scenario import CountyConfig, Scenario
from sim.county.kpis import run_replication
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
# t coverage: 1,000 macro-replications per (distribution, n). The interval's true
# coverage is 0.95 for normal data; for exponential data it undercovers at small n (the
# sample mean and standard deviation are positively correlated). Its true coverage
# there was computed once, independently of sim.analysis.statistics, by a vectorised
# run of 4,000,000 macro-replications (numpy default_rng(12345), scipy's t quantile;
# binomial s.e. 0.0002): 0.8829 at n = 5 and 0.9188 at n = 20. A case passes if its
# coverage is within 3 binomial standard errors (of a 1,000-run estimate) of the true
# value, on either side: floor = true - 3 s.e., ceiling = true + 3 s.e.
COVERAGE_MACRO = 1000
COVERAGE_NS = (5, 20)
TRUE_COVERAGE = {("normal", 5): 0.95, ("normal", 20): 0.95, ("exponential", 5): 0.8829,
                 ("exponential", 20): 0.9188}
BAND_SE = 3.0


def coverage_band(true: float, trials: int, k: float = BAND_SE) -> tuple[float, float]:
    """(floor, ceiling) = true -+ k binomial standard errors of a coverage estimate from ``trials`` runs."""
    se = math.sqrt(true * (1.0 - true) / trials)
    return true - k * se, min(1.0, true + k * se)


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
            true = TRUE_COVERAGE[(dist, n)]
            floor, ceiling = coverage_band(true, COVERAGE_MACRO)
            note = f"{COVERAGE_MACRO} macro-replications of {n} values each; binomial 95% half-width {hw_cov:.3f}."
            if dist == "exponential":
                note += (" Skewed data: the t interval undercovers at small n (the sample mean and standard deviation "
                         "are positively correlated); the expected value is its true coverage, not 0.95.")
            out.append(CaseResult(
                case=f"t_coverage_{dist}_n{n}", group="statistics",
                checks=f"The 95% t interval (sim.analysis.statistics.t_interval) from {n} {dist} values covers "
                       f"the true mean as often as the interval's true coverage says.",
                expected=true,
                source=("Student t interval: coverage 0.95, exact for normal data" if dist == "normal" else
                        "true coverage of the 95% t interval on exponential data (4,000,000-run vectorised "
                        "computation, see the module)"),
                simulated=cov, half_width=hw_cov,
                tolerance=f"coverage within {floor:.3f}-{ceiling:.3f} (true value +- 3 binomial s.e.)",
                passed=bool(floor <= cov <= ceiling),
                unit="share", replications=COVERAGE_MACRO, note=note, figure=fig_name))
            plot.append((f"{dist}\nn={n}", cov, hw_cov, floor, ceiling))

    fig = Figure(figsize=(5.0, 3.2), layout="constrained")
    ax = fig.subplots()
    xs = np.arange(len(plot))
    for i, p in enumerate(plot):   # what passes: the true coverage +- 3 binomial standard errors
        ax.fill_between([i - 0.35, i + 0.35], p[3], p[4], color="tab:green", alpha=0.25, lw=0,
                        label="acceptance band" if i == 0 else None)
    ax.errorbar(xs, [p[1] for p in plot], yerr=[p[2] for p in plot], fmt="o", color="C0", capsize=3,
                label="simulated coverage (95% CI)")
    ax.axhline(0.95, color="k", ls="--", lw=0.8, label="nominal 0.95")
    ax.set_xticks(xs, [p[0] for p in plot], fontsize="small")
    ax.set_ylim(0.8, 1.0)
    ax.set_ylabel("coverage of the 95% t interval (share)")
    ax.legend(fontsize="small", loc="lower right")
    save_figure(fig, figures_dir, fig_name)
    return out


# ---- coverage on the model's own output ------------------------------------------------
#: root seeds (independent trials), replications per trial, window days
MODEL_COVERAGE_SEEDS, MODEL_COVERAGE_REPS, MODEL_COVERAGE_DAYS = 200, 5, 10
#: three villages (id, township, x km, y km, residents, road class): the true mean of the
#: parcels ordered over the window is sum(residents) x 5 / 365 x days (Poisson, no calendar)
MODEL_COVERAGE_VILLAGES = (("V1", "T1", 10, 0, 1000, "cement"), ("V2", "T1", 0, 12, 2000, "cement"),
                           ("V3", "T2", -8, -5, 3000, "gravel"))


def run_model_coverage(figures_dir: Path) -> list[CaseResult]:
    """Do the 95% t intervals the experiments report cover a KPI's true mean? Each of
    MODEL_COVERAGE_SEEDS root seeds gives one interval over MODEL_COVERAGE_REPS
    replications of a small county's parcels ordered; the true mean is known in closed form."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "villages.csv"
        rows = "".join(",".join(map(str, v)) + "\n" for v in MODEL_COVERAGE_VILLAGES)
        csv.write_text("id,township,x_km,y_km,residents,road_class\n" + rows)
        sc = Scenario(horizon_d=MODEL_COVERAGE_DAYS, start_doy=100, warmup_d=0, replications=1, crops=(),
                      county=CountyConfig(villages_csv=str(csv)))
        sc = sc.updated({"demand.distribution": "poisson", "demand.calendar": [], "demand.growth_per_y": 0.0,
                         "demand.parcels_per_resident_y": 5.0, "stations.coverage_share": 1.0})
        residents = sum(v[4] for v in MODEL_COVERAGE_VILLAGES)
        true = residents * 5.0 / 365.0 * MODEL_COVERAGE_DAYS
        hits = 0
        for s in range(MODEL_COVERAGE_SEEDS):
            seeded = dataclasses.replace(sc, seed=SEED + 1000 + s)
            x = [run_replication(seeded, r).kpis["inbound_parcels_ordered"] for r in range(MODEL_COVERAGE_REPS)]
            m, hw = mean_ci(x)
            hits += abs(m - true) <= hw
    cov = hits / MODEL_COVERAGE_SEEDS
    # parcels ordered are a Poisson total of mean ~822: nearly normal, so the t interval's
    # true coverage is 0.95 at any n
    floor, ceiling = coverage_band(0.95, MODEL_COVERAGE_SEEDS)
    hw_cov = 1.96 * math.sqrt(cov * (1 - cov) / MODEL_COVERAGE_SEEDS)
    return [CaseResult(
        case="model_coverage_parcels_ordered", group="statistics",
        checks=f"The 95% t interval of inbound_parcels_ordered over {MODEL_COVERAGE_REPS} replications of a "
               f"three-village county (Poisson demand, no calendar, {MODEL_COVERAGE_DAYS} days) covers its true mean "
               f"for about 95% of {MODEL_COVERAGE_SEEDS} independent root seeds.",
        expected=0.95, source=f"true mean = residents {residents:,} x 5/365 x {MODEL_COVERAGE_DAYS} d = {true:.1f} "
                              "parcels; t interval coverage 0.95 for (nearly) normal totals",
        simulated=cov, half_width=hw_cov,
        tolerance=f"coverage within {floor:.3f}-{ceiling:.3f} (0.95 +- 3 binomial s.e. for "
                  f"{MODEL_COVERAGE_SEEDS} trials)",
        passed=bool(floor <= cov <= ceiling), unit="share", replications=MODEL_COVERAGE_SEEDS,
        note=f"{hits} of {MODEL_COVERAGE_SEEDS} intervals cover {true:.1f}.")]
