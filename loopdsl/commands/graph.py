"""``loopdsl graph FILE --format json|graphml|gexf``: the model's graph for other tools."""

from __future__ import annotations

import argparse
import io
import json
import sys

import networkx as nx

from loopdsl.files import atomic_write, load_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("graph", help="export the causal graph (json, graphml, gexf)",
                       description="Write the model's graph: json (networkx node-link data), "
                       "graphml (yEd, Cytoscape) or gexf (Gephi).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=["json", "graphml", "gexf"], default="json")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.set_defaults(run=run)


def _xml_attributes(attrs: dict) -> dict:
    """Attributes GraphML and GEXF can hold: None dropped, lists and dicts as JSON text."""
    out = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if not isinstance(value, (str, int, float, bool)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        out[key] = value
    return out


def export_graph(G: nx.DiGraph, fmt: str) -> str:
    """The graph as text in one of the export formats (None attributes dropped for XML)."""
    if fmt == "json":
        data = nx.node_link_data(G, edges="links")
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    clean = nx.DiGraph()
    clean.graph.update(_xml_attributes(G.graph))
    for n, attrs in G.nodes(data=True):
        clean.add_node(n, **_xml_attributes(attrs))
    for u, v, attrs in G.edges(data=True):
        clean.add_edge(u, v, **_xml_attributes(attrs))
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(clean, buffer, encoding="utf-8")
    else:
        nx.write_gexf(clean, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def run(args: argparse.Namespace) -> int:
    model = load_source(args.file)
    text = export_graph(model.graph, args.format)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
