"""Generated XMILE benchmark models: N stocks, about five variables per stock.

Two families, both deterministic for a given seed:

- ``regular``: one equation shape repeated around a ring of stocks. Stock
  ``s_i`` grows from its ring predecessor and drains at a fixed rate::

      g_i   = constant (seeded, 0.05 .. 0.15)
      p_i   = s_prev * (1 - s_i / 1000)          (auxiliary)
      in_i  = g_i * p_i                          (inflow)
      out_i = s_i / 20                           (outflow)

  so every stock lies on its own two balancing loops and on one ring-wide
  reinforcing loop. :func:`numpy_regular` computes exactly these equations
  with a hand-written numpy loop (the practical speed limit in Python).
- ``irregular``: mixed shapes as in real models. Stocks form blocks of 6 to
  12, each block a ring with a chord or two, blocks feeding forward into
  later blocks (so loops stay inside a block and their number stays small);
  each stock takes one of several shapes: logistic, inline graphical
  functions (with x points or an x scale), IF/MIN/MAX with a STEP, EXP, and a
  few SMTH1, SMTH3, DELAY1, DELAY3. Names contain spaces, as real models' do.

Time runs 0 to 100 with dt 0.1 (1,000 Euler steps, 1,001 saved rows).

Run ``python bench/generate.py`` to write every benchmark model into
``bench/.cache`` (gitignored).

>>> text = regular_xmile(3)
>>> text.count("<stock ")
3
>>> irregular_xmile(20, seed=1) == irregular_xmile(20, seed=1)
True
"""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
START, STOP, DT = 0.0, 100.0, 0.1
SIZES = (100, 1000, 10000)
KINDS = ("regular", "irregular")
SEED = 20261122
GF_TABLES = 200  # distinct graphical functions at most, per model
VERSION = 2  # of the generators: part of the cache file name


def _header(name: str) -> list[str]:
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">',
        "  <header>",
        "    <vendor>loopdsl bench</vendor>",
        f"    <name>{escape(name)}</name>",
        '    <product version="1.0">loopdsl bench/generate.py</product>',
        "  </header>",
        '  <sim_specs method="Euler" time_units="Months">',
        f"    <start>{START:g}</start>",
        f"    <stop>{STOP:g}</stop>",
        f"    <dt>{DT:g}</dt>",
        "  </sim_specs>",
        "  <model>",
        "    <variables>",
    ]


_FOOTER = ["    </variables>", "  </model>", "</xmile>", ""]


def _stock(name: str, initial: str, inflows: list[str], outflows: list[str]) -> str:
    parts = [f'      <stock name="{escape(name)}">', f"        <eqn>{escape(initial)}</eqn>"]
    parts += [f"        <inflow>{escape(f)}</inflow>" for f in inflows]
    parts += [f"        <outflow>{escape(f)}</outflow>" for f in outflows]
    parts.append("      </stock>")
    return "\n".join(parts)


def _var(kind: str, name: str, eqn: str, gf: str = "") -> str:
    return (f'      <{kind} name="{escape(name)}">\n        <eqn>{escape(eqn)}</eqn>\n'
            f"{gf}      </{kind}>")


def _gf_body(xs: list[float], ys: list[float], indent: str = "        ") -> str:
    return (f"{indent}<xpts>{','.join(f'{x:g}' for x in xs)}</xpts>\n"
            f"{indent}<ypts>{','.join(f'{y:g}' for y in ys)}</ypts>\n")


