"""The one table of the expression language: every operator and builtin function.

Each entry of :class:`Op` says what a name means once, for every part of loopdsl: its
arity and the kind of each argument, its numpy implementation (used alike by the
constant folder, the evaluator of the loop analysis and of dominance, and the generated
simulation code), whether it reads time, keeps memory or draws random numbers, and room
for what the unit checker and derivatives will need. The edge cases (``0 ^ 0``, ``1 /
0``, ``LN(0)``, ...) are numpy's IEEE 754 arithmetic, written out in docs/semantics.md.

Names are matched case-insensitively and stored lower case in the model.

>>> float(Op.POW.impl(-2.0, 2.0)), float(Op.POW.impl(0.0, 0.0)), Op.DIV.symbol
(4.0, 1.0, '/')
>>> arity("smth1")
(2, 3)
>>> FUNCTIONS["delay"].kind is Kind.MEMORY, "time" in BUILTIN_NAMES
(True, True)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from loopdsl import runtime


class Kind(enum.Enum):
    """What a builtin's value depends on besides its arguments."""

    PURE = "pure"  # its arguments only
    TIME = "time"  # also the time and the step: called as f(t, dt, *args)
    MEMORY = "memory"  # state kept between steps: lowered to internal stocks and delays
    RANDOM = "random"  # a fresh draw every step: called as f(rng, shape, *args)
    LOOKUP = "lookup"  # a named graphical function applied to a value


class Arg(enum.Enum):
    """How a builtin reads one argument."""

    VALUE = "value"  # the value at the same instant
    MEMORY = "memory"  # read with memory (a smooth's or delay's input): no algebraic loop
    CONSTANT = "constant"  # a number fixed at the start (a DELAY's time, SMTHN's order)
    TABLE = "table"  # the name of a lookup
    SEED = "seed"  # accepted and ignored (one generator per run set, seeded by --seed)


class Setting(enum.Enum):
    """A run setting read by an expression (``TIME`` changes every step)."""

    TIME = "time"
    DT = "dt"
    START = "starttime"
    STOP = "stoptime"


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of a builtin: its kind and, if it may be left out, its default."""

    name: str
    arg: Arg = Arg.VALUE
    default: float | Setting | None = None


def _p(text: str) -> tuple[Param, ...]:
    """Parameters from a compact spec: ``"input~ time initial=START n# seed? table@"``:
    ``~`` memory, ``#`` constant, ``?`` seed, ``@`` table; ``=`` a default (a number or
    a setting's name)."""
    marks = {"~": Arg.MEMORY, "#": Arg.CONSTANT, "?": Arg.SEED, "@": Arg.TABLE}
    params = []
    for word in text.split():
        name, _, default = word.partition("=")
        arg = marks.get(name[-1], Arg.VALUE)
        name = name.rstrip("~#?@")
        value: float | Setting | None = None
        if default:
            value = Setting[default] if default.isupper() else float(default)
        params.append(Param(name, arg, value))
    return tuple(params)


def _logical_not(a: Any) -> Any:
    return np.logical_not(a)


