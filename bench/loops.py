"""Loop analysis speed: ``find_loops`` against raw ``networkx.simple_cycles``, and the
shortest independent loop set on 5,000-node sparse models.

``find_loops`` does more than enumerate: it values every loop (polarity, gain, cycle
time, growth), sorts them into a stable order and numbers them. The peer is
``list(networkx.simple_cycles(G))`` on the same graph (the cycles as lists of nodes).
Both are timed in one process, side by side, as the least CPU time of the process over
N runs (wall time on a shared machine is mostly other people's work). Goal: under 1.5x
per loop.

Run: ``python bench/loops.py`` (about a minute).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loopdsl.analysis import find_loops  # noqa: E402
from loopdsl.analysis.independent import independent_loops  # noqa: E402


def signed(G: nx.DiGraph, seed: int = 0) -> nx.DiGraph:
    """String node names and random link polarity, gain and delay (as a model's graph)."""
    rng = random.Random(seed)
    G = nx.relabel_nodes(G, {n: f"node_{n}" for n in G})
    for u, v in G.edges:
        G.edges[u, v].update(polarity=rng.choice([1, -1]), gain=rng.uniform(0.1, 2.0),
                             delay=float(rng.randint(0, 3)), origin="link")
    return G


def lattice(n: int, steps: tuple[int, ...]) -> nx.DiGraph:
    """A ring of n nodes where each node links to the nodes steps ahead (a dense flywheel)."""
    return nx.DiGraph((i, (i + s) % n) for i in range(n) for s in steps)


def best(fn, repeat: int) -> float:
    """Least CPU time of this process over ``repeat`` runs (the machine may be shared)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def enumeration_table(repeat: int = 5) -> list[tuple]:
    graphs = {
        "complete K8": nx.complete_graph(8, create_using=nx.DiGraph),
        "random 16 nodes, 60 links": nx.gnm_random_graph(16, 60, seed=1, directed=True),
        "random 40 nodes, 90 links": nx.gnm_random_graph(40, 90, seed=3, directed=True),
        "ring lattice 24 (+1 +2 -5)": lattice(24, (1, 2, -5)),
    }
    rows = []
    for name, raw in graphs.items():
        G = signed(raw)
        count = sum(1 for _ in nx.simple_cycles(G))
        peer = best(lambda: list(nx.simple_cycles(G)), repeat)
        ours = best(lambda: find_loops(G), repeat)
        assert len(find_loops(G)) == count
        rows.append((name, count, 1e6 * peer / count, 1e6 * ours / count, ours / peer))
    return rows


def independent_table() -> list[tuple]:
    n = 5000
    ring = nx.DiGraph()
    for i in range(n):
        ring.add_edge(i, (i + 1) % n)
        if i % 2 == 0:
            ring.add_edge((i + 1) % n, i)
    graphs = {
        "random 5,000 nodes, 10,000 links": nx.gnm_random_graph(n, 2 * n, seed=1,
                                                                directed=True),
        "random 5,000 nodes, 15,000 links": nx.gnm_random_graph(n, 3 * n, seed=2,
                                                                directed=True),
        "ring of 5,000 with local loops": ring,
    }
    rows = []
    for name, raw in graphs.items():
        G = signed(raw)
        start = time.process_time()
        loops = independent_loops(G)
        elapsed = time.process_time() - start
        longest = max((lp.length for lp in loops), default=0)
        rows.append((name, G.number_of_edges(), len(loops), longest, elapsed))
    return rows


def model_text(n: int = 5000, links: int = 10000, seed: int = 5) -> str:
    """A sparse .loop model: n plain nodes, random signed links with gains and delays."""
    rng = random.Random(seed)
    edges: set[tuple[int, int]] = set()
    while len(edges) < links:
        u, v = rng.randrange(n), rng.randrange(n)
        if u != v:
            edges.add((u, v))
    lines = ['model big "A sparse 5,000-node model"', "time 0 to 10 step 1 unit week"]
    for u, v in sorted(edges):
        lines.append(f"n{u} -[{rng.choice('+-')} gain {rng.uniform(0.1, 1.2):.3f} "
                     f"delay {rng.randint(1, 3)}]-> n{v}")
    return "\n".join(lines) + "\n"


def model_row() -> tuple:
    import loopdsl

    text = model_text()
    start = time.process_time()
    model = loopdsl.loads(text)
    loaded = time.process_time() - start
    start = time.process_time()
    report = model.loop_report(independent=True)
    analysed = time.process_time() - start
    return (len(report.loops), report.system.growth_per_time, report.system.method, loaded,
            analysed)


def main() -> None:
    print("find_loops vs list(networkx.simple_cycles(G)), least CPU time of 5, per loop")
    print(f"{'graph':30} {'loops':>8} {'networkx us':>12} {'find_loops us':>14} {'ratio':>6}")
    for name, count, peer, ours, ratio in enumeration_table():
        print(f"{name:30} {count:8d} {peer:12.2f} {ours:14.2f} {ratio:6.2f}")
    print()
    print("independent_loops (shortest independent loop set, Oliva 2004), one run, CPU s")
    print(f"{'graph':34} {'links':>7} {'loops':>6} {'longest':>8} {'seconds':>8}")
    for name, links, count, longest, elapsed in independent_table():
        print(f"{name:34} {links:7d} {count:6d} {longest:8d} {elapsed:8.2f}")
    print()
    count, growth, method, loaded, analysed = model_row()
    print("loopdsl loops --independent on a 5,000-node, 10,000-link .loop model, CPU s")
    print(f"  parse and check {loaded:.2f}; independent loops ({count}) and system figures "
          f"(growth {growth:.4f} per week, {method}) {analysed:.2f}")


if __name__ == "__main__":
    main()
