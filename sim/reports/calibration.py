"""What ``ruralsim calibrate`` found, for people: a Markdown block, written as summary.md
in the results folder and, with ``--doc FILE``, between the lines
``<!-- calibration:METHOD:start -->`` and ``<!-- calibration:METHOD:end -->`` of FILE
(``make calibrate``: docs/rollout.md). Every number in it comes from the fit it
describes, and its first line stamps the inputs and the code it came from."""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sim.files import atomic_write_text, marked_span, replace_marked

LABELS = {"villages": "villages", "counties": "counties", "stations_closed": "stations closed"}


def markers(method: str) -> tuple[str, str]:
    """The lines between which ``--doc`` writes the block of a calibration ``method``."""
    return f"<!-- calibration:{method}:start -->", f"<!-- calibration:{method}:end -->"


def inputs_digest(files: Sequence[str | os.PathLike], relative_to: str | os.PathLike) -> str:
    """SHA-256 (first 12 hex digits) over every input file's name (relative to
    ``relative_to``, so the same files give the same digest on any machine) and contents."""
    h = hashlib.sha256()
    base = Path(relative_to).resolve()
    for f in sorted({Path(f).resolve() for f in files}):
        h.update(Path(os.path.relpath(f, base)).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:12]


def shown_path(path: str | os.PathLike) -> str:
    """A path as given when relative (as ``make calibrate`` gives it), else its name only."""
    p = Path(path)
    return p.name if p.is_absolute() else p.as_posix()


def pct(rel: float, digits: int | None = None) -> str:
    """A relative residual in per cent with its sign: two decimals below 1%, one above."""
    if digits is None:
        digits = 2 if abs(rel) < 0.01 else 1
    return f"{100 * rel:+.{digits}f}%"


def _count(x: float) -> str:
    return f"{x:,.0f}"


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _value(x: float, digits: int = 6) -> str:
    """A parameter's value or bound: whole numbers and those of ``digits`` or more digits
    before the point whole, others to ``digits`` significant digits."""
    if float(x).is_integer() or abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}"


def _range(lo: float, hi: float, fmt=_count) -> str:
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}-{fmt(hi)}"


def _span(values: Sequence[float], fmt=lambda v: f"{100 * v:.1f}%") -> str:
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)} to {fmt(hi)}"


def _label(row: Mapping) -> str:
    return f"month {row['month']} {LABELS.get(row['quantity'], row['quantity'])}"


def level_off(series: np.ndarray) -> int | None:
    """The first month from which ``series`` stays at its last value to the end, or None
    if it still changes in its last month."""
    s = np.asarray(series)
    if len(s) < 2 or s[-1] != s[-2]:
        return None
    changed = np.flatnonzero(s != s[-1])
    return int(changed[-1]) + 1 if len(changed) else 0


def stamp_line(meta: Mapping) -> str:
    return (f"*Written by `ruralsim calibrate` (`make calibrate`) on {meta['date']} from "
            f"`{meta['config']}` and `{meta['targets']}` (inputs {meta['inputs']}: every file the config reads "
            f"and the targets), code version {meta['code_version']}"
            + (f" with {meta['packages']}" if meta.get("packages") else "")
            + f"; {meta['evaluations']:,} evaluations of the "
            "rollout's counts.*")


