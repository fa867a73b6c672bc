"""Fast constructors for trusted model values (readers that build thousands of nodes).

pydantic validates every keyword of every ``Num(...)``; a reader whose values are
already sound (floats it converted, operators from its own tables, positions from
its own parser) can skip that. :func:`constructor` returns a function that builds
the same object as ``cls.model_construct(**values)`` (same ``__dict__``, field
order and ``model_fields_set``) at a fraction of its cost. Users building a model
by hand should keep calling the classes: they validate.

>>> from loopdsl.model import Num, Pos
>>> num = constructor(Num)
>>> a = num(value=2.0, pos=Pos(line=1, column=3))
>>> a == Num(value=2.0, pos=Pos(line=1, column=3)), a.model_fields_set == {"value", "pos"}
(True, True)
>>> a.model_dump() == Num.model_construct(value=2.0, pos=a.pos).model_dump()
True
"""

from __future__ import annotations

from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

from pydantic import BaseModel

from loopdsl.model import Binary, Call, If, Name, Num, Pos, Unary

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)
_MISSING = object()


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    slot = BaseModel.__dict__.get(name)
    if isinstance(slot, MemberDescriptorType):
        return slot.__set__
    return lambda obj, value: object.__setattr__(obj, name, value)  # pragma: no cover


_new = object.__new__
_set_dict = object.__setattr__
_set_fields = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def constructor(cls: type[M]) -> Callable[..., M]:
    """A function building ``cls`` from trusted keyword values without validation.

    Falls back to ``cls.model_construct`` for classes it cannot mirror exactly
    (aliases, factories that take the other fields, mutable defaults, post-init hooks,
    extra fields) and for calls that omit a required field or pass an unknown one.
    A default factory is called for each object that does not get the field.

    >>> from loopdsl.model import Name
    >>> constructor(Name)(name="traffic").type
    'name'
    """
    build = from_dict(cls)

    def make(**values: Any) -> M:
        return build(values)

    make.__doc__ = f"Build a trusted {cls.__name__} without validation."
    return make


