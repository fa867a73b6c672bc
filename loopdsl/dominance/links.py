"""Link scores over a run: how much of each variable's change came through each link.

The first half of Loops That Matter [1]_ (see :mod:`loopdsl.dominance` for loops,
relative scores and dominant periods). For a link ``x -> z`` at saved step ``k``:

* into an auxiliary or a flow ``z = f(x, y, ...)``, with ``Δ_x z = f(x_k, y_{k-1}, ...)
  - z_{k-1}`` (``x`` alone moves): ``LS = |Δ_x z / Δz| * sign(Δ_x z / Δx)``, 0 where Δz
  or Δx is 0;
* from a flow ``i`` into (out of) a stock ``S``, the corrected form of [2]_, Eq. 3,
  ``LS = ±|h Δi_k / (ΔS_{k+1} - ΔS_k)|`` (``h`` the step), which under Euler is
  ``Δi / Δnet``: a single net flow scores exactly 1;
* into a plain causal node, from its discrete update (docs/semantics.md): see
  :func:`link_scores`.

The 2023 paper's worked example (its Tables 1-3):

>>> import loopdsl
>>> m = loopdsl.loads('''time 0 to 3 step 1
... stock S initial 100
... flow i = IF TIME < 1 THEN 5 ELSE 10 to S
... flow o = IF TIME < 1 THEN 4 ELSE 5 from S''')
>>> run = Run(time=[0, 1, 2, 3], values={"S": [100, 101, 106, 111], "i": [5, 10, 10, 10],
...                                     "o": [4, 5, 5, 5]})
>>> scores = link_scores(m, run)
>>> float(scores["i", "S"][1]), float(scores["o", "S"][1])
(1.25, -0.25)

References
----------
.. [1] W. Schoenberg, P. Davidsen and R. Eberlein, "Understanding model behavior
   using the Loops that Matter method", System Dynamics Review 36(2), 2020.
.. [2] W. Schoenberg, J. Hayward and R. Eberlein, "Improving Loops that Matter",
   System Dynamics Review 39(2), 2023.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from loopdsl.expr import references
from loopdsl.ir import Apply, Builder, Opaque, Ref
from loopdsl.ir import evaluate as evaluate_ir
from loopdsl.ir.nodes import walk
from loopdsl.model import Aux, Constant, Flow, LookupDef, Model, PlainNode, Stock

Edge = tuple[str, str]


@dataclass
class Run:
    """A run's time axis and the value of every variable at each saved step.

    Anything with ``.time`` and ``result[name]`` (a simulation result) will do
    wherever a Run is asked for; this class is the minimal one.
    """

    time: Sequence[float] | np.ndarray
    values: Mapping[str, Sequence[float] | np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return np.asarray(self.values[name], dtype=float)

    def __contains__(self, name: str) -> bool:
        return name in self.values


def _series(run: Any, name: str, n: int) -> np.ndarray | None:
    try:
        value = run[name]
    except (KeyError, IndexError, TypeError):
        return None
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    return arr[:n] if arr.shape == (n,) or arr.shape[0] >= n else None


# --------------------------------------------------------------------------
# Link scores
# --------------------------------------------------------------------------

class LinkScores(dict):
    """Link score series keyed by (source, target), plus ``notes``: what could not be
    scored, and why."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []
        self.self_loops: dict[tuple[str, str], np.ndarray] = {}
        """Balancing self-loops of plain nodes: (node, "capacity" | "decay") -> scores."""
        self.lags: dict[tuple[str, str], int] = {}
        """Links with a delay: (source, target) -> the delay in steps."""


