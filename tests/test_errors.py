"""Every error a user can meet: the full message, its position and its caret, verbatim.

Each case is (id, model text, the whole text of the LoopError as the CLI prints it).
"""

from __future__ import annotations

import re

import pytest

import loopdsl
from loopdsl.loader import decode
from loopdsl.parser import get_parser

CASES = [
    (
        'link_target_missing',
        'a ->\n',
        """\
flywheel.loop:1:5: error: unexpected end of file, expected a node name
    a ->
        ^
""",
    ),
    (
        'link_needs_arrow',
        'experience traffic\n',
        """\
flywheel.loop:1:12: error: unexpected name 'traffic', expected '->' or '-['; a statement starts with a keyword, or is a link: experience -> ...
    experience traffic
               ^
""",
    ),
    (
        'misspelt_keyword',
        'nod traffic "Traffic"\n',
        """\
flywheel.loop:1:5: error: unexpected name 'traffic', expected '->' or '-['; 'nod' is not a keyword; did you mean 'node'?
    nod traffic "Traffic"
        ^
""",
    ),
    (
        'expression_missing',
        'node traffic initial\n',
        """\
flywheel.loop:1:21: error: unexpected end of file, expected an expression
    node traffic initial
                        ^
""",
    ),
    (
        'unclosed_parenthesis',
        'aux x = (1 + 2\n',
        """\
flywheel.loop:1:15: error: unexpected end of file, expected ')'
    aux x = (1 + 2
                  ^
""",
    ),
    (
        'arrow_attributes',
        'a -[ 5 ]-> b\n',
        """\
flywheel.loop:1:6: error: unexpected number 5, expected a sign (+, -, ?), ']->', 'delay', 'gain' or a quoted string ("...")
    a -[ 5 ]-> b
         ^
""",
    ),
    (
        'statement_starts_with_arrow',
        '-> traffic\n',
        """\
flywheel.loop:1:1: error: unexpected '->', expected a new statement; a link starts with its source node, as in a -> b
    -> traffic
    ^
""",
    ),
    (
        'loop_needs_colon',
        'loop R1 reinforcing a -> b -> a\n',
        """\
flywheel.loop:1:21: error: unexpected name 'a', expected ':'
    loop R1 reinforcing a -> b -> a
                        ^
""",
    ),
    (
        'unicode_arrow',
        'experience → traffic\n',
        """\
flywheel.loop:1:12: error: unexpected character '→'; write the arrow as '->'
    experience → traffic
               ^
""",
    ),
    (
        'smart_quotes',
        'node traffic “Traffic”\n',
        """\
flywheel.loop:1:14: error: unexpected character '“'; write labels in straight double quotes ("...")
    node traffic “Traffic”
                 ^
""",
    ),
    (
        'unterminated_string',
        'node traffic "Traffic\n',
        """\
flywheel.loop:1:14: error: unexpected character '"'; a string must end with " on the same line
    node traffic "Traffic
                 ^
""",
    ),
    (
        'if_without_else',
        'aux x = IF TIME > 5 THEN 1\n',
        """\
flywheel.loop:1:27: error: unexpected end of file, expected 'else'
    aux x = IF TIME > 5 THEN 1
                              ^
""",
    ),
    (
        'points_missing_comma',
        'lookup effect points [(0, 1) (10, 0.5)]\n',
        """\
flywheel.loop:1:30: error: unexpected '(', expected ',' or ']'
    lookup effect points [(0, 1) (10, 0.5)]
                                 ^
""",
    ),
    (
        'several_syntax_errors',
        'a -> b\nnode c initial @\nloop 5\nb -> a -[ 5 ]-> c\nc -> a\n',
        """\
flywheel.loop:2:16: error: unexpected character '@'
    node c initial @
                   ^
flywheel.loop:3:6: error: unexpected number 5, expected a loop name (such as R1)
    loop 5
         ^
flywheel.loop:4:11: error: unexpected number 5, expected a sign (+, -, ?), ']->', 'delay', 'gain' or a quoted string ("...")
    b -> a -[ 5 ]-> c
              ^
""",
    ),
    (
        'arrow_read_as_minus',
        'node c initial\nc -> -> d\n',
        """\
flywheel.loop:2:4: error: unexpected '>', expected an expression; this '->' reads as minus then '>': is a value missing before it?
    c -> -> d
       ^
""",
    ),
    (
        'name_after_expression',
        'aux conversion = 0.02 price\n',
        """\
flywheel.loop:1:23: error: unexpected name 'price', expected an operator; a new statement here would need '->' after 'price'
    aux conversion = 0.02 price
                          ^
""",
    ),
    (
        'if_inside_an_operation',
        'aux c = 1 + IF TIME > 5 THEN 1 ELSE 0\n',
        """\
flywheel.loop:1:16: error: unexpected name 'TIME', expected an operator; 'IF' here is read as a name: put an IF expression inside an operation in parentheses, as in 1 + (IF c THEN a ELSE b)
    aux c = 1 + IF TIME > 5 THEN 1 ELSE 0
                   ^
""",
    ),
    (
        'lone_name',
        'aux x = 1\nprice\n',
        """\
flywheel.loop:2:6: error: unexpected end of file, expected '->' or '-['; a statement starts with a keyword, or is a link: price -> ...
    price
         ^
""",
    ),
    (
        'undefined_node_did_you_mean',
        'node traffic\naux signups = trafic * 0.1\n',
        """\
flywheel.loop:2:15: error: undefined node 'trafic'; did you mean 'traffic'?
    aux signups = trafic * 0.1
                  ^
""",
    ),
    (
        'undefined_node_no_suggestion',
        'a -> b\nscenario push: zzz = 1\n',
        """\
flywheel.loop:2:16: error: undefined node 'zzz'
    scenario push: zzz = 1
                   ^
""",
    ),
    (
        'undefined_node_in_loop',
        'a -> b -> a\nloop R1: a -> c -> a\n',
        """\
flywheel.loop:2:15: error: undefined node 'c'
    loop R1: a -> c -> a
                  ^
""",
    ),
    (
        'duplicate_definition',
        'node traffic\nconst traffic = 5\n',
        """\
flywheel.loop:2:1: error: duplicate definition of node 'traffic'; first defined at line 1
    const traffic = 5
    ^
""",
    ),
    (
        'duplicate_link',
        'a -> b\nb -> a\na -[-]-> b\n',
        """\
flywheel.loop:3:1: error: duplicate link a -> b; first given at line 1
    a -[-]-> b
    ^
""",
    ),
    (
        'bad_number',
        'node a initial 1.2.3\n',
        """\
flywheel.loop:1:16: error: bad number '1.2.3'; a number is written like 12, 0.5, .5 or 1e-3
    node a initial 1.2.3
                   ^
""",
    ),
    (
        'number_too_large',
        'const big = 1e999\n',
        """\
flywheel.loop:1:13: error: number '1e999' is too large
    const big = 1e999
                ^
""",
    ),
    (
        'unknown_function',
        'node x\naux y = sqr(x)\n',
        """\
flywheel.loop:2:9: error: unknown function 'sqr'; did you mean 'sqrt'?
    aux y = sqr(x)
            ^
""",
    ),
    (
        'unknown_function_no_suggestion',
        'aux y = frobnicate(1)\n',
        """\
flywheel.loop:1:9: error: unknown function 'frobnicate'
    aux y = frobnicate(1)
            ^
""",
    ),
    (
        'wrong_argument_count',
        'aux y = MIN(1)\n',
        """\
flywheel.loop:1:9: error: MIN takes 2 arguments, got 1
    aux y = MIN(1)
            ^
""",
    ),
    (
        'lookup_argument_count',
        'lookup effect points [(0, 1), (10, 0.5)]\naux y = effect(1, 2)\n',
        """\
flywheel.loop:2:9: error: lookup 'effect' takes 1 argument, got 2
    aux y = effect(1, 2)
            ^
""",
    ),
    (
        'lookup_not_called',
        'lookup effect points [(0, 1), (10, 0.5)]\naux y = effect\n',
        """\
flywheel.loop:2:9: error: lookup 'effect' must be called: effect(x)
    aux y = effect
            ^
""",
    ),
    (
        'declared_loop_missing',
        'experience -> traffic -> sellers\nloop R1: experience -> traffic -> sellers -> experience\n',
        """\
flywheel.loop:2:35: error: declared loop 'R1' is not a loop of the model: there is no link sellers -> experience; add the link 'sellers -> experience' or correct the loop's path
    loop R1: experience -> traffic -> sellers -> experience
                                      ^
""",
    ),
    (
        'declared_polarity_wrong',
        'growth -[-]-> prices -[-]-> growth\nloop B1 balancing: growth -> prices -> growth\n',
        """\
flywheel.loop:2:9: error: loop 'B1' is declared balancing but is reinforcing: it has 2 negative links (growth -> prices, prices -> growth); declare it reinforcing, or correct a link's sign
    loop B1 balancing: growth -> prices -> growth
            ^
""",
    ),
    (
        'declared_polarity_wrong_balancing',
        'inventory -> price -[-]-> inventory\nloop R2 reinforcing: inventory -> price -> inventory\n',
        """\
flywheel.loop:2:9: error: loop 'R2' is declared reinforcing but is balancing: it has 1 negative link (price -> inventory); declare it balancing, or correct a link's sign
    loop R2 reinforcing: inventory -> price -> inventory
            ^
""",
    ),
    (
        'algebraic_loop',
        'aux demand = 100 - price\naux price = 2 * demand\n',
        """\
flywheel.loop:1:1: error: algebraic loop: demand -> price -> demand has no delay and no stock, so no simulation can order it; give one link a delay, or make one of its nodes a stock
    aux demand = 100 - price
    ^
""",
    ),
    (
        'algebraic_loop_zero_delay',
        'a -[delay 0]-> b -[delay 0]-> c -[delay 0]-> a\n',
        """\
flywheel.loop:1:1: error: algebraic loop: a -> b -> c -> a has no delay and no stock, so no simulation can order it; give one link a delay, or make one of its nodes a stock
    a -[delay 0]-> b -[delay 0]-> c -[delay 0]-> a
    ^
""",
    ),
    (
        'flow_to_non_stock',
        'node pool\nflow f = 1 to pool\n',
        """\
flywheel.loop:2:15: error: flow 'f' goes to 'pool', which is a node, not a stock
    flow f = 1 to pool
                  ^
""",
    ),
    (
        'undefined_group',
        'group big "Big wheel"\nnode a in bigg\n',
        """\
flywheel.loop:2:11: error: undefined group 'bigg'; did you mean 'big'?
    node a in bigg
              ^
""",
    ),
    (
        'stock_with_equation',
        'stock customers = 100\n',
        """\
flywheel.loop:1:19: error: a stock takes no '='; a stock's value comes from its flows: write 'initial' for its start value
    stock customers = 100
                      ^
""",
    ),
    (
        'unknown_distribution',
        'const k = 1\nvary k ~ beta(1, 2)\n',
        """\
flywheel.loop:2:10: error: unknown distribution 'beta', expected uniform, normal or triangular
    vary k ~ beta(1, 2)
             ^
""",
    ),
    (
        'distribution_arguments',
        'const k = 1\nvary k ~ triangular(1, 2)\n',
        """\
flywheel.loop:2:10: error: triangular takes 3 numbers, got 2; write triangular(low, mode, high)
    vary k ~ triangular(1, 2)
             ^
""",
    ),
    (
        'time_reversed',
        'time 36 to 0\n',
        """\
flywheel.loop:1:1: error: the time range ends before it starts; write 'time 0 to 36'
    time 36 to 0
    ^
""",
    ),
    (
        'time_step_not_positive',
        'time 0 to 10 step 0\n',
        """\
flywheel.loop:1:19: error: the time step must be positive
    time 0 to 10 step 0
                      ^
""",
    ),
    (
        'unknown_method',
        'method runge\n',
        """\
flywheel.loop:1:8: error: unknown integration method 'runge', expected euler or rk4
    method runge
           ^
""",
    ),
    (
        'attribute_twice',
        'node a initial 1 initial 2\n',
        """\
flywheel.loop:1:18: error: 'initial' is given twice for node 'a'
    node a initial 1 initial 2
                     ^
""",
    ),
    (
        'gain_twice',
        'a -[gain 1 gain 2]-> b\n',
        """\
flywheel.loop:1:12: error: 'gain' is given twice for link a -> b
    a -[gain 1 gain 2]-> b
               ^
""",
    ),
    (
        'negative_delay',
        'a -[delay -1]-> b\n',
        """\
flywheel.loop:1:11: error: a delay cannot be negative
    a -[delay -1]-> b
              ^
""",
    ),
    (
        'lookup_without_points',
        'lookup effect\n',
        """\
flywheel.loop:1:1: error: lookup 'effect' has no points; write points [(0, 0), (1, 1)]
    lookup effect
    ^
""",
    ),
    (
        'lookup_x_not_increasing',
        'lookup effect points [(0, 1), (0, 2)]\n',
        """\
flywheel.loop:1:22: error: the x values of a lookup must increase
    lookup effect points [(0, 1), (0, 2)]
                         ^
""",
    ),
    (
        'link_to_lookup',
        'lookup effect points [(0, 1), (10, 0.5)]\na -> effect\n',
        """\
flywheel.loop:2:6: error: 'effect' is a lookup, not a node: it cannot be linked
    a -> effect
         ^
""",
    ),
    (
        'several_semantic_errors',
        'aux y = MIN(1)\nnode a\nnode a\naux z = qq\n',
        """\
flywheel.loop:1:9: error: MIN takes 2 arguments, got 1
    aux y = MIN(1)
            ^
flywheel.loop:3:1: error: duplicate definition of node 'a'; first defined at line 2
    node a
    ^
flywheel.loop:4:9: error: undefined node 'qq'
    aux z = qq
            ^
""",
    ),
    (
        'chinese_labels',
        'node 客户 "客户体验" initial @\n',
        """\
flywheel.loop:1:24: error: unexpected character '@'
    node 客户 "客户体验" initial @
                                 ^
""",
    ),
    (
        'scenario_sets_twice',
        'a -> b\nscenario push: a = 1, a = 2\n',
        """\
flywheel.loop:2:23: error: 'a' is set twice in scenario 'push'
    scenario push: a = 1, a = 2
                          ^
""",
    ),
    (
        'uniform_reversed',
        'const k = 1\nvary k ~ uniform(3, 1)\n',
        """\
flywheel.loop:2:10: error: uniform(3, 1): the low end is above the high end
    vary k ~ uniform(3, 1)
             ^
""",
    ),
    (
        'normal_negative_sd',
        'const k = 1\nvary k ~ normal(1, -1)\n',
        """\
flywheel.loop:2:10: error: normal(1, -1): the standard deviation cannot be negative
    vary k ~ normal(1, -1)
             ^
""",
    ),
    (
        'triangular_mode_outside',
        'const k = 1\nvary k ~ triangular(1, 5, 3)\n',
        """\
flywheel.loop:2:10: error: triangular(1, 5, 3): the mode must lie between the low and the high end
    vary k ~ triangular(1, 5, 3)
             ^
""",
    ),
    (
        'varied_twice',
        'const k = 1\nvary k ~ uniform(1, 2)\nvary k ~ uniform(1, 3)\n',
        """\
flywheel.loop:3:6: error: 'k' is varied twice; first at line 2
    vary k ~ uniform(1, 3)
         ^
""",
    ),
    (
        'builtin_name',
        'aux TIME = 1\n',
        """\
flywheel.loop:1:5: error: 'TIME' is a builtin name (TIME) and cannot name a node; rename it, e.g. 'TIME_'
    aux TIME = 1
        ^
""",
    ),
    (
        'keyword_name',
        'experience -> if\n',
        """\
flywheel.loop:1:15: error: 'if' is a keyword of equations and cannot name a node; rename it, e.g. 'if_'
    experience -> if
                  ^
""",
    ),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_message(text: str, expected: str) -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads(text, "flywheel.loop")
    assert str(info.value) == expected.rstrip("\n")


def test_diagnostic_fields() -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads("node traffic\naux signups = trafic * 0.1\n", "flywheel.loop")
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.column) == ("flywheel.loop", 2, 15)
    assert d.message == "undefined node 'trafic'"
    assert d.hint == "did you mean 'traffic'?"
    assert d.source_line == "aux signups = trafic * 0.1"
    assert d.to_dict() == {"severity": "error", "code": None,
                           "message": "undefined node 'trafic'", "file": "flywheel.loop",
                           "line": 2, "column": 15, "end_line": None, "end_column": None,
                           "hint": "did you mean 'traffic'?"}


