"""Johnson's elementary-cycle search on an integer graph, cycles written flat, in order.

:func:`cycles_by_length` finds the same cycles as :func:`networkx.simple_cycles` but
(a) each starts at its smallest node, (b) they come out in lexicographic order (start
nodes ascending, successors tried in ascending order: a depth-first search then meets
paths in lexicographic order, and Johnson's blocking only prunes dead branches), and
(c) they are written into one flat list of node numbers per cycle length, with no list
object per cycle. Plain lists (successors, a bytearray of blocked flags) replace
networkx's graph views. About 1.5-2x faster than networkx on dense graphs.

>>> cycles_by_length([[1], [0, 2], [1, 2]])
{1: [2], 2: [0, 1, 1, 2]}
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

CHECK = 1024  # cycles between looks at the clock


def _reaching(s: int, pred: Sequence[Sequence[int]]) -> list[int]:
    """The nodes >= s that reach s through nodes >= s (s included): Johnson's component
    of s, all that the search from s may enter (``pred`` holds no node below s)."""
    seen = {s}
    todo = [s]
    for u in todo:  # todo grows as we go: a breadth-first walk backwards
        for p in pred[u]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return todo


def cycles_by_length(succ: Sequence[Sequence[int]], limit: int | None = None,
                     deadline: float | None = None) -> dict[int, list[int]] | None:
    """Every elementary cycle of the graph ``v -> succ[v]`` (nodes 0..n-1).

    Returns ``{length: flat}``: the cycles of each length one after another in ``flat``,
    each from its smallest node, in lexicographic order; or None as soon as more than
    ``limit`` cycles exist or :func:`time.monotonic` passes ``deadline`` (checked every
    1024 cycles and at each start node).

    >>> cycles_by_length([[1, 2], [2, 0], [0]])
    {2: [0, 1, 0, 2], 3: [0, 1, 2]}
    >>> cycles_by_length([[1, 2], [2, 0], [0]], limit=2) is None
    True
    """
    n = len(succ)
    cap = sys.maxsize if limit is None else limit
    # the hot loop only counts down ``left``; below 0 it is time for a checkpoint: the
    # limit, or (every CHECK cycles) the clock
    found = 0  # cycles before the current countdown
    step = left = min(cap, CHECK) if deadline is not None else cap

    def over() -> bool:
        nonlocal found, step, left
        found += step + 1
        if found > cap or (deadline is not None and time.monotonic() > deadline):
            return True
        step = left = min(cap - found, CHECK) if deadline is not None else cap - found
        return False
    # successors ascending, so the search meets cycles in lexicographic order
    nbrs = [sorted(set(vs)) for vs in succ]
    pred: list[list[int]] = [[] for _ in range(n)]
    for v, vs in enumerate(nbrs):
        for w in vs:
            pred[w].append(v)
    out: list[list[int]] = [[] for _ in range(n + 1)]  # flat cycles by length
    for s in range(n):
        if deadline is not None and time.monotonic() > deadline:
            return None
        if not pred[s]:  # on no cycle
            for w in nbrs[s]:
                pred[w].remove(s)
            continue
        # s is the smallest node left, so the first entry of its predecessors' lists:
        # take it out now and mark those predecessors instead, so the search needs no
        # "is this the start?" test per successor
        closes = bytearray(n)
        for p in pred[s]:
            closes[p] = 1
            del nbrs[p][0]
        allowed = _reaching(s, pred)
        for w in nbrs[s]:
            pred[w].remove(s)
        blocked = bytearray(b"\x01") * n  # nodes outside s's component stay blocked
        for v in allowed:
            blocked[v] = 0
        blocked[s] = 1
        B: defaultdict[int, set[int]] = defaultdict(set)
        path = [s]
        if closes[s]:  # a self-loop
            out[1].append(s)
            left -= 1
            if left < 0 and over():
                return None
        stack = [iter(nbrs[s])]
        closed = [closes[s]]
        while stack:
            for w in stack[-1]:
                if not blocked[w]:
                    path.append(w)
                    if closes[w]:  # before w's successors: a prefix sorts first
                        out[len(path)] += path
                        left -= 1
                        if left < 0 and over():
                            return None
                    closed.append(closes[w])
                    stack.append(iter(nbrs[w]))
                    blocked[w] = 1
                    break
            else:  # every successor tried: step back
                stack.pop()
                v = path.pop()
                if closed.pop():
                    if closed:
                        closed[-1] = 1
                    blocked[v] = 0
                    if v in B:  # unblock what waited on v (most often nothing)
                        unblock = B.pop(v)
                        while unblock:
                            u = unblock.pop()
                            if blocked[u]:
                                blocked[u] = 0
                                if u in B:
                                    unblock |= B.pop(u)
                else:
                    for w in nbrs[v]:
                        B[w].add(v)
    return {L: flat for L, flat in enumerate(out) if flat}


def sorted_cycles(succ: Sequence[Sequence[int]], limit: int | None = None,
                  deadline: float | None = None) -> Mapping[int, list[int] | np.ndarray] | None:
    """:func:`cycles_by_length`, or ``{length: (cycles x length) array}``, each cycle from
    its smallest node, lexicographic within a length, searched busiest node first.

    Johnson's search removes one start node after another; removing the nodes with the
    most paths through them (in-degree x out-degree) first leaves less to search: about
    2.7x less on a random 40-node graph. The cycles then start at their search start:
    each is turned to start at its smallest node and the rows sorted (numpy). On graphs
    where every node is as busy (complete, regular) the order is plain and nothing moves.

    >>> {L: np.asarray(a).reshape(-1, L).tolist()
    ...  for L, a in sorted_cycles([[1, 2], [2, 0], [0, 1]]).items()}
    {2: [[0, 1], [0, 2], [1, 2]], 3: [[0, 1, 2], [0, 2, 1]]}
    """
    n = len(succ)
    indeg = [0] * n
    for vs in succ:
        for w in set(vs):
            indeg[w] += 1
    busy = sorted(range(n), key=lambda v: (-indeg[v] * len(set(succ[v])), v))
    if busy == list(range(n)):  # the search meets the cycles in order: flat lists
        return cycles_by_length(succ, limit, deadline)
    rank = [0] * n
    for r, v in enumerate(busy):
        rank[v] = r
    found = cycles_by_length([[rank[w] for w in succ[v]] for v in busy], limit, deadline)
    if found is None:
        return None
    node = np.array(busy, dtype=np.intp)  # search rank -> node
    result: dict[int, list[int] | np.ndarray] = {}
    for L, flat in found.items():
        A = node[np.asarray(flat, dtype=np.intp).reshape(-1, L)]
        first = A.argmin(axis=1)  # turn each row to start at its smallest node
        A = A[np.arange(len(A))[:, None], (first[:, None] + np.arange(L)) % L]
        if n <= 256:  # rows as byte strings: one memcmp sort (a node 0 can only lead)
            keys = np.ascontiguousarray(A, dtype=np.uint8).view(f"S{L}").ravel()
            result[L] = A[np.argsort(keys, kind="stable")]
        else:
            result[L] = A[np.lexsort(A.T[::-1])]  # rows in lexicographic order
    return result
