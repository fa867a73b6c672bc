"""Simulation speed: steps per second (and time per run) for three cases.

    python bench/simulate.py [--quick]

Cases: the 7-node Amazon flywheel (models/amazon_flywheel.loop), a generated model of
1,000 plain nodes in a ring with random chords, a generated model of 1,000 stocks with
flows and auxiliaries (5,000 variables, the shape of issue 8's regular model), and a
10,000-run ensemble of the flywheel. Each case is compiled once (time reported
separately), warmed up, then run several times; the median is reported. PySD and Simlin
comparisons live in bench/peers.py (the XMILE issue).
"""

from __future__ import annotations

import argparse
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


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def case(name: str, model, runs: int, repeat: int, rows: list) -> None:
    t0 = time.perf_counter()
    compiled = prepare(model)
    compile_s = time.perf_counter() - t0
    steps = compiled.nsteps
    params = None
    if runs > 1:
        rng = np.random.default_rng(1)
        params = np.zeros((0, runs))
    run_s = median_time(lambda: run(compiled, runs, params), repeat)
    total_s = median_time(lambda: simulate(model, runs=runs if runs > 1 else None, seed=1),
                          max(1, repeat // 2))
    nvars = len(compiled.system.vars)
    rows.append((name, nvars, runs, steps, compile_s, run_s, steps / run_s,
                 steps * runs / run_s, total_s))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    repeat = 3 if args.quick else 7
    flywheel = loopdsl.load(ROOT / "models" / "amazon_flywheel.loop")
    rows: list = []
    case("flywheel (7 nodes)", flywheel, 1, repeat, rows)
    case("1,000 plain nodes", loopdsl.loads(plain_ring(1000)), 1, repeat, rows)
    case("1,000 stocks (5,000 vars)", loopdsl.loads(stocks(1000)), 1, repeat, rows)
    case("flywheel x 10,000 runs", flywheel, 10_000, repeat, rows)
    head = ("case", "vars", "runs", "steps", "compile s", "run s", "steps/s",
            "run-steps/s", "simulate() s")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        print(f"{r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.4f} | {r[5]:.4f} | {r[6]:,.0f} | "
              f"{r[7]:,.0f} | {r[8]:.4f}")


if __name__ == "__main__":
    main()
