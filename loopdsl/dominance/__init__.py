"""Loop dominance over a run: Loops That Matter (link scores, loop scores, dominant periods).

Which loop drives the behaviour, and when? Loops That Matter [1]_ answers from one
simulation run. Every link gets a *link score* at every step: the share of the
target's change that came through this link, signed by the link's polarity. A
loop's *score* is the product of its link scores; its *relative score* divides by
the sum of the absolute scores of all loops in the same cycle partition (strongly
connected component), so relative scores lie in [-1, 1] and their absolute values
sum to 1. A *dominant* set is the smallest set of loops of one polarity whose
relative scores add up to at least 50% of the change; runs of steps with the same
dominant set form the *dominant periods*.

Link scores are :mod:`loopdsl.dominance.links` (equation links ceteris paribus, the 2023
flow-to-stock form, plain nodes from their discrete update). Links with a delay are read
when the change passes through them (:func:`loop_scores`). A plain node's decay and
capacity count as balancing self-loops (``x:decay``, ``x:capacity``).

Loop discovery: every loop (:func:`loopdsl.analysis.find_loops`) while there are at
most ``max_loops``; past that, the strongest-path search of Eberlein and
Schoenberg [3]_ (:mod:`loopdsl.dominance.paths`) run on the link scores of (a sample of)
the steps, and the result says so (``discovery == "strongest-path"``). RK4 runs are
refused (:func:`check_method`). Loop scores and dominant periods are
:mod:`loopdsl.dominance.loops`; the chart is :mod:`loopdsl.dominance.plot` (matplotlib).

>>> import loopdsl
>>> m = loopdsl.loads('''time 0 to 20 step 0.1
... const r = 0.8
... stock N initial 10
... flow births = r * N to N
... flow deaths = r * N * N / 1000 from N''')
>>> d = dominance(m, run=m.simulate())
>>> [(p.start, round(p.end, 6), p.loops) for p in d.periods]   # t* = ln 99 / 0.8 = 5.74
[(0.1, 5.9, ['R1']), (6.0, 19.9, ['B1'])]

References
----------
.. [1] W. Schoenberg, P. Davidsen and R. Eberlein, "Understanding model behavior
   using the Loops that Matter method", System Dynamics Review 36(2), 2020.
.. [2] W. Schoenberg, J. Hayward and R. Eberlein, "Improving Loops that Matter",
   System Dynamics Review 39(2), 2023.
.. [3] R. Eberlein and W. Schoenberg, "Finding the loops that matter", International
   System Dynamics Conference, 2020.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from loopdsl.dominance.links import Edge, LinkScores, Run, link_scores
from loopdsl.dominance.loops import (
    DOMINANCE_SHARE,
    LoopRecord,
    Period,
    cycle_partitions,
    dominant_periods,
    dominant_set,
    loop_scores,
    relative_loop_scores,
)
from loopdsl.dominance.paths import rotate, strongest_loops
from loopdsl.errors import Diagnostic, LoopError
from loopdsl.model import Model, Stock

__all__ = ["Run", "LinkScores", "link_scores", "LoopRecord", "loop_scores",
           "relative_loop_scores", "cycle_partitions", "Period", "dominant_set",
           "dominant_periods", "Dominance", "dominance", "check_method", "link_scores_at",
           "DEFAULT_MAX_LOOPS", "DOMINANCE_SHARE"]

DEFAULT_MAX_LOOPS = 1000
"""Past this many loops, discovery switches to the strongest-path search."""


# --------------------------------------------------------------------------
# The whole analysis
# --------------------------------------------------------------------------

@dataclass
class Dominance:
    """Loop dominance over one run (see :func:`dominance`).

    Attributes
    ----------
    time : ndarray
        The saved times.
    loops : list of LoopRecord
        The loops scored, in row order of ``scores`` and ``relative``.
    scores, relative : ndarray, shape (loops, steps)
        Loop scores and relative loop scores.
    valid : ndarray of bool
        Steps where every score is defined (not the first, nor the last when the
        model has stocks).
    periods : list of Period
        Dominant periods, per partition, in time order.
    link_scores : LinkScores
        Link score series by (source, target).
    discovery : {"exhaustive", "strongest-path"}
        How the loops were found.
    notes : list of str
        What the reader must know: links not scored, discovery switched, ...
    """

    time: np.ndarray
    loops: list[LoopRecord]
    scores: np.ndarray
    relative: np.ndarray
    valid: np.ndarray
    periods: list[Period]
    link_scores: LinkScores
    discovery: str = "exhaustive"
    notes: list[str] = field(default_factory=list)

    def loop(self, loop_id: str) -> int:
        """Row index of a loop by id."""
        for i, lp in enumerate(self.loops):
            if lp.id == loop_id:
                return i
        raise KeyError(loop_id)

    def dominant_at(self, t: float) -> list[str]:
        """Ids of the loops dominant at time t (all partitions)."""
        ids = []
        for p in self.periods:
            if p.start - 1e-9 <= t <= p.end + 1e-9:
                ids.extend(p.loops)
        return ids

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``periods`` (each with start, end, loops), ``loops``,
        ``time`` and ``relative`` (one list per loop id; null at undefined steps),
        ``discovery`` and ``notes``."""
        return {
            "discovery": self.discovery,
            "notes": list(self.notes),
            "loops": [{"id": lp.id, "nodes": list(lp.nodes), "polarity": lp.polarity,
                       "partition": lp.partition, "title": lp.title, "kind": lp.kind}
                      for lp in self.loops],
            "periods": [p.to_dict() for p in self.periods],
            "time": [float(x) for x in self.time],
            "relative": {lp.id: [_clean(v) if ok else None
                                 for v, ok in zip(self.relative[i], self.valid)]
                         for i, lp in enumerate(self.loops)},
        }


