"""Loop dominance (Loops That Matter) against known answers.

The runs here are Euler recurrences written out by hand for each model (independent of
the simulator), so the link-score code is checked on its own; the end-to-end tests at
the bottom go through ``model.simulate`` and the CLI.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.dominance import (
    Run, cycle_partitions, dominance, dominant_set, link_scores, link_scores_at, loop_scores,
    relative_loop_scores,
)
from loopdsl.errors import LoopError
from loopdsl.dominance.paths import strongest_loops

LOGISTIC = """\
model logistic "Logistic growth"
time 0 to 20 step {dt} unit year
const r = {r}
const K = {K}
stock N "Population" initial {N0}
flow births = r * N to N
flow deaths = r * N * N / K from N
"""

LOGISTIC_NET = """\
model logistic_net "Logistic growth, one net flow"
time 0 to 20 step {dt} unit year
const r = {r}
const K = {K}
stock N "Population" initial {N0}
aux room "Room to grow" = 1 - N / K
flow growth = r * N * room to N
"""

BASS = """\
model bass "Bass diffusion"
time 0 to 30 step {dt} unit year
const p = {p}
const q = {q}
const M = {M}
stock P "Potential adopters" initial {M}
stock A "Adopters" initial 0
flow adoption = p * P + q * A * P / M from P to A
"""


def euler(t: np.ndarray, x0: dict, rates) -> dict:
    """Euler run: values at every step, then x += dt * rate (what the semantics say)."""
    dt = t[1] - t[0]
    state = dict(x0)
    rows: dict[str, list] = {}
    for _ in t:
        values = rates(state)
        values.update(state)
        for k, v in values.items():
            rows.setdefault(k, []).append(v)
        for k in state:
            state[k] = state[k] + dt * values["d_" + k]
    return {k: np.array(v) for k, v in rows.items() if not k.startswith("d_")}


def logistic_run(r, K, N0, dt, net=False):
    t = np.round(np.arange(0, 20 + dt / 2, dt), 12)

    def rates(s):
        N = s["N"]
        out = {"births": r * N, "deaths": r * N * N / K, "room": 1 - N / K,
               "growth": r * N * (1 - N / K), "r": r, "K": K}
        out["d_N"] = out["growth"]
        return out

    return t, euler(t, {"N": N0}, rates)


def switch_time(d, first: str, then: str) -> float:
    """The start of the first period dominated by `then` after one dominated by `first`."""
    seen = False
    for p in d.periods:
        if p.loops == [first]:
            seen = True
        elif seen and p.loops == [then]:
            return p.start
    raise AssertionError(f"no switch {first} -> {then}: {[q.to_dict() for q in d.periods]}")


@pytest.mark.parametrize("source", [LOGISTIC, LOGISTIC_NET])
def test_logistic_switches_from_R_to_B_at_inflection(source):
    r, K, N0, dt = 0.8, 1000.0, 10.0, 0.01
    model = loopdsl.loads(source.format(r=r, K=K, N0=N0, dt=dt))
    t, values = logistic_run(r, K, N0, dt)
    d = dominance(model, Run(t, values))
    assert d.discovery == "exhaustive"
    assert sorted(lp.polarity for lp in d.loops) == ["B", "R"]
    R = next(lp.id for lp in d.loops if lp.polarity == "R")
    B = next(lp.id for lp in d.loops if lp.polarity == "B")
    t_star = math.log((K - N0) / N0) / r          # continuous logistic: N(t*) = K/2
    switch = switch_time(d, R, B)
    # Euler with dt = 0.01 shifts the curve by O(dt): allow a few steps.
    assert abs(switch - t_star) < 0.05, (switch, t_star)
    # and exactly where the run itself crosses K/2
    k = int(np.argmax(values["N"] >= K / 2))
    assert abs(switch - t[k]) <= 2 * dt
    # exactly two periods: R until the inflection, B after
    assert [p.loops for p in d.periods] == [[R], [B]]
    # with two loops, one explains r/(r + b) of the change: early on R explains ~all
    early = d.relative[:, 5]
    assert early[d.loop(R)] > 0.95 and early[d.loop(B)] < 0


def test_logistic_relative_scores_match_hand_derivation():
    """Exact discrete identities (Euler, aligned flow-to-stock form).

    Split flows: Δbirths = r ΔN and Δdeaths = r (N_k + N_{k-1}) ΔN / K, so with
    u = (N_k + N_{k-1}) / K the relative scores are 1 / (1 + u) and -u / (1 + u).
    One net flow g = r N room: Δ_N g = r room_{k-1} ΔN and Δ_room g = -r N_{k-1} ΔN / K,
    so R = 1 - N_{k-1} / K and B = -N_{k-1} / K. (LTM is chain-rule invariant, not
    invariant to rewriting a nonlinear equation: the two forms differ between the
    ends, and both cross at N = K / 2.)
    """
    r, K, N0, dt = 0.5, 500.0, 5.0, 0.05
    t, values = logistic_run(r, K, N0, dt)
    N = values["N"]
    for source, expect_R in ((LOGISTIC, lambda k: 1 / (1 + (N[k] + N[k - 1]) / K)),
                             (LOGISTIC_NET, lambda k: 1 - N[k - 1] / K)):
        d = dominance(loopdsl.loads(source.format(r=r, K=K, N0=N0, dt=dt)), Run(t, values))
        R = d.loop(next(lp.id for lp in d.loops if lp.polarity == "R"))
        B = d.loop(next(lp.id for lp in d.loops if lp.polarity == "B"))
        ks = np.flatnonzero(d.valid)
        want = np.array([expect_R(k) for k in ks])
        assert np.allclose(d.relative[R, ks], want, rtol=1e-9, atol=1e-12)
        assert np.allclose(d.relative[B, ks], want - 1, rtol=1e-9, atol=1e-12)


def bass_run(p, q, M, dt):
    t = np.round(np.arange(0, 30 + dt / 2, dt), 12)

    def rates(s):
        P, A = s["P"], s["A"]
        adoption = p * P + q * A * P / M
        return {"adoption": adoption, "d_P": -adoption, "d_A": adoption, "p": p, "q": q,
                "M": M}

    return t, euler(t, {"P": M, "A": 0.0}, rates)


def test_bass_switches_at_peak_adoption():
    p, q, M, dt = 0.03, 0.4, 1e6, 0.01
    model = loopdsl.loads(BASS.format(p=p, q=q, M=M, dt=dt))
    t, values = bass_run(p, q, M, dt)
    d = dominance(model, Run(t, values))
    pols = {lp.id: lp.polarity for lp in d.loops}
    assert sorted(pols.values()) == ["B", "R"]
    R = next(i for i, v in pols.items() if v == "R")
    B = next(i for i, v in pols.items() if v == "B")
    assert d.loops[d.loop(R)].nodes == ("A", "adoption")     # word of mouth
    t_peak = math.log(q / p) / (p + q)                       # continuous Bass
    switch = switch_time(d, R, B)
    assert abs(switch - t_peak) < 0.05, (switch, t_peak)
    k_peak = int(np.argmax(values["adoption"]))
    assert abs(switch - t[k_peak]) <= 2 * dt


def test_flow_to_stock_matches_the_2023_paper_table():
    """Schoenberg, Hayward & Eberlein (2023), Tables 1-3: in 5->10, out 4->5, S 101->106."""
    m = loopdsl.loads("time 0 to 3 step 1\nstock S initial 100\n"
                      "flow i = IF TIME < 1 THEN 5 ELSE 10 to S\n"
                      "flow o = IF TIME < 1 THEN 4 ELSE 5 from S\n")
    run = Run([0, 1, 2, 3], {"S": [100, 101, 106, 111], "i": [5, 10, 10, 10],
                             "o": [4, 5, 5, 5]})
    s = link_scores(m, run)
    assert s["i", "S"][1] == pytest.approx(1.25)   # the paper's corrected Eq. 3: |5 / 4|
    assert s["o", "S"][1] == pytest.approx(-0.25)  # |1 / 4|, negative: an outflow
    # Aggregated: net = in - out as an aux, one net flow. out -> net scores -0.25 too.
    agg = loopdsl.loads("time 0 to 3 step 1\nstock S initial 100\n"
                        "aux i = IF TIME < 1 THEN 5 ELSE 10\naux o = IF TIME < 1 THEN 4 ELSE 5\n"
                        "flow net = i - o to S\n")
    run2 = Run([0, 1, 2, 3], {"S": [100, 101, 106, 111], "i": [5, 10, 10, 10],
                              "o": [4, 5, 5, 5], "net": [1, 5, 5, 5]})
    s2 = link_scores(agg, run2)
    assert s2["o", "net"][1] == pytest.approx(-0.25)
    assert s2["i", "net"][1] == pytest.approx(1.25)
    assert s2["net", "S"][1] == pytest.approx(1.0)  # a single net flow scores 1


# Relative loop scores (%) of Simlin's logistic-growth LTM fixture, "golden data from
# reference SD software" (bpowers/simlin, test/logistic_growth_ltm/ltm_results.tsv, which
# Simlin's own test compares with its value one step later): a sample of its 100 columns.
SIMLIN_LOGISTIC_GOLDEN = {
    1: (99.4, -0.56), 10: (98.5, -1.54), 20: (95.4, -4.64), 30: (86.7, -13.3),
    40: (67.2, -32.8), 45: (53.1, -46.9), 46: (50.1, -49.9), 47: (47.1, -52.9),
    50: (38.3, -61.7), 60: (15.3, -84.7), 70: (4.85, -95.1), 80: (1.41, -98.6),
    90: (0.4, -99.6), 98: (0.14, -99.9),
}


def test_logistic_matches_simlin_reference_scores():
    """The same model as Simlin's fixture (Euler, dt 1, 0..100): our relative scores at
    t + 1 equal the reference's at t to its printed precision (3 significant digits). The
    reference labels a step's scores by the start of the step, we (like Simlin) by its end.
    """
    m = loopdsl.loads("""time 0 to 100 step 1
