"""The trade-off figure: clearance time against interception, one point per policy, variant or
sweep point, with where each stands: the efficient points joined by the frontier, the band of
points that cannot be told from it with these replications shaded, the dominated plain, and the
overloaded (queues that do not keep up) marked apart and never on the frontier."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from sim.measure.statistics import (
    BAND,
    DOMINATED,
    EFFICIENT,
    MISSING,
    OVERLOADED,
    pareto_efficient,
)
from sim.present.figures.style import (
    BLUE,
    DARK,
    GREY,
    ORANGE,
    SKY,
    VERMILLION,
    error_of,
    figure,
    mean_of,
    percent_axis,
    repel,
    style,
)

LOOK = {
    EFFICIENT: {"color": BLUE, "markerfacecolor": BLUE},
    BAND: {"color": BLUE, "markerfacecolor": SKY},
    DOMINATED: {"color": GREY, "markerfacecolor": "white"},
    OVERLOADED: {"color": VERMILLION, "markerfacecolor": "white"},
}
LEGEND = {
    EFFICIENT: "efficient: on the frontier",
    BAND: "in the band: not told apart from the frontier",
    DOMINATED: "dominated: another point is faster and catches more",
    OVERLOADED: "overloaded: queues do not keep up",
}
LEGEND_LOOK = {  # the legend's marker of each standing other than efficient
    BAND: {"marker": "o", "color": BLUE, "markerfacecolor": SKY, "ls": "-", "lw": 10, "alpha": 0.5},
    DOMINATED: {"marker": "o", "color": GREY, "markerfacecolor": "white", "ls": ""},
    OVERLOADED: {
        "marker": "s",
        "color": VERMILLION,
        "markerfacecolor": "white",
        "markeredgewidth": 2.4,
        "ls": "",
    },
}
BETTER = "Better: faster (left) and catching more (up)"
OVERLOAD_NOTE = (
    "Hollow red: overloaded. Shipments were still inside at the end, so its clearance time\n"
    "is only a lower bound; it is never on the frontier."
)


def statuses(
    xs: Sequence[float], ys: Sequence[float], overloaded: Sequence[bool] | None = None
) -> list[str]:
    """Each point's standing judged on the means alone (for a folder saved without the
    standings): efficient or dominated; an overloaded point is never efficient."""
    heavy = list(overloaded) if overloaded is not None else [False] * len(xs)
    live = [
        (x, y) if not heavy[i] else (math.nan, math.nan)
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    efficient = pareto_efficient([x for x, _ in live], [y for _, y in live])
    out = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if heavy[i]:
            out.append(OVERLOADED)
        elif not (math.isfinite(x) and math.isfinite(y)):
            out.append(MISSING)
        else:
            out.append(EFFICIENT if efficient[i] else DOMINATED)
    return out


def tradeoff(
    labels: Sequence[str],
    time: Sequence[Mapping[str, Any] | None],
    catch: Sequence[Mapping[str, Any] | None],
    *,
    time_label: str = "Clearance time, mean (hours)",
    highlight: int | None = None,
    title: str = "Trade-off: clearance time against interception",
    subtitle: str | None = None,
    limits: tuple[tuple[float, float], tuple[float, float]] | None = None,
    status: Sequence[str] | None = None,
    overloaded: Sequence[bool] | None = None,
) -> Figure:
    """One point per policy, variant or sweep point: ``time`` (hours) against ``catch`` (the
    interception rate), each a metric's ``{"mean", "ci_low", "ci_high"}``, with 95% CI bars
    both ways. ``status`` is each point's standing as saved (efficient, band, dominated,
    overloaded, missing); without it the means decide, ``overloaded`` points set apart.
    Efficient points are joined by the frontier, band points shaded around it; every point is
    labelled; ``highlight`` rings one point. Each point's marker has the gid
    ``point-<index>-<status>``, the frontier ``frontier`` and the band ``band``."""
    fig = figure()
    ax = fig.add_subplot()
    xs = np.array([mean_of(s) for s in time])
    ys = np.array([mean_of(s) for s in catch])
    if status is None:
        status = statuses(list(xs), list(ys), overloaded)
    status = list(status)
    shown = [i for i in range(len(labels)) if math.isfinite(xs[i]) and math.isfinite(ys[i])]
    if limits is None:
        limits = tradeoff_limits(time, catch)
    with style():
        for i in shown:
            _point(ax, i, xs[i], ys[i], time[i], catch[i], status[i], limits)
        _frontier(ax, xs, ys, shown, status)
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
        texts = []
        for i in shown:
            if many and status[i] not in (EFFICIENT, BAND) and i != highlight:
                continue
            texts.append(
                ax.annotate(
                    labels[i],
                    (xs[i], ys[i]),
                    xytext=(8, 8),
                    textcoords="offset points",
                    fontsize=12 if i != highlight else 14,
                    fontweight="bold" if i == highlight else "normal",
                    color=VERMILLION if status[i] == OVERLOADED else DARK,
                    arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.8, "shrinkB": 6},
                    zorder=5,
                )
            )
        ax.set_ylabel("Illicit shipments intercepted")
        percent_axis(ax.yaxis)
        ax.set_title(title)
        if log_time(limits):
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_hours))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(log_label(time_label) if log_time(limits) else time_label)
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
        for i in range(len(labels)):
            if status[i] == OVERLOADED and i not in shown and math.isfinite(ys[i]):
                texts.append(_beyond(ax, i, limits[0][1], ys[i], labels[i]))
        fig.legend(
            handles=_handles(status, highlight is not None),
            loc="outside lower center",
            ncol=2,
            fontsize=11,
        )
        notes = [BETTER + (f"; {subtitle}" if subtitle else "")]
        if OVERLOADED in status:
            notes.append(OVERLOAD_NOTE)
        if notes:  # above the axes: nothing drawn there for a label to cover
            fig.suptitle("\n".join(notes), fontsize=11, color="#555555", fontweight="normal")
        repel(fig, texts, [(ax, xs[i], ys[i]) for i in shown], radius=12)
    return fig


def log_label(label: str) -> str:
    """An axis label saying its scale is logarithmic."""
    if label.endswith("(hours)"):
        return label[: -len("(hours)")] + "(hours, log scale)"
    return label + " (log scale)"


def _hours(value: float, _pos: int) -> str:
    return f"{value:g}"


def _point(ax, i: int, x: float, y: float, time, catch, status: str, limits) -> None:
    """One point with its intervals both ways, drawn as its standing says. An interval is cut
    at the axes' edge, with an arrowhead there saying it goes on; bars are drawn in the
    point's colour, thicker than the grid and with caps, so none reads as a grid line."""
    (x0, x1), (y0, y1) = limits
    xe, ye = error_of(time), error_of(catch)
    xlo, xhi = max(x - xe[0], x0), min(x + xe[1], x1)
    ylo, yhi = max(y - ye[0], y0), min(y + ye[1], y1)
    look = LOOK.get(status, LOOK[DOMINATED])
    bar = "#666666" if status == DOMINATED else look["color"]
    bars = ax.errorbar(
        x,
        y,
        xerr=[[max(0.0, x - xlo)], [max(0.0, xhi - x)]],
        yerr=[[max(0.0, y - ylo)], [max(0.0, yhi - y)]],
        fmt="s" if status == OVERLOADED else "o",
        markeredgewidth=2.4 if status == OVERLOADED else 2,
        markersize=10 if status == OVERLOADED else 9,
        ecolor=bar,
        elinewidth=2.0,
        capsize=5,
        capthick=2.0,
        zorder=3,
        alpha=0.9,
        **look,
    )
    bars.lines[0].set_gid(f"point-{i}-{status}")
    for edge, cut, marker, at in (
        (x0, x - xe[0] < x0, "<", "x"),
        (x1, x + xe[1] > x1, ">", "x"),
        (y0, y - ye[0] < y0, "v", "y"),
        (y1, y + ye[1] > y1, "^", "y"),
    ):
        if cut:
            ax.plot(
                *((edge, y) if at == "x" else (x, edge)),
                marker,
                color=bar,
                markersize=8,
                clip_on=False,
                zorder=3,
            )


