"""The plan: one walk folds each equation and reads its shape, reads and lags; Kahn levels."""

import math

import pytest

import loopdsl
from loopdsl.builtins import Op
from loopdsl.errors import LoopError
from loopdsl.ir import Apply, Leaf, Num, Read, Sum, Where
from loopdsl.simulate.lower import IR, System, Var, lower
from loopdsl.simulate.plan import build_plan, scanner


def _system(*vars_: Var) -> System:
    return System(list(vars_), [], [], {v.id: k for k, v in enumerate(vars_)}, 0.0, 1.0, 1.0)


def _aux(id: str, e: IR) -> Var:
    return Var(id, "aux", id, init=e, step=e)


def test_a_where_on_a_number_keeps_only_the_chosen_branch_and_its_reads():
    scan, lagged = scanner([])
    leaves, now = [], []
    e = Where(Apply(Op.GT, (Num(2.0), Num(1.0))), Read(1, 0), Read(2, 3))
    assert scan(e, leaves, now) == (Read(1, 0), Leaf.CUR)
    assert (leaves, now, lagged) == ([(1, 0)], [1], {})


def test_numbers_fold_with_numpy_arithmetic():
    scan, _ = scanner([])
    leaves: list = []
    folded, shape = scan(Sum((1, -1), (Num(1.0), Apply(Op.DIV, (Num(1.0), Num(0.0))))),
                         leaves, [])
    assert folded == Num(-math.inf) and shape is Leaf.NUM
    assert leaves == [-math.inf]


def test_a_variable_read_twice_is_ordered_once_after_its_input():
    p = build_plan(_system(_aux("y", Apply(Op.MUL, (Read(1, 0), Read(1, 0)))),
                           _aux("x", Num(3.0))))
    assert p.step_order == [1, 0]
    assert [g.outputs for g in p.step_groups] == [[1], [0]]


def test_squares_simulate():
    m = loopdsl.loads("time 0 to 2\naux x = 3\naux y = x * x\naux z = y * x * y")
    out = m.simulate()
    assert out["y"].tolist() == [9.0, 9.0, 9.0] and out["z"].tolist() == [243.0] * 3


def test_a_same_time_cycle_is_named():
    with pytest.raises(LoopError, match="initial values: circular definition b -> a -> b"):
        build_plan(_system(_aux("a", Read(1, 0)), _aux("b", Read(0, 0))))


def test_a_variable_reading_itself_now_is_an_error():
    with pytest.raises(LoopError, match="'a' depends on its own value"):
        build_plan(_system(_aux("a", Sum((1, 1), (Read(0, 0), Num(1.0))))))


def test_grouped_equations_keep_their_leaves_in_order():
    m = loopdsl.loads("a -[gain 2]-> b -[gain 3]-> a")
    p = build_plan(lower(m, dt=1.0))
    (group,) = p.step_groups
    assert group.outputs == [0, 1] and group.leaves == [[3.0, 2.0], [(1, 1), (0, 1)]]
    assert p.lagged == {0: 1, 1: 1} and p.max_lag == 1
