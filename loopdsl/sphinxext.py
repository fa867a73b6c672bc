"""Sphinx extension: diagrams of .loop models, rendered to SVG at build time.

In ``conf.py``: ``extensions = ["loopdsl.sphinxext"]``. Then, in a page::

    .. loopdsl:: ../models/amazon_flywheel.loop
       :layout: circo
       :highlight: R1
       :loops:

or with the model written inline as the directive's content::

    .. loopdsl::
       :loops:

       experience -> traffic -> sellers -> selection -> experience

Options: ``:layout:`` (auto, dot, circo, neato, fdp), ``:direction:``,
``:theme:`` (light, dark), ``:highlight:`` (a loop id), ``:loops:`` (add the
loop table), ``:source:`` (show the model text too), ``:caption:``.
``.. loopdsl-gallery:: ../models/*.loop`` adds a section per matching file.
A model error fails the build with the model's file:line (for inline models,
the page's file and line). ``.loop`` code blocks are highlighted by
:class:`loopdsl.lexer.LoopLexer`.

The module imports Sphinx only inside :func:`setup` and the directives, so
importing it costs nothing where Sphinx is absent.

>>> svg_for_html('<?xml version="1.0"?>\\n<!DOCTYPE svg>\\n<svg id="g0"></svg>', "d1")
'<svg style="max-width:100%;height:auto" id="d1-g0"></svg>'
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from loopdsl.errors import LoopError

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_ID = re.compile(r'\bid="([^"]*)"')


def svg_for_html(svg: str, prefix: str) -> str:
    """SVG ready to sit inline in HTML: no XML prolog or comments, ids made unique."""
    svg = _PROLOG.sub("", svg).strip()
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _options(opts: dict[str, Any]):
    from loopdsl.render import DiagramOptions

    return DiagramOptions(layout=opts.get("layout", "auto"),
                          direction=opts.get("direction", "TB"),
                          theme=opts.get("theme", "light"),
                          highlight=opts.get("highlight") or None)


def _shift(err: LoopError, file: str, offset: int, indent: int = 0) -> LoopError:
    """An inline model's errors, moved to the page's file, lines and columns."""
    return LoopError([dataclasses.replace(
        d, file=file, line=None if d.line is None else d.line + offset,
        column=None if d.column is None else d.column + indent,
        source_line=None if d.source_line is None else " " * indent + d.source_line)
        for d in err.diagnostics])


def _indent(block_text: str, content_lines: int) -> int:
    """The indentation of a directive's content in the page."""
    lines = [line for line in block_text.splitlines()[-content_lines:] if line.strip()]
    return min((len(line) - len(line.lstrip()) for line in lines), default=0)


def _error_base() -> type[Exception]:
    try:
        from sphinx.errors import SphinxError
    except ImportError:  # Sphinx absent: the module still imports
        return Exception
    return SphinxError


class LoopModelError(_error_base()):  # type: ignore[misc]
    """A model in the docs has an error: the build stops with its file:line."""

    category = "loopdsl model error"


def _loop_table(model, limit: int = 100):
    from docutils import nodes

    from loopdsl.render.table import COLUMNS, loop_rows

    rows = loop_rows(model, limit)
    if not rows:
        return nodes.paragraph(text="No feedback loops: this model is a funnel.")
    table = nodes.table(classes=["loopdsl-loops"])
    group = nodes.tgroup(cols=len(COLUMNS))
    table += group
    for key, _ in COLUMNS:
        group += nodes.colspec(colwidth=40 if key == "path" else 8)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for _, title in COLUMNS:
        row += nodes.entry("", nodes.paragraph(text=title))
    head += row
    body = nodes.tbody()
    group += body
    for data in rows:
        row = nodes.row()
        for key, _ in COLUMNS:
            row += nodes.entry("", nodes.paragraph(text=data[key]))
        body += row
    return table