def regular_constants(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The regular model's gains g_i and initial stocks, as numpy arrays.

    >>> g, s0 = regular_constants(4)
    >>> bool(((g >= 0.05) & (g <= 0.15)).all()), s0.tolist()
    (True, [10.0, 11.0, 12.0, 13.0])
    """
    rng = random.Random(seed)
    g = np.array([round(rng.uniform(0.05, 0.15), 4) for _ in range(n)])
    s0 = np.array([10.0 + (i % 10) for i in range(n)])
    return g, s0


def regular_xmile(n: int, seed: int = SEED) -> str:
    """XMILE text of the regular model with n stocks (see the module docstring)."""
    g, s0 = regular_constants(n, seed)
    lines = _header(f"regular_{n}")
    for i in range(n):
        prev = (i - 1) % n
        lines.append(_stock(f"s_{i}", f"{s0[i]:g}", [f"in_{i}"], [f"out_{i}"]))
        lines.append(_var("aux", f"g_{i}", f"{g[i]:g}"))
        lines.append(_var("aux", f"p_{i}", f"s_{prev} * (1 - s_{i} / 1000)"))
        lines.append(_var("flow", f"in_{i}", f"g_{i} * p_{i}"))
        lines.append(_var("flow", f"out_{i}", f"s_{i} / 20"))
    return "\n".join(lines + _FOOTER)


def numpy_regular(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Hand-written numpy Euler loop for the regular model: the Python speed limit.

    Returns arrays of shape (steps + 1, n) for ``s``, ``p``, ``in`` and ``out``
    (every variable but the constants), rows at the saved times.

    >>> r = numpy_regular(5)
    >>> r["s"].shape, float(r["time"][-1])
    ((1001, 5), 100.0)
    """
    g, s0 = regular_constants(n, seed)
    steps = int(round((STOP - START) / DT))
    prev = np.roll(np.arange(n), 1)
    out_s = np.empty((steps + 1, n))
    out_p = np.empty((steps + 1, n))
    out_in = np.empty((steps + 1, n))
    out_out = np.empty((steps + 1, n))
    out_s[0] = s0
    tmp = np.empty(n)
    for k in range(steps + 1):
        s, p, inflow, outflow = out_s[k], out_p[k], out_in[k], out_out[k]
        np.multiply(s, -1e-3, out=tmp)          # p = s_prev * (1 - s / 1000)
        tmp += 1.0
        np.take(s, prev, out=p)
        p *= tmp
        np.multiply(g, p, out=inflow)            # in = g * p
        np.multiply(s, 1 / 20, out=outflow)      # out = s / 20
        if k < steps:
            nxt = out_s[k + 1]                   # s' = s + dt * (in - out)
            np.subtract(inflow, outflow, out=nxt)
            nxt *= DT
            nxt += s
    time = START + DT * np.arange(steps + 1)
    return {"time": time, "s": out_s, "p": out_p, "in": out_in, "out": out_out}


_WORDS = ("Customers", "Sellers", "Traffic", "Selection", "Content", "Users", "Reviews",
          "Inventory", "Cash", "Staff", "Backlog", "Orders", "Partners", "Brand", "Leads")


def irregular_xmile(n: int, seed: int = SEED) -> str:
    """XMILE text of the irregular model with n stocks (see the module docstring)."""
    rng = random.Random(seed * 7919 + n)
    names = [f"{rng.choice(_WORDS)} {i}" for i in range(n)]
    ref = [name.replace(" ", "_") for name in names]

    # blocks of 6..12 stocks (the last block takes the remainder)
    blocks: list[list[int]] = []
    i = 0
    while i < n:
        size = min(rng.randint(6, 12), n - i)
        blocks.append(list(range(i, i + size)))
        i += size

    # pools of graphical-function shapes, each used by several stocks, at most
    # GF_TABLES distinct tables in all (Simlin 0.8.5 refuses more than 256); inline
    # <gf> only: Simlin cannot call a standalone <gf> by name, PySD 3.14 cannot read
    # LOOKUP(aux, x); every engine reads an aux with an inline gf
    tables = max(2, min(n // 50, GF_TABLES // 2))
    pool = []
    for _ in range(tables):
        top = round(rng.uniform(0.8, 1.5), 3)
        pool.append([round(top * v, 4) for v in (0.0, 0.35, 0.7, 0.88, 0.96, 1.0)])
    ramps = [[0, round(rng.uniform(5, 15), 3), 25, 35, 40] for _ in range(tables)]
    lines = _header(f"irregular_{n}")

    shapes = ("logistic", "lookup", "inline", "ifminmax", "exp", "smooth")
    weights = (30, 20, 15, 15, 15, 5)
    for block_index, block in enumerate(blocks):
        for pos, i in enumerate(block):
            prev = block[pos - 1] if len(block) > 1 else i
            me, up = ref[i], ref[prev]
            flows_in, flows_out = [f"growth_{i}"], [f"loss_{i}"]
            lines.append(_stock(names[i], f"{rng.randint(5, 40)}", flows_in, flows_out))
            gain = round(rng.uniform(0.04, 0.16), 4)
            lines.append(_var("aux", f"gain {i}", f"{gain:g}"))
            shape = rng.choices(shapes, weights)[0]
            driver = f"driver_{i}"
            if shape == "logistic":
                cap = rng.choice((500, 800, 1000, 2000))
                eqn = f"{up} * (1 - {me} / {cap})"
                lines.append(_var("aux", f"driver {i}", eqn))
                inflow = f"gain_{i} * {driver}"
            elif shape == "lookup":
                gf = ('        <gf>\n          <xscale min="0" max="2.5"/>\n'
                      f"          <ypts>{','.join(f'{y:g}' for y in rng.choice(pool))}</ypts>\n"
                      "        </gf>\n")
                lines.append(_var("aux", f"effect of load {i}", f"{up} / 100", gf))
                lines.append(_var("aux", f"driver {i}", f"effect_of_load_{i} * 20"))
                inflow = f"gain_{i} * {driver}"
            elif shape == "inline":
                xs = [0, 1, 2, 4, 8]
                ys = rng.choice(ramps)
                gf = '        <gf type="continuous">\n' + _gf_body(xs, ys, "          ") + \
                    "        </gf>\n"
                lines.append(_var("aux", f"driver {i}", f"{up} / 50", gf))
                inflow = f"gain_{i} * {driver}"
            elif shape == "ifminmax":
                thr = rng.choice((20, 50, 100))
                eqn = (f"IF {up} > {thr} THEN MIN({up}, 600) * 0.5 "
                       f"ELSE MAX({up} * 0.25, 1)")
                lines.append(_var("aux", f"driver {i}", eqn))
                inflow = f"gain_{i} * {driver} + STEP(0.5, {rng.randint(10, 60)})"
            elif shape == "exp":
                eqn = f"{up} * EXP(-{me} / {rng.choice((300, 500, 800))})"
                lines.append(_var("aux", f"driver {i}", eqn))
                inflow = f"gain_{i} * {driver}"
            else:  # smooth
                fn = rng.choice(("SMTH1", "SMTH3", "DELAY1", "DELAY3"))
                eqn = f"{fn}({up}, {rng.choice((2, 4, 8))})"
                lines.append(_var("aux", f"driver {i}", eqn))
                inflow = f"gain_{i} * {driver}"
            # a chord inside the block now and then, a feed from an earlier block
            if len(block) > 3 and rng.random() < 0.12:
                other = rng.choice([j for j in block if j not in (i, prev)])
                inflow += f" + 0.002 * {ref[other]}"
            if block_index > 0 and rng.random() < 0.3:
                earlier = rng.randrange(block[0])
                inflow += f" + 0.001 * {ref[earlier]}"
            lines.append(_var("flow", f"growth {i}", inflow))
            tau = rng.choice((10, 15, 20, 30))
            lines.append(_var("flow", f"loss {i}", f"{me} / {tau}"))
    return "\n".join(lines + _FOOTER)


def model_path(kind: str, n: int, seed: int = SEED, folder: Path = CACHE) -> Path:
    """Path of a generated model in the cache, written first if it is missing.

    >>> import tempfile
    >>> p = model_path("regular", 2, folder=Path(tempfile.mkdtemp()))
    >>> p.name, p.exists()
    ('regular-2-s20261122-v2.xmile', True)
    """
    make = {"regular": regular_xmile, "irregular": irregular_xmile}[kind]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{n}-s{seed}-v{VERSION}.xmile"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(make(n, seed), encoding="utf-8")
        tmp.replace(path)
    return path


def main() -> None:
    """Write every benchmark model into the cache and print their paths."""
    for kind in KINDS:
        for n in SIZES:
            print(model_path(kind, n))


if __name__ == "__main__":
    main()
