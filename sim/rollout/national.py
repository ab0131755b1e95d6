"""Running a national year through the run engine: one task per county (a whole
county-year in a worker, of which only the county's totals come back), each written to
the run store as it arrives, then the national tables streamed from those files one
county at a time (memory does not grow with the number of counties), the manifest and
the figures."""
from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import os
import tempfile
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path

from sim.analysis.registry import spoilage_rate
from sim.errors import InputError
from sim.experiments.engine import Progress, json_default, open_run, unusable_runs_text
from sim.experiments.stamp import check_inputs_unchanged, make_stamp, package_versions
from sim.experiments.store import RunStore, mark_incomplete
from sim.files import fmt, remove_figures, write_csv, write_json
from sim.rollout.national_spec import National, NationalCounty
from sim.rollout.region import county_scenario

COUNTY_COLUMNS = (
    "region", "county_id", "remoteness_class", "city_km", "area_km2", "villages", "residents", "villages_served",
    "routes", "inbound_parcels_ordered", "inbound_parcels_delivered", "inbound_lead_time_mean_h",
    "outbound_produce_sold_kg", "outbound_produce_spoiled_kg", "outbound_produce_trader_kg", "farmer_revenue_cny",
    "vehicle_km", "cost_inbound_cny", "cost_outbound_cny", "cost_total_cny", "co2_kg")
"""counties.csv: one row per county-year, in the national county order."""

SUMMED = ("villages", "residents", "villages_served", "routes", "inbound_parcels_ordered",
          "inbound_parcels_delivered", "lead_time_sum_h", "outbound_produce_sold_kg", "outbound_produce_spoiled_kg",
          "outbound_produce_trader_kg", "farmer_revenue_cny", "vehicle_km", "cost_inbound_cny", "cost_outbound_cny",
          "cost_total_cny", "co2_kg")
"""What a group of counties adds up (``lead_time_sum_h``: mean lead time x parcels delivered)."""

COUNTED = ("villages", "villages_served", "routes", "inbound_parcels_ordered", "inbound_parcels_delivered")
"""Sums of whole numbers, written as such."""

GROUP_COLUMNS = (
    "counties", "villages", "residents", "villages_served", "villages_served_share", "routes",
    "inbound_parcels_ordered", "inbound_parcels_delivered", "inbound_lead_time_mean_h", "outbound_produce_sold_kg",
    "outbound_produce_spoiled_kg", "outbound_produce_trader_kg", "spoilage_rate", "farmer_revenue_cny", "vehicle_km",
    "cost_inbound_cny",
    "cost_outbound_cny", "cost_total_cny", "cost_per_parcel_cny", "cost_per_kg_out_cny", "co2_kg")
"""regions.csv and remoteness.csv (after their group column): totals and the ratios of totals."""

NATIONAL = "national"
"""The last row of regions.csv and remoteness.csv: the whole country."""

OUTPUTS = ("counties.csv", "regions.csv", "remoteness.csv", "failures.csv", "manifest.json")
FAILURE_COLUMNS = ("region", "county_id", "error", "traceback")


def run_key(rec: Mapping) -> tuple[str, str]:
    """Where a county-year lives in the store: runs/<region>/<county id>.json."""
    return (rec["region"], rec["county_id"])


def county_year(base, nc: NationalCounty, seed: int) -> dict:
    """One county's whole year (the base resized to the county, its terrain if the region
    sets one); only its totals are returned, the daily series stay in the worker."""
    from sim.county.kpis import run_replication
    from sim.county.planning import plan
    sc = county_scenario(base, nc.county, seed)
    if nc.terrain is not None:
        sc = dataclasses.replace(sc, county=dataclasses.replace(sc.county, terrain=nc.terrain))
    the_plan = plan(sc)
    k = run_replication(sc, 0, the_plan).kpis
    c = nc.county
    return {"region": nc.region, "county_id": c.id, "remoteness_class": nc.remoteness_class, "city_km": c.city_km,
            "area_km2": c.area_km2, "villages": int(the_plan.network.n),
            "residents": float(the_plan.network.residents.sum()),
            **{name: k[name] for name in COUNTY_COLUMNS[7:]}}


