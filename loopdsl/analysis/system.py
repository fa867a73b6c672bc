"""The linearised system: its dominant growth factor and which link gains and delays move it.

Every node's value is a weighted sum of delayed values of the nodes it reads (the link
effects of :mod:`loopdsl.analysis.links`), stepped in whole steps of ``dt``::

    x_j(t) = push_j(t) + sum_i e_ij * x_i(t - k_ij dt)  [+ (1 - decay_j) x_j(t - dt)]

for a plain node (the retention term only if it has a ``decay``; an auxiliary or flow has
none), and ``x_s(t) = x_s(t - dt) + dt * sum_f e_fs * x_f(t - dt - k_fs dt)`` for a stock
(Euler). ``k_ij = round(delay_ij / dt)``, at least 1 for a non-zero delay. A node's
``capacity`` is left out: these are the loops' own figures, far below any capacity (the
simulator's Jacobian at the start, ``loopdsl.simulate.linearize``, also feels a push at
the start crowding a capacity, so the two differ exactly there). Writing
``A_k`` for the matrix of the terms with lag ``k``, the state's growth per step is the
spectral radius ``rho`` of the block companion matrix of
``x(t) = sum_k (I - A_0)^-1 A_k x(t - k)``; per time unit it is ``rho ** (1 / dt)``. The
companion matrix is block triangular over the strongly connected components of the
dependency graph, so ``rho`` is the largest over the components, each solved alone.

Sensitivities come from the eigenvectors of the matrix polynomial
``F(z) = I - sum_k A_k z^-k``: with ``F(l) x = 0`` and ``y^H F(l) = 0``,
``dl / dA_k[j, i] = conj(y_j) x_i l^-k / (y^H F'(l) x)`` (first-order perturbation of a
simple eigenvalue).

>>> import loopdsl
>>> G = loopdsl.loads("a -[gain 2 delay 1]-> b -[gain 2 delay 1]-> a").graph
>>> round(growth_factor(G), 9)
2.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from loopdsl.analysis.links import LinkEffect, link_effects

MAX_STATES = 3000
"""Largest companion matrix (states x lags) solved densely; beyond it: stepped."""
MAX_LAG = 100_000
"""Longest delay, in steps, the linearised system takes (a longer one is an error)."""


@dataclass
class Term:
    """One coefficient of the linear model: x_j(t) += coef * x_i(t - lag * dt)."""

    target: int
    source: int
    lag: int
    coef: float
    link: tuple[str, str] | None  # None for a node's own retention


@dataclass
class LinearModel:
    """The model as lagged linear terms over its nodes, in graph order."""

    names: list[str]
    dt: float
    terms: list[Term] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Why coefficients are missing (links whose sign, gain or delay is unknown)."""


def lag_steps(delay: float, dt: float) -> int:
    """A delay in whole steps: ``round(delay / dt)``, at least 1 if the delay is positive.

    >>> lag_steps(2, 1), lag_steps(0.25, 1), lag_steps(0, 0.5), lag_steps(1, 0.25)
    (2, 1, 0, 4)
    """
    if delay <= 0:
        return 0
    steps = delay / dt
    if not steps < MAX_LAG:
        raise ValueError(f"a delay of {delay:g} is {steps:g} steps of {dt:g}: more than "
                         f"{MAX_LAG} steps, too long to linearise")
    return max(1, round(steps))


