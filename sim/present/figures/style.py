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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

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


def figure(width: float = WIDTH, height: float = HEIGHT, **kwargs: Any) -> Figure:
    """A new figure on the Agg canvas, in the figures' style."""
    with style():
        fig = Figure(figsize=(width, height), layout="constrained", **kwargs)
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
