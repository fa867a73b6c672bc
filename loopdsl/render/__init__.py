"""Diagrams of models: Graphviz (svg, png, pdf, dot) and Mermaid (mmd).

The one entry point is :func:`render`; :func:`to_dot` and :func:`to_mermaid`
give the text formats, which need no Graphviz program.

>>> import loopdsl
>>> m = loopdsl.loads("experience -> traffic -> sellers -> selection -> experience")
>>> print(render(m, "mmd").decode().splitlines()[1])
    %% loop R1 (reinforcing): experience -> traffic -> sellers -> selection -> experience
>>> "layout=circo" in render(m, "dot").decode()
True
"""

from __future__ import annotations

from pathlib import Path

from loopdsl.errors import LoopError, did_you_mean
from loopdsl.model import Model
from loopdsl.render.dot import build_digraph
from loopdsl.render.layout import GraphvizMissing, choose_engine, draw
from loopdsl.render.loopmarks import DrawnLoop, loops_and_signs
from loopdsl.render.mermaid import to_mermaid as _to_mermaid
from loopdsl.render.options import DiagramOptions
from loopdsl.render.themes import theme

FORMATS = ("svg", "png", "pdf", "dot", "mmd")
TEXT_FORMATS = ("svg", "dot", "mmd")

__all__ = ["render", "to_dot", "to_mermaid", "to_svg", "DiagramOptions", "FORMATS",
           "GraphvizMissing", "format_for", "loops_for"]


class _Prepared:
    """What every output needs: the graph, the loops to mark, link signs, the engine."""

    def __init__(self, model: Model, options: DiagramOptions):
        self.G = G = model.graph
        loops, self.signs = loops_and_signs(model, G, limit=max(options.max_loops, 1))
        if options.highlight and options.highlight not in {lp.id for lp in loops}:
            loops = [_find_loop(model, G, options.highlight),
                     *loops[: max(options.max_loops - 1, 0)]]
        has_groups = any(G.nodes[n].get("group") for n in G)
        self.engine = choose_engine(options.layout, len(G), loops, has_groups)
        if not options.loops:  # no markers, except the highlighted loop's
            loops = [lp for lp in loops if lp.id == options.highlight]
        self.loops = loops


def _find_loop(model: Model, G, loop_id: str) -> DrawnLoop:
    every = loops_and_signs(model, G, limit=100_000)[0]
    for loop in every:
        if loop.id == loop_id:
            return loop
    ids = [lp.id for lp in every]
    hint = did_you_mean(loop_id, ids)
    known = (f"; the loops are {', '.join(ids[:20])}" if ids else "; the model has no loops")
    raise LoopError(f"error: no loop '{loop_id}' to highlight" + (f"; {hint}" if hint else known))


def loops_for(model: Model, options: DiagramOptions | None = None) -> list[DrawnLoop]:
    """The loops a diagram marks (a LoopError if a highlighted loop does not exist)."""
    return _Prepared(model, options or DiagramOptions()).loops


def to_dot(model: Model, options: DiagramOptions | None = None) -> str:
    """DOT source of the diagram (no Graphviz program needed).

    Loop markers and the bars of delay marks are placed after layout, so they
    appear in svg, png and pdf; here the loops are listed in comments and a
    delayed link carries a ``‖`` label. The engine is recorded as the
    graph's ``layout`` attribute, so ``dot -Tsvg`` draws it the same way.
    """
    options = options or DiagramOptions()
    p = _Prepared(model, options)
    graph = build_digraph(model, options, p.loops, p.engine, p.G, p.signs, export=True)
    graph.attr("graph", layout=p.engine)
    head = "".join(f"// loop {lp.id} ({lp.kind}): "
                   f"{' -> '.join(lp.nodes + lp.nodes[:1])}\n" for lp in p.loops)
    return head + graph.source


def to_mermaid(model: Model, options: DiagramOptions | None = None) -> str:
    """Mermaid flowchart text of the diagram."""
    options = options or DiagramOptions()
    p = _Prepared(model, options)
    return _to_mermaid(model, options, p.loops, p.G, p.signs)


def render(model: Model, fmt: str, options: DiagramOptions | None = None) -> bytes:
    """The diagram in ``fmt`` (svg, png, pdf, dot, mmd) as bytes."""
    options = options or DiagramOptions()
    if fmt == "dot":
        return to_dot(model, options).encode("utf-8")
    if fmt == "mmd":
        return to_mermaid(model, options).encode("utf-8")
    if fmt not in FORMATS:
        raise LoopError(f"error: unknown diagram format '{fmt}'; choose one of "
                        f"{', '.join(FORMATS)}")
    p = _Prepared(model, options)
    graph = build_digraph(model, options, p.loops, p.engine, p.G, p.signs)
    return draw(graph.source, p.engine, fmt, p.loops, theme(options.theme), options.highlight)


def to_svg(model: Model, options: DiagramOptions | None = None) -> str:
    """The diagram as SVG text (needs Graphviz)."""
    return render(model, "svg", options).decode("utf-8")


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The output format: ``fmt`` if given, else from the file's extension.

    >>> format_for("flywheel.SVG"), format_for("x.gv"), format_for("x.out", "png")
    ('svg', 'dot', 'png')
    """
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise LoopError(f"error: unknown format '{fmt}'; choose one of "
                            f"{', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = {"gv": "dot", "mermaid": "mmd"}.get(suffix, suffix)
    if suffix not in FORMATS:
        raise LoopError(f"{path}: error: cannot tell the format from the extension "
                        f"'.{suffix}'; use .svg, .png, .pdf, .dot or .mmd, or give the format "
                        "(fmt='svg')")
    return suffix
