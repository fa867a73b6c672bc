"""The ``loopdsl`` command line: a thin shell over the library.

Each command lives in its own module under :mod:`loopdsl.commands` and
defines ``register(subparsers)``, which adds its parser and sets ``run``
(a function of the parsed arguments returning the exit code; a wrong call raises
:class:`loopdsl.commands.UsageError`). Exit codes:
0 success, 1 model errors, 2 usage errors. No input ever gives a traceback.
The command owns its process, so it runs with :mod:`loopdsl.tuning`'s knobs on.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from loopdsl import tuning
from loopdsl.commands import UsageError
from loopdsl.errors import LoopError

EXIT_OK, EXIT_MODEL_ERROR, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 with usage: keep that
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from loopdsl import __version__, commands

    parser = _Parser(prog="loopdsl", description="Growth loops (flywheels): check, analyse, "
                     "simulate and draw .loop models.")
    parser.add_argument("--version", action="version", version=f"loopdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    for name in names:
        module = importlib.import_module(f"loopdsl.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        with tuning.tuned():
            return int(args.run(args) or 0)
    except LoopError as err:
        print(str(err), file=sys.stderr)
        return EXIT_MODEL_ERROR
    except UsageError as err:
        print(f"loopdsl {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as err:  # the disk, not the model: a full disk, a read-only folder
        print(f"loopdsl {args.command}: error: {err.strerror or err}"
              + (f": {err.filename}" if err.filename else ""), file=sys.stderr)
        return EXIT_MODEL_ERROR
    except RecursionError:
        print("loopdsl: error: the model is nested too deeply to process", file=sys.stderr)
        return EXIT_MODEL_ERROR
