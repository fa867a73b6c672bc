"""Diagrams: conventions, hostile labels in every output, CLI behaviour."""

from __future__ import annotations

import html
import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pydot
import pytest

import loopdsl
from loopdsl.model import Group, Link, Model, PlainNode
from loopdsl.render import DiagramOptions, render, to_dot, to_mermaid
from mermaid_check import parse as parse_mermaid

ROOT = Path(__file__).resolve().parents[1]
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz 'dot' program is not "
                               "installed (.ci/setup installs it)")
SVG = "{http://www.w3.org/2000/svg}"

HOSTILE = [
    'He said "hi" \\ back',
    "<b>bold</b> & <script>alert(1)</script>",
    'x"]; evil [label="pwned',
    "braces {a|b} [c] (d) ;",
    "two\nlines & more",
    "\\N \\G \\l \\\\n",
    "#quot; %% end --> B",
    "Кэшбэк 返利 &amp;",
]


def loop_string(text: str) -> str:
    """``text`` as a .loop string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def hostile_model() -> tuple[Model, dict[str, str]]:
    """A model whose every label (nodes, group, link, title, loop title) is hostile."""
    ids = [f"h{i}" for i in range(len(HOSTILE))]
    lines = [f"model hostile {loop_string(HOSTILE[0])}",
             f"group g1 {loop_string(HOSTILE[1])}"]
    for node_id, text in zip(ids, HOSTILE):
        group = " in g1" if node_id == "h0" else ""
        lines.append(f"node {node_id} {loop_string(text)}{group}")
    lines.append(" -> ".join(ids + ids[:1]))
    lines.append(f"h1 -[- {loop_string(HOSTILE[2])}]-> h0")
    lines.append(f"loop R9 {loop_string(HOSTILE[3])}: " + " -> ".join(ids + ids[:1]))
    model = loopdsl.loads("\n".join(lines))
    return model, dict(zip(ids, HOSTILE))


def squash(text: str) -> str:
    """Whitespace normalised (labels wrap long lines at spaces)."""
    return " ".join(text.split())


def dot_label(raw: str, markup: bool = False) -> str:
    """The text a DOT HTML-like label shows (Graphviz reads a doubled backslash as one).

    With ``markup``, font tags are allowed and dropped; else any tag is a leak.
    """
    assert raw.startswith("<") and raw.endswith(">"), raw
    inner = raw[1:-1].replace("<BR/>", "\n")
    if markup:
        inner = re.sub(r"</?(FONT|B|I)\b[^<>]*>", "", inner)
    assert "<" not in inner and ">" not in inner, f"markup leaked into the label: {raw}"
    return html.unescape(inner).replace("\\\\", "\\")


def graph_attr(graph: pydot.Graph, name: str) -> str | None:
    """A graph attribute, set directly or in a ``graph [...]`` statement."""
    value = graph.get(name)
    for node in graph.get_nodes():
        if node.get_name() == "graph" and node.get(name) is not None:
            value = node.get(name)
    return value


def all_nodes(graph: pydot.Dot) -> dict[str, pydot.Node]:
    found = {}
    stack = [graph]
    while stack:
        g = stack.pop()
        for node in g.get_nodes():
            if node.get_name() not in ("graph", "node", "edge"):
                found[node.get_name().strip('"')] = node
        stack.extend(g.get_subgraphs())
    return found


def test_hostile_labels_survive_dot():
    model, labels = hostile_model()
    source = to_dot(model)
    graphs = pydot.graph_from_dot_data(source)
    assert graphs and len(graphs) == 1
    nodes = all_nodes(graphs[0])
    for node_id, text in labels.items():
        assert squash(dot_label(nodes[node_id].get_label())) == squash(text)
    assert "pwned" not in [n for n in nodes]  # no injected node
    clusters = [s for s in graphs[0].get_subgraphs() if s.get_name().startswith("cluster")]
    assert squash(dot_label(graph_attr(clusters[0], "label"))) == squash(HOSTILE[1])
    assert squash(dot_label(graph_attr(graphs[0], "label"))) == squash(HOSTILE[0])
    edge_labels = [e.get_label() for e in graphs[0].get_edges() if e.get_label()]
    assert squash(HOSTILE[2]) in [squash(dot_label(lbl)) for lbl in edge_labels]


@needs_dot
def test_hostile_labels_survive_svg():
    model, labels = hostile_model()
    svg = render(model, "svg")
    root = ET.fromstring(svg)  # parses: nothing broke out of the XML
    assert not root.findall(f".//{SVG}script")
    texts = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title").text
            texts[title] = "\n".join(t.text or "" for t in group.iter(f"{SVG}text"))
    for node_id, text in labels.items():
        assert squash(texts[node_id]) == squash(text)
    every_text = squash(" ".join(t.text or "" for t in root.iter(f"{SVG}text")))
    assert squash(HOSTILE[3]) in every_text  # the loop's title, beside its marker
    assert squash(HOSTILE[2]) in every_text  # the link's label


def test_hostile_labels_survive_mermaid():
    model, labels = hostile_model()
    chart = parse_mermaid(to_mermaid(model))
    shown = sorted(chart["nodes"].values())
    for text in labels.values():
        assert text in shown
    assert list(chart["subgraphs"].values()) == [HOSTILE[1]]
    assert ("−" + " " + HOSTILE[2]) in [label for _, _, label in chart["edges"]]


def test_mermaid_checker_rejects_a_broken_label():
    with pytest.raises(ValueError):
        parse_mermaid('flowchart TB\n    n0("a"b")\n')
    with pytest.raises(ValueError):
        parse_mermaid('flowchart TB\n    n0("<img src=x>")\n')


def test_keyword_identifiers_stay_nodes():
    names = ["node", "edge", "graph", "subgraph", "strict", "end", "digraph"]
    model = Model(name="kw", nodes=[PlainNode(id=n) for n in names],
                  links=[Link(source=a, target=b) for a, b in zip(names, names[1:] + names[:1])])
    nodes = all_nodes(pydot.graph_from_dot_data(to_dot(model))[0])
    assert set(names) <= set(nodes)
    chart = parse_mermaid(to_mermaid(model))
    assert sorted(chart["nodes"].values()) == sorted(names)
    assert len(chart["edges"]) == len(names)


CONVENTIONS = """
model conv "Conventions"
group ring "Ring one"
node a "A" in ring
node b "B" in ring
stock s "Customers" initial 10
flow f "Sign-ups" = a * 0.1 to s
a -> b -[- delay 2]-> c -[?]-> a
s -> a
"""


def test_dot_conventions():
    model = loopdsl.loads(CONVENTIONS)
    graph = pydot.graph_from_dot_data(to_dot(model))[0]
    edges = {(e.get_source().strip('"'), e.get_destination().strip('"')): e
             for e in graph.get_edges()}
    heads = {k: dot_label(e.get_headlabel(), markup=True) for k, e in edges.items() if e.get_headlabel()}
    assert heads[("a", "b")] == "+"
    assert heads[("b", "c")] == "−"  # the sign sits at the arrowhead
    assert heads[("c", "a")] == "?"
    assert edges[("b", "c")].get("delaymark") == "1"  # drawn as || after layout
    assert dot_label(edges[("b", "c")].get("xlabel")) == "‖"  # in a .dot file, a label
    assert not edges[("a", "b")].get("delaymark")
    nodes = all_nodes(graph)
    assert nodes["s"].get_shape() == "box" and "rounded" not in (nodes["s"].get_style() or "")
    assert "⋈" in nodes["f"].get_label()  # the valve
    assert ("f", "s") in edges and "#ffffff" in edges[("f", "s")].get_color()  # pipe
    assert ("@cloud f source", "f") in edges  # a flow from nowhere starts in a cloud
    assert dot_label(nodes["f"].get("xlabel")) == "Sign-ups"  # its name beside the valve
    clusters = [s for s in graph.get_subgraphs() if s.get_name().startswith("cluster")]
    assert dot_label(graph_attr(clusters[0], "label")) == "Ring one"
    assert set(all_nodes(clusters[0])) == {"a", "b"}
    assert "// loop B1 (balancing)" not in to_dot(model)  # the ? loop is unknown
    assert re.search(r"// loop U1 \(unknown\): a -> b -> c -> a", to_dot(model))


def test_engine_choice():
    wheel = loopdsl.loads("a -> b -> c -> d -> e -> a")
    assert "layout=circo" in to_dot(wheel)
    assert "layout=dot" in to_dot(loopdsl.loads(CONVENTIONS))  # groups: clusters need dot
    assert "layout=fdp" in to_dot(wheel, DiagramOptions(layout="fdp"))
    assert "rankdir=LR" in to_dot(wheel, DiagramOptions(layout="dot", direction="LR"))


def test_mermaid_conventions():
    model = loopdsl.loads(CONVENTIONS)
    text = to_mermaid(model)
    chart = parse_mermaid(text)
    ids = {label: node for node, label in chart["nodes"].items()}
    labels = {(a, b): lbl for a, b, lbl in chart["edges"]}
    assert labels[ids["A"], ids["B"]] == "+"
    assert labels[ids["B"], "n" + str(list(model.graph).index("c"))] == "− ‖"
    assert chart["subgraphs"] == {"g0": "Ring one"}
    assert f"    {ids['⋈ Sign-ups']} ==> {ids['Customers']}" in text
    assert "%% loop U1 (unknown): a -> b -> c -> a" in text
    focus = to_mermaid(model, DiagramOptions(highlight="U1"))
    parse_mermaid(focus)
    assert "stroke-width:3px" in focus and "class " in focus


@needs_dot
def test_svg_marks_loops_inside_and_highlights():
    model = loopdsl.loads("node a \"Alpha\"\na -> b -> c -> d -> a\nc -[-]-> e -> c")
    svg = render(model, "svg")
    root = ET.fromstring(svg)
    markers = {}
    positions = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        texts = [t for t in group.iter(f"{SVG}text")]
        if title.startswith("@loop "):
            markers[title[6:]] = "".join(t.text for t in texts)
            positions[title[6:]] = (float(texts[-1].get("x")), float(texts[-1].get("y")))
        else:
            positions[title] = (float(texts[0].get("x")), float(texts[0].get("y")))
    assert set(markers) == {"R1", "B1"}
    assert "@delay" not in svg.decode()  # no delayed link, no delay mark
    assert markers["R1"][0] in "↻↺" and markers["R1"].endswith("R1")
    # R1's marker is inside the square a-b-c-d: within its bounding box
    xs = [positions[n][0] for n in "abcd"]
    ys = [positions[n][1] for n in "abcd"]
    x, y = positions["R1"]
    assert min(xs) <= x <= max(xs) + 30 and min(ys) <= y <= max(ys)

    focus = render(model, "svg", DiagramOptions(highlight="B1")).decode()
    from loopdsl.render.themes import THEMES
    light = THEMES["light"]
    assert light.highlight in focus and light.faded in focus
    with pytest.raises(loopdsl.LoopError, match="no loop 'R7'"):
        render(model, "svg", DiagramOptions(highlight="R7"))


@needs_dot
def test_delay_mark_crosses_the_middle_of_its_link():
    model = loopdsl.loads("a -[delay 3]-> b -> a")
    root = ET.fromstring(render(model, "svg", DiagramOptions(layout="dot")))
    bars, arrows = [], {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            title = group.find(f"{SVG}title").text
            path = next(group.iter(f"{SVG}path")).get("d")
            nums = [float(v) for v in re.findall(r"-?\d+\.?\d*", path)]
            points = list(zip(nums[0::2], nums[1::2]))
            (bars if title.startswith("@delay") else arrows.setdefault(title, [])).append(points)
    assert len(bars) == 2  # two bars
    route = arrows["a->b"][0]
    (sx, sy), (ex, ey) = route[0], route[-1]
    for bar in bars:
        (x0, y0), (x1, y1) = bar[0], bar[-1]
        mid = ((x0 + x1) / 2, (y0 + y1) / 2)
        # each bar's middle is near the link's middle, and the bar runs across the link
        assert abs(mid[1] - (sy + ey) / 2) < 0.25 * abs(ey - sy) + 8
        across = abs((x1 - x0) * (ex - sx) + (y1 - y0) * (ey - sy))
        assert across < 0.5 * math.hypot(x1 - x0, y1 - y0) * math.hypot(ex - sx, ey - sy)


@needs_dot
def test_dark_theme_and_every_format():
    model = loopdsl.loads("a -> b -> a")
    dark = render(model, "svg", DiagramOptions(theme="dark")).decode()
    assert "#1e1e24" in dark
    assert render(model, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(model, "pdf")[:5] == b"%PDF-"
    for layout in ("dot", "circo", "neato", "fdp"):
        ET.fromstring(render(model, "svg", DiagramOptions(layout=layout)))


@needs_dot
def test_chinese_model_embeds_a_cjk_font_in_pdf():
    """The PDF embeds a CJK font, so the labels are real glyphs (not boxes)."""
    model = loopdsl.loads('model zh "联盟营销四环飞轮"\nnode a "内容驱动曝光"\nnode b "复购·UGC沉淀"\n'
                          "a -> b -> a")
    pdf = render(model, "pdf")
    assert re.search(rb"/BaseFont /\w+\+NotoSans\w*CJK", pdf), "no CJK font embedded"
    svg = render(model, "svg").decode()
    assert "内容驱动曝光" in svg and "Noto Sans CJK SC" in svg


class Result:
    def __init__(self, returncode: int, stderr: str):
        self.returncode, self.stderr = returncode, stderr


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run ``loopdsl render ARGS`` in this process; ``path`` replaces PATH."""
    from loopdsl.cli import main

    def run(*args: str, path: str | None = None) -> Result:
        if path is not None:
            monkeypatch.setenv("PATH", path)
        code = main(["render", *args])
        return Result(code, capsys.readouterr().err)

    return run


