"""The builtin table is the one place that names the language's functions (issue 13)."""

from __future__ import annotations

import ast
from pathlib import Path

from loopdsl.builtins import FUNCTIONS, Kind

PACKAGE = Path(__file__).resolve().parent.parent / "loopdsl"
ORDINARY = {"abs", "min", "max", "int", "mod", "step", "delay", "init", "previous", "trend",
            "lookup", "normal"}
"""Function names that are also ordinary words of the code (a time step, a link's delay,
a lookup node, a normal distribution, an internal variable's suffix)."""
WORDS = set(FUNCTIONS) - ORDINARY


def test_no_module_but_the_table_spells_out_a_function_name():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "builtins.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.lower() in WORDS:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert not found, found


def test_every_function_has_an_implementation_or_is_lowered():
    for op in FUNCTIONS.values():
        if op.kind in (Kind.MEMORY, Kind.LOOKUP):
            assert op.impl is None, op  # the simulator lowers these to stocks and tables
        else:
            assert callable(op.impl), op
        assert len(op.params) == op.high, op
