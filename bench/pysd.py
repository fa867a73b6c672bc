"""loopdsl against PySD on the same XMILE files, side by side in one run.

For every model both tools read the same .xmile file. Reported separately:

- *translate*: loopdsl = read + check (``load_xmile``) + compile (``simulate.engine.prepare``);
  PySD = ``pysd.read_xmile`` (translation to Python and loading it);
- *run*: one simulation over the model's own time range (loopdsl ``engine.run`` then
  collecting the named results; PySD ``model.run()``), the best of a few repeats for
  small models;
- *ratio*: PySD run time / loopdsl run time (above 1: loopdsl is faster);
- *agree*: the largest difference between the two tools over every shared column and
  time, relative to the column's largest magnitude (a check that both computed the same).

Models: every conformance model (../shared/conformance), the generated ``regular`` and
``irregular`` models of bench/generate.py with 100 stocks and the ``regular`` one with
1,000 stocks (about five variables per stock, 1,000 Euler steps), and a parameter
ensemble: the teacup model with ``Characteristic Time ~ uniform(5, 15)``, 1,000 runs in
one vectorised loopdsl call against 1,000 PySD runs with the same values.
``--full`` adds the irregular 1,000-stock model (PySD needs several minutes for it).

Run: ``python bench/pysd.py [--full] [--runs 1000]``. PySD writes its translated .py
files into a temporary folder, never beside the sources. Most of the run time is PySD
translating (1-3 minutes) and running (1-4 minutes) the 1,000-stock model; the whole
script took about 9 minutes on a shared 2-core machine under a load average of 7.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is named pysd.py: keep its folder off the path so `import pysd` finds PySD.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from loopdsl.conformance import DEFAULT_ROOT, find_cases  # noqa: E402
from loopdsl.model import Distribution  # noqa: E402
from loopdsl.simulate import collect, simulate  # noqa: E402
from loopdsl.simulate.engine import prepare, run  # noqa: E402
from loopdsl.xmile import load_xmile  # noqa: E402
from loopdsl.xmile.names import canonical  # noqa: E402


def _generate():
    spec = importlib.util.spec_from_file_location("bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def best(fn, budget: float, most: int):
    """(best time, last value) of fn over up to ``most`` calls within about ``budget`` s."""
    times, value = [], None
    started = time.perf_counter()
    while len(times) < most and (not times or time.perf_counter() - started < budget):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return min(times), value


def time_loopdsl(path: Path, budget: float):
    t = time.perf_counter()
    model = load_xmile(path)
    compiled = prepare(model)
    translate = time.perf_counter() - t
    seconds, result = best(lambda: collect(compiled, run(compiled), None, None), budget, 20)
    return model, translate, seconds, result


def time_pysd(pysd, path: Path, folder: Path, budget: float):
    copy = folder / path.name
    shutil.copy(path, copy)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.read_xmile(str(copy))
        translate = time.perf_counter() - t
        seconds, frame = best(lambda: model.run(progress=False), budget, 5)
    return translate, seconds, frame


def agreement(model, result, frame) -> tuple[float, int]:
    """(largest |difference| / column max, columns compared) between the two tools."""
    ids = {}
    for node in model.nodes:
        ids[canonical(node.id)] = node.id
        if node.label:
            ids[canonical(node.label)] = node.id
    worst, compared = 0.0, 0
    for column in frame.columns:
        ident = ids.get(canonical(str(column)))
        if ident is None or ident not in result.names:
            continue
        theirs = frame[column].to_numpy(float)
        ours = np.asarray(result[ident], float)
        if theirs.shape != ours.shape:
            return float("inf"), compared
        scale = max(float(np.max(np.abs(theirs))), 1e-12)
        worst = max(worst, float(np.max(np.abs(ours - theirs))) / scale)
        compared += 1
    return worst, compared


def row(name, lt, lr, pt, pr, agree, columns) -> str:
    return (f"{name:<34} {lt:>9.3f} {lr:>10.5f} {pt:>9.2f} {pr:>9.4f} {pr / lr:>8.1f}x "
            f"{agree:>9.1e} {columns:>5}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="add irregular-1000 (slow in PySD)")
    parser.add_argument("--runs", type=int, default=1000, help="ensemble size (default 1000)")
    args = parser.parse_args(argv)
    try:
        import pysd
    except ImportError:
        print("PySD is not installed: pip install pysd", file=sys.stderr)
        return 2
    generate = _generate()
    work = Path(tempfile.mkdtemp(prefix="loopdsl-bench-pysd-"))
    models: list[tuple[str, Path]] = []
    if DEFAULT_ROOT.is_dir():
        models += [(m.stem, m) for m, _ in find_cases(DEFAULT_ROOT)]
    else:
        print(f"(no conformance suite at {DEFAULT_ROOT})")
    sizes = [("regular", 100), ("irregular", 100), ("regular", 1000)]
    if args.full:
        sizes.append(("irregular", 1000))
    for kind, n in sizes:
        models.append((f"generated {kind}-{n}",
                       generate.model_path(kind, n, folder=work / "models")))
    print(f"loopdsl vs PySD {pysd.__version__}, same XMILE files; times in seconds\n")
    print(f"{'model':<34} {'lo trans':>9} {'lo run':>10} {'pysd trans':>9} {'pysd run':>9} "
          f"{'ratio':>9} {'agree':>9} {'cols':>5}")
    ratios: list[tuple[str, float]] = []
    for name, path in models:
        large = "1000" in name
        model, lt, lr, result = time_loopdsl(path, 0.5 if not large else 3.0)
        pt, pr, frame = time_pysd(pysd, path, work, 1.0 if not large else 0.0)
        agree, columns = agreement(model, result, frame)
        print(row(name, lt, lr, pt, pr, agree, columns), flush=True)
        ratios.append((name, pr / lr))
    conformance = [r for n, r in ratios if not n.startswith("generated")]
    if conformance:
        print(f"\nconformance models: PySD/loopdsl run-time ratio, geometric mean "
              f"{np.exp(np.mean(np.log(conformance))):.1f}x (min {min(conformance):.1f}x, "
              f"max {max(conformance):.1f}x)")
    ensemble(pysd, work, args.runs)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def ensemble(pysd, work: Path, runs: int) -> None:
    """The teacup model with a varied parameter: one vectorised call vs ``runs`` PySD runs."""
    path = DEFAULT_ROOT / "samples" / "teacup" / "teacup.xmile"
    if not path.exists():
        print("(no teacup model for the ensemble)")
        return
    model = load_xmile(path)
    model.distributions.append(Distribution(target="Characteristic_Time", dist="uniform",
                                            args=[5.0, 15.0]))
    t = time.perf_counter()
    result = simulate(model, runs=runs, seed=1)
    ours = time.perf_counter() - t
    values = result.parameters["Characteristic_Time"]
    copy = work / "teacup.xmile"
    shutil.copy(path, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pysd.read_xmile(str(copy))
        t = time.perf_counter()
        finals = [pm.run(params={"Characteristic Time": float(v)}, progress=False,
                         return_columns=["Teacup Temperature"])["Teacup Temperature"].to_numpy()
                  for v in values]
        theirs = time.perf_counter() - t
    ours_temp = result["Teacup_Temperature"]  # (time, runs)
    ours_temp = ours_temp.reshape(len(result.time), -1)
    diff = max(float(np.max(np.abs(ours_temp[:, k] - finals[k]))) for k in range(runs))
    print(f"\nensemble: teacup, Characteristic Time ~ uniform(5, 15), {runs} runs x "
          f"{len(result.time) - 1} steps")
    print(f"  loopdsl, one vectorised call (compile included): {ours:.3f} s")
    print(f"  PySD, {runs} runs of the translated model:        {theirs:.2f} s")
    print(f"  ratio PySD / loopdsl: {theirs / ours:.0f}x; largest difference in Teacup "
          f"Temperature over all runs and times: {diff:.1e}")


if __name__ == "__main__":
    sys.exit(main())
