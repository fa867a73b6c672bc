"""The operating point of a model and the local slopes of its equations.

A small evaluator over the expression tree (never ``eval``): enough to value every node
at the initial state and to differentiate an equation numerically with respect to one
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
from typing import Any, Mapping

import numpy as np

from loopdsl.builtins import MEMORY_FUNCTIONS
from loopdsl.graph import constant_value, equation_of
from loopdsl.model import (
    Binary, Call, Expr, If, Lookup, LookupDef, Model, Name, Num, PlainNode, Stock, Unary,
)
from loopdsl.simulate import runtime


class Unknown(Exception):
    """A value that cannot be computed at the operating point."""


def lookup_value(table: Lookup, x: float) -> float:
    """A graphical function's value at x (continuous: clamped; extrapolate; discrete).

    >>> lookup_value(Lookup(xs=[0, 10], ys=[1, 0.5]), 5)
    0.75
    """
    if not table.xs:
        raise Unknown("empty lookup")
    return float(runtime.lookup_one(x, np.asarray(table.xs, dtype=float),
                                    np.asarray(table.ys, dtype=float), table.interpolation))


_UNARY_MATH = {"abs": abs, "exp": math.exp, "ln": math.log, "log10": math.log10,
               "sqrt": math.sqrt, "int": math.floor, "sin": math.sin, "cos": math.cos,
               "tan": math.tan, "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan}


class Evaluator:
    """Values of nodes and expressions at one state (stocks and plain nodes given)."""

    def __init__(self, model: Model, state: Mapping[str, float], time: float | None = None,
                 overrides: Mapping[str, float] | None = None,
                 nodes: Mapping[str, Any] | None = None):
        self.model = model
        self.nodes = nodes if nodes is not None else {n.id: n for n in model.nodes}
        self.state = state
        self.overrides = dict(overrides or {})
        spec = model.time
        self.time = time if time is not None else (spec.start if spec else 0.0)
        self.names = {"time": self.time, "dt": spec.step if spec else 1.0,
                      "starttime": spec.start if spec else 0.0,
                      "stoptime": spec.stop if spec else 100.0, "pi": math.pi, "inf": math.inf}
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
        if node is None or node_id in self.busy:
            raise Unknown(node_id)
        self.busy.add(node_id)
        try:
            equation = equation_of(node)
            if equation is None:
                if isinstance(node, (Stock, PlainNode)) and node.initial is not None:
                    result = self.expr(node.initial)
                else:
                    result = 0.0
            else:
                result = self.expr(equation)
                table = getattr(node, "lookup", None)
                if table is not None:
                    result = lookup_value(table, result)
        finally:
            self.busy.discard(node_id)
        self.cache[node_id] = result
        return result

    def expr(self, e: Expr) -> float:
        if isinstance(e, Num):
            return e.value
        if isinstance(e, Name):
            low = e.name.lower()
            if e.name not in self.nodes and low in self.names:
                return self.names[low]
            return self.value(e.name)
        if isinstance(e, Unary):
            v = self.expr(e.operand)
            return -v if e.op == "-" else float(not v) if e.op == "not" else v
        if isinstance(e, Binary):
            return self.binary(e)
        if isinstance(e, If):
            return self.expr(e.then) if self.expr(e.cond) else self.expr(e.orelse)
        if isinstance(e, Call):
            return self.call(e)
        raise Unknown(type(e).__name__)

    def binary(self, e: Binary) -> float:
        op = e.op
        a = self.expr(e.left)
        if op == "and" and not a:
            return 0.0
        if op == "or" and a:
            return 1.0
        b = self.expr(e.right)
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            if op == "^":
                return float(a ** b)
            if op == "mod":
                return a % b
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as err:
            raise Unknown(str(err)) from None
        return float({"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b,
                      ">=": a >= b, "and": bool(a and b), "or": bool(a or b)}[op])

    def call(self, e: Call) -> float:
        f = e.func
        node = self.nodes.get(f)
        if isinstance(node, LookupDef):
            return lookup_value(node.lookup, self.expr(e.args[0]))
        args = e.args
        try:
            if f in _UNARY_MATH:
                return float(_UNARY_MATH[f](self.expr(args[0])))
            if f in ("min", "max"):
                a, b = self.expr(args[0]), self.expr(args[1])
                return min(a, b) if f == "min" else max(a, b)
            if f == "mod":
                return self.expr(args[0]) % self.expr(args[1])
            if f == "safediv":
                b = self.expr(args[1])
                if b == 0:
                    return self.expr(args[2]) if len(args) > 2 else 0.0
                return self.expr(args[0]) / b
            if f in MEMORY_FUNCTIONS:  # steady state: the input passes through
                return self.expr(args[0])
            # time inputs: the simulator's own helpers, with its defaults
            values = [self.expr(a) for a in args] if f in ("step", "ramp", "pulse") else []
            dt, start = self.names["dt"], self.names["starttime"]
            if f == "step":
                return float(runtime.step(self.time, values[0], values[1], dt))
            if f == "ramp":
                return float(runtime.ramp(self.time, values[0], (values + [start])[1],
                                          (values + [start, math.inf])[2]))
            if f == "pulse":
                return float(runtime.pulse(self.time, values[0], (values + [start])[1],
                                           (values + [start, 0.0])[2], dt))
            if f == "lookup":
                raise Unknown("lookup(table, x) by name")
        except (ZeroDivisionError, OverflowError, ValueError) as err:
            raise Unknown(str(err)) from None
        raise Unknown(f"function {f}")


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
            point[node.id] = ev.value(node.id)
        except (Unknown, RecursionError):
            continue
    return point


def slope(model: Model, source: str, target: str, point: Mapping[str, float],
          nodes: Mapping[str, Any] | None = None) -> float | None:
    """d target / d source through target's own equation, the other inputs held at point.

    A central difference with step ``1e-6 * max(1, |x|)``, kept to 10 significant
    digits; None if the equation cannot be evaluated there. ``nodes`` (id -> node) saves
    rebuilding the index on every call.
    """
    if nodes is None:
        nodes = {n.id: n for n in model.nodes}
    node = nodes.get(target)
    equation = equation_of(node) if node is not None else None
    if equation is None:
        return None
    x = point.get(source)
    if x is None:
        return None
    h = 1e-6 * max(1.0, abs(x))
    try:
        up = _local(model, node, point, source, x + h, nodes)
        down = _local(model, node, point, source, x - h, nodes)
    except (Unknown, RecursionError):
        return None
    value = (up - down) / (2 * h)
    if not math.isfinite(value):
        return None
    return float(f"{value:.10g}")  # drop the difference's rounding noise


def _local(model: Model, node: Any, point: Mapping[str, float], source: str, x: float,
           nodes: Mapping[str, Any]) -> float:
    """Node's equation evaluated with its inputs read from point, source set to x."""
    ev = Evaluator(model, point, overrides={source: x}, nodes=nodes)
    result = ev.expr(equation_of(node))
    table = getattr(node, "lookup", None)
    return lookup_value(table, result) if table is not None else result


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


__all__ = ["Evaluator", "Unknown", "lookup_value", "initial_state", "operating_point",
           "slope", "number"]
