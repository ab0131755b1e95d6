"""Figures and reports import only layers below them, and no private names across modules."""
import ast
from pathlib import Path

import pytest

import sim

ROOT = Path(sim.__file__).parent
ABOVE = {"figures": ("sim.experiments", "sim.rollout", "sim.reports", "sim.validation", "sim.cli"),
         "reports": ("sim.experiments", "sim.rollout", "sim.validation", "sim.cli"),
         "analysis": ("sim.county", "sim.figures", "sim.reports", "sim.experiments", "sim.rollout", "sim.validation",
                      "sim.cli")}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_no_imports_from_higher_layers(package):
    for path in sorted((ROOT / package).glob("*.py")):
        for module, _ in _imports(path):
            assert not module.startswith(ABOVE[package]), f"{path.name} imports {module}"


@pytest.mark.parametrize("package", ["figures", "reports", "analysis", "validation"])
def test_no_private_names_imported_across_modules(package):
    for path in sorted((ROOT / package).glob("*.py")):
        for module, names in _imports(path):
            if module.startswith("sim"):
                assert not [n for n in names if n.startswith("_")], f"{path.name} imports private names from {module}"


def test_analysis_registry_has_no_heavy_imports():
    heavy = {"numpy", "scipy", "matplotlib", "jinja2"}
    assert not {m.split(".")[0] for m, _ in _imports(ROOT / "analysis" / "registry.py")} & heavy
