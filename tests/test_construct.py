"""Trusted constructors (loopdsl.construct) build exactly what pydantic would.

The XMILE reader builds its expression trees and positions without validation;
these tests hold those objects to the validated ones: equal, same fields set,
same dumps, and a whole model read from XMILE survives re-validation unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import loopdsl
from loopdsl import construct
from loopdsl.construct import constructor
from loopdsl.model import Aux, Binary, Call, If, Model, Name, Num, Pos, Stock, Unary
from loopdsl.xmile import dumps_xmile, loads_xmile

MODELS = Path(__file__).resolve().parents[1] / "models"


def _cases():
    pos = Pos(line=3, column=7)
    a, b = Num(value=1.5), Name(name="x", pos=pos)
    return [
        (Pos, dict(line=1, column=2)),
        (Pos, dict(line=1, column=2, end_line=4, end_column=1)),
        (Num, dict(value=2.0, pos=pos)),
        (Name, dict(name="время")),
        (Unary, dict(op="-", operand=a, pos=pos)),
        (Binary, dict(op="mod", left=a, right=b)),
        (Call, dict(func="max", args=[a, b], pos=pos)),
        (If, dict(cond=b, then=a, orelse=b, pos=pos)),
    ]


@pytest.mark.parametrize("cls,values", _cases())
def test_trusted_object_is_the_validated_one(cls, values):
    fast = constructor(cls)(**values)
    checked = cls(**values)
    assert type(fast) is cls
    assert fast == checked
    assert fast.model_fields_set == checked.model_fields_set
    assert repr(fast) == repr(checked)
    assert fast.model_dump() == checked.model_dump()
    assert fast.model_dump_json(exclude_unset=True) == checked.model_dump_json(exclude_unset=True)


def test_missing_or_unknown_fields_fall_back_to_model_construct():
    make = constructor(Num)
    assert make(pos=None).model_fields_set == Num.model_construct(pos=None).model_fields_set
    assert "value" not in make(pos=None).__dict__
    assert make(value=1.0, bogus=2).model_dump() == {"pos": None, "type": "num", "value": 1.0}


def test_positions_stay_frozen():
    p = constructor(Pos)(line=1, column=1)
    with pytest.raises(Exception):
        p.line = 2  # type: ignore[misc]
    assert hash(p) == hash(Pos(line=1, column=1))


def test_trusted_positions_share_a_fields_set_nothing_changes():
    p = construct.make_pos(1, 1)
    with pytest.raises(Exception):
        p.line = 2  # type: ignore[misc]
    moved = p.model_copy(update={"end_line": 4})
    moved.__pydantic_fields_set__.add("end_line")  # as a validated copy would say
    assert construct.make_pos(2, 2).model_fields_set == {"line", "column"}
    assert moved.model_fields_set == {"line", "column", "end_line"}


@pytest.mark.parametrize("name", ["amazon_flywheel", "affiliate_four_rings_zh"])
def test_a_model_read_from_xmile_survives_revalidation(name):
    model = loopdsl.load(MODELS / f"{name}.loop")
    back = loads_xmile(dumps_xmile(model))
    again = Model.model_validate(back.model_dump())
    assert again.nodes == back.nodes and again.links == back.links
    assert again.model_dump_json() == back.model_dump_json()


def _positional_cases():
    pos = Pos(line=3, column=7)
    a, b = Num(value=1.5), Name(name="x", pos=pos)
    return [
        (Pos, construct.make_pos, (1, 2), dict(line=1, column=2)),
        (Num, construct.make_num, (2.0, pos), dict(value=2.0, pos=pos)),
        (Num, construct.make_num, (2.0, None), dict(value=2.0, pos=None)),
        (Name, construct.make_name, ("время", pos), dict(name="время", pos=pos)),
        (Unary, construct.make_unary, ("not", a, pos), dict(op="not", operand=a, pos=pos)),
        (Binary, construct.make_binary, ("mod", a, b, None), dict(op="mod", left=a, right=b,
                                                                  pos=None)),
        (Call, construct.make_call, ("max", [a, b], pos), dict(func="max", args=[a, b], pos=pos)),
        (If, construct.make_if, (b, a, b, pos), dict(cond=b, then=a, orelse=b, pos=pos)),
    ]


@pytest.mark.parametrize("cls,make,args,values", _positional_cases())
def test_positional_maker_builds_the_validated_object(cls, make, args, values):
    fast = make(*args)
    checked = cls(**values)
    assert make.__name__ == f"make_{cls.__name__.lower()}"  # not the fallback: fields match
    assert type(fast) is cls and fast == checked
    assert fast.model_fields_set == checked.model_fields_set
    assert repr(fast) == repr(checked)
    assert fast.model_dump_json(exclude_unset=True) == checked.model_dump_json(exclude_unset=True)


@pytest.mark.parametrize("cls", [Stock, Aux])
def test_default_factories_give_each_object_its_own_value(cls):
    make = constructor(cls)
    first, second = make(id="a"), make(id="b", comments=["c"])
    assert first == cls(id="a") and second == cls(id="b", comments=["c"])
    assert first.model_fields_set == {"id"} and first.comments == []
    first.comments.append("mine")
    assert make(id="c").comments == []
