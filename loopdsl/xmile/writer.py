"""A model -> XMILE 1.0 text that Stella, Simlin and PySD read.

Variables are named by their .loop identifiers. What XMILE has no element for
(display labels, causal links, declared loops, scenarios, distributions, the
kind of a plain causal node) goes into elements of loopdsl's own namespace
(:data:`LOOPDSL_NS`), which other tools ignore and :mod:`loopdsl.xmile.reader`
reads back. Plain causal nodes are written as the stock-and-flow structure
their semantics defines (see :mod:`loopdsl.xmile.plain` and docs/xmile.md).

>>> import loopdsl
>>> text = dumps_xmile(loopdsl.loads('stock s initial 1 flow f = s * 0.1 to s'))
>>> '<inflow>f</inflow>' in text and '<eqn>s * 0.1</eqn>' in text
True
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from loopdsl import __version__
from loopdsl.builtins import BUILTIN_FUNCTIONS, BUILTIN_NAMES
from loopdsl.errors import LoopError, Source
from loopdsl.expr import format_number
from loopdsl.files import atomic_write
from loopdsl.model import (
    Aux,
    Binary,
    Call,
    Constant,
    Expr,
    Flow,
    If,
    Lookup,
    LookupDef,
    Model,
    Name,
    Num,
    PlainNode,
    Stock,
    TimeSpec,
    Unary,
)
from loopdsl.xmile.names import canonical
from loopdsl.xmile.reader import LOOPDSL_NS

XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"

# XMILE precedence, loosest first; every operand that is not tighter gets parentheses.
_PREC = {"or": 1, "and": 2, "=": 3, "<>": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
         "+": 4, "-": 4, "*": 5, "/": 5, "mod": 5, "^": 7}
_ATOM = 9
_RESERVED = {"if", "then", "else", "and", "or", "not", "mod"} | BUILTIN_NAMES | set(
    BUILTIN_FUNCTIONS)


def format_xmile(expr: Expr) -> str:
    """XMILE equation text, parenthesised wherever XMILE and .loop could read it differently.

    >>> from loopdsl.model import Binary, Num, Unary
    >>> format_xmile(Unary(op="-", operand=Binary(op="^", left=Num(value=2), right=Num(value=2))))
    '-(2 ^ 2)'
    """
    return _fmt(expr)[0]


def xmile_name(name: str) -> str:
    """A variable's name as written in an equation (quoted where it is a reserved word)."""
    if name.lower() in _RESERVED:
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def _fmt(expr: Expr) -> tuple[str, int]:
    if isinstance(expr, Num):
        text = format_number(abs(expr.value)) if expr.value == expr.value else "NAN"
        return (f"-{text}", 6) if expr.value < 0 else (text, _ATOM)
    if isinstance(expr, Name):
        if expr.name.lower() in ("time", "dt", "starttime", "stoptime", "pi", "inf"):
            return expr.name.upper(), _ATOM
        return xmile_name(expr.name), _ATOM
    if isinstance(expr, Call):
        func = expr.func.upper() if expr.func in BUILTIN_FUNCTIONS else xmile_name(expr.func)
        return f"{func}({', '.join(format_xmile(a) for a in expr.args)})", _ATOM
    if isinstance(expr, If):
        return (f"IF {format_xmile(expr.cond)} THEN {format_xmile(expr.then)} "
                f"ELSE {format_xmile(expr.orelse)}"), 0
    if isinstance(expr, Unary):
        inner, prec = _fmt(expr.operand)
        if prec < _ATOM:
            inner = f"({inner})"
        sign = "NOT " if expr.op == "not" else expr.op
        return f"{sign}{inner}", 6
    if isinstance(expr, Binary):
        prec = _PREC[expr.op]
        left, lp = _fmt(expr.left)
        right, rp = _fmt(expr.right)
        if lp < prec or lp == 6 or (lp == prec and prec in (3, 7)) or \
                (expr.op == "^" and lp != _ATOM):
            left = f"({left})"
        if rp <= prec or rp == 6:
            right = f"({right})"
        op = expr.op.upper() if expr.op in ("and", "or", "mod") else expr.op
        return f"{left} {op} {right}", prec
    raise TypeError(f"not an expression: {expr!r}")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text XML 1.0 can hold: characters it forbids become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def leaf(self, depth: int, tag: str, text: str, attrs: str = "") -> None:
        self.add(depth, f"<{tag}{attrs}>{escape(_clean(text))}</{tag}>")


