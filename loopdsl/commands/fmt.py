"""``loopdsl fmt FILE... [--check]``: rewrite models in canonical form, comments kept."""

from __future__ import annotations

import argparse
import sys

from loopdsl.errors import LoopError
from loopdsl.files import atomic_write, read_source
from loopdsl.loader import loads
from loopdsl.printer import dumps


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="format models in place",
                       description="Rewrite .loop files in canonical form (atomically). With "
                       "--check, change nothing and exit 1 if any file would change. '-' "
                       "formats standard input to standard output.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--check", action="store_true", help="only report files that would change")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        if path.lower().endswith((".xmile", ".stmx", ".xml")):
            print(f"{path}: error: fmt formats .loop files; to turn an XMILE model into one, "
                  f"run: loopdsl import {path} -o MODEL.loop", file=sys.stderr)
            status = 1
            continue
        try:
            text, name = read_source(path)
            formatted = dumps(loads(text, name))
        except LoopError as err:
            print(str(err), file=sys.stderr)
            status = 1
            continue
        if path == "-" and not args.check:
            sys.stdout.write(formatted)
        elif formatted != text:
            if args.check:
                print(f"{path}: would reformat", file=sys.stderr)
                status = 1
            else:
                atomic_write(path, formatted)
                print(f"{path}: formatted", file=sys.stderr)
    return status
