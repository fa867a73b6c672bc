"""Stage 3: typed model -> networkx.DiGraph.

Nodes carry ``label``, ``kind``, ``group``, ``initial``, ``unit``; edges carry
``polarity`` (+1, -1, 0 unknown), ``gain``, ``delay``, ``label`` and ``origin``
(``link`` for a declared link, ``equation`` for a reference in an equation,
``flow`` for a flow filling or draining a stock). Numbers that are given as
expressions rather than literals are ``None`` in ``gain``/``delay`` and their
text is in ``gain_expr``/``delay_expr``. Lookup definitions are not nodes.

>>> import loopdsl
>>> G = loopdsl.loads("a -> b -[- gain 0.5]-> a").graph
>>> sorted(G.edges(data="polarity"))
[('a', 'b', 1), ('b', 'a', -1)]
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from loopdsl.expr import format_expr, references
from loopdsl.model import Aux, Constant, Expr, Flow, LookupDef, Model, Num, Stock, Unary

POLARITY_SIGN = {"+": 1, "-": -1, "?": 0}


def constant_value(expr: Expr | None) -> float | None:
    """The value of a numeric literal (or a negated one), else None."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Unary) and expr.op in "-+" and isinstance(expr.operand, Num):
        return -expr.operand.value if expr.op == "-" else expr.operand.value
    return None


def equation_of(node: Any) -> Expr | None:
    """The expression that gives a node its value each step, if it has one."""
    if isinstance(node, (Aux, Flow, Constant)):
        return node.equation
    return None


def to_graph(model: Model) -> nx.DiGraph:
    """Build the model's causal graph (see the module docstring for attributes)."""
    G = nx.DiGraph()
    time = model.time
    G.graph.update({
        "name": model.name, "title": model.title, "description": model.description,
        "start": time.start if time else None, "stop": time.stop if time else None,
        "step": time.step if time else None, "time_unit": time.unit if time else None,
        "method": model.method,
    })
    lookups = {n.id for n in model.nodes if isinstance(n, LookupDef)}
    for node in model.nodes:
        if node.id in lookups:
            continue
        initial = getattr(node, "initial", None)
        equation = equation_of(node)
        if initial is None and isinstance(node, Constant):
            initial = equation
        G.add_node(node.id, label=node.display, kind=node.kind, group=node.group,
                   initial=constant_value(initial), unit=node.unit,
                   equation=format_expr(equation) if equation is not None else None)
    for link in model.links:
        for end in (link.source, link.target):
            if end not in G:
                G.add_node(end, label=end, kind="node", group=None, initial=None, unit=None,
                           equation=None)
        G.add_edge(link.source, link.target, polarity=POLARITY_SIGN[link.polarity],
                   gain=constant_value(link.gain),
                   gain_expr=format_expr(link.gain) if link.gain is not None else None,
                   delay=constant_value(link.delay),
                   delay_expr=format_expr(link.delay) if link.delay is not None else None,
                   label=link.label, origin="link")
    for node in model.nodes:
        if isinstance(node, Flow):
            if node.target is not None and not G.has_edge(node.id, node.target):
                _add_implied(G, node.id, node.target, "flow", 1)
            if node.source is not None and not G.has_edge(node.id, node.source):
                _add_implied(G, node.id, node.source, "flow", -1)
        for ref in sorted(references(equation_of(node))):
            if ref in G and ref not in lookups and not G.has_edge(ref, node.id):
                _add_implied(G, ref, node.id, "equation", 0)
    return G


def _add_implied(G: nx.DiGraph, source: str, target: str, origin: str, polarity: int) -> None:
    G.add_edge(source, target, polarity=polarity, gain=None, gain_expr=None,
               delay=0.0 if origin == "equation" else None, delay_expr=None, label=None,
               origin=origin)


def stocks(model: Model) -> list[Stock]:
    """The model's stocks, in source order."""
    return [n for n in model.nodes if isinstance(n, Stock)]
