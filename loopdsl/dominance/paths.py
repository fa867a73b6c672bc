"""Strongest-path loop discovery (Eberlein and Schoenberg, 2020), for models with too
many loops to list.

At one time step, every link has a score (its absolute link score). A depth-first
search from each start node follows the strongest links first and prunes a path when
it reaches a node with a smaller running product than the best seen there at this step;
a path that returns to the start closes a loop. The search is a heuristic (it may miss
a loop that a weaker prefix would have completed), but run at many steps it finds the
loops that carry the behaviour [1]_. Iterative, so deep graphs do not hit Python's
recursion limit.

>>> import networkx as nx
>>> G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "a")])
>>> s = {("a", "b"): 1.0, ("b", "a"): 0.5, ("b", "c"): 2.0, ("c", "a"): 2.0}
>>> sorted(strongest_loops(G, s, starts=["a"]))
[('a', 'b'), ('a', 'b', 'c')]

References
----------
.. [1] R. Eberlein and W. Schoenberg, "Finding the loops that matter", International
   System Dynamics Conference, 2020.
.. [2] W. Schoenberg, P. Davidsen and R. Eberlein, "Understanding model behavior using
   the Loops that Matter method", System Dynamics Review 36(2), 2020.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import networkx as nx

RESET_LIMIT = 300
"""Up to this many start nodes, best-score marks are cleared for each start."""


def rotate(path: tuple[str, ...] | list[str], order: Mapping[str, int]) -> tuple[str, ...]:
    """A loop rotated to start at its earliest node in ``order``.

    >>> rotate(["c", "a", "b"], {"a": 0, "b": 1, "c": 2})
    ('a', 'b', 'c')
    """
    i = min(range(len(path)), key=lambda j: order[path[j]])
    return tuple(path[i:]) + tuple(path[:i])


def strongest_loops(G: nx.DiGraph, scores: Mapping[tuple[str, str], float],
                    starts: Iterable[str] | None = None, found: set | None = None,
                    max_loops: int | None = None, deadline: float | None = None,
                    reset_per_start: bool | None = None) -> set[tuple[str, ...]]:
    """Loops found by one strongest-path pass over the link scores of one time step.

    Parameters
    ----------
    G : networkx.DiGraph
        The causal graph.
    scores : mapping of (source, target) to float
        Link scores at this step (their absolute values are used; links scoring 0
        are inactive and not followed).
    starts : iterable of str, optional
        Start nodes, in order; default every node on a cycle, stocks first (loopdsl's
        plain-node loops need not pass through a stock).
    found : set, optional
        Loops already known (rotated by graph order); new ones are added to it.
    max_loops : int, optional
        Stop when ``found`` holds this many loops.
    deadline : float, optional
        A :func:`time.monotonic` time after which to stop.
    reset_per_start : bool, optional
        Clear the best-score marks before each start node. The paper's pseudocode [1]_
        keeps them for the whole step, which prunes harder and finds fewer loops, in
        time linear in the graph per step; clearing costs up to one search per start.
        Default: clear when there are at most ``RESET_LIMIT`` start nodes.

    Returns
    -------
    set of tuple of str
        ``found``, with the loops of this pass added, each rotated to start at its
        earliest node in G's node order.
    """
    order = {v: i for i, v in enumerate(G)}
    found = set() if found is None else found
    out: dict[str, list[tuple[str, float]]] = {}
    for u in G:
        links = [(v, abs(float(scores.get((u, v), 0.0)))) for v in G.successors(u)]
        links = [(v, s) for v, s in links if s > 0 and s == s]
        links.sort(key=lambda item: -item[1])
        out[u] = links
    if starts is None:
        cyclic = {v for c in nx.strongly_connected_components(G) if len(c) > 1 for v in c}
        cyclic |= {v for v in G if G.has_edge(v, v)}
        starts = sorted(cyclic, key=lambda v: (G.nodes[v].get("kind") != "stock", order[v]))
    starts = list(starts)
    if reset_per_start is None:
        reset_per_start = len(starts) <= RESET_LIMIT
    best: dict[str, float] = {}
    for target in starts:
        if max_loops is not None and len(found) >= max_loops:
            break
        if deadline is not None and time.monotonic() > deadline:
            break
        if reset_per_start:
            best = {}
        if best.get(target, 0.0) > 1.0:
            continue  # reached earlier with a stronger product than a fresh start
        best[target] = 1.0
        visiting = {target}
        path = [target]
        stack = [(target, 1.0, iter(out[target]))]
        while stack:
            node, score, todo = stack[-1]
            step = next(todo, None)
            if step is None:
                stack.pop()
                path.pop()
                visiting.discard(node)
                continue
            nxt, s = step
            product = score * s
            if nxt in visiting:
                if nxt == target:
                    found.add(rotate(path, order))
                    if max_loops is not None and len(found) >= max_loops:
                        break
                continue
            if product < best.get(nxt, 0.0):
                continue
            best[nxt] = product
            visiting.add(nxt)
            path.append(nxt)
            stack.append((nxt, product, iter(out[nxt])))
    return found
