"""One meaning for every expression, on every path that evaluates one (issue 13, part 4).

An expression ``E`` over numbers and constants is valued by five paths:

- ``constant``: ``const c = E`` in a run, c at the start;
- ``equation``: ``aux y = E`` in a run, y at the start (a per-step equation);
- ``link_gain_in_run``: ``a -[gain E delay 1]-> b`` with ``node a initial 1``; by
  docs/semantics.md ``b(1) = E * a(0) = E``;
- ``loop_gain``: the loop analysis's gain of ``a -[gain E]-> b -> a`` (the other link has
  gain 1, so the loop gain is E);
- ``dominance``: the dominance (link-score) evaluator on ``aux y = E``.

Each must give the value below, or refuse where the value is NaN or infinite: a run stops
with a LoopError, the loop analysis reports the gain as unknown (None), the dominance
evaluator returns the non-finite value (taken here as its refusal). A tiny reference
evaluator (``reference`` below) is written from this table with numpy, so the tests check
the semantics, not only that the paths agree. Values agree to a relative 1e-12.

Two properties draw E at random (hypothesis, derandomized): one over every operator and pure
builtin, one over arithmetic alone (what a constant folder folds whole). Each edge case of
the table is also a unit test on every path, as are the two cases of issue 13.

========================  ================================================================
expression                value (IEEE 754 double, as numpy computes it)
========================  ================================================================
a + b, a - b, a * b       as numpy; -0 is a negative zero (1 / (-0) = -inf)
a / b                     1/0 = inf, -1/0 = -inf, 0/0 = NaN
a ^ b                     np.power(a, b): (-2)^2 = 4, (-2)^3 = -8, (-2)^0.5 = NaN,
                          0^0 = 1, 0^-1 = inf; -2 ^ 2 reads as -(2 ^ 2) = -4
LN(x), LOG10(x)           LN(0) = -inf, LN(-1) = NaN; LOG10 likewise
SQRT(x)                   SQRT(-1) = NaN
EXP(x)                    overflow is inf: EXP(1000) = inf
ABS SIN COS TAN           numpy's
ARCSIN ARCCOS ARCTAN      numpy's: ARCSIN(2) = NaN, ARCTAN(inf) = pi/2
INT(x)                    floor(x): INT(-1.5) = -2
a MOD b, MOD(a, b)        np.mod(a, b) = a - b*floor(a/b), the sign of b:
                          -1 MOD 3 = 2, 1 MOD -3 = -2, x MOD 0 = NaN
MIN(a, b), MAX(a, b)      np.minimum, np.maximum: a NaN propagates
SAFEDIV(a, b[, c])        c (default 0) where b = 0, else a / b
= <> < <= > >=            IEEE, as 1 or 0: anything compared with NaN is 0, but <> is 1
AND OR NOT                any value other than 0 is true, NaN too; the result is 1 or 0
IF c THEN a ELSE b        c is true as in AND; only the chosen branch's value is taken:
                          a NaN or infinity in the other branch does not reach the result
STEP(h, s)                at TIME = 0: h where 0 >= s, else 0
RAMP(slope, start)        at TIME = 0: slope * (MAX(0, start) - start)
PULSE(v, first[, every])  at TIME = 0, DT = 1: v where a pulse falls at 0 (first = 0,
                          or first < 0 and every > 0 divides -first), else 0
========================  ================================================================

STEP, RAMP and PULSE are drawn with numbers and constants as arguments only (PULSE's times
whole numbers), where their definitions in docs/semantics.md leave nothing open.

The dominance path goes through one function, ``dominance_value``; when the expression
core's evaluator, as dominance's link scores call it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.errors import LoopError

REFUSED = None
"""A path's outcome where the value is NaN or infinite."""

RELATIVE = 1e-12


# -- expressions: a tree, its .loop text, its value by the table ------------------------------

class Num(NamedTuple):
    value: float  # never negative: a negative number is Neg(Num(...)), as the parser reads it


class Const(NamedTuple):
    name: str


class Neg(NamedTuple):
    operand: object


class Not(NamedTuple):
    operand: object


class Bin(NamedTuple):
    op: str
    left: object
    right: object


class Call(NamedTuple):
    func: str
    args: tuple


