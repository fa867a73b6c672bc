"""``loopdsl check FILE...``: report every model error, as FILE:LINE:COL: error: message."""

from __future__ import annotations

import argparse
import sys

from loopdsl.errors import LoopError
from loopdsl.files import load_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check models for errors",
                       description="Check models; exit 0 when all are clean, 1 on model errors.")
    p.add_argument("files", nargs="+", metavar="FILE", help="model files ('-' for stdin)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when clean")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            model = load_source(path)
        except LoopError as err:
            print(str(err), file=sys.stderr)
            failed += 1
            continue
        if not args.quiet:
            nodes = sum(1 for n in model.nodes)
            print(f"{path}: ok ({nodes} nodes, {len(model.links)} links)")
    return 1 if failed else 0
