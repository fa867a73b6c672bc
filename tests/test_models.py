"""Golden tests for the bundled models (models/*.loop), plus JSON and printer round trips.

The expectations below are written by hand from each model's story (its seed), not dumped
from the compiler: node ids, kinds, labels, groups, every declared link with its polarity,
gain and delay (``None`` where the model leaves the default), and the declared loops.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import loopdsl
from loopdsl.model import Model

MODELS = Path(__file__).resolve().parents[1] / "models"

# A node: (kind, label, group). A link: (source, target): (polarity, gain, delay).
# A loop: id -> (polarity "R"/"B", path without repeating the first node).

NAPKIN_NODES = {n: ("node", n, None) for n in
                ("experience", "traffic", "sellers", "selection", "growth", "lower_cost",
                 "lower_prices")}

FLYWHEEL = {
    "title": "The Amazon flywheel",
    "time": (0, 36, 1, "month"),
    "groups": {"big": "Big wheel", "small": "Small wheel"},
    "nodes": {
        "push_size": ("const", "Push per month", None),
        "push_months": ("const", "Months of push", None),
        "experience": ("node", "Customer experience", "big"),
        "traffic": ("node", "Traffic", "big"),
        "sellers": ("node", "Third-party sellers", "big"),
        "selection": ("node", "Selection", "big"),
        "growth": ("node", "Growth", "small"),
        "lower_cost": ("node", "Lower cost structure", "small"),
        "lower_prices": ("node", "Lower prices", "small"),
    },
    "links": {
        ("experience", "traffic"): (1, 1.2, 1.0),
        ("traffic", "sellers"): (1, 0.5, 1.0),
        ("sellers", "selection"): (1, 2.0, 1.0),
        ("selection", "experience"): (1, 0.8, 1.0),
        ("traffic", "growth"): (1, 0.5, 1.0),
        ("growth", "lower_cost"): (1, 0.4, 3.0),
        ("lower_cost", "lower_prices"): (1, 1.0, 1.0),
        ("lower_prices", "experience"): (1, 0.5, 1.0),
    },
    "loops": {
        "R1": ("R", ["experience", "traffic", "sellers", "selection"]),
        "R2": ("R", ["experience", "traffic", "growth", "lower_cost", "lower_prices"]),
    },
    "scenarios": {"no_push": {"push_size"}, "push12": {"push_months"}},
}

AFFILIATE_LINKS = {
    # rings 1 and 2, from affiliates to first orders
    ("affiliates", "content"): (1, 3.0, 1.0),
    ("content", "exposure"): (1, 1000.0, 1.0),
    ("exposure", "deal_clicks"): (1, 0.05, 1.0),
    ("deal_clicks", "first_orders"): (1, 0.2, 1.0),
    # into the centre
    ("first_orders", "repeat"): (1, 0.2, 2.0),
    ("deal_clicks", "repeat"): (1, 0.02, 1.0),
    ("repeat", "ugc"): (1, 0.5, 1.0),
    # out of the centre, into each ring
    ("ugc", "exposure"): (1, 400.0, 1.0),
    ("ugc", "first_orders"): (1, 1.0, 1.0),
    ("ugc", "shares"): (1, 2.0, 1.0),
    ("shares", "fission"): (1, 30.0, 1.0),
    ("fission", "exposure"): (1, 1.0, 1.0),
    ("ugc", "data"): (1, 1.0, 1.0),
    ("data", "optimisation"): (1, 0.02, 1.0),
    ("optimisation", "content"): (1, 5.0, 1.0),
    ("optimisation", "affiliates"): (1, 2.0, 1.0),
}

AFFILIATE = {
    "title": "The affiliate four-ring loop",
    "time": (0, 36, 1, "month"),
    "groups": {"content_ring": "Content-driven exposure", "deal_ring": "Coupon & deal conversion",
               "fission_ring": "Second-tier affiliate amplification",
               "data_ring": "Data closed-loop optimisation", "hub": "Repeat purchase and UGC"},
    "nodes": {
        "recruits": ("const", "New affiliates per month of the drive", None),
        "drive_months": ("const", "Months of the recruiting drive", None),
        "affiliates": ("node", "Affiliates and KOLs", "content_ring"),
        "content": ("node", "Content: media, reviews, unboxing, comparisons", "content_ring"),
        "exposure": ("node", "Exposure", "content_ring"),
        "deal_clicks": ("node", "Exclusive coupon and deal clicks", "deal_ring"),
        "first_orders": ("node", "First orders", "deal_ring"),
        "shares": ("node", "Links shared by buyers and small affiliates", "fission_ring"),
        "fission": ("node", "Social fission reach", "fission_ring"),
        "data": ("node", "Conversion data per affiliate", "data_ring"),
        "optimisation": ("node", "Optimised content topics and recruiting", "data_ring"),
        "repeat": ("node", "Repeat purchase", "hub"),
        "ugc": ("node", "UGC: good reviews and spontaneous shares", "hub"),
    },
    "links": AFFILIATE_LINKS,
    "loops": {
        "R1": ("R", ["ugc", "exposure", "deal_clicks", "first_orders", "repeat"]),
        "R2": ("R", ["ugc", "first_orders", "repeat"]),
        "R3": ("R", ["ugc", "shares", "fission", "exposure", "deal_clicks", "first_orders",
                     "repeat"]),
        "R4": ("R", ["ugc", "data", "optimisation", "content", "exposure", "deal_clicks",
                     "first_orders", "repeat"]),
        "R5": ("R", ["ugc", "data", "optimisation", "affiliates", "content", "exposure",
                     "deal_clicks", "first_orders", "repeat"]),
        "R6": ("R", ["ugc", "exposure", "deal_clicks", "repeat"]),
    },
    "scenarios": {"no_drive": {"recruits"}, "long_drive": {"drive_months"}},
}

# The Chinese version: the same model, identifier by identifier.
ZH_IDS = {
    "recruits": "招募量", "drive_months": "招募月数", "affiliates": "联盟客", "content": "内容",
    "exposure": "曝光", "deal_clicks": "优惠点击", "first_orders": "首单", "shares": "分享",
    "fission": "裂变", "data": "数据", "optimisation": "优化", "repeat": "复购", "ugc": "UGC",
}
ZH_GROUPS = {"content_ring": "环1", "deal_ring": "环2", "fission_ring": "环3",
             "data_ring": "环4", "hub": "中心"}
AFFILIATE_ZH = {
    "title": "联盟营销四环飞轮",
    "time": (0, 36, 1, "月"),
    # The seed's own labels for the four rings and the centre.
    "groups": {"环1": "内容驱动曝光", "环2": "Coupon&Deal精准转化", "环3": "二级联盟放大",
               "环4": "数据闭环优化", "中心": "复购·UGC沉淀"},
    "nodes": {
        "招募量": ("const", "每月招募的新联盟客", None),
        "招募月数": ("const", "招募活动月数", None),
        "联盟客": ("node", "联盟客/KOL", "环1"),
        "内容": ("node", "媒体/测评/开箱/对比内容", "环1"),
        "曝光": ("node", "内容曝光", "环1"),
        "优惠点击": ("node", "专属优惠码/Deal点击", "环2"),
        "首单": ("node", "首单", "环2"),
        "分享": ("node", "已购消费者与小联盟客分享链接", "环3"),
        "裂变": ("node", "社交裂变覆盖", "环3"),
        "数据": ("node", "各联盟客转化数据", "环4"),
        "优化": ("node", "优化内容选题与联盟客招募", "环4"),
        "复购": ("node", "复购", "中心"),
        "UGC": ("node", "UGC: 好评与自发分享", "中心"),
    },
    "links": {(ZH_IDS[a], ZH_IDS[b]): v for (a, b), v in AFFILIATE_LINKS.items()},
    "loops": {
        "R1": ("R", ["UGC", "曝光", "优惠点击", "首单", "复购"]),
        "R2": ("R", ["UGC", "首单", "复购"]),
        "R3": ("R", ["UGC", "分享", "裂变", "曝光", "优惠点击", "首单", "复购"]),
        "R4": ("R", ["UGC", "数据", "优化", "内容", "曝光", "优惠点击", "首单", "复购"]),
        "R5": ("R", ["UGC", "数据", "优化", "联盟客", "内容", "曝光", "优惠点击", "首单", "复购"]),
        "R6": ("R", ["UGC", "曝光", "优惠点击", "复购"]),
    },
    "scenarios": {"不招募": {"招募量"}, "长期招募": {"招募月数"}},
}

GEARS = {
    "title": "Prime, Marketplace, FBA and AWS",
    "time": (0, 40, 1, "quarter"),
    "groups": {"prime": "Prime", "marketplace": "Marketplace", "fba": "FBA", "aws": "AWS"},
    "nodes": {
        "members": ("node", "Prime members", "prime"),
        "purchases": ("node", "Purchases (frequency and amount)", "prime"),
        "prime_value": ("node", "Value of a Prime membership", "prime"),
        "sellers": ("node", "Third-party sellers", "marketplace"),
        "bargaining": ("node", "Amazon's bargaining power", "marketplace"),
        "prices": ("node", "Prices", "marketplace"),
        "fba_sellers": ("node", "Sellers using FBA", "fba"),
        "prime_selection": ("node", "Goods eligible for Prime", "fba"),
        "volume": ("node", "Goods handled per day", "fba"),
        "logistics_cost": ("node", "Logistics cost per item", "fba"),
        "aws_sellers": ("node", "Sellers running their systems on AWS", "aws"),
        "lock_in": ("node", "Seller lock-in", "aws"),
    },
    "links": {
        ("members", "purchases"): (1, 2.0, 1.0),
        ("purchases", "sellers"): (1, 0.5, 1.0),
        ("sellers", "fba_sellers"): (1, 0.6, 1.0),
        ("fba_sellers", "prime_selection"): (1, 2.0, 1.0),
        ("prime_selection", "prime_value"): (1, 0.5, 1.0),
        ("prime_value", "members"): (1, 0.9, 1.0),
        ("purchases", "bargaining"): (1, 0.4, 1.0),
        ("sellers", "bargaining"): (1, 0.2, 1.0),
        ("bargaining", "prices"): (-1, 0.5, 1.0),
        ("prices", "prime_value"): (-1, 0.5, 1.0),
        ("prices", "fba_sellers"): (-1, 0.3, 1.0),
        ("purchases", "volume"): (1, 0.5, 1.0),
        ("volume", "logistics_cost"): (-1, 0.4, 2.0),
        ("logistics_cost", "prices"): (1, 0.5, 1.0),
        ("sellers", "aws_sellers"): (1, 0.5, 1.0),
        ("aws_sellers", "lock_in"): (1, 0.6, 1.0),
        ("lock_in", "sellers"): (1, 0.5, 1.0),
    },
    "loops": {
        "R1": ("R", ["members", "purchases", "sellers", "fba_sellers", "prime_selection",
                     "prime_value"]),
        "R2": ("R", ["members", "purchases", "bargaining", "prices", "prime_value"]),
        "R3": ("R", ["members", "purchases", "volume", "logistics_cost", "prices",
                     "prime_value"]),
        "R4": ("R", ["sellers", "aws_sellers", "lock_in"]),
    },
    "scenarios": {},
}

DISTRIBUTION = {
    "title": "Distribution alliance with tiered commission",
    "time": (0, 24, 1, "month"),
    "groups": {"tiers": "Distributors (three tiers at most)", "results": "Measured results",
               "rewards": "Commission"},
    "nodes": {
        "seeding": ("const", "Seed distributors recruited per month", None),
        "seeding_months": ("const", "Months of seeding", None),
        "tier1": ("node", "Tier-1 distributors: KOLs, loyal customers, partners, employees",
                  "tiers"),
        "tier2": ("node", "Tier-2 distributors", "tiers"),
        "tier3": ("node", "Tier-3 distributors", "tiers"),
        "shares": ("node", "Views and shares", "results"),
        "signups": ("node", "New sign-ups", "results"),
        "orders": ("node", "Orders", "results"),
        "amount": ("node", "Order amount", "results"),
        "commission": ("node", "Commission on own orders", "rewards"),
        "override": ("node", "Upper tiers' commission on lower tiers' orders", "rewards"),
    },
    "links": {
        ("tier1", "shares"): (1, 20.0, 1.0),
        ("tier2", "shares"): (1, 15.0, 1.0),
        ("tier3", "shares"): (1, 10.0, 1.0),
        ("shares", "signups"): (1, 0.05, 1.0),
        ("signups", "orders"): (1, 0.6, 1.0),
        ("orders", "amount"): (1, 200.0, 1.0),
        ("amount", "commission"): (1, 0.1, 1.0),
        ("amount", "override"): (1, 0.03, 1.0),
        ("commission", "tier1"): (1, 0.008, 2.0),
        ("tier1", "tier2"): (1, 0.05, 1.0),
        ("tier2", "tier3"): (1, 0.03, 1.0),
        ("override", "tier2"): (1, 0.01, 1.0),
        ("override", "tier3"): (1, 0.005, 1.0),
    },
    "loops": {
        "R1": ("R", ["tier1", "shares", "signups", "orders", "amount", "commission"]),
        "R2": ("R", ["tier2", "shares", "signups", "orders", "amount", "override"]),
        "R3": ("R", ["tier3", "shares", "signups", "orders", "amount", "override"]),
    },
    "scenarios": {"no_seeding": {"seeding"}, "long_seeding": {"seeding_months"}},
}

AIDA_NODES = {
    "ad_reach": ("const", "People reached by ads per month", None),
    "ad_months": ("const", "Months of advertising", None),
    "attention": ("node", "Attention", "funnel"),
    "interest": ("node", "Interest", "funnel"),
    "desire": ("node", "Desire", "funnel"),
    "action": ("node", "Action: purchase", "funnel"),
}
AIDA_LINKS = {
    ("attention", "interest"): (1, 0.3, 1.0),
    ("interest", "desire"): (1, 0.3, 1.0),
    ("desire", "action"): (1, 0.2, 1.0),
}

FUNNEL = {
    "title": "AIDA funnel",
    "time": (0, 36, 1, "month"),
    "groups": {"funnel": "AIDA funnel"},
    "nodes": AIDA_NODES,
    "links": AIDA_LINKS,
    "loops": {},
    "scenarios": {"ads_always": {"ad_months"}},
}

FLYWHEEL_VS_FUNNEL = {
    "title": "The funnel closed into a flywheel",
    "time": (0, 36, 1, "month"),
    "groups": {"funnel": "AIDA funnel", "wheel": "Flywheel"},
    "nodes": {**AIDA_NODES,
              "delighted": ("node", "Delighted customers", "wheel"),
              "referrals": ("node", "Recommendations", "wheel")},
    "links": {**AIDA_LINKS,
              ("action", "delighted"): (1, 0.9, 1.0),
              ("delighted", "action"): (1, 0.3, 1.0),
              ("delighted", "referrals"): (1, 5.0, 1.0),
              ("referrals", "attention"): (1, 10.0, 1.0)},
    "loops": {
        "R1": ("R", ["attention", "interest", "desire", "action", "delighted", "referrals"]),
        "R2": ("R", ["action", "delighted"]),
    },
    "scenarios": {"ads_always": {"ad_months"}, "no_ads": {"ad_reach"}},
}

OPERATIONS = {
    "title": "亚马逊运营循环",
    "time": (0, 36, 1, "month"),
    "groups": {"research_stage": "选品及市场调研", "listing_stage": "产品上架及优化",
               "logistics_stage": "库存及物流管理", "service_stage": "订单履约及客服",
               "marketing_stage": "营销及推广", "analysis_stage": "绩效分析及优化"},
    "nodes": {
        "research": ("node", "选品及市场调研", "research_stage"),
        "pricing": ("node", "定价策略", "research_stage"),
        "listing": ("node", "产品上架及优化", "listing_stage"),
        "inventory": ("node", "库存及物流管理", "logistics_stage"),
        "fulfilment": ("node", "订单履约及客服", "service_stage"),
        "marketing": ("node", "营销及推广", "marketing_stage"),
        "sales": ("node", "销售额与订单量", "analysis_stage"),
        "analysis": ("node", "绩效分析", "analysis_stage"),
        "optimisation": ("node", "优化策略", "analysis_stage"),
    },
    "links": {
        ("research", "listing"): (1, 1.0, 1.0),
        ("listing", "inventory"): (1, 1.0, 2.0),
        ("inventory", "fulfilment"): (1, 0.9, 1.0),
        ("fulfilment", "marketing"): (1, 0.9, 1.0),
        ("marketing", "sales"): (1, 1.0, 1.0),
        ("sales", "analysis"): (1, 1.0, 1.0),
        ("analysis", "optimisation"): (1, 1.0, 1.0),
        ("optimisation", "listing"): (1, 0.8, 1.0),
        ("research", "pricing"): (1, 0.5, 1.0),
        ("pricing", "sales"): (1, 0.5, 1.0),
        ("optimisation", "pricing"): (1, 0.5, 1.0),
        ("optimisation", "marketing"): (1, 0.3, 1.0),
        ("optimisation", "fulfilment"): (1, 0.3, 1.0),
        ("sales", "inventory"): (-1, 0.2, 1.0),
    },
    "loops": {
        "R1": ("R", ["listing", "inventory", "fulfilment", "marketing", "sales", "analysis",
                     "optimisation"]),
        "R2": ("R", ["pricing", "sales", "analysis", "optimisation"]),
        "R3": ("R", ["marketing", "sales", "analysis", "optimisation"]),
        "R4": ("R", ["fulfilment", "marketing", "sales", "analysis", "optimisation"]),
        "B1": ("B", ["inventory", "fulfilment", "marketing", "sales"]),
    },
    "scenarios": {},
}

REFERRAL = {
    "title": "Реферальная программа",
    "time": (0, 36, 0.25, "месяц"),
    "groups": {"рост": "Привлечение", "удержание": "Удержание"},
    "nodes": {
        "рынок": ("stock", "Потенциальные клиенты", None),
        "клиенты": ("stock", "Клиенты", None),
        "привлечение": ("flow", "Новые клиенты", "рост"),
        "отток": ("flow", "Отток", "удержание"),
        "приглашения": ("aux", "Приглашения", "рост"),
        "доля_рынка": ("aux", "Доля рынка", None),
        "конверсия": ("aux", "Конверсия приглашений", "рост"),
        "реклама": ("aux", "Платная реклама", "рост"),
        "доля_приглашающих": ("aux", "Доля приглашающих", "рост"),
        "затраты": ("aux", "Затраты на бонусы", None),
        "насыщение": ("lookup", "Насыщение рынка", None),
        "бонус": ("const", "Бонус за приглашение", None),
        "приглашений_на_клиента": ("const", "Приглашений от одного приглашающего", None),
        "базовая_конверсия": ("const", "Базовая конверсия приглашений", None),
        "конверсия_рекламы": ("const", "Конверсия рекламы", None),
        "охват_рекламы": ("const", "Охват рекламы", None),
        "месяцев_рекламы": ("const", "Месяцев рекламы", None),
        "доля_оттока": ("const", "Доля оттока", None),
    },
    # The links that document the loops' signs; all immediate (delay 0), gain not given.
    "links": {
        ("клиенты", "приглашения"): (1, None, 0.0),
        ("приглашения", "привлечение"): (1, None, 0.0),
        ("клиенты", "доля_рынка"): (1, None, 0.0),
        ("доля_рынка", "конверсия"): (-1, None, 0.0),
        ("конверсия", "привлечение"): (1, None, 0.0),
        ("клиенты", "отток"): (1, None, 0.0),
        ("рынок", "доля_рынка"): (-1, None, 0.0),
    },
    "loops": {
        "R1": ("R", ["клиенты", "приглашения", "привлечение"]),
        "B1": ("B", ["клиенты", "доля_рынка", "конверсия", "привлечение"]),
        "B2": ("B", ["клиенты", "отток"]),
    },
    "scenarios": {"без_рекламы": {"охват_рекламы"}, "двойной_бонус": {"бонус"}},
}

NAPKIN = {
    "title": "The Amazon flywheel (napkin)",
    "time": None,
    "groups": {},
    "nodes": NAPKIN_NODES,
    "links": {(a, b): (1, None, None) for a, b in [
        ("experience", "traffic"), ("traffic", "sellers"), ("sellers", "selection"),
        ("selection", "experience"), ("traffic", "growth"), ("growth", "lower_cost"),
        ("lower_cost", "lower_prices"), ("lower_prices", "experience")]},
    "loops": {},
    "scenarios": {},
}

GOLDEN = {
    "amazon_napkin": NAPKIN,
    "amazon_flywheel": FLYWHEEL,
    "affiliate_four_rings": AFFILIATE,
    "affiliate_four_rings_zh": AFFILIATE_ZH,
    "amazon_gears": GEARS,
    "distribution_alliance": DISTRIBUTION,
    "funnel_aida": FUNNEL,
    "flywheel_vs_funnel": FLYWHEEL_VS_FUNNEL,
    "amazon_operations": OPERATIONS,
    "referral_ru": REFERRAL,
}

BUNDLED = sorted(MODELS.glob("*.loop"))


def test_every_bundled_model_has_a_golden() -> None:
    assert {p.stem for p in BUNDLED} == set(GOLDEN)


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {p.stem: loopdsl.load(p) for p in BUNDLED}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str, models: dict[str, Model]) -> None:
    m, want = models[name], GOLDEN[name]
    assert m.name == name
    assert m.title == want["title"]
    if want["time"] is None:
        assert m.time is None
    else:
        assert (m.time.start, m.time.stop, m.time.step, m.time.unit) == want["time"]
    assert {g.id: g.label for g in m.groups} == want["groups"]
    assert {n.id: (n.kind, n.display, n.group) for n in m.nodes} == want["nodes"]
    G = m.graph
    links = {(u, v): (d["polarity"], d["gain"], d["delay"])
             for u, v, d in G.edges(data=True) if d["origin"] == "link"}
    assert links == want["links"]
    for node_id, (kind, label, group) in want["nodes"].items():
        if kind != "lookup":  # a named lookup is a function, not a node of the graph
            assert G.nodes[node_id]["label"] == label and G.nodes[node_id]["group"] == group
    assert {l.id: (l.polarity, l.path) for l in m.loops} == want["loops"]
    assert {s.id: {a.target for a in s.assignments} for s in m.scenarios} == want["scenarios"]


def test_the_funnel_has_no_loop_and_the_flywheel_has(models: dict[str, Model]) -> None:
    import networkx as nx

    assert list(nx.simple_cycles(models["funnel_aida"].graph)) == []
    flywheel = models["flywheel_vs_funnel"].graph
    assert sorted(len(c) for c in nx.simple_cycles(flywheel)) == [2, 6]
    # The flywheel is the funnel plus a closing: every funnel link is in it unchanged.
    funnel = models["funnel_aida"].graph
    for u, v, d in funnel.edges(data=True):
        assert flywheel.edges[u, v] == d


def test_distribution_alliance_has_at_most_three_tiers(models: dict[str, Model]) -> None:
    G = models["distribution_alliance"].graph
    tiers = [n for n, g in G.nodes(data="group") if g == "tiers"]
    assert tiers == ["tier1", "tier2", "tier3"]
    # Tier 3 recruits nobody: its only way out is its shares.
    assert list(G.successors("tier3")) == ["shares"]


def test_zh_is_the_english_model_relabelled(models: dict[str, Model]) -> None:
    en, zh = models["affiliate_four_rings"].graph, models["affiliate_four_rings_zh"].graph
    rename = dict(ZH_IDS)
    assert {(rename[u], rename[v]): d["gain"] for u, v, d in en.edges(data=True)} == {
        (u, v): d["gain"] for u, v, d in zh.edges(data=True)}
    for en_id, zh_id in rename.items():
        assert en.nodes[en_id]["group"] in (None, *ZH_GROUPS) and (
            en.nodes[en_id]["group"] is None
            or ZH_GROUPS[en.nodes[en_id]["group"]] == zh.nodes[zh_id]["group"])
        assert en.nodes[en_id]["initial"] == zh.nodes[zh_id]["initial"]


def test_referral_is_a_stock_flow_model(models: dict[str, Model]) -> None:
    m = models["referral_ru"]
    inflow = m.node("привлечение")
    assert (inflow.source, inflow.target, inflow.non_negative) == ("рынок", "клиенты", True)
    assert m.node("отток").source == "клиенты" and m.node("отток").target is None
    assert m.node("доля_приглашающих").lookup.xs == [0, 500, 1000]
    assert m.node("насыщение").lookup.ys == [1, 0.7, 0.3, 0]
    assert [(d.target, d.dist, d.args) for d in m.distributions] == [
        ("базовая_конверсия", "uniform", [0.1, 0.3]),
        ("доля_оттока", "triangular", [0.02, 0.04, 0.08])]
    G = m.graph
    assert G.edges["привлечение", "клиенты"]["polarity"] == 1  # a flow fills its stock
    assert G.edges["привлечение", "рынок"]["polarity"] == -1  # and drains its source
    assert G.edges["отток", "клиенты"]["origin"] == "flow"
    assert G.edges["охват_рекламы", "реклама"]["origin"] == "equation"
    assert "насыщение" not in G


# --- round trips over every bundled model -----------------------------------------------

@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_json_round_trip(path: Path) -> None:
    m = loopdsl.load(path)
    again = Model.model_validate_json(m.model_dump_json())
    # Everything but the file name (``source``, excluded from JSON) comes back, positions too.
    assert again == m.model_copy(update={"source": None})
    assert again.content() == m.content()
    assert loopdsl.dumps(again) == loopdsl.dumps(m)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_printer_round_trip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    m = loopdsl.loads(text, str(path))
    printed = loopdsl.dumps(m)
    assert printed == text  # the bundled models are kept formatted (loopdsl fmt --check)
    again = loopdsl.loads(printed)
    assert again.content() == m.content()
    assert loopdsl.dumps(again) == printed


def test_fmt_keeps_comments_in_order_and_on_header_lines() -> None:
    text = ("# header comment\n"
            "model m \"M\"   # on the model line\n"
            "time 0 to 10 # ten months\n"
            "method rk4  # accurate\n"
            "# leading\n"
            "node a \"A\"\n"
            "    initial 5   # inside a\n"
            "    unit people # second inside\n"
            "a -> b   # trailing\n")
    m = loopdsl.loads(text)
    assert m.header_comments == ["header comment"]
    assert m.header_trailing == {"model": "on the model line", "time": "ten months",
                                 "method": "accurate"}
    assert m.node("a").comments == ["leading", "second inside"]
    printed = loopdsl.dumps(m)
    assert printed == ("# header comment\n"
                       "model m \"M\"  # on the model line\n"
                       "time 0 to 10 step 1  # ten months\n"
                       "method rk4  # accurate\n"
                       "\n"
                       "# leading\n"
                       "# second inside\n"
                       "node a \"A\" initial 5 unit people  # inside a\n"
                       "a -> b  # trailing\n")
    assert loopdsl.loads(printed).content() == m.content()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_each_model_tells_its_seed_and_marks_its_numbers(path: Path) -> None:
    m = loopdsl.load(path)
    story = "\n".join(m.header_comments)
    assert re.search(r"[Ss]eeds? 00[0-4]", story), "the header comment names its seed"
    numbers = any(l.gain is not None or l.delay is not None for l in m.links) or any(
        getattr(n, "equation", None) is not None for n in m.nodes)
    if numbers:
        assert "illustrative" in story.lower(), "the numbers are marked as illustrative"
