"""loopdsl against Simlin and PySD on the same XMILE files, side by side in one script.

    python bench/peers.py [--quick] [--engines loopdsl,simlin,pysd] [--no-tuning]
                          [--out docs/performance.md]

Cases: every conformance model (../shared/conformance), the generated models of
bench/generate.py (regular and irregular, 100, 1,000 and 10,000 stocks, 1,000 Euler
steps), a 1,000-run parameter ensemble, and the hand-written numpy loop of the regular
1,000-stock model; then loop analysis speed on the generated models.

Each engine runs in this process after a warm-up; each figure is the median of several
repetitions (fewer for slow cases, at least one), split into load+compile, run and
"results in hand" (every variable's series as numpy arrays in Python). Cases that can
run for very long (PySD on 10,000 stocks, loop analyses on 10,000 stocks) run in a child
process under a time limit, which does its own warm-up and timing the same way; a case
that hits the limit is reported as such. The table goes to docs/performance.md.

loopdsl runs with the knobs of :mod:`loopdsl.tuning` on, as the ``loopdsl`` command does
(this script owns its process); the generated models are then timed once more with them
off, as a library caller gets it by default. ``--no-tuning`` leaves them off throughout.

``bench/pysd.py`` is this script with the engines loopdsl and PySD only (issue 5).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/ itself must not be on the path: bench/pysd.py would shadow the pysd package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import importlib.util  # noqa: E402

import numpy as np  # noqa: E402


def _load_generate():
    spec = importlib.util.spec_from_file_location("bench_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generate()

CONFORMANCE = ROOT.parent / "shared" / "conformance"
ENGINES = ("loopdsl", "simlin", "pysd")
ENSEMBLE_RUNS = 1000
ENSEMBLE_PARAMS = 10  # g_0 .. g_9 of the regular model vary
TUNING = True  # loopdsl.tuning's knobs on (--no-tuning: off); children follow


def norm(name: str) -> str:
    """A variable name compared the XMILE way: case-insensitive, spaces = underscores.

    >>> norm('"Teacup  Temperature"'), norm("teacup_temperature")
    ('teacup_temperature', 'teacup_temperature')
    """
    name = name.strip().strip('"').lower().replace("\\n", " ")
    return "_".join(name.replace("_", " ").split())


@contextmanager
def tuning(on: bool) -> Iterator[None]:
    """loopdsl.tuning's knobs all on or all off for a block (nothing for a loopdsl
    without them), as they were after it."""
    try:
        from loopdsl import tuning as knobs
    except ImportError:
        yield
        return
    with knobs.tuned():
        if not on:
            knobs.disable()
        yield


def child_flags() -> list[str]:
    return [] if TUNING else ["--no-tuning"]


# ---------------------------------------------------------------- engines

class Engine:
    """One engine: load+compile, run, results in hand; ensembles; loop analysis."""

    name = "?"

    def missing(self) -> str | None:
        """Why the engine cannot run here, or None."""
        return None

    def version(self) -> str:
        return "?"

    def load(self, path: Path) -> Any:
        raise NotImplementedError

    def run(self, handle: Any) -> Any:
        raise NotImplementedError

    def results(self, handle: Any, raw: Any) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def rerun(self, handle: Any) -> Any:
        """Run an already-run handle again from the start."""
        return self.run(handle)


class LoopdslEngine(Engine):
    name = "loopdsl"

    def missing(self) -> str | None:
        try:
            import loopdsl  # noqa: F401
            from loopdsl.simulate.engine import prepare, run  # noqa: F401
            import loopdsl.xmile  # noqa: F401
        except ImportError as exc:
            return f"not available yet ({exc})"
        return None

    def version(self) -> str:
        try:
            out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd",
                                  "--date=format:%Y-%m-%d %H:%M"],
                                 capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            out = ""
        return f"0.1.0 (git {out})" if out else "0.1.0"

    def load(self, path: Path) -> Any:
        import loopdsl
        from loopdsl.simulate.engine import prepare

        return prepare(loopdsl.load(path))

    def run(self, handle: Any) -> Any:
        from loopdsl.simulate.engine import run

        return run(handle)

    def results(self, handle: Any, raw: Any) -> dict[str, np.ndarray]:
        from loopdsl.simulate import collect

        res = collect(handle, raw, None, None)
        return {name: res.data[:, k] for k, name in enumerate(res.names)}

    def ensemble(self, path: Path, params: dict[str, tuple[float, float]], runs: int,
                 outputs: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(parameter values by name, {output: (times, runs)}): one vectorised run."""
        import loopdsl
        from loopdsl.model import Distribution

        model = loopdsl.load(path)
        ids = {norm(n.id): n.id for n in model.nodes}
        for name, (lo, hi) in params.items():
            model.distributions.append(Distribution(target=ids[norm(name)], dist="uniform",
                                                    args=[lo, hi]))
        import inspect

        kept = [ids[norm(o)] for o in outputs]
        from loopdsl.simulate import simulate

        if "keep" in inspect.signature(simulate).parameters:
            res = model.simulate(runs=runs, seed=1, keep=kept)
        else:
            res = model.simulate(runs=runs, seed=1)
        values = {norm(k): np.asarray(v) for k, v in res.parameters.items()}
        return values, {o: res[ids[norm(o)]] for o in outputs}

    def loops(self, path: Path, budget: float) -> dict[str, Any]:
        import loopdsl
        from loopdsl.analysis.independent import independent_loops

        model = loopdsl.load(path)
        t0 = time.perf_counter()
        found = model.find_loops(time_budget=budget)
        t1 = time.perf_counter()
        G = model.graph
        t2 = time.perf_counter()
        indep = independent_loops(G)
        t3 = time.perf_counter()
        return {"listing": t1 - t0, "listing_count": len(found),
                "listing_truncated": bool(getattr(found, "truncated", False)),
                "independent": t3 - t2, "independent_count": len(indep)}


