"""Run a compiled plan: Euler or RK4 steps over arrays of (variables x runs).

>>> import loopdsl
>>> c = prepare(loopdsl.loads("a -[gain 2]-> b -> a\\nnode a initial 1"))
>>> out = run(c, runs=1)
>>> out[c.plan.max_lag:, c.plan.slot[c.system.index["a"]], 0].tolist()[:7]
[1.0, 0.0, 2.0, 0.0, 4.0, 0.0, 8.0]
"""

from __future__ import annotations

import logging
import math
import mmap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

import numpy as np

from loopdsl.errors import Diagnostic, LoopError
from loopdsl.model import Model
from loopdsl.runtime import Tables
from loopdsl.simulate.codegen import Program, compile_plan
from loopdsl.simulate.lower import System, lower
from loopdsl.simulate.plan import Plan, as_index, build_plan
from loopdsl.tuning import gc_paused, heap_for_temporaries, keep_built_objects

log = logging.getLogger(__name__)

METHODS = ("euler", "rk4")
MAX_BYTES = 16e9
"""Largest result a run may store (bytes); beyond it the run asks for fewer variables."""


@dataclass
class Compiled:
    """A model ready to run: its lowered system, plan and compiled functions."""

    model: Model
    system: System
    plan: Plan
    program: Program
    method: str
    layout: str = "model"
    _grouped: Compiled | None = field(default=None, repr=False)

    def grouped(self) -> Compiled:
        """The same system planned with each group's outputs in contiguous rows (the
        plan's ``"groups"`` layout), built on first use; self if it is already.

        An ensemble's statements then read and write whole blocks of its rows instead of
        one strided row per variable: 1,000 runs of the regular 100-stock model (its
        statements over every fifth row) ran 1.5x faster that way, the same numbers.
        """
        if self.layout == "groups":
            return self
        if self._grouped is None:
            with gc_paused():
                plan = build_plan(self.system, "groups")
                self._grouped = Compiled(self.model, self.system, plan, compile_plan(plan),
                                         self.method, "groups")
        return self._grouped

    @property
    def rewrites_all(self) -> bool:
        """Whether each step writes every slot that is not a constant (stocks and
        equations): a run may then fill its later rows with whole copies of the first
        (the steps overwrite all but the constants), a plain copy instead of a gather.
        Measured with the steps' writes after it, fresh arrays: irregular 1,000 4 instead
        of 5 ms, regular 1,000 the same; but 10,000 stocks (results on ordinary pages,
        :func:`stored`) 0.19-0.20 instead of 0.17-0.18 s, so :func:`run` copies whole rows
        only into results on huge pages."""
        plan = self.plan
        cs = plan.consts
        consts = len(range(plan.nslots)[cs]) if isinstance(cs, slice) else len(cs)
        return consts + plan.nstocks + sum(
            len(g.outputs) for g in plan.step_groups) == plan.nslots

    @property
    def nsteps(self) -> int:
        s = self.system
        return math.floor((s.stop - s.start) / s.dt + 1e-9)

    @property
    def times(self) -> np.ndarray:
        s = self.system
        return s.start + np.arange(self.nsteps + 1) * s.dt


def settings(model: Model, start: float | None, stop: float | None, dt: float | None,
             method: str | None) -> tuple[float, float, float, str]:
    """The run's start, stop, dt and method: arguments, else the model's, else defaults."""
    time = model.time
    start = float(start) if start is not None else (time.start if time else 0.0)
    stop = float(stop) if stop is not None else (time.stop if time else 100.0)
    dt = float(dt) if dt is not None else (time.step if time else 1.0)
    method = (method or model.method or "euler").lower()
    if method not in METHODS:
        raise LoopError(f"unknown integration method '{method}', expected euler or rk4")
    if not (math.isfinite(dt) and dt > 0):
        raise LoopError(f"the time step must be a positive number, not {dt:g}")
    if not (math.isfinite(start) and math.isfinite(stop)) or stop < start:
        raise LoopError(f"the run must end after it starts (start {start:g}, stop {stop:g})")
    if (stop - start) / dt > 1e8:
        raise LoopError(f"{(stop - start) / dt:.3g} steps is too many for one run",)
    return start, stop, dt, method


