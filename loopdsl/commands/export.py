"""``loopdsl export FILE --to xmile [-o OUT.xmile]``: a model in another tool's format."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from loopdsl.files import atomic_write, load_source
from loopdsl.model import Model


def _xmile(model: Model) -> str:
    from loopdsl.xmile import dumps_xmile

    return dumps_xmile(model)


FORMATS: dict[str, Callable[[Model], str]] = {"xmile": _xmile}
"""Format name -> function writing a model as text in that format."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model to another tool's format (XMILE)",
                       description="Write a model in another tool's file format. XMILE 1.0 "
                       "files open in Stella, Simlin and PySD; see docs/xmile.md for how "
                       "plain causal nodes and links are written.")
    p.add_argument("file", metavar="FILE", help="a .loop, .xmile or .stmx file ('-' for stdin)")
    p.add_argument("--to", choices=sorted(FORMATS), default="xmile", help="the format")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = FORMATS[args.to](load_source(args.file))
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
