"""XMILE import and export: the reader, the writer, the round trip and the CLI commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import loopdsl
from loopdsl.cli import main
from loopdsl.errors import LoopError
from loopdsl.expr import format_expr
from loopdsl.model import PlainNode
from loopdsl.printer import dumps
from loopdsl.xmile import dumps_xmile, load_xmile, loads_xmile

REPO = Path(__file__).resolve().parents[1]
MODELS = sorted((REPO / "models").glob("*.loop"))
NS = 'xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"'


def xmile(variables: str, specs: str = "<start>0</start><stop>10</stop><dt>1</dt>",
          spec_attrs: str = "", extra: str = "") -> str:
    return (f'<?xml version="1.0"?>\n<xmile version="1.0" {NS}>\n'
            f"<header><name>t</name></header>\n<sim_specs{spec_attrs}>{specs}</sim_specs>\n"
            f"{extra}<model>\n<variables>\n{variables}\n</variables>\n</model>\n</xmile>\n")


def error_of(text: str) -> LoopError:
    with pytest.raises(LoopError) as info:
        loads_xmile(text, "m.xmile")
    return info.value


# -- reading ----------------------------------------------------------------------------------

def test_stocks_flows_and_names_with_spaces():
    m = loads_xmile(xmile('''
      <flow name="Heat Loss to Room"><doc> Heat lost </doc><units>deg/min</units>
        <eqn>("Teacup Temperature"-"room temperature")/Characteristic_Time</eqn></flow>
      <aux name="Room Temperature"><eqn>70</eqn></aux>
      <stock name="Teacup Temperature"><outflow>"Heat Loss to Room"</outflow><eqn>180</eqn>
        <non_negative/></stock>
      <aux name="characteristic time"><eqn>10 {minutes}</eqn></aux>'''))
    flow = m.node("Heat_Loss_to_Room")
    assert (flow.label, flow.description, flow.unit) == ("Heat Loss to Room", "Heat lost",
                                                          "deg/min")
    assert flow.source == "Teacup_Temperature" and flow.target is None
    assert format_expr(flow.equation) == \
        "(Teacup_Temperature - Room_Temperature) / characteristic_time"
    assert m.node("Teacup_Temperature").non_negative
    assert m.node("Room_Temperature").kind == "const"


def test_sim_specs_reciprocal_dt_method_units():
    m = loads_xmile(xmile("<aux name='a'><eqn>1</eqn></aux>",
                          '<start>2</start><stop>5</stop><dt reciprocal="true">4</dt>',
                          ' method="RK4" time_units="Months"'))
    assert (m.time.start, m.time.stop, m.time.step, m.time.unit, m.method) == \
        (2, 5, 0.25, "Months", "rk4")
    err = error_of(xmile("<aux name='a'><eqn>1</eqn></aux>", spec_attrs=' method="RK2"'))
    assert "integration method 'RK2' is not supported" in str(err) and err.first.line == 4


def test_flows_in_and_out_and_uniflows():
    m = loads_xmile(xmile('''
      <stock name="a"><eqn>10</eqn><outflow>move</outflow></stock>
      <stock name="b"><eqn>0</eqn><inflow>move</inflow><inflow>birth</inflow></stock>
      <flow name="move"><eqn>a * 0.1</eqn><non_negative/></flow>
      <flow name="birth"><eqn>1</eqn></flow>'''))
    assert (m.node("move").source, m.node("move").target) == ("a", "b")
    assert m.node("move").non_negative and not m.node("birth").non_negative
    assert (m.node("birth").source, m.node("birth").target) == (None, "b")


def test_behavior_sets_default_non_negative():
    m = loads_xmile(xmile('''<stock name="s"><eqn>1</eqn><outflow>f</outflow></stock>
        <flow name="f"><eqn>1</eqn></flow>''',
                          extra="<behavior><stock><non_negative/></stock></behavior>\n"))
    assert m.node("s").non_negative and not m.node("f").non_negative


def test_case_and_underscore_insensitive_names_and_functions():
    m = loads_xmile(xmile('''
      <aux name="Capitalized  Variable"><eqn>5</eqn></aux>
      <aux name="ref"><eqn>capitalized_VARIABLE + Abs(-1) + "CAPITALIZED variable"</eqn></aux>
      <aux name="t"><eqn>time + Time + TIME</eqn></aux>'''))
    assert format_expr(m.node("ref").equation) == \
        "Capitalized_Variable + ABS(-1) + Capitalized_Variable"
    assert format_expr(m.node("t").equation) == "TIME + TIME + TIME"


def test_quoted_names_with_escapes_and_special_characters():
    m = loads_xmile(xmile(r'''
      <aux name="a &quot;b&quot; c"><eqn>1</eqn></aux>
      <aux name="x-y (z)"><eqn>"a \"b\" c" * 2</eqn></aux>
      <aux name="to"><eqn>"x-y (z)"</eqn></aux>
      <aux name="Трафик в день"><eqn>Трафик_в_день_2</eqn></aux>
      <aux name="Трафик в день 2"><eqn>3</eqn></aux>'''))
    assert m.node_ids == ["a_b_c", "x_y_z", "to_", "Трафик_в_день", "Трафик_в_день_2"]
    assert m.node("a_b_c").label == 'a "b" c'
    assert format_expr(m.node("x_y_z").equation) == "a_b_c * 2"
    assert format_expr(m.node("to_").equation) == "x_y_z"
    again = loopdsl.loads(dumps(m))  # identifiers are valid .loop, keywords avoided
    assert again.content() == loopdsl.loads(dumps(again)).content()


def test_equation_syntax():
    m = loads_xmile(xmile('''
      <aux name="a"><eqn>IF Time &gt;= 5 AND NOT (time = 7) OR 0 THEN .5 ELSE 5. * 1e-3</eqn></aux>
      <aux name="b"><eqn>-2^2 + 7 MOD 3 + 2 * IF a &lt;&gt; 1 THEN 1 ELSE 2</eqn></aux>
      <aux name="c"><eqn>
          a
          +  b  { a comment
                  over lines }
      </eqn></aux>'''))
    assert format_expr(m.node("a").equation) == \
        "IF TIME >= 5 AND NOT TIME = 7 OR 0 THEN 0.5 ELSE 5 * 0.001"
    assert format_expr(m.node("b").equation) == \
        "-2 ^ 2 + 7 MOD 3 + 2 * (IF a <> 1 THEN 1 ELSE 2)"
    assert format_expr(m.node("c").equation) == "a + b"


def test_builtins_smooth_delay_family():
    m = loads_xmile(xmile('''
      <aux name="x"><eqn>SMTH1(1, 2) + smth3(1, 2, 3) + SMTHN(1, 2, 3) + DELAY(x2, 1)
        + DELAY1(1, 2) + delay3(1, 2) + DELAYN(1, 2, 3, 4) + TREND(1, 2) + FORCST(1, 2, 3)
        + INIT(x2) + PREVIOUS(x2, 0) + STEP(1, 2) + RAMP(1, 2) + PULSE(1, 2, 3)
        + SAFEDIV(1, 0) + MIN(1, 2) + MAX(1, 2) + INT(1.5) + LN(1) + LOG10(1) + EXP(0)
        + SQRT(4) + SIN(PI) + ARCTAN(1) + INF * 0</eqn></aux>
      <aux name="x2"><eqn>1</eqn></aux>'''))
    calls = re.findall(r"([A-Z0-9]+)\(", format_expr(m.node("x").equation))
    assert calls[:5] == ["SMTH1", "SMTH3", "SMTHN", "DELAY", "DELAY1"]
    assert len(calls) == 24


def test_graphical_functions():
    m = loads_xmile(xmile('''
      <gf name="effect table" type="extrapolate">
        <xpts sep=";">0;5;10</xpts><ypts>1,0.5,0</ypts></gf>
      <gf name="steps"><xscale min="0" max="10"/><yscale min="0" max="9"/>
        <ypts sep=" ">1 2 3</ypts></gf>
      <aux name="use"><eqn>effect_table(Time) + LOOKUP(steps, 5) + own(3)</eqn></aux>
      <aux name="own"><eqn>Time</eqn><gf discrete="true"><xpts>0,1</xpts><ypts>5,6</ypts></gf>
      </aux>'''))
    table = m.node("effect_table").lookup
    assert (table.xs, table.ys, table.interpolation) == ([0, 5, 10], [1, 0.5, 0], "extrapolate")
    assert m.node("steps").lookup.xs == [0, 5, 10]
    own = m.node("own")
    assert own.lookup.interpolation == "discrete" and format_expr(own.equation) == "TIME"
    # calling an aux's own graphical function with another input uses a copy of its table
    assert format_expr(m.node("use").equation) == \
        "effect_table(TIME) + steps(5) + own_graph(3)"
    assert m.node("own_graph").lookup == own.lookup


def test_self_names_the_variable_being_defined():
    m = loads_xmile(xmile('<aux name="count"><eqn>PREVIOUS(SELF, 0) + 1</eqn></aux>'))
    assert format_expr(m.node("count").equation) == "PREVIOUS(count, 0) + 1"


def test_older_stella_layout_without_variables_element():
    text = f'''<xmile version="1.0" {NS}><sim_specs><start>0</start><stop>4</stop>
      <dt>1</dt></sim_specs><model>
      <stock name="s"><eqn>1</eqn><inflow>f</inflow></stock>
      <flow name="f"><eqn>s</eqn></flow></model></xmile>'''
    m = loads_xmile(text)
    assert [n.kind for n in m.nodes] == ["stock", "flow"] and m.node("f").target == "s"


def test_vendor_elements_are_ignored_even_with_undeclared_prefix():
    text = xmile('<aux name="a"><eqn>1</eqn><isee:stuff x="1"/></aux>', extra="<isee:prefs/>")
    assert loads_xmile(text).node_ids == ["a"]


# -- what is refused ------------------------------------------------------------------------

@pytest.mark.parametrize("variables, message, line", [
    ('<aux name="a">\n<dimensions><dim name="d"/></dimensions><eqn>1</eqn></aux>',
     "arrays (<dimensions> element) are not supported", 8),
    ('<module name="m"/>', "modules (<module> element) are not supported", 7),
    ('<stock name="s"><eqn>1</eqn>\n<conveyor><len>1</len></conveyor></stock>',
     "conveyors (<conveyor> element) are not supported", 8),
    ('<aux name="a"><eqn>b[1]</eqn></aux><aux name="b"><eqn>1</eqn></aux>',
     "arrays are not supported", 7),
    ('<aux name="a"><eqn>SUM(b)</eqn></aux>', "the array function SUM is not supported", 7),
    ('<aux name="a"><eqn>FOO(1)</eqn></aux>', "unknown function 'FOO'", 7),
    ('<aux name="a"><eqn>1 +\n nope</eqn></aux>', "undefined variable 'nope'", 8),
    ('<aux name="a"><eqn>1 + </eqn></aux>', "expected a number, a name or '('", 7),
    ('<aux name="a"><eqn>{open</eqn></aux>', "unterminated {comment}", 7),
    ('<aux name="a"></aux>', "aux 'a' has no equation", 7),
    ('<aux name="a"><eqn>1</eqn></aux><aux name="A"><eqn>2</eqn></aux>',
     "duplicate variable name 'A'", 7),
    ('<stock name="s"><eqn>1</eqn><inflow>x</inflow></stock>',
     "lists 'x' as inflow, which is an undefined name", 7),
])
def test_unsupported_and_wrong_input_is_an_error_with_its_line(variables, message, line):
    err = error_of(xmile(variables))
    assert message in err.first.message
    assert err.first.line == line and err.first.file == "m.xmile"


def test_macros_and_several_models_are_refused():
    assert "macros" in str(error_of(xmile("", extra="<macro name='f'/>\n")))
    two = xmile('<aux name="a"><eqn>1</eqn></aux>').replace(
        "</xmile>", '<model name="sub"><variables/></model></xmile>')
    assert "modules (more than one model)" in str(error_of(two))


def test_xml_errors_have_line_and_column():
    err = error_of('<xmile>\n  <model><aux name="a"></model></xmile>')
    assert "invalid XML: mismatched tag" in err.first.message
    assert (err.first.line, err.first.column) == (2, 26)
    assert "not an XMILE file" in str(error_of("<html/>"))


def test_entities_are_never_expanded_or_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    for decl in (f'<!ENTITY x SYSTEM "file://{secret}">', '<!ENTITY x "boom">'):
        text = f'<?xml version="1.0"?><!DOCTYPE xmile [{decl}]>' + \
            xmile('<aux name="a"><doc>&x;</doc><eqn>1</eqn></aux>').split("?>", 1)[1]
        err = error_of(text)
        assert "entity declarations are not allowed" in str(err)
        assert "TOPSECRET" not in str(err)


# -- writing and the round trip -------------------------------------------------------------

def _without_comments(model) -> dict:
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items()
                    if k not in ("comments", "trailing_comment", "chain", "header_comments",
                                 "end_comments")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    return strip(model.content())


def strip_extension(text: str) -> str:
    """What another tool sees: the XMILE with every loopdsl: element removed."""
    text = re.sub(r"<loopdsl:(\w+)[^>]*/>", "", text)
    return re.sub(r"<loopdsl:(\w+)[^>]*>.*?</loopdsl:\1>", "", text, flags=re.S)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_bundled_models_round_trip_through_xmile(path):
    model = loopdsl.load(path)
    text = dumps_xmile(model)
    assert _without_comments(loads_xmile(text)) == _without_comments(model)
    # without loopdsl's extension elements it is still a complete, valid model
    foreign = loads_xmile(strip_extension(text))
    assert "<loopdsl:" not in strip_extension(text)
    assert not any(isinstance(n, PlainNode) for n in foreign.nodes)
    ours = {n.id for n in model.nodes if n.kind != "lookup"}
    assert ours <= {n.id for n in foreign.nodes}


def test_reading_leaves_no_reference_cycle():
    """The reader's objects are freed as soon as they are dropped (loads_xmile moves the
    model straight to the collector's oldest generation, where a cycle would linger)."""
    import gc

    from loopdsl.xmile.reader import Reader

    texts = [dumps_xmile(loopdsl.load(path)) for path in MODELS]
    texts.append(xmile('<stock name="s"><eqn>IF TIME > 2 THEN MAX(1, -x ^ 2) ELSE 0</eqn>'
                       '<inflow>f</inflow></stock><flow name="f"><eqn>LOOKUP(g, s) * x</eqn>'
                       '</flow><aux name="x"><eqn>SMTH1(s, 2) + 1</eqn><gf><xscale min="0" '
                       'max="1"/><ypts>0,1</ypts></gf></aux><gf name="g"><xpts>0,1</xpts>'
                       '<ypts>1,2</ypts></gf>'))
    gc.collect()
    for text in texts:
        Reader(text, "m.xmile").read()
    loads_xmile(texts[-1])  # declares no loop: the checker builds no networkx graph
    assert gc.collect() == 0


