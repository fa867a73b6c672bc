"""What a diagram may be asked for: layout engine, direction, theme, highlighted loop.

>>> DiagramOptions(layout="circo").layout
'circo'
>>> DiagramOptions(direction="sideways")
Traceback (most recent call last):
...
loopdsl.errors.LoopError: error: unknown direction 'sideways'; choose one of LR, TB, RL, BT
"""

from __future__ import annotations

from dataclasses import dataclass

from loopdsl.errors import LoopError
from loopdsl.render.themes import THEMES

LAYOUTS = ("auto", "dot", "circo", "neato", "fdp")
DIRECTIONS = ("LR", "TB", "RL", "BT")


@dataclass(frozen=True)
class DiagramOptions:
    """How to draw a model.

    ``layout`` ``auto`` draws a model that is essentially one wheel with circo
    (round), anything else with dot. ``direction`` applies to dot. ``highlight``
    is a loop id (``R1``): that loop is emphasised and the rest fades.
    ``loops`` (markers inside loops) can be turned off; at most ``max_loops``
    are marked, declared loops first. ``link_widths`` gives some links their line
    width: ``((source, target), width)`` pairs (``render --scores-at``).
    """

    layout: str = "auto"
    direction: str = "TB"
    theme: str = "light"
    highlight: str | None = None
    loops: bool = True
    max_loops: int = 24
    link_widths: tuple = ()

    def __post_init__(self) -> None:
        for value, choices, what in ((self.layout, LAYOUTS, "layout"),
                                     (self.direction, DIRECTIONS, "direction"),
                                     (self.theme, tuple(THEMES), "theme")):
            if value not in choices:
                raise LoopError(f"error: unknown {what} '{value}'; choose one of "
                                f"{', '.join(choices)}")
