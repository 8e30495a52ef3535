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

UNLOADING = "segment.unloading"
"""Mean hours per released shipment from arrival to the goods ready in the warehouse
(``[unloading]`` only): the first TRS segment."""
LODGEMENT = "segment.lodgement"
"""Mean hours per released shipment from the goods ready (arrival) to lodgement."""
PARTS = ("queue", "service")
"""The two TRS segments of each check: waiting for it, undergoing it."""
QUERY = "query"
"""A check's third TRS segment, with ``[checks.<name>.query]`` only: awaiting the trader's
answer (``segment.<check>.query``)."""
PAYMENT = "segment.payment"
"""Mean hours per released shipment from customs done to release (``[payment]`` only): the
last TRS segment."""
EXIT = "exit.hours_mean"
"""Mean hours from release to exit from customs control (``[exit]`` only; not clearance)."""
ARRIVAL_TO_EXIT = "exit.arrival_to_exit_hours_mean"
"""Mean hours from arrival to exit of released shipments (``[exit]`` only)."""
_STAGE_SEGMENTS = {UNLOADING, LODGEMENT, PAYMENT}
_LABELS = {
    UNLOADING: "Arrival to goods in the warehouse (unloading)",
    LODGEMENT: "Lodgement of the declaration",
    PAYMENT: "Payment of duties and taxes",
    EXIT: "Release to exit (pick-up)",
    ARRIVAL_TO_EXIT: "Arrival to exit",
}
_PART_LABELS = {
    "queue": "waiting",
    "service": "checking",
    QUERY: "awaiting the trader's answer",
}


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


def segment_label(metric: str) -> str:
    """The Time Release Study Guide's name of a segment (``segment.*``) or of the exit
    figures (``exit.*``): "Lodgement of the declaration", "<check>: waiting", ... The one place
    these labels are spelt; a metric it does not know reads as itself."""
    if metric in _LABELS:
        return _LABELS[metric]
    if is_segment(metric):
        _, check_name, part = metric.split(".", 2)
        if part in _PART_LABELS:
            return f"{check_name}: {_PART_LABELS[part]}"
    return metric


def segment_order(metrics: Iterable[str], checks: Iterable[str] | None = None) -> list[str]:
    """The TRS segments among ``metrics`` in the order of the milestones: unloading,
    lodgement, each check's waiting, checking and answer (checks in ``checks`` order, else
    as found), payment."""
    found = [m for m in metrics if is_segment(m)]
    order = list(checks) if checks is not None else []
    for m in found:
        if m not in _STAGE_SEGMENTS and m.split(".")[1] not in order:
            order.append(m.split(".")[1])
    ranked = [UNLOADING, LODGEMENT]
    for c in order:
        ranked += [segment(c, part) for part in (*PARTS, QUERY)]
    ranked.append(PAYMENT)
    present = set(found)
    return [m for m in ranked if m in present]


def station(name: str, stat: str) -> str:
    """A station's statistic over the window: ``station.<name>.<stat>``."""
    return f"station.{name}.{stat}"


QUEUE_CLASSES = ("priority", "non_priority")
"""A station's queue classes: shipments queued with priority, and the others."""


def station_class(name: str, group: str, stat: str) -> str:
    """A station's statistic over the visits of one queue class (of :data:`QUEUE_CLASSES`,
    as queued): ``station.<name>.<group>.<stat>``."""
    return f"station.{name}.{group}.{stat}"


def station_commodity(name: str, commodity_name: str, stat: str) -> str:
    """A station's statistic over the visits of one commodity's shipments:
    ``station.<name>.commodity.<commodity>.<stat>``."""
    return f"station.{name}.commodity.{commodity_name}.{stat}"


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


def network(stat: str) -> str:
    """A figure of a whole network of offices: ``network.interception_rate``."""
    return f"network.{stat}"


def office(name: str, stat: str) -> str:
    """A figure of one office of a network: ``office.port.interception_rate``."""
    return _join("office", name, stat)


NETWORK_FAMILIES = ("network", "office")
"""Families of :mod:`sim.measure.network`: the network's figures and each office's."""
NETWORK_COUNTS = {"shipments", "released", "intercepted", "illicit", "leaks", "censored"}
NETWORK_AMOUNTS = {"harm", "leaked_value_usd"}
SHARING_COUNTS = {"sharing.seizures", "sharing.flagged", "sharing.flagged_illicit"}
"""Counts of shared seizures: made at a sharing office, and declarations they flagged."""


def _network_parts(metric: str) -> tuple[str, str] | None:
    """(prefix, statistic) of a ``network.*`` or ``office.<name>.*`` metric, else None:
    ``("office.port", "leaks")``."""
    if metric.startswith("network."):
        return "network", metric[len("network.") :]
    parts = split(metric)
    if parts is not None and parts[0] == "office":
        return f"office.{parts[1]}", parts[2]
    return None


