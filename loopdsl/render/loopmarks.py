"""Which feedback loops a diagram marks: declared loops first, then found ones.

Uses the loop analysis (:func:`loopdsl.loops.find_loops`) where it is there,
else a small stand-in on :func:`networkx.simple_cycles`. Either way each loop
is a :class:`DrawnLoop` with its id (``R1``, ``B2``), its nodes in order and
its polarity (``R``, ``B`` or ``?`` when a sign on it is unknown).

>>> import loopdsl
>>> m = loopdsl.loads("a -> b -> a  b -[-]-> c -> b")
>>> [(l.id, l.nodes, l.polarity) for l in diagram_loops(m)]
[('R1', ['a', 'b'], 'R'), ('B1', ['b', 'c'], 'B')]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from loopdsl.errors import LoopError
from loopdsl.model import Model


@dataclass(frozen=True)
class DrawnLoop:
    """A loop as a diagram shows it."""

    id: str
    nodes: list[str]
    polarity: str  # "R", "B" or "?"
    title: str | None = None
    declared: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Anything else the loop analysis said about the loop (gain, delay, ...)."""

    @property
    def edges(self) -> list[tuple[str, str]]:
        """The loop's links, closing back on its first node."""
        return list(zip(self.nodes, self.nodes[1:] + self.nodes[:1]))

    @property
    def kind(self) -> str:
        return {"R": "reinforcing", "B": "balancing"}.get(self.polarity, "unknown")


def _polarity(value: Any) -> str:
    """Normalise the loop analysis's polarity (``R``/``reinforcing``/+1...) to R, B or ?."""
    if isinstance(value, (int, float)):
        return "R" if value > 0 else "B" if value < 0 else "?"
    text = str(value).strip().lower()
    if text[:1] in ("r", "+"):
        return "R"
    if text[:1] in ("b", "-"):
        return "B"
    return "?"


def _canonical(nodes: list[str]) -> tuple[str, ...]:
    """The loop rotated to start at its smallest node, to compare loops."""
    i = nodes.index(min(nodes))
    return tuple(nodes[i:] + nodes[:i])


def _analysis(model: Model, G: nx.DiGraph, limit: int
              ) -> tuple[list[DrawnLoop], dict[tuple[str, str], int]] | None:
    """Loops and link signs from :mod:`loopdsl.analysis`, or None where it is absent."""
    try:
        from loopdsl.analysis import find_loops, link_effects
    except ImportError:
        return None
    try:
        effects = link_effects(G, model)
    except (LoopError, ArithmeticError, ValueError):
        effects = None  # a model whose operating point cannot be valued: signs only
    found = find_loops(G, max_loops=limit, time_budget=2.0, declared=model.loops,
                       effects=effects)
    loops = []
    for rec in found:
        extra = rec.to_dict() if hasattr(rec, "to_dict") else {}
        loops.append(DrawnLoop(str(rec.id), list(rec.nodes), _polarity(rec.polarity),
                               title=rec.title, declared=bool(rec.declared), extra=extra))
    signs = {key: effect.sign for key, effect in (effects or {}).items()}
    return loops, signs


def _sign(G: nx.DiGraph, nodes: list[str]) -> str:
    product = 1
    for u, v in zip(nodes, nodes[1:] + nodes[:1]):
        product *= G.edges[u, v].get("polarity", 0) if G.has_edge(u, v) else 0
    return "R" if product > 0 else "B" if product < 0 else "?"


def _stand_in(model: Model, G: nx.DiGraph, limit: int) -> list[DrawnLoop]:
    """Declared loops, then simple cycles shortest first, numbered after the declared ids."""
    out: list[DrawnLoop] = []
    seen: set[tuple[str, ...]] = set()
    for decl in model.loops:
        nodes = list(decl.path)
        if len(nodes) > 1 and nodes[0] == nodes[-1]:
            nodes = nodes[:-1]
        if not nodes:
            continue
        seen.add(_canonical(nodes))
        out.append(DrawnLoop(decl.id, nodes, decl.polarity or _sign(G, nodes),
                             title=decl.title, declared=True))
    used = {d.id for d in model.loops}
    counters = {"R": 0, "B": 0, "?": 0}
    prefix = {"R": "R", "B": "B", "?": "L"}
    order = {n: i for i, n in enumerate(G.nodes)}
    cycles: Iterable[list[str]] = nx.simple_cycles(G, length_bound=min(len(G), 12))
    found = []
    for cycle in itertools.islice(cycles, 5000):
        key = _canonical(cycle)
        if key not in seen:
            seen.add(key)
            i = cycle.index(min(cycle, key=order.__getitem__))
            found.append(cycle[i:] + cycle[:i])
    found.sort(key=lambda c: (len(c), [order[n] for n in c]))
    for nodes in found:
        if len(out) >= limit:
            break
        pol = _sign(G, nodes)
        while True:
            counters[pol] += 1
            lid = f"{prefix[pol]}{counters[pol]}"
            if lid not in used:
                break
        used.add(lid)
        out.append(DrawnLoop(lid, nodes, pol))
    return out


def loops_and_signs(model: Model, G: nx.DiGraph | None = None, limit: int = 50
                    ) -> tuple[list[DrawnLoop], dict[tuple[str, str], int]]:
    """The loops a diagram marks (at most ``limit``, declared first) and each link's sign.

    Signs are +1, -1 or 0 (unknown); links that come from equations take the
    sign of their slope at the operating point where the loop analysis can
    value it.
    """
    G = model.graph if G is None else G
    found = _analysis(model, G, limit)
    if found is not None:
        return found
    signs = {(u, v): int(p or 0) for u, v, p in G.edges(data="polarity")}
    return _stand_in(model, G, limit), signs


def diagram_loops(model: Model, G: nx.DiGraph | None = None, limit: int = 50) -> list[DrawnLoop]:
    """The loops a diagram of ``model`` marks (at most ``limit``), declared ones first."""
    return loops_and_signs(model, G, limit)[0]
