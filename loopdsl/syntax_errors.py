"""Syntax errors in words: a lark exception -> a :class:`~loopdsl.errors.Diagnostic`.

What the parser expected is said in a few words ("an expression", "a node name",
"an attribute (initial, unit, ...)"), using the parser's stack for context, never as
a lark terminal or rule name; likely mistakes get a hint (a misspelt keyword, an
operator missing, a character pasted from a word processor).

>>> from loopdsl.parser import parse
>>> from loopdsl.errors import LoopError
>>> try:
...     parse("experience -> ")
... except LoopError as err:
...     print(err.first.message)
unexpected end of file, expected a node name
"""

from __future__ import annotations

import difflib

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from loopdsl.errors import Diagnostic, Source

STATEMENT_KEYWORDS = ("model", "time", "method", "group", "node", "stock", "flow", "aux",
                      "const", "lookup", "loop", "scenario", "vary")

# What each terminal is, in words, for "expected ..." messages.
TERMINAL_WORDS: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted string ("...")',
    "NODE_KIND": "a node kind (node, stock, flow, aux, const, lookup)",
    "INTERPOLATION": "an interpolation (continuous, extrapolate, discrete)",
    "LOOP_POLARITY": "a polarity (reinforcing, balancing)",
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

def _terminal_words(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    return f"'{name.lower()}'"  # keywords: MODEL -> 'model'


# Groups of terminals said in a few words ("an expression" rather than seven
# tokens), tried in order; a group is used when all its `needs` are expected.
_EXPR_START = frozenset({"IF", "LPAR", "MINUS", "NAME", "NOT", "NUMBER", "PLUS"})
_OPERATORS = frozenset({"AND", "OR", "BANGEQ", "EQEQ", "EQUALS", "NE", "LE", "GE", "LT", "GT",
                        "PLUS", "MINUS", "STAR", "SLASH", "CARET", "MOD"})
_STATEMENTS = frozenset({"MODEL", "TIME", "METHOD", "GROUP", "NODE_KIND", "LOOP", "SCENARIO",
                         "VARY", "NAME"})
_NODE_OPTIONS = frozenset({"INITIAL", "UNIT", "IN", "DESCRIPTION", "FROM", "TO",
                           "NON_NEGATIVE", "PUSH", "DECAY", "CAPACITY", "POINTS"})
_GROUPS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    # (needs, covers, words)
    (frozenset({"LPAR", "NAME", "NUMBER"}), _EXPR_START, "an expression"),
    (frozenset({"STAR", "SLASH"}), _OPERATORS, "an operator"),
    (frozenset({"NUMBER", "MINUS"}), frozenset({"NUMBER", "PLUS", "MINUS"}), "a number"),
    (frozenset({"QMARK"}), frozenset({"QMARK", "PLUS", "MINUS"}), "a sign (+, -, ?)"),
    (frozenset({"INITIAL", "UNIT", "DESCRIPTION"}), _NODE_OPTIONS,
     "an attribute (initial, unit, in, description, ...)"),
    (frozenset({"MODEL", "NODE_KIND", "LOOP"}), _STATEMENTS | {"$END"}, "a new statement"),
)


def describe_expected(names: set[str] | frozenset[str]) -> str:
    """What may come next, in a few words, from a set of lark terminal names.

    >>> describe_expected({"ARROW", "ARROW_OPEN"})
    "'->' or '-['"
    >>> describe_expected({"IF", "LPAR", "MINUS", "NAME", "NOT", "NUMBER", "PLUS"})
    'an expression'
    """
    rest = set(names)
    words: list[str] = []
    for needs, covers, phrase in _GROUPS:
        if needs <= rest:
            words.append(phrase)
            rest -= covers
    end = "$END" in rest
    rest.discard("$END")
    words += sorted({_terminal_words(n) for n in rest})
    if "a new statement" in words:  # always last: it is what may follow anything else
        words.remove("a new statement")
        words.append("a new statement")
    elif end:
        words.append("the end of the file")
    if len(words) > 7:
        words = [*words[:6], "..."]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


