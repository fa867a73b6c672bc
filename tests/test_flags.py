"""Library messages name parameters (``runs=``); only the CLI names its flags (``--runs``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import loopdsl
from loopdsl.analysis import find_loops
from loopdsl.cli import main
from loopdsl.dominance import check_method, dominance
from loopdsl.errors import LoopError
from loopdsl.render import format_for
from loopdsl.simulate import simulate

PACKAGE = Path(loopdsl.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
CLI_MODULES = ("cli.py", "commands/", "conformance.py")
ALLOWED: set[tuple[str, str]] = set()
"""Flags still named by library messages: none."""

RING = "time 0 to 4 step 1\nnode a initial 1\na -[gain 2]-> b -> a\n"
RK4 = "method rk4\nstock N initial 1\nflow g = 0.1 * N to N\n"
DELAYED = ("time 0 to 12 step 1\nnode a initial 1\na -[gain 2 delay 2]-> b\n"
           "b -[gain 1 delay 1]-> a\n")
GEARS = Path(__file__).resolve().parents[1] / "models" / "amazon_gears.loop"


def _strings(tree: ast.AST) -> list[str]:
    """The string literals of a module that are not docstrings."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs]


def test_no_library_message_names_a_cli_flag():
    found = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(CLI_MODULES):
            continue
        for text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            found |= {(rel, flag) for flag in FLAG.findall(text)}
    assert found <= ALLOWED, sorted(found - ALLOWED)


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _model(tmp_path, text: str) -> str:
    path = tmp_path / "m.loop"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_runs(tmp_path, capsys):
    with pytest.raises(LoopError, match=r"runs=0") as err:
        simulate(loopdsl.loads(RING), runs=0)
    assert "--" not in str(err.value)
    code, text = _cli(capsys, "simulate", _model(tmp_path, RING), "--runs", "0")
    assert code == 2 and "--runs" in text and "runs=" not in text


def test_keep_when_a_run_would_not_fit(tmp_path, capsys, monkeypatch):
    from loopdsl.simulate import engine

    monkeypatch.setattr(engine, "MAX_BYTES", 8)
    with pytest.raises(LoopError, match=r"keep=\[\.\.\.\]") as err:
        simulate(loopdsl.loads(RING))
    assert "--" not in str(err.value)
    code, text = _cli(capsys, "simulate", _model(tmp_path, RING))
    assert code == 1 and "--vars a,b" in text and "keep=" not in text


def test_format(tmp_path, capsys):
    with pytest.raises(LoopError, match=r"fmt='svg'") as err:
        format_for("m.out")
    assert "--" not in str(err.value)
    code, text = _cli(capsys, "render", _model(tmp_path, RING), "-o", str(tmp_path / "m.out"))
    assert code == 1 and "--format svg" in text and "fmt=" not in text


def test_method(tmp_path, capsys):
    with pytest.raises(LoopError, match=r"method='euler'") as err:
        check_method(loopdsl.loads(RK4))
    assert "--" not in str(err.value)
    code, text = _cli(capsys, "dominance", _model(tmp_path, RK4))
    assert code == 1 and "--method euler" in text and "method=" not in text


def test_window(tmp_path, capsys):
    notes = dominance(loopdsl.loads(DELAYED)).notes
    assert any("window=3" in note for note in notes)
    assert not any("--" in note for note in notes)
    code, text = _cli(capsys, "dominance", _model(tmp_path, DELAYED))
    assert code == 0 and "--window 3" in text and "window=" not in text


@pytest.mark.parametrize("param, flag, value", [("max_loops", "--max-loops", 2),
                                                ("max_length", "--max-length", 3)])
def test_loop_limits(param, flag, value, capsys):
    reason = find_loops(loopdsl.load(GEARS).graph, **{param: value}).reason
    assert f"{param}={value}" in reason and "--" not in reason
    code, text = _cli(capsys, "loops", str(GEARS), flag, str(value))
    assert code == 0 and f"{flag} {value}" in text and f"{param}=" not in text
