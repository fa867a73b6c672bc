"""The shortest independent loop set (Oliva 2004): few loops that together cover every link.

Dense models have exponentially many loops; an independent set has at most one loop per
link on a cycle, and each loop in it adds at least one link no earlier loop has. The
search runs per cycle partition (strongly connected component), shortest loops first:
in rounds of a doubling length bound ``L`` (1, 2, 4, ...), every link not yet covered
looks for its shortest loop of at most ``L`` links (a breadth-first search from the
link's target back to its source); the loops found in a round are taken in order of
length, each kept only if it adds a link not yet covered. A loop found in round ``L`` is
the shortest through its link, so the order is shortest-first up to a factor of 2 between
rounds and exact within one. Links whose shortest loop is longer than
:data:`EXACT_UP_TO` links are then taken one by one in graph order (each with its own
shortest loop), so one very long loop costs one search, not one per link.

>>> import loopdsl
>>> G = loopdsl.loads("a -> b -> a  b -> c -> a  c -> c").graph
>>> [l.nodes for l in independent_loops(G)]
[('c',), ('a', 'b'), ('a', 'b', 'c')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from loopdsl.analysis.cycles import Loop, LoopList, _Declared, _figures, _number, canonical
from loopdsl.analysis.cycles import _declared as declared_loops
from loopdsl.analysis.links import LinkEffect, link_effects

EXACT_UP_TO = 64
"""Loops up to this many links are chosen strictly in rounds of doubling length."""


def _shortest_back(adj: list[list[int]], radj: list[list[int]], start: int, goal: int,
                   cutoff: int, comp_of: list[int], comp: int) -> list[int] | None:
    """Shortest path start -> goal of at most ``cutoff`` links inside one component.

    Bidirectional breadth-first search: a full level of the smaller side at a time, and
    the best meeting node of that level.
    """
    if start == goal:
        return [start]
    if cutoff < 1:
        return None
    fwd = {start: -1}
    bwd = {goal: -1}
    ffront, bfront = [start], [goal]
    fdist = {start: 0}
    bdist = {goal: 0}
    df = db = 0
    while ffront and bfront and df + db < cutoff:
        forward = len(ffront) <= len(bfront)
        front, seen, other, dist, odist, graph = (
            (ffront, fwd, bwd, fdist, bdist, adj) if forward
            else (bfront, bwd, fwd, bdist, fdist, radj))
        depth = (df if forward else db) + 1
        nxt = []
        best, meet = None, None
        for x in front:
            for y in graph[x]:
                if y in seen or comp_of[y] != comp:
                    continue
                seen[y] = x
                dist[y] = depth
                nxt.append(y)
                if y in other and (best is None or odist[y] < best):
                    best, meet = odist[y], y
        if forward:
            ffront, df = nxt, depth
        else:
            bfront, db = nxt, depth
        if meet is not None:
            head = [meet]
            while fwd[head[-1]] != -1:
                head.append(fwd[head[-1]])
            tail = []
            node = meet
            while bwd[node] != -1:
                node = bwd[node]
                tail.append(node)
            path = head[::-1] + tail
            return path if len(path) - 1 <= cutoff else None
    return None


def independent_cycles(G: nx.DiGraph) -> list[list[Any]]:
    """The node lists of a shortest independent loop set, in the order they were chosen.

    >>> import networkx as nx
    >>> independent_cycles(nx.DiGraph([(0, 1), (1, 0), (1, 2), (2, 0)]))
    [[1, 0], [2, 0, 1]]
    """
    names = list(G)
    index = {n: i for i, n in enumerate(names)}
    adj: list[list[int]] = [[] for _ in names]
    radj: list[list[int]] = [[] for _ in names]
    for u, v in G.edges:
        adj[index[u]].append(index[v])
        radj[index[v]].append(index[u])
    comp_of = [-1] * len(names)
    for c, comp in enumerate(nx.strongly_connected_components(G)):
        for n in comp:
            comp_of[index[n]] = c
    pending = [(index[u], index[v]) for u, v in G.edges
               if comp_of[index[u]] == comp_of[index[v]]]
    covered: set[tuple[int, int]] = set()
    chosen: list[list[int]] = []

    def take(back: list[int]) -> None:
        links = [(back[i], back[(i + 1) % len(back)]) for i in range(len(back))]
        if not all(link in covered for link in links):
            covered.update(links)
            chosen.append(back)  # v ... u, closed by the link u -> v

    bound = 1
    while pending and bound <= EXACT_UP_TO:
        found, waiting = [], []
        for order, (u, v) in enumerate(pending):
            back = _shortest_back(adj, radj, v, u, bound - 1, comp_of, comp_of[u])
            if back is None:
                waiting.append((u, v))
            else:
                found.append((len(back), order, back))
        found.sort()
        for _, _, back in found:
            take(back)
        pending = [e for e in waiting if e not in covered]
        bound *= 2
    for u, v in pending:  # longer loops: each link's shortest loop, taken at once
        if (u, v) not in covered:
            back = _shortest_back(adj, radj, v, u, len(names), comp_of, comp_of[u])
            if back is not None:
                take(back)
    return [[names[i] for i in cycle] for cycle in chosen]


def independent_loops(G: nx.DiGraph, *, declared: Iterable[Any] | None = None,
                      effects: Mapping[tuple[str, str], LinkEffect] | None = None) -> LoopList:
    """The shortest independent loop set of G, as numbered :class:`Loop` records.

    Parameters
    ----------
    G : networkx.DiGraph
    declared : iterable of LoopDecl, optional
        Names for loops the model declares.
    effects : mapping, optional
        Link figures (see :func:`loopdsl.analysis.links.link_effects`).

    Returns
    -------
    LoopList
        Sorted by length, then graph order (ids as in :func:`find_loops`); never
        truncated. Every link that lies on some cycle lies on one of these loops.

    Examples
    --------
    >>> import loopdsl
    >>> G = loopdsl.loads("a -> b -> c -> a  c -> b").graph
    >>> [(l.id, l.nodes) for l in independent_loops(G)]
    [('R1', ('b', 'c')), ('R2', ('a', 'b', 'c'))]

    Notes
    -----
    Each round costs one bounded breadth-first search per uncovered link; there are at
    most 8 rounds, then one search per loop. Worst case :math:`O(e (n + e))`.

    References
    ----------
    .. [1] R. Oliva, "Model structure analysis through graph theory: partition heuristics
       and feedback structure decomposition", System Dynamics Review 20(4), 2004.
    """
    if effects is None:
        effects = link_effects(G)
    order = {n: i for i, n in enumerate(G)}
    dt = G.graph.get("step") or 1.0
    by_path: dict[tuple[str, ...], _Declared] = {}
    for d in declared_loops(declared):
        if d.path and all(n in order for n in d.path):
            by_path.setdefault(canonical(d.path, order), d)
    loops = []
    for cycle in independent_cycles(G):
        nodes = canonical(cycle, order)
        polarity, gain, delay, growth, stocks = _figures(nodes, effects, dt)
        loops.append(Loop("", nodes, polarity, gain, delay, growth, stocks=stocks))
    by_path = {p: d for p, d in by_path.items() if any(lp.nodes == p for lp in loops)}
    return LoopList(_number(loops, by_path, order))


__all__ = ["independent_loops", "independent_cycles"]
