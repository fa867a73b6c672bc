"""The builtin functions and names of the expression language (XMILE's scalar set).

Names are matched case-insensitively and stored lower case in the model.

>>> arity("smth1")
(2, 3)
>>> "time" in BUILTIN_NAMES
True
"""

from __future__ import annotations

# function -> (fewest arguments, most arguments)
BUILTIN_FUNCTIONS: dict[str, tuple[int, int]] = {
    # arithmetic
    "abs": (1, 1), "exp": (1, 1), "ln": (1, 1), "log10": (1, 1), "sqrt": (1, 1),
    "int": (1, 1), "min": (2, 2), "max": (2, 2), "mod": (2, 2), "safediv": (2, 3),
    "sin": (1, 1), "cos": (1, 1), "tan": (1, 1),
    "arcsin": (1, 1), "arccos": (1, 1), "arctan": (1, 1),
    # time-shaped inputs
    "step": (2, 2), "ramp": (1, 3), "pulse": (1, 3),
    # memory: smooths and delays
    "smth1": (2, 3), "smth3": (2, 3), "smthn": (3, 4),
    "delay": (2, 3), "delay1": (2, 3), "delay3": (2, 3), "delayn": (3, 4),
    "trend": (2, 3), "forcst": (3, 4),
    "init": (1, 1), "previous": (1, 2),
    # lookups by name: lookup(table, x)
    "lookup": (2, 2),
    # random numbers
    "random": (0, 3), "normal": (2, 5), "lognormal": (2, 5), "poisson": (1, 4),
    "exprnd": (1, 2),
}

# Names usable in equations without a node of that name.
BUILTIN_NAMES: frozenset[str] = frozenset({"time", "dt", "starttime", "stoptime", "pi", "inf"})

# Functions whose first argument is read with memory (not instantaneously):
# a reference through them does not close an algebraic loop.
MEMORY_FUNCTIONS: frozenset[str] = frozenset({
    "smth1", "smth3", "smthn", "delay", "delay1", "delay3", "delayn", "trend", "forcst",
    "init", "previous",
})


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
