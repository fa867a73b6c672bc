"""Turn a :class:`~loopdsl.simulate.plan.Plan` into Python functions over numpy arrays.

The generated source is built only from the plan: generated names (``I0``, ``C3``,
``X``...), numeric literals and numpy calls. No identifier, label or text of the model
ever reaches it: variables are row numbers, numbers that differ between the equations
of a group are arrays bound in the namespace. Each function has the signature
``f(X, OUT, b, n, t, PR, RNG, N, DV)``: ``X`` the row being computed (variables x runs),
``OUT`` every row so far (delayed reads use ``OUT[b - k]``), ``n`` the step, ``t`` the
time, ``PR`` the per-run parameters, ``DV`` the stock derivatives.

Each phase is written twice from the same statements: for an ensemble's rows (slots x
runs) a statement into a slice chains its operations into it (``out=``: no temporary, no
copy; :meth:`Emitter.spine`) and reads rows through slices rather than index arrays where
a few runs of rows allow (:func:`pieces`); for a single run (:meth:`Program.one`, 1-D
rows, where numpy's indexing costs a third) plain assignments, cheaper than ``out=`` on
small rows.

If the generated source cannot be compiled (a very deeply nested equation), each phase
that fails is evaluated instead by the expression core's evaluator over the same folded
equations (logged at debug level).

>>> import loopdsl
>>> from loopdsl.simulate.lower import lower
>>> from loopdsl.simulate.plan import build_plan
>>> program = compile_plan(build_plan(lower(loopdsl.loads("a -[gain 2]-> b -[gain 3]-> a"),
...                                      dt=1.0)))
>>> print(program.source["step"].splitlines()[1].strip())
_mul(C2, OUT[b - 1][I1], out=X[0:2])
>>> print(program.one().source["step"].splitlines()[1].strip())  # a single run's 1-D rows
X[0:2] = (C2 * OUT[b - 1][I1])
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np

from loopdsl import runtime
from loopdsl.builtins import Kind, Op, Setting
from loopdsl.ir import Apply, Clock, Leaf, Lookup, Read, StepNo, Sum, Where, evaluate
from loopdsl.ir.nodes import children
from loopdsl.simulate.plan import Group, Plan

log = logging.getLogger(__name__)

_KINDS = {"continuous": "continuous", "extrapolate": "extrapolate", "discrete": "discrete"}
_BOOLEAN_ARGS = {Op.AND, Op.OR, Op.NOT}
ARGS = "X, OUT, b, n, t, PR, RNG, N, DV"
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _impl(op: Op) -> str:
    """The generated name the table's implementation of ``op`` is bound to (``_pow``)."""
    return f"_{op.name.lower()}"


_RANDOM = tuple(_impl(op) for op in Op if op.kind is Kind.RANDOM)
_SPINE = {Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MIN, Op.MAX, Op.NEG}
"""Operations a 2-D statement chains into its target (:meth:`Emitter.spine`): exactly
rounded, so an array, a view or a scalar gives the same number."""
_VIEW = re.compile(r"(X|DV)\[\d+:\d+(:\d+)?\]")
"""A target that is a view of the row (a slice), so a ufunc can write into it."""


@dataclass
class Program:
    """Compiled phase functions: ``init``, ``step`` (all equations), ``cont`` (all but
    plain nodes, for RK4 stages), ``deriv`` (stock rates into DV) and ``euler`` (the
    stocks' Euler update: called with the next row as DV, it writes each stock's
    ``X + dt * rate`` there, the same arithmetic as ``deriv`` then ``X + dt * DV``).

    The functions work on rows of (slots x runs); :meth:`one` gives the same program
    over 1-D rows (slots), for a single run, where numpy's indexing is several times
    cheaper.
    """

    init: Callable[..., None]
    step: Callable[..., None]
    cont: Callable[..., None]
    deriv: Callable[..., None]
    source: dict[str, str] = field(default_factory=dict)
    fallback_groups: int = 0
    euler: Callable[..., None] | None = None
    euler_source: str = ""
    one_source: dict[str, str] = field(default_factory=dict, repr=False)
    ns: dict[str, Any] = field(default_factory=dict, repr=False)
    _one: Program | None = field(default=None, repr=False)

    def one(self) -> Program | None:
        """The program over 1-D rows (a single run), compiled on first use from
        ``one_source`` with 1-D constants; None if a phase uses the general path."""
        if self._one is None and self.one_source:
            ns = one_run_namespace(self.ns)
            f = {phase: _function(compile(text, f"<loopdsl-{phase}-1d>", "exec"), ns)
                 for phase, text in self.one_source.items()}
            self._one = Program(f["init"], f["step"], f["cont"], f["deriv"],
                                {k: v for k, v in self.one_source.items() if k != "euler"},
                                0, f.get("euler"), self.one_source.get("euler", ""), ns=ns)
        return self._one