def test_several_syntax_errors_in_one_run() -> None:
    text = "a -> b\nnode c initial @\nloop 5\nb -> a -[ 5 ]-> c\nc -> a\n"
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads(text, "flywheel.loop")
    assert [(d.line, d.column) for d in info.value.diagnostics] == [(2, 16), (3, 6), (4, 11)]


def test_nesting_too_deep() -> None:
    text = "aux x = " + "-(" * 300 + "1" + ")" * 300 + "\n"
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads(text, "deep.loop")
    (d,) = info.value.diagnostics
    assert (d.line, d.column) == (1, 367)
    assert str(d).splitlines()[0] == (
        "deep.loop:1:367: error: expression nested too deeply (more than 180 levels); "
        "split it into several auxiliaries")


def test_deepest_accepted_expression_survives_json_and_printer() -> None:
    """The nesting limit keeps every accepted model within pydantic's JSON depth."""
    for depth in (178, 179):
        text = "aux x = " + "-" * depth + "1\n"
        try:
            model = loopdsl.loads(text)
        except loopdsl.LoopError:
            assert depth == 179
            continue
        again = loopdsl.Model.model_validate_json(model.model_dump_json())
        assert again.content() == model.content()
        assert loopdsl.loads(loopdsl.dumps(model)).content() == model.content()


