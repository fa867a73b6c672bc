"""``loopdsl loops FILE``: every feedback loop, its polarity, gain and cycle time, and the
system's growth factor, hubs and levers (table, json, md or csv)."""

from __future__ import annotations

import argparse
import sys

from loopdsl.commands import with_flags
from loopdsl.errors import LoopError
from loopdsl.files import atomic_write, load_source

FLAGS = {"max_loops=": "--max-loops ", "max_length=": "--max-length ",
         "time_budget=": "--time-budget "}
"""The library's parameters, as this command's flags, in why the search stopped."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "loops", help="list the feedback loops and the levers that move growth",
        description="List every elementary feedback loop (reinforcing R, balancing B, "
        "unknown U) with its gain, cycle time and growth per time unit, then the system's "
        "dominant growth factor, whether it sustains itself, its hub nodes and links, and "
        "the leverage of each link. Declared links without a gain have gain 1, without a "
        "delay 1 time unit; equation links are valued at the initial state.")
    p.add_argument("file", metavar="FILE", help="model file ('-' for stdin)")
    p.add_argument("--format", choices=["table", "json", "md", "csv"], default="table",
                   help="table (default, for people), json (loops, truncated, system), md "
                   "(Markdown for docs) or csv (one row per loop)")
    p.add_argument("--through", metavar="NODE", help="only the loops through NODE")
    p.add_argument("--max-loops", type=_positive_int, metavar="N", default=100_000,
                   help="stop after N loops (default 100000; the output says so)")
    p.add_argument("--max-length", type=_positive_int, metavar="N",
                   help="only loops of at most N links (the output says if longer exist)")
    p.add_argument("--time-budget", type=_seconds, metavar="S", default=60.0,
                   help="stop enumerating after S seconds (default 60; the output says so)")
    p.add_argument("--independent", action="store_true",
                   help="the shortest independent loop set instead of every loop "
                   "(Oliva 2004): few loops that cover every link on a cycle")
    p.add_argument("--top", type=_positive_int, default=5, metavar="N",
                   help="levers to show in table and md output (default 5)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from loopdsl.analysis.formats import render
    from loopdsl.analysis.report import loop_report

    model = load_source(args.file)
    if args.through is not None and args.through not in model.graph:
        from loopdsl.errors import did_you_mean

        hint = did_you_mean(args.through, [n for n in model.graph])
        raise LoopError(f"{args.file}: error: --through: no node '{args.through}' in the "
                        f"model" + (f"; {hint}" if hint else ""))
    report = loop_report(model, max_loops=args.max_loops, max_length=args.max_length,
                         time_budget=args.time_budget, through=args.through,
                         independent=args.independent, top=args.top)
    if report.loops.reason:
        report.loops.reason = with_flags(report.loops.reason, FLAGS)
    text = render(report, args.format, top=args.top)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    if report.truncated:
        print(f"loopdsl loops: stopped early: {report.reason}", file=sys.stderr)
    return 0
