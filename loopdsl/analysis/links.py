"""Per-link figures for loop analysis: sign, gain (effect) and delay of every link.

The documented defaults (also in docs/loops.md):

========================  =================================  ==============================
link                      effect (sign x gain)               delay
========================  =================================  ==============================
declared ``a -> b``       sign x gain; gain 1 if not given   the given delay, else 1 time
                                                             unit (0 if b's equation reads a)
reference in an equation  the local partial derivative       0
                          d b / d a at the operating point
flow into / out of stock  +1 / -1 (per time unit)            0
========================  =================================  ==============================

The operating point is the initial state unless another is given. Without the model
(only its graph), a gain given as an expression and an equation link's slope are unknown
(``None``) and an equation link's sign is ``?``.

>>> import loopdsl
>>> m = loopdsl.loads("a -[- gain 0.5 delay 2]-> b -> a")
>>> link_effects(m.graph)["a", "b"]
LinkEffect(sign=-1, gain=-0.5, delay=2.0, into_stock=0)
>>> link_effects(m.graph)["b", "a"]
LinkEffect(sign=1, gain=1.0, delay=1.0, into_stock=0)
"""

from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple

import networkx as nx

DEFAULT_GAIN = 1.0
"""Gain of a declared link that gives none."""
DEFAULT_DELAY = 1.0
"""Delay, in time units, of a declared link that gives none."""


class LinkEffect(NamedTuple):
    """What one link does: ``sign`` (+1, -1, 0 unknown), ``gain`` (the signed effect:
    units of target per unit of source, None if unknown), ``delay`` (time units, None if
    unknown) and ``into_stock`` (1 if the target is a stock)."""

    sign: int
    gain: float | None
    delay: float | None
    into_stock: int = 0


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
        Needed to value gain and delay expressions and equation slopes.
    state : mapping, optional
        Values of the stocks and plain nodes at the operating point (default: initial).

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("stock s initial 100\\nflow f = 0.1 * s to s")
    >>> e = link_effects(m.graph, m)
    >>> e["s", "f"].sign, round(e["s", "f"].gain, 6), e["f", "s"]
    (1, 0.1, LinkEffect(sign=1, gain=1.0, delay=0.0, into_stock=1))
    """
    point = None
    if model is not None:
        from loopdsl.analysis.operating import operating_point

        point = operating_point(model, state)
    effects: dict[tuple[str, str], LinkEffect] = {}
    kinds = G.nodes(data="kind")
    for u, v, data in G.edges(data=True):
        into = 1 if kinds[v] == "stock" else 0
        effects[u, v] = _effect(G, u, v, data, model, point, into)
    return effects


def _effect(G: nx.DiGraph, u: str, v: str, data: dict, model: Any,
            point: Mapping[str, float] | None, into: int) -> LinkEffect:
    origin = data.get("origin", "link")
    polarity = data.get("polarity", 1)
    if polarity is None:
        polarity = 1
    if origin == "flow":
        return LinkEffect(polarity, float(polarity) if polarity else None, 0.0, into)
    reads = model is not None and _reads(model, u, v)
    if origin == "equation" or (origin == "link" and reads and data.get("gain_expr") is None
                                and data.get("gain") is None):
        slope = _slope(model, u, v, point) if model is not None else None
        sign = _sign_of(slope) if slope is not None else (polarity if origin == "link" else 0)
        delay = data.get("delay")
        if origin == "link" and data.get("delay_expr") is None and delay is None:
            delay = 0.0
        elif delay is None:
            delay = _number(model, u, v, "delay", point)
        return LinkEffect(sign, slope, delay, into)
    gain = data.get("gain")
    if gain is None:
        gain = (DEFAULT_GAIN if data.get("gain_expr") is None
                else _number(model, u, v, "gain", point))
    delay = data.get("delay")
    if delay is None:
        delay = (DEFAULT_DELAY if data.get("delay_expr") is None
                 else _number(model, u, v, "delay", point))
    if gain is not None:
        gain = polarity * gain if polarity else None
    return LinkEffect(polarity, gain, delay, into)


def _reads(model: Any, u: str, v: str) -> bool:
    from loopdsl.expr import references
    from loopdsl.graph import equation_of

    try:
        return u in references(equation_of(model.node(v)))
    except KeyError:
        return False


def _slope(model: Any, u: str, v: str, point: Mapping[str, float] | None) -> float | None:
    from loopdsl.analysis.operating import slope

    return slope(model, u, v, point or {})


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
