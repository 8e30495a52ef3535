"""The Time Release Study breakdown: where the clearance time of *released* shipments goes,
as stacked bars of the mean hours per released shipment in lodgement and in each check's queue
and service. Shipments still inside at the end are not in it: a bar says so beside its total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from sim.measure import names
from sim.present.figures.style import (
    DARK,
    GREY,
    HEIGHT,
    ORANGE,
    PALETTE,
    VERMILLION,
    figure,
    finite,
    row_major,
    style,
)

CUT_RATIO = 4.0
"""The time axis is broken when the longest bar is more than this many times the next."""


def cut_at(totals) -> float | None:
    """Where to break the axis so that one bar far longer than the rest (an overloaded
    variant at 106 h beside others at 2-3 h) does not squeeze them: the next longest total,
    or None when no bar dwarfs the rest."""
    ranked = sorted((float(t) for t in totals if np.isfinite(t)), reverse=True)
    if len(ranked) < 2 or ranked[1] <= 0 or ranked[0] <= CUT_RATIO * ranked[1]:
        return None
    return ranked[1]


def trs_breakdown(
    bars: Sequence[tuple[str, Mapping[str, float]]],
    checks: Sequence[str],
    *,
    title: str = "Time Release Study: where released shipments' time goes",
    highlight: int | None = None,
    xmax: float | None = None,
    ylabel: str | None = None,
    notes: Sequence[str] | None = None,
) -> Figure:
    """Stacked bars, one per point: mean hours per released shipment in each Time Release
    Study segment, in the order of the milestones (unloading, lodgement, each check's waiting,
    checking and awaiting the trader's answer, payment: the ``segment.*`` metrics, by the
    Guide's names; they add up to the mean clearance time of released shipments). ``notes``:
    a few words per bar, written after its total (how many shipments were still inside, say)."""
    label = names.segment_label
    segments = [
        (names.UNLOADING, label(names.UNLOADING), GREY, ".."),
        (names.LODGEMENT, label(names.LODGEMENT), GREY, None),
    ]
    for k, check in enumerate(checks):
        color = PALETTE[k % len(PALETTE)]
        for part, hatch in (("queue", "//"), ("service", None), (names.QUERY, "..")):
            key = names.segment(check, part)
            segments.append((key, label(key), color, hatch))
    segments.append((names.PAYMENT, label(names.PAYMENT), DARK, None))
    segments = [s for s in segments if any((v.get(s[0]) or 0) > 0 for _, v in bars)]
    rows = -(-len(segments) // (len(segments) if len(segments) <= 4 else 3))  # the legend's
    height = max(3.4, min(HEIGHT * 1.6, 2.4 + 0.45 * len(bars))) + 0.3 * max(0, rows - 2)
    fig = figure(height=height)
    ax = fig.add_subplot()
    y = np.arange(len(bars))[::-1]
    totals = np.array([sum(finite(v.get(seg[0])) for seg in segments) for _, v in bars])
    cut = cut_at(totals)
    room = 1.55 if notes and any(notes) else 1.15
    top = cut if cut is not None else (xmax if xmax else (totals.max() if len(totals) else 1.0))
    edge = (top or 1.0) * room
    with style():
        left = np.zeros(len(bars))
        for key, label, color, hatch in segments:
            widths = np.array([finite(v.get(key)) for _, v in bars])
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
                total = sum(finite(v.get(s[0])) for s in segments for _, v in bars[:1])
                for k, w in enumerate(widths):
                    if w > 0.07 * max(total, 1e-9) and totals[k] <= edge:
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
            note = notes[k] if notes and k < len(notes) and notes[k] else ""
            beyond = cut is not None and total > edge
            if beyond:  # the axis is broken: the bar runs on, its total written inside
                for dx in (0.40, 0.42):
                    ax.plot(
                        [edge * dx, edge * (dx + 0.01)],
                        [y[k] - 0.4, y[k] + 0.4],
                        color="white",
                        lw=4,
                        zorder=3,
                    )
            ax.annotate(
                f"{total:.2f} h" + (f"  ({note})" if note else "") + (" \u2192" if beyond else ""),
                (edge, y[k]) if beyond else (total, y[k]),
                xytext=(-4, 0) if beyond else (5, 0),
                ha="right" if beyond else "left",
                textcoords="offset points",
                va="center",
                fontsize=12,
                fontweight="bold" if k == highlight else "normal",
                color=VERMILLION if note else DARK,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1} if beyond else None,
                zorder=4,
            )
        ax.set_yticks(y, [label for label, _ in bars])
        if highlight is not None and 0 <= highlight < len(bars):
            ax.get_yticklabels()[highlight].set_fontweight("bold")
            ax.axhspan(y[highlight] - 0.42, y[highlight] + 0.42, color=ORANGE, alpha=0.15, lw=0)
        ax.set_xlabel(
            "Mean hours per released shipment"
            + (" (axis broken: the longest bar runs on to its total)" if cut is not None else "")
        )
        ax.set_title(title)
        ax.set_xlim(0, edge)
        ax.grid(axis="y", visible=False)
        if ylabel:
            ax.set_ylabel(ylabel)
        ncol = len(segments) if len(segments) <= 4 else 3
        if segments:
            handles, entries = row_major(*ax.get_legend_handles_labels(), ncol)
            fig.legend(handles, entries, loc="outside lower center", ncol=ncol)
        else:
            ax.text(0.5, 0.5, "no time recorded", transform=ax.transAxes, ha="center")
    return fig