def test_export_escapes_and_keeps_unicode():
    m = loopdsl.loads('stock 客户 "客户 <&> \\"quoted\\"" initial 1 unit "人/月" '
                      'description "a < b & c"\nflow 注册 = 客户 * 0.1 to 客户')
    text = dumps_xmile(m)
    assert "客户 &lt;&amp;&gt; \"quoted\"" in text and "a &lt; b &amp; c" in text
    back = loads_xmile(text)
    assert back.node("客户").label == '客户 <&> "quoted"' and back.node("客户").unit == "人/月"


def test_export_refuses_names_xmile_would_merge():
    m = loopdsl.loads("const a_b = 1\nconst A_B = 2")
    with pytest.raises(LoopError, match="the same name in XMILE"):
        dumps_xmile(m)


def test_export_refuses_unknown_sign_into_plain_node():
    with pytest.raises(LoopError, match="unknown sign"):
        dumps_xmile(loopdsl.loads("a -[?]-> b"))


def test_export_precedence_is_unambiguous():
    m = loopdsl.loads("const a = 2\naux b = -a ^ 2 + (-a) ^ 2 - (1 - a) * 2 ^ 3 ^ 2 "
                      "+ (NOT a = 1) + (IF a THEN 1 ELSE 2) + 8 / (4 / 2)")
    text = dumps_xmile(m)
    assert ("<eqn>(-(a ^ 2)) + (-a) ^ 2 - (1 - a) * 2 ^ (3 ^ 2) + (NOT (a = 1)) "
            "+ (IF a THEN 1 ELSE 2) + 8 / (4 / 2)</eqn>") in text
    assert format_expr(loads_xmile(text).node("b").equation) == format_expr(m.node("b").equation)