def test_cli_failed_render_leaves_no_file_and_keeps_the_old_one(tmp_path, run_cli):
    src = tmp_path / "m.loop"
    src.write_text("a -> b -> a\n", encoding="utf-8")
    before = src.read_bytes()
    out = tmp_path / "m.mmd"
    out.write_text("old", encoding="utf-8")
    result = run_cli(str(src), "-o", str(out), "--highlight", "R9")
    assert result.returncode == 1 and "no loop 'R9'" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.loop", "m.mmd"]
    assert src.read_bytes() == before
    bad = tmp_path / "bad.loop"
    bad.write_text("a -> \n", encoding="utf-8")
    result = run_cli(str(bad), "-o", str(tmp_path / "bad.svg"))
    assert result.returncode == 1 and "bad.loop:" in result.stderr
    assert not (tmp_path / "bad.svg").exists()


def test_cli_writes_mmd_and_dot_without_graphviz(tmp_path, run_cli):
    src = tmp_path / "m.loop"
    src.write_text('node a "Ä"\na -> b -> a\n', encoding="utf-8")
    empty = tmp_path / "bin"
    empty.mkdir()
    assert run_cli(str(src), "-o", str(tmp_path / "m.mmd"), path=str(empty)).returncode == 0
    assert parse_mermaid((tmp_path / "m.mmd").read_text(encoding="utf-8"))["nodes"]
    assert run_cli(str(src), "-o", str(tmp_path / "m.gv")).returncode == 0
    assert pydot.graph_from_dot_data((tmp_path / "m.gv").read_text(encoding="utf-8"))
    result = run_cli(str(src), "-o", str(tmp_path / "m.svg"))
    assert result.returncode == 1
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert not (tmp_path / "m.svg").exists()


