"""loopdsl's causal-link semantics as plain XMILE equations, for export.

XMILE has no plain causal node and no link with a gain and a delay. Following
docs/semantics.md, each is written as what it means:

- a plain node ``j`` becomes an auxiliary whose equation is
  ``(push + sum(sign * gain * DELAY(x_i, delay, 0))) * MAX(0, 1 - DELAY(j, DT, 0) / capacity)
  + (1 - decay) * DELAY(j, DT, 0) + IF TIME = STARTTIME THEN initial ELSE 0``
  (with the numbers of DT and STARTTIME written in)
  (each factor and term only where the node has it; a zero delay reads ``x_i`` directly);
- an aux or flow without an equation takes the same sum of its links;
- a stock without flows that links fill gets a generated inflow ``<stock>_links``;
- a stock with a capacity takes its inflows through one generated flow
  ``<stock>_capped_inflow = (sum of inflows) * MAX(0, 1 - stock / capacity)``: the
  flows keep their values and still drain their sources, as in the simulator.

``DELAY(x, DT, 0)`` is "x one step earlier, 0 before the start", exactly the
values semantics.md gives plain nodes, in any XMILE tool (PySD's DELAY FIXED).

>>> import loopdsl
>>> from loopdsl.expr import format_expr
>>> m = loopdsl.loads('node a initial 1 decay 0.5  a -[gain 2 delay 1]-> b')
>>> flat = expand_plain_nodes(m)
>>> format_expr(flat.node("b").equation)
'2 * DELAY(a, 1, 0)'
>>> format_expr(flat.node("a").equation)
'(1 - 0.5) * DELAY(a, 1, 0) + (IF TIME = 0 THEN 1 ELSE 0)'
"""

from __future__ import annotations

from typing import Any

from loopdsl.errors import LoopError, Source
from loopdsl.graph import constant_value
from loopdsl.model import (
    Aux,
    Binary,
    Call,
    Constant,
    Expr,
    Flow,
    If,
    Model,
    Name,
    Num,
    PlainNode,
    Stock,
)
from loopdsl.xmile.names import canonical


def _num(value: float) -> Expr:
    return Num(value=value)


def _add(a: Expr | None, b: Expr) -> Expr:
    return b if a is None else Binary(op="+", left=a, right=b)


def _mul(a: Expr, b: Expr) -> Expr:
    if constant_value(a) == 1:
        return b
    if constant_value(b) == 1:
        return a
    return Binary(op="*", left=a, right=b)


def _previous(name: str, dt: float) -> Expr:
    return Call(func="delay", args=[Name(name=name), _num(dt), _num(0)])


def link_sum(model: Model, target: str) -> Expr | None:
    """``sum(sign * gain * x_source(t - delay))`` over the links into target, or None."""
    total: Expr | None = None
    for link in model.links:
        if link.target != target:
            continue
        if link.polarity == "?":
            _fail(model, link, f"the link {link.source} -> {link.target} has an unknown sign "
                  "(?), which cannot be simulated or exported", "give it + or -")
        source: Expr = Name(name=link.source)
        delay = link.delay if link.delay is not None else _num(1)
        if constant_value(delay) != 0:
            source = Call(func="delay", args=[source, delay, _num(0)])
        term = _mul(link.gain, source) if link.gain is not None else source
        if link.polarity == "-":
            total = Binary(op="-", left=total if total is not None else _num(0), right=term)
        else:
            total = _add(total, term)
    return total


def plain_equation(model: Model, node: PlainNode) -> Expr:
    """The XMILE equation that gives a plain node its value (see the module docstring).

    DT and STARTTIME are written as the model's numbers: PySD's XMILE reader
    knows neither name.
    """
    start, dt = (model.time.start, model.time.step) if model.time else (0.0, 1.0)
    links = link_sum(model, node.id)
    inflow = node.push if links is None else _add(node.push, links)
    value: Expr | None = inflow
    if inflow is not None and node.capacity is not None:
        room = Binary(op="-", left=_num(1), right=Binary(
            op="/", left=_previous(node.id, dt), right=node.capacity))
        value = _mul(inflow, Call(func="max", args=[_num(0), room]))
    if node.decay is not None:
        keep = Binary(op="-", left=_num(1), right=node.decay)
        value = _add(value, _mul(keep, _previous(node.id, dt)))
    if node.initial is not None and constant_value(node.initial) != 0:
        at_start = If(cond=Binary(op="=", left=Name(name="TIME"), right=_num(start)),
                      then=node.initial, orelse=_num(0))
        value = _add(value, at_start)
    return value if value is not None else _num(0)