# -- CLI ------------------------------------------------------------------------------------

TEACUP = '''<xmile version="1.0" {ns}><sim_specs><start>0</start><stop>30</stop><dt>0.125</dt>
</sim_specs><model><variables>
<flow name="Heat Loss"><eqn>(Teacup_Temperature - 70) / 10</eqn></flow>
<stock name="Teacup Temperature"><outflow>Heat_Loss</outflow><eqn>180</eqn></stock>
</variables></model></xmile>'''.format(ns=NS)


def test_cli_import_export_and_other_commands_take_xmile(tmp_path, capsys):
    source = tmp_path / "teacup.stmx"
    source.write_text(TEACUP, encoding="utf-8")
    out = tmp_path / "teacup.loop"
    assert main(["import", str(source), "-o", str(out)]) == 0
    model = loopdsl.load(out)
    assert model.node("Heat_Loss").source == "Teacup_Temperature"
    assert main(["export", str(out), "--to", "xmile", "-o", str(tmp_path / "back.xmile")]) == 0
    assert load_xmile(tmp_path / "back.xmile").content() == model.content()
    assert main(["check", str(source)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["loops", str(source)]) == 0
    assert "1 balancing" in capsys.readouterr().out
    csv_path = tmp_path / "run.csv"
    assert main(["simulate", str(source), "--csv", str(csv_path)]) == 0
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "time,Heat_Loss,Teacup_Temperature"
    assert lines[1] == "0,11,180" and len(lines) == 242
    bad = tmp_path / "bad.xmile"
    bad.write_text("<xmile><model>", encoding="utf-8")
    assert main(["import", str(bad)]) == 1
    assert "bad.xmile:1:15: error: invalid XML" in capsys.readouterr().err


def test_export_refuses_what_rk4_would_change():
    """Under RK4 loopdsl holds plain nodes through a step; an XMILE aux would not be held."""
    text = "time 0 to 10 step 0.5\nmethod rk4\nstock s initial 1\nflow f = n * 0.1 to s\n"
    with pytest.raises(LoopError, match="delay 0 into a plain node and the model uses RK4"):
        dumps_xmile(loopdsl.loads(text + "s -[delay 0]-> n"))
    with pytest.raises(LoopError, match="has a push and the model uses RK4"):
        dumps_xmile(loopdsl.loads(text + "node n push STEP(1, 2)\ns -> n"))
    dumps_xmile(loopdsl.loads(text + "s -[delay 1]-> n"))  # delayed links are fine
    dumps_xmile(loopdsl.loads(text.replace("rk4", "euler") + "s -[delay 0]-> n"))


@pytest.mark.parametrize("eqn", ["(" * 400 + "1" + ")" * 400, "1" + " + 1" * 3000,
                                 "ABS(" * 100 + "1" + ")" * 100])
def test_deeply_nested_equations_are_an_error_not_a_crash(eqn):
    err = error_of(xmile(f'<aux name="a"><eqn>{eqn}</eqn></aux>'))
    assert "nested too deeply" in err.first.message and err.first.line == 7


# -- every expression survives being written as XMILE and read back ------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from loopdsl.model import Binary, Call, If, Name, Num, Unary, strip_positions  # noqa: E402
from loopdsl.xmile.equations import parse_equation  # noqa: E402
from loopdsl.xmile.writer import format_xmile  # noqa: E402

_leaves = st.one_of(
    st.builds(Num, value=st.floats(min_value=0, max_value=1e6, allow_nan=False)),
    st.builds(Name, name=st.sampled_from(["a", "b_c", "время", "TIME"])),
)


def _extend(children):
    return st.one_of(
        st.builds(Unary, op=st.sampled_from(["-", "not"]), operand=children),
        st.builds(Binary, op=st.sampled_from(["+", "-", "*", "/", "^", "mod", "=", "<>", "<",
                                              "<=", ">", ">=", "and", "or"]),
                  left=children, right=children),
        st.builds(Call, func=st.sampled_from(["max", "smth1"]),
                  args=st.lists(children, min_size=2, max_size=2)),
        st.builds(If, cond=children, then=children, orelse=children),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaves, _extend, max_leaves=12))
