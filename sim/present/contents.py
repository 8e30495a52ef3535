"""What a saved result holds, read once for the figures, the report and the trainer's page: its
checks, lanes, kinds of illicit goods, commodities and target times, how each point is labelled,
and which metric is the trade-off's time axis.

Everything here reads a :class:`sim.files.read.Saved` (the figure data when a point has it,
else the names of its summary, through :mod:`sim.measure.names`) and draws nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.files.text import show
from sim.measure import names

if TYPE_CHECKING:
    from sim.files.read import Saved

TIME_METRICS = {
    "mean": (names.legit("clearance_hours_mean"), "clearance_hours_mean", "mean"),
    "p90": (names.legit("clearance_hours_p90"), "clearance_hours_p90", "90th percentile"),
}
"""The trade-off's time axis: metric for legitimate shipments, fallback, words."""


def _merge(out: list[str], more: list[str]) -> None:
    for x in more:
        if x not in out:
            out.append(x)


def checks(saved: Saved) -> list[str]:
    """The checks of every point, in scenario order (from the summary's TRS segments, in
    alphabetical order, for a point without figure data)."""
    out: list[str] = []
    for p in saved.points:
        found = list((p.profile.info.get("checks") if p.profile else None) or {})
        _merge(out, found or names.segment_checks(p.stats))
    return out


def lanes(saved: Saved) -> list[str]:
    """The lanes of every point, in scenario order."""
    out: list[str] = []
    for p in saved.points:
        _merge(out, (p.profile.info.get("lanes") if p.profile else None) or names.lanes(p.stats))
    return out


def kinds(saved: Saved) -> list[str]:
    """The kinds of illicit goods of every point."""
    out: list[str] = []
    for p in saved.points:
        _merge(out, names.kinds(p.stats))
    return out


def commodities(saved: Saved) -> list[str]:
    """The commodities of every point."""
    out: list[str] = []
    for p in saved.points:
        _merge(out, names.commodities(p.stats))
    return out


def targets(saved: Saved) -> list[float]:
    """The scenario's target clearance times, hours (24 h when no point has figure data)."""
    for p in saved.points:
        if p.profile is not None:
            return [float(t) for t in p.profile.info.get("target_hours", [])]
    return [24.0]


def any_illicit(saved: Saved) -> bool:
    """Whether any point saw illicit shipments."""
    return bool(kinds(saved)) and any(
        (p.stats.get("illicit") or {}).get("mean") for p in saved.points
    )


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
        return ", ".join(show(p.values.get(k)) for k in saved.keys)
    return p.label


def short_labels(saved: Saved) -> list[str]:
    """Every point's :func:`short_label`."""
    return [short_label(saved, i) for i in range(len(saved.points))]


def lever_values(saved: Saved, key: str) -> list[str]:
    """The values a sweep gave ``key``, as shown, in the order of the points."""
    out: list[str] = []
    _merge(out, [show(p.values.get(key)) for p in saved.points])
    return out


__all__ = [
    "TIME_METRICS",
    "any_illicit",
    "checks",
    "commodities",
    "kinds",
    "lanes",
    "lever_values",
    "short_label",
    "short_labels",
    "targets",
    "time_axis",
]
