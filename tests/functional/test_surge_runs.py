"""Surge capacity and degenerate capacities in whole runs: zero sorters, vehicles or
trunk trucks either move nothing through that stage (without surge: backlogs grow,
conservation holds) or are made up by surge capacity; never a crash."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import with_

from sim.cli import main
from sim.county.kpis import run_replication

ZERO = {"hub": "sorters", "lastmile": "vehicles_per_route", "trunk": "trucks_per_departure"}
SURGE_KPI = {"hub": "surge_sorter_days", "lastmile": "surge_vehicle_days", "trunk": "surge_spot_truck_runs"}


@pytest.mark.parametrize("section", list(ZERO))
def test_zero_capacity_without_surge_moves_nothing_and_the_backlog_grows(small, section):
    sc = with_(with_(small, section, **{ZERO[section]: 0}), "surge", enabled=False)
    res = run_replication(sc, 0)          # the conservation check runs inside
    k = res.kpis
    assert k["inbound_parcels_delivered"] == 0
    assert k["inbound_parcels_in_system"] == k["inbound_parcels_ordered"]
    backlog = res.daily["hub_backlog_parcels"] + res.daily["warehouse_backlog_parcels"]
    assert np.array_equal(backlog, np.cumsum(res.daily["parcels_ordered"]))
    assert k["cost_surge_cny"] == 0.0 and all(k[c] == 0 for c in SURGE_KPI.values())
    if section == "hub":                   # the trunk and the produce still run
        assert k["outbound_produce_sold_kg"] > 0
    else:                                  # no vehicle collects, or no truck takes it to market
        assert k["outbound_produce_sold_kg"] == 0


@pytest.mark.parametrize("section", list(ZERO))
def test_zero_capacity_with_surge_is_made_up_by_hired_capacity(small, section):
    sc = with_(small, section, **{ZERO[section]: 0})
    k = run_replication(sc, 0).kpis
    assert k[SURGE_KPI[section]] > 0 and k["cost_surge_cny"] > 0
    assert k["inbound_parcels_delivered"] > 0.9 * k["inbound_parcels_ordered"]


def test_surge_shortens_the_lead_time_tail_and_costs_something(small):
    on = run_replication(small, 0).kpis
    off = run_replication(with_(small, "surge", enabled=False), 0).kpis
    assert on["surge_vehicle_days"] > 0 and on["cost_surge_cny"] > 0
    assert on["inbound_lead_time_p95_h"] < off["inbound_lead_time_p95_h"]


def test_surge_off_never_hires(small):
    k = run_replication(with_(small, "surge", enabled=False), 0).kpis
    hired = (k["surge_spot_truck_runs"], k["surge_vehicle_days"], k["surge_sorter_days"], k["cost_surge_cny"])
    assert hired == (0, 0, 0, 0.0)


TINY = """\
kind: scenario
name: tiny
replications: 2
horizon_d: 30
start_doy: 300
county: {area_km2: 400, townships: 4, villages: 30}
stations: {coverage_share: 0.6}
"""


@pytest.mark.parametrize("key", ["hub: {sorters: 0}", "lastmile: {vehicles_per_route: 0}",
                                 "trunk: {trucks_per_departure: 0}"])
@pytest.mark.parametrize("surge", ["true", "false"])
def test_cli_runs_degenerate_capacities(tmp_path, key, surge):
    p = tmp_path / "zero.yaml"
    p.write_text(TINY + key + f"\nsurge: {{enabled: {surge}}}\n")
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "out"), "--no-figures", "--quiet"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "runs.csv").exists()


def test_cli_refuses_a_bad_surge_value_naming_the_key(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(TINY + "surge: {spot_truck_premium: 0.5}\n")
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2
    assert "surge.spot_truck_premium: 0.5 is not allowed" in r.output
