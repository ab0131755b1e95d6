"""ruralsim: a discrete-event simulator of two-way rural commerce in a Chinese county:
consumer goods into villages through a county hub and village stations, and farm
produce out to city markets through the same network.

The public names below are imported on first use (PEP 562), so ``import sim`` and the
command line start without loading SimPy, SciPy or matplotlib."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "Scenario": "sim.config.scenario",
    "load_scenario": "sim.config.scenario",
    "scenario_from_data": "sim.config.scenario",
    "InputError": "sim.errors",
    "ConservationError": "sim.errors",
    "RunResult": "sim.county.kpis",
    "run_replication": "sim.county.kpis",
    "CountyModel": "sim.county.model",
    "plan": "sim.county.planning",
    "ScenarioResult": "sim.experiments.single",
    "run_scenario": "sim.experiments.single",
    "write_results": "sim.experiments.single",
}

__all__ = [  # the keys of _PUBLIC, spelled out for linters and `from sim import *`
    "ConservationError",
    "CountyModel",
    "InputError",
    "RunResult",
    "Scenario",
    "ScenarioResult",
    "load_scenario",
    "plan",
    "run_replication",
    "run_scenario",
    "scenario_from_data",
    "write_results",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


if TYPE_CHECKING:  # the names as type checkers and editors see them
    from sim.config.scenario import Scenario, load_scenario, scenario_from_data
    from sim.county.kpis import RunResult, run_replication
    from sim.county.model import CountyModel
    from sim.county.planning import plan
    from sim.errors import ConservationError, InputError
    from sim.experiments.single import ScenarioResult, run_scenario, write_results