def from_dict(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """Like :func:`constructor`, but the function takes the values as one dict (which
    it does not keep): no keyword packing for a caller that gathers them in a dict.

    >>> from loopdsl.model import Aux
    >>> from_dict(Aux)({"id": "a", "label": "A"}) == Aux(id="a", label="A")
    True
    """
    fields = cls.__pydantic_fields__
    if not _mirrorable(cls):
        return lambda values: cls.model_construct(**values)
    template = {name: (_MISSING if f.is_required() or f.default_factory is not None
                       else f.default) for name, f in fields.items()}
    factories = tuple((name, f.default_factory) for name, f in fields.items()
                      if f.default_factory is not None)
    required = frozenset(name for name, f in fields.items() if f.is_required())
    known = frozenset(fields)
    new = cls.__new__
    slow = cls.model_construct

    def build(values: dict[str, Any]) -> M:
        keys = values.keys()
        if not (required <= keys and keys <= known):
            return slow(**values)
        data = template.copy()  # every field, in the class's order
        data.update(values)
        for name, factory in factories:
            if name not in values:
                data[name] = factory()  # type: ignore[call-arg]
        obj = new(cls)
        _set_dict(obj, "__dict__", data)
        _set_fields(obj, set(keys))
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    build.__doc__ = f"Build a trusted {cls.__name__} from a dict of its values."
    return build


def _mirrorable(cls: type[BaseModel]) -> bool:
    """True if a plain ``__dict__`` of field values makes the same object as validation."""
    return not (cls.__pydantic_post_init__ or cls.__pydantic_root_model__
                or cls.model_config.get("extra") == "allow"
                or any(f.alias is not None or f.validation_alias is not None
                       or (f.default_factory is not None
                           and getattr(f, "default_factory_takes_validated_data", True))
                       or (f.default_factory is None and not f.is_required()
                           and not isinstance(f.default, _IMMUTABLE))
                       for f in cls.__pydantic_fields__.values()))


# -- hand-written makers for the expression nodes the XMILE reader builds by the ten
# thousand: positional, with the ``__dict__`` written as a literal (about 0.5 us an
# object, validation 0.8-2 us). Each is checked against its class's fields at import
# and replaced by the keyword constructor above if the class has changed. They repeat
# the same five lines on purpose: a shared helper would add a call, ~15% of the cost.

def _mirrors(cls: type[BaseModel], fields: tuple[str, ...], kind: str | None) -> bool:
    """True if ``cls`` still has exactly these fields (and this ``type`` tag, if any)."""
    info = cls.__pydantic_fields__
    return (tuple(info) == fields and _mirrorable(cls) and cls.__new__ is object.__new__
            and (kind is None or info["type"].default == kind))


# Every trusted Pos shares one fields-set: Pos is frozen, so pydantic never adds to it
# (copies copy it), and a set per position was a fifth of a big model's memory.
_POS_FIELDS = {"line", "column"}


def make_pos(line: int, column: int) -> Pos:
    """A trusted ``Pos(line=line, column=column)``.

    >>> make_pos(3, 7) == Pos(line=3, column=7)
    True
    """
    obj = _new(Pos)
    _set_dict(obj, "__dict__", {"line": line, "column": column, "end_line": None,
                                "end_column": None})
    _set_fields(obj, _POS_FIELDS)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_num(value: float, pos: Pos | None) -> Num:
    """A trusted ``Num(value=value, pos=pos)``."""
    obj = _new(Num)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "num", "value": value})
    _set_fields(obj, {"value", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_name(name: str, pos: Pos | None) -> Name:
    """A trusted ``Name(name=name, pos=pos)``."""
    obj = _new(Name)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "name", "name": name})
    _set_fields(obj, {"name", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_unary(op: str, operand: Any, pos: Pos | None) -> Unary:
    """A trusted ``Unary(op=op, operand=operand, pos=pos)``."""
    obj = _new(Unary)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "unary", "op": op, "operand": operand})
    _set_fields(obj, {"op", "operand", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_binary(op: str, left: Any, right: Any, pos: Pos | None) -> Binary:
    """A trusted ``Binary(op=op, left=left, right=right, pos=pos)``."""
    obj = _new(Binary)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "binary", "op": op, "left": left,
                                "right": right})
    _set_fields(obj, {"op", "left", "right", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_call(func: str, args: list[Any], pos: Pos | None) -> Call:
    """A trusted ``Call(func=func, args=args, pos=pos)``."""
    obj = _new(Call)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "call", "func": func, "args": args})
    _set_fields(obj, {"func", "args", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def make_if(cond: Any, then: Any, orelse: Any, pos: Pos | None) -> If:
    """A trusted ``If(cond=cond, then=then, orelse=orelse, pos=pos)``."""
    obj = _new(If)
    _set_dict(obj, "__dict__", {"pos": pos, "type": "if", "cond": cond, "then": then,
                                "orelse": orelse})
    _set_fields(obj, {"cond", "then", "orelse", "pos"})
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def _keyword(cls: type[M], *params: str) -> Callable[..., M]:  # pragma: no cover
    make = constructor(cls)
    return lambda *args: make(**dict(zip(params, args)))


if not _mirrors(Pos, ("line", "column", "end_line", "end_column"), None):  # pragma: no cover
    make_pos = _keyword(Pos, "line", "column")
for _cls, _fields, _params in (
        (Num, ("pos", "type", "value"), ("value", "pos")),
        (Name, ("pos", "type", "name"), ("name", "pos")),
        (Unary, ("pos", "type", "op", "operand"), ("op", "operand", "pos")),
        (Binary, ("pos", "type", "op", "left", "right"), ("op", "left", "right", "pos")),
        (Call, ("pos", "type", "func", "args"), ("func", "args", "pos")),
        (If, ("pos", "type", "cond", "then", "orelse"), ("cond", "then", "orelse", "pos"))):
    if not _mirrors(_cls, _fields, _cls.__name__.lower()):  # pragma: no cover
        globals()[f"make_{_cls.__name__.lower()}"] = _keyword(_cls, *_params)
