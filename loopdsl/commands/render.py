"""``loopdsl render FILE -o OUT``: draw the model as svg, png, pdf, dot or mmd (Mermaid).

The format comes from OUT's extension or ``--format``. svg, png and pdf need
the Graphviz ``dot`` program; dot and mmd need nothing. The output is written
atomically: a failed render leaves no file behind and never touches the source.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from loopdsl.commands import UsageError, flags_named
from loopdsl.files import atomic_write, load_source
from loopdsl.render import FORMATS, DiagramOptions, format_for, render
from loopdsl.render.options import DIRECTIONS, LAYOUTS
from loopdsl.render.themes import THEMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render", help="draw the model (svg, png, pdf, dot, mmd)",
        description="Draw the model as a causal loop / stock-flow diagram: + or - at each "
        "arrowhead, || across delayed links, each loop's id inside its loop, stocks as boxes, "
        "flows as valves, groups as clusters. svg/png/pdf need Graphviz; dot and mmd "
        "(Mermaid, shown by GitHub and MkDocs) do not.")
    p.add_argument("file", metavar="FILE", help="model file ('-' for stdin)")
    p.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="output file; its extension gives the format; '-' writes to stdout "
                   "(then give --format)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from OUT)")
    p.add_argument("--layout", choices=LAYOUTS, default="auto",
                   help="Graphviz engine; auto (default) draws a single wheel round (circo), "
                   "anything else with dot")
    p.add_argument("--direction", choices=DIRECTIONS, default="TB",
                   help="direction of the dot layout (default TB)")
    p.add_argument("--theme", choices=tuple(THEMES), default="light")
    p.add_argument("--highlight", metavar="LOOP",
                   help="emphasise this loop (an id such as R1) and fade the rest")
    p.add_argument("--no-loops", action="store_true", help="do not mark the loops")
    p.add_argument("--max-loops", type=int, default=24, metavar="N",
                   help="mark at most N loops, declared ones first (default 24)")
    p.add_argument("--scores-at", type=float, metavar="T",
                   help="draw each link as wide as its link score at time T (Loops That "
                   "Matter; runs the model with Euler; not for mmd)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.output == "-" and not args.format:
        raise UsageError("writing to stdout ('-o -') needs --format")
    with flags_named({"fmt='svg'": "--format svg"}):
        fmt = format_for(args.output, args.format)
    options = DiagramOptions(layout=args.layout, direction=args.direction, theme=args.theme,
                             highlight=args.highlight, loops=not args.no_loops,
                             max_loops=max(args.max_loops, 0))
    model = load_source(args.file)
    if args.scores_at is not None:
        options = replace(options, link_widths=score_widths(model, args.scores_at, fmt))
    data = render(model, fmt, options)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        atomic_write(args.output, data)
    return 0


def score_widths(model, t: float, fmt: str) -> tuple:
    """Line widths from the link scores at time t: 0.6 (score 0) to 6 (the largest)."""
    from loopdsl.dominance import link_scores_at

    if fmt == "mmd":
        raise UsageError("--scores-at draws line widths, which Mermaid (mmd) cannot")
    scores = link_scores_at(model, t)
    top = max((abs(s) for s in scores.values()), default=0.0) or 1.0
    return tuple((edge, 0.6 + 5.4 * abs(s) / top) for edge, s in sorted(scores.items()))
