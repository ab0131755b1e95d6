"""History matching for ``ruralsim calibrate`` (``calibration.method: history_matching``):
instead of one best fit, the region of the bounded parameters that the reported points do
not rule out.

Each of ``samples`` Latin hypercube points within the bounds is evaluated (the same cheap
counts as the least-squares fit, :class:`sim.rollout.calibrate.Model`); at every reported
point the implausibility is

    I = |model - reported| / sqrt(var_obs + var_model),
    var_obs = (obs_sd_rel x reported)^2, var_model = (model_sd_rel x reported)^2,

and a point of the hypercube is retained (not implausible) where I < ``cutoff`` at every
fitted (not held-out) reported point. The counts are deterministic given the parameters,
so var_model is the model's discrepancy only (no emulator variance)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import InputError


@dataclass(frozen=True)
class HistoryMatch:
    """The hypercube (``x``: samples x parameters, whole-number keys rounded as
    evaluated), the model at every reported point (``model``: samples x points), the
    implausibility there (``implausibility``), which samples are retained and the
    least implausible one (smallest maximum implausibility over the fitted points)."""
    x: np.ndarray
    model: np.ndarray
    implausibility: np.ndarray
    retained: np.ndarray
    best: int


def implausibility(model: np.ndarray, reported: np.ndarray, obs_sd_rel: float, model_sd_rel: float) -> np.ndarray:
    """|model - reported| / sqrt(var_obs + var_model), elementwise over the last axis's points."""
    var = (obs_sd_rel * reported) ** 2 + (model_sd_rel * reported) ** 2
    return np.abs(model - reported) / np.sqrt(var)


def history_match(model, targets, counts_at=None) -> HistoryMatch:
    """Evaluate the Latin hypercube of ``model``'s bounded parameters against ``targets``
    (:class:`sim.rollout.calibrate.Target`) and keep the non-implausible samples.
    ``counts_at``: the model's counts at a list of points, in order (default: one by one)."""
    from scipy.stats import qmc
    cal = model.cal
    fitted = np.array([not t.held_out for t in targets])
    if not fitted.any():
        raise InputError("every reported point is held out: nothing to match")
    unit = qmc.LatinHypercube(d=len(model.names), seed=cal.seed).random(cal.samples)
    x = qmc.scale(unit, model.lo, model.hi)
    for i, n in enumerate(model.names):
        if model.whole[n]:
            x[:, i] = np.round(x[:, i])
    every = counts_at(list(x)) if counts_at is not None else [model.counts(row) for row in x]
    preds = np.array([[counts[t.quantity][t.month] for t in targets] for counts in every], dtype=float)
    preds = preds.reshape(len(x), len(targets))
    reported = np.array([t.reported for t in targets])
    imp = implausibility(preds, reported, cal.obs_sd_rel, cal.model_sd_rel)
    worst = imp[:, fitted].max(axis=1)
    return HistoryMatch(x, preds, imp, worst < cal.cutoff, int(np.argmin(worst)))


def parameter_rows(model, hm: HistoryMatch) -> list[dict]:
    """Per parameter: its bounds, the retained share of the hypercube and the retained range
    (empty where nothing is retained)."""
    share = float(hm.retained.mean())
    kept = hm.x[hm.retained]
    return [{"parameter": n, "lo": model.lo[i], "hi": model.hi[i], "retained_share": share,
             "retained_min": float(kept[:, i].min()) if len(kept) else float("nan"),
             "retained_max": float(kept[:, i].max()) if len(kept) else float("nan"),
             "least_implausible": float(hm.x[hm.best, i])} for i, n in enumerate(model.names)]


def point_rows(targets, hm: HistoryMatch) -> list[dict]:
    """Per reported point: the range of the retained samples' predictions and the least
    implausible sample's prediction and implausibility."""
    kept = hm.model[hm.retained]
    return [{"month": t.month, "quantity": t.quantity, "reported": t.reported, "held_out": t.held_out,
             "retained_model_min": float(kept[:, j].min()) if len(kept) else float("nan"),
             "retained_model_max": float(kept[:, j].max()) if len(kept) else float("nan"),
             "least_implausible_model": float(hm.model[hm.best, j]),
             "implausibility": float(hm.implausibility[hm.best, j])} for j, t in enumerate(targets)]


def sample_rows(model, targets, hm: HistoryMatch) -> list[dict]:
    """Every sample: its parameter values, its maximum implausibility over the fitted points
    and whether it is retained."""
    fitted = np.array([not t.held_out for t in targets])
    worst = hm.implausibility[:, fitted].max(axis=1)
    return [{"sample": k, **{n: float(hm.x[k, i]) for i, n in enumerate(model.names)},
             "max_implausibility": float(worst[k]), "retained": bool(hm.retained[k])} for k in range(len(hm.x))]


def holdout_rows(targets, hm: HistoryMatch, cutoff: float) -> list[dict]:
    """Each fitted point held out in turn, reusing the same samples: the share retained by
    the other fitted points and the range of their predictions of the held-out one, and
    whether the reported figure lies inside it."""
    fitted = [j for j, t in enumerate(targets) if not t.held_out]
    rows = []
    for j in fitted:
        others = [i for i in fitted if i != j]
        keep = (hm.implausibility[:, others].max(axis=1) < cutoff) if others else np.ones(len(hm.x), dtype=bool)
        pred = hm.model[keep, j]
        t = targets[j]
        lo, hi = (float(pred.min()), float(pred.max())) if len(pred) else (float("nan"), float("nan"))
        rows.append({"month": t.month, "quantity": t.quantity, "reported": t.reported,
                     "retained_share": float(keep.mean()), "retained_model_min": lo, "retained_model_max": hi,
                     "reported_inside": bool(len(pred)) and lo <= t.reported <= hi})
    return rows
