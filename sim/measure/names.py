"""Metric names: the one place that says what the keys of a summary are called, how each family
of names is built and read back, and how the key metrics read to a person.

A summary's keys are flat strings: ``clearance_hours_mean``, ``within_24h_share``,
``station.desk.utilisation``. The families with a name in them (a check, a lane, a commodity, a
kind of illicit goods, a trader group, a selection reason) are built here by the metrics and the
figure data, and read back here by whatever shows a saved summary, so that a name is spelt in
one place. Scenario names never hold a dot (see :data:`sim.schema.NAME_RULE`), so a dotted key
splits without doubt.
"""

from __future__ import annotations

from collections.abc import Iterable

KEY_METRICS = (
    "clearance_hours_mean",
    "clearance_hours_median",
    "clearance_hours_p90",
    "within_24h_share",
    "interception_rate",
    "hit_rate",
    "inspection_rate",
    "leaks",
    "spoiled",
    "censored",
)
"""The metrics every summary has, whatever the scenario."""

LODGEMENT = "segment.lodgement"
"""Mean hours per released shipment from arrival to lodgement: the first TRS segment."""
PARTS = ("queue", "service")
"""The two TRS segments of each check: waiting for it, undergoing it."""


# --------------------------------------------------------------------------- building names


def _join(*parts: str | None) -> str:
    return ".".join(p for p in parts if p is not None)


def within(hours: float) -> str:
    """Share released within ``hours``: ``within_<hours>h_share``."""
    return f"within_{hours:g}h_share"


def segment(check: str, part: str) -> str:
    """Mean hours per released shipment waiting for (``queue``) or undergoing (``service``)
    a check: ``segment.<check>.<part>``."""
    return f"segment.{check}.{part}"


def station(name: str, stat: str) -> str:
    """A station's statistic over the window: ``station.<name>.<stat>``."""
    return f"station.{name}.{stat}"


def lane(name: str, stat: str | None = None) -> str:
    """A lane's statistic, ``lane.<name>.<stat>``; without ``stat``, the lane's group of
    shipments in the figure data, ``lane.<name>``."""
    return _join("lane", name, stat)


def commodity(name: str, stat: str | None = None) -> str:
    """A commodity's statistic, ``commodity.<name>.<stat>``; without ``stat``, its group of
    shipments in the figure data, ``commodity.<name>``."""
    return _join("commodity", name, stat)


def kind(name: str, stat: str) -> str:
    """A statistic of one kind of illicit goods: ``kind.<name>.<stat>``."""
    return f"kind.{name}.{stat}"


def trader(group: str, stat: str) -> str:
    """A statistic of a trader group (``aeo`` or ``non_aeo``): ``trader.<group>.<stat>``."""
    return f"trader.{group}.{stat}"


def priority(group: str, stat: str) -> str:
    """A statistic of priority shipments or the others: ``<priority|non_priority>.<stat>``."""
    return f"{group}.{stat}"


def released(stat: str) -> str:
    """A statistic of released shipments alone, shipments still inside left out:
    ``released.<stat>``."""
    return f"released.{stat}"


def check(name: str, stat: str) -> str:
    """A check's count of alarms (``alarms``, ``alarms_confirmed``): ``check.<name>.<stat>``."""
    return f"check.{name}.{stat}"


def legit(stat: str) -> str:
    """A statistic of legitimate shipments alone: ``legit.<stat>``."""
    return f"legit.{stat}"


def selected_by(reason: str, stat: str) -> str:
    """A statistic of shipments selected for one reason: ``selected_by.<reason>.<stat>``."""
    return f"selected_by.{reason}.{stat}"


def intercepted_at(check: str, kind_name: str) -> str:
    """Illicit shipments of a kind intercepted at a check: ``intercepted_at.<check>.<kind>``."""
    return f"intercepted_at.{check}.{kind_name}"


def leaked_via(lane_name: str, kind_name: str) -> str:
    """Illicit shipments of a kind released through a lane: ``leaked_via.<lane>.<kind>``."""
    return f"leaked_via.{lane_name}.{kind_name}"


# --------------------------------------------------------------------------- reading names back


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def is_segment(metric: str) -> bool:
    """Whether a metric is a TRS segment (lodgement or a check's queue or service)."""
    return metric.startswith("segment.")


def within_hours(metric: str) -> float | None:
    """The hours of a ``within_<hours>h_share`` metric; None for any other metric."""
    if not (metric.startswith("within_") and metric.endswith("h_share")):
        return None
    return float(metric[len("within_") : -len("h_share")])


def split(metric: str) -> tuple[str, str, str] | None:
    """(family, name, statistic) of a metric named after a check, lane, commodity, kind of
    illicit goods or group (``station.desk.utilisation`` is ``("station", "desk",
    "utilisation")``); None for a metric of the whole border."""
    family, _, rest = metric.partition(".")
    name, _, stat = rest.partition(".")
    return (family, name, stat) if stat else None


