"""Property tests of the loop analysis on random signed graphs (hypothesis).

- every elementary cycle is found once, as networkx finds it, rotated canonically;
- polarity is the parity of negative links, gain the product, cycle time the sum;
- the limits (max_loops, max_length, through) keep exactly what they promise and say so;
- the dominant growth factor equals the growth that stepping the linear model shows;
- the leverage elasticities equal finite differences;
- the independent loop set covers every link on a cycle, each loop adding a new link by
  a shortest loop through it.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.analysis import canonical, find_loops, link_effects
from loopdsl.analysis.independent import independent_cycles, independent_loops
from loopdsl.analysis.links import LinkEffect
from loopdsl.analysis.system import growth_factor, leverage

NAMES = ["a", "b", "Трафик", "曝光", "c_2", "UGC", "x", "销售"]


@st.composite
def signed_graphs(draw, max_nodes: int = 7, min_delay: int = 0, positive: bool = False):
    n = draw(st.integers(1, max_nodes))
    names = draw(st.permutations(NAMES))[:n]
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                         max_size=min(n * n, 18)))
    G = nx.DiGraph(step=1.0)
    for name in names:
        G.add_node(name, kind="node", label=name)
    for i, j in sorted(pairs):
        G.add_edge(names[i], names[j],
                   polarity=1 if positive else draw(st.sampled_from([1, -1])),
                   gain=draw(st.floats(0.1, 3.0)),
                   delay=float(draw(st.integers(min_delay, 3))), origin="link")
    return G


def reference_cycles(G, bound=None):
    order = {n: i for i, n in enumerate(G)}
    return {canonical(c, order) for c in nx.simple_cycles(G, length_bound=bound)}


@settings(max_examples=150, deadline=None)
@given(signed_graphs())
def test_every_cycle_once_as_networkx(G):
    loops = find_loops(G)
    assert not loops.truncated
    assert len(loops) == len(list(nx.simple_cycles(G)))
    assert {lp.nodes for lp in loops} == reference_cycles(G)
    assert len({lp.id for lp in loops}) == len(loops)
    order = {n: i for i, n in enumerate(G)}
    for lp in loops:
        assert order[lp.nodes[0]] == min(order[n] for n in lp.nodes)
    # stable: the same graph again gives the same list
    assert find_loops(G) == loops


@settings(max_examples=150, deadline=None)
@given(signed_graphs())
def test_polarity_gain_and_cycle_time(G):
    for lp in find_loops(G):
        negatives = sum(G.edges[u, v]["polarity"] < 0 for u, v in lp.links)
        assert lp.polarity == ("R" if negatives % 2 == 0 else "B")
        assert lp.id.startswith(lp.polarity)
        product = math.prod(G.edges[u, v]["polarity"] * G.edges[u, v]["gain"]
                            for u, v in lp.links)
        assert lp.gain == pytest.approx(product, rel=1e-12)
        assert lp.cycle_time == pytest.approx(sum(G.edges[u, v]["delay"] for u, v in lp.links))
        if lp.gain > 0 and lp.cycle_time > 0:
            assert lp.growth_per_time == pytest.approx(lp.gain ** (1 / lp.cycle_time))
        else:
            assert lp.growth_per_time is None


@settings(max_examples=100, deadline=None)
@given(signed_graphs(), st.integers(1, 5))
def test_max_length(G, bound):
    loops = find_loops(G, max_length=bound)
    assert {lp.nodes for lp in loops} == reference_cycles(G, bound)
    if any(len(c) > bound for c in nx.simple_cycles(G)):
        assert loops.truncated and f"max_length={bound}" in loops.reason


@settings(max_examples=100, deadline=None)
@given(signed_graphs(), st.integers(1, 6))
def test_max_loops(G, limit):
    total = reference_cycles(G)
    loops = find_loops(G, max_loops=limit)
    assert len(loops) == min(limit, len(total))
    assert {lp.nodes for lp in loops} <= total
    assert loops.truncated == (len(total) > limit)
    if loops.truncated:
        assert f"max_loops={limit}" in loops.reason


@settings(max_examples=100, deadline=None)
@given(signed_graphs(), st.data())
def test_through(G, data):
    node = data.draw(st.sampled_from(list(G)))
    every = find_loops(G)
    through = find_loops(G, through=node)
    assert {lp.nodes for lp in through} == {lp.nodes for lp in every if node in lp.nodes}
    bound = data.draw(st.integers(1, 4))
    short = find_loops(G, through=node, max_length=bound)
    assert {lp.nodes for lp in short} == {lp.nodes for lp in every
                                          if node in lp.nodes and lp.length <= bound}


def step_growth(G, steps: int = 3000, seed: int = 0) -> float:
    """Growth per step seen by stepping x_j(t) = sum_i e_ij x_i(t - k_ij) directly."""
    names = list(G)
    rng = np.random.default_rng(seed)
    K = int(max(d for _, _, d in G.edges(data="delay")))
    history = [rng.uniform(0.5, 1.5, len(names)) for _ in range(K)]
    index = {n: i for i, n in enumerate(names)}
    incoming = [[(index[u], int(d["delay"]), d["polarity"] * d["gain"])
                 for u, _, d in G.in_edges(n, data=True)] for n in names]
    log_scale = 0.0
    marks = {}
    for t in range(steps):
        x = np.array([sum(e * history[-k][i] for i, k, e in inc) for inc in incoming])
        history.append(x)
        history = history[-K:]
        top = max(float(np.max(np.abs(h))) for h in history)
        if top == 0:
            return 0.0
        history = [h / top for h in history]
        log_scale += math.log(top)
        marks[t] = log_scale
    start = steps // 3
    return math.exp((marks[steps - 1] - marks[start]) / (steps - 1 - start))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signed_graphs(max_nodes=6, min_delay=1), st.integers(0, 1000))
def test_spectral_radius_is_the_growth_of_repeated_steps(G, seed):
    assume(G.number_of_edges() > 0)
    rho = growth_factor(G)
    seen = step_growth(G, seed=seed)
    if rho == 0:
        assert seen == 0
    else:
        assert seen == pytest.approx(rho, rel=0.02)


def _with_gain(effects, link, factor):
    changed = dict(effects)
    e = changed[link]
    changed[link] = LinkEffect(e.sign, e.gain * factor, e.delay, e.into_stock, e.modelled)
    return changed


@settings(max_examples=80, deadline=None)
@given(signed_graphs(max_nodes=6, min_delay=1))
def test_leverage_equals_finite_differences(G):
    effects = link_effects(G)
    base = growth_factor(G, effects)
    assume(base is not None and base > 1e-3)
    h = 1e-6
    for lever in leverage(G, effects):
        link = (lever.source, lever.target)
        up = (growth_factor(G, _with_gain(effects, link, 1 + h)) / base - 1) / h
        down = (1 - growth_factor(G, _with_gain(effects, link, 1 - h)) / base) / h
        assume(abs(up - down) < 1e-4 * max(1.0, abs(up)))  # a simple dominant eigenvalue
        assert lever.gain_elasticity == pytest.approx((up + down) / 2, rel=1e-3, abs=1e-6)
        plus = 100 * (growth_factor(G, _with_gain(effects, link, 1.1)) / base - 1)
        assert lever.gain_plus_10 == pytest.approx(plus, rel=1e-9, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(signed_graphs())
def test_independent_set_covers_every_cyclic_link(G):
    comp = {n: i for i, c in enumerate(nx.strongly_connected_components(G)) for n in c}
    cyclic = {(u, v) for u, v in G.edges if comp[u] == comp[v]}
    covered: set = set()
    for cycle in independent_cycles(G):
        assert len(set(cycle)) == len(cycle)  # elementary
        links = {(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))}
        assert links <= set(G.edges)
        new = links - covered
        assert new  # each loop adds a link not yet covered
        # ... and is a shortest loop through one of its new links
        assert any(len(cycle) == 1 + nx.shortest_path_length(G, v, u) for u, v in new)
        covered |= links
    assert covered == cyclic
    loops = independent_loops(G)
    assert len(loops) <= max(0, len(cyclic))
    assert {lp.nodes for lp in loops} <= reference_cycles(G)


def test_independent_set_on_a_5000_node_sparse_model():
    G = nx.gnm_random_graph(5000, 10000, seed=7, directed=True)
    G = nx.relabel_nodes(G, {i: f"n{i}" for i in G})
    for u, v in G.edges:
        G.edges[u, v].update(polarity=1 if (hash((u, v)) & 1) else -1, gain=0.5, delay=1.0,
                             origin="link")
    loops = independent_loops(G)
    comp = {n: i for i, c in enumerate(nx.strongly_connected_components(G)) for n in c}
    cyclic = {(u, v) for u, v in G.edges if comp[u] == comp[v]}
    assert {link for lp in loops for link in lp.links} == cyclic
    assert all(len(set(lp.nodes)) == lp.length for lp in loops)


@settings(max_examples=40, deadline=None)
@given(signed_graphs(max_nodes=5, min_delay=1))
def test_the_same_through_the_language(G):
    ascii_names = {n: f"v{i}" for i, n in enumerate(G)}
    lines = [f'node {ascii_names[n]} "{n}"' for n in G]
    for u, v, d in G.edges(data=True):
        sign = "+" if d["polarity"] > 0 else "-"
        lines.append(f"{ascii_names[u]} -[{sign} gain {d['gain']!r} delay {int(d['delay'])}]-> "
                     f"{ascii_names[v]}")
    model = loopdsl.loads("\n".join(lines))
    back = {v: k for k, v in ascii_names.items()}
    got = {tuple(back[n] for n in lp.nodes): (lp.polarity, lp.gain, lp.cycle_time)
           for lp in model.find_loops()}
    want = {lp.nodes: (lp.polarity, lp.gain, lp.cycle_time) for lp in find_loops(G)}
    assert got.keys() == want.keys()
    for k in got:
        assert got[k][0] == want[k][0] and got[k][2] == want[k][2]
        assert got[k][1] == pytest.approx(want[k][1], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(signed_graphs(max_nodes=6, min_delay=1))
def test_stepped_radius_matches_the_dense_one(G):
    from loopdsl.analysis.system import (
        _dominant_of, _lag_matrices, _sized_components, linear_model, stepped_radius,
    )
    lin = linear_model(G)
    for nodes, _ in _sized_components(lin):
        dense = _dominant_of(_lag_matrices(lin, nodes), nodes)
        exact = 0.0 if dense is None else abs(dense.value)
        # abs: a component whose loops cancel has radius 0, which dense eigenvalues show
        # only to within rounding (about eps ** (1 / size of the Jordan block))
        assert stepped_radius(lin, nodes) == pytest.approx(exact, rel=0.02, abs=1e-3)


def _root_near(terms, m, start, moved=None, lag=None):
    """A root of det(I - sum_terms coef z^-lag) near ``start`` (secant method), with one
    term's lag replaced by a real number."""
    def f(z):
        F = np.eye(m, dtype=complex)
        for k, (j, i, L, c) in enumerate(terms):
            F[j, i] -= c * z ** (-(lag if k == moved else L))
        return np.linalg.det(F)
    z0, z1 = start, start * (1 + 1e-4)
    f0, f1 = f(z0), f(z1)
    for _ in range(100):
        if f1 == f0:
            break
        z0, z1, f0 = z1, z1 - f1 * (z1 - z0) / (f1 - f0), f1
        f1 = f(z1)
        if abs(z1 - z0) < 1e-14 * abs(z1):
            break
    return z1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(signed_graphs(max_nodes=5, min_delay=1, positive=True))
