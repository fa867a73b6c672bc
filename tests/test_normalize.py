"""The normalising pass completes the model; the checker only reads it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import loopdsl
from loopdsl.checker import check
from loopdsl.compiler import build_model_collecting
from loopdsl.errors import Source
from loopdsl.model import Model
from loopdsl.normalize import normalize
from loopdsl.parser import parse

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.loop"))
EDGES = {  # text, a word of the first error (None: sound)
    "undefined names": ("aux x = trafic * 2\nnode traffic\nscenario s: b = 1\n", "trafic"),
    "implicit nodes only": ("a -> b -> c -> a\nloop R1: a -> b -> c\nscenario s: b = 2\n",
                            None),
    "a reserved link end": ("TIME -> a -> b\n", "builtin"),
    "an algebraic loop": ("aux x = y + 1\naux y = x * 2\nx -> z\n", "algebraic"),
    "a wrong loop": ("a -> b -[-]-> a\nloop R9 reinforcing: a -> b\n", "balancing"),
    "a flow to an implicit node": ("stock s initial 1\nflow f = 1 to t\nt -> s\n", "stock"),
}


def _compiled(text: str, file: str = "<string>") -> tuple[Model, Source]:
    """The model as the compiler leaves it, not yet normalised."""
    source = Source(text, file)
    model, _ = build_model_collecting(*parse(text, file), source)
    return model, source


CASES = [pytest.param(p.read_text(encoding="utf-8"), id=p.name) for p in MODELS] + \
    [pytest.param(text, id=name) for name, (text, _) in EDGES.items()]


@pytest.mark.parametrize("text", CASES)
def test_check_does_not_change_the_model(text):
    model, source = _compiled(text)
    before = copy.deepcopy(model.model_dump())
    raw = check(model, source)
    assert model.model_dump() == before
    normalize(model)
    after = copy.deepcopy(model.model_dump())
    assert check(model, source) == raw          # the same diagnostics either way
    assert model.model_dump() == after


@pytest.mark.parametrize("name", EDGES)
def test_the_checker_sees_implicit_nodes_without_adding_them(name):
    text, word = EDGES[name]
    problems = check(*_compiled(text))
    assert (word in problems[0].message) if word else not problems, problems


def test_normalize_adds_implicit_nodes_once():
    model, _ = _compiled("node a\na -> b -> c\nc -> a\n")
    assert [(n.id, n.implicit) for n in normalize(model).nodes] == \
        [("a", False), ("b", True), ("c", True)]
    assert len(normalize(model).nodes) == 3
    assert loopdsl.dumps(model) == "node a\na -> b -> c\nc -> a\n"


def test_loads_gives_a_normalised_model():
    assert loopdsl.loads("a -> b").node_ids == ["a", "b"]