def test_xmile_equation_write_read_round_trip(expr):
    text = format_xmile(expr)
    back = parse_equation(text, resolve=lambda key, raw: raw)
    assert strip_positions(back.model_dump()) == strip_positions(expr.model_dump()), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab_1.5e+-*/^(),=<>[]!" {}\u00a0\\IFNOTmodé\n', max_size=16))
def test_the_parser_scans_the_tokens_the_tokenizer_reads(text):
    from loopdsl.xmile.equations import EquationError, scan, tokenize

    try:
        tokens = tokenize(text)
    except EquationError as err:
        with pytest.raises(EquationError) as raised:
            scan(text)
        assert (raised.value.message, raised.value.offset) == (err.message, err.offset)
        return
    keys, texts, offsets = scan(text)
    assert texts == [t.text for t in tokens] and offsets == [t.offset for t in tokens]
    assert keys == [t.text if t.kind in ("op", "kw") else
                    {"num": "#num", "name": "#name", "qname": "#name", "end": "#end"}[t.kind]
                    for t in tokens]


@pytest.mark.parametrize("first, second", [
    ("a * b + 2 * c", "c * time + 3 * a"),
    ("IF a > 1 AND NOT b THEN -a ^ 2 ELSE (b - c) / 4",
     "IF c > 2 AND NOT a THEN -c ^ 1 ELSE (a - dt) / 5"),
    ("a MOD b - -c", "c MOD a - -b"),
])
def test_an_equation_of_a_known_shape_is_replayed_as_the_parser_reads_it(first, second):
    from loopdsl.construct import make_pos
    from loopdsl.xmile import equations

    def resolve(key, raw):
        if key in ("a", "b", "c"):
            return key.upper()
        raise equations.EquationError(f"undefined variable '{raw}'", 0)

    def where(offset):
        return make_pos(1, offset + 1)

    equations._PLANS.clear()
    fresh = parse_equation(second, resolve, where=where)
    parse_equation(first, resolve, where=where)  # the same shape as second, seen first
    assert equations._PLANS  # kept for the next equation of this shape
    replayed = parse_equation(second, resolve, where=where)
    assert replayed == fresh and replayed.model_dump() == fresh.model_dump()
    bad = second.replace("a", "zz", 1)  # still the same shape: the replay reports the name
    equations._PLANS.clear()
    with pytest.raises(equations.EquationError) as parsed:
        parse_equation(bad, resolve, where=where)
    parse_equation(first, resolve, where=where)
    with pytest.raises(equations.EquationError) as again:
        parse_equation(bad, resolve, where=where)
    assert (again.value.message, again.value.offset) == (parsed.value.message,
                                                         parsed.value.offset)