def _instant_score(partial: np.ndarray, dz: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """``|Δ_x z / Δz| * sign(Δ_x z / Δx)``, 0 where Δz or Δx is 0 (or not finite)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(partial / dz) * np.sign(partial) * np.sign(dx)
    bad = (dz == 0) | (dx == 0) | ~np.isfinite(score)
    return np.where(bad, 0.0, score)


def _flow_to_stock(flow: np.ndarray, stock: np.ndarray, h: np.ndarray, sign: int) -> np.ndarray:
    """2023 form, aligned at the step whose flow change it measures (see module doc)."""
    n = len(stock)
    out = np.zeros(n)
    if n < 3:
        return out
    d2 = stock[2:] - 2 * stock[1:-1] + stock[:-2]          # ΔS_{k+1} - ΔS_k, k = 1..n-2
    df = flow[1:-1] - flow[:-2]                             # Δi_k
    with np.errstate(divide="ignore", invalid="ignore"):
        score = sign * np.abs(h[1:] * df / d2)
    score = np.where((d2 == 0) | (df == 0) | ~np.isfinite(score), 0.0, score)
    out[1:-1] = score
    return out


def link_scores(model: Model, run: Any, G: nx.DiGraph | None = None) -> LinkScores:
    """The link score of every link of the model at every saved step of a run.

    Parameters
    ----------
    model : Model
        The model that was run (Euler; see :func:`dominance` for RK4).
    run : Run or simulation result
        ``run.time`` and ``run[name]`` for every variable.
    G : networkx.DiGraph, optional
        The model's graph (built if not given).

    Returns
    -------
    LinkScores
        A dict ``{(source, target): ndarray}`` (one value per saved step; the first
        step, and the last one for links into stocks, are 0: a change needs a
        previous value, a stock's acceleration a next one) with ``notes`` naming the
        links that could not be scored and why (their scores are 0).

    Notes
    -----
    Links into a plain causal node are scored from the node's discrete update
    (docs/semantics.md): each incoming link contributes ``sign * gain * x(t - delay)``
    to the node's change, so ``Δ_x z = sign * gain * (x_{k-d} - x_{k-d-1})``, scored
    like an equation link; the node's own decay and push are not links and are
    left out (they count in Δz). An equation that calls a memory function (SMTH1,
    DELAY, ...) or a random function cannot be re-evaluated ceteris paribus: when the
    call *is* the whole equation, the call's input gets the whole change (score
    ±1 by the sign of Δz·Δx); otherwise the links into it are not scored and a
    note says so.

    Examples
    --------
    >>> import loopdsl
    >>> m = loopdsl.loads("stock N initial 1\\nflow g = 0.1 * N to N")
    >>> run = Run([0, 1, 2, 3], {"N": [1, 1.1, 1.21, 1.331], "g": [0.1, 0.11, 0.121, 0.1331]})
    >>> s = link_scores(m, run)
    >>> [round(float(v), 6) for v in s["N", "g"]], [round(float(v), 6) for v in s["g", "N"]]
    ([0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0])
    """
    G = G if G is not None else model.graph
    t = np.asarray(run.time, dtype=float)
    n = len(t)
    h = np.diff(t) if n > 1 else np.ones(0)
    nodes = {node.id: node for node in model.nodes}
    lookups = {node.id: node.lookup for node in model.nodes if isinstance(node, LookupDef)}
    builder = Builder.of(model)

    def evaluate(expr: Any, env: Mapping[str, Any], **settings: Any) -> np.ndarray:
        """An expression of the model by the expression core; a name not in env is a
        KeyError."""
        return evaluate_ir(builder.node(expr), lambda ref: env[ref.name], **settings)
    spec = model.time
    ctx = dict(dt=float(spec.step) if spec else 1.0, start=float(t[0]) if n else 0.0,
               stop=float(spec.stop) if spec else float(t[-1]) if n else 0.0)
    cache: dict[str, np.ndarray | None] = {}

    def series(name: str) -> np.ndarray | None:
        if name not in cache:
            s = _series(run, name, n)
            if s is None and isinstance(node := nodes.get(name), Constant):
                try:
                    s = np.full(n, float(evaluate(node.equation, {})))
                except (Opaque, KeyError):
                    s = None
            cache[name] = s
        return cache[name]

    out = LinkScores()
    zero = np.zeros(n)

    def static(expr: Any) -> float | None:
        """A gain, delay, decay or capacity: evaluated once, at the start."""
        if expr is None:
            return None
        env = {}
        for name in references(expr):
            v = series(name)
            if v is None:
                return None
            env[name] = v[0] if len(v) else 0.0
        try:
            return float(evaluate(expr, env, time=t[0] if n else 0.0, **ctx))
        except (Opaque, KeyError):
            return None

    for target in G.nodes:
        preds = list(G.predecessors(target))
        if not preds:
            continue
        node = nodes.get(target)
        z = series(target)
        if z is None or n < 2:
            for x in preds:
                out[x, target] = zero.copy()
            if z is None and n >= 2 and not isinstance(node, Constant):
                out.notes.append(f"no values of '{target}' in the run: links into it score 0")
            continue
        if isinstance(node, Stock):
            for x in preds:
                sign = _flow_sign(nodes.get(x), target)
                f = series(x)
                if sign == 0 and f is not None and not _has_flows(model, target):
                    c = _contribution(model, G, x, target, f, t, static)
                    if c is not None:  # a stock filled by its links (docs/semantics.md)
                        out[x, target] = _flow_to_stock(c[0], z, h, c[1])
                        out.lags[x, target] = c[2]
                        continue
                if sign == 0 or f is None:
                    out[x, target] = zero.copy()
                    out.notes.append(f"link {x} -> {target}: the stock takes its value from "
                                     "its flows only; scored 0")
                    continue
                out[x, target] = _flow_to_stock(f, z, h, sign)
            continue
        if isinstance(node, (Aux, Flow)) and node.equation is not None:
            _equation_scores(node, builder.equation(node), preds, z, series, t, ctx, lookups,
                             out)
            continue
        if isinstance(node, (PlainNode, Aux, Flow)) or node is None:
            _plain_scores(model, builder, G, target, node, preds, z, series, t, static, out)
            continue
        for x in preds:  # constants do not change
            out[x, target] = zero.copy()
    return out


def _has_flows(model: Model, stock: str) -> bool:
    return any(isinstance(v, Flow) and stock in (v.source, v.target) for v in model.nodes)


def _contribution(model: Model, G: nx.DiGraph, x: str, target: str, xs: np.ndarray,
                  t: np.ndarray, static: Callable[[Any], float | None]
                  ) -> tuple[np.ndarray, int, int] | None:
    """``(|gain| * x(t - delay), sign, delay in steps)`` of a declared link, or None."""
    link = next((lk for lk in model.links if lk.source == x and lk.target == target), None)
    if link is None:
        return None
    sign = {"+": 1, "-": -1}.get(link.polarity, 0)
    gain = 1.0 if link.gain is None else static(link.gain)
    delay = 1.0 if link.delay is None else static(link.delay)
    if sign == 0 or gain is None or delay is None:
        return None
    n = len(xs)
    h = float(t[1] - t[0]) if n > 1 else 1.0
    lag = max(0, round(delay / h))
    shifted = np.zeros(n)  # before the start every value is 0
    if lag < n:
        shifted[lag:] = xs[: n - lag]
    if gain < 0:
        sign, gain = -sign, -gain
    return gain * shifted, sign, lag


def _flow_sign(node: Any, stock: str) -> int:
    if isinstance(node, Flow):
        if node.target == stock:
            return 1
        if node.source == stock:
            return -1
    return 0


def _equation_scores(node: Aux | Flow, tree: Any, preds: list[str], z: np.ndarray,
                     series: Callable[[str], np.ndarray | None], t: np.ndarray,
                     ctx: dict, lookups: Mapping, out: LinkScores) -> None:
    """Ceteris-paribus scores of the links into an auxiliary or flow."""
    n = len(z)
    names = sorted(references(node.equation) - set(lookups))
    values = {name: series(name) for name in names}
    missing = [name for name, v in values.items() if v is None]
    dz = np.diff(z)

    def f(env: dict[str, np.ndarray]) -> np.ndarray:
        value = evaluate_ir(tree, lambda ref: env[ref.name], time=t[1:], **ctx)
        if isinstance(node, Flow) and node.non_negative:
            value = np.maximum(value, 0.0)
        return np.broadcast_to(value, (n - 1,))

    prev = {name: v[:-1] for name, v in values.items() if v is not None}
    try:
        if missing:
            raise KeyError(missing[0])
        f(prev)  # fails early for opaque calls
    except Opaque as err:
        _opaque_scores(node, tree, preds, err, z, series, out)
        return
    except KeyError as err:
        for x in preds:
            out[x, node.id] = np.zeros(n)
        out.notes.append(f"links into '{node.id}': no values of {err} in the run; scored 0")
        return
    again = f({name: v[1:] for name, v in values.items() if v is not None})
    gap = np.abs(again - z[1:])
    if np.any(gap > 1e-6 * np.maximum(1.0, np.abs(z[1:]))):
        k = int(np.argmax(gap))
        out.notes.append(f"re-evaluating '{node.id}' does not reproduce the run at time "
                         f"{t[k + 1]:g} ({again[k]:g} vs {z[k + 1]:g}): its link scores may "
                         "be off")
    for x in preds:
        xs = values.get(x)
        if xs is None:  # a declared link the equation does not read
            out[x, node.id] = np.zeros(n)
            continue
        env = dict(prev)
        env[x] = xs[1:]
        partial = f(env) - z[:-1]
        score = np.zeros(n)
        score[1:] = _instant_score(partial, dz, np.diff(xs))
        out[x, node.id] = score


def _opaque_scores(node: Aux | Flow, tree: Any, preds: list[str], err: Opaque, z: np.ndarray,
                   series: Callable[[str], np.ndarray | None], out: LinkScores) -> None:
    n = len(z)
    call = err.node
    whole = call if tree is call and isinstance(call, Apply) else None
    for x in preds:
        xs = series(x)
        score = np.zeros(n)
        if whole is not None and xs is not None and Ref(x) in walk(whole.args[0]):
            dz, dx = np.diff(z), np.diff(xs)
            score[1:] = np.where((dz == 0) | (dx == 0), 0.0, np.sign(dz) * np.sign(dx))
        out[x, node.id] = score
    if whole is None:
        word = call.op.word.upper() if isinstance(call, Apply) else "a memory function"
        out.notes.append(f"links into '{node.id}': its equation mixes {word} with other "
                         "terms, which cannot be re-evaluated one input at a time; scored 0 "
                         f"(give the {word} its own aux)")


def _plain_scores(model: Model, builder: Builder, G: nx.DiGraph, target: str, node: Any,
                  preds: list[str],
                  z: np.ndarray, series: Callable[[str], np.ndarray | None], t: np.ndarray,
                  static: Callable[[Any], float | None], out: LinkScores) -> None:
    """Scores of the links into a plain causal node (docs/semantics.md).

    ``z_k = inflow_k * cap_k + (1 - decay) * z_{k-1}`` with ``inflow = push + sum of
    sign * gain * x(t - delay)``. Moving one input alone changes the inflow by
    ``cap_{k-1} * Δc`` (``c`` the link's contribution). A memoryless node (no decay, or
    decay 1) is scored like an auxiliary (over Δz); a node with memory (decay < 1) is an
    accumulator, scored like a stock with one net flow (over the change of its change,
    ``Δz_k - Δz_{k-1}``, the 2023 form). Its decay and capacity are balancing self-loops
    (``out.self_loops``), scored the same way.
    """
    n = len(z)
    decay = static(getattr(node, "decay", None))
    capacity = static(getattr(node, "capacity", None))
    memory = decay is not None and decay < 1
    prev = np.concatenate(([0.0], z[:-1]))                 # z_{k-1}; 0 before the start
    cap = np.ones(n) if not capacity else np.maximum(0.0, 1 - prev / capacity)
    dz = np.diff(z)
    denom = dz.copy()
    if memory:
        denom = dz - np.concatenate(([z[0]], dz[:-1]))     # Δz_k - Δz_{k-1}
    inflow = np.zeros(n)
    parts: dict[str, tuple[np.ndarray, int]] = {}
    for x in preds:
        xs = series(x)
        c = None if xs is None else _contribution(model, G, x, target, xs, t, static)
        if c is None:
            out[x, target] = np.zeros(n)
            out.notes.append(f"link {x} -> {target}: its sign, gain or delay is unknown or "
                             "it has no values; scored 0")
            continue
        parts[x] = c[:2]
        out.lags[x, target] = c[2]
        inflow += c[1] * c[0]
    push = getattr(node, "push", None)
    for x, (contrib, sign) in parts.items():
        partial = sign * cap[:-1] * np.diff(contrib)       # cap held at its previous value
        score = np.zeros(n)
        score[1:] = _instant_score(partial, denom, np.diff(contrib))
        out[x, target] = score
    if push is not None:
        env = {name: series(name) for name in references(push)}
        if all(v is not None for v in env.values()):
            h = float(t[1] - t[0]) if n > 1 else 1.0
            with contextlib.suppress(Opaque, KeyError):
                inflow = inflow + evaluate_ir(builder.node(push),
                                              lambda ref: env[ref.name], time=t, dt=h,
                                              start=float(t[0]), stop=float(t[-1]))
    keep = 0.0 if decay is None else 1.0 - decay
    again = inflow[1:] * cap[1:] + keep * z[:-1]
    gap = np.abs(again - z[1:])
    if n > 1 and np.any(gap > 1e-6 * np.maximum(1.0, np.abs(z[1:]))):
        k = int(np.argmax(gap))
        out.notes.append(f"the links of '{target}' do not reproduce the run at time "
                         f"{t[k + 1]:g} ({again[k]:g} vs {z[k + 1]:g}): its link scores may "
                         "be off")
    if capacity or memory:
        effects = {}
        if capacity:
            effects["capacity"] = inflow[:-1] * (cap[1:] - cap[:-1])
        if memory and decay:
            effects["decay"] = -decay * np.diff(prev)
        dprev = np.diff(prev)
        for kind, partial in effects.items():
            score = np.zeros(n)
            score[1:] = _instant_score(partial, denom, dprev)
            out.self_loops[target, kind] = score