stock population initial 5
flow net_birth_rate = fractional_growth_rate * population to population
const maximum_growth_rate = 0.12
const carrying_capacity = 1000
aux fractional_growth_rate = maximum_growth_rate * (1 - fraction_of_carrying_capacity_used)
aux fraction_of_carrying_capacity_used = population / carrying_capacity
""")
    N = [5.0]
    for _ in range(100):
        N.append(N[-1] + 0.12 * (1 - N[-1] / 1000) * N[-1])
    N = np.array(N)
    frac = N / 1000
    fgr = 0.12 * (1 - frac)
    run = Run(np.arange(101.0), {"population": N, "net_birth_rate": fgr * N,
                                 "fractional_growth_rate": fgr, "maximum_growth_rate": 0.12,
                                 "fraction_of_carrying_capacity_used": frac,
                                 "carrying_capacity": 1000.0})
    d = dominance(m, run)
    assert [lp.id for lp in d.loops] == ["R1", "B1"]      # the fixture's names too
    R, B = d.relative[d.loop("R1")] * 100, d.relative[d.loop("B1")] * 100
    for t, (r, b) in SIMLIN_LOGISTIC_GOLDEN.items():
        assert R[t + 1] == pytest.approx(r, abs=0.051), t
        assert B[t + 1] == pytest.approx(b, abs=0.051), t


def test_equation_link_score_is_ceteris_paribus():
    """z = x * y: x moves 2 -> 3 with y at 5 -> 6: Δ_x z = 3*5 - 10 = 5, Δz = 8."""
    m = loopdsl.loads("node x\nnode y\naux z = x * y")
    s = link_scores(m, Run([0, 1], {"x": [2, 3], "y": [5, 6], "z": [10, 18]}))
    assert s["x", "z"][1] == pytest.approx(5 / 8)
    assert s["y", "z"][1] == pytest.approx(2 / 8)
    # a negative link: z = 10 - x
    m2 = loopdsl.loads("node x\naux z = 10 - x")
    s2 = link_scores(m2, Run([0, 1, 2], {"x": [1, 2, 2], "z": [9, 8, 8]}))
    assert s2["x", "z"].tolist() == [0.0, -1.0, 0.0]   # 0 where nothing changes


def growth_run(r: float, dt: float, stop: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.round(np.arange(0, stop + dt / 2, dt), 12)
    return t, 10 * (1 + r * dt) ** np.arange(len(t))


def test_loop_score_follows_the_chain_rule():
    """Splitting a chain x -> z into x -> u -> z leaves the loop score unchanged (exactly),
    and parallel paths add up to the direct score as dt -> 0 (Schoenberg et al. 2020,
    appendix B)."""
    r, dt = 0.1, 0.1
    t, N = growth_run(r, dt)
    one = loopdsl.loads(f"time 0 to 5 step {dt}\nstock N initial 10\n"
                        f"flow g = {r} * SQRT(N * N) to N")
    two = loopdsl.loads(f"time 0 to 5 step {dt}\nstock N initial 10\naux u = N * N\n"
                        f"flow g = {r} * SQRT(u) to N")
    d1 = dominance(one, Run(t, {"N": N, "g": r * N}))
    d2 = dominance(two, Run(t, {"N": N, "g": r * N, "u": N * N}))
    assert len(d1.loops) == 1 and len(d2.loops) == 1
    assert np.allclose(d1.scores[0][d1.valid], d2.scores[0][d2.valid], rtol=1e-12)
    assert np.allclose(d1.scores[0][d1.valid], 1.0)   # alone, a loop scores 1
    errors = []
    for dt in (0.1, 0.01):
        t, N = growth_run(r, dt)
        par = loopdsl.loads(f"time 0 to 5 step {dt}\nstock N initial 10\naux u = N * N\n"
                            f"flow g = {r} * u / N to N")
        d = dominance(par, Run(t, {"N": N, "g": r * N, "u": N * N}))
        assert len(d.loops) == 2          # N -> g -> N (-) and N -> u -> g -> N (+)
        total = d.scores[:, d.valid].sum(axis=0)
        errors.append(np.max(np.abs(total - 1.0)))
    assert errors[1] < errors[0] / 5 and errors[1] < 0.005, errors


def test_relative_scores_and_dominant_sets():
    rel = relative_loop_scores(np.array([[2.0, 1.0], [-2.0, -3.0], [1.0, 0.0]]), [0, 0, 1])
    assert np.allclose(np.abs(rel[:2]).sum(axis=0), 1)
    assert rel[2].tolist() == [1.0, 0.0]
    # the smallest set: 0.35 + 0.2 reaches 50%, 0.35 alone does not
    assert dominant_set([0.35, 0.2, 0.15, -0.3], ["R1", "R2", "R3", "B1"])[0] == ["R1", "R2"]
    assert dominant_set([0.0, 0.0], ["R1", "B1"]) == ([], "", 0.0)


def test_cycle_partitions_are_strongly_connected_components():
    G = loopdsl.loads("a -> b -> a  b -> c  c -> d -> c").graph
    assert cycle_partitions(G) == {"a": 0, "b": 0, "c": 1, "d": 1}


def test_rk4_is_refused_with_a_hint():
    m = loopdsl.loads("method rk4\nstock N initial 1\nflow g = 0.1 * N to N")
    with pytest.raises(LoopError) as err:
        dominance(m, Run([0, 1, 2], {"N": [1, 1.1, 1.21], "g": [0.1, 0.11, 0.121]}))
    assert "Euler" in str(err.value) and "method='euler'" in str(err.value)
    assert "--" not in str(err.value)


# -------------------------------------------------------------------------- dense models

def dense_model(n: int) -> tuple[str, np.ndarray]:
    """n stocks, each flow reading every stock: sum_k C(n,k)(k-1)! loops."""
    rng = np.random.default_rng(7)
    A = rng.uniform(0.01, 0.1, size=(n, n))
    lines = ["time 0 to 10 step 0.1"]
    for i in range(n):
        lines.append(f"stock s{i} initial {i + 1}")
        terms = " + ".join(f"{A[i, j]:.4f} * s{j}" for j in range(n))
        lines.append(f"flow f{i} = {terms} to s{i}")
    return "\n".join(lines), A


def dense_run(A: np.ndarray) -> Run:
    n = len(A)
    t = np.round(np.arange(0, 10 + 0.05, 0.1), 12)
    s = np.arange(1, n + 1, dtype=float)
    rows = []
    for _ in t:
        f = A @ s
        rows.append((s.copy(), f))
        s = s + 0.1 * f
    values = {f"s{i}": np.array([r[0][i] for r in rows]) for i in range(n)}
    values.update({f"f{i}": np.array([r[1][i] for r in rows]) for i in range(n)})
    return Run(t, values)


def test_many_loops_switch_to_strongest_path_and_say_so():
    source, A = dense_model(7)           # 2,372 loops
    model = loopdsl.loads(source)
    run = dense_run(A)
    d = dominance(model, run, max_loops=1000)
    assert d.discovery == "strongest-path"
    assert any("strongest-path" in note for note in d.notes)
    G = model.graph
    for lp in d.loops:                   # every loop found is a real cycle of the graph
        assert all(G.has_edge(u, v) for u, v in lp.links)
    assert 0 < len(d.loops) < 2372
    # The loops that matter are found: compare with scoring every loop.
    full = dominance(model, run, max_loops=10_000)
    assert full.discovery == "exhaustive" and len(full.loops) == 2372
    strength = np.abs(full.scores[:, full.valid]).max(axis=1)
    top = {full.loops[i].nodes for i in np.argsort(-strength)[:20]}
    found = {lp.nodes for lp in d.loops}
    assert top <= found, len(top & found)       # the 20 strongest of 2,372 are all found
    # Same loop, same score, however it was found.
    for i, lp in enumerate(d.loops[:30]):
        j = next(j for j, q in enumerate(full.loops) if q.nodes == lp.nodes)
        assert np.allclose(d.scores[i], full.scores[j])


def test_strongest_path_prefers_strong_links():
    G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "c")])
    scores = {("a", "b"): 2.0, ("b", "a"): 0.0, ("b", "c"): 2.0, ("c", "a"): 2.0,
              ("c", "d"): 0.5, ("d", "c"): 0.5}
    loops = strongest_loops(G, scores)
    assert ("a", "b", "c") in loops
    assert ("a", "b") not in loops       # an inactive link (score 0) is never followed


def test_strongest_path_is_iterative_on_a_long_ring():
    n = 5000
    G = nx.DiGraph([(i, (i + 1) % n) for i in range(n)])
    G = nx.relabel_nodes(G, {i: f"v{i}" for i in range(n)})
    scores = {e: 1.0 for e in G.edges}
    assert len(strongest_loops(G, scores, starts=["v0"])) == 1


# -------------------------------------------------------------------------- plain nodes

def test_plain_accumulator_with_capacity_hands_over_to_crowding():
    """A plain node with memory (decay 0) and a capacity, fed by its own loop: the discrete
    logistic of docs/semantics.md. Its capacity is a balancing self-loop that takes over
    exactly when the node's growth starts to slow (Δx[k] < Δx[k-1])."""
    m = loopdsl.loads("time 0 to 60 step 1\n"
                      "node users initial 10 decay 0 capacity 1000\n"
                      "users -[gain 0.3 delay 1]-> users\n")
    x = [10.0]                        # x[k] = 0.3 x[k-1] (1 - x[k-1]/1000) + x[k-1]
    for _ in range(60):
        p = x[-1]
        x.append(0.3 * p * max(0.0, 1 - p / 1000) + p)
    x = np.array(x)
    d = dominance(m, Run(np.arange(61.0), {"users": x}))
    assert [(lp.id, lp.polarity, lp.kind) for lp in d.loops] == [
        ("R1", "R", "loop"), ("users:capacity", "B", "capacity")]
    dx = np.diff(x)
    slowing = int(np.argmax(dx[1:] < dx[:-1])) + 2      # first k with Δx[k] < Δx[k-1]
    assert [(p.loops, p.start) for p in d.periods] == [(["R1"], 1.0),
                                                        (["users:capacity"], float(slowing))]


