"""Build the intermediate form from the model's expression trees, once.

Names are resolved (a model variable, a setting such as TIME or DT, or a constant such
as PI), every call becomes an entry of the builtin table with its defaults filled in
(``RAMP(2)`` is ``RAMP(2, STARTTIME, INF)``; a seed argument is dropped), a named
graphical function becomes a :class:`~loopdsl.ir.nodes.Lookup`, and a left-to-right run
of ``+`` and ``-`` becomes one flat :class:`~loopdsl.ir.nodes.Sum`.

>>> from loopdsl.model import Binary, Call, Name, Num as N
>>> build(Call(func="ramp", args=[N(value=2.0)]), {"x"})  # doctest: +NORMALIZE_WHITESPACE
Apply(op=Op.RAMP, args=(Clock(setting=<Setting.TIME: 'time'>),
  Clock(setting=<Setting.DT: 'dt'>), Num(value=2.0), Clock(setting=<Setting.START:
  'starttime'>), Num(value=inf)))
>>> build(Binary(op="-", left=Name(name="x"), right=N(value=1.0)), {"x"})
Sum(signs=(1, -1), terms=(Ref(name='x'), Num(value=1.0)))
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from loopdsl import model as m
from loopdsl.builtins import BINARY, CONSTANTS, FUNCTIONS, Arg, Kind, Op, Setting
from loopdsl.ir.nodes import Apply, Clock, Lookup, Node, Num, Ref, Sum, Where

_SETTINGS = {s.value: s for s in Setting}


class BuildError(Exception):
    """An expression the checker should have refused (a name or call that means nothing)."""

    def __init__(self, message: str, pos: m.Pos | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos


def build(expr: m.Expr, variables: Collection[str],
          tables: Mapping[str, m.Lookup] | None = None) -> Node:
    """The intermediate form of one expression.

    ``variables``: the names that are model variables (read as :class:`Ref`);
    ``tables``: the named graphical functions, by name.
    """
    return Builder(variables, tables or {}).node(expr)


def build_model(model: m.Model) -> dict[str, Node]:
    """Every equation of a model, by node id (auxiliaries, flows and constants with an
    equation, each with its own graphical function applied)."""
    return Builder.of(model).equations()


class Builder:
    """Builds a model's expressions: :meth:`of` a model, then :meth:`node` for any of its
    expressions or :meth:`equations` for all its equations."""

    @classmethod
    def of(cls, model: m.Model) -> Builder:
        tables = {n.id: n.lookup for n in model.nodes if isinstance(n, m.LookupDef)}
        builder = cls({n.id for n in model.nodes} - set(tables), tables)
        builder.model = model
        return builder

    model: m.Model | None = None

    def equations(self) -> dict[str, Node]:
        assert self.model is not None
        return {node.id: self.equation(node) for node in self.model.nodes
                if isinstance(node, (m.Aux, m.Flow, m.Constant)) and node.equation is not None}

    def __init__(self, variables: Collection[str], tables: Mapping[str, m.Lookup]):
        self.variables = variables
        self.tables = tables

    def equation(self, node: m.Aux | m.Flow | m.Constant) -> Node:
        """A node's equation with its graphical function (``points``) applied."""
        assert node.equation is not None
        value = self.node(node.equation)
        table = getattr(node, "lookup", None)
        return value if table is None else Lookup(table, value, table.interpolation)

    def node(self, e: m.Expr) -> Node:
        # by exact type, most frequent first: models of 10,000 stocks build ~150,000
        # nodes, and a class pattern on a pydantic model costs several times more
        kind = type(e)
        if kind is m.Name:
            return self.name(e.name, e.pos)  # type: ignore[union-attr]
        if kind is m.Num:
            return Num(float(e.value))  # type: ignore[union-attr]
        if kind is m.Binary:
            assert isinstance(e, m.Binary)
            a, b = e.left, e.right  # names and numbers inline: most operands are
            ka, kb = type(a), type(b)
            left = self.name(a.name, a.pos) if ka is m.Name else (  # type: ignore[union-attr]
                Num(float(a.value)) if ka is m.Num else self.node(a))  # type: ignore[union-attr]
            right = self.name(b.name, b.pos) if kb is m.Name else (  # type: ignore[union-attr]
                Num(float(b.value)) if kb is m.Num else self.node(b))  # type: ignore[union-attr]
            if e.op == "+" or e.op == "-":
                return _add(left, right, 1 if e.op == "+" else -1)
            return Apply(BINARY[e.op], (left, right))
        if kind is m.Call:
            return self.call(e)  # type: ignore[arg-type]
        if kind is m.Unary:
            assert isinstance(e, m.Unary)
            inner = self.node(e.operand)
            if e.op == "+":
                return inner
            if e.op == "-":
                return Num(-inner.value) if type(inner) is Num else Apply(Op.NEG, (inner,))
            return Apply(Op.NOT, (inner,))
        if kind is m.If:
            assert isinstance(e, m.If)
            return Where(self.node(e.cond), self.node(e.then), self.node(e.orelse))
        raise TypeError(f"not an expression: {e!r}")  # pragma: no cover

    def name(self, name: str, pos: Any) -> Node:
        if name in self.variables:
            return Ref(name)
        low = name.lower()
        if low in _SETTINGS:
            return self.clock(_SETTINGS[low])
        if low in CONSTANTS:
            return Num(CONSTANTS[low])
        raise BuildError(f"undefined name '{name}'", pos)

    def clock(self, setting: Setting) -> Node:
        """A run setting's node (a builder that knows the settings may give a number)."""
        return Clock(setting)

    def table(self, name: str) -> m.Lookup | None:
        found = self.tables.get(name)
        return found if found is not None else self.tables.get(name.lower())

    def call(self, e: m.Call) -> Node:
        op = FUNCTIONS.get(e.func.lower())
        table = self.table(e.func) if e.func not in FUNCTIONS else None
        if table is not None:
            return Lookup(table, self.node(e.args[0]), table.interpolation)
        if op is None:
            raise BuildError(f"unknown function '{e.func}'", e.pos)
        if not op.low <= len(e.args) <= op.high:  # pragma: no cover - the checker's job
            raise BuildError(f"{op.word.upper()} takes {op.low} to {op.high} arguments", e.pos)
        if op is Op.LOOKUP:
            name = e.args[0]
            table = self.table(name.name) if isinstance(name, m.Name) else None
            if table is None:
                raise BuildError("LOOKUP's first argument must name a lookup", e.pos)
            return Lookup(table, self.node(e.args[1]), table.interpolation)
        args: list[Node] = []
        if op.kind is Kind.TIME:
            args += [self.clock(Setting.TIME), self.clock(Setting.DT)]
        for k, param in enumerate(op.params):
            if param.arg is Arg.SEED:
                continue
            if k < len(e.args):
                args.append(self.node(e.args[k]))
            elif isinstance(param.default, Setting):
                args.append(self.clock(param.default))
            elif param.default is not None:
                args.append(Num(param.default))
        return Apply(op, tuple(args))


def _add(left: Node, right: Node, sign: int) -> Sum:
    """``left + sign * right`` as one flat sum: a sum on the left is spread out (the
    same left-to-right arithmetic), one on the right stays a term (``a - (b + c)`` is
    not ``a - b - c`` in floating point).

    >>> _add(Sum((1, -1), (Ref("a"), Ref("b"))), Num(2.0), -1).signs
    (1, -1, -1)
    >>> _add(Ref("a"), Sum((1, 1), (Ref("b"), Ref("c"))), -1).terms[1]
    Sum(signs=(1, 1), terms=(Ref(name='b'), Ref(name='c')))
    """
    signs, terms = (left.signs, left.terms) if isinstance(left, Sum) else ((1,), (left,))
    return Sum((*signs, sign), (*terms, right))
