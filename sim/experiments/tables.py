"""Turning an experiment's finished runs into its tables: runs.csv, crops.csv (per run
and crop), summary.csv (per
scenario and KPI), comparisons.csv (paired differences against the baseline, with
Holm and Bonferroni corrections), failures.csv and manifest.json. Rows are written
in the experiment's scenario order and replication order, so the tables are
byte-identical whatever ran them."""
from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

from sim.analysis.statistics import bonferroni, holm, paired_difference, t_interval
from sim.county.kpis import KPI_COLUMNS
from sim.county.market import CROP_COLUMNS
from sim.experiments.spec import Experiment
from sim.experiments.stamp import package_versions
from sim.files import write_csv, write_json

COMPARISON_COLUMNS = ("scenario_id", "scenario", "baseline_id", "kpi", "n_pairs", "mean_diff", "ci95_low", "ci95_high",
                      "sd_diff", "var_independent", "var_paired", "var_reduction", "p_value", "p_holm",
                      "significant_holm", "p_bonferroni", "significant_bonferroni")
FAILURE_COLUMNS = ("scenario_id", "scenario", "replication", "seed", "error", "traceback")


def factor_columns(exp: Experiment) -> list[str]:
    return [f.path for f in exp.factors]


def run_rows(exp: Experiment, done: dict) -> list[dict]:
    rows = []
    for spec in exp.scenarios:
        for r in sorted(r for (sid, r) in done if sid == spec.id):
            rec = done[(spec.id, r)]
            rows.append({"scenario_id": spec.id, "scenario": spec.label, "replication": r, "seed": rec["seed"],
                         **{p: spec.values.get(p, "") for p in factor_columns(exp)}, **rec["kpis"]})
    return rows


def crop_run_rows(exp: Experiment, done: dict) -> list[dict]:
    """One row per finished run and crop (the crops in the scenario's order), keyed by
    scenario, replication, the factors and :data:`~sim.county.market.CROP_COLUMNS`."""
    rows = []
    for spec in exp.scenarios:
        for r in sorted(r for (sid, r) in done if sid == spec.id):
            for crop in done[(spec.id, r)].get("crops", ()):
                rows.append({"scenario_id": spec.id, "scenario": spec.label, "replication": r,
                             **{p: spec.values.get(p, "") for p in factor_columns(exp)}, **crop})
    return rows


def summary_rows(exp: Experiment, runs: list[dict]) -> list[dict]:
    out = []
    for spec in exp.scenarios:
        mine = [r for r in runs if r["scenario_id"] == spec.id]
        for kpi in KPI_COLUMNS:
            x = [float(r[kpi]) for r in mine if math.isfinite(float(r[kpi]))]
            mean, hw, sd = t_interval(x) if x else (float("nan"), float("nan"), float("nan"))
            out.append({"scenario_id": spec.id, "scenario": spec.label,
                        **{p: spec.values.get(p, "") for p in factor_columns(exp)},
                        "kpi": kpi, "n": len(x), "mean": mean, "std": sd, "ci95_half_width": hw})
    return out


def comparison_rows(exp: Experiment, runs: list[dict]) -> list[dict]:
    """Paired differences (scenario - baseline) over the replications both have;
    Holm and Bonferroni over the scenarios compared, KPI by KPI."""
    base = exp.baseline_id
    if base is None or len(exp.scenarios) < 2:
        return []
    by: dict[Any, dict[int, dict]] = {}
    for r in runs:
        by.setdefault(r["scenario_id"], {})[r["replication"]] = r
    rows = []
    for kpi in exp.kpis:
        family = []
        for spec in exp.scenarios:
            if spec.id == base:
                continue
            common = sorted(set(by.get(spec.id, {})) & set(by.get(base, {})))
            x = [float(by[spec.id][r][kpi]) for r in common]
            y = [float(by[base][r][kpi]) for r in common]
            d = paired_difference(x, y) if common else None
            family.append((spec, d))
        ps = [d["p_value"] if d and math.isfinite(d["p_value"]) else 1.0 for _, d in family]
        p_h, p_b = holm(ps), bonferroni(ps)
        for (spec, d), ph, pb in zip(family, p_h, p_b, strict=True):
            nan = float("nan")
            d = d or {}
            rows.append({
                "scenario_id": spec.id, "scenario": spec.label, "baseline_id": base, "kpi": kpi,
                "n_pairs": d.get("n", 0), "mean_diff": d.get("mean_diff", nan), "ci95_low": d.get("ci_low", nan),
                "ci95_high": d.get("ci_high", nan), "sd_diff": d.get("sd_diff", nan),
                "var_independent": d.get("var_independent", nan), "var_paired": d.get("var_paired", nan),
                "var_reduction": d.get("var_reduction", nan), "p_value": d.get("p_value", nan),
                "p_holm": ph, "significant_holm": bool(d) and ph < 0.05,
                "p_bonferroni": pb, "significant_bonferroni": bool(d) and pb < 0.05,
            })
    return rows


