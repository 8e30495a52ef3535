"""Cold-chain shipments: hours in custody against the packaging's tolerance, spoiled ones
marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from sim.present.figures.style import BLUE, DARK, ORANGE, VERMILLION, WIDTH, figure, style

if TYPE_CHECKING:
    from sim.measure.figure_data import FigureData


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
    crowded = len(groups) > 5  # side by side, the counts and names would run together
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
                f"{g.spoiled_count:.1f} of {g.shipments:,.0f}"
                + (" " if crowded else "\n")
                + "spoiled",
                (k, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 4),
                textcoords="offset points",
                rotation=90 if crowded else 0,
                ha="center",
                va="bottom",
                fontsize=11,
                color=VERMILLION if g.spoiled_count else "#555555",
                fontweight="bold" if k == highlight else "normal",
            )
            top = max(top, g.tolerance * 1.25, float(g.hours.max()) * 1.05 if n else 0.0)
            if highlight == k:
                ax.axvspan(k - 0.48, k + 0.48, color=ORANGE, alpha=0.15, lw=0)
        names = [g.label.replace(": ", ":\n") for g in groups]
        longest = max((len(line) for n in names for line in n.split("\n")), default=0)
        ax.set_xticks(range(len(groups)), names)
        if longest * 7.5 > 0.8 * fig.get_figwidth() * 72 / max(len(groups), 1):
            for t in ax.get_xticklabels():  # too long to stand side by side
                t.set_rotation(90)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_ylim(0, ymax or top or 1.0)
        ax.set_ylabel("Hours in custody")
        ax.set_title(title, pad=120 if crowded else 44)
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
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
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
