"""Helpers over expression trees: walk them, list what they reference, print them.

>>> from loopdsl.model import Binary, Name, Num
>>> e = Binary(op="*", left=Name(name="traffic"), right=Num(value=0.02))
>>> format_expr(e), sorted(references(e))
('traffic * 0.02', ['traffic'])
"""

from __future__ import annotations

from collections.abc import Iterator

from loopdsl.builtins import BUILTIN_FUNCTIONS, BUILTIN_NAMES, MEMORY_FUNCTIONS
from loopdsl.model import Binary, Call, Expr, If, Name, Num, Unary

# Binding strength of each operator: higher binds tighter (the grammar's ladder).
PRECEDENCE: dict[str, int] = {
    "or": 1, "and": 2, "not": 3,
    "=": 4, "<>": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "mod": 6, "neg": 7, "^": 8,
}
_ATOM = 9
_IF = 0


def walk(expr: Expr) -> Iterator[Expr]:
    """Every sub-expression, parents before children (iterative)."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, Call):
            stack.extend(reversed(node.args))
        elif isinstance(node, If):
            stack.extend((node.orelse, node.then, node.cond))


def references(expr: Expr | None) -> set[str]:
    """Node names an expression reads (builtin names such as TIME excluded)."""
    if expr is None:
        return set()
    return {n.name for n in walk(expr) if isinstance(n, Name) and n.name.lower() not in
            BUILTIN_NAMES}


def instant_references(expr: Expr | None) -> set[str]:
    """Names read at the same instant: references not behind a smooth, delay or INIT."""
    if expr is None:
        return set()
    found: set[str] = set()
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            if node.name.lower() not in BUILTIN_NAMES:
                found.add(node.name)
        elif isinstance(node, Call):
            args = node.args[1:] if node.func in MEMORY_FUNCTIONS else node.args
            stack.extend(args)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, If):
            stack.extend((node.cond, node.then, node.orelse))
    return found


def calls(expr: Expr | None) -> list[Call]:
    """Every function call in an expression."""
    return [] if expr is None else [n for n in walk(expr) if isinstance(n, Call)]


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float: 2.0 -> '2', 0.1 -> '0.1'."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return text.replace("e+", "e")


def format_expr(expr: Expr) -> str:
    """Canonical text of an expression, with only the parentheses it needs."""
    return _fmt(expr)[0]


def _fmt(expr: Expr) -> tuple[str, int]:
    """(text, precedence of its top operator)."""
    if isinstance(expr, Num):
        if expr.value < 0:
            return f"-{format_number(-expr.value)}", PRECEDENCE["neg"]
        return format_number(expr.value), _ATOM
    if isinstance(expr, Name):
        return expr.name, _ATOM
    if isinstance(expr, Call):
        func = expr.func.upper() if expr.func in BUILTIN_FUNCTIONS else expr.func
        return f"{func}({', '.join(format_expr(a) for a in expr.args)})", _ATOM
    if isinstance(expr, If):
        return (f"IF {format_expr(expr.cond)} THEN {format_expr(expr.then)} "
                f"ELSE {format_expr(expr.orelse)}"), _IF
    if isinstance(expr, Unary):
        if expr.op == "not":
            inner, prec = _fmt(expr.operand)
            if prec < PRECEDENCE["not"]:
                inner = f"({inner})"
            return f"NOT {inner}", PRECEDENCE["not"]
        inner, prec = _fmt(expr.operand)
        if prec < PRECEDENCE["neg"] or inner.startswith(("-", "+")):
            inner = f"({inner})"
        return f"{expr.op}{inner}", PRECEDENCE["neg"]
    if isinstance(expr, Binary):
        prec = PRECEDENCE[expr.op]
        left, lp = _fmt(expr.left)
        right, rp = _fmt(expr.right)
        if expr.op == "^":  # right-associative; its left side must be an atom
            if lp < _ATOM:
                left = f"({left})"
            if rp < PRECEDENCE["neg"]:
                right = f"({right})"
        else:
            if lp < prec or (prec == 4 and lp == 4):
                left = f"({left})"
            if rp <= prec:
                right = f"({right})"
        op = expr.op.upper() if expr.op in ("and", "or", "mod") else expr.op
        return f"{left} {op} {right}", prec
    raise TypeError(f"not an expression: {expr!r}")