def one_run_namespace(ns: dict[str, Any]) -> dict[str, Any]:
    """A copy of a program's namespace for 1-D rows: number columns ``(g, 1)`` become
    ``(g,)`` views, grouped lookups take one x per table, random draws shape ``(g,)``."""
    out = dict(ns)
    for name, value in ns.items():
        if isinstance(value, np.ndarray) and value.ndim == 2:  # a C column of numbers
            out[name] = value.reshape(-1)
        elif isinstance(value, runtime.Tables):
            out[name] = value.one()
    for name in _RANDOM:
        out[name] = runtime.one_run(ns[name])
    return out


def _function(code: Any, ns: dict[str, Any]) -> Callable[..., None]:
    scope: dict[str, Any] = {}
    exec(code, ns, scope)  # noqa: S102 - generated from the plan only
    return scope["_f"]


class Emitter:
    """Builds code for groups, binding arrays in one namespace."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.ns: dict[str, Any] = {
            "np": np, "_lk1": runtime.lookup_one, "__builtins__": {},
            **{_impl(op): op.impl for op in Op if op.impl is not None},
        }
        self.count = 0
        self.dt = float(plan.system.dt)
        self.slots = np.array(plan.slot, dtype=np.intp)  # variable -> slot
        self._pairs: dict[int, tuple[list, np.ndarray, np.ndarray]] = {}
        self._numbers: dict[str, str] = {}
        self._indices: dict[bytes, str] = {}

    def bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{self.count}"
        self.count += 1
        self.ns[name] = value
        return name

    def literal(self, value: float) -> str:
        if not np.isfinite(value):
            return self.bind("C", np.float64(value))
        text = repr(float(value))
        return f"({text})" if text.startswith("-") else text

    def number(self, value: float) -> str:
        """A finite number as a bound 0-d array (one per value): as an operand of a
        ufunc with an array it is the same number, and numpy takes it ~0.15 us faster
        than a Python float, which it converts on every call."""
        key = repr(float(value))  # -0.0 and 0.0 apart
        name = self._numbers.get(key)
        if name is None:
            name = self._numbers[key] = self.bind("C", np.array(float(value)))
        return name

    def index(self, slots: Any) -> str:
        arr = np.asarray(slots, dtype=np.intp)
        first = int(arr[0])  # only integers reach the generated text
        if len(arr) == 1 or (arr == first).all():
            return f"[{first}:{first + 1}]"
        step = int(arr[1]) - first
        if step > 0 and (np.diff(arr) == step).all():
            if step == 1:
                return f"[{first}:{first + len(arr)}]"
            return f"[{first}:{int(arr[-1]) + 1}:{step}]"  # a strided view, not a copy
        key = arr.tobytes()  # one name per index array: a statement reading the same
        name = self._indices.get(key)  # rows twice gathers them once (_shared_reads)
        if name is None:
            name = self._indices[key] = self.bind("I", arr)
        return f"[{name}]"

    def pairs(self, values: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Slots and lags of a leaf's (variable, lag) pairs (step and cont share them)."""
        found = self._pairs.get(id(values))
        if found is None or found[0] is not values:
            count = len(values)
            slots = self.slots[np.fromiter(map(_FIRST, values), dtype=np.intp, count=count)]
            lags = np.fromiter(map(_SECOND, values), dtype=np.intp, count=count)
            found = self._pairs[id(values)] = (values, slots, lags)
        return found[1], found[2]

    # -- expressions as source text ------------------------------------------

    def expr(self, shape: Any, leaves: list[list[Any]], pos: list[int], g: int,
             boolean: bool = False, operand: bool = False) -> str:
        """The expression's text; ``operand``: it is an operand of an arithmetic or
        comparison ufunc whose other operand is an array (a number is then a 0-d
        array, :meth:`number`)."""
        match shape:
            case Clock(Setting.TIME):
                return "t"
            case StepNo():
                return "n"
            case Leaf():
                values = leaves[pos[0]]
                pos[0] += 1
                if shape is Leaf.NUM:
                    numbers = np.fromiter(values, dtype=float, count=len(values))
                    first = numbers[0]
                    if np.isfinite(first) and (numbers == first).all():
                        return self.number(float(first)) if operand \
                            else self.literal(float(first))
                    return self.bind("C", numbers.reshape(-1, 1))
                if shape is Leaf.PARAM:
                    return "PR" + self.index(values)
                slots, lags = self.pairs(values)
                if shape is Leaf.CUR:
                    return "X" + self.index(slots)
                if (lags == lags[0]).all():
                    return f"OUT[b - {int(lags[0])}]" + self.index(slots)
                lag_name, slot_name = self.bind("L", lags), self.bind("I", slots)
                return f"OUT[b - {lag_name}, {slot_name}]"
            case Sum(signs, terms):
                arrays = _arrayish(shape)
                parts = [self.expr(s, leaves, pos, g, operand=arrays) for s in terms]
                return _sum_text(signs, parts)
            case Lookup(_, arg, interpolation):
                kind = _KINDS[interpolation]  # a fixed word, never text from the model
                tabs = leaves[pos[0]]
                pos[0] += 1
                x = self.expr(arg, leaves, pos, g)
                if all(t is tabs[0] for t in tabs):
                    xs = self.bind("XS", np.array(tabs[0].xs, dtype=float))
                    ys = self.bind("YS", np.array(tabs[0].ys, dtype=float))
                    return f"_lk1({x}, {xs}, {ys}, {kind!r})"
                return f"{self.bind('T', runtime.Tables(tabs))}({x}, {kind!r})"
            case Where(cond, then, orelse):
                args = [self.expr(cond, leaves, pos, g, boolean=True),
                        self.expr(then, leaves, pos, g), self.expr(orelse, leaves, pos, g)]
                return f"np.where({', '.join(args)})"
            case Apply(op, children) if op.kind is Kind.RANDOM:
                args = [self.expr(s, leaves, pos, g) for s in children]
                return f"{_impl(op)}(RNG, ({int(g)}, N), {', '.join(args)})"
            case Apply(op, children):
                boolean_args = op in _BOOLEAN_ARGS
                arrays = (op in _SPINE or op.symbol is not None) and op is not Op.NEG \
                    and _arrayish(shape)
                args = [self.expr(child, leaves, pos, g, boolean=boolean_args,
                                  operand=arrays) for child in children]
                return self.op_text(op, args, boolean)
        raise AssertionError(shape)  # pragma: no cover

    def op_text(self, op: Op, args: list[str], boolean: bool = False) -> str:
        """An operation on its arguments' texts: infix where the table gives a symbol
        (the same IEEE operation), else a call of its bound implementation."""
        if op.symbol is not None:
            text = f"({args[0]} {op.symbol} {args[1]})"
        else:
            text = f"{_impl(op)}({', '.join(args)})"
        if op.boolean and not boolean:
            text = f"({text} * 1.0)"
        return text

    def group_line(self, group: Group, target: str) -> tuple[str, list[str]]:
        """``target = expression`` as an assignment (best for small 1-D rows), and the
        2-D statements: into a view, the operations along one path of the expression
        write there in turn (:meth:`spine`: ``np.divide(a, 20.0, out=X[0:9]);
        np.subtract(1.0, X[0:9], out=X[0:9])``...), no temporary, no copy."""
        shape, leaves, g = group.shape, group.leaves, len(group.outputs)
        if _VIEW.fullmatch(target) and not _draws(shape):
            text, lines = self.spine(shape, leaves, [0], g, target)
            return f"{target} = {text}", lines or [f"{target} = {text}"]
        line = f"{target} = " + self.expr(shape, leaves, [0], g)
        return line, [line]

    def euler_line(self, group: Group, target: str) -> tuple[str, list[str]]:
        """``DV[stocks] = X[stocks] + dt * rate``: a deriv group's Euler update."""
        shape, leaves, g = group.shape, group.leaves, len(group.outputs)
        slots = "X" + self.index(self.slots[group.outputs])
        dt = self.number(self.dt) if _arrayish(shape) else self.literal(self.dt)
        if _VIEW.fullmatch(target) and not _draws(shape):
            rate, lines = self.spine(shape, leaves, [0], g, target)
            if not lines:  # the rate is a leaf (or numbers): one product into the target
                lines = [f"_mul({dt}, {rate}, out={target})"]
            else:
                lines.append(f"_mul({dt}, {target}, out={target})")
            lines.append(f"_add({slots}, {target}, out={target})")
            return f"{target} = {slots} + {dt} * {rate}", lines
        line = f"{target} = {slots} + {dt} * {self.expr(shape, leaves, [0], g)}"
        return line, [line]

    def spine(self, shape: Any, leaves: list[list[Any]], pos: list[int], g: int,
              target: str) -> tuple[str, list[str]]:
        """The expression's text, and statements leaving its value in ``target`` (a view
        of rows none of its leaves read): each operation of an IEEE-exact ufunc
        (+ - * / min max, negation) writes into the target, its first array-valued
        operand computed there first, the others as they are; empty if the expression
        is not such an operation. The same operations on the same numbers as the text.

        >>> import loopdsl
        >>> from loopdsl.simulate.lower import lower
        >>> from loopdsl.simulate.plan import build_plan
        >>> em = Emitter(build_plan(lower(loopdsl.loads("node a initial 1"), dt=1.0)))
        >>> from loopdsl.ir import Leaf
        >>> CUR, NUM = Leaf.CUR, Leaf.NUM
        >>> shape = Apply(Op.MUL, (CUR, Apply(Op.SUB, (NUM, Apply(Op.DIV, (CUR, NUM))))))
        >>> text, lines = em.spine(shape, [[(0, 0)], [1.0], [(0, 0)], [9.0]], [0], 1, "T")
        >>> text  # the numbers operands of ufuncs with arrays: 0-d arrays C0 (1.0), C1 (9.0)
        '(X[0:1] * (C0 - (X[0:1] / C1)))'
        >>> lines
        ['_div(X[0:1], C1, out=T)', '_sub(C0, T, out=T)', '_mul(X[0:1], T, out=T)']
        >>> float(em.ns["C0"]), float(em.ns["C1"])
        (1.0, 9.0)
        """
        if type(shape) is Apply and shape.op in _SPINE:
            texts: list[str] = []
            args: list[str] = []
            lines: list[str] = []
            for child in shape.args:
                if not lines and _on_spine(child):
                    text, lines = self.spine(child, leaves, pos, g, target)
                    texts.append(text)
                    args.append(target)
                else:
                    texts.append(self.expr(child, leaves, pos, g, operand=_arrayish(shape)))
                    args.append(texts[-1])
            lines.append(f"{_impl(shape.op)}({', '.join(args)}, out={target})")
            return self.op_text(shape.op, texts), lines
        if type(shape) is Sum and len(shape.terms) > 1:
            signs, terms = shape.signs, shape.terms
            parts: list[str] = []
            lines = []
            acc = ""
            if _on_spine(terms[0]):  # (a * b) - c: a * b into the target, then - c
                text, lines = self.spine(terms[0], leaves, pos, g, target)
                parts.append(text)
                acc = target
                if signs[0] < 0:
                    lines.append(f"_neg({target}, out={target})")
            else:
                parts.append(self.expr(terms[0], leaves, pos, g, operand=_arrayish(shape)))
                acc = parts[0]
                if signs[0] < 0:
                    lines.append(f"_neg({acc}, out={target})")
                    acc = target
                elif _on_spine(terms[1]):  # a - (b / c): b / c into the target, then a - it
                    text, lines = self.spine(terms[1], leaves, pos, g, target)
                    parts.append(text)
                    func = "_add" if signs[1] > 0 else "_sub"
                    lines.append(f"{func}({acc}, {target}, out={target})")
                    acc = target
            for sign, term in zip(signs[len(parts):], terms[len(parts):]):
                parts.append(self.expr(term, leaves, pos, g, operand=_arrayish(shape)))
                func = "_add" if sign > 0 else "_sub"
                lines.append(f"{func}({acc}, {parts[-1]}, out={target})")
                acc = target
            return _sum_text(signs, parts), lines
        return self.expr(shape, leaves, pos, g), []


