"""Loop analysis: link semantics, the system figures, the report formats and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import loopdsl
from loopdsl.analysis import find_loops, link_effects
from loopdsl.analysis.formats import render, text_width
from loopdsl.analysis.independent import independent_loops
from loopdsl.analysis.operating import operating_point, slope
from loopdsl.analysis.report import FUNNEL_MESSAGE, loop_report
from loopdsl.analysis.system import growth_factor, leverage, linear_model
from loopdsl.cli import main

MODELS = Path(__file__).resolve().parents[1] / "models"


# ---------------------------------------------------------------- link figures

def test_defaults_for_declared_links():
    m = loopdsl.loads("a -> b -[- gain 0.5 delay 3]-> a")
    e = link_effects(m.graph, m)
    assert (e["a", "b"].sign, e["a", "b"].gain, e["a", "b"].delay) == (1, 1.0, 1.0)
    assert (e["b", "a"].sign, e["b", "a"].gain, e["b", "a"].delay) == (-1, -0.5, 3.0)
    (loop,) = m.find_loops()
    assert (loop.id, loop.polarity, loop.gain, loop.cycle_time) == ("B1", "B", -0.5, 4.0)


def test_gain_and_delay_expressions_are_valued_with_the_model():
    m = loopdsl.loads("const k = 0.25\nconst d = 2\na -[gain k * 2 delay d]-> b -> a")
    (loop,) = m.find_loops()
    assert loop.gain == 0.5 and loop.cycle_time == 3.0
    # from the graph alone the expression gain is unknown
    (bare,) = find_loops(m.graph)
    assert bare.gain is None and bare.growth_per_time is None


def test_unknown_sign_makes_an_unknown_loop():
    m = loopdsl.loads("a -[?]-> b -> a  b -> c -> b")
    loops = {lp.nodes: lp for lp in m.find_loops()}
    assert loops["a", "b"].polarity == "U" and loops["a", "b"].id == "U1"
    assert loops["a", "b"].gain is None
    assert loops["b", "c"].polarity == "R"
    report = m.loop_report()
    assert report.system.growth_per_time is None and "a -> b" in report.system.note


def test_equation_links_use_the_local_slope():
    m = loopdsl.loads("stock s initial 4\nconst r = 0.5\n"
                      "flow f = r * s ^ 2 - 3 * s to s\naux g = SMTH1(s, 5)\n")
    point = operating_point(m)
    assert point["f"] == 0.5 * 16 - 12
    assert slope(m, "s", "f", point) == pytest.approx(2 * 0.5 * 4 - 3)
    e = link_effects(m.graph, m)
    assert e["s", "f"].sign == 1 and e["r", "f"].gain == pytest.approx(16)
    assert e["s", "g"].delay == 5.0  # read through a first-order smooth of 5 time units
    (loop,) = m.find_loops()
    assert loop.nodes == ("s", "f") and loop.stocks == 1
    assert loop.gain == pytest.approx(1.0)
    assert loop.growth_per_time == pytest.approx(2.0)  # (1 + 1 * dt) per step, dt 1


def test_a_decreasing_equation_link_is_negative():
    m = loopdsl.loads("stock s initial 10\nflow out = s / 5 from s\n")
    (loop,) = m.find_loops()
    assert loop.polarity == "B" and loop.gain == pytest.approx(-0.2)
    assert loop.growth_per_time == pytest.approx(0.8)


def test_documentation_links_are_left_out_of_the_system():
    # b's equation decides b: the declared link c -> b only documents the diagram.
    m = loopdsl.loads("node a initial 1\naux b = 2 * a\nnode c\na -> c -> b -[gain 0.5]-> a")
    e = link_effects(m.graph, m)
    assert e["c", "b"].modelled is False and e["a", "b"].modelled is True
    lin = linear_model(m.graph, e, m)
    assert all(t.link != ("c", "b") for t in lin.terms)
    # a -> b -> a has gain 2 * 0.5 = 1 and cycle time 0 + 1: growth 1 per step.
    assert growth_factor(m.graph, e, m) == pytest.approx(1.0)


def test_decay_keeps_part_of_the_value():
    # x(t) = 0.5 x(t-1) + 0.8 x(t-1): growth 1.3 per step
    m = loopdsl.loads("node x decay 0.5\nx -[gain 0.8]-> x")
    assert m.loop_report().system.growth_per_time == pytest.approx(1.3)
    assert growth_factor(m.graph) == pytest.approx(0.8)  # without the model: no decay


def test_dt_turns_steps_into_time_units():
    # delays of 2 months at dt 0.5: 4 steps; the loop's gain 4 per 2 months = 2 a month
    m = loopdsl.loads("time 0 to 10 step 0.5\na -[gain 4 delay 2]-> b -[delay 0]-> a")
    report = m.loop_report()
    assert report.loops[0].growth_per_time == pytest.approx(2.0)
    assert report.system.growth_per_time == pytest.approx(2.0)


# ---------------------------------------------------------------- system figures

def test_leverage_ranks_the_weaker_link_of_a_shared_loop_higher():
    # two loops share a -> b: its elasticity is the sum of both loops' shares
    m = loopdsl.loads("a -[gain 0.9]-> b -[gain 0.9]-> a\nb -[gain 0.5]-> c -[gain 0.5]-> a")
    levers = leverage(m.graph, link_effects(m.graph, m), m)
    assert (levers[0].source, levers[0].target) == ("a", "b")
    assert 0 < levers[0].gain_elasticity < 1
    # a single loop of L links, each delayed one time unit, grows by (product of gains)
    # ** (1 / L) a time unit: every link's elasticity is 1 / L
    single = loopdsl.loads("a -[gain 2]-> b -[gain 3]-> c -[gain 0.5]-> a")
    ring = leverage(single.graph)
    assert [lv.gain_elasticity for lv in ring] == pytest.approx([1 / 3] * 3)
    for lv in levers:
        assert lv.shorten_one_step is not None and lv.shorten_one_step > 0


def test_growth_agrees_with_the_simulator_linearisation():
    # The simulator's Jacobian of the one-step update (docs/semantics.md) at the start.
    # Capacity is left out of the loop analysis (the loops' own growth, far below any
    # capacity), while the Jacobian at the start also feels the push crowding a capacity:
    # so compare with the capacities removed.
    simulate = pytest.importorskip("loopdsl.simulate", reason="the simulator is not built")
    import numpy as np
    for path in sorted(MODELS.glob("*.loop")):
        m = loopdsl.load(path)
        for node in m.nodes:
            if getattr(node, "capacity", None) is not None:
                node.capacity = None
        J, _, dt = simulate.linearize(m)
        rho = float(np.max(np.abs(np.linalg.eigvals(J)))) if J.size else 0.0
        mine = growth_factor(m.graph, link_effects(m.graph, m), m)
        assert mine == pytest.approx(rho ** (1 / dt), rel=1e-6, abs=1e-9), path.stem


def test_hubs_count_loops_through_nodes_and_links():
    report = loopdsl.load(MODELS / "amazon_gears.loop").loop_report()
    top = report.system.hub_nodes[0]
    assert (top.id, top.loops) == ("members", 7)
    assert report.system.hub_links[0].id == "members -> purchases"


# ---------------------------------------------------------------- independent set

def test_independent_set_names_declared_loops():
    m = loopdsl.load(MODELS / "amazon_gears.loop")
    loops = independent_loops(m.graph, declared=m.loops, effects=link_effects(m.graph, m))
    every = m.find_loops()
    assert len(loops) < len(every)
    assert {lp.nodes for lp in loops} <= {lp.nodes for lp in every}
    assert "R4" in {lp.id for lp in loops}  # the AWS loop is the only one through its links


# ---------------------------------------------------------------- formats and CLI

def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_table_aligns_chinese_labels(capsys):
    path = MODELS / "affiliate_four_rings_zh.loop"
    code, out, _ = run(["loops", str(path)], capsys)
    assert code == 0
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("ID "))
    column = text_width(lines[header][: lines[header].index("Loop")])
    report = loopdsl.load(path).loop_report()
    for row, loop in zip(lines[header + 1:], report.loops):
        first = report.labels[loop.nodes[0]]
        shown = f"{loop.title}: {first}" if loop.title else first
        assert row.startswith(loop.id + " ")
        # the loop's text starts at the same terminal column in every row
        assert text_width(row[: row.index(shown)]) == column, row
    assert "Dominant growth factor: 1.018 per 月" in out
    assert "Sustains itself without an outside push: yes" in out


def test_cli_json(capsys):
    code, out, _ = run(["loops", str(MODELS / "flywheel_vs_funnel.loop"), "--format", "json"],
                       capsys)
    data = json.loads(out)
    assert code == 0 and data["truncated"] is False and data["funnel"] is False
    assert [lp["id"] for lp in data["loops"]] == ["R1", "R2"]
    assert data["loops"][1]["nodes"] == ["action", "delighted"]
    assert data["loops"][1]["gain"] == pytest.approx(0.27)
    system = data["system"]
    assert system["sustains"] is True and system["growth_per_time"] > 1
    assert system["leverage"][0]["gain_elasticity"] > 0


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "json"])
def test_every_format_says_when_it_stopped_early(fmt, capsys):
    code, out, err = run(["loops", str(MODELS / "amazon_gears.loop"), "--format", fmt,
                          "--max-loops", "2"], capsys)
    assert code == 0 and "stopped early" in err
    if fmt == "json":
        data = json.loads(out)
        assert data["truncated"] is True and "--max-loops" in data["reason"]
        assert len(data["loops"]) == 2
    else:
        assert "STOPPED EARLY" in out and "--max-loops" in out
    if fmt == "csv":
        rows = list(csv.reader(line for line in io.StringIO(out) if not line.startswith("#")))
        assert rows[0][0] == "id" and len(rows) == 3 and rows[1][-1] == "true"


def test_max_length_is_reported(capsys):
    code, out, _ = run(["loops", str(MODELS / "amazon_gears.loop"), "--max-length", "5",
                        "--format", "json"], capsys)
    data = json.loads(out)
    assert {lp["length"] for lp in data["loops"]} <= {3, 5} and len(data["loops"]) == 2
    assert data["truncated"] and "--max-length" in data["reason"]


def test_a_complete_run_does_not_say_it_stopped(capsys):
    code, out, err = run(["loops", str(MODELS / "amazon_gears.loop"), "--format", "md"],
                         capsys)
    assert code == 0 and "STOPPED" not in out and err == ""
    assert out.startswith("### Prime, Marketplace, FBA and AWS (amazon_gears): 8 loops")
    assert "| R4 | R | 3 |" in out


def test_funnel_in_every_format(capsys):
    path = str(MODELS / "funnel_aida.loop")
    for fmt in ("table", "md", "csv"):
        _, out, _ = run(["loops", path, "--format", fmt], capsys)
        assert FUNNEL_MESSAGE in out
    _, out, _ = run(["loops", path, "--format", "json"], capsys)
    data = json.loads(out)
    assert data["funnel"] is True and data["message"] == FUNNEL_MESSAGE and data["loops"] == []


def test_through_keeps_the_loops_through_one_node(capsys):
    _, out, _ = run(["loops", str(MODELS / "amazon_gears.loop"), "--through", "lock_in",
                     "--format", "json"], capsys)
    data = json.loads(out)
    assert [lp["nodes"] for lp in data["loops"]] == [["sellers", "aws_sellers", "lock_in"]]
    assert data["loops"][0]["id"] == "R4"


def test_through_an_unknown_node_is_an_error(capsys):
    code, _, err = run(["loops", str(MODELS / "amazon_gears.loop"), "--through", "lockin"],
                       capsys)
    assert code == 1 and "no node 'lockin'" in err and "lock_in" in err


def test_independent_flag(capsys):
    _, out, _ = run(["loops", str(MODELS / "amazon_gears.loop"), "--independent"], capsys)
    assert "independent loops" in out.splitlines()[0]


@pytest.mark.parametrize("bad", [["--max-loops", "0"], ["--max-length", "x"],
                                 ["--time-budget", "-1"], ["--format", "xml"]])
def test_bad_options_are_usage_errors(bad, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["loops", str(MODELS / "amazon_napkin.loop"), *bad])
    assert exit_.value.code == 2 and "error:" in capsys.readouterr().err


def test_output_file(tmp_path, capsys):
    target = tmp_path / "loops.md"
    code, out, _ = run(["loops", str(MODELS / "amazon_napkin.loop"), "--format", "md", "-o",
                        str(target)], capsys)
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8").startswith("### The Amazon flywheel (napkin)")


def test_time_budget_stops_a_dense_model():
    import networkx as nx
    G = nx.complete_graph(12, create_using=nx.DiGraph)
    G = nx.relabel_nodes(G, {i: f"n{i}" for i in G})
    loops = find_loops(G, time_budget=0.05)
    assert loops.truncated and "time_budget=0.05" in loops.reason
    assert 0 < len(loops)
    text = render(loop_report(loopdsl.loads("a -> b -> a")), "table")
    assert "STOPPED" not in text


def test_docs_console_examples_are_real(capsys):
    """Every ```console block of docs/loops.md is the command's exact output."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "loops.md").read_text("utf-8")
    blocks = doc.split("```console\n")[1:]
    assert len(blocks) >= 2
    root = Path(__file__).resolve().parents[1]
    for block in blocks:
        body = block.split("\n```", 1)[0]
        command, expected = body.split("\n", 1)
        assert command.startswith("$ loopdsl loops ")
        args = command.split()[3:]
        args = [str(root / a) if a.endswith(".loop") else a for a in args]
        code, out, _ = run(["loops", *args], capsys)
        assert code == 0 and out == expected + "\n"