def test_a_variable_may_share_the_model_name():
    m = loads_xmile(xmile('<stock name="t"><eqn>1</eqn></stock>'))  # the header's name is t
    assert m.name == "t" and m.node_ids == ["t"]


def test_stella_line_breaks_in_names():
    m = loads_xmile(xmile(r'<stock name="Teacup\nTemperature"><eqn>1</eqn></stock>'
                          r'<aux name="x"><eqn>Teacup_Temperature * 2</eqn></aux>'))
    assert (m.nodes[0].id, m.nodes[0].label) == ("Teacup_Temperature", "Teacup Temperature")


def test_export_of_characters_xml_cannot_hold():
    from loopdsl.model import Constant, Model, Num

    m = Model(name="m", nodes=[Constant(id="a", label='x\x01y\nz"<', description="d\x00",
                                        equation=Num(value=1))])
    back = loads_xmile(dumps_xmile(m))
    assert back.node("a").label == 'x\ufffdy\nz"<' and back.node("a").description == "d\ufffd"


@pytest.mark.parametrize("variables, specs, message", [
    ('<aux name="a"><eqn>1e999</eqn></aux>', "", "number '1e999' is too large"),
    ('<aux name="a"><eqn>1</eqn></aux>', "<stop>nan</stop>", "<stop> must be a number"),
    ('<gf name="g"><xpts>0,inf</xpts><ypts>1,2</ypts></gf>', "", "<xpts> must be numbers"),
    ('<gf name="g"><xscale min="0" max="x"/><ypts>1,2</ypts></gf>', "",
     "<xscale> needs numeric min and max"),
    ('<gf name="g"><xpts>0,1,2</xpts><ypts>1,2</ypts></gf>', "", "3 x points but 2 y points"),
    ('<gf name="g"><xpts>1,0</xpts><ypts>1,2</ypts></gf>', "", "ascending order"),
])
def test_numbers_must_be_finite_and_tables_sound(variables, specs, message):
    err = error_of(xmile(variables, specs or "<start>0</start><stop>1</stop><dt>1</dt>"))
    assert message in err.first.message


