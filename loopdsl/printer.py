"""Model -> canonical .loop text, comments kept.

Statements come out in source order (elements built in code, with no source
position, follow in the order header, groups, nodes, links, loops,
scenarios, distributions). Parsing the printed text gives the same model, and
printing is idempotent.

>>> import loopdsl
>>> print(dumps(loopdsl.loads('node  a "A"   initial 5 # start\\na->b -[ - ]-> a')), end="")
node a "A" initial 5  # start
a -> b -[-]-> a
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from loopdsl.expr import format_expr, format_number
from loopdsl.model import (
    Distribution,
    Flow,
    Group,
    Link,
    Lookup,
    LoopDecl,
    Model,
    PlainNode,
    Pos,
    Scenario,
    Stock,
)

MAX_LINE = 100
INDENT = "    "
_IDENT = re.compile(r"(?!\d)\w+\Z")
KEYWORDS = frozenset("""model description time to step unit method group node stock flow aux
const lookup initial in from non_negative push decay capacity points continuous extrapolate
discrete gain delay loop reinforcing balancing scenario vary if then else and or not
mod""".split())


def quote(text: str) -> str:
    """A STRING literal for text: quotes, backslashes, newlines and tabs escaped."""
    body = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{body}"'


def word(text: str) -> str:
    """A unit or similar single word: bare where it is a plain identifier, else quoted."""
    if _IDENT.match(text) and text.lower() not in KEYWORDS:
        return text
    return quote(text)


def dumps(model: Model) -> str:
    """The canonical .loop text of a model."""
    blocks: list[tuple[tuple, list[str], str, str | None]] = []
    # (sort key, leading comments, statement text, trailing comment)

    def key(element: Any, section: int, index: int) -> tuple:
        pos = getattr(element, "pos", None)
        if pos is not None:
            return (0, pos.line, pos.column, section, index)
        return (1, section, index, 0, 0)

    header = _header(model)
    for i, (element, text) in enumerate(header):
        keyword = text.split(" ", 1)[0]  # model, time or method
        blocks.append((key(element, 0, i), [], text, model.header_trailing.get(keyword)))
    for i, group in enumerate(model.groups):
        blocks.append((key(group, 1, i), group.comments, _group(group), group.trailing_comment))
    for i, node in enumerate(model.nodes):
        if node.implicit:
            continue
        blocks.append((key(node, 2, i), node.comments, _node(node), node.trailing_comment))
    for i, chain in enumerate(_chains(model.links)):
        first = chain[0]
        trailing = next((link.trailing_comment for link in chain if link.trailing_comment), None)
        comments = [c for link in chain for c in link.comments]
        blocks.append((key(first, 3, i), comments, _chain(chain), trailing))
    for i, loop in enumerate(model.loops):
        blocks.append((key(loop, 4, i), loop.comments, _loop(loop), loop.trailing_comment))
    for i, scenario in enumerate(model.scenarios):
        blocks.append((key(scenario, 5, i), scenario.comments, _scenario(scenario),
                       scenario.trailing_comment))
    for i, dist in enumerate(model.distributions):
        blocks.append((key(dist, 6, i), dist.comments, _vary(dist), dist.trailing_comment))
    blocks.sort(key=lambda b: b[0])

    lines: list[str] = [f"# {c}".rstrip() if c else "#" for c in model.header_comments]
    header_count = len(header)
    for n, (_, comments, text, trailing) in enumerate(blocks):
        if comments and lines and lines[-1] != "":
            lines.append("")
        elif n == header_count and header_count and lines and lines[-1] != "":
            lines.append("")  # a blank line between the header and the body
        lines.extend(_comment(c) for c in comments)
        if trailing is not None:
            text_lines = text.split("\n")
            text_lines[0] += f"  {_comment(trailing)}"
            text = "\n".join(text_lines)
        lines.append(text)
    if model.end_comments:
        if lines:
            lines.append("")
        lines.extend(_comment(c) for c in model.end_comments)
    return "\n".join(lines) + "\n" if lines else ""


def _comment(text: str) -> str:
    return f"# {text}" if text else "#"


def _header(model: Model) -> list[tuple[Any, str]]:
    out: list[tuple[Any, str]] = []
    if model.name is not None or model.title is not None or model.description is not None:
        parts = ["model", model.name if model.name is not None and _IDENT.match(model.name)
                 else "model"]
        if model.title is not None:
            parts.append(quote(model.title))
        if model.description is not None:
            parts += ["description", quote(model.description)]
        out.append((model, " ".join(parts)))
    if model.time is not None:
        t = model.time
        text = f"time {format_number(t.start)} to {format_number(t.stop)} step " \
               f"{format_number(t.step)}"
        if t.unit is not None:
            text += f" unit {word(t.unit)}"
        out.append((t, text))
    if model.method is not None:
        out.append((_MethodPos(model), f"method {model.method}"))
    return out


class _MethodPos:
    """The method statement has no element of its own: place it after the time statement.

    Without a time (or model) statement it goes first, among the header statements,
    so the comments before it stay before it when the text is read back.
    """

    def __init__(self, model: Model):
        anchor = next((e.pos for e in (model.time, model) if e is not None and e.pos), None)
        self.pos = Pos(line=anchor.line if anchor else 0,
                       column=anchor.column + 1 if anchor else 0)


def _group(group: Group) -> str:
    parts = ["group", group.id]
    if group.label is not None:
        parts.append(quote(group.label))
    if group.description is not None:
        parts += ["description", quote(group.description)]
    return " ".join(parts)


def _node(node: Any) -> str:
    head = [node.kind, node.id]
    if node.label is not None:
        head.append(quote(node.label))
    equation = getattr(node, "equation", None)
    if equation is not None:
        head += ["=", format_expr(equation)]
    options: list[str] = []
    initial = getattr(node, "initial", None)
    if initial is not None:
        options.append(f"initial {format_expr(initial)}")
    if isinstance(node, Flow):
        if node.source is not None:
            options.append(f"from {node.source}")
        if node.target is not None:
            options.append(f"to {node.target}")
    if getattr(node, "non_negative", False):
        options.append("non_negative")
    if isinstance(node, PlainNode):
        for attr in ("push", "decay", "capacity"):
            value = getattr(node, attr)
            if value is not None:
                options.append(f"{attr} {format_expr(value)}")
    if isinstance(node, Stock) and node.capacity is not None:
        options.append(f"capacity {format_expr(node.capacity)}")
    lookup = getattr(node, "lookup", None)
    if lookup is not None:
        options.append(_points(lookup))
    if node.unit is not None:
        options.append(f"unit {word(node.unit)}")
    if node.group is not None:
        options.append(f"in {node.group}")
    if node.description is not None:
        options.append(f"description {quote(node.description)}")
    one_line = " ".join(head + options)
    if len(one_line) <= MAX_LINE or not options:
        return one_line
    return "\n".join([" ".join(head)] + [INDENT + o for o in options])


def _points(lookup: Lookup) -> str:
    pts = ", ".join(f"({format_number(x)}, {format_number(y)})"
                    for x, y in zip(lookup.xs, lookup.ys))
    text = f"points [{pts}]"
    if lookup.interpolation != "continuous":
        text += f" {lookup.interpolation}"
    return text


def _chains(links: Iterable[Link]) -> list[list[Link]]:
    """Consecutive links written as one chain statement, grouped back together."""
    chains: list[list[Link]] = []
    for link in links:
        if (chains and link.chain is not None and chains[-1][-1].chain == link.chain
                and chains[-1][-1].target == link.source):
            chains[-1].append(link)
        else:
            chains.append([link])
    return chains


def _arrow(link: Link) -> str:
    parts: list[str] = []
    if link.polarity != "+":
        parts.append(link.polarity)
    if link.gain is not None:
        parts.append(f"gain {format_expr(link.gain)}")
    if link.delay is not None:
        parts.append(f"delay {format_expr(link.delay)}")
    if link.label is not None:
        parts.append(quote(link.label))
    if not parts:
        return "->"
    return f"-[{' '.join(parts)}]->"


def _chain(chain: list[Link]) -> str:
    text = chain[0].source
    for link in chain:
        text += f" {_arrow(link)} {link.target}"
    return text


def _loop(loop: LoopDecl) -> str:
    parts = ["loop", loop.id]
    if loop.title is not None:
        parts.append(quote(loop.title))
    if loop.polarity is not None:
        parts.append({"R": "reinforcing", "B": "balancing"}[loop.polarity])
    path = loop.path + loop.path[:1]
    return " ".join(parts) + ": " + " -> ".join(path)


def _scenario(scenario: Scenario) -> str:
    parts = ["scenario", scenario.id]
    if scenario.title is not None:
        parts.append(quote(scenario.title))
    sets = ", ".join(f"{a.target} = {format_expr(a.value)}" for a in scenario.assignments)
    return " ".join(parts) + ": " + sets


def _vary(dist: Distribution) -> str:
    args = ", ".join(format_number(a) for a in dist.args)
    return f"vary {dist.target} ~ {dist.dist}({args})"


__all__ = ["dumps", "quote", "word"]