# What is expected after a given token, where only one thing can come next
# (said better than the terminal's own name).
_AFTER: dict[str, str] = {
    "ARROW": "a node name",
    "ARROW_CLOSE": "a node name",
    "COLON": "a node name",
    "GROUP": "a group name",
    "IN": "a group name",
    "LOOP": "a loop name (such as R1)",
    "MODEL": "a model name",
    "SCENARIO": "a scenario name",
    "VARY": "the name of the node to vary",
    "FROM": "a stock name",
    "TILDE": "a distribution: uniform, normal or triangular",
    "METHOD": "an integration method: euler or rk4",
    "UNIT": "a unit (a word or a quoted string)",
    "DESCRIPTION": 'a quoted description ("...")',
    "POINTS": "'[' starting the points, as in points [(0, 0), (1, 1)]",
    "LSQB": "a point (x, y)",
}


# The attributes each node kind takes, for "expected an attribute (...)".
_KIND_ATTRIBUTES: dict[str, str] = {
    "node": "initial, push, decay, capacity, unit, in, description",
    "stock": "initial, non_negative, capacity, unit, in, description",
    "flow": "from, to, non_negative, points, unit, in, description",
    "aux": "points, unit, in, description",
    "const": "unit, in, description",
    "lookup": "points, unit, in, description",
}


def _expected_here(exc: UnexpectedToken) -> str:
    """Words for what the parser wanted, using the tokens before the error for context."""
    names = set(exc.accepts or exc.expected)
    previous = _previous_value(exc)
    kind = _statement_kind(exc)
    if kind in ("node", "stock", "lookup"):
        names.discard("EQUALS")  # these kinds take no equation
    words = describe_expected(names)
    if kind in _KIND_ATTRIBUTES:
        words = words.replace("an attribute (initial, unit, in, description, ...)",
                              f"an attribute ({_KIND_ATTRIBUTES[kind]})")
    if isinstance(previous, Token):
        if previous.type == "NODE_KIND" and names == {"NAME"}:
            return f"a name for the {previous.value}"
        if previous.type == "TO" and names == {"NAME"}:
            return "a stock name"
        if previous.type in _AFTER and len(names) <= 2:
            return _AFTER[previous.type]
    return words


def _statement_kind(exc: UnexpectedToken) -> str | None:
    """The kind of the node statement being parsed (its NODE_KIND token), if any."""
    state = getattr(getattr(exc, "interactive_parser", None), "parser_state", None)
    for value in reversed(getattr(state, "value_stack", None) or []):
        if isinstance(value, Token) and value.type == "NODE_KIND":
            return value.value
        if isinstance(value, Tree) and value.data.endswith("_stmt"):
            return None  # a finished statement: the current one is not a node
    return None


def _previous_value(exc: UnexpectedToken) -> Token | Tree | None:
    state = getattr(getattr(exc, "interactive_parser", None), "parser_state", None)
    stack = getattr(state, "value_stack", None)
    return stack[-1] if stack else None


def describe_token(token: Token) -> str:
    """The unexpected token, in words: name 'b', number 2, string "x", '->'.

    >>> describe_token(Token("NAME", "trafic"))
    "name 'trafic'"
    """
    if token.type == "$END":
        return "the end of the file"
    value = token.value if len(token.value) <= 40 else token.value[:37] + "..."
    if token.type == "NAME":
        return f"name '{value}'"
    if token.type == "NUMBER":
        return f"number {value}"
    if token.type == "STRING":
        return f"string {value}"
    return f"'{value}'"


# Characters people paste from word processors, and what to write instead.
_CHARACTER_HINTS: dict[str, str] = {
    "\u2192": "write the arrow as '->'",
    "\u201c": 'write labels in straight double quotes ("...")',
    "\u201d": 'write labels in straight double quotes ("...")',
    "\u00ab": 'write labels in straight double quotes ("...")',
    "\u00bb": 'write labels in straight double quotes ("...")',
    "'": 'write labels in double quotes ("...")',
    ";": "statements need no separator",
    "\u2212": "write minus as '-'",
}


