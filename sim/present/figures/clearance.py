"""Clearance-time distributions: the cumulative share of shipments released within each time,
one curve per group (lane, commodity, scenario or sweep point), on a log scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from sim.present.figures.style import figure, percent_axis, style

if TYPE_CHECKING:
    from sim.measure.figure_data import FigureData

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
        percent_axis(ax.yaxis)
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