def _beyond(ax, i: int, edge: float, y: float, label: str):
    """An overloaded point whose clearance time was never reached in the run (too many still
    inside for a 90th percentile, say): drawn at the right edge, pointing beyond it."""
    ax.plot(
        [edge],
        [y],
        ">",
        color=VERMILLION,
        markerfacecolor="white",
        markeredgewidth=2.4,
        markersize=12,
        clip_on=False,
        zorder=3,
        gid=f"point-{i}-{OVERLOADED}",
    )
    return ax.annotate(
        f"{label}: beyond the run",
        (edge, y),
        xytext=(-10, 10),
        textcoords="offset points",
        ha="right",
        fontsize=12,
        color=VERMILLION,
    )


def _frontier(ax, xs, ys, shown: Sequence[int], status: Sequence[str]) -> None:
    """The frontier through the efficient points (dashed), and a shaded band through them and
    the points that cannot be told from them."""
    front = sorted((xs[i], ys[i]) for i in shown if status[i] == EFFICIENT)
    if len(front) > 1:
        ax.plot(*zip(*front, strict=True), color=BLUE, lw=2, ls="--", zorder=2, gid="frontier")
    if not any(status[i] == BAND for i in shown):
        return
    band = sorted((xs[i], ys[i]) for i in shown if status[i] in (EFFICIENT, BAND))
    ax.plot(
        *zip(*band, strict=True),
        color=SKY,
        lw=26,
        alpha=0.22,
        solid_capstyle="round",
        solid_joinstyle="round",
        marker="o" if len(band) == 1 else None,
        markersize=26,
        zorder=1,
        gid="band",
    )


def _handles(status: Sequence[str], selected: bool) -> list:
    """Legend entries for the standings present (the frontier always)."""
    line = matplotlib.lines.Line2D
    handles = [line([], [], marker="o", color=BLUE, ls="--", label=LEGEND[EFFICIENT])]
    for standing, look in LEGEND_LOOK.items():
        if standing in status:
            handles.append(line([], [], **look, label=LEGEND[standing]))
    if selected:
        handles.append(
            line(
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
    return handles


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

    means = [s["mean"] for s in time if s and s.get("mean") is not None and s["mean"] > 0]
    means = [m for m in means if math.isfinite(m)]
    if means and max(means) > LOG_RATIO * min(means):
        # Hours from a few to hundreds (an overloaded point beside the rest): a log scale
        # keeps the fast points apart instead of squeezing them against the axis.
        return (min(means) / 1.6, max(means) * 1.6), span(catch, 1.0)
    return span(time, None), span(catch, 1.0)


LOG_RATIO = 8.0
"""The time axis is logarithmic when the slowest point's mean is more than this many times
the fastest one's."""


def log_time(limits: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    """Whether the time axis of these limits is drawn on a log scale."""
    low, high = limits[0]
    return low > 0 and high > LOG_RATIO * low * 1.6**2 * 0.999
