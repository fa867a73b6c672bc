"""The community's XMILE test models as a conformance suite.

Each ``*.xmile`` file under the suite's folder is imported, simulated, and
compared with the canonical output file beside it (``output.csv`` or
``output.tab``, written by Vensim or Stella): every column that names one of
the model's variables, at every reported time, must satisfy

    |ours - canonical| <= RTOL * |canonical| + ATOL * max |canonical column|

Columns are matched to variables the way XMILE matches names (case-insensitive,
spaces and underscores alike); columns naming no variable (extra outputs of the
tool that wrote the file) are listed, not compared. Reported times may be
rounded (10.0312 for 10.03125): each is matched to the nearest simulated step.

``python -m loopdsl.conformance [FOLDER] [--write docs/conformance.md]`` runs the
suite and prints (or writes) the pass/fail page.

>>> read_output_text("Time,Room Temperature\\n0,70\\n0.125,70\\n", ",")
(['Time', 'Room Temperature'], [[0.0, 70.0], [0.125, 70.0]])
>>> within(100.00999, 100.0, 100.0)
True
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time as _time
from dataclasses import dataclass, field
from pathlib import Path

RTOL = 1e-4
"""Relative tolerance, times |canonical|."""
ATOL = 1e-5
"""Absolute tolerance, times the column's largest magnitude."""

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "conformance"


def within(ours: float, canonical: float, scale: float) -> bool:
    """The suite's tolerance test for one value (``scale`` is the column's max |value|)."""
    if math.isnan(canonical):
        return math.isnan(ours)
    return abs(ours - canonical) <= RTOL * abs(canonical) + ATOL * scale


@dataclass
class CaseResult:
    """The outcome of one model: passed, what was compared, and the first failures."""

    name: str
    path: Path
    passed: bool = False
    columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    rows: int = 0
    worst: float = 0.0
    """Largest |ours - canonical| / (RTOL*|canonical| + ATOL*scale): at most 1 to pass."""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def find_cases(root: Path = DEFAULT_ROOT) -> list[tuple[Path, Path]]:
    """(model file, output file) for every ``*.xmile`` under root that has an output file."""
    cases = []
    for model in sorted(root.rglob("*.xmile")):
        for name in ("output.csv", "output.tab"):
            output = model.parent / name
            if output.exists():
                cases.append((model, output))
                break
    return cases


def read_output_text(text: str, delimiter: str) -> tuple[list[str], list[list[float]]]:
    """(column names, rows of numbers) of a canonical output file's text."""
    lines = [line for line in text.splitlines() if line.strip()]
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().strip('"') for h in next(reader)]
    rows = []
    for record in reader:
        values = []
        for cell in record[: len(header)]:
            cell = cell.strip()
            try:
                values.append(float(cell) if cell else math.nan)
            except ValueError:
                values.append(math.nan)
        rows.append(values)
    return header, rows


def read_output(path: Path) -> tuple[list[str], list[list[float]]]:
    """Read ``output.csv`` (comma) or ``output.tab`` (tab)."""
    text = path.read_bytes().decode("utf-8-sig")
    return read_output_text(text, "\t" if path.suffix == ".tab" else ",")


