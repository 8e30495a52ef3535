"""The trade-off figure: clearance time against interception, one point per policy, variant or
sweep point, with the Pareto frontier."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from sim.measure.statistics import pareto_efficient
from sim.present.figures.style import (
    BLUE,
    DARK,
    GREY,
    ORANGE,
    error_of,
    figure,
    mean_of,
    percent_axis,
    style,
)


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
    fig = figure()
    ax = fig.add_subplot()
    xs = np.array([mean_of(s) for s in time])
    ys = np.array([mean_of(s) for s in catch])
    efficient = pareto_efficient(list(xs), list(ys))
    with style():
        for i in range(len(labels)):
            if not (math.isfinite(xs[i]) and math.isfinite(ys[i])):
                continue
            xe, ye = error_of(time[i]), error_of(catch[i])
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
        percent_axis(ax.yaxis)
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
