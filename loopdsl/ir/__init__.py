"""The expression core: one typed intermediate form, one way to build it, one evaluator.

The checked model's expression trees (:mod:`loopdsl.model`) are built once into the
intermediate form of :mod:`loopdsl.ir.nodes` by :mod:`loopdsl.ir.build` (names resolved,
defaults filled, every operator and function an entry of the one table,
:class:`loopdsl.builtins.Op`). Everything after that reads this form: the constant folder
and the vectorised evaluator (:mod:`loopdsl.ir.evaluate`) serve the loop analysis's
operating point, dominance's link scores and the simulator's fallback path; the
simulator lowers the same nodes (:mod:`loopdsl.simulate.lower`) and generates its numpy
code from them with the same table.

>>> import loopdsl
>>> from loopdsl.ir import build_model, evaluate
>>> m = loopdsl.loads("const k = -2\\naux y = k ^ 2")
>>> exprs = build_model(m)
>>> exprs["y"]
Apply(op=Op.POW, args=(Ref(name='k'), Num(value=2.0)))
>>> float(evaluate(exprs["y"], lambda ref: evaluate(exprs[ref.name])))
4.0
"""

from loopdsl.ir.build import Builder, BuildError, build, build_model
from loopdsl.ir.evaluate import Opaque, apply, evaluate, fold
from loopdsl.ir.nodes import (
    Apply,
    Clock,
    Leaf,
    Lookup,
    Node,
    Num,
    Read,
    Ref,
    RunParam,
    StepNo,
    Sum,
    Where,
)

__all__ = ["Apply", "BuildError", "Builder", "Clock", "Leaf", "Lookup", "Node", "Num", "Opaque",
           "Read", "Ref", "RunParam", "StepNo", "Sum", "Where", "apply", "build", "build_model",
           "evaluate", "fold"]