class If(NamedTuple):
    cond: object
    then: object
    orelse: object


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def text(e) -> str:
    """E in .loop syntax, every operation in parentheses (no precedence to get wrong)."""
    match e:
        case Num(value):
            return number_text(value)
        case Const(name):
            return name
        case Neg(x):
            return f"(-{text(x)})"
        case Not(x):
            return f"(NOT {text(x)})"
        case Bin(op, a, b):
            return f"({text(a)} {op} {text(b)})"
        case Call(func, args):
            return f"{func}({', '.join(text(a) for a in args)})"
        case If(c, a, b):
            return f"(IF {text(c)} THEN {text(a)} ELSE {text(b)})"
    raise TypeError(e)


F = np.float64
ZERO = F(0.0)


def truth(x: np.float64) -> bool:
    """Any value other than 0 is true; NaN != 0, so NaN is true (as in numpy and C)."""
    return bool(x != 0)


def _compare(op: Callable) -> Callable:
    return lambda a, b: F(bool(op(a, b)))


def _pulse(volume, first, every=ZERO):
    # TIME = 0, DT = 1, first and every whole numbers
    if first > 0:
        return ZERO
    if every > 0:
        return volume / F(1.0) if np.mod(-first, every) == 0 else ZERO
    return volume / F(1.0) if first == 0 else ZERO


BINARY: dict[str, Callable] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
    "MOD": np.mod,
    "=": _compare(np.equal), "<>": _compare(np.not_equal), "<": _compare(np.less),
    "<=": _compare(np.less_equal), ">": _compare(np.greater),
    ">=": _compare(np.greater_equal),
    "AND": lambda a, b: F(truth(a) and truth(b)),
    "OR": lambda a, b: F(truth(a) or truth(b)),
}

FUNCTIONS: dict[str, Callable] = {
    "ABS": np.abs, "EXP": np.exp, "LN": np.log, "LOG10": np.log10, "SQRT": np.sqrt,
    "INT": np.floor, "SIN": np.sin, "COS": np.cos, "TAN": np.tan, "ARCSIN": np.arcsin,
    "ARCCOS": np.arccos, "ARCTAN": np.arctan,
    "MIN": np.minimum, "MAX": np.maximum, "MOD": np.mod,
    "SAFEDIV": lambda a, b, c=ZERO: c if b == 0 else a / b,
    # at TIME = 0 with DT = 1
    "STEP": lambda h, s: h if ZERO >= s else ZERO,
    "RAMP": lambda slope, start: slope * (np.maximum(ZERO, start) - start),
    "PULSE": _pulse,
}

ONE_ARGUMENT = ("ABS", "EXP", "LN", "LOG10", "SQRT", "INT", "SIN", "COS", "TAN", "ARCSIN",
                "ARCCOS", "ARCTAN")
TWO_ARGUMENTS = ("MIN", "MAX", "MOD", "SAFEDIV")


def reference(e, consts: dict[str, float]) -> float | None:
    """E's value by the table above, or REFUSED where it is NaN or infinite."""
    def value(e) -> np.float64:
        match e:
            case Num(v):
                return F(v)
            case Const(name):
                return F(consts[name])
            case Neg(x):
                return -value(x)
            case Not(x):
                return F(not truth(value(x)))
            case Bin(op, a, b):
                return F(BINARY[op](value(a), value(b)))
            case Call(func, args):
                return F(FUNCTIONS[func](*[value(a) for a in args]))
            case If(c, a, b):
                return value(a) if truth(value(c)) else value(b)
        raise TypeError(e)

    with np.errstate(all="ignore"):
        result = float(value(e))
    return result if math.isfinite(result) else REFUSED


# -- the five paths ----------------------------------------------------------------------------

def model_text(consts: dict[str, float], *statements: str) -> str:
    """A model that starts at 0 with dt 1, declares the constants and adds the statements."""
    lines = ["time 0 to 1 step 1"]
    lines += [f"const {name} = {number_text(v)}" for name, v in consts.items()]
    return "\n".join(lines + list(statements)) + "\n"