ADVERSARY_SHIFT = "adversary.shift"
"""Share of the illicit flow that traffickers who adapt moved from their first shares."""
ADVERSARY_DISPLACED = "adversary.displaced"
"""Counted shipments illicit only because the adaptive flow moved there."""
ADVERSARY_ROUTES = ("adversary.share.", "adversary.loss.")
"""Prefixes of the adaptive flow's share and estimated loss rate by route (``.<route>``)."""


COST_PARTS = ("delay", "officers", "checks", "spoiled", "harm")
"""The costs that ``cost.total`` adds up (see :mod:`sim.measure.costs`)."""
GOODS_OUTCOMES, GOODS_STATS = ("spoiled", "leaked"), ("value_usd", "units")
"""Goods spoiled or leaked (illicit, released), summed as declared value or as units."""
OFFICER_HOURS = "officer_hours"
"""Officer-hours (and machine-hours) on duty at every check in the window."""


def cost(part: str) -> str:
    """A cost in US dollars (a part of :data:`COST_PARTS`, ``total`` or ``per_shipment``):
    ``cost.<part>``."""
    return f"cost.{part}"


def goods(outcome: str, stat: str) -> str:
    """The declared value or units of goods spoiled or leaked: ``<spoiled|leaked>.<value_usd|
    units>``."""
    return f"{outcome}.{stat}"


def targeting(stat: str) -> str:
    """A learning policy's model (:mod:`sim.measure.learning`): ``targeting.auc``."""
    return f"targeting.{stat}"


def targeting_period(k: int) -> str:
    """The AUC of a learning policy's scores in retraining period ``k``:
    ``targeting.auc_period_<k>``."""
    return f"targeting.auc_period_{k}"


# --------------------------------------------------------------------------- reading names back


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def is_segment(metric: str) -> bool:
    """Whether a metric is a TRS segment (unloading, lodgement, a check's queue, service or
    query, payment)."""
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
    stages = {m.split(".")[1] for m in _STAGE_SEGMENTS}
    return sorted({m.split(".")[1] for m in metrics if is_segment(m)} - stages)


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


def station_commodities(metrics: Iterable[str], name: str) -> list[str]:
    """The commodities with a ``station.<name>.commodity.<commodity>.*`` metric, in the
    summary's order."""
    head = f"station.{name}.commodity."
    return _unique(m[len(head) :].split(".")[0] for m in metrics if m.startswith(head))


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
    "targeting.trainings",
    "targeting.training_outcomes",
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


def is_cost(metric: str) -> bool:
    """Whether a metric is a cost (``cost.*``, US dollars)."""
    return metric.startswith("cost.")


def is_amount(metric: str) -> bool:
    """Whether a metric is a sum of money, goods or hours (a cost, a value, units, officer
    hours): never below 0, not a count of events (its interval is a t-interval)."""
    if is_cost(metric) or metric == OFFICER_HOURS:
        return True
    net = _network_parts(metric)
    if net is not None:
        return net[1] in NETWORK_AMOUNTS
    outcome, _, stat = metric.partition(".")
    return outcome in GOODS_OUTCOMES and stat in GOODS_STATS


def is_count(metric: str) -> bool:
    """Whether a metric counts shipments or events in a replication (never below 0)."""
    if is_amount(metric):
        return False
    if metric in _COUNTS or metric == ADVERSARY_DISPLACED:
        return True
    if metric.startswith(("intercepted_at.", "leaked_via.")):
        return True
    if metric in SHARING_COUNTS:
        return True
    net = _network_parts(metric)
    if net is not None:
        return net[1] in NETWORK_COUNTS
    parts = split(metric)
    if parts is None:
        return False
    family, _, stat = parts
    if family == "station":  # a class's too: station.<name>.<class>.arrivals
        stat = stat.rpartition(".")[2]
    return stat in _COUNT_FAMILIES.get(family, ())


def denominator(metric: str) -> str | None:
    """The count metric that a share is a share of (``interception_rate`` of ``illicit``), so
    that shares can be pooled over replications; None for a metric that is not such a share."""
    if metric in _SHARES:
        return _SHARES[metric]
    net = _network_parts(metric)
    if net is not None:
        below = {"interception_rate": "illicit", "within_24h_share": "released"}.get(net[1])
        return f"{net[0]}.{below}" if below else None
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
        denominator(metric) is not None
        or metric in ("overloaded", ADVERSARY_SHIFT)
        or metric.startswith(ADVERSARY_ROUTES)
        or metric.endswith("auc_realised")
        or metric.startswith(("targeting.auc", "targeting.training_illicit_share"))
    )


# --------------------------------------------------------------------------- for people


def cost_rows() -> list[tuple[str, str]]:
    """(label, metric) of the costs and the goods and hours they price, in the order shown;
    money in US dollars."""
    return [
        ("Delay (traders), US$", cost("delay")),
        ("Officers' hours (administration), US$", cost("officers")),
        ("Checks carried out (administration), US$", cost("checks")),
        ("Spoiled goods (traders), US$", cost("spoiled")),
        ("Harm of illicit goods leaked (public), US$", cost("harm")),
        ("Total, US$", cost("total")),
        ("Total per shipment, US$", cost("per_shipment")),
        ("Spoiled goods, declared value US$", goods("spoiled", "value_usd")),
        ("Spoiled goods, units", goods("spoiled", "units")),
        ("Illicit goods leaked, declared value US$", goods("leaked", "value_usd")),
        ("Illicit goods leaked, units", goods("leaked", "units")),
        ("Officer-hours on duty", OFFICER_HOURS),
    ]


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