def _sum_text(signs: tuple[int, ...], parts: list[str]) -> str:
    """``(a + b - c)`` from the terms' signs and texts."""
    text = ""
    for k, (sign, part) in enumerate(zip(signs, parts)):
        if k == 0:
            text = part if sign > 0 else f"-{part}"
        else:
            text += (" + " if sign > 0 else " - ") + part
    return f"({text})"


def _nonneg_lines(plan: Plan, em: Emitter) -> list[str]:
    lines = []
    dt = em.literal(em.dt)
    for stock, inflows, outflows in plan.nonneg:
        s = int(plan.slot[stock])  # only integers reach the generated text
        avail = f"X[{s}] / {dt}"
        for f in inflows:
            avail += f" + X[{int(plan.slot[f])}]"
        lines.append(f"av = {avail}")
        for f in outflows:
            k = int(plan.slot[f])
            lines.append(f"v = X[{k}]")
            lines.append(f"X[{k}] = np.where(v > 0, np.minimum(v, np.maximum(av, 0.0)), v)")
            lines.append(f"av = av - X[{k}]")
    return lines


def _leaf_kinds(shape: Any, out: list[Leaf]) -> list[Leaf]:
    """The kind of each leaf of a shape, in the order its group's leaves are stored."""
    if isinstance(shape, Leaf):
        out.append(shape)
        return out
    if type(shape) is Lookup:  # its table is a leaf too, before its argument's
        out.append(Leaf.TABLE)
    for child in children(shape):
        _leaf_kinds(child, out)
    return out


