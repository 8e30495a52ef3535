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
5. **priority**: for a priority commodity, a random or operation selection is dropped when
   ``exempt_from_random``; the lane is rerouted (``reroute``); the queue priority is set.
6. **AEO**: a selection (other than by alert) of an AEO trader's declaration stands with
   probability ``aeo.factor``.

Every draw is the shipment's own (a named per-shipment stream), so two policies make paired
choices. :class:`Selectivity` also tells the border which signals to compute (risk scores,
alerts) and why each declaration was selected (``REASONS``).
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

if TYPE_CHECKING:
    from sim.schema import Scenario

NOT_SELECTED, POLICY, RANDOM, ALERT, OPERATION = 0, 1, 2, 3, 4
REASONS = ("none", "policy", "random", "alert", "operation")
"""Why a declaration left the default lane, by code (``records.selected_by``)."""


def operation_name(op, i: int) -> str:
    return op.name or f"operation{i + 1}"


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
        self._commodities = list(scenario.traffic.commodities)
        self._origins = list(scenario.traffic.origins)
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
        self.alert_lane = -1
        self.alert_p: tuple[list[float], float] | None = None
        if alerts is not None:
            self.alert_lane = lane(alerts.lane, "alerts.lane")
            self.alert_p = (by_kind(alerts.coverage, kinds, 0.0), alerts.false_alert_rate)
        self.random_rate = getattr(cfg, "min_random_rate", 0.0)
        self.random_lane = lane(cfg.random_lane, "random_lane") if self.random_rate > 0 else -1
        self._ops_cfg = list(getattr(cfg, "operations", []) or [])
        self._ops_lanes = [lane(op.lane, "operations.lane") for op in self._ops_cfg]
        aeo = getattr(cfg, "aeo", None)
        self.aeo_factor = aeo.factor if aeo is not None else None
        pr = getattr(cfg, "priority", None)
        self.priority_set: frozenset[str] | None = None
        if pr is not None:
            names = pr.commodities
            if names is None:
                names = [n for n, c in scenario.traffic.commodities.items() if c.priority]
            self.priority_set = frozenset(names)
            self.queue_priority = pr.queue_priority
            self.exempt = pr.exempt_from_random
            self.reroute = {lane(a, "reroute"): lane(b, "reroute") for a, b in pr.reroute.items()}
        pre = getattr(cfg, "prearrival", None)
        self.prearrival_lead: float | None = pre.lead_hours if pre is not None else None
        needs_default = self.aeo_factor is not None or (pr is not None and pr.exempt_from_random)
        if self.default < 0 and needs_default:
            raise PolicyError(
                f"policy '{self.kind}': default_lane {default!r} is not a lane; "
                f"defined: {', '.join(lanes)}"
            )
        self.plain = (
            self.alert_lane < 0
            and not self._ops_cfg
            and self.random_rate == 0
            and self.priority_set is None
            and self.aeo_factor is None
        )

    def start(self, context: PolicyContext) -> None:
        """Draw streams of the modifiers (per shipment, named, independent of the base)."""
        self.policy.start(context)
        self._select = self.policy.select
        self.u_random = context.uniforms("min_random") if self.random_rate > 0 else None
        self.u_aeo = context.uniforms("aeo") if self.aeo_factor is not None else None
        self.ops = [
            (
                op.start_day * 24.0,
                op.end_day * 24.0,
                frozenset(op.commodities),
                frozenset(op.origins),
                op.rate,
                context.uniforms(f"operation:{operation_name(op, i)}"),
                self._ops_lanes[i],
            )
            for i, op in enumerate(self._ops_cfg)
        ]

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

    def decide(self, d: Declaration, border) -> tuple[int, bool | None, int]:
        """(lane index, queue priority or None for the commodity's, reason code)."""
        if self.plain:
            k, priority = self._base(d, border)
            return k, priority, (NOT_SELECTED if k == self.default else self.base_reason)
        if d.alert and self.alert_lane >= 0:
            k, priority, reason = self.alert_lane, None, ALERT
        else:
            k, priority = self._base(d, border)
            default = self.default
            reason = NOT_SELECTED if k == default else self.base_reason
            if reason == NOT_SELECTED and self.ops:
                now = border.now
                for start, end, coms, oris, rate, u, lane in self.ops:
                    if (
                        start <= now < end
                        and (not coms or d.commodity in coms)
                        and (not oris or d.origin in oris)
                        and u[d.id] < rate
                    ):
                        k, reason = lane, OPERATION
                        break
            if (
                reason == NOT_SELECTED
                and self.random_rate > 0
                and self.u_random[d.id] < self.random_rate
            ):
                k, reason = self.random_lane, RANDOM
            if (
                self.priority_set is not None
                and self.exempt
                and reason in (RANDOM, OPERATION)
                and d.commodity in self.priority_set
            ):
                k, reason = default, NOT_SELECTED
            if (
                self.aeo_factor is not None
                and d.aeo
                and reason != NOT_SELECTED
                and self.u_aeo[d.id] >= self.aeo_factor
            ):
                k, reason = default, NOT_SELECTED
        if self.priority_set is not None and d.commodity in self.priority_set:
            if self.queue_priority:
                priority = True
            k = self.reroute.get(k, k)
        return k, priority, reason

    def decide_many(self, ids: np.ndarray, now: np.ndarray, records) -> tuple | None:
        """:meth:`decide` for many declarations at once, vectorised: ``(lanes, priority,
        reasons)`` with priority -1 for None (the commodity's), 0 or 1; or None when the base
        policy cannot select many at once (it has no ``_select_many``, or says no).

        Only for a base policy whose selection does not depend on the order of declarations
        or on the border; the results are those of :meth:`decide` called one by one.
        """
        many = getattr(self.policy, "_select_many", None)
        base = many(ids, records) if many is not None else None
        if base is None:
            return None
        choice, names = base
        index = np.array([self.lane_index.get(name, -1) for name in names], dtype=np.int64)
        k = index[choice]
        if np.any(k < 0):
            lane = names[int(choice[np.flatnonzero(k < 0)[0]])]
            defined = ", ".join(self.lanes)
            raise PolicyError(f"policy '{self.kind}' chose lane {lane!r}; defined: {defined}")
        n = ids.size
        priority = np.full(n, -1, dtype=np.int8)
        default = self.default
        reason = np.where(k == default, NOT_SELECTED, self.base_reason).astype(np.int8)
        if self.plain:
            return k, priority, reason
        traffic = records.traffic
        commodity = traffic.commodity[ids]

        def among(names: frozenset[str], codes: np.ndarray, all_names: list[str]) -> np.ndarray:
            table = np.array([name in names for name in all_names], dtype=bool)
            return table[codes]

        if self.ops:
            origin = traffic.origin[ids]
            for start, end, coms, oris, rate, u, lane in self.ops:
                m = (reason == NOT_SELECTED) & (start <= now) & (now < end)
                if coms:
                    m &= among(coms, commodity, self._commodities)
                if oris:
                    m &= among(oris, origin, self._origins)
                if m.any():
                    m[m] = u.take(ids[m]) < rate
                    k[m] = lane
                    reason[m] = OPERATION
        if self.random_rate > 0:
            m = reason == NOT_SELECTED
            if m.any():
                m[m] = self.u_random.take(ids[m]) < self.random_rate
                k[m] = self.random_lane
                reason[m] = RANDOM
        in_priority = None
        if self.priority_set is not None:
            in_priority = among(self.priority_set, commodity, self._commodities)
            if self.exempt:
                m = ((reason == RANDOM) | (reason == OPERATION)) & in_priority
                k[m] = default
                reason[m] = NOT_SELECTED
        if self.aeo_factor is not None:
            m = traffic.aeo[ids] & (reason != NOT_SELECTED)
            if m.any():
                m[m] = self.u_aeo.take(ids[m]) >= self.aeo_factor
                k[m] = default
                reason[m] = NOT_SELECTED
        if self.alert_lane >= 0:  # alerted declarations skip everything above
            m = np.asarray(records.alert[ids], dtype=bool)
            k[m] = self.alert_lane
            priority[m] = -1
            reason[m] = ALERT
        if in_priority is not None:
            if self.queue_priority:
                priority[in_priority] = 1
            if self.reroute:
                table = np.arange(len(self.lanes), dtype=np.int64)
                for a, b in self.reroute.items():
                    table[a] = b
                k[in_priority] = table[k[in_priority]]
        return k, priority, reason