def linear_model(G: nx.DiGraph, effects: Mapping[tuple[str, str], LinkEffect] | None = None,
                 model: Any = None) -> LinearModel:
    """The lagged linear model of G (see the module docstring).

    >>> import loopdsl
    >>> lin = linear_model(loopdsl.loads("a -[gain 0.5 delay 2]-> b").graph)
    >>> [(t.target, t.source, t.lag, t.coef) for t in lin.terms]
    [(1, 0, 2, 0.5)]
    """
    if effects is None:
        effects = link_effects(G, model)
    dt = float(G.graph.get("step") or 1.0)
    names = list(G)
    index = {n: i for i, n in enumerate(names)}
    lin = LinearModel(names, dt)
    kinds = dict(G.nodes(data="kind"))
    for name in names:
        if kinds.get(name) == "stock":
            lin.terms.append(Term(index[name], index[name], 1, 1.0, None))
    if model is not None:
        _retention(model, lin, index)
    for (u, v), e in effects.items():
        if not e.modelled:
            continue
        if e.gain is None or e.delay is None or (e.sign == 0 and e.gain != 0):
            lin.unknown.append(f"{u} -> {v}")
            continue
        if kinds.get(v) == "stock":
            lin.terms.append(Term(index[v], index[u], 1 + lag_steps(e.delay, dt), dt * e.gain,
                                  (u, v)))
        else:
            lin.terms.append(Term(index[v], index[u], lag_steps(e.delay, dt), e.gain, (u, v)))
    return lin


def _retention(model: Any, lin: LinearModel, index: Mapping[str, int]) -> None:
    from loopdsl.analysis.operating import number, operating_point
    from loopdsl.model import PlainNode

    point = None
    for node in model.nodes:
        if isinstance(node, PlainNode) and node.decay is not None and node.id in index:
            point = point if point is not None else operating_point(model)
            decay = number(model, node.decay, point)
            if decay is None:
                lin.unknown.append(f"decay of {node.id}")
                continue
            if decay != 1:
                i = index[node.id]
                lin.terms.append(Term(i, i, 1, 1.0 - decay, None))


@dataclass
class Dominant:
    """The dominant eigenvalue of one component and what its sensitivities need."""

    value: complex
    nodes: list[int]
    lags: list[np.ndarray]  # A_0 .. A_K over the component
    right: np.ndarray | None = None
    left: np.ndarray | None = None


def _components(lin: LinearModel) -> list[list[int]]:
    D = nx.DiGraph()
    D.add_nodes_from(range(len(lin.names)))
    D.add_edges_from((t.source, t.target) for t in lin.terms if t.coef != 0)
    found = []
    for comp in nx.strongly_connected_components(D):
        if len(comp) > 1 or any(D.has_edge(n, n) for n in comp):
            found.append(sorted(comp))
    return sorted(found)


def _lag_matrices(lin: LinearModel, nodes: list[int]) -> list[np.ndarray]:
    local = {n: i for i, n in enumerate(nodes)}
    inside = [t for t in lin.terms if t.source in local and t.target in local]
    K = max((t.lag for t in inside), default=0)
    mats = [np.zeros((len(nodes), len(nodes))) for _ in range(K + 1)]
    for t in inside:
        mats[t.lag][local[t.target], local[t.source]] += t.coef
    return mats


def companion(mats: list[np.ndarray]) -> np.ndarray:
    """The block companion matrix of ``x(t) = sum_k A_k x(t - k)`` (``mats = [A_0..A_K]``).

    >>> companion([np.zeros((1, 1)), np.array([[0.0]]), np.array([[4.0]])]).tolist()
    [[0.0, 4.0], [1.0, 0.0]]
    """
    m = mats[0].shape[0]
    K = len(mats) - 1
    if K == 0:
        raise ValueError("an algebraic loop: every link in a cycle has lag 0")
    solve = np.linalg.solve(np.eye(m) - mats[0], np.hstack(mats[1:]))
    C = np.zeros((m * K, m * K))
    C[:m, :] = solve
    if K > 1:
        C[m:, :-m] = np.eye(m * (K - 1))
    return C


def _dominant_of(mats: list[np.ndarray], nodes: list[int]) -> Dominant | None:
    if len(mats) == 1:
        return None
    values = np.linalg.eigvals(companion(mats))
    if values.size == 0:
        return None
    top = np.max(np.abs(values))
    # among eigenvalues of (nearly) the largest modulus prefer the real positive one
    close = [v for v in values if abs(v) >= top * (1 - 1e-9)]
    best = max(close, key=lambda v: (v.real, -abs(v.imag)))
    return Dominant(complex(best), nodes, mats)


