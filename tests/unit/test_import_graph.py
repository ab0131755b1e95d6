"""bench/import_graph.py: the package has no import cycle and no import against the layer
order, and the tool finds cycles and upward imports in small made-up packages."""
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ig():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "bench" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def make_package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "sim"
    for rel, text in {"__init__.py": "", **files}.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pkg


def test_the_package_has_no_import_cycle(ig):
    graph = ig.scan(ROOT / "sim")
    assert "sim.county.model" in graph.lines and ("sim.cli.base", "sim.errors") in graph.edges  # it read the package
    assert ig.module_cycles(graph) == []
    assert ig.unit_cycles(graph) == []


def test_the_package_imports_only_down_the_layers(ig):
    graph = ig.scan(ROOT / "sim")
    assert {"cli", "rollout", "county", "config"} <= {graph.unit(m) for m in graph.lines}  # it read the package
    assert ig.layer_violations(graph) == []
    assert ig.main([str(ROOT / "sim"), "--top", "0"]) == 0


def test_a_module_level_cycle_is_found_and_fails(ig, tmp_path, capsys):
    pkg = make_package(tmp_path, {
        "county/__init__.py": "",
        "county/a.py": "from sim.county.b import f\n",
        "county/b.py": "from . import a\ndef f(): pass\n",
    })
    graph = ig.scan(pkg)
    assert ig.module_cycles(graph) == [["sim.county.a", "sim.county.b"]]
    assert ig.unit_cycles(graph) == []  # one sub-package
    assert ig.main([str(pkg)]) == 1
    assert "sim.county.a <-> sim.county.b" in capsys.readouterr().out


def test_an_upward_import_inside_a_function_is_a_layer_violation(ig, tmp_path):
    pkg = make_package(tmp_path, {
        "errors.py": "class InputError(Exception): pass\n",
        "county/__init__.py": "",
        "county/model.py": "from sim.errors import InputError\n",
        "figures/__init__.py": "",
        "figures/redraw.py": "def redraw():\n    from sim.experiments import single\n",
        "experiments/__init__.py": "",
        "experiments/single.py": "import sim.figures.redraw\nimport sim.county.model\n",
    })
    graph = ig.scan(pkg)
    assert graph.edges[("sim.figures.redraw", "sim.experiments.single")] is True  # inside a function
    assert graph.edges[("sim.experiments.single", "sim.figures.redraw")] is False
    assert ig.module_cycles(graph) == []  # only module-level imports make cycles
    assert ig.module_cycles(graph, module_level_only=False) == [["sim.experiments.single", "sim.figures.redraw"]]
    bad = ig.layer_violations(graph)
    assert len(bad) == 1 and bad[0].startswith("sim.figures.redraw -> sim.experiments.single")
    assert ig.main([str(pkg)]) == 1


def test_a_downward_package_passes_and_type_checking_imports_do_not_count(ig, tmp_path, capsys):
    pkg = make_package(tmp_path, {
        "errors.py": "",
        "config/__init__.py": "",
        "config/schema.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.county import model\n",
        "county/__init__.py": "",
        "county/model.py": "from sim.config import schema\nfrom sim import __version__\n",
        "cli.py": "def main():\n    import sim.county.model\n",
    })
    graph = ig.scan(pkg)
    assert set(graph.edges) == {("sim.county.model", "sim.config.schema"), ("sim.cli", "sim.county.model")}
    assert ig.layer_violations(graph) == []
    assert ig.main([str(pkg)]) == 0
    out = capsys.readouterr().out
    assert "cli          -> county" in out and "county       -> config" in out


def test_a_sub_package_outside_the_layer_order_is_reported(ig, tmp_path):
    pkg = make_package(tmp_path, {
        "errors.py": "",
        "stations/__init__.py": "",
        "stations/post.py": "import sim.errors\n",
    })
    bad = ig.layer_violations(ig.scan(pkg))
    assert bad == ["sim.stations.post -> sim.errors: 'stations' is not in the layer order"]
