"""`ruralsim compare`: run every (strategy, replication, county) of a rollout
experiment as its own task on the local pool or a Dask cluster, write each county's
result atomically as it finishes (a re-run does only what is missing), then build
the region's tables by streaming over those files, and the comparison report."""
from __future__ import annotations

import json
import math
import time
import traceback
from pathlib import Path

import numpy as np

from sim.analysis.economics import break_even_month, subsidy_needed_per_parcel
from sim.analysis.registry import ROLLOUT_OUTCOMES, higher_is_better
from sim.experiments.engine import DaskExecutor, LocalExecutor, Progress
from sim.errors import InputError
from sim.files import atomic_write_text, write_csv
from sim.rollout.spec import ACCESS_BINS, Rollout, access_gini, geographies, schedule_for, simulate_county
from sim.analysis.statistics import holm, paired_difference, t_interval
from sim.rollout.strategies import Schedule

OUTCOMES = tuple((k, higher_is_better(k)) for k in ROLLOUT_OUTCOMES)  # (kpi, higher is better)


def _county_task(task: tuple) -> dict:
    ro, strategy, r, geo, sched = task
    try:
        return {"ok": True, **simulate_county(ro, strategy, r, 0, geo, sched)}
    except Exception as exc:  # recorded, the others go on
        return {"ok": False, "strategy": strategy.name, "replication": r, "county_id": geo.county.id,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def _one_county(s: Schedule, c: int) -> Schedule:
    return Schedule(s.hub_month[[c]], [s.station_month[c]], [s.vehicles[c]], s.capex[[c]])


def run_compare(ro: Rollout, out: Path, workers: int | None = None, scheduler: str | None = None,
                fresh: bool = False, quiet: bool = False) -> dict:
    out = Path(out)
    t0 = time.perf_counter()
    # the region and every schedule first: bad counties, villages or schedule files fail here, before
    # anything is written
    geos_by_model = {}
    schedules = {}
    for s in ro.strategies:
        if s.operating_model not in geos_by_model:
            geos_by_model[s.operating_model] = geographies(ro, ro.operating_models[s.operating_model])
        schedules[s.name] = schedule_for(ro, s, geos_by_model[s.operating_model])
    stamp = {"config": json.loads(json.dumps(ro.data, default=str)), "strategies": [s.name for s in ro.strategies]}
    marker = out / "rollout.json"
    if marker.exists() and not fresh and json.loads(marker.read_text()) != stamp:
        raise InputError(f"{out}: was started with a different rollout config; use --fresh or another --out")
    if fresh and (out / "runs").exists():
        for p in sorted((out / "runs").rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    tasks = []
    for s in ro.strategies:
        geos = geos_by_model[s.operating_model]
        for r in range(ro.replications):
            for c, geo in enumerate(geos):
                if not _path(out, s.name, r, geo.county.id).exists():
                    tasks.append((ro, s, r, geo, _one_county(schedules[s.name], c)))
    executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers or 2)
    progress = Progress(quiet)
    total = len(tasks)
    failures = []
    try:
        for i, rec in enumerate(executor.run(tasks, _county_task), start=1):
            if rec["ok"]:
                atomic_write_text(_path(out, rec["strategy"], rec["replication"], rec["county_id"]),
                                  json.dumps(rec, sort_keys=True, default=_json) + "\n")
            else:
                failures.append(rec)
            progress(i, total, len(failures))
    finally:
        executor.close()
    tables = aggregate(ro, out, geos_by_model, schedules)
    write_csv(out / "failures.csv", ("strategy", "replication", "county_id", "error", "traceback"), failures)
    tables["failures"] = failures
    tables["wall_s"] = time.perf_counter() - t0
    tables["tasks_run"] = total
    return tables


def _json(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    raise TypeError(type(o).__name__)


def _path(out: Path, strategy: str, r: int, county_id: str) -> Path:
    return out / "runs" / strategy / f"r{r:03d}" / f"{county_id}.json"


def aggregate(ro: Rollout, out: Path, geos_by_model: dict, schedules: dict) -> dict:
    """Region tables, reading one county file at a time (memory does not grow with
    the number of counties beyond one row per county)."""
    H = ro.horizon_m
    fields = ("residents", "residents_covered", "stations_open", "villages", "adopters", "parcels_unserved",
              "parcels_ordered",
              "parcels_delivered", "lead_time_sum_h", "produce_sold_kg", "produce_spoiled_kg", "farmer_revenue_cny",
              "vehicle_km", "co2_kg", "capex_cny", "opex_cny", "revenue_cny", "subsidy_cny", "cross_subsidy_cny",
              "net_cash_cny")
    monthly, outcomes_by, county_rows, equity, coverage_map = [], {}, [], [], []
    for s in ro.strategies:
        geos = geos_by_model[s.operating_model]
        dec_sum = {d: np.zeros(4) for d in range(1, 11)}
        for r in range(ro.replications):
            acc = {f: np.zeros(H) for f in fields}
            npv_total, covered_share_by_county = 0.0, []
            hist = np.zeros((H, ACCESS_BINS + 1))
            for geo in geos:
                p = _path(out, s.name, r, geo.county.id)
                if not p.exists():
                    raise InputError(f"{p}: missing: a county run failed; see failures.csv and run again")
                rec = json.loads(p.read_text())
                for f in fields:
                    acc[f] += np.array([row[f] for row in rec["months"]], dtype=float)
                npv_total += rec["npv_cny"]
                for m, sparse in enumerate(rec["access_hist"]):
                    for b, w in sparse:
                        hist[m, b] += w
                last = rec["months"][-1]
                covered_share_by_county.append(last["residents_covered"] / last["residents"])
                if r == 0:
                    county_rows.append({"strategy": s.name, "county_id": geo.county.id, "x_km": geo.county.x_km,
                                        "y_km": geo.county.y_km, "residents": last["residents"],
                                        "hub_month": int(schedules[s.name].hub_month[geos.index(geo)]),
                                        "stations_end": last["stations_open"],
                                        "residents_covered_share_end": covered_share_by_county[-1],
                                        "break_even_month": rec["break_even_month"] if rec["break_even_month"] is not None else "",
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
            # Gini of access across all the region's villages, weighted by residents, month by month
            for row in monthly[-H:]:
                row["gini_access"] = access_gini(hist[row["month"]])
            g_end = monthly[-1]["gini_access"]
            last12 = slice(max(0, H - 12), H)
            deliv12 = acc["parcels_delivered"][last12].sum()
            sold, spoiled = acc["produce_sold_kg"].sum(), acc["produce_spoiled_kg"].sum()
            sub = subsidy_needed_per_parcel(acc["opex_cny"], acc["revenue_cny"] + acc["cross_subsidy_cny"],
                                            acc["parcels_delivered"])
            be = break_even_month(acc["net_cash_cny"])
            outcomes_by[(s.name, r)] = {
                "npv_cny": npv_total,
                "villages_covered_share_end": acc["stations_open"][-1] / acc["villages"][-1],
                "residents_covered_share_end": acc["residents_covered"][-1] / acc["residents"][-1],
                "lead_time_mean_h_last_year": acc["lead_time_sum_h"][last12].sum() / deliv12 if deliv12 else float("nan"),
                "gini_access_end": g_end,
                "cost_per_parcel_cny_last_year": acc["opex_cny"][last12].sum() / deliv12 if deliv12 else float("nan"),
                "subsidy_needed_per_parcel_cny": float(np.nanmean(sub)) if np.isfinite(sub).any() else float("nan"),
                "farmer_revenue_cny": acc["farmer_revenue_cny"].sum(),
                "spoilage_rate": spoiled / (sold + spoiled) if sold + spoiled else 0.0,
                "co2_kg": acc["co2_kg"].sum(),
                "break_even_month": float(be) if be is not None else float(H),
            }
        for d in range(1, 11):
            res, cov, lead, n = dec_sum[d]
            equity.append({"strategy": s.name, "decile": d, "lead_time_mean_h": lead / n if n else float("nan"),
                           "coverage_share": cov / res if res else float("nan")})
    outcomes = outcome_rows(ro, outcomes_by)
    cols = list(monthly[0])
    write_csv(out / "monthly.csv", cols, monthly)
    write_csv(out / "outcomes.csv", list(outcomes[0]), outcomes)
    write_csv(out / "counties.csv", list(county_rows[0]), county_rows)
    write_csv(out / "equity.csv", list(equity[0]), equity)
    runs = [{"strategy": s, "replication": r, **v} for (s, r), v in sorted(outcomes_by.items())]
    write_csv(out / "runs.csv", list(runs[0]), runs)
    return {"monthly": monthly, "outcomes": outcomes, "counties": county_rows, "equity": equity,
            "coverage_map": coverage_map}


def outcome_rows(ro: Rollout, by: dict) -> list[dict]:
    """Per strategy and KPI: mean, 95% half-width, the paired difference against the
    baseline strategy (common random numbers: same replications), Holm over the
    strategies compared, and a rank (1 = best)."""
    names = [s.name for s in ro.strategies]
    reps = range(ro.replications)
    rows = []
    for kpi, higher in OUTCOMES:
        means = {}
        diffs = {}
        for s in names:
            x = [by[(s, r)][kpi] for r in reps]
            m, hw, _ = t_interval(x)
            means[s] = (m, hw)
            if s != ro.baseline:
                y = [by[(ro.baseline, r)][kpi] for r in reps]
                diffs[s] = paired_difference(x, y)
        others = [s for s in names if s != ro.baseline]
        ps = [diffs[s]["p_value"] if math.isfinite(diffs[s]["p_value"]) else 1.0 for s in others]
        adj = dict(zip(others, holm(ps))) if others else {}
        order = sorted(names, key=lambda s: (-(means[s][0]) if higher else means[s][0], names.index(s)))
        for s in names:
            d = diffs.get(s)
            nan = float("nan")
            rows.append({"strategy": s, "kpi": kpi, "mean": means[s][0], "ci95_half_width": means[s][1],
                         "diff_vs_baseline": d["mean_diff"] if d else nan, "diff_ci95_low": d["ci_low"] if d else nan,
                         "diff_ci95_high": d["ci_high"] if d else nan,
                         "significant_holm": bool(d) and adj[s] < 0.05, "rank": order.index(s) + 1,
                         "higher_is_better": higher})
    return rows
