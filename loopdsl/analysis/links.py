"""Per-link figures for loop analysis: sign, gain (effect) and delay of every link.

The documented defaults (also in docs/loops.md):

========================  =================================  ==============================
link                      effect (sign x gain)               delay
========================  =================================  ==============================
declared ``a -> b``       sign x gain; gain 1 if not given   the given delay, else 1 time
                                                             unit
reference to a in b's     the local partial derivative       the declared link's delay,
equation (declared or     d b / d a at the operating point   else the time of the SMTH or
not)                      (its sign is the link's sign)      DELAY a is read through, else 0
flow into / out of stock  +1 / -1 (per time unit)            0 (or the declared delay)
========================  =================================  ==============================

Where the slope is 0 (or cannot be valued), a declared link's sign stands (``s -[+]-> a``).
A declared link into a node whose equation does not read the source, or into a stock
that has flows, only documents the diagram (docs/semantics.md): it keeps its declared
sign and gain for the loop tables but is left out of the linearised system.

The operating point is the initial state unless another is given. Without the model
(only its graph), a gain given as an expression and an equation link's slope are unknown
(``None``) and an equation link's sign is ``?``.

>>> import loopdsl
>>> m = loopdsl.loads("a -[- gain 0.5 delay 2]-> b -> a")
>>> link_effects(m.graph)["a", "b"]
LinkEffect(sign=-1, gain=-0.5, delay=2.0, into_stock=0, modelled=True)
>>> link_effects(m.graph)["b", "a"]
LinkEffect(sign=1, gain=1.0, delay=1.0, into_stock=0, modelled=True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import networkx as nx

from loopdsl.builtins import Kind, Op

DEFAULT_GAIN = 1.0
"""Gain of a declared link that gives none."""
DEFAULT_DELAY = 1.0
"""Delay, in time units, of a declared link that gives none."""


class LinkEffect(NamedTuple):
    """What one link does: ``sign`` (+1, -1, 0 unknown), ``gain`` (the signed effect:
    units of target per unit of source, None if unknown), ``delay`` (time units, None if
    unknown), ``into_stock`` (1 if the target is a stock that integrates the link) and
    ``modelled`` (False for a declared link the simulation ignores because the target's
    equation or flows decide its value: such a link only documents the diagram)."""

    sign: int
    gain: float | None
    delay: float | None
    into_stock: int = 0
    modelled: bool = True


def _sign_of(value: float | None) -> int:
    if value is None or value == 0 or not math.isfinite(value):
        return 0
    return 1 if value > 0 else -1


def link_effects(G: nx.DiGraph, model: Any = None,
                 state: Mapping[str, float] | None = None) -> dict[tuple[str, str], LinkEffect]:
    """The :class:`LinkEffect` of every edge of G, keyed by (source, target).

    Parameters
    ----------
    G : networkx.DiGraph
        The model's causal graph.
    model : loopdsl.Model, optional
        Needed to value gain and delay expressions and equation slopes, and to tell
        which declared links the simulation uses (docs/semantics.md).
    state : mapping, optional
        Values of the stocks and plain nodes at the operating point (default: initial).

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("stock s initial 100\\nflow f = 0.1 * s to s")
    >>> e = link_effects(m.graph, m)
    >>> e["s", "f"].sign, round(e["s", "f"].gain, 6), e["f", "s"]
    (1, 0.1, LinkEffect(sign=1, gain=1.0, delay=0.0, into_stock=1, modelled=True))
    """
    if model is not None:
        return _model_effects(G, model, state)
    effects: dict[tuple[str, str], LinkEffect] = {}
    kinds = G.nodes(data="kind")
    for u, v, data in G.edges(data=True):
        into = 1 if kinds[v] == "stock" else 0
        origin = data.get("origin", "link")
        polarity = data.get("polarity", 1)
        if origin == "flow":
            effects[u, v] = LinkEffect(polarity, float(polarity), 0.0, into)
        elif origin == "equation":
            effects[u, v] = LinkEffect(0, None, 0.0, into)
        else:
            effects[u, v] = _declared_effect(data, polarity, into, None, None, u, v)
    return effects


def _declared_effect(data: dict, polarity: int, into: int, model: Any,
                     point: Mapping[str, float] | None, u: str, v: str,
                     modelled: bool = True) -> LinkEffect:
    gain = data.get("gain")
    if gain is None:
        gain = (DEFAULT_GAIN if data.get("gain_expr") is None
                else _number(model, u, v, "gain", point))
    delay = data.get("delay")
    if delay is None:
        delay = (DEFAULT_DELAY if data.get("delay_expr") is None
                 else _number(model, u, v, "delay", point))
    sign = polarity
    if gain is not None:
        if not math.isfinite(gain):
            gain = None
        elif polarity:
            gain = polarity * gain
            if gain < 0 < polarity or gain > 0 > polarity:
                sign = -polarity  # a negative gain turns the link round
        else:
            gain = None
    if delay is not None and (not math.isfinite(delay) or delay < 0):
        delay = None
    return LinkEffect(sign, gain, delay, into, modelled)


def _model_effects(G: nx.DiGraph, model: Any, state: Mapping[str, float] | None
                   ) -> dict[tuple[str, str], LinkEffect]:
    from loopdsl.analysis.operating import operating_point
    from loopdsl.analysis.operating import slope as slope_of
    from loopdsl.expr import references
    from loopdsl.graph import equation_of
    from loopdsl.ir import Builder
    from loopdsl.model import Flow, Stock

    point = operating_point(model, state)
    nodes = {n.id: n for n in model.nodes}
    builder = Builder.of(model)
    filled = {end for n in model.nodes if isinstance(n, Flow) for end in (n.source, n.target)
              if end is not None}
    effects: dict[tuple[str, str], LinkEffect] = {}
    for u, v, data in G.edges(data=True):
        src, dst = nodes.get(u), nodes.get(v)
        polarity = data.get("polarity", 1)
        declared_delay = data.get("delay") if data.get("origin") == "link" else None
        if declared_delay is None and data.get("delay_expr") is not None:
            declared_delay = _number(model, u, v, "delay", point)
        if isinstance(src, Flow) and v in (src.target, src.source):
            sign = 1 if v == src.target else -1
            effects[u, v] = LinkEffect(sign, float(sign), declared_delay or 0.0, 1)
            continue
        equation = equation_of(dst) if dst is not None else None
        into = 1 if isinstance(dst, Stock) else 0
        if equation is not None:
            if u in references(equation):
                slope = slope_of(model, u, v, point, nodes, builder)
                memory = memory_delay(model, u, v, point, equation)
                delay = declared_delay if declared_delay is not None else memory
                sign = _sign_of(slope) if slope is not None else 0
                if sign == 0 and data.get("origin") == "link":
                    sign = polarity  # no slope here: the declared sign says which way
                effects[u, v] = LinkEffect(sign, slope, delay, into)
            else:
                effects[u, v] = _declared_effect(data, polarity, into, model, point, u, v,
                                                 modelled=False)
            continue
        modelled = not (isinstance(dst, Stock) and v in filled)
        effects[u, v] = _declared_effect(data, polarity, into, model, point, u, v, modelled)
    return effects


def memory_delay(model: Any, u: str, v: str, point: Mapping[str, float],
                 equation: Any = None) -> float | None:
    """The delay a reference to u in v's equation goes through: the time of the SMTH or
    DELAY call around it (``PREVIOUS``: one step), 0 if it is read directly, None if the
    time cannot be valued.

    >>> import loopdsl
    >>> m = loopdsl.loads("stock s initial 1\\naux a = SMTH1(s, 3) + s")
    >>> memory_delay(m, "s", "a", {})
    0.0
    >>> memory_delay(loopdsl.loads("stock s\\naux a = DELAY1(s * 2, 4)"), "s", "a", {})
    4.0
    """
    from loopdsl.analysis.operating import number
    from loopdsl.expr import references
    from loopdsl.graph import equation_of
    from loopdsl.model import Binary, Call, If, Name, Unary

    if equation is None:
        equation = equation_of(model.node(v))
    delays: list[float | None] = []

    def visit(e: Any, lag: float | None) -> None:
        if isinstance(e, Name):
            if e.name == u:
                delays.append(lag)
        elif isinstance(e, Call):
            if e.func in _TIMED and e.args and u in references(e.args[0]):
                time = number(model, e.args[1], point) if len(e.args) > 1 else None
                visit(e.args[0], None if lag is None or time is None else lag + time)
                for a in e.args[1:]:
                    visit(a, lag)
            elif e.func == "previous" and e.args:
                step = model.time.step if model.time else 1.0
                visit(e.args[0], None if lag is None else lag + step)
                for a in e.args[1:]:
                    visit(a, lag)
            else:
                for a in e.args:
                    visit(a, lag)
        elif isinstance(e, Unary):
            visit(e.operand, lag)
        elif isinstance(e, Binary):
            visit(e.left, lag)
            visit(e.right, lag)
        elif isinstance(e, If):
            for part in (e.cond, e.then, e.orelse):
                visit(part, lag)

    if equation is not None:
        visit(equation, 0.0)
    if not delays:
        return 0.0
    known = [d for d in delays if d is not None]
    if len(known) < len(delays):
        return None
    return float(min(known))  # the quickest path of the effect


_TIMED = frozenset(op.word for op in Op if op.kind is Kind.MEMORY and len(op.params) > 1
                   and op.params[1].name == "time")
"""The smooths and delays: their second argument is the time their input is held back."""


def _number(model: Any, u: str, v: str, what: str, point: Mapping[str, float] | None
            ) -> float | None:
    """Value the gain or delay expression of the declared link u -> v."""
    if model is None:
        return None
    from loopdsl.analysis.operating import number

    for link in model.links:
        if link.source == u and link.target == v and getattr(link, what) is not None:
            return number(model, getattr(link, what), point or {})
    return None