def _sized_components(lin: LinearModel) -> list[tuple[list[int], int]]:
    """The feedback components with their largest internal lag."""
    components = _components(lin)
    where = {n: c for c, nodes in enumerate(components) for n in nodes}
    lags = [0] * len(components)
    for t in lin.terms:
        c = where.get(t.source)
        if c is not None and where.get(t.target) == c:
            lags[c] = max(lags[c], t.lag)
    return list(zip(components, lags))


def dominant(lin: LinearModel) -> Dominant | None:
    """The eigenvalue of largest modulus over all components (None if there is no loop).

    Raises ValueError if a component is larger than :data:`MAX_STATES` states.
    """
    sized = _sized_components(lin)
    for nodes, lag in sized:
        if len(nodes) * lag > MAX_STATES:
            raise ValueError(f"a feedback component of {len(nodes)} nodes and "
                             f"{lag} lags is too large to solve densely")
    best: Dominant | None = None
    for nodes, _ in sized:
        mats = _lag_matrices(lin, nodes)
        d = _dominant_of(mats, nodes)
        if d is not None and (best is None or abs(d.value) > abs(best.value) * (1 + 1e-12)):
            best = d
    return best


def stepped_radius(lin: LinearModel, nodes: list[int], steps: int = 4000,
                   seed: int = 0) -> float:
    """The spectral radius of one component estimated by stepping it (sparse, any size).

    Steps ``x(t) = sum_k A_k x(t - k)`` from a random positive start, rescaling as it
    goes, and returns the mean growth per step over the second half of the run. The
    error shrinks like ``1 / steps``; on random signed graphs it was within 0.06% of the
    dense figure (use it where the dense solution is too large).

    >>> lin = linear_model(__import__("loopdsl").loads("a -[gain 4 delay 2]-> a").graph)
    >>> round(stepped_radius(lin, [0]), 6)
    2.0
    """
    local = {n: i for i, n in enumerate(nodes)}
    inside = [t for t in lin.terms if t.source in local and t.target in local]
    m = len(nodes)
    K = max((t.lag for t in inside), default=0)
    if K == 0:
        raise ValueError("an algebraic loop: every link in a cycle has lag 0")
    tgt = np.array([local[t.target] for t in inside], dtype=np.int64)
    src = np.array([local[t.source] for t in inside], dtype=np.int64)
    lag = np.array([t.lag for t in inside], dtype=np.int64)
    coef = np.array([t.coef for t in inside], dtype=float)
    now = lag == 0
    t0, s0, c0 = tgt[now], src[now], coef[now]
    t1, s1, l1, c1 = tgt[~now], src[~now], lag[~now], coef[~now]
    if K * m > 20_000_000:
        raise ValueError(f"a feedback component of {m} nodes and {K} lags is too large "
                         "to step")
    rng = np.random.default_rng(seed)
    hist = rng.uniform(0.5, 1.5, (K, m))  # hist[k - 1] = x(t - k)
    logs = []
    total = 0.0
    for _ in range(steps):
        rhs = np.bincount(t1, weights=c1 * hist[l1 - 1, s1], minlength=m)
        x = rhs
        for _ in range(m):  # same-step links form a DAG: settle them in at most m passes
            nxt = rhs + np.bincount(t0, weights=c0 * x[s0], minlength=m) if t0.size else rhs
            if np.array_equal(nxt, x):
                break
            x = nxt
        hist = np.roll(hist, 1, axis=0)
        hist[0] = x
        top = float(np.max(np.abs(hist)))
        if top == 0.0:
            return 0.0
        hist /= top
        total += math.log(top)
        logs.append(total)
    half = steps // 2
    return math.exp((logs[-1] - logs[half - 1]) / (steps - half))


