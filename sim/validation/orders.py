"""Daily order counts against their distributions: Poisson and negative binomial
counts (dispersion and goodness of fit) and the season's mean orders by day of year."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from sim.config.scenario import DemandConfig, Scenario
from sim.county.demand import daily_means, draw_counts
from sim.county.rng import generator
from sim.validation.core import (
    SEED,
    CaseResult,
    figures_folder,
    relative_result,
    save_figure,
)

# ---------------------------------------------------------------------------------
# Settings and tolerances: all fixed here, before any case runs, never adjusted to
# results. Every case draws from streams of the root seed SEED (sim.validation.core),
# with a stream name per case and configuration, so configurations are independent.
# ---------------------------------------------------------------------------------

# Order counts: 20,000 draws per distribution test and 1,000 simulated years for the
# season (365,000 days). GOF passes if p > 0.01; means and dispersion indices must be
# within a relative tolerance of their theory value, with 95% intervals narrower.
ORDER_DRAWS = 20_000
ORDER_YEARS = 1000
ORDER_RESIDENTS = 2000.0      # one village: 2000 x 5/365 = 27.4 parcels/day on a normal day
PARCELS_PER_RESIDENT_Y = 5.0  # the documented default (domain notes: about 5 a year)
NB_K = 5.0
GOF_ALPHA = 0.01
MEAN_TOL = 0.05               # relative, a season group's mean daily orders
DISPERSION_TOL = 0.08         # relative, a dispersion index var/mean
#: the seasonal calendar as the domain notes and the documented defaults state it,
#: written here independently of the model's calendar code: (first day of year, days,
#: multiplier). Singles' Day 11 Nov ~3x for ~6 days; Spring Festival run-up 2x for 14
#: days from 25 Jan; the holiday week at 0.2 from 8 Feb (10-30% of normal).
SEASON_TABLE = ((315, 6, 3.0), (25, 14, 2.0), (39, 7, 0.2))


def season_table_multiplier(doy: np.ndarray) -> np.ndarray:
    """Multiplier of each day of year (1..365) from SEASON_TABLE; overlapping events multiply."""
    doy = np.asarray(doy)
    mult = np.ones(doy.shape)
    for first, days, m in SEASON_TABLE:
        mult[(doy >= first) & (doy < first + days)] *= m
    return mult


# ---------------------------------------------------------------------------------
# Small math helpers (unit-tested in tests/validation/test_validation_theory.py)
# ---------------------------------------------------------------------------------
def dispersion_index(x: np.ndarray) -> tuple[float, float]:
    """Dispersion index var/mean of a sample and its delta-method standard error from
    the sample central moments (distribution-free; 2/n for Poisson data)."""
    x = np.asarray(x, float)
    n = len(x)
    m = x.mean()
    d = x - m
    v = float((d**2).sum() / (n - 1))
    mu3, mu4 = float((d**3).mean()), float((d**4).mean())
    var_d = (v**3 / m**4 - 2.0 * v * mu3 / m**3 + (mu4 - v**2) / m**2) / n
    return v / m, math.sqrt(max(var_d, 0.0))


def chi2_gof(x: np.ndarray, dist, min_expected: float = 5.0) -> tuple[float, int, float]:
    """Chi-square goodness of fit of integer sample ``x`` to a frozen discrete scipy
    distribution (parameters known, not fitted): cells pooled from the left until each
    expects >= ``min_expected``; the last cell holds the upper tail. (statistic, df, p)."""
    x = np.asarray(x, np.int64)
    n = len(x)
    kmax = int(x.max())
    obs = np.bincount(x, minlength=kmax + 1).astype(float)
    exp = n * dist.pmf(np.arange(kmax + 1))
    exp[0] += n * dist.cdf(-1)
    exp[-1] += n * dist.sf(kmax)
    cells_o, cells_e, o_acc, e_acc = [], [], 0.0, 0.0
    for o, e in zip(obs, exp, strict=True):
        o_acc += o
        e_acc += e
        if e_acc >= min_expected:
            cells_o.append(o_acc)
            cells_e.append(e_acc)
            o_acc = e_acc = 0.0
    if e_acc > 0 or o_acc > 0:  # leftover tail: merge into the last cell
        cells_o[-1] += o_acc
        cells_e[-1] += e_acc
    co, ce = np.array(cells_o), np.array(cells_e)
    ce *= co.sum() / ce.sum()  # remove round-off in the total
    stat, p = stats.chisquare(co, ce)
    return float(stat), len(co) - 1, float(p)


# ---- Daily order counts -----------------------------------------------------------
def _dispersion_result(case, checks, x, expected, source, note, figure) -> CaseResult:
    d, se = dispersion_index(x)
    hw = float(stats.norm.ppf(0.975) * se)
    err, hw_rel = abs(d - expected) / expected, hw / expected
    return CaseResult(case=case, group="theory", checks=checks, expected=float(expected), source=source,
                      simulated=d, half_width=hw,
                      tolerance=f"relative error <= {DISPERSION_TOL:.0%} (95% interval from the delta-method standard "
                                "error of the sample central moments)",
                      passed=bool(err <= DISPERSION_TOL and hw_rel < DISPERSION_TOL), unit="", replications=len(x),
                      note=f"{note} Relative error {err:.2%}, 95% half-width {hw_rel:.2%}.", figure=figure,
                      tol_rel=DISPERSION_TOL, hw_rel=hw_rel)


def _gof_result(case, checks, x, dist, source, figure) -> CaseResult:
    stat, df, p = chi2_gof(x, dist)
    crit = float(stats.chi2.ppf(1 - GOF_ALPHA, df))
    return CaseResult(case=case, group="theory", checks=checks, expected=float(df), source=source, simulated=stat,
                      half_width=math.nan,
                      tolerance=f"chi-square p-value > {GOF_ALPHA} (statistic < {crit:.1f}, the 0.99 quantile with "
                                f"{df} df; cells pooled so each expects >= 5)",
                      passed=bool(p > GOF_ALPHA), unit="chi2", replications=len(x),
                      note=f"{len(x):,} draws; statistic {stat:.1f} on {df} df (its mean under the hypothesis), "
                           f"p = {p:.3f}.", figure=figure)


def run_order_counts(figures_dir: Path) -> list[CaseResult]:
    figures_dir = figures_folder(figures_dir)
    fig_name = "theory_order_counts.png"
    base = ORDER_RESIDENTS * DemandConfig().parcels_per_resident_y / 365.0
    disp_note = ("The delta-method variance of var/mean uses the sample's 2nd-4th central moments, so it does not "
                 "assume the distribution under test (it gives 2/n for Poisson data).")
    out = []

    # (a) Poisson
    cfg_p = DemandConfig(distribution="poisson")
    xp = draw_counts(cfg_p, np.full(ORDER_DRAWS, base), generator(SEED, 0, "theory/order_counts/poisson"))
    out.append(_dispersion_result(
        "order_counts_poisson_dispersion",
        f"Dispersion index var/mean of Poisson daily order counts (mean {base:.1f}) is 1.", xp, 1.0,
        "Poisson: variance = mean", f"{ORDER_DRAWS:,} draws. {disp_note}", fig_name))
    out.append(_gof_result(
        "order_counts_poisson_gof", f"Poisson daily order counts (mean {base:.1f}) follow the Poisson pmf.",
        xp, stats.poisson(base), "Chi-square goodness of fit against scipy.stats.poisson(mean)", fig_name))

    # (b) negative binomial, k = 5
    cfg_nb = DemandConfig(distribution="negative_binomial", dispersion_k=NB_K)
    xn = draw_counts(cfg_nb, np.full(ORDER_DRAWS, base), generator(SEED, 0, "theory/order_counts/nbinom"))
    out.append(_dispersion_result(
        "order_counts_nbinom_dispersion",
        f"Dispersion index of negative-binomial (k = {NB_K:g}) daily order counts (mean {base:.1f}) is 1 + mean/k.",
        xn, 1.0 + base / NB_K, "Negative binomial: variance = mean + mean^2/k",
        f"{ORDER_DRAWS:,} draws. {disp_note}", fig_name))
    nb = stats.nbinom(NB_K, NB_K / (NB_K + base))
    out.append(_gof_result(
        "order_counts_nbinom_gof",
        f"Negative-binomial (k = {NB_K:g}) daily order counts (mean {base:.1f}) follow the nbinom(k, k/(k+mean)) pmf.",
        xn, nb, "Chi-square goodness of fit against scipy.stats.nbinom(k, k/(k+mean))", fig_name))

    # (c) the default seasonal calendar, over many simulated years, against SEASON_TABLE
    cfg = DemandConfig()
    base_doc = ORDER_RESIDENTS * PARCELS_PER_RESIDENT_Y / 365.0
    horizon = 365 * ORDER_YEARS
    scen = Scenario(demand=cfg, horizon_d=horizon, start_doy=1, warmup_d=0)
    means = daily_means(scen, np.array([ORDER_RESIDENTS]))[:, 0]
    xs = draw_counts(cfg, means, generator(SEED, 0, "theory/order_counts/season"))
    mult = season_table_multiplier(np.arange(horizon) % 365 + 1)
    k = cfg.dispersion_k
    groups = []
    for g in np.unique(mult):
        sel = mult == g
        x, mg = xs[sel], base_doc * g
        days = int(sel.sum()) // ORDER_YEARS
        res = relative_result(
            f"order_counts_season_x{g:g}_mean",
            f"Mean daily orders of one village of {ORDER_RESIDENTS:.0f} residents on the {days} days a year with "
            f"season multiplier {g:g} (default calendar) equal residents x 5/365 x {g:g}.",
            mg, "the domain notes' calendar written in the validation module (SEASON_TABLE), 5 parcels per "
                "resident per year", x, MEAN_TOL, "parcels/day",
            note=f"{ORDER_YEARS} simulated years, {int(sel.sum()):,} days in the group;", figure=fig_name)
        out.append(res)
        out.append(_dispersion_result(
            f"order_counts_season_x{g:g}_dispersion",
            f"Dispersion index of daily orders on days with season multiplier {g:g} is 1 + mean/k (k = {k:g}).",
            x, 1.0 + mg / k, "Negative binomial (default DemandConfig): variance = mean + mean^2/k",
            f"{int(sel.sum()):,} days over {ORDER_YEARS} simulated years. {disp_note}", fig_name))
        groups.append((g, mg, res.simulated, res.half_width))

    fig = Figure(figsize=(9, 3.0))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for ax, x, dist, title in ((ax1, xp, stats.poisson(base), "Poisson"), (ax2, xn, nb, f"neg. binomial k={NB_K:g}")):
        ks = np.arange(0, int(x.max()) + 1)
        ax.bar(ks, np.bincount(x, minlength=len(ks)) / len(x), width=1.0, color="0.75", label="drawn")
        ax.plot(ks, dist.pmf(ks), "r-", lw=1, label="pmf")
        ax.set_title(f"{title}, mean {base:.1f}", fontsize=9)
        ax.set_xlabel("orders per day", fontsize=9)
        ax.legend(fontsize="small")
    ax3.errorbar([g[1] for g in groups], [g[2] for g in groups], yerr=[g[3] for g in groups], fmt="o")
    top = max(g[1] for g in groups) * 1.1
    ax3.plot([0, top], [0, top], "k--", lw=0.8)
    ax3.set_xlabel("expected mean (season groups)", fontsize=9)
    ax3.set_ylabel("drawn mean", fontsize=9)
    ax3.set_title(f"default calendar, {ORDER_YEARS} years", fontsize=9)
    for ax in (ax1, ax2, ax3):
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    save_figure(fig, figures_dir, fig_name)
    return out
