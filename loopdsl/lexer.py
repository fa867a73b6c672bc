"""A Pygments lexer for ``.loop`` files, so code blocks in docs are highlighted.

Registered for ``*.loop`` and the names ``loop``/``loopdsl`` through the
``pygments.lexers`` entry point in pyproject.toml.

>>> from pygments import lex
>>> [(str(t), v) for t, v in lex("a -[- gain 0.5]-> b", LoopLexer()) if v.strip()][:4]
... # doctest: +NORMALIZE_WHITESPACE
[('Token.Name.Variable', 'a'), ('Token.Operator', '-['), ('Token.Operator', '-'),
 ('Token.Keyword', 'gain')]
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

STATEMENTS = ("model", "time", "method", "group", "node", "stock", "flow", "aux", "const",
              "lookup", "loop", "scenario", "vary")
ATTRIBUTES = ("description", "to", "step", "unit", "initial", "in", "from", "non_negative",
              "push", "decay", "capacity", "points", "gain", "delay", "reinforcing",
              "balancing", "continuous", "extrapolate", "discrete", "euler", "rk4")
OPERATORS = ("IF", "THEN", "ELSE", "AND", "OR", "NOT", "MOD")
CONSTANTS = ("TIME", "DT", "STARTTIME", "STOPTIME", "PI")


class LoopLexer(RegexLexer):
    """Lexer for loopdsl growth-loop models."""

    name = "loopdsl"
    aliases = ["loop", "loopdsl"]
    filenames = ["*.loop"]
    mimetypes = ["text/x-loopdsl"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "string"),
            (r"-\[|\]->|->", Operator),
            (words(STATEMENTS, suffix=r"(?!\w)"), Keyword.Declaration),
            (words(ATTRIBUTES, suffix=r"(?!\w)"), Keyword),
            (words(OPERATORS, prefix=r"(?i)", suffix=r"(?!\w)"), Operator.Word),
            (words(CONSTANTS, suffix=r"(?!\w)"), Name.Constant),
            (r"(uniform|normal|triangular)(\s*)(\()",
             bygroups(Name.Builtin, Whitespace, Punctuation)),
            (r"((?!\d)\w+)(\s*)(\()", bygroups(Name.Function, Whitespace, Punctuation)),
            (r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", Number),
            (r"(?!\d)\w+", Name.Variable),
            (r"<>|<=|>=|==|!=|[-+*/^=<>?~]", Operator),
            (r"[(),:\[\]]", Punctuation),
            (r".", Text),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", String.Double, "#pop"),  # an unclosed string ends at the line
        ],
    }
