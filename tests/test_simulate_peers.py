"""The builtins agree with other XMILE engines (Simlin, PySD) on the same XMILE model.

Simlin has no SMTHN, DELAYN or FORCST and runs DELAY as a first-order delay; PySD has no
PREVIOUS, LOG10 or MOD function. Each builtin is compared with the engine that implements
it as XMILE defines it (DELAY is a pipeline delay there, as PySD runs it).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import loopdsl

EXPRS = {
    "p1": "PULSE(6, 2)", "p2": "PULSE(6, 1, 2)", "p3": "PULSE(3, 1.5, 1)",
    "st": "STEP(3, 2.5)", "r1": "RAMP(2, 1)", "r2": "RAMP(2, 1, 3)",
    "s1": "SMTH1(inp, 4)", "s1i": "SMTH1(inp, 4, 2)", "s3": "SMTH3(inp, 3)",
    "d1": "DELAY1(inp, 4)", "d1i": "DELAY1(inp, 4, 2)", "d3": "DELAY3(inp, 3)",
    "dl": "DELAY(inp, 2)", "dli": "DELAY(inp, 2, -1)",
    "tr": "TREND(inp, 2)", "tri": "TREND(inp, 2, 0.1)", "fc": "FORCST(inp, 2, 3)",
    "sn": "SMTHN(inp, 3, 4)", "dn": "DELAYN(inp, 3, 4)",
    "pv": "PREVIOUS(inp)", "pvi": "PREVIOUS(inp, 7)", "it": "INIT(inp)",
    "md": "(-7 MOD 3) + (7 MOD 3) * 10 + INT(-1.5) * 100", "sd": "SAFEDIV(1, TIME - 1, 7)",
    "l10": "LOG10(inp)", "lg": "LN(inp) + EXP(-TIME) + SQRT(inp) + ABS(-inp) + MIN(inp, 3)",
    "tg": "SIN(TIME) + COS(TIME) + TAN(TIME / 10) + ARCTAN(TIME)",
    "cond": "IF TIME > 2 AND NOT (TIME >= 7) OR TIME = 0 THEN inp ELSE -1",
}
NOT_IN = {"simlin": {"sn", "dn", "fc", "dl", "dli"}, "pysd": {"pv", "pvi", "md", "l10"}}


def xmile(method: str, dt: float, leave_out: set[str]) -> str:
    variables = "\n".join(f'<aux name="{k}"><eqn>{v}</eqn></aux>' for k, v in EXPRS.items()
                          if k not in leave_out)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<header><vendor>loopdsl tests</vendor><product version="1">tests</product></header>
<sim_specs method="{method}"><start>0</start><stop>10</stop><dt>{dt}</dt></sim_specs>
<model><variables>
<aux name="inp"><eqn>1 + TIME * TIME * 0.5 + STEP(5, 3)</eqn></aux>
<aux name="lk"><eqn>TIME * 1.1</eqn><gf><xscale min="0" max="10"/><ypts>0,4,2,8,5,1</ypts></gf></aux>
{variables}
</variables></model></xmile>"""


CASES = [("Euler", 0.5), ("Euler", 0.25), ("RK4", 0.25)]


def ours(path, method):
    from loopdsl.xmile import load_xmile

    return load_xmile(path).simulate()


def compare(ours_result, theirs: dict[str, np.ndarray], engine: str) -> list[str]:
    bad = []
    for name, values in theirs.items():
        mine = ours_result[name]
        err = np.max(np.abs(mine - values) / np.maximum(1.0, np.abs(values)))
        if not err < 1e-9:
            k = int(np.argmax(np.abs(mine - values)))
            bad.append(f"{name} at t={ours_result.time[k]}: ours {mine[k]!r}, "
                       f"{engine} {values[k]!r}")
    return bad


@pytest.mark.parametrize("method,dt", CASES)
def test_builtins_agree_with_simlin(tmp_path, method, dt):
    simlin = pytest.importorskip("simlin", reason="pysimlin (the Simlin engine) is not "
                                 "installed; it is a benchmark peer, not a dependency")
    path = tmp_path / "b.xmile"
    path.write_text(xmile(method, dt, NOT_IN["simlin"]), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simlin.load(path).simulate(enable_ltm=False)
        sim.run_to_end()
    names = {n.lower(): n for n in sim.get_var_names()}
    theirs = {k: np.asarray(sim.get_series(names[k])) for k in list(EXPRS) + ["lk"]
              if k not in NOT_IN["simlin"]}
    assert compare(ours(path, method), theirs, "simlin") == []


@pytest.mark.parametrize("method,dt", CASES[:2])
def test_builtins_agree_with_pysd(tmp_path, method, dt):
    pysd = pytest.importorskip("pysd", reason="PySD is not installed; it is a benchmark "
                               "peer, not a dependency")
    path = tmp_path / "b.xmile"
    path.write_text(xmile(method, dt, NOT_IN["pysd"]), encoding="utf-8")
    mine = ours(path, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pysd.read_xmile(str(path)).run(return_timestamps=list(mine.time))
    columns = {c.lower(): c for c in frame.columns}
    # PySD's PULSE with an interval fires only at whole multiples of dt after its first
    # time; XMILE (and Simlin) fire at the step that contains it: compared with Simlin.
    # PySD also reads NOT as binding looser than OR (XMILE: NOT binds tighter than AND),
    # so its "cond" differs: compared with Simlin, which agrees with XMILE.
    skip = NOT_IN["pysd"] | {"p3", "cond"}
    theirs = {k: frame[columns[k]].to_numpy(dtype=float) for k in list(EXPRS) + ["lk"]
              if k not in skip}
    assert compare(mine, theirs, "pysd") == []


def test_simlin_runs_delay_as_a_first_order_delay_and_we_do_not(tmp_path):
    """Documented difference: XMILE's DELAY is a pipeline; Simlin's is DELAY1."""
    m = loopdsl.loads("time 0 to 6\naux inp = TIME * TIME\naux d = DELAY(inp, 2)\n"
                      "aux d1 = DELAY1(inp, 2)")
    r = m.simulate()
    assert r["d"].tolist() == [0, 0, 0, 1, 4, 9, 16]
    assert not np.allclose(r["d"], r["d1"])
