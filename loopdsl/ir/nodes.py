"""The nodes of the intermediate form: small slotted dataclasses, matched with ``match``.

A node is a number, a read of a variable (:class:`Ref` by name in the model, :class:`Read`
by index and lag once the simulator has lowered it), a run setting, or an operation:
:class:`Apply` (an entry of :class:`loopdsl.builtins.Op` on its arguments), :class:`Sum`
(a flat run of ``+`` and ``-``), :class:`Where` (IF THEN ELSE) and :class:`Lookup` (a
graphical function). Nodes compare and hash by value, so the simulator's plan can use a
tree whose leaves are :class:`Leaf` markers as the key of a group of equations of one
shape.

>>> Sum((1, -1), (Ref("a"), Num(2.0)))
Sum(signs=(1, -1), terms=(Ref(name='a'), Num(value=2.0)))
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from loopdsl.builtins import Op, Setting


class Leaf(enum.Enum):
    """What stands at a leaf of a shape (a tree of one group's equations)."""

    NUM = "num"  # a number
    CUR = "cur"  # a variable at the same time
    LAG = "lag"  # a variable some steps ago
    PARAM = "param"  # a per-run value
    TABLE = "table"  # a lookup's table

    __hash__ = object.__hash__  # as Op's: singletons, hashed in C


@dataclass(slots=True, unsafe_hash=True)
class Num:
    value: float


@dataclass(slots=True, unsafe_hash=True)
class Ref:
    """A model variable's value at the same instant."""

    name: str


@dataclass(slots=True, unsafe_hash=True)
class Read:
    """A lowered variable's value ``lag`` steps ago (the simulator's form of a read)."""

    var: int
    lag: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Clock:
    """TIME, DT, STARTTIME or STOPTIME."""

    setting: Setting


@dataclass(slots=True, unsafe_hash=True)
class StepNo:
    """The step number (0 at the start): a DELAY pipeline's clock."""


@dataclass(slots=True, unsafe_hash=True)
class RunParam:
    """A value that differs between the runs of an ensemble: column ``index``."""

    index: int


@dataclass(slots=True, unsafe_hash=True)
class Apply:
    """An operator or builtin function (:class:`~loopdsl.builtins.Op`) on its arguments.

    Time inputs take the time and the step first: ``STEP(h, s)`` is
    ``Apply(Op.STEP, (Clock(TIME), Clock(DT), h, s))``.
    """

    op: Op
    args: tuple[Any, ...]


@dataclass(slots=True, unsafe_hash=True)
class Sum:
    """``±terms[0] ± terms[1] ...``, left to right (``a - b + c``: signs ``(1, -1, 1)``)."""

    signs: tuple[int, ...]
    terms: tuple[Any, ...]


@dataclass(slots=True, unsafe_hash=True)
class Where:
    """IF cond THEN then ELSE orelse: the branch picked where cond is not 0."""

    cond: Any
    then: Any
    orelse: Any


@dataclass(slots=True, unsafe_hash=True)
class Lookup:
    """A graphical function applied to a value: ``table`` is the model's
    :class:`~loopdsl.model.Lookup` (or :data:`Leaf.TABLE` in a shape), ``kind`` its
    interpolation."""

    table: Any
    arg: Any
    kind: str = "continuous"


Node = Num | Ref | Read | Clock | StepNo | RunParam | Apply | Sum | Where | Lookup
"""Any node of the intermediate form."""


def children(node: Node) -> tuple[Node, ...]:
    """The node's operands, in order."""
    match node:
        case Apply(args=args):
            return args
        case Sum(terms=terms):
            return terms
        case Where(cond, then, orelse):
            return (cond, then, orelse)
        case Lookup(arg=arg):
            return (arg,)
    return ()


def walk(node: Node):  # -> Iterator[Node]
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        top = stack.pop()
        yield top
        stack.extend(reversed(children(top)))
