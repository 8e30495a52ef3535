"""The modifiers as rules: each says once when it applies and where it sends a declaration.

A :class:`Rule` applies to a declaration whose selection so far has one of its ``reasons``
and that meets every condition it sets (commodity, origin, AEO trader, alert, selection time,
its own per-shipment draw); it then sends the declaration to ``lane`` for ``reason``.
:func:`modifier_rules` writes the rule of each modifier of a ``[policy]``, in the order they
apply; :class:`PriorityLane` is the priority modifier's last word (queue priority, reroute).

Rules are data. :class:`~sim.policies.selectivity.Selectivity` reads them with two small
evaluators side by side, one for one declaration (plain Python: the per-shipment path is the
hottest code of a run) and one for many at once (numpy), so a modifier is never written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.policies.base import PolicyConfig, PolicyContext, RecordsView

if TYPE_CHECKING:
    from sim.schema import Scenario

NOT_SELECTED, POLICY, RANDOM, ALERT, OPERATION = 0, 1, 2, 3, 4
REASONS = ("none", "policy", "random", "alert", "operation")
"""Why a declaration left the default lane, by code (``records.selected_by``)."""

SELECTED = frozenset({POLICY, RANDOM, OPERATION})
"""Reasons of a selection that a modifier may still drop (an alert's may not)."""


def operation_name(op: Any, i: int) -> str:
    return op.name or f"operation{i + 1}"


class Columns:
    """What the rules read of many declarations (``ids``), taken from the records when a rule
    first asks for it."""

    def __init__(self, ids: np.ndarray, records: RecordsView):
        self.ids = ids
        self._records = records

    @cached_property
    def commodity(self) -> np.ndarray:
        return self._records.traffic.commodity[self.ids]

    @cached_property
    def origin(self) -> np.ndarray:
        return self._records.traffic.origin[self.ids]

    @cached_property
    def aeo(self) -> np.ndarray:
        return self._records.traffic.aeo[self.ids]

    @cached_property
    def alert(self) -> np.ndarray:
        return np.asarray(self._records.alert[self.ids], dtype=bool)


def _table(names: frozenset[str] | None, order: list[str]) -> np.ndarray | None:
    """Membership of ``names`` by code (the position in ``order``), for arrays of codes."""
    return None if names is None else np.array([n in names for n in order], dtype=bool)


class Rule:
    """One modifier's rule. A condition left at None (or False) does not restrict it.

    ``window`` is the span of selection times ``[start, end)`` in hours; ``draw`` names the
    rule's per-shipment uniform stream: the rule applies when the draw is below ``rate`` (or,
    with ``below=False``, at or above it). ``u`` is that stream once :meth:`bind` took it.
    """

    __slots__ = (
        "name",
        "reasons",
        "lane",
        "reason",
        "commodities",
        "origins",
        "aeo",
        "alert",
        "start",
        "end",
        "draw",
        "rate",
        "below",
        "u",
        "reason_table",
        "commodity_table",
        "origin_table",
    )

    def __init__(
        self,
        name: str,
        reasons: Iterable[int],
        lane: int,
        reason: int,
        *,
        commodities: Iterable[str] | None = None,
        origins: Iterable[str] | None = None,
        aeo: bool = False,
        alert: bool = False,
        window: tuple[float, float] | None = None,
        draw: str | None = None,
        rate: float = 0.0,
        below: bool = True,
    ):
        self.name = name
        self.reasons = frozenset(reasons)
        self.lane, self.reason = lane, reason
        self.commodities = None if commodities is None else frozenset(commodities)
        self.origins = None if origins is None else frozenset(origins)
        self.aeo, self.alert = aeo, alert
        self.start, self.end = window if window is not None else (None, None)
        self.draw, self.rate, self.below = draw, rate, below
        self.u: Any = None
        self.reason_table = np.array([r in self.reasons for r in range(len(REASONS))])
        self.commodity_table: np.ndarray | None = None
        self.origin_table: np.ndarray | None = None

    def prepare(self, commodities: list[str], origins: list[str]) -> None:
        """The sets named as tables by code (the scenario's orders), for arrays of codes."""
        self.commodity_table = _table(self.commodities, commodities)
        self.origin_table = _table(self.origins, origins)

    def bind(self, context: PolicyContext) -> None:
        """Take the rule's own draws for this replication."""
        self.u = context.uniforms(self.draw) if self.draw is not None else None

    def unpacked(self) -> tuple[frozenset[int], tuple[Any, ...]]:
        """(reasons, the conditions and the effect) as plain values, for the per-shipment
        evaluator."""
        where = (self.start, self.end, self.commodities, self.origins, self.aeo, self.alert)
        return self.reasons, (*where, self.u, self.rate, self.below, self.lane, self.reason)


class PriorityLane:
    """``[policy.priority]`` once every rule has applied: a priority commodity's declaration
    goes first in the queues (``queue_priority``) and its lane ``k`` becomes ``reroute[k]``."""

    def __init__(self, commodities: Iterable[str], queue_priority: bool, reroute: list[int]):
        self.commodities = frozenset(commodities)
        self.queue_priority = queue_priority
        self.reroute = reroute
        self.reroute_table = np.array(reroute, dtype=np.int64)
        self.commodity_table: np.ndarray | None = None

    def prepare(self, commodities: list[str]) -> None:
        self.commodity_table = _table(self.commodities, commodities)


def modifier_rules(
    config: PolicyConfig,
    scenario: Scenario,
    lane: Callable[[str, str], int],
    default: int,
) -> tuple[Rule | None, list[Rule], PriorityLane | None]:
    """The rules of a policy's modifiers: the alert rule (applied before the base selection,
    which it skips), the rules applied after the base selection in order, and the priority
    lane. ``lane`` gives the index of a lane named in a setting (or raises); ``default`` is
    the default lane's index."""
    cfg = config
    # Lanes named in the settings, checked in this order (the first bad one is reported).
    alerts = getattr(cfg, "alerts", None)
    alert_lane = lane(alerts.lane, "alerts.lane") if alerts is not None else -1
    rate = getattr(cfg, "min_random_rate", 0.0)
    random_lane = lane(cfg.random_lane, "random_lane") if rate > 0 else -1
    operations = list(getattr(cfg, "operations", []) or [])
    op_lanes = [lane(op.lane, "operations.lane") for op in operations]
    pr = getattr(cfg, "priority", None)
    aeo = getattr(cfg, "aeo", None)

    alert = None
    if alerts is not None:
        alert = Rule("alerts", range(len(REASONS)), alert_lane, ALERT, alert=True)
    rules = []
    for i, op in enumerate(operations):
        name = operation_name(op, i)
        rules.append(
            Rule(
                f"operation:{name}",
                [NOT_SELECTED],
                op_lanes[i],
                OPERATION,
                commodities=op.commodities or None,
                origins=op.origins or None,
                window=(op.start_day * 24.0, op.end_day * 24.0),
                draw=f"operation:{name}",
                rate=op.rate,
            )
        )
    if rate > 0:
        rules.append(
            Rule("min_random", [NOT_SELECTED], random_lane, RANDOM, draw="min_random", rate=rate)
        )
    priority = None
    if pr is not None:
        names = pr.commodities
        if names is None:
            names = [n for n, c in scenario.traffic.commodities.items() if c.priority]
        reroute = list(range(len(scenario.lanes)))
        for a, b in pr.reroute.items():
            k = lane(a, "reroute")
            reroute[k] = lane(b, "reroute")
        priority = PriorityLane(names, pr.queue_priority, reroute)
        if pr.exempt_from_random:
            rules.append(
                Rule("priority", [RANDOM, OPERATION], default, NOT_SELECTED, commodities=names)
            )
    if aeo is not None:
        # A selection stands when the AEO's draw is below the factor: dropped at or above it.
        rules.append(
            Rule(
                "aeo",
                SELECTED,
                default,
                NOT_SELECTED,
                aeo=True,
                draw="aeo",
                rate=aeo.factor,
                below=False,
            )
        )
    commodities = list(scenario.traffic.commodities)
    origins = list(scenario.traffic.origins)
    for rule in [alert, *rules] if alert is not None else rules:
        rule.prepare(commodities, origins)
    if priority is not None:
        priority.prepare(commodities)
    return alert, rules, priority
