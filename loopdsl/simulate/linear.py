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

from collections.abc import Mapping
from typing import Any

import numpy as np

from loopdsl.errors import LoopError
from loopdsl.model import Model
from loopdsl.simulate.engine import _rk4, prepare


def spectral_radius(J: np.ndarray) -> float:
    """The largest absolute eigenvalue of a square matrix (0 for an empty one).

    A large sparse matrix is split into its strongly connected blocks (the radius is the
    largest of theirs); blocks are solved densely.
    """
    if J.size == 0:
        return 0.0
    n = J.shape[0]
    if n <= 200:
        return float(np.max(np.abs(np.linalg.eigvals(J))))
    import networkx as nx

    rows, cols = np.nonzero(J)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(cols.tolist(), rows.tolist()))
    best = 0.0
    for block in nx.strongly_connected_components(G):
        idx = np.array(sorted(block))
        if len(idx) == 1:
            best = max(best, abs(float(J[idx[0], idx[0]])))
            continue
        best = max(best, float(np.max(np.abs(np.linalg.eigvals(J[np.ix_(idx, idx)])))))
    return best


MAX_STATES = 5000
"""Largest state linearize builds a dense Jacobian for (by default)."""
CHUNK_BYTES = 2.5e8
"""Memory for one batch of perturbed columns; batches bound the peak."""


def linearize(model: Model, dt: float | None = None, method: str | None = None,
              overrides: Mapping[str, Any] | None = None, rel_step: float = 1e-6,
              max_states: int | None = MAX_STATES
              ) -> tuple[np.ndarray, list[str], float]:
    """(J, state_names, dt): the Jacobian of the one-step state update at the start.

    Columns are computed in batches of perturbed runs, so memory stays near
    :data:`CHUNK_BYTES` whatever the model's size; a state larger than ``max_states``
    is a LoopError (the dense matrix alone would be ``8 * states ** 2`` bytes).
    """
    time = model.time
    start = time.start if time else 0.0
    c = prepare(model, start=start, stop=start, dt=dt, method=method, overrides=overrides)
    plan, system = c.plan, c.system
    dt = system.dt
    history = [(i, k) for i, k in sorted(plan.lagged.items(), key=lambda kv: plan.slot[kv[0]])
               if system.vars[i].kind != "const"]
    names = [system.vars[i].id for i in plan.stock_order]
    for i, k in history:
        names += [f"{system.vars[i].id}@-{j}" for j in range(1, k + 1)]
    dim = len(names)
    if dim == 0:
        return np.zeros((0, 0)), names, dt
    if max_states is not None and dim > max_states:
        raise LoopError(f"the model's state has {dim} values (stocks and delayed values), "
                        f"more than {max_states} to linearise densely")
    rows = plan.max_lag + 2
    per_column = max(1, rows * plan.nslots * 8)
    batch = int(max(1, min(dim, CHUNK_BYTES // (2 * per_column))))
    J = np.empty((dim, dim))
    z0 = None
    for first in range(0, dim, batch):
        cols = np.arange(first, min(dim, first + batch))
        z0, FZ, h = _perturbed_step(c, history, dim, cols, start, rel_step, z0)
        J[:, cols] = (FZ[:, 0::2] - FZ[:, 1::2]) / (2 * h[cols])[None, :]
    return J, names, dt


def _perturbed_step(c: Any, history: list[tuple[int, int]], dim: int, cols: np.ndarray,
                    start: float, rel_step: float, z0: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step from the start state with state ``cols`` nudged up and down (2 runs each)."""
    plan, prog = c.plan, c.program
    P, ss, cs, ns = plan.max_lag, plan.stocks, plan.consts, plan.nstocks
    runs = 2 * len(cols)
    rng = np.random.default_rng(0)
    PR = np.zeros((0, runs))
    OUT = np.zeros((P + 2, plan.nslots, runs))
    DV = np.zeros((ns, runs))
    with np.errstate(all="ignore"):
        prog.init(OUT[P], OUT, P, 0, np.float64(start), PR, rng, runs, DV)
        if z0 is None:
            z0 = np.concatenate([OUT[P, ss, 0], np.zeros(dim - ns)])
        h = rel_step * np.maximum(1.0, np.abs(z0))
        Z = np.repeat(z0[:, None], runs, axis=1)
        local = np.arange(len(cols))
        Z[cols, 2 * local] += h[cols]
        Z[cols, 2 * local + 1] -= h[cols]
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
                _rk4(prog, X, X1, np.zeros_like(X), OUT, P, steady, t, c.system.dt, PR, rng,
                     runs, K, ss)
            else:
                prog.deriv(X, OUT, P, steady, t, PR, rng, runs, DV)
                X1[ss] = X[ss] + c.system.dt * DV
        F = [X1[ss]]
        for i, depth in history:
            s = plan.slot[i]
            F.append(X[s][None, :])
            for j in range(2, depth + 1):
                F.append(OUT[P - j + 1, s][None, :])
        FZ = np.concatenate(F, axis=0)
    return z0, FZ, h
