"""XMILE export simulates the same: read back by loopdsl, and run by PySD.

Every bundled model is exported; the XMILE read back (with and without loopdsl's own
extension elements, i.e. as another tool sees it) must simulate exactly like the .loop
model, and PySD must compute the same values from the same file. Plain causal nodes are
exported as DELAY-based auxiliaries (docs/xmile.md), so this also checks that form.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import loopdsl
from loopdsl.xmile import dumps_xmile, loads_xmile

REPO = Path(__file__).resolve().parents[1]
MODELS = sorted((REPO / "models").glob("*.loop"))


def strip_extension(text: str) -> str:
    """What another tool sees: the XMILE with every loopdsl: element removed."""
    text = re.sub(r"<loopdsl:(\w+)[^>]*/>", "", text)
    return re.sub(r"<loopdsl:(\w+)[^>]*>.*?</loopdsl:\1>", "", text, flags=re.S)


def assert_same_run(ours, theirs, names, rtol=1e-9):
    assert np.allclose(np.asarray(ours.time, float), np.asarray(theirs.time, float))
    for name in names:
        a = np.asarray(ours[name], float)
        b = np.asarray(theirs[name], float)
        scale = max(float(np.max(np.abs(a))), 1e-300)
        assert np.allclose(b, a, rtol=rtol, atol=rtol * scale), name


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_exported_xmile_read_back_simulates_the_same(path):
    model = loopdsl.load(path)
    text = dumps_xmile(model)
    expected = model.simulate()
    names = [n for n in expected.names]
    back = loads_xmile(text)
    assert_same_run(expected, back.simulate(), names)
    for scenario in model.scenarios:  # kept in loopdsl's extension elements
        assert_same_run(model.simulate(scenario=scenario.id),
                        back.simulate(scenario=scenario.id), names)
    # as another tool sees it: plain nodes are DELAY-based auxes, links are gone
    assert_same_run(expected, loads_xmile(strip_extension(text)).simulate(), names)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_pysd_runs_the_exported_xmile_with_the_same_results(path, tmp_path):
    pysd = pytest.importorskip("pysd", reason="PySD is not installed (pip install pysd)")
    model = loopdsl.load(path)
    target = tmp_path / f"{path.stem}.xmile"
    target.write_text(dumps_xmile(model), encoding="utf-8")
    ours = model.simulate()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pysd.read_xmile(str(target)).run()
    times = frame.index.to_numpy(float)
    assert np.allclose(times, np.asarray(ours.time, float))
    compared = 0
    for name in ours.names:
        a = np.asarray(ours[name], float)
        b = frame[name].to_numpy(float)
        scale = max(float(np.max(np.abs(a))), 1e-300)
        assert np.allclose(a, b, rtol=1e-7, atol=1e-9 * scale), name
        compared += 1
    assert compared == len(ours.names) > 0


# Every export rule of docs/xmile.md at once: stock capacity, a stock filled by links, an aux
# and a const without equations, a plain node with push, decay, capacity and initial, signed
# links with gains and delays (one an expression), named lookups of each interpolation.
EVERYTHING = """
time 0 to 20 step 0.5 unit week
const k = 0.3
const lag = 1.5
const nothing
stock pool initial 1000 non_negative
stock users initial 10 capacity 800
stock buzz
flow join = users * k * effect(users / 100) from pool to users
flow churn = users * 0.05 from users non_negative
aux rate
lookup effect points [(0, 1), (5, 0.6), (10, 0.2)] extrapolate
lookup steps points [(0, 0), (400, 1), (800, 1.5)] discrete
aux shaped = steps(users) + smooth
aux smooth = users points [(0, 0), (400, 1), (800, 1.5)]
node word push PULSE(20, 1) decay 0.5 capacity 500 initial 3
node noise initial 2
users -[gain 0.1 delay lag]-> word
word -[- gain 0.2 delay 0.5]-> rate
shaped -> rate
word -[gain 2]-> buzz
noise -[- gain 0.5]-> buzz
"""


def test_every_export_rule_simulates_the_same(tmp_path):
    model = loopdsl.loads(EVERYTHING)
    text = dumps_xmile(model)
    back = loads_xmile(text)
    assert back.content() == model.content()
    expected = model.simulate()
    assert_same_run(expected, back.simulate(), expected.names)
    assert_same_run(expected, loads_xmile(strip_extension(text)).simulate(), expected.names)
    pysd = pytest.importorskip("pysd", reason="PySD is not installed (pip install pysd)")
    target = tmp_path / "everything.xmile"
    target.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pysd.read_xmile(str(target)).run()
    for name in expected.names:
        a = np.asarray(expected[name], float)
        assert np.allclose(frame[name].to_numpy(float), a, rtol=1e-7,
                           atol=1e-9 * max(float(np.max(np.abs(a))), 1e-300)), name


def test_rk4_export_with_delayed_links_simulates_the_same():
    text = ("time 0 to 10 step 0.5\nmethod rk4\nstock s initial 1\nflow f = n * 0.1 to s\n"
            "node n decay 0.5\ns -[gain 2 delay 1]-> n")
    model = loopdsl.loads(text)
    expected = model.simulate()
    exported = dumps_xmile(model)
    assert 'method="RK4"' in exported
    assert_same_run(expected, loads_xmile(strip_extension(exported)).simulate(), ["s", "n", "f"])
