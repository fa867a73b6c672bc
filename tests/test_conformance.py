"""The SDXorg XMILE test models (../shared/conformance) against their canonical outputs.

Tolerance and column matching: see loopdsl/conformance.py and docs/conformance.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from loopdsl.conformance import ATOL, RTOL, find_cases, read_output, report, run_case

ROOT = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CASES = find_cases(ROOT) if ROOT.is_dir() else []
needs_suite = pytest.mark.skipif(not ROOT.is_dir(),
                                 reason=f"the conformance suite is not at {ROOT}")


@needs_suite
def test_the_suite_is_there():
    assert len(CASES) >= 29  # every model in the README's folders, each with its output file


@needs_suite
@pytest.mark.parametrize("model, output", CASES,
                         ids=[str(m.relative_to(ROOT)) for m, _ in CASES])
def test_model_matches_canonical_output(model, output):
    result = run_case(model, output, ROOT)
    assert result.passed, "\n".join(result.problems)
    header, rows = read_output(output)
    assert result.rows == len(rows) > 0
    # every column the output file has is either compared or is not a model variable
    assert len(result.columns) + len(result.extra_columns) == len(header) - 1
    assert result.worst <= 1.0


@needs_suite
def test_a_wrong_value_fails(tmp_path):
    """The harness can fail: one canonical value nudged beyond the tolerance is caught."""
    source = ROOT / "samples" / "teacup"
    shutil.copytree(source, tmp_path / "teacup")
    output = tmp_path / "teacup" / "output.csv"
    lines = output.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("Teacup Temperature")
    cells = lines[50].split(",")
    value = float(cells[column])
    cells[column] = repr(value + 3 * (RTOL * abs(value) + ATOL * 180))
    lines[50] = ",".join(cells)
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_case(tmp_path / "teacup" / "teacup.xmile", output, tmp_path)
    assert not result.passed and result.worst > 1
    assert "Teacup Temperature at time" in result.problems[0]
    assert "**FAIL**" in report([result])


@needs_suite
def test_extra_columns_are_listed_not_compared():
    model = ROOT / "tests" / "smooth_and_stock" / "test_smooth_and_stock.xmile"
    result = run_case(model, model.parent / "output.tab", ROOT)
    assert set(result.extra_columns) == {"Input", "Smoothed Input", "Smoothing Time"}
    assert "first order smooth" in result.columns and result.passed


@needs_suite
@pytest.mark.parametrize("model", [m for m, _ in CASES],
                         ids=[str(m.relative_to(ROOT)) for m, _ in CASES])
def test_imported_loop_text_simulates_like_the_xmile(model):
    """`loopdsl import` output is a .loop file that compiles and runs the same."""
    import numpy as np

    import loopdsl
    from loopdsl.xmile import load_xmile

    imported = load_xmile(model)
    again = loopdsl.loads(loopdsl.dumps(imported), "imported.loop")
    assert again.content() == imported.content()
    a, b = imported.simulate(), again.simulate()
    for name in a.names:
        assert np.array_equal(a[name], b[name]), name
