"""Stage 2: lark parse tree -> typed :class:`~loopdsl.model.Model`.

Checks here are those of one statement at a time (bad numbers, attributes that
do not fit a node's kind); whole-model checks are in :mod:`loopdsl.checker`.

>>> from loopdsl.parser import parse
>>> tree, comments = parse('node a "Traffic"\\na -> b')
>>> m = build_model(tree, comments)
>>> [n.id for n in m.nodes], [(l.source, l.target, l.polarity) for l in m.links]
(['a'], [('a', 'b', '+')])
"""

from __future__ import annotations

import math
import re
from itertools import pairwise
from typing import Any, Literal

from lark import Token, Tree

from loopdsl.builtins import arity
from loopdsl.errors import Diagnostic, LoopError, Source
from loopdsl.model import (
    Assignment,
    Aux,
    Binary,
    BinaryOp,
    Call,
    Constant,
    Distribution,
    Flow,
    Group,
    If,
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
    Unary,
)
from loopdsl.parser import edge_token

NODE_CLASSES = {"node": PlainNode, "stock": Stock, "flow": Flow, "aux": Aux,
                "const": Constant, "lookup": LookupDef}

# Which attributes each node kind takes (besides label, unit, in, description).
KIND_ATTRIBUTES: dict[str, set[str]] = {
    "node": {"initial", "push", "decay", "capacity"},
    "stock": {"initial", "non_negative", "capacity"},
    "flow": {"equation", "from", "to", "non_negative", "points"},
    "aux": {"equation", "points"},
    "const": {"equation"},
    "lookup": {"points"},
}
_FIELD = {"equation": "equation", "initial": "initial", "push": "push", "decay": "decay",
          "capacity": "capacity", "from": "source", "to": "target"}
_LOOP_POLARITY: dict[str, Literal["R", "B"]] = {"reinforcing": "R", "balancing": "B"}
_SPELLED: dict[str, BinaryOp] = {"==": "=", "!=": "<>"}  # other spellings of operators


def _pos(item: Tree | Token) -> Pos | None:
    if isinstance(item, Token):
        first = last = item
    else:
        found, last_found = edge_token(item), edge_token(item, last=True)
        if found is None or last_found is None:
            return None
        first, last = found, last_found
    if first.line is None or first.column is None:  # pragma: no cover - the lexer sets them
        return None
    return Pos(line=first.line, column=first.column, end_line=last.end_line,
               end_column=last.end_column)


def _token(item: Tree | Token | None) -> Token:
    """A parse-tree child that the grammar makes a token (a NAME, STRING, keyword...)."""
    if isinstance(item, Token):
        return item
    raise AssertionError(f"expected a token, not {item!r}")  # pragma: no cover


def _tree(item: Tree | Token | None) -> Tree:
    """A parse-tree child that the grammar makes a subtree (a name, word, number...)."""
    if isinstance(item, Tree):
        return item
    raise AssertionError(f"expected a subtree, not {item!r}")  # pragma: no cover


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def unquote(token: Token) -> str:
    """The text of a STRING token: quotes removed, \\" \\\\ \\n \\t \\r decoded.

    >>> unquote(Token("STRING", r'"say \\"hi\\"\\n"'))
    'say "hi"\\n'
    """
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), token.value[1:-1])


