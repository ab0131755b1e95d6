"""Every config states its kind; configs from Python validate like files; the JSON
Schemas accept every shipped config and refuse unknown keys; run overrides of experiments."""
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sim.cli import kind_json_schemas, main
from sim.config.scenario import Scenario, load_scenario
from sim.errors import InputError
from sim.experiments.spec import load_experiment
from sim.rollout.spec import load_rollout

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "experiments").rglob("*.yaml"))   # the findings' sensitivities too


def problems(schema: dict, value, path: str = "", root: dict | None = None) -> list[str]:
    """A small structural check of the JSON Schema subset the generator writes."""
    root = root or schema
    if "$ref" in schema:
        return problems(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], value, path, root)
    if "anyOf" in schema:
        fits = any(not problems(s, value, path, root) for s in schema["anyOf"])
        return [] if fits else [f"{path}: no alternative fits"]
    if "const" in schema and value != schema["const"]:
        return [f"{path}: {value!r} != {schema['const']!r}"]
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if t else []
    ok = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
          "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
          "null": lambda v: v is None,
          "integer": lambda v: (not isinstance(v, bool)
                                and (isinstance(v, int) or (isinstance(v, float) and v.is_integer()))),
          "number": lambda v: not isinstance(v, bool) and isinstance(v, (int, float))}
    if types and not any(ok[x](value) for x in types):
        return [f"{path}: {value!r} is not {types}"]
    out = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in enum")
    for key, test in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b),
                      ("exclusiveMinimum", lambda v, b: v > b), ("exclusiveMaximum", lambda v, b: v < b)):
        if key in schema and isinstance(value, (int, float)) and not test(value, schema[key]):
            out.append(f"{path}: {value!r} breaks {key}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for r in schema.get("required", []):
            if r not in value:
                out.append(f"{path}.{r}: required")
        for k, v in value.items():
            if k in props:
                out += problems(props[k], v, f"{path}.{k}", root)
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}.{k}: unknown key")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += problems(schema["additionalProperties"], v, f"{path}.{k}", root)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            out += problems(schema["items"], v, f"{path}[{i}]", root)
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_config_fits_its_json_schema(path):
    data = yaml.safe_load(path.read_text())
    schema = kind_json_schemas()[data["kind"]]
    assert schema["$schema"].endswith("2020-12/schema")
    assert problems(schema, data) == []
    bad = dict(data, horizon_typo=1)
    assert any("horizon_typo: unknown key" in p for p in problems(schema, bad))
    if data["kind"] != "scenario":   # inline scenario overrides are checked against the scenario schema
        assert problems(schema, dict(data, base={"hub": {"sorterz": 1}}))
        assert not problems(schema, dict(data, base={"hub": {"sorters": 1}}))


def test_json_schema_states_bounds_enums_and_defaults():
    sc = kind_json_schemas()["scenario"]["properties"]
    assert sc["stations"]["properties"]["coverage_share"]["maximum"] == 1
    assert sc["demand"]["properties"]["parcel_kg"]["exclusiveMinimum"] == 0
    assert "largest_first" in sc["stations"]["properties"]["selection"]["enum"]
    assert sc["hub"]["properties"]["sorters"]["default"] == 4 and sc["hub"]["additionalProperties"] is False
    assert problems(kind_json_schemas()["scenario"], {"kind": "scenario", "hub": {"sorters": -1}})