def test_parentheses_do_not_nest_the_model() -> None:
    model = loopdsl.loads("aux x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n")
    assert loopdsl.dumps(model) == "aux x = 1\n"


def test_not_utf8() -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        decode("a -> b\nnode c \"café\"\n".encode("latin-1"), "latin1.loop")
    assert str(info.value) == (
        "latin1.loop:2:12: error: the file is not UTF-8 text; save it as UTF-8\n"
        "    node c \"caf\ufffd\"\n"
        "               ^")


def test_nul_byte() -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        decode(b"a -> b\nc\x00d", "binary.loop")
    assert str(info.value) == (
        "binary.loop:2:2: error: the file contains a NUL byte: it is binary, not a model\n"
        "    c\ufffdd\n"
        "     ^")


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.load(tmp_path / "nope.loop")
    assert str(info.value) == f"{tmp_path / 'nope.loop'}: error: no such file"
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.load(tmp_path)
    assert str(info.value) == f"{tmp_path}: error: is a directory, not a model file"


BROKEN = [
    "a", "a ->", "->", "node", "node a =", "node a initial", "aux a = 1 2", "a -[", "a -[ + +",
    "a -[ gain ]-> b", "time", "time 0", "time 0 to", "time 0 to 1 step", "method", "model",
    "group", "loop", "loop R", "loop R:", "loop R: a", "loop R: a ->", "scenario", "scenario s",
    "scenario s:", "scenario s: a", "scenario s: a =", "vary", "vary a", "vary a ~",
    "vary a ~ u", "vary a ~ u(", "vary a ~ u(1", "lookup f points", "lookup f points [",
    "lookup f points [(", "lookup f points [(1", "lookup f points [(1,", "lookup f points [(1,2",
    "aux x = f(", "aux x = f(1", "aux x = f(1,", "aux x = (", "aux x = if", "aux x = if 1",
    "aux x = if 1 then", "aux x = if 1 then 2 else", "aux x = not", "aux x = 1 <", "a b c",
    "node a unit", "node a in", "flow f from", "flow f to", "node a description",
    'model m "t" description', "a -[ delay ]-> b", ")", "]", "]->", "-[", "=", ",", ":", "~",
    "123", '"x"', "a -> b ]->", "node a points [(1, 2)] foo", "stock s non_negative 5",
]
# Every lark terminal name, and rule names a message must never show.
LANGUAGE_WORDS = {"IF", "THEN", "ELSE", "AND", "OR", "NOT", "MOD", "TIME"}  # users write these
CAPITALS = re.compile(r"(?<![\w$])[A-Z_$][A-Z0-9_]+(?!\w)")  # words like ARROW_OPEN
TERMINALS = ({t.name for t in get_parser().terminals} | {"__ANON", "$END", "ARROW_OPEN"}) \
    - LANGUAGE_WORDS


