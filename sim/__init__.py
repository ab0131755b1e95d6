"""ruralsim: a discrete-event simulator of two-way rural commerce in a Chinese county:
consumer goods into villages through a county hub and village stations, and farm
produce out to city markets through the same network."""
from sim.config.scenario import Scenario, load_scenario, scenario_from_data
from sim.errors import ConservationError, InputError
from sim.county.kpis import RunResult, run_replication
from sim.county.model import CountyModel, plan
from sim.experiments.scenario import ScenarioResult, run_scenario, write_results

__all__ = [
    "Scenario", "load_scenario", "scenario_from_data", "InputError", "ConservationError",
    "RunResult", "run_replication", "CountyModel", "plan", "ScenarioResult", "run_scenario",
    "write_results",
]
__version__ = "0.1.0"