def _on_spine(shape: Any) -> bool:
    """Whether a sub-expression is computed in its statement's target (:meth:`Emitter.spine`):
    a chained operation reading some variable or parameter (an array, not a number)."""
    if not ((type(shape) is Sum and len(shape.terms) > 1) or
            (type(shape) is Apply and shape.op in _SPINE)):
        return False
    return _arrayish(shape)


@lru_cache(maxsize=4096)
def _arrayish(shape: Any) -> bool:
    """Whether an expression reads a variable or a parameter (so its value is an array)."""
    return any(kind in (Leaf.CUR, Leaf.LAG, Leaf.PARAM) for kind in _leaf_kinds(shape, []))


def _draws(shape: Any) -> bool:
    if type(shape) is Apply and shape.op.kind is Kind.RANDOM:
        return True
    return any(_draws(child) for child in children(shape))


def merge_groups(groups: list[Group]) -> list[Group]:
    """Groups of one shape that the plan put in different dependency levels, joined
    where nothing between them is needed first: fewer, larger array statements.

    A group moves up into an earlier one of its shape when every variable it reads
    now is computed before that one; the values are the same (element by element the
    same operations), only the statement count falls. Groups that draw random numbers
    stay apart (joining would change which draws go where).
    """
    made: list[Group] = []
    producer: dict[int, int] = {}  # variable -> position of its statement in ``made``
    latest: dict[Any, int] = {}  # (shape, plain) -> position of the last statement
    kinds: dict[Any, list[int]] = {}
    for group in groups:
        key = (group.shape, group.plain)
        target = latest.get(key)
        if target is not None:
            cur = kinds.get(key)
            if cur is None:
                cur = kinds[key] = [k for k, kind in enumerate(_leaf_kinds(group.shape, []))
                                    if kind is Leaf.CUR]
            needed = max((producer.get(v, -1) for k in cur for v, _ in group.leaves[k]),
                         default=-1)
            if needed < target and not _draws(group.shape):
                into = made[target]
                into.outputs.extend(group.outputs)
                for mine, theirs in zip(into.leaves, group.leaves):
                    mine.extend(theirs)
                for v in group.outputs:
                    producer[v] = target
                continue
        latest[key] = len(made)
        for v in group.outputs:
            producer[v] = len(made)
        made.append(Group(group.shape, list(group.outputs), [list(leaf) for leaf in group.leaves],
                          group.plain))
    return made