def write_tables(exp: Experiment, out: Path, done: dict, failures: list[dict]) -> dict:
    """Write runs.csv, crops.csv, summary.csv, comparisons.csv and failures.csv; return the rows."""
    runs = run_rows(exp, done)
    summary = summary_rows(exp, runs)
    comps = comparison_rows(exp, runs)
    cols = ["scenario_id", "scenario", "replication", "seed", *factor_columns(exp), *KPI_COLUMNS]
    write_csv(out / "runs.csv", cols, runs)
    crops = crop_run_rows(exp, done)
    write_csv(out / "crops.csv", ["scenario_id", "scenario", "replication", *factor_columns(exp), *CROP_COLUMNS],
              crops)
    write_csv(out / "summary.csv", ["scenario_id", "scenario", *factor_columns(exp), "kpi", "n", "mean", "std",
                                    "ci95_half_width"], summary)
    write_csv(out / "comparisons.csv", COMPARISON_COLUMNS, comps)
    labels = {s.id: s.label for s in exp.scenarios}
    fails = [{**f, "scenario": labels.get(f["scenario_id"], "")} for f in
             sorted(failures, key=lambda f: (f["scenario_id"], f["replication"]))]
    write_csv(out / "failures.csv", FAILURE_COLUMNS, fails)
    return {"runs": runs, "crops": crops, "summary": summary, "comparisons": comps, "failures": fails}


def write_manifest(exp: Experiment, out: Path, tables: dict, *, stamp: dict, engine: str,
                   started: str, wall_s: float, sim_s: float, runs_this_time: int, counties: dict) -> None:
    """manifest.json: the config and its stamp (resolved-config hash, every input
    file's hash, code version), the county each scenario simulated, seeds, engine,
    timings and counts."""
    reps = exp.replications
    write_json(out / "manifest.json", {
        "kind": "experiment",
        "status": "complete",
        "experiment": exp.name,
        "source": exp.source,
        "config": exp.data,
        "config_sha256": stamp["config_sha256"],
        "inputs_sha256": stamp["inputs_sha256"],
        "code_version": stamp["code_version"],
        "packages": package_versions(),
        "seed": exp.seed,
        "seeds": "replication r of every scenario uses the streams of (seed, r, stream name): common random numbers",
        "design": exp.design,
        "replications": {"min": reps.min, "max": reps.max, "relative_half_width": reps.relative_half_width,
                         "kpis": list(reps.kpis), "batch": reps.batch},
        "warmup_d": exp.warmup_d,
        "baseline_id": exp.baseline_id,
        "kpis": list(exp.kpis),
        "levers": list(exp.levers),
        "uncertainties": list(exp.uncertainties),
        "scenarios": [{"id": s.id, "label": s.label, "values": s.values, "county": counties.get(s.id)}
                      for s in exp.scenarios],
        "engine": engine,
        "started_utc": started,
        "finished_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "timings": {"wall_s": round(wall_s, 3), "simulation_s": round(sim_s, 3),
                    "runs_this_invocation": runs_this_time},
        "counts": {"scenarios": len(exp.scenarios), "runs_done": len(tables["runs"]),
                   "runs_failed": len(tables["failures"])},
    })
