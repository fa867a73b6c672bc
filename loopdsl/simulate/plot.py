"""Charts of runs: variables over time, scenarios together, ensembles as percentile bands.

matplotlib is an optional extra, imported only inside :func:`plot_results`.

>>> import numpy as np
>>> from loopdsl.simulate.results import SimulationResult
>>> r = SimulationResult(np.arange(3.0), ["a"], np.ones((3, 1)), labels={"a": "Трафик 流量"},
...                      title="demo", time_unit="month")
>>> plot_results([r], fmt="svg")[:5] == b"<?xml"
True
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

CJK_FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC",
             "WenQuanYi Zen Hei", "Arial Unicode MS"]
"""Fonts tried in order for charts, so that Chinese, Japanese and Russian labels show."""


def font_family() -> list[str]:
    """The installed fonts of :data:`CJK_FONTS` (else matplotlib's sans-serif)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in installed] or ["sans-serif"]


def plot_results(results: Sequence[Any], names: Sequence[str] | None = None,
                 fmt: str = "png", title: str | None = None) -> bytes:
    """One chart of the given results (runs or ensembles, one per scenario).

    Each variable has its colour and each scenario its line style (with one variable,
    each scenario has its colour too). Ensembles show the
    median with 25-75% and 5-95% bands. Returns the image as bytes (png or svg).
    """
    from loopdsl.errors import LoopError

    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is an extra
        raise LoopError("plotting needs matplotlib: pip install 'loopdsl[plot]'") from None
    from matplotlib.figure import Figure  # not pyplot: the backend stays the program's

    first = results[0]
    if not names:
        names = [n for n in first.names if first.kinds.get(n) != "const"] or first.names
    names = list(names)
    styles = ["-", "--", ":", "-."]
    units = {first.units.get(n) for n in names}
    with matplotlib.rc_context({"font.family": font_family(), "svg.fonttype": "none",
                         "svg.hashsalt": "loopdsl"}):
        fig = Figure(figsize=(12, 5.6))
        ax = fig.subplots()
        cmap = matplotlib.colormaps["tab10"]
        for s, result in enumerate(results):
            style = styles[s % len(styles)]
            suffix = ""
            if len(results) > 1:
                suffix = f" — {result.scenario or 'base'}"
            for k, name in enumerate(names):
                # one variable: a colour per scenario; several: a colour per variable
                color = cmap((s if len(names) == 1 else k) % 10)
                label = result.labels.get(name, name)
                unit = result.units.get(name)
                text = label + (f" ({unit})" if unit and len(units) > 1 else "") + suffix
                if hasattr(result, "percentiles"):
                    p = result.percentiles(name, (5, 25, 50, 75, 95))
                    ax.fill_between(result.time, p[5], p[95], color=color, alpha=0.12,
                                    linewidth=0)
                    ax.fill_between(result.time, p[25], p[75], color=color, alpha=0.25,
                                    linewidth=0)
                    ax.plot(result.time, p[50], style, color=color, label=text)
                else:
                    ax.plot(result.time, result[name], style, color=color, label=text)
        unit = first.time_unit
        ax.set_xlabel(f"time ({unit})" if unit else "time")
        only = next(iter(units)) if len(units) == 1 else None
        ax.set_ylabel(f"value ({only})" if only else "value")
        heading = title or first.title or "simulation"
        if hasattr(first, "runs"):
            heading += f"\nmedian, 25-75% and 5-95% bands of {first.runs} runs"
        ax.set_title(heading)
        ax.grid(True, alpha=0.3)
        if len(names) * len(results) <= 40:
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=120 if fmt == "png" else None,
                    metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def percentile_band(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-time (low, high) percentiles of a (times x runs) array."""
    lo, hi = np.percentile(values, [low, high], axis=1)
    return lo, hi
