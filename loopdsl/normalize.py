"""Stage 2b: complete the model its statements imply, before the checker reads it.

The compiler builds what each statement says; this pass adds what the model as a whole
implies: a name used in a link that no statement declares is a plain node (marked
``implicit``, so the printer leaves it out). The checker (:mod:`loopdsl.checker`) then
only reads the model.

>>> from loopdsl.compiler import build_model
>>> from loopdsl.parser import parse
>>> m = build_model(*parse("node a\\na -> b"))
>>> [(n.id, n.implicit) for n in normalize(m).nodes]
[('a', False), ('b', True)]
"""

from __future__ import annotations

from loopdsl.model import Model, PlainNode


def implicit_nodes(model: Model) -> list[PlainNode]:
    """The names used in links that no statement declares, as plain nodes (in the
    order the links name them; none once the model is normalised)."""
    if not model.links:
        return []
    known = {n.id for n in model.nodes}
    found: list[PlainNode] = []
    for link in model.links:
        for end in (link.source, link.target):
            if end not in known:
                known.add(end)
                found.append(PlainNode(id=end, implicit=True, pos=link.pos))
    return found


def normalize(model: Model) -> Model:
    """Add the model's implicit nodes to it (in place); return the model."""
    model.nodes.extend(implicit_nodes(model))
    return model
