"""loopdsl leaves the process's state alone (issue 13): the garbage collector, numpy's
settings, logging. Only loopdsl.tuning changes such state, and only when a program asks."""

from __future__ import annotations

import gc
import importlib.util
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import loopdsl
from loopdsl import tuning
from loopdsl.model import Distribution
from loopdsl.simulate import engine
from loopdsl.xmile import dumps_xmile, loads_xmile

REPO = Path(__file__).resolve().parents[1]
_multiarray = getattr(np, "_core", np).multiarray
HUGE_PAGES = getattr(_multiarray, "_get_madvise_hugepage", lambda: None)


def _generate() -> Any:
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


gen = _generate()
REGULAR_100 = gen.regular_xmile(100)  # 100 stocks, 500 variables, 1,000 steps


def state() -> dict[str, Any]:
    """Everything loopdsl must leave as it found it."""
    loggers = {name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled)
               for name, lg in logging.root.manager.loggerDict.items()
               if isinstance(lg, logging.Logger) and name.startswith("loopdsl")}
    return {"gc enabled": gc.isenabled(), "gc frozen": gc.get_freeze_count(),
            "gc thresholds": gc.get_threshold(), "numpy errors": np.geterr(),
            "numpy huge pages": HUGE_PAGES(), "root handlers": list(logging.root.handlers),
            "root level": logging.root.level, "logging disabled": logging.root.manager.disable,
            "loopdsl loggers": loggers, "tuning": tuning.enabled()}


WATCHED = [(gc, "disable"), (gc, "enable"), (gc, "freeze"), (gc, "unfreeze"),
           (gc, "set_threshold"), (gc, "collect"), (np, "seterr"), (np, "seterrcall"),
           (_multiarray, "_set_madvise_hugepage"), (logging, "basicConfig"),
           (logging, "disable"), (logging.Logger, "setLevel"), (logging.Logger, "addHandler")]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The process-wide setters loopdsl's code calls while the test runs (they still act;
    pytest's own calls, such as its log capture's handler, are not counted)."""
    made: list[str] = []

    def spy(owner: Any, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def called(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.split(".")[0] == "loopdsl":
                made.append(f"{getattr(owner, '__name__', owner)}.{name}")
            return real(*args, **kwargs)
        return called

    for owner, name in WATCHED:
        if hasattr(owner, name):
            monkeypatch.setattr(owner, name, spy(owner, name, getattr(owner, name)))
    yield made


def everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load, import XMILE, list loops, run once and as ensembles, big results included."""
    flywheel = loopdsl.load(REPO / "models" / "amazon_flywheel.loop")
    flywheel.find_loops()
    loopdsl.loads(loopdsl.dumps(flywheel))
    loads_xmile(dumps_xmile(flywheel))
    model = loads_xmile(REGULAR_100)
    assert len(model.find_loops()) > 100
    # results of 1 MB and more on pages of their own, as 256 MB and more are in real use
    monkeypatch.setattr(engine, "ORDINARY_PAGES", 1e6)
    single = model.simulate()
    assert single["s_0"][-1] == pytest.approx(gen.numpy_regular(100)["s"][-1, 0], rel=1e-12)
    for i in range(10):
        model.distributions.append(Distribution(target=f"g_{i}", dist="uniform",
                                                args=[0.01, 0.02]))
    stocks = [f"s_{i}" for i in range(100)]
    model.simulate(runs=60, seed=1, keep=stocks)  # a 48 MB record: numpy's huge pages
    every = model.simulate(runs=6, seed=1)  # 24 MB of results on pages of their own
    monkeypatch.setattr(engine, "ORDINARY_PAGES", 256e6)
    assert np.array_equal(every["s_7"], model.simulate(runs=6, seed=1)["s_7"])


def test_the_library_changes_no_process_wide_state(monkeypatch, calls):
    before = state()
    everything(monkeypatch)
    assert state() == before
    assert calls == []


def test_a_collector_the_program_paused_stays_paused(monkeypatch):
    gc.disable()
    try:
        everything(monkeypatch)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_tuning_is_off_until_asked_and_undone_after(monkeypatch, calls):
    assert tuning.enabled() == frozenset()
    before = state()
    with tuning.tuned():
        assert tuning.enabled() == set(tuning.KNOBS)
        everything(monkeypatch)
    assert state() == before
    assert {"gc.disable", "gc.enable", "gc.freeze", "gc.unfreeze"} <= set(calls)
    calls.clear()
    gc.disable()
    try:
        with tuning.tuned("gc"):
            loopdsl.loads("a -> b -> a").simulate()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert "gc.freeze" in calls and "gc.enable" not in calls
    tuning.enable("heap")
    tuning.disable()
    assert tuning.enabled() == frozenset()
    with pytest.raises(ValueError, match="unknown tuning knob 'hugepages'"):
        tuning.enable("hugepages")


def test_charts_leave_the_programs_matplotlib_backend_alone(monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    from loopdsl.dominance import dominance
    from loopdsl.dominance.plot import plot_dominance
    from loopdsl.simulate.plot import plot_results

    monkeypatch.setitem(matplotlib.rcParams, "backend", "svg")  # the program's choice
    model = loopdsl.load(REPO / "models" / "amazon_flywheel.loop")
    assert plot_results([model.simulate()], fmt="png")[:4] == b"\x89PNG"
    assert plot_dominance(dominance(model), fmt="svg")[:5] == b"<?xml"
    assert matplotlib.get_backend() == "svg"


def test_only_the_tuning_module_calls_process_wide_setters():
    """Also the paths the other tests do not run (the command line, dominance, render)."""
    setters = re.compile(r"\bgc\.(disable|enable|freeze|unfreeze|set_threshold|collect)\("
                         r"|_set_madvise_hugepage|\bseterr(call)?\(|basicConfig|\.setLevel\("
                         r"|\.addHandler\(|logging\.disable\(|mallopt|setrecursionlimit"
                         r"|setswitchinterval|matplotlib\.use\(|import (matplotlib\.)?pyplot")
    found = [f"{path.relative_to(REPO)}:{n}: {line.strip()}"
             for path in sorted((REPO / "loopdsl").rglob("*.py")) if path.name != "tuning.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if setters.search(line)]
    assert found == []