def _run(source: str, name: str, row: int) -> float | None:
    """One variable's value at time ``row`` of a run that stops there, REFUSED if the run
    stops on a NaN or infinite value (a non-finite value handed back without stopping is
    returned as it is: a failure). Stopping at the row read keeps the later values of
    STEP, RAMP and PULSE out of it."""
    try:
        series = loopdsl.loads(source).simulate(stop=row)[name]
    except LoopError as err:
        if "NaN" in str(err) or "infinite" in str(err):
            return REFUSED
        raise
    return float(series[row])


def constant_path(expr: str, consts: dict[str, float]) -> float | None:
    return _run(model_text(consts, f"const c = ({expr})"), "c", 0)


def equation_path(expr: str, consts: dict[str, float]) -> float | None:
    return _run(model_text(consts, f"aux y = ({expr})"), "y", 0)


def link_gain_in_run_path(expr: str, consts: dict[str, float]) -> float | None:
    # b(1) = gain * a(0) = E * 1 (docs/semantics.md, plain causal nodes)
    return _run(model_text(consts, "node a initial 1", f"a -[gain ({expr}) delay 1]-> b"),
                "b", 1)


def loop_gain_path(expr: str, consts: dict[str, float]) -> float | None:
    # the loop gain is the product of the signed gains (analysis/links.py): E * 1
    model = loopdsl.loads(model_text(consts, f"a -[gain ({expr})]-> b -> a"))
    loops = model.find_loops()
    assert len(loops) == 1, loops
    gain = loops[0].gain
    return gain if gain is not None and math.isfinite(gain) else REFUSED


def dominance_value(model, node_id: str) -> float:
    """The dominance evaluator's value of a node's equation at the start of the run.

    That evaluator is the expression core's (:func:`loopdsl.ir.evaluate`) over the
    model's built equations, as dominance's link scores call it, given every constant's
    value.
    """
    from loopdsl.ir import Builder, evaluate

    spec = model.time
    builder = Builder.of(model)
    env = {n.id: evaluate(builder.node(n.equation)) for n in model.nodes if n.kind == "const"}
    return float(evaluate(builder.equation(model.node(node_id)), lambda ref: env[ref.name],
                          time=spec.start, dt=spec.step, start=spec.start, stop=spec.stop))


def dominance_path(expr: str, consts: dict[str, float]) -> float | None:
    value = dominance_value(loopdsl.loads(model_text(consts, f"aux y = ({expr})")), "y")
    return value if math.isfinite(value) else REFUSED


PATHS: dict[str, Callable[[str, dict[str, float]], float | None]] = {
    "constant": constant_path,
    "equation": equation_path,
    "link_gain_in_run": link_gain_in_run_path,
    "loop_gain": loop_gain_path,
    "dominance": dominance_path,
}


def same(got: float | None, want: float | None) -> bool:
    if got is REFUSED or want is REFUSED:
        return got is want
    return got == want or math.isclose(got, want, rel_tol=RELATIVE, abs_tol=0.0)


def shown(outcome: float | None) -> str:
    if outcome is REFUSED:
        return "refused"
    return repr(outcome) if math.isfinite(outcome) else f"{outcome!r} without refusing"


def check(path: str, expr: str, consts: dict[str, float], want: float | None) -> None:
    got = PATHS[path](expr, consts)
    assert same(got, want), (
        f"{path}: {expr} with {consts or 'no constants'} gives {shown(got)}; "
        f"the semantics say {shown(want)}")


# -- random expressions --------------------------------------------------------------------

CONST_NAMES = ("k0", "k1", "k2")
NUMBERS = (0, 1, 2, 3, 0.5, 1.5, 2.5, 0.1, 10, 100, 710)  # EXP(710) overflows
CONST_VALUES = (-2, 0, 1, 2, 3, -1, -0.5, 0.5, -1.5, 10)
WHOLE = (0, 1, 2, 3, -1, -2)

numbers = st.sampled_from(NUMBERS).map(Num)
plain = st.one_of(numbers, st.sampled_from(CONST_NAMES).map(Const))
whole = st.sampled_from(WHOLE).map(lambda v: Num(v) if v >= 0 else Neg(Num(-v)))
time_functions = st.one_of(
    st.builds(lambda h, s: Call("STEP", (h, s)), plain, plain),
    st.builds(lambda k, s: Call("RAMP", (k, s)), plain, plain),
    st.builds(lambda v, f: Call("PULSE", (v, f)), plain, whole),
    st.builds(lambda v, f, n: Call("PULSE", (v, f, n)), plain, whole, whole),
)
leaves = st.one_of(plain, time_functions)