def prepare(model: Model, start: float | None = None, stop: float | None = None,
            dt: float | None = None, method: str | None = None,
            overrides: Mapping[str, Any] | None = None, layout: str = "model") -> Compiled:
    """Lower, plan and compile a checked model for running.

    ``layout="groups"`` (see :func:`~loopdsl.simulate.plan.build_plan`) suits a run that
    keeps only some variables (an ensemble with ``keep``): :func:`run` would otherwise
    plan the model a second time that way (:meth:`Compiled.grouped`).
    """
    start, stop, dt, method = settings(model, start, stop, dt, method)
    with gc_paused():  # many small tuples (loopdsl.tuning's "gc" knob, if it is on)
        system = lower(model, dt, start, stop, overrides)
        plan = build_plan(system, layout)
        compiled = Compiled(model, system, plan, compile_plan(plan), method, layout)
        keep_built_objects()
    return compiled


def run(c: Compiled, runs: int = 1, params: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
        progress: Callable[[int, int], None] | None = None,
        keep: Sequence[int] | None = None) -> np.ndarray:
    """Run every step.

    Without ``keep``, return OUT, shaped (max_lag + steps + 1, slots, runs): rows before
    ``plan.max_lag`` are the (zero) values before the start. With ``keep`` (slots), only
    those variables are recorded: the run holds just the rows its delays need and
    returns (steps + 1, len(keep), runs), so memory follows what is kept; an ensemble
    then runs the plan laid out by groups (:meth:`Compiled.grouped`).

    A single run steps 1-D views of the same arrays with the program's 1-D version
    (:meth:`~loopdsl.simulate.codegen.Program.one`); constants are written into every
    row once, not copied each step.
    """
    if keep is not None and runs > 1 and c.layout != "groups":
        # the record is an array of its own, so the rows may be laid out for speed
        variable = [0] * c.plan.nslots
        for i, k in enumerate(c.plan.slot):
            variable[k] = i
        c = c.grouped()
        keep = [c.plan.slot[variable[int(k)]] for k in keep]
    plan, prog, system = c.plan, c.program, c.system
    dt, start = system.dt, system.start
    nsteps = c.nsteps
    P = plan.max_lag
    rows, width = (P + nsteps + 1, plan.nslots) if keep is None else (nsteps + 1, len(keep))
    if rows * width * runs * 8 > MAX_BYTES:
        raise LoopError(f"the run would store {rows * width * runs * 8 / 1e9:.1f} GB "
                        f"({rows} times x {width} variables x {runs} runs); record fewer "
                        "variables (keep=[...]), fewer runs or fewer steps")
    one = prog.one() if runs == 1 else None
    if runs == 1 and one is None:
        log.debug("simulate: a phase uses the general path; the single run steps 2-D rows")
    if keep is None:
        OUT = stored((P + nsteps + 1, plan.nslots, runs), zero=True)
        ring = 0
        REC = None
    else:
        # P + 2 rows: the stocks' update at step n (reading lag <= P from row n - 1)
        # never reads the row it writes
        ring = P + 2
        OUT = np.zeros((ring, plan.nslots, runs))
        kept = as_index([int(k) for k in keep])
        # an ensemble's record stays on huge pages: 1,000 runs of regular 100 stocks
        # (800 MB) took 0.25 s that way in bench/peers.py, 0.6-0.75 s on ordinary pages
        REC = np.empty((nsteps + 1, len(keep), runs))
    PR = params if params is not None else np.zeros((0, runs))
    if one is not None:  # a single run: 1-D rows (views of the same arrays)
        prog, history, PR = one, OUT[:, :, 0], PR[:, 0]
        R = REC[:, :, 0] if REC is not None else None
        cols: tuple[int, ...] = ()
    else:
        history, R, cols = OUT, REC, (runs,)
    rng = rng if rng is not None else np.random.default_rng()
    cs = plan.consts
    ss = plan.stocks
    nstock = plan.nstocks
    DV = np.zeros((nstock, *cols))
    rk4 = c.method == "rk4" and nstock > 0
    euler = prog.euler if not rk4 else None
    if rk4:
        K = [np.zeros((nstock, *cols)) for _ in range(4)]
        Y = np.zeros((plan.nslots, *cols))
    every = max(1, nsteps // 100)
    if one is None:
        heap_for_temporaries(plan.nslots * runs * 8)
    flags = _Flags.watch(prog, PR, runs)
    with np.errstate(all="ignore") if flags is None else flags.errstate():
        b = 0 if ring else P
        X = history[b]
        prog.init(X, history, b, 0, np.float64(start), PR, rng, runs, DV)
        _check(c, X, 0, start)
        if not ring and nsteps:  # constants never change: every later row at once
            if c.rewrites_all and history.nbytes < ORDINARY_PAGES:  # whole rows, no gather
                history[P + 1:] = X
            else:
                history[P + 1:, cs] = X[cs]
        copy_consts = ring  # a ring's rows keep them once each has been written
        if R is not None:
            _record(R[0], X, kept)
        times = c.times  # start + n * dt, as np.float64, the same numbers
        total = np.add.reduce
        tp = np.float64(start)
        for n in range(1, nsteps + 1):
            b = n % ring if ring else P + n
            Xp = X
            X = history[b]
            t = times[n]
            if n < copy_consts:
                X[cs] = Xp[cs]
            if nstock:
                if rk4:
                    _rk4(prog, Xp, X, Y, history, b - 1, n - 1, tp, dt, PR, rng, runs, K, ss)
                elif euler is not None:  # X[ss] = Xp[ss] + dt * rate, group by group
                    euler(Xp, history, b - 1, n - 1, tp, PR, rng, runs, X)
                else:
                    prog.deriv(Xp, history, b - 1, n - 1, tp, PR, rng, runs, DV)
                    X[ss] = Xp[ss] + dt * DV
            prog.step(X, history, b, n, t, PR, rng, runs, DV)
            if flags is None or flags.raised or n % _SAFETY == 0 or n == nsteps:
                if flags is not None:
                    flags.raised = False
                if not isfinite(total(X) if one is not None else total(total(X, 0))):
                    _check(c, X, n, float(t))  # finds the variable, or lets an overflow pass
            if R is not None:
                _record(R[n], X, kept)
            if progress is not None and n % every == 0:
                progress(n, nsteps)
            tp = t
    if progress is not None:
        progress(nsteps, nsteps)
    return OUT if REC is None else REC


ORDINARY_PAGES = 256e6
"""Result arrays this large (bytes) are allocated on ordinary pages (see :func:`stored`)."""
_NO_HUGE_PAGES = getattr(mmap, "MADV_NOHUGEPAGE", None)


def stored(shape: tuple[int, ...], zero: bool = False) -> np.ndarray:
    """A new array for a run's results; one of ``ORDINARY_PAGES`` bytes or more goes on
    ordinary pages, in memory of its own.

    On Linux numpy asks the kernel for huge pages on arrays of 4 MB and more. Writing
    them is cheap when huge pages are free, but right after a big model is read free
    memory is fragmented, and each first write of a huge page then waits for the kernel
    to compact memory (``defrag = madvise``, as on the VM of docs/performance.md). A
    private anonymous mapping marked not to use huge pages (zero-filled, returned to the
    system when the array is freed) avoids that without switching numpy's setting,
    which is the whole process's.
    """
    nbytes = math.prod(shape) * 8
    if nbytes < ORDINARY_PAGES or _NO_HUGE_PAGES is None:
        return np.zeros(shape) if zero else np.empty(shape)
    memory = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    memory.madvise(_NO_HUGE_PAGES)
    return np.frombuffer(memory, dtype=np.float64).reshape(shape)


def _record(row: np.ndarray, X: np.ndarray, kept: Any) -> None:
    """Copy the kept slots of X into a row of the record (a strided view when it can)."""
    if isinstance(kept, slice):
        row[...] = X[kept]
    else:
        np.take(X, kept, axis=0, out=row, mode="clip")  # "raise" would buffer the copy


def _rk4(prog: Program, Xp: np.ndarray, X: np.ndarray, Y: np.ndarray, OUT: np.ndarray,
         b: int, n: int, tp: np.float64, dt: float, PR: np.ndarray, rng: Any, runs: int,
         K: list[np.ndarray], ss: Any) -> None:
    k1, k2, k3, k4 = K
    prog.deriv(Xp, OUT, b, n, tp, PR, rng, runs, k1)
    Y[...] = Xp
    half = np.float64(tp + dt / 2)
    Y[ss] = Xp[ss] + (dt / 2) * k1
    prog.cont(Y, OUT, b, n, half, PR, rng, runs, k2)
    prog.deriv(Y, OUT, b, n, half, PR, rng, runs, k2)
    Y[ss] = Xp[ss] + (dt / 2) * k2
    prog.cont(Y, OUT, b, n, half, PR, rng, runs, k3)
    prog.deriv(Y, OUT, b, n, half, PR, rng, runs, k3)
    Y[ss] = Xp[ss] + dt * k3
    end = np.float64(tp + dt)
    prog.cont(Y, OUT, b, n, end, PR, rng, runs, k4)
    prog.deriv(Y, OUT, b, n, end, PR, rng, runs, k4)
    X[ss] = Xp[ss] + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)