def least_squares_block(res: Mapping, meta: Mapping) -> str:
    """The block of a least-squares fit: how close the fitted points come, what holding
    each one out does, the fitted values against the config's and the fitted curve."""
    fit, rows, hold = res["fit"], res["residuals"], res["holdout"]
    fitted = [r for r in rows if not r["held_out"]]
    worst = max(abs(r["residual_rel"]) for r in fitted)
    n_par, n_pts = len(fit), len(fitted)
    lines = [stamp_line(meta), ""]
    lead = (f"**Least squares.** The fit meets all {_n(n_pts, 'fitted point')} within {abs(100 * worst):.2f}% "
            f"({_n(n_par, 'parameter')} fitted to {_n(n_pts, 'point')}).")
    if hold:
        missed = [abs(h["residual_rel"]) for h in hold]
        others = [h["max_abs_residual_fitted"] for h in hold]
        lead += (f" Held out in turn and predicted by a refit to the others, a point is missed by "
                 f"{_span(missed)}, while the others are then met within {_span(others)}")
        lead += (": the points do not pin the parameters down, and the fitted values below are one of several "
                 "that meet them." if n_par >= n_pts else ".")
    lines += [lead, ""]
    by_point = {(h["month"], h["quantity"]): h for h in hold}
    head = "| month (0 = first) | quantity | reported | model | residual |"
    sep = "|---|---|---|---|---|"
    if hold:
        head += " held out in turn: model | residual | the others then within |"
        sep += "---|---|---|"
    lines += [head, sep]
    for r in rows:
        cells = [f"{r['month']}" + (" (held out)" if r["held_out"] else ""), LABELS.get(r["quantity"], r["quantity"]),
                 _count(r["reported"]), _count(r["model"]), pct(r["residual_rel"])]
        if hold:
            h = by_point.get((r["month"], r["quantity"]))
            cells += ([_count(h["model"]), pct(h["residual_rel"], 1), f"{100 * h['max_abs_residual_fitted']:.1f}%"]
                      if h else ["", "", ""])
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", _parameter_table(fit, hold), ""]
    lines.append(_config_sentence(fit))
    lines += ["", _curve_sentence(res, meta, hold)]
    return "\n".join(lines) + "\n"


def _parameter_table(fit: Sequence[Mapping], hold: Sequence[Mapping]) -> str:
    head = "| parameter | bounds | fitted | in the config |" + "".join(
        f" refitted without {_label(h)} |" for h in hold)
    rows = [head, "|---|---|---|---|" + "---|" * len(hold)]
    for f in fit:
        cells = [f"`{f['parameter']}`", f"{_value(f['lo'])}-{_value(f['hi'])}", _value(f["fitted"]),
                 _value(f["config_value"])]
        cells += [_value(h[f"fitted:{f['parameter']}"]) for h in hold]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _config_sentence(fit: Sequence[Mapping]) -> str:
    """Whether the config holds the fitted values (to the 4 significant digits it is
    written with), naming those it does not."""
    off = [f for f in fit if not math.isclose(f["config_value"], f["fitted"], rel_tol=5e-4, abs_tol=1e-9)]
    if not off:
        return "The config holds the fitted values (marked [C]), so its runs are the fitted rollout."
    return ("The config does not hold the fitted values of " + ", ".join(f"`{f['parameter']}`" for f in off)
            + ": refit with `--apply`, or copy them from fitted.yaml (marked [C]), for its runs to be the fitted "
              "rollout.")


def _curve_sentence(res: Mapping, meta: Mapping, hold: Sequence[Mapping]) -> str:
    counts = res["counts"]
    villages, closed = np.asarray(counts["villages"]), np.asarray(counts["stations_closed"])
    last = len(villages) - 1
    m = level_off(villages)
    out = (f"At the fitted values the villages with an open station level off at {_count(villages[-1])} from "
           f"month {m} to the end (month {last})" if m is not None and m < last else
           f"At the fitted values the villages with an open station still change in the last month "
           f"({_count(villages[-2])} to {_count(villages[-1])})")
    out += ("; no station closes within the horizon" if closed[-1] == 0 else
            f"; {_count(closed[-1])} stations have closed by the end")
    pay = meta.get("pay")
    if pay and closed[-1] == 0:
        out += f" (agents earn {pay})"
    out += "."
    moved = [h for h in hold if h.get("stations_closed_end", 0) > 0]
    if closed[-1] == 0 and moved:
        out += " Refitted without " + "; without ".join(
            f"{_label(h)}, {_count(h['stations_closed_end'])} of the {_count(h['stations_opened_end'])} stations "
            "opened close by the end" for h in moved) + ": closures are what the held-out point rules out."
    return out


