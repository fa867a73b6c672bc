"""XMILE equation text -> the expression tree of :mod:`loopdsl.model`.

A small hand-written tokenizer and precedence-climbing parser: ``{...}`` is a
comment, names may be quoted (``"Heat Loss"``) or written with underscores,
keywords and function names are case-insensitive. Operator precedence follows
the .loop grammar (which agrees with Vensim and Stella output: ``-2^2`` is -4).
Names are resolved by a callback, so this module knows nothing of models.
Built for big models: one regex pass scans an equation, and the parser's work
for an equation shape is replayed for the next equation of that shape.

>>> from loopdsl.expr import format_expr
>>> e = parse_equation('IF "Room  temp" >= 5 {five} THEN max(a_b, .5) ELSE -2^2',
...                    resolve=lambda key, raw: key.upper())
>>> format_expr(e)
'IF ROOM_TEMP >= 5 THEN MAX(A_B, 0.5) ELSE -2 ^ 2'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from loopdsl.builtins import BUILTIN_FUNCTIONS, BUILTIN_NAMES
from loopdsl.construct import make_binary, make_call, make_if, make_name, make_num, make_unary
from loopdsl.model import Binary, Call, Expr, If, Name, Num, Pos, Unary
from loopdsl.parser import MAX_NESTING
from loopdsl.xmile.names import canonical, display_name


class EquationError(Exception):
    """A problem in one equation, at a character offset of its text."""

    def __init__(self, message: str, offset: int, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


_TOKEN_PARTS = (  # kind, pattern; tried in this order at each position
    ("ws", r"\s+"),
    ("comment", r"\{[^}]*\}"),
    ("num", r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"),
    ("qname", r'"(?:[^"\\]|\\.)*"'),
    ("name", r"[^\W\d][\w$]*"),
    ("op", r"<>|<=|>=|==|!=|[-+*/^(),=<>\[\]]"),
)
_TOKEN = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TOKEN_PARTS))
_SCAN = re.compile("|".join(f"(?:{pattern})" for _, pattern in _TOKEN_PARTS))  # no groups

_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}
_COMPARISON = {"=": "=", "==": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=",
               ">": ">", ">=": ">="}

CONSTANT_NAMES = {name: name.upper() for name in sorted(BUILTIN_NAMES)}
ARRAY_FUNCTIONS = {"sum", "mean", "size", "stddev", "prod", "rank"}


@dataclass(slots=True)
class Token:
    kind: str  # num, name, qname, op, kw, end
    text: str
    offset: int


def tokenize(text: str) -> list[Token]:
    """The tokens of an equation, comments and whitespace dropped."""
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:  # nothing matches at pos: finditer skipped ahead
            break
        kind = m.lastgroup
        if kind == "name":
            word = m.group()
            lower = word.lower()
            if lower in _KEYWORDS:
                append(Token("kw", lower, pos))
            else:
                append(Token("name", word, pos))
        elif kind != "ws" and kind != "comment":
            append(Token(kind or "", m.group(), pos))
        pos = m.end()
    if pos < len(text):
        if text[pos] == "{":
            raise EquationError("unterminated {comment}", pos, "close it with '}'")
        if text[pos] == '"':
            raise EquationError("unterminated quoted name", pos)
        raise EquationError(f"unexpected character {text[pos]!r}", pos)
    append(Token("end", "", len(text)))
    return tokens


# Binary operators by (token kind, text): (binding strength, operator). Higher binds
# tighter; NOT (a prefix) sits between AND and the comparisons, as in the .loop grammar.
_BINARY: dict[tuple[str, str], tuple[int, str]] = {
    ("kw", "or"): (1, "or"), ("kw", "and"): (2, "and"),
    **{("op", text): (3, op) for text, op in _COMPARISON.items()},
    ("op", "+"): (4, "+"), ("op", "-"): (4, "-"),
    ("op", "*"): (5, "*"), ("op", "/"): (5, "/"), ("kw", "mod"): (5, "mod"),
}
_NOT_LEVEL = 3  # NOT applies to a comparison (or to another NOT)

Resolver = Callable[[str, str], str]
"""(canonical name, name as written) -> .loop identifier; raises EquationError if unknown."""

# The parser's token stream: three parallel lists. A token's key is its text for operators
# and keywords (lower case), else one of these markers; its text is as written.
_NUM, _NAME, _END = "#num", "#name", "#end"
_SKIP, _OP = "#skip", "#op"
_FIRST: dict[str, str] = {**dict.fromkeys("0123456789.", _NUM), '"': _NAME, "{": _SKIP,
                          **dict.fromkeys(" \t\n\r\f\v", _SKIP),
                          **dict.fromkeys("-+*/^(),=<>[]!", _OP)}
_BY_KEY: dict[str, tuple[int, str]] = {text: found for (_, text), found in _BINARY.items()}


def scan(text: str) -> tuple[list[str], list[str], list[int]]:
    """(keys, texts, offsets) of an equation's tokens, ending with an end token.

    The same tokens as :func:`tokenize` (which reports a text it cannot read).

    >>> scan('a_b*"c d" {x} IF')
    (['#name', '*', '#name', 'if', '#end'], ['a_b', '*', '"c d"', 'if', ''], [0, 3, 4, 14, 16])
    """
    keys: list[str] = []
    texts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for tok in _SCAN.findall(text):
        kind = _FIRST.get(tok[0])
        if kind is None:  # a word, or whitespace outside ASCII
            if tok[0].isspace():
                pos += len(tok)
                continue
            lower = tok.lower()
            if lower in _KEYWORDS:
                keys.append(lower)
                texts.append(lower)
            else:
                keys.append(_NAME)
                texts.append(tok)
        elif kind is _SKIP:
            pos += len(tok)
            continue
        else:
            keys.append(tok if kind is _OP else kind)
            texts.append(tok)
        offsets.append(pos)
        pos += len(tok)
    if pos != len(text):  # a character no token matches: the tokenizer reports where
        tokens = tokenize(text)
        kinds = {"num": _NUM, "name": _NAME, "qname": _NAME, "end": _END}
        return ([kinds.get(t.kind, t.text) for t in tokens], [t.text for t in tokens],
                [t.offset for t in tokens])
    keys.append(_END)
    texts.append("")
    offsets.append(len(text))
    return keys, texts, offsets


def _nowhere(offset: int) -> Pos | None:
    return None


def parse_equation(text: str, resolve: Resolver, resolve_call: Resolver | None = None,
                   where: Callable[[int], Pos | None] = _nowhere) -> Expr:
    """Parse an XMILE equation; ``resolve`` maps variable names, ``resolve_call`` lookup names.

    ``where`` maps a character offset of the text to a source position.
    Raises :class:`EquationError` (with the offset) for any problem, including an
    expression nested deeper than the .loop front end accepts.
    """
    keys, texts, offsets = scan(text)
    if len(keys) == 2 and keys[0] is _NUM:  # a constant: most equations of a big model
        return _number(texts[0], offsets[0], where)
    shape = tuple(keys)
    plan = _PLANS.get(shape)
    if plan is not None:  # parsed before: replay what the parser did
        return _replay(plan, texts, offsets, resolve, where)
    try:
        expr = _parse(keys, texts, offsets, resolve, resolve_call, where)
    except RecursionError:
        raise EquationError("the equation is nested too deeply", 0,
                            "split it into several auxiliaries") from None
    # Each tree node takes at least one token of its own, and a call (two levels) at
    # least three, so a tree is never deeper than twice its token count.
    if 2 * len(keys) > MAX_DEPTH and _depth(expr) > MAX_DEPTH:
        raise EquationError(f"the equation is nested too deeply (more than {MAX_DEPTH} "
                            "levels)", 0, "split it into several auxiliaries")
    if shape not in _PLANS:  # a shape with calls stays None: it is never replayed
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[shape] = _plan(keys, texts, offsets, resolve)
    return expr


# A big model has few equation shapes (sequences of token keys: "#name * #name #end").
# For a shape without calls the tree depends on the keys alone, so the parser's work is
# kept as a plan, in postfix order: (kind, operator, token index). Names and numbers are
# read in token order when it is replayed, so an error is the one the parser would raise.
_PLANS: dict[tuple[str, ...], tuple[tuple[str, str, int], ...] | None] = {}
_MAX_PLANS = 2048


def _plan(keys: list[str], texts: list[str], offsets: list[int],
          resolve: Resolver) -> tuple[tuple[str, str, int], ...] | None:
    """The plan of an equation the parser has just read, or None for one with calls."""
    for key, after in pairwise(keys):
        if after == "(" and (key is _NAME or key == "mod"):
            return None  # LOOKUP(t, x), IF_THEN_ELSE(...), PI(): the tree depends on names
    # Positions are the tokens' offsets here (a Pos elsewhere): they find each node's token.
    tree = _parse(keys, texts, offsets, resolve, None,
                  lambda offset: offset)  # type: ignore[arg-type, return-value]
    token = {offset: k for k, offset in enumerate(offsets)}
    plan: list[tuple[str, str, int]] = []
    stack: list[tuple[Expr, bool]] = [(tree, False)]
    while stack:  # postfix: children (left to right), then the node
        node, done = stack.pop()
        at = token[node.pos]  # type: ignore[index]
        if done or isinstance(node, (Num, Name)):
            plan.append((node.type, getattr(node, "op", ""), at))
            continue
        stack.append((node, True))
        children = (node.operand,) if isinstance(node, Unary) else \
            (node.left, node.right) if isinstance(node, Binary) else \
            (node.cond, node.then, node.orelse)  # type: ignore[union-attr]
        stack.extend((child, False) for child in reversed(children))
    return tuple(plan)


def _replay(plan: tuple[tuple[str, str, int], ...], texts: list[str], offsets: list[int],
            resolve: Resolver, where: Callable[[int], Pos | None]) -> Expr:
    """Build the tree of a plan for this equation's names and numbers."""
    stack: list[Expr] = []
    push, pop = stack.append, stack.pop
    for kind, op, at in plan:
        if kind == "name":
            push(_name_at(texts[at], offsets[at], resolve, where))
        elif kind == "binary":
            right = pop()
            push(make_binary(op, pop(), right, where(offsets[at])))
        elif kind == "num":
            push(_number(texts[at], offsets[at], where))
        elif kind == "unary":
            push(make_unary(op, pop(), where(offsets[at])))
        else:
            orelse, then = pop(), pop()
            push(make_if(pop(), then, orelse, where(offsets[at])))
    return stack[0]