_SAFETY = 32
"""With floating-point flags watched, every row is still summed each this many steps."""


class _Flags:
    """Watches numpy's floating-point flags so a run sums its row only after a step
    that raised one (a new NaN or infinity always does: 0/0, x/0, log(0), overflow).

    Summing every row each step is a full pass over the state (12-15% of a 1,000-run
    ensemble of the regular 100-stock model, 3% of a single run of irregular 1,000;
    watching the flags costs nothing measurable). A non-finite value can also come in
    without a flag: from a constant, a table or a parameter, so a program with any
    non-finite number is not watched; and a row is summed every ``_SAFETY`` steps
    and at the last one whatever the flags say.

    >>> f = _Flags()
    >>> with f.errstate():
    ...     _ = np.array([1.0]) / 0.0
    >>> f.raised
    True
    """

    __slots__ = ("raised",)

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, kind: str, flag: int) -> None:
        self.raised = True

    def errstate(self) -> Any:
        return np.errstate(over="call", divide="call", invalid="call", under="ignore",
                           call=self)

    @classmethod
    def watch(cls, prog: Program, PR: np.ndarray, runs: int) -> _Flags | None:
        """A watcher for a run whose numbers are all finite, else None."""
        if not np.isfinite(PR).all():
            return None
        for value in prog.ns.values():
            arrays = value.numbers() if isinstance(value, Tables) else (value,)
            for a in arrays:
                if isinstance(a, (np.ndarray, np.floating)) and a.dtype.kind == "f" \
                        and not np.isfinite(a).all():
                    return None
        return cls()