def test_plain_memoryless_node_splits_its_change_among_links():
    """z has no memory: z[k] = 2 a[k-1] - b[k] (link delays 1 and 0). Each link's score
    is its share of Δz, signed by the link."""
    m = loopdsl.loads("node a\nnode b\na -[gain 2]-> z\nb -[- delay 0]-> z\n")
    a = np.array([1.0, 2.0, 4.0, 4.0])
    b = np.array([0.0, 1.0, 1.0, 3.0])
    z = np.concatenate(([0.0], 2 * a[:-1])) - b
    s = link_scores(m, Run(range(4), {"a": a, "b": b, "z": z}))
    dz = np.diff(z)                                   # z = [0, 1, 3, 5]
    assert s["a", "z"][1:].tolist() == pytest.approx((2 * np.diff(np.r_[0, a[:-1]]) / dz)
                                                     .tolist())
    assert s["b", "z"][1:].tolist() == pytest.approx([-1 / 1, 0.0, -2 / 2])


# -------------------------------------------------------------------------- end to end

def test_end_to_end_logistic_and_bass_through_the_simulator():
    r, K, N0 = 0.8, 1000.0, 10.0
    d = dominance(loopdsl.loads(LOGISTIC.format(r=r, K=K, N0=N0, dt=0.01)))
    R = next(lp.id for lp in d.loops if lp.polarity == "R")
    B = next(lp.id for lp in d.loops if lp.polarity == "B")
    assert abs(switch_time(d, R, B) - math.log((K - N0) / N0) / r) < 0.05
    p, q = 0.03, 0.4
    bass = dominance(loopdsl.loads(BASS.format(p=p, q=q, M=1e6, dt=0.01)))
    R = next(lp.id for lp in bass.loops if lp.polarity == "R")
    B = next(lp.id for lp in bass.loops if lp.polarity == "B")
    assert abs(switch_time(bass, R, B) - math.log(q / p) / (p + q)) < 0.05


