"""Running a rollout through the run engine: every (strategy, replication, county)
is a task on the local pool or a Dask cluster, written to the run store as it
finishes (a re-run does only what is missing, and a folder stamped with other inputs
or code is refused), then the region's tables are built by streaming over those
files, with the manifest and the comparison report."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import time
import traceback
from pathlib import Path

import numpy as np

from sim.analysis.economics import break_even_month
from sim.analysis.registry import ROLLOUT_OUTCOMES, higher_is_better, spoilage_rate
from sim.analysis.statistics import holm, paired_difference, t_interval
from sim.errors import InputError
from sim.experiments.engine import Progress, open_run, run_tasks, unusable_runs_text
from sim.experiments.stamp import check_inputs_unchanged, config_sha256, make_stamp, package_versions
from sim.experiments.store import RunStore, mark_incomplete
from sim.files import remove_figures, write_csv, write_json
from sim.rollout.assumptions import assumptions, levers
from sim.rollout.attrition import StationTally
from sim.rollout.ranking import INPUT_LABELS, check_samples, npv_parts, ranking_sensitivity, ranking_text
from sim.rollout.simulate import ACCESS_BINS, access_gini, geographies, schedule_for, simulate_county
from sim.rollout.spec import Rollout
from sim.rollout.strategies import Schedule

OUTCOMES = tuple((k, higher_is_better(k)) for k in ROLLOUT_OUTCOMES)  # (kpi, higher is better)


OUTPUTS = ("monthly.csv", "outcomes.csv", "counties.csv", "equity.csv", "runs.csv", "stations.csv", "failures.csv",
           "manifest.json", "report.md", "report.html", "ranking_samples.csv", "ranking_breakeven.csv")
"""The tables and report a rollout writes beside its run store (replaced by ``--fresh``)."""
FAILURE_COLUMNS = ("strategy", "replication", "county_id", "error", "traceback")


def run_key(rec) -> tuple[str, str, str]:
    """Where a county run lives in the store: runs/<strategy>/r<replication>/<county id>.json."""
    return (rec["strategy"], f"r{rec['replication']:03d}", rec["county_id"])


def _county_task(task: tuple) -> dict:
    ro, strategy, r, geo, sched = task
    try:
        return {"ok": True, **simulate_county(ro, strategy, r, 0, geo, sched)}
    except Exception as exc:  # recorded, the others go on
        return {"ok": False, "strategy": strategy.name, "replication": r, "county_id": geo.county.id,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def _lost_county(task: tuple, why: str) -> dict:
    _, strategy, r, geo, _ = task
    return {"ok": False, "strategy": strategy.name, "replication": r, "county_id": geo.county.id,
            "error": f"WorkerLost: {why}", "traceback": ""}


def _one_county(s: Schedule, c: int) -> Schedule:
    return Schedule(s.hub_month[[c]], [s.station_month[c]], [s.vehicles[c]], s.capex[[c]],
                    None if s.township_month is None else [s.township_month[c]])


def rollout_stamp(ro: Rollout) -> dict:
    """The folder stamp: every resolved setting (the file's own path excepted), every
    input file's contents and the code version."""
    resolved = {f.name: getattr(ro, f.name) for f in dataclasses.fields(ro) if f.name != "source"}
    return make_stamp("rollout", ro.name, config_sha256(resolved), ro.input_files(), preview=ro.county_limit)


def run_compare(ro: Rollout, out: Path, workers: int | None = None, scheduler: str | None = None,
                fresh: bool = False, quiet: bool = False, report: bool = False,
                ranking: tuple[int, int] | None = None) -> dict:
    """Run every (strategy, replication, county) missing from ``out`` through the run
    engine, then build the region's tables, the manifest, (with ``ranking`` = (samples,
    runs)) the ranking sensitivity of :mod:`sim.rollout.ranking` and (with ``report``)
    the comparison report, all while holding the folder's lock."""
    out = Path(out)
    t0 = time.perf_counter()
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if ranking is not None:
        check_samples(ro, *ranking)
    # the region and every schedule first: bad counties, villages or schedule files fail here, before
    # anything is written
    geos_by_model = {}
    schedules = {}
    for s in ro.strategies:
        if s.operating_model not in geos_by_model:
            geos_by_model[s.operating_model] = geographies(ro, ro.operating_models[s.operating_model])
        schedules[s.name] = schedule_for(ro, s, geos_by_model[s.operating_model])
    stamp = rollout_stamp(ro)
    executor, store = open_run(out, stamp, fresh, run_key, OUTPUTS, workers, scheduler)
    progress = Progress(quiet)
    try:
        tasks = []
        for s in ro.strategies:
            geos = geos_by_model[s.operating_model]
            for r in range(ro.replications):
                for c, geo in enumerate(geos):
                    if store.read(run_key({"strategy": s.name, "replication": r, "county_id": geo.county.id})) is None:
                        tasks.append((ro, s, r, geo, _one_county(schedules[s.name], c)))
        if store.problems:
            progress.note(unusable_runs_text(store.problems))
        try:
            recs = run_tasks(tasks, _county_task, executor, store, progress, lost=_lost_county)
        finally:
            executor.close()
        failures = [rec for rec in recs if not rec["ok"]]
        mark_incomplete(out, "rollout", ro.name, started)
        check_inputs_unchanged(stamp)
        tables = aggregate(ro, store, geos_by_model, schedules)
        write_csv(out / "failures.csv", FAILURE_COLUMNS, sorted(store.failures(), key=lambda f: run_key(f)))
        tables["failures"] = failures
        tables["wall_s"] = time.perf_counter() - t0
        tables["tasks_run"] = len(tasks)
        write_manifest(ro, out, stamp, tables, geos_by_model, executor.name, started)
        if ranking is not None:
            tables["npv_parts"] = npv_parts(ro, store.read, geos_by_model, run_key)
            if any(ranking):
                def run_parts(variant: Rollout, sub: Path) -> dict:
                    return run_compare(variant, sub, workers, scheduler, fresh, quiet=True, ranking=(0, 0))["npv_parts"]
                tables["ranking"] = ranking_sensitivity(ro, out, tables["npv_parts"], ranking[0], ranking[1],
                                                        run_parts)
        if report:
            tables["report"] = write_comparison_report(ro, out, tables)
        else:   # an earlier run's report and figures would not show these tables
            tables["report"] = {}
            for name in ("report.md", "report.html"):
                (out / name).unlink(missing_ok=True)
            remove_figures(out / "figures")
    finally:
        store.close()
    return tables


def write_manifest(ro: Rollout, out: Path, stamp: dict, tables: dict, geos_by_model: dict, engine: str,
                   started: str) -> None:
    """manifest.json: the config and its stamp, the region actually simulated, seeds,
    engine, timings and counts."""
    n_failed = len(tables["failures"])
    write_json(out / "manifest.json", {
        "kind": "rollout", "status": "complete", "rollout": ro.name, "source": ro.source, "config": ro.data,
        "config_sha256": stamp["config_sha256"], "inputs_sha256": stamp["inputs_sha256"],
        "code_version": stamp["code_version"], "packages": package_versions(), "seed": ro.seed,
        "seeds": "county runs use streams keyed by (seed, county, month) and the replication: every strategy "
                 "sees the same draws (common random numbers)",
        "replications": ro.replications, "strategies": [s.name for s in ro.strategies], "baseline": ro.baseline,
        "region": {model: region_summary(geos) for model, geos in geos_by_model.items()},
        "engine": engine, "started_utc": started,
        "finished_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "timings": {"wall_s": round(tables["wall_s"], 3), "county_runs_this_invocation": tables["tasks_run"]},
        "counts": {"county_runs": tables["tasks_run"], "county_runs_failed": n_failed},
    })


def run_rollout(ro: Rollout, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
                fresh: bool = False, quiet: bool = False, report: bool = True,
                ranking: tuple[int, int] | None = None) -> dict:
    """Run a rollout into ``out`` (resuming what is there), write its tables, manifest,
    (with ``ranking`` = (samples, runs)) the ranking sensitivity and (unless ``report``
    is false) the comparison report; returns the tables, with the report's paths under
    ``"report"``."""
    return run_compare(ro, Path(out), workers=workers, scheduler=scheduler, fresh=fresh, quiet=quiet,
                       report=report, ranking=ranking)


def write_comparison_report(ro: Rollout, out: Path, tables: dict) -> dict:
    """report.md and a self-contained report.html from the region's tables."""
    from sim.reports.rollout import write_rollout_report
    counties = [r for r in tables["counties"] if r["strategy"] == ro.baseline]
    notes = [sample_note(ro) + "; routes are planned for mature demand when stations open.",
             "Capital is spent by the schedule (strict priority order within the yearly budget); operating costs, "
             "revenue, subsidies and cross-subsidies come from the monthly simulations.",
             "Gini of access: across all villages, weighted by residents, of the share of a village's residents "
             "who shop online through a station (0 without one).",
             spoilage_note(ro)]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return write_rollout_report(out, {"name": ro.name, "baseline": ro.baseline, "horizon_m": ro.horizon_m,
                              "map_months": list(ro.map_months), "notes": notes,
                              "assumptions": assumptions(ro), "levers": levers(ro), "manifest": manifest,
                              "ranking": ranking_meta(tables.get("ranking")),
                              "reservation_wage_cny": ro.attrition.reservation_wage_cny if ro.attrition else None},
                        tables["monthly"], tables["outcomes"], tables["equity"], counties, tables["coverage_map"],
                        reported=[list(r) for r in ro.reported] or None, stations=tables.get("stations") or ())


def ranking_meta(ranking: dict | None) -> dict | None:
    """The ranking sensitivity as the report shows it: sentences and labelled break-even rows."""
    if not ranking:
        return None
    rows = [{**r, "label": INPUT_LABELS[r["input"]]} for r in ranking["breakeven"]]
    return {"lines": ranking_text(ranking["breakeven"]), "breakeven": rows}


def sample_note(ro: Rollout) -> str:
    """How each month was sampled, for the report."""
    if ro.sampling.method == "stratified":
        return (f"Each month is {ro.sampling.strata} samples of {ro.sample_days} days (each after "
                f"{ro.warmup_days} warm-up days), one starting at a random day of each of {ro.sampling.strata} equal "
                "parts of the month, weighted by the part's length (peaks count in proportion)")
    return f"Each month is a {ro.sample_days}-day sample (after {ro.warmup_days} warm-up days) scaled to the month"


def spoilage_note(ro: Rollout) -> str:
    """Whether the samples can show spoilage: produce offered in a run cannot spoil before its shelf life."""
    lives = [c.shelf_life_d for sc in ro.operating_models.values() for c in sc.crops]
    if not lives:
        return "No produce: no operating model has crops, so there is no spoilage rate (n/a) and no farmer revenue."
    shelf = max(lives)
    if ro.warmup_days + ro.sample_days <= shelf:
        return (f"Spoilage is structurally zero: a run of {ro.warmup_days} warm-up and {ro.sample_days} sample days "
                f"is not longer than the produce's shelf life ({shelf:g} days), so nothing can spoil within it.")
    if ro.warmup_days < shelf:
        return (f"Spoilage is understated: produce can age past its shelf life ({shelf:g} days) only in the last "
                f"days of a {ro.warmup_days}-day warm-up and {ro.sample_days}-day sample; a warm-up of at least "
                "the shelf life makes it a steady-state flow.")
    return (f"Spoilage: each run's warm-up ({ro.warmup_days} days) is at least the produce's shelf life "
            f"({shelf:g} days), so the produce spoiling within a sample is a steady-state flow.")


def region_summary(geos: list) -> dict:
    """The region actually simulated: counties, villages and residents."""
    return {"counties": len(geos), "villages": int(sum(g.network.n for g in geos)),
            "residents": float(sum(float(g.network.residents.sum()) for g in geos))}


def aggregate(ro: Rollout, store: RunStore, geos_by_model: dict, schedules: dict) -> dict:
    """Region tables, reading one county file at a time (memory does not grow with
    the number of counties beyond one row per county)."""
    H = ro.horizon_m
    fields = ("residents", "residents_covered", "stations_open", "villages", "adopters", "parcels_unserved",
              "parcels_ordered",
              "parcels_delivered", "lead_time_sum_h", "produce_sold_kg", "produce_spoiled_kg", "produce_trader_kg",
              "farmer_revenue_cny",
              "vehicle_km", "co2_kg", "capex_cny", "opex_cny", "revenue_cny", "subsidy_cny", "cross_subsidy_cny",
              "net_cash_cny")
    monthly, outcomes_by, county_rows, equity, coverage_map, stations = [], {}, [], [], [], []
    for s in ro.strategies:
        geos = geos_by_model[s.operating_model]
        dec_sum = {d: np.zeros(4) for d in range(1, 11)}
        for r in range(ro.replications):
            acc = {f: np.zeros(H) for f in fields}
            npv_total, covered_share_by_county = 0.0, []
            hist = np.zeros((H, ACCESS_BINS + 1))
            st = StationTally(H)
            for geo in geos:
                key = run_key({"strategy": s.name, "replication": r, "county_id": geo.county.id})
                rec = store.read(key)
                if rec is None:
                    raise InputError(f"{store.run_path(key)}: missing: a county run failed; see failures.csv "
                                     "and run again")
                for f in fields:
                    acc[f] += np.array([row[f] for row in rec["months"]], dtype=float)
                npv_total += rec["npv_cny"]
                for m, sparse in enumerate(rec["access_hist"]):
                    for b, w in sparse:
                        hist[m, b] += w
                st.add(rec)
                last = rec["months"][-1]
                covered_share_by_county.append(last["residents_covered"] / last["residents"])
                if r == 0:
                    county_rows.append({"strategy": s.name, "county_id": geo.county.id, "x_km": geo.county.x_km,
                                        "y_km": geo.county.y_km, "residents": last["residents"],
                                        "hub_month": int(schedules[s.name].hub_month[geos.index(geo)]),
                                        "stations_end": last["stations_open"],
                                        "residents_covered_share_end": covered_share_by_county[-1],
                                        "break_even_month": (rec["break_even_month"]
                                                             if rec["break_even_month"] is not None else ""),
                                        "npv_cny": rec["npv_cny"]})
                    for m in ro.map_months:
                        row = rec["months"][m]
                        coverage_map.append({"strategy": s.name, "month": m, "county_id": geo.county.id,
                                             "residents_covered_share": row["residents_covered"] / row["residents"]})
                for d in rec["deciles"]:
                    dec_sum[d["decile"]] += [d["residents"], d["residents_covered"], d["lead_time_sum_h"], d["parcels"]]
            cum = np.cumsum(acc["net_cash_cny"])
            with np.errstate(invalid="ignore", divide="ignore"):
                for m in range(H):
                    deliv = acc["parcels_delivered"][m]
                    monthly.append({
                        "strategy": s.name, "replication": r, "month": m,
                        "villages_covered": acc["stations_open"][m],
                        "villages_covered_share": acc["stations_open"][m] / acc["villages"][m],
                        "residents_covered_share": acc["residents_covered"][m] / acc["residents"][m],
                        "adopters": acc["adopters"][m], "parcels_delivered": deliv,
                        "parcels_unserved": acc["parcels_unserved"][m],
                        "cost_per_parcel_cny": acc["opex_cny"][m] / deliv if deliv else float("nan"),
                        "subsidy_needed_per_parcel_cny": max(0.0, acc["opex_cny"][m] - acc["revenue_cny"][m]
                                                             - acc["cross_subsidy_cny"][m]) / deliv
                        if deliv else float("nan"),
                        "vehicle_km": acc["vehicle_km"][m],
                        "opex_cny": acc["opex_cny"][m], "capex_cny": acc["capex_cny"][m],
                        "revenue_cny": acc["revenue_cny"][m], "subsidy_cny": acc["subsidy_cny"][m],
                        "net_cash_cny": acc["net_cash_cny"][m], "cumulative_cash_cny": cum[m],
                        "lead_time_mean_h": acc["lead_time_sum_h"][m] / deliv if deliv else float("nan"),
                        "gini_access": float("nan"), "co2_kg": acc["co2_kg"][m],
                        "farmer_revenue_cny": acc["farmer_revenue_cny"][m]})
            stations += st.rows(s.name, r)
            # Gini of access across all the region's villages, weighted by residents, month by month
            for row in monthly[-H:]:
                row["gini_access"] = access_gini(hist[row["month"]])
            g_end = monthly[-1]["gini_access"]
            last12 = slice(max(0, H - 12), H)
            deliv12 = acc["parcels_delivered"][last12].sum()
            gap = np.maximum(0.0, acc["opex_cny"] - acc["revenue_cny"] - acc["cross_subsidy_cny"])
            parcels = acc["parcels_delivered"].sum()
            be = break_even_month(acc["net_cash_cny"])
            outcomes_by[(s.name, r)] = {
                "npv_cny": npv_total,
                "villages_covered_share_end": acc["stations_open"][-1] / acc["villages"][-1],
                "residents_covered_share_end": acc["residents_covered"][-1] / acc["residents"][-1],
                "lead_time_mean_h_last_year": (acc["lead_time_sum_h"][last12].sum() / deliv12
                                               if deliv12 else float("nan")),
                "gini_access_end": g_end,
                "cost_per_parcel_cny_last_year": acc["opex_cny"][last12].sum() / deliv12 if deliv12 else float("nan"),
                # weighted by volume: the subsidy the whole horizon needs over the parcels it delivers
                "subsidy_needed_per_parcel_cny": float(gap.sum() / parcels) if parcels > 0 else float("nan"),
                "farmer_revenue_cny": acc["farmer_revenue_cny"].sum(),
                "spoilage_rate": spoilage_rate(acc["produce_spoiled_kg"].sum(), acc["produce_sold_kg"].sum(),
                                               acc["produce_trader_kg"].sum()),
                "co2_kg": acc["co2_kg"].sum(),
                "break_even_month": float(be) if be is not None else float("nan"),   # nan: not within H months
            }
        for d in range(1, 11):
            res, cov, lead, n = dec_sum[d]
            equity.append({"strategy": s.name, "decile": d, "lead_time_mean_h": lead / n if n else float("nan"),
                           "coverage_share": cov / res if res else float("nan")})
    out = store.root
    outcomes = outcome_rows(ro, outcomes_by)
    cols = list(monthly[0])
    write_csv(out / "monthly.csv", cols, monthly)
    write_csv(out / "outcomes.csv", list(outcomes[0]), outcomes)
    write_csv(out / "counties.csv", list(county_rows[0]), county_rows)
    write_csv(out / "equity.csv", list(equity[0]), equity)
    write_csv(out / "stations.csv", list(stations[0]), stations)
    runs = [{"strategy": s, "replication": r, **v} for (s, r), v in sorted(outcomes_by.items())]
    write_csv(out / "runs.csv", list(runs[0]), runs)
    return {"monthly": monthly, "outcomes": outcomes, "counties": county_rows, "equity": equity,
            "coverage_map": coverage_map, "stations": stations}


def outcome_rows(ro: Rollout, by: dict) -> list[dict]:
    """Per strategy and KPI: the replications with a value, mean, 95% half-width, the
    paired difference against the baseline strategy (common random numbers: same
    replications), Holm over the strategies compared, and a rank (1 = best; ties share
    the best rank of their group; an outcome the same for every strategy is not ranked).
    A break-even month is nan when the strategy does not break even within the horizon
    in a replication; it ranks after every strategy that does."""
    names = [s.name for s in ro.strategies]
    reps = range(ro.replications)
    rows = []
    for kpi, higher in OUTCOMES:
        means, ns, diffs = {}, {}, {}
        for s in names:
            x = [by[(s, r)][kpi] for r in reps]
            m, hw, _ = t_interval(x)
            means[s] = (m, hw)
            ns[s] = sum(1 for v in x if math.isfinite(v))
            if s != ro.baseline:
                y = [by[(ro.baseline, r)][kpi] for r in reps]
                diffs[s] = paired_difference(x, y)
        others = [s for s in names if s != ro.baseline]
        ps = [diffs[s]["p_value"] if math.isfinite(diffs[s]["p_value"]) else 1.0 for s in others]
        adj = dict(zip(others, holm(ps), strict=True)) if others else {}
        ranks = rank_with_ties({s: means[s][0] for s in names}, bool(higher))
        for s in names:
            d = diffs.get(s)
            nan = float("nan")
            rows.append({"strategy": s, "kpi": kpi, "n": ns[s], "mean": means[s][0], "ci95_half_width": means[s][1],
                         "diff_vs_baseline": d["mean_diff"] if d else nan, "diff_ci95_low": d["ci_low"] if d else nan,
                         "diff_ci95_high": d["ci_high"] if d else nan,
                         "significant_holm": bool(d) and adj[s] < 0.05, "rank": ranks[s],
                         "higher_is_better": higher})
    return rows


def rank_with_ties(values: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """Competition ranks (1 = best; equal values share the best rank of their group);
    nan values rank last together; nan for every name when all values are equal."""
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    distinct = {round(v, 12) for v in finite.values()}
    if len(distinct) + (len(finite) < len(values)) <= 1:
        return {k: float("nan") for k in values}

    def better(a: float, b: float) -> bool:
        return a > b if higher_is_better else a < b

    out = {}
    for k, v in values.items():
        if math.isfinite(v):
            out[k] = float(1 + sum(1 for w in finite.values() if better(w, v) and round(w, 12) != round(v, 12)))
        else:
            out[k] = float(1 + len(finite))
    return out
