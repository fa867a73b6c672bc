"""bench/compile.py stays runnable, and its two texts describe the same graph (no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pydot
import pytest

import loopdsl

# pydot's own parser still calls pyparsing's deprecated names; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot")
BENCH = Path(__file__).resolve().parents[1] / "bench" / "compile.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_compile", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_compile"] = module
    spec.loader.exec_module(module)
    return module


def test_loop_and_dot_texts_are_the_same_graph() -> None:
    loop_text, dot_text = _bench().generate(400, seed=3)
    G = loopdsl.loads(loop_text).graph
    (dot,) = pydot.graph_from_dot_data(dot_text)
    dot_edges = {(e.get_source(), e.get_destination()): e for e in dot.get_edges()}
    assert set(G.edges) == set(dot_edges) and len(dot_edges) == 400
    for (a, b), edge in dot_edges.items():
        attrs = edge.get_attributes()
        sign = {'"+"': 1, '"-"': -1}.get(attrs.get("polarity"), 1)
        assert G.edges[a, b]["polarity"] == sign
        if "gain" in attrs:
            assert G.edges[a, b]["gain"] == float(attrs["gain"])
            assert G.edges[a, b]["delay"] == float(attrs["delay"])
    labels = {n.get_name(): n.get_attributes()["label"].strip('"') for n in dot.get_nodes()
              if "label" in n.get_attributes()}
    assert labels and all(G.nodes[n]["label"] == label for n, label in labels.items())


def test_bench_runs(capsys) -> None:
    assert _bench().main(["--sizes", "100", "300", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "speed-up" in out and "300" in out
