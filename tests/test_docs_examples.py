"""The examples in docs/language.md are real: each ```loop block compiles, each ```loop-error
block fails with exactly the message in the ```text block after it, the builtin table matches
loopdsl/builtins.py, and the examples together use every construct of the language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import loopdsl
from loopdsl.builtins import BUILTIN_FUNCTIONS, arity_words
from loopdsl.expr import walk
from loopdsl.model import Binary, Call, Unary

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
FENCE = re.compile(r"^```([\w-]*)\s*$")


def blocks(text: str) -> list[tuple[str, str, int, str]]:
    """(info string, body, line of the opening fence, prose since the previous block)."""
    out: list[tuple[str, str, int, str]] = []
    lines = text.split("\n")
    i, prose_start = 0, 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        prose = "\n".join(lines[prose_start:start]).strip()
        out.append((m.group(1), "\n".join(body) + "\n", start + 1, prose))
        i += 1
        prose_start = i
    return out


BLOCKS = blocks(DOC.read_text(encoding="utf-8"))
LOOP = [(body, line) for info, body, line, _ in BLOCKS if info == "loop"]
ERRORS = [(body, BLOCKS[k + 1][1], line) for k, (info, body, line, _) in enumerate(BLOCKS)
          if info == "loop-error"]


def test_the_doc_has_examples() -> None:
    assert len(LOOP) >= 20 and len(ERRORS) >= 20
    # every loop-error block is followed by the text block with its message
    for k, (info, _, line, _) in enumerate(BLOCKS):
        if info == "loop-error":
            assert BLOCKS[k + 1][0] == "text", f"line {line}: no ```text block after it"


@pytest.mark.parametrize("body,line", LOOP, ids=[f"line{line}" for _, line in LOOP])
def test_loop_example_compiles_and_round_trips(body: str, line: int) -> None:
    m = loopdsl.loads(body, "model.loop")
    printed = loopdsl.dumps(m)
    assert loopdsl.loads(printed).content() == m.content()
    assert loopdsl.dumps(loopdsl.loads(printed)) == printed


@pytest.mark.parametrize("body,expected,line", ERRORS, ids=[f"line{l}" for *_, l in ERRORS])
def test_error_example_fails_with_the_message_shown(body: str, expected: str, line: int) -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads(body, "model.loop")
    assert str(info.value) == expected.rstrip("\n")


def test_fmt_example_becomes_what_the_doc_says() -> None:
    pairs = [(BLOCKS[k - 1][1], body) for k, (info, body, _, prose) in enumerate(BLOCKS)
             if info == "loop" and prose == "becomes"]
    assert pairs, "the fmt example ('... becomes ...') is missing"
    for before, after in pairs:
        assert before != after
        assert loopdsl.dumps(loopdsl.loads(before)) == after


def test_builtin_table_matches_builtins_py() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Builtin functions and names", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9]+)` \| ([^|]+) \|", section, flags=re.M)
    table = {name.lower(): arity.strip() for name, arity in rows}
    assert set(table) == set(BUILTIN_FUNCTIONS)
    for name, (low, high) in BUILTIN_FUNCTIONS.items():
        words = arity_words(low, high).rsplit(" ", 1)[0]  # '2 or 3 arguments' -> '2 or 3'
        assert table[name] == words, name


def test_examples_cover_the_language() -> None:
    models = [loopdsl.loads(body) for body, _ in LOOP]
    kinds, attrs, interpolations, dists, loop_polarities, methods = (set() for _ in range(6))
    link_parts, ops, funcs = set(), set(), set()
    for m in models:
        methods.add(m.method)
        for n in m.nodes:
            kinds.add(n.kind)
            for field in ("label", "unit", "group", "description", "initial", "push", "decay",
                          "capacity", "equation", "source", "target", "lookup"):
                if getattr(n, field, None) is not None:
                    attrs.add((n.kind, field))
            if getattr(n, "non_negative", False):
                attrs.add((n.kind, "non_negative"))
            if getattr(n, "lookup", None) is not None:
                interpolations.add(n.lookup.interpolation)
        for link in m.links:
            link_parts.add(link.polarity)
            link_parts.update(f for f in ("gain", "delay", "label") if getattr(link, f))
        loop_polarities.update(l.polarity for l in m.loops)
        dists.update(d.dist for d in m.distributions)
        exprs = [getattr(n, f, None) for n in m.nodes
                 for f in ("equation", "initial", "push", "decay", "capacity")]
        exprs += [a.value for s in m.scenarios for a in s.assignments]
        exprs += [e for link in m.links for e in (link.gain, link.delay)]
        for e in exprs:
            for sub in walk(e) if e is not None else ():
                if isinstance(sub, (Binary, Unary)):
                    ops.add(sub.op)
                elif isinstance(sub, Call):
                    funcs.add(sub.func)
    assert kinds == {"node", "stock", "flow", "aux", "const", "lookup"}
    every_attr = {("node", f) for f in ("label", "unit", "group", "description", "initial",
                                        "push", "decay", "capacity")}
    every_attr |= {("stock", f) for f in ("initial", "non_negative", "capacity")}
    every_attr |= {("flow", f) for f in ("equation", "source", "target", "non_negative",
                                         "lookup")}
    every_attr |= {("aux", "equation"), ("aux", "lookup"), ("const", "equation"),
                   ("lookup", "lookup")}
    assert every_attr <= attrs, every_attr - attrs
    assert interpolations == {"continuous", "extrapolate", "discrete"}
    assert dists == {"uniform", "normal", "triangular"}
    assert loop_polarities == {"R", "B", None}
    assert methods >= {"euler", "rk4"}
    assert link_parts == {"+", "-", "?", "gain", "delay", "label"}
    assert ops >= {"+", "-", "*", "/", "^", "mod", "=", "<>", "<", "<=", ">", ">=", "and", "or",
                   "not"}
    assert set(BUILTIN_FUNCTIONS) <= funcs, set(BUILTIN_FUNCTIONS) - funcs