def _extend(sub: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(Neg, sub),
        st.builds(Not, sub),
        st.builds(Bin, st.sampled_from(tuple(BINARY)), sub, sub),
        st.builds(Call, st.sampled_from(ONE_ARGUMENT), st.tuples(sub)),
        st.builds(Call, st.sampled_from(TWO_ARGUMENTS), st.tuples(sub, sub)),
        st.builds(Call, st.just("SAFEDIV"), st.tuples(sub, sub, sub)),
        st.builds(If, sub, sub, sub),
    )


ARITHMETIC = ("+", "-", "*", "/", "^", "MOD")


def _extend_arithmetic(sub: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.builds(Neg, sub), st.builds(Bin, st.sampled_from(ARITHMETIC), sub, sub))


expressions = st.recursive(leaves, _extend, max_leaves=8)
"""Every operator and pure builtin, STEP, RAMP and PULSE."""
arithmetic = st.recursive(plain, _extend_arithmetic, max_leaves=6)
"""Operators on numbers and constants only: what the constant folders fold."""
constants = st.fixed_dictionaries({name: st.sampled_from(CONST_VALUES) for name in CONST_NAMES})

RANDOM = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])


def check_random(path: str, consts: dict[str, float], e) -> None:
    expr = text(e)
    note(f"E = {expr}")
    check(path, expr, consts, reference(e, consts))


@pytest.mark.parametrize("path", PATHS)
@RANDOM
@given(consts=constants, e=expressions)
def test_random_expression_follows_semantics(path, consts, e):
    check_random(path, consts, e)


@pytest.mark.parametrize("path", PATHS)
@RANDOM
@given(consts=constants, e=arithmetic)
def test_random_arithmetic_follows_semantics(path, consts, e):
    check_random(path, consts, e)


# -- the edge cases of the table, each on every path ----------------------------------------

HALF_PI = math.pi / 2

EDGE_CASES = [
    # division by zero, and the sign of zero
    ("1 / 0", REFUSED),
    ("ARCTAN(1 / 0)", HALF_PI),  # 1/0 is +inf, not NaN
    ("ARCTAN(-1 / 0)", -HALF_PI),
    ("0 / 0", REFUSED),
    ("1 / (1 / 0)", 0.0),
    ("ARCTAN(1 / (-0))", -HALF_PI),
    # powers
    ("(-2) ^ 2", 4.0),
    ("(-2) ^ 3", -8.0),
    ("(-2) ^ -1", -0.5),
    ("(-2) ^ 0.5", REFUSED),
    ("-2 ^ 2", -4.0),
    ("0 ^ 0", 1.0),
    ("0 ^ -1", REFUSED),
    ("ARCTAN(0 ^ -1)", HALF_PI),
    # logarithms and roots out of range
    ("LN(0)", REFUSED),
    ("EXP(LN(0))", 0.0),
    ("LN(-1)", REFUSED),
    ("LOG10(0)", REFUSED),
    ("EXP(LOG10(0))", 0.0),
    ("LOG10(-1)", REFUSED),
    ("SQRT(-1)", REFUSED),
    # INT and MOD of negative numbers, MOD by 0
    ("INT(-1.5)", -2.0),
    ("INT(1.5)", 1.0),
    ("-1 MOD 3", 2.0),
    ("MOD(-1, 3)", 2.0),
    ("1 MOD -3", -2.0),
    ("5.5 MOD 2", 1.5),
    ("5 MOD 0", REFUSED),
    ("MOD(5, 0)", REFUSED),
    # MIN and MAX propagate NaN
    ("MIN(0 / 0, 1)", REFUSED),
    ("MIN(1, 0 / 0)", REFUSED),
    ("MAX(0 / 0, 1)", REFUSED),
    ("MAX(1, 0 / 0)", REFUSED),
    # EXP overflow
    ("EXP(1000)", REFUSED),
    ("1 / EXP(1000)", 0.0),
    ("ARCTAN(EXP(1000))", HALF_PI),
    # comparisons with NaN and infinity
    ("(0 / 0) = (0 / 0)", 0.0),
    ("(0 / 0) <> (0 / 0)", 1.0),
    ("(0 / 0) < 1", 0.0),
    ("(0 / 0) >= 1", 0.0),
    ("(1 / 0) > 1e308", 1.0),
    # NaN and non-integers are true
    ("NOT (0 / 0)", 0.0),
    ("(0 / 0) AND 1", 1.0),
    ("0 OR (0 / 0)", 1.0),
    ("NOT 0.5", 0.0),
    ("0.5 AND -2", 1.0),
    ("NOT 0", 1.0),
    ("IF 0 / 0 THEN 1 ELSE 2", 1.0),
    ("IF -0.5 THEN 1 ELSE 2", 1.0),
    # only the branch IF takes reaches the result
    ("IF 1 THEN 2 ELSE 0 / 0", 2.0),
    ("IF 0 THEN LN(0) ELSE 3", 3.0),
    ("IF 1 > 0 THEN 5 ELSE 1 / 0", 5.0),
    ("IF 0 THEN SQRT(-1) ELSE (-2) ^ 2", 4.0),
    # SAFEDIV
    ("SAFEDIV(1, 0)", 0.0),
    ("SAFEDIV(1, 0, 7)", 7.0),
    ("SAFEDIV(6, 3, 7)", 2.0),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("expr", "want"), EDGE_CASES, ids=[e for e, _ in EDGE_CASES])