class SimlinEngine(Engine):
    name = "simlin"

    def missing(self) -> str | None:
        try:
            import simlin  # noqa: F401
        except ImportError:
            return "pysimlin is not installed (pip install -e '.[bench]')"
        return None

    def version(self) -> str:
        import simlin

        return f"pysimlin {simlin.__version__}"

    def load(self, path: Path) -> Any:
        import simlin

        model = simlin.load(path)
        sim = model.simulate(enable_ltm=False)  # compiles
        return model, sim

    def run(self, handle: Any) -> Any:
        handle[1].run_to_end()
        return handle[1]

    def rerun(self, handle: Any) -> Any:
        handle[1].reset()
        return self.run(handle)

    def results(self, handle: Any, raw: Any) -> dict[str, np.ndarray]:
        sim = raw
        return {name: sim.get_series(name) for name in sim.get_var_names()}

    def ensemble_runs(self, path: Path, values: dict[str, np.ndarray], runs: int,
                      outputs: list[str]) -> dict[str, np.ndarray]:
        import simlin

        model = simlin.load(path)
        names = {norm(n): n for n in model.simulate(enable_ltm=False).get_var_names()}
        out = {o: [] for o in outputs}
        for k in range(runs):
            sim = model.simulate({names[p]: float(v[k]) for p, v in values.items()},
                                 enable_ltm=False)
            sim.run_to_end()
            for o in outputs:
                out[o].append(sim.get_series(names[norm(o)]))
        return {o: np.array(v).T for o, v in out.items()}

    def loops(self, path: Path, budget: float) -> dict[str, Any]:
        import simlin

        model = simlin.load(path)
        t0 = time.perf_counter()
        structural = model.loops
        t1 = time.perf_counter()
        analysis = model.analyze(timeout=budget)
        t2 = time.perf_counter()
        return {"listing": t1 - t0, "listing_count": len(structural),
                "listing_truncated": False,
                "analyze": t2 - t1, "analyze_count": len(analysis.loops),
                "analyze_universe": analysis.universe_loops,
                "analyze_truncated": bool(analysis.truncated)}


class PysdEngine(Engine):
    name = "pysd"

    def missing(self) -> str | None:
        try:
            import pysd  # noqa: F401
        except ImportError:
            return "pysd is not installed"
        return None

    def version(self) -> str:
        from importlib.metadata import version

        return f"pysd {version('pysd')}"

    def load(self, path: Path) -> Any:
        import pysd

        return pysd.read_xmile(str(path))  # translate to Python, then import it

    def run(self, handle: Any) -> Any:
        return handle.run()  # a DataFrame of every variable

    def results(self, handle: Any, raw: Any) -> dict[str, np.ndarray]:
        return {str(c): raw[c].to_numpy() for c in raw.columns}

    def ensemble_runs(self, path: Path, values: dict[str, np.ndarray], runs: int,
                      outputs: list[str]) -> dict[str, np.ndarray]:
        import pysd

        model = pysd.read_xmile(str(path))
        cols = {norm(c): c for c in model.namespace}  # (run(final_time=0) would stick)
        out = {o: [] for o in outputs}
        for k in range(runs):
            df = model.run(params={cols[p]: float(v[k]) for p, v in values.items()},
                           return_columns=[cols[norm(o)] for o in outputs])
            for o in outputs:
                out[o].append(df[cols[norm(o)]].to_numpy())
        rows = {len(x) for v in out.values() for x in v}
        if len(rows) != 1:
            raise RuntimeError(f"PySD runs returned different lengths: {sorted(rows)}")
        return {o: np.array(v).T for o, v in out.items()}


ENGINE_TYPES = {"loopdsl": LoopdslEngine, "simlin": SimlinEngine, "pysd": PysdEngine}


# ---------------------------------------------------------------- timing