def diagnostic(exc: UnexpectedInput, source: Source) -> Diagnostic:
    """The diagnostic for a lark exception: where, what was found, what was expected."""
    if isinstance(exc, UnexpectedToken):
        found = _name_after_expression(exc)
        if found is not None:
            name, last = found
            hint = f"a new statement here would need '->' after '{name.value}'"
            if last.value.lower() in ("if", "then", "else"):
                hint = (f"'{last.value}' here is read as a name: put an IF expression inside "
                        "an operation in parentheses, as in 1 + (IF c THEN a ELSE b)")
            elif last.value.lower() in ("and", "or", "not", "mod"):
                hint = f"'{last.value}' here is read as a name: is a value missing before it?"
            return source.diagnostic(
                f"unexpected {describe_token(name)}, expected an operator", name.line,
                name.column, hint)
        token = exc.token
        expected = _expected_here(exc)
        if token.type == "$END":
            line, column = _end_position(source.text)
            return source.diagnostic(f"unexpected end of file, expected {expected}", line, column,
                                     _token_hint(exc, source))
        return source.diagnostic(
            f"unexpected {describe_token(token)}, expected {expected}",
            token.line, token.column, _token_hint(exc, source),
        )
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream
        char = source.text[at] if at is not None and at < len(source.text) else ""
        shown = repr(char) if not char.isprintable() or char in "'\"" else f"'{char}'"
        char_hint = _CHARACTER_HINTS.get(char)
        if char == '"':
            char_hint = "a string must end with \" on the same line"
        elif char_hint is None and not char.isprintable():
            char_hint = "the file may not be a .loop text file"
        return source.diagnostic(f"unexpected character {shown}", exc.line, exc.column,
                                 char_hint)
    if isinstance(exc, UnexpectedEOF):  # pragma: no cover - LALR reports $END as a token
        line, column = _end_position(source.text)
        expected = describe_expected(set(exc.expected))
        return source.diagnostic(f"unexpected end of file, expected {expected}", line, column)
    return source.diagnostic(str(exc).splitlines()[0])  # pragma: no cover


_EXPRESSION_RULES = frozenset({"num", "ref", "call", "paren", "binary", "unary", "if_expr"})


def _name_after_expression(exc: UnexpectedToken) -> tuple[Token, Token] | None:
    """The name in ``aux x = 0.02 price``: read as a new statement, meant as an operand.

    When a name that could only start a link is on the line where the previous
    statement ended with an expression, an operator is the likelier mistake.
    Returns (the name, the expression's last token).
    """
    state = getattr(getattr(exc, "interactive_parser", None), "parser_state", None)
    stack = getattr(state, "value_stack", None) or []
    if len(stack) < 2:
        return None
    top = stack[-1]
    if isinstance(top, Tree) and top.data == "name":
        top = top.children[0]
    if not (isinstance(top, Token) and top.type == "NAME"):
        return None
    previous = stack[-2]
    if isinstance(previous, Tree) and previous.data.startswith("__"):
        previous = previous.children[-1] if previous.children else None
    in_expression = False
    last: Tree | Token | None = previous
    while isinstance(last, Tree):
        in_expression = in_expression or last.data in _EXPRESSION_RULES
        children = [c for c in last.children if c is not None]
        last = children[-1] if children else None
    if in_expression and isinstance(last, Token) and last.end_line == top.line:
        return top, last
    return None


def _at_statement_start(exc: UnexpectedToken) -> bool:
    """True when the last value on the parser's stack begins a statement."""
    state = getattr(getattr(exc, "interactive_parser", None), "parser_state", None)
    stack = getattr(state, "value_stack", None) or []
    if len(stack) < 2:
        return True
    before = stack[-2]
    return isinstance(before, Tree) and (before.data.startswith("__")
                                         or before.data.endswith("_stmt"))


def _token_hint(exc: UnexpectedToken, source: Source) -> str | None:
    """A suggestion: a misspelt keyword at a statement's start, a keyword used as a name."""
    token = exc.token
    if (token.value == ">" and isinstance(token.start_pos, int)
            and source.text[token.start_pos - 1:token.start_pos] == "-"):
        return "this '->' reads as minus then '>': is a value missing before it?"
    previous = _previous_value(exc)
    if (isinstance(previous, Tree) and previous.data == "name"
            and isinstance(first := previous.children[0], Token) and _at_statement_start(exc)
            and set(exc.accepts or exc.expected) <= {"ARROW", "ARROW_OPEN"}):
        word = first.value
        close = difflib.get_close_matches(word.lower(), STATEMENT_KEYWORDS, n=1, cutoff=0.6)
        if close:
            return f"'{word}' is not a keyword; did you mean '{close[0]}'?"
        return f"a statement starts with a keyword, or is a link: {word} -> ..."
    if token.type in ("ARROW", "ARROW_OPEN") and "MODEL" in (exc.accepts or exc.expected):
        return "a link starts with its source node, as in a -> b"
    if token.type != "NAME" and token.value in STATEMENT_KEYWORDS:
        return f"'{token.value}' is a keyword: it starts a statement"
    return None


def _end_position(text: str) -> tuple[int, int]:
    """Just after the last character that is not white space."""
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1
