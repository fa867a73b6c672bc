"""The operating point of a model and the local slopes of its equations.

The expression core's evaluator (:mod:`loopdsl.ir`, never ``eval``) values every node
at the initial state and differentiates an equation numerically with respect to one
input. Memory functions (SMTH1, DELAY1, ...) pass their input through, as they do in a
steady state; time-shaped inputs (STEP, RAMP, PULSE) are read at the start time; random
functions have no slope and make a value unknown (``None``).

>>> import loopdsl
>>> m = loopdsl.loads("const k = 0.5\\nstock s initial 10\\nflow f = k * s ^ 2 to s")
>>> point = operating_point(m)
>>> point["f"]
50.0
>>> round(slope(m, "s", "f", point), 6)
10.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from loopdsl.builtins import Op
from loopdsl.graph import constant_value
from loopdsl.ir import Apply, Builder, BuildError, Node, Opaque, evaluate
from loopdsl.model import (
    Aux,
    Constant,
    Expr,
    Flow,
    LookupDef,
    Model,
    PlainNode,
    Stock,
)


class Unknown(Exception):
    """A value that cannot be computed at the operating point."""


def _steady(call: Apply, value: Callable[[Node], Any]) -> Any:
    """A memory function in a steady state: its input passes through (a trend is 0)."""
    return np.float64(0.0) if call.op is Op.TREND else value(call.args[0])


class Evaluator:
    """Values of nodes and expressions at one state (stocks and plain nodes given), by
    the expression core's evaluator (:func:`loopdsl.ir.evaluate`)."""

    def __init__(self, model: Model, state: Mapping[str, float], time: float | None = None,
                 overrides: Mapping[str, float] | None = None,
                 nodes: Mapping[str, Any] | None = None, builder: Builder | None = None):
        self.model = model
        self.nodes = nodes if nodes is not None else {n.id: n for n in model.nodes}
        self.builder = builder if builder is not None else Builder.of(model)
        self.state = state
        self.overrides = dict(overrides or {})
        spec = model.time
        self.time = time if time is not None else (spec.start if spec else 0.0)
        self.settings = {"time": self.time, "dt": spec.step if spec else 1.0,
                         "start": spec.start if spec else 0.0,
                         "stop": spec.stop if spec else 100.0}
        self.cache: dict[str, float] = {}
        self.busy: set[str] = set()

    def value(self, node_id: str) -> float:
        if node_id in self.overrides:
            return self.overrides[node_id]
        if node_id in self.cache:
            return self.cache[node_id]
        if node_id in self.state:
            return self.state[node_id]
        node = self.nodes.get(node_id)
        if node is None or node_id in self.busy or isinstance(node, LookupDef):
            raise Unknown(node_id)
        self.busy.add(node_id)
        try:
            if isinstance(node, (Aux, Flow, Constant)) and node.equation is not None:
                result = self.ir(self.builder.equation(node))
            elif isinstance(node, (Stock, PlainNode)) and node.initial is not None:
                result = self.expr(node.initial)
            else:
                result = 0.0
        finally:
            self.busy.discard(node_id)
        self.cache[node_id] = result
        return result

    def expr(self, e: Expr) -> float:
        """The value of one of the model's expressions."""
        try:
            return self.ir(self.builder.node(e))
        except BuildError as err:
            raise Unknown(err.message) from None

    def ir(self, node: Node) -> float:
        def read(ref: Any) -> Any:
            return np.float64(self.value(ref.name))

        def value(arg: Node) -> Any:
            return self.ir(arg)

        try:
            s = self.settings
            return float(evaluate(node, read, memory=lambda call: _steady(call, value),
                                  time=s["time"], dt=s["dt"], start=s["start"],
                                  stop=s["stop"]))
        except Opaque as err:
            raise Unknown(str(err)) from None


def initial_state(model: Model) -> dict[str, float]:
    """Initial values of the stocks and plain nodes (0 where none is given)."""
    ev = Evaluator(model, {})
    state: dict[str, float] = {}
    for node in model.nodes:
        if isinstance(node, (Stock, PlainNode)):
            try:
                state[node.id] = ev.expr(node.initial) if node.initial is not None else 0.0
            except Unknown:
                state[node.id] = 0.0
    return state


def operating_point(model: Model, state: Mapping[str, float] | None = None
                    ) -> dict[str, float]:
    """Every node's value at a state (default: the initial state); unknown ones left out."""
    ev = Evaluator(model, dict(state) if state is not None else initial_state(model))
    point: dict[str, float] = {}
    for node in model.nodes:
        if isinstance(node, LookupDef):
            continue
        try:
            value = ev.value(node.id)
        except (Unknown, RecursionError):
            continue
        if math.isfinite(value):  # NaN and infinities are no operating point
            point[node.id] = value
    return point


def slope(model: Model, source: str, target: str, point: Mapping[str, float],
          nodes: Mapping[str, Any] | None = None, builder: Builder | None = None
          ) -> float | None:
    """d target / d source through target's own equation, the other inputs held at point.

    A central difference with step ``1e-6 * max(1, |x|)``, kept to 10 significant
    digits; None if the equation cannot be evaluated there. ``nodes`` (id -> node) and
    ``builder`` (:meth:`loopdsl.ir.Builder.of` the model) save making them on every call.
    """
    if nodes is None:
        nodes = {n.id: n for n in model.nodes}
    builder = builder if builder is not None else Builder.of(model)
    node = nodes.get(target)
    if not isinstance(node, (Aux, Flow, Constant)) or node.equation is None:
        return None
    x = point.get(source)
    if x is None:
        return None
    h = 1e-6 * max(1.0, abs(x))
    try:
        tree = builder.equation(node)
        up = Evaluator(model, point, overrides={source: x + h}, nodes=nodes,
                       builder=builder).ir(tree)
        down = Evaluator(model, point, overrides={source: x - h}, nodes=nodes,
                         builder=builder).ir(tree)
    except (Unknown, RecursionError):
        return None
    value = (up - down) / (2 * h)
    if not math.isfinite(value):
        return None
    return float(f"{value:.10g}")  # drop the difference's rounding noise


def number(model: Model, expr: Expr | None, point: Mapping[str, float]) -> float | None:
    """An expression's value at the point (literals fast), None if it cannot be valued."""
    if expr is None:
        return None
    literal = constant_value(expr)
    if literal is not None:
        return literal
    try:
        return Evaluator(model, point).expr(expr)
    except (Unknown, RecursionError):
        return None


__all__ = ["Evaluator", "Unknown", "initial_state", "operating_point",
           "slope", "number"]
