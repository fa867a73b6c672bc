"""Array helpers behind the builtins: time inputs, lookups, random draws.

The table in :mod:`loopdsl.builtins` names these as the implementations of STEP, RAMP,
PULSE, SAFEDIV and the random functions; the evaluator, the loop analysis and the
generated simulation code all call them from there.

Every helper works on numpy arrays of any broadcastable shape (rows are variables,
columns are runs), so one run and an ensemble use the same code.

>>> import numpy as np
>>> float(pulse(np.float64(3.0), 1.0, 10.0, 3.0, 0.0))
10.0
>>> lookup_one(np.array([[0.5, 2.0]]), np.array([0.0, 1.0]), np.array([0.0, 10.0]),
...            "continuous").tolist()
[[5.0, 10.0]]
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

EPS = 1e-9
_uclip = getattr(getattr(np, "_core", None), "umath", np).clip
"""np.clip's ufunc itself (np.clip adds ~1 us of Python checks per call)."""


def safediv(a, b, c):
    """a / b, or c where b is 0."""
    zero = b == 0
    return np.where(zero, c, a / np.where(zero, 1.0, b))


def step(t, dt, height, start):
    """STEP: height from time start on (with a tolerance of 1e-9 steps)."""
    return np.where(t + EPS * dt >= start, height, 0.0)


def ramp(t, dt, slope, start, end):
    """RAMP: 0 before start, then slope * (t - start), held after end (dt unused: every
    time input takes the time and the step first)."""
    return slope * (np.minimum(np.maximum(t, start), end) - start)


def pulse(t, dt, volume, first, interval):
    """PULSE: volume / dt during the step at first (and every interval after, when > 0)."""
    tol = EPS * dt
    repeat = np.asarray(interval) > 0
    safe = np.where(repeat, interval, 1.0)
    k = np.where(repeat, np.floor((t - first + tol) / safe), 0.0)
    at = first + k * np.where(repeat, interval, 0.0)
    active = (t + tol >= first) & (t + tol >= at) & (t + tol < at + dt)
    return np.where(active, np.asarray(volume) / dt, 0.0)


def lookup_one(x, xs, ys, kind):
    """One graphical function (points xs, ys) applied to an array (NaN stays NaN)."""
    x = np.asarray(x, dtype=float)
    if len(xs) == 1:
        y = np.full_like(x, ys[0])
    elif kind == "discrete":
        i = np.searchsorted(xs, x, side="right") - 1
        y = ys[np.clip(i, 0, len(ys) - 1)]
    else:
        y = np.interp(x, xs, ys)
        if kind == "extrapolate":
            lo = x < xs[0]
            hi = x > xs[-1]
            if lo.any() or hi.any():
                left = ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
                right = ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
                y = np.where(lo, left, np.where(hi, right, y))
    nan = np.isnan(x)
    if nan.any():
        y = np.where(nan, np.nan, y)
    return y


class Tables:
    """Several graphical functions, called as ``tables(x, kind)``: row i uses table i.

    The points of all tables are laid out in one sorted key array (row ``i`` maps its
    x range onto ``[2i, 2i + 1]``), so one ``searchsorted`` finds every row's segment.
    :meth:`one` gives the same tables for a single run's 1-D rows (one x per table).
    """

    def __init__(self, tables):
        xs_all: list[float] = []
        ys_all: list[float] = []
        counts_list: list[int] = []
        for t in tables:
            xs, ys = t.xs, t.ys
            if len(xs) == 1:
                xs, ys = [xs[0], float(xs[0]) + 1.0], [ys[0], ys[0]]
            xs_all.extend(xs)
            ys_all.extend(ys)
            counts_list.append(len(xs))
        counts = np.array(counts_list)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.offsets = first[:, None]
        self.counts = counts[:, None]
        self.X = np.array(xs_all, dtype=float)
        self.Y = np.array(ys_all, dtype=float)
        self.last = self.offsets + self.counts - 1  # each row's last point
        x0 = self.X[first]
        self.x0 = x0[:, None]
        span = (self.X[self.last[:, 0]] - x0)[:, None]
        self.span = np.where(span > 0, span, 1.0)
        row = np.repeat(np.arange(len(counts)), counts)  # the table of each point
        self.rows = 2.0 * np.arange(len(counts))[:, None]
        self.keys = 2.0 * row + (self.X - x0[row]) / self.span[row, 0]
        self.xlast = self.X[self.last[:, 0]][:, None]
        slope = np.zeros_like(self.X)
        slope[:-1] = np.diff(self.Y) / np.where(np.diff(self.X) != 0, np.diff(self.X), 1.0)
        self.slope = slope  # slope[k]: from point k to k + 1 (meaningless at a row's end)

    def numbers(self) -> tuple[np.ndarray, ...]:
        """The arrays of numbers the lookups compute with (to tell they are finite)."""
        return self.X, self.Y, self.slope, self.keys

    def one(self) -> Tables:
        """The same tables for 1-D x (a single run's rows): shares the point arrays."""
        t: FlatTables = copy.copy(self)  # type: ignore[assignment]  # its class is set next
        t.__class__ = FlatTables
        t.x0, t.span, t.rows, t.offsets, t.last, t.xlast = (
            a[:, 0] for a in (self.x0, self.span, self.rows, self.offsets, self.last,
                              self.xlast))
        t.points = np.stack([self.Y, self.X, self.slope])  # one take for all three
        t.after = {}
        return t

    def __call__(self, x, kind):
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[0] != self.x0.shape[0]:
            x = np.broadcast_to(x, (self.x0.shape[0], x.shape[-1] if x.ndim == 2 else 1))
        # below the first point u is 0, which finds the first point: the first segment
        u = _uclip((x - self.x0) / self.span, 0.0, 1.0)
        found = np.searchsorted(self.keys, self.rows + u, side="right")
        if kind == "discrete":
            y = self.Y[_uclip(found - 1, self.offsets, self.last)]
            return np.where(np.isnan(x), np.nan, y)
        seg = _uclip(found - 1, self.offsets, self.last - 1)  # segment seg .. seg + 1
        if kind != "extrapolate":
            x = _uclip(x, self.x0, self.xlast)  # clamped to the table's range
        return self.Y[seg] + (x - self.X[seg]) * self.slope[seg]


