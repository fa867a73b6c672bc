"""Property tests: no input makes the front end raise anything but LoopError.

Inputs are random text, random token soup from the language's own vocabulary, and
random mutations (delete, insert, swap characters and tokens) of the bundled models
(models/*.loop) and of a few inline models that use every construct. Whatever
compiles must print and read back to the same model, and printing is idempotent.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.commands.graph import export_graph
from loopdsl.model import Model
from loopdsl.parser import get_parser

MODELS = Path(__file__).resolve().parents[1] / "models"

INLINE = [
    """\
# every construct, illustrative numbers
model m "Модель 模型" description "all of it"
time 0 to 36 step 0.5 unit month
method rk4
group big "Big wheel" description "ring"
node experience "Customer experience" initial 10 in big unit score push PULSE(100, 0) decay 0.1
stock customers "Customers" initial 100 non_negative unit people capacity 1e6
stock pool initial 1000
flow signups "Sign-ups" = traffic * conversion from pool to customers non_negative
aux conversion = 0.02 * effect(price) + (IF TIME > 5 AND NOT (price >= 3) THEN 0.01 ELSE -0.01)
aux effect2 = price points [(0, 1), (10, 0.5)] extrapolate
lookup effect points [(0, 1), (10, 0.5)] discrete
const price = 10 ^ 2 MOD 7 / -3
experience -> traffic -> sellers -> selection -> experience  # the napkin
traffic -[- gain 0.8 delay 2 "cheaper"]-> price
selection -[? gain price / 10 delay DT]-> customers
loop R1 "Big wheel" reinforcing: experience -> traffic -> sellers -> selection -> experience
scenario push6 "Six-month push": conversion = 0.03, price = SMTH1(price, 3)
vary price ~ uniform(5, 15)
vary conversion ~ triangular(0.01, 0.02, 0.03)
# the end
""",
    """\
model 飞轮 "亚马逊飞轮"
node 客户体验 "客户体验" in 大轮
group 大轮 "大轮"
客户体验 -> 流量 -> 卖家 -> 选择 -> 客户体验
loop R1 "大轮" reinforcing: 客户体验 -> 流量 -> 卖家 -> 选择 -> 客户体验
""",
    """\
model referral "Реферальная программа"
stock users "Пользователи" initial 10
flow invites = users * 0.1 to users
aux k = MIN(MAX(users, 0), 1e3) <> 5 OR users = 3
users -[+ delay 1]-> k
""",
]


def bundled() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(MODELS.glob("*.loop"))]
    return texts + INLINE


SOURCES = bundled()
TOKEN_RE = re.compile(r'"[^"\n]*"|#[^\n]*|\w+|->|-\[|\]->|<=|>=|<>|==|!=|\S|\s+')
VOCABULARY = sorted({t for text in SOURCES for t in TOKEN_RE.findall(text) if t.strip()}
                    | {"(", ")", "[", "]", ",", ":", "~", "=", "->", "-[", "]->", "?", "1e999",
                       "1.2.3", "0x", '"', "#", "\\", "\x00", "\t", "→", "“", "IF", "THEN",
                       "ELSE", "-(", "((((", "))))"})
# Lark's terminal names, less the keywords users write in capitals themselves.
LANGUAGE_WORDS = {"IF", "THEN", "ELSE", "AND", "OR", "NOT", "MOD", "TIME"}
CAPITALS = re.compile(r"(?<![\w$])[A-Z_$][A-Z0-9_]+(?!\w)")  # words like ARROW_OPEN
TERMINAL_NAMES = {t.name for t in get_parser().terminals} - LANGUAGE_WORDS


def assert_sound(text: str) -> None:
    """The property: a model or a LoopError with readable diagnostics, nothing else."""
    try:
        model = loopdsl.loads(text, "fuzz.loop")
    except loopdsl.LoopError as err:
        assert err.diagnostics
        lines = text.split("\n")
        for d in err.diagnostics:
            words = set(CAPITALS.findall(f"{d.message} {d.hint or ''}"))
            words -= set(re.findall(r"\w+", text))  # the user's own names may be anything
            assert not words & TERMINAL_NAMES, str(d)
            if d.line is not None:
                assert 1 <= d.line <= len(lines), str(d)
                assert 1 <= d.column <= len(lines[d.line - 1]) + 1, str(d)
        str(err)  # printing never fails
        return
    for fmt in ("json", "graphml", "gexf"):  # what `loopdsl graph` writes never fails
        exported = export_graph(model.graph, fmt)
    assert nx.read_gexf(io.BytesIO(exported.encode("utf-8"))).number_of_nodes() == \
        model.graph.number_of_nodes()
    printed = loopdsl.dumps(model)
    again = loopdsl.loads(printed, "printed.loop")
    assert again.content() == model.content(), printed
    assert loopdsl.dumps(again) == printed
    assert Model.model_validate_json(model.model_dump_json()).content() == model.content()


# LOOPDSL_FUZZ_SCALE=20 runs twenty times as many examples (a longer local campaign).
SCALE = int(os.environ.get("LOOPDSL_FUZZ_SCALE", "1"))
FAST = settings(max_examples=150 * SCALE, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    assert_sound(text)


@FAST
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60),
       st.lists(st.sampled_from([" ", "\n", "", "  "]), min_size=60, max_size=60))
def test_token_soup(tokens: list[str], gaps: list[str]) -> None:
    assert_sound("".join(t + g for t, g in zip(tokens, gaps)))


def _mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        if not text:
            text = data.draw(st.sampled_from(VOCABULARY))
            continue
        kind = data.draw(st.sampled_from(["delete", "insert", "swap", "token_delete",
                                          "token_insert", "token_swap", "line_dup"]))
        i = data.draw(st.integers(0, len(text) - 1), label="at")
        if kind == "delete":
            j = min(len(text), i + data.draw(st.integers(1, 8)))
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + data.draw(st.text(min_size=1, max_size=3)) + text[i:]
        elif kind == "swap":
            j = data.draw(st.integers(0, len(text) - 1))
            chars = list(text)
            chars[i], chars[j] = chars[j], chars[i]
            text = "".join(chars)
        else:
            tokens = TOKEN_RE.findall(text)
            k = data.draw(st.integers(0, len(tokens) - 1), label="token")
            if kind == "token_delete":
                del tokens[k]
            elif kind == "token_insert":
                tokens.insert(k, data.draw(st.sampled_from(VOCABULARY)))
            elif kind == "token_swap":
                m = data.draw(st.integers(0, len(tokens) - 1))
                tokens[k], tokens[m] = tokens[m], tokens[k]
            else:
                lines = text.split("\n")
                n = data.draw(st.integers(0, len(lines) - 1))
                lines.insert(n, lines[n])
                tokens = ["\n".join(lines)]
            text = "".join(tokens)
    return text


@settings(max_examples=250 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(SOURCES), st.data())
def test_mutated_models(source: str, data: st.DataObject) -> None:
    assert_sound(_mutate(source, data))


def test_sources_themselves_are_sound() -> None:
    """The unmutated inputs compile and round-trip (else the mutations test little)."""
    for text in SOURCES:
        model = loopdsl.loads(text)
        assert loopdsl.loads(loopdsl.dumps(model)).content() == model.content()
