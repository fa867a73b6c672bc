"""One module per CLI command; each defines ``register(subparsers)``.

A command that was called wrongly raises :class:`UsageError`; :func:`loopdsl.cli.main`
prints it and exits 2. The library names its parameters in messages (``runs=``,
``max_loops=``); a command turns them into its flags with :func:`with_flags` and
:func:`flags_named`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from loopdsl.errors import LoopError


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


def with_flags(text: str, flags: Mapping[str, str]) -> str:
    """A library message in the command's words: each parameter phrase becomes its flag.

    >>> with_flags("the limit of 2 loops (max_loops=2) was reached",
    ...            {"max_loops=": "--max-loops "})
    'the limit of 2 loops (--max-loops 2) was reached'
    """
    for phrase, flag in flags.items():
        text = text.replace(phrase, flag)
    return text


@contextmanager
def flags_named(flags: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a :class:`LoopError` from inside with :func:`with_flags` applied to each
    diagnostic's message and hint."""
    try:
        yield
    except LoopError as err:
        raise LoopError([replace(d, message=with_flags(d.message, flags),
                                 hint=d.hint and with_flags(d.hint, flags))
                         for d in err.diagnostics]) from None
