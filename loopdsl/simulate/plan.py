"""Order the lowered variables and group equations of the same shape into array operations.

Within one dependency level, equations with the same shape (the same operators, with
different variables and numbers) are evaluated together as one numpy expression over a
block of rows, so a model of 1,000 similar stocks costs a few array operations per step,
not thousands. Rows are variables, columns are runs.

>>> import loopdsl
>>> from loopdsl.simulate.lower import lower
>>> p = build_plan(lower(loopdsl.loads("a -[gain 2]-> b -[gain 3]-> a"), dt=1.0))
>>> [(len(g.outputs), g.shape) for g in p.step_groups]
[(2, Apply(op=Op.MUL, args=(<Leaf.NUM: 'num'>, <Leaf.LAG: 'lag'>)))]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loopdsl.builtins import Kind
from loopdsl.errors import LoopError
from loopdsl.ir import Apply, Clock, Leaf, Lookup, Num, Read, RunParam, StepNo, Sum, Where
from loopdsl.ir.evaluate import add_up, apply
from loopdsl.ir.nodes import walk
from loopdsl.simulate.lower import IR, System


@dataclass
class Group:
    """Equations of one shape, evaluated together: outputs[i] = shape(leaves[.][i])."""

    shape: Any
    outputs: list[int]
    leaves: list[list[Any]] = field(default_factory=list)
    plain: bool = False


@dataclass
class Plan:
    system: System
    slot: list[int]
    consts: Any  # slice or index array of the constants' slots
    stocks: Any  # slice or index array of the stocks' slots, in the order of DV's rows
    init_groups: list[Group]
    step_groups: list[Group]
    deriv_groups: list[Group]
    init_order: list[int]
    step_order: list[int]
    max_lag: int
    lagged: dict[int, int]
    nonneg: list[tuple[int, list[int], list[int]]]

    stock_order: list[int] = field(default_factory=list)

    @property
    def nslots(self) -> int:
        return len(self.slot)

    @property
    def nstocks(self) -> int:
        return len(self.stock_order)


def as_index(slots: list[int]) -> Any:
    """A slice for slots in arithmetic progression (a view), else an index array."""
    if not slots:
        return slice(0, 0)
    first = slots[0]
    step = slots[1] - first if len(slots) > 1 else 1
    if step > 0 and all(s == first + k * step for k, s in enumerate(slots)):
        return slice(first, slots[-1] + 1, step)
    return np.array(slots, dtype=np.intp)


def scanner(tables: list) -> tuple[Callable[..., tuple[IR, Any]], dict[int, int]]:
    """A function that folds an equation and reads its shape in one walk, and its lag table.

    ``scan(e, leaves, now)`` returns ``(folded, shape)``: operations on numbers become
    numbers (the expression core's arithmetic, :func:`loopdsl.ir.evaluate.apply`: 1/0
    is inf, not an error) and a WHERE on a number keeps the branch it takes; the shape
    is the same tree with :class:`~loopdsl.ir.Leaf` markers for its leaves (numbers,
    ``(index, lag)`` reads, parameters, tables), which are appended to ``leaves`` in
    preorder; ``now`` gets the variables read at the same time (once per read); the lag
    table maps each variable read with a delay to its largest lag.

    >>> from loopdsl.builtins import Op
    >>> scan, lagged = scanner([])
    >>> leaves, now = [], []
    >>> e = Sum((1, -1), (Read(3, 0), Apply(Op.MUL, (Num(2.0), Read(4, 2)))))
    >>> scan(e, leaves, now)[1]  # doctest: +NORMALIZE_WHITESPACE
    Sum(signs=(1, -1), terms=(<Leaf.CUR: 'cur'>, Apply(op=Op.MUL,
        args=(<Leaf.NUM: 'num'>, <Leaf.LAG: 'lag'>))))
    >>> leaves, now, lagged
    ([(3, 0), 2.0, (4, 2)], [3], {4: 2})
    >>> scan(Where(Num(0.0), Read(3, 0), Apply(Op.ADD, (Num(1.0), Num(2.0)))), [], [])
    (Num(value=3.0), <Leaf.NUM: 'num'>)
    """
    lagged: dict[int, int] = {}
    CUR, LAG, NUM = Leaf.CUR, Leaf.LAG, Leaf.NUM

    def scan(e: Any, leaves: list[Any], now: list[int]) -> tuple[IR, Any]:
        kind = type(e)  # dispatched by exact type (a hot loop at 10,000 stocks): e is Any
        if kind is Apply or kind is Sum:
            items = e.args if kind is Apply else e.terms
            mark = len(leaves)
            args: list[Any] = []
            shape: list[Any] = []
            numbers, changed = True, False
            for a in items:  # leaves inline: most arguments are reads and numbers
                t = type(a)
                if t is Read:
                    i, lag = a.var, a.lag
                    leaves.append((i, lag))
                    if lag == 0:
                        now.append(i)
                        shape.append(CUR)
                    else:
                        if lagged.get(i, 0) < lag:
                            lagged[i] = lag
                        shape.append(LAG)
                    numbers = False
                    args.append(a)
                elif t is Num:
                    leaves.append(a.value)
                    shape.append(NUM)
                    args.append(a)
                else:
                    folded, sub = scan(a, leaves, now)
                    if folded is not a:
                        changed = True
                    if type(folded) is not Num:
                        numbers = False
                    args.append(folded)
                    shape.append(sub)
            if kind is Sum:
                signs = e.signs
                if numbers:
                    del leaves[mark:]
                    value = float(add_up(signs, [np.float64(a.value) for a in args]))
                    leaves.append(value)
                    return Num(value), NUM
                if len(args) == 1 and signs[0] == 1:
                    return args[0], shape[0]
                return (e if not changed else Sum(signs, tuple(args))), Sum(signs, tuple(shape))
            op = e.op
            if numbers and op.kind is Kind.PURE:
                del leaves[mark:]
                value = float(apply(op, [np.float64(a.value) for a in args]))
                leaves.append(value)
                return Num(value), NUM
            return (e if not changed else Apply(op, tuple(args))), Apply(op, tuple(shape))
        if kind is Read:
            i, lag = e.var, e.lag
            leaves.append((i, lag))
            if lag == 0:
                now.append(i)
                return e, CUR
            if lagged.get(i, 0) < lag:
                lagged[i] = lag
            return e, LAG
        if kind is Num:
            leaves.append(e.value)
            return e, NUM
        if kind is Where:
            return where(e, leaves, now)
        if kind is RunParam:
            leaves.append(e.index)
            return e, Leaf.PARAM
        if kind is Clock or kind is StepNo:
            return e, e
        if kind is Lookup:
            leaves.append(e.table)
            arg, shape = scan(e.arg, leaves, now)
            return (e if arg is e.arg else Lookup(e.table, arg, e.kind),
                    Lookup(Leaf.TABLE, shape, e.kind))
        raise AssertionError(e)  # pragma: no cover

    def where(e: Where, leaves: list[Any], now: list[int]) -> tuple[IR, Any]:
        cond: Any
        mark = len(leaves)
        cond, shape = scan(e.cond, leaves, now)
        if type(cond) is Num:  # only the chosen branch remains (NaN counts as true)
            del leaves[mark:]
            return scan(e.then if cond.value != 0 else e.orelse, leaves, now)
        then, orelse = scan(e.then, leaves, now), scan(e.orelse, leaves, now)
        return Where(cond, then[0], orelse[0]), Where(shape, then[1], orelse[1])

    return scan, lagged


def _now(e: IR) -> set[int]:
    return {n.var for n in walk(e) if type(n) is Read and n.lag == 0}


class _Scanned:
    """The folded expressions of one phase, by variable: shape keys (one object per
    distinct shape), leaves and the variables read at the same time."""

    def __init__(self, n: int):
        self.shapes: list[Any] = [None] * n
        self.leaves: list[list[Any] | None] = [None] * n
        self.nows: list[list[int] | None] = [None] * n


def _levels(system: System, members: Sequence[int], nows: list[list[int] | None],
            what: str, phase: str) -> list[list[int]]:
    """Members sorted into dependency levels (Kahn); a cycle is a LoopError.

    The first level keeps the members' order, later ones are sorted by index.
    """
    n = len(system.vars)
    inside = None
    if len(members) < n:
        inside = bytearray(n)
        for i in members:
            inside[i] = 1
    users: list[list[int] | None] = [None] * n
    remaining = [0] * n
    level: list[int] = []
    for i in members:
        now = nows[i]
        count = 0
        if now:
            if i in now:
                raise LoopError(f"{what}: '{system.vars[i].owner}' depends on its own value "
                                "at the same time")
            for d in now:  # a variable read twice counts twice, and is released twice
                if inside is None or inside[d]:
                    count += 1
                    found = users[d]
                    if found is None:
                        users[d] = [i]
                    else:
                        found.append(i)
        if count:
            remaining[i] = count
        else:
            level.append(i)
    levels: list[list[int]] = []
    done = 0
    while level:
        levels.append(level)
        done += len(level)
        nxt = []
        for i in level:
            found = users[i]
            if found is not None:
                for u in found:
                    remaining[u] -= 1
                    if remaining[u] == 0:
                        nxt.append(u)
        level = sorted(nxt)
    if done < len(members):
        _cycle(system, members, phase, remaining, what)
    return levels


def _cycle(system: System, members: Sequence[int], phase: str, remaining: list[int],
           what: str) -> None:
    """Raise the LoopError naming a cycle among the members left unordered."""
    import networkx as nx

    inside = set(members)
    exprs = {i: getattr(system.vars[i], phase) or Num(0.0) for i in members}
    deps = {i: {d for d in _now(exprs[i]) if d in inside and d != i} for i in members}
    G = nx.DiGraph((d, i) for i, ds in deps.items() for d in ds if remaining[i] > 0)
    try:
        cycle = [system.vars[u].owner for u, _ in nx.find_cycle(G)]
    except nx.NetworkXNoCycle:  # pragma: no cover
        cycle = []
    names = []
    for c in cycle:
        if c not in names:
            names.append(c)
    raise LoopError(f"{what}: circular definition " + " -> ".join(names + names[:1])
                    + " (no stock or delay breaks it)")


def _group(levels: list[list[int]], scanned: _Scanned,
           plain_of: list[bool] | None = None) -> list[Group]:
    """Each level's members by (shape, plain), in order of first appearance."""
    groups: list[Group] = []
    shapes, leaves = scanned.shapes, scanned.leaves
    for level in levels:
        by_key: dict[Any, tuple[Group, list[list[Any]]]] = {}
        for i in level:
            shape = shapes[i]
            plain = bool(plain_of and plain_of[i])
            key = (id(shape), plain)  # shapes are interned: one object per distinct shape
            found = by_key.get(key)
            if found is None:
                found = by_key[key] = (Group(shape, [], [], plain), [])
                groups.append(found[0])
            found[0].outputs.append(i)
            found[1].append(leaves[i] or [])
        for group, rows in by_key.values():
            group.leaves = [list(column) for column in zip(*rows)]
    return groups


