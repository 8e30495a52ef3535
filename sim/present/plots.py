"""The figures of a results folder: :func:`run_figures` draws those of the report, from a
folder read by :func:`sim.files.read.load_results` (the trainer's page draws its own, in the
browser, from the small data it holds).

Each family of figures lives in :mod:`sim.present.figures` and takes plain data; what a saved
result holds (its checks, lanes, labels) is read by :mod:`sim.present.contents`. The figure
functions are named here too, so that ``plots.tradeoff`` and the like keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from sim.measure import names
from sim.present import contents
from sim.present.contents import TIME_METRICS, short_label, time_axis
from sim.present.figures.clearance import HOUR_TICKS, Curve, ecdf, profile_curves
from sim.present.figures.cold_chain import ColdGroup, cold_chain, cold_groups
from sim.present.figures.illicit import Catch, catch_of, illicit
from sim.present.figures.queues import stations, stations_of
from sim.present.figures.style import (
    BLUE,
    CAUGHT,
    CLOSED,
    DARK,
    GREEN,
    GREY,
    HEIGHT,
    INSIDE,
    LEAKED,
    ORANGE,
    PALETTE,
    PNG_DPI,
    PURPLE,
    SKY,
    STYLE,
    VERMILLION,
    WIDTH,
    YELLOW,
    figure,
    finite,
    mean_of,
    png_bytes,
    save,
    style,
    svg_bytes,
)
from sim.present.figures.tradeoff import tradeoff, tradeoff_limits
from sim.present.figures.trs import trs_breakdown
from sim.present.markup import estimate

if TYPE_CHECKING:
    from sim.files.read import Saved


def catches(saved: Saved) -> list[tuple[str, dict[str, Catch]]]:
    checks, lanes, kinds = contents.checks(saved), contents.lanes(saved), contents.kinds(saved)
    return [
        (contents.short_label(saved, i), {k: catch_of(p.stats, k, checks, lanes) for k in kinds})
        for i, p in enumerate(saved.points)
    ]


def run_figures(saved: Saved, time: str = "mean") -> dict[str, tuple[Figure, str]]:
    """Every figure of a results folder, by file name: ``(figure, caption)``."""
    out: dict[str, tuple[Figure, str]] = {}
    n = len(saved.points)
    targets = contents.targets(saved)
    labels = contents.short_labels(saved)
    lever = " and ".join(saved.keys) if saved.kind == "sweep" else ""
    if n > 1:
        fig = tradeoff_of(saved, time, subtitle=f"points labelled by {lever}" if lever else None)
        out["tradeoff"] = (fig, tradeoff_caption(saved, time, lever))
    profiled = [(i, p) for i, p in enumerate(saved.points) if p.profile is not None]
    if n == 1 and profiled:
        prof = saved.points[0].profile
        assert prof is not None
        lanes = [("all", "all shipments")] + [(names.lane(x), x) for x in prof.info["lanes"]]
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
            (names.commodity(c), c) for c in prof.info["commodities"]
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
    checks = contents.checks(saved)
    out["trs"] = (
        trs_breakdown(
            [(labels[i], segment_means(p.stats)) for i, p in enumerate(saved.points)],
            checks,
            ylabel=lever or None,
            notes=[inside_note(p.stats) for p in saved.points],
        ),
        TRS_CAPTION,
    )
    if contents.any_illicit(saved):
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


TRS_CAPTION = (
    "The Time Release Study breakdown of released shipments: mean hours per released shipment "
    "in each segment of the Time Release Study Guide, in order: unloading and payment where "
    "the scenario has them, lodgement, and waiting for (hatched), undergoing and awaiting the "
    "trader's answer to (dotted) each check. The "
    "segments add up to the mean clearance time of released shipments. Shipments still inside "
    "when the run stopped are not in it (a bar says how many were, in red), so where there are "
    "some it is shorter than the clearance time in the tables, which counts them as censored."
)


def tradeoff_of(
    saved: Saved,
    time: str = "mean",
    *,
    highlight: int | None = None,
    limits: tuple[tuple[float, float], tuple[float, float]] | None = None,
    title: str = "Trade-off: clearance time against interception",
    subtitle: str | None = None,
) -> Figure:
    """The trade-off figure of a saved comparison or sweep on the time axis ``time``: each
    point where its saved standing puts it (judged from the means, overloaded points apart,
    for a folder saved without standings)."""
    metric, axis = contents.time_axis(saved, time)
    return tradeoff(
        contents.short_labels(saved),
        [p.stats.get(metric) for p in saved.points],
        [p.stats.get("interception_rate") for p in saved.points],
        time_label=axis,
        highlight=highlight,
        limits=limits,
        title=title,
        subtitle=subtitle,
        status=contents.standings(saved, time),
        overloaded=[contents.is_overloaded(saved, i) for i in range(len(saved.points))],
    )


def tradeoff_caption(saved: Saved, time: str, lever: str) -> str:
    """What the trade-off figure shows, in words."""
    _, words = contents.time_metric(time)
    what = "sweep point" if lever else "scenario"
    text = (
        f"Each point is one {what}: its clearance time in hours ({words}; shipments still "
        "inside at the end counted as censored) against the share of illicit shipments "
        "intercepted, with 95% confidence intervals both ways. Points joined by the dashed "
        "line are efficient: no other point is faster and catches more."
    )
    found = contents.standings(saved, time)
    if found is not None and "band" in found:
        text += (
            " The shaded band holds the points beaten on the means but not beyond what these "
            "replications can tell apart: they may be on the frontier too."
        )
    elif found is None and saved.kind == "sweep":
        text += " (This folder was written without standings: the means alone decide.)"
    if any(contents.is_overloaded(saved, i) for i in range(len(saved.points))):
        text += (
            " Hollow red squares are overloaded points: their queues do not keep up, so their "
            "clearance time is only a lower bound, and they are never on the frontier."
        )
    return text


def inside_note(stats: Mapping[str, Mapping[str, Any]]) -> str:
    """A few words for a TRS bar of a point that left shipments inside, else ''."""
    share = mean_of(stats.get("censored_share"))
    if not np.isfinite(share):
        censored, shipments = mean_of(stats.get("censored")), mean_of(stats.get("shipments"))
        share = censored / shipments if shipments and np.isfinite(censored) else 0.0
    if not share > 0:
        return ""
    if share < 0.0005:
        return "a few shipments still inside"
    return f"{estimate({'mean': share}, pct=True)} still inside"


def segment_means(stats: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """A point's TRS segments, hours (0 for a missing one), in the order of the milestones
    (label each with :func:`sim.measure.names.segment_label`)."""
    return {k: finite(mean_of(stats[k])) for k in names.segment_order(stats)}


def _sequence_colors(n: int) -> list[str]:
    cmap = matplotlib.colormaps["viridis"]
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.9, max(n, 1))]


__all__ = [
    "BLUE",
    "CAUGHT",
    "CLOSED",
    "DARK",
    "GREEN",
    "GREY",
    "HEIGHT",
    "HOUR_TICKS",
    "INSIDE",
    "LEAKED",
    "ORANGE",
    "PALETTE",
    "PNG_DPI",
    "PURPLE",
    "SKY",
    "TIME_METRICS",
    "VERMILLION",
    "WIDTH",
    "YELLOW",
    "catches",
    "cold_groups",
    "profile_curves",
    "segment_means",
    "short_label",
    "stations_of",
    "style",
    "tradeoff_limits",
    "STYLE",
    "Catch",
    "ColdGroup",
    "Curve",
    "catch_of",
    "cold_chain",
    "ecdf",
    "figure",
    "illicit",
    "png_bytes",
    "run_figures",
    "save",
    "stations",
    "svg_bytes",
    "time_axis",
    "tradeoff",
    "tradeoff_of",
    "trs_breakdown",
]