def _attrs(**values: Any) -> str:
    return "".join(f" {k}={quoteattr(_clean(str(v)))}" for k, v in values.items()
                   if v is not None)


def dumps_xmile(model: Model) -> str:
    """The model as XMILE 1.0 text."""
    from loopdsl.xmile.plain import expand_plain_nodes

    _check_names(model)
    flat = expand_plain_nodes(model)
    out = _Out()
    out.add(0, '<?xml version="1.0" encoding="utf-8"?>')
    out.add(0, f'<xmile version="1.0" xmlns="{XMILE_NS}" xmlns:loopdsl="{LOOPDSL_NS}">')
    out.add(1, "<header>")
    out.leaf(2, "vendor", "loopdsl")
    out.leaf(2, "product", "loopdsl", _attrs(version=__version__, lang="en"))
    out.leaf(2, "name", model.title or model.name or "model")
    out.add(1, "</header>")
    t = model.time or TimeSpec()  # XMILE needs sim specs: the documented defaults
    method = {"rk4": "RK4", "euler": "Euler"}.get(model.method or "")
    out.add(1, f"<sim_specs{_attrs(method=method, time_units=t.unit)}>")
    out.leaf(2, "start", format_number(t.start))
    out.leaf(2, "stop", format_number(t.stop))
    out.leaf(2, "dt", format_number(t.step))
    out.add(1, "</sim_specs>")
    _extension(out, model)
    out.add(1, "<model>")
    out.add(2, "<variables>")
    flows = [n for n in flat.nodes if isinstance(n, Flow)]
    originals = {n.id: n for n in model.nodes}
    for node in flat.nodes:
        _variable(out, node, flows, originals.get(node.id))
    for group in model.groups:
        out.add(3, f"<group{_attrs(name=group.id)}>")
        if group.description:
            out.leaf(4, "doc", group.description)
        if group.label:
            out.leaf(4, "loopdsl:label", group.label)
        for node in model.nodes:
            if node.group == group.id:
                out.add(4, f"<entity{_attrs(name=node.id)}/>")
        out.add(3, "</group>")
    out.add(2, "</variables>")
    out.add(1, "</model>")
    out.add(0, "</xmile>")
    return "\n".join(out.lines) + "\n"


def dump_xmile(model: Model, path: str | Path) -> None:
    """Write the model's XMILE text to a file (atomically)."""
    atomic_write(path, dumps_xmile(model))


def _check_names(model: Model) -> None:
    """XMILE names are case- and underscore-insensitive: two ids must not become one name."""
    seen: dict[str, str] = {}
    source = Source("", model.source or "<model>")
    for node in model.nodes:
        key = canonical(node.id)
        if key in seen:
            pos = node.pos
            raise LoopError([source.diagnostic(
                f"'{node.id}' and '{seen[key]}' are the same name in XMILE, which ignores "
                "case and treats runs of underscores as one", pos.line if pos else None,
                pos.column if pos else None, "rename one of them before exporting")])
        seen[key] = node.id


_VARIABLE_TAGS: dict[type, str] = {Stock: "stock", Flow: "flow", Aux: "aux", Constant: "aux"}