@pytest.mark.parametrize("text", BROKEN)
def test_no_grammar_names_in_messages(text: str) -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads(text, "m.loop")
    for d in info.value.diagnostics:
        words = set(CAPITALS.findall(f"{d.message} {d.hint or ''}"))
        assert not words & TERMINALS, str(d)
        assert d.line is not None and d.column is not None and d.source_line is not None
        assert "expected" in d.message or "unexpected" in d.message


def test_control_character_in_a_label() -> None:
    with pytest.raises(loopdsl.LoopError) as info:
        loopdsl.loads('node a "x\x01y"\n', "flywheel.loop")
    assert str(info.value) == (
        "flywheel.loop:1:8: error: a quoted text may not contain the control character "
        "U+0001; write \\n for a new line, \\t for a tab\n"
        '    node a "x\ufffdy"\n'
        "           ^")


@pytest.mark.parametrize("equation, loop", [
    ("SMTH1(b, 2) + 1", False),  # smooth, delay and INIT read their first argument late
    ("DELAY(MAX(b, 1), 2) + (IF TIME > 1 THEN 1 ELSE 0)", False),
    ("SMTH1(1, b) + 1", True),  # ... and the others now
    ("SMTH1(SMTH1(b, 1), b) + 1", True),
    ("IF TIME > 1 THEN INIT(b) ELSE -b", True),
])
def test_what_breaks_an_algebraic_loop(equation: str, loop: bool) -> None:
    text = f"aux a = {equation}\naux b = 2 * a\n"
    if not loop:
        loopdsl.loads(text)
        return
    with pytest.raises(loopdsl.LoopError, match="algebraic loop: a -> b -> a"):
        loopdsl.loads(text)