def test_until_and_window():
    model = loopdsl.loads(LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.1))
    d = dominance(model, until=4)
    assert d.time[-1] == pytest.approx(4) and [len(p.loops) for p in d.periods] == [1]
    coarse = dominance(model, window=5)
    assert [(p.start, p.polarity) for p in coarse.periods] == [(0.1, "R"), (5.0, "B")]


def test_link_scores_at_a_time():
    model = loopdsl.loads(LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.1))
    at = link_scores_at(model, 3.0)
    assert set(at) == set(model.graph.edges)
    assert at["births", "N"] > 0 > at["deaths", "N"]
    assert at["N", "births"] == pytest.approx(1.0)     # births = r N: its only input
    assert at["r", "births"] == 0.0                     # a constant does not change


def run_cli(*argv, capsys):
    from loopdsl.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_csv_table_and_plot(tmp_path, capsys):
    src = tmp_path / "logistic.loop"
    src.write_text(LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.05), encoding="utf-8")
    code, out, err = run_cli("dominance", str(src), "--format", "json", capsys=capsys)
    assert code == 0, err
    data = json.loads(out)
    assert [p["loops"] for p in data["periods"]] == [["R1"], ["B1"]]
    assert {"start", "end", "loops"} <= set(data["periods"][0])
    assert data["discovery"] == "exhaustive"
    assert data["relative"]["R1"][0] is None and len(data["time"]) == len(data["relative"]["B1"])
    code, out, _ = run_cli("dominance", str(src), "--format", "csv", "--until", "10",
                           capsys=capsys)
    rows = out.splitlines()
    assert code == 0 and rows[0] == "time,R1,B1,dominant"
    assert rows[20].endswith(",R1") and rows[-2].endswith(",B1")
    code, out, _ = run_cli("dominance", str(src), capsys=capsys)
    assert code == 0 and "Dominant periods" in out and "R1" in out
    for suffix in ("png", "svg"):
        plot = tmp_path / f"d.{suffix}"
        code, _, err = run_cli("dominance", str(src), "--plot", str(plot), capsys=capsys)
        assert code == 0, err
        head = plot.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if suffix == "png" else b"<?xml" in head