def targets(metrics: Iterable[str]) -> list[float]:
    """The hours of the ``within_<hours>h_share`` metrics, in increasing order."""
    return sorted(h for h in map(within_hours, metrics) if h is not None)


def segment_checks(metrics: Iterable[str]) -> list[str]:
    """The checks with TRS segments, in alphabetical order."""
    return sorted({m.split(".")[1] for m in metrics if is_segment(m)} - {"lodgement"})


def lanes(metrics: Iterable[str]) -> list[str]:
    """The lanes with a ``lane.<name>.share``, in the summary's order."""
    return [m.split(".")[1] for m in metrics if m.startswith("lane.") and m.endswith(".share")]


def kinds(metrics: Iterable[str]) -> list[str]:
    """The kinds of illicit goods with a ``kind.<name>.shipments``, in the summary's order."""
    return [
        m[len("kind.") : -len(".shipments")]
        for m in metrics
        if m.startswith("kind.") and m.endswith(".shipments")
    ]


def commodities(metrics: Iterable[str]) -> list[str]:
    """The commodities with a ``commodity.<name>.*`` metric, in the summary's order."""
    return _unique(m.split(".")[1] for m in metrics if m.startswith("commodity."))


def stations(metrics: Iterable[str]) -> list[str]:
    """The stations with a ``station.<name>.*`` metric, in the summary's order."""
    return _unique(m.split(".")[1] for m in metrics if m.startswith("station."))


# --------------------------------------------------------------------------- what a value can be

_COUNTS = {
    "shipments",
    "released",
    "intercepted",
    "censored",
    "illicit",
    "not_intercepted",
    "inspected",
    "leaks",
    "post_release_detections",
    "spoiled",
    "alerts",
}
_COUNT_FAMILIES = {
    "kind": {"shipments"},
    "trader": {"shipments"},
    "selected_by": {"shipments"},
    "station": {"arrivals", "backlog_end"},
    "check": {"alarms", "alarms_confirmed"},
}
_SHARES = {
    "interception_rate": "illicit",
    "inspection_rate": "shipments",
    "selection_rate": "shipments",
    "censored_share": "shipments",
    "stuck_share": "shipments",
    "hit_rate": "inspected",
    "alerts.precision": "alerts",
    "alerts.coverage": "illicit",
}


def is_count(metric: str) -> bool:
    """Whether a metric counts shipments or events in a replication (never below 0)."""
    if metric in _COUNTS or metric.startswith(("intercepted_at.", "leaked_via.")):
        return True
    parts = split(metric)
    return parts is not None and parts[2] in _COUNT_FAMILIES.get(parts[0], ())


def denominator(metric: str) -> str | None:
    """The count metric that a share is a share of (``interception_rate`` of ``illicit``), so
    that shares can be pooled over replications; None for a metric that is not such a share."""
    if metric in _SHARES:
        return _SHARES[metric]
    if within_hours(metric) is not None:
        return "not_intercepted"  # released within T / shipments not intercepted
    parts = split(metric)
    if parts is None:
        return None
    family, name, stat = parts
    if family == "kind" and stat == "interception_rate":
        return kind(name, "shipments")
    if (family, stat) in (("lane", "share"), ("selected_by", "share")):
        return "shipments"
    if family == "selected_by" and stat == "hit_rate":
        return selected_by(name, "shipments")
    if family == "trader" and stat in ("selection_rate", "inspection_rate"):
        return trader(name, "shipments")
    return None


def at_most_one(metric: str) -> bool:
    """Whether a metric is a share or a probability (between 0 and 1)."""
    return (
        denominator(metric) is not None or metric == "overloaded" or metric.endswith("auc_realised")
    )


# --------------------------------------------------------------------------- for people


def key_rows(target_hours: list[float]) -> list[tuple[str, str, bool]]:
    """(label, metric, is a share) of the metrics every summary shows."""
    rows = [
        ("Clearance time, mean (h)", "clearance_hours_mean", False),
        ("Clearance time, median (h)", "clearance_hours_median", False),
        ("Clearance time, 90th percentile (h)", "clearance_hours_p90", False),
    ]
    rows += [(f"Released within {h:g} h", within(h), True) for h in sorted({*target_hours, 24.0})]
    rows += [
        ("Interception rate (illicit caught)", "interception_rate", True),
        ("Hit rate (inspections finding illicit)", "hit_rate", True),
        ("Inspection rate (physical or scan)", "inspection_rate", True),
        ("Leaks (illicit released)", "leaks", False),
        ("Spoiled cold-chain shipments", "spoiled", False),
        ("Censored (still inside at the end)", "censored", False),
    ]
    return rows
