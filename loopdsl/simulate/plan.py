"""Order the lowered variables and group equations of the same shape into array operations.

Within one dependency level, equations with the same shape (the same operators, with
different variables and numbers) are evaluated together as one numpy expression over a
block of rows, so a model of 1,000 similar stocks costs a few array operations per step,
not thousands. Rows are variables, columns are runs.

>>> import loopdsl
>>> from loopdsl.simulate.lower import lower
>>> p = build_plan(lower(loopdsl.loads("a -[gain 2]-> b -[gain 3]-> a"), dt=1.0))
>>> [(len(g.outputs), g.shape) for g in p.step_groups]
[(2, ('op', 'mul', 'num', 'lag'))]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loopdsl.errors import LoopError
from loopdsl.simulate.lower import IR, System

_BOOL_OPS = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not"}

_FOLD = {
    "neg": np.negative, "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power, "mod": np.mod,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "and": np.logical_and, "or": np.logical_or,
    "not": np.logical_not, "abs": np.abs, "exp": np.exp, "ln": np.log, "log10": np.log10,
    "sqrt": np.sqrt, "int": np.floor, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "min": np.minimum,
    "max": np.maximum,
}


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


def fold(e: IR) -> IR:
    """Fold operations on numbers into numbers (numpy arithmetic: 1/0 is inf, not an error)."""
    tag = e[0]
    if tag == "op":
        args = tuple(fold(a) for a in e[2])
        if e[1] in _FOLD and all(a[0] == "num" for a in args):
            with np.errstate(all="ignore"):
                value = _FOLD[e[1]](*[np.float64(a[1]) for a in args])
            return ("num", float(value))
        if e[1] == "where" and args[0][0] == "num":
            return args[1] if args[0][1] != 0 else args[2]
        return ("op", e[1], args)
    if tag == "sum":
        args = tuple(fold(a) for a in e[2])
        if all(a[0] == "num" for a in args):
            with np.errstate(all="ignore"):
                total = np.float64(0.0)
                for s, a in zip(e[1], args):
                    total = total + s * np.float64(a[1])
            return ("num", float(total))
        if len(args) == 1 and e[1][0] == 1:
            return args[0]
        return ("sum", e[1], args)
    if tag == "lookup":
        return ("lookup", e[1], fold(e[2]))
    if tag == "rand":
        return ("rand", e[1], tuple(fold(a) for a in e[2]))
    return e


def shape_of(e: IR, tables: list, leaves: list[Any]) -> Any:
    """The shape key of an IR tree; appends its leaves (preorder) to ``leaves``."""
    tag = e[0]
    if tag == "num":
        leaves.append(e[1])
        return "num"
    if tag == "var":
        leaves.append((e[1], e[2]))
        return "cur" if e[2] == 0 else "lag"
    if tag == "param":
        leaves.append(e[1])
        return "param"
    if tag in ("time", "step"):
        return tag
    if tag == "op":
        return ("op", e[1]) + tuple(shape_of(a, tables, leaves) for a in e[2])
    if tag == "sum":
        return ("sum", e[1]) + tuple(shape_of(a, tables, leaves) for a in e[2])
    if tag == "lookup":
        leaves.append(e[1])
        return ("lookup", tables[e[1]].interpolation, shape_of(e[2], tables, leaves))
    if tag == "rand":
        return ("rand", e[1]) + tuple(shape_of(a, tables, leaves) for a in e[2])
    raise AssertionError(tag)  # pragma: no cover


def refs(e: IR, out: dict[int, int]) -> dict[int, int]:
    """Variables an IR tree reads: index -> largest lag."""
    stack = [e]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == "var":
            out[node[1]] = max(out.get(node[1], 0), node[2])
        elif tag in ("op", "sum", "rand"):
            stack.extend(node[2])
        elif tag == "lookup":
            stack.append(node[2])
    return out


def _now(e: IR) -> set[int]:
    found: set[int] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == "var":
            if node[2] == 0:
                found.add(node[1])
        elif tag in ("op", "sum", "rand"):
            stack.extend(node[2])
        elif tag == "lookup":
            stack.append(node[2])
    return found


class _Memo:
    """Per-expression results computed once (init and step share most expressions)."""

    def __init__(self, tables: list):
        self.tables = tables
        self._now: dict[int, set[int]] = {}
        self._shape: dict[int, tuple[Any, list[Any]]] = {}

    def now(self, e: IR) -> set[int]:
        key = id(e)
        found = self._now.get(key)
        if found is None:
            found = self._now[key] = _now(e)
        return found

    def shape(self, e: IR) -> tuple[Any, list[Any]]:
        key = id(e)
        found = self._shape.get(key)
        if found is None:
            leaves: list[Any] = []
            found = self._shape[key] = (shape_of(e, self.tables, leaves), leaves)
        return found


def _levels(system: System, members: list[int], exprs: dict[int, IR], what: str,
            memo: _Memo) -> list[list[int]]:
    """Members sorted into dependency levels (Kahn); a cycle is a LoopError."""
    inside = set(members)
    nows = {i: memo.now(exprs[i]) for i in members}
    deps = {i: {d for d in nows[i] if d in inside and d != i} for i in members}
    selfloops = [i for i in members if i in nows[i]]
    if selfloops:
        v = system.vars[selfloops[0]]
        raise LoopError(f"{what}: '{v.owner}' depends on its own value at the same time")
    users: dict[int, list[int]] = {i: [] for i in members}
    for i, ds in deps.items():
        for d in ds:
            users[d].append(i)
    remaining = {i: len(ds) for i, ds in deps.items()}
    level = [i for i in members if remaining[i] == 0]
    levels: list[list[int]] = []
    done = 0
    while level:
        levels.append(level)
        done += len(level)
        nxt = []
        for i in level:
            for u in users[i]:
                remaining[u] -= 1
                if remaining[u] == 0:
                    nxt.append(u)
        level = sorted(nxt)
    if done < len(members):
        import networkx as nx

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
    return levels


def _group(system: System, levels: list[list[int]], exprs: dict[int, IR], memo: _Memo,
           plain_of: dict[int, bool] | None = None) -> list[Group]:
    groups: list[Group] = []
    for level in levels:
        by_key: dict[Any, Group] = {}
        for i in level:
            shape, leaves = memo.shape(exprs[i])
            plain = bool(plain_of and plain_of.get(i))
            key = (shape, plain)
            group = by_key.get(key)
            if group is None:
                group = by_key[key] = Group(shape, [], [[] for _ in leaves], plain)
                groups.append(group)
            group.outputs.append(i)
            for slot_values, value in zip(group.leaves, leaves):
                slot_values.append(value)
    return groups


def build_plan(system: System, layout: str = "model") -> Plan:
    """Order, group and lay out the lowered system's variables.

    ``layout="model"`` puts the model's own variables first, in model order, so a run's
    rows are the results as they are; ``"groups"`` makes each group's outputs contiguous.
    """
    vars_ = system.vars
    for v in vars_:
        shared = v.init is v.step
        if v.init is not None:
            v.init = fold(v.init)
        if v.step is not None:
            v.step = v.init if shared else fold(v.step)
        if v.deriv is not None:
            v.deriv = fold(v.deriv)
    memo = _Memo(system.tables)
    consts = [i for i, v in enumerate(vars_) if v.kind == "const"]
    stocks = [i for i, v in enumerate(vars_) if v.kind == "stock"]
    dynamic = [i for i, v in enumerate(vars_) if v.kind in ("aux", "plain")]
    everyone = list(range(len(vars_)))
    init_exprs = {i: vars_[i].init if vars_[i].init is not None else ("num", 0.0)
                  for i in everyone}
    init_levels = _levels(system, everyone, init_exprs, "initial values", memo)
    step_exprs = {i: vars_[i].step for i in dynamic}
    step_levels = _levels(system, dynamic, step_exprs, "algebraic loop", memo)
    plain_of = {i: vars_[i].kind == "plain" for i in dynamic}
    step_groups = _group(system, step_levels, step_exprs, memo, plain_of)
    deriv_exprs = {i: vars_[i].deriv for i in stocks}
    deriv_groups = _group(system, [stocks] if stocks else [], deriv_exprs, memo)
    stock_order = [i for g in deriv_groups for i in g.outputs]
    if layout == "groups":  # each group's outputs one contiguous block
        order = consts + stock_order + [i for g in step_groups for i in g.outputs]
    else:  # the model's variables first, in model order: results are views, not copies
        visible = [i for i, v in enumerate(vars_) if v.visible]
        seen = set(visible)
        order = visible + [i for i in consts + stock_order +
                           [i for g in step_groups for i in g.outputs] if i not in seen]
    slot = [0] * len(vars_)
    for k, i in enumerate(order):
        slot[i] = k
    init_groups = _group(system, init_levels, init_exprs, memo)
    lagged: dict[int, int] = {}
    walked: set[int] = set()
    for v in vars_:
        for e in (v.init, v.step, v.deriv):
            if e is not None and id(e) not in walked:
                walked.add(id(e))
                for key, lag in refs(e, {}).items():
                    if lag > 0:
                        lagged[key] = max(lagged.get(key, 0), lag)
    nonneg = [(i, vars_[i].inflows, vars_[i].outflows) for i in stocks
              if vars_[i].non_negative and vars_[i].outflows]
    return Plan(system, slot, as_index([slot[i] for i in consts]),
                as_index([slot[i] for i in stock_order]),
                init_groups, step_groups, deriv_groups,
                [i for lv in init_levels for i in lv], [i for lv in step_levels for i in lv],
                max(lagged.values(), default=0), lagged, nonneg, stock_order)
