"""The command line starts light: importing sim.cli (what `ruralsim --help` does) loads
neither numpy nor PyYAML, checking any shipped config loads none of SciPy, matplotlib,
Dask and SimPy, and the public API still imports by name."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "experiments").glob("*.yaml"))

HEAVY = ("scipy", "matplotlib", "dask", "distributed", "simpy")


def modules_after(code: str) -> set[str]:
    """Top-level names in sys.modules after running CODE in a fresh interpreter."""
    probe = code + "\nimport sys\nprint('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_the_cli_loads_no_heavy_package():
    loaded = modules_after("import sim.cli")
    assert "click" in loaded and "sim" in loaded  # the probe sees what was imported
    # `ruralsim --help` needs click alone: not even numpy or the config reader (PyYAML)
    light = {*HEAVY, "numpy", "yaml"}
    assert loaded.isdisjoint(light), sorted(loaded & light)


@pytest.mark.parametrize("config", SHIPPED, ids=[p.name for p in SHIPPED])
def test_checking_a_shipped_config_loads_no_heavy_package(config):
    code = ("from sim.cli import main\n"
            f"main(['check', {str(config)!r}], standalone_mode=False)")
    loaded = modules_after(code)
    assert "yaml" in loaded and "sim" in loaded  # the check ran (it raises SystemExit on bad input)
    heavy = set(HEAVY)
    design = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("design") or {}
    if design.get("method") in ("latin_hypercube", "sobol"):
        # checking builds every scenario of the design, and drawing its points needs scipy.stats.qmc
        heavy.discard("scipy")
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)


def test_the_shipped_configs_are_checked():
    names = {p.name for p in SHIPPED}
    assert {"baseline.yaml", "investment_sweep.yaml", "rollout_strategies.yaml"} <= names


def test_importing_sim_loads_no_heavy_package():
    loaded = modules_after("import sim")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def full_modules_after(code: str) -> set[str]:
    """Every module name in sys.modules after running CODE in a fresh interpreter."""
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", ["sim.experiments.single", "sim.experiments.sweep", "sim.rollout.simulate"])
def test_the_run_engines_leave_scipy_stats_and_matplotlib_until_used(module):
    # t intervals need Student t's quantile and tail only (scipy.special); scipy.stats costs about
    # half a second more in every process, and matplotlib is for figures
    loaded = full_modules_after(f"import {module}")
    assert "scipy.special" in loaded or module != "sim.experiments.single"
    assert "scipy.stats" not in loaded and "matplotlib" not in loaded


def test_a_scenario_run_without_figures_never_imports_matplotlib(tmp_path):
    code = ("from sim import load_scenario\nfrom sim.experiments.single import run_into\n"
            f"sc = load_scenario({str(ROOT / 'experiments' / 'baseline.yaml')!r})"
            ".updated({'horizon_d': 10, 'warmup_d': 0, 'replications': 2})\n"
            f"run_into(sc, {str(tmp_path / 'out')!r}, figures=False, workers=2)")
    loaded = full_modules_after(code)
    assert "simpy" in loaded and "matplotlib" not in loaded and "scipy.stats" not in loaded


def test_public_names_import_on_first_use():
    loaded = modules_after("from sim import load_scenario, run_scenario, write_results")
    assert "simpy" in loaded  # run_scenario needs the model, so it came in on demand


@pytest.mark.parametrize("name", ["load_scenario", "run_scenario", "write_results", "CountyModel", "InputError"])
def test_public_names_are_the_defining_modules_objects(name):
    import importlib

    import sim
    where = {"load_scenario": "sim.config.scenario", "run_scenario": "sim.experiments.single",
             "write_results": "sim.experiments.single", "CountyModel": "sim.county.model",
             "InputError": "sim.errors"}[name]
    assert getattr(sim, name) is getattr(importlib.import_module(where), name)
    assert name in sim.__all__ and name in dir(sim)


def test_unknown_name_is_an_attribute_error():
    import sim
    with pytest.raises(AttributeError, match="no_such_name"):
        sim.no_such_name  # noqa: B018


def test_all_lists_every_lazy_name_once():
    import sim
    assert sorted(sim.__all__) == sorted(set(sim.__all__))
    for name in sim.__all__:
        assert getattr(sim, name) is not None
