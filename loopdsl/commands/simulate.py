"""``loopdsl simulate FILE``: run a model; print a table, or write CSV, JSON or a chart.

Semantics: docs/semantics.md. Warnings (defaulted gains and delays) go to stderr.
With several scenarios, the CSV has a ``scenario`` column after ``time``; with
``--runs`` it is the percentile table (``name_p5`` ... ``name_p95``, ``name_mean``).

>>> _overrides(["k=2", "push=0.5"])
{'k': 2.0, 'push': 0.5}
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time as _time
from typing import Any

from loopdsl.commands import UsageError, flags_named
from loopdsl.files import atomic_write, load_source

FLAGS = {"runs=": "--runs ", "keep=[...]": "--vars a,b"}
"""The library's parameters, as this command's flags, in its messages."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run a model over time",
                       description="Run a model (see docs/semantics.md) and print a table, or "
                       "write CSV, JSON or a chart.")
    p.add_argument("file", metavar="FILE", help="model file ('-' for stdin)")
    p.add_argument("--until", type=float, metavar="T", help="stop time (default: the model's)")
    p.add_argument("--start", type=float, metavar="T", help="start time (default: the model's)")
    p.add_argument("--dt", type=float, metavar="D", help="time step (default: the model's)")
    p.add_argument("--method", choices=["euler", "rk4"], help="integration method")
    p.add_argument("--save-step", type=float, metavar="S",
                   help="report every S time units (a multiple of the time step)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant or an initial value (repeatable)")
    p.add_argument("--csv", metavar="OUT", help="write CSV ('-' for stdout)")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.add_argument("--plot", metavar="OUT", help="write a chart (.png or .svg)")
    p.add_argument("--vars", metavar="A,B,C", help="only these variables")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--scenario", metavar="NAME", help="run one scenario of the model")
    group.add_argument("--all-scenarios", action="store_true",
                       help="run the base model and every scenario, together")
    p.add_argument("--runs", type=int, metavar="N", help="an ensemble of N runs over the "
                   "model's 'vary' distributions")
    p.add_argument("--seed", type=int, metavar="S", help="random seed for --runs")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def _overrides(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, got '{item}'")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"--set {name}: '{value}' is not a number") from None
        if not math.isfinite(number):
            raise UsageError(f"--set {name}: the value must be a finite number")
        out[name] = number
    return out


class Progress:
    """A one-line progress bar on stderr, shown only on a terminal and for long runs."""

    def __init__(self, enabled: bool, label: str = ""):
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.started = _time.monotonic()
        self.shown = False

    def __call__(self, step: int, steps: int) -> None:
        if not self.enabled:
            return
        if not self.shown and _time.monotonic() - self.started < 0.5:
            return
        self.shown = True
        width = 30
        done = int(width * step / max(steps, 1))
        sys.stderr.write(f"\r{self.label}[{'#' * done}{' ' * (width - done)}] "
                         f"{100 * step // max(steps, 1):3d}%")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from loopdsl.simulate import simulate

    if args.runs is not None and args.runs < 1:
        raise UsageError("--runs must be at least 1")
    if args.plot and not args.plot.lower().endswith((".png", ".svg")):
        raise UsageError("--plot takes a file name ending in .png or .svg")
    model = load_source(args.file)
    overrides = _overrides(args.set)
    keep = None
    if args.vars:
        keep = list(dict.fromkeys(v.strip() for v in args.vars.split(",") if v.strip()))
    if args.all_scenarios:
        scenarios: list[str | None] = [None] + [s.id for s in model.scenarios]
    else:
        scenarios = [args.scenario]
    if args.save_step is not None:
        dt = args.dt or (model.time.step if model.time else 1.0)
        ratio = args.save_step / dt
        if args.save_step <= 0 or abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio):
            raise UsageError(f"--save-step {args.save_step:g} must be a positive whole "
                             f"multiple of the time step {dt:g}")
    results = []
    for scenario in scenarios:
        progress = Progress(not args.no_progress, f"{scenario or 'base'} ")
        with flags_named(FLAGS):
            try:
                results.append(simulate(model, start=args.start, stop=args.until,
                                        dt=args.dt, method=args.method, overrides=overrides,
                                        scenario=scenario, runs=args.runs, seed=args.seed,
                                        progress=progress, keep=keep,
                                        save_step=args.save_step))
            finally:
                progress.close()
    names = results[0].names
    for warning in results[0].warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.plot:
        from loopdsl.simulate.plot import plot_results

        fmt = "svg" if args.plot.lower().endswith(".svg") else "png"
        atomic_write(args.plot, plot_results(results, names, fmt=fmt))
    if args.csv:
        text = _csv(results, names)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            atomic_write(args.csv, text)
    if args.json:
        data: Any = [_json(r, names) for r in results]
        payload = {"model": model.name, "title": model.title, "results": data}
        print(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    if not args.csv and not args.json and not args.plot:
        for r in results:
            print(_table(r, names))
    return 0


def _csv(results: list[Any], names: list[str]) -> str:
    texts = [r.select(names).to_csv() if not hasattr(r, "runs") else _ensemble(r, names)
             for r in results]
    if len(results) == 1:
        return texts[0]
    lines: list[str] = []
    for r, text in zip(results, texts):
        rows = text.splitlines()
        if not lines:
            head = rows[0].split(",", 1)
            lines.append(head[0] + ",scenario," + head[1])
        for row in rows[1:]:
            t, rest = row.split(",", 1)
            lines.append(f"{t},{r.scenario or 'base'},{rest}")
    return "\n".join(lines) + "\n"


def _ensemble(r: Any, names: list[str]) -> str:
    from loopdsl.simulate.results import EnsembleResult

    keep = [r.names.index(n) for n in names]
    sub = EnsembleResult(r.time, names, r.data[:, keep, :], r.labels, r.units, r.warnings,
                         r.scenario, r.title, r.time_unit, r.parameters, r.seed)
    text = sub.to_csv()
    assert text is not None
    return text


def _json(r: Any, names: list[str]) -> dict[str, Any]:
    if hasattr(r, "runs"):
        data = r.to_dict()
        for key in ("percentiles", "mean"):
            data[key] = {n: data[key][n] for n in names}
        return data
    return r.select(names).to_dict()


def _table(r: Any, names: list[str]) -> str:
    """A readable fixed-width table (medians for an ensemble)."""
    from loopdsl.analysis.formats import text_width as cells

    if hasattr(r, "runs"):
        columns = [r.percentiles(n, (50,))[50] for n in names]
        heading = f"{r.title or 'run'}: median of {r.runs} runs"
    else:
        columns = [r[n] for n in names]
        heading = f"{r.title or 'run'}"
    if r.scenario:
        heading += f" — scenario {r.scenario}"
    header = ["time", *names]
    body = [[_fmt(t)] + [_fmt(c[k]) for c in columns] for k, t in enumerate(r.time)]
    widths = [max(cells(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(" " * (w - cells(v)) + v for v, w in zip(row, widths)).rstrip()

    return "\n".join([heading, line(header)] + [line(row) for row in body])


def _fmt(x: float) -> str:
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"