def build_plan(system: System, layout: str = "model") -> Plan:
    """Order, group and lay out the lowered system's variables.

    ``layout="model"`` puts the model's own variables first, in model order, so a run's
    rows are the results as they are; ``"groups"`` makes each group's outputs contiguous.
    """
    vars_ = system.vars
    n = len(vars_)
    ids = list(range(n))  # one int object per variable, shared by every list below
    scan, lagged = scanner(system.tables)
    interned: dict[Any, Any] = {}
    init, step, deriv = _Scanned(n), _Scanned(n), _Scanned(n)
    consts: list[int] = []
    stocks: list[int] = []
    dynamic: list[int] = []
    plain_of = [False] * n
    for i, v in zip(ids, vars_):
        shared = v.init is v.step
        leaves: list[Any] = []
        now: list[int] = []
        if v.init is not None:
            v.init, shape = scan(v.init, leaves, now)
        else:
            shape = Leaf.NUM
            leaves.append(0.0)
        init.shapes[i] = interned.setdefault(shape, shape)
        init.leaves[i] = leaves
        init.nows[i] = now or None  # most read nothing at the same time
        if v.step is not None:
            if shared:
                v.step = v.init
                step.shapes[i], step.leaves[i], step.nows[i] = init.shapes[i], leaves, init.nows[i]
            else:
                leaves, now = [], []
                v.step, shape = scan(v.step, leaves, now)
                step.shapes[i] = interned.setdefault(shape, shape)
                step.leaves[i] = leaves
                step.nows[i] = now or None
        if v.deriv is not None:
            leaves = []
            v.deriv, shape = scan(v.deriv, leaves, [])
            deriv.shapes[i] = interned.setdefault(shape, shape)
            deriv.leaves[i] = leaves
        kind = v.kind
        if kind == "const":
            consts.append(i)
        elif kind == "stock":
            stocks.append(i)
        elif kind == "aux" or kind == "plain":
            dynamic.append(i)
            plain_of[i] = kind == "plain"
    init_levels = _levels(system, ids, init.nows, "initial values", "init")
    step_levels = _levels(system, dynamic, step.nows, "algebraic loop", "step")
    step_groups = _group(step_levels, step, plain_of)
    deriv_groups = _group([stocks] if stocks else [], deriv)
    stock_order = [i for g in deriv_groups for i in g.outputs]
    if layout == "groups":  # each group's outputs one contiguous block
        order = consts + stock_order + [i for g in step_groups for i in g.outputs]
    else:  # the model's variables first, in model order: results are views, not copies
        visible = [i for i, v in zip(ids, vars_) if v.visible]
        seen = bytearray(n)
        for i in visible:
            seen[i] = 1
        order = visible + [i for i in consts + stock_order +
                           [i for g in step_groups for i in g.outputs] if not seen[i]]
    slot = [0] * n
    for k, i in zip(ids, order):
        slot[i] = k
    init_groups = _group(init_levels, init)
    nonneg = [(i, list(vars_[i].inflows), list(vars_[i].outflows)) for i in stocks
              if vars_[i].non_negative and vars_[i].outflows]
    return Plan(system, slot, as_index([slot[i] for i in consts]),
                as_index([slot[i] for i in stock_order]),
                init_groups, step_groups, deriv_groups,
                [i for lv in init_levels for i in lv], [i for lv in step_levels for i in lv],
                max(lagged.values(), default=0), lagged, nonneg, stock_order)
