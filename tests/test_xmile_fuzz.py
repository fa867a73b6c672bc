"""Property tests: no XMILE input makes the importer raise anything but LoopError, and
whatever a .loop model is, its XMILE export reads back to the same model (or is refused
with a LoopError for the documented reasons)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.errors import LoopError
from loopdsl.xmile import dumps_xmile, loads_xmile

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO.parent / "shared" / "conformance"
LOOP_SOURCES = [p.read_text(encoding="utf-8") for p in sorted((REPO / "models").glob("*.loop"))]
XMILE_SOURCES = [dumps_xmile(loopdsl.loads(t)) for t in LOOP_SOURCES]
if SUITE.is_dir():  # the community's files too, where they are
    XMILE_SOURCES += [p.read_text(encoding="utf-8") for p in sorted(SUITE.rglob("*.xmile"))[:8]]
EQN = re.compile(r"(<eqn>)(.*?)(</eqn>)", re.S)
PIECES = ["(", ")", "+", "-", "*", "/", "^", ",", "IF", "THEN", "ELSE", "AND", "NOT", "MOD",
          '"', "{", "}", "[", "]", "1e999", ".5", "5.", "SMTH1(", "DELAY(x, 1)", "LOOKUP(",
          "&lt;", "&amp;", "<", ">", "&", "\u00a0", "время", "TIME", "PI()", "SELF", "0/0",
          "<aux name='q'><eqn>1</eqn></aux>", "<dimensions/>", "<gf><ypts>1</ypts></gf>",
          "<!ENTITY x 'y'>", "]]>", "<![CDATA[", "\x00", "\r"]
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_only_loop_errors(text: str) -> None:
    try:
        model = loads_xmile(text, "fuzz.xmile")
    except LoopError as err:
        assert err.diagnostics and str(err)
        return
    loopdsl.loads(loopdsl.dumps(model))  # what was read prints as valid .loop


@SETTINGS
@given(st.sampled_from(XMILE_SOURCES), st.data())
def test_mutated_xmile_gives_a_model_or_a_loop_error(source, data):
    text = source
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["delete", "insert", "piece"]))
        if kind == "delete":
            text = text[:i] + text[i + data.draw(st.integers(1, 12)):]
        elif kind == "insert":
            text = text[:i] + data.draw(st.text(max_size=4)) + text[i:]
        else:
            text = text[:i] + data.draw(st.sampled_from(PIECES)) + text[i:]
    assert_only_loop_errors(text)


@SETTINGS
@given(st.sampled_from(XMILE_SOURCES), st.data())
def test_mutated_equations_give_a_model_or_a_loop_error(source, data):
    equations = list(EQN.finditer(source))
    if not equations:
        return
    m = data.draw(st.sampled_from(equations))
    body = m.group(2)
    i = data.draw(st.integers(0, len(body)))
    piece = data.draw(st.sampled_from(PIECES).map(lambda p: p.replace("<", "&lt;")))
    body = body[:i] + piece + body[i + data.draw(st.integers(0, 3)):]
    assert_only_loop_errors(source[:m.start(2)] + body + source[m.end(2):])


@SETTINGS
@given(st.sampled_from(LOOP_SOURCES), st.data())
def test_mutated_loop_models_export_and_read_back(source, data):
    lines = source.split("\n")
    for _ in range(data.draw(st.integers(1, 3))):  # drop or duplicate whole statements
        n = data.draw(st.integers(0, len(lines) - 1))
        if data.draw(st.booleans()):
            del lines[n]
        else:
            lines.insert(n, lines[n])
    try:
        model = loopdsl.loads("\n".join(lines))
    except LoopError:
        return
    try:
        text = dumps_xmile(model)
    except LoopError as err:  # refusals: names XMILE merges, '?' into a plain node, RK4
        assert any(w in str(err) for w in ("same name in XMILE", "unknown sign", "RK4"))
        return
    assert loads_xmile(text).content() == _no_comments(model)


def _no_comments(model) -> dict:
    model = model.model_copy(deep=True)
    model.header_comments, model.end_comments = [], []
    for item in [*model.nodes, *model.links, *model.groups, *model.loops, *model.scenarios,
                 *model.distributions]:
        item.comments, item.trailing_comment = [], None
    for link in model.links:
        link.chain = None
    return model.content()
