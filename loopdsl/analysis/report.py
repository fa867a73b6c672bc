"""A model's loop report: every loop, and what the loops make of the whole system.

:func:`loop_report` gathers :func:`~loopdsl.analysis.cycles.find_loops` (or the independent
set), the dominant growth factor, whether the model sustains itself, the hub nodes and
links, and the leverage ranking into one :class:`LoopReport`, which
:mod:`loopdsl.analysis.formats` prints as a table, Markdown, CSV or JSON.

>>> import loopdsl
>>> r = loop_report(loopdsl.loads("a -[gain 2]-> b -> a"))
>>> [l.id for l in r.loops], round(r.system.growth_per_time, 6), r.system.sustains
(['R1'], 1.414214, True)
>>> loop_report(loopdsl.loads("a -> b -> c")).funnel
True
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loopdsl.analysis.cycles import LoopList, find_loops
from loopdsl.analysis.independent import independent_loops
from loopdsl.analysis.links import link_effects
from loopdsl.analysis.system import (
    MAX_STATES,
    Lever,
    leverage,
    linear_model,
    per_time,
    spectral_radius,
)
from loopdsl.builtins import RANDOM_FUNCTIONS

FUNNEL_MESSAGE = "funnel: no feedback loop; every customer must be bought again"
SUSTAIN_TOLERANCE = 1e-9


@dataclass
class Hub:
    """A node or link and how many of the listed loops pass through it."""

    id: str
    label: str
    loops: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SystemFigures:
    """What the loops make of the whole model (see docs/loops.md).

    ``growth_per_time``: the dominant growth factor of the linearised model per time unit
    (None with ``note`` saying why); ``sustains``: whether it is at least 1, i.e. the
    model keeps turning without an outside push; ``method``: ``"gain matrix"`` (the
    link effects of :mod:`loopdsl.analysis.system`) or ``"simulate.linearize"``.
    """

    growth_per_time: float | None = None
    time_unit: str | None = None
    dt: float = 1.0
    sustains: bool | None = None
    method: str = "gain matrix"
    note: str | None = None
    hub_nodes: list[Hub] = field(default_factory=list)
    hub_links: list[Hub] = field(default_factory=list)
    leverage: list[Lever] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "growth_per_time": self.growth_per_time, "time_unit": self.time_unit,
            "dt": self.dt, "sustains": self.sustains, "method": self.method, "note": self.note,
            "hub_nodes": [h.to_dict() for h in self.hub_nodes],
            "hub_links": [h.to_dict() for h in self.hub_links],
            "leverage": [lv.to_dict() for lv in self.leverage],
        }


@dataclass
class LoopReport:
    """Loops plus system figures. ``independent`` says the loops are the independent set."""

    name: str | None
    title: str | None
    loops: LoopList
    system: SystemFigures
    labels: dict[str, str]
    independent: bool = False

    @property
    def truncated(self) -> bool:
        return self.loops.truncated

    @property
    def reason(self) -> str | None:
        return self.loops.reason

    @property
    def funnel(self) -> bool:
        """True when the model has no feedback loop at all (not merely none found in time)."""
        return not self.loops and not self.loops.truncated

    def counts(self) -> dict[str, int]:
        """How many loops of each polarity: {"R": .., "B": .., "U": ..}."""
        found = Counter(loop.polarity for loop in self.loops)
        return {p: found.get(p, 0) for p in "RBU"}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``loops``, ``truncated``, ``reason``, ``funnel``, ``system``."""
        return {
            "model": self.name, "title": self.title,
            "loops": [loop.to_dict() for loop in self.loops],
            "count": len(self.loops), "counts": self.counts(),
            "truncated": self.truncated, "reason": self.reason,
            "independent": self.independent,
            "funnel": self.funnel, "message": FUNNEL_MESSAGE if self.funnel else None,
            "system": self.system.to_dict(),
        }


def hubs(loops: LoopList, labels: dict[str, str], top: int = 5
         ) -> tuple[list[Hub], list[Hub]]:
    """The nodes and links the most loops pass through (ties broken by node order).

    >>> import loopdsl
    >>> G = loopdsl.loads("a -> b -> a  b -> c -> b").graph
    >>> nodes, links = hubs(find_loops(G), {})
    >>> [(h.id, h.loops) for h in nodes][:1], [(h.id, h.loops) for h in links][:1]
    ([('b', 2)], [('a -> b', 1)])
    """
    node_count: Counter[str] = Counter()
    link_count: Counter[tuple[str, str]] = Counter()
    first: dict[Any, int] = {}
    for loop in loops:
        for n in loop.nodes:
            node_count[n] += 1
            first.setdefault(n, len(first))
        for link in loop.links:
            link_count[link] += 1
            first.setdefault(link, len(first))
    nodes = sorted(node_count, key=lambda n: (-node_count[n], first[n]))[:top]
    links = sorted(link_count, key=lambda k: (-link_count[k], first[k]))[:top]
    return ([Hub(n, labels.get(n, n), node_count[n]) for n in nodes],
            [Hub(f"{u} -> {v}", f"{labels.get(u, u)} → {labels.get(v, v)}", link_count[u, v])
             for u, v in links])


