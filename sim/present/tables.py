"""The report's numbers: the headline cards of a run, the key table (a run, a comparison with its
paired differences, a sweep with its Pareto marks) and the detail tables by point."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.files.bottom_line import lever_label, lever_value
from sim.files.read import Saved
from sim.files.text import count_interval, period, whole
from sim.measure import names
from sim.measure.names import key_rows
from sim.present import contents
from sim.present.markup import Raw, difference, esc, estimate, interval, number, table

OVERLOAD_MARK = "⚠ OVERLOADED"
"""The mark of an overloaded point in every table: its queues do not keep up."""

STANDING_CELLS = {
    "efficient": "* efficient",
    "band": "~ in the band",
    "dominated": "dominated",
    "overloaded": "! " + OVERLOAD_MARK,
    "missing": "no value",
}


def _rows(saved: Saved) -> list[tuple[str, str, bool]]:
    """The key rows, with the targets of the first point with figure data (else those of the
    first point's summary)."""
    targets = []
    for p in saved.points:
        if p.profile is not None:
            targets = p.profile.info.get("target_hours", [])
            break
    if not targets:
        targets = names.targets(saved.points[0].stats)
    info = (saved.points[0].scenario or {}).get("scenario") or {}
    return [
        (f"{label}, {period(info)}" if names.unit(key) == "count" else label, key, pct)
        for label, key, pct in key_rows([float(t) for t in targets])
    ]


def value(metric: str, s: Mapping[str, Any] | None, pct: bool = False) -> str:
    """A metric's estimate in a table cell: a count as a whole number (see
    :func:`sim.files.text.whole`), anything else as :func:`sim.present.markup.number`."""
    if names.unit(metric) == "count" and not pct:
        if not s or s.get("mean") is None:
            return "n/a"
        return count_interval(dict(s))
    return number(s, pct)


def value_interval(metric: str, s: Mapping[str, Any] | None, pct: bool = False) -> str:
    """A metric's 95% interval in a table cell, counts as whole numbers."""
    if names.unit(metric) == "count" and not pct and s and s.get("ci_low") is not None:
        digits = 0 if abs(s["mean"]) >= 10 else 1
        return f"95% CI {whole(s['ci_low'], digits)} to {whole(s['ci_high'], digits)}"
    return interval(s, pct)


def marked(saved: Saved, i: int, label: str | None = None) -> str:
    """A point's label (its short label by default) with the overload mark when it is
    overloaded."""
    text = contents.short_label(saved, i) if label is None else label
    return f"{text} {OVERLOAD_MARK}" if contents.is_overloaded(saved, i) else text


def overload_warning(saved: Saved) -> str:
    """A warning for the top of a page when any point is overloaded: which, and why ('' when
    none is)."""
    heavy = [i for i in range(len(saved.points)) if contents.is_overloaded(saved, i)]
    if not heavy:
        return ""
    one = saved.kind == "run"
    items = "".join(
        f"<li><strong>{esc(saved.points[i].label)}</strong>: {esc(contents.reason(saved, i))}</li>"
        for i in heavy[:20]
    )
    more = f"<li>and {len(heavy) - 20} more</li>" if len(heavy) > 20 else ""
    head = (
        "This run is OVERLOADED"
        if one
        else f"{len(heavy)} of {len(saved.points)} "
        + ("scenarios" if saved.kind == "compare" else "points")
        + (" is" if len(heavy) == 1 else " are")
        + " OVERLOADED"
    )
    return (
        f'<div class="warning" role="alert"><p class="head">⚠ {esc(head)}: the queues do not '
        "keep up with the traffic.</p><ul>"
        f"{items}{more}</ul><p>{esc(OVERLOAD_WORDS)}</p></div>"
    )


OVERLOAD_WORDS = (
    "The backlog grows through the run, so its clearance figures depend on how long the run "
    "lasts: shipments still inside at the end are counted as censored, and the mean clearance "
    "time is only a lower bound. Such a point is marked ⚠ in every table and figure and is "
    "never on the trade-off's frontier. Add officers or inspect less."
)


def headline(saved: Saved, time: str) -> str:
    """The key numbers of a run (or of the reference) in large type, with their intervals."""
    p = saved.points[0]
    s = p.stats
    metric, words = contents.time_metric("p90" if time == "p90" else "mean")
    cold = (
        ", ".join((p.profile.info.get("cold_chain_hours") or {}) if p.profile else [])
        or "cold-chain"
    )
    heavy = contents.is_overloaded(saved, 0)
    cards = [
        (
            ("at least " if heavy else "") + estimate(s.get(metric), digits=1) + " h",
            f"to clear a shipment ({words}; those still inside counted)",
            interval(s.get(metric)),
        ),
        (
            estimate(s.get("interception_rate"), True),
            "of illicit shipments intercepted",
            interval(s.get("interception_rate"), True),
        ),
        (
            estimate(s.get(names.within(24)), True, 1),
            "released within 24 hours",
            interval(s.get(names.within(24)), True),
        ),
        (
            estimate(s.get("spoiled"), digits=1),
            f"spoiled {cold} shipments per replication",
            interval(s.get("spoiled"), digits=1),
        ),
    ]
    out = ['<div class="cards">']
    for big, label, ci in cards:
        out.append(
            f'<div class="card"><div class="big">{esc(big)}</div>'
            f'<div class="label">{esc(label)}</div><div class="ci">{esc(ci)}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


def standing_cell(saved: Saved, i: int, time: str = "mean") -> str:
    """Where a sweep point stands on the trade-off, in a table cell: the saved standing, or
    for a folder saved without one its Pareto mark (and the overload mark)."""
    if contents.is_overloaded(saved, i):
        return STANDING_CELLS["overloaded"]
    found = contents.standing_of(saved, i, time)
    if found is not None:
        return STANDING_CELLS.get(found, found)
    return "* efficient" if saved.points[i].pareto else ""


def key_table(saved: Saved) -> str:
    """The key metrics: of a run with intervals, of a comparison with paired differences, of a
    sweep one row per point with where it stands on the trade-off."""
    rows = _rows(saved)
    if saved.kind == "run":
        s = saved.points[0].stats
        body = [
            [label, value(key, s.get(key), pct), value_interval(key, s.get(key), pct)]
            for label, key, pct in rows
            if key in s
        ]
        head = "estimate" + (f" ({OVERLOAD_MARK})" if contents.is_overloaded(saved, 0) else "")
        return table(["", head, "95% confidence interval"], body, "numbers")
    if saved.kind == "compare":
        head = [
            "",
            *(marked(saved, i, contents.person_label(saved, i)) for i in range(len(saved.points))),
        ]
        body = []
        ref = contents.person_label(saved, 0)
        for label, key, pct in rows:
            if not any(key in p.stats for p in saved.points):
                continue
            body.append([label, *(value(key, p.stats.get(key), pct) for p in saved.points)])
            body.append(
                [
                    Raw(f'<span class="vs">vs {esc(ref)}</span>'),
                    "",
                    *(difference((p.differences or {}).get(key), pct) for p in saved.points[1:]),
                ]
            )
        return table(head, body, "numbers compare")
    cols = [
        ("clearance h (mean)", "clearance_hours_mean", False),
        ("clearance h (P90)", "clearance_hours_p90", False),
        ("interception", "interception_rate", True),
        ("inspection", "inspection_rate", True),
        ("within 24 h", names.within(24), True),
        ("spoiled", "spoiled", False),
        ("censored", "censored", False),
    ]
    cols = [c for c in cols if any(c[1] in p.stats for p in saved.points)]
    levers = ((saved.points[0].scenario or {}).get("scenario") or {}).get("levers") or {}
    head = [*(lever_label(k, levers) for k in saved.keys), "reps", *(c[0] for c in cols)]
    head.append("standing")
    body = []
    for i, p in enumerate(saved.points):
        body.append(
            [
                *(lever_value(k, p.values.get(k), levers) for k in saved.keys),
                p.replications,
                *(value(m, p.stats.get(m), pct) for _, m, pct in cols),
                standing_cell(saved, i),
            ]
        )
    return table(head, body, "numbers sweep")


def behind(saved: Saved, i: int, time: str = "mean") -> int | None:
    """The point ahead of band point ``i``: as saved, else the nearest in clearance time of
    the efficient points at least as good on both means."""
    p = saved.points[i]
    if p.behind is not None:
        return p.behind
    found = contents.standings(saved, time) or []
    metric, _ = contents.time_metric(time)

    def mean(k: int, m: str) -> float:
        value = (saved.points[k].stats.get(m) or {}).get("mean")
        return math.nan if value is None else float(value)

    t, c = mean(i, metric), mean(i, "interception_rate")
    ahead = [
        k
        for k, status in enumerate(found)
        if k != i
        and status == "efficient"
        and mean(k, metric) <= t
        and mean(k, "interception_rate") >= c
    ]
    return min(ahead, key=lambda k: t - mean(k, metric), default=None)


def band_notes(saved: Saved, time: str = "mean") -> str:
    """For each sweep point in the band: which point it cannot be told from with these
    replications, and about how many would separate them ('' when none is in the band)."""
    found = contents.standings(saved, time)
    if not found or "band" not in found:
        return ""
    items = []
    for i, status in enumerate(found):
        if status != "band":
            continue
        p = saved.points[i]
        j = behind(saved, i, time)
        other = f"point {saved.points[j].label}" if j is not None else "the frontier"
        more = (
            f"about {p.separate_with} would separate them"
            if p.separate_with
            else "many more would be needed to separate them"
        )
        items.append(
            f"Point {p.label} and {other} cannot be told apart with {p.replications} "
            f"replications; {more}."
        )
    head = (
        "In the band (~): these points are beaten on the means, but not beyond what the paired "
        "replications can tell apart, so they may be on the frontier too:"
    )
    return (
        f'<p class="sub">{esc(head)}</p><ul class="band">'
        + "".join(f"<li>{esc(x)}</li>" for x in items[:30])
        + (f"<li>and {len(items) - 30} more</li>" if len(items) > 30 else "")
        + "</ul>"
    )


def _by_point_table(saved: Saved, rows: list[tuple[str, str, bool]]) -> str:
    """Metrics by point: points as columns (a few) or as rows (many)."""
    rows = [r for r in rows if any(r[1] in p.stats for p in saved.points)]
    if not rows:
        return ""
    labels = [marked(saved, i) for i in range(len(saved.points))]
    if len(saved.points) <= 6:
        head = ["", *labels] if len(saved.points) > 1 else ["", marked(saved, 0, "estimate")]
        body = [
            [label, *(number(p.stats.get(key), pct) for p in saved.points)]
            for label, key, pct in rows
        ]
        return table(head, body, "numbers")
    head = [" and ".join(saved.keys) or "point", *(label for label, _, _ in rows)]
    body = [
        [labels[i], *(number(p.stats.get(key), pct) for _, key, pct in rows)]
        for i, p in enumerate(saved.points)
    ]
    return table(head, body, "numbers wide")


def _class_wait_rows(
    saved: Saved, check: str, commodities: list[str]
) -> list[tuple[str, str, bool]]:
    """A station's mean wait by queue class and by commodity, where the station saw more than
    one of them (else the class's wait is the station's own)."""

    def seen(metric: str) -> bool:
        return any((p.stats.get(metric) or {}).get("mean") is not None for p in saved.points)

    rows = []
    for labels, metrics in (
        (
            ("priority", "other than priority"),
            [names.station_class(check, g, "wait_hours_mean") for g in names.QUEUE_CLASSES],
        ),
        (commodities, [names.station_commodity(check, c, "wait_hours_mean") for c in commodities]),
    ):
        pairs = zip(labels, metrics, strict=True)
        shown = [(f"{check}: wait, {label} (h)", m, False) for label, m in pairs]
        shown = [row for row in shown if seen(row[1])]
        if len(shown) > 1:
            rows += shown
    return rows


def detail_tables(saved: Saved) -> str:
    """Stations, lanes, commodities and traders, TRS segments and illicit goods, by point."""
    checks, lanes, kinds = contents.checks(saved), contents.lanes(saved), contents.kinds(saved)
    commodities = contents.commodities(saved)
    parts = []
    station_rows = []
    for c in checks:
        station_rows += [
            (f"{c}: wait, mean (h)", names.station(c, "wait_hours_mean"), False),
            (f"{c}: utilisation", names.station(c, "utilisation"), True),
            (f"{c}: queue, mean", names.station(c, "queue_mean"), False),
            (f"{c}: queue, longest", names.station(c, "queue_max"), False),
            (f"{c}: queue when the run stopped", names.station(c, "backlog_end"), False),
        ]
        station_rows += _class_wait_rows(saved, c, commodities)
    parts.append(("Stations", _by_point_table(saved, station_rows)))
    lane_rows = []
    for lane in lanes:
        lane_rows += [
            (f"{lane}: share of shipments", names.lane(lane, "share"), True),
            (f"{lane}: clearance, mean (h)", names.lane(lane, "clearance_hours_mean"), False),
        ]
    parts.append(("Lanes", _by_point_table(saved, lane_rows)))
    groups = [
        (f"{c}: clearance, mean (h)", names.commodity(c, "clearance_hours_mean"), False)
        for c in commodities
    ]
    groups += [
        (
            "legitimate shipments: clearance, mean (h)",
            names.legit("clearance_hours_mean"),
            False,
        ),
        ("AEO traders: clearance, mean (h)", names.trader("aeo", "clearance_hours_mean"), False),
        (
            "other traders: clearance, mean (h)",
            names.trader("non_aeo", "clearance_hours_mean"),
            False,
        ),
        (
            "priority: clearance, mean (h)",
            names.priority("priority", "clearance_hours_mean"),
            False,
        ),
    ]
    parts.append(("Commodities and traders", _by_point_table(saved, groups)))
    # The TRS segments in the order of the milestones, by the Guide's names; the stages a
    # scenario does not have (unloading, queries, payment) have no row.
    order = [names.UNLOADING, names.LODGEMENT]
    for c in checks:
        order += [names.segment(c, "queue"), names.segment(c, "service")]
        order.append(names.segment(c, names.QUERY))
    order.append(names.PAYMENT)
    segs = [(f"{names.segment_label(m)} (h)", m, False) for m in order]
    segs += [
        (
            "total: clearance of released shipments, mean (h)",
            "released.clearance_hours_mean",
            False,
        ),
        ("still inside at the end (not in the segments)", "censored", False),
    ]
    segs += [
        (f"{names.segment_label(m)}, after clearance (h)", m, False)
        for m in (names.EXIT, names.ARRIVAL_TO_EXIT)
    ]
    parts.append(("Time Release Study segments, released shipments", _by_point_table(saved, segs)))
    ill = []
    for kind in kinds:
        ill.append((f"{kind}: shipments", names.kind(kind, "shipments"), False))
        ill.append((f"{kind}: share intercepted", names.kind(kind, "interception_rate"), True))
        ill += [(f"{kind}: caught at {c}", names.intercepted_at(c, kind), False) for c in checks]
        ill += [
            (f"{kind}: released via {lane}", names.leaked_via(lane, kind), False) for lane in lanes
        ]
    ill += [
        ("hit rate (inspections finding illicit goods)", "hit_rate", True),
        ("post-release detections", "post_release_detections", False),
    ]
    parts.append(("Illicit goods", _by_point_table(saved, ill)))
    parts.append(("Targeting that learns", _by_point_table(saved, _learning_rows(saved))))
    return "\n".join(f"<h3>{esc(title)}</h3>\n{body}" for title, body in parts if body)


def _learning_rows(saved: Saved) -> list[tuple[str, str, bool]]:
    """A learning policy's model: its AUC over the counted declarations and period by period
    (how it learns and forgets), and its fits; none for another policy."""
    periods = sorted(
        {
            int(m.rpartition("_")[2])
            for p in saved.points
            for m in p.stats
            if m.startswith(names.targeting("auc_period_"))
        }
    )
    rows = [("model AUC, counted declarations", names.targeting("auc"), False)]
    rows += [(f"model AUC, period {k}", names.targeting_period(k), False) for k in periods]
    rows += [
        ("model fits", names.targeting("trainings"), False),
        ("outcomes of its last fit", names.targeting("training_outcomes"), False),
        ("share of them found illicit", names.targeting("training_illicit_share"), True),
    ]
    return rows


COSTS_NOTE = (
    "Over the counted shipments (delay, spoiled goods, harm) and the counting window (officers' "
    "hours, checks), per replication, in US dollars at the scenario's [costs] prices. Delay and "
    "spoiled goods fall on traders, officers and checks on the administration, the harm of "
    "illicit goods released on the public."
)


def cost_table(saved: Saved) -> str:
    """Costs and harms by point, money without cents ('' when no point has ``cost.*``
    metrics, a scenario without [costs])."""
    if not any(names.is_cost(m) for p in saved.points for m in p.stats):
        return ""
    rows = [r for r in names.cost_rows() if any(r[1] in p.stats for p in saved.points)]
    labels = [marked(saved, i) for i in range(len(saved.points))]
    if len(saved.points) <= 6:
        head = ["", *labels] if len(saved.points) > 1 else ["", marked(saved, 0, "estimate")]
        body = [
            [label, *(number(p.stats.get(key), digits=0) for p in saved.points)]
            for label, key in rows
        ]
        body_table = table(head, body, "numbers")
    else:
        head = [" and ".join(saved.keys) or "point", *(label for label, _ in rows)]
        body = [
            [labels[i], *(number(p.stats.get(key), digits=0) for _, key in rows)]
            for i, p in enumerate(saved.points)
        ]
        body_table = table(head, body, "numbers wide")
    return f'<h3>Costs and harms</h3>\n{body_table}\n<p class="sub">{esc(COSTS_NOTE)}</p>'
