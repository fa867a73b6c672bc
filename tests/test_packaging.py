"""A plain (not editable) install works: the wheel carries the grammar and loads models.

Builds the wheel with pip (hatchling, in pip's isolated build environment), checks the
grammar is inside, installs it into a temporary folder and compiles a bundled model
from there, in a process whose working folder is outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = ROOT / "grammars" / "loop.lark"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
         "--disable-pip-version-check", "-w", str(out)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("loopdsl-*.whl")
    return built


def test_wheel_carries_the_grammar(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "loopdsl/grammars/loop.lark" in names
        assert archive.read("loopdsl/grammars/loop.lark") == GRAMMAR.read_bytes()
        assert {"loopdsl/__init__.py", "loopdsl/parser.py", "loopdsl/cli.py",
                "loopdsl/commands/check.py"} <= names
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "loopdsl = loopdsl.cli:main" in archive.read(entry_points).decode()
        assert not any(n.startswith(("tests/", "grammars/")) for n in names)


def test_installed_copy_loads_a_model(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--disable-pip-version-check",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    model = tmp_path / "napkin.loop"
    model.write_text('model napkin "飞轮"\nexperience -> traffic -> sellers -> selection '
                     '-> experience\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    script = (
        "import json, sys, loopdsl\n"
        "from importlib import resources\n"
        "from loopdsl.parser import grammar_text\n"
        "m = loopdsl.load(sys.argv[1])\n"
        "print(json.dumps({'file': loopdsl.__file__, 'nodes': m.node_ids, 'title': m.title,\n"
        "    'edges': m.graph.number_of_edges(),\n"
        "    'packaged': resources.files('loopdsl').joinpath('grammars/loop.lark').is_file(),\n"
        "    'grammar': grammar_text() == resources.files('loopdsl').joinpath(\n"
        "        'grammars/loop.lark').read_text(encoding='utf-8')}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(model)], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert Path(report["file"]).is_relative_to(target)  # not the source tree
    assert report["nodes"] == ["experience", "traffic", "sellers", "selection"]
    assert report["title"] == "飞轮" and report["edges"] == 4
    assert report["packaged"] and report["grammar"]
    # the console script installed with it
    done = subprocess.run([str(target / "bin" / "loopdsl"), "check", str(model)],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, f"{model}: ok (4 nodes, 4 links)\n"), \
        done.stderr
