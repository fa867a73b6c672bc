"""``loopdsl check FILE...``: every error, warning and note, as FILE:LINE:COL: SEVERITY: ...

Exit 0 when no file has an error (warnings alone pass, unless ``--strict``), 1 otherwise.
``--format json`` prints ``{"diagnostics": [...]}`` (see
:meth:`loopdsl.errors.Diagnostic.to_dict`) on standard output.
"""

from __future__ import annotations

import argparse
import json
import sys

from loopdsl.diagnose import diagnose_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check models for errors and likely mistakes",
                       description="Check models: errors, unit problems, lints and the "
                       "assertions over constants. Exit 0 when there is no error (1 on "
                       "errors, or on warnings with --strict).")
    p.add_argument("files", nargs="+", metavar="FILE", help="model files ('-' for stdin)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when clean")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default) or a JSON object on standard output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = False
    every = []
    for path in args.files:
        model, found = diagnose_path(path)
        every += found
        errors = sum(d.severity == "error" for d in found)
        warnings = sum(d.severity == "warning" for d in found)
        failed |= bool(errors or (args.strict and warnings))
        if args.format == "json":
            continue
        for d in found:
            print(str(d), file=sys.stderr)
        if model is not None and not errors and not args.quiet:
            counts = [f"{len(model.nodes)} nodes", f"{len(model.links)} links"]
            if warnings:
                counts.append(_count(warnings, "warning"))
            print(f"{path}: ok ({', '.join(counts)})")
    if args.format == "json":
        json.dump({"diagnostics": [d.to_dict() for d in every]}, sys.stdout,
                  ensure_ascii=False, indent=2)
        print()
    return 1 if failed else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
