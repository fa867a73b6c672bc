"""The command line: exit codes, message format, exports, fmt, stdin, hostile inputs.

Most tests call :func:`loopdsl.cli.main` in-process (fast); a few run
``python -m loopdsl`` in a subprocess to prove the real entry point works.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from loopdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = re.compile(r"^(?P<file>[^\n:]+):(?P<line>\d+):(?P<col>\d+): error: \S")
WHOLE_FILE_MESSAGE = re.compile(r"^[^\n]+: error: \S")

FLYWHEEL = """\
# The Amazon napkin (illustrative)
model amazon "Amazon flywheel"
group big "Big wheel"
node experience "Customer experience" initial 10 in big
node traffic "Трафик" in big
node sellers "第三方卖家" in big
experience -> traffic -> sellers -> selection -> experience
traffic -> growth -[- gain 0.5 delay 2 "scale"]-> cost
loop R1 "Big wheel" reinforcing: experience -> traffic -> sellers -> selection -> experience
"""
UNFORMATTED = 'node  a "A"   initial 5 # start\na->b -[ - ]-> a\n'
BROKEN = "a -> b\nnode c initial @\nloop 5\n"


def run(argv: list[str], capsys, stdin: bytes | None = None,
        monkeypatch=None) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors and --version
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def assert_error_lines(err: str) -> None:
    """Every message line is FILE:LINE:COL: error: ... (or FILE: error: ... for a file)."""
    assert "Traceback" not in err
    heads = [line for line in err.splitlines() if line and not line.startswith(" ")]
    assert heads, err
    for line in heads:
        assert MESSAGE.match(line) or WHOLE_FILE_MESSAGE.match(line), line


# -- check -------------------------------------------------------------------

def test_check_clean_exits_0(tmp_path, capsys) -> None:
    path = write(tmp_path, "ok.loop", FLYWHEEL)
    code, out, err = run(["check", path], capsys)
    assert (code, err) == (0, "")
    assert out == f"{path}: ok (6 nodes, 6 links)\n"
    assert run(["check", "-q", path], capsys) == (0, "", "")


def test_check_model_errors_exit_1_with_positions(tmp_path, capsys) -> None:
    good = write(tmp_path, "ok.loop", FLYWHEEL)
    bad = write(tmp_path, "bad.loop", BROKEN)
    code, out, err = run(["check", bad, good], capsys)
    assert code == 1
    assert out == f"{good}: ok (6 nodes, 6 links)\n"
    assert_error_lines(err)
    heads = [line for line in err.splitlines() if not line.startswith(" ")]
    assert heads == [
        f"{bad}:2:16: error: unexpected character '@'",
        f"{bad}:3:6: error: unexpected number 5, expected a loop name (such as R1)",
    ]


def test_check_semantic_error_format(tmp_path, capsys) -> None:
    bad = write(tmp_path, "typo.loop", "node traffic\naux signups = trafic * 0.1\n")
    code, _, err = run(["check", bad], capsys)
    assert code == 1
    assert err == (f"{bad}:2:15: error: undefined node 'trafic'; did you mean 'traffic'?\n"
                   "    aux signups = trafic * 0.1\n"
                   "                  ^\n")


@pytest.mark.parametrize("argv", [[], ["check"], ["check", "--bogus", "x.loop"], ["frob"],
                                  ["graph", "x.loop", "--format", "xml"], ["fmt"]])
def test_usage_errors_exit_2(argv, capsys) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "Traceback" not in err and ("usage:" in err or "error:" in err)


def test_check_missing_file_and_directory(tmp_path, capsys) -> None:
    missing = str(tmp_path / "missing.loop")
    code, _, err = run(["check", missing, str(tmp_path)], capsys)
    assert code == 1
    assert err == (f"{missing}: error: no such file\n"
                   f"{tmp_path}: error: is a directory, not a model file\n")


# -- graph -------------------------------------------------------------------

def test_graph_json_is_node_link_data(tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", FLYWHEEL)
    code, out, err = run(["graph", path, "--format", "json"], capsys)
    assert (code, err) == (0, "")
    data = json.loads(out)
    G = nx.node_link_graph(data, edges="links")
    assert isinstance(G, nx.DiGraph)
    assert G.nodes["sellers"]["label"] == "第三方卖家"
    assert G.nodes["traffic"]["label"] == "Трафик"
    assert G.edges["growth", "cost"]["polarity"] == -1
    assert G.edges["growth", "cost"]["gain"] == 0.5
    assert G.graph["name"] == "amazon"
    assert set(G.edges) >= {("experience", "traffic"), ("selection", "experience")}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_xml_formats_read_back(fmt, reader, tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", FLYWHEEL)
    out_path = tmp_path / f"m.{fmt}"
    code, out, err = run(["graph", path, "--format", fmt, "-o", str(out_path)], capsys)
    assert (code, out, err) == (0, "", "")
    G = reader(out_path)
    assert G.is_directed()
    assert set(G.nodes) == {"experience", "traffic", "sellers", "selection", "growth", "cost"}
    assert len(G.edges) == 6
    labels = dict(G.nodes(data="label"))
    assert labels["sellers"] == "第三方卖家" and labels["traffic"] == "Трафик"
    assert int(G.edges["growth", "cost"]["polarity"]) == -1
    assert float(G.edges["growth", "cost"]["delay"]) == 2.0


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_xml_keeps_escaped_labels(fmt, reader, tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", 'node a "two\\nlines\\tand a tab <&> \\"q\\""\na -> b\n')
    out_path = tmp_path / f"m.{fmt}"
    assert run(["graph", path, "--format", fmt, "-o", str(out_path)], capsys)[0] == 0
    assert reader(out_path).nodes["a"]["label"] == 'two\nlines\tand a tab <&> "q"'


def test_graph_to_missing_folder_is_an_error_not_a_traceback(tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", FLYWHEEL)
    code, _, err = run(["graph", path, "-o", str(tmp_path / "no" / "g.json")], capsys)
    assert code == 1
    assert err == f"{tmp_path / 'no' / 'g.json'}: error: the folder {tmp_path / 'no'} " \
                  "does not exist\n"


# -- fmt ---------------------------------------------------------------------

def test_fmt_rewrites_in_place_atomically(tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", UNFORMATTED)
    os.chmod(path, 0o640)
    inode = os.stat(path).st_ino
    code, out, err = run(["fmt", path], capsys)
    assert (code, out, err) == (0, "", f"{path}: formatted\n")
    assert Path(path).read_text(encoding="utf-8") == 'node a "A" initial 5  # start\n' \
                                                     "a -> b -[-]-> a\n"
    assert os.stat(path).st_ino != inode  # a new file renamed into place
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.loop"]  # no temporary left
    assert run(["fmt", path], capsys) == (0, "", "")  # idempotent: nothing to do


def test_fmt_check_changes_nothing(tmp_path, capsys) -> None:
    path = write(tmp_path, "m.loop", UNFORMATTED)
    code, out, err = run(["fmt", "--check", path], capsys)
    assert (code, out, err) == (1, "", f"{path}: would reformat\n")
    assert Path(path).read_text(encoding="utf-8") == UNFORMATTED
    clean = write(tmp_path, "clean.loop", "a -> b\n")
    assert run(["fmt", "--check", clean], capsys) == (0, "", "")


def test_fmt_leaves_a_broken_file_alone(tmp_path, capsys) -> None:
    path = write(tmp_path, "bad.loop", BROKEN)
    code, out, err = run(["fmt", path], capsys)
    assert code == 1 and out == ""
    assert_error_lines(err)
    assert Path(path).read_text(encoding="utf-8") == BROKEN


def test_fmt_stdin_to_stdout(capsys, monkeypatch) -> None:
    code, out, err = run(["fmt", "-"], capsys, UNFORMATTED.encode(), monkeypatch)
    assert (code, err) == (0, "")
    assert out == 'node a "A" initial 5  # start\na -> b -[-]-> a\n'
    assert run(["fmt", "--check", "-"], capsys, UNFORMATTED.encode(), monkeypatch) == (
        1, "", "-: would reformat\n")


def test_check_and_graph_read_stdin(capsys, monkeypatch) -> None:
    code, out, err = run(["check", "-"], capsys, FLYWHEEL.encode(), monkeypatch)
    assert (code, out, err) == (0, "-: ok (6 nodes, 6 links)\n", "")
    code, out, err = run(["check", "-"], capsys, b"a -> \n", monkeypatch)
    assert code == 1
    assert err.splitlines()[0] == "<stdin>:1:5: error: unexpected end of file, expected a " \
                                  "node name"
    code, out, _ = run(["graph", "-"], capsys, FLYWHEEL.encode(), monkeypatch)
    assert code == 0 and json.loads(out)["graph"]["name"] == "amazon"
    code, _, err = run(["check", "-"], capsys, "node a \"é\"".encode("latin-1"), monkeypatch)
    assert code == 1 and err.startswith("<stdin>:1:9: error: the file is not UTF-8 text")


# -- no traceback, whatever the input ------------------------------------------

def hostile_inputs() -> dict[str, bytes]:
    rng = random.Random(2001)
    return {
        "binary_junk": rng.randbytes(20_000),
        "utf8_junk": "".join(chr(rng.choice([rng.randrange(0, 0x80), rng.randrange(0x80, 0xD7FF)]))
                             for _ in range(5_000)).encode("utf-8"),
        "empty": b"",
        "only_bom": b"\xef\xbb\xbf",
        "crlf": b"a -> b\r\nb -> a\r\n",
        "not_utf8": "node a \"Café\"\n".encode("latin-1"),
        "utf16": "node a \"Трафик\"\n".encode("utf-16"),
        "nul_bytes": b"a -> b\x00\x00",
        "nested_parens_10000": b"aux x = " + b"(" * 10_000 + b"1" + b")" * 10_000,
        "unbalanced_parens_10000": b"aux x = " + b"(" * 10_000 + b"1",
        "nested_minus_10000": b"aux x = " + b"-" * 10_000 + b"1",
        "nested_minus_parens": b"aux x = " + b"-(" * 5_000 + b"1" + b")" * 5_000,
        "nested_not": b"aux x = " + b"not " * 5_000 + b"1",
        "nested_calls": b"aux x = " + b"abs(" * 5_000 + b"1" + b")" * 5_000,
        "nested_if": b"aux x = " + b"if 1 then " * 3_000 + b"1" + b" else 2" * 3_000,
        "long_sum": b"aux x = " + b"+".join([b"1"] * 5_000),
        "long_chain": b" -> ".join(b"n%d" % i for i in range(2_000)),
        "many_errors": b"node @\n" * 5_000,
        "huge_exponent": b"const k = 1e999999999",
        "keywords_only": b"model time to step unit node stock flow loop scenario vary",
    }


@pytest.mark.parametrize("name", sorted(hostile_inputs()))
def test_no_traceback_for_hostile_input(name, tmp_path, capsys) -> None:
    path = write(tmp_path, f"{name}.loop", hostile_inputs()[name])
    for argv in (["check", path], ["graph", path], ["fmt", "--check", path]):
        code, _, err = run(argv, capsys)
        assert code in (0, 1), (argv, err[:500])
        if code == 1 and not err.endswith(": would reformat\n"):
            assert_error_lines(err)
            assert len(err) < 20_000  # quoted lines are cut; 20 errors at most


@pytest.mark.parametrize("content", [
    b"a -> " + b"b" * 10_000_000,                   # a 10 MB name
    b"aux x = " + b"1" * 10_000_000,                # a 10 MB number
    b'node a "' + b"x" * 10_000_000 + b'"',         # a 10 MB label
    b"node a @" + b"y" * 10_000_000,                # an error on a 10 MB line
], ids=["name", "number", "label", "error"])
def test_ten_megabyte_line(content, tmp_path, capsys) -> None:
    path = write(tmp_path, "big.loop", content)
    code, out, err = run(["check", path], capsys)
    assert code in (0, 1)
    assert "Traceback" not in err
    assert len(out) + len(err) < 2_000  # the line is shown cut, never whole
    if code:
        assert_error_lines(err)


def test_directory_and_missing_file_for_every_command(tmp_path, capsys) -> None:
    for target in (str(tmp_path), str(tmp_path / "missing.loop")):
        for argv in (["check", target], ["graph", target], ["fmt", target]):
            code, _, err = run(argv, capsys)
            assert code == 1, argv
            assert WHOLE_FILE_MESSAGE.match(err) and "Traceback" not in err


# -- the real entry point ------------------------------------------------------

def _python_m(args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "loopdsl", *args], input=stdin, cwd=cwd,
                          env=env, capture_output=True, timeout=120)


def test_python_m_loopdsl(tmp_path) -> None:
    write(tmp_path, "m.loop", FLYWHEEL)
    done = _python_m(["check", "m.loop"], tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"m.loop: ok (6 nodes, 6 links)\n",
                                                           b"")
    done = _python_m(["check", "-"], tmp_path, stdin=b"\x89PNG\r\n\x1a\n\x00\x00junk")
    assert done.returncode == 1
    assert done.stderr.startswith(b"<stdin>:1:1: error: the file is not UTF-8 text")
    assert b"Traceback" not in done.stderr


def test_version(capsys) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("loopdsl ")


def test_fmt_points_xmile_files_to_import(tmp_path, capsys) -> None:
    path = tmp_path / "m.xmile"
    path.write_text("<xmile/>", encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}: error: fmt formats .loop files; to turn an XMILE model into one, run: "
        f"loopdsl import {path} -o MODEL.loop\n")
    assert path.read_text(encoding="utf-8") == "<xmile/>"
