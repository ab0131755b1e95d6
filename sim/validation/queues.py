"""The hub's sorting queue against queueing theory: Erlang C for M/M/c, Kingman's
approximation for D/G/1, and the exact D/M/1 and D/Gamma/1 waits."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import simpy
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from scipy import special
from scipy.optimize import brentq

from sim.analysis.queueing import erlang_c, mmc_mean_wait
from sim.config.scenario import HubConfig
from sim.county.batches import Chunk
from sim.county.hub import Hub
from sim.county.rng import generator
from sim.county.sorting import UnitDraws
from sim.validation.core import (
    SEED,
    CaseResult,
    figures_folder,
    mean_ci,
    relative_error,
    relative_result,
    save_figure,
)

# ---------------------------------------------------------------------------------
# Settings and tolerances: all fixed here, before any case runs, never adjusted to
# results. Every case draws from streams of the root seed SEED (sim.validation.core),
# with a stream name per case and configuration, so configurations are independent.
# ---------------------------------------------------------------------------------
SORT_RATE_PER_H = 60.0        # one parcel per minute: E[S] = 1 min, waits read in units of E[S]

# Tolerances, stated as relative errors on the quantity before any case runs. The
# number of lots per replication is set per load so the 95% interval of the mean comes
# out at about half the tolerance or less (the waits' autocorrelation grows like
# 1/(1-rho)^2, so heavy loads need far more lots); the report shows both.
#: mean wait within this share of Erlang C, by utilisation
ERLANG_WAIT_TOL = {0.5: 0.04, 0.7: 0.05, 0.9: 0.10}
#: share of lots that wait within this share of the Erlang C probability of waiting
ERLANG_PWAIT_TOL = 0.03
#: lots per replication by utilisation (10 replications; the first WARMUP_LOTS dropped)
ERLANG_LOTS = {0.5: 60_000, 0.7: 100_000, 0.9: 150_000}
WARMUP_LOTS = 4_000
# warm-up: at rho = 0.9 an M/M/1 queue relaxes in ~1/(mu(1-sqrt rho)^2) ~ 380 service
# times (~340 arrivals); 4,000 dropped lots are > 10 relaxation times.
ERLANG_FAST = dict(configs=[(2, 0.5)], reps=10, lots=30_000)
ERLANG_SLOW = dict(configs=[(c, r) for c in (1, 2, 4) for r in (0.5, 0.7, 0.9)], reps=10)

# Exact D/M/1 and D/Gamma/1 waits (scheduled trunks, ca = 0): the sharp check of the
# sorting queue, relative tolerance by utilisation.
EXACT_WAIT_TOL = {0.7: 0.05, 0.8: 0.05, 0.9: 0.08}
EXACT_LOTS = {0.7: 80_000, 0.8: 80_000, 0.9: 120_000}
# Kingman (1961) for D/G/1 (ca = 0): Wq ~ (ca^2 + cs^2)/2 * rho/(1-rho) * E[S]. It is
# the heavy-traffic limit (exact as rho -> 1) and, for ca = 0, also Kingman's (1962)
# upper bound lambda(Var A + Var S)/(2(1-rho)). Away from rho -> 1 it over-estimates
# when ca^2 < 1; Kraemer & Langenbach-Belz (1976) (see Whitt 1993, "Approximations for
# the GI/G/m queue") correct it by g = exp(-2(1-rho)(1-ca^2)^2 / (3 rho (ca^2+cs^2))).
# The approximation's own known error for these queues comes from theory, not from
# simulation: the exact D/M/1 and D/Gamma/1 waits (helpers below) put it at 25/15/7%
# for exponential service at rho = 0.7/0.8/0.9 and 55/36/18% for cs = 0.5. A Kingman
# row passes if the simulated mean is within that known error plus the exact row's
# tolerance of Kingman's value.
KINGMAN_SLOW = dict(cvs=(0.5, 1.0), rhos=(0.7, 0.8, 0.9), reps=10)
KINGMAN_FAST = dict(cvs=(0.5,), rhos=(0.7,), reps=10, lots=20_000)  # cs = 0.5 varies less


# ---------------------------------------------------------------------------------
# Small math helpers (unit-tested in tests/validation/test_validation_theory.py)
# ---------------------------------------------------------------------------------
def kingman_wq(rho: float, ca2: float, cs2: float, mean_service: float = 1.0) -> float:
    """Kingman's G/G/1 approximation of the mean wait in queue."""
    return (ca2 + cs2) / 2.0 * rho / (1.0 - rho) * mean_service


