"""Evaluate an expression over numpy arrays: one element per saved time step.

Loop dominance (:mod:`loopdsl.dominance`) re-evaluates each equation *ceteris
paribus*: one input at its current value, every other input at its previous
value, for all time steps at once. This module is that evaluator. It reads
the typed expression tree only (never model text) and knows the scalar
builtins of :mod:`loopdsl.builtins`. Memory functions (SMTH1, DELAY, INIT,
PREVIOUS, ...) and random numbers have state this evaluator cannot see; a
call of one raises :class:`Opaque` so the caller can treat it specially.

>>> import numpy as np
>>> from loopdsl.model import Binary, Name, Num
>>> e = Binary(op="*", left=Name(name="a"), right=Num(value=2.0))
>>> evaluate(e, {"a": np.array([1.0, 2.0, 3.0])}).tolist()
[2.0, 4.0, 6.0]
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from loopdsl.builtins import MEMORY_FUNCTIONS
from loopdsl.model import Binary, Call, Expr, If, Lookup, Name, Num, Unary
from loopdsl.simulate import runtime

RANDOM_FUNCTIONS = frozenset({"random", "normal", "lognormal", "poisson", "exprnd"})


class Opaque(Exception):
    """An expression calls a function whose value depends on hidden state."""

    def __init__(self, call: Call):
        self.call = call
        super().__init__(call.func)


def lookup_values(table: Lookup, x: np.ndarray) -> np.ndarray:
    """A graphical function applied to an array of inputs.

    >>> t = Lookup(xs=[0, 10], ys=[1, 0.5], interpolation="extrapolate")
    >>> lookup_values(t, np.array([5.0, 20.0])).tolist()
    [0.75, 0.0]
    """
    return runtime.lookup_one(x, np.asarray(table.xs, dtype=float),
                              np.asarray(table.ys, dtype=float), table.interpolation)


def _b(value: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=float) != 0


_UNARY_FUNCS: dict[str, Callable] = {
    "abs": np.abs, "exp": np.exp, "ln": np.log, "log10": np.log10, "sqrt": np.sqrt,
    "int": np.floor, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan,
}


def evaluate(expr: Expr, env: Mapping[str, np.ndarray], *,
             lookups: Mapping[str, Lookup] | None = None,
             time: np.ndarray | float = 0.0, dt: float = 1.0,
             start: float = 0.0, stop: float = 0.0) -> np.ndarray:
    """The value of ``expr`` for every element of the arrays in ``env``.

    Parameters
    ----------
    expr : Expr
        The expression tree.
    env : mapping of str to ndarray
        The value of every name the expression reads (arrays of one length, or
        scalars).
    lookups : mapping of str to Lookup, optional
        Named graphical functions, called as ``name(x)``.
    time, dt, start, stop : array or float
        The values of TIME, DT, STARTTIME and STOPTIME.

    Raises
    ------
    Opaque
        For memory functions and random numbers, whose value this evaluator
        cannot reproduce.
    KeyError
        For a name that is not in ``env``.

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("const k = 2\\naux y = IF x > 1 THEN MAX(x, k) ELSE -x\\nnode x")
    >>> evaluate(m.node("y").equation, {"x": np.array([0.5, 1.5, 3.0]), "k": 2.0}).tolist()
    [-0.5, 2.0, 3.0]
    """
    lookups = lookups or {}
    builtin = {"time": time, "dt": dt, "starttime": start, "stoptime": stop, "pi": math.pi,
               "inf": math.inf}

    def ev(e: Expr):
        if isinstance(e, Num):
            return e.value
        if isinstance(e, Name):
            if e.name in env:
                return env[e.name]
            low = e.name.lower()
            if low in builtin:
                return builtin[low]
            raise KeyError(e.name)
        if isinstance(e, Unary):
            v = ev(e.operand)
            if e.op == "-":
                return -np.asarray(v, dtype=float)
            if e.op == "not":
                return (~_b(v)).astype(float)
            return v
        if isinstance(e, Binary):
            a, b = ev(e.left), ev(e.right)
            op = e.op
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                a = np.asarray(a, dtype=float)
                b = np.asarray(b, dtype=float)
                if op == "+":
                    return a + b
                if op == "-":
                    return a - b
                if op == "*":
                    return a * b
                if op == "/":
                    return a / b
                if op == "^":
                    return np.power(a, b)
                if op == "mod":
                    return np.mod(a, b)
                if op == "and":
                    return (_b(a) & _b(b)).astype(float)
                if op == "or":
                    return (_b(a) | _b(b)).astype(float)
                compare = {"=": np.equal, "<>": np.not_equal, "<": np.less,
                           "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
                return compare[op](a, b).astype(float)
        if isinstance(e, If):
            c = ev(e.cond)
            return np.where(_b(c), ev(e.then), ev(e.orelse))
        if isinstance(e, Call):
            f = e.func
            if f in MEMORY_FUNCTIONS or f in RANDOM_FUNCTIONS:
                raise Opaque(e)
            if f in lookups:
                return lookup_values(lookups[f], ev(e.args[0]))
            if f == "lookup":
                table = e.args[0]
                if isinstance(table, Name) and table.name in lookups:
                    return lookup_values(lookups[table.name], ev(e.args[1]))
                raise Opaque(e)
            args = [ev(a) for a in e.args]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if f in _UNARY_FUNCS:
                    return _UNARY_FUNCS[f](np.asarray(args[0], dtype=float))
                if f == "min":
                    return np.minimum(args[0], args[1])
                if f == "max":
                    return np.maximum(args[0], args[1])
                if f == "mod":
                    return np.mod(args[0], args[1])
                # the simulator's own helpers, with the simulator's defaults
                if f == "safediv":
                    return runtime.safediv(*(args if len(args) == 3 else args + [0.0]))
                t = np.asarray(time, dtype=float)
                if f == "step":
                    return runtime.step(t, args[0], args[1], dt)
                if f == "ramp":
                    return runtime.ramp(t, args[0], args[1] if len(args) > 1 else start,
                                        args[2] if len(args) > 2 else math.inf)
                if f == "pulse":
                    return runtime.pulse(t, args[0], args[1] if len(args) > 1 else start,
                                         args[2] if len(args) > 2 else 0.0, dt)
            raise Opaque(e)
        raise TypeError(f"not an expression: {e!r}")

    out = ev(expr)
    return np.asarray(out, dtype=float)

