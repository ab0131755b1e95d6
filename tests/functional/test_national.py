"""The national year: its tables add up (regions and remoteness classes to the country,
county counts as configured), the streamed tables equal a plain computation from the
run files, it runs end to end through the CLI and resumes only under its own stamp,
a preview samples every region, memory does not grow with the number of counties, and
a Dask cluster gives byte-identical tables."""
import csv
import json
import tracemalloc
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sim.analysis import registry
from sim.cli import main
from sim.files import csv_text
from sim.rollout.national import COUNTY_COLUMNS, GROUP_COLUMNS, national_tables, run_national
from sim.rollout.national_spec import load_national

TINY = {"kind": "national", "name": "tiny", "seed": 3, "base": {"warmup_d": 2, "horizon_d": 12},
        "coverage_share": 0.5, "remoteness_classes": 3,
        "regions": {"east": {"counties": 3, "villages": {"min": 8, "max": 12}, "area_km2": {"min": 200, "max": 400},
                             "city_km": {"min": 50, "max": 100}, "terrain": "plain"},
                    "west": {"counties": 2, "villages": {"min": 6, "max": 10}, "area_km2": {"min": 300, "max": 600},
                             "city_km": {"min": 100, "max": 300}, "terrain": "mountain"}}}
SUMS = ("counties", "villages", "residents", "villages_served", "inbound_parcels_delivered", "cost_total_cny",
        "outbound_produce_sold_kg", "co2_kg")
TABLES = ("counties.csv", "regions.csv", "remoteness.csv")


def tiny(tmp_path: Path, **changes) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump({**TINY, **changes}))
    return p