class Op(enum.Enum):
    """Every operator and builtin function, with its meaning.

    Fields: ``word`` (the name in the language, lower case; operators their symbol),
    ``kind``, ``low``/``high`` (arity), ``params``, ``impl`` (numpy over arrays of any
    broadcastable shape; None for memory functions, which the simulator lowers),
    ``symbol`` (the infix operator generated code may use for it: the same IEEE
    operation as ``impl``), ``boolean`` (a 0/1 result), ``callable`` (may be called by
    name), ``unit`` and ``derivative`` (reserved for the unit checker and sensitivities).
    """

    # operators
    ADD = ("+", Kind.PURE, 2, 2, "a b", np.add, "+")
    SUB = ("-", Kind.PURE, 2, 2, "a b", np.subtract, "-")
    MUL = ("*", Kind.PURE, 2, 2, "a b", np.multiply, "*")
    DIV = ("/", Kind.PURE, 2, 2, "a b", np.divide, "/")
    POW = ("^", Kind.PURE, 2, 2, "a b", np.power)
    NEG = ("neg", Kind.PURE, 1, 1, "a", np.negative)
    EQ = ("=", Kind.PURE, 2, 2, "a b", np.equal, "==", True)
    NE = ("<>", Kind.PURE, 2, 2, "a b", np.not_equal, "!=", True)
    LT = ("<", Kind.PURE, 2, 2, "a b", np.less, "<", True)
    LE = ("<=", Kind.PURE, 2, 2, "a b", np.less_equal, "<=", True)
    GT = (">", Kind.PURE, 2, 2, "a b", np.greater, ">", True)
    GE = (">=", Kind.PURE, 2, 2, "a b", np.greater_equal, ">=", True)
    AND = ("and", Kind.PURE, 2, 2, "a b", np.logical_and, None, True)
    OR = ("or", Kind.PURE, 2, 2, "a b", np.logical_or, None, True)
    NOT = ("not", Kind.PURE, 1, 1, "a", _logical_not, None, True)
    # arithmetic functions
    MOD = ("mod", Kind.PURE, 2, 2, "a b", np.mod)
    ABS = ("abs", Kind.PURE, 1, 1, "x", np.abs)
    EXP = ("exp", Kind.PURE, 1, 1, "x", np.exp)
    LN = ("ln", Kind.PURE, 1, 1, "x", np.log)
    LOG10 = ("log10", Kind.PURE, 1, 1, "x", np.log10)
    SQRT = ("sqrt", Kind.PURE, 1, 1, "x", np.sqrt)
    INT = ("int", Kind.PURE, 1, 1, "x", np.floor)
    SIN = ("sin", Kind.PURE, 1, 1, "x", np.sin)
    COS = ("cos", Kind.PURE, 1, 1, "x", np.cos)
    TAN = ("tan", Kind.PURE, 1, 1, "x", np.tan)
    ARCSIN = ("arcsin", Kind.PURE, 1, 1, "x", np.arcsin)
    ARCCOS = ("arccos", Kind.PURE, 1, 1, "x", np.arccos)
    ARCTAN = ("arctan", Kind.PURE, 1, 1, "x", np.arctan)
    MIN = ("min", Kind.PURE, 2, 2, "a b", np.minimum)
    MAX = ("max", Kind.PURE, 2, 2, "a b", np.maximum)
    SAFEDIV = ("safediv", Kind.PURE, 2, 3, "a b c=0", runtime.safediv)
    # time-shaped inputs
    STEP = ("step", Kind.TIME, 2, 2, "height start", runtime.step)
    RAMP = ("ramp", Kind.TIME, 1, 3, "slope start=START end=inf", runtime.ramp)
    PULSE = ("pulse", Kind.TIME, 1, 3, "volume first=START interval=0", runtime.pulse)
    # memory: smooths and delays (the simulator lowers them to stocks and delayed reads)
    SMTH1 = ("smth1", Kind.MEMORY, 2, 3, "input~ time initial")
    SMTH3 = ("smth3", Kind.MEMORY, 2, 3, "input~ time initial")
    SMTHN = ("smthn", Kind.MEMORY, 3, 4, "input~ time n# initial")
    DELAY = ("delay", Kind.MEMORY, 2, 3, "input~ time# initial")
    DELAY1 = ("delay1", Kind.MEMORY, 2, 3, "input~ time initial")
    DELAY3 = ("delay3", Kind.MEMORY, 2, 3, "input~ time initial")
    DELAYN = ("delayn", Kind.MEMORY, 3, 4, "input~ time n# initial")
    TREND = ("trend", Kind.MEMORY, 2, 3, "input~ averaging initial_trend=0")
    FORCST = ("forcst", Kind.MEMORY, 3, 4, "input~ averaging horizon initial_trend=0")
    INIT = ("init", Kind.MEMORY, 1, 1, "input~")
    PREVIOUS = ("previous", Kind.MEMORY, 1, 2, "input~ initial=0")
    # lookups by name: LOOKUP(table, x)
    LOOKUP = ("lookup", Kind.LOOKUP, 2, 2, "table@ x")
    # random numbers
    RANDOM = ("random", Kind.RANDOM, 0, 3, "min=0 max=1 seed?", runtime.rand_uniform)
    NORMAL = ("normal", Kind.RANDOM, 2, 5, "mean sd seed? min=-inf max=inf",
              runtime.rand_normal)
    LOGNORMAL = ("lognormal", Kind.RANDOM, 2, 5, "mean sd seed? min=-inf max=inf",
                 runtime.rand_lognormal)
    POISSON = ("poisson", Kind.RANDOM, 1, 4, "mean seed? min=-inf max=inf",
               runtime.rand_poisson)
    EXPRND = ("exprnd", Kind.RANDOM, 1, 2, "mean seed?", runtime.rand_exponential)

    def __init__(self, word: str, kind: Kind, low: int, high: int, params: str,
                 impl: Callable[..., Any] | None = None, symbol: str | None = None,
                 boolean: bool = False) -> None:
        self.word = word
        self.kind = kind
        self.low = low
        self.high = high
        self.params = _p(params)
        self.impl = impl
        self.symbol = symbol
        self.boolean = boolean
        self.callable = word.isalnum() and word not in ("neg", "and", "or", "not")
        self.unit: Any = None  # reserved: the unit rule (issue 15)
        self.derivative: Any = None  # reserved: d op / d argument

    def __repr__(self) -> str:
        return f"Op.{self.name}"

    # members are singletons compared by identity: the identity hash is the same
    # contract, in C (Enum's own __hash__ is Python; the simulator's plan hashes
    # shapes full of these)
    __hash__ = object.__hash__


FUNCTIONS: dict[str, Op] = {op.word: op for op in Op if op.callable}
"""Every function callable by name, by its lower-case name."""

BINARY: dict[str, Op] = {op.word: op for op in (
    Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.POW, Op.MOD, Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT,
    Op.GE, Op.AND, Op.OR)}
"""The binary operators by their word in the model (``a MOD b`` is MOD)."""

BUILTIN_FUNCTIONS: dict[str, tuple[int, int]] = {w: (op.low, op.high)
                                                 for w, op in FUNCTIONS.items()}
"""function -> (fewest arguments, most arguments)."""

MEMORY_FUNCTIONS: frozenset[str] = frozenset(
    w for w, op in FUNCTIONS.items() if op.kind is Kind.MEMORY)
"""Functions whose first argument is read with memory (not instantaneously): a
reference through them does not close an algebraic loop."""

RANDOM_FUNCTIONS: frozenset[str] = frozenset(
    w for w, op in FUNCTIONS.items() if op.kind is Kind.RANDOM)

CONSTANTS: dict[str, float] = {"pi": math.pi, "inf": math.inf}
"""Builtin names with a fixed value."""

BUILTIN_NAMES: frozenset[str] = frozenset({s.value for s in Setting} | set(CONSTANTS))
"""Names usable in equations without a node of that name."""


def arity(func: str) -> tuple[int, int] | None:
    """The (min, max) argument count of a builtin, or None if there is no such builtin."""
    return BUILTIN_FUNCTIONS.get(func.lower())


def arity_words(low: int, high: int) -> str:
    """'2 arguments', '2 or 3 arguments', '1 to 3 arguments'."""
    if low == high:
        return f"{low} argument" + ("" if low == 1 else "s")
    if high == low + 1:
        return f"{low} or {high} arguments"
    return f"{low} to {high} arguments"
