"""Analysis and simulation agree (issue 4, item 2).

For random linear plain-node models (random positive gains, integer delays), the
asymptotic growth per time unit that a run shows equals ``rho(linearize(model)) ** (1/dt)``
to 1e-6 relative, equals the spectral radius of a companion matrix built here
independently, and equals the loop analysis' system growth factor.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import loopdsl
from loopdsl.simulate import linearize, spectral_radius


@st.composite
def linear_models(draw):
    n = draw(st.integers(2, 6))
    dt = draw(st.sampled_from([1.0, 0.5]))
    edges = {}
    for i in range(n):  # a ring makes it strongly connected
        edges[(i, (i + 1) % n)] = None
    edges[(0, 0)] = None  # a one-step self-loop makes it aperiodic
    for _ in range(draw(st.integers(0, 2 * n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        edges[(a, b)] = None
    links = []
    for (a, b) in edges:
        gain = draw(st.floats(0.3, 1.2))
        steps = 1 if (a, b) == (0, 0) else draw(st.integers(1, 4))
        links.append((a, b, round(gain, 3), steps))
    decay = draw(st.sampled_from([None, 0.5]))
    return n, dt, links, decay


def model_text(n, dt, links, decay, stop):
    lines = [f"time 0 to {stop} step {dt}"]
    for i in range(n):
        extra = f" decay {decay}" if decay is not None and i == 1 else ""
        lines.append(f"node x{i} initial {i + 1}{extra}")
    for a, b, gain, steps in links:
        lines.append(f"x{a} -[gain {gain} delay {steps * dt}]-> x{b}")
    return "\n".join(lines)


def companion(n, links, decay):
    """The one-step matrix of the lagged state, built here (not by the library)."""
    K = max(s for *_, s in links)
    A = [np.zeros((n, n)) for _ in range(K + 1)]
    for a, b, gain, steps in links:
        A[steps][b, a] += gain
    if decay is not None:
        A[1][1, 1] += 1 - decay
    C = np.zeros((n * K, n * K))
    for k in range(1, K + 1):
        C[:n, (k - 1) * n:k * n] = A[k]
    C[n:, :-n] = np.eye(n * (K - 1))
    return C


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linear_models())
def test_run_growth_equals_linearised_growth(case):
    n, dt, links, decay = case
    mods = sorted(abs(np.linalg.eigvals(companion(n, links, decay))), reverse=True)
    rho = float(mods[0])
    # Convergence of the run to its dominant mode goes like |l2 / l1| ** steps; keep cases
    # whose second eigenvalue is clearly smaller so 1e-6 is reachable in the run.
    assume(len(mods) == 1 or mods[1] < 0.92 * mods[0])
    steps = 400
    model = loopdsl.loads(model_text(n, dt, links, decay, stop=steps * dt))
    J, names, mdt = linearize(model)
    assert mdt == dt
    lin = spectral_radius(J)
    assert lin == pytest.approx(rho, rel=1e-9)
    result = model.simulate()
    total = sum(result[f"x{i}"] for i in range(n))
    per_unit = round(1 / dt)
    run_growth = total[-1] / total[-1 - per_unit]
    assert run_growth == pytest.approx(lin ** (1 / dt), rel=1e-6)
    from loopdsl.analysis.system import growth_factor

    analysis = growth_factor(model.graph, model=model)
    assert analysis == pytest.approx(run_growth, rel=1e-6)


def test_one_loop_growth_per_cycle():
    G, T = 3.0, 4
    model = loopdsl.loads(f"time 0 to 40\nnode a initial 1\na -[gain 1.5 delay 1]-> b "
                          f"-[gain 2 delay 3]-> a")
    J, names, dt = linearize(model)
    assert spectral_radius(J) ** (T / dt) == pytest.approx(G, rel=1e-12)
    r = model.simulate()
    assert r["a"][40] / r["a"][36] == pytest.approx(G, rel=1e-12)


@pytest.mark.parametrize("text", [
    "time 0 to 10 step 1\nstock s initial 100\nflow f = 0.1 * s to s",
    "time 0 to 10 step 0.5\nstock s initial 100\nflow f = 0.1 * s to s",
    "time 0 to 10\nstock s initial 10\naux a = 0.2 * s\nnode n\na -[gain 2 delay 2]-> n\n"
    "flow f = 0.1 * n to s",
])
def test_stock_models_agree_with_the_loop_analysis(text):
    from loopdsl.analysis.system import growth_factor

    model = loopdsl.loads(text)
    J, names, dt = linearize(model)
    assert spectral_radius(J) ** (1 / dt) == pytest.approx(
        growth_factor(model.graph, model=model), rel=1e-7)


def test_bundled_flywheel_agrees_with_the_loop_analysis():
    from pathlib import Path

    from loopdsl.analysis.system import growth_factor

    model = loopdsl.load(Path(__file__).resolve().parents[1] / "models" /
                         "amazon_flywheel.loop")
    J, names, dt = linearize(model)
    rho = spectral_radius(J) ** (1 / dt)
    assert rho == pytest.approx(growth_factor(model.graph, model=model), rel=1e-7)
    run = model.simulate(stop=600)  # the push ends early; the loops carry on alone
    late = sum(run[n.id] for n in model.nodes if n.kind == "node")
    assert (late[-1] / late[-101]) ** (1 / 100) == pytest.approx(rho, rel=1e-6)