MAX_PIECES = 4
"""At most this many statements stand for one group in the 2-D program (see :func:`pieces`)."""


def pieces(group: Group, rows: np.ndarray, em: Emitter) -> list[tuple[int, int]] | None:
    """Runs of a group's equations in which every index it uses is a slice, when its
    2-D statement would otherwise gather rows by an index array; else None.

    A ring of stocks reads ``s[i - 1]``: rows 99, 0, 1, ... 98, an index array (a
    gather, one more pass over the rows) that is two slices. Each run then becomes one
    statement over views, the same arithmetic on the same numbers. Only worth it for
    a few runs of many rows (at most :data:`MAX_PIECES`, one more per 16 rows); groups
    that draw random numbers stay whole (their draws would go elsewhere).

    >>> from loopdsl.simulate.plan import Group
    >>> em = Emitter.__new__(Emitter)
    >>> em.slots, em._pairs = np.arange(40, dtype=np.intp), {}
    >>> from loopdsl.ir import Leaf
    >>> ring = Group(Apply(Op.MUL, (Leaf.CUR, Leaf.NUM)), list(range(20, 40)),
    ...              [[(39, 0)] + [(k, 0) for k in range(20, 39)], [2.0] * 20])
    >>> pieces(ring, np.arange(20, 40), em)
    [(0, 1), (1, 20)]
    """
    g = len(rows)
    most = min(MAX_PIECES, 1 + g // 16)
    if most < 2 or _draws(group.shape):
        return None
    arrays = [(rows, False)]  # (index array, whether a run must keep it constant)
    for kind, values in zip(_leaf_kinds(group.shape, []), group.leaves):
        if kind is Leaf.CUR or kind is Leaf.LAG:
            slots, lags = em.pairs(values)
            arrays.append((slots, False))
            if kind is Leaf.LAG:  # one lag per statement: OUT[b - k][...]
                arrays.append((lags, True))
        elif kind is Leaf.PARAM:
            arrays.append((np.asarray(values, dtype=np.intp), False))
    ends = np.full(g - 1, g, dtype=np.intp)  # ends[k]: where a run starting at k ends
    whole = True
    for a, constant in arrays:
        d = np.diff(a)
        if (d == (0 if constant else d[0])).all() and d[0] >= 0:
            continue  # a slice already
        if np.count_nonzero(d[1:] != d[:-1]) > 2 * most:  # a run takes at most 2 changes
            return None
        whole = False
        np.minimum(ends, _run_ends(a, constant), out=ends)
    if whole:
        return None
    found: list[tuple[int, int]] = []
    k = 0
    while k < g:
        end = int(ends[k]) if k < g - 1 else g
        found.append((k, end))
        if len(found) > most:
            return None
        k = end
    return found


def _run_ends(a: np.ndarray, constant: bool) -> np.ndarray:
    """For each k < len(a) - 1, the end of the longest run a[k:end] that a slice can
    index (a step >= 0; 0 only if ``constant``).

    >>> _run_ends(np.array([9, 0, 1, 2, 7, 7]), False).tolist()
    [1, 4, 4, 5, 6]
    """
    d = np.diff(a)
    k = np.arange(len(d))
    change = np.flatnonzero(d[1:] != d[:-1]) + 1  # where the step differs from before
    stop = np.append(change, len(d))[np.searchsorted(change, k, side="right")] + 1
    bad = d != 0 if constant else d < 0
    stop[bad] = k[bad] + 1
    return stop


def _lines(em: Emitter, line: Callable[[Group, str], tuple[str, list[str]]], group: Group,
           target: str, at: tuple[str, np.ndarray]) -> tuple[str, list[str]]:
    """A group's statement for 1-D rows, and its 2-D statements: one, or one per run of
    rows where a gather becomes slices (:func:`pieces`)."""
    plain, into = line(group, target)
    text = "\n".join(into)
    if "[I" not in text and ", I" not in text:  # every index a slice: nothing to gather
        return plain, into
    runs = pieces(group, at[1], em)
    if runs is None:
        return plain, into
    name, rows = at
    into_all = []
    for start, end in runs:
        part = Group(group.shape, group.outputs[start:end],
                     [leaf[start:end] for leaf in group.leaves], group.plain)
        into_all.extend(line(part, name + em.index(rows[start:end]))[1])
    return plain, into_all


def compile_plan(plan: Plan) -> Program:
    """Generate, compile and return the phase functions of a plan."""
    em = Emitter(plan)
    position = {i: k for k, i in enumerate(plan.stock_order)}
    step_groups = merge_groups(plan.step_groups)
    phases = {
        "init": (plan.init_groups, True),
        "step": (step_groups, True),
        "cont": ([g for g in step_groups if not g.plain], True),
        "deriv": (plan.deriv_groups, False),
        "euler": (plan.deriv_groups, False),
    }
    functions: dict[str, Callable[..., None]] = {}
    sources: dict[str, str] = {}
    flat: dict[str, str] = {}  # the same phases as assignments, for 1-D rows
    fallback = 0
    made: dict[tuple[bool, int, str], tuple[str, list[str]]] = {}
    for phase, (groups, nonneg) in phases.items():
        targets = []
        rows: list[tuple[str, np.ndarray]] = []
        for group in groups:
            if phase == "deriv":
                at = ("DV", np.array([position[i] for i in group.outputs], dtype=np.intp))
            elif phase == "euler":  # DV is the next row: its stocks get X + dt * rate
                at = ("DV", em.slots[group.outputs])
            else:
                at = ("X", em.slots[group.outputs])
            targets.append((group, at[0] + em.index(at[1])))
            rows.append(at)
        extra = [(line, [line]) for line in _nonneg_lines(plan, em)] if nonneg else []
        func = None
        try:
            line = em.euler_line if phase == "euler" else em.group_line
            lines = []
            for (group, target), at in zip(targets, rows):
                key = (phase == "euler", id(group), target)  # cont repeats step's groups
                if key not in made:
                    made[key] = _lines(em, line, group, target, at)
                lines.append(made[key])
            lines += extra
            sources[phase] = _source([text for _, into in lines for text in into])
            func = _function(compile(sources[phase], f"<loopdsl-{phase}>", "exec"), em.ns)
            flat[phase] = _source([text for plain, _ in lines for text in _shared_reads(plain)])
        except (RecursionError, SyntaxError, MemoryError) as exc:
            sources.pop(phase, None)
            if phase == "euler":  # the engine then calls deriv and adds dt * DV itself
                continue
            log.debug("simulate: the %s phase does not compile (%s); using the general path",
                      phase, type(exc).__name__)
            fallback += 1
            try:
                func = _general(phase, targets, [plain for plain, _ in extra], em)
            except RecursionError:
                from loopdsl.errors import LoopError

                raise LoopError("an equation of the model is nested too deeply to "
                                "simulate") from None
        functions[phase] = func
    euler_source = sources.pop("euler", "")
    return Program(functions["init"], functions["step"], functions["cont"],
                   functions["deriv"], sources, fallback, functions.get("euler"),
                   euler_source, {} if fallback else flat, em.ns)


_GATHER = re.compile(r"X\[I\d+\]")


def _shared_reads(line: str) -> list[str]:
    """A 1-D statement reading the same rows of X through an index array more than
    once gathers them once into ``v`` (the most used such read).

    >>> _shared_reads("X[I1] = np.where((X[I2] > C3), X[I2], (X[I4] * X[I2]))")
    ['v = X[I2]', 'X[I1] = np.where((v > C3), v, (X[I4] * v))']
    >>> _shared_reads("X[I1] = (X[I2] * X[I3])")
    ['X[I1] = (X[I2] * X[I3])']
    """
    target, sep, value = line.partition(" = ")
    reads = _GATHER.findall(value)
    if len(reads) < 2:
        return [line]
    most = max(set(reads), key=reads.count)
    if reads.count(most) < 2:
        return [line]
    return [f"v = {most}", target + sep + value.replace(most, "v")]


def _source(lines: list[str]) -> str:
    return f"def _f({ARGS}):\n" + "".join(f"    {line}\n" for line in lines) + \
        "    return None\n"


def _general(phase: str, groups: list[tuple[Group, str]], extra: list[str], em: Emitter
             ) -> Callable[..., None]:
    """The general path: each equation of the groups by the expression core's evaluator
    (:func:`loopdsl.ir.evaluate`) over the same folded trees, then the fixed statements."""
    plan = em.plan
    into_dv = phase == "deriv"
    what = {"init": "init", "step": "step", "cont": "step", "deriv": "deriv"}[phase]
    row_of = {i: k for k, i in enumerate(plan.stock_order)} if into_dv else None
    items = [(row_of[i] if row_of is not None else plan.slot[i],
              getattr(plan.system.vars[i], what)) for group, _ in groups for i in group.outputs]
    slot, dt = plan.slot, em.dt
    names = ARGS.split(", ")
    tail = compile("\n".join(extra) or "pass", "<loopdsl-tail>", "exec")

    def run(*args: Any) -> None:
        frame = dict(zip(names, args))
        X, OUT, b = frame["X"], frame["OUT"], frame["b"]
        target = frame["DV"] if into_dv else X

        def read(r: Read) -> Any:
            return X[slot[r.var]] if r.lag == 0 else OUT[b - r.lag][slot[r.var]]

        for row, tree in items:
            target[row] = 0.0 if tree is None else evaluate(
                tree, read, time=frame["t"], dt=dt, step=frame["n"], rng=frame["RNG"],
                shape=(frame["N"],), params=frame["PR"])
        exec(tail, em.ns, frame)  # noqa: S102 - generated from the plan only

    return run
