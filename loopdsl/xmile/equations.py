"""XMILE equation text -> the expression tree of :mod:`loopdsl.model`.

A small hand-written tokenizer and recursive-descent parser: ``{...}`` is a
comment, names may be quoted (``"Heat Loss"``) or written with underscores,
keywords and function names are case-insensitive. Operator precedence follows
the .loop grammar (which agrees with Vensim and Stella output: ``-2^2`` is -4).
Names are resolved by a callback, so this module knows nothing of models.

>>> from loopdsl.expr import format_expr
>>> e = parse_equation('IF "Room  temp" >= 5 {five} THEN max(a_b, .5) ELSE -2^2',
...                    resolve=lambda key, raw: key.upper())
>>> format_expr(e)
'IF ROOM_TEMP >= 5 THEN MAX(A_B, 0.5) ELSE -2 ^ 2'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from loopdsl.builtins import BUILTIN_FUNCTIONS
from loopdsl.construct import constructor
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


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\{[^}]*\})
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<qname>"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d][\w$]*)
  | (?P<op><>|<=|>=|==|!=|[-+*/^(),=<>\[\]])
""", re.VERBOSE)

_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}
_TOKEN_KINDS = ("ws", "comment", "num", "qname", "name", "op")
_COMPARISON = {"=": "=", "==": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=",
               ">": ">", ">=": ">="}

CONSTANT_NAMES = {"time": "TIME", "dt": "DT", "starttime": "STARTTIME", "stoptime": "STOPTIME",
                  "pi": "PI", "inf": "INF"}
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

# The parser builds trusted values (operators from the tables above, floats, strings):
# a trusted constructor skips pydantic's validation, the larger part of reading a big model.
_num = constructor(Num)
_name = constructor(Name)
_unary = constructor(Unary)
_binary = constructor(Binary)
_call = constructor(Call)
_if = constructor(If)


Resolver = Callable[[str, str], str]
"""(canonical name, name as written) -> .loop identifier; raises EquationError if unknown."""


