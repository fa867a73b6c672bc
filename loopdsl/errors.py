"""User errors: every problem a model can have, with file, line, column and a caret.

All user-facing failures are :class:`LoopError`, which holds one or more
:class:`Diagnostic`. :func:`fail` is the one helper that raises them.

>>> err = LoopError([Diagnostic(message="undefined node 'trafic'", file="m.loop",
...                             line=2, column=8, source_line="a -> trafic",
...                             hint="did you mean 'traffic'?")])
>>> print(err)
m.loop:2:8: error: undefined node 'trafic'; did you mean 'traffic'?
    a -> trafic
           ^
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NoReturn

from loopdsl.codes import CODES

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")


@dataclass(frozen=True)
class Diagnostic:
    """One finding: where it is (``line``/``column`` to ``end_line``/``end_column``,
    1-based, the end exclusive), how bad (``severity``), its stable ``code`` (see
    :mod:`loopdsl.codes`), what is wrong, and a suggestion where one is obvious."""

    message: str
    file: str = "<string>"
    line: int | None = None
    column: int | None = None
    source_line: str | None = None
    hint: str | None = None
    severity: Severity = "error"
    code: str | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        if not self.file and self.line is None:  # a whole message, already formatted
            return self.message + (f"; {self.hint}" if self.hint else "")
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        if self.code:
            text += f" [{self.code}]"
        if self.source_line is not None and self.line is not None:
            shown = self.source_line.rstrip("\r\n")
            if len(shown) > 200:  # keep a 10 MB line from flooding the terminal
                start = max(0, (self.column or 1) - 100)
                shown = shown[start : start + 200]
                caret = (self.column or 1) - start
            else:
                caret = self.column or 1
            shown = "".join(_visible(c) for c in shown)
            pad = sum(_width(c) for c in shown[: max(caret - 1, 0)])
            span = 1
            if self.end_line == self.line and self.end_column and self.column:
                end = min(caret + self.end_column - self.column, len(shown) + 1)
                span = max(1, sum(_width(c) for c in shown[caret - 1 : end - 1]))
            text += f"\n    {shown}\n    {' ' * pad}^{'~' * (span - 1)}"
        return text

    def to_dict(self) -> dict:
        """The diagnostic as ``loopdsl check --format json`` gives it."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "hint": self.hint,
        }


def _visible(char: str) -> str:
    """A character as shown in a quoted source line: tabs as spaces, controls as U+FFFD."""
    if char == "\t":
        return " "
    return char if char.isprintable() else "\ufffd"


def _width(char: str) -> int:
    """Terminal cells a character takes: 2 for wide (CJK) characters, so carets line up."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class LoopError(Exception):
    """A model error: one or more diagnostics, each with its position."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | str):
        if isinstance(diagnostics, str):  # "FILE: error: message", formatted by the caller
            diagnostics = [Diagnostic(message=diagnostics, file="")]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]


class Source:
    """A source text and its file name, for turning positions into diagnostics."""

    def __init__(self, text: str, file: str = "<string>"):
        self.text = text
        self.file = file
        self._lines: list[str] | None = None

    def line(self, number: int | None) -> str | None:
        if number is None:
            return None
        if self._lines is None:
            self._lines = self.text.split("\n")
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1]
        return None

    def diagnostic(
        self, message: str, line: int | None = None, column: int | None = None,
        hint: str | None = None, *, code: str | None = None,
        severity: Severity | None = None, end_line: int | None = None,
        end_column: int | None = None,
    ) -> Diagnostic:
        """A diagnostic at a place in this source; its severity is the code's unless given
        (an error without a code)."""
        if severity is None:
            severity = CODES[code].severity if code else "error"
        return Diagnostic(message, self.file, line, column, self.line(line), hint, severity,
                          code, end_line, end_column)


def fail(
    message: str, source: Source | None = None, line: int | None = None,
    column: int | None = None, hint: str | None = None,
) -> NoReturn:
    """Raise a :class:`LoopError` for one problem at one place."""
    src = source or Source("")
    raise LoopError([src.diagnostic(message, line, column, hint)])


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None.

    >>> did_you_mean("trafic", ["traffic", "sellers"])
    "did you mean 'traffic'?"
    """
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
