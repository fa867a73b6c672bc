"""The loop dominance chart: relative loop scores over time, stacked.

Reinforcing contributions (positive relative scores) are stacked above the axis,
balancing ones (negative) below, one panel per cycle partition, with the dominant
periods marked along the top. matplotlib is a dev/plot extra, imported here only.

>>> import numpy as np
>>> from loopdsl.dominance import Dominance, LinkScores, LoopRecord
>>> d = Dominance(np.arange(3.0), [LoopRecord("R1", ("a", "b"), "R", 0)],
...               np.ones((1, 3)), np.ones((1, 3)), np.ones(3, bool), [], LinkScores())
>>> svg = plot_dominance(d, title="demo", fmt="svg")
>>> svg[:5] == b"<?xml"
True
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np


def plot_dominance(d: Any, *, title: str | None = None, time_unit: str | None = None,
                   labels: dict[str, str] | None = None, fmt: str = "png") -> bytes:
    """The stacked relative-loop-score chart of a :class:`loopdsl.dominance.Dominance`.

    Parameters
    ----------
    d : Dominance
        The analysis.
    title : str, optional
        Chart title (the model's title).
    time_unit : str, optional
        For the x axis label.
    labels : dict, optional
        Loop id -> legend text (default: id and title).
    fmt : {"png", "svg"}
        Output format.

    Returns
    -------
    bytes
        The image.
    """
    from loopdsl.errors import LoopError

    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is a dev extra
        raise LoopError("the dominance chart needs matplotlib: pip install "
                        "'loopdsl[plot]'") from None
    from matplotlib.figure import Figure  # not pyplot: the backend stays the program's

    from loopdsl.simulate.plot import font_family

    family = font_family()
    parts = sorted({lp.partition for lp in d.loops}) or [0]
    with matplotlib.rc_context({"font.family": family, "svg.fonttype": "none"}):
        fig = Figure(figsize=(10, 3.6 * len(parts) + 0.8))
        axes = fig.subplots(len(parts), 1, squeeze=False, sharex=True)
        t = np.asarray(d.time, dtype=float)
        cmap = matplotlib.colormaps["tab20"]
        for row, p in enumerate(parts):
            ax = axes[row][0]
            idx = [i for i, lp in enumerate(d.loops) if lp.partition == p]
            rel = d.relative[idx] if idx else np.zeros((0, len(t)))
            rel = np.where(d.valid, rel, np.nan) if len(rel) else rel
            names = []
            for i in idx:
                lp = d.loops[i]
                text = (labels or {}).get(lp.id) or (f"{lp.id} {lp.title}" if lp.title
                                                     else f"{lp.id}: {' → '.join(lp.nodes)}")
                names.append(text if len(text) <= 60 else text[:57] + "...")
            colors = [cmap(i % 20) for i in range(len(idx))]
            if len(idx):
                pos = np.nan_to_num(np.clip(rel, 0, None))
                neg = np.nan_to_num(np.clip(rel, None, 0))
                ax.stackplot(t, pos, colors=colors, labels=names, linewidth=0)
                ax.stackplot(t, neg, colors=colors, linewidth=0)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_ylim(-1.05, 1.05)
            ax.set_ylabel("relative loop score")
            ax.text(0.005, 0.97, "reinforcing ↑", transform=ax.transAxes, va="top",
                    fontsize=8, color="#555")
            ax.text(0.005, 0.03, "balancing ↓", transform=ax.transAxes, va="bottom",
                    fontsize=8, color="#555")
            for period in (q for q in d.periods if q.partition == p):
                ax.axvline(period.start, color="#888", linewidth=0.6, linestyle=":")
            if len(parts) > 1:
                ax.set_title(f"cycle partition {p + 1}", fontsize=10)
            if names:
                ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8,
                          frameon=False)
        axes[-1][0].set_xlabel(f"time ({time_unit})" if time_unit else "time")
        fig.suptitle(title or "Loop dominance", fontsize=12)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=120, bbox_inches="tight")
    return buffer.getvalue()
