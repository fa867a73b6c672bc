"""Array helpers the generated simulation code calls: time inputs, lookups, random draws.

Every helper works on numpy arrays of any broadcastable shape (rows are variables,
columns are runs), so one run and an ensemble use the same code.

>>> import numpy as np
>>> float(pulse(np.float64(3.0), 10.0, 3.0, 0.0, 1.0))
10.0
>>> lookup_one(np.array([[0.5, 2.0]]), np.array([0.0, 1.0]), np.array([0.0, 10.0]),
...            "continuous").tolist()
[[5.0, 10.0]]
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9


def safediv(a, b, c):
    """a / b, or c where b is 0."""
    zero = b == 0
    return np.where(zero, c, a / np.where(zero, 1.0, b))


def step(t, height, start, dt):
    """STEP: height from time start on (with a tolerance of 1e-9 steps)."""
    return np.where(t + EPS * dt >= start, height, 0.0)


def ramp(t, slope, start, end):
    """RAMP: 0 before start, then slope * (t - start), held after end."""
    return slope * (np.minimum(np.maximum(t, start), end) - start)


def pulse(t, volume, first, interval, dt):
    """PULSE: volume / dt during the step at first (and every interval after, when > 0)."""
    tol = EPS * dt
    repeat = np.asarray(interval) > 0
    safe = np.where(repeat, interval, 1.0)
    k = np.where(repeat, np.floor((t - first + tol) / safe), 0.0)
    at = first + k * np.where(repeat, interval, 0.0)
    active = (t + tol >= first) & (t + tol >= at) & (t + tol < at + dt)
    return np.where(active, np.asarray(volume) / dt, 0.0)


def lookup_one(x, xs, ys, kind):
    """One graphical function (points xs, ys) applied to an array."""
    x = np.asarray(x, dtype=float)
    if len(xs) == 1:
        return np.full_like(x, ys[0])
    if kind == "discrete":
        i = np.searchsorted(xs, x, side="right") - 1
        return ys[np.clip(i, 0, len(ys) - 1)]
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


def lookup_many(x, XS, YS, counts, kind):
    """Row i of x through table i: XS, YS are (rows, points) padded with +inf / last y."""
    rows = XS.shape[0]
    x = np.asarray(x, dtype=float)
    x = np.broadcast_to(x, (rows, x.shape[-1] if x.ndim == 2 else 1))
    below = (XS[:, :, None] <= x[:, None, :]).sum(axis=1)  # points at or left of x
    r = np.arange(rows)[:, None]
    if kind == "discrete":
        return YS[r, np.clip(below - 1, 0, None)]
    i = np.clip(below, 1, (counts - 1)[:, None])
    x0, x1 = XS[r, i - 1], XS[r, i]
    y0, y1 = YS[r, i - 1], YS[r, i]
    with np.errstate(all="ignore"):
        frac = (x - x0) / (x1 - x0)
    if kind != "extrapolate":
        frac = np.clip(frac, 0.0, 1.0)
    return np.where(np.isnan(x), np.nan, y0 + frac * (y1 - y0))


def stack_tables(tables):
    """(XS, YS, counts) for :func:`lookup_many`; single-point tables get a second point."""
    prepared = []
    for t in tables:
        xs, ys = list(t.xs), list(t.ys)
        if len(xs) == 1:
            xs, ys = xs + [xs[0] + 1.0], ys + ys
        prepared.append((xs, ys))
    m = max(len(xs) for xs, _ in prepared)
    XS = np.full((len(prepared), m), np.inf)
    YS = np.zeros((len(prepared), m))
    counts = np.zeros(len(prepared), dtype=int)
    for k, (xs, ys) in enumerate(prepared):
        XS[k, :len(xs)] = xs
        YS[k, :len(ys)] = ys
        YS[k, len(ys):] = ys[-1]
        counts[k] = len(xs)
    return XS, YS, counts


def _clip(v, lo, hi):
    return np.minimum(np.maximum(v, lo), hi)


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