def test_cli_refuses_rk4_unless_asked_for_euler(tmp_path, capsys):
    src = tmp_path / "rk4.loop"
    src.write_text("method rk4\ntime 0 to 10 step 0.1\nstock N initial 1\n"
                   "flow g = 0.1 * N to N\n", encoding="utf-8")
    code, out, err = run_cli("dominance", str(src), capsys=capsys)
    assert code == 1 and "Euler" in err and "Traceback" not in err
    code, out, err = run_cli("dominance", str(src), "--method", "euler", capsys=capsys)
    assert code == 0, err
    code, _, err = run_cli("dominance", str(src), "--plot", "x.pdf", capsys=capsys)
    assert code == 2 and ".png or .svg" in err


def test_cli_unicode_labels(tmp_path, capsys):
    src = tmp_path / "zh.loop"
    src.write_text('time 0 to 30 step 1\nnode 用户 "用户数" initial 10 decay 0 capacity 1000\n'
                   '用户 -[gain 0.3]-> 用户\n', encoding="utf-8")
    code, out, err = run_cli("dominance", str(src), "--plot", str(tmp_path / "zh.svg"),
                             capsys=capsys)
    assert code == 0, err
    assert "用户:capacity" in out and "capacity of 用户数" in out


def test_re_evaluation_reproduces_the_simulator_on_the_builtins():
    """Every equation re-evaluated with all inputs current gives back the run's values
    (else dominance adds a note): the evaluator and the simulator agree."""
    m = loopdsl.loads("""time 0 to 20 step 0.25
lookup eff points [(0, 1), (50, 0.5), (100, 0.2)]
lookup steps points [(0, 1), (10, 2)] discrete
stock s initial 5
aux a = IF s > 20 THEN MIN(s, 30) ELSE MAX(s, 1) + STEP(2, 3) + RAMP(0.5, 2, 8) + PULSE(4, 5, 3)
aux b = eff(s) * LOOKUP(steps, TIME) + SAFEDIV(s, a - a, 7) + ABS(-s) ^ 0.5 + s MOD 3 + INT(s / 7)
aux c = a points [(0, 0), (10, 5), (100, 20)] extrapolate
aux d = EXP(-s / 100) + LN(s) + SQRT(s) + SIN(s) + (s >= 10 AND s < 40) + (NOT s = 5)
flow f = 0.1 * b + 0.05 * c + d * 0.01 to s non_negative
flow g = s * 0.02 from s
""")
    d = dominance(m)
    assert d.notes == [] and len(d.loops) == 5
    # and the check bites: a run that is not this model's
    run = m.simulate()
    fake = Run(run.time, {n: run[n] * (1.5 if n == "c" else 1.0) for n in run.names})
    assert any("does not reproduce the run" in note for note in dominance(m, fake).notes)


