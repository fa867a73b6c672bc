"""``loopdsl dominance FILE``: which loop drives the behaviour, and when (Loops That Matter)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from loopdsl.commands import UsageError, flags_named, with_flags
from loopdsl.files import atomic_write, load_source

FLAGS = {"method='euler'": "--method euler", "window=": "--window "}
"""The library's parameters, as this command's flags, in its messages and notes."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dominance", help="loop dominance over a run (Loops That Matter)",
        description="Run the model and score every feedback loop at every step (Loops That "
        "Matter: Schoenberg, Davidsen and Eberlein 2020; Schoenberg, Hayward and Eberlein "
        "2023): the dominant periods, the relative loop scores over time, and a stacked "
        "chart. Needs Euler integration.")
    p.add_argument("file", metavar="FILE", help="the model (.loop, .xmile, .stmx; '-' = stdin)")
    p.add_argument("--until", type=float, metavar="T", help="stop the run at time T")
    p.add_argument("--method", choices=["euler"], help="run with Euler whatever the model "
                   "says (loop dominance is defined on Euler steps)")
    p.add_argument("--scenario", metavar="NAME", help="run one of the model's scenarios")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--plot", metavar="OUT", help="write the stacked chart (.png or .svg)")
    p.add_argument("--window", type=float, metavar="W",
                   help="judge dominance over windows of W time units (mean relative score) "
                   "instead of step by step; helps discrete models with link delays")
    p.add_argument("--max-loops", type=int, default=None, metavar="N",
                   help="past N loops, find loops by strongest-path search (default 1000)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from loopdsl.dominance import DEFAULT_MAX_LOOPS, dominance

    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot {args.plot}: give a .png or .svg file name")
    if args.window is not None and not args.window > 0:
        raise UsageError("--window must be a positive number of time units")
    if args.max_loops is not None and args.max_loops < 1:
        raise UsageError("--max-loops must be at least 1")
    model = load_source(args.file)
    if args.method:
        model = model.model_copy(update={"method": args.method})
    with flags_named(FLAGS):
        d = dominance(model, until=args.until, window=args.window, scenario=args.scenario,
                      max_loops=args.max_loops or DEFAULT_MAX_LOOPS)
    d.notes = [with_flags(note, FLAGS) for note in d.notes]
    if args.format == "json":
        text = json.dumps(d.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        text = to_csv(d)
        for note in d.notes:  # a CSV has no room for them: say them on stderr
            print(f"loopdsl dominance: note: {note}", file=sys.stderr)
    else:
        text = to_table(d, model)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    if args.plot:
        from loopdsl.dominance.plot import plot_dominance

        image = plot_dominance(d, title=model.title or model.name,
                               time_unit=model.time.unit if model.time else None,
                               fmt=Path(args.plot).suffix.lower().lstrip("."))
        atomic_write(args.plot, image)
    return 0


def to_csv(d) -> str:
    """``time``, one column of relative scores per loop id, then ``dominant``."""
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(["time"] + [lp.id for lp in d.loops] + ["dominant"])
    for k, t in enumerate(d.time):
        w.writerow([_num(t)] + [_num(d.relative[i][k]) if d.valid[k] else ""
                                for i in range(len(d.loops))]
                   + [" ".join(d.dominant_at(float(t))) if d.valid[k] else ""])
    return buffer.getvalue()


def _num(x: float) -> str:
    return f"{float(x):.6g}"


def to_table(d, model, rows: int = 20) -> str:
    """A readable summary: loops, dominant periods, and relative scores at a few times."""
    out = []
    name = model.title or model.name or "model"
    unit = f" {model.time.unit}" if model.time and model.time.unit else ""
    out.append(f"Loop dominance: {name}")
    out.append(f"discovery: {d.discovery}; {len(d.loops)} loops; Euler, "
               f"{len(d.time)} steps")
    out.append("")
    if d.loops:
        out.append(f"{'loop':<12} {'pol':<4} {'part':>4}  path")
        for lp in d.loops:
            path = " -> ".join(lp.nodes + lp.nodes[:1]) if lp.kind == "loop" else lp.title
            title = f"  ({lp.title})" if lp.title and lp.kind == "loop" else ""
            out.append(f"{lp.id:<12} {lp.polarity:<4} {lp.partition + 1:>4}  {path}{title}")
        out.append("")
        out.append("Dominant periods (the fewest loops explaining >= 50% of the change):")
        for p in d.periods:
            out.append(f"  {_num(p.start):>8} to {_num(p.end):<8}{unit}  part {p.partition + 1}"
                       f"  {p.polarity}  {', '.join(p.loops)}  (mean share {p.share:.0%})")
        if not d.periods:
            out.append("  none (no loop is active)")
        out.append("")
        out.append("Relative loop scores:")
        ids = [lp.id for lp in d.loops]
        width = max(8, *(len(i) for i in ids))
        out.append(f"{'time':>8}  " + "  ".join(f"{i:>{width}}" for i in ids))
        steps = [k for k in range(len(d.time)) if d.valid[k]]
        if len(steps) > rows:
            steps = [steps[round(j * (len(steps) - 1) / (rows - 1))] for j in range(rows)]
        for k in steps:
            out.append(f"{_num(d.time[k]):>8}  " + "  ".join(
                f"{d.relative[i][k]:>{width}.3f}" for i in range(len(ids))))
    for note in d.notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"