def _linearized_growth(model: Any) -> float | None:
    """rho(J) ** (1 / dt) from the simulator's ``linearize`` if it exists, else None."""
    try:
        from loopdsl.simulate import linearize
    except ImportError:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            J, _names, dt = linearize(model)
    except Exception:  # the simulator cannot linearise this model: use the gain matrix
        return None
    J = np.asarray(J, dtype=float)
    if J.size == 0:
        return 0.0
    if J.shape[0] > MAX_STATES or not np.isfinite(J).all():
        return None
    try:
        rho = float(np.max(np.abs(np.linalg.eigvals(J))))
    except np.linalg.LinAlgError:
        return None
    return per_time(rho, float(dt)) if math.isfinite(rho) else None




def _needs_simulator(model: Any) -> bool:
    """A model with stocks, flows or auxiliaries, none of them drawing random numbers (a
    Jacobian by finite differences over random draws would be noise)."""
    from loopdsl.expr import calls
    from loopdsl.graph import equation_of
    from loopdsl.model import Aux, Flow, Stock

    if any(c.func in RANDOM_FUNCTIONS for n in model.nodes for c in calls(equation_of(n))):
        return False
    return any(isinstance(n, (Stock, Flow, Aux)) for n in model.nodes)


def system_figures(model: Any, G: Any, effects: Any, loops: LoopList,
                   labels: dict[str, str], top: int = 5) -> SystemFigures:
    """The system half of the report (see :class:`SystemFigures`)."""
    figures = SystemFigures(time_unit=G.graph.get("time_unit"),
                            dt=float(G.graph.get("step") or 1.0))
    figures.hub_nodes, figures.hub_links = hubs(loops, labels, top)
    with np.errstate(all="ignore"):
        return _figures_of(model, G, effects, figures)


def _figures_of(model: Any, G: Any, effects: Any, figures: SystemFigures) -> SystemFigures:
    try:
        lin = linear_model(G, effects, model)
    except ValueError as err:  # a delay far too long for whole steps
        figures.note = str(err)
        return figures
    if lin.unknown:
        shown = ", ".join(lin.unknown[:3]) + (" ..." if len(lin.unknown) > 3 else "")
        figures.note = f"unknown sign, gain or delay: {shown}"
    else:
        try:
            rho, exact = spectral_radius(lin)
            figures.growth_per_time = per_time(rho, lin.dt)
            if not exact:
                figures.method = "gain matrix, stepped (approximate)"
            figures.leverage = leverage(G, effects, model)
        except (ValueError, np.linalg.LinAlgError) as err:
            figures.note = (str(err) if figures.growth_per_time is None
                            else f"leverage not computed: {err}")
    if model is not None and _needs_simulator(model):
        simulated = _linearized_growth(model)
        if simulated is not None:
            if figures.note is not None and not figures.note.startswith("leverage"):
                figures.note = f"leverage not computed: {figures.note}"
            figures.growth_per_time = simulated
            figures.method = "simulate.linearize"
    if figures.growth_per_time is not None and not math.isfinite(figures.growth_per_time):
        figures.growth_per_time = None
        figures.leverage = []
        figures.note = "the linearised model overflows (gains or values too large)"
    if figures.growth_per_time is not None:
        figures.sustains = figures.growth_per_time >= 1 - SUSTAIN_TOLERANCE
    return figures


def loop_report(model: Any, *, max_loops: int | None = None, max_length: int | None = None,
                time_budget: float | None = None, through: str | None = None,
                independent: bool = False, state: dict[str, float] | None = None,
                top: int = 5) -> LoopReport:
    """Loops and system figures of a model.

    Parameters
    ----------
    model : loopdsl.Model
    max_loops, max_length, time_budget, through
        As in :func:`~loopdsl.analysis.cycles.find_loops`.
    independent : bool
        List the shortest independent loop set instead of every loop.
    state : mapping, optional
        The operating point's stocks and plain nodes (default: the initial state).
    top : int
        How many hub nodes and links to keep.

    Examples
    --------
    >>> import loopdsl
    >>> r = loop_report(loopdsl.loads("a -> b -> a  b -> c -> b"), through="c")
    >>> [l.nodes for l in r.loops], r.system.hub_nodes[0].id
    ([('b', 'c')], 'b')
    """
    G = model.graph
    effects = link_effects(G, model, state)
    labels = {n: (d.get("label") or n) for n, d in G.nodes(data=True)}
    if independent:
        loops = independent_loops(G, declared=model.loops, effects=effects)
        if through is not None:
            loops = LoopList([lp for lp in loops if through in lp.nodes])
    else:
        loops = find_loops(G, max_loops, max_length, time_budget, through,
                           declared=model.loops, effects=effects)
    figures = system_figures(model, G, effects, loops, labels, top)
    return LoopReport(model.name, model.title, loops, figures, labels, independent)


__all__ = ["LoopReport", "SystemFigures", "Hub", "loop_report", "hubs", "system_figures",
           "FUNNEL_MESSAGE"]