def _clean(value: float) -> float:
    return round(float(value), 9) if math.isfinite(value) else 0.0


def _simulate(model: Model, until: float | None, method: str | None = None,
              scenario: str | None = None) -> Any:
    return model.simulate(stop=until, method=method or model.method or "euler",
                          scenario=scenario)


def check_method(model: Model, method: str | None = None) -> None:
    """Refuse RK4: link scores are defined on the Euler steps of a run.

    >>> import loopdsl
    >>> check_method(loopdsl.loads("method rk4\\na -> b"))
    Traceback (most recent call last):
    ...
    loopdsl.errors.LoopError: <string>: error: loop dominance needs Euler integration, ...
    """
    method = method or model.method or "euler"
    if method != "euler":
        raise LoopError([Diagnostic(
            message="loop dominance needs Euler integration, and this model uses "
                    f"{method.upper()}",
            file=model.source or "<string>",
            hint="link scores compare one step's change with the next (Schoenberg et al. "
                 "2020 define them on Euler steps; RK4's intermediate stages have no "
                 "scores); run with method='euler', or write `method euler` in the model")])


def _structural_polarity(G: nx.DiGraph, nodes: Sequence[str], effects: Mapping) -> str:
    sign = 1
    k = len(nodes)
    for i in range(k):
        e = effects.get((nodes[i], nodes[(i + 1) % k]))
        s = e.sign if e is not None else G.edges[nodes[i], nodes[(i + 1) % k]].get("polarity", 0)
        sign *= s or 0
    return "R" if sign > 0 else "B" if sign < 0 else "U"


