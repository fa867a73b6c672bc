"""The generated code is built from the plan only; bad runs stop with a clear error."""

from __future__ import annotations

import io
import keyword
import re
import tokenize

import numpy as np
import pytest

import loopdsl
from loopdsl.builtins import Op
from loopdsl import LoopError
from loopdsl.model import (
    Aux, Binary, Call, Constant, Flow, Link, Lookup, LookupDef, Model, Name, Num, PlainNode,
    Stock, TimeSpec,
)
from loopdsl.simulate.engine import prepare

HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    'x"; import os; os.system("echo hi"); "',
    "a\nb = 1\nimport sys",
    "Трафик 流量 ✓",
    "X",  # the generated code's own row name
    "np",
    "OUT[0]",
    "\\' } ]) #",
    "lambda: exit()",
]

ALLOWED_NAMES = {"def", "return", "None", "X", "OUT", "b", "n", "t", "PR", "RNG", "N", "DV",
                 "np", "av", "v", "_f", "_lk1", "where", "minimum", "maximum",
                 "continuous", "extrapolate", "discrete",
                 # a statement into a slice ends in a ufunc writing there: _add(..., out=X[0:4])
                 "out",
                 # the builtin table's implementations, bound under fixed names (_pow, _step)
                 *(f"_{op.name.lower()}" for op in Op if op.impl is not None)}


def hostile_model() -> Model:
    names = HOSTILE
    nodes = [PlainNode(id=names[0], label=names[1], initial=Num(value=1.0))]
    for k, name in enumerate(names[1:4], start=1):
        nodes.append(PlainNode(id=name, label=names[-k]))
    nodes += [
        Constant(id=names[4], equation=Num(value=0.5), label=names[0]),
        Stock(id=names[5], initial=Num(value=2.0), non_negative=True),
        Flow(id=names[6], equation=Binary(op="*", left=Name(name=names[4]),
                                          right=Name(name=names[5])), target=names[5]),
        LookupDef(id=names[7], lookup=Lookup(xs=[0, 1], ys=[0, 2])),
        Aux(id=names[8], equation=Call(func=names[7], args=[Name(name=names[0])]),
            description=names[2]),
    ]
    links = [Link(source=names[i], target=names[i + 1], polarity="+", gain=Num(value=1.5),
                  label=names[-1]) for i in range(3)]
    links.append(Link(source=names[3], target=names[0], polarity="+"))
    return Model(name="hostile", time=TimeSpec(start=0, stop=8, step=1), nodes=nodes,
                 links=links)


def test_hostile_names_never_reach_the_generated_code(tmp_path):
    model = hostile_model()
    compiled = prepare(model)
    sources = compiled.program.source
    assert set(sources) == {"init", "step", "cont", "deriv"}
    for phase, source in sources.items():
        for bad in HOSTILE[:4] + ["import", "os.", "system", "exit", "lambda", "__"]:
            assert bad not in source, (phase, bad)
        assert '"' not in source and "#" not in source
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                assert (tok.string in ALLOWED_NAMES
                        or re.fullmatch(r"(C|I|L|XS|YS|T)\d+", tok.string)), (phase, tok.string)
                assert tok.string not in keyword.kwlist or tok.string in ("def", "return",
                                                                         "None"), tok.string
            elif tok.type == tokenize.STRING:
                assert tok.string in ("'continuous'", "'extrapolate'", "'discrete'")
    result = model.simulate()
    assert not (tmp_path / "pwned").exists()
    # the loop of four plain nodes multiplies by 1.5^3 every 4 steps
    assert result[HOSTILE[0]][4] == pytest.approx(1.5 ** 3)
    assert result[HOSTILE[8]][0] == pytest.approx(2.0)
    assert result[HOSTILE[5]][1] == pytest.approx(3.0)
    text = result.to_csv()
    assert text.splitlines()[0].startswith("time,")
    assert set(result.names) == set(HOSTILE) - {HOSTILE[7]}  # [7] is a lookup, not a variable


def test_unicode_labels_and_names_in_a_loop_file():
    m = loopdsl.loads('model m "Маховик 飞轮"\ntime 0 to 4\nnode трафик "Трафик" initial 1\n'
                      'node 曝光 "内容曝光"\nтрафик -[gain 2]-> 曝光 -> трафик')
    r = m.simulate()
    assert r["трафик"].tolist() == [1, 0, 2, 0, 4]
    assert r.labels["曝光"] == "内容曝光"


# -- bad runs --------------------------------------------------------------------------------

