"""Simulation semantics (docs/semantics.md), each case computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import loopdsl
from loopdsl import LoopError
from loopdsl.simulate import linearize, simulate, spectral_radius


def run(text: str, **kw):
    return loopdsl.loads(text).simulate(**kw)


# -- plain nodes -------------------------------------------------------------------------

def test_one_loop_multiplies_by_its_gain_every_cycle():
    # gain 1.5 * 2 = 3, cycle time 2 + 1 = 3
    r = run("time 0 to 12\nnode a initial 1\n"
            "a -[gain 1.5 delay 2]-> b -[gain 2 delay 1]-> a")
    a = r["a"]
    for k in range(5):
        assert a[3 * k] == pytest.approx(3.0 ** k)
    assert all(a[t] == 0 for t in range(13) if t % 3)
    assert r["b"][2] == pytest.approx(1.5) and r["b"][5] == pytest.approx(4.5)


def test_loop_gain_per_cycle_is_independent_of_dt():
    text = "time 0 to 8 step {dt}\nnode a initial 1\na -[gain 2 delay 2]-> a"
    coarse = run(text.format(dt=1))
    fine = run(text.format(dt=0.5))
    assert coarse["a"][8] == pytest.approx(16.0)
    assert fine["a"][16] == pytest.approx(16.0)
    assert list(fine.time[:3]) == [0.0, 0.5, 1.0]


def test_negative_link_subtracts_and_defaults_are_reported():
    r = run("time 0 to 3\nnode a push 2\na -[- gain 0.5]-> b\na -> c")
    assert r["b"].tolist() == [0.0, -1.0, -1.0, -1.0]
    assert r["c"].tolist() == [0.0, 2.0, 2.0, 2.0]
    text = " ".join(r.warnings)
    assert "delay 1 time unit" in text and "a -> b" in text and "a -> c" in text
    assert "gain 1" in text  # a -> c gives no gain; a -> b gives one
    assert "a -> b" not in [w for w in r.warnings if w.startswith("gain 1")][0]


def test_push_at_the_start_is_not_lost_and_initial_adds():
    r = run("time 0 to 3\nnode a initial 10 push PULSE(5, 0)")
    assert r["a"].tolist() == [15.0, 0.0, 0.0, 0.0]


def test_push_schedule_and_accumulating_node():
    r = run("time 0 to 6\nnode a push STEP(2, 3) decay 0")
    assert r["a"].tolist() == [0, 0, 0, 2, 4, 6, 8]
    r = run("time 0 to 6\nnode a push STEP(2, 3)")
    assert r["a"].tolist() == [0, 0, 0, 2, 2, 2, 2]


def test_decay_is_friction():
    r = run("time 0 to 10\nnode a initial 100 decay 0.1")
    assert np.allclose(r["a"], 100 * 0.9 ** np.arange(11))


def test_capacity_bends_growth_into_an_s():
    r = run("time 0 to 60\nnode a initial 1 decay 0 capacity 100\na -[gain 0.5]-> a")
    x = [1.0]
    for _ in range(60):
        x.append(x[-1] + 0.5 * x[-1] * max(0.0, 1 - x[-1] / 100))
    assert np.allclose(r["a"], x)
    a = r["a"]
    steps = np.diff(a)
    assert (steps >= 0).all() and a[-1] == pytest.approx(100, rel=1e-6)
    peak = int(np.argmax(steps))
    assert 3 < peak < 30  # growth speeds up, then slows: an S
    assert a[peak] < 60 < a[peak + 2]


def test_capacity_of_a_memoryless_node_in_a_loop():
    r = run("time 0 to 200\nnode a initial 1 capacity 100\na -[gain 2]-> a")
    assert r["a"][-1] == pytest.approx(100 * (1 - 1 / 2), rel=1e-9)


def test_zero_delay_links_in_dependency_order():
    r = run("time 0 to 2\nnode c\nnode b\nnode a push 1\nb -[delay 0 gain 3]-> c\n"
            "a -[delay 0 gain 2]-> b")
    assert r["c"].tolist() == [6.0, 6.0, 6.0]


def test_equation_decides_a_linked_node():
    r = run("time 0 to 2\nnode a push 1\naux x = 5\na -> x")
    assert r["x"].tolist() == [5.0, 5.0, 5.0]


def test_stock_without_flows_is_filled_by_its_links():
    r = run("time 0 to 3\nnode a push 2\nstock s initial 1\na -[delay 0]-> s")
    assert r["s"].tolist() == [1.0, 3.0, 5.0, 7.0]


def test_unknown_sign_into_a_plain_node_is_an_error_naming_the_link():
    with pytest.raises(LoopError, match=r"link a -> b .*unknown sign"):
        run("a -[?]-> b")


def test_delay_not_a_whole_number_of_steps():
    with pytest.raises(LoopError, match=r"a -> b: the delay 1.5 is not a whole number"):
        run("time 0 to 4\na -[delay 1.5]-> b")
    assert run("time 0 to 4 step 0.5\na -[delay 1.5]-> b")["b"].shape == (9,)


# -- stocks and flows ----------------------------------------------------------------------

GROWTH = "time 0 to 10 step {dt}\nstock s initial 100\nflow f = 0.1 * s to s"


def test_stock_flow_euler_is_compound_growth():
    r = run(GROWTH.format(dt=1))
    assert np.allclose(r["s"], 100 * 1.1 ** np.arange(11))
    assert np.allclose(r["f"], 0.1 * r["s"])
    r = run(GROWTH.format(dt=0.25))
    assert r["s"][-1] == pytest.approx(100 * 1.025 ** 40)


def test_rk4_is_far_closer_to_the_exponential_than_euler():
    exact = 100 * math.exp(1.0)
    euler = run(GROWTH.format(dt=0.5))["s"][-1]
    rk4 = run(GROWTH.format(dt=0.5), method="rk4")["s"][-1]
    assert abs(rk4 - exact) / exact < 1e-6
    assert abs(euler - exact) / exact > 1e-2
    # one RK4 step of ds/dt = 0.1 s, by hand
    h, k = 0.5, 0.1
    step = 1 + h * k + (h * k) ** 2 / 2 + (h * k) ** 3 / 6 + (h * k) ** 4 / 24
    assert run(GROWTH.format(dt=0.5), method="rk4")["s"][1] == pytest.approx(100 * step,
                                                                            rel=1e-12)


def test_flows_from_and_to():
    r = run("time 0 to 4\nstock a initial 10\nstock b\nflow f = 2 from a to b")
    assert r["a"].tolist() == [10, 8, 6, 4, 2]
    assert r["b"].tolist() == [0, 2, 4, 6, 8]


def test_non_negative_stock_cuts_its_outflow():
    r = run("time 0 to 4\nstock a initial 5 non_negative\nstock b\nflow f = 2 from a to b")
    assert r["a"].tolist() == [5, 3, 1, 0, 0]
    assert r["f"].tolist() == [2, 2, 1, 0, 0]
    assert r["b"].tolist() == [0, 2, 4, 5, 5]


def test_non_negative_flow_is_a_uniflow():
    r = run("time 0 to 2\nstock a initial 5\nflow f = TIME - 1 to a non_negative")
    assert r["f"].tolist() == [0, 0, 1]


def test_stock_initial_from_other_variables_and_chained_initialisation():
    r = run("time 0 to 1\nstock a initial b * 2\naux b = c + 1\nconst c = 3")
    assert r["a"][0] == 8


def test_stock_capacity():
    r = run("time 0 to 200\nstock s initial 1 capacity 100\nflow f = 0.3 * s to s")
    assert r["s"][-1] == pytest.approx(100, rel=1e-6)
    assert (np.diff(r["s"]) >= 0).all()


# -- builtins ------------------------------------------------------------------------------

def values(equation: str, stop: float = 6, dt: float = 1, extra: str = "", **kw) -> list:
    return run(f"time 0 to {stop} step {dt}\n{extra}\naux x = {equation}", **kw)["x"].tolist()


def test_time_inputs():
    assert values("STEP(3, 2)") == [0, 0, 3, 3, 3, 3, 3]
    assert values("RAMP(2, 1)") == [0, 0, 2, 4, 6, 8, 10]
    assert values("RAMP(2, 1, 3)") == [0, 0, 2, 4, 4, 4, 4]
    assert values("PULSE(6, 2)") == [0, 0, 6, 0, 0, 0, 0]
    assert values("PULSE(6, 1, 2)") == [0, 6, 0, 6, 0, 6, 0]
    assert values("PULSE(1, 1)", stop=2, dt=0.5) == [0, 0, 2, 0, 0]
    assert values("TIME + DT + STARTTIME + STOPTIME", stop=2) == [3, 4, 5]


def test_arithmetic_builtins():
    assert values("ABS(-2) + SQRT(9) + INT(-1.5) + MIN(1, 2) + MAX(1, 2)", stop=0) == [6]
    assert values("MOD(-7, 3) + 10 * (7 MOD 3)", stop=0) == [12]
    assert values("EXP(LN(5)) + LOG10(1000)", stop=0)[0] == pytest.approx(8)
    assert values("SIN(PI / 2) + COS(0) + TAN(0) + ARCSIN(1) + ARCCOS(1) + ARCTAN(1)",
                  stop=0)[0] == pytest.approx(2 + math.pi / 2 + math.pi / 4)
    assert values("SAFEDIV(1, TIME) + SAFEDIV(1, TIME - 1, 7)", stop=1) == [-1, 8]
    assert values("2 ^ 3 ^ 2", stop=0) == [512]


def test_logic_and_if():
    assert values("IF TIME > 2 AND NOT TIME = 4 OR TIME = 0 THEN 1 ELSE -1") == \
        [1, -1, -1, 1, -1, 1, 1]
    assert values("(TIME >= 2) + (TIME <> 3) * 10") == [10, 10, 11, 1, 11, 11, 11]


def test_smooths():
    extra = "const inp = STEP(10, 1) * 0 + 10\n"
    smth1 = values("SMTH1(inp, 4, 0)", stop=3, extra=extra)
    s = [0.0]
    for _ in range(3):
        s.append(s[-1] + (10 - s[-1]) / 4)
    assert np.allclose(smth1, s)
    assert values("SMTH1(inp, 4)", stop=3, extra=extra) == [10, 10, 10, 10]
    smth3 = values("SMTH3(inp, 3, 0)", stop=3, extra=extra)
    s1 = s2 = s3 = 0.0
    expect = [0.0]
    for _ in range(3):
        s1, s2, s3 = s1 + (10 - s1), s2 + (s1 - s2), s3 + (s2 - s3)
        expect.append(s3)
    assert np.allclose(smth3, expect)
    assert np.allclose(values("SMTHN(inp, 3, 3, 0)", stop=3, extra=extra), expect)
    assert np.allclose(values("SMTHN(inp, 4, 1, 0)", stop=3, extra=extra), s)


def test_material_delays_conserve_and_delay():
    r = run("time 0 to 40 step 0.25\nstock src initial 100\nflow out = DELAY1(inflow, 4, 0) "
            "to sink\nstock sink\nflow inflow = PULSE(100, 0) from src")
    assert r["src"][-1] == pytest.approx(0)
    # DELAY1 by hand: level L, L' = in - L/4, out = L/4 (Euler, dt 0.25)
    L, outs = 0.0, []
    for n in range(5):
        inflow = 400.0 if n == 0 else 0.0
        outs.append(L / 4)
        L += 0.25 * (inflow - L / 4)
    assert np.allclose(r["out"][:5], outs)
    assert r["sink"][-1] == pytest.approx(100 * (1 - (1 - 0.25 / 4) ** 159), rel=1e-9)
    # without an initial value the delay starts in equilibrium with its input's start value
    assert run("time 0 to 2\naux x = DELAY1(3, 4)")["x"].tolist() == [3, 3, 3]
    steady = values("DELAY3(7, 6)", stop=5)
    assert steady == [7] * 6
    assert values("DELAYN(7, 6, 4)", stop=3) == [7] * 4
    d3 = run("time 0 to 3\nconst z = 0\naux x = DELAY3(z + 9, 3, 1)")["x"].tolist()
    # three stages of 1 time unit, each holding 1 at the start; Euler with dt 1 moves the 9
    # one stage per step: L1 = 9 at step 1, L2 at step 2, L3 (the output) at step 3
    assert d3 == [1, 1, 1, 9]


def test_pipeline_delay_previous_init():
    assert values("DELAY(TIME * 2, 2)", stop=5) == [0, 0, 0, 2, 4, 6]
    assert values("DELAY(TIME * 2, 2, -1)", stop=5) == [-1, -1, 0, 2, 4, 6]
    assert values("DELAY(TIME + 5, 2)", stop=3) == [5, 5, 5, 6]
    assert values("PREVIOUS(TIME * 3 + 1)", stop=3) == [0, 1, 4, 7]
    assert values("PREVIOUS(TIME * 3, 9)", stop=3) == [9, 0, 3, 6]
    assert values("INIT(s)", stop=3, extra="stock s initial 4\nflow f = 1 to s") == [4] * 4


def test_trend_and_forecast():
    r = run("time 0 to 30\nconst g = 0.1\nstock s initial 1\nflow f = g * s to s\n"
            "aux tr = TREND(s, 1, 0.1)\naux fc = FORCST(s, 1, 2, 0.1)")
    # average = input / (1 + trend * time) at the start, so the trend starts at 0.1
    assert r["tr"][0] == pytest.approx(0.1)
    assert r["tr"][-1] == pytest.approx(0.1, rel=0.2)
    assert r["fc"][0] == pytest.approx(1 * (1 + 0.1 * 2))


def test_lookups():
    table = "lookup g points [(0, 0), (10, 5), (20, 5)] {kind}\n"
    for kind, expect in [("", [0, 2.5, 5, 5, 0]), ("extrapolate", [0, 2.5, 5, 5, -5]),
                         ("discrete", [0, 0, 5, 5, 0])]:
        got = run(f"time 0 to 0\n{table.format(kind=kind)}aux x = 0\n"
                  "aux a = g(5)\naux b = g(10)\naux c = g(30)\naux d = g(-10)\n"
                  "aux e = g(x)")
        assert [got["a"][0], got["b"][0], got["c"][0], got["e"][0], got["d"][0]] == \
            [expect[1], expect[2], expect[3], expect[0], expect[4]], kind
    inline = run("time 0 to 4\naux y = TIME points [(0, 1), (4, 3)]")
    assert inline["y"].tolist() == [1, 1.5, 2, 2.5, 3]


def test_same_shaped_lookups_grouped_with_different_tables():
    lines = ["time 0 to 2"]
    for i in range(5):
        lines.append(f"aux y{i} = TIME * {i} points [(0, {i}), (10, {i + 10})]")
    r = run("\n".join(lines))
    for i in range(5):
        assert r[f"y{i}"].tolist() == pytest.approx([i + i * k for k in (0, 1, 2)])


@pytest.mark.parametrize("kind", ["continuous", "extrapolate", "discrete"])
def test_grouped_lookups_agree_with_one_table_at_a_time(kind):
    from random_tables import random_tables

    from loopdsl.runtime import Tables, lookup_one

    rng = np.random.default_rng(7)
    tables = random_tables(rng, 30, 7, 20)
    x = rng.uniform(-30, 30, size=(30, 40))
    x[:, :6] = [[t.xs[0], t.xs[-1], t.xs[0] - 1, t.xs[-1] + 1, t.xs[len(t.xs) // 2], np.nan]
                for t in tables]
    got = Tables(tables)(x, kind)
    for k, t in enumerate(tables):
        expect = lookup_one(x[k], np.array(t.xs), np.array(t.ys), kind)
        np.testing.assert_allclose(got[k], expect, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_lookup_builtin_form():
    from loopdsl.model import Aux, Call, Lookup, LookupDef, Model, Name, Num, TimeSpec

    m = Model(time=TimeSpec(start=0, stop=0, step=1),
              nodes=[LookupDef(id="g", lookup=Lookup(xs=[0, 10], ys=[0, 5])),
                     Aux(id="x", equation=Call(func="lookup", args=[Name(name="g"),
                                                                    Num(value=4)]))])
    assert m.simulate()["x"].tolist() == [2.0]


def test_random_functions_are_reproducible_and_in_range():
    text = ("time 0 to 200\naux u = RANDOM(2, 3)\naux n = NORMAL(0, 1, 1, -0.5, 0.5)\n"
            "aux p = POISSON(4)\naux e = EXPRND(2)\naux l = LOGNORMAL(3, 1)")
    a = loopdsl.loads(text).simulate(seed=None)
    m = loopdsl.loads(text)
    r1, r2 = simulate(m, seed=5, runs=3), simulate(m, seed=5, runs=3)
    assert np.array_equal(r1.data, r2.data)
    assert ((a["u"] >= 2) & (a["u"] < 3)).all() and len(set(a["u"].tolist())) > 100
    assert ((a["n"] >= -0.5) & (a["n"] <= 0.5)).all()
    assert (a["p"] == np.round(a["p"])).all() and 2 < a["p"].mean() < 6
    assert 1 < a["e"].mean() < 3 and (a["e"] > 0).all()
    assert 2 < a["l"].mean() < 4 and (a["l"] > 0).all()


# -- overrides, scenarios, ensembles -------------------------------------------------------

SCEN = ("time 0 to 4\nconst k = 1\nstock s initial 2\nflow f = k to s\nnode n initial 3\n"
        "scenario big \"Big\": k = 5, s = 10\nvary k ~ uniform(1, 2)")


def test_overrides_and_scenarios():
    m = loopdsl.loads(SCEN)
    assert m.simulate()["s"].tolist() == [2, 3, 4, 5, 6]
    assert m.simulate(overrides={"k": 2})["s"].tolist() == [2, 4, 6, 8, 10]
    assert m.simulate(overrides={"n": 7})["n"][0] == 7
    big = m.simulate(scenario="big")
    assert big["s"].tolist() == [10, 15, 20, 25, 30] and big.scenario == "big"
    assert m.simulate(scenario="big", overrides={"k": 0})["s"].tolist() == [10] * 5
    with pytest.raises(LoopError, match="no scenario 'bigg'.*did you mean 'big'"):
        m.simulate(scenario="bigg")
    with pytest.raises(LoopError, match="cannot set 'kk'.*did you mean 'k'"):
        m.simulate(overrides={"kk": 1})


def test_ensemble_runs_are_vectorised_and_match_single_runs():
    m = loopdsl.loads(SCEN)
    e = simulate(m, runs=50, seed=3)
    ks = e.parameters["k"]
    assert e["s"].shape == (5, 50) and ((ks >= 1) & (ks <= 2)).all()
    for j in (0, 17, 49):
        single = m.simulate(overrides={"k": float(ks[j])})
        assert np.allclose(e["s"][:, j], single["s"])
    p = e.percentiles("s")
    assert (p[5] <= p[50]).all() and (p[50] <= p[95]).all()
    csv = e.to_csv()
    assert csv.splitlines()[0].startswith("time,k_p5,k_p25,k_p50")
    assert simulate(m, runs=50, seed=3).data.tolist() == e.data.tolist()


def test_result_api(tmp_path):
    r = run("model m \"Тест 测试\"\ntime 0 to 2\nnode a \"Трафик\" push 1")
    assert r.time.tolist() == [0, 1, 2] and r["a"].tolist() == [1, 1, 1]
    path = tmp_path / "out.csv"
    r.to_csv(path)
    assert path.read_text().splitlines() == ["time,a", "0,1", "1,1", "2,1"]
    assert r.to_records()[1] == {"time": 1.0, "a": 1.0}
    assert r.labels["a"] == "Трафик"
    with pytest.raises(KeyError):
        r["b"]
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(LoopError, match="pandas"):
            r.to_dataframe()
    else:
        assert list(r.to_dataframe().columns) == ["a"]


def test_every_node_is_in_the_result():
    m = loopdsl.load(__import__("pathlib").Path(__file__).resolve().parents[1] / "models" /
                     "amazon_flywheel.loop")
    r = m.simulate()
    from loopdsl.model import LookupDef
    assert r.names == [n.id for n in m.nodes if not isinstance(n, LookupDef)]


# -- linearisation --------------------------------------------------------------------------

def test_linearize_stock_and_delay_states():
    m = loopdsl.loads("time 0 to 1 step 0.5\nstock s initial 10\nflow f = 0.2 * s to s\n"
                      "node a\ns -[gain 2 delay 1]-> a")
    J, names, dt = linearize(m)
    assert dt == 0.5 and names == ["s", "s@-1", "s@-2"]
    assert J[0, 0] == pytest.approx(1.1)
    assert spectral_radius(J) ** (1 / dt) == pytest.approx(1.1 ** 2)


def test_linearize_rk4_matches_the_rk4_step():
    m = loopdsl.loads(GROWTH.format(dt=0.5))
    J, names, dt = linearize(m, method="rk4")
    h, k = 0.5, 0.1
    assert J[0, 0] == pytest.approx(1 + h * k + (h * k) ** 2 / 2 + (h * k) ** 3 / 6
                                    + (h * k) ** 4 / 24, rel=1e-8)


def test_keep_records_only_some_variables_and_agrees_with_a_full_run():
    text = ("time 0 to 30 step 0.5\nnode a initial 1 decay 0.2\n"
            "a -[gain 0.7 delay 2]-> b -[gain 0.9 delay 1.5]-> a\nstock s initial 3\n"
            "flow f = 0.1 * b - 0.05 * s + DELAY(TIME, 2) * 0.01 to s\n"
            "aux sm = SMTH3(s, 2) + PREVIOUS(a)\nvary s ~ uniform(1, 5)")
    m = loopdsl.loads(text)
    for method in ("euler", "rk4"):
        full = m.simulate(method=method)
        kept = m.simulate(method=method, keep=["sm", "a"])
        assert kept.names == ["sm", "a"]
        np.testing.assert_array_equal(kept["sm"], full["sm"])
        np.testing.assert_array_equal(kept["a"], full["a"])
    e_full = simulate(m, runs=8, seed=2)
    e_kept = simulate(m, runs=8, seed=2, keep=["sm"])
    np.testing.assert_array_equal(e_kept["sm"], e_full["sm"])
    with pytest.raises(LoopError, match="cannot keep 'zz'"):
        m.simulate(keep=["zz"])


def test_save_step_reports_every_kth_step():
    m = loopdsl.loads(GROWTH.format(dt=0.25))
    r = m.simulate(save_step=1)
    assert r.time.tolist() == list(range(11))
    assert r["s"][-1] == pytest.approx(100 * 1.025 ** 40)
    with pytest.raises(LoopError, match="save_step 0.3 is not a whole multiple"):
        m.simulate(save_step=0.3)


def test_linearize_in_batches_equals_one_batch(monkeypatch):
    import loopdsl.simulate.linear as linear

    m = loopdsl.loads("time 0 to 1 step 0.5\nstock s initial 10\nflow f = 0.2 * s * t2 to s\n"
                      "stock t2 initial 3\nflow g = 0.1 * s - 0.3 * t2 to t2\nnode a\n"
                      "s -[gain 2 delay 1]-> a -[gain 0.5 delay 2]-> a")
    whole, names, _ = linearize(m)
    monkeypatch.setattr(linear, "CHUNK_BYTES", 1)  # one state per batch
    np.testing.assert_allclose(linearize(m)[0], whole, rtol=1e-12, atol=1e-12)
    with pytest.raises(LoopError, match="more than 3 to linearise"):
        linearize(m, max_states=3)
    assert len(names) > 3


def test_spectral_radius_by_blocks_equals_dense():
    rng = np.random.default_rng(3)
    n = 400
    J = np.zeros((n, n))
    for start in range(0, n, 40):  # ten blocks, each a random dense square, chained
        J[start:start + 40, start:start + 40] = rng.normal(size=(40, 40)) * (start + 1) / n
        if start:
            J[start, start - 1] = 5.0
    J[n - 1, n - 1] += 0  # keep it square and sparse between blocks
    assert spectral_radius(J) == pytest.approx(np.max(np.abs(np.linalg.eigvals(J))),
                                               rel=1e-9)


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "models")
                                        .glob("*.loop")), ids=lambda p: p.stem)
def test_result_names_labels_units_and_kinds_follow_the_model(path: Path) -> None:
    """Names come from the lowered system and labels/units/kinds are made on first use:
    both must say what the model's nodes say, in node order, lookups left out."""
    from loopdsl.model import LookupDef

    model = loopdsl.load(path)
    r = simulate(model, stop=2)
    nodes = [n for n in model.nodes if not isinstance(n, LookupDef)]
    assert r.names == [n.id for n in nodes]
    assert r.labels == {n.id: n.display for n in model.nodes}
    assert r.units == {n.id: n.unit for n in model.nodes}
    assert r.kinds == {n.id: n.kind for n in model.nodes}
    sub = r.select(r.names[:1])
    assert sub.labels[r.names[0]] == nodes[0].display


def test_result_metadata_given_is_kept_and_absent_labels_default_to_names() -> None:
    from loopdsl.simulate.results import SimulationResult

    data = np.zeros((2, 2))
    r = SimulationResult(np.arange(2.0), ["a", "b"], data, labels={"a": "A"},
                         meta=lambda: ({"a": "ignored", "b": "B"}, {"b": "kg"}, {"b": "aux"}))
    assert (r.labels, r.units, r.kinds) == ({"a": "A"}, {"b": "kg"}, {"b": "aux"})
    plain = SimulationResult(np.arange(2.0), ["a", "b"], data)
    assert (plain.labels, plain.units, plain.kinds) == ({"a": "a", "b": "b"}, {}, {})