def _variable(out: _Out, node: Any, flows: list[Flow], original: Any) -> None:
    if isinstance(node, LookupDef):
        out.add(3, f"<gf{_attrs(name=node.id, type=_gf_type(node.lookup))}>")
        _common(out, node, original)
        _points(out, node.lookup, 4)
        out.add(3, "</gf>")
        return
    tag = _VARIABLE_TAGS.get(type(node))
    if tag is None:  # pragma: no cover - plain nodes are expanded before this
        raise TypeError(f"cannot write {node.kind} '{node.id}' as XMILE")
    out.add(3, f"<{tag}{_attrs(name=node.id)}>")
    _common(out, node, original)
    if isinstance(node, Stock):
        out.leaf(4, "eqn", format_xmile(node.initial) if node.initial is not None else "0")
        for f in flows:
            if f.target == node.id:
                out.leaf(4, "inflow", f.id)
        for f in flows:
            if f.source == node.id:
                out.leaf(4, "outflow", f.id)
        if node.non_negative:
            out.add(4, "<non_negative/>")
    else:
        equation = node.equation
        out.leaf(4, "eqn", format_xmile(equation) if equation is not None else "0")
        lookup = getattr(node, "lookup", None)
        if lookup is not None:
            out.add(4, f"<gf{_attrs(type=_gf_type(lookup))}>")
            _points(out, lookup, 5)
            out.add(4, "</gf>")
        if isinstance(node, Flow) and node.non_negative:
            out.add(4, "<non_negative/>")
    out.add(3, f"</{tag}>")


def _common(out: _Out, node: Any, original: Any) -> None:
    if node.description:
        out.leaf(4, "doc", node.description)
    if node.unit:
        out.leaf(4, "units", node.unit)
    if node.label is not None:
        out.leaf(4, "loopdsl:label", node.label)
    if original is None:
        out.add(4, "<loopdsl:generated/>")  # written for other tools; loopdsl drops it
        return
    if isinstance(original, Aux) and original.lookup is None:
        out.leaf(4, "loopdsl:kind", "aux")  # keeps an aux with a constant equation an aux
    if isinstance(original, PlainNode):
        attrs = {k: format_xmile(getattr(original, k)) for k in
                 ("initial", "push", "decay", "capacity") if getattr(original, k) is not None}
        if original.implicit:
            attrs["implicit"] = "true"
        out.add(4, f"<loopdsl:node{_attrs(**attrs)}/>")
        return
    unwritten = original.initial is None if isinstance(original, Stock) else \
        isinstance(original, (Aux, Flow, Constant)) and original.equation is None
    if unwritten:  # written as 0 (or as what its links give) for other tools
        out.add(4, "<loopdsl:no_equation/>")
    if isinstance(original, Flow) and original.target != node.target:
        out.leaf(4, "loopdsl:to", original.target or "")  # rerouted through a capped inflow
    if isinstance(original, Stock) and original.capacity is not None:
        out.leaf(4, "loopdsl:capacity", format_xmile(original.capacity))


def _gf_type(lookup: Lookup) -> str | None:
    return None if lookup.interpolation == "continuous" else lookup.interpolation


def _points(out: _Out, lookup: Lookup, depth: int) -> None:
    out.leaf(depth, "xpts", ",".join(format_number(x) for x in lookup.xs))
    out.leaf(depth, "ypts", ",".join(format_number(y) for y in lookup.ys))


def _extension(out: _Out, model: Model) -> None:
    """What only loopdsl reads: the model's name, links, loops, scenarios, distributions."""
    out.add(1, "<loopdsl:extension" + _attrs(name=model.name, title=model.title,
                                         time="default" if model.time is None else None) + ">")
    if model.description:
        out.leaf(2, "loopdsl:description", model.description)
    for link in model.links:
        attrs = _attrs(**{"from": link.source, "to": link.target, "polarity": link.polarity,
                          "gain": format_xmile(link.gain) if link.gain is not None else None,
                          "delay": format_xmile(link.delay) if link.delay is not None
                          else None, "label": link.label})
        out.add(2, f"<loopdsl:link{attrs}/>")
    for loop in model.loops:
        out.leaf(2, "loopdsl:loop", " ".join(loop.path),
                 _attrs(id=loop.id, title=loop.title, polarity=loop.polarity))
    for scenario in model.scenarios:
        out.add(2, f"<loopdsl:scenario{_attrs(id=scenario.id, title=scenario.title)}>")
        for a in scenario.assignments:
            out.leaf(3, "loopdsl:set", format_xmile(a.value), _attrs(target=a.target))
        out.add(2, "</loopdsl:scenario>")
    for dist in model.distributions:
        out.add(2, "<loopdsl:vary" + _attrs(target=dist.target, dist=dist.dist, args=" ".join(
            format_number(a) for a in dist.args)) + "/>")
    out.add(1, "</loopdsl:extension>")
