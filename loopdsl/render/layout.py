"""Running Graphviz: lay the graph out, put each loop's marker inside its loop, draw.

Graphviz cannot place a node "inside a cycle", so this happens in three runs:
the chosen engine lays the graph out (``-Tdot``); ``neato -n2`` reads the
positions back as JSON; each loop's marker (its id beside a circular arrow
that turns the way the loop runs on the page) is pinned at the free point
nearest the middle of its loop, and ``neato -n2`` draws the result, keeping
every other position and edge route as the engine made them.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import graphviz
import numpy as np

from loopdsl.errors import LoopError
from loopdsl.render.dot import node_name
from loopdsl.render.escape import html_lines, html_text, wrap
from loopdsl.render.loopmarks import DrawnLoop
from loopdsl.render.themes import Theme

INSTALL_HINT = ("the Graphviz 'dot' program is needed for svg, png and pdf output but was "
                "not found; install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz "
                "fonts-noto-cjk; macOS: brew install graphviz; Windows: winget install "
                "graphviz) or run .ci/setup; .dot and .mmd output need no Graphviz")


class GraphvizMissing(LoopError):
    """The Graphviz programs are not installed."""

    def __init__(self) -> None:
        super().__init__(f"error: {INSTALL_HINT}")


def pipe(source: str, engine: str, fmt: str, no_op: bool = False) -> bytes:
    """Run Graphviz on DOT text; a LoopError (never a traceback) when it cannot."""
    try:
        return graphviz.Source(source, engine=engine).pipe(
            format=fmt, neato_no_op=2 if no_op else None, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing() from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise LoopError("error: Graphviz failed to draw the model"
                        + (f": {detail[-1]}" if detail else "")) from None


@dataclass
class Layout:
    """Positions (points, y up) read back from Graphviz."""

    centers: dict[str, tuple[float, float]]
    boxes: np.ndarray      # (n, 4): x, y, half width, half height of every node
    points: np.ndarray     # (m, 2): points along edges and their labels
    bbox: tuple[float, float, float, float]
    delayed: list[tuple[np.ndarray, str]]  # route points and colour of each delayed link


def read_layout(laid_out: str) -> Layout:
    """Node boxes and edge points of a laid-out graph (``neato -n2 -Tjson``)."""
    data = json.loads(pipe(laid_out, "neato", "json0", no_op=True).decode("utf-8"))
    centers: dict[str, tuple[float, float]] = {}
    boxes = []
    labelled = [data] + [o for o in data.get("objects", []) if "nodes" in o]
    for obj in labelled:  # the graph's title and the clusters' labels
        if "lp" in obj and "lwidth" in obj:
            x, y = (float(v) for v in obj["lp"].split(",")[:2])
            boxes.append((x, y, float(obj["lwidth"]) * 36, float(obj.get("lheight", 0.3)) * 36))
    for obj in data.get("objects", []):
        if "pos" not in obj or "nodes" in obj:
            continue
        x, y = (float(v) for v in obj["pos"].split(",")[:2])
        w = float(obj.get("width", 0.5)) * 36
        h = float(obj.get("height", 0.5)) * 36
        centers[obj["name"]] = (x, y)
        boxes.append((x, y, w, h))
        if "xlp" in obj:  # an external label (a flow's name): its size, estimated
            lx, ly = (float(v) for v in obj["xlp"].split(",")[:2])
            boxes.append((lx, ly, *_text_half_size(str(obj.get("xlabel", "")))))
    points: list[tuple[float, float]] = []
    segments: list[list[float]] = []
    delayed = []
    for edge in data.get("edges", []):
        ends, segs = _spline_segments(str(edge.get("pos", "")))
        points.extend(ends)
        segments.extend(segs)
        if edge.get("delaymark") and segs:
            delayed.append((_sample(segs), str(edge.get("color", "black")).split(":")[0]))
        for key in ("lp", "head_lp", "tail_lp"):
            if key in edge:
                x, y = (float(v) for v in edge[key].split(",")[:2])
                points.append((x, y))
    x0, y0, x1, y1 = (float(v) for v in data.get("bb", "0,0,0,0").split(","))
    return Layout(centers, np.array(boxes, dtype=float).reshape(-1, 4),
                  np.vstack([np.array(points, dtype=float).reshape(-1, 2), _sample(segments)]),
                  (x0, y0, x1, y1), delayed)


def _text_half_size(label: str, size: float = 12.0) -> tuple[float, float]:
    """Half width and height of a label's text (a wide CJK character counts double).

    >>> _text_half_size("<ab<BR/>c>")
    (6.6, 12.6)
    """
    text = re.sub(r"<BR/>", "\n", label[1:-1] if label.startswith("<") else label)
    text = html.unescape(re.sub(r"<[^<>]*>", "", text))
    lines = text.split("\n") or [""]
    widest = max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
                 for line in lines)
    return round(widest * size * 0.55 / 2, 2), round(len(lines) * size * 1.05 / 2, 2)


def _spline_segments(pos: str) -> tuple[list[tuple[float, float]], list[list[float]]]:
    """End points and cubic Bezier segments (8 numbers each) of a Graphviz spline."""
    ctrl: list[tuple[float, float]] = []
    ends: list[tuple[float, float]] = []
    for part in pos.replace(";", " ").split():
        bits = part.split(",")
        if bits[0] in ("e", "s"):
            if len(bits) >= 3:
                ends.append((float(bits[1]), float(bits[2])))
            continue
        if len(bits) >= 2:
            ctrl.append((float(bits[0]), float(bits[1])))
    segments = [[c for point in ctrl[i:i + 4] for c in point]
                for i in range(0, len(ctrl) - 3, 3)]
    return ends, segments


_T = np.linspace(0.0, 1.0, 10)[:, None]
_BERNSTEIN = np.hstack([(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T ** 2, _T ** 3])


def _sample(segments: list[list[float]]) -> np.ndarray:
    """Ten points along each cubic Bezier segment, all segments at once."""
    if not segments:
        return np.zeros((0, 2))
    seg = np.asarray(segments, dtype=float).reshape(-1, 4, 2)
    return np.einsum("tk,skd->std", _BERNSTEIN, seg).reshape(-1, 2)


def _inside(px: np.ndarray, py: np.ndarray, poly: list[tuple[float, float]]) -> np.ndarray:
    """Ray casting: which points lie inside the polygon."""
    inside = np.zeros(px.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x0, y0 = poly[i]
        x1, y1 = poly[(i + 1) % n]
        crosses = (y0 > py) != (y1 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (px < xcross)
    return inside


def _clearance(layout: Layout, px: np.ndarray, py: np.ndarray,
               placed: list[tuple[float, float, float, float]],
               half: tuple[float, float] = (24.0, 12.0)) -> np.ndarray:
    """How far each candidate marker (half size ``half``) would be from what is drawn.

    ``placed`` holds markers already placed: x, y, half width, half height.
    """
    hw, hh = half
    clearance = np.full(px.shape, 40.0)  # only nearness up to the cap (12) matters
    reach = max(hw, hh) + 40.0
    lo_x, hi_x, lo_y, hi_y = px.min() - reach, px.max() + reach, py.min() - reach, py.max() + reach
    boxes = layout.boxes
    if len(boxes):
        b = boxes[(boxes[:, 0] > lo_x - boxes[:, 2]) & (boxes[:, 0] < hi_x + boxes[:, 2])
                  & (boxes[:, 1] > lo_y - boxes[:, 3]) & (boxes[:, 1] < hi_y + boxes[:, 3])]
        if len(b):
            dx = np.maximum(np.abs(px[:, None] - b[None, :, 0]) - b[None, :, 2] - hw, 0)
            dy = np.maximum(np.abs(py[:, None] - b[None, :, 1]) - b[None, :, 3] - hh, 0)
            clearance = np.minimum(clearance, np.hypot(dx, dy).min(axis=1))
    pts = layout.points
    if len(pts):
        q = pts[(pts[:, 0] > lo_x) & (pts[:, 0] < hi_x) & (pts[:, 1] > lo_y) & (pts[:, 1] < hi_y)]
        if len(q):
            # measure from the marker's box, not its centre
            dx = np.maximum(np.abs(px[:, None] - q[None, :, 0]) - hw, 0)
            dy = np.maximum(np.abs(py[:, None] - q[None, :, 1]) - hh, 0)
            clearance = np.minimum(clearance, np.hypot(dx, dy).min(axis=1))
    for mx, my, mw, mh in placed:
        dx = np.maximum(np.abs(px - mx) - mw - hw, 0)
        dy = np.maximum(np.abs(py - my) - mh - hh, 0)
        clearance = np.minimum(clearance, np.hypot(dx, dy))
    return clearance


def place_marker(layout: Layout, poly: list[tuple[float, float]],
                 placed: list[tuple[float, float, float, float]],
                 half: tuple[float, float] = (24.0, 12.0)) -> tuple[float, float]:
    """The free point nearest the middle of a loop's polygon (points, y up).

    Candidates on a grid inside the loop are scored by their clearance from
    everything drawn (up to 12 points counts) less their distance from the
    loop's centroid; when nothing inside is clear, points around it are tried.
    """
    xs = np.array([p[0] for p in poly])
    ys = np.array([p[1] for p in poly])
    cx, cy = float(xs.mean()), float(ys.mean())
    best = (cx, cy)
    best_score = -np.inf
    for pad, inside_only in ((30.0, True), (110.0, False)):
        gx, gy = np.meshgrid(np.linspace(xs.min() - pad, xs.max() + pad, 25),
                             np.linspace(ys.min() - pad, ys.max() + pad, 25))
        px = np.append(gx.ravel(), cx)
        py = np.append(gy.ravel(), cy)
        x0, y0, x1, y1 = layout.bbox
        if x1 > x0 and y1 > y0:  # stay on the page
            on_page = (px > x0 + 24) & (px < x1 - 24) & (py > y0 + 12) & (py < y1 - 12)
            if on_page.any():
                px, py = px[on_page], py[on_page]
        if inside_only and len(poly) >= 3:
            keep = _inside(px, py, poly)
            if not keep.any():
                continue
            px, py = px[keep], py[keep]
        clear = _clearance(layout, px, py, placed, half)
        score = np.minimum(clear, 12.0) * 3 - 0.2 * np.hypot(px - cx, py - cy)
        i = int(np.argmax(score))
        if score[i] > best_score:
            best, best_score = (float(px[i]), float(py[i])), float(score[i])
        if clear[i] >= 12.0:
            break
    return best


def turns_clockwise(poly: list[tuple[float, float]]) -> bool:
    """True when the loop, walked in its order, turns clockwise on the page (y up)."""
    area = 0.0
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1]):
        area += x0 * y1 - x1 * y0
    return area <= 0


def marker_statement(loop: DrawnLoop, x: float, y: float, clockwise: bool, theme: Theme,
                     emphasis: str) -> str:
    """The DOT statement of one loop marker, pinned at (x, y)."""
    arrow = "↻" if clockwise else "↺"
    color = {"faded": theme.faded, "focus": theme.highlight}.get(emphasis, theme.marker)
    size = "26" if emphasis == "focus" else "22"
    title = ""
    if loop.title:
        title = (f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="9">{html_lines(loop.title, 16)}'
                 "</FONT></TD></TR>")
    label = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
             f'<TR><TD><FONT POINT-SIZE="{size}" COLOR="{color}">{arrow}</FONT></TD>'
             f'<TD><FONT COLOR="{color}"><B>{html_text(loop.id)}</B></FONT></TD></TR>'
             f"{title}</TABLE>>")
    name = node_name("loop", loop.id).replace("\\", "\\\\").replace('"', '\\"')
    return (f'\t"{name}" [shape=plain, style="", fontcolor="{color}", fontsize="13", '
            f'pos="{x:.2f},{y:.2f}!", label={label}];\n')


def delay_bars(route: np.ndarray, color: str, index: int) -> str:
    """DOT statements of the two bars of a delay mark, across the middle of a route."""
    steps = np.hypot(*np.diff(route, axis=0).T)
    walked = np.concatenate([[0.0], np.cumsum(steps)])
    if walked[-1] <= 0:
        return ""
    i = int(np.clip(np.searchsorted(walked, walked[-1] / 2), 1, len(route) - 1))
    (x0, y0), (x1, y1) = route[i - 1], route[i]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    tx, ty = (x1 - x0) / length, (y1 - y0) / length  # along the link
    nx_, ny_ = -ty, tx                                 # across it
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for k, shift in enumerate((-2.6, 2.6)):
        cx, cy = mx + tx * shift, my + ty * shift
        ends = [(cx - nx_ * 6, cy - ny_ * 6), (cx + nx_ * 6, cy + ny_ * 6)]
        names = [f'"@delay {index} {k} {j}"' for j in (0, 1)]
        for name, (x, y) in zip(names, ends):
            out.append(f'\t{name} [shape=point, style=invis, width=0, height=0, label="", '
                       f'pos="{x:.2f},{y:.2f}!"];\n')
        (ax, ay), (bx, by) = ends
        out.append(f'\t{names[0]} -> {names[1]} [dir=none, color="{color}", penwidth=1.8, '
                   f'pos="{ax:.2f},{ay:.2f} {ax:.2f},{ay:.2f} {bx:.2f},{by:.2f} '
                   f'{bx:.2f},{by:.2f}"];\n')
    return "".join(out)


def add_markers(laid_out: str, loops: Sequence[DrawnLoop], theme: Theme,
                highlight: str | None) -> str:
    """The laid-out DOT with a marker pinned inside each loop and delay marks drawn."""
    layout = read_layout(laid_out)
    statements = [delay_bars(route, color, i) for i, (route, color)
                  in enumerate(layout.delayed)]
    placed: list[tuple[float, float, float, float]] = []
    ordered = sorted(loops, key=lambda lp: (lp.id != highlight, not lp.declared))
    for loop in ordered:
        poly = [layout.centers[n] for n in loop.nodes if n in layout.centers]
        if not poly:
            continue
        lines = len(wrap(loop.title, 16)) if loop.title else 0
        half = (max(24.0, 4.5 * len(loop.id) + 18), 12.0 + 5.5 * lines)
        x, y = place_marker(layout, poly, placed, half)
        placed.append((x, y, *half))
        emphasis = "plain" if highlight is None else (
            "focus" if loop.id == highlight else "faded")
        statements.append(marker_statement(loop, x, y, turns_clockwise(poly), theme,
                                           emphasis))
    end = laid_out.rstrip().rfind("}")
    return laid_out[:end] + "".join(statements) + "}\n"


def draw(source: str, engine: str, fmt: str, loops: Sequence[DrawnLoop], theme: Theme,
         highlight: str | None = None) -> bytes:
    """Lay out ``source`` with ``engine``, add loop markers, render to ``fmt``."""
    if not loops and "delaymark=" not in source:
        return pipe(source, engine, fmt)
    laid_out = pipe(source, engine, "dot").decode("utf-8")
    marked = add_markers(laid_out, loops, theme, highlight)
    return pipe(marked, "neato", fmt, no_op=True)


def choose_engine(layout: str, node_count: int, loops: Sequence[DrawnLoop],
                  has_groups: bool) -> str:
    """The engine for ``auto``: circo for a model that is essentially one wheel.

    >>> from loopdsl.render.loopmarks import DrawnLoop
    >>> choose_engine("auto", 4, [DrawnLoop("R1", list("abcd"), "R")], False)
    'circo'
    >>> choose_engine("auto", 12, [DrawnLoop("R1", list("abc"), "R")], False)
    'dot'
    """
    if layout != "auto":
        return layout
    if has_groups or not loops or node_count > 40:
        return "dot"
    longest = max(len(loop.nodes) for loop in loops)
    return "circo" if longest >= max(3, math.ceil(0.6 * node_count)) else "dot"