def test_delay_elasticity_against_the_characteristic_equation():
    # The napkin: x(t) = x(t - 4) + x(t - 5) (every gain 1, every delay 1, loops of 4 and
    # 5 links). Treat one delay of the big wheel as continuous, d: its growth g solves
    # g^-(3 + d) + g^-5 = 1 (the small wheel shares experience -> traffic only). Compare
    # the elasticity d/g dg/dd at d = 1 with a central difference of that root.
    def root(d: float) -> float:
        lo, hi = 1.0, 2.0
        for _ in range(200):
            mid = (lo + hi) / 2
            if mid ** -(3 + d) + mid ** -5 > 1:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    h = 1e-5
    expected = (root(1 + h) - root(1 - h)) / (2 * h) / root(1)
    m = loopdsl.load(MODELS / "amazon_napkin.loop")
    levers = {(lv.source, lv.target): lv for lv in leverage(m.graph)}
    assert levers["sellers", "selection"].delay_elasticity == pytest.approx(expected, rel=1e-6)
    assert expected < 0


def test_a_declared_sign_stands_where_the_slope_is_zero():
    # At s = 0 the slope of a = s * s is 0: the loop's sign is unknown unless declared.
    text = "stock s initial 0\naux a = s * s\nflow f = a * 2 to s\n"
    (loop,) = loopdsl.loads(text).find_loops()
    assert loop.polarity == "U" and loop.gain == 0
    (loop,) = loopdsl.loads(text + "s -[+]-> a\n").find_loops()
    assert loop.polarity == "R" and loop.gain == 0
    # elsewhere the slope decides: at s = 3 it is 2 * 3
    (loop,) = loopdsl.loads(text.replace("initial 0", "initial 3")).find_loops()
    assert loop.polarity == "R" and loop.gain == pytest.approx(6 * 2 * 1)


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_hostile_labels_stay_on_their_row(fmt):
    m = loopdsl.loads('model m "two\\nlines"\nnode a "new\\nline|pipe\\ttab"\n'
                      'loop R1 "title\\nbreak" reinforcing: a -> b\na -> b -> a')
    text = render(m.loop_report(), fmt)
    rows = [line for line in text.splitlines() if "R1" in line and "→" in line]
    assert len(rows) == 1
    assert "new line" in rows[0] and "title break" in rows[0]
    if fmt == "md":
        assert "line\\|pipe" in rows[0] and rows[0].count(" | ") == 6


