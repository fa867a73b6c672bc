"""The evaluator and constant folder of the intermediate form: numpy over arrays.

One evaluator serves every part of loopdsl that computes a formula outside the
generated simulation code: the loop analysis's operating point (scalars: arrays of no
axis), dominance's link scores (one element per saved time step) and the simulator's
fallback path (rows of variables by runs). Each operation is its table entry's numpy
implementation (:class:`loopdsl.builtins.Op`), so the values are the generated code's
to the bit; docs/semantics.md states the edge cases.

>>> from loopdsl.builtins import Op
>>> from loopdsl.ir.nodes import Apply, Num, Sum, Where
>>> float(evaluate(Apply(Op.POW, (Num(-2.0), Num(2.0)))))
4.0
>>> float(evaluate(Apply(Op.DIV, (Num(1.0), Num(0.0)))))
inf
>>> float(evaluate(Where(Num(1.0), Num(5.0), Apply(Op.LN, (Num(-1.0),)))))  # not taken
5.0
>>> fold(Sum((1, 1), (Num(1.0), Apply(Op.MUL, (Num(2.0), Num(3.0))))))
Num(value=7.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from loopdsl import runtime
from loopdsl.builtins import Kind, Op, Setting
from loopdsl.ir.nodes import (
    Apply,
    Clock,
    Lookup,
    Node,
    Num,
    Read,
    Ref,
    RunParam,
    StepNo,
    Sum,
    Where,
)


class Opaque(Exception):
    """An expression needs what this evaluation was not given: a memory function's
    state, a random draw, a variable's value."""

    def __init__(self, node: Node, why: str = ""):
        self.node = node
        super().__init__(why or type(node).__name__)


def apply(op: Op, args: Sequence[Any]) -> Any:
    """``op`` on argument values: its table implementation, a boolean result as 1.0/0.0.

    >>> float(apply(Op.LT, [1.0, 2.0])), float(apply(Op.MOD, [-1.0, 3.0]))
    (1.0, 2.0)
    """
    with np.errstate(all="ignore"):
        return _apply(op, args)


def _apply(op: Op, args: Sequence[Any]) -> Any:
    value = op.impl(*args)  # type: ignore[misc]
    return np.multiply(value, 1.0) if op.boolean else value


def add_up(signs: Sequence[int], values: Sequence[Any]) -> Any:
    """``±v0 ± v1 ...`` left to right, as the generated code writes a sum."""
    with np.errstate(all="ignore"):
        total = values[0] if signs[0] > 0 else np.negative(values[0])
        for sign, value in zip(signs[1:], values[1:]):
            total = np.add(total, value) if sign > 0 else np.subtract(total, value)
    return total


def table_of(lookup: Any) -> tuple[np.ndarray, np.ndarray]:
    """A model lookup's points as two float arrays."""
    return np.asarray(lookup.xs, dtype=float), np.asarray(lookup.ys, dtype=float)


def lookup(table: Any, x: Any, kind: str) -> Any:
    """A graphical function applied to values (see docs/semantics.md)."""
    xs, ys = table_of(table)
    return runtime.lookup_one(x, xs, ys, kind)