def test_schema_command_writes_one_file_per_kind(tmp_path):
    r = CliRunner().invoke(main, ["schema", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment.schema.json", "national.schema.json",
                                                          "rollout.schema.json", "scenario.schema.json"]


@pytest.mark.parametrize("text,guess", [("county: {villages: 3}\n", "scenario"),
                                        ("base: b.yaml\nlevers: {hub.sorters: [1, 2]}\n", "experiment"),
                                        ("base: b.yaml\nregion: {counties: 3}\nstrategies: {a: {}}\n", "rollout")])
def test_a_config_without_kind_is_refused_with_the_kind_its_keys_suggest(tmp_path, text, guess):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    for cmd in ("check", "run"):
        r = CliRunner().invoke(main, [cmd, str(p), "--out", str(tmp_path / "o")] if cmd == "run" else [cmd, str(p)])
        assert r.exit_code == 2 and str(p) in r.output and f"add `kind: {guess}`" in r.output
        assert f"suggest {'an' if guess == 'experiment' else 'a'} {guess}:" in r.output
    assert not (tmp_path / "o").exists()


def test_a_kind_that_does_not_match_the_keys_is_refused_by_the_schema(tmp_path):
    data = yaml.safe_load((ROOT / "experiments" / "rollout_strategies.yaml").read_text())
    p = tmp_path / "c.yaml"
    (tmp_path / "baseline.yaml").write_text((ROOT / "experiments" / "baseline.yaml").read_text())
    p.write_text(yaml.safe_dump(dict(data, kind="experiment")))
    r = CliRunner().invoke(main, ["check", str(p)])
    assert r.exit_code == 2 and ": unknown key" in r.output and "valid keys here: name, description, base" in r.output


def test_kind_is_not_part_of_a_scenario():
    assert load_scenario(ROOT / "experiments" / "baseline.yaml") == Scenario()


def test_updated_and_replace_validate_like_a_file():
    sc = Scenario()
    assert sc.updated({"hub.sorters": 6}).hub.sorters == 6
    assert sc.updated({"hub": {"sorters": 7}}).hub.storage_kg == sc.hub.storage_kg
    assert sc.updated({"crops.0.shelf_life_d": 12}).crops[0].shelf_life_d == 12.0
    with pytest.raises(InputError, match=r"hub\.sorters: -1 is not allowed"):
        sc.updated({"hub.sorters": -1})
    with pytest.raises(InputError, match=r"hub\.sorterz: unknown key; did you mean 'sorters'"):
        sc.updated({"hub.sorterz": 1})
    assert sc.replace(seed=3).seed == 3
    with pytest.raises(InputError, match=r"replications: 0 is not allowed"):
        sc.replace(replications=0)


def test_run_overrides_an_experiments_replications_and_seed(tmp_path):
    exp = load_experiment(ROOT / "experiments" / "uncertainty.yaml", seed=5, replications=1)
    assert (exp.replications.min, exp.replications.max, exp.seed) == (1, 1, 5)
    assert {s.scenario.seed for s in exp.scenarios} == {5}
    p = tmp_path / "e.yaml"
    p.write_text("kind: experiment\nbase: {horizon_d: 20, county: {villages: 12, townships: 2, area_km2: 200}}\n"
                 "scenarios: {a: {}, b: {hub: {sorters: 2}}}\nreplications: 3\n")
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(out), "--replications", "1", "--seed", "9",
                                  "--workers", "1", "--no-figures", "--quiet"])
    assert r.exit_code == 0, r.output
    runs = (out / "runs.csv").read_text().splitlines()
    assert len(runs) == 1 + 2          # two scenarios, one replication each
    help_text = CliRunner().invoke(main, ["run", "--help"]).output.replace("\n", " ").replace("  ", " ")
    assert "sequential rule gets min = max = N" in help_text


def test_a_rollout_refuses_overrides_of_keys_it_replaces(tmp_path):
    data = yaml.safe_load((ROOT / "tests" / "back" / "configs" / "rollout.yaml").read_text())
    data["base"] = {}
    data["operating_models"]["self_run"] = {"stations": {"coverage_share": 0.9}}
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=r"operating_models\.self_run\.stations\.coverage_share: 0\.9 is not allowed: "
                                         r"a rollout replaces this scenario key; set strategies"):
        load_rollout(p)


def test_input_files_are_absolute_and_include_the_base(tmp_path):
    exp = load_experiment(ROOT / "tests" / "back" / "configs" / "sweep.yaml")
    assert exp.input_files() == [(ROOT / "tests" / "back" / "configs" / n).resolve()
                                 for n in ("sweep.yaml", "scenario.yaml")]
    ro = load_rollout(ROOT / "tests" / "back" / "configs" / "rollout.yaml")
    assert all(p.is_absolute() and p.is_file() for p in ro.input_files())
    assert [p.name for p in ro.input_files()] == ["rollout.yaml", "scenario.yaml"]


def test_from_data_accepts_its_own_kind_only():
    from sim.experiments.spec import experiment_from_data
    from sim.rollout.spec import rollout_from_data
    exp = experiment_from_data({"kind": "experiment", "base": {"horizon_d": 20}}, "x.yaml")
    assert exp.scenarios[0].scenario.horizon_d == 20
    with pytest.raises(InputError, match=r"x.yaml: kind: 'rollout' is not allowed: expected experiment"):
        experiment_from_data({"kind": "rollout"}, "x.yaml")
    ro = rollout_from_data({"kind": "rollout", "operating_models": {}, "strategies": {"a": {}}}, "r.yaml", ROOT)
    assert list(ro.operating_models) == ["self_run"] and ro.strategies[0].village_order == "largest_first"


def test_rollout_input_files_name_every_file_it_reads(tmp_path):
    (tmp_path / "counties.csv").write_text("id,x_km,y_km,area_km2,townships,villages,residents,city_km\n"
                                           "A,0,0,400,2,25,25000,100\n")
    (tmp_path / "villages").mkdir()
    (tmp_path / "villages" / "A.csv").write_text("id,township,x_km,y_km,residents,road_class\nA1,T1,3,1,900,cement\n")
    (tmp_path / "sched.csv").write_text("month,county_id,village_id\n0,A,\n")
    (tmp_path / "base.yaml").write_text("kind: scenario\nhorizon_d: 30\n")
    p = tmp_path / "r.yaml"
    p.write_text("kind: rollout\nbase: base.yaml\nregion: {counties_csv: counties.csv, villages_dir: villages}\n"
                 "strategies: {mine: {schedule: sched.csv}}\n")
    files = load_rollout(p).input_files()
    assert files == [p.resolve(), (tmp_path / "base.yaml").resolve(), (tmp_path / "counties.csv").resolve(),
                     (tmp_path / "villages" / "A.csv").resolve(), (tmp_path / "sched.csv").resolve()]
