"""Illicit goods: where the shipments of each kind were caught (at which check), where they got
through (by which lane) and how many were still inside."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.measure import names
from sim.present.figures.style import (
    CAUGHT,
    HEIGHT,
    INSIDE,
    LEAKED,
    ORANGE,
    WIDTH,
    figure,
    finite,
    mean_of,
    row_major,
    style,
)
from sim.present.markup import estimate


@dataclass
class Catch:
    """Where the illicit shipments of one kind went, in one point: mean counts per
    replication caught at each check, released through each lane, still inside; and the
    share intercepted as the tables show it (``kind.<kind>.interception_rate``: pooled over
    the replications), None for a summary without it."""

    caught: dict[str, float]
    leaked: dict[str, float]
    inside: float
    rate: float | None = None

    @property
    def total(self) -> float:
        return sum(self.caught.values()) + sum(self.leaked.values()) + self.inside

    @property
    def share(self) -> float:
        """The share intercepted: the summary's when there is one, else from the counts."""
        if self.rate is not None:
            return self.rate
        return sum(self.caught.values()) / self.total if self.total else math.nan

    def words(self) -> str:
        """ "33.3% caught", the share written exactly as the tables write it."""
        return f"{estimate({'mean': self.share}, pct=True)} caught"


def catch_of(stats: Mapping[str, Mapping[str, Any]], kind: str, checks, lanes) -> Catch:
    """A :class:`Catch` from a point's summary (the ``intercepted_at``, ``leaked_via`` and
    ``kind.<kind>.shipments`` metrics)."""
    caught = {c: finite(mean_of(stats.get(names.intercepted_at(c, kind)))) for c in checks}
    leaked = {lane: finite(mean_of(stats.get(names.leaked_via(lane, kind)))) for lane in lanes}
    total = finite(mean_of(stats.get(names.kind(kind, "shipments"))))
    inside = max(0.0, total - sum(caught.values()) - sum(leaked.values()))
    rate = (stats.get(names.kind(kind, "interception_rate")) or {}).get("mean")
    return Catch(caught, leaked, inside, float(rate) if rate is not None else None)


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
                ax.annotate(
                    c.words(),
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
            # Nothing of this kind: an axis one shipment wide, not one of 1e-9 (whose offset
            # label would sit on the axis label)
            ax.set_xlim(0, (top if top > 0 else 1.0) * 1.5)
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
            handles, entries = row_major(handles, [h.get_label() for h in handles], ncol)
            fig.legend(handles, entries, loc="outside lower center", ncol=ncol)
        fig.suptitle(title)
    return fig