def evaluate(node: Node, read: Callable[[Any], Any] | None = None, *,
             time: Any = 0.0, dt: float = 1.0, start: float = 0.0, stop: float = 100.0,
             step: Any = 0, memory: Callable[[Apply], Any] | None = None,
             rng: Any = None, shape: tuple[int, ...] = (), params: Any = None) -> Any:
    """The value of a tree: a numpy array (of no axis when every input is a number).

    Parameters
    ----------
    node : Node
        The tree (:mod:`loopdsl.ir.nodes`).
    read : callable, optional
        The value of a :class:`Ref` or :class:`Read` (called with the node); without
        it a read raises :class:`Opaque`.
    time, dt, start, stop, step
        TIME (a number or an array), DT, STARTTIME, STOPTIME and the step number.
    memory : callable, optional
        The value of a memory function's call (SMTH1, DELAY, ...); without it such a
        call raises :class:`Opaque`.
    rng, shape
        A numpy Generator and the shape of a draw; without ``rng`` a random function
        raises :class:`Opaque`.
    params
        The per-run parameters (rows: :class:`RunParam` index).

    Raises
    ------
    Opaque
        Where the value needs something not given.

    Examples
    --------
    >>> from loopdsl.builtins import Op
    >>> x = np.array([1.0, 4.0])
    >>> evaluate(Apply(Op.SQRT, (Ref("x"),)), lambda ref: x).tolist()
    [1.0, 2.0]
    """
    clock = {Setting.TIME: time, Setting.DT: dt, Setting.START: start, Setting.STOP: stop}

    def ev(e: Node) -> Any:
        match e:
            case Num(value):
                return np.float64(value)
            case Ref() | Read():
                if read is None:
                    raise Opaque(e)
                return read(e)
            case Apply(op, args):
                kind = op.kind
                if kind is Kind.MEMORY:
                    if memory is None:
                        raise Opaque(e)
                    return memory(e)
                values = [ev(a) for a in args]
                if kind is Kind.RANDOM:
                    if rng is None:
                        raise Opaque(e)
                    return op.impl(rng, shape, *values)  # type: ignore[misc]
                return _apply(op, values)
            case Sum(signs, terms):
                return add_up(signs, [ev(t) for t in terms])
            case Where(cond, then, orelse):
                c = ev(cond)
                return np.where(c, ev(then), ev(orelse))
            case Lookup(table, arg, kind):
                return lookup(table, ev(arg), kind)
            case Clock(setting):
                return clock[setting]
            case StepNo():
                return step
            case RunParam(index):
                if params is None:
                    raise Opaque(e)
                return params[index]
        raise TypeError(f"not a node: {e!r}")  # pragma: no cover

    with np.errstate(all="ignore"):
        return np.asarray(ev(node), dtype=float)


def fold(node: Node, constant: Callable[[Any], Node | None] | None = None,
         settings: Mapping[Setting, Node] | None = None) -> Node:
    """The tree with every operation on numbers done: the folder the simulator's
    lowering and plan use. ``constant(ref)`` may give a read's folded value (a model
    constant) or None to keep it; ``settings`` the value of DT, STARTTIME... as nodes.
    A WHERE on a number keeps only the branch it takes. Random draws and memory
    functions stay.

    >>> from loopdsl.builtins import Op
    >>> fold(Apply(Op.POW, (Ref("k"), Num(2.0))), lambda ref: Num(-2.0))
    Num(value=4.0)
    """
    def f(e: Node) -> Node:
        match e:
            case Ref() | Read():
                found = constant(e) if constant is not None else None
                return found if found is not None else e
            case Apply(op, args):
                new = tuple(f(a) for a in args)
                numbers = [a.value for a in new if type(a) is Num]
                if op.kind is Kind.PURE and len(numbers) == len(new):
                    return Num(float(apply(op, [np.float64(v) for v in numbers])))
                return e if all(x is y for x, y in zip(new, args)) else Apply(op, new)
            case Sum(signs, terms):
                new = tuple(f(t) for t in terms)
                values = [t.value for t in new if type(t) is Num]
                if len(values) == len(new):
                    return Num(float(add_up(signs, [np.float64(v) for v in values])))
                return Sum(signs, new)
            case Where(cond, then, orelse):
                c = f(cond)
                if type(c) is Num:  # NaN counts as true, as in np.where
                    return f(then if c.value != 0 else orelse)
                return Where(c, f(then), f(orelse))
            case Clock(setting) if settings is not None:
                return settings.get(setting, e)
            case Lookup(table, arg, kind):
                x = f(arg)
                if type(x) is Num:
                    return Num(float(lookup(table, np.float64(x.value), kind)))
                return Lookup(table, x, kind)
        return e

    return f(node)