def test_a_negative_gain_turns_the_link_round():
    (loop,) = loopdsl.loads("a -[gain -2]-> a").find_loops()
    assert (loop.polarity, loop.gain) == ("B", -2.0)


@pytest.mark.parametrize("text,note", [
    ("a -[delay 1e9]-> b -> a", "too long to linearise"),
    ("time 0 to 1 step 1e-300\na -> b -> a", "too long to linearise"),
    ("stock s initial 1e308\nflow f = s * s to s", "unknown sign, gain or delay"),
    ("a -[gain 1e200]-> b -[gain 1e200]-> a", None),
])
def test_extreme_numbers_give_notes_not_tracebacks(text, note, tmp_path, capsys):
    path = tmp_path / "x.loop"
    path.write_text(text + "\n", encoding="utf-8")
    for fmt in ("table", "json"):
        code, out, err = run(["loops", str(path), "--format", fmt], capsys)
        assert code == 0 and "Traceback" not in err and "Warning" not in err
    data = json.loads(out)
    if note is None:
        assert data["system"]["growth_per_time"] == pytest.approx(1e200)
    else:
        assert note in data["system"]["note"] and data["system"]["growth_per_time"] is None


def test_random_models_are_not_linearised_by_finite_differences():
    m = loopdsl.loads("stock s initial 10\nflow f = s * 0.1 * RANDOM(0.5, 1.5) to s")
    report = m.loop_report()
    assert report.system.method == "gain matrix"
    # RANDOM has no slope: the loop's sign and gain are unknown, and so is the growth
    assert report.loops[0].polarity == "U" and report.system.growth_per_time is None
