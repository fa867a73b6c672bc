"""The engine's fast paths give bit-for-bit the results of the general ones.

A single run steps 1-D rows (its own program over the same plan), the Euler update is
fused into the stocks' rate statements, a statement into a slice ends in a ufunc writing
there, and constants are written once; each is compared with the path it replaces.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest

import loopdsl
from loopdsl import LoopError
from loopdsl.simulate.engine import prepare, run
from loopdsl.runtime import Tables

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.loop"))

BUILTINS = """\
time 0 to 12 step 0.25
const k = 3
const z = 0
stock s initial 50 non_negative
stock pool initial 20
flow out = s / k + PULSE(40, 2, 3) from s to pool
flow back = DELAY1(out, 2) + DELAY(TIME * 2, 1.5) from pool to s non_negative
aux ramp = RAMP(2, 1, 6) + STEP(5, 4)
aux sm = SMTH1(ramp, 2) + SMTH3(s, 3, 0) + DELAY3(z + 9, 3, 1) + PREVIOUS(TIME * 3 + 1)
aux look = s points [(0, 0), (20, 5), (60, 8), (100, 9)]
aux look2 = pool points [(0, 1), (10, 0.5)] extrapolate
aux look3 = TIME points [(0, 1), (5, 2), (9, 3)] discrete
aux look4 = ramp points [(0, 0), (4, 3)]
aux mix = IF s > 30 AND NOT (pool >= 25) THEN MIN(s, 40) ELSE MAX(pool * 0.5, 1)
aux fn = SQRT(ABS(s)) + EXP(-TIME / 10) + LN(1 + ABS(pool)) + s MOD 7 + INT(s / 3)
"""

RANDOM = """\
time 0 to 20
aux u = RANDOM(2, 3)
aux n = NORMAL(0, 1, 1, -0.5, 0.5)
aux p = POISSON(4)
aux e = EXPRND(2)
aux l = LOGNORMAL(3, 1)
stock s initial 1
flow f = u + n + p + e + l to s
"""

GROUPED = "\n".join(["time 0 to 30"] + [
    f"stock s{i} initial {i + 1}\nflow f{i} = s{(i + 1) % 8} * 0.0{i + 1} - s{i} / {i + 9} "
    f"to s{i}\naux y{i} = s{i} * {i + 1} points [(0, {i}), ({i + 5}, {i + 2}), (40, 1)]"
    for i in range(8)])


MERGED = """\
time 0 to 5
stock s initial 1
aux p = TIME + s
aux d = p - 3
aux a = p * 2
aux b = d * 5
flow f = a + b - s to s
"""

CHAINS = """\
time 0 to 10 step 0.5
stock s initial 5
stock p initial 2
aux a = -s + p * 2 - 1
aux b = 1 - s / 7
aux c = MIN(s * 2, p + 3) - MAX(-p, s / 3)
aux d = 3 / (s + 1) + -(p * s) - TIME * 2
aux e = (s - p) * (s + p) / (1 + TIME)
flow f = a * b / 100 + c / 90 - d / 500 + e / 1000 to s
flow h = -(s - p) / 20 from p
"""


def _sources():
    for path in MODELS:
        yield path.stem, path.read_text()
    yield "builtins", BUILTINS
    yield "grouped", GROUPED
    yield "merged", MERGED
    yield "chains", CHAINS


CASES = list(_sources())


def _general(c):
    """The same compiled model without its fast paths: 2-D rows, deriv then X + dt * DV."""
    program = c.program
    program.one_source, program._one = {}, None
    program.euler = None
    return c


@pytest.mark.parametrize("name,text", CASES, ids=[name for name, _ in CASES])
@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_single_run_fast_path_is_bit_for_bit_the_general_one(name, text, method):
    model = loopdsl.loads(text)
    fast = run(prepare(model, method=method))
    slow = run(_general(prepare(model, method=method)))
    assert fast.shape == slow.shape
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("name,text", CASES, ids=[name for name, _ in CASES])
def test_an_ensemble_of_equal_runs_repeats_the_single_run(name, text):
    c = prepare(loopdsl.loads(text))
    one = run(c)
    many = run(c, runs=3)
    for k in range(3):
        np.testing.assert_array_equal(many[:, :, k], one[:, :, 0])


@pytest.mark.parametrize("name,text", CASES, ids=[name for name, _ in CASES])
def test_keeping_some_variables_records_what_the_full_run_has(name, text):
    c = prepare(loopdsl.loads(text))
    full = run(c, runs=2)
    keep = list(range(0, c.plan.nslots, 3)) + [1]  # a stride, then not one
    for chosen in (keep[:-1], keep):
        for runs in (1, 2):
            kept = run(c, runs=runs, keep=chosen)
            P = c.plan.max_lag
            np.testing.assert_array_equal(kept, full[P:, chosen, :runs])


def test_random_draws_are_the_same_numbers_in_one_run_as_in_the_2d_program():
    model = loopdsl.loads(RANDOM)
    fast = run(prepare(model), rng=np.random.default_rng(5))
    slow = run(_general(prepare(model)), rng=np.random.default_rng(5))
    np.testing.assert_array_equal(fast, slow)
    assert len(set(fast[:, 0, 0].tolist())) > 10  # they are random


def test_the_fused_euler_update_is_what_deriv_and_the_update_give():
    c = prepare(loopdsl.loads(GROUPED))
    assert c.program.euler is not None and "0.0" not in c.program.euler_source.split("+")[0]
    fused = run(c, runs=2)
    c.program.euler = None
    np.testing.assert_array_equal(fused, run(c, runs=2))


def test_statements_into_slices_write_there_in_2d_and_assign_in_1d():
    c = prepare(loopdsl.loads(GROUPED))
    assert "out=" in c.program.source["step"] + c.program.euler_source
    one = c.program.one()
    assert "out=" not in "".join(one.source.values()) + one.euler_source


@pytest.mark.parametrize("kind", ["continuous", "extrapolate", "discrete"])
@pytest.mark.parametrize("most", [8, 40])  # rows compared point by point; searchsorted
def test_grouped_lookups_on_1d_rows_are_the_2d_ones(kind, most):
    from random_tables import random_tables

    rng = np.random.default_rng(3)
    tables = random_tables(rng, 40, most, 30)
    grouped, flat = Tables(tables), Tables(tables).one()
    x = rng.uniform(-40, 40, size=(40, 13))
    x[:, 0] = [t.xs[0] for t in tables]
    x[:, 1] = [t.xs[-1] for t in tables]
    x[:5, 2] = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    inner = [t.xs[int(rng.integers(len(t.xs)))] for t in tables]  # on a point, and a
    x[:, 3] = inner                                                # hair either side
    x[:, 4] = np.nextafter(inner, np.inf)
    x[:, 5] = np.nextafter(inner, -np.inf)
    x[:, 6] = np.nextafter(np.nextafter(inner, -np.inf), -np.inf)
    for col in range(x.shape[1]):
        np.testing.assert_array_equal(flat(x[:, col], kind), grouped(x[:, col:col + 1], kind)[:, 0])
    np.testing.assert_array_equal(flat(np.float64(2.5), kind),
                                  grouped(np.float64(2.5), kind)[:, 0])


def test_the_1d_program_is_built_from_the_plan_only():
    from tests.test_simulate_safety import ALLOWED_NAMES, HOSTILE, hostile_model

    program = prepare(hostile_model()).program
    one = program.one()
    texts = list(one.source.values()) + [one.euler_source, program.euler_source]
    for text in texts:
        for bad in HOSTILE[:4] + ["import", "os.", "system", "lambda", "__"]:
            assert bad not in text
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME:
                assert (tok.string in ALLOWED_NAMES
                        or re.fullmatch(r"(C|I|L|XS|YS|T)\d+", tok.string)), tok.string


@pytest.mark.parametrize("runs", [None, 3])
def test_bad_values_name_the_first_variable_and_time_in_every_path(runs):
    m = loopdsl.loads("time 0 to 10\nstock s initial 0\naux dead = 1 / (4 - TIME)\n"
                      "aux r = 1 / (50 - s)\nflow f = 10 + r * 0 to s")
    with pytest.raises(LoopError, match=r"'dead' became infinite at time 4\b"):
        m.simulate(runs=runs)
    with pytest.raises(LoopError, match=r"'dead' became infinite at time 4\b"):
        m.simulate(runs=runs, keep=["s"])


def test_same_shaped_groups_of_different_levels_join_with_the_same_results(monkeypatch):
    from loopdsl.simulate import codegen

    model = loopdsl.loads(MERGED)
    c = prepare(model)
    statements = c.program.one().source["step"].count("\n") - 2
    assert len(c.plan.step_groups) == 5 and statements == 4  # b joins a: d is before both
    monkeypatch.setattr(codegen, "merge_groups", lambda groups: groups)
    apart = prepare(model)
    assert apart.program.one().source["step"].count("\n") - 2 == 5
    for runs in (1, 2):
        np.testing.assert_array_equal(run(c, runs=runs), run(apart, runs=runs))


# -- an ensemble sums its rows only after a floating-point flag -------------------------

def test_an_ensemble_watching_flags_finds_the_first_bad_value_and_time():
    from loopdsl.simulate.engine import _Flags

    m = loopdsl.loads("time 0 to 100\nstock s initial 0\nconst k = 4\nvary k ~ uniform(40, 40.5)"
                      "\naux dead = SQRT(k - TIME)\nflow f = 1 to s")
    c = prepare(m)
    assert _Flags.watch(c.program, np.zeros((0, 3)), 3) is not None
    with pytest.raises(LoopError, match=r"'dead' became NaN \(not a number\) at time 41 in run 1\b"):
        m.simulate(runs=3, seed=2)
    # a single run watches the flags too: the same variable at the same time
    m = loopdsl.loads("time 0 to 100\nstock s initial 0\nconst k = 40.2"
                      "\naux dead = SQRT(k - TIME)\nflow f = 1 to s")
    assert _Flags.watch(prepare(m).program.one(), np.zeros(0), 1) is not None
    with pytest.raises(LoopError, match=r"'dead' became NaN \(not a number\) at time 41;"):
        m.simulate()


def test_a_flag_from_a_branch_not_taken_does_not_stop_the_run():
    m = loopdsl.loads("time 0 to 20\nstock s initial 1\naux safe = IF s > 0 THEN 1 / s "
                      "ELSE 1 / (s - s)\nflow f = safe to s")
    single = m.simulate()
    many = m.simulate(runs=4)
    assert np.array_equal(many["s"], np.repeat(single["s"][:, None], 4, axis=1))


@pytest.mark.parametrize("number", ["1e308 * 10", "-1e308 * 10", "(1e308 * 10) * 0"])
def test_a_non_finite_number_in_the_program_turns_the_watch_off(number):
    from loopdsl.simulate.engine import _Flags

    m = loopdsl.loads(f"time 0 to 10\nconst k = 1\nvary k ~ uniform(0, 1)\naux x = IF TIME "
                      f"< 7 THEN k ELSE {number}")
    c = prepare(m)
    assert _Flags.watch(c.program, np.zeros((0, 2)), 2) is None
    with pytest.raises(LoopError, match=r"'x' became .* at time 7 in run 1"):
        m.simulate(runs=2, seed=1)


def test_a_non_finite_table_or_parameter_turns_the_watch_off():
    from loopdsl.simulate.engine import _Flags

    text = ("time 0 to 4\nconst k = 1\nvary k ~ uniform(0, 1)\nlookup a points [(0, 0), "
            "(1, {y})]\nlookup b points [(0, 1), (1, 2)]\naux x = IF k > 2 THEN a(k) ELSE b(k)")
    finite = prepare(loopdsl.loads(text.format(y="1")))
    assert _Flags.watch(finite.program, np.zeros((1, 2)), 2) is not None
    assert _Flags.watch(finite.program, np.array([[1.0, np.nan]]), 2) is None
    one = finite.program.one()  # a single run watches too, its own (1-D) numbers
    assert _Flags.watch(one, np.zeros(1), 1) is not None
    one.ns["C999"] = np.array([1.0, np.inf])
    assert _Flags.watch(one, np.zeros(1), 1) is None
    # the language's tables are finite; one from elsewhere (a program's namespace) need not be
    from types import SimpleNamespace

    finite.program.ns["T999"] = Tables([SimpleNamespace(xs=[0.0, 1.0], ys=[0.0, np.inf])])
    assert _Flags.watch(finite.program, np.zeros((1, 2)), 2) is None


@pytest.mark.parametrize("name,text", CASES + [("random", RANDOM)],
                         ids=[name for name, _ in CASES] + ["random"])
def test_an_ensemble_keeping_variables_runs_the_grouped_layout_with_the_same_numbers(
        name, text):
    c = prepare(loopdsl.loads(text))
    full = run(c, runs=3, rng=np.random.default_rng(7))
    chosen = list(range(c.plan.nslots))[::-1][::2]  # any order, not a stride of groups
    kept = run(c, runs=3, keep=chosen, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(kept, full[c.plan.max_lag:, chosen, :])
    grouped = c.grouped()
    assert grouped is c.grouped() and grouped.grouped() is grouped
    assert grouped.layout == "groups" and grouped.system is c.system
    for group in grouped.plan.step_groups:  # every group's outputs in one block of rows
        rows = sorted(grouped.plan.slot[i] for i in group.outputs)
        assert rows == list(range(rows[0], rows[0] + len(rows)))


RING = "\n".join(["time 0 to 20 step 0.5"] + [
    f"stock s{i} initial {i + 1}\nconst g{i} = 0.{i + 10}\n"
    f"flow f{i} = g{i} * s{(i + 39) % 40} * (1 - s{i} / 100) - s{i} / {i + 9} to s{i}"
    for i in range(40)])


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_a_ring_read_as_two_slices_gives_what_the_gather_gives(monkeypatch, method):
    from loopdsl.simulate import codegen

    model = loopdsl.loads(RING)
    c = prepare(model, method=method)
    step = c.program.source["step"]
    assert "[I" not in step and len(set(re.findall(r"out=(X\[[^]]*\])", step))) == 2
    assert "[I" in c.program.one().source["step"]  # a single run still gathers (cheaper)
    sliced = run(c, runs=3)
    monkeypatch.setattr(codegen, "MAX_PIECES", 0)
    gathered = prepare(model, method=method)
    assert "[I" in gathered.program.source["step"]
    np.testing.assert_array_equal(sliced, run(gathered, runs=3))
    np.testing.assert_array_equal(sliced[:, :, 1], run(c)[:, :, 0])


def test_a_model_prepared_by_groups_is_run_as_it_is():
    model = loopdsl.loads(GROUPED)
    c = prepare(model, layout="groups")
    assert c.grouped() is c
    by_model = prepare(model)
    chosen = [by_model.plan.slot[by_model.system.index[f"s{i}"]] for i in range(8)]
    mine = [c.plan.slot[c.system.index[f"s{i}"]] for i in range(8)]
    np.testing.assert_array_equal(run(c, runs=2, keep=mine), run(by_model, runs=2, keep=chosen))
    assert by_model._grouped is not None and c._grouped is None


def test_2d_statements_chain_their_operations_into_the_target():
    c = prepare(loopdsl.loads(CHAINS))
    step = c.program.source["step"]
    assert "out=X[" in step and " = " not in step.replace(", out=", "")  # no assignment
    found = re.search(r"_div\(X\[\d+:\d+\], (C\d+), out=(X\[\d+:\d+\])\)\n\s+"
                      r"_sub\((C\d+), \2, out=\2\)", step)  # 1 - s / 7
    assert found and (c.program.ns[found[1]], c.program.ns[found[3]]) == (7.0, 1.0)
    one = c.program.one().source["step"]  # a single run: plain assignments
    assert "out=" not in one and f"({found[3]} - (X[" in one
