"""MkDocs: draw ```loop blocks with pymdownx.superfences custom fences.

In ``mkdocs.yml``::

    markdown_extensions:
      - pymdownx.superfences:
          custom_fences:
            - name: loop
              class: loopdsl
              format: !!python/name:loopdsl.mkdocs.fence_format
              validator: !!python/name:loopdsl.mkdocs.fence_validator

Then a page holds a model in a fence, with options on the opening line::

    ```loop layout="circo" highlight="R1" loops="1"
    experience -> traffic -> sellers -> selection -> experience
    ```

Options: ``layout``, ``direction``, ``theme``, ``highlight`` (as for
``loopdsl render``), ``loops`` (add the loop table), ``source`` (show the model
text too). :func:`mermaid_format` is the same fence drawn as Mermaid, for
sites that load Mermaid instead of running Graphviz at build time. A model
error stops the build (SuperFencesException) with the block's line.

>>> html = fence_format("a -> b -> a", "loop", "loopdsl", {"loops": "1"}, None)
>>> html.startswith('<div class="loopdsl">') and "<svg" in html and "R1" in html
True
"""

from __future__ import annotations

import html
import itertools
from typing import Any

from loopdsl.errors import LoopError

OPTIONS = ("layout", "direction", "theme", "highlight", "loops", "source")
_counter = itertools.count(1)


def _fail(message: str) -> Exception:
    try:
        from pymdownx.superfences import SuperFencesException
    except ImportError:  # pragma: no cover - only without pymdown-extensions
        return LoopError(message)
    return SuperFencesException(message)


def fence_validator(language: str, inputs: dict[str, str], options: dict[str, Any],
                    attrs: dict[str, Any], md: Any) -> bool:
    """Accept the fence's options (layout="dot" ...); refuse unknown ones."""
    for key, value in inputs.items():
        if key not in OPTIONS:
            return False
        options[key] = value
    return True


def _load(source: str):
    from loopdsl.loader import loads

    try:
        return loads(source, "<```loop block>")
    except LoopError as err:
        raise _fail(f"loopdsl: a ```loop block has an error (lines count from the block's "
                    f"first line):\n{err}") from None


def fence_format(source: str, language: str, css_class: str, options: dict[str, Any],
                 md: Any, **kwargs: Any) -> str:
    """The block's model as inline SVG (plus the loop table and source, if asked)."""
    from loopdsl.render import DiagramOptions, to_svg
    from loopdsl.render.table import loop_table_html
    from loopdsl.sphinxext import svg_for_html

    model = _load(source)
    try:
        svg = to_svg(model, DiagramOptions(
            layout=options.get("layout", "auto"), direction=options.get("direction", "TB"),
            theme=options.get("theme", "light"), highlight=options.get("highlight") or None))
    except LoopError as err:
        raise _fail(f"loopdsl: {err}") from None
    parts = [f'<div class="{html.escape(css_class)}">',
             svg_for_html(svg, f"loopdsl{next(_counter)}"), "</div>\n"]
    if options.get("loops"):
        parts.append(loop_table_html(model))
    if options.get("source"):
        parts.append(f'<pre class="loopdsl-source"><code>{html.escape(source)}</code></pre>\n')
    return "".join(parts)


def mermaid_format(source: str, language: str, css_class: str, options: dict[str, Any],
                   md: Any, **kwargs: Any) -> str:
    """The block's model as a Mermaid diagram (``<pre class="mermaid">``), no Graphviz."""
    from loopdsl.render import DiagramOptions, to_mermaid

    model = _load(source)
    try:
        text = to_mermaid(model, DiagramOptions(direction=options.get("direction", "TB"),
                                                highlight=options.get("highlight") or None))
    except LoopError as err:
        raise _fail(f"loopdsl: {err}") from None
    return f'<pre class="mermaid"><code>{html.escape(text)}</code></pre>\n'