def history_block(res: Mapping, meta: Mapping) -> str:
    """The block of a history match: what share of the hypercube the points leave, the
    retained range of every parameter, the retained predictions and, with leave-one-out,
    whether each point lies inside the range the others leave."""
    hist, hold = res["history"], res["holdout"]
    cal = meta["calibration"]
    n = res["evaluations"]
    kept = round(hist["retained_share"] * n)
    widths = [(p["retained_max"] - p["retained_min"]) / (p["hi"] - p["lo"]) for p in hist["parameters"]
              if kept and p["hi"] > p["lo"]]
    lines = [stamp_line(meta), ""]
    lead = (f"**History matching** ({n:,} Latin hypercube samples, seed {cal['seed']}; implausibility cutoff "
            f"{_value(cal['cutoff'])}, obs_sd_rel {_value(cal['obs_sd_rel'])}, model_sd_rel "
            f"{_value(cal['model_sd_rel'])}): {kept:,} of the {n:,} samples ({100 * hist['retained_share']:.1f}%) "
            "are not ruled out by the fitted points.")
    if len(widths) == 1:
        lead += f" The retained range spans {100 * widths[0]:.0f}% of the parameter's bounds."
    elif widths:
        lead += f" The retained ranges span {_span(widths, lambda v: f'{100 * v:.0f}%')} of each parameter's bounds"
        lead += (": the points constrain combinations of the parameters more than each one." if min(widths) >= 0.5
                 else ".")
    lines += [lead, "", "| parameter | bounds | retained range | least implausible |", "|---|---|---|---|"]
    for p in hist["parameters"]:
        rng = _range(p["retained_min"], p["retained_max"], lambda v: _value(v, 3)) if kept else "none"
        lines.append(f"| `{p['parameter']}` | {_value(p['lo'])}-{_value(p['hi'])} | {rng} | "
                     f"{_value(p['least_implausible'], 4)} |")
    lines += ["", "| month (0 = first) | quantity | reported | retained predictions | least implausible: model | I |",
              "|---|---|---|---|---|---|"]
    for q in hist["points"]:
        rng = _range(q["retained_model_min"], q["retained_model_max"]) if kept else "none"
        lines.append(f"| {q['month']}{' (held out)' if q['held_out'] else ''} | "
                     f"{LABELS.get(q['quantity'], q['quantity'])} | {_count(q['reported'])} | {rng} | "
                     f"{_count(q['least_implausible_model'])} | {q['implausibility']:.2f} |")
    if hold:
        lines += ["", _holdout_sentence(hold)]
    return "\n".join(lines) + "\n"


def _holdout_sentence(hold: Sequence[Mapping]) -> str:
    parts = [f"{_label(h)}: {_range(h['retained_model_min'], h['retained_model_max'])} "
             f"({100 * h['retained_share']:.1f}% retained)" if h["retained_share"] > 0 else
             f"{_label(h)}: nothing retained" for h in hold]
    outside = [h for h in hold if not h["reported_inside"]]
    text = "Held out in turn, the range the other points leave for each point is " + "; ".join(parts) + ". "
    if not outside:
        return text + ("Every reported value lies inside the range the others leave, so no point contradicts the "
                       "others; the ranges' widths say how little a single best fit can claim.")
    return text + ("The reported " + " and ".join(_label(h) for h in outside)
                   + " lie outside the range the others leave: under these variances, the points contradict each "
                   "other (or the model misses what happened between them).")


def block(res: Mapping, meta: Mapping) -> str:
    return history_block(res, meta) if "history" in res else least_squares_block(res, meta)


def write_summary(out: Path, text: str, method: str) -> Path:
    """summary.md in the results folder: the block under a title."""
    title = "History matching" if method == "history_matching" else "Calibration by least squares"
    return atomic_write_text(out / "summary.md", f"# {title}\n\n{text}")


def check_doc(doc: str | os.PathLike, method: str) -> None:
    """InputError unless ``doc`` has the place of ``method``'s block."""
    start, end = markers(method)
    marked_span(doc, start, end, f"the {method} calibration's results", "--doc")


def write_doc(doc: str | os.PathLike, method: str, text: str) -> Path:
    """Rewrite the block of ``method`` in ``doc`` (between its :func:`markers`)."""
    start, end = markers(method)
    return replace_marked(doc, start, end, text, f"the {method} calibration's results", "--doc")
