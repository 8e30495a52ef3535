"""Figures: the trade-off frontier, clearance-time distributions, the Time Release Study
breakdown, queues over time, where illicit goods were caught or got through, and cold-chain
shipments against their tolerance.

Every function takes plain data and returns a :class:`matplotlib.figure.Figure` drawn on the
Agg canvas (no display, no pyplot state), in one style made to be read on a slide:
:func:`save` writes it as PNG and SVG. :func:`run_figures` and :func:`point_figures` draw the
figures of a results folder read by :func:`sim.files.results.load_results`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

if TYPE_CHECKING:
    from sim.files.results import Saved
    from sim.measure.figure_data import FigureData

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
TIME_METRICS = {
    "mean": ("legit.clearance_hours_mean", "clearance_hours_mean", "mean"),
    "p90": ("legit.clearance_hours_p90", "clearance_hours_p90", "90th percentile"),
}
"""The trade-off's time axis: metric for legitimate shipments, fallback, words."""


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
    from sim.files.results import write_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {"png": png_bytes(fig), "svg": svg_bytes(fig)}
    for ext, data in out.items():
        write_atomic(folder / f"{name}.{ext}", data)
    return out


def _percent(ax_axis) -> None:
    ax_axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _mean(stats: Mapping[str, Any] | None) -> float:
    value = (stats or {}).get("mean")
    return math.nan if value is None else float(value)


def _err(stats: Mapping[str, Any] | None) -> tuple[float, float]:
    s = stats or {}
    mean, lo, hi = s.get("mean"), s.get("ci_low"), s.get("ci_high")
    if mean is None or lo is None or hi is None:
        return 0.0, 0.0
    return max(0.0, mean - lo), max(0.0, hi - mean)


# --------------------------------------------------------------------------- the trade-off


