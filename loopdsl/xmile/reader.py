"""XMILE (and Stella .stmx) text -> a checked :class:`loopdsl.model.Model`.

Covers sim specs, stocks, flows (uni-flows), auxiliaries, constants,
graphical functions (inline and standalone), the scalar builtins, documentation
and units, groups, and both the current (``<variables>``) and the older Stella
layout (variables directly under ``<model>``). Arrays, macros, modules,
conveyors and queues are errors that name the element and its line. Names
become .loop identifiers (see :mod:`loopdsl.xmile.names`); the XMILE name is
kept as the node's label where the two differ.

>>> text = '''<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
... <header><name>Teacup</name></header>
... <sim_specs method="Euler" time_units="min"><start>0</start><stop>30</stop>
... <dt reciprocal="true">8</dt></sim_specs>
... <model><variables>
...   <stock name="Teacup Temperature"><eqn>180</eqn><outflow>Heat_Loss</outflow></stock>
...   <flow name="Heat Loss"><eqn>(Teacup_Temperature - 70) / 10</eqn></flow>
... </variables></model></xmile>'''
>>> m = loads_xmile(text)
>>> [(n.kind, n.id, n.label) for n in m.nodes]
[('stock', 'Teacup_Temperature', 'Teacup Temperature'), ('flow', 'Heat_Loss', 'Heat Loss')]
>>> m.time.step, m.node("Heat_Loss").source
(0.125, 'Teacup_Temperature')
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

from loopdsl.checker import check
from loopdsl.compiler import _distribution_problem
from loopdsl.construct import constructor, from_dict, make_pos
from loopdsl.errors import LoopError, Source
from loopdsl.expr import walk
from loopdsl.model import (
    Assignment,
    Aux,
    Call,
    Constant,
    Distribution,
    Expr,
    Flow,
    Group,
    Link,
    Lookup,
    LookupDef,
    LoopDecl,
    Model,
    Name,
    Num,
    PlainNode,
    Pos,
    Scenario,
    Stock,
    TimeSpec,
)
from loopdsl.normalize import normalize
from loopdsl.printer import KEYWORDS
from loopdsl.tuning import gc_paused, keep_built_objects
from loopdsl.xmile.equations import EquationError, parse_equation
from loopdsl.xmile.names import IdentifierMaker, canonical, display_name
from loopdsl.xmile.xmltree import XMILE_NAMESPACES, XNode, parse_xml

LOOPDSL_NS = "urn:loopdsl:xmile:1"
"""The namespace of loopdsl's own extension elements (labels, causal links, ...)."""

VARIABLE_TAGS = ("stock", "flow", "aux", "gf")
_IGNORED_IN_VARIABLES = {"alias"}  # display-only XMILE elements
_METHODS = {"euler": "euler", "rk4": "rk4"}
_DECLARED_ID = re.compile(r"(?!\d)\w+\Z")
_ARG_COUNTS = {"uniform": 2, "normal": 2, "triangular": 3}  # a distribution's numbers
_UNSUPPORTED_CHILDREN = frozenset({"dimensions", "element", "conveyor", "queue"})
# The reader's values are sound by construction (identifiers it made, floats it converted,
# expressions its parser built): trusted constructors skip pydantic's validation.
_stock, _flow, _aux, _constant = (from_dict(c) for c in (Stock, Flow, Aux, Constant))
_lookup_def, _plain = from_dict(LookupDef), from_dict(PlainNode)
_lookup = constructor(Lookup)


