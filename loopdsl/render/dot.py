"""A model as a Graphviz graph: the conventions of causal loop and stock-flow diagrams.

* every link ends in its sign (``+`` or ``−``, ``?`` where unknown) at the arrowhead;
* a delayed link carries a delay mark (two bars across the line, ``||``), drawn
  after layout at the middle of its route (the edge has ``delaymark=1``);
* stocks are boxes, flows are valves (``⋈``) on a double-line pipe, a flow with no
  stock at one end starts or ends in a cloud;
* links that come from equations (information links) are thinner and grey;
* groups are labelled clusters; the model's title is the graph's label.

Loop markers are placed after layout (see :mod:`loopdsl.render.layout`), so
they are not part of this graph. Every label goes through
:mod:`loopdsl.render.escape`: nothing in a model can change the DOT.

>>> import loopdsl
>>> from loopdsl.render.options import DiagramOptions
>>> g = build_digraph(loopdsl.loads('node a "A & B"  a -> b'), DiagramOptions(), [])
>>> print([line.strip() for line in g.body if "A &amp; B" in line][0][:20])
a [label=<A &amp; B>
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphviz
import networkx as nx

from loopdsl.expr import references
from loopdsl.model import Flow, Model
from loopdsl.render.escape import html_label, html_text
from loopdsl.render.loopmarks import DrawnLoop
from loopdsl.render.options import DiagramOptions
from loopdsl.render.themes import FONT, Theme, theme

VALVE = "⋈"
CLOUD = "☁"
SIGNS = {1: "+", -1: "−", 0: "?"}
LABEL_WIDTH = 18  # characters before a label wraps (at spaces only)


def node_name(kind: str, *parts: str) -> str:
    """The DOT name of a helper node (clouds, delay marks, loop markers).

    Model identifiers are word characters only, so a name with ``@`` and a
    space can never collide with one.
    """
    return "@" + kind + " " + " ".join(parts)


def is_delayed(data: dict[str, Any]) -> bool:
    """True when a link has a delay that is not (literally) zero."""
    if data.get("origin") != "link":
        return False
    if data.get("delay_expr") is not None and data.get("delay") is None:
        return True
    return bool(data.get("delay"))


def parameter_references(model: Model, G: nx.DiGraph) -> list[tuple[str, str]]:
    """(source, node) for names read by a node's push, decay or capacity but not yet linked.

    They are not causal links of the graph (the analysis leaves them out), but a
    reader should see where a push comes from, so they are drawn as information links.
    """
    pairs: list[tuple[str, str]] = []
    for node in model.nodes:
        for attr in ("push", "decay", "capacity"):
            for ref in sorted(references(getattr(node, attr, None))):
                if ref in G and node.id in G and not G.has_edge(ref, node.id) \
                        and (ref, node.id) not in pairs:
                    pairs.append((ref, node.id))
    return pairs


def _pipe_ends(model: Model) -> dict[str, tuple[str | None, str | None]]:
    return {n.id: (n.source, n.target) for n in model.nodes if isinstance(n, Flow)}


class DiagramBuilder:
    """Builds one :class:`graphviz.Digraph`; see :func:`build_digraph`."""

    def __init__(self, model: Model, options: DiagramOptions, loops: Sequence[DrawnLoop],
                 G: nx.DiGraph | None = None, signs: dict[tuple[str, str], int] | None = None):
        self.model = model
        self.signs = signs or {}
        self.export = False  # True for a .dot file: marks that need no second pass
        self.G = model.graph if G is None else G
        self.options = options
        self.widths = dict(options.link_widths)
        self.theme: Theme = theme(options.theme)
        self.loops = list(loops)
        self.focus: DrawnLoop | None = None
        if options.highlight:
            self.focus = next(loop for loop in self.loops if loop.id == options.highlight)
        self.focus_nodes = set(self.focus.nodes) if self.focus else set()
        self.focus_edges = set(self.focus.edges) if self.focus else set()
        self.pipes = _pipe_ends(model)

    # -- colours -------------------------------------------------------------
    def faded_node(self, node: str) -> bool:
        return self.focus is not None and node not in self.focus_nodes

    def faded_edge(self, u: str, v: str) -> bool:
        return self.focus is not None and (u, v) not in self.focus_edges

    def edge_color(self, u: str, v: str, base: str) -> str:
        if self.focus is None:
            return base
        return self.theme.highlight if (u, v) in self.focus_edges else self.theme.faded

    # -- graph ---------------------------------------------------------------
    def build(self, engine: str) -> graphviz.Digraph:
        t = self.theme
        g = graphviz.Digraph(name=self.model.name or "model", engine=engine)
        graph_attrs = dict(bgcolor=t.background, fontname=FONT, fontcolor=t.text,
                           fontsize="16", pad="0.3", nodesep="0.5", ranksep="0.55",
                           outputorder="edgesfirst", newrank="true")
        if engine == "dot":
            graph_attrs["rankdir"] = self.options.direction
        else:
            graph_attrs.update(overlap="false", splines="true", sep="+12")
            if engine == "circo":
                graph_attrs["mindist"] = "0.9"
        title = self.model.title
        if title:
            graph_attrs.update(label=html_label(title), labelloc="t", labeljust="c")
        graph_attrs["forcelabels"] = "true"  # flows' names (xlabels) always shown
        g.attr("graph", **graph_attrs)
        g.attr("node", fontname=FONT, fontsize="12", fontcolor=t.text, color=t.line,
               shape="box", style="rounded,filled", fillcolor=t.fill, margin="0.14,0.06",
               penwidth="1.2")
        g.attr("edge", fontname=FONT, fontsize="10", fontcolor=t.text, color=t.line,
               arrowsize="0.8", penwidth="1.3", labelfontname=FONT, labelfontsize="13",
               labeldistance="1.6", labelangle="-32")
        self.add_nodes(g)
        self.add_edges(g)
        return g

    def add_nodes(self, g: graphviz.Digraph) -> None:
        groups = {grp.id: grp for grp in self.model.groups}
        members: dict[str, list[str]] = {}
        for node in self.G.nodes:
            members.setdefault(self.G.nodes[node].get("group") or "", []).append(node)
        for node in members.pop("", []):
            g.node(node, **self.node_attrs(node))
        for index, (group_id, nodes) in enumerate(members.items()):
            group = groups.get(group_id)
            label = (group.label if group and group.label else group_id)
            with g.subgraph(name=f"cluster_{index}") as c:
                faded = self.focus is not None and not (set(nodes) & self.focus_nodes)
                c.attr(label=html_label(label, 28), style="rounded,dashed,filled",
                       color=self.theme.faded if faded else self.theme.cluster,
                       fillcolor=self.theme.cluster_fill, fontsize="13",
                       fontcolor=self.theme.faded if faded else self.theme.text,
                       penwidth="1.2", margin="14")
                if group and group.description:
                    c.attr(tooltip=graphviz.escape(group.description))
                for node in nodes:
                    c.node(node, **self.node_attrs(node))

    def node_attrs(self, node: str) -> dict[str, str]:
        t = self.theme
        data = self.G.nodes[node]
        kind = data.get("kind", "node")
        label = data.get("label") or node
        faded = self.faded_node(node)
        text = t.faded if faded else t.text
        line = t.faded if faded else (t.highlight if self.focus else t.line)
        attrs = {"fontcolor": text, "color": line}
        try:
            element = self.model.node(node)
        except KeyError:
            element = None
        if element is not None and element.description:
            attrs["tooltip"] = graphviz.escape(element.description)
        if kind == "stock":
            attrs.update(shape="box", style="filled", fillcolor=t.background if faded
                         else t.stock_fill, penwidth="2", margin="0.2,0.12",
                         label=html_label(label, LABEL_WIDTH))
        elif kind == "flow":
            valve_color = t.faded if faded else (t.highlight if self.focus else t.line)
            # the valve alone is the node, so pipes meet it from any side; the
            # flow's name is an external label placed beside it after layout
            attrs.update(shape="plain", style="", xlabel=html_label(label, LABEL_WIDTH),
                         label=f'<<FONT POINT-SIZE="24" COLOR="{valve_color}">{VALVE}</FONT>>')
        elif kind in ("aux", "const"):
            attrs.update(shape="plaintext", style="", label=html_label(label, LABEL_WIDTH))
        else:
            attrs.update(fillcolor=t.background if faded else t.fill,
                         label=html_label(label, LABEL_WIDTH))
            if self.focus and not faded:
                attrs["penwidth"] = "2"
        return attrs

    def add_edges(self, g: graphviz.Digraph) -> None:
        for u, v, data in self.G.edges(data=True):
            pipe = self.pipes.get(u)
            if pipe is not None and v in pipe and data.get("origin") in ("flow", "link"):
                continue  # drawn as the flow's pipe below
            self.add_link(g, u, v, data)
        for u, v in parameter_references(self.model, self.G):
            self.add_link(g, u, v, {"origin": "equation", "polarity": 0})
        for flow, (source, target) in self.pipes.items():
            if flow in self.G:
                self.add_pipe(g, flow, source, target)

    def sign_label(self, polarity: int, faded: bool) -> str:
        t = self.theme
        color = t.faded if faded else {1: t.plus, -1: t.minus}.get(polarity, t.unknown)
        return f'<<FONT COLOR="{color}"><B>{SIGNS[polarity]}</B></FONT>>'

    def add_link(self, g: graphviz.Digraph, u: str, v: str, data: dict[str, Any]) -> None:
        t = self.theme
        origin = data.get("origin")
        faded = self.faded_edge(u, v)
        attrs: dict[str, str] = {}
        polarity = data.get("polarity", 0) or self.signs.get((u, v), 0)
        if origin == "link" or polarity:
            attrs["headlabel"] = self.sign_label(polarity, faded)
        if origin == "equation":
            attrs.update(color=self.edge_color(u, v, t.info), penwidth="1", arrowsize="0.6")
        else:
            attrs["color"] = self.edge_color(u, v, t.line)
        if self.focus is not None and not faded:
            attrs["penwidth"] = "2.6"
        if (u, v) in self.widths:
            attrs["penwidth"] = f"{self.widths[u, v]:.2f}"
        if data.get("label"):
            attrs.update(label=html_label(data["label"], 24),
                         fontcolor=t.faded if faded else t.text)
        tooltip = []
        if data.get("gain_expr"):
            tooltip.append(f"gain {data['gain_expr']}")
        if data.get("delay_expr"):
            tooltip.append(f"delay {data['delay_expr']}")
        if tooltip:
            attrs["tooltip"] = graphviz.escape(", ".join(tooltip))
        if is_delayed(data):
            # The delay mark (two bars across the line) is drawn after layout,
            # at the middle of the edge's route: see loopdsl.render.layout.
            attrs["delaymark"] = "1"
            if self.export:  # a .dot file drawn by someone else's Graphviz: a label mark
                attrs["xlabel"] = "<‖>"
        g.edge(u, v, **attrs)

    def add_pipe(self, g: graphviz.Digraph, flow: str, source: str | None,
                 target: str | None) -> None:
        t = self.theme
        valve = flow

        def color(u: str, v: str) -> str:
            base = self.edge_color(u, v, t.line)
            return f"{base}:{t.background}:{base}"

        def cloud(end: str) -> str:
            name = node_name("cloud", flow, end)
            faded = self.faded_node(flow)
            g.node(name, label=CLOUD, shape="plaintext", style="", fontsize="24",
                   fontcolor=t.faded if faded else t.info)
            return name

        # Graph edge (flow, source) means the flow drains the source: drawn from it.
        start = source if source is not None else cloud("source")
        end = target if target is not None else cloud("target")
        width = "2.6" if self.focus is not None else "1.4"
        into = f"{self.widths[flow, target]:.2f}" if (flow, target) in self.widths else width
        out = f"{self.widths[flow, source]:.2f}" if (flow, source) in self.widths else width
        g.edge(start, valve, arrowhead="none", penwidth=out,
               color=color(flow, source) if source else color("", ""))
        g.edge(valve, end, arrowhead="normal", penwidth=into, arrowsize="1",
               color=color(flow, target) if target else color("", ""))


def build_digraph(model: Model, options: DiagramOptions, loops: Sequence[DrawnLoop],
                  engine: str = "dot", G: nx.DiGraph | None = None,
                  signs: dict[tuple[str, str], int] | None = None,
                  export: bool = False) -> graphviz.Digraph:
    """The model as a :class:`graphviz.Digraph`, laid out by ``engine``.

    ``signs`` gives the sign of links whose polarity the graph leaves unknown
    (equation links, valued by the loop analysis). ``export`` marks delayed
    links with a ``‖`` label, for a .dot file that others lay out.
    """
    builder = DiagramBuilder(model, options, loops, G, signs)
    builder.export = export
    return builder.build(engine)


__all__ = ["build_digraph", "DiagramBuilder", "node_name", "is_delayed", "html_text"]
