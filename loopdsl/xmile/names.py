"""XMILE names: how they match, and how they become .loop identifiers.

XMILE names are case-insensitive, and spaces and underscores are the same
character (a run of them counts as one). :func:`canonical` gives the key two
spellings of one name share; :class:`IdentifierMaker` turns names into
unique, valid .loop identifiers that are not keywords or builtin names.

>>> canonical('  Teacup   Temperature ') == canonical('teacup_temperature')
True
>>> make = IdentifierMaker()
>>> make("Heat Loss to Room"), make("time"), make("2nd stage"), make("Трафик (в день)")
('Heat_Loss_to_Room', 'time_', '_2nd_stage', 'Трафик_в_день')
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from loopdsl.builtins import BUILTIN_NAMES
from loopdsl.printer import KEYWORDS

_SPACES = re.compile(r"[\s_\u00a0]+")
_NOT_WORD = re.compile(r"\W+")
_IDENT = re.compile(r"(?!\d)\w+\Z")
_UNDERSCORES = re.compile("_+")
# A name IdentifierMaker keeps as it is (spaces as underscores): ASCII words joined by
# single spaces or underscores, not starting with a digit.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[ _][A-Za-z0-9]+)*\Z")


@lru_cache(maxsize=1 << 18)  # a model names each variable several times, spelt two ways
def canonical(name: str) -> str:
    """The matching key of an XMILE name: case-folded, runs of spaces/underscores as one '_'.

    Surrounding quotes are removed and the escapes ``\\"``, ``\\\\`` and ``\\n``
    inside them decoded.
    """
    name = unquote(name.strip())
    name = unicodedata.normalize("NFC", name)
    return _SPACES.sub("_", name.strip()).casefold()


def unquote(name: str) -> str:
    r"""A name without its surrounding double quotes, escapes decoded.

    Unquoted names (as in a ``name`` attribute) keep their characters, except
    ``\n``, which Stella writes for a line break in a displayed name.

    >>> unquote('"a \\"b\\""'), display_name('Teacup\\nTemperature')
    ('a "b"', 'Teacup Temperature')
    """
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        body = name[1:-1]
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)
    return name.replace("\\n", "\n")


def display_name(name: str) -> str:
    """The name as a person reads it: quotes removed, whitespace runs as one space.

    >>> display_name('"Heat\\\\nLoss"  ')
    'Heat Loss'
    """
    return " ".join(unquote(name.strip()).split())


def is_identifier(text: str) -> bool:
    """True where text can be written bare in a .loop file as a node identifier."""
    return bool(_IDENT.match(text)) and text.lower() not in KEYWORDS \
        and text.lower() not in BUILTIN_NAMES


class IdentifierMaker:
    """Unique .loop identifiers for names; the same canonical name gives the same identifier."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        key = canonical(name)
        if key in self.by_key:
            return self.by_key[key]
        if _PLAIN.match(name):  # words joined by single spaces or underscores: the usual name
            base = name.replace(" ", "_")
        else:
            base = _NOT_WORD.sub("_", display_name(name).replace(" ", "_")).strip("_") or "v"
            base = _UNDERSCORES.sub("_", base)
            if base[0].isdigit():
                base = "_" + base
        if base.lower() in KEYWORDS or base.lower() in BUILTIN_NAMES:
            base += "_"
        ident, n = base, 2
        while ident.lower() in self.taken:
            ident, n = f"{base}_{n}", n + 1
        self.taken.add(ident.lower())
        self.by_key[key] = ident
        return ident
