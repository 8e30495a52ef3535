"""What a saved result holds, read once for the figures, the report and the trainer's page: its
checks, lanes, kinds of illicit goods, commodities and target times, how each point is labelled,
and which metric is the trade-off's time axis.

Everything here reads a :class:`sim.files.read.Saved` (the figure data when a point has it,
else the names of its summary, through :mod:`sim.measure.names`) and draws nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.files.bottom_line import person_name, point_words
from sim.files.text import show
from sim.measure import names
from sim.measure.statistics import overload_reason, overloaded

if TYPE_CHECKING:
    from sim.files.read import Saved

TIME_METRICS = {
    "mean": ("clearance_hours_mean", "mean"),
    "p90": ("clearance_hours_p90", "90th percentile"),
}
"""The clearance figure every screen shows, by time axis: metric, words. Shipments still
inside at the end count as censored, so an overloaded point does not look fast."""

STANDING_WORDS = {
    "efficient": "efficient",
    "band": "in the band",
    "dominated": "dominated",
    "overloaded": "OVERLOADED",
    "missing": "no value",
}
"""A sweep point's standing on the trade-off, as the tables say it."""


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


def time_metric(time: str) -> tuple[str, str]:
    """(metric, words) of the clearance figure for ``time``: ``"mean"`` or ``"p90"``."""
    if time not in TIME_METRICS:
        raise ValueError(f"time must be one of {', '.join(TIME_METRICS)}, got {time!r}")
    return TIME_METRICS[time]


def time_axis(saved: Saved, time: str) -> tuple[str, str]:
    """(metric, axis label) of the trade-off's time axis: the mean or P90 clearance time,
    shipments still inside at the end counted as censored."""
    metric, words = time_metric(time)
    return metric, f"Clearance time, {words} (hours)"


def is_overloaded(saved: Saved, i: int) -> bool:
    """Whether point ``i`` is overloaded: its queues did not keep up (see
    :func:`sim.measure.statistics.overloaded`)."""
    return overloaded(saved.points[i].stats)


def reason(saved: Saved, i: int) -> str:
    """Why point ``i`` is overloaded, in words."""
    return overload_reason(saved.points[i].stats)


def standings(saved: Saved, time: str = "mean") -> list[str] | None:
    """Each point's saved standing on the trade-off for ``time`` (efficient, band,
    dominated, overloaded, missing), or None when the folder has none (written by an earlier
    version, or not a sweep). An overloaded point is overloaded whatever was saved."""
    time_metric(time)
    saved_ones = [(p.frontier or {}).get(time) for p in saved.points]
    if any(s is None for s in saved_ones):
        return None
    return ["overloaded" if is_overloaded(saved, i) else str(s) for i, s in enumerate(saved_ones)]


def standing_of(saved: Saved, i: int, time: str = "mean") -> str | None:
    """Point ``i``'s saved standing for ``time`` (see :func:`standings`)."""
    found = standings(saved, time)
    return found[i] if found is not None else None


def short_label(saved: Saved, i: int) -> str:
    """A point's label for a figure: a sweep point's values only."""
    p = saved.points[i]
    if saved.kind == "sweep" and saved.keys:
        return ", ".join(show(p.values.get(k)) for k in saved.keys)
    return p.label


def person_label(saved: Saved, i: int) -> str:
    """A point's name for people: a variant's or scenario's own ``label`` (from the file, or
    the comment above its table), a sweep point's lever values in words, else its label."""
    p = saved.points[i]
    if saved.kind == "sweep" and saved.keys:
        levers = ((saved.points[0].scenario or {}).get("scenario") or {}).get("levers") or {}
        return point_words({k: p.values.get(k) for k in saved.keys}, levers)
    return person_name(p.label, (p.scenario or {}).get("scenario"))


def person_labels(saved: Saved) -> list[str]:
    """Every point's :func:`person_label`."""
    return [person_label(saved, i) for i in range(len(saved.points))]


def short_labels(saved: Saved) -> list[str]:
    """Every point's :func:`short_label`."""
    return [short_label(saved, i) for i in range(len(saved.points))]


def lever_values(saved: Saved, key: str) -> list[str]:
    """The values a sweep gave ``key``, as shown, in the order of the points."""
    out: list[str] = []
    _merge(out, [show(p.values.get(key)) for p in saved.points])
    return out


__all__ = [
    "STANDING_WORDS",
    "TIME_METRICS",
    "any_illicit",
    "checks",
    "commodities",
    "is_overloaded",
    "kinds",
    "lanes",
    "lever_values",
    "person_label",
    "person_labels",
    "reason",
    "short_label",
    "short_labels",
    "standing_of",
    "standings",
    "targets",
    "time_axis",
    "time_metric",
]
