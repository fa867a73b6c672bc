"""Every elementary feedback loop of a causal graph, with polarity, gain and cycle time.

Enumeration is Johnson's algorithm as :func:`networkx.simple_cycles` implements it
(Gupta-Suzumura when a length bound is given), run on an integer copy of the graph so
that the order does not depend on string hashing. Each loop is reported once, rotated to
start at its earliest node in the graph's node order (the model's source order).

Link figures (see :func:`loopdsl.analysis.links.link_effects`): a link's *effect* is its
sign times its gain; a declared link without a gain has gain 1, and without a delay has
delay 1 time unit; a reference in an equation has delay 0 and, given the model, the local
partial derivative at the operating point as its effect; a flow into (out of) a stock has
effect +1 (-1) per time unit and delay 0.

>>> import networkx as nx
>>> G = nx.DiGraph()
>>> G.add_edge("a", "b", polarity=1, gain=2.0, delay=1.0, origin="link")
>>> G.add_edge("b", "a", polarity=1, gain=2.0, delay=1.0, origin="link")
>>> G.add_edge("b", "c", polarity=-1, gain=None, delay=None, origin="link")
>>> G.add_edge("c", "b", polarity=1, gain=None, delay=None, origin="link")
>>> loops = find_loops(G)
>>> [(l.id, l.nodes, l.polarity, l.gain, l.cycle_time, l.growth_per_time) for l in loops]
[('R1', ('a', 'b'), 'R', 4.0, 2.0, 2.0), ('B1', ('b', 'c'), 'B', -1.0, 2.0, None)]
>>> loops.truncated
False
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

import networkx as nx

from loopdsl.analysis.links import LinkEffect, link_effects

POLARITY_WORDS = {"R": "reinforcing", "B": "balancing", "U": "unknown"}


@dataclass(frozen=True, slots=True)
class Loop:
    """One elementary feedback loop.

    Attributes
    ----------
    id : str
        The declared loop's name, else ``R1``, ``B1``, ``U1``... by polarity.
    nodes : tuple of str
        The path, starting at the loop's earliest node in graph order; the last node
        links back to the first.
    polarity : {"R", "B", "U"}
        Reinforcing (even number of negative links), balancing (odd), or unknown
        (a link's sign is ``?``, or an equation link whose slope is 0 or unknown).
    gain : float or None
        Product of the link effects (sign x gain) around the loop; None when a link's
        gain cannot be evaluated.
    cycle_time : float or None
        Sum of the link delays, in model time units.
    growth_per_time : float or None
        ``gain ** (1 / cycle_time)`` for a positive gain and cycle time: the factor the
        loop alone multiplies itself by per time unit. For a loop through exactly one
        stock (whose gain is then a fractional rate per time unit) and no other delay,
        ``(1 + gain * dt) ** (1 / dt)``. Else None.
    title : str or None
        The declared loop's title.
    declared : bool
        True if the model declares this loop.
    stocks : int
        How many stocks the loop passes through.
    """

    id: str
    nodes: tuple[str, ...]
    polarity: str
    gain: float | None
    cycle_time: float | None
    growth_per_time: float | None
    title: str | None = None
    declared: bool = False
    stocks: int = 0

    @property
    def links(self) -> list[tuple[str, str]]:
        """The loop's links, (source, target), in path order."""
        n = self.nodes
        return [(n[i], n[(i + 1) % len(n)]) for i in range(len(n))]

    @property
    def length(self) -> int:
        return len(self.nodes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready; ``nodes`` as a list)."""
        data = asdict(self)
        data["nodes"] = list(self.nodes)
        data["length"] = len(self.nodes)
        return data


class LoopList(list):
    """A list of :class:`Loop` that also says whether enumeration stopped early.

    ``truncated`` is True when ``max_loops``, ``max_length`` or ``time_budget`` may have
    hidden loops; ``reason`` says which, in words.
    """

    def __init__(self, loops: Iterable[Loop] = (), truncated: bool = False,
                 reason: str | None = None):
        super().__init__(loops)
        self.truncated = truncated
        self.reason = reason

    def __repr__(self) -> str:  # pragma: no cover - for interactive use
        more = f", truncated: {self.reason}" if self.truncated else ""
        return f"<LoopList of {len(self)} loops{more}>"


@dataclass
class _Declared:
    id: str
    title: str | None
    path: tuple[str, ...]


def _declared(declared: Iterable[Any] | None) -> list[_Declared]:
    """Declared loops as (id, title, path): LoopDecl objects or (id, path) pairs."""
    found = []
    for item in declared or ():
        if isinstance(item, tuple):
            found.append(_Declared(item[0], None, tuple(item[1])))
        else:
            found.append(_Declared(item.id, getattr(item, "title", None), tuple(item.path)))
    return found


def canonical(path: Sequence[str], order: Mapping[str, int]) -> tuple[str, ...]:
    """The loop rotated to start at its earliest node in ``order``.

    >>> canonical(["c", "a", "b"], {"a": 0, "b": 1, "c": 2})
    ('a', 'b', 'c')
    """
    start = min(range(len(path)), key=lambda i: order[path[i]])
    return tuple(path[start:]) + tuple(path[:start])


def _figures(nodes: Sequence[str], effects: Mapping[tuple[str, str], LinkEffect],
             dt: float) -> tuple[str, float | None, float | None, float | None, int]:
    """(polarity, gain, cycle_time, growth_per_time, stocks) of one loop."""
    sign = 1
    gain: float | None = 1.0
    delay: float | None = 0.0
    stocks = 0
    n = len(nodes)
    for i in range(n):
        e = effects[nodes[i], nodes[(i + 1) % n]]
        sign *= e.sign
        gain = None if gain is None or e.gain is None else gain * e.gain
        delay = None if delay is None or e.delay is None else delay + e.delay
        stocks += e.into_stock
    polarity = "R" if sign > 0 else "B" if sign < 0 else "U"
    return polarity, gain, delay, growth_of(gain, delay, stocks, dt), stocks


def growth_of(gain: float | None, cycle_time: float | None, stocks: int = 0,
              dt: float = 1.0) -> float | None:
    """Growth factor per time unit of a loop taken alone (see :class:`Loop`).

    >>> growth_of(4.0, 2.0), growth_of(0.1, 0.0, stocks=1), growth_of(-1.0, 2.0)
    (2.0, 1.1, None)
    """
    if gain is None or cycle_time is None:
        return None
    if stocks == 0:
        if gain > 0 and cycle_time > 0:
            return gain ** (1.0 / cycle_time)
        return None
    if stocks == 1 and cycle_time == 0 and dt > 0:
        step = 1.0 + gain * dt
        return step ** (1.0 / dt) if step > 0 else None
    return None


def _int_graph(G: nx.DiGraph) -> tuple[nx.DiGraph, list[str]]:
    """An integer-labelled copy (0..n-1 in G's node order) and the names by index."""
    names = list(G)
    index = {n: i for i, n in enumerate(names)}
    H = nx.DiGraph()
    H.add_nodes_from(range(len(names)))
    H.add_edges_from((index[u], index[v]) for u, v in G.edges)
    return H, names


def _raw_cycles(H: nx.DiGraph, max_length: int | None,
                through: int | None) -> Iterator[list[int]]:
    """Elementary cycles of an integer graph, each once (not yet rotated)."""
    if through is None:
        yield from nx.simple_cycles(H, length_bound=max_length)
        return
    if H.has_edge(through, through):
        yield [through]
    if max_length is not None and max_length < 2:
        return
    component = next(c for c in nx.strongly_connected_components(H) if through in c)
    sub = H.subgraph(component)
    cutoff = None if max_length is None else max_length - 1
    for succ in sorted(sub.successors(through)):
        if succ == through:
            continue
        for path in nx.all_simple_paths(sub, succ, through, cutoff=cutoff):
            yield [through] + path[:-1]


def iter_loops(G: nx.DiGraph, *, max_length: int | None = None, through: str | None = None,
               effects: Mapping[tuple[str, str], LinkEffect] | None = None
               ) -> Iterator[Loop]:
    """Stream the loops of G in enumeration order (ids not yet assigned: ``""``).

    This is the lazy core of :func:`find_loops`; use it to stop at will.

    >>> import loopdsl
    >>> G = loopdsl.loads("a -> b -> a  b -> c -> b").graph
    >>> sorted(l.nodes for l in iter_loops(G))
    [('a', 'b'), ('b', 'c')]
    """
    if max_length is not None and max_length < 1:
        return
    if effects is None:
        effects = link_effects(G)
    dt = G.graph.get("step") or 1.0
    H, names = _int_graph(G)
    start = None
    if through is not None:
        if through not in G:
            raise KeyError(through)
        start = names.index(through)
    for cycle in _raw_cycles(H, max_length, start):
        low = cycle.index(min(cycle))
        nodes = tuple(names[i] for i in cycle[low:] + cycle[:low])
        polarity, gain, delay, growth, stocks = _figures(nodes, effects, dt)
        yield Loop("", nodes, polarity, gain, delay, growth, stocks=stocks)


def find_loops(G: nx.DiGraph, max_loops: int | None = None, max_length: int | None = None,
               time_budget: float | None = None, through: str | None = None, *,
               declared: Iterable[Any] | None = None,
               effects: Mapping[tuple[str, str], LinkEffect] | None = None) -> LoopList:
    """Every elementary feedback loop of G, each once, numbered, in a stable order.

    Parameters
    ----------
    G : networkx.DiGraph
        A causal graph, as :func:`loopdsl.graph.to_graph` builds it (edge attributes
        ``polarity``, ``gain``, ``delay``, ``origin``; missing ones take the defaults).
    max_loops : int, optional
        Stop after this many loops (``truncated`` is then set if more exist).
    max_length : int, optional
        Only loops of at most this many links (``truncated`` is set if a longer loop
        exists, which is checked cheaply: the graph has a cycle longer than the bound
        only if some strongly connected component has more nodes than the bound).
    time_budget : float, optional
        Seconds of enumeration before stopping (checked between loops).
    through : str, optional
        Keep only the loops through this node (Vensim's Loops tool).
    declared : iterable of LoopDecl or (id, path) pairs, optional
        Declared loops: a found loop equal to one up to rotation takes its name and title.
    effects : mapping, optional
        Per-link figures from :func:`loopdsl.analysis.links.link_effects` (pass the
        model there to evaluate equation links); default: from G's edge attributes.

    Returns
    -------
    LoopList
        Declared loops first (in declaration order), then the others by length and then
        by the graph order of their nodes; ids R1.., B1.., U1.. by polarity, skipping
        declared names. ``truncated`` and ``reason`` say whether it stopped early.

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("a -> b -> c -> a  b -[-]-> a")
    >>> loops = find_loops(m.graph)
    >>> [(l.id, "->".join(l.nodes), l.polarity) for l in loops]
    [('B1', 'a->b', 'B'), ('R1', 'a->b->c', 'R')]
    >>> find_loops(m.graph, max_loops=1).reason
    'the limit of 1 loops (--max-loops) was reached'

    Notes
    -----
    Time :math:`O((n + e)(c + 1))` for :math:`n` nodes, :math:`e` links and :math:`c`
    loops (Johnson), plus :math:`O(c \\log c)` to sort; the number of loops can grow
    exponentially with the density of the graph, hence the limits.

    References
    ----------
    .. [1] D. B. Johnson, "Finding all the elementary circuits of a directed graph",
       SIAM J. Comput. 4(1), 1975.
    .. [2] R. Oliva, "Model structure analysis through graph theory", System Dynamics
       Review 20(4), 2004.
    """
    order = {n: i for i, n in enumerate(G)}
    decls = _declared(declared)
    by_path = {}
    for d in decls:
        if d.path and all(n in order for n in d.path):
            by_path.setdefault(canonical(d.path, order), d)
    found: list[Loop] = []
    truncated, reason = False, None
    deadline = None if time_budget is None else time.monotonic() + time_budget
    stream = iter_loops(G, max_length=max_length, through=through, effects=effects)
    for loop in stream:
        if max_loops is not None and len(found) >= max_loops:
            truncated, reason = True, f"the limit of {max_loops} loops (--max-loops) was reached"
            break
        found.append(loop)
        if deadline is not None and time.monotonic() > deadline:
            if next(stream, None) is not None:
                truncated = True
                reason = (f"the time budget of {time_budget:g} s (--time-budget) ran out "
                          f"after {len(found)} loops")
            break
    if not truncated and max_length is not None and _has_longer(G, max_length, through):
        truncated = True
        reason = f"loops longer than {max_length} links were not searched (--max-length)"
    return LoopList(_number(found, by_path, order), truncated, reason)


def _has_longer(G: nx.DiGraph, bound: int, through: str | None) -> bool:
    """Whether G may have a loop of more than ``bound`` links (a component is bigger)."""
    for component in nx.strongly_connected_components(G):
        if len(component) > bound and (through is None or through in component):
            return True
    return False


def _number(found: list[Loop], by_path: Mapping[tuple[str, ...], _Declared],
            order: Mapping[str, int]) -> list[Loop]:
    """Sort the loops and give each its id."""
    declared_rank = {path: i for i, path in enumerate(by_path)}

    def key(loop: Loop) -> tuple:
        rank = declared_rank.get(loop.nodes)
        if rank is not None:
            return (0, rank)
        return (1, len(loop.nodes), tuple(order[n] for n in loop.nodes))

    found.sort(key=key)
    taken = {d.id for d in by_path.values()}
    counters = {"R": 0, "B": 0, "U": 0}
    result = []
    for loop in found:
        decl = by_path.get(loop.nodes)
        if decl is not None:
            result.append(_replace(loop, decl.id, decl.title, True))
            continue
        while True:
            counters[loop.polarity] += 1
            name = f"{loop.polarity}{counters[loop.polarity]}"
            if name not in taken:
                break
        result.append(_replace(loop, name, None, False))
    return result


def _replace(loop: Loop, id: str, title: str | None, declared: bool) -> Loop:
    return Loop(id, loop.nodes, loop.polarity, loop.gain, loop.cycle_time,
                loop.growth_per_time, title, declared, loop.stocks)


def loop_gain(G: nx.DiGraph, loop: Loop | Sequence[str],
              effects: Mapping[tuple[str, str], LinkEffect] | None = None) -> float | None:
    """The product of the link effects around a loop (None if one is unknown).

    >>> import loopdsl
    >>> loop_gain(loopdsl.loads("a -[+ gain 2]-> b -[- gain 0.25]-> a").graph, ["a", "b"])
    -0.5
    """
    nodes = loop.nodes if isinstance(loop, Loop) else tuple(loop)
    effects = effects if effects is not None else link_effects(G)
    return _figures(nodes, effects, G.graph.get("step") or 1.0)[1]


def cycle_time(G: nx.DiGraph, loop: Loop | Sequence[str],
               effects: Mapping[tuple[str, str], LinkEffect] | None = None) -> float | None:
    """The sum of the link delays around a loop, in time units (None if one is unknown).

    >>> import loopdsl
    >>> cycle_time(loopdsl.loads("a -[delay 2]-> b -> a").graph, ["a", "b"])
    3.0
    """
    nodes = loop.nodes if isinstance(loop, Loop) else tuple(loop)
    effects = effects if effects is not None else link_effects(G)
    return _figures(nodes, effects, G.graph.get("step") or 1.0)[2]


__all__ = ["Loop", "LoopList", "find_loops", "iter_loops", "loop_gain", "cycle_time",
           "canonical", "growth_of", "POLARITY_WORDS"]
