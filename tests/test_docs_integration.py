"""Docs integration: a real (tiny) Sphinx build and MkDocs build hold the diagram;
the Pygments lexer is registered for .loop files; models show as SVG in Jupyter."""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path

import pytest

import loopdsl

ROOT = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' "
                               "program is not installed (.ci/setup installs it)")

MODEL = """model wheel "A wheel"
node experience "Customer experience"
node traffic "Трафик & <visits>"
experience -> traffic -> sellers -[delay 2]-> selection -> experience
loop R1 "Big wheel" reinforcing: experience -> traffic -> sellers -> selection -> experience
"""


def sphinx_build(src: Path) -> tuple[str, str]:
    from sphinx.application import Sphinx

    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(src / "_build"), str(src / "_build" / ".doctrees"),
                 "html", status=None, warning=warnings, freshenv=True)
    app.build()
    return (src / "_build" / "index.html").read_text(encoding="utf-8"), warnings.getvalue()


@needs_dot
def test_sphinx_project_holds_diagrams_tables_and_errors(tmp_path):
    src = tmp_path / "docs"
    (src / "models").mkdir(parents=True)
    (src / "models" / "wheel.loop").write_text(MODEL, encoding="utf-8")
    (src / "conf.py").write_text('extensions = ["loopdsl.sphinxext"]\n', encoding="utf-8")
    (src / "index.rst").write_text(textwrap.dedent("""\
        Models
        ======

        .. loopdsl:: models/wheel.loop
           :loops:
           :highlight: R1
           :layout: dot

        .. loopdsl::
           :source:

           node a "Inline <model>"
           a -[-]-> b -> a

        .. code-block:: loop

           stock s "Customers" initial 10  # a comment
        """), encoding="utf-8")
    page, warnings = sphinx_build(src)
    assert page.count("<svg") == 2
    assert "Customer experience" in page and "Трафик &amp; &lt;visits&gt;" in page
    assert 'class="loopdsl-loops' in page and "reinforcing" in page
    assert "Customer experience → Трафик &amp; &lt;visits&gt; → sellers" in page
    assert "Inline &lt;model&gt;" in page
    # the source block and the code block are highlighted by the .loop lexer
    assert '<span class="kd">stock</span>' in page and '<span class="c1"># a comment' in page
    assert "ERROR" not in warnings

    # a model error stops the build with the page's file and line
    (src / "index.rst").write_text("Bad\n===\n\n.. loopdsl::\n\n   a -> b\n   c ->\n",
                                   encoding="utf-8")
    from loopdsl.sphinxext import LoopModelError

    with pytest.raises(LoopModelError, match=r"index\.rst:7:\d+: error"):
        sphinx_build(src)
    (src / "index.rst").write_text("Bad\n===\n\n.. loopdsl:: models/bad.loop\n",
                                   encoding="utf-8")
    (src / "models" / "bad.loop").write_text("a -> b\nnode a initial )\n", encoding="utf-8")
    with pytest.raises(LoopModelError, match=r"bad\.loop:2:\d+: error"):
        sphinx_build(src)


@needs_dot
def test_mkdocs_project_holds_the_diagram(tmp_path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from pymdownx.superfences import SuperFencesException

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Test
        markdown_extensions:
          - pymdownx.superfences:
              custom_fences:
                - name: loop
                  class: loopdsl
                  format: !!python/name:loopdsl.mkdocs.fence_format
                  validator: !!python/name:loopdsl.mkdocs.fence_validator
        """), encoding="utf-8")
    page = tmp_path / "docs" / "index.md"
    page.write_text("# Wheel\n\n```loop highlight=\"R1\" loops=\"1\"\n" + MODEL + "```\n",
                    encoding="utf-8")
    config = load_config(config_file=str(tmp_path / "mkdocs.yml"),
                         site_dir=str(tmp_path / "site"))
    build(config)
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<div class="loopdsl"><svg' in html
    assert "Трафик &amp; &lt;visits&gt;" in html and "R1" in html
    assert 'class="loopdsl-loops"' in html and "reinforcing" in html

    page.write_text("# Bad\n\n```loop\na -> b\nc ->\n```\n", encoding="utf-8")
    with pytest.raises(SuperFencesException, match=r"2:\d+: error"):
        build(load_config(config_file=str(tmp_path / "mkdocs.yml"),
                          site_dir=str(tmp_path / "site")))


def test_mermaid_fence_needs_no_graphviz():
    from loopdsl.mkdocs import mermaid_format

    html = mermaid_format(MODEL, "loop", "loopdsl", {}, None)
    assert html.startswith('<pre class="mermaid"><code>')
    assert "flowchart TB" in html and "#lt;visits#gt;" in html


def test_pygments_finds_the_lexer_for_loop_files():
    from pygments import lex
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    from pygments.token import Error

    from loopdsl.lexer import LoopLexer

    assert isinstance(get_lexer_for_filename("flywheel.loop"), LoopLexer)
    assert isinstance(get_lexer_by_name("loop"), LoopLexer)
    for path in sorted((ROOT / "models").glob("*.loop")):
        tokens = list(lex(path.read_text(encoding="utf-8"), LoopLexer()))
        assert not [v for t, v in tokens if t in Error], path.name


@needs_dot
def test_jupyter_shows_the_model_as_svg():
    svg = loopdsl.loads(MODEL)._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "Трафик &amp; &lt;visits&gt;" in svg
