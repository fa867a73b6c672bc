"""Stage 1: source text -> lark parse tree (plus the comments the grammar ignores).

The LALR parser is built once from ``grammars/loop.lark`` and cached. Every
lark exception is turned into a :class:`~loopdsl.errors.LoopError` here, with
what was expected said in words, never as a lark terminal name.

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
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from loopdsl.errors import Diagnostic, LoopError, Source

MAX_ERRORS = 20
MAX_NESTING = 200

# What each terminal is, in words, for "expected ..." messages.
TERMINAL_WORDS: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted string ("...")',
    "NODE_KIND": "a node kind (node, stock, flow, aux, const, lookup)",
    "INTERPOLATION": "an interpolation (continuous, extrapolate, discrete)",
    "LOOP_POLARITY": "'reinforcing' or 'balancing'",
    "ARROW": "'->'",
    "ARROW_OPEN": "'-['",
    "ARROW_CLOSE": "']->'",
    "EQUALS": "'='",
    "EQEQ": "'=='",
    "NE": "'<>'",
    "BANGEQ": "'!='",
    "LE": "'<='",
    "GE": "'>='",
    "LT": "'<'",
    "GT": "'>'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "CARET": "'^'",
    "QMARK": "'?'",
    "TILDE": "'~'",
    "COLON": "':'",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "$END": "the end of the file",
}

STATEMENT_KEYWORDS = ("model", "time", "method", "group", "node", "stock", "flow", "aux",
                      "const", "lookup", "loop", "scenario", "vary")
_STATEMENT_START = re.compile(
    r"^\s*(?:(?:%s)(?!\w)|(?!\d)\w+\s*-[>\[])" % "|".join(STATEMENT_KEYWORDS)
)


def _terminal_words(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    return f"'{name.lower()}'"  # keywords: MODEL -> 'model'


def describe_expected(names: set[str] | frozenset[str]) -> str:
    """'a name or a number', from a set of lark terminal names."""
    words = sorted({_terminal_words(n) for n in names})
    if len(words) > 8:
        words = words[:8] + ["..."]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type in ("NAME", "NUMBER", "STRING"):
        value = token.value if len(token.value) <= 40 else token.value[:37] + "..."
        return f"{TERMINAL_WORDS[token.type].split(' (')[0]} {value}"
    return f"'{token.value}'"


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
    """The cached LALR parser (strict, with positions)."""
    return Lark(
        grammar_text(),
        parser="lalr",
        strict=True,
        propagate_positions=True,
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
            diagnostics.append(_diagnostic(exc, source))
            line = getattr(exc, "line", None)
            if not isinstance(line, int) or line < 1 or len(diagnostics) >= MAX_ERRORS:
                break
            remaining = _mask_through_next_statement(remaining, line)
            if remaining is None:
                break
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


def _diagnostic(exc: UnexpectedInput, source: Source) -> Diagnostic:
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = describe_expected(exc.accepts or exc.expected)
        if token.type == "$END":
            line, column = _end_position(source.text)
            return source.diagnostic(f"unexpected end of file, expected {expected}", line, column)
        hint = None
        if token.type == "NAME" and token.value in STATEMENT_KEYWORDS:
            hint = f"'{token.value}' is a keyword: it starts a statement"
        return source.diagnostic(
            f"unexpected {describe_token(token)}, expected {expected}",
            token.line, token.column, hint,
        )
    if isinstance(exc, UnexpectedCharacters):
        char = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else ""
        shown = repr(char) if not char.isprintable() or char in "'\"" else f"'{char}'"
        hint = None
        if char == '"':
            hint = "a string must end with \" on the same line"
        elif char == "\t" or not char.isprintable():
            hint = "the file may not be a .loop text file"
        return source.diagnostic(f"unexpected character {shown}", exc.line, exc.column, hint)
    if isinstance(exc, UnexpectedEOF):
        line, column = _end_position(source.text)
        expected = describe_expected(set(exc.expected))
        return source.diagnostic(f"unexpected end of file, expected {expected}", line, column)
    return source.diagnostic(str(exc).splitlines()[0])


def _end_position(text: str) -> tuple[int, int]:
    """Just after the last character that is not white space."""
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


def _check_nesting(tree: Tree, source: Source) -> None:
    """Refuse trees nested deeper than MAX_NESTING (no recursion limit surprises later)."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            meta = node.meta
            source_line = getattr(meta, "line", None)
            raise LoopError([source.diagnostic(
                f"expression nested too deeply (more than {MAX_NESTING} levels)",
                source_line, getattr(meta, "column", None),
                "split it into several auxiliaries",
            )])
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
