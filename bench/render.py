"""Rendering time for a generated 1,000-node model, beside Graphviz on the bare graph.

The model: 100 rings of 10 plain nodes (a flywheel each, one group per ring of
ten rings), each ring feeding the next ring, a negative chord and a delayed
link in every ring, labels in three scripts. Timed, each the best of
``--repeat`` runs:

- ``to_dot`` and ``to_mermaid`` (pure Python, no Graphviz program);
- ``render svg`` / ``render png``: the whole pipeline (loop analysis, DOT,
  layout by dot, loop markers placed and pinned, drawing by neato -n2);
- the peer: the ``dot`` program itself on a bare DOT of the same graph (node
  labels and edges only, no styling, no markers) via the graphviz package,
  which is what drawing the networkx graph directly would cost.

Run: ``python bench/render.py [--nodes 1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphviz  # noqa: E402

import loopdsl  # noqa: E402
from loopdsl.render import DiagramOptions, render, to_dot, to_mermaid  # noqa: E402

SCRIPTS = ("Traffic", "Трафик", "流量")


def generate(nodes: int = 1000, ring: int = 10) -> str:
    """A .loop model of ``nodes`` plain nodes in rings of ``ring``."""
    rings = nodes // ring
    lines = [f'model big "{nodes} nodes in {rings} rings"']
    for g in range(0, rings, 10):
        lines.append(f'group grp{g // 10} "Rings {g}-{g + 9}"')
    for r in range(rings):
        for i in range(ring):
            label = f"{SCRIPTS[(r + i) % 3]} {r}.{i}"
            lines.append(f'node n{r}_{i} "{label}" in grp{r // 10}')
        chain = " -> ".join(f"n{r}_{i}" for i in range(ring)) + f" -> n{r}_0"
        lines.append(chain)
        lines.append(f"n{r}_2 -[- gain 0.5]-> n{r}_1")
        lines.append(f"n{r}_5 -[+ delay 2]-> n{r}_7")
        if r + 1 < rings:
            lines.append(f"n{r}_4 -> n{r + 1}_0")
    return "\n".join(lines) + "\n"


def bare_dot(model: loopdsl.Model) -> str:
    g = graphviz.Digraph()
    for node, label in model.graph.nodes(data="label"):
        g.node(node, label=label)
    for u, v in model.graph.edges:
        g.edge(u, v)
    return g.source


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = generate(args.nodes)
    start = time.perf_counter()
    model = loopdsl.loads(text, "<generated>")
    load = time.perf_counter() - start
    G = model.graph
    print(f"model: {G.number_of_nodes()} nodes, {G.number_of_edges()} links; "
          f"compiled in {load:.2f} s")
    options = DiagramOptions()
    rows = [
        ("to_dot (no Graphviz)", best(lambda: to_dot(model, options), args.repeat)),
        ("to_mermaid (no Graphviz)", best(lambda: to_mermaid(model, options), args.repeat)),
    ]
    svg_time = best(lambda: render(model, "svg", options), args.repeat)
    rows.append(("loopdsl render svg (layout dot, markers)", svg_time))
    rows.append(("loopdsl render png", best(lambda: render(model, "png", options), 1)))
    source = bare_dot(model)
    peer = best(lambda: graphviz.Source(source).pipe(format="svg"), args.repeat)
    rows.append(("peer: dot -Tsvg on the bare graph", peer))
    for name, seconds in rows:
        print(f"{name:45s} {seconds:8.2f} s")
    print(f"render svg / bare dot: {svg_time / peer:.2f}x")


if __name__ == "__main__":
    main()
