"""Every finding about a model, errors to notes: what ``loopdsl check`` reports.

Errors stop the compiler (:class:`~loopdsl.errors.LoopError` from ``load``/``loads``);
a model that compiles is then read by the passes of :data:`PASSES` (units, lints,
assertions over constants), each a function of the model and its source that returns
warnings and notes. The language server and ``check`` both call :func:`diagnose_text`.

>>> model, found = diagnose_text("a -> b -> a")
>>> model.node_ids, found
(['a', 'b'], [])
>>> model, found = diagnose_text("a -> ")
>>> model, [(d.severity, d.line, d.column) for d in found]
(None, [('error', 1, 5)])
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from loopdsl.errors import Diagnostic, LoopError, Source
from loopdsl.loader import decode, loads, read_text
from loopdsl.model import Model

Pass = Callable[[Model, Source], list[Diagnostic]]

PASSES: list[Pass] = []
"""The passes over a compiled model, in the order they run."""


def diagnose(model: Model, source: Source) -> list[Diagnostic]:
    """The warnings and notes of a compiled model, in source order."""
    found: list[Diagnostic] = []
    for run in PASSES:
        found += run(model, source)
    return sorted(found, key=_place)


def diagnose_text(text: str, file: str = "<string>") -> tuple[Model | None, list[Diagnostic]]:
    """The model of a text (.loop, or XMILE when it starts with ``<``) and every
    diagnostic: its errors and no model if it does not compile, else its warnings and
    notes."""
    source = Source(text, file)
    try:
        if text.lstrip().startswith("<"):
            from loopdsl.xmile import loads_xmile

            model = loads_xmile(text, file)
        else:
            model = loads(text, file)
    except LoopError as err:
        return None, err.diagnostics
    return model, diagnose(model, source)


def diagnose_path(path: str | Path) -> tuple[Model | None, list[Diagnostic]]:
    """Every diagnostic of a model file ('-' reads standard input)."""
    import sys

    try:
        if str(path) == "-":
            return diagnose_text(decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
        return diagnose_text(read_text(path), str(path))
    except LoopError as err:
        return None, err.diagnostics


def _place(d: Diagnostic) -> tuple[int, int]:
    return (d.line or 0, d.column or 0)
