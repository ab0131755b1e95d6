"""Shared fixtures: small counties that run in a fraction of a second."""
from __future__ import annotations

import dataclasses

import pytest

from sim.config.scenario import CountyConfig, Crop, Scenario

# a 20-village scenario config of 20 days, one replication: a run through the command line in about a second
TINY_SCENARIO_YAML = """\
kind: scenario
name: tiny
seed: 3
replications: 1
horizon_d: 20
start_doy: 300
county: {area_km2: 300, townships: 3, villages: 20}
stations: {coverage_share: 0.5}
"""


def small_scenario(**changes) -> Scenario:
    """A 60-village county over the lemon season's start (Sep-Nov: harvest and
    Singles' Day), 2 replications, starting empty with no warm-up (so the KPI
    window is the whole run and hand computations count from an empty county)."""
    base = Scenario(
        name="small", replications=2, horizon_d=90, start_doy=260, warmup_d=0,
        county=CountyConfig(area_km2=600.0, townships=6, villages=60),
        crops=(Crop(),),
    )
    base = dataclasses.replace(base, stations=dataclasses.replace(base.stations, coverage_share=0.5))
    return dataclasses.replace(base, **changes)


def with_(scenario: Scenario, section: str, **changes) -> Scenario:
    """Copy of ``scenario`` with fields of one section changed."""
    return dataclasses.replace(scenario, **{section: dataclasses.replace(getattr(scenario, section), **changes)})


@pytest.fixture
def small():
    return small_scenario()