@dataclass
class Timing:
    """Medians of one engine on one case (seconds), or why there are none."""

    load: float | None = None
    run: float | None = None
    results: float | None = None
    total: float | None = None
    reps: int = 0
    note: str = ""
    rerun: float | None = None  # the same compiled model run again at once (warm memory)
    data: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("load", "run", "results", "total", "reps", "note",
                                              "rerun")}


def time_engine(engine: Engine, path: Path, repeats: int, budget: float,
                warm: Path | None = None) -> Timing:
    """Warm up (on ``warm`` or ``path``), then time load / run / results repeatedly."""
    try:
        h = engine.load(warm or path)
        engine.results(h, engine.run(h))
        del h  # freed before the timing, as each repetition's are after it
        rows = []
        data: dict[str, np.ndarray] = {}
        spent = 0.0
        while len(rows) < repeats and (not rows or spent < budget):
            data = {}  # the last repetition's series are freed here, not inside the timing
            gc.collect()
            t0 = time.perf_counter()
            h = engine.load(path)
            t1 = time.perf_counter()
            raw = engine.run(h)
            t2 = time.perf_counter()
            data = engine.results(h, raw)
            t3 = time.perf_counter()
            rows.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
            spent += t3 - t0
            if len(rows) < repeats and (spent < budget):
                del h, raw
        rerun = None
        if rows[-1][1] < 10:
            t0 = time.perf_counter()
            engine.rerun(h)
            rerun = time.perf_counter() - t0
        del h, raw
    except Exception as exc:  # an engine that cannot take a model is a table entry
        message = " ".join(str(exc).split())[:160].replace("|", "/")
        return Timing(note=f"error: {type(exc).__name__}: {message}")
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    return Timing(*med, reps=len(rows), data=data, rerun=rerun)


def time_in_child(engine: str, path: Path, repeats: int, budget: float, limit: float,
                  warm: Path | None = None) -> Timing:
    """:func:`time_engine` in a child process, stopped after ``limit`` seconds."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *child_flags(), "--child-time",
           engine, str(path), str(repeats), str(budget), str(warm or "")]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return Timing(note=f"stopped at the {limit:.0f} s limit")
    try:
        return Timing(**json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return Timing(note=f"error: child failed: {last_line(proc.stderr)}")


def last_line(text: str) -> str:
    """The last non-empty line of a child's stderr, short and safe in a table cell."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "no output")[:200].replace("|", "/")


def loops_in_child(engine: str, path: Path, budget: float, limit: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *child_flags(), "--child-loops",
           engine, str(path), str(budget)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"note": f"stopped at the {limit:.0f} s limit"}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"note": f"error: {last_line(proc.stderr)}"}


