"""``ruralsim calibrate``: fit a rollout's named parameters to reported counts (villages
with an open station, counties entered, stations closed, by month) by bounded least
squares on relative residuals, with some points held out.

What the fit evaluates is the rollout's schedule and station status only: the
strategy's county entry, village recruitment and budget (:func:`schedule_for`) and
attrition on the closed-form adoption volumes (:func:`station_months`). These are
exactly the counts a full rollout run reports, without simulating any county month
(the county simulations do not feed back into them), so one evaluation takes a
fraction of a second. The evaluations that do not depend on each other (the history
match's samples, a fit's starts, the leave-one-out refits) run on the run engine's
local process pool; the results are the same whatever the number of workers."""
from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from sim.config.csvread import number, read_rows
from sim.config.scenario import read_config, without_kind
from sim.config.schema import build, fail
from sim.errors import InputError
from sim.experiments.engine import LocalExecutor
from sim.files import write_csv
from sim.rollout.calibration import number_spans, number_text, resolve, with_values, write_values
from sim.rollout.history import history_match, holdout_rows, parameter_rows, point_rows, sample_rows
from sim.rollout.region import CountyGeo
from sim.rollout.simulate import geographies, schedule_for, station_months
from sim.rollout.spec import Rollout, RolloutConfig, rollout_from_data

QUANTITIES = ("villages", "counties", "stations_closed")
"""Counts a targets file may give, one column each (empty cells: not reported)."""


@dataclass(frozen=True)
class Target:
    month: int
    quantity: str
    reported: float
    held_out: bool


def read_targets(path: str | Path, horizon_m: int, hold_out: tuple[str, ...] = ()) -> list[Target]:
    """Reported points from a CSV with a month column (0 = the rollout's first month),
    one or more of QUANTITIES and an optional hold_out column (1/true: not fitted).
    ``hold_out`` adds points held out: "MONTH" (every quantity of that month) or
    "MONTH:QUANTITY"."""
    p = Path(path)
    out = []
    for line, row in read_rows(p, ("month",), "targets file (--targets)", 10_000):
        m = int(number(row, "month", p, line, lo=0, hi=horizon_m - 1, whole=True))
        flag = (row.get("hold_out") or "").strip().lower()
        if flag not in ("", "0", "1", "true", "false"):
            raise InputError(f"{p}: line {line}: hold_out {flag!r} is not allowed: expected 0, 1, true, false or "
                             "empty")
        for q in QUANTITIES:
            if (row.get(q) or "").strip():
                out.append(Target(m, q, number(row, q, p, line, lo=0, lo_open=True), flag in ("1", "true")))
    if not out:
        raise InputError(f"{p}: no reported points: expected a month column and at least one of "
                         f"{', '.join(QUANTITIES)} with values")
    for h in hold_out:
        month_text, _, q = h.partition(":")
        if not month_text.strip().isdigit() or (q and q not in QUANTITIES):
            raise InputError(f"--hold-out {h!r} is not allowed: expected MONTH or MONTH:QUANTITY with QUANTITY one "
                             f"of {', '.join(QUANTITIES)}")
        hits = [t for t in out if t.month == int(month_text) and (not q or t.quantity == q)]
        if not hits:
            raise InputError(f"--hold-out {h!r} is not allowed: {p} has no such point")
        out = [Target(t.month, t.quantity, t.reported, True) if t in hits else t for t in out]
    return out


def rollout_counts(ro: Rollout, strategy_name: str, geos: list[CountyGeo]) -> dict[str, np.ndarray]:
    """Villages with an open station, counties entered and stations closed, month by
    month, as a full run of the strategy reports them (stations.csv)."""
    strategy = next(s for s in ro.strategies if s.name == strategy_name)
    sched = schedule_for(ro, strategy, geos)
    H = ro.horizon_m
    villages, closed = np.zeros(H), np.zeros(H)
    months = np.arange(H)[:, None]
    for c, geo in enumerate(geos):
        status, _ = station_months(ro, sched, c, geo)
        opened = sched.station_month[c]
        started = (opened >= 0) & (opened <= months)
        villages += status.sum(axis=1)
        closed += (started & ~status).sum(axis=1)
    counties = np.array([((sched.hub_month >= 0) & (sched.hub_month <= m)).sum() for m in range(H)], dtype=float)
    return {"villages": villages, "counties": counties, "stations_closed": closed}


