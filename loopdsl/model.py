"""The typed model: what a ``.loop`` file means, as pydantic v2 classes.

Every element keeps its source position (``pos``), so later stages can point
at the line that caused a problem. Node kinds and expression kinds are
discriminated unions (a literal tag field), never free-form strings.

>>> from loopdsl.model import Model, PlainNode, Link
>>> m = Model(name="tiny", nodes=[PlainNode(id="a"), PlainNode(id="b")],
...           links=[Link(source="a", target="b", polarity="+")])
>>> Model.model_validate_json(m.model_dump_json()) == m
True
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Pos(BaseModel):
    """A source position: 1-based line and column of the element's first character."""

    model_config = ConfigDict(frozen=True)
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


class _Element(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pos: Pos | None = None


# --------------------------------------------------------------------------
# Expressions (XMILE-compatible)
# --------------------------------------------------------------------------

BinaryOp = Literal["+", "-", "*", "/", "^", "mod", "=", "<>", "<", "<=", ">", ">=", "and", "or"]
UnaryOp = Literal["-", "+", "not"]


class Num(_Element):
    """A numeric literal."""

    type: Literal["num"] = "num"
    value: float


class Name(_Element):
    """A reference to a node (or to TIME, DT, STARTTIME, STOPTIME, PI)."""

    type: Literal["name"] = "name"
    name: str


class Unary(_Element):
    type: Literal["unary"] = "unary"
    op: UnaryOp
    operand: Expr


class Binary(_Element):
    type: Literal["binary"] = "binary"
    op: BinaryOp
    left: Expr
    right: Expr


class Call(_Element):
    """A builtin function call or a call of a named lookup. ``func`` is lower case."""

    type: Literal["call"] = "call"
    func: str
    args: list[Expr]


class If(_Element):
    type: Literal["if"] = "if"
    cond: Expr
    then: Expr
    orelse: Expr


Expr = Annotated[Num | Name | Unary | Binary | Call | If, Field(discriminator="type")]


# --------------------------------------------------------------------------
# Graphical functions
# --------------------------------------------------------------------------

class Lookup(_Element):
    """A graphical function (lookup table): points (x, y) with x ascending.

    ``interpolation``: ``continuous`` (linear, clamped at the ends),
    ``extrapolate`` (linear beyond the ends) or ``discrete`` (step).
    """

    xs: list[float]
    ys: list[float]
    interpolation: Literal["continuous", "extrapolate", "discrete"] = "continuous"


# --------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------

class _Statement(_Element):
    comments: list[str] = Field(default_factory=list)
    """Comment lines written just before the statement (without the leading ``#``)."""
    trailing_comment: str | None = None
    """A comment on the statement's last line."""


class _NodeBase(_Statement):
    id: str
    label: str | None = None
    unit: str | None = None
    description: str | None = None
    group: str | None = None
    implicit: bool = False
    """True for a node never declared, only named in a link (``a -> b``)."""

    @property
    def display(self) -> str:
        """The label, or the identifier where there is none."""
        return self.label if self.label is not None else self.id


class PlainNode(_NodeBase):
    """A causal node: takes its value from its incoming links (see docs/semantics.md).

    ``push`` is an outside force added each period, ``decay`` the fraction lost
    each period, ``capacity`` a ceiling that bends growth into an S.
    """

    kind: Literal["node"] = "node"
    initial: Expr | None = None
    push: Expr | None = None
    decay: Expr | None = None
    capacity: Expr | None = None


class Stock(_NodeBase):
    """An accumulation: integrates inflows minus outflows from ``initial``."""

    kind: Literal["stock"] = "stock"
    initial: Expr | None = None
    inflows: list[str] = Field(default_factory=list)
    outflows: list[str] = Field(default_factory=list)
    non_negative: bool = False
    capacity: Expr | None = None


class Flow(_NodeBase):
    """A rate into (``target``) and/or out of (``source``) a stock."""

    kind: Literal["flow"] = "flow"
    equation: Expr | None = None
    lookup: Lookup | None = None
    source: str | None = None
    target: str | None = None
    non_negative: bool = False


class Aux(_NodeBase):
    """An auxiliary: a value computed each step from its equation.

    With ``lookup``, the equation is the lookup's input (as an XMILE inline gf).
    """

    kind: Literal["aux"] = "aux"
    equation: Expr | None = None
    lookup: Lookup | None = None


class Constant(_NodeBase):
    """A constant: computed once, at the start."""

    kind: Literal["const"] = "const"
    equation: Expr | None = None


class LookupDef(_NodeBase):
    """A named graphical function, called like a function: ``name(x)``."""

    kind: Literal["lookup"] = "lookup"
    lookup: Lookup


Node = Annotated[
    PlainNode | Stock | Flow | Aux | Constant | LookupDef, Field(discriminator="kind")
]
NODE_KINDS = ("node", "stock", "flow", "aux", "const", "lookup")


# --------------------------------------------------------------------------
# Links, groups, loops, scenarios, distributions
# --------------------------------------------------------------------------

Polarity = Literal["+", "-", "?"]


class Link(_Statement):
    """A causal link ``source -> target``.

    ``gain`` is the units of target per unit of source (a number or expression),
    ``delay`` the time in time units before the effect arrives. ``None`` means
    not given; defaults are documented in docs/semantics.md. ``chain`` is the
    index of the chain statement the link was written in, so the printer can
    write the chain back as the author wrote it.
    """

    source: str
    target: str
    polarity: Polarity = "+"
    gain: Expr | None = None
    delay: Expr | None = None
    label: str | None = None
    chain: int | None = None


class Group(_Statement):
    """A named group of nodes (a ring of a flywheel), drawn as a cluster."""

    id: str
    label: str | None = None
    description: str | None = None


class LoopDecl(_Statement):
    """A declared feedback loop; the compiler checks it exists and its polarity."""

    id: str
    title: str | None = None
    path: list[str]
    polarity: Literal["R", "B"] | None = None


class Assignment(_Element):
    target: str
    value: Expr


class Scenario(_Statement):
    """A named set of overrides, run side by side with the base model."""

    id: str
    title: str | None = None
    assignments: list[Assignment] = Field(default_factory=list)


class Distribution(_Statement):
    """A parameter's distribution for ensemble runs: ``vary k ~ uniform(0.1, 0.3)``."""

    target: str
    dist: Literal["uniform", "normal", "triangular"]
    args: list[float]


class TimeSpec(_Element):
    start: float = 0.0
    stop: float = 100.0
    step: float = 1.0
    unit: str | None = None


class Model(_Element):
    """A whole model: header, nodes, links and declarations, in source order."""

    name: str | None = None
    title: str | None = None
    description: str | None = None
    time: TimeSpec | None = None
    method: Literal["euler", "rk4"] | None = None
    header_comments: list[str] = Field(default_factory=list)
    header_trailing: dict[str, str] = Field(default_factory=dict)
    """Comments on the line of the ``model``, ``time`` and ``method`` statements, by keyword."""
    groups: list[Group] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    loops: list[LoopDecl] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    distributions: list[Distribution] = Field(default_factory=list)
    end_comments: list[str] = Field(default_factory=list)
    source: str | None = Field(default=None, exclude=True)
    """The file the model came from, for messages; not part of the model's content."""

    def node(self, node_id: str) -> Node:
        """The node with this identifier (KeyError if there is none)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def content(self) -> dict[str, Any]:
        """The model as plain data without source positions: what two models compare on."""
        return strip_positions(self.model_dump(mode="json"))

    @property
    def graph(self):  # -> networkx.DiGraph
        """The model's networkx graph, built afresh (see :func:`loopdsl.graph.to_graph`)."""
        from loopdsl.graph import to_graph

        return to_graph(self)

    def find_loops(self, max_loops: int | None = None, max_length: int | None = None,
                   time_budget: float | None = None, through: str | None = None,
                   state: dict[str, float] | None = None):  # -> LoopList
        """The model's feedback loops, declared ones named (see
        :func:`loopdsl.analysis.find_loops`); equation links valued at ``state``
        (default: the initial state)."""
        from loopdsl.analysis.cycles import find_loops
        from loopdsl.analysis.links import link_effects

        G = self.graph
        return find_loops(G, max_loops, max_length, time_budget, through,
                          declared=self.loops, effects=link_effects(G, self, state))

    def loop_report(self, **options: Any):  # -> LoopReport
        """Loops plus system figures (see :func:`loopdsl.analysis.report.loop_report`)."""
        from loopdsl.analysis.report import loop_report

        return loop_report(self, **options)

    def _repr_svg_(self) -> str | None:
        """The diagram, for Jupyter (None, so text is shown, without Graphviz)."""
        from loopdsl.render import GraphvizMissing, to_svg

        try:
            return to_svg(self)
        except GraphvizMissing:
            return None

    def simulate(self, start: float | None = None, stop: float | None = None,
                 dt: float | None = None, method: str | None = None,
                 overrides: dict[str, Any] | None = None, scenario: str | None = None,
                 **options: Any) -> Any:
        """Run the model (see :func:`loopdsl.simulate.simulate` and docs/semantics.md)."""
        from loopdsl.simulate import simulate

        return simulate(self, start=start, stop=stop, dt=dt, method=method,
                        overrides=overrides, scenario=scenario, **options)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the model."""
        return cls.model_json_schema()


def strip_positions(data: Any) -> Any:
    """Remove every ``pos`` key from nested plain data."""
    if isinstance(data, dict):
        return {k: strip_positions(v) for k, v in data.items() if k != "pos"}
    if isinstance(data, list):
        return [strip_positions(v) for v in data]
    return data


for _cls in (Unary, Binary, Call, If):
    _cls.model_rebuild()
