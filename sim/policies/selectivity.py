"""Selectivity: one base selection (the policy's ``kind``) combined with its modifiers.

For each declaration, in this order:

1. **alerts**: an alerted declaration goes to the alert lane; nothing below can release it
   (no AEO factor, no priority exemption).
2. **base selection**: the policy's ``select`` chooses a lane; any lane other than
   ``default_lane`` counts as selected.
3. **operations**: during an operation, a targeted declaration not yet selected goes to the
   operation's lane with the operation's rate.
4. **minimum random rate**: a declaration still not selected goes to ``random_lane`` if its
   own uniform draw is below ``min_random_rate``. The draw does not depend on risk, so the
   declarations it picks are a random sample of all traffic.
5. **priority exemption**: for a priority commodity, a random or operation selection is
   dropped when ``exempt_from_random``.
6. **AEO**: a selection (other than by alert) of an AEO trader's declaration stands with
   probability ``aeo.factor``.
7. **priority lane**: a priority commodity's lane, whatever chose it, is rerouted
   (``reroute``) and its queue priority set.

Each modifier is one rule of :mod:`sim.policies.rules`, applied here to one declaration
(:meth:`Selectivity.decide`) or to many at once (:meth:`Selectivity.decide_many`, when the
base policy can select many at once). Every draw is the shipment's own (a named per-shipment
stream), so two policies make paired choices. :class:`Selectivity` also tells the border
which signals to compute (risk scores, alerts) and why each declaration was selected
(``REASONS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.base import (
    Decision,
    Declaration,
    Policy,
    PolicyConfig,
    PolicyContext,
    PolicyError,
)
from sim.policies.fields import Problems, by_kind, separation
from sim.policies.rules import (
    ALERT,
    NOT_SELECTED,
    OPERATION,
    POLICY,
    RANDOM,
    REASONS,
    Columns,
    modifier_rules,
    operation_name,
)

if TYPE_CHECKING:
    from sim.schema import Scenario

__all__ = [  # the reason codes, with the rules that set them
    "ALERT",
    "NOT_SELECTED",
    "OPERATION",
    "POLICY",
    "RANDOM",
    "REASONS",
    "Selectivity",
    "check_common",
]


def check_common(config: PolicyConfig, scenario: Scenario) -> list[tuple[str, str]]:
    """Problems of the keys every kind shares (lanes, kinds, commodities named)."""
    p = Problems(scenario)
    t = scenario.traffic
    p.lane("policy.default_lane", config.default_lane)
    if config.min_random_rate > 0:
        p.lane("policy.random_lane", config.random_lane)
    if config.auc is not None:
        p.kinds("policy.auc", config.auc)
    if config.alerts is not None:
        p.lane("policy.alerts.lane", config.alerts.lane)
        p.kinds("policy.alerts.coverage", config.alerts.coverage)
    pr = config.priority
    if pr is not None:
        if pr.commodities is not None:
            p.commodities("policy.priority.commodities", pr.commodities)
        elif not any(c.priority for c in t.commodities.values()):
            msg = (
                "no commodity has priority = true: list the priority commodities, "
                'e.g. commodities = ["vaccine"]'
            )
            p.append(("policy.priority.commodities", msg))
        for lane, to in pr.reroute.items():
            p.lane(f"policy.priority.reroute.{lane}", lane)
            p.lane(f"policy.priority.reroute.{lane}", to)
    seen: set[str] = set()
    end_day = scenario.scenario.days + scenario.scenario.drain_days
    for i, op in enumerate(config.operations):
        path = f"policy.operations[{i}]"
        name = operation_name(op, i)
        if name in seen:
            p.append((f"{path}.name", f"another operation is already called '{name}'"))
        seen.add(name)
        p.lane(f"{path}.lane", op.lane)
        p.commodities(f"{path}.commodities", op.commodities)
        p.names(f"{path}.origins", op.origins, "origin group", list(t.origins))
        if op.start_day >= end_day:
            msg = f"the run ends on day {end_day:g}, so the operation never starts"
            p.append((f"{path}.start_day", msg))
    return p


class Selectivity:
    """The base policy and the modifiers of its config, ready for one replication."""

    def __init__(self, policy: Policy, scenario: Scenario):
        self.policy = policy
        self.kind = getattr(policy, "kind", "") or type(policy).__name__
        cfg = policy.config
        lanes = list(scenario.lanes)
        self.lanes = lanes
        self.lane_index = {name: i for i, name in enumerate(lanes)}
        self.base_reason = RANDOM if getattr(policy, "selects_at_random", False) else POLICY
        default = getattr(cfg, "default_lane", None)
        self.default = self.lane_index.get(default, -1)
        kinds = list(scenario.illicit.kinds)

        def lane(name: str, what: str) -> int:
            if name not in self.lane_index:
                defined = ", ".join(lanes)
                raise PolicyError(
                    f"policy '{self.kind}': {what} {name!r} is not a lane; defined: {defined}"
                )
            return self.lane_index[name]

        auc = getattr(cfg, "auc", None)
        self.separations = None
        if auc is not None:
            self.separations = [separation(a) for a in by_kind(auc, kinds, 0.5)]
        alerts = getattr(cfg, "alerts", None)
        self.alert_p: tuple[list[float], float] | None = None
        if alerts is not None:
            self.alert_p = (by_kind(alerts.coverage, kinds, 0.0), alerts.false_alert_rate)
        self.alert, self.rules, self.priority_lane = modifier_rules(
            cfg, scenario, lane, self.default
        )
        pre = getattr(cfg, "prearrival", None)
        self.prearrival_lead: float | None = pre.lead_hours if pre is not None else None
        if self.default < 0 and any(rule.lane < 0 for rule in self.rules):  # AEO, exemption
            raise PolicyError(
                f"policy '{self.kind}': default_lane {default!r} is not a lane; "
                f"defined: {', '.join(lanes)}"
            )
        self.plain = self.alert is None and not self.rules and self.priority_lane is None

    def start(self, context: PolicyContext) -> None:
        """The base policy's start, and the modifiers' draws (per shipment, named,
        independent of the base)."""
        self.policy.start(context)
        self._select = self.policy.select
        for rule in self.rules:
            rule.bind(context)
        self._unpacked = [rule.unpacked() for rule in self.rules]

    def _base(self, d: Declaration, border) -> tuple[int, bool | None]:
        out = self._select(d, border)
        if out.__class__ is str:
            lane, priority = out, None
        elif isinstance(out, Decision):
            lane, priority = out.lane, out.priority
        else:
            msg = f"policy '{self.kind}' returned {out!r}: expected a lane name or a Decision"
            raise PolicyError(msg)
        k = self.lane_index.get(lane)
        if k is None:
            defined = ", ".join(self.lanes)
            raise PolicyError(f"policy '{self.kind}' chose lane {lane!r}; defined: {defined}")
        return k, priority

    # The rules read by two evaluators, for one declaration and for many: the same conditions
    # in the same order, so the two agree (tests/test_fastpath.py checks it on every modifier).

    def decide(self, d: Declaration, border) -> tuple[int, bool | None, int]:
        """(lane index, queue priority or None for the commodity's, reason code)."""
        if self.plain:
            k, priority = self._base(d, border)
            return k, priority, (NOT_SELECTED if k == self.default else self.base_reason)
        if d.alert and self.alert is not None:  # the alert rule: its one condition
            k, priority, reason = self.alert.lane, None, ALERT
        else:
            k, priority = self._base(d, border)
            reason = NOT_SELECTED if k == self.default else self.base_reason
            for reasons, rule in self._unpacked:  # inline, no call: this path is hot
                if reason not in reasons:
                    continue
                start, end, commodities, origins, aeo, alert, u, rate, below, lane, to = rule
                if (
                    (start is None or start <= border.now < end)
                    and (commodities is None or d.commodity in commodities)
                    and (origins is None or d.origin in origins)
                    and (not aeo or d.aeo)
                    and (not alert or d.alert)
                    and (u is None or (u[d.id] < rate) == below)
                ):
                    k, reason = lane, to
        last = self.priority_lane
        if last is not None and d.commodity in last.commodities:
            k = last.reroute[k]
            if last.queue_priority:
                priority = True
        return k, priority, reason

    def decide_many(self, ids: np.ndarray, now: np.ndarray, records) -> tuple | None:
        """:meth:`decide` for many declarations at once, vectorised: ``(lanes, priority,
        reasons)`` with priority -1 for None (the commodity's), 0 or 1; or None when the base
        policy selects one by one (its :meth:`~sim.policies.base.Policy.select_many` says so).

        Only for a base policy whose selection does not depend on the order of declarations
        or on the border; the results are those of :meth:`decide` called one by one.
        """
        base = self.policy.select_many(ids, records)
        if base is None:
            return None
        choice, names = base
        index = np.array([self.lane_index.get(name, -1) for name in names], dtype=np.int64)
        k = index[choice]
        if np.any(k < 0):
            lane = names[int(choice[np.flatnonzero(k < 0)[0]])]
            defined = ", ".join(self.lanes)
            raise PolicyError(f"policy '{self.kind}' chose lane {lane!r}; defined: {defined}")
        priority = np.full(ids.size, -1, dtype=np.int8)
        reason = np.where(k == self.default, NOT_SELECTED, self.base_reason).astype(np.int8)
        if self.plain:
            return k, priority, reason
        cols = Columns(ids, records)
        # The alert rule first: its reason (ALERT) is one no other rule applies to.
        for rule in [self.alert, *self.rules] if self.alert is not None else self.rules:
            m = rule.reason_table[reason]
            if rule.start is not None:
                m &= (rule.start <= now) & (now < rule.end)
            if rule.commodity_table is not None:
                m &= rule.commodity_table[cols.commodity]
            if rule.origin_table is not None:
                m &= rule.origin_table[cols.origin]
            if rule.aeo:
                m &= cols.aeo
            if rule.alert:
                m &= cols.alert
            if rule.u is not None and m.any():
                u = rule.u.take(ids[m])
                m[m] = u < rule.rate if rule.below else u >= rule.rate
            k[m] = rule.lane
            reason[m] = rule.reason
        last = self.priority_lane
        if last is not None:
            among = last.commodity_table[cols.commodity]
            if last.queue_priority:
                priority[among] = 1
            k[among] = last.reroute_table[k[among]]
        return k, priority, reason
