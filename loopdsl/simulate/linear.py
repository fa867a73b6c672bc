"""Linearise the one-step update of a model at its initial operating point.

The state ``z_n`` is every stock (including the internal stocks of smooths and material
delays) and, for each variable read through a delay of up to ``k`` steps, its previous
``k`` values (``name@-1`` ... ``name@-k``). ``linearize`` returns the Jacobian of
``z_{n+1} = F(z_n)`` by central differences, computed as one vectorised run over
``2 * len(z)`` columns. Its spectral radius ``rho`` is the growth factor per step;
``rho ** (1 / dt)`` is the growth factor per time unit.

>>> import loopdsl
>>> m = loopdsl.loads("a -[gain 2 delay 2]-> b -[gain 2]-> a")
>>> J, names, dt = linearize(m)
>>> names
['a@-1', 'a@-2', 'b@-1']
>>> round(spectral_radius(J) ** (3 / dt), 9)   # the loop gain 4 per cycle of 3 time units
4.0
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from loopdsl.model import Model
from loopdsl.simulate.engine import _rk4, prepare


def spectral_radius(J: np.ndarray) -> float:
    """The largest absolute eigenvalue of a square matrix (0 for an empty one)."""
    if J.size == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(J))))


def linearize(model: Model, dt: float | None = None, method: str | None = None,
              overrides: Mapping[str, Any] | None = None, rel_step: float = 1e-6
              ) -> tuple[np.ndarray, list[str], float]:
    """(J, state_names, dt): the Jacobian of the one-step state update at the start."""
    time = model.time
    start = time.start if time else 0.0
    c = prepare(model, start=start, stop=start, dt=dt, method=method, overrides=overrides)
    plan, prog, system = c.plan, c.program, c.system
    dt = system.dt
    P = plan.max_lag
    ss = plan.stocks
    cs = plan.consts
    ns = plan.nstocks
    stock_ids = plan.stock_order
    history = [(i, k) for i, k in sorted(plan.lagged.items(), key=lambda kv: plan.slot[kv[0]])
               if system.vars[i].kind != "const"]
    names = [system.vars[i].id for i in stock_ids]
    for i, k in history:
        names += [f"{system.vars[i].id}@-{j}" for j in range(1, k + 1)]
    dim = len(names)
    if dim == 0:
        return np.zeros((0, 0)), names, dt
    runs = 2 * dim
    rng = np.random.default_rng(0)
    PR = np.zeros((0, runs))
    OUT = np.zeros((P + 2, plan.nslots, runs))
    DV = np.zeros((ns, runs))
    with np.errstate(all="ignore"):
        prog.init(OUT[P], OUT, P, 0, np.float64(start), PR, rng, runs, DV)
        z0 = np.concatenate([OUT[P, ss, 0], np.zeros(dim - ns)])
        h = rel_step * np.maximum(1.0, np.abs(z0))
        Z = np.repeat(z0[:, None], runs, axis=1)
        cols = np.arange(dim)
        Z[cols, 2 * cols] += h
        Z[cols, 2 * cols + 1] -= h
        OUT[P, ss] = Z[:ns]
        k = ns
        for i, depth in history:
            for j in range(1, depth + 1):
                OUT[P - j, plan.slot[i]] = Z[k]
                k += 1
        steady = P + 1  # past the start-up branch of DELAY and PREVIOUS
        t = np.float64(start)
        X = OUT[P]
        prog.step(X, OUT, P, steady, t, PR, rng, runs, DV)
        X1 = OUT[P + 1]
        X1[cs] = X[cs]
        if ns:
            if c.method == "rk4":
                K = [np.zeros_like(DV) for _ in range(4)]
                _rk4(prog, X, X1, np.zeros_like(X), OUT, P, steady, t, dt, PR, rng, runs, K, ss)
            else:
                prog.deriv(X, OUT, P, steady, t, PR, rng, runs, DV)
                X1[ss] = X[ss] + dt * DV
        F = [X1[ss]]
        for i, depth in history:
            s = plan.slot[i]
            F.append(X[s][None, :])
            for j in range(2, depth + 1):
                F.append(OUT[P - j + 1, s][None, :])
        FZ = np.concatenate(F, axis=0)
    J = (FZ[:, 0::2] - FZ[:, 1::2]) / (2 * h)[None, :]
    return J, names, dt
