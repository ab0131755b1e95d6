"""The catalogue of hostile and bad input: one row per class, run through the command
line in a fresh folder. Each row states the exit code, a phrase the message must
contain, and the rule for what may be written: nothing outside ``--out``, no
traceback, and nothing at all when the input is refused (exit 2)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

SC = "kind: scenario\nname: tiny\nseed: 3\nreplications: 1\nhorizon_d: 5\nstart_doy: 300\n" \
     "stations: {coverage_share: 0.5}\n"
COUNTY = "county: {area_km2: 300, townships: 3, villages: 20}\n"
VILLAGES_HEAD = "id,township,x_km,y_km,residents,road_class\n"
GOOD_VILLAGES = VILLAGES_HEAD + "".join(f"V{i},T{i % 2},{1 + i},{i % 3},500,cement\n" for i in range(6))
COUNTIES_HEAD = "id,x_km,y_km,area_km2,townships,villages,residents,city_km\n"


def _bomb() -> str:
    parts = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        parts.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "kind: scenario\nname: [" + ", ".join(parts) + "]\n"


def _experiment(extra: str) -> str:
    return "kind: experiment\nname: e\nbase: base.yaml\nreplications: 1\n" + extra


def _rollout(extra: str, region: str = "region: {counties: 2, villages: {min: 10, max: 15}}\n") -> str:
    return ("kind: rollout\nname: r\nbase: base.yaml\n" + region + "horizon_m: 2\nsample_days: 2\n"
            "warmup_days: 1\nreplications: 1\n" + extra)


BASE = {"base.yaml": SC + COUNTY}
# (class, files, command (CONFIG is the first file), exit code, phrase)
CASES: list[tuple[str, dict, list[str], int, str]] = [
    # --- YAML and the schema ---------------------------------------------------------
    ("missing config file", {}, ["check", "nope.yaml"], 2, "file not found"),
    ("config is a folder", {"dir.yaml/x": ""}, ["check", "dir.yaml"], 2, "not a file"),
    ("bad YAML syntax", {"c.yaml": "kind: scenario\nname: [unclosed\n"}, ["check", "c.yaml"], 2, "not valid YAML"),
    ("duplicate key", {"c.yaml": SC + "seed: 4\n"}, ["check", "c.yaml"], 2, "duplicate key 'seed'"),
    ("python tag", {"c.yaml": SC + "description: !!python/object/apply:os.system ['true']\n"}, ["check", "c.yaml"], 2,
     "YAML tags that build Python objects are not allowed"),
    ("unknown key with suggestion", {"c.yaml": SC + "hub: {sorter: 3}\n"}, ["check", "c.yaml"], 2,
     "did you mean 'sorters'"),
    ("wrong type", {"c.yaml": SC + "hub: {sorters: many}\n"}, ["check", "c.yaml"], 2, "hub.sorters: 'many'"),
    ("out of range", {"c.yaml": SC + "stations_x: 1\n"}, ["check", "c.yaml"], 2, "unknown key"),
    ("negative count", {"c.yaml": SC + "hub: {sorters: -1}\n"}, ["check", "c.yaml"], 2, "hub.sorters: -1"),
    ("share above one", {"c.yaml": SC.replace("coverage_share: 0.5", "coverage_share: 1.5")}, ["check", "c.yaml"],
     2, "stations.coverage_share: 1.5"),
    ("infinite number", {"c.yaml": SC + "city: {warehouse_km: .inf}\n"}, ["check", "c.yaml"], 2, "finite"),
    ("number read as text", {"c.yaml": SC + "costs: {subsidy_per_year_cny: 1.5e6}\n"}, ["check", "c.yaml"], 2,
     "write 1.5e+6"),
    ("kind missing", {"c.yaml": SC.replace("kind: scenario\n", "")}, ["check", "c.yaml"], 2, "add `kind: scenario`"),
    ("kind unknown", {"c.yaml": SC.replace("kind: scenario", "kind: sweep")}, ["check", "c.yaml"], 2, "kind"),
    ("kind contradicts keys", {"c.yaml": SC.replace("kind: scenario", "kind: experiment")}, ["check", "c.yaml"], 2,
     "c.yaml"),
    ("top level not a mapping", {"c.yaml": "- 1\n- 2\n"}, ["check", "c.yaml"], 2, "expected a mapping"),
    ("empty file", {"c.yaml": ""}, ["check", "c.yaml"], 2, "c.yaml"),
    ("alias bomb", {"c.yaml": _bomb()}, ["check", "c.yaml"], 2, "aliases are expanded"),
    ("deep nesting", {"c.yaml": "kind: scenario\nname: " + "[" * 5000 + "]" * 5000 + "\n"}, ["check", "c.yaml"], 2,
     "levels deep"),
    ("list as a key", {"c.yaml": "kind: scenario\n? [a, b]\n: 1\n"}, ["check", "c.yaml"], 2, "keys are names"),
    ("config not UTF-8", {"c.yaml": b"kind: scenario\nname: \xff\xfe\n"}, ["check", "c.yaml"], 2, "not UTF-8"),
    ("config too large", {"c.yaml": SC + "# " + "x" * 2_100_000 + "\n"}, ["check", "c.yaml"], 2, "bytes"),
    ("vehicle type unknown", {"c.yaml": SC + "lastmile: {vehicle_type: rocket}\n"}, ["check", "c.yaml"], 2,
     "lastmile.vehicle_type"),
    ("warm-up beyond its range", {"c.yaml": SC + "warmup_d: 5000\n"}, ["check", "c.yaml"], 2, "warmup_d"),
    ("duplicate crop names", {"c.yaml": SC + "crops: [{name: a}, {name: a}]\n"}, ["check", "c.yaml"], 2,
     "distinct"),
    # --- values the schema admits must be values the model can run ------------------
    ("residents 1e308", {"c.yaml": SC + "county: {residents_per_village: 1.0e+308}\n"}, ["check", "c.yaml"], 2,
     "county.residents_per_village"),
    ("parcels per resident 1e308", {"c.yaml": SC + "demand: {parcels_per_resident_y: 1.0e+308}\n"},
     ["check", "c.yaml"], 2, "demand.parcels_per_resident_y"),
    ("calendar multiplier 1e308", {"c.yaml": SC + "demand: {calendar: [{name: x, multiplier: 1.0e+308}]}\n"},
     ["check", "c.yaml"], 2, "multiplier"),
    ("dispersion 1e-300", {"c.yaml": SC + "demand: {dispersion_k: 1.0e-300}\n"}, ["check", "c.yaml"], 2,
     "demand.dispersion_k"),
    ("asset life 1e-300", {"c.yaml": SC + "hub: {life_y: 1.0e-300}\n"}, ["check", "c.yaml"], 2, "hub.life_y"),
    ("warehouse 1e308 km away", {"c.yaml": SC + "city: {warehouse_km: 1.0e+308}\n"}, ["check", "c.yaml"], 2,
     "city.warehouse_km"),
    ("daily cost 1e308", {"c.yaml": SC + "hub: {cost_per_day_cny: 1.0e+308}\n"}, ["check", "c.yaml"], 2,
     "hub.cost_per_day_cny"),
    ("vehicle speed 1e-300", {"c.yaml": SC + "vehicle_types: {van: {speed_kmh: {county: 1.0e-300, cement: 40, "
                                             "asphalt: 45, gravel: 25, other: 15}}}\n"}, ["check", "c.yaml"], 2,
     "speeds in [1, 200] km/h"),
    ("demand beyond what a county runs", {"c.yaml": SC + "county: {villages: 5000, residents_per_village: 100000}\n"},
     ["check", "c.yaml"], 2, "parcels a day"),
    ("zero sorters runs", {"c.yaml": SC + COUNTY + "hub: {sorters: 0}\n"},
     ["run", "c.yaml", "--out", "out", "--no-figures", "--quiet"], 0, ""),
    ("zero vehicles runs", {"c.yaml": SC + COUNTY + "lastmile: {vehicles_per_route: 0}\n"},
     ["run", "c.yaml", "--out", "out", "--no-figures", "--quiet"], 0, ""),
    ("zero trunk trucks runs", {"c.yaml": SC + COUNTY + "trunk: {trucks_per_departure: 0}\n"},
     ["run", "c.yaml", "--out", "out", "--no-figures", "--quiet"], 0, ""),
    ("scenario replications above the limit", {"c.yaml": SC.replace("replications: 1", "replications: 1000000000")},
     ["check", "c.yaml"], 2, "replications"),
    # --- villages CSV -------------------------------------------------------------
    ("villages CSV missing", {"c.yaml": SC + "county: {villages_csv: none.csv}\n"}, ["check", "c.yaml"], 2,
     "villages file not found"),
    ("villages CSV column missing", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                     "v.csv": "id,township,x_km,y_km,residents\nA,T,1,1,5\n"}, ["check", "c.yaml"],
     2, "missing column(s) road_class"),
    ("villages CSV bad number", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                 "v.csv": VILLAGES_HEAD + "A,T,x,1,5,cement\n"}, ["check", "c.yaml"], 2,
     "line 2: x_km 'x' is not allowed"),
    ("villages CSV far village", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                  "v.csv": VILLAGES_HEAD + "A,T,1e300,1,5,cement\n"}, ["check", "c.yaml"], 2,
     "line 2: x_km 1e300 is not allowed"),
    ("villages CSV zero residents", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                     "v.csv": VILLAGES_HEAD + "A,T,1,1,0,cement\n"}, ["check", "c.yaml"], 2,
     "residents 0 is not allowed"),
    ("villages CSV duplicate id", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                   "v.csv": VILLAGES_HEAD + "A,T,1,1,5,cement\nA,T,2,1,5,cement\n"},
     ["check", "c.yaml"], 2, "line 3: id 'A'"),
    ("villages CSV not UTF-8", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                "v.csv": VILLAGES_HEAD.encode() + b"A,T\xff,1,1,5,cement\n"}, ["check", "c.yaml"], 2,
     "not UTF-8"),
    ("villages CSV extra fields", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                   "v.csv": VILLAGES_HEAD + "A,T,1,1,5,cement,9\n"}, ["check", "c.yaml"], 2,
     "more fields"),
    ("villages CSV too many rows", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                    "v.csv": VILLAGES_HEAD + "".join(f"V{i},T,1,1,5,cement\n" for i in range(5001))},
     ["check", "c.yaml"], 2, "more than 5,000 rows"),
    ("more villages than a county's routes can be planned for", {"c.yaml": SC + "county: {villages: 20000}\n"},
     ["check", "c.yaml"], 2, "county.villages: 20000 is not allowed: expected a whole number in [1, 5000]"),
    ("villages CSV empty", {"c.yaml": SC + "county: {villages_csv: v.csv}\n", "v.csv": VILLAGES_HEAD},
     ["check", "c.yaml"], 2, "no villages"),
    ("villages CSV with a byte-order mark runs", {"c.yaml": SC + "county: {villages_csv: v.csv}\n",
                                                 "v.csv": b"\xef\xbb\xbf" + GOOD_VILLAGES.encode()},
     ["run", "c.yaml", "--out", "out", "--no-figures", "--quiet"], 0, ""),
    # --- experiments --------------------------------------------------------------
    ("experiment base missing", {"e.yaml": _experiment("").replace("base.yaml", "gone.yaml")}, ["check", "e.yaml"],
     2, "gone.yaml"),
    ("experiment base names a missing villages CSV", {"e.yaml": _experiment(""),
                                                      "base.yaml": SC + "county: {villages_csv: gone.csv}\n"},
     ["check", "e.yaml"], 2, "villages file not found"),
    ("experiment lever path unknown", {**BASE, "e.yaml": _experiment("levers: {hub.sorterz: [1, 2]}\n")},
     ["check", "e.yaml"], 2, "did you mean 'hub.sorters'"),
    ("experiment lever value out of range", {**BASE, "e.yaml": _experiment("levers: {hub.sorters: [1, -2]}\n")},
     ["check", "e.yaml"], 2, "hub.sorters"),
    ("experiment replications 10^9", {**BASE, "e.yaml": _experiment("").replace("replications: 1",
                                                                              "replications: 1000000000")},
     ["check", "e.yaml"], 2, "runs"),
    ("experiment Latin hypercube of 10^8", {**BASE, "e.yaml": _experiment(
        "design: {method: latin_hypercube, samples: 100000000}\n"
        "uncertainties: {demand.parcels_per_resident_y: {min: 1, max: 2}}\n")}, ["check", "e.yaml"], 2,
     "at most 10,000 scenarios"),
    ("experiment factorial of 10^9", {**BASE, "e.yaml": _experiment(
        "levers:\n  hub.sorters: {min: 1, max: 1000, integer: true, levels: 1000}\n"
        "  trunk.trucks_per_departure: {min: 1, max: 1000, integer: true, levels: 1000}\n"
        "  demand.parcels_per_resident_y: {min: 1, max: 2, levels: 1000}\n")}, ["check", "e.yaml"], 2,
     "at most 10,000 scenarios"),
    ("experiment baseline matches nothing", {**BASE, "e.yaml": _experiment(
        "scenarios: {a: {}, b: {hub: {sorters: 3}}}\nbaseline: c\n")}, ["check", "e.yaml"], 2, "baseline"),
    ("experiment identical scenarios", {**BASE, "e.yaml": _experiment("scenarios: {a: {}, b: {}}\n")},
     ["check", "e.yaml"], 2, "identical parameters"),
    ("list entry in brackets", {**BASE, "e.yaml": _experiment("levers:\n  crops[0].kg_per_resident_y: [10, 20]\n")},
     ["check", "e.yaml"], 2, "numbered with dots: 'crops.0.kg_per_resident_y'"),
    ("sampled design repeats a point", {**BASE, "e.yaml": _experiment(
        "levers: {hub.sort_time_distribution: [gamma]}\ndesign: {method: latin_hypercube, samples: 4}\n")},
     ["check", "e.yaml"], 2, "ask for fewer design.samples"),
    ("experiment KPI unknown", {**BASE, "e.yaml": _experiment("kpis: [cost_per_parcel]\n")}, ["check", "e.yaml"], 2,
     "kpis"),
    ("--workers 0", {**BASE, "e.yaml": _experiment("")}, ["run", "e.yaml", "--workers", "0"], 2, "--workers"),
    ("--scheduler not an address", {**BASE, "e.yaml": _experiment("")},
     ["run", "e.yaml", "--out", "out", "--scheduler", "not a url"], 2, "not a scheduler address"),
    ("--out under a file", {**BASE, "e.yaml": _experiment(""), "afile": "x"},
     ["run", "e.yaml", "--out", "afile/out", "--workers", "1"], 2, "afile"),
    ("--scheduler on a scenario", {**BASE}, ["run", "base.yaml", "--scheduler", "tcp://127.0.0.1:1"], 2,
     "--scheduler"),
    # --- rollouts -----------------------------------------------------------------
    ("rollout counties of 20,000 villages", {**BASE, "r.yaml": _rollout(
        "strategies: {s: {}}\n", "region: {counties: 2, villages: {min: 10, max: 20000}}\n")}, ["check", "r.yaml"], 2,
     "region.villages.max: 20000 is not allowed: expected at most 5,000 villages a county"),
    ("national counties of 20,000 villages", {**BASE, "n.yaml": "kind: national\nbase: base.yaml\n"
                                              "regions: {east: {counties: 2, villages: {min: 10, max: 20000}}}\n"},
     ["check", "n.yaml"], 2, "regions.east.villages.max: 20000 is not allowed: expected at most 5,000"),
    ("national base naming a village its counties lack", {
        "base.yaml": SC + "network: {tiers: 2}\nservice: {by_village: {V0370: 3}}\n",
        "n.yaml": "kind: national\nbase: base.yaml\nregions: {east: {counties: 2}}\n"}, ["check", "n.yaml"], 2,
     "base (the smallest county of region east: 150 villages): service.by_village.V0370: 'V0370' is not allowed"),
    ("national base naming a township its counties lack", {
        "base.yaml": SC + "network: {tiers: 2}\ntownship: {vehicle_types_by_township: {T20: van}}\n",
        "n.yaml": "kind: national\nbase: base.yaml\nregions: {east: {counties: 2}}\n"}, ["run", "n.yaml", "--out",
                                                                                        "out"], 2,
     "township.vehicle_types_by_township.T20"),
    ("rollout strategy name with a path", {**BASE, "r.yaml": _rollout("strategies: {'../../x': {}}\n")},
     ["check", "r.yaml"], 2, "no path separators"),
    ("rollout operating model name with a path", {**BASE, "r.yaml": _rollout(
        "operating_models: {'a/b': {}}\nstrategies: {s: {operating_model: 'a/b'}}\n")}, ["check", "r.yaml"], 2,
     "no path separators"),
    ("rollout county id with a path", {**BASE, "r.yaml": _rollout(
        "strategies: {s: {}}\n", "region: {counties_csv: c.csv}\n"),
        "c.csv": COUNTIES_HEAD + "../../../x,0,0,500,3,20,20000,100\n"}, ["check", "r.yaml"], 2,
     "no path separators"),
    ("rollout counties CSV half a township", {**BASE, "r.yaml": _rollout(
        "strategies: {s: {}}\n", "region: {counties_csv: c.csv}\n"),
        "c.csv": COUNTIES_HEAD + "A,0,0,500,0.5,20,20000,100\n"}, ["check", "r.yaml"], 2, "whole number"),
    ("rollout counties CSV 10^9 villages", {**BASE, "r.yaml": _rollout(
        "strategies: {s: {}}\n", "region: {counties_csv: c.csv}\n"),
        "c.csv": COUNTIES_HEAD + "A,0,0,500,3,1000000000,20000,100\n"}, ["check", "r.yaml"], 2,
     "villages 1000000000 is not allowed"),
    ("rollout counties CSV not UTF-8", {**BASE, "r.yaml": _rollout(
        "strategies: {s: {}}\n", "region: {counties_csv: c.csv}\n"),
        "c.csv": COUNTIES_HEAD.encode() + b"A\xff,0,0,500,3,20,20000,100\n"}, ["check", "r.yaml"], 2, "not UTF-8"),
    ("rollout schedule CSV bad month", {**BASE, "r.yaml": _rollout("strategies: {s: {schedule: s.csv}}\n"),
                                        "s.csv": "month,county_id,village_id\nsoon,C0001,\n"},
     ["run", "r.yaml", "--out", "out", "--workers", "1"], 2, "month 'soon'"),
    ("rollout reported points not numbers", {**BASE, "r.yaml": _rollout("strategies: {s: {}}\nreported: [[a, b]]\n")},
     ["check", "r.yaml"], 2, "reported"),
    ("rollout unknown village order", {**BASE, "r.yaml": _rollout("strategies: {s: {village_order: biggest}}\n")},
     ["check", "r.yaml"], 2, "village_order"),
    ("rollout governed key set in an operating model", {**BASE, "r.yaml": _rollout(
        "operating_models: {m: {stations: {coverage_share: 0.9}}}\nstrategies: {s: {operating_model: m}}\n")},
     ["check", "r.yaml"], 2, "stations.coverage_share"),
    ("reference into a file without its markers", {"r.md": "hello\n"}, ["reference", "--update", "r.md"], 2,
     "expected the generated block between the lines"),
    ("rollout base with township outlets", {"base.yaml": SC + COUNTY + "network: {tiers: 2}\n"
                                                                        "township: {outlets: true}\n",
                                            "r.yaml": _rollout("strategies: {s: {}}\n")}, ["check", "r.yaml"], 2,
     "base.yaml: township.outlets: True is not allowed: false in a rollout (township stations open with their first "
     "village station); the rollout's base sets it"),
    # --- output places that cannot be written: refused before anything runs ----------------
    ("schema into a file", {"afile": ""}, ["schema", "--out", "afile"], 2, "--out 'afile': exists and is not a folder"),
    ("validation report into a file", {"afile": ""}, ["validate", "--out", "afile", "--fast", "--quiet"], 2,
     "--out 'afile': exists and is not a folder"),
    ("findings document under a file", {"afile": ""}, ["findings", "--doc", "afile/f.md", "--quiet"], 2,
     "--doc 'afile/f.md': its folder afile does not exist"),
    ("findings into a file", {"afile": ""}, ["findings", "--out", "afile", "--doc", "f.md", "--quiet"], 2,
     "--out 'afile': exists and is not a folder"),
    ("findings document that is a folder", {"adir/x": ""}, ["findings", "--doc", "adir", "--quiet"], 2,
     "--doc 'adir': is a folder"),
    ("calibration into a file", {**BASE, "r.yaml": _rollout("strategies: {s: {}}\n"), "t.csv": "month,villages\n1,5\n",
                                 "afile": ""},
     ["calibrate", "r.yaml", "--targets", "t.csv", "--out", "afile"], 2, "--out 'afile': exists and is not a folder"),
]


def _materialise(tmp: Path, files: dict) -> None:
    for name, content in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input(case, tmp_path, monkeypatch):
    name, files, argv, code, phrase = case
    work = tmp_path / "work"
    work.mkdir()
    _materialise(work, files)
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    output = result.output + (str(result.exception) if result.exception and not isinstance(
        result.exception, SystemExit) else "")
    assert result.exit_code == code, f"{name}: exit {result.exit_code}: {output[-400:]}"
    assert phrase in output, f"{name}: {phrase!r} not in: {output[-400:]}"
    assert "Traceback" not in output
    after = _tree(tmp_path)
    new = after - before
    outside = {p for p in new if not p.startswith(os.path.join("work", "out"))}
    assert not outside, f"{name}: wrote outside --out: {sorted(outside)[:5]}"
    if code == 2:
        assert not any(p.startswith(os.path.join("work", "out", "")) for p in new) or not (work / "out").exists() \
            or not any((work / "out").rglob("*.csv")), f"{name}: a refused run wrote results"


def test_the_catalogue_covers_enough_classes():
    assert len(CASES) >= 70