class _Parser:
    def __init__(self, text: str, resolve: Resolver, resolve_call: Resolver | None,
                 where: Callable[[int], Pos | None]):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.parens = 0  # open parentheses around the current token
        self.resolve = resolve
        self.resolve_call = resolve_call
        self.where = where

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, *texts: str) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (not texts or tok.text in texts):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            got = self.tok.text or "the end of the equation"
            raise EquationError(f"expected {text.upper() if kind == 'kw' else repr(text)}, "
                                f"found {got!r}", self.tok.offset)
        return tok

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise EquationError("the equation is empty", 0)
        expr = self.expr()
        if self.tok.kind != "end":
            raise EquationError(f"unexpected {self.tok.text!r} after a complete expression",
                                self.tok.offset)
        return expr

    def expr(self) -> Expr:
        if self.tok.kind == "kw" and self.tok.text == "if":
            start = self.take()
            cond = self.expr()
            self.expect("kw", "then")
            then = self.expr()
            self.expect("kw", "else")
            orelse = self.expr()
            return _if(cond=cond, then=then, orelse=orelse, pos=self.where(start.offset))
        return self.or_expr()

    def or_expr(self) -> Expr:
        return self.binary(1)

    def binary(self, level: int) -> Expr:
        """Operators binding at least as tightly as ``level`` (precedence climbing)."""
        tok = self.tokens[self.i]
        if level <= _NOT_LEVEL and tok.kind == "kw" and tok.text == "not":
            self.i += 1
            left = _unary(op="not", operand=self.binary(_NOT_LEVEL), pos=self.where(tok.offset))
        else:
            left = self.unary()
        while True:
            tok = self.tokens[self.i]
            found = _BINARY.get((tok.kind, tok.text))
            if found is None or found[0] < level:
                return left
            self.i += 1
            right = self.binary(found[0] + 1)
            left = _binary(op=found[1], left=left, right=right, pos=self.where(tok.offset))

    def unary(self) -> Expr:
        tok = self.tokens[self.i]
        if tok.kind == "op" and (tok.text == "-" or tok.text == "+"):
            self.i += 1
            return _unary(op=tok.text, operand=self.unary(), pos=self.where(tok.offset))
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        tok = self.tokens[self.i]
        if tok.kind == "op" and tok.text == "^":
            self.i += 1
            return _binary(op="^", left=base, right=self.unary(), pos=self.where(tok.offset))
        return base

    def atom(self) -> Expr:
        tok = self.tokens[self.i]
        if tok.kind == "num":
            self.i += 1
            value = float(tok.text)
            if not math.isfinite(value):
                raise EquationError(f"number '{tok.text[:40]}' is too large", tok.offset)
            return _num(value=value, pos=self.where(tok.offset))
        if tok.kind == "op" and tok.text == "(":
            self.take()
            self.parens += 1  # parentheses leave no node: count them, not the recursion
            if self.parens > MAX_DEPTH:
                raise EquationError("the equation is nested too deeply", 0,
                                    "split it into several auxiliaries")
            inner = self.expr()
            self.expect("op", ")")
            self.parens -= 1
            return inner
        if tok.kind == "kw" and tok.text == "if":
            return self.expr()
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        if tok.kind == "kw" and tok.text == "mod" and nxt is not None and nxt.text == "(":
            self.take()  # MOD(a, b): the function form of the operator
            return self.call(tok)
        if tok.kind == "op" and tok.text == "[":
            raise EquationError("arrays (subscripts in [...]) are not supported", tok.offset)
        if tok.kind == "name" or tok.kind == "qname":
            self.i += 1
            after = self.tokens[self.i]
            if after.kind == "op" and after.text == "(":
                return self.call(tok)
            if after.kind == "op" and after.text == "[":
                raise EquationError(f"arrays are not supported: {display_name(tok.text)}[...]",
                                    after.offset)
            key = canonical(tok.text)
            try:
                ident = self.resolve(key, tok.text)
            except EquationError as err:
                if key in CONSTANT_NAMES:
                    ident = CONSTANT_NAMES[key]
                else:
                    raise EquationError(err.message, tok.offset, err.hint) from None
            return _name(name=ident, pos=self.where(tok.offset))
        got = tok.text or "the end of the equation"
        raise EquationError(f"expected a number, a name or '(', found {got!r}", tok.offset)

    def call(self, tok: Token) -> Expr:
        self.expect("op", "(")
        func = canonical(tok.text)
        pos = self.where(tok.offset)
        table = self.tokens[self.i]
        if (func == "lookup" and self.resolve_call is not None
                and table.kind in ("name", "qname") and self.tokens[self.i + 1].text == ","):
            # LOOKUP(table, x) -> table(x)
            try:
                target = self.resolve_call(canonical(table.text), table.text)
            except EquationError as err:
                raise EquationError(err.message, table.offset, err.hint) from None
            self.i += 2
            arg = self.expr()
            self.expect("op", ")")
            return _call(func=target, args=[arg], pos=pos)
        target: str | None = None
        if self.resolve_call is not None:
            try:
                target = self.resolve_call(func, tok.text)
            except EquationError:
                target = None
        if target is None and func not in BUILTIN_FUNCTIONS and func not in CONSTANT_NAMES \
                and func != "if_then_else":
            if func in ARRAY_FUNCTIONS:
                raise EquationError(f"the array function {func.upper()} is not supported",
                                    tok.offset)
            raise EquationError(f"unknown function '{display_name(tok.text)}'", tok.offset)
        args: list[Expr] = []
        if not self.accept("op", ")"):
            args.append(self.expr())
            while self.accept("op", ","):
                args.append(self.expr())
            self.expect("op", ")")
        if func == "if_then_else" and len(args) == 3:
            return _if(cond=args[0], then=args[1], orelse=args[2], pos=pos)
        if func in CONSTANT_NAMES and not args:  # PI(), TIME()
            return _name(name=CONSTANT_NAMES[func], pos=pos)
        return _call(func=target or func, args=args, pos=pos)


def parse_equation(text: str, resolve: Resolver, resolve_call: Resolver | None = None,
                   where: Callable[[int], Pos | None] = lambda offset: None) -> Expr:
    """Parse an XMILE equation; ``resolve`` maps variable names, ``resolve_call`` lookup names.

    ``where`` maps a character offset of the text to a source position.
    Raises :class:`EquationError` (with the offset) for any problem, including an
    expression nested deeper than the .loop front end accepts.
    """
    try:
        parser = _Parser(text, resolve, resolve_call, where)
        expr = parser.parse()
    except RecursionError:
        raise EquationError("the equation is nested too deeply", 0,
                            "split it into several auxiliaries") from None
    # Each tree node takes at least one token of its own, and a call (two levels) at
    # least three, so a tree is never deeper than twice its token count.
    if 2 * len(parser.tokens) > MAX_DEPTH and _depth(expr) > MAX_DEPTH:
        raise EquationError(f"the equation is nested too deeply (more than {MAX_DEPTH} "
                            "levels)", 0, "split it into several auxiliaries")
    return expr


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