def klb_factor(rho: float, ca2: float, cs2: float) -> float:
    """Kraemer & Langenbach-Belz correction of Kingman for ca^2 <= 1 (1 when ca^2 = 1)."""
    return math.exp(-2.0 * (1.0 - rho) * (1.0 - ca2) ** 2 / (3.0 * rho * (ca2 + cs2)))


def dm1_sigma(rho: float) -> float:
    """Root in (0, 1) of sigma = exp(-mu T (1 - sigma)) for D/M/1 with mu T = 1/rho."""
    if not 0.0 < rho < 1.0:
        raise ValueError(f"rho {rho!r} must be in (0, 1)")
    mu_t = 1.0 / rho

    def f(s: float) -> float:
        return s - math.exp(-mu_t * (1.0 - s))

    hi = 1.0 - 1e-12  # sigma = 1 is the trivial root; f > 0 just below it when rho < 1
    return float(brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500))


def dm1_mean_wait(rho: float, mean_service: float = 1.0) -> float:
    """Exact D/M/1 mean wait in queue: sigma / (mu (1 - sigma))."""
    s = dm1_sigma(rho)
    return s / (1.0 - s) * mean_service


def dgamma1_mean_wait(rho: float, cv: float, mean_service: float = 1.0, rel_tol: float = 1e-12) -> float:
    """Exact D/Gamma/1 mean wait by Spitzer's identity, E[W] = sum_n E[(S_1+..+S_n - nT)^+]/n,
    with S_1+..+S_n ~ Gamma(n k, E[S]/k), k = 1/cv^2 and T = E[S]/rho."""
    k = 1.0 / cv**2
    theta = mean_service / k
    period = mean_service / rho
    total, n0, block = 0.0, 1, 4000
    while True:
        n = np.arange(n0, n0 + block, dtype=float)
        a, c = n * k, n * period
        x = c / theta
        term = np.maximum(a * theta * special.gammaincc(a + 1.0, x) - c * special.gammaincc(a, x), 0.0) / n
        total += float(term.sum())
        if term[-1] <= rel_tol * total or n0 > 10**7:
            return total
        n0 += block