def _task(task: tuple) -> dict:
    base, nc, seed = task
    try:
        return {"ok": True, **county_year(base, nc, seed)}
    except Exception as exc:  # recorded, the others go on
        return {"ok": False, "region": nc.region, "county_id": nc.county.id,
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def _lost(task: tuple, why: str) -> dict:
    _, nc, _ = task
    return {"ok": False, "region": nc.region, "county_id": nc.county.id, "error": f"WorkerLost: {why}",
            "traceback": ""}


def national_stamp(nat: National) -> dict:
    return make_stamp("national", nat.name, nat.resolved(), nat.input_files(), preview=nat.county_limit)


# ---- tables --------------------------------------------------------------------------
class Totals:
    """Sums over a group of county rows, and the group's row of the national tables."""

    def __init__(self) -> None:
        self.counties = 0
        self.sums = dict.fromkeys(SUMMED, 0.0)

    def add(self, row: Mapping) -> None:
        self.counties += 1
        for f in SUMMED:
            if f != "lead_time_sum_h":
                self.sums[f] += row[f]
            elif row["inbound_parcels_delivered"]:   # a county that delivered nothing has no mean lead time
                self.sums[f] += row["inbound_lead_time_mean_h"] * row["inbound_parcels_delivered"]

    def row(self) -> dict:
        s = self.sums
        deliv, sold, spoiled = s["inbound_parcels_delivered"], s["outbound_produce_sold_kg"], \
            s["outbound_produce_spoiled_kg"]
        nan = float("nan")
        return {"counties": self.counties,
                **{f: int(s[f]) if f in COUNTED else s[f] for f in SUMMED if f != "lead_time_sum_h"},
                "villages_served_share": s["villages_served"] / s["villages"] if s["villages"] else nan,
                "inbound_lead_time_mean_h": s["lead_time_sum_h"] / deliv if deliv else nan,
                "spoilage_rate": spoilage_rate(spoiled, sold, s["outbound_produce_trader_kg"]),
                "cost_per_parcel_cny": s["cost_inbound_cny"] / deliv if deliv else nan,
                "cost_per_kg_out_cny": s["cost_outbound_cny"] / sold if sold else nan}


def national_tables(rows: Iterable[Mapping], out: Path, region_names: list[str], classes: int) -> dict[str, list]:
    """Stream ``rows`` (county rows in the national order) into counties.csv, adding each
    to its region's, its remoteness class's and the nation's totals; then regions.csv
    (every configured region, in config order) and remoteness.csv (every class, 1 =
    nearest), each ending with the national row. Only the group totals are held."""
    regions = {name: Totals() for name in region_names}
    remote = {k: Totals() for k in range(1, classes + 1)}
    nation = Totals()
    fd, tmp = tempfile.mkstemp(prefix=".counties.csv.", suffix=".tmp", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(COUNTY_COLUMNS)
            for row in rows:
                w.writerow([fmt(row[c]) for c in COUNTY_COLUMNS])
                for t in (regions[row["region"]], remote[int(row["remoteness_class"])], nation):
                    t.add(row)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / "counties.csv")
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    by_region = [{"region": k, **t.row()} for k, t in regions.items()] + [{"region": NATIONAL, **nation.row()}]
    by_class = [{"remoteness_class": str(k), **t.row()} for k, t in remote.items()] + \
        [{"remoteness_class": NATIONAL, **nation.row()}]
    write_csv(out / "regions.csv", ("region", *GROUP_COLUMNS), by_region)
    write_csv(out / "remoteness.csv", ("remoteness_class", *GROUP_COLUMNS), by_class)
    return {"regions": by_region, "remoteness": by_class}


def _stored_rows(store: RunStore, counties: list[NationalCounty]) -> Iterable[dict]:
    for nc in counties:
        key = run_key({"region": nc.region, "county_id": nc.county.id})
        rec = store.read(key)
        if rec is None:
            raise InputError(f"{store.run_path(key)}: missing: a county-year failed; see failures.csv and run again")
        yield rec


# ---- the run ---------------------------------------------------------------------------
def run_national(nat: National, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
                 fresh: bool = False, quiet: bool = False, figures: bool = True) -> dict:
    """Run every county-year missing from ``out`` (resuming what is there; a folder
    stamped with another config, other inputs or other code is refused unless
    ``fresh``), then write the national tables, the manifest and (with ``figures``)
    the figures. Returns the group tables, failures, timings and counts."""
    out = Path(out)
    t0 = time.perf_counter()
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    counties = nat.counties()
    stamp = national_stamp(nat)
    executor, store = open_run(out, stamp, fresh, run_key, (*OUTPUTS, "figures"), workers, scheduler)
    progress = Progress(quiet)
    try:
        tasks = [(nat.base, nc, nat.seed) for nc in counties
                 if store.read(run_key({"region": nc.region, "county_id": nc.county.id})) is None]
        if store.problems:
            progress.note(unusable_runs_text(store.problems))
        n_failed = 0
        try:
            for i, rec in enumerate(executor.run(tasks, _task, _lost), start=1):
                store.write(rec, default=json_default)   # appended as it arrives; nothing else is kept
                n_failed += 0 if rec["ok"] else 1
                progress(i, len(tasks), n_failed)
        finally:
            executor.close()
        mark_incomplete(out, "national", nat.name, started)
        check_inputs_unchanged(stamp)
        write_csv(out / "failures.csv", FAILURE_COLUMNS, sorted(store.failures(), key=run_key))
        if n_failed or store.failures():
            tables: dict = {"regions": [], "remoteness": []}
        else:
            tables = national_tables(_stored_rows(store, counties), out, [r for r, _ in nat.regions],
                                     nat.remoteness_classes)
        wall = time.perf_counter() - t0
        result = {**tables, "failures": store.failures(), "tasks_run": len(tasks), "counties": len(counties),
                  "engine": executor.name, "wall_s": wall}
        figs = []
        if figures and tables["regions"]:
            from sim.figures.national import draw_national_figures
            figs = draw_national_figures(out, nat.county_limit)
        else:   # figures of an earlier draw would not show these tables
            remove_figures(out / "figures")
        write_national_manifest(nat, out, stamp, result, started, [str(p.relative_to(out)) for p in figs])
    finally:
        store.close()
    return result


def write_national_manifest(nat: National, out: Path, stamp: dict, result: dict, started: str,
                            figures: list[str]) -> None:
    nation = result["regions"][-1] if result["regions"] else {}
    write_json(out / "manifest.json", {
        "kind": "national", "status": "complete" if nation else "incomplete", "national": nat.name,
        "source": nat.source, "config": nat.data, "config_sha256": stamp["config_sha256"],
        "inputs_sha256": stamp["inputs_sha256"], "code_version": stamp["code_version"],
        "packages": package_versions(), "seed": nat.seed,
        "seeds": "each county's streams are keyed by (seed, county id): the same county sees the same draws in a "
                 "preview, a resumed run and on any number of workers",
        "coverage_share": nat.coverage_share, "preview_counties": nat.county_limit,
        "country": {"counties": nation.get("counties", 0), "villages": nation.get("villages", 0),
                    "residents": nation.get("residents", 0.0)},
        "engine": result["engine"], "started_utc": started,
        "finished_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "timings": {"wall_s": round(result["wall_s"], 3), "county_years_this_invocation": result["tasks_run"]},
        "counts": {"county_years": result["counties"], "county_years_failed": len(result["failures"])},
        "figures": figures,
    })
