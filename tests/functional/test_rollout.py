"""Rollout strategies over a region: budgets, schedules, adoption, money, engines,
the report and bad input."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.economics import break_even_month, npv
from sim.cli import main
from sim.errors import InputError
from sim.rollout.adoption import bass_share
from sim.rollout.compare import run_compare
from sim.rollout.simulate import geographies, schedule_for, simulate_county
from sim.rollout.spec import load_rollout
from sim.rollout.strategies import Costs, plan_rollout, projects

ROOT = Path(__file__).resolve().parents[2]

PARTNER = {"lastmile": {"vehicle_type": "partner", "departures_h": [14]},
           "vehicle_types": {"partner": {"capacity_kg": 3000, "capacity_parcels": 2000, "cost_per_km_cny": 0,
                                         "cost_per_day_cny": 0, "driver_per_day_cny": 0, "fee_per_parcel_cny": 2.5,
                                         "capex_cny": 0}}}


def config(tmp_path, **extra) -> Path:
    data = {"kind": "rollout", "name": "tiny_region", "base": {"start_doy": 250},
            "region": {"counties": 3, "seed": 5, "villages": {"min": 20, "max": 30},
                       "area_km2": {"min": 300, "max": 500}, "extent_km": 200},
            "horizon_m": 8, "sample_days": 3, "warmup_days": 1, "replications": 2,
            "budget_per_year_cny": 4.0e6,
            "operating_models": {"self_run": {}, "partner": PARTNER},
            "strategies": {"largest": {"village_order": "largest_first", "operating_model": "self_run"},
                           "remote": {"village_order": "remote_first", "operating_model": "self_run"},
                           "partner": {"village_order": "largest_first", "operating_model": "partner"}},
            "baseline": "largest", "map_months": [3, 7]}
    data.update(extra)
    p = tmp_path / "rollout.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def read(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def ro(tmp_path):
    return load_rollout(config(tmp_path))


def test_counties_and_villages_are_generated_from_the_region_parameters(ro):
    geos = geographies(ro, ro.operating_models["self_run"])
    assert len(geos) == 3
    assert all(20 <= g.network.n <= 30 for g in geos)
    assert len({g.scenario.seed for g in geos}) == 3


@settings(max_examples=25, deadline=None)
@given(budget=st.floats(1e5, 5e7), target=st.floats(0.1, 1.0), order=st.sampled_from(
    ["largest_first", "nearest_first", "remote_first", "random"]))
def test_budgets_are_never_exceeded_and_hubs_open_first(budget, target, order, tmp_path_factory):
    ro = load_rollout(config(tmp_path_factory.mktemp("r")))
    geos = geographies(ro, ro.operating_models["self_run"])
    costs = Costs(hub_cny=1.5e6, station_cny=1e4, vehicle_cny=8e4, parcels_per_vehicle_day=400,
                  parcels_per_resident_day=0.02)
    plist = projects(geos, order, target, np.random.default_rng(0))
    sched = plan_rollout(geos, plist, budget, 30, costs)
    assert np.all(sched.spent_by_year() <= budget + 1e-6)
    for c, months in enumerate(sched.station_month):
        opened = months[months >= 0]
        if len(opened):
            assert 0 <= sched.hub_month[c] <= opened.min()
    # the pace follows the budget: more money never opens fewer stations by any month
    richer = plan_rollout(geos, plist, budget * 2, 30, costs)
    for m in range(30):
        n = sum(((s >= 0) & (s <= m)).sum() for s in sched.station_month)
        assert sum(((s >= 0) & (s <= m)).sum() for s in richer.station_month) >= n


def test_no_station_serves_before_it_opens_and_adoption_follows_bass(ro):
    strategy = ro.strategies[0]
    geos = geographies(ro, ro.operating_models[strategy.operating_model])
    sched = schedule_for(ro, strategy, geos)
    c = int(np.argmax([len(s[s >= 0]) for s in sched.station_month]))
    res = simulate_county(ro, strategy, 0, c, geos[c], sched)
    net = geos[c].network
    opened = sched.station_month[c]
    for row in res["months"]:
        m = row["month"]
        is_open = (opened >= 0) & (opened <= m)
        hub_open = 0 <= sched.hub_month[c] <= m
        assert row["stations_open"] == is_open.sum()
        if not hub_open or not is_open.any():
            assert row["parcels_ordered"] == 0 and row["adopters"] == 0
        else:
            want = (net.residents * bass_share(m - opened + 0.5, ro.adoption.p, ro.adoption.q,
                                               ro.adoption.ceiling))[is_open].sum()
            assert row["adopters"] == pytest.approx(want, rel=1e-12)


def test_region_run_is_identical_with_1_or_2_workers_and_on_dask(tmp_path):
    p = config(tmp_path)
    a = run_compare(load_rollout(p), tmp_path / "one", workers=1, quiet=True)
    run_compare(load_rollout(p), tmp_path / "two", workers=2, quiet=True)
    for name in ("monthly.csv", "outcomes.csv", "counties.csv", "equity.csv", "runs.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        run_compare(load_rollout(p), tmp_path / "dask", scheduler=cl.scheduler_address, quiet=True)
    for name in ("monthly.csv", "outcomes.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    assert not a["failures"]


def test_npv_and_break_even_agree_with_the_cash_flows(tmp_path):
    p = config(tmp_path)
    ro = load_rollout(p)
    tables = run_compare(ro, tmp_path / "o", workers=1, quiet=True)
    runs = {(r["strategy"], int(r["replication"])): r for r in read(tmp_path / "o" / "runs.csv")}
    for s in ro.strategies:
        for r in range(ro.replications):
            flows = np.array([row["net_cash_cny"] for row in tables["monthly"]
                              if row["strategy"] == s.name and row["replication"] == r])
            assert float(runs[(s.name, r)]["npv_cny"]) == pytest.approx(npv(flows, ro.economics.discount_rate_y),
                                                                          rel=1e-9)
            be = break_even_month(flows)
            got = float(runs[(s.name, r)]["break_even_month"])   # nan: not within the horizon
            assert (math.isnan(got) and be is None) or got == be
    # by hand: month k is discounted by (1 + r) ** (-(k + 1) / 12)
    assert npv([100.0, 100.0], 0.1) == pytest.approx(100 / 1.1 ** (1 / 12) + 100 / 1.1 ** (2 / 12))


def test_compare_writes_the_report_with_every_figure_and_table(tmp_path):
    p = config(tmp_path)
    out = tmp_path / "rep"
    r = CliRunner().invoke(main, ["compare", str(p), "--out", str(out), "--workers", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    figs = sorted(q.name for q in (out / "figures").glob("*.png"))
    assert {"coverage_residents.png", "coverage_villages.png", "cost_per_parcel.png", "cost_vs_volume.png",
            "cash_flow.png", "equity.png", "gini.png"} <= set(figs)
    assert "coverage_maps.png" in figs       # the maps as one figure of small multiples
    # the policy pages come from the run itself: summary first, assumptions, provenance from the manifest
    manifest = json.loads((out / "manifest.json").read_text())
    assert md.index("## Summary") < md.index("## Outcomes")
    assert "budget_per_year_cny" in md and "[G]" in md
    assert manifest["code_version"] in md and manifest["config_sha256"] in html
    for f in figs:
        assert f"figures/{f}" in md
    assert html.count("data:image/png;base64,") == len(figs) and 'src="http' not in html
    for s in ("largest", "remote", "partner"):
        assert s in md
    # resuming finds every county run present
    again = CliRunner().invoke(main, ["compare", str(p), "--out", str(out), "--workers", "1", "--quiet"])
    assert again.exit_code == 0 and " 0 county runs" in again.output


@pytest.mark.parametrize("extra,needle", [
    ({"strategies": {"x": {"village_order": "biggest_first"}}}, "village_order: 'biggest_first' is not allowed"),
    ({"strategies": {"x": {"operating_model": "drones"}}}, "operating_model: 'drones' is not allowed"),
    ({"baseline": "nope"}, "baseline: 'nope' is not allowed"),
    ({"region": {"counties": 0}}, "region.counties: 0 is not allowed"),
    ({"region": {"countys": 3}}, "region.countys: unknown key; did you mean 'counties'?"),
    ({"budget_per_year_cny": "2.0e7"}, "write 2.0e+7"),
    ({"adoption": {"p": 0}}, "adoption.p: 0.0 is not allowed"),
])
def test_bad_rollout_configs(tmp_path, extra, needle):
    p = config(tmp_path, **extra)
    with pytest.raises(InputError) as exc:
        load_rollout(p)
    assert needle in str(exc.value)
    r = CliRunner().invoke(main, ["compare", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and needle in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("rows,needle", [
    ("month,county_id,village_id\n0,C0001,\n1,C0001,V0001\n", None),
    ("month,county,village_id\n", "missing column(s) county_id"),
    ("month,county_id,village_id\nx,C0001,\n", "line 2: month 'x' is not allowed"),
    ("month,county_id,village_id\n99,C0001,\n", "line 2: month 99 is not allowed"),
    ("month,county_id,village_id\n0,C0999,\n", "line 2: county_id 'C0999' is not allowed"),
    ("month,county_id,village_id\n0,C0001,\n0,C0001,V9999\n", "line 3: village_id 'V9999' is not allowed"),
    ("month,county_id,village_id\n1,C0001,V0001\n2,C0001,\n", "before its county hub opens"),
    ("month,county_id,village_id\n0,C0001,\n0,C0001,\n", "opens twice"),
    ("month,county_id,village_id\n0,C0001,\n0,C0002,\n0,C0003,\n", "above that year's budget"),
])
def test_user_schedules_are_checked(tmp_path, rows, needle):
    (tmp_path / "sched.csv").write_text(rows)
    p = config(tmp_path, strategies={"mine": {"schedule": "sched.csv", "operating_model": "self_run"}},
               baseline="mine")
    ro = load_rollout(p)
    geos = geographies(ro, ro.operating_models["self_run"])
    if needle is None:
        sched = schedule_for(ro, ro.strategies[0], geos)
        assert sched.hub_month[0] == 0 and sched.station_month[0][0] == 1
        return
    with pytest.raises(InputError) as exc:
        schedule_for(ro, ro.strategies[0], geos)
    assert needle in str(exc.value) and "sched.csv" in str(exc.value)


def test_shipped_rollout_experiments_are_valid():
    for name in ("rollout_strategies", "rural_taobao_2015", "national_rollout_first_year"):
        r = CliRunner().invoke(main, ["check", str(ROOT / "experiments" / f"{name}.yaml")])
        assert r.exit_code == 0, r.output


def test_slow_service_damps_adoption_when_feedback_is_on(tmp_path):
    fast = load_rollout(config(tmp_path))
    slow = load_rollout(config(tmp_path, adoption={"p": 0.02, "q": 0.15, "ceiling": 0.6,
                                                   "feedback": {"reference_h": 1.0, "elasticity": 1.0}}))
    strategy = fast.strategies[0]
    geos = geographies(fast, fast.operating_models["self_run"])
    sched = schedule_for(fast, strategy, geos)
    c = int(np.argmax([len(s[s >= 0]) for s in sched.station_month]))
    a = simulate_county(fast, strategy, 0, c, geos[c], sched)["months"]
    b = simulate_county(slow, slow.strategies[0], 0, c, geos[c], sched)["months"]
    later = [m for m in range(len(a)) if a[m]["adopters"] > 0][2:]
    assert later and all(b[m]["adopters"] < a[m]["adopters"] for m in later)


def test_counties_and_villages_from_csv_files(tmp_path):
    (tmp_path / "counties.csv").write_text(
        "id,x_km,y_km,area_km2,townships,villages,residents,city_km\n"
        "A,0,0,400,2,25,25000,100\nB,50,10,300,2,20,18000,150\n")
    (tmp_path / "villages").mkdir()
    (tmp_path / "villages" / "A.csv").write_text(
        "id,township,x_km,y_km,residents,road_class\nA1,T1,3,1,900,cement\nA2,T1,4,2,1100,gravel\nA3,T2,-5,0,700,asphalt\n")
    p = config(tmp_path, region={"counties_csv": "counties.csv", "villages_dir": "villages"})
    ro = load_rollout(p)
    geos = geographies(ro, ro.operating_models["self_run"])
    assert [g.county.id for g in geos] == ["A", "B"]
    assert geos[0].network.village_id == ("A1", "A2", "A3")          # read from its file
    assert geos[1].network.n == 20                                   # generated from the county row
    tables = run_compare(ro, tmp_path / "o", workers=1, quiet=True)
    assert not tables["failures"]


@pytest.mark.parametrize("text,needle", [
    ("id,x_km,y_km,area_km2,townships,villages,residents\nA,0,0,1,1,1,1\n", "missing column(s) city_km"),
    ("id,x_km,y_km,area_km2,townships,villages,residents,city_km\nA,0,0,-1,1,1,1,1\n",
     "line 2: area_km2 -1 is not allowed"),
    ("id,x_km,y_km,area_km2,townships,villages,residents,city_km\nA,0,0,1,1,1,1,1\nA,0,0,1,1,1,1,1\n",
     "line 3: id 'A' is not allowed"),
])
def test_bad_counties_csv(tmp_path, text, needle):
    (tmp_path / "counties.csv").write_text(text)
    ro = load_rollout(config(tmp_path, region={"counties_csv": "counties.csv"}))
    with pytest.raises(InputError) as exc:
        geographies(ro, ro.operating_models["self_run"])
    assert needle in str(exc.value)


def test_bad_schedule_file_fails_before_anything_is_written(tmp_path):
    (tmp_path / "sched.csv").write_text("month,county_id,village_id\n0,C0999,\n")
    p = config(tmp_path, strategies={"mine": {"schedule": "sched.csv"}}, baseline="mine")
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["compare", str(p), "--out", str(out)])
    assert r.exit_code == 2 and "county_id 'C0999' is not allowed" in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_gini_of_access_is_across_villages(tmp_path):
    from sim.analysis.economics import gini
    from sim.rollout.simulate import access_gini, access_histogram
    ro = load_rollout(config(tmp_path, region={"counties": 1, "seed": 5, "villages": {"min": 30, "max": 30}}))
    strategy = ro.strategies[0]
    geos = geographies(ro, ro.operating_models["self_run"])
    sched = schedule_for(ro, strategy, geos)
    res = simulate_county(ro, strategy, 0, 0, geos[0], sched)
    net = geos[0].network
    opened = sched.station_month[0]
    for m, sparse in enumerate(res["access_hist"]):
        hist = np.zeros(1001)
        for b, w in sparse:
            hist[b] += w
        assert hist.sum() == pytest.approx(net.residents.sum())
        is_open = (opened >= 0) & (opened <= m) & (0 <= sched.hub_month[0] <= m)
        access = np.where(is_open, bass_share(m - opened + 0.5, ro.adoption.p, ro.adoption.q, 1.0), 0.0)
        if (access > 0).any():
            assert access_gini(hist) == pytest.approx(gini(access, net.residents), abs=2e-3)
        else:
            assert math.isnan(access_gini(hist))
    # one village with all the access among equals -> high; everyone equally served -> 0;
    # nobody with any access -> undefined (not 0, which would read as equal access)
    assert math.isnan(access_gini(np.bincount([0], minlength=1001).astype(float)))
    assert access_gini(np.bincount([500, 500], minlength=1001).astype(float)) == pytest.approx(0.0)
    h = np.zeros(1001)
    for b, w in access_histogram(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4)):
        h[b] += w
    assert access_gini(h) == pytest.approx(0.75, abs=1e-3)


def test_ranks_share_ties_and_constant_outcomes_are_not_ranked():
    from sim.rollout.compare import rank_with_ties
    nan = float("nan")
    assert rank_with_ties({"a": 3.0, "b": 1.0, "c": 3.0, "d": 2.0}, higher_is_better=True) == \
        {"a": 1.0, "b": 4.0, "c": 1.0, "d": 3.0}
    assert rank_with_ties({"a": 3.0, "b": 1.0, "c": 3.0}, higher_is_better=False) == {"a": 2.0, "b": 1.0, "c": 2.0}
    # never breaking even (nan) ranks after every strategy that does
    assert rank_with_ties({"a": 12.0, "b": nan, "c": 30.0}, higher_is_better=False) == {"a": 1.0, "b": 3.0, "c": 2.0}
    ranks = rank_with_ties({"a": 0.0, "b": 0.0, "c": 0.0}, higher_is_better=False)
    assert all(math.isnan(r) for r in ranks.values())
    assert all(math.isnan(r) for r in rank_with_ties({"a": nan, "b": nan}, higher_is_better=False).values())


def test_a_preview_runs_the_first_counties_with_fewer_replications_in_its_own_stamp(tmp_path):
    p = config(tmp_path)
    full = load_rollout(p)
    assert full.replications >= 2
    res = CliRunner().invoke(main, ["compare", str(p), "--out", str(tmp_path / "pv"), "--workers", "1",
                                    "--no-figures", "--quiet", "--counties", "2", "--replications", "1"])
    assert res.exit_code == 0, res.output
    runs = list(csv.DictReader((tmp_path / "pv" / "runs.csv").open()))
    assert {r["replication"] for r in runs} == {"0"}
    counties = {r["county_id"] for r in csv.DictReader((tmp_path / "pv" / "counties.csv").open())}
    assert len(counties) == 2
    # the full run into the same folder is another stamp: refused without --fresh
    again = CliRunner().invoke(main, ["compare", str(p), "--out", str(tmp_path / "pv"), "--workers", "1",
                                      "--no-figures", "--quiet"])
    assert again.exit_code == 2 and "a preview on 2 counties (now the whole region)" in again.output


def test_a_preview_scales_the_budget_to_its_counties_once(tmp_path):
    full = load_rollout(config(tmp_path))
    total = full.region.counties
    assert total >= 3
    two = full.preview(2)
    assert two.budget_per_year_cny == tuple(b * 2 / total for b in full.budget_per_year_cny)
    assert two.preview(2).budget_per_year_cny == two.budget_per_year_cny          # not scaled twice
    assert full.preview(total).budget_per_year_cny == full.budget_per_year_cny    # the whole region
    assert full.preview(None, 1).budget_per_year_cny == full.budget_per_year_cny  # replications only


def test_spoilage_rate_counts_the_traders_kilograms_and_is_nan_without_produce(tmp_path):
    """The horizon's spoilage rate is spoiled / (sold + to the trader + spoiled) over a
    replication's stored county-months (as in a scenario's runs.csv), and nan, not 0, in a
    region without produce."""
    glut = {"start_doy": 250, "crops": [{"name": "lemon", "village_share": 1.0, "kg_per_resident_y": 300.0,
                                         "season_start_doy": 1, "season_end_doy": 365, "shelf_life_d": 2.0}],
            "market": {"trader_takes_uncollected": True}, "surge": {"enabled": False},
            "trunk": {"truck_capacity_kg": 300.0, "trucks_per_departure": 1},
            "vehicle_types": {"van": {"capacity_kg": 400.0}}}
    p = config(tmp_path, base=glut, strategies={"largest": {"village_order": "largest_first"}}, baseline="largest")
    run_compare(load_rollout(p), tmp_path / "o", workers=1, quiet=True)
    by_rep: dict[str, list] = {}
    for f in (tmp_path / "o" / "runs").rglob("*.json"):
        rec = json.loads(f.read_text())
        rep = f.relative_to(tmp_path / "o" / "runs").parts[1]   # runs/<strategy>/r000/<county>.json
        by_rep.setdefault(str(int(rep.lstrip("r"))), []).extend(rec["months"])
    rates = {r["replication"]: float(r["spoilage_rate"]) for r in read(tmp_path / "o" / "runs.csv")}
    assert sorted(by_rep) == sorted(rates) == ["0", "1"]
    for rep, months in by_rep.items():
        sold, spoiled, traded = (sum(m[k] for m in months) for k in ("produce_sold_kg", "produce_spoiled_kg",
                                                                     "produce_trader_kg"))
        assert traded > 1.0 and spoiled > 1.0       # the case tests something: the trader bought, some spoiled
        assert rates[rep] == pytest.approx(spoiled / (sold + traded + spoiled), rel=1e-9)
    bare = config(tmp_path, base={"start_doy": 250, "crops": []},
                  strategies={"largest": {"village_order": "largest_first"}}, baseline="largest")
    run_compare(load_rollout(bare), tmp_path / "bare", workers=1, quiet=True, report=True)   # (crops: [] is valid)
    assert [r["spoilage_rate"] for r in read(tmp_path / "bare" / "runs.csv")] == ["nan", "nan"]
    assert "No produce: no operating model has crops" in (tmp_path / "bare" / "report.md").read_text()
    # resumed without a report: the earlier report and its figures go (they would not show these tables)
    run_compare(load_rollout(bare), tmp_path / "bare", workers=1, quiet=True, report=False)
    assert not any((tmp_path / "bare" / n).exists() for n in ("report.md", "report.html", "figures"))
    assert (tmp_path / "bare" / "runs.csv").is_file()
