"""The front end: text -> model -> graph, positions, comments, expression printing."""

from __future__ import annotations

import json

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.expr import format_expr
from loopdsl.model import Aux, Binary, Call, If, Model, Name, Num, Unary

NAPKIN = """\
# The napkin
model amazon "Amazon" description "Bezos, 2001"
time 0 to 36 step 0.5 unit month
group big "Big wheel"
node experience "Customer experience" initial 10 in big  # where it starts
experience -> traffic -> sellers -> selection -> experience
traffic -> growth -[- gain 0.5 delay 2 "scale"]-> cost -> prices -[-]-> experience
stock customers initial 100
flow signups = traffic * 0.1 to customers
"""


def test_graph_attributes() -> None:
    G = loopdsl.loads(NAPKIN).graph
    assert isinstance(G, nx.DiGraph)
    assert G.graph["name"] == "amazon" and G.graph["step"] == 0.5
    assert G.graph["time_unit"] == "month"
    assert G.nodes["experience"] == {
        "label": "Customer experience", "kind": "node", "group": "big", "initial": 10.0,
        "unit": None, "equation": None,
    }
    assert G.nodes["traffic"]["kind"] == "node" and G.nodes["traffic"]["label"] == "traffic"
    edge = G.edges["growth", "cost"]
    assert (edge["polarity"], edge["gain"], edge["delay"], edge["label"]) == (-1, 0.5, 2.0,
                                                                              "scale")
    assert G.edges["traffic", "signups"]["origin"] == "equation"
    assert G.edges["signups", "customers"] == {
        "polarity": 1, "gain": None, "gain_expr": None, "delay": None, "delay_expr": None,
        "label": None, "origin": "flow"}
    assert G.edges["experience", "traffic"]["polarity"] == 1


def test_implicit_nodes_and_positions() -> None:
    m = loopdsl.loads(NAPKIN)
    traffic = m.node("traffic")
    assert traffic.implicit and traffic.kind == "node"
    assert m.node("experience").pos.line == 5
    link = next(l for l in m.links if l.source == "growth")
    assert (link.pos.line, link.pos.column) == (7, 12)


def test_comments_are_attached() -> None:
    m = loopdsl.loads(NAPKIN)
    assert m.header_comments == ["The napkin"]
    assert m.node("experience").trailing_comment == "where it starts"
    text = loopdsl.dumps(m)
    assert "# The napkin" in text and "  # where it starts" in text


def test_json_round_trip_and_schema() -> None:
    m = loopdsl.loads(NAPKIN)
    again = Model.model_validate_json(m.model_dump_json())
    assert again == m.model_copy(update={"source": None})
    schema = Model.json_schema()
    assert schema["title"] == "Model"
    assert "Stock" in json.dumps(schema)


def test_unicode_identifiers_and_labels() -> None:
    m = loopdsl.loads('node 曝光 "内容驱动曝光"\nnode трафик "Трафик"\n曝光 -> трафик -> 曝光')
    assert m.graph.nodes["曝光"]["label"] == "内容驱动曝光"
    assert loopdsl.loads(loopdsl.dumps(m)).content() == m.content()


# -- expressions: printing then parsing gives the same tree -------------------

names = st.sampled_from(["a", "b", "rate", "время"])
leaves = st.one_of(
    st.builds(Num, value=st.floats(min_value=0, max_value=1e6, allow_nan=False)),
    st.builds(Name, name=names),
)


def _extend(children):
    return st.one_of(
        st.builds(Unary, op=st.sampled_from(["-", "not"]), operand=children),
        st.builds(Binary, op=st.sampled_from(["+", "-", "*", "/", "^", "mod", "=", "<>", "<",
                                              "<=", ">", ">=", "and", "or"]),
                  left=children, right=children),
        st.builds(Call, func=st.just("max"), args=st.lists(children, min_size=2, max_size=2)),
        st.builds(If, cond=children, then=children, orelse=children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_expression_print_parse_round_trip(expr) -> None:
    text = f"node a\nnode b\nnode rate\nnode время\naux x = {format_expr(expr)}"
    parsed = loopdsl.loads(text).node("x")
    assert isinstance(parsed, Aux)
    assert format_expr(parsed.equation) == format_expr(expr)
    from loopdsl.model import strip_positions

    assert strip_positions(parsed.equation.model_dump()) == strip_positions(expr.model_dump())
