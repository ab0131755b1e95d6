"""The findings machinery: scenarios picked by name and lever values, paired
differences and their significance, and the document rendered from findings."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.experiments.finding import Finding, Interval, Result
from sim.experiments.findings import write_findings


def _result():
    scenarios = [SimpleNamespace(id=f"s{i}", name=name, values={"stations.coverage_share": cov})
                 for i, (name, cov) in enumerate([("a", 0.25), ("a", 0.5), ("b", 0.25)])]
    exp = SimpleNamespace(name="x", scenarios=scenarios)
    runs = []
    for sid, base in (("s0", 10.0), ("s1", 12.0), ("s2", 10.5)):
        for r, noise in enumerate([0.0, 1.0, -1.0, 2.0]):   # the same noise in every scenario: common numbers
            runs.append({"scenario_id": sid, "replication": r, "kpi": base + noise})
    return Result(exp, list(reversed(runs)))


def test_values_pick_one_scenario_by_name_and_lever_in_replication_order():
    res = _result()
    assert res.values("kpi", "a", coverage_share=0.5) == [12.0, 13.0, 11.0, 14.0]
    with pytest.raises(KeyError):
        res.values("kpi", coverage_share=0.25)          # two scenarios match


def test_paired_difference_removes_the_common_noise():
    res = _result()
    d = res.diff("kpi", {"name": "a", "coverage_share": 0.5}, {"name": "a", "coverage_share": 0.25})
    assert d.mean == pytest.approx(2.0) and d.half_width == pytest.approx(0.0) and d.significant
    m = res.mean("kpi", "b")
    # mean 11.0 of 10.5 + (0, 1, -1, 2); t(0.975, 3) = 3.182, sd = 1.291
    assert m.mean == pytest.approx(11.0) and m.half_width == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)


def test_an_interval_through_zero_is_not_significant():
    assert not Interval(0.5, 0.6).significant and Interval(-0.5, 0.4).significant
    assert Interval(1.234, 0.5).text("h", signed=True) == "+1.23 ± 0.50 h"
    assert Interval(2e6, 1e5).text("M CNY", scale=1e-6) == "2.00 ± 0.10 M CNY"
    assert Interval(1e-12, 1e-13).text("points", signed=True) == "0 ± 0 points"   # float remnants of none


def test_plus_minus_gives_the_digits_the_interval_supports():
    from sim.files import plus_minus
    assert plus_minus(6.175, 0.00793) == "6.1750 ± 0.0079"          # the half-width to 2 significant digits
    assert plus_minus(33.1, 0.213) == "33.10 ± 0.21"                # the mean to the same decimal place
    assert plus_minus(708398.0, 1011.0) == "708,400 ± 1,000"        # whole hundreds
    assert plus_minus(-611382.0, 7460.0, signed=True) == "-611,400 ± 7,500"
    assert plus_minus(1.188, 0.014, signed=True) == "+1.188 ± 0.014"
    assert plus_minus(-3.0, 500.0, signed=True) == "0 ± 500"       # rounded to 0: no sign, no -0
    assert plus_minus(92.0, 0.0) == "92 ± 0"                       # never varies: whole
    assert plus_minus(0.0, 0.0) == "0 ± 0" and plus_minus(2.0, 0.0, signed=True) == "+2 ± 0"
    assert plus_minus(0.375, 0.0) == "0.375 ± 0"                   # a fraction that never varies keeps its digits
    assert plus_minus(0.2486, 3.85e-17) == "0.249 ± 0"             # float noise of a value that never varies
    assert plus_minus(5.0, float("nan")) == "5.000"                # no interval (one replication)
    assert plus_minus(float("nan"), 0.1) == "n/a"


def test_in_interval_gives_a_difference_and_its_bounds_the_same_digits():
    from sim.files import in_interval
    assert in_interval(5.0, 2.0, 8.0, signed=True) == "+5.0 [+2.0, +8.0]"        # half-width 3: one decimal
    assert in_interval(-1.3766, -1.3805, -1.3727) == "-1.3766 [-1.3805, -1.3727]"  # half-width 0.0039
    assert in_interval(-226_000.0, -239_000.0, -213_000.0) == "-226,000 [-239,000, -213,000]"
    assert in_interval(0.001, -0.0004, 0.0024, signed=True) == "+0.0010 [-0.0004, +0.0024]"
    assert in_interval(2.0, float("nan"), float("nan"), signed=True) == "+2.000 [n/a, n/a]"   # no interval


def test_the_document_carries_every_number_and_source(tmp_path):
    f = Finding("k", "A title", "It is so.", [("a quantity", "1.0 ± 0.1 h")], "An assumption.", "It flips at 3.",
                [("at 3", "0.1 ± 0.2 h")], ["experiments/backhaul.yaml"])
    path = write_findings([f], {"replications": 5, "experiments": {}}, tmp_path / "findings.md")
    text = path.read_text()
    for needle in ("## A title", "**Finding.** It is so.", "| a quantity | 1.0 ± 0.1 h |", "**What drives it.**",
                   "**When it flips.** It flips at 3.", "| at 3 | 0.1 ± 0.2 h |", "`experiments/backhaul.yaml`",
                   "## Not yet findings", "5 replications"):
        assert needle in text, needle


def test_the_document_names_the_package_versions_it_was_computed_with(tmp_path):
    from importlib import metadata
    path = write_findings([], {"replications": 5, "experiments": {}}, tmp_path / "findings.md")
    header = path.read_text().split("\n\n")[1]
    for name in ("numpy", "scipy", "simpy"):   # the packages whose versions can change the numbers
        assert f"{name} {metadata.version(name)}" in header, header


def test_the_readme_digest_is_rewritten_between_its_markers_and_nothing_else(tmp_path):
    from sim.experiments.findings import DIGEST_END, DIGEST_START, write_digest
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nBefore.\n\n{DIGEST_START}\n- an old number\n{DIGEST_END}\n\nAfter.\n")
    meta = {"replications": 5, "experiments": {"a": {"runs": 40}, "b": {"runs": 10}}}
    found = [Finding("k", "A title", "It is so (+1.0 ± 0.1 h).", [], "", ""),
             Finding("j", "Another", "Not quite.", [], "", "")]
    write_digest(found, meta, readme)
    text = readme.read_text()
    assert text.startswith("# x\n\nBefore.\n\n" + DIGEST_START + "\n") and text.endswith(DIGEST_END + "\n\nAfter.\n")
    assert "an old number" not in text and "From 50 county-years (5 replications a scenario)" in text
    assert "- **A title.** It is so (+1.0 ± 0.1 h).\n- **Another.** Not quite.\n" in text
    write_digest(found, meta, readme)
    assert readme.read_text() == text                  # the same findings: the same file


@pytest.mark.parametrize("body", ["no markers", "<!-- findings:end -->\n<!-- findings:start -->",
                                  "<!-- findings:start -->\n<!-- findings:start -->\n<!-- findings:end -->"])
def test_a_readme_without_its_digest_markers_is_refused_and_left_alone(tmp_path, body):
    from sim.errors import InputError
    from sim.experiments.findings import write_digest
    readme = tmp_path / "README.md"
    readme.write_text(body)
    with pytest.raises(InputError, match=r"README.md: the findings' digest goes between one line <!-- findings:start"):
        write_digest([], {"replications": 5, "experiments": {}}, readme)
    assert readme.read_text() == body


def test_findings_refuses_a_readme_without_markers_before_running_anything(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    out = tmp_path / "runs"
    res = CliRunner().invoke(main, ["findings", "--readme", str(readme), "--out", str(out)])
    assert res.exit_code == 2 and "findings:start" in res.output and "Traceback" not in res.output
    assert not out.exists() and readme.read_text() == "# no markers\n"
    res = CliRunner().invoke(main, ["findings", "--readme", str(tmp_path / "missing.md"), "--out", str(out)])
    assert res.exit_code == 2 and "missing.md: file not found" in res.output and not out.exists()


def _named(rows_by_scenario: dict) -> Result:
    """A Result of named scenarios: (name, lever items) -> one row of KPIs per replication."""
    scenarios, runs = [], []
    for i, ((name, levers), rows) in enumerate(rows_by_scenario.items()):
        scenarios.append(SimpleNamespace(id=f"s{i}", name=name, values=dict(levers)))
        runs += [{"scenario_id": f"s{i}", "replication": r, **row} for r, row in enumerate(rows)]
    return Result(SimpleNamespace(name="x", scenarios=scenarios), runs)


def test_bus_lines_finding_reads_paired_differences_and_the_fee_where_replacing_stops_paying():
    from sim.experiments.findings_tiers import bus_lines
    noise = [0.0, 1.0, -1.0]
    bl = _named({(m, ()): [{"cost_per_parcel_cny": c + e, "outbound_produce_sold_kg": kg + 10 * e}
                           for e in noise]
                 for m, c, kg in (("vans", 6.0, 1000.0), ("buses_added", 6.0, 1230.0),
                                  ("buses_replacing", 4.5, 850.0))})
    fee = _named({(m, (("buses.fee_per_parcel_cny", f),)): [{"cost_per_parcel_cny": c + e} for e in noise]
                  for f in (1.0, 2.0, 3.0) for m, c in (("vans", 6.0), ("buses_replacing", 4.5 + (f - 1.0) * 1.0))})
    import dataclasses

    from sim.config.scenario import Scenario
    buses = dataclasses.replace(Scenario(name="b").buses, departures_h=(7.0, 12.0, 17.0), capacity_parcels_per_run=80,
                                fee_per_parcel_cny=1.5)
    bl.exp.scenarios[2].scenario = SimpleNamespace(buses=buses)   # what the statement reads of the buses
    f = bus_lines(bl, fee)
    numbers = dict(f.numbers)
    assert numbers["buses added: produce sold"] == "+0.230 ± 0 t"      # 230 kg more, the noise cancels
    assert numbers["buses replacing: cost per parcel"] == "-1.500 ± 0 CNY"
    assert "on three runs a day) raise produce sold by 0.230 ± 0 t (+23%) and leave cost per parcel unchanged" \
        in f.statement
    assert "replacing the vans they lower cost per parcel by 1.500 ± 0 CNY (-25%) and lower produce sold by " \
           "0.150 ± 0 t (-15%). Neither reproduces" in f.statement
    assert "carry 80 parcels and 300 kg a run" in f.driver and "(1.5 CNY, [G])" in f.driver
    # replacing with more produce out and lower cost: the direction of Hunan's routes, said so
    bl.runs = [dict(r, outbound_produce_sold_kg=r["outbound_produce_sold_kg"] + 300.0) if r["scenario_id"] == "s2"
               else r for r in bl.runs]
    assert "Buses replacing give lower cost and more produce out together" in bus_lines(bl, fee).statement
    # replacing minus vans: -1.5, -0.5, +0.5 CNY at fees 1, 2, 3: dearer from 3, zero at 2.5 CNY a parcel
    assert "between fees of 2 and 3 CNY a parcel (about 2.5 CNY" in f.sensitivity


def test_the_fee_at_which_replacing_stops_being_cheaper_is_interpolated():
    from sim.experiments.findings_tiers import _fee_flip

    crossing = {1.0: Interval(-1.377, 0.01), 2.0: Interval(-0.377, 0.01), 3.0: Interval(0.623, 0.01)}
    text = _fee_flip("the vans", crossing)
    # -0.377 at 2 and +0.623 at 3: zero at 2 + 0.377 / 1.0 = 2.377
    assert "between fees of 2 and 3 CNY a parcel (about 2.4 CNY" in text
    assert "stays cheaper per parcel at every fee tried (1-3 CNY" in _fee_flip(
        "the vans", {1.0: Interval(-2.0, 0.1), 3.0: Interval(-0.5, 0.6)})
    assert "dearer per parcel from a fee of 1 CNY" in _fee_flip("x", {1.0: Interval(0.5, 0.1), 2.0: Interval(1.0, 0.1)})


def test_cold_rooms_flip_names_where_they_lower_do_nothing_and_raise_spoilage():
    from sim.experiments.findings import _cold_room_flip

    every = _cold_room_flip({5.0: Interval(-0.003, 0.001), 10.0: Interval(-0.002, 0.001)})
    assert every == "2 t station cold rooms lower spoilage at every shelf life tried (5 and 10 days)."
    mixed = _cold_room_flip({5.0: Interval(0.0029, 0.0014), 7.0: Interval(0.0, 0.0013),
                             10.0: Interval(-0.00165, 0.0006), 14.0: Interval(-0.0023, 0.0008)})
    assert "lower spoilage at a shelf life of 10 and 14 days" in mixed
    assert "no significant difference at 7 days" in mixed
    assert "raise it at 5 days (+0.29 ± 0.14 points)" in mixed and "bottleneck" in mixed


def test_backhaul_claims_a_sign_by_volume_only_where_the_interval_excludes_zero():
    from sim.experiments.findings import _saving_by_volume, _spoilage_by_volume

    # one interval through zero among positive ones: not "the same sign at every volume"
    mixed = _spoilage_by_volume({12.5: Interval(0.0121, 0.0042), 25.0: Interval(0.0011, 0.0060),
                                 50.0: Interval(0.0069, 0.0039)})
    assert "higher spoilage at 12.5 and 50; no significant difference at 25 kg per grower" in mixed
    assert "same sign" not in mixed and "12.5 kg: +1.21 ± 0.42 points" in mixed
    same = _spoilage_by_volume({12.5: Interval(0.0121, 0.0042), 50.0: Interval(0.0069, 0.0039)})
    assert same.startswith(" Its effect on spoilage has the same sign at every volume tried")
    flips = _spoilage_by_volume({12.5: Interval(-0.01, 0.002), 25.0: Interval(0.0, 0.001), 50.0: Interval(0.01, 0.002)})
    assert "lower spoilage at 12.5 kg per grower resident a year, higher at 50, no significant difference at 25" \
        in flips
    # savings: every volume significant, or the volumes where backhaul costs more or makes no difference named
    assert _saving_by_volume({12.5: Interval(-7.6e5, 1e4), 100.0: Interval(-7.6e5, 5e3)}) == \
        "Backhaul saves money at every produce volume tried (12.5 and 100 kg per grower resident a year)."
    assert _saving_by_volume({12.5: Interval(-7.6e5, 1e4), 50.0: Interval(1e4, 5e3), 100.0: Interval(0.0, 5e3)}) == \
        "Backhaul costs more at 50 and makes no significant difference at 100 kg per grower resident a year."


def _sweep(cost: dict, noise: dict | None = None, name: str | None = None) -> list:
    """Scenarios and runs of a synthetic coverage sweep: ``cost[coverage]`` plus per-replication
    noise (common to every scenario unless ``noise[coverage]`` adds its own)."""
    scenarios, runs = [], []
    for cov, base in cost.items():
        sid = f"{name}{cov}"
        scenarios.append(SimpleNamespace(id=sid, name=name, values={"stations.coverage_share": cov,
                                                                    "lastmile.vehicles_per_route": 1}))
        for r, common in enumerate([0.0, 0.1, -0.1, 0.05, -0.05]):
            own = (noise or {}).get(cov, [0.0] * 5)[r]
            runs.append({"scenario_id": sid, "replication": r, "cost_per_parcel_cny": base + common + own})
    return [scenarios, runs]


def test_the_lowest_cost_coverage_is_named_only_as_far_as_its_paired_difference_supports():
    from sim.experiments.findings import coverage_cost

    def result(*parts):
        return Result(SimpleNamespace(name="x", scenarios=[s for p in parts for s in p[0]]),
                      [r for p in parts for r in p[1]])

    rules = result(_sweep({0.25: 6.0, 0.5: 5.0, 0.75: 4.9, 1.0: 4.95}, name="incremental"),
                   _sweep({0.25: 3.8, 0.5: 3.4, 0.75: 3.3, 1.0: 3.4}, name="kg"))
    clear = coverage_cost(result(_sweep({0.25: 6.0, 0.5: 5.0, 0.75: 4.9, 1.0: 4.95})), rules)
    assert "lowest at 75% of villages covered;" in clear.statement and "distinguishable" not in clear.statement
    # 100% is 0.01 dearer on average but its own noise (+-0.05 a replication) swamps that
    tied = coverage_cost(result(_sweep({0.25: 6.0, 0.5: 5.0, 0.75: 4.9, 1.0: 4.91},
                                       noise={1.0: [0.05, -0.05, 0.04, -0.04, 0.0]})), rules)
    # differences 0.01 + (0.05, -0.05, 0.04, -0.04, 0): sd 0.04528, t(0.975, 4) = 2.776, half-width 0.0562
    assert "lowest at 75% of villages covered (not distinguishable from 100%: +0.010 ± 0.056 CNY" in tied.statement
    assert "at 75% coverage under the `kg` rule" in tied.sensitivity
    assert "does not depend on the rule" in tied.sensitivity


def test_cost_per_parcel_is_called_unchanged_only_when_the_difference_is_none():
    from sim.experiments.findings_tiers import _cost_effect

    assert _cost_effect(Interval(0.0, 0.0), "leave", "change") == "leave cost per parcel unchanged"
    assert _cost_effect(Interval(3e-13, 1e-13), "leaving", "changing") == "leaving cost per parcel unchanged"
    assert _cost_effect(Interval(0.02, 0.05), "leave", "change") == \
        "change cost per parcel by +0.020 ± 0.050 CNY (not significant)"
    assert _cost_effect(Interval(-1.3766, 0.0039), "leave", "change") == \
        "change cost per parcel by -1.3766 ± 0.0039 CNY"


def test_township_bus_lines_finding_reads_its_directions_off_the_intervals():
    from sim.config.scenario import Scenario
    from sim.experiments.findings_tiers import township_bus_lines
    noise = [0.0, 1.0, -1.0]

    def result(replacing_sold: float) -> Result:
        res = _named({(m, ()): [{"cost_per_parcel_cny": c + e, "outbound_produce_sold_kg": kg + 10 * e,
                                 "inbound_lead_time_mean_h": 40.0 + e, "spoilage_rate": 0.5 + 0.01 * e}
                                for e in noise]
                      for m, c, kg in (("two_tier", 12.0, 200.0), ("township_buses_added", 12.0, 1400.0),
                                       ("township_buses_replacing", 9.0, replacing_sold))})
        res.exp.scenarios[1].scenario = Scenario(name="t")   # the buses and the village leg read from it
        return res

    fee = _named({(m, (("buses.fee_per_parcel_cny", f),)): [{"cost_per_parcel_cny": c + e} for e in noise]
                  for f in (1.0, 3.0, 5.0) for m, c in (("two_tier", 12.0), ("township_buses_replacing", 8.0 + f))})
    both = township_bus_lines(result(1400.0), fee).statement
    assert "raise produce sold by 1.200 ± 0 t (+600%) when added to the township vehicles, leaving cost per parcel " \
           "unchanged; replacing them they lower cost per parcel by 3 ± 0 CNY (-25%) and raise produce sold" in both
    assert both.endswith("together, the direction of Hunan's shared routes.")
    less = township_bus_lines(result(150.0), fee).statement
    assert "and lower produce sold by 0.050 ± 0 t (-25%): lower cost and more produce out do not come together." \
        in less


def test_the_drivers_pay_flip_claims_a_direction_only_where_the_interval_excludes_zero():
    from sim.experiments.findings_tiers import _drivers_flip

    assert _drivers_flip({150: Interval(4.0, 0.1), 75: Interval(2.0, 0.1), 0: Interval(0.5, 0.1)}) == (
        "With walking tractors on the village leg, the township tier stays dearer per parcel than vans from the hub "
        "even with unpaid drivers (0-150 CNY a day tried).")
    mixed = _drivers_flip({150: Interval(4.0, 0.1), 75: Interval(0.1, 0.5), 0: Interval(-1.0, 0.1)})
    assert mixed == ("With walking tractors on the village leg, the township tier is cheaper per parcel than vans "
                     "from the hub when its drivers cost 0 CNY a day; dearer at 150; not significantly different at "
                     "75 (0-150 CNY a day tried).")
    assert _drivers_flip({150: Interval(4.0, 0.1), 75: Interval(0.1, 0.5), 0: Interval(0.0, 0.1)}).endswith(
        "tier is dearer per parcel than vans from the hub when its drivers cost 150 CNY a day; not significantly "
        "different at 0 and 75 (0-150 CNY a day tried).")


def test_township_tier_finding_reads_its_directions_and_settings_off_the_runs():
    import dataclasses

    from sim.config.scenario import Scenario
    from sim.experiments.findings_tiers import township_tier
    noise = [0.0, 1.0, -1.0]
    rows = {}
    for tiers, v, cost, lead in ((1, "van", 6.0, 33.0), (1, "e_tricycle", 7.0, 34.0), (1, "walking_tractor", 6.5, 35.0),
                                 (2, "van", 12.0, 38.0), (2, "e_tricycle", 11.0, 39.0),
                                 (2, "walking_tractor", 10.0, 40.0)):
        rows[(f"{'one' if tiers == 1 else 'two'}_tier_{v}", ())] = [
            {"cost_per_parcel_cny": cost + 0.1 * e, "inbound_lead_time_mean_h": lead + e,
             "inbound_lead_time_remote_decile_h": lead + 5 + e, "cost_feeders_cny": 1000.0 + e,
             "cost_township_stations_cny": 500.0 + e, "inbound_parcels_delivered": 1000.0,
             "spoilage_rate": 0.2 + 0.01 * e} for e in noise]
    tt = _named(rows)
    base = Scenario(name="t")
    two = dataclasses.replace(base, township=dataclasses.replace(base.township, feeder_departures_h=(7.5,),
                                                                 departures_h=(12.0, 16.0)))
    next(s for s in tt.exp.scenarios if s.name == "two_tier_e_tricycle").scenario = two
    drivers = _named({(m, (("driver_per_day_cny", p),)): [{"cost_per_parcel_cny": c + 0.1 * e} for e in noise]
                      for p in (150, 75, 0) for m, c in (("one_tier_van", 6.0), ("two_tier_walking_tractor",
                                                                                   6.0 + p / 50))})
    f = township_tier(tt, drivers)
    assert "raises cost per parcel over vans from the hub by 4 ± 0 CNY at the least (with walking tractors" \
        in f.statement
    assert "and raises mean lead time by 7 ± 0 h (+21%)" in f.statement
    assert f"({base.vehicle_types['e_tricycle'].capacity_kg:g} kg on an e-tricycle)" in f.driver
    assert "feeders leave at 7:30 and the village routes at 12:00 and 16:00" in f.driver
    assert f.sensitivity == ("With walking tractors on the village leg, the township tier is dearer per parcel than "
                             "vans from the hub when its drivers cost 75 and 150 CNY a day; not significantly "
                             "different at 0 (0-150 CNY a day tried).")


def test_the_charge_flip_claims_a_direction_only_where_the_interval_excludes_zero():
    from sim.experiments.findings_tiers import _range_flip

    assert _range_flip({12.0: Interval(-0.5, 0.1), 16.0: Interval(-0.3, 0.1), 30.0: Interval(0.2, 0.1)}) == \
        "The mixed fleet is cheaper per parcel than e-tricycles alone at a charge of 12 and 16 km and dearer at 30 km"
    assert _range_flip({12.0: Interval(-0.5, 0.1), 16.0: Interval(0.0, 0.1), 30.0: Interval(0.2, 0.1)}) == \
        ("The mixed fleet is cheaper per parcel than e-tricycles alone at a charge of 12 km, dearer at 30 km and "
         "not significantly different at 16 km")
    assert _range_flip({12.0: Interval(0.5, 0.1), 30.0: Interval(0.2, 0.1)}).endswith("dearer per parcel than "
                                                                                      "e-tricycles alone at every "
                                                                                      "charge tried")
    assert _range_flip({12.0: Interval(0.05, 0.1), 30.0: Interval(0.2, 0.1)}) == \
        ("The mixed fleet is dearer per parcel than e-tricycles alone at a charge of 30 km and not significantly "
         "different at 12 km")


def test_the_service_frequency_driver_follows_each_tiers_routes_and_trips():
    from sim.experiments.findings_tiers import _frequency_drivers
    noise = [0.0, 1.0, -1.0]
    # by hand: one tier, every other day: 8 routes become 13, trips 2,880 -> 3,396, cost +0.2 (rises);
    # two tiers: 29 routes stay 29, trips 6,954 -> 5,757, cost -0.7 (falls)
    table = {(1, 1): (8, 2880.0, 6.2), (1, 2): (13, 3396.0, 6.4),
             (2, 1): (29, 6954.0, 12.0), (2, 2): (29, 5757.0, 11.3)}
    sf = _named({(f"t{t}k{k}", (("network.tiers", t), ("service.remote_every_d", k))): [
        {"routes": r, "lastmile_trips": trips + e, "cost_per_parcel_cny": c + 0.01 * e} for e in noise]
        for (t, k), (r, trips, c) in table.items()})
    cost = {(t, 2): sf.diff("cost_per_parcel_cny", {"tiers": t, "remote_every_d": 2}, {"tiers": t, "remote_every_d": 1})
            for t in (1, 2)}
    text = _frequency_drivers(sf, cost)
    assert ("with 1 tier cost per parcel rises: 8 routes become 13 and last-mile trips a year go from 2,880.0 ± 2.5 "
            "to 3,396.0 ± 2.5") in text
    assert "with 2 tiers cost per parcel falls: the 29 routes stay and last-mile trips a year go from 6,954" in text
    assert "so there are more trips, not fewer" in text
    # trips that fall in both tiers: no claim that one tier adds trips
    table[(1, 2)] = (8, 2500.0, 6.0)
    sf = _named({(f"t{t}k{k}", (("network.tiers", t), ("service.remote_every_d", k))): [
        {"routes": r, "lastmile_trips": trips + e, "cost_per_parcel_cny": c + 0.01 * e} for e in noise]
        for (t, k), (r, trips, c) in table.items()})
    cost[1, 2] = sf.diff("cost_per_parcel_cny", {"tiers": 1, "remote_every_d": 2}, {"tiers": 1, "remote_every_d": 1})
    text = _frequency_drivers(sf, cost)
    assert "with 1 tier cost per parcel falls" in text and "more trips" not in text


def _van_room(ship: dict, roomy: dict, routes: dict) -> tuple[Result, Result]:
    """service_frequency's one-tier runs (spoilage ``ship`` by interval) and the van-room
    sensitivity (vans of 1,500 kg as shipped, of 3,000 kg with ``roomy``), three replications."""
    noise = [0.0, 1.0, -1.0]
    sf = _named({(f"t1k{k}", (("network.tiers", 1), ("service.remote_every_d", k))): [
        {"spoilage_rate": s + 0.001 * e, "routes": routes[k]} for e in noise] for k, s in ship.items()})
    room = _named({(f"k{k}c{c}", (("service.remote_every_d", k), ("vehicle_types.van.capacity_kg", c))): [
        {"spoilage_rate": s + 0.0001 * k * e, "routes": routes[k]} for e in noise]
        for c, by_k in ((1500, ship), (3000, roomy)) for k, s in by_k.items()})
    return sf, room


def test_the_service_frequency_spoilage_is_put_down_to_the_vans_room_only_where_the_runs_show_it():
    from sim.experiments.findings_tiers import _spoilage_room
    routes = {1: 8, 2: 13, 3: 16}
    # by hand: more room removes 0.162/0.17 = 95%, 0.106/0.11 = 96% and 0.158/0.19 = 83% (the least);
    # with room, every third day minus daily = 0.032 - 0.008 = +2.4 points
    sf, room = _van_room({1: 0.17, 2: 0.11, 3: 0.19}, {1: 0.008, 2: 0.004, 3: 0.032}, routes)
    text, rows = _spoilage_room(sf, room)
    assert text.startswith(" With one tier spoilage is 17.00 ± 0.25 % daily, 11.00 ± 0.25 % every other day and "
                           "19.00 ± 0.25 % every third day: the vans' room for produce on the way back (1,500 kg")
    assert "vans of 3,000 kg on the same routes remove at least 83% of it at each interval" in text
    assert "add vans (8, 13 and 16 routes)" in text
    assert "serving every third day instead of daily adds 2.4" in text
    assert [label for label, _ in rows] == [f"1 tier, vans of {c} kg, every {k} day(s): spoilage"
                                            for c in ("1,500", "3,000") for k in (1, 2, 3)]
    # more room that does not lower spoilage at every interval: numbers, no mechanism
    sf, room = _van_room({1: 0.17, 2: 0.11, 3: 0.19}, {1: 0.17, 2: 0.05, 3: 0.05}, routes)
    text, _ = _spoilage_room(sf, room)
    assert text.endswith("every third day.") and "room" not in text