class Model:
    """A rollout config with its calibration parameters set to given values, evaluated
    cheaply (region geographies built once per region and operating model)."""

    def __init__(self, path: str | Path, method: str | None = None):
        self.where = str(path)
        self.base_dir = Path(path).parent
        self.data = without_kind(read_config(path, "rollout"), self.where, "rollout")
        self.ro = rollout_from_data(self.data, self.where, self.base_dir)
        if self.ro.calibration is None:
            raise fail(self.where, "calibration", None, "expected a calibration section: parameters: {dotted key "
                                                        "path: [lo, hi]}")
        cfg = build(RolloutConfig, self.data, self.where)
        self.cal = self.ro.calibration if method is None else dataclasses.replace(self.ro.calibration, method=method)
        self.names = list(self.cal.parameters)
        self.lo = np.array([b[0] for b in self.cal.parameters.values()])
        self.hi = np.array([b[1] for b in self.cal.parameters.values()])
        self.start = np.array([float(resolve(cfg, n)) for n in self.names])
        self.whole = {n: isinstance(resolve(cfg, n), int) for n in self.names}
        self.strategy = self.cal.strategy or self.ro.baseline
        self._geos: dict[str, list[CountyGeo]] = {}
        for i, n in enumerate(self.names):   # both bounds must be valid values of the key
            for b in (self.lo[i], self.hi[i]):
                try:
                    self.rollout(dict(zip(self.names, np.where(np.arange(len(self.names)) == i, b, self.start),
                                          strict=True)))
                except InputError as exc:
                    raise fail(self.where, f"calibration.parameters.{n}", [self.lo[i], self.hi[i]],
                               f"bounds the key accepts: at {b:g}, {exc}") from None

    def rollout(self, values: dict[str, float]) -> Rollout:
        return rollout_from_data(with_values(self.data, values, self.whole), self.where, self.base_dir)

    def counts(self, x) -> dict[str, np.ndarray]:
        ro = self.rollout(dict(zip(self.names, x, strict=True)))
        model_name = next(s.operating_model for s in ro.strategies if s.name == self.strategy)
        key = json.dumps([ro.data.get("region"), ro.data.get("base"), ro.data.get("operating_models"), ro.seed,
                          model_name], sort_keys=True, default=str)
        if key not in self._geos:
            self._geos[key] = geographies(ro, ro.operating_models[model_name])
        return rollout_counts(ro, self.strategy, self._geos[key])


def residuals(counts: dict[str, np.ndarray], targets: list[Target]) -> np.ndarray:
    """Relative residuals (model - reported) / reported, one per target."""
    return np.array([(counts[t.quantity][t.month] - t.reported) / t.reported for t in targets])


