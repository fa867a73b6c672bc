"""A small, strict checker for the Mermaid flowcharts loopdsl writes (tests only).

It accepts exactly the statements the exporter may emit and decodes every
quoted label, so a test can find a label intact as text, and a label that
broke out of its quotes fails to parse.
"""

from __future__ import annotations

import html
import re

_TEXT = r'"([^"]*)"'
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_NODE = re.compile(rf'^\s*({_ID})(\(|\[|\{{\{{|\(\[){_TEXT}(\)|\]|\}}\}}|\]\))$')
_EDGE = re.compile(rf'^\s*({_ID}) (-->|-\.->|===|==>)(?:\|{_TEXT}\|)? ({_ID})$')
_SUBGRAPH = re.compile(rf'^\s*subgraph ({_ID})\[{_TEXT}\]$')
_OTHER = re.compile(r'^\s*(end|%%.*|linkStyle [0-9,]+ [^"\n]*|classDef \w+ [^"\n]*|'
                    r'class [A-Za-z0-9_,]+ \w+)$')
_PAIRS = {"(": ")", "[": "]", "{{": "}}", "([": "])"}


def decode(text: str) -> str:
    """A Mermaid label's text: ``<br>`` is a newline, ``#...;`` entity codes decoded."""
    bare = text.replace("<br>", "")
    if "<" in bare or ">" in bare or "&" in bare:
        raise ValueError(f"raw markup in a label: {text!r}")
    text = text.replace("<br>", "\n")
    text = re.sub(r"#(\d+);", r"&#\1;", text)
    return html.unescape(re.sub(r"#([A-Za-z]\w*);", r"&\1;", text))


def parse(source: str) -> dict:
    """Nodes {id: label}, edges [(a, b, label)], subgraphs {id: label}; ValueError if bad."""
    lines = source.split("\n")
    if lines and lines[0] == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1:]
    if not lines or not re.fullmatch(r"flowchart (TB|LR|BT|RL)", lines[0]):
        raise ValueError(f"not a flowchart: {lines[:1]!r}")
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str | None]] = []
    subgraphs: dict[str, str] = {}
    depth = 0
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        if m := _NODE.match(line):
            if _PAIRS[m.group(2)] != m.group(4):
                raise ValueError(f"line {number}: unbalanced shape: {line!r}")
            nodes[m.group(1)] = decode(m.group(3))
        elif m := _EDGE.match(line):
            label = decode(m.group(3)) if m.group(3) is not None else None
            edges.append((m.group(1), m.group(4), label))
        elif m := _SUBGRAPH.match(line):
            subgraphs[m.group(1)] = decode(m.group(2))
            depth += 1
        elif m := _OTHER.match(line):
            if m.group(1) == "end":
                depth -= 1
                if depth < 0:
                    raise ValueError(f"line {number}: 'end' without subgraph")
        else:
            raise ValueError(f"line {number}: not a statement: {line!r}")
    if depth:
        raise ValueError("a subgraph is not closed")
    for a, b, _ in edges:
        for end in (a, b):
            if end not in nodes:
                raise ValueError(f"edge to undeclared node {end}")
    return {"nodes": nodes, "edges": edges, "subgraphs": subgraphs}