def spectral_radius(lin: LinearModel) -> tuple[float, bool]:
    """(rho per step, exact): dense eigenvalues per component, or, for a component larger
    than :data:`MAX_STATES` states, :func:`stepped_radius` (then ``exact`` is False)."""
    rho, exact = 0.0, True
    for nodes, lag in _sized_components(lin):
        if len(nodes) * lag > MAX_STATES:
            value, exact = stepped_radius(lin, nodes), False
        else:
            d = _dominant_of(_lag_matrices(lin, nodes), nodes)
            value = 0.0 if d is None else abs(d.value)
        rho = max(rho, value)
    return rho, exact


def per_time(rho: float, dt: float) -> float:
    """A growth factor per step as one per time unit: ``rho ** (1 / dt)``."""
    if rho != rho:
        return rho  # NaN stays NaN: unknown, not zero
    return rho ** (1.0 / dt) if rho > 0 else 0.0


def growth_factor(G: nx.DiGraph, effects: Mapping[tuple[str, str], LinkEffect] | None = None,
                  model: Any = None) -> float | None:
    """Dominant growth factor of the linearised model per time unit (None if unknown).

    1 means the model holds its level without a push, above 1 it grows by itself, below
    1 every push dies out; a model without feedback has 0.

    Parameters
    ----------
    G : networkx.DiGraph
    effects : mapping, optional
        From :func:`loopdsl.analysis.links.link_effects`.
    model : loopdsl.Model, optional
        Needed for plain nodes' ``decay`` and for equation slopes.

    Examples
    --------
    >>> import loopdsl
    >>> G = loopdsl.loads("a -[gain 0.5]-> b -> a").graph
    >>> round(growth_factor(G), 9) == round(0.5 ** 0.5, 9)
    True

    Notes
    -----
    :math:`O(\\sum_c (n_c K_c)^3)` over the feedback components :math:`c` of
    :math:`n_c` nodes and :math:`K_c` lags; a component of more than :data:`MAX_STATES`
    states is stepped instead (:func:`stepped_radius`, approximate).
    """
    lin = linear_model(G, effects, model)
    if lin.unknown:
        return None
    return per_time(spectral_radius(lin)[0], lin.dt)


def _vectors(d: Dominant) -> tuple[np.ndarray, np.ndarray, complex]:
    """Right and left null vectors of F(l) and y^H F'(l) x."""
    lam = d.value
    m = d.lags[0].shape[0]
    F = np.eye(m, dtype=complex)
    dF = np.zeros((m, m), dtype=complex)
    for k, A in enumerate(d.lags):
        F -= A * lam ** (-k)
        dF += k * A * lam ** (-k - 1)
    U, _, Vh = np.linalg.svd(F)
    x = Vh[-1].conj()
    y = U[:, -1]
    return x, y, y.conj() @ dF @ x


def gain_sensitivity(d: Dominant, target: int, source: int, lag: int) -> complex:
    """d lambda / d A_lag[target, source] at the dominant eigenvalue (eigenvector formula)."""
    local = {n: i for i, n in enumerate(d.nodes)}
    if target not in local or source not in local or lag >= len(d.lags):
        return 0j
    x, y, denom = _vectors(d)
    return np.conj(y[local[target]]) * x[local[source]] * d.value ** (-lag) / denom


@dataclass
class Lever:
    """How the dominant growth factor (per time unit) answers one link.

    ``gain_elasticity``: % change of growth per % change of the link's gain;
    ``gain_plus_10``: % change of growth when the gain is raised by 10% (recomputed);
    ``delay_steps``: the link's delay in steps; ``shorten_one_step``: % change of growth
    when the delay is one step shorter (recomputed; None if it has none or shortening
    would close an algebraic loop); ``delay_elasticity``: % change of growth per % change
    of the delay, the delay taken as continuous (``dl/dk = -a ln(l) dl/da`` for the term
    ``a x(t - k)``; for a real eigenvalue ``-k ln(l)`` times the gain elasticity).
    """

    source: str
    target: str
    gain: float
    gain_elasticity: float
    gain_plus_10: float | None
    delay_steps: int
    shorten_one_step: float | None
    delay_elasticity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rho(lin: LinearModel) -> float:
    try:
        d = dominant(lin)
    except (ValueError, np.linalg.LinAlgError):
        return math.nan
    return 0.0 if d is None else abs(d.value)


