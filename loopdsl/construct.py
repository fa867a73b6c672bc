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

from typing import Any, Callable, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)
_MISSING = object()


def constructor(cls: type[M]) -> Callable[..., M]:
    """A function building ``cls`` from trusted keyword values without validation.

    Falls back to ``cls.model_construct`` for classes it cannot mirror exactly
    (aliases, default factories, mutable defaults, post-init hooks, extra fields)
    and for calls that omit a required field or pass an unknown one.

    >>> from loopdsl.model import Name
    >>> constructor(Name)(name="traffic").type
    'name'
    """
    fields = cls.__pydantic_fields__
    if (cls.__pydantic_post_init__ or cls.__pydantic_root_model__
            or cls.model_config.get("extra") == "allow"
            or any(f.alias is not None or f.validation_alias is not None
                   or f.default_factory is not None
                   or (not f.is_required() and not isinstance(f.default, _IMMUTABLE))
                   for f in fields.values())):
        return cls.model_construct
    base = {name: (_MISSING if f.is_required() else f.default) for name, f in fields.items()}
    required = frozenset(name for name, f in fields.items() if f.is_required())
    known = frozenset(fields)
    new = cls.__new__
    set_attr = object.__setattr__
    slow = cls.model_construct

    def make(**values: Any) -> M:
        keys = values.keys()
        if not (required <= keys and keys <= known):
            return slow(**values)
        obj = new(cls)
        set_attr(obj, "__dict__", {**base, **values})
        set_attr(obj, "__pydantic_fields_set__", set(keys))
        set_attr(obj, "__pydantic_extra__", None)
        set_attr(obj, "__pydantic_private__", None)
        return obj

    make.__doc__ = f"Build a trusted {cls.__name__} without validation."
    return make