def run_case(model_path: Path, output_path: Path, root: Path | None = None) -> CaseResult:
    """Import, simulate and compare one model."""
    from loopdsl.errors import LoopError
    from loopdsl.xmile import load_xmile
    from loopdsl.xmile.names import canonical

    name = str(model_path.relative_to(root)) if root else model_path.name
    result = CaseResult(name=name, path=model_path)
    started = _time.perf_counter()
    try:
        model = load_xmile(model_path)
        run = model.simulate()
    except LoopError as err:
        result.problems.append(f"error: {err.first.message}")
        return result
    finally:
        result.seconds = _time.perf_counter() - started
    variables: dict[str, str] = {}
    for node in model.nodes:
        if node.kind == "lookup":
            continue
        variables[canonical(node.id)] = node.id
        if node.label is not None:
            variables[canonical(node.label)] = node.id
    header, rows = read_output(output_path)
    times = [float(t) for t in run.time]
    start = times[0]
    dt = times[1] - times[0] if len(times) > 1 else 1.0
    index: list[int] = []
    for row in rows:
        t = row[0]
        n = round((t - start) / dt)
        if not 0 <= n < len(times) or abs(times[n] - t) > 1e-4 * max(1.0, abs(t)):
            result.problems.append(f"reported time {t:g} is not a simulated step")
            return result
        index.append(n)
    result.rows = len(rows)
    for c, column in enumerate(header[1:], start=1):
        ident = variables.get(canonical(column))
        if ident is None:
            result.extra_columns.append(column)
            continue
        result.columns.append(column)
        ours = [float(v) for v in run[ident]]
        expected = [row[c] for row in rows if c < len(row)]
        scale = max((abs(v) for v in expected if not math.isnan(v)), default=0.0)
        for row, n in zip(rows, index):
            if c >= len(row):
                continue
            want, got = row[c], ours[n]
            bound = RTOL * abs(want) + ATOL * scale
            if not within(got, want, scale):
                if len(result.problems) < 5:
                    result.problems.append(f"{column} at time {row[0]:g}: {got:.9g}, "
                                           f"expected {want:.9g}")
                result.worst = math.inf if bound == 0 else max(result.worst,
                                                                abs(got - want) / bound)
            elif bound > 0:
                result.worst = max(result.worst, abs(got - want) / bound)
    if not result.columns:
        result.problems.append("no column of the output file names a variable of the model")
    result.passed = not result.problems
    return result


def run_suite(root: Path = DEFAULT_ROOT) -> list[CaseResult]:
    """Every case under root, in file order."""
    return [run_case(m, o, root) for m, o in find_cases(root)]


def report(results: list[CaseResult]) -> str:
    """The Markdown page docs/conformance.md."""
    passed = sum(r.passed for r in results)
    lines = [
        "# XMILE conformance",
        "",
        "Generated by `python -m loopdsl.conformance --write docs/conformance.md`; do not edit.",
        "",
        "The models and their canonical outputs (written by Vensim or Stella) come from the",
        "system-dynamics community's test suite (SDXorg/test-models), kept beside the repository",
        "in `../shared/conformance/`. Each model is imported from XMILE, simulated by loopdsl, and",
        "every output column that names a model variable is compared at every reported time:",
        "",
        f"    |ours - canonical| <= {RTOL:g} * |canonical| + {ATOL:g} * max |canonical column|",
        "",
        "Columns are matched to variables as XMILE matches names (case-insensitive, spaces and",
        "underscores alike). Columns that name no variable of the model (extra outputs of the",
        "tool that wrote the file) are not compared. *Worst* is the largest error as a fraction",
        "of the allowed error (at most 1 to pass).",
        "",
        f"**{passed} of {len(results)} models pass.**",
        "",
        "| model | result | columns compared | rows | worst | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        notes = "; ".join(r.problems) if r.problems else ""
        if r.extra_columns:
            extra = ", ".join(r.extra_columns)
            notes = (notes + "; " if notes else "") + f"not variables of the model: {extra}"
        lines.append(f"| `{r.name}` | {'pass' if r.passed else '**FAIL**'} | "
                     f"{len(r.columns)} | {r.rows} | {r.worst:.3g} | {notes} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the suite; print or write the page; exit 1 if any model fails."""
    parser = argparse.ArgumentParser(prog="python -m loopdsl.conformance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_ROOT))
    parser.add_argument("--write", metavar="PAGE", help="write the Markdown page here")
    args = parser.parse_args(argv)
    root = Path(args.folder)
    if not root.is_dir():
        print(f"no conformance folder at {root}", file=sys.stderr)
        return 2
    results = run_suite(root)
    page = report(results)
    if args.write:
        from loopdsl.files import atomic_write

        atomic_write(args.write, page)
    for r in results:
        print(f"{'pass' if r.passed else 'FAIL'}  {r.name}"
              + ("" if r.passed else f"  ({'; '.join(r.problems)})"))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
