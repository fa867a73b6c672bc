"""The benchmark harness does not rot: generators at tiny size, XMILE that parses.

Not a timing test: bench/peers.py measures; this only checks its inputs are sound.
"""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
NS = "{http://docs.oasis-open.org/xmile/ns/XMILE/v1.0}"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _module("generate")


@pytest.mark.parametrize("kind", ["regular", "irregular"])
def test_generated_xmile_is_well_formed(kind, tmp_path):
    path = gen.model_path(kind, 30, folder=tmp_path)
    root = ET.parse(path).getroot()
    assert root.tag == f"{NS}xmile"
    variables = root.find(f"{NS}model/{NS}variables")
    stocks = variables.findall(f"{NS}stock")
    assert len(stocks) == 30
    names = {v.get("name").replace(" ", "_").lower() for v in variables}
    # every inflow/outflow a stock names is a flow of the model
    flows = {v.get("name").replace(" ", "_").lower() for v in variables.findall(f"{NS}flow")}
    for s in stocks:
        for f in s.findall(f"{NS}inflow") + s.findall(f"{NS}outflow"):
            assert f.text.lower() in flows
    assert 4.5 * 30 <= len(names) <= 6.5 * 30  # about five variables per stock


def test_generators_are_deterministic_and_seeded():
    assert gen.irregular_xmile(40, seed=3) == gen.irregular_xmile(40, seed=3)
    assert gen.irregular_xmile(40, seed=3) != gen.irregular_xmile(40, seed=4)
    assert gen.regular_xmile(10, seed=3) != gen.regular_xmile(10, seed=4)


def test_irregular_mixes_shapes():
    text = gen.irregular_xmile(300)
    for marker in ("<gf", "IF ", "MIN(", "EXP(", "STEP("):
        assert marker in text
    assert any(f in text for f in ("SMTH1(", "SMTH3(", "DELAY1(", "DELAY3("))


def test_loopdsl_reads_generated_models(tmp_path):
    import loopdsl

    for kind in ("regular", "irregular"):
        model = loopdsl.load(gen.model_path(kind, 12, folder=tmp_path))
        assert sum(n.kind == "stock" for n in model.nodes) == 12


def test_numpy_loop_agrees_with_pysd(tmp_path):
    pysd = pytest.importorskip("pysd", reason="PySD (a dev extra) is not installed")
    n = 6
    path = gen.model_path("regular", n, folder=tmp_path)
    df = pysd.read_xmile(str(path)).run()
    ours = gen.numpy_regular(n)
    theirs = np.stack([df[f"s_{i}"].to_numpy() for i in range(n)], axis=1)
    np.testing.assert_allclose(ours["s"], theirs, rtol=1e-12)
    np.testing.assert_allclose(ours["time"], df.index.to_numpy(), atol=1e-9)
    p = np.stack([df[f"p_{i}"].to_numpy() for i in range(n)], axis=1)
    np.testing.assert_allclose(ours["p"], p, rtol=1e-12)


def test_peers_helpers():
    peers = _module("peers")
    assert peers.norm('"Teacup  Temperature"') == "teacup_temperature"
    a = {"x": np.array([1.0, 2.0]), "Y z": np.array([3.0, 4.0])}
    b = {"X": np.array([1.0, 2.0]), "y_z": np.array([3.0, 5.0])}
    worst, count = peers.agreement(a, b)
    assert count == 2 and worst == pytest.approx(0.2)


def test_peers_script_end_to_end_tiny(tmp_path):
    """The harness runs start to finish on a 10-stock model (loopdsl, plus Simlin if here)."""
    peers = _module("peers")
    out = tmp_path / "perf.md"
    peers.main(["--engines", "loopdsl,simlin", "--sizes", "10", "--repeats", "1",
                "--skip", "conformance,ensemble,loops,memory,numpy", "--prefault", "0",
                "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| regular 10 | loopdsl")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert float(cells[5]) > 0  # a measured total, not "-"
    assert "| irregular 10 | simlin |" in text  # a row either way: times or why not