def _check(c: Compiled, X: np.ndarray, n: int, t: float) -> None:
    """Stop the run at the first variable (in evaluation order) that is NaN or infinite.

    A sum is NaN or infinite when any term is (a finite overflow is confirmed and let
    through); a 2-D row is summed down its columns first, which numpy vectorises.
    """
    total = X.sum() if X.ndim == 1 else X.sum(axis=0).sum()
    if math.isfinite(total) or np.isfinite(X).all():
        return
    if X.ndim == 1:  # a single run's 1-D row
        X = X[:, None]
    plan = c.plan
    if n == 0:
        order = plan.init_order
    else:
        order = list(range(len(c.system.vars)))
        order = [i for i in order if c.system.vars[i].kind == "stock"] + plan.step_order
    for i in order:
        row = X[plan.slot[i]]
        bad = ~np.isfinite(row)
        if bad.any():
            raise bad_value(c, i, float(t), int(np.argmax(bad)), float(row[bad][0]),
                            X.shape[1])
    raise LoopError(f"at time {t:g} a value became NaN or infinite")  # pragma: no cover


def bad_value(c: Compiled, index: int, t: float, run_index: int, value: float,
              runs: int) -> LoopError:
    """The error for a variable that became NaN or infinite, naming a loop through it."""
    var = c.system.vars[index]
    name = var.owner
    what = "NaN (not a number)" if math.isnan(value) else (
        "infinite" if value > 0 else "minus infinite")
    where = f" in run {run_index + 1}" if runs > 1 else ""
    detail = f"'{name}' became {what} at time {t:g}{where}"
    if var.id != name:
        detail += " (inside its builtin function)"
    cause = ("a division by zero, the logarithm or square root of a value out of range, "
             "or a value growing beyond the range of numbers")
    loop = loop_through(c.model, name)
    hint = (f"the loop feeding it: {' -> '.join(loop + loop[:1])}" if loop
            else "no feedback loop runs through it; check its equation and inputs")
    return LoopError([Diagnostic(f"the run stopped: {detail}; the cause is {cause}",
                                 c.model.source or "<model>", hint=hint)])


def loop_through(model: Model, node: str) -> list[str]:
    """The shortest feedback loop through a node in the model's graph (empty if none)."""
    import networkx as nx

    G = model.graph
    if node not in G:
        return []
    best: list[str] | None = None
    for succ in G.successors(node):
        if succ == node:
            return [node]
        try:
            path = nx.shortest_path(G, succ, node)
        except nx.NetworkXNoPath:
            continue
        if best is None or len(path) < len(best) + 1:
            best = [node, *path[:-1]]
    return best or []
