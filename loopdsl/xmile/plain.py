"""Plain causal nodes as XMILE stock-and-flow structure (placeholder until semantics land)."""

from __future__ import annotations

from loopdsl.errors import LoopError
from loopdsl.model import Model, PlainNode


def expand_plain_nodes(model: Model) -> Model:
    """The model with its plain causal nodes replaced by XMILE-expressible variables."""
    for node in model.nodes:
        if isinstance(node, PlainNode):
            raise LoopError(f"plain node '{node.id}' cannot be exported to XMILE yet")
    return model