def fit(model: Model, targets: list[Target], workers: int = 1) -> tuple[np.ndarray, int]:
    """Bounded least squares on the relative residuals of the targets not held out:
    the best of ``starts`` Latin hypercube points within the bounds (not the config's own
    values: the result depends only on the bounds, the targets and the seed, so a
    config holding fitted values refits to the same values), then
    scipy's trust-region reflective method from there, with finite differences of
    ``diff_step`` relative to each value. The starts are evaluated on ``workers``
    processes. Returns the fitted values as a config holds them (whole numbers where the
    key takes them, else 6 significant digits) and the number of evaluations.

    The trust-region steps are solved by LSMR, not by the SVD of the Jacobian: counts are
    whole numbers, so a parameter they do not respond to near the fit (or two that move
    them alike) leaves the Jacobian rank-deficient, and an SVD then steps along directions
    set by rounding noise, which differs with the BLAS kernels a CPU gets. The fit of
    ``experiments/rural_taobao_2015.yaml`` came out at two different points under OpenBLAS's
    AVX-512 and Haswell kernels that way; LSMR's minimum-norm steps give the same values
    under both."""
    from scipy.optimize import least_squares
    from scipy.stats import qmc
    fitted = [t for t in targets if not t.held_out]
    if not fitted:
        raise InputError("every reported point is held out: nothing to fit")
    evals = 0

    def fun(x):
        nonlocal evals
        evals += 1
        return residuals(model.counts(x), fitted)

    sample = qmc.LatinHypercube(d=len(model.names), seed=model.cal.seed).random(model.cal.starts)
    candidates = list(qmc.scale(sample, model.lo, model.hi))
    evals += len(candidates)
    costs = [float(np.sum(residuals(c, fitted) ** 2)) for c in evaluate_counts(model, candidates, workers)]
    x0 = candidates[int(np.argmin(costs))]
    res = least_squares(fun, x0, bounds=(model.lo, model.hi), diff_step=model.cal.diff_step, method="trf",
                        tr_solver="lsmr")
    best = res.x if float(np.sum(res.fun ** 2)) <= min(costs) else x0
    return np.array([min(max(float(number_text(float(v), model.whole[n])), lo), hi)
                     for n, v, lo, hi in zip(model.names, best, model.lo, model.hi, strict=True)]), evals


# ---- independent evaluations on the run engine's local pool ----------------------------
_MODELS: dict[str, Model] = {}
"""The models a calibration's pool is evaluating, by config path: set in this process
just before its workers start, so forked workers inherit them with their geographies
already built; a worker started another way builds its own (the counts do not depend
on the calibration method)."""
_CHUNK = 8
"""Samples per pool task (small enough that both workers stay busy to the end)."""


def _model(where: str) -> Model:
    if where not in _MODELS:
        _MODELS[where] = Model(where)
    return _MODELS[where]


def _counts_task(task: tuple) -> dict:
    where, i, xs = task
    model = _model(where)
    return {"i": i, "counts": [model.counts(x) for x in xs]}


def _fit_task(task: tuple) -> dict:
    where, i, targets = task
    x, evals = fit(_model(where), targets)
    return {"i": i, "x": x, "evals": evals}


def _on_pool(model: Model, tasks: list[tuple], fn, workers: int) -> list[dict]:
    """``fn`` over ``tasks`` (each led by (config path, index)) on ``workers`` processes,
    the results in the tasks' order. The model's geographies are built here first, once."""
    model.counts(model.start)
    _MODELS[model.where] = model
    try:
        return sorted(LocalExecutor(workers).run(tasks, fn), key=lambda r: r["i"])
    finally:
        _MODELS.pop(model.where, None)


def evaluate_counts(model: Model, xs: list, workers: int = 1) -> list[dict]:
    """``model.counts`` at each of ``xs``, in order, on ``workers`` processes."""
    if workers <= 1 or len(xs) <= _CHUNK:
        return [model.counts(x) for x in xs]
    tasks = [(model.where, i, xs[i:i + _CHUNK]) for i in range(0, len(xs), _CHUNK)]
    return [c for r in _on_pool(model, tasks, _counts_task, workers) for c in r["counts"]]


def fit_each(model: Model, target_sets: list[list[Target]], workers: int = 1) -> list[tuple[np.ndarray, int]]:
    """:func:`fit` to each set of targets (the fit and its leave-one-out refits), in order:
    one fit per process on ``workers`` processes, or a single fit's starts spread over them."""
    if workers <= 1 or len(target_sets) == 1:
        return [fit(model, ts, workers) for ts in target_sets]
    tasks = [(model.where, i, ts) for i, ts in enumerate(target_sets)]
    return [(r["x"], r["evals"]) for r in _on_pool(model, tasks, _fit_task, workers)]


def residual_rows(counts: dict[str, np.ndarray], targets: list[Target]) -> list[dict]:
    r = residuals(counts, targets)
    return [{"month": t.month, "quantity": t.quantity, "reported": t.reported,
             "model": float(counts[t.quantity][t.month]), "residual_rel": float(r[i]), "held_out": t.held_out}
            for i, t in enumerate(targets)]