def _name_at(raw: str, offset: int, resolve: Resolver,
             where: Callable[[int], Pos | None]) -> Expr:
    """The variable a name refers to (TIME, DT, ... where no variable has the name)."""
    name = canonical(raw)
    try:
        ident = resolve(name, raw)
    except EquationError as err:
        if name not in CONSTANT_NAMES:
            raise EquationError(err.message, offset, err.hint) from None
        ident = CONSTANT_NAMES[name]
    return make_name(ident, where(offset))


def _number(text: str, offset: int, where: Callable[[int], Pos | None]) -> Expr:
    value = float(text)
    if not math.isfinite(value):
        raise EquationError(f"number '{text[:40]}' is too large", offset)
    return make_num(value, where(offset))


def _parse(keys: list[str], texts: list[str], offsets: list[int], resolve: Resolver,
           resolve_call: Resolver | None, where: Callable[[int], Pos | None]) -> Expr:
    """Precedence climbing over the token lists (closures share the position ``i``)."""
    i = 0
    parens = 0  # open parentheses around the current token

    def expect(key: str) -> None:
        nonlocal i
        if keys[i] != key:
            got = texts[i] or "the end of the equation"
            shown = key.upper() if key.isalpha() else repr(key)
            raise EquationError(f"expected {shown}, found {got!r}", offsets[i])
        i += 1

    def expr() -> Expr:
        nonlocal i
        if keys[i] == "if":
            start = offsets[i]
            i += 1
            cond = expr()
            expect("then")
            then = expr()
            expect("else")
            return make_if(cond, then, expr(), where(start))
        return binary(1)

    def binary(level: int) -> Expr:
        """Operators binding at least as tightly as ``level``."""
        nonlocal i
        if level <= _NOT_LEVEL and keys[i] == "not":
            start = offsets[i]
            i += 1
            left: Expr = make_unary("not", binary(_NOT_LEVEL), where(start))
        else:
            left = unary()
        while True:
            found = _BY_KEY.get(keys[i])
            if found is None or found[0] < level:
                return left
            start = offsets[i]
            i += 1
            left = make_binary(found[1], left, binary(found[0] + 1), where(start))

    def unary() -> Expr:
        nonlocal i
        key = keys[i]
        if key == "-" or key == "+":
            start = offsets[i]
            i += 1
            return make_unary(key, unary(), where(start))
        base = atom()
        if keys[i] == "^":
            start = offsets[i]
            i += 1
            return make_binary("^", base, unary(), where(start))
        return base

    def atom() -> Expr:
        nonlocal i, parens
        key = keys[i]
        if key is _NUM:
            i += 1
            return _number(texts[i - 1], offsets[i - 1], where)
        if key is _NAME:
            i += 1
            after = keys[i]
            if after == "(":
                return call(i - 1)
            if after == "[":
                raise EquationError(f"arrays are not supported: {display_name(texts[i - 1])}"
                                    "[...]", offsets[i])
            return _name_at(texts[i - 1], offsets[i - 1], resolve, where)
        if key == "(":
            i += 1
            parens += 1  # parentheses leave no node: count them, not the recursion
            if parens > MAX_DEPTH:
                raise EquationError("the equation is nested too deeply", 0,
                                    "split it into several auxiliaries")
            inner = expr()
            expect(")")
            parens -= 1
            return inner
        if key == "if":
            return expr()
        if key == "mod" and keys[i + 1] == "(":  # MOD(a, b): the function form of the operator
            i += 1
            return call(i - 1)
        if key == "[":
            raise EquationError("arrays (subscripts in [...]) are not supported", offsets[i])
        got = texts[i] or "the end of the equation"
        raise EquationError(f"expected a number, a name or '(', found {got!r}", offsets[i])

    def call(at: int) -> Expr:
        """A call of the name at token ``at``; the current token is its '('."""
        nonlocal i
        i += 1
        raw = texts[at]
        func = canonical(raw)
        pos = where(offsets[at])
        if (func == "lookup" and resolve_call is not None
                and keys[i] is _NAME and keys[i + 1] == ","):
            # LOOKUP(table, x) -> table(x)
            try:
                target = resolve_call(canonical(texts[i]), texts[i])
            except EquationError as err:
                raise EquationError(err.message, offsets[i], err.hint) from None
            i += 2
            arg = expr()
            expect(")")
            return make_call(target, [arg], pos)
        found: str | None = None
        if resolve_call is not None:
            try:
                found = resolve_call(func, raw)
            except EquationError:
                found = None
        if found is None and func not in BUILTIN_FUNCTIONS and func not in CONSTANT_NAMES \
                and func != "if_then_else":
            if func in ARRAY_FUNCTIONS:
                raise EquationError(f"the array function {func.upper()} is not supported",
                                    offsets[at])
            raise EquationError(f"unknown function '{display_name(raw)}'", offsets[at])
        args: list[Expr] = []
        if keys[i] == ")":
            i += 1
        else:
            args.append(expr())
            while keys[i] == ",":
                i += 1
                args.append(expr())
            expect(")")
        if func == "if_then_else" and len(args) == 3:
            return make_if(args[0], args[1], args[2], pos)
        if func in CONSTANT_NAMES and not args:  # PI(), TIME()
            return make_name(CONSTANT_NAMES[func], pos)
        return make_call(found or func, args, pos)

    if keys[0] is _END:
        raise EquationError("the equation is empty", 0)
    try:
        result = expr()
    finally:  # the closures name each other: a reference cycle only the collector frees
        expect = expr = binary = unary = atom = call = None  # type: ignore[assignment]
    if keys[i] is not _END:
        raise EquationError(f"unexpected {texts[i]!r} after a complete expression", offsets[i])
    return result


MAX_DEPTH = MAX_NESTING - 10
"""Deepest expression tree accepted: as in .loop files, so every model survives JSON."""


def _depth(expr: Expr) -> int:
    """The nesting depth of an expression tree as its JSON nests (calls count 2)."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, Unary):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, Binary):
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, Call):
            stack += [(a, depth + 2) for a in node.args]
        elif isinstance(node, If):
            stack += [(node.cond, depth + 1), (node.then, depth + 1), (node.orelse, depth + 1)]
    return deepest
