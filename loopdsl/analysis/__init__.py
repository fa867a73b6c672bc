"""Analyses over a model's causal graph: feedback loops and the system they make.

Plain functions of the graph ``G`` (networkx style); the model methods
``Model.find_loops()`` and ``Model.loop_report()`` call them.

>>> import loopdsl
>>> from loopdsl.analysis import find_loops
>>> [l.id for l in find_loops(loopdsl.loads("a -> b -> a").graph)]
['R1']
"""

from loopdsl.analysis.cycles import (
    Loop,
    LoopList,
    canonical,
    cycle_time,
    find_loops,
    growth_of,
    iter_loops,
    loop_gain,
)
from loopdsl.analysis.links import DEFAULT_DELAY, DEFAULT_GAIN, LinkEffect, link_effects

__all__ = ["Loop", "LoopList", "find_loops", "iter_loops", "loop_gain", "cycle_time",
           "canonical", "growth_of", "LinkEffect", "link_effects", "DEFAULT_GAIN",
           "DEFAULT_DELAY"]
