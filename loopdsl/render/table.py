"""The loop table shown beside a diagram in docs: id, kind, path, gain, cycle time.

>>> import loopdsl
>>> rows = loop_rows(loopdsl.loads("a -[gain 2]-> b -[delay 3]-> a"))
>>> rows[0]["loop"], rows[0]["kind"], rows[0]["path"]
('R1', 'reinforcing', 'a → b → a')
>>> print(loop_table_html(loopdsl.loads('node a "<x>"  a -> b -> a')).splitlines()[2])
... # doctest: +ELLIPSIS
<tr><td>R1</td><td>reinforcing</td><td>&lt;x&gt; → b → &lt;x&gt;</td><td>2</td>...</tr>
"""

from __future__ import annotations

import html
import math

from loopdsl.model import Model
from loopdsl.render.loopmarks import loops_and_signs

COLUMNS = (("loop", "Loop"), ("kind", "Kind"), ("path", "Path"), ("length", "Links"),
           ("gain", "Gain"), ("cycle_time", "Cycle time"))


def _number(value: object) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "–"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def loop_rows(model: Model, limit: int = 100) -> list[dict[str, str]]:
    """One row of text per loop (declared loops first), labels in place of ids."""
    G = model.graph
    loops, _ = loops_and_signs(model, G, limit)
    rows = []
    for loop in loops:
        names = [G.nodes[n].get("label") or n if n in G else n for n in loop.nodes]
        title = f" ({loop.title})" if loop.title else ""
        rows.append({
            "loop": loop.id + title,
            "kind": loop.kind,
            "path": " → ".join(names + names[:1]),
            "length": str(len(loop.nodes)),
            "gain": _number(loop.extra.get("gain")),
            "cycle_time": _number(loop.extra.get("cycle_time")),
        })
    return rows


def loop_table_html(model: Model, limit: int = 100) -> str:
    """The loop table as an HTML ``<table>`` (every cell escaped)."""
    rows = loop_rows(model, limit)
    if not rows:
        return '<p class="loopdsl-no-loops">No feedback loops: this model is a funnel.</p>\n'
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(row[key])}</td>" for key, _ in COLUMNS)
                   + "</tr>\n" for row in rows)
    return f'<table class="loopdsl-loops">\n<tr>{head}</tr>\n{body}</table>\n'
