"""``loopdsl simulate``: table, CSV, JSON, plots, scenarios, ensembles, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loopdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]

MODEL = """model demo "Демо 演示"
time 0 to 6 unit month
const k "Сила" = 1
node a "Трафик 流量" initial 1 unit visits
a -[gain 2]-> b -[gain {k}]-> a
stock s "Клиенты" initial 10 unit people
flow f = k * 2 to s
scenario strong "Strong": k = 3
vary k ~ uniform(0.5, 1.5)
"""


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "demo.loop"
    path.write_text(MODEL.replace("{k}", "1.5"), encoding="utf-8")
    return path


def test_table_on_stdout_and_warnings_on_stderr(model, capsys):
    assert main(["simulate", str(model), "--vars", "a,s"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[1].split() == ["time", "a", "s"]
    assert lines[2].split() == ["0", "1", "10"]
    assert lines[-1].split() == ["6", "27", "22"]  # gain 3 per cycle of 2: 1, 3, 9, 27
    assert "delay 1 time unit" in err and "a -> b" in err


def test_csv_file_and_options(model, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = main(["simulate", str(model), "--csv", str(out), "--until", "4", "--dt", "0.5",
                 "--method", "rk4", "--set", "k=2"])
    assert code == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["time", "k", "a", "s", "f", "b"]  # b is implicit: declared last
    assert [r[0] for r in rows[1:]] == ["0", "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4"]
    assert float(rows[-1][3]) == pytest.approx(10 + 4 * 4)
    assert capsys.readouterr().out == ""


def test_json_and_scenarios(model, capsys):
    assert main(["simulate", str(model), "--json", "--all-scenarios", "--vars", "s"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["title"] == "Демо 演示"
    assert [r["scenario"] for r in data["results"]] == [None, "strong"]
    assert data["results"][0]["variables"]["s"][-1] == 22
    assert data["results"][1]["variables"]["s"][-1] == 10 + 6 * 6
    assert list(data["results"][0]["variables"]) == ["s"]


def test_scenarios_together_in_one_csv(model, capsys):
    assert main(["simulate", str(model), "--csv", "-", "--all-scenarios", "--vars", "s"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["time", "scenario", "s"]
    assert rows[1] == ["0", "base", "10"] and rows[8] == ["0", "strong", "10"]


def test_ensemble_percentile_csv(model, capsys):
    assert main(["simulate", str(model), "--runs", "200", "--seed", "4", "--csv", "-",
                 "--vars", "s"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    last = rows[-1]
    assert list(last) == ["time", "s_p5", "s_p25", "s_p50", "s_p75", "s_p95", "s_mean"]
    # s(6) = 10 + 12 k with k ~ uniform(0.5, 1.5): its median is near 22
    assert 10 + 12 * 0.5 < float(last["s_p5"]) < float(last["s_p50"]) < float(last["s_p95"]) \
        < 10 + 12 * 1.5
    assert abs(float(last["s_p50"]) - 22) < 1.5
    again = io.StringIO()
    sys_stdout = sys.stdout
    try:
        sys.stdout = again
        main(["simulate", str(model), "--runs", "200", "--seed", "4", "--csv", "-",
              "--vars", "s"])
    finally:
        sys.stdout = sys_stdout
    assert list(csv.DictReader(io.StringIO(again.getvalue())))[-1] == last


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot(model, tmp_path, suffix):
    pytest.importorskip("matplotlib", reason="matplotlib is a dev extra; plotting needs it")
    out = tmp_path / f"chart.{suffix}"
    assert main(["simulate", str(model), "--all-scenarios", "--plot", str(out)]) == 0
    data = out.read_bytes()
    if suffix == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = data.decode("utf-8")
        for label in ("Трафик 流量", "Демо 演示", "time (month)", "strong"):
            assert label in text
    band = tmp_path / f"band.{suffix}"
    assert main(["simulate", str(model), "--runs", "50", "--seed", "1", "--plot",
                 str(band)]) == 0
    if suffix == "svg":
        assert "5-95%" in band.read_text(encoding="utf-8")


def test_usage_and_model_errors(model, tmp_path, capsys):
    assert main(["simulate", str(model), "--set", "k"]) == 2
    assert main(["simulate", str(model), "--set", "k=abc"]) == 2
    assert main(["simulate", str(model), "--plot", "x.gif"]) == 2
    assert main(["simulate", str(model), "--set", "kk=1"]) == 1
    assert "did you mean 'k'" in capsys.readouterr().err
    assert main(["simulate", str(model), "--vars", "zz"]) == 1
    assert main(["simulate", str(model), "--scenario", "nope"]) == 1
    assert main(["simulate", str(model), "--dt", "0.3"]) == 1
    err = capsys.readouterr().err
    assert "not a whole number of steps" in err and "Traceback" not in err
    assert main(["simulate", str(tmp_path / "missing.loop")]) == 1


def test_subprocess_stdin_and_quiet_progress(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "loopdsl", "simulate", "-", "--csv", "-"],
                          input="time 0 to 200 step 0.01\nstock s initial 1\n"
                                "flow f = 0.0001 * s to s\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    lines = proc.stdout.splitlines()
    assert lines[0] == "time,s,f" and len(lines) == 20_002


def test_progress_bar_on_a_terminal_only(monkeypatch):
    from loopdsl.commands.simulate import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    bar = Progress(True, "base ")
    bar.started -= 10  # a long run
    bar(50, 100)
    bar.close()
    assert "base [" in term.getvalue() and " 50%" in term.getvalue()
    quiet = Progress(True)  # a short run shows nothing
    quiet(50, 100)
    assert Progress(False).enabled is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    assert Progress(True).enabled is False


def test_save_step_reports_fewer_rows(model, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["simulate", str(model), "--csv", str(out), "--dt", "0.5", "--save-step",
                 "2", "--vars", "s"]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows == [["time", "s"], ["0", "10"], ["2", "14"], ["4", "18"], ["6", "22"]]
    bad = tmp_path / "bad.csv"
    assert main(["simulate", str(model), "--csv", str(bad), "--save-step", "1.5"]) == 2
    assert "--save-step 1.5 must be a positive whole multiple of the time step 1" in \
        capsys.readouterr().err
    assert not bad.exists()