def tradeoff(
    labels: Sequence[str],
    time: Sequence[Mapping[str, Any] | None],
    catch: Sequence[Mapping[str, Any] | None],
    *,
    time_label: str = "Clearance time of legitimate shipments, mean (hours)",
    highlight: int | None = None,
    title: str = "Trade-off: clearance time against interception",
    subtitle: str | None = None,
    limits: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> Figure:
    """One point per policy, variant or sweep point: ``time`` (hours) against ``catch`` (the
    interception rate), each a metric's ``{"mean", "ci_low", "ci_high"}``, with 95% CI bars
    both ways; the Pareto-efficient points (none faster *and* catching more) are joined into
    the frontier; every point is labelled; ``highlight`` rings one point."""
    from sim.measure.statistics import pareto_efficient

    fig = figure()
    ax = fig.add_subplot()
    xs = np.array([_mean(s) for s in time])
    ys = np.array([_mean(s) for s in catch])
    efficient = pareto_efficient(list(xs), list(ys))
    with style():
        for i in range(len(labels)):
            if not (math.isfinite(xs[i]) and math.isfinite(ys[i])):
                continue
            xe, ye = _err(time[i]), _err(catch[i])
            on = efficient[i]
            ax.errorbar(
                xs[i],
                ys[i],
                xerr=[[xe[0]], [xe[1]]],
                yerr=[[ye[0]], [ye[1]]],
                fmt="o",
                color=BLUE if on else GREY,
                markerfacecolor=BLUE if on else "white",
                markeredgewidth=2,
                markersize=9,
                elinewidth=1.4,
                capsize=4,
                zorder=3,
            )
        front = sorted((xs[i], ys[i]) for i in range(len(labels)) if efficient[i])
        if len(front) > 1:
            ax.plot(*zip(*front, strict=True), color=BLUE, lw=2, ls="--", zorder=2)
        if highlight is not None and 0 <= highlight < len(labels):
            ax.plot(
                xs[highlight],
                ys[highlight],
                "o",
                markersize=26,
                markerfacecolor="none",
                markeredgecolor=ORANGE,
                markeredgewidth=3.5,
                zorder=4,
            )
        many = len(labels) > 16
        for i, label in enumerate(labels):
            if not (math.isfinite(xs[i]) and math.isfinite(ys[i])):
                continue
            if many and not efficient[i] and i != highlight:
                continue
            ax.annotate(
                label,
                (xs[i], ys[i]),
                xytext=(8, 8 if i % 2 == 0 else -16),
                textcoords="offset points",
                fontsize=12 if i != highlight else 14,
                fontweight="bold" if i == highlight else "normal",
                color=DARK,
            )
        ax.set_xlabel(time_label)
        ax.set_ylabel("Illicit shipments intercepted")
        _percent(ax.yaxis)
        ax.set_title(title)
        if limits is None:
            limits = tradeoff_limits(time, catch)
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
        ax.annotate(
            "better: faster and catching more",
            xy=(0.02, 0.97),
            xycoords="axes fraction",
            va="top",
            fontsize=11,
            color="#666666",
        )
        handles = [
            matplotlib.lines.Line2D(
                [], [], marker="o", color=BLUE, ls="--", label="Pareto frontier"
            ),
            matplotlib.lines.Line2D(
                [], [], marker="o", color=GREY, markerfacecolor="white", ls="", label="dominated"
            ),
        ]
        if highlight is not None:
            handles.append(
                matplotlib.lines.Line2D(
                    [],
                    [],
                    marker="o",
                    markersize=14,
                    markerfacecolor="none",
                    markeredgecolor=ORANGE,
                    markeredgewidth=3,
                    ls="",
                    label="selected",
                )
            )
        ax.legend(handles=handles, loc="lower right")
        if subtitle:
            fig.supxlabel(subtitle, fontsize=11, color="#555555")
    return fig


def tradeoff_limits(
    time: Sequence[Mapping[str, Any] | None], catch: Sequence[Mapping[str, Any] | None]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits that hold every point with its interval (the same for every highlight)."""

    def span(stats: Sequence[Mapping[str, Any] | None], ceiling: float | None):
        means, lo, hi = [], [], []
        for s in stats:
            if not s or s.get("mean") is None or not math.isfinite(s["mean"]):
                continue
            means.append(s["mean"])
            lo.append(s["ci_low"] if s.get("ci_low") is not None else s["mean"])
            hi.append(s["ci_high"] if s.get("ci_high") is not None else s["mean"])
        if not means:
            return (0.0, 1.0)
        # Room for the intervals, but wide ones (few replications) may run off the axes
        # rather than squeeze the points together.
        least = 0.1 if ceiling is not None else abs(max(means)) * 0.2 or 0.05
        width = max(max(means) - min(means), least)
        a = max(min(min(lo), min(means) - least / 2), min(means) - 0.6 * width, 0.0)
        b = min(max(max(hi), max(means) + least / 2), max(means) + 0.6 * width)
        if ceiling is not None:
            b = min(b, ceiling)
        pad = (b - a) * 0.08 or 0.05
        return (0.0 if a - pad < 0.25 * (b - a) else a - pad, b + pad)

    return span(time, None), span(catch, 1.0)


# --------------------------------------------------------------------------- distributions


HOUR_TICKS = [
    (1 / 6, "10 min"),
    (0.5, "30 min"),
    (1, "1 h"),
    (2, "2 h"),
    (6, "6 h"),
    (12, "12 h"),
    (24, "24 h"),
    (48, "48 h"),
    (168, "1 week"),
    (336, "2 weeks"),
    (720, "30 days"),
    (2160, "90 days"),
]


@dataclass
class Curve:
    """One cumulative distribution: share released within each of ``hours``."""

    label: str
    hours: np.ndarray
    share: np.ndarray
    shipments: int
    color: str | None = None
    width: float = 2.4


def ecdf(
    curves: Sequence[Curve],
    *,
    targets: Sequence[float] = (),
    title: str = "Clearance time distribution",
    legend_title: str | None = None,
) -> Figure:
    """Cumulative share of shipments released within each time (log scale), one curve per
    group, with the target times drawn; shipments still inside count as not released."""
    fig = figure()
    ax = fig.add_subplot()
    curves = [c for c in curves if c.shipments > 0]
    low, high = _hours_range(curves, targets)
    with style():
        for c in curves:
            keep = c.hours > 0
            x = np.concatenate([[low], c.hours[keep]])
            y = np.concatenate([[c.share[0]], c.share[keep]])
            inside = x <= high * 1.0001
            ax.plot(
                x[inside],
                y[inside],
                label=f"{c.label} ({c.shipments:,})",
                color=c.color,
                lw=c.width,
                drawstyle="default",
            )
        for t in targets:
            ax.axvline(t, color="#555555", ls=":", lw=1.6, zorder=1)
            ax.annotate(
                f"target {t:g} h",
                (t, 0.0),
                xytext=(-4, 6),
                textcoords="offset points",
                xycoords=("data", "axes fraction"),
                ha="right",
                va="bottom",
                rotation=90,
                fontsize=11,
                color="#555555",
            )
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ticks = [(v, t) for v, t in HOUR_TICKS if low <= v <= high]
        ax.xaxis.set_major_locator(FixedLocator([v for v, _ in ticks]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: dict(ticks).get(v, "")))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_ylim(0, 1.02)
        _percent(ax.yaxis)
        ax.set_xlabel("Clearance time (arrival to release, log scale)")
        ax.set_ylabel("Shipments released within that time")
        ax.set_title(title)
        if curves:
            fig.legend(
                title=f"{legend_title or 'group'} (shipments)",
                loc="outside right upper",
                ncol=2 if len(curves) > 12 else 1,
                fontsize=11 if len(curves) > 7 else 12,
            )
    return fig


def _hours_range(curves: Sequence[Curve], targets: Sequence[float]) -> tuple[float, float]:
    lows, highs = [], []
    for c in curves:
        pos = c.hours > 0
        reach = np.flatnonzero(pos & (c.share >= min(0.995, np.nanmax(c.share) - 1e-9)))
        first = np.flatnonzero(pos & (c.share > c.share[0] + 0.005))
        if first.size:
            lows.append(c.hours[first[0]])
        if reach.size:
            highs.append(c.hours[reach[0]])
    low = min(lows) if lows else 0.1
    high = max([*highs, *targets]) if highs or targets else 100.0
    low = min(low, min(targets) if targets else low) / 2
    return max(low, 1 / 60), max(high * 1.5, low * 10)


def profile_curves(
    profile: FigureData, groups: Sequence[tuple[str, str]], colors: Sequence[str | None] = ()
) -> list[Curve]:
    """Curves of a profile's groups, given as ``(group, label)``."""
    out = []
    for k, (group, label) in enumerate(groups):
        if group not in profile.hist:
            continue
        hours, share, n = profile.ecdf(group)
        color = colors[k] if k < len(colors) else None
        out.append(Curve(label, hours, share, n, color))
    return out


# --------------------------------------------------------------------------- TRS breakdown


def trs_breakdown(
    bars: Sequence[tuple[str, Mapping[str, float]]],
    checks: Sequence[str],
    *,
    title: str = "Time Release Study: where the clearance time goes",
    highlight: int | None = None,
    xmax: float | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Stacked bars, one per point: mean hours per released shipment in lodgement and in each
    check's queue and service (the ``segment.*`` metrics; they add up to the mean clearance
    time)."""
    segments = [("segment.lodgement", "lodgement", GREY, None)]
    for k, check in enumerate(checks):
        color = PALETTE[k % len(PALETTE)]
        segments.append((f"segment.{check}.queue", f"{check}: waiting", color, "//"))
        segments.append((f"segment.{check}.service", f"{check}: checking", color, None))
    segments = [s for s in segments if any((v.get(s[0]) or 0) > 0 for _, v in bars)]
    height = max(3.4, min(HEIGHT * 1.6, 2.4 + 0.45 * len(bars)))
    fig = figure(height=height)
    ax = fig.add_subplot()
    y = np.arange(len(bars))[::-1]
    with style():
        left = np.zeros(len(bars))
        for key, label, color, hatch in segments:
            widths = np.array([_finite(v.get(key)) for _, v in bars])
            ax.barh(
                y,
                widths,
                left=left,
                color=color,
                alpha=0.45 if hatch else 1.0,
                hatch=hatch,
                edgecolor="white" if not hatch else color,
                linewidth=0.6,
                label=label,
                height=0.62 if len(bars) > 1 else 0.5,
            )
            if len(bars) <= 3:  # few bars: each segment's hours, where there is room
                total = sum(_finite(v.get(s[0])) for s in segments for _, v in bars[:1])
                for k, w in enumerate(widths):
                    if w > 0.07 * max(total, 1e-9):
                        ax.text(
                            left[k] + w / 2,
                            y[k],
                            f"{w:.2f}",
                            ha="center",
                            va="center",
                            fontsize=11,
                            color="white" if not hatch else DARK,
                            fontweight="bold",
                        )
            left += widths
        for k, total in enumerate(left):
            ax.annotate(
                f"{total:.2f} h",
                (total, y[k]),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=12,
                fontweight="bold" if k == highlight else "normal",
            )
        ax.set_yticks(y, [label for label, _ in bars])
        if highlight is not None and 0 <= highlight < len(bars):
            ax.get_yticklabels()[highlight].set_fontweight("bold")
            ax.axhspan(y[highlight] - 0.42, y[highlight] + 0.42, color=ORANGE, alpha=0.15, lw=0)
        ax.set_xlabel("Mean hours per released shipment")
        ax.set_title(title)
        top = xmax if xmax else (left.max() if len(left) else 1.0)
        ax.set_xlim(0, (top or 1.0) * 1.15)
        ax.grid(axis="y", visible=False)
        if ylabel:
            ax.set_ylabel(ylabel)
        ncol = len(segments) if len(segments) <= 4 else 3
        if segments:
            handles, names = _row_major(*ax.get_legend_handles_labels(), ncol)
            fig.legend(handles, names, loc="outside lower center", ncol=ncol)
        else:
            ax.text(0.5, 0.5, "no time recorded", transform=ax.transAxes, ha="center")
    return fig


def _row_major(handles: list, labels: list, ncol: int) -> tuple[list, list]:
    """Legend entries reordered so that matplotlib's column-by-column filling reads in rows."""
    n = len(handles)
    rows = math.ceil(n / ncol) if ncol else 1
    order = [r * ncol + c for c in range(ncol) for r in range(rows) if r * ncol + c < n]
    return [handles[k] for k in order], [labels[k] for k in order]


def _finite(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else 0.0


# --------------------------------------------------------------------------- queues over time


def stations(
    hours: np.ndarray,
    series: Mapping[str, Mapping[str, np.ndarray]],
    *,
    warmup_hours: float = 0.0,
    arrivals_end: float | None = None,
    title: str = "Queues and utilisation over time",
    queue_max: Mapping[str, float] | None = None,
) -> Figure:
    """For each station, its mean queue length and its utilisation (busy officers over
    officers on duty) over the run, with the hours it is closed shaded."""
    names = list(series)
    fig = figure(width=WIDTH * 1.3, height=max(HEIGHT * 0.75, 1.2 + 2.3 * len(names)))
    axes = fig.subplots(len(names), 2, sharex=True, squeeze=False)
    days = np.asarray(hours, dtype=float) / 24.0
    step = (days[1] - days[0]) if len(days) > 1 else 1 / 24
    with style():
        for row, name in enumerate(names):
            s = series[name]
            queue = np.asarray(s["queue"], dtype=float)
            busy = np.asarray(s["busy"], dtype=float)
            duty = np.asarray(s["on_duty"], dtype=float)
            closed = ~(duty > 1e-9)
            with np.errstate(divide="ignore", invalid="ignore"):
                util = np.where(closed, np.nan, busy / duty)
            qa, ua = axes[row]
            qa.fill_between(days, queue, step="post", color=BLUE, alpha=0.35, lw=0)
            qa.step(days, queue, where="post", color=BLUE, lw=1.4)
            ua.step(days, util, where="post", color=VERMILLION, lw=1.4)
            for ax in (qa, ua):
                for a, b in _runs(closed):
                    ax.axvspan(days[a], days[b - 1] + step, color=CLOSED, lw=0, zorder=0)
                if warmup_hours > 0:
                    ax.axvline(warmup_hours / 24, color=DARK, ls=":", lw=1.4)
                if arrivals_end is not None:
                    ax.axvline(arrivals_end / 24, color=DARK, ls="--", lw=1.4)
                ax.grid(axis="x", visible=False)
            top = (queue_max or {}).get(name) or (np.nanmax(queue) if queue.size else 1.0)
            qa.set_ylim(0, max(1.0, float(top)) * 1.08)
            ua.set_ylim(
                0, max(1.05, float(np.nanmax(util)) * 1.05 if np.isfinite(util).any() else 1)
            )
            _percent(ua.yaxis)
            qa.set_title(f"{name}: queue", fontsize=14)
            ua.set_title(f"{name}: utilisation", fontsize=14)
            qa.set_ylabel("Shipments waiting")
            ua.set_ylabel("Busy / on duty")
        for ax in axes[-1]:
            ax.set_xlabel("Day of the run")
        handles = [Patch(color=CLOSED, label="closed (no officer on duty)")]
        if warmup_hours > 0:
            handles.append(
                matplotlib.lines.Line2D([], [], color=DARK, ls=":", label="warm-up ends")
            )
        if arrivals_end is not None:
            handles.append(
                matplotlib.lines.Line2D([], [], color=DARK, ls="--", label="arrivals stop")
            )
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
        fig.suptitle(title)
    return fig


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Start and end (exclusive) of each run of True."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


# --------------------------------------------------------------------------- illicit goods


@dataclass
class Catch:
    """Where the illicit shipments of one kind went, in one point: mean counts per
    replication caught at each check, released through each lane, still inside."""

    caught: dict[str, float]
    leaked: dict[str, float]
    inside: float

    @property
    def total(self) -> float:
        return sum(self.caught.values()) + sum(self.leaked.values()) + self.inside


def catch_of(stats: Mapping[str, Mapping[str, Any]], kind: str, checks, lanes) -> Catch:
    """A :class:`Catch` from a point's summary (the ``intercepted_at``, ``leaked_via`` and
    ``kind.<kind>.shipments`` metrics)."""
    caught = {c: _finite(_mean(stats.get(f"intercepted_at.{c}.{kind}"))) for c in checks}
    leaked = {lane: _finite(_mean(stats.get(f"leaked_via.{lane}.{kind}"))) for lane in lanes}
    total = _finite(_mean(stats.get(f"kind.{kind}.shipments")))
    inside = max(0.0, total - sum(caught.values()) - sum(leaked.values()))
    return Catch(caught, leaked, inside)


def illicit(
    rows: Sequence[tuple[str, Mapping[str, Catch]]],
    *,
    title: str = "Where illicit shipments were caught, and where they got through",
    highlight: int | None = None,
    xmax: Mapping[str, float] | None = None,
    ylabel: str | None = None,
) -> Figure:
    """One panel per kind of illicit goods, one stacked bar per point: caught at each check
    (greens and blues), released through each lane (reds and oranges), still inside (grey)."""
    single = len(rows) == 1 and len(rows[0][1]) > 1
    if single:  # one point: one bar per kind, in one panel
        label, by_kind = rows[0]
        rows = [(kind, {label or " ": c}) for kind, c in by_kind.items()]
        highlight = None
    kinds: list[str] = []
    for _, by_kind in rows:
        kinds += [k for k in by_kind if k not in kinds]
    checks: list[str] = []
    lanes: list[str] = []
    for _, by_kind in rows:
        for c in by_kind.values():
            checks += [k for k in c.caught if k not in checks]
            lanes += [k for k in c.leaked if k not in lanes]
    used_checks = [c for c in checks if any(b.caught.get(c) for _, r in rows for b in r.values())]
    used_lanes = [x for x in lanes if any(b.leaked.get(x) for _, r in rows for b in r.values())]
    height = max(3.6, min(HEIGHT * 1.6, 2.4 + 0.5 * len(rows)))
    fig = figure(width=WIDTH * (1.0 if len(kinds) < 3 else 1.3), height=height)
    axes = fig.subplots(1, max(1, len(kinds)), sharey=True, squeeze=False)[0]
    y = np.arange(len(rows))[::-1]
    parts = [(f"caught at {c}", CAUGHT[i % len(CAUGHT)], "c", c) for i, c in enumerate(used_checks)]
    parts += [
        (f"released via {x}", LEAKED[i % len(LEAKED)], "l", x) for i, x in enumerate(used_lanes)
    ]
    if any(c.inside > 1e-9 for _, r in rows for c in r.values()):
        parts.append(("still inside at the end", INSIDE, "i", ""))
    with style():
        for ax, kind in zip(axes, kinds, strict=False):
            left = np.zeros(len(rows))
            for label, color, what, name in parts:
                widths = []
                for _, by_kind in rows:
                    c = by_kind.get(kind)
                    if c is None:
                        widths.append(0.0)
                    elif what == "c":
                        widths.append(c.caught.get(name, 0.0))
                    elif what == "l":
                        widths.append(c.leaked.get(name, 0.0))
                    else:
                        widths.append(c.inside)
                widths_a = np.array(widths)
                ax.barh(y, widths_a, left=left, color=color, label=label, height=0.62, lw=0)
                left += widths_a
            for k, (_, by_kind) in enumerate(rows):
                c = by_kind.get(kind)
                if c is None or not c.total:
                    continue
                share = sum(c.caught.values()) / c.total
                ax.annotate(
                    f"{share:.0%} caught",
                    (left[k], y[k]),
                    xytext=(5, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=11,
                    fontweight="bold" if k == highlight else "normal",
                )
            top = max((xmax or {}).get(k, 0.0) for k in {kind, *(r[0] for r in rows)}) or (
                left.max() if len(left) else 1.0
            )
            ax.set_xlim(0, max(top, 1e-9) * 1.3)
            if not single:
                ax.set_title(kind, fontsize=15)
            ax.set_xlabel("Shipments per replication (mean)")
            ax.grid(axis="y", visible=False)
            if highlight is not None and 0 <= highlight < len(rows):
                ax.axhspan(y[highlight] - 0.42, y[highlight] + 0.42, color=ORANGE, alpha=0.15)
        axes[0].set_yticks(y, [label for label, _ in rows])
        if ylabel:
            axes[0].set_ylabel(ylabel)
        handles = [Patch(color=color, label=label) for label, color, _, _ in parts]
        ncol = min(4, len(handles))
        if handles:
            handles, names = _row_major(handles, [h.get_label() for h in handles], ncol)
            fig.legend(handles, names, loc="outside lower center", ncol=ncol)
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- cold chain


@dataclass
class ColdGroup:
    """Cold-chain shipments of one commodity in one point: a sample of hours in custody, the
    tolerance, and how many were spoiled of how many, per replication."""

    label: str
    hours: np.ndarray
    spoiled: np.ndarray
    censored: np.ndarray
    tolerance: float
    shipments: float
    spoiled_count: float


def cold_chain(
    groups: Sequence[ColdGroup],
    *,
    title: str = "Cold-chain shipments: time in custody against tolerance",
    highlight: int | None = None,
    ymax: float | None = None,
) -> Figure:
    """Each shipment of the sample as a dot at its hours in custody (released, or still inside
    when the run stopped), the tolerance as a black bar, spoiled ones as red crosses."""
    fig = figure(width=WIDTH if len(groups) < 9 else WIDTH * 1.3)
    ax = fig.add_subplot()
    with style():
        top = 0.0
        for k, g in enumerate(groups):
            n = g.hours.size
            jitter = ((np.arange(n) * 0.6180339887) % 1.0 - 0.5) * 0.55
            ok = ~g.spoiled
            ax.scatter(k + jitter[ok], g.hours[ok], s=22, color=BLUE, alpha=0.45, lw=0, zorder=2)
            ax.scatter(
                k + jitter[g.spoiled],
                g.hours[g.spoiled],
                s=70,
                marker="x",
                color=VERMILLION,
                linewidths=2.2,
                zorder=3,
            )
            ax.hlines(g.tolerance, k - 0.4, k + 0.4, color=DARK, lw=3, zorder=4)
            ax.annotate(
                f"{g.spoiled_count:.1f} of {g.shipments:,.0f}\nspoiled",
                (k, 1.0),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=11,
                color=VERMILLION if g.spoiled_count else "#555555",
                fontweight="bold" if k == highlight else "normal",
            )
            top = max(top, g.tolerance * 1.25, float(g.hours.max()) * 1.05 if n else 0.0)
            if highlight == k:
                ax.axvspan(k - 0.48, k + 0.48, color=ORANGE, alpha=0.15, lw=0)
        ax.set_xticks(range(len(groups)), [g.label for g in groups])
        if len(groups) > 5:
            for t in ax.get_xticklabels():
                t.set_rotation(30)
                t.set_ha("right")
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_ylim(0, ymax or top or 1.0)
        ax.set_ylabel("Hours in custody")
        ax.set_title(title, pad=44)
        ax.grid(axis="x", visible=False)
        handles = [
            matplotlib.lines.Line2D(
                [], [], marker="o", color=BLUE, alpha=0.6, ls="", label="within tolerance"
            ),
            matplotlib.lines.Line2D(
                [], [], marker="x", color=VERMILLION, ls="", mew=2.2, label="spoiled"
            ),
            matplotlib.lines.Line2D([], [], color=DARK, lw=3, label="tolerance"),
        ]
        ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1.0, 0.9))
    return fig


def cold_groups(label: str, profile: FigureData, prefix: bool = True) -> list[ColdGroup]:
    """The cold-chain groups of a profile, one per cold-chain commodity."""
    out = []
    commodities = profile.info.get("commodities", [])
    n = profile.replications or 1
    sample = profile.cold
    for name, tolerance in profile.info.get("cold_chain_hours", {}).items():
        code = commodities.index(name) if name in commodities else -1
        mask = sample["commodity"] == code
        counts = profile.cold_counts.get(name, {})
        out.append(
            ColdGroup(
                f"{label}: {name}" if prefix and label else (label or name),
                sample["hours"][mask],
                sample["spoiled"][mask],
                sample["censored"][mask],
                float(tolerance),
                counts.get("shipments", 0.0) / n,
                counts.get("spoiled", 0.0) / n,
            )
        )
    return out


# --------------------------------------------------------------------------- a results folder


def time_axis(saved: Saved, time: str) -> tuple[str, str]:
    """(metric, axis label) of the trade-off's time axis: legitimate shipments' mean or P90
    clearance time (all released shipments' for a folder written without them)."""
    if time not in TIME_METRICS:
        raise ValueError(f"time must be one of {', '.join(TIME_METRICS)}, got {time!r}")
    legit, fallback, words = TIME_METRICS[time]
    has = all(legit in p.stats for p in saved.points)
    metric = legit if has else fallback
    who = "legitimate shipments" if has else "released shipments"
    return metric, f"Clearance time of {who}, {words} (hours)"


def short_label(saved: Saved, i: int) -> str:
    """A point's label for a figure: a sweep point's values only."""
    p = saved.points[i]
    if saved.kind == "sweep" and saved.keys:
        from sim.files.text import show

        return ", ".join(show(p.values.get(k)) for k in saved.keys)
    return p.label


def _checks(saved: Saved) -> list[str]:
    out: list[str] = []
    for p in saved.points:
        names = list((p.profile.info.get("checks") if p.profile else None) or {})
        if not names:
            names = sorted(
                {m.split(".")[1] for m in p.stats if m.startswith("segment.")} - {"lodgement"}
            )
        out += [c for c in names if c not in out]
    return out


def _lanes(saved: Saved) -> list[str]:
    out: list[str] = []
    for p in saved.points:
        names = (p.profile.info.get("lanes") if p.profile else None) or [
            m.split(".")[1] for m in p.stats if m.startswith("lane.") and m.endswith(".share")
        ]
        out += [x for x in names if x not in out]
    return out


def _kinds(saved: Saved) -> list[str]:
    out: list[str] = []
    for p in saved.points:
        for m in p.stats:
            if m.startswith("kind.") and m.endswith(".shipments"):
                kind = m[len("kind.") : -len(".shipments")]
                if kind not in out:
                    out.append(kind)
    return out


def _targets(saved: Saved) -> list[float]:
    for p in saved.points:
        if p.profile is not None:
            return [float(t) for t in p.profile.info.get("target_hours", [])]
    return [24.0]


def _any_illicit(saved: Saved) -> bool:
    return bool(_kinds(saved)) and any(
        (p.stats.get("illicit") or {}).get("mean") for p in saved.points
    )


def catches(saved: Saved) -> list[tuple[str, dict[str, Catch]]]:
    checks, lanes, kinds = _checks(saved), _lanes(saved), _kinds(saved)
    return [
        (short_label(saved, i), {k: catch_of(p.stats, k, checks, lanes) for k in kinds})
        for i, p in enumerate(saved.points)
    ]


def run_figures(saved: Saved, time: str = "mean") -> dict[str, tuple[Figure, str]]:
    """Every figure of a results folder, by file name: ``(figure, caption)``."""
    out: dict[str, tuple[Figure, str]] = {}
    n = len(saved.points)
    targets = _targets(saved)
    labels = [short_label(saved, i) for i in range(n)]
    lever = " and ".join(saved.keys) if saved.kind == "sweep" else ""
    if n > 1:
        metric, axis = time_axis(saved, time)
        fig = tradeoff(
            labels,
            [p.stats.get(metric) for p in saved.points],
            [p.stats.get("interception_rate") for p in saved.points],
            time_label=axis,
            title="Trade-off: clearance time against interception",
            subtitle=f"points labelled by {lever}" if lever else None,
        )
        out["tradeoff"] = (
            fig,
            f"Each point is one {'sweep point' if lever else 'scenario'}: {axis[0].lower()}"
            f"{axis[1:]} against the share of illicit shipments intercepted, with 95% confidence "
            "intervals both ways. Points joined by the dashed line are Pareto-efficient: no other "
            "point is both faster and catches more.",
        )
    profiled = [(i, p) for i, p in enumerate(saved.points) if p.profile is not None]
    if n == 1 and profiled:
        prof = saved.points[0].profile
        assert prof is not None
        lanes = [("all", "all shipments")] + [(f"lane.{x}", x) for x in prof.info["lanes"]]
        curves = profile_curves(prof, lanes, [DARK, *PALETTE])
        if curves:
            curves[0].width = 3.4
        out["clearance-by-lane"] = (
            ecdf(curves, targets=targets, title="Clearance time by lane", legend_title="lane"),
            "Share of shipments released within each time, by lane (log scale). Shipments still "
            "inside when the run stopped count as not released, so a curve that ends below 100% "
            "left some inside. Dotted lines: the target times.",
        )
        commodities = [("all", "all shipments"), ("legit", "legitimate")] + [
            (f"commodity.{c}", c) for c in prof.info["commodities"]
        ]
        curves = profile_curves(prof, commodities, [DARK, GREY, *PALETTE])
        if curves:
            curves[0].width = 3.4
        out["clearance-by-commodity"] = (
            ecdf(
                curves,
                targets=targets,
                title="Clearance time by commodity",
                legend_title="commodity",
            ),
            "Share of shipments released within each time, by commodity (log scale).",
        )
    elif profiled:
        colors = _sequence_colors(len(profiled)) if saved.kind == "sweep" else PALETTE
        curves = []
        for k, (i, p) in enumerate(profiled):
            assert p.profile is not None
            hours, share, total = p.profile.ecdf("all")
            curves.append(Curve(labels[i], hours, share, total, colors[k % len(colors)]))
        if len(curves) > 20:
            keep = np.unique(np.linspace(0, len(curves) - 1, 20).round().astype(int))
            curves = [curves[k] for k in keep]
        out["clearance"] = (
            ecdf(
                curves,
                targets=targets,
                title="Clearance time by " + ("sweep point" if lever else "scenario"),
                legend_title=lever or "scenario",
            ),
            "Share of shipments released within each time (log scale), one curve per "
            + ("sweep point" if lever else "scenario")
            + ". Shipments still inside when the run stopped count as not released.",
        )
    checks = _checks(saved)
    out["trs"] = (
        trs_breakdown(
            [(labels[i], _means(p.stats)) for i, p in enumerate(saved.points)],
            checks,
            ylabel=lever or None,
        ),
        "The Time Release Study breakdown: mean hours per released shipment spent in lodgement "
        "and waiting for and undergoing each check (hatched: waiting). The segments add up to "
        "the mean clearance time.",
    )
    if _any_illicit(saved):
        out["illicit"] = (
            illicit(catches(saved), ylabel=lever or None),
            "Illicit shipments per replication: caught at each check, released through each lane "
            "(leaks), or still inside when the run stopped.",
        )
    groups = [g for i, p in profiled for g in cold_groups(labels[i] if n > 1 else "", p.profile)]
    if any(g.hours.size for g in groups):
        out["cold-chain"] = (
            cold_chain(groups),
            "Cold-chain shipments: hours in custody (until release, or until the run stopped) "
            "against the packaging's tolerance. Every spoiled shipment is drawn (red crosses, up "
            "to 50 a replication) with an even sample of the others; the counts above are means "
            "per replication.",
        )
    for i, p in profiled:
        if n > 1 and saved.kind == "sweep":
            break  # per point: on the explore page
        assert p.profile is not None
        if not p.profile.stations:
            continue
        name = "queues" if n == 1 else f"queues-{i + 1:02d}"
        out[name] = (
            stations_of(
                p.profile, "Queues and utilisation over time" + (f": {labels[i]}" if n > 1 else "")
            ),
            f"Mean of {p.profile.replications} replications, hour by hour"
            + (f" (in blocks of {p.profile.step_hours} h)" if p.profile.step_hours > 1 else "")
            + ": shipments waiting at each station, and busy officers over officers on duty. "
            "Grey: hours when the station is closed.",
        )
    return out


def stations_of(profile: FigureData, title: str, queue_max: Mapping[str, float] | None = None):
    info = profile.info
    return stations(
        profile.hours_axis(),
        profile.stations,
        warmup_hours=float(info.get("warmup_hours", 0.0)),
        arrivals_end=info.get("hours"),
        title=title,
        queue_max=queue_max,
    )


def _means(stats: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    return {k: _finite(_mean(v)) for k, v in stats.items() if k.startswith("segment.")}


def _sequence_colors(n: int) -> list[str]:
    cmap = matplotlib.colormaps["viridis"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.9, max(n, 1))]


# --------------------------------------------------------------------------- per point (explore)


@dataclass
class Limits:
    """Axes shared by every point's figures, so that moving between points shows change."""

    tradeoff: tuple[tuple[float, float], tuple[float, float]]
    trs: float
    illicit: dict[str, float]
    queues: dict[str, float]
    cold: float


def shared_limits(saved: Saved, time: str = "mean") -> Limits:
    metric, _ = time_axis(saved, time)
    t_lim = tradeoff_limits(
        [p.stats.get(metric) for p in saved.points],
        [p.stats.get("interception_rate") for p in saved.points],
    )
    trs = max(
        (sum(_means(p.stats).values()) for p in saved.points),
        default=1.0,
    )
    ill: dict[str, float] = {}
    for _, by_kind in catches(saved):
        for kind, c in by_kind.items():
            ill[kind] = max(ill.get(kind, 0.0), c.total)
    queues: dict[str, float] = {}
    cold = 0.0
    for p in saved.points:
        if p.profile is None:
            continue
        for name, s in p.profile.stations.items():
            q = np.asarray(s["queue"], dtype=float)
            if q.size:
                queues[name] = max(queues.get(name, 0.0), float(np.nanmax(q)))
        for g in cold_groups("", p.profile):
            top = max(g.tolerance * 1.25, float(g.hours.max()) * 1.05 if g.hours.size else 0)
            cold = max(cold, top)
    return Limits(t_lim, trs, ill, queues, cold)


def point_figures(
    saved: Saved, i: int, limits: Limits, time: str = "mean"
) -> dict[str, tuple[Figure, str]]:
    """The figures of one point of a sweep, on axes shared by every point: the frontier with
    this point ringed, its clearance times by lane, its TRS bar among all, its catch, its cold
    chain and its queues."""
    p = saved.points[i]
    labels = [short_label(saved, k) for k in range(len(saved.points))]
    metric, axis = time_axis(saved, time)
    out: dict[str, tuple[Figure, str]] = {}
    out["tradeoff"] = (
        tradeoff(
            labels,
            [q.stats.get(metric) for q in saved.points],
            [q.stats.get("interception_rate") for q in saved.points],
            time_label=axis,
            highlight=i,
            limits=limits.tradeoff,
            title="The trade-off: where this point stands",
        ),
        "Every point of the sweep; the ringed one is selected. Dashed: the Pareto frontier.",
    )
    out["trs"] = (
        trs_breakdown(
            [(labels[k], _means(q.stats)) for k, q in enumerate(saved.points)],
            _checks(saved),
            highlight=i,
            xmax=limits.trs,
            ylabel=" and ".join(saved.keys) or None,
        ),
        "Where the clearance time goes, every point (the selected one highlighted).",
    )
    if _any_illicit(saved):
        out["illicit"] = (
            illicit([catches(saved)[i]], xmax=limits.illicit),
            "Illicit shipments per replication: caught at each check, released through a lane, "
            "still inside.",
        )
    if p.profile is not None:
        prof = p.profile
        lanes = [("all", "all shipments")] + [(f"lane.{x}", x) for x in prof.info["lanes"]]
        curves = profile_curves(prof, lanes, [DARK, *PALETTE])
        if curves:
            curves[0].width = 3.4
        out["clearance"] = (
            ecdf(
                curves, targets=_targets(saved), title="Clearance time by lane", legend_title="lane"
            ),
            "Share of shipments released within each time, by lane.",
        )
        groups = cold_groups("", prof)
        if any(g.hours.size for g in groups):
            out["cold-chain"] = (
                cold_chain(groups, ymax=limits.cold or None),
                "Cold-chain shipments against their tolerance; red crosses: spoiled.",
            )
        if prof.stations:
            out["queues"] = (
                stations_of(prof, "Queues and utilisation over time", limits.queues),
                "Mean queue and utilisation hour by hour; grey: closed.",
            )
    return out


__all__ = [
    "STYLE",
    "Catch",
    "ColdGroup",
    "Curve",
    "Limits",
    "catch_of",
    "cold_chain",
    "ecdf",
    "figure",
    "illicit",
    "point_figures",
    "png_bytes",
    "run_figures",
    "save",
    "shared_limits",
    "stations",
    "svg_bytes",
    "time_axis",
    "tradeoff",
    "trs_breakdown",
]