def test_edge_case(path, expr, want):
    check(path, expr, {}, want)


def test_reference_follows_table():
    """The reference evaluator itself, on the rows of the table that numpy alone does not
    settle (truth of NaN, the branch IF does not take, PULSE at the start)."""
    nan = Bin("/", Num(0), Num(0))
    assert reference(Bin("^", Neg(Num(2)), Num(2)), {}) == 4.0
    assert reference(Bin("^", Neg(Num(2)), Num(0.5)), {}) is REFUSED
    assert reference(Bin("MOD", Neg(Num(1)), Num(3)), {}) == 2.0
    assert reference(Call("INT", (Neg(Num(1.5)),)), {}) == -2.0
    assert reference(Not(nan), {}) == 0.0
    assert reference(Bin("<>", nan, nan), {}) == 1.0
    assert reference(If(nan, Num(1), Num(2)), {}) == 1.0
    assert reference(If(Num(1), Num(2), nan), {}) == 2.0
    assert reference(Call("SAFEDIV", (Num(1), Num(0), Num(7))), {}) == 7.0
    assert reference(Call("PULSE", (Num(5), Neg(Num(2)), Num(2))), {}) == 5.0
    assert reference(Call("PULSE", (Num(5), Neg(Num(1)), Num(2))), {}) == 0.0
    assert reference(Call("RAMP", (Num(2), Neg(Num(1)))), {}) == 2.0
    assert reference(Call("STEP", (Num(3), Num(1))), {}) == 0.0
    assert reference(Bin("/", Num(5), Call("LOG10", (Num(0),))), {}) == 0.0


# -- the two cases of issue 13, verbatim -----------------------------------------------------

def test_issue_negative_constant_squared_as_a_gain():
    """``const k = -2`` with ``a -[gain k ^ 2]-> b -> a``: the loop gain is 4, the run
    runs (no NaN), and ``k ^ 2`` as a flow's equation is 4."""
    model = loopdsl.loads("const k = -2\na -[gain k ^ 2]-> b -> a\n")
    assert [loop.gain for loop in model.find_loops()] == [4.0]
    result = model.simulate()
    assert np.isfinite(result["a"]).all() and np.isfinite(result["b"]).all()
    run = loopdsl.loads("const k = -2\nflow f = k ^ 2\n").simulate()
    assert run["f"][0] == 4.0


@pytest.mark.parametrize("path", PATHS)
def test_issue_five_over_log10_of_zero(path):
    """``5 / LOG10(0)`` = 5 / -inf = -0.0: a finite 0 on every path, not a refusal."""
    check(path, "5 / LOG10(0)", {}, 0.0)
