"""The package's layering: what each module imports when it is imported.

Read from the source (ast), not by importing: the imports a module runs at import time
(its top level, class bodies, ``if``/``try`` blocks; not function bodies, nor ``if
TYPE_CHECKING``). Importing ``loopdsl.a.b`` also runs ``loopdsl/a/__init__.py``, so an
import counts against every package on the way that does not hold the importer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

import loopdsl

PACKAGE = Path(loopdsl.__file__).parent

LOWER = ("model", "parser", "compiler", "normalize", "checker", "expr", "builtins", "graph",
         "errors", "syntax_errors", "construct", "printer", "loader")
"""The front end: text to a checked model."""
UPPER = ("analysis", "simulate", "dominance", "vectoreval", "render", "xmile", "commands",
         "cli", "files", "conformance", "sphinxext", "mkdocs")
"""What works on a checked model, and the shells around the library."""
ANALYSES = ("analysis", "dominance", "vectoreval")
"""They read a model's formulas; they do not run the simulator to do so."""

WAITING: set[tuple[str, str]] = set()
"""Imports across layers allowed for now: none (the runtime helpers sit in
loopdsl/runtime.py, below analysis and simulation)."""


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
            yield from _run_at_import(stmt.orelse)
            continue
        yield stmt
        for block in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(stmt, block, None)
            if isinstance(inner, list):
                yield from _run_at_import(inner)


def _imported(module: str, stmt: ast.stmt) -> list[str]:
    """The loopdsl modules an import statement names (a name that is no module: its
    package)."""
    if isinstance(stmt, ast.Import):
        names = [alias.name for alias in stmt.names]
    elif isinstance(stmt, ast.ImportFrom):
        base = stmt.module or ""
        if stmt.level:
            here = module.split(".")
            if MODULES[module].name != "__init__.py":
                here = here[:-1]
            here = here[: len(here) - stmt.level + 1]
            base = ".".join(here + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                 for alias in stmt.names]
    else:
        return []
    return [n for n in names if n == "loopdsl" or n.startswith("loopdsl.")]


def _imports(module: str) -> set[str]:
    """The loopdsl modules importing ``module`` runs (not itself, nor its packages)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for stmt in _run_at_import(tree.body):
        for name in _imported(module, stmt):
            parts = name.split(".")
            for k in range(2, len(parts) + 1):  # the packages on the way run too
                target = ".".join(parts[:k])
                if not (module == target or module.startswith(target + ".")):
                    found.add(target)
            if name == "loopdsl" and module != "loopdsl":
                found.add(name)
    return found


GRAPH = nx.DiGraph((m, t) for m in MODULES for t in _imports(m))
GRAPH.add_nodes_from(MODULES)


def _in(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == f"loopdsl.{p}" or module.startswith(f"loopdsl.{p}.") for p in layer)


def _waiting(module: str, target: str) -> bool:
    """An import that runs ``target`` because of an allowed WAITING pair."""
    return any(module == m and (target == t or t.startswith(target + "."))
               for m, t in WAITING)


def test_the_graph_is_read():
    assert "loopdsl.dominance.links" in GRAPH["loopdsl.dominance"]
    assert "loopdsl.ir" in GRAPH["loopdsl.dominance.links"]  # loopdsl.ir.nodes: the package runs
    assert "loopdsl.simulate" not in GRAPH["loopdsl.model"]           # lazy: not counted
    assert set(MODULES) <= set(GRAPH)


def test_no_import_cycle_at_module_level():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, cycles[:5]


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, ANALYSES)])
def test_analyses_do_not_import_the_simulator(module):
    found = {t for t in GRAPH[module] if _in(t, ("simulate",)) and not _waiting(module, t)}
    assert not found, f"{module} imports {sorted(found)} at module level"


@pytest.mark.parametrize("module", [m for m in MODULES if _in(m, LOWER)])
def test_lower_layers_do_not_import_upper_ones(module):
    found = {t for t in GRAPH[module] if _in(t, UPPER)}
    assert not found, f"{module} imports {sorted(found)} at module level"


def test_lazy_upward_imports_are_the_models_convenience_methods():
    """The core (model to graph) imports nothing above it, even in a function, except
    in Model's documented methods (graph, find_loops, loop_report, _repr_svg_, simulate)."""
    core = ("model", "parser", "compiler", "normalize", "checker", "expr", "builtins",
            "graph", "errors")
    found = []
    for module in (m for m in MODULES if _in(m, core)):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for stmt in ast.walk(node):
                    for name in _imported(module, stmt):
                        if _in(name, UPPER):
                            found.append((module, node.name, name))
    methods = {"find_loops", "loop_report", "_repr_svg_", "simulate"}
    assert all(m == "loopdsl.model" and f in methods for m, f, _ in found), found
    assert {f for _, f, _ in found} == methods
