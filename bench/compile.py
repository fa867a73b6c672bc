"""Front-end speed: parse + compile a .loop model against pydot parsing the same graph as DOT.

    python bench/compile.py [--quick] [--sizes N...] [--repeat N]

For 1,000, 10,000 and 50,000 links, one generated graph is written twice: as a .loop
model (declared nodes with labels and initial values, links with signs, gains, delays
and labels, chains) and as the same graph in DOT (pydot is the common text-graph parser
in Python). Timed, in this one run, side by side:

- ``loopdsl``: :func:`loopdsl.loads`, the whole front end - lark parse, typed pydantic
  model with positions, every check (names, duplicates, functions, declared loops,
  algebraic loops, which builds the networkx graph);
- ``pydot``: :func:`pydot.graph_from_dot_data` (parse only; it builds no graph library
  object and checks nothing).

loopdsl runs with the knobs of :mod:`loopdsl.tuning` on (this script owns its process; the
collector's pauses are most of what the front end gains from them); ``--no-tuning`` leaves
them off, as a library caller gets it by default.

Each timing is the best of ``--repeat`` runs of CPU time (``time.process_time``), so a
busy machine disturbs it less (runs stop early once 20 s are spent on one timing).
Linearity is checked by the time per link at each size against the smallest size.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import loopdsl  # noqa: E402
from loopdsl import tuning

SIZES = (1_000, 10_000, 50_000)
GOAL = 5.0  # loopdsl at least this many times faster than pydot


def generate(links: int, seed: int = 7) -> tuple[str, str]:
    """(the .loop text, the DOT text) of one graph with ``links`` links."""
    rnd = random.Random(seed)
    n = max(4, links // 3)
    loop = [f"model bench{links} \"Generated, {links} links\"", "time 0 to 100 step 1"]
    dot = [f"digraph bench{links} {{", f'  label="Generated, {links} links";']
    for i in range(0, n, 2):  # half the nodes declared, with a label and an initial value
        initial = rnd.randint(1, 100)
        loop.append(f'node n{i} "Node {i}" initial {initial}')
        dot.append(f'  n{i} [label="Node {i}", initial={initial}];')
    seen: set[tuple[int, int]] = set()
    made = 0
    while made < links:
        length = min(rnd.randint(1, 4), links - made)  # chains of 1 to 4 links
        path = [rnd.randrange(n)]
        while len(path) <= length:
            b = rnd.randrange(n)
            if b != path[-1] and (path[-1], b) not in seen:
                seen.add((path[-1], b))
                path.append(b)
        loop_line = [f"n{path[0]}"]
        for a, b in zip(path, path[1:]):
            kind = rnd.random()
            if kind < 0.5:
                loop_line += ["->", f"n{b}"]
                dot.append(f"  n{a} -> n{b};")
            else:
                sign = rnd.choice("+-")
                gain = round(rnd.uniform(0.1, 2), 2)
                delay = rnd.randint(1, 5)
                loop_line += [f'-[{sign} gain {gain} delay {delay} "effect"]->', f"n{b}"]
                dot.append(f'  n{a} -> n{b} [polarity="{sign}", gain={gain}, delay={delay}, '
                           'label="effect"];')
            made += 1
        loop.append(" ".join(loop_line))
    dot.append("}")
    return "\n".join(loop) + "\n", "\n".join(dot) + "\n"


def best_cpu_time(fn, repeat: int, budget: float = 20.0) -> float:
    """The least CPU time of up to ``repeat`` runs (fewer once ``budget`` seconds are spent)."""
    best, spent = float("inf"), 0.0
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        took = time.process_time() - start
        best, spent = min(best, took), spent + took
        if spent > budget:
            break
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k and 10k links only")
    ap.add_argument("--sizes", type=int, nargs="+", help="other numbers of links")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    ap.add_argument("--no-tuning", action="store_true",
                    help="leave loopdsl.tuning's knobs off (the library's default)")
    args = ap.parse_args(argv)
    with tuning.tuned():  # as they were after it (main() is also called in tests)
        if args.no_tuning:
            tuning.disable()
        return measure(args)


def measure(args: argparse.Namespace) -> int:
    import pydot

    sizes = args.sizes or (SIZES[:2] if args.quick else SIZES)
    loopdsl.loads("a -> b")  # build the parser once, outside the timings
    rows = []
    for links in sizes:
        loop_text, dot_text = generate(links)
        model = loopdsl.loads(loop_text)  # and check the two texts describe the same graph
        (graph,) = pydot.graph_from_dot_data(dot_text)
        assert len(model.links) == links == len(graph.get_edges())
        ours = best_cpu_time(lambda: loopdsl.loads(loop_text), args.repeat)
        theirs = best_cpu_time(lambda: pydot.graph_from_dot_data(dot_text), args.repeat)
        rows.append((links, len(loop_text), len(dot_text), ours, theirs))

    print(f"parse + compile, best of up to {args.repeat} runs (CPU seconds); "
          f"pydot {pydot.__version__}")
    print(f"{'links':>7} {'.loop KB':>9} {'DOT KB':>8} {'loopdsl s':>10} {'pydot s':>9} "
          f"{'speed-up':>9} {'loopdsl us/link':>16}")
    base = rows[0][3] / rows[0][0]
    for links, loop_size, dot_size, ours, theirs in rows:
        print(f"{links:>7,} {loop_size / 1024:>9.0f} {dot_size / 1024:>8.0f} {ours:>10.3f} "
              f"{theirs:>9.3f} {theirs / ours:>8.1f}x {ours / links * 1e6:>16.1f}")
    worst = min(theirs / ours for *_, ours, theirs in rows)
    growth = max((ours / links) / base for links, *_, ours, _ in rows)
    verdict = "met" if worst >= GOAL else "NOT met"
    print(f"slowest speed-up {worst:.1f}x (goal {GOAL:g}x: {verdict})")
    print(f"time per link at the largest size / at {rows[0][0]:,} links: {growth:.2f} "
          f"({'linear' if growth < 1.5 else 'NOT linear'} within 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