def fitted_config(model: Model, x: np.ndarray, out: Path) -> dict:
    """The config with the fitted values, its file paths rewritten relative to ``out``."""
    data = with_values(model.data, dict(zip(model.names, x, strict=True)), model.whole)

    def rel(p: str) -> str:
        return os.path.relpath((model.base_dir / p).resolve(), out.resolve())
    if isinstance(data.get("base"), str):
        data["base"] = rel(data["base"])
    region = data.get("region") or {}
    for k in ("counties_csv", "villages_dir"):
        if isinstance(region.get(k), str):
            region[k] = rel(region[k])
    for sd in (data.get("strategies") or {}).values():
        if isinstance(sd, dict) and isinstance(sd.get("schedule"), str):
            sd["schedule"] = rel(sd["schedule"])
    return {"kind": "rollout", **data}


def write_history(model: Model, targets: list[Target], hm, out: Path) -> dict:
    """history_parameters.csv, history_points.csv and history_samples.csv of a history match."""
    params, points = parameter_rows(model, hm), point_rows(targets, hm)
    samples = sample_rows(model, targets, hm)
    write_csv(out / "history_parameters.csv", list(params[0]), params)
    write_csv(out / "history_points.csv", list(points[0]), points)
    write_csv(out / "history_samples.csv", list(samples[0]), samples)
    return {"parameters": params, "points": points, "samples": samples, "retained_share": float(hm.retained.mean())}