_WORDS = {
    "clearance_hours_mean": "mean clearance time",
    "clearance_hours_median": "median clearance time",
    "clearance_hours_p90": "90th-percentile clearance time",
    "interception_rate": "share of illicit shipments intercepted",
    "hit_rate": "share of inspections finding illicit goods",
    "inspection_rate": "share of shipments inspected (physical or scan)",
    "selection_rate": "share of shipments selected for a check",
    "leaks": "illicit shipments released",
    "spoiled": "spoiled cold-chain shipments",
    "censored": "shipments still inside at the end",
    "shipments": "shipments",
    "intercepted": "illicit shipments intercepted",
    "wait_hours_mean": "mean wait",
    "utilisation": "utilisation",
    "queue_max": "longest queue",
    "queue_mean": "mean queue",
    ADVERSARY_SHIFT: "share of the illicit flow moved to other routes",
    ADVERSARY_DISPLACED: "illicit shipments moved to other routes",
    "targeting.auc": "AUC of the learning model's scores",
    "targeting.trainings": "trainings of the learning model",
    "targeting.training_outcomes": "inspected outcomes the learning model last trained on",
    "targeting.training_illicit_share": "share of the learning model's last training outcomes "
    "found illicit",
}
_FAMILY_WORDS = {"commodity": "{name}", "lane": "{name} lane", "kind": "{name}"}
_SHARING_WORDS = {
    "sharing.seizures": "seizures shared between offices",
    "sharing.flagged": "declarations flagged by shared seizures",
    "sharing.flagged_illicit": "illicit declarations flagged by shared seizures",
}
_NETWORK_WORDS = {
    "interception_rate": "share of illicit shipments intercepted",
    "clearance_hours_mean": "mean clearance time of released shipments",
    "within_24h_share": "share of released shipments released within 24 h",
    "leaks": "illicit shipments released",
    "intercepted": "shipments intercepted",
    "illicit": "illicit shipments",
    "harm": "harm of illicit goods leaked",
    "leaked_value_usd": "declared value of illicit goods leaked",
}


def unit(metric: str) -> str:
    """How a metric's value reads: ``%`` (a share, shown as a percentage), ``h`` (hours),
    ``count`` (shipments or events per run), ``US$``, or ``""``."""
    if is_cost(metric):
        return "US$"
    net = _network_parts(metric)
    if net is not None and net[1] in NETWORK_AMOUNTS:
        return "US$"
    last = metric.rpartition(".")[2]
    if at_most_one(metric) or last.endswith(("_share", "_rate", "utilisation", "share")):
        return "%"
    if is_count(metric) or last in _COUNTS or last in ("queue_max", "queue_mean"):
        return "count"
    if "hours" in metric or is_segment(metric):
        return "h"
    return ""


def words(metric: str) -> str:
    """A metric in plain words, for a sentence: "mean clearance time", "vaccine mean clearance
    time", "share released within 24 h"; a metric it does not know reads as its name with
    spaces for dots and underscores."""
    hours = within_hours(metric)
    if hours is not None:
        return f"share released within {hours:g} h"
    if metric in SHARING_COUNTS:
        return _SHARING_WORDS[metric]
    net = _network_parts(metric)
    if net is not None:
        where = "across the network" if net[0] == "network" else f"at office {net[0][7:]}"
        return f"{_NETWORK_WORDS.get(net[1], net[1].replace('_', ' '))} {where}"
    if metric.startswith(ADVERSARY_ROUTES):
        what, route = metric.split(".", 2)[1:]
        if what == "share":
            return f"share of the illicit flow on route {route}"
        return f"share of illicit shipments seized on route {route}, as traffickers estimate it"
    if metric in _WORDS:
        return _WORDS[metric]
    if metric.startswith("targeting.auc_period_"):
        period = metric.rpartition("_")[2]
        return f"AUC of the learning model's scores in retraining period {period}"
    if is_segment(metric) or metric.startswith("exit."):
        return segment_label(metric)
    parts = split(metric)
    if parts is not None:
        family, name, stat = parts
        if family in _FAMILY_WORDS and (stat in _WORDS or within_hours(stat) is not None):
            who = _FAMILY_WORDS[family].format(name=name)
            if stat == "interception_rate":
                return f"share of illicit {who} shipments intercepted"
            inner = words(stat)
            if inner.startswith("share "):
                return inner.replace("share ", f"share of {who} shipments ", 1).replace(
                    "shipments shipments", "shipments"
                )
            return f"{who} {inner}"
        if family == "lane" and stat == "share":
            return f"share of shipments sent to the {name} lane"
        if family == "station" and stat in _WORDS:
            return f"{_WORDS[stat]} at {name}"
    return metric.replace(".", " ").replace("_", " ")