# Characters no XML 1.0 document can hold (GraphML, GEXF and XMILE exports are XML).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shorten(text: str, limit: int = 40) -> str:
    """Text cut to ``limit`` characters for a message ('...' marks the cut).

    >>> shorten("1" * 50)
    '1111111111111111111111111111111111111...'
    """
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Builder:
    """Walks a parse tree and builds the model, collecting every error it meets."""

    def __init__(self, source: Source):
        self.source = source
        self.errors: list[Diagnostic] = []
        self.chain_count = 0
        self.header_lines: dict[str, int] = {}  # model/time/method -> line first given

    def once(self, keyword: str, t: Tree) -> None:
        """Report a header statement given a second time (the later one would win silently)."""
        pos = _pos(t)
        line = pos.line if pos else 0
        if keyword in self.header_lines:
            self.error(f"duplicate '{keyword}' statement", t,
                       f"first given at line {self.header_lines[keyword]}")
        else:
            self.header_lines[keyword] = line

    def error(self, message: str, at: Tree | Token | Pos | None, hint: str | None = None) -> None:
        pos = at if isinstance(at, Pos) or at is None else _pos(at)
        self.errors.append(self.source.diagnostic(
            message, pos.line if pos else None, pos.column if pos else None, hint))

    # -- statements --------------------------------------------------------

    def build(self, tree: Tree, comments: list[Token]) -> Model:
        model = Model(source=self.source.file)
        statements: list[tuple[Any, Pos | None]] = []
        for stmt in tree.children:
            handler = getattr(self, stmt.data)
            for element in handler(stmt, model):
                statements.append((element, _pos(stmt)))
        attach_comments(model, statements, comments)
        return model

    def model_stmt(self, t: Tree, model: Model):
        self.once("model", t)
        _, name, title, _, description = t.children
        model.name = self.name(name)
        model.title = self.optional_text(title)
        model.description = self.optional_text(description)
        model.pos = _pos(t)
        yield model

    def time_stmt(self, t: Tree, model: Model):
        self.once("time", t)
        _, start, _, stop, *options = t.children
        spec = TimeSpec(start=self.number(start), stop=self.number(stop), pos=_pos(t))
        for opt in options:
            if opt.data == "time_step":
                spec.step = self.number(opt.children[1])
                if spec.step <= 0:
                    self.error("the time step must be positive", opt.children[1])
            else:
                spec.unit = self.word(opt.children[1])
        if spec.stop < spec.start:
            self.error("the time range ends before it starts", t,
                       f"write 'time {spec.stop:g} to {spec.start:g}'")
        model.time = spec
        yield spec

    def method_stmt(self, t: Tree, model: Model):
        self.once("method", t)
        match self.name(t.children[1]).lower():
            case "euler" | "rk4" as method:
                model.method = method
            case other:
                self.error(f"unknown integration method '{other}', expected euler or rk4",
                           t.children[1])
        yield _Marker()

    def group_stmt(self, t: Tree, model: Model):
        _, name, label, _, description = t.children
        group = Group(id=self.name(name), label=self.optional_text(label),
                      description=self.optional_text(description), pos=_pos(t))
        model.groups.append(group)
        yield group

    def node_stmt(self, t: Tree, model: Model):
        kind_token, name, label, _, equation, *options = t.children
        kind = _token(kind_token).value
        fields: dict[str, Any] = {"id": self.name(name), "pos": _pos(t)}
        if label is not None:
            fields["label"] = self.text(_token(label))
        seen: set[str] = set()
        allowed = KIND_ATTRIBUTES[kind]

        def take(attr: str, value: Any, at: Tree | Token) -> None:
            if attr in seen:
                self.error(f"'{attr}' is given twice for {kind} '{fields['id']}'", at)
                return
            seen.add(attr)
            if attr in allowed or attr in ("unit", "in", "description"):
                fields[_FIELD.get(attr, attr)] = value
                return
            hint = None
            if kind == "stock" and attr == "equation":
                hint = "a stock's value comes from its flows: write 'initial' for its start value"
            elif attr == "equation":
                hint = "use 'aux' or 'flow' for a node with an equation"
            elif attr in ("from", "to"):
                hint = "only a flow goes from or to a stock"
            self.error(f"a {kind} takes no '{'=' if attr == 'equation' else attr}'", at, hint)

        if equation is not None:
            take("equation", self.expr(equation), equation)
        for opt in options:
            tag = opt.data.removeprefix("node_")
            if tag == "non_negative":  # the one option that is a keyword alone
                take("non_negative", True, opt)
                continue
            value_item = opt.children[1]
            if tag in ("initial", "push", "decay", "capacity"):
                take(tag, self.expr(value_item), opt)
            elif tag == "unit":
                take("unit", self.word(_tree(value_item)), opt)
            elif tag == "group":
                take("in", self.name(value_item), opt)
                if "in" in seen:
                    fields["group"] = fields.pop("in", fields.get("group"))
            elif tag == "description":
                take("description", self.text(_token(value_item)), opt)
            elif tag in ("from", "to"):
                take(tag, self.name(value_item), opt)
            elif tag == "points":
                how = opt.children[2]
                take("points", self.points(_tree(value_item),
                                           None if how is None else _token(how)), opt)
        if "points" in fields:
            fields["lookup"] = fields.pop("points")
        if kind == "lookup" and "lookup" not in fields:
            self.error(f"lookup '{fields['id']}' has no points", t,
                       "write points [(0, 0), (1, 1)]")
            fields["lookup"] = Lookup(xs=[0.0], ys=[0.0])
        node = NODE_CLASSES[kind](**fields)
        model.nodes.append(node)
        yield node

    def link_stmt(self, t: Tree, model: Model):
        items = t.children
        chain = None
        if len(items) > 3:
            chain = self.chain_count
            self.chain_count += 1
        first = None
        for i in range(1, len(items), 2):
            source, arrow, target = items[i - 1], items[i], items[i + 1]
            link = Link(source=self.name(source), target=self.name(target), chain=chain,
                        pos=_pos(source))
            if arrow.data == "attr_arrow":
                self.arrow_options(arrow, link)
            model.links.append(link)
            if first is None:
                first = link
                yield link

    def arrow_options(self, arrow: Tree, link: Link) -> None:
        _, sign, *options, _ = arrow.children
        if sign is not None:
            link.polarity = _token(sign.children[0]).value
        seen: set[str] = set()
        for opt in options:
            tag = opt.data.removeprefix("link_")
            if tag in seen:
                self.error(f"'{tag}' is given twice for link {link.source} -> {link.target}",
                           opt)
            seen.add(tag)
            if tag == "gain":
                link.gain = self.expr(opt.children[1])
            elif tag == "delay":
                link.delay = self.expr(opt.children[1])
                if _negative_literal(link.delay):
                    self.error("a delay cannot be negative", opt.children[1])
            else:
                link.label = self.text(_token(opt.children[0]))

    def loop_stmt(self, t: Tree, model: Model):
        _, name, title, polarity, _, *path_items = t.children
        path = [self.name(p) for p in path_items if isinstance(p, Tree)]
        if len(path) > 1 and path[0] == path[-1]:
            path = path[:-1]
        decl = LoopDecl(id=self.name(name), title=self.optional_text(title), path=path,
                        polarity=_LOOP_POLARITY.get(_token(polarity).value if polarity else ""),
                        pos=_pos(t))
        model.loops.append(decl)
        yield decl

    def scenario_stmt(self, t: Tree, model: Model):
        _, name, title, _, *rest = t.children
        assignments = [Assignment(target=self.name(a.children[0]), value=self.expr(a.children[2]),
                                  pos=_pos(a))
                       for a in rest if isinstance(a, Tree)]
        scenario = Scenario(id=self.name(name), title=self.optional_text(title),
                            assignments=assignments, pos=_pos(t))
        model.scenarios.append(scenario)
        yield scenario

    def vary_stmt(self, t: Tree, model: Model):
        _, target, _, dist, _, *rest = t.children
        args = [self.number(n) for n in rest if isinstance(n, Tree)]
        expected = {"uniform": (2, "uniform(low, high)"), "normal": (2, "normal(mean, sd)"),
                    "triangular": (3, "triangular(low, mode, high)")}
        match self.name(dist).lower():
            case "uniform" | "normal" | "triangular" as dist_name:
                pass
            case other:
                self.error(f"unknown distribution '{other}', expected uniform, normal or "
                           "triangular", dist)
                return
        count, usage = expected[dist_name]
        if len(args) != count:
            self.error(f"{dist_name} takes {count} numbers, got {len(args)}", dist,
                       f"write {usage}")
            return
        problem = _distribution_problem(dist_name, args)
        if problem is not None:
            self.error(f"{dist_name}({', '.join(f'{a:g}' for a in args)}): {problem}", dist)
            return
        distribution = Distribution(target=self.name(target), dist=dist_name, args=args,
                                    pos=_pos(t))
        model.distributions.append(distribution)
        yield distribution

    # -- pieces -------------------------------------------------------------

    def name(self, t: Tree | Token) -> str:
        return _token(t.children[0] if isinstance(t, Tree) else t).value

    def text(self, token: Token) -> str:
        """A string's text; control characters are refused (XML exports cannot hold them)."""
        value = unquote(token)
        bad = _NOT_TEXT.search(value)
        if bad is not None:
            what = "non-character" if bad.group() in "\ufffe\uffff" else "control character"
            self.error(f"a quoted text may not contain the {what} U+{ord(bad.group()):04X}",
                       token,
                       "write \\n for a new line, \\t for a tab")
            return _NOT_TEXT.sub("", value)
        return value

    def optional_text(self, item: Tree | Token | None) -> str | None:
        """:meth:`text` of a string the grammar lets a statement leave out (else None)."""
        return None if item is None else self.text(_token(item))

    def word(self, t: Tree) -> str:
        token = _token(t.children[0])
        return self.text(token) if token.type == "STRING" else token.value

    def number(self, t: Tree) -> float:
        sign, token = t.children
        value = self.float_token(_token(token))
        return -value if sign is not None and _token(sign).value == "-" else value

    def float_token(self, token: Token) -> float:
        try:
            value = float(token.value)
        except ValueError:
            self.error(f"bad number '{shorten(token.value)}'", token,
                       "a number is written like 12, 0.5, .5 or 1e-3")
            return 0.0
        if math.isinf(value):
            self.error(f"number '{shorten(token.value)}' is too large", token)
            return 0.0
        return value

    def points(self, t: Tree, interpolation: Token | None) -> Lookup:
        pairs = [(self.number(p.children[1]), self.number(p.children[3]))
                 for p in t.children if isinstance(p, Tree)]
        xs = [x for x, _ in pairs]
        if any(b <= a for a, b in pairwise(xs)):
            self.error("the x values of a lookup must increase", t)
        return Lookup(xs=xs, ys=[y for _, y in pairs],
                      interpolation=interpolation.value if interpolation else "continuous")

    def expr(self, t: Tree | Token) -> Any:
        while isinstance(t, Tree) and t.data == "paren":  # no recursion: 10,000 are fine
            t = t.children[1]
        if isinstance(t, Token):  # a bare NUMBER or NAME reached through an inlined rule
            if t.type == "NUMBER":
                return Num(value=self.float_token(t), pos=_pos(t))
            return Name(name=t.value, pos=_pos(t))
        kind = t.data
        pos = _pos(t)
        c = t.children
        if kind == "num":
            return Num(value=self.float_token(_token(c[0])), pos=pos)
        if kind == "ref":
            return Name(name=_token(c[0]).value, pos=pos)
        if kind == "call":
            called = _token(c[0]).value
            func = called.lower() if arity(called) else called
            args = [self.expr(a) for a in c[2:-1] if not (isinstance(a, Token) and
                                                          a.type == "COMMA") and a is not None]
            return Call(func=func, args=args, pos=pos)
        if kind == "if_expr":
            return If(cond=self.expr(c[1]), then=self.expr(c[3]), orelse=self.expr(c[5]),
                      pos=pos)
        if kind == "unary":
            op_token = _token(c[0].children[0] if isinstance(c[0], Tree) else c[0])
            return Unary(op=op_token.value.lower(), operand=self.expr(c[1]), pos=pos)
        if kind == "binary":
            op_token = _token(c[1].children[0] if isinstance(c[1], Tree) else c[1])
            op = _SPELLED.get(op_token.value, op_token.value.lower())
            return Binary(op=op, left=self.expr(c[0]), right=self.expr(c[2]), pos=pos)
        raise AssertionError(f"unexpected tree {kind}")


