"""The report's numbers: the headline cards of a run, the key table (a run, a comparison with its
paired differences, a sweep with its Pareto marks) and the detail tables by point."""

from __future__ import annotations

from sim.files.read import Saved
from sim.files.text import show
from sim.measure import names
from sim.measure.names import key_rows
from sim.present import contents
from sim.present.markup import Raw, difference, esc, interval, number, table

LEGIT_ROWS = [
    ("Clearance time, legitimate shipments, mean (h)", names.legit("clearance_hours_mean"), False),
    (
        "Clearance time, legitimate shipments, 90th percentile (h)",
        names.legit("clearance_hours_p90"),
        False,
    ),
]


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
    rows = key_rows([float(t) for t in targets])
    return [*LEGIT_ROWS, *rows]


def headline(saved: Saved, time: str) -> str:
    """The key numbers of a run (or of the reference) in large type, with their intervals."""
    p = saved.points[0]
    s = p.stats
    legit, fallback, _ = contents.TIME_METRICS["p90" if time == "p90" else "mean"]
    metric = legit if legit in s else fallback
    words = "90th percentile" if time == "p90" else "mean"
    cold = (
        ", ".join((p.profile.info.get("cold_chain_hours") or {}) if p.profile else [])
        or "cold-chain"
    )
    cards = [
        (
            number(s.get(metric), digits=1).split(" ±")[0] + " h",
            f"to clear a legitimate shipment ({words})",
            interval(s.get(metric)),
        ),
        (
            number(s.get("interception_rate"), True, 0).split(" ±")[0],
            "of illicit shipments intercepted",
            interval(s.get("interception_rate"), True),
        ),
        (
            number(s.get(names.within(24)), True, 1).split(" ±")[0],
            "released within 24 hours",
            interval(s.get(names.within(24)), True),
        ),
        (
            number(s.get("spoiled"), digits=1).split(" ±")[0],
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


def key_table(saved: Saved) -> str:
    """The key metrics: of a run with intervals, of a comparison with paired differences, of a
    sweep one row per point with its Pareto mark."""
    rows = _rows(saved)
    if saved.kind == "run":
        s = saved.points[0].stats
        body = [
            [label, number(s.get(key), pct), interval(s.get(key), pct)]
            for label, key, pct in rows
            if key in s
        ]
        return table(["", "mean ± half-width", "95% confidence interval"], body, "numbers")
    if saved.kind == "compare":
        head = ["", *(p.label for p in saved.points)]
        body = []
        ref = saved.points[0].label
        for label, key, pct in rows:
            if not any(key in p.stats for p in saved.points):
                continue
            body.append([label, *(number(p.stats.get(key), pct) for p in saved.points)])
            body.append(
                [
                    Raw(f'<span class="vs">vs {esc(ref)}</span>'),
                    "",
                    *(difference((p.differences or {}).get(key), pct) for p in saved.points[1:]),
                ]
            )
        return table(head, body, "numbers compare")
    cols = [
        ("legit. clearance h (mean)", names.legit("clearance_hours_mean"), False),
        ("legit. clearance h (P90)", names.legit("clearance_hours_p90"), False),
        ("interception", "interception_rate", True),
        ("inspection", "inspection_rate", True),
        ("within 24 h", names.within(24), True),
        ("spoiled", "spoiled", False),
        ("censored", "censored", False),
    ]
    cols = [c for c in cols if any(c[1] in p.stats for p in saved.points)]
    head = [*saved.keys, "reps", *(c[0] for c in cols), "Pareto"]
    body = []
    for p in saved.points:
        body.append(
            [
                *(show(p.values.get(k)) for k in saved.keys),
                p.replications,
                *(number(p.stats.get(m), pct) for _, m, pct in cols),
                "*" if p.pareto else "",
            ]
        )
    return table(head, body, "numbers sweep")


def _by_point_table(saved: Saved, rows: list[tuple[str, str, bool]]) -> str:
    """Metrics by point: points as columns (a few) or as rows (many)."""
    rows = [r for r in rows if any(r[1] in p.stats for p in saved.points)]
    if not rows:
        return ""
    labels = contents.short_labels(saved)
    if len(saved.points) <= 6:
        head = ["", *labels] if len(saved.points) > 1 else ["", "mean ± half-width"]
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
    segs = [("lodgement (h)", names.LODGEMENT, False)]
    for c in checks:
        segs += [
            (f"{c}: waiting (h)", names.segment(c, "queue"), False),
            (f"{c}: checking (h)", names.segment(c, "service"), False),
        ]
    parts.append(("Time Release Study segments", _by_point_table(saved, segs)))
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
    return "\n".join(f"<h3>{esc(title)}</h3>\n{body}" for title, body in parts if body)
