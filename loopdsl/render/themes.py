"""Colour themes for diagrams: light (white paper) and dark (dark slides, dark docs).

>>> THEMES["dark"].background
'#1e1e24'
>>> theme("light").name
'light'
"""

from __future__ import annotations

from dataclasses import dataclass

from loopdsl.errors import LoopError

FONT = "Noto Sans CJK SC,Noto Sans CJK JP,Noto Sans,DejaVu Sans,sans-serif"
"""Font families, first found wins per glyph (Graphviz passes the list to Pango/SVG)."""


@dataclass(frozen=True)
class Theme:
    """The colours of one diagram theme (any Graphviz colour, ``#rrggbb[aa]``)."""

    name: str
    background: str
    text: str
    line: str
    info: str       # links that come from equations (information links)
    fill: str       # plain causal nodes
    stock_fill: str
    cluster: str    # group (cluster) border
    cluster_fill: str
    plus: str
    minus: str
    unknown: str
    delay: str
    marker: str     # loop id text
    faded: str      # everything outside the highlighted loop
    highlight: str  # the highlighted loop's links


THEMES: dict[str, Theme] = {
    "light": Theme(
        name="light", background="#ffffff", text="#1f2328", line="#3b4048",
        info="#8a8f98", fill="#f3f6fb", stock_fill="#e8f0fe", cluster="#9aa4b2",
        cluster_fill="#fafbfc", plus="#1a7f37", minus="#cf222e", unknown="#9a6700",
        delay="#1f2328", marker="#0550ae", faded="#c4c8ce", highlight="#d1242f",
    ),
    "dark": Theme(
        name="dark", background="#1e1e24", text="#e6edf3", line="#c9d1d9",
        info="#8b949e", fill="#2a2f3a", stock_fill="#1f3350", cluster="#6e7681",
        cluster_fill="#23262e", plus="#56d364", minus="#ff7b72", unknown="#e3b341",
        delay="#e6edf3", marker="#79c0ff", faded="#4a4f58", highlight="#ffa657",
    ),
}


def theme(name: str) -> Theme:
    """The theme called ``name`` (a LoopError naming the choices if there is none)."""
    try:
        return THEMES[name]
    except KeyError:
        raise LoopError(f"error: unknown theme '{name}'; choose one of "
                        f"{', '.join(THEMES)}") from None