def test_mod_as_function_and_as_operator():
    model = loads_xmile(xmile('<aux name="a"><eqn>MOD(7, 3) + 7 mod 4</eqn></aux>'), "m.xmile")
    assert model.simulate()["a"][0] == 4.0


@pytest.mark.parametrize("element, message", [
    ('<loopdsl:vary target="k" dist="uniform" args=""/>', "uniform takes 2 numbers, got 0"),
    ('<loopdsl:vary target="k" dist="triangular" args="1 2"/>',
     "triangular takes 3 numbers, got 2"),
    ('<loopdsl:vary target="k" dist="uniform" args="3 1"/>',
     "uniform: the low end is above the high end"),
    ('<loopdsl:vary target="k" dist="normal" args="1 nan"/>', "args must be numbers"),
    ('<loopdsl:scenario id="(s"/>', "<loopdsl:scenario> id '(s' is not a name"),
    ('<loopdsl:loop id="if">k</loopdsl:loop>', "<loopdsl:loop> id 'if' is not a name"),
])
def test_loopdsl_extension_values_that_dot_loop_cannot_hold_are_errors(element, message):
    ext = ('<loopdsl:extension xmlns:loopdsl="urn:loopdsl:xmile:1" name="m">'
           f"{element}</loopdsl:extension>")
    err = error_of(xmile('<aux name="k"><eqn>1</eqn></aux>', extra=ext))
    assert message in err.first.message and err.first.line == 5