@needs_dot
def test_cli_png_and_format_flag(tmp_path, run_cli):
    src = tmp_path / "m.loop"
    src.write_text("a -> b -> c -> a\n", encoding="utf-8")
    result = run_cli(str(src), "-o", str(tmp_path / "m.png"), "--layout", "dot",
                     "--direction", "LR", "--theme", "dark")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    result = run_cli(str(src), "-o", str(tmp_path / "m.out"), "--format", "svg")
    assert result.returncode == 0
    ET.fromstring((tmp_path / "m.out").read_bytes())
    assert run_cli(str(src), "-o", str(tmp_path / "m.txt")).returncode == 1


MODELS = sorted((ROOT / "models").glob("*.loop"))


@needs_dot
@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_bundled_model_draws_with_its_declared_loops(path):
    model = loopdsl.load(path)
    root = ET.fromstring(render(model, "svg"))
    titles = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")
              if g.get("class") == "node"}
    for decl in model.loops:
        assert f"@loop {decl.id}" in titles
    for node in model.graph:
        assert node in titles
    chart = parse_mermaid(to_mermaid(model))
    assert len(chart["nodes"]) >= len(model.graph)


def test_no_loops_keeps_the_round_layout_and_only_the_highlighted_marker():
    wheel = loopdsl.loads("a -> b -> c -> d -> a  b -[-]-> a")
    plain = to_dot(wheel, DiagramOptions(loops=False))
    assert "layout=circo" in plain and "// loop" not in plain
    focus = to_dot(wheel, DiagramOptions(loops=False, highlight="B1"))
    assert "// loop B1" in focus and "// loop R1" not in focus
    first = re.findall(r"// loop (\w+)", to_dot(wheel, DiagramOptions(max_loops=1)))
    assert len(first) == 1
    other = ({"R1", "B1"} - set(first)).pop()
    capped = to_dot(wheel, DiagramOptions(max_loops=1, highlight=other))
    assert f"// loop {other}" in capped  # a highlighted loop is found beyond the cap


def test_a_push_shows_where_it_comes_from():
    model = loopdsl.loads("const boost = 50\nconst weeks = 6\n"
                          "node a push IF TIME < weeks THEN boost ELSE 0\na -> b -> a")
    assert ("boost", "a") not in model.graph.edges  # not a causal link of the analysis
    mmd = to_mermaid(model)
    ids = dict(re.findall(r'(n\d+)\["([^"]+)"\]', mmd))
    by_label = {label: node_id for node_id, label in ids.items()}
    assert f"{by_label['boost']} -.-> " in mmd and f"{by_label['weeks']} -.-> " in mmd
    dot = to_dot(model)
    assert re.search(r"\bboost\b.*->.*\ba\b", dot)
