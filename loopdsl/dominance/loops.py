"""Loop scores, cycle partitions and dominant periods (Loops That Matter [1]_).

A loop's *score* is the product of its link scores (:mod:`loopdsl.dominance.links`)
at each step; its *relative score* divides by the sum of the absolute scores of all
loops in the same cycle partition; a *dominant set* is the smallest set of loops of
one polarity whose relative scores explain at least half the change, and runs of
steps with the same dominant set are the *dominant periods*.

>>> lps = [LoopRecord("R1", ("a", "b"), "R", 0)]
>>> s = {("a", "b"): np.array([0.5, 2.0]), ("b", "a"): np.array([1.0, 1.0])}
>>> relative_loop_scores(loop_scores(s, lps), [0]).tolist()
[[1.0, 1.0]]

References
----------
.. [1] W. Schoenberg, P. Davidsen and R. Eberlein, "Understanding model behavior
   using the Loops that Matter method", System Dynamics Review 36(2), 2020.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from loopdsl.dominance.links import Edge

__all__ = ["DOMINANCE_SHARE", "LoopRecord", "Period", "cycle_partitions", "dominant_periods",
           "dominant_set", "loop_scores", "relative_loop_scores"]

DOMINANCE_SHARE = 0.5
"""A dominant set explains at least this share of the change."""


# --------------------------------------------------------------------------
# Loops, loop scores, partitions
# --------------------------------------------------------------------------

@dataclass
class LoopRecord:
    """A loop as dominance reports it: id, path, structural polarity, partition."""

    id: str
    nodes: tuple[str, ...]
    polarity: str
    partition: int
    title: str | None = None
    kind: str = "loop"
    """``loop``; or ``capacity`` / ``decay`` for a plain node's balancing self-loop."""

    @property
    def links(self) -> list[Edge]:
        k = len(self.nodes)
        return [(self.nodes[i], self.nodes[(i + 1) % k]) for i in range(k)]


def loop_scores(scores: Mapping[Edge, np.ndarray], loops: Iterable[Any],
                lags: Mapping[Edge, int] | None = None) -> np.ndarray:
    """Loop scores: the product of the link scores around each loop, per step.

    With link delays (``lags``: steps per link), each link is read at the step the
    change passes through it: the loop's score at step k follows the change that
    closes the loop at its first node at k back round the loop, so a link followed by
    links of total delay D is read at k - D (the chain rule with delays). Without
    delays this is the plain product at each step, as in [1]_.

    >>> s = {("a", "b"): np.array([0.5, 2.0]), ("b", "a"): np.array([-1.0, 1.0])}
    >>> loop_scores(s, [("a", "b")]).tolist()
    [[-0.5, 2.0]]
    >>> s = {("a", "b"): np.array([1.0, 0.0, 1.0]), ("b", "a"): np.array([0.0, 0.5, 0.0])}
    >>> loop_scores(s, [("a", "b")], lags={("b", "a"): 1}).tolist()  # a -> b, then 1 step
    [[0.0, 0.5, 0.0]]
    """
    lags = lags or {}
    rows: list[np.ndarray] = []
    for loop in loops:
        nodes = tuple(getattr(loop, "nodes", loop))
        m = len(nodes)
        links = [(nodes[i], nodes[(i + 1) % m]) for i in range(m)]
        prod: np.ndarray | None = None
        after = 0
        for link in reversed(links):
            s = np.asarray(scores[link], dtype=float)
            if after:
                shifted = np.zeros_like(s)
                if after < len(s):
                    shifted[after:] = s[: len(s) - after]
                s = shifted
            prod = s.copy() if prod is None else prod * s
            after += lags.get(link, 0)
        assert prod is not None  # a loop has at least one node, so one link
        rows.append(prod)
    if not rows:
        return np.zeros((0, 0))
    return np.vstack(rows)


def relative_loop_scores(scores: np.ndarray, partitions: Sequence[int]) -> np.ndarray:
    """Each loop score over the sum of absolute loop scores in its cycle partition.

    >>> relative_loop_scores(np.array([[3.0, 0.0], [-1.0, 0.0], [5.0, 1.0]]), [0, 0, 1]).tolist()
    [[0.75, 0.0], [-0.25, 0.0], [1.0, 1.0]]
    """
    rel = np.zeros_like(scores, dtype=float)
    parts = np.asarray(partitions)
    for p in set(partitions):
        rows = parts == p
        total = np.abs(scores[rows]).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel[rows] = np.where(total > 0, scores[rows] / np.where(total > 0, total, 1), 0.0)
    return rel


