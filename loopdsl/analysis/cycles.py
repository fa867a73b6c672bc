"""Every elementary feedback loop of a causal graph, with polarity, gain and cycle time.

Enumeration is Johnson's algorithm on an integer copy of the graph (node numbers in the
graph's order, so nothing depends on string hashing): by default our own search
(:mod:`loopdsl.analysis.johnson`, busiest node first, loops then sorted in numpy); with
``through``, ``max_length`` or ``time_budget``, or when ``max_loops`` cuts the list,
:func:`networkx.simple_cycles`' searches (Gupta-Suzumura when a length bound is given),
whose order decides which loops a limit keeps. Both give the same loops, the same
figures. Each loop is reported once, rotated to start at its earliest node in the
graph's node order (the model's source order).

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat
from typing import Any, NamedTuple

import networkx as nx
import numpy as np

from loopdsl.analysis.johnson import sorted_cycles
from loopdsl.analysis.links import LinkEffect, link_effects
from loopdsl.tuning import gc_paused

POLARITY_WORDS = {"R": "reinforcing", "B": "balancing", "U": "unknown"}
_FAST = True  # use loopdsl.analysis.johnson where it can (tests turn it off to compare)
_LETTERS = np.array(["R", "B", "U"], dtype=object)  # polarity letter by code 0, 1, 2


class Loop(NamedTuple):
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
        data = self._asdict()
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
        return f"<LoopList of {len(self)} loop{'' if len(self) == 1 else 's'}{more}>"


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


def _start_node(Gc: nx.DiGraph, component: set[int]) -> int:
    """Where Johnson's search starts in a component: the node with the most paths through
    it (largest in-degree x out-degree, then the smallest), which leaves less of the
    component to search afterwards; in a large component simply its first node."""
    if len(component) > 256:
        return next(iter(component))
    return max(component, key=lambda v: (Gc.in_degree(v) * Gc.out_degree(v), -v))


def _min_first_cycles(H: nx.DiGraph, length_bound: int | None) -> Iterator[list[int]]:
    """Every elementary cycle of an integer graph, each starting at its smallest node.

    The outer loop of :func:`networkx.simple_cycles` (self-loops, then per strongly
    connected component: the cycles through one node, then the component without it),
    with a deterministic choice of that node (:func:`_start_node`: on random graphs it
    searched about 15% faster than networkx's arbitrary choice); the inner searches are
    networkx's own (Johnson; Gupta-Suzumura with a bound). Each cycle is rotated to start
    at its smallest node.
    """
    try:
        from networkx.algorithms.cycles import _bounded_cycle_search, _johnson_cycle_search
    except ImportError:  # pragma: no cover - another networkx: rotate its cycles instead
        for c in nx.simple_cycles(H, length_bound=length_bound):
            i = c.index(min(c))
            yield c[i:] + c[:i]
        return
    yield from ([v] for v, nbrs in H.adj.items() if v in nbrs)
    if length_bound == 1:
        return
    D = nx.DiGraph()
    D.add_nodes_from(H)
    D.add_edges_from((u, v) for u, nbrs in H.adj.items() for v in nbrs if v != u)
    scc = nx.strongly_connected_components
    components = [c for c in scc(D) if len(c) >= 2]
    while components:
        c = components.pop()
        Gc = D.subgraph(c)
        v = _start_node(Gc, c)
        if length_bound is None:
            found = _johnson_cycle_search(Gc, [v])
        else:
            found = _bounded_cycle_search(Gc, [v], length_bound)
        if v == min(c):
            yield from found
        else:
            for cycle in found:
                i = cycle.index(min(cycle))
                yield cycle[i:] + cycle[:i] if i else cycle
        D.remove_node(v)
        components.extend(c for c in scc(Gc) if len(c) >= 2)


def _raw_cycles(H: nx.DiGraph, max_length: int | None,
                through: int | None) -> Iterator[list[int]]:
    """Elementary cycles of an integer graph, each once, starting at its smallest node."""
    if through is None:
        yield from _min_first_cycles(H, max_length)
        return
    for c in _through_cycles(H, max_length, through):
        i = c.index(min(c))
        yield c[i:] + c[:i] if i else c


def _through_cycles(H: nx.DiGraph, max_length: int | None,
                    through: int) -> Iterator[list[int]]:
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
            yield [through, *path[:-1]]


def iter_loops(G: nx.DiGraph, *, max_length: int | None = None, through: str | None = None,
               effects: Mapping[tuple[str, str], LinkEffect] | None = None
               ) -> Iterator[Loop]:
    """Stream the loops of G one by one, each valued as it comes (ids not assigned: ``""``).

    The order is the enumeration's, not :func:`find_loops`'s sorted order; use it to
    stop at will without holding every loop.

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
        nodes = tuple(names[i] for i in cycle)
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
        declared names, counted over the loops returned (so with ``through`` or a limit
        an undeclared loop's id can differ from the full list's). ``truncated`` and
        ``reason`` say whether it stopped early.

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("a -> b -> c -> a  b -[-]-> a")
    >>> loops = find_loops(m.graph)
    >>> [(l.id, "->".join(l.nodes), l.polarity) for l in loops]
    [('B1', 'a->b', 'B'), ('R1', 'a->b->c', 'R')]
    >>> find_loops(m.graph, max_loops=1).reason
    'the limit of 1 loops (max_loops=1) was reached'

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
    with gc_paused():  # many small lists and tuples, no cycles (loopdsl.tuning, if on)
        return _find_loops(G, max_loops, max_length, time_budget, through, declared,
                           effects)


def _find_loops(G: nx.DiGraph, max_loops: int | None, max_length: int | None,
                time_budget: float | None, through: str | None, declared: Iterable[Any] | None,
                effects: Mapping[tuple[str, str], LinkEffect] | None) -> LoopList:
    names = list(G)
    order = {n: i for i, n in enumerate(names)}
    declared_ids: dict[tuple[int, ...], _Declared] = {}
    for d in _declared(declared):
        if d.path and all(n in order for n in d.path):
            path = canonical(d.path, order)
            declared_ids.setdefault(tuple(order[n] for n in path), d)
    if max_length is not None and max_length < 1:
        cyclic = not nx.is_directed_acyclic_graph(G)
        return LoopList([], cyclic, "loops longer than 0 links were not searched "
                        f"(max_length={max_length})" if cyclic else None)
    if through is not None and through not in order:
        raise KeyError(through)
    found: Mapping[int, list[int] | np.ndarray] | None = None
    started = time.monotonic()
    if _FAST and through is None and max_length is None:
        # the fast search (loopdsl.analysis.johnson) meets every loop in sorted order, but
        # a limit must cut the same loops as the networkx-order stream below: so it runs
        # only while the loops fit the limit (and within half the time budget), and hands
        # over to the stream if they do not
        succ = [[order[w] for w in nbrs] for nbrs in G._adj.values()]
        deadline = None if time_budget is None else started + time_budget / 2
        found = sorted_cycles(succ, max_loops, deadline)
    truncated, reason = False, None
    if found is None:
        H, _ = _int_graph(G)
        stream = (_min_first_cycles(H, max_length) if through is None
                  else _raw_cycles(H, max_length, order[through]))
        raw, truncated, reason = _collect(stream, max_loops, time_budget, started)
        raw.sort()  # lexicographic, as the fast search gives them
        flat: dict[int, list[int]] = {}
        for c in raw:
            flat.setdefault(len(c), []).extend(c)
        found = flat
        del raw
    if not truncated and max_length is not None and _has_longer(G, max_length, through):
        truncated = True
        reason = (f"loops longer than {max_length} links were not searched "
                  f"(max_length={max_length})")
    if effects is None:
        effects = link_effects(G)
    dt = float(G.graph.get("step") or 1.0)
    return LoopList(_records(found, names, effects, dt, declared_ids), truncated, reason)


def _collect(stream: Iterator[list[int]], max_loops: int | None, time_budget: float | None,
             started: float) -> tuple[list[list[int]], bool, str | None]:
    """Rotated integer cycles from the stream, within the limits (the time budget counted
    from ``started``, a :func:`time.monotonic` reading); (cycles, truncated, why)."""
    raw: list[list[int]] = []
    append = raw.append
    if max_loops is None and time_budget is None:
        raw.extend(stream)
        return raw, False, None
    deadline = None if time_budget is None else started + time_budget
    for c in stream:
        if max_loops is not None and len(raw) >= max_loops:
            return raw, True, (f"the limit of {max_loops} loops (max_loops={max_loops}) "
                                 "was reached")
        append(c)
        if deadline is not None and not len(raw) & 63 and time.monotonic() > deadline:
            if next(stream, None) is not None:
                return raw, True, (f"the time budget of {time_budget:g} s "
                                   f"(time_budget={time_budget:g}) "
                                   f"ran out after {len(raw)} loops")
            return raw, False, None
    return raw, False, None


def _edge_arrays(effects: Mapping[tuple[str, str], LinkEffect], names: Sequence[str]
                 ) -> tuple[np.ndarray, ...]:
    """Per-link arrays sorted by the key ``source * n + target``."""
    index = {n: i for i, n in enumerate(names)}
    n = len(names)
    items = [(index[u] * n + index[v], e) for (u, v), e in effects.items()
             if u in index and v in index]
    items.sort(key=lambda kv: kv[0])
    keys = np.array([k for k, _ in items], dtype=np.int64)
    sign = np.array([e.sign for _, e in items], dtype=np.int64)
    gain = np.array([np.nan if e.gain is None else e.gain for _, e in items], dtype=float)
    delay = np.array([np.nan if e.delay is None else e.delay for _, e in items], dtype=float)
    into = np.array([e.into_stock for _, e in items], dtype=np.int64)
    return keys, sign, gain, delay, into


class _Blocks:
    """Integer cycles sorted by length and then lexicographically, held as one
    (cycles x length) array per length: every step below is a numpy operation per length
    or per column, never a Python step per loop.

    >>> b = _Blocks({3: [0, 1, 2], 1: [1, 2]}, 3)
    >>> [(L, a.tolist()) for L, a in b.arrays]
    [(1, [[1], [2]]), (3, [[0, 1, 2]])]
    """

    def __init__(self, by_length: Mapping[int, list[int] | np.ndarray], n: int):
        self.arrays: list[tuple[int, np.ndarray]] = []
        for L in sorted(by_length):
            block = by_length[L]
            if not isinstance(block, np.ndarray):
                block = _int_array(block, n).reshape(-1, L)
            self.arrays.append((L, block))

    def find(self, path: tuple[int, ...]) -> int | None:
        """Position of one cycle in the sorted order (None if absent)."""
        at = 0
        for L, A in self.arrays:
            if len(path) == L:
                hit = np.flatnonzero((np.array(path) == A).all(axis=1))
                return at + int(hit[0]) if hit.size else None
            at += len(A)
        return None


def _int_array(values: list[int], n: int) -> np.ndarray:
    """A list of ints in range(n) as an intp array (through bytes when they fit a byte:
    ``bytes(list)`` is a C loop about 3x faster than ``np.fromiter``)."""
    if n <= 256:
        return np.frombuffer(bytes(values), dtype=np.uint8).astype(np.intp)
    return np.fromiter(values, dtype=np.intp, count=len(values))


def _block_figures(A: np.ndarray, n: int, table: np.ndarray | _SearchTable, sign: np.ndarray,
                   gain: np.ndarray, delay: np.ndarray, into: np.ndarray
                   ) -> tuple[np.ndarray, ...]:
    """(polarity code 0 R / 1 B / 2 U, gain, cycle time, stocks) of loops of one length."""
    E = table[A * n + np.roll(A, -1, axis=1)]  # link number of every step of every loop
    m, L = E.shape
    rows = np.arange(0, m * L, L)
    with np.errstate(all="ignore"):  # reduceat row by row: the rounding of earlier versions
        g = np.multiply.reduceat(gain[E].ravel(), rows)
        d = np.add.reduceat(delay[E].ravel(), rows)
    product = sign[E].prod(axis=1)  # exact in integers: +1, -1, or 0 for unknown
    code = np.where(product == 0, 2, (1 - product) >> 1)  # 0 R, 1 B, 2 U
    stocks = into[E].sum(axis=1) if into.any() else np.zeros(m, dtype=np.int64)
    return code, g, d, stocks


def _records(by_length: Mapping[int, list[int] | np.ndarray], names: Sequence[str],
             effects: Mapping[tuple[str, str], LinkEffect], dt: float,
             declared: Mapping[tuple[int, ...], _Declared]) -> list[Loop]:
    """Value, sort and number integer cycles (``{length: flat}``, each cycle from its
    smallest node, lexicographic within a length) and make :class:`Loop` records."""
    if not by_length:
        return []
    n = len(names)
    blocks = _Blocks(by_length, n)
    keys, sign, gain, delay, into = _edge_arrays(effects, names)
    table: np.ndarray | _SearchTable
    if n <= 2048:  # a dense table of link numbers: one gather instead of a binary search
        table = np.zeros(n * n, dtype=np.intp)
        table[keys] = np.arange(keys.size)
    else:  # a sorted-key lookup on demand
        table = _SearchTable(keys)
    figures = [_block_figures(A, n, table, sign, gain, delay, into) for _, A in blocks.arrays]
    code, g, d, stocks = (np.concatenate(column) for column in zip(*figures))
    with np.errstate(all="ignore"):
        growth = np.full(len(code), np.nan)
        plain = (stocks == 0) & (g > 0) & (d > 0)
        growth[plain] = g[plain] ** (1.0 / d[plain])
        step = 1.0 + g * dt
        one = (stocks == 1) & (d == 0) & (step > 0) & (dt > 0)
        growth[one] = step[one] ** (1.0 / dt)
    # node names: per length, one gather of names and a zip of the columns into tuples
    labels = np.empty(n, dtype=object)
    for i, name in enumerate(names):
        labels[i] = name
    nodes = list(chain.from_iterable(zip(*labels[A.T].tolist()) for _, A in blocks.arrays))
    first = [(at, decl) for decl, at in ((decl, blocks.find(path))
                                         for path, decl in declared.items()) if at is not None]
    if first:  # declared loops first, in declaration order
        picked = [at for at, _ in first]
        rest = np.ones(len(code), dtype=bool)
        rest[picked] = False
        perm = np.concatenate([np.array(picked, dtype=np.intp), np.flatnonzero(rest)])
        code, g, d, growth, stocks = (a[perm] for a in (code, g, d, growth, stocks))
        nodes = list(map(nodes.__getitem__, perm.tolist()))
    polarity = _LETTERS[code].tolist()  # a gather of shared strings
    k = len(first)
    ids = [decl.id for _, decl in first]
    ids += _ids(polarity[k:], {dec.id for dec in declared.values()}) if declared else \
        _fast_ids(code[k:])
    titles = chain((decl.title for _, decl in first), repeat(None))
    flags = chain(repeat(True, k), repeat(False))
    make = partial(tuple.__new__, Loop)  # NamedTuple without its Python-level __new__
    return list(map(make, zip(ids, nodes, polarity, _listed(g), _listed(d), _listed(growth),
                              titles, flags, stocks.tolist())))


class _SearchTable:
    """``table[pairs]`` for a large graph: link numbers by binary search of sorted keys."""

    def __init__(self, keys: np.ndarray):
        self.keys = keys

    def __getitem__(self, pairs: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.keys, pairs)


def _listed(a: np.ndarray) -> list:
    """Floats as a list, NaN as None."""
    values = a.tolist()
    return [None if x != x else x for x in values] if np.isnan(a).any() else values


def _fast_ids(code: np.ndarray) -> list[str]:
    """R1, R2, B1, ... in list order (no names taken) for polarity codes 0 R, 1 B, 2 U:
    each polarity's names made in one comprehension, then dealt out by one numpy gather
    (a polarity's running count, offset to its names).

    >>> _fast_ids(np.array([0, 1, 0, 2]))
    ['R1', 'B1', 'R2', 'U1']
    """
    counts = np.bincount(code, minlength=3)
    names = np.array([f"{p}{i}" for p, k in zip("RBU", counts.tolist())
                      for i in range(1, k + 1)] or [""], dtype=object)
    where = np.empty(len(code), dtype=np.intp)
    offset = 0
    for p in range(3):
        mask = code == p
        where[mask] = np.arange(offset, offset + counts[p])
        offset += counts[p]
    return names[where].tolist()


def _ids(polarity: list[str], taken: set[str]) -> list[str]:
    """R1, R2, B1, ... in list order, skipping names in ``taken``.

    >>> _ids(["R", "B", "R", "U"], {"R2"})
    ['R1', 'B1', 'R3', 'U1']
    """
    if not taken:
        counters = {"R": 0, "B": 0, "U": 0}

        def next_id(p: str) -> str:
            counters[p] += 1
            return f"{p}{counters[p]}"

        return list(map(next_id, polarity))
    counters = {"R": 0, "B": 0, "U": 0}
    ids = []
    for p in polarity:
        counters[p] += 1
        name = f"{p}{counters[p]}"
        while name in taken:
            counters[p] += 1
            name = f"{p}{counters[p]}"
        ids.append(name)
    return ids


def _has_longer(G: nx.DiGraph, bound: int, through: str | None) -> bool:
    """Whether G may have a loop of more than ``bound`` links (a component is bigger)."""
    for component in nx.strongly_connected_components(G):
        if len(component) > bound and (through is None or through in component):
            return True
    return False


def _number(found: list[Loop], by_path: Mapping[tuple[str, ...], _Declared],
            order: Mapping[str, int]) -> list[Loop]:
    """Sort loops (already valued) and give each its id, as :func:`find_loops` does."""
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
            result.append(loop._replace(id=decl.id, title=decl.title, declared=True))
            continue
        while True:
            counters[loop.polarity] += 1
            name = f"{loop.polarity}{counters[loop.polarity]}"
            if name not in taken:
                break
        result.append(loop._replace(id=name, title=None, declared=False))
    return result


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