class Reader:
    """One XMILE document being read into a model."""

    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self.source = Source(text, file)
        self.names = IdentifierMaker()
        self.ids: dict[str, str] = {}  # canonical XMILE name -> identifier
        self.elements: dict[str, XNode] = {}  # identifier -> its element
        self.ident_of: dict[XNode, str] = {}  # variable element -> its identifier
        self.lookup_ids: dict[str, str] = {}  # canonical name of a gf -> LookupDef id
        self.extra_lookups: list[LookupDef] = []
        self.inline: dict[str, Lookup] = {}  # identifier -> its inline graphical function
        self.current: str | None = None  # the variable whose equation is being read (SELF)

    # -- errors ---------------------------------------------------------------
    def fail(self, message: str, node: XNode | None, hint: str | None = None) -> NoReturn:
        line = node.line if node is not None else None
        column = node.column if node is not None else None
        raise LoopError([self.source.diagnostic(message, line, column, hint)])

    def unsupported(self, what: str, node: XNode) -> NoReturn:
        self.fail(f"{what} (<{node.tag}> element) are not supported", node,
                  "loopdsl reads scalar XMILE models only")

    # -- the document ---------------------------------------------------------
    def read(self) -> Model:
        root = parse_xml(self.text, self.file)
        if root.tag != "xmile":
            self.fail(f"not an XMILE file: the root element is <{root.tag}>, not <xmile>", root)
        for macro in root.findall("macro"):
            self.unsupported("macros", macro)
        models = root.findall("model")
        if not models:
            self.fail("the XMILE file has no <model> element", root)
        if len(models) > 1:
            self.unsupported("modules (more than one model)", models[1])
        header = root.find("header")
        name_el = header.find("name") if header is not None else None
        title = (" ".join(name_el.text.split()) or None) if name_el is not None else None
        name = IdentifierMaker()(title or Path(self.file).stem or "model")  # its own namespace
        model = Model(name=name, title=title if title != name else None,
                      pos=Pos(line=root.line, column=root.column))
        specs = root.find("sim_specs")
        if specs is not None:
            model.time, model.method = self.sim_specs(specs)
        self.behavior = self.behaviors(root, models[0])
        self.variables(models[0], model)
        self.model_extension(root, model)
        return model

    def sim_specs(self, specs: XNode) -> tuple[TimeSpec, Any]:
        def number(tag: str, default: float) -> float:
            el = specs.find(tag)
            if el is None:
                return default
            value = self.number(el)
            if tag == "dt" and el.attrib.get("reciprocal", "").lower() == "true":
                if value == 0:
                    self.fail("<dt reciprocal=\"true\"> of 0", el)
                value = 1.0 / value
            return value

        start, stop, dt = number("start", 0.0), number("stop", 100.0), number("dt", 1.0)
        if dt <= 0:
            self.fail(f"dt must be positive, not {dt:g}", specs.find("dt") or specs)
        method = specs.attrib.get("method")
        chosen = None
        if method is not None:
            chosen = _METHODS.get(method.strip().lower())
            if chosen is None:
                self.fail(f"integration method '{method}' is not supported", specs,
                          "use Euler or RK4")
        unit = specs.attrib.get("time_units") or None
        pos = Pos(line=specs.line, column=specs.column)
        return TimeSpec(start=start, stop=stop, step=dt, unit=unit, pos=pos), chosen

    def behaviors(self, root: XNode, xmodel: XNode) -> dict[str, bool]:
        """Document-wide ``<behavior>``: non-negative stocks and/or flows by default."""
        found = {"stock": False, "flow": False}
        for owner in (root, xmodel):
            for behavior in owner.findall("behavior"):
                if behavior.find("non_negative") is not None:
                    found = {"stock": self.flag(behavior, "non_negative")} | \
                        {"flow": self.flag(behavior, "non_negative")}
                for kind in ("stock", "flow"):
                    el = behavior.find(kind)
                    if el is not None and el.find("non_negative") is not None:
                        found[kind] = self.flag(el, "non_negative")
        return found

    def number(self, el: XNode) -> float:
        text = el.text.strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.fail(f"<{el.tag}> must be a number, not {text[:40]!r}", el)
        return value

    def model_extension(self, root: XNode, model: Model) -> None:
        """loopdsl's own data (links, loops, ...), written by :mod:`loopdsl.xmile.writer`."""
        for ext in root.children:
            if ext.ns != LOOPDSL_NS or ext.tag != "extension":
                continue
            model.name = ext.attrib.get("name")  # exactly what the model had
            model.title = ext.attrib.get("title")
            if ext.attrib.get("time") == "default":
                model.time = None  # the sim specs were the defaults, written for other tools
            for el in ext.children:
                pos = Pos(line=el.line, column=el.column)
                if el.tag == "description":
                    model.description = el.text
                elif el.tag == "link":
                    a = el.attrib
                    source, target = self.ref(a.get("from", ""), el), self.ref(a.get("to", ""), el)
                    match a.get("polarity"):
                        case "+" | "-" | "?" as sign:
                            pass
                        case _:
                            self.fail("a link's polarity must be +, - or ?", el)
                    model.links.append(Link(
                        source=source, target=target, polarity=sign,
                        gain=self.attr_expr(el, "gain"), delay=self.attr_expr(el, "delay"),
                        label=a.get("label"), pos=pos))
                elif el.tag == "loop":
                    polarity = el.attrib.get("polarity")
                    model.loops.append(LoopDecl(
                        id=self.declared_id(el, "loop"), title=el.attrib.get("title"),
                        path=[self.ref(p, el) for p in el.text.split()],
                        polarity="R" if polarity == "R" else "B" if polarity == "B" else None,
                        pos=pos))
                elif el.tag == "scenario":
                    scenario = Scenario(id=self.declared_id(el, "scenario"),
                                        title=el.attrib.get("title"), pos=pos)
                    for s in el.children:
                        if s.tag == "set":
                            scenario.assignments.append(Assignment(
                                target=self.ref(s.attrib.get("target", ""), s),
                                value=self.equation(s), pos=Pos(line=s.line, column=s.column)))
                    model.scenarios.append(scenario)
                elif el.tag == "vary":
                    try:
                        args = [float(x) for x in el.attrib.get("args", "").split()]
                    except ValueError:
                        args = [math.nan]
                    if not all(math.isfinite(a) for a in args):
                        self.fail("<loopdsl:vary> args must be numbers", el)
                    match el.attrib.get("dist"):
                        case "uniform" | "normal" | "triangular" as dist:
                            pass
                        case other:
                            self.fail(f"unknown distribution {other!r}", el)
                    if len(args) != _ARG_COUNTS[dist]:
                        self.fail(f"{dist} takes {_ARG_COUNTS[dist]} numbers, got {len(args)}",
                                  el)
                    problem = _distribution_problem(dist, args)
                    if problem is not None:
                        self.fail(f"<loopdsl:vary> {dist}: {problem}", el)
                    model.distributions.append(Distribution(
                        target=self.ref(el.attrib.get("target", ""), el), dist=dist,
                        args=args, pos=pos))

    def declared_id(self, el: XNode, default: str) -> str:
        """The ``id`` of a loop or scenario extension element: a .loop name, not a keyword."""
        value = el.attrib.get("id", default)
        if not (_DECLARED_ID.match(value) and value.lower() not in KEYWORDS):
            self.fail(f"<loopdsl:{el.tag}> id '{value}' is not a name", el,
                      "use letters, digits and underscores, not starting with a digit")
        return value

    def ref(self, name: str, el: XNode) -> str:
        """The identifier of a variable named in an extension element (a plain node if new)."""
        key = canonical(name)
        if not key:
            self.fail(f"<loopdsl:{el.tag}> names no variable", el)
        if key not in self.ids:
            self.ids[key] = self.names(name)
        return self.ids[key]

    def attr_expr(self, el: XNode, attr: str) -> Expr | None:
        text = el.attrib.get(attr)
        if text is None:
            return None
        node = XNode(el.tag, el.ns, {}, el.line, el.column, text=text,
                     text_line=el.line, text_column=el.column)
        return self.equation(node)

    # -- variables ------------------------------------------------------------
    def variables(self, xmodel: XNode, model: Model) -> None:
        containers = [xmodel, *xmodel.findall("variables")]  # old and new layouts
        elements: list[XNode] = []
        groups: list[XNode] = []
        self.generated = set()
        for container in containers:
            for el in container.children:
                generated = el.foreign and self.ext(el, "generated") is not None
                if generated:  # written by loopdsl for other tools: not read back
                    self.generated.add(canonical(el.attrib.get("name", "")))
                if el.ns not in XMILE_NAMESPACES:
                    continue
                if el.tag in VARIABLE_TAGS:
                    if not generated:
                        elements.append(el)
                elif el.tag == "group":
                    groups.append(el)
                elif el.tag == "module":
                    self.unsupported("modules", el)
                elif container is not xmodel and el.tag not in _IGNORED_IN_VARIABLES:
                    self.fail(f"unsupported XMILE element <{el.tag}> in <variables>", el)
        ids, names = self.ids, self.names
        for el in elements:
            raw = el.attrib.get("name")
            if raw is None or not raw.strip():
                self.fail(f"<{el.tag}> has no name", el)
            key = canonical(raw)
            if key in ids:
                other = self.elements[ids[key]]
                self.fail(f"duplicate variable name '{display_name(raw)}'", el,
                          f"first defined at line {other.line}")
            ident = names(raw)
            if el.tag == "gf":
                self.lookup_ids[key] = ident
            ids[key] = ident
            self.elements[ident] = el
            self.ident_of[el] = ident
        for el in elements:  # inline graphical functions first: calls may use them
            gf = el.find("gf")
            if gf is not None and el.tag in ("aux", "flow"):
                self.inline[self.ident_of[el]] = self.graphical(gf)
        flows_of: dict[str, tuple[str | None, str | None]] = {}
        for el in elements:
            if el.tag == "stock":
                self.stock_flows(el, flows_of)
        nodes = model.nodes
        for el in elements:
            nodes.append(self.node(el, flows_of))
        nodes.extend(self.extra_lookups)
        for g in groups:
            self.group(g, model)

    def node(self, el: XNode, flows_of: dict[str, tuple[str | None, str | None]]) -> Any:
        raw = el.attrib["name"]
        ident = self.ident_of[el]
        children = el.standard_children()
        if not _UNSUPPORTED_CHILDREN.isdisjoint(children):
            for child in el.children:  # the first one, in document order
                if child.tag in ("dimensions", "element") and child.standard:
                    self.unsupported("arrays", child)
                if child.tag in ("conveyor", "queue") and child.standard:
                    self.unsupported(f"{child.tag}s", child)
        label = display_name(raw)
        units, doc = children.get("units"), children.get("doc")
        common: dict[str, Any] = {
            "id": ident,
            "label": label if label != ident else None,
            "unit": (units.text.strip() or None) if units is not None else None,
            "description": (doc.text.strip() or None) if doc is not None else None,
            "pos": make_pos(el.line, el.column),
        }
        foreign = el.foreign  # loopdsl's own marks below, if any
        if foreign:
            common["label"] = self.extension(el, "label", common["label"])
            group = self.extension(el, "group", None)
            if group is not None:
                common["group"] = group
        tag = el.tag
        if tag == "gf":
            common["lookup"] = self.graphical(el)
            return _lookup_def(common)
        plain = self.ext(el, "node") if foreign else None
        if plain is not None:
            parts = {k: self.attr_expr(plain, k) for k in ("initial", "push", "decay", "capacity")}
            common.update(parts, implicit=plain.attrib.get("implicit") == "true")
            return _plain(common)
        expr: Expr | None = None
        if not foreign or self.ext(el, "no_equation") is None:  # "none was written"
            eqn = children.get("eqn")
            if eqn is None or not eqn.text.strip():
                if tag == "stock":
                    self.fail(f"stock '{label}' has no initial value (<eqn>)", el)
                self.fail(f"{tag} '{label}' has no equation (<eqn>)", el)
            self.current = ident
            try:
                expr = self.equation(eqn)
            finally:
                self.current = None
        if tag == "stock":
            if "gf" in children:
                self.fail(f"stock '{label}' has a graphical function", children["gf"])
            capacity = self.ext(el, "capacity") if foreign else None
            common["initial"] = expr
            common["non_negative"] = self.non_negative(el)
            common["capacity"] = self.equation(capacity) if capacity is not None else None
            return _stock(common)
        lookup = self.inline.get(ident)
        if tag == "flow":
            source, target = flows_of.get(ident, (None, None))
            rerouted = self.ext(el, "to") if foreign else None
            if rerouted is not None:  # its stock takes it in through a generated flow
                target = self.ref(rerouted.text, rerouted) if rerouted.text.strip() else None
            common["equation"] = expr
            common["lookup"] = lookup
            common["source"] = source
            common["target"] = target
            common["non_negative"] = self.non_negative(el)
            return _flow(common)
        kind = self.extension(el, "kind", None) if foreign else None
        common["equation"] = expr
        if kind == "aux" or lookup is not None or (expr is not None and not _is_literal(expr)):
            common["lookup"] = lookup
            return _aux(common)
        return _constant(common)

    def stock_flows(self, el: XNode, flows_of: dict[str, tuple[str | None, str | None]]) -> None:
        stock = self.ident_of[el]
        for tag, side in (("inflow", 1), ("outflow", 0)):
            for ref in el.findall(tag):
                key = canonical(ref.text)
                if key in self.generated:
                    continue
                flow = self.ids.get(key)
                if flow is None or self.elements[flow].tag != "flow":
                    what = "an undefined name" if flow is None else \
                        f"a {self.elements[flow].tag}, not a flow"
                    self.fail(f"stock '{display_name(el.attrib['name'])}' lists "
                              f"'{display_name(ref.text)}' as {tag}, which is {what}", ref)
                ends = list(flows_of.get(flow, (None, None)))
                if ends[side] is not None:
                    self.fail(f"flow '{display_name(ref.text)}' is an {tag} of two stocks "
                              f"('{ends[side]}' and '{stock}')", ref,
                              "a flow goes from at most one stock to at most one stock")
                ends[side] = stock
                flows_of[flow] = (ends[0], ends[1])

    def group(self, el: XNode, model: Model) -> None:
        raw = el.attrib.get("name")
        if not raw:
            self.fail("<group> has no name", el)
        ident = self.names(raw)
        label = display_name(raw)
        model.groups.append(Group(id=ident, label=self.extension(
                                      el, "label", label if label != ident else None),
                                  description=self.text_of(el, "doc"),
                                  pos=Pos(line=el.line, column=el.column)))
        by_id = {n.id: n for n in model.nodes}
        for entity in el.findall("entity"):
            member = self.ids.get(canonical(entity.attrib.get("name", "")))
            if member is not None and by_id[member].group is None:
                by_id[member].group = ident

    # -- parts ----------------------------------------------------------------
    def equation(self, eqn: XNode) -> Expr:
        text = eqn.text

        line, column = eqn.text_line or eqn.line, eqn.text_column or 1

        def where(offset: int) -> Pos:
            return make_pos(line, column + offset)

        if "\n" in text:
            def where(offset: int) -> Pos:
                newlines = text.count("\n", 0, offset)
                if newlines:
                    return make_pos(eqn.text_line + newlines,
                                    offset - text.rfind("\n", 0, offset))
                return make_pos(line, column + offset)

        try:
            return parse_equation(text, self.resolve, self.resolve_call, where)
        except EquationError as err:
            pos = where(err.offset)
            raise LoopError([self.source.diagnostic(err.message, pos.line, pos.column,
                                                    err.hint)]) from None

    def resolve(self, key: str, raw: str) -> str:
        ident = self.ids.get(key)
        if ident is None and key == "self" and self.current is not None:
            return self.current  # XMILE's SELF: the variable being defined
        if ident is None:
            raise EquationError(f"undefined variable '{display_name(raw)}'", 0)
        return ident

    def resolve_call(self, key: str, raw: str) -> str:
        if key in self.lookup_ids:
            return self.lookup_ids[key]
        ident = self.ids.get(key)
        if ident is not None and ident in self.inline:
            # an auxiliary's own graphical function applied to another input
            name = self.names(f"{ident} graph")
            if not any(n.id == name for n in self.extra_lookups):
                el = self.elements[ident]
                self.extra_lookups.append(LookupDef(
                    id=name, lookup=self.inline[ident],
                    label=f"{display_name(el.attrib['name'])} (graph)",
                    pos=Pos(line=el.line, column=el.column)))
            self.lookup_ids[key] = name
            return name
        raise EquationError(f"'{display_name(raw)}' is not a graphical function", 0)

    def graphical(self, gf: XNode) -> Lookup:
        ypts = gf.find("ypts")
        if ypts is None:
            self.fail("graphical function without <ypts>", gf)
        ys = self.points(ypts)
        xpts = gf.find("xpts")
        if xpts is not None:
            xs = self.points(xpts)
            if len(xs) != len(ys):
                self.fail(f"graphical function has {len(xs)} x points but {len(ys)} y points",
                          xpts)
        else:
            xscale = gf.find("xscale")
            if xscale is None:
                self.fail("graphical function has neither <xpts> nor <xscale>", gf)
            try:
                lo, hi = float(xscale.attrib["min"]), float(xscale.attrib["max"])
            except (KeyError, ValueError):
                lo = hi = math.nan
            if not (math.isfinite(lo) and math.isfinite(hi)):
                self.fail("<xscale> needs numeric min and max attributes", xscale)
            n = len(ys)
            xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]
        if any(b < a for a, b in pairwise(xs)):
            self.fail("graphical function x points must be in ascending order", xpts or gf)
        kind = gf.attrib.get("type", "").strip().lower()
        if not kind:
            kind = "discrete" if gf.attrib.get("discrete", "").lower() == "true" \
                else "continuous"
        if kind not in ("continuous", "extrapolate", "discrete"):
            self.fail(f"graphical function type '{kind}' is not supported", gf,
                      "use continuous, extrapolate or discrete")
        return _lookup(xs=xs, ys=ys, interpolation=kind, pos=make_pos(gf.line, gf.column))

    def points(self, el: XNode) -> list[float]:
        sep = el.attrib.get("sep", ",")
        parts = [p.strip() for p in el.text.split(sep)] if sep.strip() else el.text.split()
        try:
            values = [float(p) for p in parts if p]
        except ValueError:
            values = [math.nan]
        if not all(math.isfinite(v) for v in values):
            self.fail(f"<{el.tag}> must be numbers separated by {sep!r}", el)
        if not values:
            self.fail(f"<{el.tag}> is empty", el)
        return values

    @staticmethod
    def text_of(el: XNode, tag: str) -> str | None:
        child = el.find(tag)
        if child is None:
            return None
        text = child.text.strip()
        return text or None

    def non_negative(self, el: XNode) -> bool:
        """A stock's or flow's own <non_negative/>, else the document's <behavior>."""
        if el.find("non_negative") is not None:
            return self.flag(el, "non_negative")
        return self.behavior[el.tag]

    @staticmethod
    def flag(el: XNode, tag: str) -> bool:
        child = el.find(tag)
        if child is None:
            return False
        return child.text.strip().lower() not in ("false", "0")

    @staticmethod
    def ext(el: XNode, tag: str) -> XNode | None:
        """The child element ``loopdsl:<tag>``, if there is one."""
        return el.find_ns(LOOPDSL_NS, tag)

    @staticmethod
    def extension(el: XNode, tag: str, default: str | None) -> str | None:
        child = el.find_ns(LOOPDSL_NS, tag)
        return default if child is None else child.text


def _is_literal(expr: Expr) -> bool:
    """True for an equation of numbers only: an XMILE constant."""
    if type(expr) is Num:
        return True
    return not any(isinstance(e, (Name, Call)) for e in walk(expr))


def loads_xmile(text: str, file: str = "<string>") -> Model:
    """Read XMILE text into a checked model; a LoopError for any problem."""
    # Thousands of small objects (loopdsl.tuning's "gc" knob, off unless the program turns
    # it on). The reader makes no reference cycle (tests/test_xmile.py checks) and the
    # model lives on.
    with gc_paused():
        model = normalize(Reader(text, file).read())
        model.source = file
        keep_built_objects()
        problems = check(model, Source(text, file))
    if problems:
        raise LoopError(problems)
    return model


def load_xmile(path: str | Path) -> Model:
    """Read an .xmile or .stmx file into a checked model."""
    from loopdsl.loader import read_text

    return loads_xmile(read_text(path), str(path))