class FlatTables(Tables):
    """:class:`Tables` for 1-D x (:meth:`Tables.one`)."""

    points: np.ndarray  # Y, X and slope stacked: one take for all three
    after: dict[bool, Any]  # _counting's arrays, made on first use

    def __call__(self, x, kind):
        """:meth:`Tables.__call__` for 1-D x (one value per table): the same numbers.

        x is clamped to its table first, so u needs no clip (at the ends it is exactly
        0 and 1, as the clip made it); the segment (or, discrete, the point) is then
        found among the row's own keys by :meth:`_found`, the index ``searchsorted``
        gives over all keys and the clip then kept.
        """
        x = np.asarray(x, dtype=float)
        if x.shape != self.x0.shape:
            x = np.broadcast_to(x, self.x0.shape)
        xc = _uclip(x, self.x0, self.xlast)
        at = self._found(self.rows + (xc - self.x0) / self.span, kind == "discrete")
        if kind == "discrete":
            return np.where(np.isnan(x), np.nan, self.Y.take(at))
        y, xs, slope = self.points.take(at, 1)
        return y + ((x if kind == "extrapolate" else xc) - xs) * slope

    def _found(self, key, discrete):
        """Each row's segment start (or, ``discrete``, last point) at or below its key.

        Row i's key lies in [2i, 2i + 1], as do its points' keys, so it only counts
        the row's own points after the first (not the last, for a segment): with a few
        points a row one comparison per point (a padded matrix, one pass each), else
        a ``searchsorted`` over those points (an offset per row puts the rest back).
        A NaN key counts none: any segment then gives NaN.
        """
        found = self.after.get(discrete)
        if found is None:
            found = self.after[discrete] = _counting(self.keys, self.offsets,
                                                     self.last - (not discrete))
        start, K, flat_keys = found
        if K is not None:
            return start + np.add.reduce(key >= K, axis=0, dtype=np.intp)
        if flat_keys is None:  # no point to count: every row has one segment
            return start
        return start + flat_keys.searchsorted(key, "right")


MATRIX_POINTS = 16
"""Tables of at most this many points beyond the first are searched by comparisons
(:meth:`FlatTables._found`); longer ones by ``searchsorted``."""


def _counting(keys, offsets, ends):
    """(start, K, keys) for :meth:`FlatTables._found`: row i counts its keys at positions
    offsets[i] + 1 .. ends[i]; K is those keys padded with +inf, one row of K per
    position (None if a row has more than ``MATRIX_POINTS``), else the same keys in one
    sorted array with start shifting each row's count back to its offset.

    >>> start, K, _ = _counting(np.array([0., .5, 1., 2., 2.2, 3.]), np.array([0, 3]),
    ...                         np.array([1, 4]))
    >>> start.tolist(), K.tolist()
    ([0, 3], [[0.5, 2.2]])
    """
    n = len(offsets)
    counts = np.maximum(ends - offsets, 0)
    most = int(counts.max(initial=0))
    row = np.repeat(np.arange(n), counts)
    position = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
    inner = keys[np.repeat(offsets + 1, counts) + position]
    if most == 0:
        return offsets.astype(np.intp), None, None
    if most <= MATRIX_POINTS:
        K = np.full((most, n), np.inf)
        K[position, row] = inner
        return offsets.astype(np.intp), K, None
    return (offsets - (np.cumsum(counts) - counts)).astype(np.intp), None, inner


def _clip(v, lo, hi):
    return np.minimum(np.maximum(v, lo), hi)


def one_run(draw: Callable[..., Any]) -> Callable[..., Any]:
    """A random helper for 1-D rows: shape ``(g, runs)`` drawn as ``(g,)`` (the same
    numbers, in the same order, as one run of the 2-D program)."""
    def drawn(rng, shape, *args):
        return draw(rng, shape[:1], *args)
    return drawn


def rand_uniform(rng, shape, lo, hi):
    return lo + (hi - lo) * rng.random(shape)


def rand_normal(rng, shape, mean, sd, lo, hi):
    return _clip(mean + sd * rng.standard_normal(shape), lo, hi)


def rand_lognormal(rng, shape, mean, sd, lo, hi):
    mean = np.asarray(mean, dtype=float)
    sigma2 = np.log1p((np.asarray(sd) / mean) ** 2)
    mu = np.log(mean) - sigma2 / 2
    return _clip(np.exp(mu + np.sqrt(sigma2) * rng.standard_normal(shape)), lo, hi)


def rand_poisson(rng, shape, mean, lo, hi):
    return _clip(rng.poisson(np.broadcast_to(mean, shape)).astype(float), lo, hi)


def rand_exponential(rng, shape, mean):
    return np.asarray(mean) * rng.standard_exponential(shape)