def test_memory_functions():
    m = loopdsl.loads("time 0 to 10 step 0.5\nstock s initial 1\naux seen = SMTH1(s, 2)\n"
                      "aux mixed = SMTH1(s, 2) + s\nflow f = 0.1 * seen + 0.01 * mixed to s\n")
    d = dominance(m)
    scores = d.link_scores
    ks = np.flatnonzero(d.valid)
    # the call is the whole equation (the smooth first moves one step after s)
    assert scores["s", "seen"][ks[0]] == 0.0 and np.all(scores["s", "seen"][ks[1:]] == 1.0)
    assert np.all(scores["s", "mixed"] == 0.0)         # mixed: not scored, and said so
    assert any("mixes SMTH1" in note for note in d.notes)


def test_link_delays_are_followed_round_the_loop():
    """a -[gain 2 delay 2]-> b -[delay 1]-> a: a change takes 3 steps round the loop. Read
    as the change travels (b -> a now, a -> b one step earlier), the loop alone scores 1
    whenever a moves; read at one step, the product mixes different waves (often 0)."""
    m = loopdsl.loads("time 0 to 12 step 1\nnode a initial 1\na -[gain 2 delay 2]-> b\n"
                      "b -[gain 1 delay 1]-> a\n")
    run = m.simulate()
    d = dominance(m, run)
    moves = np.flatnonzero(np.diff(run["a"]) != 0) + 1           # steps where a changes
    moves = moves[1:]     # but not step 1, where a's initial value leaves (no loop in that)
    assert len(moves) >= 3
    assert np.all(d.scores[0, moves] == pytest.approx(1.0))
    assert d.link_scores.lags == {("a", "b"): 2, ("b", "a"): 1}
    same_step = d.link_scores["a", "b"] * d.link_scores["b", "a"]
    assert np.any(same_step[moves] == 0)
    assert any("window=3" in note for note in d.notes)
    assert not any("--" in note for note in d.notes)