def _distribution_problem(dist: str, args: list[float]) -> str | None:
    """What is wrong with a distribution's numbers, or None.

    >>> _distribution_problem("uniform", [3, 1])
    'the low end is above the high end'
    """
    if dist == "uniform" and args[0] > args[1]:
        return "the low end is above the high end"
    if dist == "normal" and args[1] < 0:
        return "the standard deviation cannot be negative"
    if dist == "triangular" and not args[0] <= args[1] <= args[2]:
        return "the mode must lie between the low and the high end"
    return None


def _negative_literal(expr: Any) -> bool:
    """True for a literal below zero: Num(-1) or the parsed form -(1)."""
    if isinstance(expr, Num):
        return expr.value < 0
    return (isinstance(expr, Unary) and expr.op == "-" and isinstance(expr.operand, Num)
            and expr.operand.value > 0)


class _Marker:
    """Stands for a header statement (method) in the comment-attachment pass."""


def attach_comments(model: Model, statements: list[tuple[Any, Pos | None]],
                    comments: list[Token]) -> None:
    """Give each comment to the statement it belongs to.

    A comment on a line of a statement is that statement's trailing comment
    (a second one leads it instead); other comments lead the next statement.
    Comments before header statements (model, time, method) are the model's
    header comments, and a comment on a header statement's line goes to
    ``model.header_trailing``; comments after the last statement are its end
    comments. Comments keep their order.
    """
    ordered = sorted(((p.line, p.end_line or p.line, k, el)
                      for k, (el, p) in enumerate(statements) if p is not None),
                     key=lambda item: (item[0], item[2]))
    i = 0
    pending: list[str] = []
    for token in comments:
        text = token.value[1:].rstrip()  # trailing blanks (and CR of CRLF files) are not kept
        text = text[1:] if text.startswith(" ") else text
        line = token.line
        assert line is not None  # the lexer gives every token its position
        while i < len(ordered) and ordered[i][1] < line:  # statements wholly before it
            _give_leading(model, ordered[i][3], pending)
            pending = []
            i += 1
        if i < len(ordered) and ordered[i][0] <= line:  # inside or at the end of statement i
            element = ordered[i][3]
            _give_leading(model, element, pending)  # the comments before it come first
            pending = []
            header = _header_key(element)
            if header is not None and header not in model.header_trailing:
                model.header_trailing[header] = text
            elif getattr(element, "trailing_comment", "") is None:
                element.trailing_comment = text
            else:
                _give_leading(model, element, [text])
            continue
        pending.append(text)
    if pending:
        if i < len(ordered):
            _give_leading(model, ordered[i][3], pending)
        else:
            model.end_comments.extend(pending)


def _header_key(element: Any) -> str | None:
    """'model', 'time' or 'method' for a header statement's element, else None."""
    if isinstance(element, Model):
        return "model"
    if isinstance(element, TimeSpec):
        return "time"
    if isinstance(element, _Marker):
        return "method"
    return None


def _give_leading(model: Model, element: Any, texts: list[str]) -> None:
    if not texts:
        return
    if hasattr(element, "comments"):
        element.comments = element.comments + texts
    else:  # model, time or method statement
        model.header_comments.extend(texts)


def build_model(tree: Tree, comments: list[Token], source: Source | None = None) -> Model:
    """Build the typed model; raise LoopError listing every statement-level error."""
    model, errors = build_model_collecting(tree, comments, source)
    if errors:
        raise LoopError(errors)
    return model


def build_model_collecting(tree: Tree, comments: list[Token],
                           source: Source | None = None) -> tuple[Model, list[Diagnostic]]:
    """The model (with stand-ins where a statement was wrong) and the errors met."""
    builder = Builder(source or Source(""))
    model = builder.build(tree, comments)
    return model, builder.errors