def diagram_nodes(directive, model, opts: dict[str, Any], text: str) -> list:
    """The docutils nodes of one diagram (+ loop table and source, if asked)."""
    from docutils import nodes

    from loopdsl.render import to_svg

    try:
        svg = to_svg(model, _options(opts))
    except LoopError as err:
        raise LoopModelError(str(err)) from None
    prefix = "loopdsl-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    container = nodes.container(classes=["loopdsl-diagram"])
    container += nodes.raw("", f'<div class="loopdsl-svg">{svg_for_html(svg, prefix)}</div>',
                           format="html")
    if opts.get("caption"):
        container += nodes.paragraph(text=opts["caption"], classes=["caption"])
    out = [container]
    if "loops" in opts:
        out.append(_loop_table(model))
    if "source" in opts:
        block = nodes.literal_block(text, text, language="loop")
        out.append(block)
    return out


def _directive_classes():
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    from loopdsl.loader import loads, read_text
    from loopdsl.render.options import DIRECTIONS, LAYOUTS
    from loopdsl.render.themes import THEMES

    spec = {
        "layout": lambda a: directives.choice(a, LAYOUTS),
        "direction": lambda a: directives.choice(a, DIRECTIONS),
        "theme": lambda a: directives.choice(a, tuple(THEMES)),
        "highlight": directives.unchanged_required,
        "loops": directives.flag,
        "source": directives.flag,
        "caption": directives.unchanged,
    }

    def load_file(directive, argument: str):
        env = directive.state.document.settings.env
        rel, path = env.relfn2path(argument, env.docname)
        env.note_dependency(rel)
        try:
            text = read_text(path)
            return loads(text, str(path)), text
        except LoopError as err:
            raise LoopModelError(str(err)) from None

    class LoopDirective(Directive):
        """``.. loopdsl:: [FILE]`` with the model inline as content if no FILE."""

        optional_arguments = 1
        has_content = True
        option_spec = spec

        def run(self):
            if self.arguments and self.content:
                raise self.error("loopdsl: give a model file or inline model text, not both")
            if self.arguments:
                model, text = load_file(self, self.arguments[0])
            elif self.content:
                text = "\n".join(self.content)
                source, line = self.state_machine.get_source_and_line(self.content_offset + 1)
                try:
                    model = loads(text, source or "<page>")
                except LoopError as err:
                    shifted = _shift(err, source or "<page>", (line or 1) - 1,
                                     _indent(self.block_text, len(self.content)))
                    raise LoopModelError(str(shifted)) from None
            else:
                raise self.error("loopdsl: give a model file or inline model text")
            return diagram_nodes(self, model, self.options, text)

    class GalleryDirective(Directive):
        """``.. loopdsl-gallery:: GLOB``: a section per model (diagram, loops, source)."""

        required_arguments = 1
        option_spec = {"layout": spec["layout"], "theme": spec["theme"]}

        def run(self):
            env = self.state.document.settings.env
            _, pattern = env.relfn2path(self.arguments[0], env.docname)
            files = sorted(glob.glob(str(pattern)))
            if not files:
                raise self.error(f"loopdsl-gallery: no file matches {self.arguments[0]}")
            env.note_reread()  # a model added to the folder appears on the next build
            doc_dir = Path(env.doc2path(env.docname)).parent
            out = []
            for path in files:
                model, text = load_file(self, os.path.relpath(path, doc_dir))
                title = model.title or Path(path).stem
                section = nodes.section(ids=[nodes.make_id("model-" + Path(path).stem)])
                section += nodes.title(text=title)
                section += nodes.paragraph(text=f"{Path(path).name}"
                                           + (f": {model.description}" if model.description
                                              else ""))
                opts = dict(self.options, loops=None, source=None)
                section.extend(diagram_nodes(self, model, opts, text))
                self.state.document.note_implicit_target(section)
                out.append(section)
            return out

    return LoopDirective, GalleryDirective


def setup(app) -> dict[str, Any]:
    """Register the ``loopdsl`` and ``loopdsl-gallery`` directives and the .loop lexer."""
    from loopdsl import __version__
    from loopdsl.lexer import LoopLexer

    loop_directive, gallery_directive = _directive_classes()
    app.add_directive("loopdsl", loop_directive)
    app.add_directive("loopdsl-gallery", gallery_directive)
    app.add_lexer("loop", LoopLexer)
    app.add_lexer("loop-error", LoopLexer)  # docs/language.md's examples of errors
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
