"""The figures' common ground: the colours, one style made to be read on a slide, a figure on
the Agg canvas (no display, no pyplot state), its PNG and SVG bytes, and the small helpers every
figure uses to read a metric's ``{"mean", "ci_low", "ci_high"}``."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import Bbox

from sim.files.write import write_atomic

# Okabe-Ito: distinguishable with every common colour-vision deficiency, and in grey print.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, GREY, DARK = "#56B4E9", "#CC79A7", "#F0E442", "#999999", "#222222"
PALETTE = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, DARK]
CAUGHT = [GREEN, BLUE, SKY, PURPLE, DARK, "#6AAA96", "#4B6FA5"]
LEAKED = [VERMILLION, ORANGE, YELLOW, "#A34A00", "#F5B971", "#8C6D00"]
INSIDE = "#BBBBBB"
CLOSED = "#E6E6E6"

WIDTH, HEIGHT = 10.0, 5.6
"""Inches: 16:9-ish, the shape of a slide."""
PNG_DPI = 150
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 16,
    "axes.titleweight": "bold",
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.frameon": False,
    "figure.titlesize": 18,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "lines.linewidth": 2.4,
    "lines.markersize": 8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",  # text stays text: editable in a slide program
    "svg.hashsalt": "bordersim",  # the same figure gives the same file
}


@contextmanager
def style():
    """The figures' style, for anything drawn or saved inside."""
    with matplotlib.rc_context(STYLE):
        yield


class StyledFigure(Figure):
    """A figure whose axes are made in the figures' style wherever they are made: an axes
    reads its tick label sizes from the style when it is made, so axes made outside a
    ``style()`` block would have the library's 10-point tick labels, too small on a slide."""

    def add_subplot(self, *args: Any, **kwargs: Any) -> Any:
        with style():
            return super().add_subplot(*args, **kwargs)

    def add_axes(self, *args: Any, **kwargs: Any) -> Any:
        with style():
            return super().add_axes(*args, **kwargs)


def figure(width: float = WIDTH, height: float = HEIGHT, **kwargs: Any) -> Figure:
    """A new figure on the Agg canvas, in the figures' style (its axes too, however made)."""
    with style():
        fig = StyledFigure(figsize=(width, height), layout="constrained", **kwargs)
        FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def svg_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def save(fig: Figure, folder: str | Path, name: str) -> dict[str, bytes]:
    """Write ``<name>.png`` and ``<name>.svg`` into ``folder`` (atomically); returns the bytes
    written, by extension."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {"png": png_bytes(fig), "svg": svg_bytes(fig)}
    for ext, data in out.items():
        write_atomic(folder / f"{name}.{ext}", data)
    return out


def percent_axis(ax_axis) -> None:
    ax_axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def mean_of(stats: Mapping[str, Any] | None) -> float:
    value = (stats or {}).get("mean")
    return math.nan if value is None else float(value)


def error_of(stats: Mapping[str, Any] | None) -> tuple[float, float]:
    s = stats or {}
    mean, lo, hi = s.get("mean"), s.get("ci_low"), s.get("ci_high")
    if mean is None or lo is None or hi is None:
        return 0.0, 0.0
    return max(0.0, mean - lo), max(0.0, hi - mean)


def finite(value: Any) -> float:
    """A number, or 0 for a missing or infinite one (a bar with no length)."""
    return float(value) if value is not None and math.isfinite(float(value)) else 0.0


def row_major(handles: list, labels: list, ncol: int) -> tuple[list, list]:
    """Legend entries reordered so that matplotlib's column-by-column filling reads in rows."""
    n = len(handles)
    rows = math.ceil(n / ncol) if ncol else 1
    order = [r * ncol + c for c in range(ncol) for r in range(rows) if r * ncol + c < n]
    return [handles[k] for k in order], [labels[k] for k in order]


def repel(
    fig: Figure, texts: list, markers: list | None = None, *, radius: float = 7.0, steps: int = 80
) -> None:
    """Move labels placed at an offset from their points (``ax.annotate(...,
    textcoords="offset points")``) until no two overlap and none covers a marker (``(axes, x,
    y)`` in data units, ``radius`` points across), measuring each label with the figure's
    renderer (a short iterative repel of text boxes). The layout is frozen first, so that moving
    labels cannot move the axes and undo the placement when the figure is saved. Labels pushed
    out of their axes are pulled back in."""
    if not texts:
        return
    for t in texts:
        t.set_in_layout(False)
    with style():
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    to_points = 72.0 / fig.dpi
    pad = 2.0 * fig.dpi / 72.0
    half = radius * fig.dpi / 72.0
    fixed = []
    for ax, x, y in markers or []:
        cx, cy = ax.transData.transform((x, y))
        if np.isfinite(cx) and np.isfinite(cy):
            fixed.append(Bbox([[cx - half, cy - half], [cx + half, cy + half]]))
    for _ in range(steps):
        boxes = [t.get_window_extent(renderer) for t in texts]
        shift = [[0.0, 0.0] for _ in texts]
        moved = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                dx, dy = _push(a, boxes[j], pad)
                if dx or dy:
                    shift[i][0] -= dx / 2
                    shift[i][1] -= dy / 2
                    shift[j][0] += dx / 2
                    shift[j][1] += dy / 2
                    moved = True
            for b in fixed:
                dx, dy = _push(a, b, pad)
                if dx or dy:
                    shift[i][0] -= dx
                    shift[i][1] -= dy
                    moved = True
        if not moved:
            break
        for t, (sx, sy) in zip(texts, shift, strict=True):
            ox, oy = t.xyann
            t.xyann = (ox + sx * to_points, oy + sy * to_points)
        for t in texts:  # never out of its axes
            a = t.get_window_extent(renderer)
            area = (t.axes.bbox if t.axes is not None else fig.bbox).padded(-pad)
            sx = max(0.0, area.x0 - a.x0) - max(0.0, a.x1 - area.x1)
            sy = max(0.0, area.y0 - a.y0) - max(0.0, a.y1 - area.y1)
            if sx or sy:
                ox, oy = t.xyann
                t.xyann = (ox + sx * to_points, oy + sy * to_points)


def _push(a, b, pad: float) -> tuple[float, float]:
    """How far ``b`` must move from ``a`` (display units, along the shorter way out) so the two
    boxes are ``pad`` apart; (0, 0) when they already are."""
    over_x = min(a.x1, b.x1) - max(a.x0, b.x0) + pad
    over_y = min(a.y1, b.y1) - max(a.y0, b.y0) + pad
    if over_x <= 0 or over_y <= 0:
        return 0.0, 0.0
    sign_x = 1.0 if (b.x0 + b.x1) >= (a.x0 + a.x1) else -1.0
    sign_y = 1.0 if (b.y0 + b.y1) >= (a.y0 + a.y1) else -1.0
    if over_y <= over_x * 1.5:  # labels are wide: moving up or down frees them soonest
        return 0.0, sign_y * over_y
    return sign_x * over_x, 0.0