def cycle_partitions(G: nx.DiGraph) -> dict[str, int]:
    """Each node in a feedback loop -> the index of its cycle partition (an SCC).

    Partitions are numbered by the graph order of their first node.

    >>> import loopdsl
    >>> sorted(cycle_partitions(loopdsl.loads("a -> b -> a  c -> d -> c  b -> c").graph).items())
    [('a', 0), ('b', 0), ('c', 1), ('d', 1)]
    """
    order = {v: i for i, v in enumerate(G)}
    comps = [c for c in nx.strongly_connected_components(G)
             if len(c) > 1 or any(G.has_edge(v, v) for v in c)]
    comps.sort(key=lambda c: min(order[v] for v in c))
    return {v: i for i, c in enumerate(comps) for v in c}


# --------------------------------------------------------------------------
# Dominant periods
# --------------------------------------------------------------------------

@dataclass
class Period:
    """A stretch of time over which one set of loops dominates a cycle partition."""

    start: float
    end: float
    loops: list[str]
    partition: int
    polarity: str
    share: float
    """Mean over the period of the dominant set's summed relative score (absolute)."""

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "loops": list(self.loops),
                "partition": self.partition, "polarity": self.polarity,
                "share": round(self.share, 6)}


def dominant_set(relative: Sequence[float], ids: Sequence[str],
                 share: float = DOMINANCE_SHARE) -> tuple[list[str], str, float]:
    """The smallest set of same-sign loops whose relative scores reach ``share``.

    The sign with the larger total wins (reinforcing: positive scores; balancing:
    negative); its loops are taken by absolute score, largest first, until they
    explain ``share`` of the change. Returns (ids, "R" or "B", explained share);
    ``([], "", 0.0)`` when every score is 0.

    >>> dominant_set([0.4, 0.2, -0.3, -0.1], ["R1", "R2", "B1", "B2"])
    (['R1', 'R2'], 'R', 0.6)
    >>> dominant_set([0.3, -0.45, -0.25], ["R1", "B1", "B2"])
    (['B1', 'B2'], 'B', 0.7)
    """
    rel = np.asarray(relative, dtype=float)
    pos, neg = rel[rel > 0].sum(), -rel[rel < 0].sum()
    if pos == 0 and neg == 0:
        return [], "", 0.0
    sign = 1 if pos >= neg else -1
    idx = [i for i in np.argsort(-np.abs(rel), kind="stable") if rel[i] * sign > 0]
    chosen, total = [], 0.0
    for i in idx:
        chosen.append(ids[i])
        total += abs(rel[i])
        if total >= share - 1e-12:
            break
    return chosen, "R" if sign > 0 else "B", round(float(total), 12)


def _dominant_sets(cols: np.ndarray, ids: Sequence[str], share: float
                   ) -> list[tuple[list[str], str, float]]:
    """:func:`dominant_set` for every column of a (loops x columns) array, vectorised."""
    if cols.shape[1] == 0:
        return []
    pos = np.clip(cols, 0, None).sum(axis=0)
    neg = -np.clip(cols, None, 0).sum(axis=0)
    sign = np.where(pos >= neg, 1.0, -1.0)
    vals = np.where(cols * sign > 0, np.abs(cols), 0.0)
    order = np.argsort(-vals, axis=0, kind="stable")
    ranked = np.take_along_axis(vals, order, axis=0)
    cum = np.cumsum(ranked, axis=0)
    enough = cum >= share - 1e-12
    count = np.where(enough[-1], np.argmax(enough, axis=0) + 1, (ranked > 0).sum(axis=0))
    out: list[tuple[list[str], str, float]] = []
    for j in range(cols.shape[1]):
        c = int(count[j])
        if (pos[j] == 0 and neg[j] == 0) or c == 0:
            out.append(([], "", 0.0))
            continue
        out.append(([ids[i] for i in order[:c, j]], "R" if sign[j] > 0 else "B",
                    round(float(cum[c - 1, j]), 12)))
    return out