def run_calibration(path: str | Path, targets_csv: str | Path, out: str | Path, hold_out: tuple[str, ...] = (),
                    leave_one_out: bool = False, method: str | None = None, doc: str | Path | None = None,
                    workers: int | None = None, apply: bool = False) -> dict:
    """Fit (least squares, or with ``calibration.method: history_matching`` the least
    implausible point of the hypercube, with history_parameters.csv, history_points.csv
    and history_samples.csv; its leave-one-out reuses the samples), then write fit.csv
    (parameter, bounds, config value, fitted value),
    residuals.csv (every point, fitted and held out), fitted.yaml (the config with the
    fitted values), calibration_<quantity>.png/.svg, summary.md (what the fit found,
    :mod:`sim.reports.calibration`; with ``doc`` also written into that file between the
    method's markers, checked before anything runs) and, with ``leave_one_out``,
    holdout.csv: each fitted point held out in turn, refitted, and its residual.
    ``method`` overrides the config's calibration.method. Independent evaluations run on
    ``workers`` processes (default: every core); the files are the same whatever the number.
    With ``apply`` the fitted values are also written into the config file itself
    (:func:`sim.rollout.calibration.write_values`, checked before anything runs), and
    fit.csv's config_value and the summary quote the values as written."""
    from sim.figures.calibration import write_calibration_figure
    from sim.reports import calibration as report
    model = Model(path, method)
    if doc is not None:   # a document without the block's place is refused before the fit
        report.check_doc(doc, model.cal.method)
    if apply:   # so is a fitted key --apply could not rewrite
        number_spans(Path(path).read_text(encoding="utf-8-sig"), model.names, model.where)
    targets = read_targets(targets_csv, model.ro.horizon_m, hold_out)
    n_fitted = sum(not t.held_out for t in targets)
    if n_fitted == 0 or (leave_one_out and n_fitted < 2):
        raise InputError(f"{targets_csv}: {n_fitted} reported point(s) not held out: "
                         + ("--leave-one-out needs at least 2 (each refit leaves one out)" if n_fitted else
                            "at least 1 is needed, or nothing is fitted"))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    left_out = [t for t in targets if not t.held_out] if leave_one_out else []   # each refit leaves one out
    refits = [[Target(u.month, u.quantity, u.reported, u.held_out or u == t) for u in targets] for t in left_out]
    if model.cal.method == "history_matching":
        hm = history_match(model, targets, lambda xs: evaluate_counts(model, xs, workers))
        x, evals = hm.x[hm.best].copy(), len(hm.x)
    else:   # the fit and its leave-one-out refits are independent: all at once
        fits = fit_each(model, [targets, *refits], workers)
        x, evals = fits[0]
    if apply:
        written = write_values(path, dict(zip(model.names, x, strict=True)), model.whole)
        model.start = np.array([written[n] for n in model.names])
    counts = model.counts(x)
    rows = residual_rows(counts, targets)
    fit_rows = [{"parameter": n, "lo": model.lo[i], "hi": model.hi[i], "config_value": model.start[i],
                 "fitted": x[i]} for i, n in enumerate(model.names)]
    write_csv(out / "fit.csv", list(fit_rows[0]), fit_rows)
    write_csv(out / "residuals.csv", list(rows[0]), rows)
    series = [{"month": m, **{q: float(counts[q][m]) for q in QUANTITIES}} for m in range(model.ro.horizon_m)]
    write_csv(out / "series.csv", list(series[0]), series)
    text = yaml.safe_dump(fitted_config(model, x, out), sort_keys=False, allow_unicode=True)
    (out / "fitted.yaml").write_text(f"# {Path(path).name} with the parameters fitted by ruralsim calibrate\n{text}",
                                     encoding="utf-8")
    write_calibration_figure(out, counts, rows)
    holdout: list[dict] = []
    result: dict = {"fit": fit_rows, "residuals": rows, "evaluations": evals, "counts": counts, "holdout": holdout}
    if model.cal.method == "history_matching":
        result["history"] = write_history(model, targets, hm, out)
        if leave_one_out:
            holdout += holdout_rows(targets, hm, model.cal.cutoff)
            write_csv(out / "holdout.csv", list(holdout[0]), holdout)
    elif leave_one_out:
        for t, others, (xt, n_t) in zip(left_out, refits, fits[1:], strict=True):
            result["evaluations"] += n_t
            ct = model.counts(xt)
            rt = residual_rows(ct, others)
            fitted_res = [abs(r["residual_rel"]) for r in rt if not r["held_out"]]
            held = next(r for r in rt if r["month"] == t.month and r["quantity"] == t.quantity)
            holdout.append({"month": t.month, "quantity": t.quantity, "reported": t.reported,
                            "model": held["model"], "residual_rel": held["residual_rel"],
                            "max_abs_residual_fitted": max(fitted_res) if fitted_res else math.nan,
                            "stations_opened_end": float(ct["villages"][-1] + ct["stations_closed"][-1]),
                            "stations_closed_end": float(ct["stations_closed"][-1]),
                            **{f"fitted:{n}": xt[i] for i, n in enumerate(model.names)}})
        write_csv(out / "holdout.csv", list(holdout[0]), holdout)
    fitted_attrition = model.rollout(dict(zip(model.names, x, strict=True))).attrition
    text = report.block(result, calibration_meta(model, targets_csv, result["evaluations"], fitted_attrition))
    report.write_summary(out, text, model.cal.method)
    if doc is not None:
        report.write_doc(doc, model.cal.method, text)
    return result


def calibration_meta(model: Model, targets_csv: str | Path, evaluations: int, attr) -> dict:
    """What the summary quotes besides the results: the inputs' stamp, the method's
    settings and, with attrition (``attr``, at the fitted values), what an agent earns."""
    import datetime

    from sim.experiments.stamp import code_version, result_packages
    from sim.reports.calibration import inputs_digest, shown_path
    pay = None if attr is None else (
        f"{attr.pay_per_month_cny:,.0f} CNY a month plus {attr.commission_per_parcel_cny:g} CNY a parcel"
        + (f" and {attr.services_per_month_cny:,.0f} CNY a month from other services"
           if attr.services_per_month_cny else ""))
    return {"config": shown_path(model.where), "targets": shown_path(targets_csv),
            "inputs": inputs_digest([*model.ro.input_files(), targets_csv], Path(model.where).parent),
            "code_version": code_version(), "packages": result_packages(),
            "date": datetime.date.today().isoformat(), "evaluations": evaluations,
            "calibration": dataclasses.asdict(model.cal), "pay": pay}