def test_division_by_zero_stops_the_run_naming_time_variable_and_loop():
    m = loopdsl.loads("time 0 to 10\nstock s initial 0\naux r = 1 / (50 - s)\n"
                      "flow f = 10 + r * 0 to s")
    with pytest.raises(LoopError) as info:
        m.simulate()
    text = str(info.value)
    assert "'r' became infinite at time 5" in text
    assert "division by zero" in text
    assert re.search(r"loop feeding it: (r -> f -> s -> r|s -> r -> f -> s|f -> s -> r -> f)",
                     text), text


def test_nan_outside_any_loop_and_in_an_ensemble():
    m = loopdsl.loads("time 0 to 5\nconst k = 1\naux x = SQRT(k - TIME) * 0 + LN(3 - TIME)")
    with pytest.raises(LoopError, match=r"'x' became (NaN \(not a number\)|minus infinite|infinite) "
                                        r"at time [23];.*no feedback loop"):
        m.simulate()
    e = loopdsl.loads("time 0 to 5\nconst k = 1\nvary k ~ uniform(-1, 1)\naux x = LN(k)")
    with pytest.raises(LoopError, match=r"'x' became NaN \(not a number\) at time 0 in run"):
        e.simulate(runs=20, seed=1)


def test_growth_beyond_the_range_of_numbers():
    m = loopdsl.loads("time 0 to 2000\nnode a initial 1\na -[gain 10]-> a")
    with pytest.raises(LoopError, match=r"'a' became infinite at time 309.*loop feeding it: "
                                        r"a -> a"):
        m.simulate()


def test_failed_run_writes_no_csv(tmp_path):
    from loopdsl.cli import main

    path = tmp_path / "m.loop"
    path.write_text("time 0 to 10\nstock s initial 0\naux r = 1 / (5 - s)\nflow f = 1 to s\n")
    out = tmp_path / "out.csv"
    assert main(["simulate", str(path), "--csv", str(out)]) == 1
    assert not out.exists()


def test_deeply_nested_equation_uses_the_general_path(caplog):
    import logging

    from loopdsl.model import Unary

    expr = Name(name="TIME")
    for _ in range(210):  # deeper than Python's parser takes in one expression
        expr = Call(func="abs", args=[Unary(op="-", operand=expr)])
    m = Model(time=TimeSpec(start=0, stop=3, step=1),
              nodes=[Aux(id="x", equation=Binary(op="*", left=expr, right=Num(value=2)))])
    with caplog.at_level(logging.DEBUG, logger="loopdsl.simulate.codegen"):
        compiled = prepare(m)
    assert compiled.program.fallback_groups > 0
    assert "general path" in caplog.text
    assert m.simulate()["x"].tolist() == [0, 2, 4, 6]
    np.testing.assert_array_equal(m.simulate(runs=2)["x"][:, 1], [0, 2, 4, 6])


def test_a_run_too_big_to_store_asks_for_fewer_variables():
    m = loopdsl.loads("time 0 to 100000\nnode a push 1\nnode b push 2")
    with pytest.raises(LoopError, match=r"would store .* GB .*keep="):
        m.simulate(runs=20_000)
    assert m.simulate(runs=2, keep=["a"])["a"].shape == (100_001, 2)


def test_general_path_gives_the_generated_codes_numbers(monkeypatch):
    """The general path is the expression core's evaluator over the same folded trees:
    the same numbers as the generated code, every builtin and operator included."""
    from loopdsl.simulate import codegen

    text = ("time 0 to 6 step 0.5\nconst k = -2\nstock s initial 3\n"
            "flow f = ABS(k) ^ 0.5 + k ^ 2 - EXP(-s / 10) * LN(s + 1) / LOG10(s + 2) "
            "+ SQRT(s) + INT(-s / 3) + MIN(s, 2) * MAX(k, 1) + s MOD 3 + SAFEDIV(s, k - k, 7) "
            "+ SIN(s) + COS(s) + TAN(s / 10) + ARCSIN(0.5) + ARCCOS(0.5) + ARCTAN(s) "
            "+ STEP(1, 2) + RAMP(0.5, 1, 4) + PULSE(2, 1, 2) "
            "+ (IF s > 4 AND NOT s = 5 OR k <> -2 THEN 1 ELSE -1) to s\n"
            "aux g = SMTH1(f, 2) + DELAY(f, 1) + PREVIOUS(s)")
    fast = loopdsl.loads(text).simulate()

    def refuse(code, ns):
        raise RecursionError

    monkeypatch.setattr(codegen, "_function", refuse)
    compiled = prepare(loopdsl.loads(text))
    assert compiled.program.fallback_groups == 4  # init, step, cont, deriv
    slow = loopdsl.loads(text).simulate()
    for name in ("s", "f", "g"):
        assert slow[name].tolist() == fast[name].tolist(), name