"""Simulation speed: compile time, run time and steps per second, five cases.

    python bench/simulate.py [--quick]

Cases: the 7-node Amazon flywheel (models/amazon_flywheel.loop); a generated model of
1,000 plain nodes in a ring with random chords; a generated model of 1,000 stocks with
flows and auxiliaries (6,000 variables); a 10,000-run ensemble of the flywheel (all runs
advance together as numpy arrays over runs); 1,000 runs of a 100-stock model keeping 10
stocks (``keep=``: memory follows what is kept). Each case is compiled, warmed up, then
run several times; medians are reported, wall seconds with CPU seconds in brackets (a
shared machine inflates wall time). PySD and Simlin comparisons are in bench/peers.py.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import loopdsl  # noqa: E402
from loopdsl.simulate import simulate  # noqa: E402
from loopdsl.simulate.engine import prepare, run  # noqa: E402


def plain_ring(n: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    lines = [f"model ring{n}", "time 0 to 1000 step 1", "node n0 initial 1"]
    for i in range(n):
        lines.append(f"n{i} -[gain {rnd.uniform(0.5, 1.0):.3f}]-> n{(i + 1) % n}")
    for i in range(n // 2):
        a, b = rnd.randrange(n), rnd.randrange(n)
        lines.append(f"n{a} -[gain {rnd.uniform(0.0, 0.3):.3f} delay {rnd.randint(1, 4)}]-> n{b}")
    return "\n".join(lines)


def stocks(n: int, seed: int = 2) -> str:
    """n stocks, each with an inflow, an outflow and three auxiliaries (5n variables)."""
    rnd = random.Random(seed)
    lines = [f"model stocks{n}", "time 0 to 1000 step 1"]
    for i in range(n):
        j = (i + 1) % n
        lines += [
            f"stock s{i} initial {rnd.uniform(50, 150):.2f}",
            f"aux a{i} = s{i} * {rnd.uniform(0.01, 0.05):.4f}",
            f"aux b{i} = s{j} / (1 + s{i} * 0.001)",
            f"aux c{i} = a{i} + b{i} * {rnd.uniform(0.001, 0.01):.4f}",
            f"flow in{i} = c{i} to s{i}",
            f"flow out{i} = s{i} * {rnd.uniform(0.02, 0.06):.4f} from s{i}",
        ]
    return "\n".join(lines)


def median_time(fn, repeat: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of repeated calls, after a warm-up.

    CPU time (process_time) is reported too because a shared machine inflates wall time.
    """
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def case(name: str, model, runs: int, repeat: int, rows: list,
         keep: list[str] | None = None) -> None:
    compile_s = median_time(lambda: prepare(model), repeat)
    compiled = prepare(model)
    steps = compiled.nsteps
    slots = None
    if keep is not None:
        slots = [compiled.plan.slot[compiled.system.index[k]] for k in keep]
    run_s = median_time(lambda: run(compiled, runs, None, keep=slots), repeat)
    options = dict(runs=runs, seed=1) if runs > 1 else {}
    total_s = median_time(lambda: simulate(model, keep=keep, **options), max(1, repeat // 2))
    nvars = len(compiled.system.vars)
    rows.append((name, nvars, runs, steps, compile_s, run_s, total_s))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    repeat = 3 if args.quick else 7
    flywheel = loopdsl.load(ROOT / "models" / "amazon_flywheel.loop")
    rows: list = []
    case("flywheel (7 nodes)", flywheel, 1, repeat, rows)
    case("1,000 plain nodes", loopdsl.loads(plain_ring(1000)), 1, repeat, rows)
    case("1,000 stocks (6,000 vars)", loopdsl.loads(stocks(1000)), 1, repeat, rows)
    case("flywheel x 10,000 runs", flywheel, 10_000, repeat, rows)
    hundred = loopdsl.loads(stocks(100))
    case("100 stocks x 1,000 runs, keep 10 stocks", hundred, 1_000, max(1, repeat // 2),
         rows, keep=[f"s{i}" for i in range(10)])
    head = ("case", "vars", "runs", "steps", "compile s (cpu)", "run s (cpu)",
            "steps/s (cpu)", "run-steps/s (cpu)", "simulate() s (cpu)")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for name, nvars, runs, steps, comp, run_s, total in rows:
        print(f"{name} | {nvars} | {runs} | {steps} | {comp[0]:.4f} ({comp[1]:.4f}) | "
              f"{run_s[0]:.4f} ({run_s[1]:.4f}) | {steps / run_s[0]:,.0f} "
              f"({steps / max(run_s[1], 1e-9):,.0f}) | {steps * runs / run_s[0]:,.0f} "
              f"({steps * runs / max(run_s[1], 1e-9):,.0f}) | {total[0]:.4f} ({total[1]:.4f})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores; "
          "medians of repeated runs after a warm-up; wall seconds, CPU seconds in brackets")


if __name__ == "__main__":
    main()
