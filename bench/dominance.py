"""Loop dominance speed: loopdsl against Simlin (pysimlin) on the same models, side by side.

    python bench/dominance.py [--quick]

For each model: loopdsl's ``dominance(model)`` (simulate + link scores + loops + periods)
and Simlin's ``simulate(enable_ltm=True)`` + ``run_to_end()`` + ``analyze()`` on the same
XMILE export, each run several times (median), and how many loops each scored. Models: the
logistic (2 loops), Bass (2), a dense model of 4 stocks (every flow reads every stock: 24
loops, exhaustive), of 7 stocks (2,372 loops: loopdsl switches to strongest-path search) and
of 12 stocks (too many loops to count), and a ring of 1,000 plain nodes with chords (loopdsl
only: Simlin has no plain causal nodes).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import loopdsl  # noqa: E402
from loopdsl.dominance import dominance  # noqa: E402

LOGISTIC = """time 0 to 20 step 0.01
const r = 0.8
const K = 1000
stock N initial 10
flow births = r * N to N
flow deaths = r * N * N / K from N
"""

BASS = """time 0 to 30 step 0.01
const p_innov = 0.03
const q_imit = 0.4
const M = 1000000
stock potential initial 1000000
stock adopters initial 0
flow adoption = p_innov * potential + q_imit * adopters * potential / M from potential to adopters
"""


def dense(n: int, seed: int = 7) -> str:
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.01, 0.1, size=(n, n))
    lines = ["time 0 to 10 step 0.1"]
    for i in range(n):
        lines.append(f"stock s{i} initial {i + 1}")
        terms = " + ".join(f"{A[i, j]:.4f} * s{j}" for j in range(n))
        lines.append(f"flow f{i} = {terms} to s{i}")
    return "\n".join(lines)


def plain_ring(n: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    lines = ["time 0 to 100 step 1", "node n0 initial 1"]
    for i in range(n):
        lines.append(f"n{i} -[gain {rnd.uniform(0.5, 1.0):.3f}]-> n{(i + 1) % n}")
    for _ in range(n // 2):
        a, b = rnd.randrange(n), rnd.randrange(n)
        lines.append(f"n{a} -[gain {rnd.uniform(0.0, 0.3):.3f} delay {rnd.randint(1, 4)}]-> n{b}")
    return "\n".join(lines)


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def simlin_case(model: loopdsl.Model, repeat: int) -> str:
    try:
        import simlin
    except ImportError:
        return "pysimlin not installed"
    from loopdsl.xmile import dumps_xmile

    text = re.sub(r"<loopdsl:extension.*?</loopdsl:extension>", "", dumps_xmile(model), flags=re.S)
    path = Path(tempfile.mkdtemp()) / "model.xmile"
    path.write_text(text, encoding="utf-8")

    def go():
        m = simlin.load(path)
        sim = m.simulate(enable_ltm=True)
        sim.run_to_end()
        return m.analyze(timeout=60)

    seconds, analysis = median_time(go, repeat)
    return f"{seconds:8.3f} s  {len(analysis.loops):5d} loops"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no big cases")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    cases = [("logistic (dt 0.01)", LOGISTIC), ("Bass (dt 0.01)", BASS),
             ("dense 4 stocks", dense(4)), ("dense 7 stocks", dense(7))]
    if not args.quick:
        cases += [("dense 12 stocks", dense(12)), ("plain ring 1,000 nodes", plain_ring(1000))]
    print(f"{'model':<24} {'loopdsl':>28}   {'Simlin (pysimlin)':>24}")
    for name, source in cases:
        model = loopdsl.loads(source)
        seconds, d = median_time(lambda: dominance(model), repeat)
        ours = f"{seconds:8.3f} s  {len(d.loops):5d} loops  {d.discovery[:10]:<10}"
        theirs = "no plain nodes" if "node" in source else simlin_case(model, repeat)
        print(f"{name:<24} {ours:>28}   {theirs:>24}", flush=True)


if __name__ == "__main__":
    main()
