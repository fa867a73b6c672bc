"""Diagnostics: severities, codes, end positions, ``check``'s exits and JSON, and the
code table of docs/language.md, where each code has an example whose output is shown
verbatim."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from loopdsl.cli import main
from loopdsl.codes import CODES
from loopdsl.diagnose import diagnose_text
from loopdsl.errors import Diagnostic, Source

DOC = Path(__file__).resolve().parents[1] / "docs" / "language.md"
SECTION = DOC.read_text(encoding="utf-8").split("\n## Diagnostics", 1)[1].split("\n## ", 1)[0]
HEADINGS = re.findall(r"^### ([A-Z]\d{3}) ", SECTION, flags=re.M)
EXAMPLES = re.findall(r"^### ([A-Z]\d{3}) .*?```loop-check\n(.*?)```\n+```text\n(.*?)```",
                      SECTION, flags=re.M | re.S)


def test_every_code_is_documented_once_with_an_example() -> None:
    assert sorted(HEADINGS) == sorted(CODES)
    assert len(set(HEADINGS)) == len(HEADINGS)
    assert sorted(code for code, *_ in EXAMPLES) == sorted(CODES)


@pytest.mark.parametrize("code,body,expected", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_code_example_gives_what_the_doc_shows(code: str, body: str, expected: str) -> None:
    _, found = diagnose_text(body, "model.loop")
    assert "\n".join(str(d) for d in found) == expected.rstrip("\n")
    assert code in {d.code for d in found}


def test_a_warning_is_underlined_to_its_end() -> None:
    source = Source("aux x = a + b\n", "m.loop")
    d = source.diagnostic("units differ", 1, 9, "convert b", severity="warning",
                          code=None, end_line=1, end_column=14)
    assert str(d) == ("m.loop:1:9: warning: units differ; convert b\n"
                      "    aux x = a + b\n"
                      "            ^~~~~")
    assert d.to_dict()["end_column"] == 14


def test_wide_characters_are_underlined_by_their_width() -> None:
    d = Source("aux 用户 = 1\n", "m.loop").diagnostic("x", 1, 5, end_line=1, end_column=7)
    assert str(d).endswith("    aux 用户 = 1\n        ^~~~")


def test_check_json_lists_every_diagnostic(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.loop"
    bad.write_text("node traffic\naux a = trafic\n", encoding="utf-8")
    assert main(["check", "--format", "json", str(bad)]) == 1
    out = json.loads(capsys.readouterr().out)
    (d,) = out["diagnostics"]
    assert set(d) == {"severity", "code", "message", "file", "line", "column", "end_line",
                      "end_column", "hint"}
    assert (d["severity"], d["file"], d["line"], d["column"]) == ("error", str(bad), 2, 9)


def test_check_passes_a_clean_model_in_json(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.loop"
    good.write_text("a -> b -> a\n", encoding="utf-8")
    assert main(["check", "--format", "json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out) == {"diagnostics": []}


def test_severity_comes_from_the_code() -> None:
    for code in CODES.values():
        d = Source("x").diagnostic("m", 1, 1, code=code.code)
        assert d.severity == code.severity
    assert Diagnostic("m").severity == "error"
