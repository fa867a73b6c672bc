"""Simulation: run a model over time (semantics in docs/semantics.md).

The model is lowered to flat equations (:mod:`.lower`), ordered and grouped by shape
(:mod:`.plan`), compiled once to numpy code (:mod:`.codegen`) and stepped by
:mod:`.engine`; one run and an ensemble of runs are the same code over arrays.

>>> import loopdsl
>>> m = loopdsl.loads("node a initial 1\\na -[gain 2]-> a")
>>> r = m.simulate(stop=4)
>>> r["a"].tolist()
[1.0, 2.0, 4.0, 8.0, 16.0]
>>> J, names, dt = linearize(m)
>>> names, J.tolist()
(['a@-1'], [[2.0]])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

from loopdsl.errors import LoopError, did_you_mean
from loopdsl.model import Model
from loopdsl.simulate.engine import Compiled, prepare, run
from loopdsl.simulate.linear import linearize, spectral_radius
from loopdsl.simulate.lower import Param
from loopdsl.simulate.results import EnsembleResult, Meta, SimulationResult

__all__ = ["simulate", "simulate_scenarios", "linearize", "spectral_radius",
           "SimulationResult", "EnsembleResult", "sample_parameters", "scenario_overrides"]


def scenario_overrides(model: Model, scenario: str | None) -> dict[str, Any]:
    """The assignments of a named scenario, as overrides (empty for None)."""
    if scenario is None:
        return {}
    for s in model.scenarios:
        if s.id == scenario:
            return {a.target: a.value for a in s.assignments}
    raise LoopError(f"no scenario '{scenario}' in the model"
                    + (f"; {did_you_mean(scenario, [s.id for s in model.scenarios])}"
                       if did_you_mean(scenario, [s.id for s in model.scenarios]) else
                       f" (it has: {', '.join(s.id for s in model.scenarios) or 'none'})"))


def sample_parameters(model: Model, runs: int, rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
    """One value per run for every ``vary`` statement: {target: array of runs}."""
    values: dict[str, np.ndarray] = {}
    for d in model.distributions:
        a = d.args
        if d.dist == "uniform":
            values[d.target] = rng.uniform(a[0], a[1], runs)
        elif d.dist == "normal":
            values[d.target] = rng.normal(a[0], a[1], runs)
        else:
            lo, mode, hi = a
            if not lo <= mode <= hi or lo == hi:
                raise LoopError(f"vary {d.target}: triangular needs low <= mode <= high "
                                "and low < high")
            values[d.target] = rng.triangular(lo, mode, hi, runs)
    return values


def _meta(model: Model) -> Meta:
    """The nodes' labels, units and kinds, in one pass (at 50,000 nodes each pass over
    the node objects costs ~30 ms in memory reads alone, so results ask for it lazily)."""
    labels: dict[str, str] = {}
    units: dict[str, str | None] = {}
    kinds: dict[str, str] = {}
    for n in model.nodes:
        i = n.id
        labels[i] = n.display
        units[i] = n.unit
        kinds[i] = n.kind
    return labels, units, kinds


def simulate(model: Model, start: float | None = None, stop: float | None = None,
             dt: float | None = None, method: str | None = None,
             overrides: Mapping[str, Any] | None = None, scenario: str | None = None,
             runs: int | None = None, seed: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             keep: Sequence[str] | None = None, save_step: float | None = None
             ) -> SimulationResult | EnsembleResult:
    """Run a checked model and return its result.

    Parameters
    ----------
    model : Model
        A checked model (``loopdsl.load``/``loads``).
    start, stop, dt : float, optional
        The time range and step; default the model's ``time`` statement.
    method : {"euler", "rk4"}, optional
        Default the model's ``method``, else Euler.
    overrides : mapping, optional
        ``{name: number or Expr}``: a const's/aux's/flow's value, or a stock's/plain node's
        initial value (see docs/semantics.md).
    scenario : str, optional
        A scenario of the model to apply (explicit overrides win over it).
    runs, seed : int, optional
        With ``runs``, an ensemble: the ``vary`` distributions are sampled once per run and
        every run advances together; returns an :class:`EnsembleResult`.
    progress : callable, optional
        Called as ``progress(step, steps)`` during the run.
    keep : list of str, optional
        Record only these variables (default: every node). The run then holds only the
        rows its delays need, so memory follows what is kept (use it for big ensembles).
    save_step : float, optional
        Report every ``save_step`` time units (a whole multiple of ``dt``); the run
        still steps by ``dt``.
    """
    merged = scenario_overrides(model, scenario)
    merged.update(overrides or {})
    rng = np.random.default_rng(seed)
    ensemble = runs is not None
    count = 1 if runs is None else int(runs)
    if count < 1:
        raise LoopError(f"runs={runs}: an ensemble needs at least 1 run")
    sampled: dict[str, np.ndarray] = {}
    if ensemble:
        sampled = {k: v for k, v in sample_parameters(model, count, rng).items()
                   if k not in merged}
    params = np.zeros((len(sampled), count))
    for j, (target, values) in enumerate(sampled.items()):
        merged[target] = Param(j)
        params[j] = values
    # an ensemble keeping some variables steps the plan laid out by groups: plan it so once
    layout = "groups" if ensemble and keep is not None else "model"
    compiled = prepare(model, start, stop, dt, method, merged, layout)
    slots = None
    if keep is not None:
        index, nodes = compiled.system.index, compiled.system.nodes
        for name in keep:
            if index.get(name, nodes) >= nodes:  # not one of the model's own variables
                hint = did_you_mean(name, compiled.system.node_names())
                raise LoopError(f"cannot keep '{name}': the model has no such variable"
                                + (f"; {hint}" if hint else ""))
        keep = list(dict.fromkeys(keep))
        slots = [compiled.plan.slot[compiled.system.index[n]] for n in keep]
    out = run(compiled, count, params, rng, progress, keep=slots)
    every = _every(save_step, compiled.system.dt)
    return collect(compiled, out, scenario, sampled if ensemble else None, seed,
                   keep=keep, every=every)


def _every(save_step: float | None, dt: float) -> int:
    if save_step is None:
        return 1
    ratio = save_step / dt
    k = round(ratio)
    if k < 1 or abs(ratio - k) > 1e-9 * max(1.0, ratio):
        raise LoopError(f"save_step {save_step:g} is not a whole multiple of dt = {dt:g}")
    return int(k)


def collect(c: Compiled, out: np.ndarray, scenario: str | None,
            sampled: dict[str, np.ndarray] | None, seed: int | None = None,
            keep: Sequence[str] | None = None, every: int = 1
            ) -> SimulationResult | EnsembleResult:
    """Results from what :func:`~loopdsl.simulate.engine.run` returned (``keep`` as
    given to it, by name)."""
    model, system = c.model, c.system
    times = c.times
    if keep is not None:
        names = list(keep)
        values = out
    else:
        # the model's own variables are the system's first: no walk over the model's nodes
        names = system.node_names()
        slots = c.plan.slot[:system.nodes]
        P = c.plan.max_lag
        if slots == list(range(len(slots))):  # and they come first in the slots: a view
            values = out[P:, :len(slots), :]
        elif sampled is None:
            values = np.take(out[P:, :, 0], slots, axis=1)[:, :, None]
        else:
            values = np.take(out[P:], slots, axis=1)
    if every > 1:
        values = values[::every]
        times = times[::every]
    time_unit = model.time.unit if model.time else None
    meta = partial(_meta, model)
    title = model.title or model.name
    if sampled is None:
        return SimulationResult(times, names, values[:, :, 0], warnings=system.warnings,
                                scenario=scenario, title=title, time_unit=time_unit,
                                method=c.method, dt=system.dt, meta=meta)
    return EnsembleResult(times, names, values, warnings=system.warnings, scenario=scenario,
                          title=title, time_unit=time_unit, parameters=sampled, seed=seed,
                          method=c.method, dt=system.dt, meta=meta)


def simulate_scenarios(model: Model, scenarios: list[str | None] | None = None,
                       **options: Any) -> list[SimulationResult | EnsembleResult]:
    """The base run and each scenario (all of the model's by default), in order."""
    if scenarios is None:
        scenarios = [None] + [s.id for s in model.scenarios]
    return [simulate(model, scenario=s, **options) for s in scenarios]
