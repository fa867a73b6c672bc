"""Stage 1: source text -> lark parse tree (plus the comments the grammar ignores).

The LALR parser is built once from ``grammars/loop.lark`` and cached. Every
lark exception is turned into a :class:`~loopdsl.errors.LoopError` here (in words:
see :mod:`loopdsl.syntax_errors`), and the parser starts again at the next
statement so that one run reports several syntax errors.

>>> tree, comments = parse("a -> b  # word of mouth")
>>> str(tree.data), [c.value for c in comments]
('start', ['# word of mouth'])
"""

from __future__ import annotations

import functools
import re
import threading
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from loopdsl.errors import Diagnostic, LoopError, Source
from loopdsl.syntax_errors import STATEMENT_KEYWORDS, diagnostic

MAX_ERRORS = 20
MAX_NESTING = 180
# How deep each parse-tree level makes the model, counted as its JSON nesting
# (pydantic reads JSON at most 200 levels deep): parentheses vanish, a call's
# arguments sit in a list.
_LEVELS = {"paren": 0, "call": 2}

_STATEMENT_START = re.compile(
    rf"^\s*(?:(?:{'|'.join(STATEMENT_KEYWORDS)})(?!\w)|(?!\d)\w+\s*-[>\[])"
)


# The parser is built once, so its comment callback appends to this one list;
# the lock keeps parses in different threads from mixing their comments.
_COMMENTS: list[Token] = []
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def grammar_text() -> str:
    """The grammar: from the installed package, or from the source tree's grammars/."""
    packaged = resources.files("loopdsl").joinpath("grammars/loop.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammars" / "loop.lark").read_text(
        encoding="utf-8"
    )


@functools.lru_cache(maxsize=1)
def get_parser() -> Lark:
    """The cached LALR parser (strict; positions are the tokens', see :func:`edge_token`)."""
    return Lark(
        grammar_text(),
        parser="lalr",
        strict=True,
        propagate_positions=False,  # positions come from the tokens (edge_token): twice as fast
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _COMMENTS.append},
    )


def parse(text: str, file: str = "<string>") -> tuple[Tree, list[Token]]:
    """Parse text into a lark tree and the list of comment tokens.

    Raises LoopError with every syntax error found (the parser starts again at
    the next statement after each one, up to MAX_ERRORS).
    """
    with _LOCK:
        return _parse_locked(text, file)


def _parse_locked(text: str, file: str) -> tuple[Tree, list[Token]]:
    source = Source(text, file)
    parser = get_parser()
    sink = _COMMENTS
    diagnostics: list[Diagnostic] = []
    remaining = text
    tree: Tree | None = None
    comments: list[Token] = []
    while True:
        sink.clear()
        try:
            tree = parser.parse(remaining)
            comments = list(sink)
            break
        except UnexpectedInput as exc:
            diagnostics.append(diagnostic(exc, source))
            line = getattr(exc, "line", None)
            if not isinstance(line, int) or line < 1 or len(diagnostics) >= MAX_ERRORS:
                break
            masked = _mask_through_next_statement(remaining, line)
            if masked is None:
                break
            remaining = masked
    sink.clear()
    if diagnostics:
        raise LoopError(diagnostics)
    assert tree is not None
    _check_nesting(tree, source)
    return tree, comments


def _mask_through_next_statement(text: str, error_line: int) -> str | None:
    """Blank out every line up to the error, and on to the next statement start."""
    lines = text.split("\n")
    for i in range(error_line, len(lines)):
        if _STATEMENT_START.match(lines[i]):
            return "\n" * i + "\n".join(lines[i:])
    return None


def edge_token(tree: Tree, last: bool = False) -> Token | None:
    """The first (or last) token of a tree: where it starts (or ends) in the source.

    The parser keeps no positions on trees (lark's propagate_positions doubled the
    parse time); every tree's span is that of its edge tokens, found here.

    >>> tree, _ = parse("a -> b")
    >>> edge_token(tree).value, edge_token(tree, last=True).value
    ('a', 'b')
    """
    node: Tree | Token | None = tree
    while isinstance(node, Tree):
        children = node.children if not last else reversed(node.children)
        node = next((c for c in children if c is not None), None)
    return node


def _check_nesting(tree: Tree, source: Source) -> None:
    """Refuse trees nested deeper than MAX_NESTING (no recursion limit surprises later).

    Depth is counted as the model's JSON will nest, so every accepted model
    survives ``model_dump_json`` and ``model_validate_json``. Parentheses do not
    count: the compiler unwraps them without recursing, and the model (hence
    the printer's output, read back) has none.
    """
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            first = edge_token(node)
            raise LoopError([source.diagnostic(
                f"expression nested too deeply (more than {MAX_NESTING} levels)",
                first.line if first else None, first.column if first else None,
                "split it into several auxiliaries",
            )])
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + _LEVELS.get(child.data, 1)))