MODELS = Path(__file__).resolve().parents[1] / "models"


def test_the_stories_docs_tell():
    """docs/dominance.md tells these stories of the bundled models: if a model's numbers
    change, update the story there too."""
    amazon = dominance(loopdsl.load(MODELS / "amazon_flywheel.loop"), window=6)
    assert [(p.start, p.end, p.loops) for p in amazon.periods] == [(1.0, 36.0, ["R1"])]
    affiliate = dominance(loopdsl.load(MODELS / "affiliate_four_rings.loop"), window=6)
    spans = {(p.start, p.end): p.loops for p in affiliate.periods}
    assert spans[6.0, 11.0] == ["R6"]
    assert sorted(spans[12.0, 17.0]) == ["R1", "R4", "R6"]
    assert sorted(spans[18.0, 35.0]) == ["R1", "R6"]
    # every loop runs through the centre, and the trusted-exposure ring R1 explains the
    # most of the change over the months where anything changes
    assert all({"ugc", "repeat"} <= set(lp.nodes) for lp in affiliate.loops)
    moving = np.abs(affiliate.relative).sum(axis=0) > 0
    mean = affiliate.relative[:, moving].mean(axis=1)
    assert [lp.id for lp in affiliate.loops][int(np.argmax(mean))] == "R1"
    shares = dict(zip((lp.id for lp in affiliate.loops), np.round(mean, 2)))
    assert (shares["R1"], shares["R6"]) == (0.32, 0.20)
    zh = dominance(loopdsl.load(MODELS / "affiliate_four_rings_zh.loop"), window=6)
    assert [p.loops for p in zh.periods] == [p.loops for p in affiliate.periods]


# -------------------------------------------------------------------------- against Simlin

BASS_XMILE_SAFE = """time 0 to 30 step 0.25
const p_innov = 0.03
const q_imit = 0.4
const M = 1000000
stock potential initial 1000000
stock adopters initial 0
flow adoption = p_innov * potential + q_imit * adopters * potential / M from potential to adopters
"""


