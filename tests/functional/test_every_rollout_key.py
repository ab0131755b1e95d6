"""A value the reference calls valid never crashes a rollout: random values for random
sets of rollout keys (walked from the rollout schema, optional sections included), in a
tiny region with and without crops, one or two tiers. Each config is refused with a
message or runs to its tables and report."""
from __future__ import annotations

import copy
import itertools

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_every_key import leaves, set_key, value

from sim.config.schema import build
from sim.errors import InputError
from sim.rollout.compare import run_compare
from sim.rollout.spec import RolloutConfig, load_rollout

BASE = {"kind": "rollout", "name": "every_key", "base": {"start_doy": 250},
        "region": {"counties": 2, "seed": 5, "villages": {"min": 6, "max": 10},
                   "area_km2": {"min": 150, "max": 250}, "extent_km": 80},
        "horizon_m": 3, "sample_days": 2, "warmup_days": 1, "replications": 1, "budget_per_year_cny": [4.0e6],
        "strategies": {"largest": {"village_order": "largest_first"}, "remote": {"village_order": "remote_first"}},
        "baseline": "largest"}
# the size of the run, free-form sections and files (their own tests cover them)
FIXED = {"base", "name", "description", "region.counties", "horizon_m", "sample_days", "replications", "strategies",
         "operating_models", "baseline", "calibration", "village_inputs", "region.villages_csv", "region.counties_csv",
         "region.villages_dir", "entry.schedule", "entry.county_months"}
LEAVES = leaves(RolloutConfig, "", build(RolloutConfig, {k: v for k, v in BASE.items() if k != "kind"}, "x"),
                FIXED)
RUN = itertools.count()


@st.composite
def rollouts(draw) -> dict:
    data = copy.deepcopy(BASE)
    data["base"] = {"start_doy": draw(st.integers(1, 365)), "network": {"tiers": draw(st.sampled_from([1, 2]))}}
    if draw(st.booleans()):
        data["base"]["crops"] = []
    for leaf in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=6, unique_by=lambda leaf: leaf.path)):
        strategy = value(leaf.tp, leaf.meta, leaf.default)
        if strategy is not None:
            set_key(data, leaf.path, draw(strategy))
    return data


def test_the_walk_reaches_the_optional_sections():
    paths = {leaf.path for leaf in LEAVES}
    assert {"entry.counties_per_month", "attrition.reservation_wage_cny", "adoption.feedback.reference_h"} <= paths


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(rollouts())
def test_a_valid_value_never_crashes_a_rollout(tmp_path, data):
    folder = tmp_path / f"r{next(RUN)}"
    folder.mkdir()
    (folder / "r.yaml").write_text(yaml.safe_dump(data))
    try:
        ro = load_rollout(folder / "r.yaml")
    except InputError as exc:   # refused by a check between keys: a message, not a crash
        assert str(exc).startswith(str(folder / "r.yaml"))
        return
    tables = run_compare(ro, folder / "out", workers=1, quiet=True, report=True)
    assert (folder / "out" / "report.md").is_file() and tables["outcomes"]
