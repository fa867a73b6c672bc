"""A :class:`~loopdsl.analysis.report.LoopReport` as text: table, Markdown, CSV or JSON.

Every format says plainly when the enumeration stopped early, and a model without
loops is reported as a funnel. The table aligns columns by terminal cells, so Chinese
labels (two cells a character) line up.

>>> import loopdsl
>>> from loopdsl.analysis.report import loop_report
>>> text = render(loop_report(loopdsl.loads('node a "曝光"\\na -> b -> a')), "table")
>>> print(text.splitlines()[2])
ID  Type  Links  Gain  Cycle (time units)  Growth/time unit  Loop
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from loopdsl.analysis.report import FUNNEL_MESSAGE, LoopReport

FORMATS = ("table", "json", "md", "csv")
WORDS = {"R": "reinforcing", "B": "balancing", "U": "unknown"}


def text_width(text: str) -> int:
    """Terminal cells a string takes: wide (CJK) characters 2, combining marks 0.

    >>> text_width("曝光 UGC"), text_width("Трафик")
    (8, 6)
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """Text padded with spaces to ``width`` cells."""
    return text + " " * max(0, width - text_width(text))


def align(rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Rows of cells as aligned lines (the last column not padded).

    >>> align([["a", "bb"], ["曝", "c"]])
    ['a   bb', '曝  c']
    """
    widths = [max(text_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [gap.join(pad(c, w) if i < len(r) - 1 else c
                     for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]


def number(value: float | None, digits: int = 4) -> str:
    """A figure for people: 4 significant digits; '-' for unknown.

    >>> number(1.0), number(0.123456), number(None), number(-0.0)
    ('1', '0.1235', '-', '0')
    """
    if value is None:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"


def _unit(report: LoopReport) -> str:
    return report.system.time_unit or "time unit"


def clean(text: str) -> str:
    """A label on one line: line breaks and tabs as spaces, other controls as U+FFFD.

    >>> clean("Growth\\nloop\\x07")
    'Growth loop\ufffd'
    """
    out = []
    for ch in text:
        if ch in "\n\r\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def _path(report: LoopReport, nodes: Sequence[str]) -> str:
    names = [clean(report.labels.get(n, n)) for n in nodes]
    return " → ".join(names + names[:1])


def _stopped(report: LoopReport) -> str:
    return (f"STOPPED EARLY: {report.reason}; the list is incomplete, and the counts and "
            "hubs cover only the loops listed.")


def _loops(n: int) -> str:
    return f"{n} loop" + ("" if n == 1 else "s")


def _summary(report: LoopReport) -> str:
    name = report.title or report.name or "model"
    if report.name and report.title:
        name = f"{report.title} ({report.name})"
    c = report.counts()
    parts = f"{c['R']} reinforcing, {c['B']} balancing"
    if c["U"]:
        parts += f", {c['U']} of unknown polarity"
    count = _loops(len(report.loops))
    if report.independent:
        count = count.replace("loop", "independent loop")
    return f"{clean(name)}: {count} ({parts})"


def _growth_sentences(report: LoopReport) -> list[str]:
    s = report.system
    unit = _unit(report)
    lines = []
    if s.growth_per_time is None:
        lines.append(f"Dominant growth factor: unknown ({s.note})")
        return lines
    lines.append(f"Dominant growth factor: {number(s.growth_per_time)} per {unit} "
                 f"(linearised model, {s.method})")
    if s.note:
        lines.append(f"Note: {s.note}")
    if s.sustains:
        lines.append("Sustains itself without an outside push: yes (growth factor >= 1)")
    else:
        lines.append("Sustains itself without an outside push: no (growth factor < 1: "
                     "without a push, activity dies out)")
    return lines


def _lever_sentence(report: LoopReport, lever: Any) -> str:
    unit = _unit(report)
    link = f"{clean(report.labels.get(lever.source, lever.source))} → " \
           f"{clean(report.labels.get(lever.target, lever.target))}"
    pct = lever.gain_plus_10 if lever.gain_plus_10 is not None else 10 * lever.gain_elasticity
    text = f"raise the gain of {link} by 10% and growth per {unit} " \
           f"{'rises' if pct >= 0 else 'falls'} by {number(abs(pct), 3)}%"
    if lever.shorten_one_step is not None:
        step = "one step" if report.system.dt != 1 else f"one {unit}"
        change = lever.shorten_one_step
        text += f"; shorten its delay by {step} and it {'rises' if change >= 0 else 'falls'}" \
                f" by {number(abs(change), 3)}%"
    return text


def table(report: LoopReport, top: int = 5) -> str:
    """The human-readable report."""
    out = [_summary(report)]
    if report.truncated:
        out.append(_stopped(report))
    if report.funnel:
        out.append(FUNNEL_MESSAGE)
    else:
        out.append("")
        unit = _unit(report)
        rows = [["ID", "Type", "Links", "Gain", f"Cycle ({unit}s)" if unit.isascii() else
                 f"Cycle ({unit})", f"Growth/{unit}", "Loop"]]
        for lp in report.loops:
            rows.append([lp.id, lp.polarity, str(lp.length), number(lp.gain),
                         number(lp.cycle_time), number(lp.growth_per_time),
                         (f"{clean(lp.title)}: " if lp.title else "")
                         + _path(report, lp.nodes)])
        out += align(rows)
    out.append("")
    out.append("System")
    out += ["  " + line for line in _growth_sentences(report)]
    s = report.system
    out += _hub_lines(s, "  ", clean)
    if s.leverage:
        out.append("")
        out.append(f"Leverage (elasticity of growth per {_unit(report)}; top {top})")
        for lever in s.leverage[:top]:
            out.append(f"  {number(lever.gain_elasticity, 3):>6}  "
                       + _lever_sentence(report, lever))
    if report.truncated:
        out.append("")
        out.append(_stopped(report))
    return "\n".join(out) + "\n"


def _hub_lines(system: Any, bullet: str, cell: Callable[[str], str]) -> list[str]:
    """'Hub nodes: ...' and 'Hub links: ...', each label through ``cell``."""
    if not system.hub_nodes:
        return []
    return [f"{bullet}Hub {what}: " + ", ".join(f"{cell(h.label)} ({_loops(h.loops)})"
                                              for h in hubs)
            for what, hubs in (("nodes", system.hub_nodes), ("links", system.hub_links))]


def _md_cell(text: str) -> str:
    return clean(text).replace("|", "\\|")


def markdown(report: LoopReport, top: int = 5) -> str:
    """The report as Markdown, to paste into docs."""
    out = [f"### {_md_cell(_summary(report))}", ""]
    if report.truncated:
        out += [f"> **{_md_cell(_stopped(report))}**", ""]
    if report.funnel:
        out += [f"**{FUNNEL_MESSAGE}**", ""]
    else:
        out.append("| ID | Type | Links | Gain | Cycle time | Growth per "
                   f"{_md_cell(_unit(report))} | Loop |")
        out.append("|---|---|---:|---:|---:|---:|---|")
        for lp in report.loops:
            name = f"{lp.title}: " if lp.title else ""
            out.append(f"| {_md_cell(lp.id)} | {lp.polarity} | {lp.length} | "
                       f"{number(lp.gain)} | {number(lp.cycle_time)} | "
                       f"{number(lp.growth_per_time)} | "
                       f"{_md_cell(name + _path(report, lp.nodes))} |")
        out.append("")
    out += [f"- {_md_cell(line)}" for line in _growth_sentences(report)]
    s = report.system
    out += _hub_lines(s, "- ", _md_cell)
    if s.leverage:
        out += ["", "| Link | Gain elasticity | Gain +10% | Delay elasticity | "
                "Delay one step shorter |", "|---|---:|---:|---:|---:|"]
        for lv in s.leverage[:top]:
            link = f"{report.labels.get(lv.source, lv.source)} → " \
                   f"{report.labels.get(lv.target, lv.target)}"
            plus = "-" if lv.gain_plus_10 is None else f"{number(lv.gain_plus_10, 3)}%"
            short = "-" if lv.shorten_one_step is None else f"{number(lv.shorten_one_step, 3)}%"
            out.append(f"| {_md_cell(link)} | {number(lv.gain_elasticity, 3)} | {plus} | "
                       f"{number(lv.delay_elasticity, 3)} | {short} |")
    return "\n".join(out) + "\n"


def csv_text(report: LoopReport) -> str:
    """One row per loop; ``#`` comment lines first when it stopped early or has no loop."""
    buffer = io.StringIO()
    if report.truncated:
        buffer.write(f"# {_stopped(report)}\n")
    if report.funnel:
        buffer.write(f"# {FUNNEL_MESSAGE}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "title", "polarity", "length", "gain", "cycle_time",
                     "growth_per_time", "declared", "stocks", "nodes", "labels", "truncated"])
    for lp in report.loops:
        writer.writerow([lp.id, lp.title or "", lp.polarity, lp.length,
                         "" if lp.gain is None else repr(lp.gain),
                         "" if lp.cycle_time is None else repr(lp.cycle_time),
                         "" if lp.growth_per_time is None else repr(lp.growth_per_time),
                         str(lp.declared).lower(), lp.stocks, " -> ".join(lp.nodes),
                         _path(report, lp.nodes), str(report.truncated).lower()])
    return buffer.getvalue()


def _finite(data: Any) -> Any:
    """Infinite or NaN floats as None, so the JSON is standard."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def json_text(report: LoopReport) -> str:
    """The report as a JSON object (see :meth:`LoopReport.to_dict`)."""
    return json.dumps(_finite(report.to_dict()), ensure_ascii=False, indent=2) + "\n"


def render(report: LoopReport, fmt: str = "table", top: int = 5) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "table":
        return table(report, top)
    if fmt == "md":
        return markdown(report, top)
    if fmt == "csv":
        return csv_text(report)
    if fmt == "json":
        return json_text(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["render", "table", "markdown", "csv_text", "json_text", "text_width", "align",
           "number", "FORMATS"]
