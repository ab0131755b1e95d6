"""The import graph of the sim package, read with `ast` (nothing is imported).

Prints the layers (each sub-package and the sub-packages it imports, imports inside
functions included), any cycle between sub-packages or between modules, and the largest
modules by lines. Exits 1 if there is a cycle or an import against the layer order

    cli > rollout > experiments, validation > reports > figures > county > analysis > config > files > errors

(a higher layer may import a lower one; within a sub-package anything goes; `errors` is
the floor, so `files` may raise its exceptions). Imports under `if TYPE_CHECKING:` are
not run and are not counted. The package's own `__init__.py` (the public API) sits above
every layer; `from sim import __version__` is not a dependency on it.

Cycles are those of the imports that run when a module is imported (module level): they
decide import order. An import inside a function that closes a loop is reported by the
layer check instead, and listed as a cycle through function-level imports.

Usage: python bench/import_graph.py [PACKAGE_DIR] [--top N] [--cycles-only]"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS: tuple[tuple[str, ...], ...] = (  # top first
    ("cli",), ("rollout",), ("experiments", "validation"), ("reports",), ("figures",),
    ("county",), ("analysis",), ("config",), ("files",), ("errors",),
)
RANK = {unit: len(LAYERS) - i for i, units in enumerate(LAYERS) for unit in units}
API = "(api)"  # the package's __init__.py


@dataclass
class Graph:
    package: str
    lines: dict[str, int] = field(default_factory=dict)  # module -> lines
    # (importer module, imported module) -> True if any such import is inside a function
    edges: dict[tuple[str, str], bool] = field(default_factory=dict)

    def unit(self, module: str) -> str:
        """The sub-package (or top-level module) that MODULE belongs to."""
        parts = module.split(".")
        return API if len(parts) == 1 else parts[1]

    def unit_edges(self, module_level_only: bool = False) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for (a, b), in_function in self.edges.items():
            if module_level_only and in_function:
                continue
            if self.unit(a) != self.unit(b):
                out[self.unit(a)].add(self.unit(b))
        return out


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Imports(ast.NodeVisitor):
    """(module named, inside a function?) for every import statement that runs."""

    def __init__(self, module: str, is_package: bool):
        self.package = module if is_package else module.rpartition(".")[0]
        self.depth = 0
        self.found: list[tuple[str, list[str], bool]] = []  # (module, names imported from it, in function)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, [], self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        self.found.append((base, [a.name for a in node.names], self.depth > 0))


def scan(package_dir: Path) -> Graph:
    """The module graph of the package in PACKAGE_DIR (a folder with __init__.py)."""
    package_dir = package_dir.resolve()
    graph = Graph(package=package_dir.name)
    sources = {}
    for path in sorted(package_dir.rglob("*.py")):
        module = _module_name(path, package_dir)
        text = path.read_text(encoding="utf-8")
        graph.lines[module] = len(text.splitlines())
        sources[module] = (text, path.name == "__init__.py", path)
    for module, (text, is_package, path) in sources.items():
        visitor = _Imports(module, is_package)
        visitor.visit(ast.parse(text, filename=str(path)))
        for base, names, in_function in visitor.found:
            if base != graph.package and not base.startswith(graph.package + "."):
                continue
            if base == graph.package and names and all(n.startswith("__") for n in names):
                continue  # the version and other dunders of the package itself
            targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in graph.lines] or [base]
            for target in targets:
                if target not in graph.lines or target == module:
                    continue
                key = (module, target)
                graph.edges[key] = graph.edges.get(key, False) or in_function
    return graph


def strongly_connected(nodes: set[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Components of more than one node (Tarjan), each sorted: the cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(nodes) + 100))
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return sorted(out)


def unit_cycles(graph: Graph, module_level_only: bool = True) -> list[list[str]]:
    succ = graph.unit_edges(module_level_only)
    return strongly_connected({graph.unit(m) for m in graph.lines}, succ)


def module_cycles(graph: Graph, module_level_only: bool = True) -> list[list[str]]:
    succ: dict[str, set[str]] = defaultdict(set)
    for (a, b), in_function in graph.edges.items():
        if not (module_level_only and in_function):
            succ[a].add(b)
    return strongly_connected(set(graph.lines), succ)


def layer_violations(graph: Graph) -> list[str]:
    """'importer -> imported (units)' for every import that is not downward in LAYERS."""
    out = []
    for (a, b), in_function in sorted(graph.edges.items()):
        ua, ub = graph.unit(a), graph.unit(b)
        if ua == ub or ua == API:
            continue
        if ua not in RANK or ub not in RANK:
            unknown = ua if ua not in RANK else ub
            out.append(f"{a} -> {b}: '{unknown}' is not in the layer order")
        elif RANK[ua] <= RANK[ub]:
            where = " (inside a function)" if in_function else ""
            out.append(f"{a} -> {b}: {ua} may not import {ub}{where}")
    return out


def report(graph: Graph, top: int = 10) -> tuple[str, bool]:
    """The printed report, and whether the graph passes (no cycle, no upward import)."""
    lines = ["layers (sub-package -> sub-packages it imports):"]
    units = {graph.unit(m) for m in graph.lines}
    succ = graph.unit_edges()
    order = sorted(units, key=lambda u: (-RANK.get(u, len(LAYERS) + 1) if u != API else -99, u))
    for u in order:
        rank = "api" if u == API else str(RANK.get(u, "?"))
        targets = sorted(succ.get(u, ()), key=lambda t: (-RANK.get(t, 99), t))
        lines.append(f"  [{rank:>3}] {u:<12} -> {', '.join(targets) if targets else '-'}")
    ucyc, mcyc, bad = unit_cycles(graph), module_cycles(graph), layer_violations(graph)
    lines.append("cycles between sub-packages: " + ("none" if not ucyc else ""))
    lines += [f"  {' <-> '.join(c)}" for c in ucyc]
    lines.append("cycles between modules: " + ("none" if not mcyc else ""))
    lines += [f"  {' <-> '.join(c)}" for c in mcyc]
    late = [c for c in module_cycles(graph, module_level_only=False) if c not in mcyc]
    late += [c for c in unit_cycles(graph, module_level_only=False) if c not in ucyc]
    lines.append("cycles through function-level imports (see the layer check): " + ("none" if not late else ""))
    lines += [f"  {' <-> '.join(c)}" for c in late]
    lines.append("imports against the layer order: " + ("none" if not bad else str(len(bad))))
    lines += [f"  {v}" for v in bad]
    lines.append(f"largest modules (lines), of {len(graph.lines)}:")
    for module, n in sorted(graph.lines.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        lines.append(f"  {n:6d}  {module}")
    return "\n".join(lines), not (ucyc or mcyc or bad)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The import graph, cycles and layer order of a package.")
    parser.add_argument("package_dir", nargs="?", default=str(ROOT / "sim"))
    parser.add_argument("--top", type=int, default=10, help="how many of the largest modules to list")
    args = parser.parse_args(argv)
    text, ok = report(scan(Path(args.package_dir)), args.top)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