def read(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    out = tmp / "out"
    res = run_national(load_national(tiny(tmp)), out, workers=1, quiet=True, figures=False)
    return out, res


def test_regions_and_classes_add_up_to_the_country(ran):
    out, res = ran
    assert not res["failures"] and res["counties"] == 5
    for name, group in (("regions.csv", "region"), ("remoteness.csv", "remoteness_class")):
        rows = read(out / name)
        parts, nation = rows[:-1], rows[-1]
        assert nation[group] == "national"
        for col in SUMS:
            assert sum(float(r[col]) for r in parts) == pytest.approx(float(nation[col]), rel=1e-12), (name, col)
    regions = {r["region"]: int(r["counties"]) for r in read(out / "regions.csv")}
    assert regions == {"east": 3, "west": 2, "national": 5}     # as configured
    classes = [int(r["counties"]) for r in read(out / "remoteness.csv")[:-1]]
    assert classes == [2, 2, 1]                                 # 5 counties in 3 equal groups: ranks 0-1, 2-3, 4


def test_remoteness_classes_rank_counties_by_distance_to_their_city(ran):
    out, _ = ran
    rows = sorted(read(out / "counties.csv"), key=lambda r: float(r["city_km"]))
    assert [int(r["remoteness_class"]) for r in rows] == [1, 1, 2, 2, 3]


def test_stations_at_the_stated_coverage(ran):
    out, _ = ran
    for r in read(out / "counties.csv"):
        # largest_first stations in round(0.5 x villages) villages of every county
        assert abs(float(r["villages_served"]) - 0.5 * float(r["villages"])) <= 0.5


def test_streamed_tables_equal_a_plain_computation_from_the_run_files(ran):
    out, _ = ran
    recs = {(p.parent.name, p.stem): json.loads(p.read_text()) for p in (out / "runs").rglob("*.json")}
    order = [(r["region"], r["county_id"]) for r in read(out / "counties.csv")]
    assert sorted(order) == sorted(recs) and [k[1] for k in order] == [f"east_000{i}" for i in (1, 2, 3)] + \
        ["west_0001", "west_0002"]
    rows = [recs[k] for k in order]
    assert (out / "counties.csv").read_text() == csv_text(COUNTY_COLUMNS, rows)
    for r in read(out / "regions.csv"):
        mine = [x for x in rows if r["region"] in ("national", x["region"])]
        deliv = sum(x["inbound_parcels_delivered"] for x in mine)
        lead = sum(x["inbound_lead_time_mean_h"] * x["inbound_parcels_delivered"] for x in mine) / deliv
        assert float(r["inbound_lead_time_mean_h"]) == pytest.approx(lead, rel=1e-12)
        assert float(r["cost_per_parcel_cny"]) == pytest.approx(sum(x["cost_inbound_cny"] for x in mine) / deliv,
                                                                 rel=1e-12)
        assert float(r["villages_served_share"]) == pytest.approx(
            sum(x["villages_served"] for x in mine) / sum(x["villages"] for x in mine), rel=1e-12)


def _fake_rows(n: int):
    for i in range(n):
        yield {"region": "east" if i % 2 else "west", "county_id": f"c{i}", "remoteness_class": 1 + i % 3,
               "city_km": 50.0 + i, "area_km2": 1000.0, "villages": 200, "residents": 2e5, "villages_served": 50,
               "routes": 5, "inbound_parcels_ordered": 1e6, "inbound_parcels_delivered": 1e6,
               "inbound_lead_time_mean_h": 30.0 + i % 7, "outbound_produce_sold_kg": 1e6,
               "outbound_produce_spoiled_kg": 1e5, "outbound_produce_trader_kg": 0.0, "farmer_revenue_cny": 3e6,
               "vehicle_km": 1e5,
               "cost_inbound_cny": 5e6, "cost_outbound_cny": 1e5, "cost_total_cny": 5.1e6, "co2_kg": 2e4}


def _peak_bytes(tmp: Path, n: int) -> int:
    tmp.mkdir()
    tracemalloc.start()
    national_tables(_fake_rows(n), tmp, ["east", "west"], 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_county_that_delivered_nothing_leaves_its_groups_lead_time_and_counts_stay_whole(tmp_path):
    rows = list(_fake_rows(3))
    rows[0].update(inbound_parcels_delivered=0.0, inbound_lead_time_mean_h=float("nan"))    # west, class 1
    rows[2].update(outbound_produce_sold_kg=0.0, outbound_produce_spoiled_kg=0.0)            # west, class 3
    rows[1].update(outbound_produce_trader_kg=2e5)                                           # east, class 2
    national_tables(rows, tmp_path, ["east", "west"], 3)
    regions = {r["region"]: r for r in read(tmp_path / "regions.csv")}
    # west: only county 2 delivered, at 32 h; the nation: 1e6 parcels at 31 h and 1e6 at 32 h
    assert float(regions["west"]["inbound_lead_time_mean_h"]) == pytest.approx(32.0)
    assert float(regions["national"]["inbound_lead_time_mean_h"]) == pytest.approx(31.5)
    # spoilage counts what the trader bought as decided, like runs.csv: 1e5 / (1e6 + 2e5 + 1e5)
    assert float(regions["east"]["spoilage_rate"]) == pytest.approx(1e5 / 1.3e6)
    classes = {r["remoteness_class"]: r for r in read(tmp_path / "remoteness.csv")}
    assert classes["3"]["spoilage_rate"] == "nan"          # no produce: no rate, not a rate of 0
    assert regions["national"]["inbound_parcels_delivered"] == "2000000" and regions["west"]["villages"] == "400"


def test_the_table_writer_holds_group_totals_only(tmp_path):
    small, large = _peak_bytes(tmp_path / "a", 200), _peak_bytes(tmp_path / "b", 6000)
    assert len((tmp_path / "b" / "counties.csv").read_text().splitlines()) == 6001
    assert large < small + 64 * 1024, (small, large)     # 30x the counties, no more memory


def test_a_run_does_not_grow_with_the_number_of_counties(tmp_path):
    """Identical tiny counties: what a run holds per county is its metadata (a few kB: the
    county, its task), not its model or results (a county-year's daily series alone is
    32 kB: 365 days x 11 columns x 8 bytes)."""
    def peak(counties: int) -> int:
        same = {"min": 1, "max": 1}
        cfg = dict(TINY, base={"warmup_d": 1, "horizon_d": 3}, regions={"r": {
            "counties": counties, "villages": {"min": 5, "max": 5}, "area_km2": {"min": 100, "max": 100},
            "residents_per_village": {k: 1000 * v for k, v in same.items()},
            "city_km": {k: 100 * v for k, v in same.items()}}})
        folder = tmp_path / str(counties)
        folder.mkdir()
        nat = load_national(tiny(folder, **cfg))
        tracemalloc.start()
        run_national(nat, tmp_path / f"out{counties}", workers=1, quiet=True, figures=False)
        p = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return p

    peak(3)                                    # imports and first-use caches are not the run's
    p20, p100 = peak(20), peak(100)
    assert p100 < p20 + 80 * 16 * 1024, (p20, p100)


def test_a_tiny_national_year_through_the_cli_resumes_under_its_own_stamp_only(tmp_path):
    cfg = tiny(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(cfg), "--out", str(out), "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert "5 county-years, 5 run now" in r.output and "national" in r.output
    assert all((out / n).is_file() for n in (*TABLES, "manifest.json", "figures/national_by_region.png"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    before = {n: (out / n).read_bytes() for n in TABLES}
    png = (out / "figures/national_by_region.png").read_bytes()
    (out / "figures/national_by_region.png").unlink()
    r = CliRunner().invoke(main, ["plot", str(out)])
    assert r.exit_code == 0 and (out / "figures/national_by_region.png").read_bytes() == png
    r = CliRunner().invoke(main, ["run", str(cfg), "--out", str(out), "--no-figures"])
    assert r.exit_code == 0 and "0 run now" in r.output
    assert {n: (out / n).read_bytes() for n in TABLES} == before
    tiny(tmp_path, coverage_share=0.75)
    r = CliRunner().invoke(main, ["run", str(cfg), "--out", str(out)])
    assert r.exit_code == 2 and "a different config" in r.output and "--fresh" in r.output


def test_a_preview_samples_every_region_and_is_stamped_apart(tmp_path):
    nat = load_national(tiny(tmp_path))
    sample = nat.preview(2).counties()
    assert [c.region for c in sample] == ["east", "west"]
    assert nat.preview(2).resolved() != nat.resolved()
    assert len(nat.preview(99).counties()) == 5


@pytest.mark.parametrize("change, words", [
    ({"regions": {"e": {"counties": 0}}}, "regions.e.counties"),
    ({"regions": {"e": {"countes": 3}}}, "countes"),
    ({"regions": {"../x": {"counties": 3}}}, "regions.../x"),
    ({"coverage_share": 1.5}, "coverage_share"),
    ({"base": {"stations": {"coverage_share": 0.9}}}, "set coverage_share instead"),
    ({"regions": {"e": {"counties": 3, "city_km": {"min": 9, "max": 1}}}}, "min <= max"),
    # 0.002 x 150 villages rounds to no station: such counties would deliver nothing
    ({"coverage_share": 0.002, "regions": {"e": {"counties": 3, "villages": {"min": 150, "max": 270}}}},
     "coverage_share: 0.002 is not allowed: a share that gives every county a station: above 0.003333"),
])
def test_bad_national_configs_are_refused_naming_the_key(tmp_path, change, words):
    cfg = tiny(tmp_path, **change)
    r = CliRunner().invoke(main, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and words in r.output and str(cfg) in r.output, r.output
    assert not (tmp_path / "o").exists()


def test_dask_cluster_gives_byte_identical_tables(ran, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    local, _ = ran
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = run_national(load_national(tiny(tmp_path)), tmp_path / "dask", scheduler=cluster.scheduler_address,
                           quiet=True, figures=False)
    assert res["engine"].startswith("dask")
    for n in TABLES:
        assert (tmp_path / "dask" / n).read_bytes() == (local / n).read_bytes(), n


def test_every_table_column_is_registered_with_a_unit():
    for name in (*COUNTY_COLUMNS[2:], *GROUP_COLUMNS):
        assert registry.kpi(name).unit.strip(), name


def test_a_group_without_a_value_is_marked_not_drawn_as_zero_and_every_group_gives_its_counties():
    import matplotlib
    matplotlib.use("Agg")
    from sim.figures.national import plot_by_group

    rows = [{"region": "east", "counties": 3, "spoilage_rate": 0.2},
            {"region": "west", "counties": 0, "spoilage_rate": float("nan")},
            {"region": "national", "counties": 3, "spoilage_rate": 0.2}]
    ax = plot_by_group(rows, "region", "spoilage_rate")
    (dots,) = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert list(dots.get_xdata()) == [0] and list(dots.get_ydata()) == [0.2]    # west has no dot at 0
    assert [t.get_text() for t in ax.texts] == ["n/a"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["east\n(n=3)", "west\n(n=0)"]


def test_a_preview_of_another_size_is_refused_saying_so():
    from sim.experiments.stamp import stamp_changes
    base = {"kind": "national", "config_sha256": "a", "inputs_sha256": {}, "code_version": "v"}
    assert stamp_changes({**base, "preview_counties": 10}, {**base, "config_sha256": "b", "preview_counties": 12}) \
        == ["a preview on 10 counties (now a preview on 12 counties)"]
    assert stamp_changes(base, {**base, "config_sha256": "b"}) == ["a different config (resolved settings)"]
    assert stamp_changes({**base, "kind": "experiment"}, base) == ["an experiment config, not a national one"]