def dominant_periods(time: Sequence[float] | np.ndarray, relative: np.ndarray,
                     loops: Sequence[LoopRecord], valid: np.ndarray | None = None,
                     share: float = DOMINANCE_SHARE, window: float | None = None
                     ) -> list[Period]:
    """Runs of steps with the same dominant set, per cycle partition, in time order.

    Parameters
    ----------
    time : sequence of float
        The saved times.
    relative : ndarray, shape (loops, steps)
        Relative loop scores.
    loops : sequence of LoopRecord
        The loops, in the rows' order (their ``partition`` groups them).
    valid : ndarray of bool, optional
        Steps where scores are defined (others end a period and start none).
    share : float
        The share a dominant set explains (0.5 in [1]_).
    window : float, optional
        Judge dominance over consecutive windows of this many time units (from the
        start) instead of step by step, on each loop's mean relative score over the
        window's steps where some loop acts: "dominant over the selected time
        period" [1]_. Useful for
        discrete models with link delays, where the rings' waves arrive on different
        steps.

    Returns
    -------
    list of Period
        By partition, then by start time. ``end`` is the time of the period's last
        step. A period's loops are listed strongest first, as at its first step; a
        period lasts while the same set of loops dominates, in whatever order.

    Examples
    --------
    >>> lps = [LoopRecord("R1", ("a",), "R", 0), LoopRecord("B1", ("b",), "B", 0)]
    >>> rel = np.array([[0.9, 0.8, 0.3, 0.2], [-0.1, -0.2, -0.7, -0.8]])
    >>> [(p.start, p.end, p.loops) for p in dominant_periods([0, 1, 2, 3], rel, lps)]
    [(0.0, 1.0, ['R1']), (2.0, 3.0, ['B1'])]
    >>> [(p.start, p.end, p.loops) for p in dominant_periods([0, 1, 2, 3], rel, lps, window=4)]
    [(0.0, 3.0, ['R1'])]
    """
    t = np.asarray(time, dtype=float)
    n = len(t)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    if window is not None and window <= 0:
        raise ValueError("window must be positive")
    # Blocks of steps judged together: single valid steps, or the valid steps of a window.
    blocks: list[list[int]] = []
    for k in range(n):
        if not valid[k]:
            blocks.append([])
            continue
        key = None if window is None else math.floor((t[k] - t[0]) / window + 1e-9)
        if window is not None and blocks and blocks[-1] and blocks[-1][-1] == k - 1 and \
                math.floor((t[blocks[-1][0]] - t[0]) / window + 1e-9) == key:
            blocks[-1].append(k)
        else:
            blocks.append([k])
    periods: list[Period] = []
    for p in sorted({lp.partition for lp in loops}):
        rows = [i for i, lp in enumerate(loops) if lp.partition == p]
        ids = [loops[i].id for i in rows]
        sub = np.asarray(relative, dtype=float)[rows]
        if window is None:
            cols = np.zeros((len(rows), len(blocks)))
            singles = [b[0] for b in blocks if b]
            cols[:, [j for j, b in enumerate(blocks) if b]] = sub[:, singles]
        else:
            cols = np.zeros((len(rows), len(blocks)))
            for j, block in enumerate(blocks):
                part = sub[:, block] if block else np.zeros((len(rows), 0))
                part = part[:, np.abs(part).sum(axis=0) > 0]      # steps where a loop acts
                if part.shape[1]:
                    cols[:, j] = part.mean(axis=1)
        sets = _dominant_sets(cols, ids, share)
        current: Period | None = None
        shares: list[float] = []
        for block, (chosen, pol, got) in zip(blocks, sets):
            if not block:
                chosen = []
            if current is not None and set(chosen) == set(current.loops):
                current.end = float(t[block[-1]])
                shares.append(got)
                continue
            if current is not None:
                current.share = float(np.mean(shares))
                periods.append(current)
                current = None
            if chosen:
                current = Period(float(t[block[0]]), float(t[block[-1]]), chosen, p, pol, got)
                shares = [got]
        if current is not None:
            current.share = float(np.mean(shares))
            periods.append(current)
    return periods