def leverage(G: nx.DiGraph, effects: Mapping[tuple[str, str], LinkEffect] | None = None,
             model: Any = None, recompute_limit: int = 400) -> list[Lever]:
    """The links of the dominant feedback component, ranked by the gain elasticity of growth
    (ties, to 9 digits, in graph order).

    Elasticities come from the eigenvectors; the "+10%" and "one step shorter" figures
    are recomputed exactly when the component has at most ``recompute_limit`` states.

    Examples
    --------
    >>> import loopdsl
    >>> G = loopdsl.loads("a -[gain 4 delay 1]-> b -[gain 1 delay 1]-> a").graph
    >>> levers = leverage(G)
    >>> [(l.source, l.target, round(l.gain_elasticity, 6)) for l in levers]
    [('a', 'b', 0.5), ('b', 'a', 0.5)]
    >>> round(levers[0].shorten_one_step, 3)   # 2 ** 0.5 per step becomes 4 ** 1
    100.0

    Notes
    -----
    One SVD for the vectors, then :math:`O(1)` per link; the recomputations cost one
    eigenvalue problem of the component per link.

    References
    ----------
    .. [1] H. Caswell, "Matrix Population Models", 2nd ed., Sinauer, 2001 (eigenvalue
       sensitivity and elasticity).
    """
    lin = linear_model(G, effects, model)
    if lin.unknown:
        return []
    d = dominant(lin)
    if d is None or abs(d.value) == 0:
        return []
    rho = abs(d.value)
    states = len(d.nodes) * (len(d.lags) - 1)
    exact = states <= recompute_limit
    inside = set(d.nodes)
    levers = []
    x, y, denom = _vectors(d)
    local = {n: i for i, n in enumerate(d.nodes)}
    for idx, t in enumerate(lin.terms):
        if t.link is None or t.source not in inside or t.target not in inside:
            continue
        dl = np.conj(y[local[t.target]]) * x[local[t.source]] * d.value ** (-t.lag) / denom
        drho = (np.conj(d.value) * dl).real / rho
        elasticity = drho * t.coef / rho / lin.dt
        plus, shorter = None, None
        base_lag = t.lag - (1 if G.nodes[t.link[1]].get("kind") == "stock" else 0)
        if exact:
            plus = _pct(lin, idx, rho, coef=t.coef * 1.1)
            if base_lag >= 1:
                shorter = _pct(lin, idx, rho, lag=t.lag - 1)
        gain = t.coef / lin.dt if G.nodes[t.link[1]].get("kind") == "stock" else t.coef
        dl_dk = -t.coef * np.log(d.value) * dl
        delay_elasticity = base_lag * (np.conj(d.value) * dl_dk).real / rho / rho / lin.dt
        levers.append(Lever(t.link[0], t.link[1], gain, float(elasticity), plus, base_lag,
                            shorter, float(delay_elasticity)))
    order = {n: i for i, n in enumerate(G)}
    levers.sort(key=lambda lv: (-float(f"{abs(lv.gain_elasticity):.9g}"), order[lv.source],
                                order[lv.target]))
    return levers


def _pct(lin: LinearModel, idx: int, rho: float, coef: float | None = None,
         lag: int | None = None) -> float | None:
    t = lin.terms[idx]
    changed = Term(t.target, t.source, t.lag if lag is None else lag,
                   t.coef if coef is None else coef, t.link)
    other = LinearModel(lin.names, lin.dt, [*lin.terms[:idx], changed, *lin.terms[idx + 1:]])
    new = _rho(other)
    if math.isnan(new):
        return None
    return 100.0 * ((new / rho) ** (1.0 / lin.dt) - 1.0)


__all__ = ["LinearModel", "Term", "Lever", "linear_model", "lag_steps", "companion",
           "dominant", "growth_factor", "gain_sensitivity", "leverage", "per_time",
           "MAX_STATES"]
