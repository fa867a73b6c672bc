"""``loopdsl import MODEL.xmile|.stmx [-o OUT.loop]``: an XMILE model as .loop text."""

from __future__ import annotations

import argparse
import sys

from loopdsl.files import atomic_write, read_source
from loopdsl.printer import dumps


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="convert an XMILE/Stella model to .loop",
                       description="Read an XMILE (.xmile) or Stella (.stmx) model and write it "
                       "as .loop text. Arrays, macros and modules are reported as errors.")
    p.add_argument("file", metavar="MODEL", help="an .xmile or .stmx file ('-' for stdin)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT.loop instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from loopdsl.xmile import loads_xmile

    text, name = read_source(args.file)
    out = dumps(loads_xmile(text, name))
    if args.output:
        atomic_write(args.output, out)
    else:
        sys.stdout.write(out)
    return 0
