"""Config loading and validation: every bad input is one clear InputError."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.scenario import Scenario, load_scenario, scenario_from_data
from sim.config.schema import reference_rows
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def error_of(data) -> str:
    with pytest.raises(InputError) as exc:
        scenario_from_data(data, "cfg.yaml")
    return str(exc.value)


def test_defaults_are_valid_and_baseline_yaml_states_them():
    assert load_scenario(ROOT / "experiments" / "baseline.yaml") == Scenario()


def test_city_orders_and_the_share_rule_are_refused_together():
    msg = error_of({"produce_parcels": {"demand": "orders"}, "crops": [{"name": "lemon", "parcel_share": 0.2}]})
    assert "cfg.yaml" in msg and "parcel_share" in msg and "demand orders" in msg
    msg = error_of({"crops": [{"name": "lemon", "parcel_orders_per_day": 10}]})
    assert "parcel_orders_per_day" in msg and "demand share" in msg
    msg = error_of({"produce_parcels": {"packing": "farm"}})
    assert "produce_parcels.packing" in msg and "'farm'" in msg and "station" in msg


def test_empty_config_gives_defaults():
    assert scenario_from_data({}, "x") == Scenario()
    assert scenario_from_data(None, "x") == Scenario()


def test_unknown_key_names_path_and_nearest_key():
    msg = error_of({"county": {"villagez": 10}})
    assert "cfg.yaml" in msg and "county.villagez" in msg and "did you mean 'villages'" in msg
    msg = error_of({"lastmile": {"backhual": False}})
    assert "lastmile.backhual" in msg and "'backhaul'" in msg
    msg = error_of({"zzzz": 1})
    assert "zzzz: unknown key" in msg and "valid keys here" in msg


@pytest.mark.parametrize("data,path,value,allowed", [
    ({"county": {"villages": "many"}}, "county.villages", "'many'", "whole number"),
    ({"county": {"villages": 0}}, "county.villages", "0", "[1, 5000]"),
    ({"county": {"villages": True}}, "county.villages", "True", "whole number"),
    ({"stations": {"coverage_share": 1.5}}, "stations.coverage_share", "1.5", "[0, 1]"),
    ({"demand": {"parcel_kg": 0}}, "demand.parcel_kg", "0.0", "(0, 1000]"),
    ({"demand": {"distribution": "uniform"}}, "demand.distribution", "'uniform'", "poisson, negative_binomial"),
    ({"lastmile": {"backhaul": "yes"}}, "lastmile.backhaul", "'yes'", "true or false"),
    ({"demand": {"calendar": [{"name": "x", "start_doy": 400}]}}, "demand.calendar[0].start_doy", "400", "[1, 366]"),
    ({"vehicle_types": {"van": {"capacity_kg": -5}}}, "vehicle_types.van.capacity_kg", "-5", "(0, 50000]"),
    ({"crops": [{"shelf_life_d": "long"}]}, "crops[0].shelf_life_d", "'long'", "number"),
    ({"trunk": {"departures_h": 20}}, "trunk.departures_h", "20", "list"),
    ({"county": {"road_class_shares": {"cement": 0.5}}}, "county", "road_class_shares", "sum to 1"),
    ({"trunk": {"departures_h": [25]}}, "trunk", "departures_h", "[0, 24)"),
    ({"lastmile": {"vehicle_type": "rocket"}}, "cfg.yaml: lastmile.vehicle_type: 'rocket'", "rocket", "van"),
    ({"vehicle_types": {"van": {"capacity_kg": 1}}}, "vehicle_types.van.capacity_kg: 1.0", "1.0",
     "at least demand.parcel_kg (1.5 kg)"),
    ({"buses": {"origin": "townships"}}, "cfg.yaml: buses.origin 'townships'", "townships", "network.tiers 2"),
    ({"vehicle_types": {"van": {"speed_kmh": {"cement": 10}}}}, "vehicle_types.van.speed_kmh: {'cement': 10.0}",
     "cement", "expected a speed for every road class"),
    ({"crops": [{"shelf_life_d": 10, "cold_shelf_life_d": 5}]}, "crops[0]", "cold_shelf_life_d", ">= shelf_life_d"),
    ({"county": 3}, "county", "3", "mapping"),
])
def test_bad_values_name_path_value_and_what_is_allowed(data, path, value, allowed):
    msg = error_of(data)
    assert msg.startswith("cfg.yaml: ")
    assert path in msg and value in msg and allowed in msg, msg


def test_named_entries_refine_their_defaults_and_new_names_start_from_class_defaults():
    sc = scenario_from_data({"vehicle_types": {"e_tricycle": {"capacity_kg": 200},
                                               "pickup": {"capacity_kg": 900}},
                             "lastmile": {"vehicle_type": "pickup"}}, "x")
    default = Scenario().vehicle_types
    assert sc.vehicle_types["e_tricycle"] == dataclasses.replace(default["e_tricycle"], capacity_kg=200.0)
    assert sc.vehicle_types["pickup"].capacity_kg == 900.0
    assert sc.vehicle_types["van"] == default["van"]


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text if text.startswith("- ") else "kind: scenario\n" + text)
    return p


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_bad_yaml_names_line(tmp_path):
    p = write(tmp_path, "county:\n  villages: [1, 2\n")
    with pytest.raises(InputError, match=r"c.yaml \(line \d+, column \d+\): not valid YAML"):
        load_scenario(p)


def test_python_object_tags_are_refused(tmp_path):
    p = write(tmp_path, "name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(InputError, match="tags that build Python objects are not allowed"):
        load_scenario(p)


def test_duplicate_keys_are_refused(tmp_path):
    p = write(tmp_path, "seed: 1\nseed: 2\n")
    with pytest.raises(InputError, match="duplicate key 'seed'"):
        load_scenario(p)


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(InputError, match="expected a mapping"):
        load_scenario(write(tmp_path, "- 1\n- 2\n"))


def test_villages_csv_is_relative_to_the_config(tmp_path):
    sc = load_scenario(write(tmp_path, "county: {villages_csv: v.csv}\n"))
    assert sc.county.villages_csv == str(tmp_path / "v.csv")


def test_reference_covers_every_field():
    rows = reference_rows(Scenario)
    paths = {r[0] for r in rows}
    for p in ("seed", "county.area_km2", "lastmile.backhaul", "vehicle_types.NAME.capacity_kg",
              "crops[].shelf_life_d", "demand.calendar[].multiplier", "hub.cold_store_kg"):
        assert p in paths
    assert all(r[4].strip() for r in rows)  # every field has a meaning


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["seed", "horizon_d", "county", "demand", "lastmile", "vehicle_types", "crops",
                        "trunk", "hub", "stations", "name", "villages", "backhaul"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=4))
def test_arbitrary_data_is_either_a_scenario_or_an_input_error(data):
    try:
        sc = scenario_from_data(data, "fuzz.yaml")
    except InputError as exc:
        assert str(exc).startswith("fuzz.yaml")
    else:
        assert isinstance(sc, Scenario)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["villages", "area_km2", "townships", "residents_sigma", "circuity_village"]),
                       st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**5), max_size=3))
def test_numeric_fields_accept_in_range_values_and_refuse_others(county):
    try:
        sc = scenario_from_data({"county": county}, "f.yaml")
    except InputError as exc:
        assert "county." in str(exc)
    else:
        for k, v in county.items():
            assert getattr(sc.county, k) == v


def test_yaml_round_trip_of_resolved_config():
    from sim.config.scenario import scenario_data
    sc = Scenario()
    assert scenario_from_data(yaml.safe_load(yaml.safe_dump(scenario_data(sc))), "x") == sc


def test_only_vehicle_types_on_the_road_must_carry_one_parcel():
    # heavy parcels: the default e-tricycle (180 kg) cannot carry one, but no key sends it out
    sc = scenario_from_data({"demand": {"parcel_kg": 200}}, "cfg.yaml")
    assert sc.vehicle_types["e_tricycle"].capacity_kg < 200
    for data in ({"demand": {"parcel_kg": 200}, "lastmile": {"vehicle_type": "e_tricycle"}},
                 {"demand": {"parcel_kg": 200}, "network": {"tiers": 2}, "township": {"vehicle_type": "e_tricycle"}}):
        assert "vehicle_types.e_tricycle.capacity_kg" in error_of(data)
