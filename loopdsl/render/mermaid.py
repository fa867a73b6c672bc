"""A model as a Mermaid flowchart, which GitHub and MkDocs draw with no Graphviz.

Nodes get generated ids (``n0``, ``n1``...), so no model name can clash with a
Mermaid keyword (``end``, ``graph``...); every label is quoted text with
entity codes (:func:`loopdsl.render.escape.mermaid_text`). Links carry their
sign as the edge label (``‖`` marks a delay), groups are subgraphs, stocks are
rectangles, flows are hexagons on thick pipe links, information links from
equations are dotted. The loops are listed as ``%%`` comments, and a
highlighted loop's links are coloured with ``linkStyle``.

>>> import loopdsl
>>> print(to_mermaid(loopdsl.loads('node a "Say \\\\"hi\\\\""  a -[-]-> b')))
flowchart TB
    n0("Say #quot;hi#quot;")
    n1("b")
    n0 -->|"−"| n1
<BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import networkx as nx

from loopdsl.model import Flow, Model
from loopdsl.render.dot import CLOUD, SIGNS, VALVE, is_delayed, parameter_references
from loopdsl.render.escape import clean, mermaid_text
from loopdsl.render.loopmarks import DrawnLoop
from loopdsl.render.options import DiagramOptions
from loopdsl.render.themes import theme

SHAPES = {"node": ('("', '")'), "stock": ('["', '"]'), "flow": ('{{"', '"}}'),
          "aux": ('["', '"]'), "const": ('["', '"]')}


def _comment(text: str) -> str:
    return " ".join(text.split())


def to_mermaid(model: Model, options: DiagramOptions | None = None,
               loops: Sequence[DrawnLoop] = (), G: nx.DiGraph | None = None,
               signs: dict[tuple[str, str], int] | None = None) -> str:
    """The model as Mermaid ``flowchart`` text."""
    options = options or DiagramOptions()
    G = model.graph if G is None else G
    t = theme(options.theme)
    ids = {node: f"n{i}" for i, node in enumerate(G.nodes)}
    direction = options.direction
    lines = [f"flowchart {direction}"]
    if model.title:
        title = json.dumps(" ".join(clean(model.title).split()), ensure_ascii=False)
        lines.insert(0, f"---\ntitle: {title}\n---")
    for loop in loops:
        path = " -> ".join(loop.nodes + loop.nodes[:1])
        lines.append(f"    %% loop {_comment(loop.id)} ({loop.kind}): {_comment(path)}")

    def node_line(node: str, indent: str) -> str:
        data = G.nodes[node]
        kind = data.get("kind", "node")
        text = data.get("label") or node
        if kind == "flow":
            text = f"{VALVE} {text}"
        opening, closing = SHAPES.get(kind, SHAPES["node"])
        return f"{indent}{ids[node]}{opening}{mermaid_text(text)}{closing}"

    groups = {g.id: g for g in model.groups}
    members: dict[str, list[str]] = {}
    for node in G.nodes:
        members.setdefault(G.nodes[node].get("group") or "", []).append(node)
    for node in members.pop("", []):
        lines.append(node_line(node, "    "))
    for index, (group_id, nodes) in enumerate(members.items()):
        group = groups.get(group_id)
        label = group.label if group and group.label else group_id
        lines.append(f'    subgraph g{index}["{mermaid_text(label)}"]')
        lines.extend(node_line(node, "        ") for node in nodes)
        lines.append("    end")

    pipes = {n.id: (n.source, n.target) for n in model.nodes if isinstance(n, Flow)}
    links: list[tuple[str, str, str]] = []  # (text, graph edge u, v) for linkStyle
    clouds = 0
    for u, v, data in G.edges(data=True):
        pipe = pipes.get(u)
        if pipe is not None and v in pipe and data.get("origin") in ("flow", "link"):
            continue
        polarity = data.get("polarity", 0) or (signs or {}).get((u, v), 0)
        sign = SIGNS[polarity] if (data.get("origin") == "link" or polarity) else ""
        parts = [p for p in (sign, "‖" if is_delayed(data) else "", data.get("label") or "")
                 if p]
        arrow = "-.->" if data.get("origin") == "equation" else "-->"
        label = f'|"{mermaid_text(" ".join(parts))}"|' if parts else ""
        lines.append(f"    {ids[u]} {arrow}{label} {ids[v]}")
        links.append(("link", u, v))
    for u, v in parameter_references(model, G):  # where a push or capacity comes from
        lines.append(f"    {ids[u]} -.-> {ids[v]}")
        links.append(("link", u, v))
    for flow, (source, target) in pipes.items():
        if flow not in G:
            continue
        ends = []
        for end in (source, target):
            if end is None:
                name = f"c{clouds}"
                clouds += 1
                lines.append(f'    {name}(["{CLOUD}"])')
                ends.append(name)
            else:
                ends.append(ids[end])
        lines.append(f"    {ends[0]} === {ids[flow]}")
        links.append(("pipe", flow, source or ""))
        lines.append(f"    {ids[flow]} ==> {ends[1]}")
        links.append(("pipe", flow, target or ""))

    if options.highlight:
        focus = next((lp for lp in loops if lp.id == options.highlight), None)
        if focus is not None:
            edges = set(focus.edges)
            on = [str(i) for i, (_, u, v) in enumerate(links) if (u, v) in edges]
            off = [str(i) for i, (_, u, v) in enumerate(links) if (u, v) not in edges]
            if on:
                lines.append(f"    linkStyle {','.join(on)} stroke:{t.highlight},"
                             "stroke-width:3px")
            if off:
                lines.append(f"    linkStyle {','.join(off)} stroke:{t.faded}")
            lines.append("    classDef faded opacity:0.45")
            faded = [ids[n] for n in G.nodes if n not in set(focus.nodes)]
            if faded:
                lines.append(f"    class {','.join(faded)} faded")
    return "\n".join(lines) + "\n"
