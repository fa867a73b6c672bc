"""The fast cycle search (loopdsl/analysis/johnson.py) against networkx, and find_loops'
fast path against its networkx-order stream (the path a time budget takes): the same
loops, ids, figures and order, bit for bit."""

from __future__ import annotations

import time

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from loopdsl.analysis import cycles as cycles_module
from loopdsl.analysis import find_loops
import numpy as np

from loopdsl.analysis.johnson import cycles_by_length, sorted_cycles


@st.composite
def int_graphs(draw, max_nodes: int = 8):
    n = draw(st.integers(1, max_nodes))
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                         max_size=min(n * n, 30)))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(sorted(pairs))
    return G


def expected(G: nx.DiGraph) -> list[list[int]]:
    """networkx's cycles, each from its smallest node, by length then lexicographically."""
    found = []
    for c in nx.simple_cycles(G):
        i = c.index(min(c))
        found.append(c[i:] + c[:i])
    return sorted(found, key=lambda c: (len(c), c))


def unpack(by_length: dict[int, list[int]]) -> list[list[int]]:
    return [flat[i:i + L] for L, flat in sorted(by_length.items())
            for i in range(0, len(flat), L)]


@settings(max_examples=200, deadline=None)
@given(int_graphs())
def test_the_cycles_of_networkx_in_sorted_order(G):
    succ = [list(G.successors(v)) for v in G]
    assert unpack(cycles_by_length(succ)) == expected(G)


@settings(max_examples=200, deadline=None)
@given(int_graphs())
def test_busiest_first_then_sorted(G):
    succ = [list(G.successors(v)) for v in G]
    found = sorted_cycles(succ)
    got = [row for L, a in sorted(found.items())
           for row in np.asarray(a).reshape(-1, L).tolist()]
    assert got == expected(G)


@settings(max_examples=100, deadline=None)
@given(int_graphs(), st.integers(0, 20))
def test_limit_gives_none_only_past_it(G, limit):
    succ = [list(G.successors(v)) for v in G]
    total = len(expected(G))
    for result in (cycles_by_length(succ, limit),
                   cycles_by_length(succ, limit, deadline=time.monotonic() + 1e6)):
        assert (result is None) == (total > limit)
        if result is not None:
            assert unpack(result) == expected(G)


def test_deadline_stops_the_search():
    G = nx.complete_graph(12, create_using=nx.DiGraph)  # about 10^8 cycles
    succ = [list(G.successors(v)) for v in G]
    assert cycles_by_length(succ, deadline=time.monotonic() + 0.05) is None


def test_a_self_loop_and_a_node_on_no_cycle():
    # 0 -> 1 -> 0, 1 -> 2 (2 on no cycle), 3 -> 3
    assert cycles_by_length([[1], [0, 2], [], [3]]) == {1: [3], 2: [0, 1]}


@st.composite
def valued_graphs(draw):
    G = draw(int_graphs(max_nodes=7))
    names = draw(st.permutations(["a", "Трафик", "曝光", "b", "UGC", "销售", "z"]))
    G = nx.relabel_nodes(G, dict(enumerate(names)))
    for u, v in G.edges:
        G.edges[u, v].update(
            polarity=draw(st.sampled_from([1, -1, 0])),
            gain=draw(st.one_of(st.none(), st.floats(-3.0, 3.0))),
            delay=draw(st.one_of(st.none(), st.floats(0.0, 3.0))), origin="link")
    G.graph["step"] = draw(st.sampled_from([None, 0.25, 1.0]))
    return G


@settings(max_examples=150, deadline=None)
@given(valued_graphs(), st.data())
def test_fast_path_equals_the_stream(G, data):
    cycles = list(nx.simple_cycles(G))
    chosen = data.draw(st.lists(st.sampled_from(cycles), max_size=3) if cycles
                       else st.just([]))
    declared = [(f"R{i + 1}", c) for i, c in enumerate(chosen)] + [("B9", ["nowhere"])]
    limit = data.draw(st.integers(0, 12))
    for kwargs in ({}, {"declared": declared}, {"time_budget": 1e6},
                   {"max_loops": limit, "declared": declared}):
        fast = find_loops(G, **kwargs)
        cycles_module._FAST = False
        try:
            stream = find_loops(G, **kwargs)  # the networkx-order path
        finally:
            cycles_module._FAST = True
        assert repr(list(fast)) == repr(list(stream))
        assert (fast.truncated, fast.reason) == (stream.truncated, stream.reason)
