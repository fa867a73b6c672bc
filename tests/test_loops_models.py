"""Loop analysis of every bundled model, against expectations computed by hand.

Each expected gain is written as the product of the link gains read off the model file
(declared links without a gain have gain 1; the delay of a link without one is 1 time
unit), each cycle time as the sum of the delays, and the loop lists were enumerated by
hand from the links (see the comments). The system growth factors are checked against
the characteristic equation of the loop structure, not against a stored number.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import loopdsl
from loopdsl.analysis.report import FUNNEL_MESSAGE

MODELS = Path(__file__).resolve().parents[1] / "models"


def load(name: str) -> loopdsl.Model:
    return loopdsl.load(MODELS / f"{name}.loop")


def table(loops) -> dict[tuple[str, ...], tuple[str, float, float]]:
    return {lp.nodes: (lp.polarity, lp.gain, lp.cycle_time) for lp in loops}


def check(loops, expected: dict[tuple[str, ...], tuple[str, float, float]]) -> None:
    found = table(loops)
    assert set(found) == set(expected)
    for path, (polarity, gain, delay) in expected.items():
        got = found[path]
        assert got[0] == polarity, path
        assert got[1] == pytest.approx(gain, rel=1e-12, abs=1e-15), path
        assert got[2] == pytest.approx(delay), path


def ids(loops) -> dict[tuple[str, ...], str]:
    return {lp.nodes: lp.id for lp in loops}


def test_napkin_signs_only():
    # Two wheels sharing experience -> traffic; every gain and delay defaulted to 1.
    loops = load("amazon_napkin").find_loops()
    big = ("experience", "traffic", "sellers", "selection")
    small = ("experience", "traffic", "growth", "lower_cost", "lower_prices")
    check(loops, {big: ("R", 1.0, 4.0), small: ("R", 1.0, 5.0)})
    assert [lp.id for lp in loops] == ["R1", "R2"]  # shorter first
    assert [lp.growth_per_time for lp in loops] == [1.0, 1.0]
    # Together: x(t) = x(t-4) + x(t-5), so the growth factor g solves g^5 = g + 1.
    g = load("amazon_napkin").loop_report().system.growth_per_time
    assert g ** 5 == pytest.approx(g + 1, rel=1e-9)
    assert 1.16 < g < 1.17


def test_amazon_flywheel():
    m = load("amazon_flywheel")
    loops = m.find_loops()
    big = ("experience", "traffic", "sellers", "selection")
    small = ("experience", "traffic", "growth", "lower_cost", "lower_prices")
    check(loops, {big: ("R", 1.2 * 0.5 * 2 * 0.8, 4.0),
                  small: ("R", 1.2 * 0.5 * 0.4 * 1 * 0.5, 1 + 1 + 3 + 1 + 1)})
    assert ids(loops) == {big: "R1", small: "R2"}
    assert loops[0].title == "Big wheel" and loops[0].declared
    assert loops[0].growth_per_time == pytest.approx(0.96 ** 0.25)
    # Characteristic equation: 1 = 0.96 g^-4 + 0.12 g^-7.
    g = m.loop_report().system.growth_per_time
    assert 0.96 * g ** -4 + 0.12 * g ** -7 == pytest.approx(1.0, rel=1e-9)
    assert m.loop_report().system.sustains is True


def test_amazon_gears():
    # Every loop but the AWS one returns to members through prime_value; from members
    # -> purchases the ways to prime_value are: via sellers -> FBA (a), via sellers ->
    # bargaining -> prices (b), the same then prices -> FBA (c), via bargaining (d),
    # bargaining -> prices -> FBA (e), via volume -> logistics (f), and f then FBA (g).
    head = 2 * 0.9  # members -> purchases and prime_value -> members
    m, p, pv = "members", "purchases", "prime_value"
    expected = {
        (m, p, "sellers", "fba_sellers", "prime_selection", pv):
            ("R", head * 0.5 * 0.6 * 2 * 0.5, 6.0),
        (m, p, "sellers", "bargaining", "prices", pv): ("R", head * 0.5 * 0.2 * 0.5 * 0.5, 6.0),
        (m, p, "sellers", "bargaining", "prices", "fba_sellers", "prime_selection", pv):
            ("R", head * 0.5 * 0.2 * 0.5 * 0.3 * 2 * 0.5, 8.0),
        (m, p, "bargaining", "prices", pv): ("R", head * 0.4 * 0.5 * 0.5, 5.0),
        (m, p, "bargaining", "prices", "fba_sellers", "prime_selection", pv):
            ("R", head * 0.4 * 0.5 * 0.3 * 2 * 0.5, 7.0),
        (m, p, "volume", "logistics_cost", "prices", pv): ("R", head * 0.5 * 0.4 * 0.5 * 0.5, 7.0),
        (m, p, "volume", "logistics_cost", "prices", "fba_sellers", "prime_selection", pv):
            ("R", head * 0.5 * 0.4 * 0.5 * 0.3 * 2 * 0.5, 9.0),
        ("sellers", "aws_sellers", "lock_in"): ("R", 0.5 * 0.6 * 0.5, 3.0),
    }
    loops = load("amazon_gears").find_loops()
    check(loops, expected)
    # Declared R1..R4 first in declaration order; then R5.. by length, then node order.
    assert [lp.id for lp in loops] == [f"R{i}" for i in range(1, 9)]
    assert [lp.declared for lp in loops] == [True] * 4 + [False] * 4
    assert [lp.length for lp in loops[4:]] == [6, 7, 8, 8]
    assert loops[6].nodes[2] == "sellers" and loops[7].nodes[2] == "volume"


def test_amazon_operations():
    # research has no incoming link. From optimisation back to sales: via listing (R1),
    # pricing (R2), marketing (R3), fulfilment (R4); and sales -> inventory closes B1.
    s, a, o = "sales", "analysis", "optimisation"
    expected = {
        ("listing", "inventory", "fulfilment", "marketing", s, a, o):
            ("R", 1 * 0.9 * 0.9 * 1 * 1 * 1 * 0.8, 1 + 2 + 1 + 1 + 1 + 1 + 1),
        ("pricing", s, a, o): ("R", 0.5 * 1 * 1 * 0.5, 4.0),
        ("marketing", s, a, o): ("R", 1 * 1 * 1 * 0.3, 4.0),
        ("fulfilment", "marketing", s, a, o): ("R", 0.9 * 1 * 1 * 1 * 0.3, 5.0),
        ("inventory", "fulfilment", "marketing", s): ("B", -(0.9 * 0.9 * 1 * 0.2), 4.0),
    }
    loops = load("amazon_operations").find_loops()
    check(loops, expected)
    assert [lp.id for lp in loops] == ["R1", "R2", "R3", "R4", "B1"]
    b1 = loops[4]
    assert b1.growth_per_time is None  # a negative gain has no growth factor


def test_distribution_alliance():
    # X -> shares -> signups -> orders -> amount is common: 0.05 * 0.6 * 200 = 6.
    c = 0.05 * 0.6 * 200
    chain = ("shares", "signups", "orders", "amount")
    expected = {
        ("tier1", *chain, "commission"): ("R", 20 * c * 0.1 * 0.008, 5 + 2),
        ("tier2", *chain, "override"): ("R", 15 * c * 0.03 * 0.01, 6.0),
        ("tier3", *chain, "override"): ("R", 10 * c * 0.03 * 0.005, 6.0),
        ("tier1", "tier2", *chain, "commission"): ("R", 0.05 * 15 * c * 0.1 * 0.008, 6 + 2),
        ("tier1", "tier2", "tier3", *chain, "commission"):
            ("R", 0.05 * 0.03 * 10 * c * 0.1 * 0.008, 7 + 2),
        ("tier2", "tier3", *chain, "override"): ("R", 0.03 * 10 * c * 0.03 * 0.01, 7.0),
    }
    m = load("distribution_alliance")
    loops = m.find_loops()
    check(loops, expected)
    assert [lp.id for lp in loops][:3] == ["R1", "R2", "R3"]
    # The tiers' decay keeps 0.9, 0.85 and 0.8 of their value each month: the linearised
    # system is more than any loop alone, and still sustains itself.
    g = m.loop_report().system.growth_per_time
    assert g > 0.9 and g > max(lp.growth_per_time for lp in loops)


@pytest.mark.parametrize("name", ["affiliate_four_rings", "affiliate_four_rings_zh"])
def test_affiliate_four_rings(name):
    # Every loop closes through the centre, repeat -> UGC (gain 0.5, delay 1). Into the
    # repeat purchase from exposure there are two ways:
    via_first = (0.05 * 0.2 * 0.2, 1 + 1 + 2)  # exposure -> deal_clicks -> first_orders -> repeat
    via_deal = (0.05 * 0.02, 1 + 1)            # exposure -> deal_clicks -> repeat
    # and out of UGC back to exposure four ways (gain, delay):
    trusted = (400, 1)                         # ugc -> exposure
    fission = (2 * 30 * 1, 3)                  # ugc -> shares -> fission -> exposure
    content = (1 * 0.02 * 5 * 1000, 4)         # ugc -> data -> optimisation -> content -> exp.
    recruiting = (1 * 0.02 * 2 * 3 * 1000, 5)  # ... optimisation -> affiliates -> content -> exp.
    reviews = (1 * 0.2 * 0.5, 1 + 2 + 1)       # ugc -> first_orders -> repeat -> ugc

    def closing(out, into):  # ugc -> ... -> exposure -> ... -> repeat -> ugc
        return (out[0] * into[0] * 0.5, out[1] + into[1] + 1)

    expected = {  # id: (gain, cycle time, links)
        "R1": (*closing(trusted, via_first), 5),
        "R2": (*reviews, 3),
        "R3": (*closing(fission, via_first), 7),
        "R4": (*closing(content, via_first), 8),
        "R5": (*closing(recruiting, via_first), 9),
        "R6": (*closing(trusted, via_deal), 4),
        # the undeclared loops, numbered after the declared ones, shortest first
        "R7": (*closing(fission, via_deal), 6),
        "R8": (*closing(content, via_deal), 7),
        "R9": (*closing(recruiting, via_deal), 8),
    }
    m = load(name)
    loops = m.find_loops()
    assert [lp.id for lp in loops] == list(expected)
    for lp in loops:
        gain, cycle, length = expected[lp.id]
        assert lp.polarity == "R" and lp.length == length, lp.id
        assert lp.gain == pytest.approx(gain, rel=1e-12), lp.id
        assert lp.cycle_time == pytest.approx(cycle), lp.id
    assert [round(expected[i][0], 12) for i in expected] == \
        [0.4, 0.1, 0.06, 0.1, 0.12, 0.2, 0.03, 0.05, 0.06]
    assert [expected[i][1] for i in expected] == [6, 4, 8, 9, 10, 4, 6, 7, 8]
    report = m.loop_report()
    # The hub: UGC and repeat purchase are in all nine loops, exposure and deal clicks in
    # eight (all but R2), first orders in five (not R6-R9).
    hub = [(h.loops, h.label) for h in report.system.hub_nodes]
    assert [n for n, _ in hub] == [9, 9, 8, 8, 5]
    assert hub[0][1].startswith("UGC") and hub[1][1] in ("Repeat purchase", "复购")
    assert report.system.hub_links[0].loops == 9  # repeat -> UGC
    # No loop reaches 1 alone; together they do. Every loop passes through UGC and the graph
    # without UGC has no loop, so UGC obeys u(t) = sum of gain * u(t - cycle time) over
    # the loops, and the growth factor g solves sum(gain * g ** -cycle) = 1.
    assert all(lp.growth_per_time < 1 for lp in loops)
    assert sum(g for g, _, _ in expected.values()) == pytest.approx(1.12)
    g = report.system.growth_per_time
    assert sum(gain * g ** -cycle for gain, cycle, _ in expected.values()) == \
        pytest.approx(1, rel=1e-6)
    assert 1.01 < g < 1.03
    assert report.system.sustains is True


def test_affiliate_chinese_labels_match_english():
    en = load("affiliate_four_rings").find_loops()
    zh = load("affiliate_four_rings_zh").find_loops()
    assert [(lp.id, lp.gain, lp.cycle_time, lp.polarity) for lp in en] == \
        [(lp.id, lp.gain, lp.cycle_time, lp.polarity) for lp in zh]
    assert all(lp.nodes[0] == "UGC" and "复购" in lp.nodes for lp in zh)


def test_flywheel_vs_funnel():
    flywheel = load("flywheel_vs_funnel")
    loops = flywheel.find_loops()
    check(loops, {
        ("attention", "interest", "desire", "action", "delighted", "referrals"):
            ("R", 0.3 * 0.3 * 0.2 * 0.9 * 5 * 10, 6.0),
        ("action", "delighted"): ("R", 0.9 * 0.3, 2.0),
    })
    funnel = load("funnel_aida").loop_report()
    assert funnel.funnel and list(funnel.loops) == [] and not funnel.truncated
    assert funnel.system.growth_per_time == 0.0 and funnel.system.sustains is False
    wheel = flywheel.loop_report()
    assert not wheel.funnel
    # 1 = 0.81 g^-6 + 0.27 g^-2: the two loops together exceed 1 (0.81 + 0.27 = 1.08).
    g = wheel.system.growth_per_time
    assert 0.81 * g ** -6 + 0.27 * g ** -2 == pytest.approx(1.0, rel=1e-9)
    assert g > 1 and wheel.system.sustains
    from loopdsl.analysis.formats import render
    assert FUNNEL_MESSAGE in render(funnel, "table")
    assert FUNNEL_MESSAGE not in render(wheel, "table")


def test_referral_stock_flow_slopes():
    # Initial state: клиенты 100, рынок 100000; доля_рынка = 100 / 100100;
    # насыщение is 1 - 0.6 x on [0, 0.5]; доля_приглашающих = lookup(500) = 0.1.
    m = load("referral_ru")
    share = 100 / 100100
    conversion = 0.2 * (1 - 0.6 * share)
    invites = 100 * 0.1 * 10
    loops = {lp.id: lp for lp in m.find_loops()}
    assert set(loops) == {"R1", "B1", "B2", "B3"}
    r1, b1, b2, b3 = loops["R1"], loops["B1"], loops["B2"], loops["B3"]
    assert r1.nodes == ("клиенты", "приглашения", "привлечение")
    assert r1.gain == pytest.approx(0.1 * 10 * conversion * 1, rel=1e-8)
    d_share_d_clients = 100000 / 100100 ** 2
    assert b1.gain == pytest.approx(d_share_d_clients * (0.2 * -0.6) * invites, rel=1e-6)
    assert b2.gain == pytest.approx(-0.04, rel=1e-9)
    d_share_d_market = -100 / 100100 ** 2
    assert b3.gain == pytest.approx(d_share_d_market * (0.2 * -0.6) * invites * -1, rel=1e-5)
    assert b3.nodes[0] == "рынок" and not b3.declared
    for lp in (r1, b1, b2, b3):
        assert lp.cycle_time == 0 and lp.stocks == 1
    # One stock, dt 0.25 months: the loop alone grows (1 + gain dt) per step.
    assert r1.growth_per_time == pytest.approx((1 + r1.gain * 0.25) ** 4)
    assert b2.growth_per_time == pytest.approx(0.99 ** 4)


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.loop")), ids=lambda p: p.stem)
def test_generic_invariants(path):
    m = loopdsl.load(path)
    loops = m.find_loops()
    G = m.graph
    import networkx as nx
    assert len(loops) == sum(1 for _ in nx.simple_cycles(G))
    assert len({lp.nodes for lp in loops}) == len(loops)
    assert len({lp.id for lp in loops}) == len(loops)
    order = {n: i for i, n in enumerate(G)}
    for lp in loops:
        assert order[lp.nodes[0]] == min(order[n] for n in lp.nodes)
        for u, v in lp.links:
            assert G.has_edge(u, v)
    for decl in m.loops:
        assert any(lp.id == decl.id and set(lp.nodes) == set(decl.path) for lp in loops)
    figures = m.loop_report().system
    assert figures.growth_per_time is not None and math.isfinite(figures.growth_per_time)