def _simlin_relative(model, tmp_path):
    """Simlin's relative loop scores for the model, keyed by loop path (lower case)."""
    import re

    simlin = pytest.importorskip("simlin", reason="pysimlin (Simlin's Python bindings, "
                                 "a dev extra) is not installed")
    from loopdsl.xmile import dumps_xmile

    text = re.sub(r"<loopdsl:extension.*?</loopdsl:extension>", "", dumps_xmile(model), flags=re.S)
    path = tmp_path / "model.xmile"
    path.write_text(text, encoding="utf-8")
    sim = simlin.load(path).simulate(enable_ltm=True)
    sim.run_to_end()
    return {tuple(v.lower() for v in lp.variables): sim.get_relative_loop_score(lp.id)
            for lp in sim.get_loops_runtime()}


@pytest.mark.parametrize("source", [
    LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.25),
    LOGISTIC_NET.format(r=0.8, K=1000, N0=10, dt=0.25),
    BASS_XMILE_SAFE,
    dense_model(4)[0],                 # 4 stocks, every flow reads every stock: 24 loops
], ids=["logistic", "logistic-net", "bass", "dense4"])
def test_relative_scores_equal_simlins(source, tmp_path):
    """The same model run by Simlin (pysimlin, LTM on): every loop's relative score is
    the same at every step where both define it."""
    model = loopdsl.loads(source)
    theirs = _simlin_relative(model, tmp_path)
    d = dominance(model)
    assert len(theirs) == len(d.loops)
    for i, lp in enumerate(d.loops):
        ours = tuple(v.lower() for v in lp.nodes)
        turns = {ours[j:] + ours[:j] for j in range(len(ours))}
        key = next(k for k in theirs if k in turns)
        assert np.allclose(theirs[key][d.valid], d.relative[i][d.valid], atol=1e-9), lp.id


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=6))
def test_vectorised_dominant_sets_match_the_definition(values):
    from loopdsl.dominance.loops import _dominant_sets

    x = np.array(values)
    if np.abs(x).sum():
        x = x / np.abs(x).sum()
    ids = [f"L{i}" for i in range(len(x))]
    fast = _dominant_sets(x[:, None], ids, 0.5)[0]
    slow = dominant_set(x, ids, 0.5)
    assert fast[:2] == slow[:2] and fast[2] == pytest.approx(slow[2])


def test_cli_scenario(tmp_path, capsys):
    src = tmp_path / "s.loop"
    src.write_text(LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.05)
                   + 'scenario fast "Fast": r = 1.6\n', encoding="utf-8")
    code, out, err = run_cli("dominance", str(src), "--scenario", "fast", "--format", "json",
                             capsys=capsys)
    assert code == 0, err
    switch = json.loads(out)["periods"][1]["start"]
    # twice the rate: half the time (Euler's error grows with r * dt = 0.08 here)
    assert abs(switch - math.log(99) / 1.6) < 0.2
    code, _, err = run_cli("dominance", str(src), "--scenario", "nope", capsys=capsys)
    assert code == 1 and "nope" in err


def test_render_scores_at(tmp_path, capsys):
    """`loopdsl render --scores-at T` draws each link as wide as its link score at T."""
    src = tmp_path / "logistic.loop"
    src.write_text(LOGISTIC.format(r=0.8, K=1000, N0=10, dt=0.05), encoding="utf-8")
    out = tmp_path / "l.dot"
    code, _, err = run_cli("render", str(src), "-o", str(out), "--scores-at", "3",
                           capsys=capsys)
    assert code == 0, err
    widths = [float(w) for w in re.findall(r'penwidth="?([0-9.]+)', out.read_text())]
    assert 6.0 in widths and 0.6 in widths    # the strongest link, and the constants' links
    code, _, err = run_cli("render", str(src), "-o", str(tmp_path / "l.mmd"),
                           "--scores-at", "3", capsys=capsys)
    assert code == 2 and "Mermaid" in err


def test_cli_says_when_it_used_strongest_path(tmp_path, capsys):
    src = tmp_path / "dense.loop"
    src.write_text(dense_model(7)[0], encoding="utf-8")
    for fmt in ("table", "json", "csv"):
        code, out, err = run_cli("dominance", str(src), "--format", fmt, capsys=capsys)
        assert code == 0, err
        assert "strongest-path" in out + err, fmt