def agreement(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[float, int]:
    """(largest difference relative to the column's magnitude, columns compared)."""
    bn = {norm(k): v for k, v in b.items()}
    worst, count = 0.0, 0
    for k, v in a.items():
        w = bn.get(norm(k))
        if w is None or np.shape(v) != np.shape(w) or norm(k) in ("time", "dt"):
            continue
        v, w = np.asarray(v, float), np.asarray(w, float)
        scale = max(float(np.max(np.abs(w))), 1e-12)
        worst = max(worst, float(np.max(np.abs(v - w))) / scale)
        count += 1
    return worst, count


def prefault(gb: float) -> float:
    """Touch ``gb`` GB of fresh memory once, then free it; return the seconds it took.

    On a VM whose host backs guest memory lazily (Firecracker here), the first touch of a
    page costs ~15 ms per MB; once the guest has used the memory, reuse is cheap. Doing it
    up front measures every engine on warm memory instead of charging whichever engine
    first allocates a large array.
    """
    try:
        avail = int([l for l in Path("/proc/meminfo").read_text().splitlines()
                     if l.startswith("MemAvailable")][0].split()[1]) / 1e6
        gb = min(gb, 0.5 * avail)
    except (OSError, IndexError, ValueError):
        pass
    t0 = time.perf_counter()
    chunks = []
    for _ in range(int(gb * 4)):  # 250 MB at a time
        a = np.empty(250_000_000 // 8)
        a.fill(1.0)
        chunks.append(a)
    del chunks
    gc.collect()
    return time.perf_counter() - t0


def touch_cost(mb: int = 200) -> float:
    """Milliseconds per MB to allocate and first write ``mb`` MB of fresh memory."""
    t0 = time.perf_counter()
    a = np.empty(mb * 1_000_000 // 8)
    a.fill(1.0)
    spent = time.perf_counter() - t0
    del a
    return spent * 1000 / mb


def loopdsl_memory(path: Path) -> tuple[float, float]:
    """(peak traced MB of one loopdsl load+run+results, MB of the stored result array)."""
    eng = LoopdslEngine()
    gc.collect()
    tracemalloc.start()
    h = eng.load(path)
    raw = eng.run(h)
    data = eng.results(h, raw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stored = sum(v.nbytes for v in data.values())
    return peak / 1e6, stored / 1e6


# ---------------------------------------------------------------- cases

def conformance_files(cache: Path) -> list[Path]:
    """Copies of the conformance models (PySD writes a .py beside the file it reads)."""
    files = []
    for src in sorted(CONFORMANCE.rglob("*.xmile")):
        dest = cache / "conformance" / src.parent.name / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or dest.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dest)
        files.append(dest)
    return files


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.{digits}g}" if x >= 1e-3 else f"{x:.2g}"


def ratio(peer: float | None, ours: float | None) -> str:
    if peer is None or ours is None or ours <= 0:
        return "-"
    r = peer / ours
    return f"{r:.1f}x" if r < 100 else f"{r:.0f}x"


class Report:
    """Collects the measurements and writes the Markdown page."""

    def __init__(self, engines: list[str]):
        self.engines = engines
        self.lines: list[str] = []
        self.goals: list[tuple[str, str, str]] = []
        self.json: dict[str, Any] = {}

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def case_table(report: Report, title: str, rows: list[tuple[str, dict[str, Timing], str]]
               ) -> None:
    """One table: per case, per engine, the four times and the peer/loopdsl total ratio."""
    report.say(f"### {title}")
    report.say()
    report.say("| case | engine | load+compile s | run s | results s | total s | "
               "total vs loopdsl | reps | run again s | agreement / note |")
    report.say("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for case, timings, extra in rows:
        ours = timings.get("loopdsl")
        for eng, t in timings.items():
            r = "1x" if eng == "loopdsl" and t.total else ratio(t.total, ours.total if ours
                                                                else None)
            note = t.note or (extra if eng == "loopdsl" else "")
            report.say(f"| {case} | {eng} | {fmt(t.load)} | {fmt(t.run)} | "
                       f"{fmt(t.results)} | {fmt(t.total)} | {r} | {t.reps or '-'} | {fmt(t.rerun)} | "
                       f"{note} |")
    report.say()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--quick", action="store_true",
                    help="100 and 1,000 stocks only, fewer repetitions, no PySD 1,000-run "
                         "extrapolation beyond 5 runs")
    ap.add_argument("--sizes", default=None, help="comma list of stock counts")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=20.0,
                    help="seconds of repetitions per engine and case (at least one)")
    ap.add_argument("--limit", type=float, default=300.0,
                    help="time limit (s) for PySD on 10,000 stocks and for loop analyses "
                         "on 10,000 stocks, each in a child process")
    ap.add_argument("--pysd-ensemble-runs", type=int, default=20,
                    help="PySD runs actually made for the ensemble (then extrapolated)")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: "
                    "conformance,generated,tuning,ensemble,numpy,loops,memory")
    ap.add_argument("--prefault", type=float, default=8.0,
                    help="GB of memory to touch once before measuring (see prefault())")
    ap.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-tuning", action="store_true",
                    help="leave loopdsl.tuning's knobs off (the library's default) throughout")
    ap.add_argument("--child-time", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--child-loops", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # the peers warn a lot (deprecations, LTM notes)
    global TUNING
    TUNING = not args.no_tuning
    with tuning(TUNING):  # the script owns its process (main() is also called in tests)
        return measure(args)


def measure(args: argparse.Namespace) -> int:
    """Run what ``args`` asks for: a child's timing, or every section and the report."""
    if args.child_time:
        eng, path, reps, budget, warm = args.child_time
        t = time_engine(ENGINE_TYPES[eng](), Path(path), int(reps), float(budget),
                        Path(warm) if warm else None)
        print(json.dumps(t.as_json()))
        return 0
    if args.child_loops:
        eng, path, budget = args.child_loops
        print(json.dumps(ENGINE_TYPES[eng]().loops(Path(path), float(budget))))
        return 0

    wanted = [e.strip() for e in args.engines.split(",") if e.strip()]
    engines: dict[str, Engine] = {}
    report = Report(wanted)
    unavailable: dict[str, str] = {}
    for name in wanted:
        eng = ENGINE_TYPES[name]()
        why = eng.missing()
        if why:
            unavailable[name] = why
        else:
            engines[name] = eng
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes else
             [100, 1000] if args.quick else list(gen.SIZES))
    repeats = 3 if args.quick else args.repeats
    budget = 5.0 if args.quick else args.budget
    skip = set(args.skip.split(","))
    cache = gen.CACHE

    def absent(name: str) -> Timing:
        return Timing(note=unavailable[name])

    warmed = prefault(args.prefault) if args.prefault > 0 else 0.0
    load_start = os.getloadavg()[0]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report.say("# Performance: loopdsl against Simlin and PySD")
    report.say()
    report.say(f"Generated by `python bench/peers.py{' --quick' if args.quick else ''}` on "
               f"{stamp}. Do not edit by hand; rerun the script.")
    report.say()
    report.say(f"Machine: {machine()}.")
    report.say()
    report.say("Engines: " + "; ".join(
        f"{n}: {engines[n].version() if n in engines else unavailable[n]}" for n in wanted)
        + ".")
    report.say()
    report.say(
        "Method: each engine runs in-process after one warm-up cycle; a figure is the "
        f"median of up to {repeats} repetitions within about {budget:.0f} s per engine and "
        "case (at least one; `reps` says how many). *load+compile*: file to a runnable "
        "simulation (loopdsl: `loopdsl.load` + `prepare`; Simlin: `simlin.load` + "
        "`Model.simulate()`; PySD: `pysd.read_xmile`, which translates to Python and "
        "imports it). *run*: every step (loopdsl `engine.run`, Simlin "
        "`Sim.run_to_end()`, PySD `Model.run()`, which also builds its DataFrame). "
        "*results*: every variable's series as numpy arrays in Python (loopdsl: the "
        "`SimulationResult`; Simlin: `Sim.get_series` per variable; PySD: the DataFrame's "
        "columns). *total*: the three together. *total vs loopdsl*: the peer's total over "
        "loopdsl's (above 1x: loopdsl is faster). *agreement*: the largest difference "
        "between loopdsl's series and PySD's (else Simlin's), over every common variable "
        "and time, relative to the variable's largest magnitude. *run again*: the last "
        "repetition's compiled model run once more at once, on memory just freed (see "
        "fresh memory below: the difference from *run* is mostly this VM's cost of "
        "writing fresh memory). Generated models: "
        "bench/generate.py, 1,000 Euler steps (0 to 100, dt 0.1), about 5 variables per "
        "stock. loopdsl runs with the knobs of `loopdsl.tuning` "
        + ("on, as the `loopdsl` command does (see *loopdsl without loopdsl.tuning* for "
           "the library's default, every knob off)." if TUNING else
           "off (`--no-tuning`), as a library caller gets it by default."))
    report.say()
    report.say(f"Fresh memory: on this VM the first write to newly allocated memory is "
               f"slow and varies (the host backs guest memory lazily and takes freed memory "
               f"back): {touch_cost():.2f} ms per MB at the start of this run (a bare-metal "
               f"Linux machine: ~0.1-0.3). It is charged to whichever engine allocates large "
               f"arrays: loopdsl's result arrays and ensemble records, far less Simlin's "
               f"per-series copies. {args.prefault:g} GB were touched once before measuring "
               f"({warmed:.0f} s).")
    report.say()
    goals_at = len(report.lines)
    ref_order = ["pysd", "simlin"]

    def agreement_note(timings: dict[str, Timing]) -> str:
        ours = timings.get("loopdsl")
        if not ours or not ours.data:
            return ""
        for ref in ref_order:
            t = timings.get(ref)
            if t and t.data:
                worst, n = agreement(ours.data, t.data)
                return f"{worst:.1g} vs {ref} ({n} vars)" if n else f"no common vars with {ref}"
        return ""

    # ---- conformance models
    if "conformance" not in skip and CONFORMANCE.is_dir():
        rows = []
        sums = {n: [0.0, 0.0, 0.0, 0.0, 0] for n in wanted}
        files = conformance_files(cache)
        for path in files:
            timings = {}
            for name in wanted:
                t = (time_engine(engines[name], path, repeats, budget / 4) if name in engines
                     else absent(name))
                timings[name] = t
            for name, t in timings.items():
                if t.total is not None:
                    s = sums[name]
                    s[0] += t.load
                    s[1] += t.run
                    s[2] += t.results
                    s[3] += t.total
                    s[4] += 1
            rows.append((path.stem, timings, agreement_note(timings)))
        complete = [r for r in rows if all(t.total is not None for t in r[1].values())]
        total_rows = {}
        for name in wanted:
            s = [0.0, 0.0, 0.0, 0.0]
            for _, timings, _ in complete:
                t = timings[name]
                s = [s[0] + t.load, s[1] + t.run, s[2] + t.results, s[3] + t.total]
            total_rows[name] = Timing(*s, reps=len(complete))
        case_table(report, f"Conformance models ({len(files)} files)", rows + [
            (f"**sum over the {len(complete)} models every engine ran**", total_rows, "")])

    # ---- generated models
    gen_timings: dict[tuple[str, int], dict[str, Timing]] = {}
    if "generated" not in skip:
        rows = []
        for n in sizes:
            for kind in gen.KINDS:
                path = gen.model_path(kind, n)
                timings = {}
                for name in wanted:
                    if name not in engines:
                        timings[name] = absent(name)
                        continue
                    warm = gen.model_path(kind, 100) if (name == "pysd" and n >= 1000) else None
                    if name == "pysd" and n >= 10000:
                        timings[name] = time_in_child(name, path, 1, 0, args.limit, warm)
                    else:
                        reps = repeats if not (name == "pysd" and n >= 1000) else 1
                        timings[name] = time_engine(engines[name], path, reps, budget, warm)
                    print(f"  {kind} {n} {name}: {timings[name].as_json()}", flush=True)
                gen_timings[(kind, n)] = timings
                rows.append((f"{kind} {n:,}", timings, agreement_note(timings)))
        case_table(report, "Generated models (1,000 steps)", rows)
        if TUNING and "loopdsl" in engines and "tuning" not in skip:
            untuned_section(report, engines["loopdsl"], sizes, repeats, budget, gen_timings)

    # ---- numpy loop
    numpy_run = None
    if "numpy" not in skip:
        n = 1000
        gen.numpy_regular(n)
        times = []
        for _ in range(max(repeats, 5)):
            t0 = time.perf_counter()
            res = gen.numpy_regular(n)
            times.append(time.perf_counter() - t0)
        numpy_run = statistics.median(times)
        report.say("### Hand-written numpy loop, regular 1,000 stocks")
        report.say()
        data = {f"s_{i}": res["s"][:, i] for i in range(n)}
        data.update({f"p_{i}": res["p"][:, i] for i in range(n)})
        notes = []
        for ref, t in gen_timings.get(("regular", n), {}).items():
            if t.data:
                worst, cnt = agreement(data, t.data)
                notes.append(f"{worst:.1g} vs {ref} ({cnt} vars)")
        report.say(f"Run with every variable stored: {fmt(numpy_run)} s (median of "
                   f"{len(times)}). Agreement of its stocks and auxiliaries with each "
                   f"engine: {', '.join(notes) or 'no engine ran this case'}.")
        report.say()
        ours = gen_timings.get(("regular", n), {}).get("loopdsl")
        if ours and ours.run:
            r = ours.run / numpy_run
            again = (f"; run again {fmt(ours.rerun)} s = {ours.rerun / numpy_run:.1f}x"
                     if ours.rerun else "")
            report.goals.append(("run within 10x of the numpy loop (regular 1,000)",
                                 f"loopdsl run {fmt(ours.run)} s = {r:.1f}x the numpy loop "
                                 f"({fmt(numpy_run)} s){again}",
                                 "met" if r <= 10 else "not met (first run)"))

    # ---- ensemble
    if "ensemble" not in skip:
        ensemble_section(report, engines, unavailable, wanted, args, quick=args.quick)

    # ---- memory
    if "memory" not in skip and "loopdsl" in engines:
        report.say("### loopdsl peak memory (tracemalloc, one load+run+results)")
        report.say()
        report.say("| model | peak MB | stored result MB | peak / stored |")
        report.say("|---|---:|---:|---:|")
        for n in sizes:
            for kind in gen.KINDS:
                try:
                    peak, stored = loopdsl_memory(gen.model_path(kind, n))
                    report.say(f"| {kind} {n:,} | {peak:.1f} | {stored:.1f} | "
                               f"{peak / stored:.1f} |")
                except Exception as exc:
                    report.say(f"| {kind} {n:,} | error: {type(exc).__name__} | | |")
        report.say()

    # ---- loops
    if "loops" not in skip:
        loops_section(report, engines, unavailable, sizes, args)

    # ---- goals
    goals_from_timings(report, gen_timings, sizes)
    if report.goals:
        block = ["## Goals (issue 8)", "", "| goal | measured | status |", "|---|---|---|"]
        block += [f"| {goal} | {measured} | {status} |" for goal, measured, status
                  in report.goals]
        block += ["", "10,000 stocks count as linear when the total grows at most 11x "
                  "(10x plus 10% for noise) from 1,000.", "", "## Measurements", ""]
        print("\n".join(block), flush=True)
        report.lines[goals_at:goals_at] = block
    report.say(f"Fresh memory at the end of the run: {touch_cost():.2f} ms per MB.")
    report.say(f"Load average (1 min) at the start and end of the run: {load_start:.1f}, "
               f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (above the core count, "
               "other work shared the machine and the times are noisier).")
    if not args.no_write:
        Path(args.out).write_text("\n".join(report.lines) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def goals_from_timings(report: Report, gen_timings: dict, sizes: list[int]) -> None:
    for (kind, n), timings in sorted(gen_timings.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ours, peer = timings.get("loopdsl"), timings.get("simlin")
        if n < 1000 or not ours or not peer or ours.total is None or peer.total is None:
            continue
        report.goals.append((f"total <= Simlin's, {kind} {n:,}",
                             f"loopdsl {fmt(ours.total)} s, Simlin {fmt(peer.total)} s",
                             "met" if ours.total <= peer.total else "not met"))
    for kind in gen.KINDS:
        a = gen_timings.get((kind, 1000), {}).get("loopdsl")
        b = gen_timings.get((kind, 10000), {}).get("loopdsl")
        if a and b and a.total and b.total:
            r = b.total / a.total
            report.goals.append((f"10,000 stocks no worse than linear from 1,000 ({kind})",
                                 f"total x{r:.1f} for 10x the stocks (run x"
                                 f"{b.run / a.run:.1f})",
                                 "met" if r <= 11 else "not met"))


def untuned_section(report: Report, engine: Engine, sizes: list[int], repeats: int,
                    budget: float, gen_timings: dict) -> None:
    """The generated models timed again by loopdsl with loopdsl.tuning's knobs off."""
    from loopdsl import tuning as knobs

    report.say("### loopdsl without loopdsl.tuning")
    report.say()
    report.say(
        "loopdsl itself changes no process-wide state (tests/test_side_effects.py); the "
        "knobs that do are in `loopdsl.tuning`, off unless a program turns them on. The "
        "`loopdsl` command and this script turn them on; a web service, a notebook or a "
        "library that embeds loopdsl should leave them off, as they act on every thread. "
        "*gc*: Python's cycle collector pauses while loopdsl builds a model, compiles a "
        "simulation or lists loops, and an XMILE import's and a compilation's objects then "
        "move to the oldest generation unscanned; otherwise each of the collector's passes "
        "over the heap re-scans the ~100 objects per stock a build makes and keeps. Costs: "
        "no thread's collections run during a build, and the program's own young objects "
        "move to the oldest generation too (a cycle among them waits for the next full "
        "collection). *heap*: an ensemble allocates and frees one block the size of its "
        "row first, raising glibc's mmap and trim thresholds for the rest of the process, "
        "so its temporaries come from the heap instead of fresh pages each step. Only the "
        "first ensemble of a process with rows above 128 kB gains, which the warm-up hides "
        "here (bench/perf-findings.md has a first ensemble with and without it). Costs: "
        "the process keeps up to twice that block of freed memory. Below, the generated "
        "models timed the same way with every knob off, next to the figures above.")
    report.say()
    report.say("| case | knobs | load+compile s | run s | results s | total s | total off / on "
               "| reps |")
    report.say("|---|---|---:|---:|---:|---:|---:|---:|")
    knobs.disable()
    try:
        for n in sizes:
            for kind in gen.KINDS:
                on = gen_timings.get((kind, n), {}).get("loopdsl")
                off = time_engine(engine, gen.model_path(kind, n), repeats, budget)
                print(f"  {kind} {n} loopdsl, knobs off: {off.as_json()}", flush=True)
                for label, t in (("on", on), ("off", off)):
                    if t is None:
                        continue
                    r = (f"{off.total / on.total:.2f}x" if label == "off" and on and
                         on.total and off.total else "")
                    report.say(f"| {kind} {n:,} | {label} | {fmt(t.load)} | {fmt(t.run)} | "
                               f"{fmt(t.results)} | {fmt(t.total)} | {r} | {t.reps or '-'} |")
    finally:
        knobs.enable()
    report.say()


def ensemble_section(report: Report, engines: dict[str, Engine], unavailable: dict[str, str],
                     wanted: list[str], args: argparse.Namespace, quick: bool) -> None:
    """1,000 runs of the regular 100-stock model, ten gains varying +-20%."""
    runs = ENSEMBLE_RUNS
    path = gen.model_path("regular", 100)
    g, _ = gen.regular_constants(100)
    params = {f"g_{i}": (0.8 * g[i], 1.2 * g[i]) for i in range(ENSEMBLE_PARAMS)}
    outputs = [f"s_{i}" for i in range(100)]
    report.say(f"### Ensemble: {runs:,} runs of the regular 100-stock model")
    report.say()
    warmed = prefault(2.0)  # each engine keeps ~800 MB of series: see "Fresh memory" above
    report.say(f"2 GB of memory were touched once just before this section ({warmed:.1f} s; "
               f"fresh memory now {touch_cost():.2f} ms per MB), so no engine is charged "
               "for the VM's first backing of the memory its series fill.")
    report.say()
    report.say(f"The gains g_0..g_{ENSEMBLE_PARAMS - 1} vary uniformly by +-20%. loopdsl "
               "runs all of them at once (`simulate(runs=..., keep=the 100 stocks)`, numpy "
               "arrays over runs); Simlin and PySD run once per parameter "
               "set (the same values, taken from loopdsl's sample, else drawn here), the "
               "model loaded and compiled once, and each run's 100 stock series are pulled "
               "into Python.")
    report.say()
    report.say("| engine | runs made | seconds for 1,000 runs | vs loopdsl | note |")
    report.say("|---|---:|---:|---:|---|")
    results: dict[str, tuple[float | None, int, str]] = {}
    values: dict[str, np.ndarray] | None = None
    series: dict[str, dict[str, np.ndarray]] = {}
    if "loopdsl" in engines:
        eng = engines["loopdsl"]
        try:
            eng.ensemble(path, params, 10, outputs[:1])  # warm-up
            times = []
            for _ in range(1 if quick else 3):
                gc.collect()
                t0 = time.perf_counter()
                values, out = eng.ensemble(path, params, runs, outputs)
                times.append(time.perf_counter() - t0)
            series["loopdsl"] = out
            results["loopdsl"] = (statistics.median(times), runs, f"median of {len(times)}")
        except Exception as exc:
            results["loopdsl"] = (None, 0, f"error: {type(exc).__name__}: {str(exc)[:120]}")
    if values is None:
        rng = np.random.default_rng(1)
        values = {k: rng.uniform(lo, hi, runs) for k, (lo, hi) in params.items()}
    for name, made in (("simlin", runs), ("pysd", min(runs, 5 if quick else
                                                      args.pysd_ensemble_runs))):
        if name not in engines:
            continue
        eng = engines[name]
        try:
            eng.ensemble_runs(path, {k: v[:1] for k, v in values.items()}, 1, outputs[:1])
            t0 = time.perf_counter()
            out = eng.ensemble_runs(path, {k: v[:made] for k, v in values.items()}, made,
                                    outputs)
            spent = time.perf_counter() - t0
            series[name] = out
            note = "measured" if made == runs else (
                f"extrapolated from {made} runs ({fmt(spent)} s) x {runs // made}")
            results[name] = (spent * runs / made, made, note)
        except Exception as exc:
            results[name] = (None, 0, f"error: {type(exc).__name__}: {str(exc)[:120]}")
    ours = results.get("loopdsl", (None, 0, ""))[0]
    for name in wanted:
        if name in unavailable:
            report.say(f"| {name} | 0 | - | - | {unavailable[name]} |")
            continue
        sec, made, note = results.get(name, (None, 0, "not run"))
        if name != "loopdsl" and name in series and "loopdsl" in series:
            a = {o: series["loopdsl"][o][:, :made] for o in outputs}
            worst, cnt = agreement(a, series[name])
            note += f"; agreement {worst:.1g} over {cnt} stocks x {made} runs"
        r = "1x" if name == "loopdsl" and sec else ratio(sec, ours)
        report.say(f"| {name} | {made:,} | {fmt(sec)} | {r} | {note} |")
    report.say()
    if ours:
        for name, need in (("simlin", 10), ("pysd", 100)):
            sec = results.get(name, (None,))[0]
            if sec:
                report.goals.append((f"ensemble >= {need}x faster than {name}",
                                     f"{sec / ours:.0f}x", "met" if sec / ours >= need
                                     else "not met"))


def loops_section(report: Report, engines: dict[str, Engine], unavailable: dict[str, str],
                  sizes: list[int], args: argparse.Namespace) -> None:
    report.say("### Loop analysis")
    report.say()
    report.say("loopdsl: `Model.find_loops()` (every elementary loop, with polarity, gain "
               "and cycle time) and `analysis.independent.independent_loops` (shortest "
               "independent loop set); Simlin: `Model.loops` (structural loop listing) and "
               f"`Model.analyze(timeout={args.limit:.0f})` (Loops That Matter discovery, "
               "which compiles and simulates). Seconds of one call after the model is "
               f"loaded; on 10,000 stocks each engine runs in a child process stopped at "
               f"{args.limit:.0f} s. Simlin 0.8.5's `Model.loops` returns no loops on "
               "these generated models (it switches large models to discovery mode), so "
               "`analyze()` is its comparable call; its `universe` is the number of loops "
               "it enumerated.")
    report.say()
    report.say("| model | loopdsl loops s (count) | loopdsl independent s (count) | "
               "Simlin Model.loops s (count) | Simlin analyze() s (loops / universe) |")
    report.say("|---|---:|---:|---:|---:|")
    for n in sizes:
        for kind in gen.KINDS:
            path = gen.model_path(kind, n)
            cells = []
            for name in ("loopdsl", "simlin"):
                if name not in engines:
                    cells += [unavailable.get(name, "not run")] * 2
                    continue
                if n >= 10000:
                    r = loops_in_child(name, path, args.limit, args.limit)
                else:
                    try:
                        r = engines[name].loops(path, args.limit)
                    except Exception as exc:
                        r = {"note": f"error: {type(exc).__name__}: {str(exc)[:100]}"}
                if "note" in r:
                    cells += [r["note"], r["note"]]
                    continue
                tr = " (stopped early)" if r.get("listing_truncated") else ""
                cells.append(f"{fmt(r['listing'])} ({r['listing_count']:,}{tr})")
                if name == "loopdsl":
                    cells.append(f"{fmt(r['independent'])} ({r['independent_count']:,})")
                else:
                    tr = ", truncated" if r.get("analyze_truncated") else ""
                    uni = r.get("analyze_universe")
                    cells.append(f"{fmt(r['analyze'])} ({r['analyze_count']:,} / "
                                 f"{uni if uni is not None else '?'}{tr})")
            report.say(f"| {kind} {n:,} | " + " | ".join(cells) + " |")
    report.say()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1e6:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}, "
            f"Python {platform.python_version()}, numpy {np.__version__}")


if __name__ == "__main__":
    sys.exit(main())