def test_delay_elasticity_equals_finite_differences(G):
    # positive links: the dominant eigenvalue is real and positive (Perron-Frobenius)
    from loopdsl.analysis.system import dominant, linear_model
    lin = linear_model(G)
    d = dominant(lin)
    assume(d is not None and abs(d.value) > 1e-2 and abs(d.value.imag) < 1e-9
           and d.value.real > 0)
    local = {n: i for i, n in enumerate(d.nodes)}
    inside = [t for t in lin.terms if t.source in local and t.target in local]
    terms = [(local[t.target], local[t.source], t.lag, t.coef) for t in inside]
    levers = {(lv.source, lv.target): lv for lv in leverage(G)}
    h = 1e-5
    for k, t in enumerate(inside):
        lever = levers[t.link]
        up = _root_near(terms, len(local), d.value, k, t.lag + h)
        down = _root_near(terms, len(local), d.value, k, t.lag - h)
        assume(abs(up.imag) < 1e-9 and abs(down.imag) < 1e-9)
        # growth per time unit is l ** (1 / dt); dt = 1 here
        expected = t.lag * (up.real - down.real) / (2 * h) / d.value.real
        assume(abs(up.real - d.value.real) < 1e-3)  # the same root followed
        assert lever.delay_elasticity == pytest.approx(expected, rel=1e-4, abs=1e-7)
