"""Queues over time: each station's mean queue and utilisation hour by hour, with the hours it
is closed shaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.present.figures.style import (
    BLUE,
    CLOSED,
    DARK,
    HEIGHT,
    VERMILLION,
    WIDTH,
    figure,
    percent_axis,
    style,
)

if TYPE_CHECKING:
    from sim.measure.figure_data import FigureData


def stations(
    hours: np.ndarray,
    series: Mapping[str, Mapping[str, np.ndarray]],
    *,
    warmup_hours: float = 0.0,
    window_end: float | None = None,
    title: str = "Queues and utilisation over time",
    queue_max: Mapping[str, float] | None = None,
) -> Figure:
    """For each station, its mean queue length and its utilisation (busy officers over
    officers on duty) over the run, with the hours it is closed shaded, the end of the warm-up
    and ``window_end``, the end of the counting window (hours; shipments that arrive later are
    not counted), marked."""
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
                if window_end is not None:
                    ax.axvline(window_end / 24, color=DARK, ls="--", lw=1.4)
                ax.grid(axis="x", visible=False)
            top = (queue_max or {}).get(name) or (np.nanmax(queue) if queue.size else 1.0)
            qa.set_ylim(0, max(1.0, float(top)) * 1.08)
            ua.set_ylim(
                0, max(1.05, float(np.nanmax(util)) * 1.05 if np.isfinite(util).any() else 1)
            )
            percent_axis(ua.yaxis)
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
        if window_end is not None:
            handles.append(
                matplotlib.lines.Line2D(
                    [], [], color=DARK, ls="--", label="end of the counting window"
                )
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


def stations_of(profile: FigureData, title: str, queue_max: Mapping[str, float] | None = None):
    info = profile.info
    return stations(
        profile.hours_axis(),
        profile.stations,
        warmup_hours=float(info.get("warmup_hours", 0.0)),
        window_end=info.get("hours"),
        title=title,
        queue_max=queue_max,
    )