def _find(model: Model, G: nx.DiGraph, scores: LinkScores, valid: np.ndarray,
          max_loops: int, time_budget: float | None, notes: list[str]
          ) -> tuple[list[tuple[tuple[str, ...], str, str | None, str]], str]:
    """(nodes, id, title, polarity) of the loops to score, and how they were found."""
    from loopdsl.analysis.cycles import find_loops
    from loopdsl.analysis.links import link_effects

    effects = link_effects(G, model)
    listed = find_loops(G, max_loops=max_loops, declared=model.loops, effects=effects)
    if not listed.truncated:
        return [(lp.nodes, lp.id, lp.title, lp.polarity) for lp in listed], "exhaustive"
    # Too many loops: strongest-path search on the link scores of sampled steps.
    steps = np.flatnonzero(valid)
    if len(steps) > 200:
        steps = steps[np.linspace(0, len(steps) - 1, 200).round().astype(int)]
    found: set[tuple[str, ...]] = set()
    deadline = None if time_budget is None else _time.monotonic() + time_budget
    cap = 20 * max_loops
    reach = max(scores.lags.values(), default=0)   # with delays: strongest over a window
    searched, stop = 0, ""
    for k in steps:
        lo = max(0, k - reach)
        at = {edge: float(np.abs(s[lo: k + 1]).max()) for edge, s in scores.items()}
        strongest_loops(G, at, found=found, max_loops=cap, deadline=deadline)
        searched += 1
        if len(found) >= cap:
            stop = f"; stopped at {cap} loops"
            break
        if deadline is not None and _time.monotonic() > deadline:
            stop = f"; stopped after {time_budget:g} s"
            break
    order = {v: i for i, v in enumerate(G)}
    declared = {}
    for d in model.loops:
        if d.path and all(v in order for v in d.path):
            declared[rotate(d.path, order)] = d
    records, counters = [], {"R": 0, "B": 0, "U": 0}
    taken = {d.id for d in model.loops}
    for nodes in sorted(found, key=lambda p: (p not in declared, len(p),
                                              [order[v] for v in p])):
        pol = _structural_polarity(G, nodes, effects)
        decl = declared.get(nodes)
        if decl is not None:
            records.append((nodes, decl.id, decl.title, pol))
            continue
        while True:
            counters[pol] += 1
            name = f"{pol}{counters[pol]}"
            if name not in taken:
                break
        records.append((nodes, name, None, pol))
    notes.append(f"the model has more than {max_loops} loops: loops were found by the "
                 f"strongest-path search (Eberlein and Schoenberg 2020) on the link scores "
                 f"of {searched} of {len(steps)} sampled steps; {len(records)} loops found"
                 f"{stop}")
    return records, "strongest-path"


