"""The stable codes of diagnostics: one table, documented in docs/language.md.

A code never changes meaning once released; a retired code is not reused. The letter
says the family: ``E`` an error of the language (the model cannot be compiled), ``U``
units, ``L`` a lint (legal, but probably not what was meant), ``A`` an assertion the
model states. Each code has a default severity; a diagnostic may carry another (a unit
rule is an error in one place and a warning in another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Code:
    """One kind of finding: its code, default severity and a title for the docs."""

    code: str
    severity: Literal["error", "warning", "note"]
    title: str


_TABLE: tuple[Code, ...] = (
)

CODES: dict[str, Code] = {c.code: c for c in _TABLE}
"""Every code, by its name."""