# ---------------------------------------------------------------------------------
# The hub's sorting queue driven with one-parcel lots
# ---------------------------------------------------------------------------------
def sort_queue_waits(servers: int, gaps_h: np.ndarray, distribution: str, cv: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Waits (h) for a sorter of one-parcel lots arriving at the hub after ``gaps_h``,
    with sort time 1/SORT_RATE_PER_H x a unit-mean draw of ``distribution``."""
    env = simpy.Environment()
    cfg = HubConfig(sorters=servers, sort_rate_parcels_per_h=SORT_RATE_PER_H,
                    sort_time_distribution=distribution, sort_time_cv=cv)
    hub = Hub(env, cfg, np.zeros(1, np.int64), 1, UnitDraws(rng, distribution, cv), np.ones(1))
    village, t_order, bounds = np.zeros(1, np.int64), np.zeros(1), np.array([0, 1])

    def arrivals():
        for g in gaps_h:
            yield env.timeout(g)
            hub.receive([Chunk(village, t_order, bounds)])

    env.process(arrivals())
    env.run()
    hub.settle()
    return np.asarray(hub.lot_waits_h)



def _plain_log_ticks(axis) -> None:
    """Decimal labels at 1, 2, 5 x 10^k on a log axis, no minor labels."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


# ---- Erlang C ---------------------------------------------------------------------
def _erlang(name: str, settings: dict, figures_dir: Path) -> list[CaseResult]:
    figures_dir = figures_folder(figures_dir)
    fig_name = f"theory_{name}.png"
    mu, warm, reps = SORT_RATE_PER_H, WARMUP_LOTS, settings["reps"]
    out, plot = [], []
    for c, rho in settings["configs"]:
        lam, jobs = rho * c * mu, settings.get("lots", ERLANG_LOTS[rho])
        used = f"{reps} replications x {jobs:,} lots, first {warm:,} dropped as warm-up"
        means, pwait = [], []
        for r in range(reps):
            stream = f"theory/{name}/c{c}/rho{rho}"
            gaps = generator(SEED, r, stream + "/arrivals").exponential(1.0 / lam, jobs)
            w = sort_queue_waits(c, gaps, "exponential", 1.0, generator(SEED, r, stream + "/sorting"))[warm:]
            means.append(w.mean() * 60.0)
            pwait.append(float((w > 0).mean()))
        wq = mmc_mean_wait(c, lam, mu) * 60.0
        pw = erlang_c(c, lam / mu)
        tag = f"c{c}_rho{rho}"
        sorters = f"{c} sorter{'s' if c > 1 else ''}"
        res_w = relative_result(
            f"{name}_wait_{tag}",
            f"Mean wait for a sorter of Poisson-arriving one-parcel lots at {sorters} (exponential) at utilisation "
            f"{rho} equals the M/M/c value.",
            wq, "Erlang C (M/M/c): Wq = C(c, a) / (c mu - lambda)", means, ERLANG_WAIT_TOL[rho], "min",
            note=f"{used}; simulated/theory = {np.mean(means) / wq:.3f};", figure=fig_name)
        res_p = relative_result(
            f"{name}_pwait_{tag}",
            f"Share of lots that wait for a sorter at {sorters} and utilisation {rho} equals the Erlang C "
            f"probability of waiting.",
            pw, "Erlang C (M/M/c): P(wait) = C(c, a)", pwait, ERLANG_PWAIT_TOL, "",
            note=f"{used}; simulated/theory = {np.mean(pwait) / pw:.3f};", figure=fig_name)
        out += [res_w, res_p]
        plot.append((c, rho, wq, res_w.simulated, res_w.half_width, pw, res_p.simulated, res_p.half_width))

    fig = Figure(figsize=(8, 3.4))
    ax1, ax2 = fig.subplots(1, 2)
    markers = {1: "o", 2: "s", 4: "^", 8: "D"}
    labelled = set()
    for c, _rho, wq, ws, wh, pw, ps, ph in plot:
        style = dict(fmt=markers.get(c, "o"), ms=4, color=f"C{sorted(markers).index(c) if c in markers else 0}")
        ax1.errorbar(wq, ws, yerr=wh, label=None if c in labelled else f"c={c}", **style)
        ax2.errorbar(pw, ps, yerr=ph, **style)
        labelled.add(c)
    lo = min(p[2] for p in plot) * 0.7
    hi = max(p[2] for p in plot) * 1.4
    ax1.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    _plain_log_ticks(ax1.xaxis)
    _plain_log_ticks(ax1.yaxis)
    ax1.set_xlabel("Erlang C mean wait (min)")
    ax1.set_ylabel("simulated mean wait (min)")
    ax1.legend(fontsize="small")
    ax2.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax2.set_xlabel("Erlang C P(wait)")
    ax2.set_ylabel("simulated share waiting")
    fig.suptitle(f"Hub sorting queue vs M/M/c ({settings['reps']} replications per point; 95% CIs)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, figures_dir, fig_name)
    return out


def run_erlang_c_fast(figures_dir: Path) -> list[CaseResult]:
    return _erlang("erlang_c_fast", ERLANG_FAST, figures_dir)


def run_erlang_c_slow(figures_dir: Path) -> list[CaseResult]:
    return _erlang("erlang_c_slow", ERLANG_SLOW, figures_dir)


# ---- Kingman, D/M/1, D/Gamma/1 ------------------------------------------------------
def _kingman(name: str, settings: dict, figures_dir: Path) -> list[CaseResult]:
    figures_dir = figures_folder(figures_dir)
    fig_name = f"theory_{name}.png"
    warm, reps = WARMUP_LOTS, settings["reps"]
    out, plot = [], []
    for cv in settings["cvs"]:
        dist = "exponential" if cv == 1.0 else "gamma"
        for rho in settings["rhos"]:
            jobs = settings.get("lots", EXACT_LOTS[rho])
            used = f"{reps} replications x {jobs:,} lots, first {warm:,} dropped as warm-up"
            period_h = 1.0 / (rho * SORT_RATE_PER_H)
            means = []
            for r in range(reps):
                stream = f"theory/{name}/cs{cv}/rho{rho}"
                w = sort_queue_waits(1, np.full(jobs, period_h), dist, cv,
                                     generator(SEED, r, stream + "/sorting"))[warm:]
                means.append(w.mean() * 60.0)
            m, hw95 = mean_ci(means)
            king = kingman_wq(rho, 0.0, cv**2, 1.0)
            g = klb_factor(rho, 0.0, cv**2)
            tag = f"cs{cv}_rho{rho}"
            exact = dm1_mean_wait(rho, 1.0) if cv == 1.0 else dgamma1_mean_wait(rho, cv, 1.0)
            known = relative_error(exact, king)
            tol = known + EXACT_WAIT_TOL[rho]
            res_k = relative_result(
                f"{name}_wait_{tag}",
                f"Mean wait for one sorter of one-parcel lots arriving every T (scheduled trunks) with gamma sort "
                f"times of cv {cv} at utilisation {rho} is within Kingman's known error of his approximation.",
                king, "Kingman (1961) G/G/1 approximation, ca = 0: Wq = cs^2/2 * rho/(1-rho) * E[S]", means, tol,
                "min", figure=fig_name,
                note=f"{used}; simulated/Kingman = {m / king:.3f}, exact/Kingman = {exact / king:.3f} (known error "
                     f"{known:.1%}, tolerance = known error + {EXACT_WAIT_TOL[rho]:.0%}), KLB factor g = {g:.3f};")
            res_k.tolerance = (f"relative error <= {tol:.1%} (Kingman's known error here {known:.1%}, from the exact "
                               f"value, + {EXACT_WAIT_TOL[rho]:.0%})")
            if cv == 1.0:
                src = "D/M/1 exact: sigma = exp(-mu*T*(1-sigma)), Wq = sigma/(mu(1-sigma))"
                case = f"{name}_dm1_exact_wait_rho{rho}"
                what = "exponential sort times (D/M/1)"
            else:
                src = ("D/Gamma/1 exact by Spitzer's identity: Wq = sum_n E[(S_1+...+S_n - nT)^+]/n, "
                       "S_1+...+S_n ~ Gamma(n/cs^2, cs^2 E[S])")
                case = f"{name}_dg1_exact_wait_cs{cv}_rho{rho}"
                what = f"gamma sort times of cv {cv} (D/Gamma/1)"
            res_x = relative_result(
                case, f"Mean wait for one sorter with lots arriving every T and {what} at utilisation {rho} "
                      f"equals the exact value.", exact, src, means, EXACT_WAIT_TOL[rho], "min",
                note=f"{used}; simulated/exact = {m / exact:.3f};", figure=fig_name)
            out += [res_x, res_k]
            plot.append((cv, rho, king, exact, m, hw95))

    fig = Figure(figsize=(6.8, 3.4), layout="constrained")
    ax = fig.subplots()
    for i, cv in enumerate(settings["cvs"]):
        pts = [p for p in plot if p[0] == cv]
        rh = [p[1] for p in pts]
        ax.plot(rh, [p[2] for p in pts], "x--", color=f"C{i}", label=f"Kingman cs={cv}")
        ax.plot(rh, [p[3] for p in pts], "_-", ms=14, color=f"C{i}", label=f"exact cs={cv}")
        ax.errorbar(rh, [p[4] for p in pts], yerr=[p[5] for p in pts], fmt="o", ms=4, color=f"C{i}",
                    label=f"simulated cs={cv}")
    ax.set_xlabel("utilisation rho")
    ax.set_ylabel("mean wait (min = E[S])")
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))   # beside the lines, not on them
    ax.set_title(f"D/G/1 sorting queue, 95% CIs ({settings['reps']} replications per point)", fontsize=9)
    save_figure(fig, figures_dir, fig_name)
    return out


def run_kingman(figures_dir: Path) -> list[CaseResult]:
    return _kingman("kingman", KINGMAN_SLOW, figures_dir)


def run_kingman_fast(figures_dir: Path) -> list[CaseResult]:
    return _kingman("kingman_fast", KINGMAN_FAST, figures_dir)