def dominance(model: Model, run: Any = None, *, until: float | None = None,
              method: str | None = None, max_loops: int = DEFAULT_MAX_LOOPS,
              time_budget: float | None = 30.0, share: float = DOMINANCE_SHARE,
              window: float | None = None, scenario: str | None = None) -> Dominance:
    """Loop dominance over a run of the model: Loops That Matter [1]_ [2]_.

    Parameters
    ----------
    model : Model
        A checked model.
    run : simulation result, optional
        A run of the model (``.time`` and ``run[name]``); default: run it now
        (``model.simulate``), up to ``until``.
    until : float, optional
        Stop time of the run made here.
    method : str, optional
        The integration method the run used (default: the model's); only Euler is
        accepted, see :func:`check_method`.
    max_loops : int
        Past this many loops, discovery switches to the strongest-path search [3]_
        and the result's ``discovery`` and ``notes`` say so.
    time_budget : float, optional
        Seconds allowed for strongest-path discovery.
    share : float
        The share of the change a dominant set explains (0.5 in [1]_).
    window : float, optional
        Judge dominance over windows of this many time units (see
        :func:`dominant_periods`); default step by step.
    scenario : str, optional
        Run this scenario of the model (when the run is made here).

    Returns
    -------
    Dominance

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads('''time 0 to 4 step 1
    ... stock N initial 10
    ... flow births = 0.5 * N to N''')
    >>> N = [10 * 1.5 ** k for k in range(5)]
    >>> d = dominance(m, Run(range(5), {"N": N, "births": [0.5 * x for x in N]}))
    >>> [(lp.id, lp.polarity) for lp in d.loops], [p.to_dict()["loops"] for p in d.periods]
    ([('R1', 'R')], [['R1']])
    >>> d.relative[0].tolist()   # alone, a loop explains all the change (0 where undefined)
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    check_method(model, method)
    if run is None:
        run = _simulate(model, until, method, scenario)
    check_method(model, getattr(run, "method", None) or method)
    G = model.graph
    t = np.asarray(run.time, dtype=float)
    if until is not None:
        keep = t <= until + 1e-9
        t = t[keep]
    n = len(t)
    scores = link_scores(model, run, G) if n == len(run.time) else \
        link_scores(model, _Truncated(run, t), G)
    notes = list(scores.notes)
    valid = np.zeros(n, dtype=bool)
    has_stock = any(isinstance(v, Stock) for v in model.nodes)
    valid[1: n - 1 if has_stock else n] = True
    found, discovery = _find(model, G, scores, valid, max_loops, time_budget, notes)
    part = cycle_partitions(G)
    loops = [LoopRecord(i, nodes, pol, part[nodes[0]], title)
             for nodes, i, title, pol in found]
    raw = loop_scores(scores, loops, scores.lags) if loops else np.zeros((0, n))
    selfs = [(node, kind) for node, kind in scores.self_loops if node in part]
    if selfs:
        label = {v.id: v.display for v in model.nodes}
        loops += [LoopRecord(f"{node}:{kind}", (node,), "B", part[node],
                             f"{kind} of {label.get(node, node)}", kind=kind)
                  for node, kind in selfs]
        raw = np.vstack([raw.reshape(-1, n)] + [scores.self_loops[key] for key in selfs])
    rel = relative_loop_scores(raw, [lp.partition for lp in loops]) if loops else raw
    periods = dominant_periods(t, rel, loops, valid, share, window)
    if not loops:
        notes.append("the model has no feedback loop: nothing to dominate")
    elif not periods:
        notes.append("no loop is active: nothing along the loops changes during the run")
    if scores.lags and window is None and periods:
        h = float(t[1] - t[0]) if n > 1 else 1.0
        cycle = max(sum(scores.lags.get(link, 0) for link in lp.links) for lp in loops) * h
        if cycle > h:
            notes.append(f"links have delays, so changes travel round the loops in waves and "
                         f"the dominant loop can change from step to step; judge dominance "
                         f"over a window (window={cycle:g}, the longest cycle time)")
    return Dominance(t, loops, raw, rel, valid, periods, scores, discovery, notes)


class _Truncated:
    """A run cut to its first len(time) steps: ``time`` and ``run[name]``, as a Run."""

    def __init__(self, run: Any, time: np.ndarray):
        self.run, self.time, self.n = run, time, len(time)

    def __getitem__(self, name: str) -> np.ndarray:
        value = np.asarray(self.run[name], dtype=float)
        return value if value.ndim == 0 else value[: self.n]


def link_scores_at(model: Model, t: float, run: Any = None) -> dict[Edge, float]:
    """The link score of every link at time t (the nearest saved step).

    For drawing links by their score (``loopdsl render --scores-at T``). The run goes
    one step past t, so that links into stocks have their score at t.

    >>> import loopdsl
    >>> m = loopdsl.loads("stock N initial 1\\nflow g = 0.1 * N to N")
    >>> run = Run([0, 1, 2, 3], {"N": [1, 1.1, 1.21, 1.331], "g": [0.1, 0.11, 0.121, 0.1331]})
    >>> {k: round(v, 6) for k, v in sorted(link_scores_at(m, 1, run).items())}
    {('N', 'g'): 1.0, ('g', 'N'): 1.0}
    """
    check_method(model)
    if run is None:
        step = model.time.step if model.time else 1.0
        run = _simulate(model, t + 2 * step)
    check_method(model, getattr(run, "method", None))
    times = np.asarray(run.time, dtype=float)
    k = int(np.argmin(np.abs(times - t)))
    scores = link_scores(model, run)
    return {edge: _clean(s[k]) for edge, s in scores.items()}