def _check_rk4(model: Model, driven: set[str]) -> None:
    """Under RK4 loopdsl holds plain nodes through a step; XMILE re-evaluates auxes.

    The two agree when a link-driven value reads nothing that moves within a step:
    only delayed links, no push. Anything else is refused rather than exported wrongly.
    """
    if model.method != "rk4":
        return
    for node in model.nodes:
        if isinstance(node, PlainNode) and node.push is not None and node.id in driven:
            _fail(model, node, f"plain node '{node.id}' has a push and the model uses RK4: "
                  "loopdsl holds plain nodes through each step, which XMILE cannot say",
                  "export with method euler, or model the push as a flow")
    for link in model.links:
        if link.target in driven and constant_value(link.delay) == 0:
            _fail(model, link, f"the link {link.source} -> {link.target} has delay 0 into a "
                  "plain node and the model uses RK4: loopdsl holds plain nodes through each "
                  "step, which XMILE cannot say", "export with method euler, or give the link "
                  "a delay")


def expand_plain_nodes(model: Model) -> Model:
    """A copy of the model in which every value is given by an XMILE equation."""
    flat = model.model_copy(deep=True)
    driven = {n.id for n in flat.nodes if isinstance(n, PlainNode)
              or (isinstance(n, (Aux, Flow)) and n.equation is None)}
    _check_rk4(flat, driven)
    flows = [n for n in flat.nodes if isinstance(n, Flow)]
    taken = {canonical(n.id) for n in flat.nodes}
    nodes: list[Any] = []

    def fresh(base: str) -> str:
        name, n = base, 2
        while canonical(name) in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(canonical(name))
        return name

    for node in flat.nodes:
        common = node.model_dump(include={"id", "label", "unit", "description", "group", "pos",
                                          "comments", "trailing_comment"})
        if isinstance(node, PlainNode):
            nodes.append(Aux(equation=plain_equation(flat, node), **common))
        elif isinstance(node, (Aux, Flow)) and node.equation is None:
            node.equation = link_sum(flat, node.id) or _num(0)
            nodes.append(node)
        elif isinstance(node, Constant) and node.equation is None:
            node.equation = _num(0)
            nodes.append(node)
        elif isinstance(node, Stock):
            nodes.append(node)
            has_flows = any(f.source == node.id or f.target == node.id for f in flows)
            rate = None if has_flows else link_sum(flat, node.id)
            if rate is not None:
                flow = Flow(id=fresh(f"{node.id}_links"), equation=rate, target=node.id,
                            description=f"the links into {node.id} (generated by loopdsl)")
                flows.append(flow)
                nodes.append(flow)
        else:
            nodes.append(node)
    capped = [(n, n.capacity) for n in nodes if isinstance(n, Stock) and n.capacity is not None]
    for stock, capacity in capped:
        # The capacity scales what the stock takes in, not what its sources give up nor
        # the flows' own values: the inflows are rerouted through one generated flow.
        into = [f for f in flows if f.target == stock.id]
        if into:
            total: Expr | None = None
            for f in into:
                total = _add(total, Name(name=f.id))
                f.target = None
            room = Call(func="max", args=[_num(0), Binary(op="-", left=_num(1), right=Binary(
                op="/", left=Name(name=stock.id), right=capacity))])
            assert total is not None
            flow = Flow(id=fresh(f"{stock.id}_capped_inflow"), equation=_mul(total, room),
                        target=stock.id, description=f"the inflows of {stock.id} times its "
                        "room below capacity (generated by loopdsl)")
            flows.append(flow)
            nodes.append(flow)
        stock.capacity = None
    flat.nodes = nodes
    return flat


def _fail(model: Model, element: Any, message: str, hint: str) -> None:
    pos = element.pos
    raise LoopError([Source("", model.source or "<model>").diagnostic(
        message, pos.line if pos else None, pos.column if pos else None, hint)])
