"""Risk scoring: each declaration gets a score from a targeting model of stated quality.

Real practice: automated targeting (WCO SAFE Framework risk management; a scoring model that
puts about 80% of offences in the top 30% of declarations, Grigoriou, World Customs Journal).
The model's quality is its ROC AUC, separately by illicit kind: a paper check spots a fake
far more easily than an under-dosed batch. Scores are binormal: N(0, 1) for legitimate
shipments and N(d, 1) for illicit kind k, with d = sqrt(2) Phi^-1(AUC_k). They are drawn
before the run from their own stream, so every policy sees the same score for a shipment.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from sim.policies.base import (
    BorderView,
    Declaration,
    Policy,
    PolicyConfig,
    PolicyContext,
    RecordsView,
)
from sim.policies.fields import AUC, PositiveHours, Problems, Rate, Window
from sim.policies.ranking import RollingRank
from sim.schema import INSPECTION_KINDS, Name, Scenario


class RiskScoreConfig(PolicyConfig):
    """``[policy] kind = "risk_score"``."""

    kind: Literal["risk_score"]
    auc: AUC = Field(
        description="ROC AUC of the targeting model, one number or a table by illicit kind "
        "(0.6-0.9 is realistic, sources 'Targeting quality'); 0.5 is no better than chance."
    )
    lane: Name = Field("red", description="Lane of the selected declarations.")
    threshold: Annotated[float, Field(ge=-10, le=10, strict=True)] | None = Field(
        None,
        description="Select when the score is at least this. Legitimate scores are N(0, 1): "
        "1.645 selects about 5% of them. Give threshold or budget.",
    )
    budget: Rate | None = Field(
        None,
        description="Select the riskiest share of declarations: those whose score is in the top "
        "budget of the last `window` declarations' scores. Give threshold or budget.",
    )
    window: Window = Field(1000, description="Declarations the budget looks back over.")

    @model_validator(mode="after")
    def _one_rule(self) -> RiskScoreConfig:
        if (self.threshold is None) == (self.budget is None):
            both = "not both" if self.threshold is not None else "one is needed"
            raise ValueError(
                f"give either threshold (a score) or budget (a share of declarations), {both}"
            )
        return self


class RiskScore(Policy):
    """Selects the declarations whose risk score is high: above a threshold, or in the top
    budget share of recent scores."""

    reads_border = False

    kind = "risk_score"
    Config = RiskScoreConfig

    @classmethod
    def check(cls, config: RiskScoreConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        problems.lane("policy.lane", config.lane)
        return problems

    def start(self, context: PolicyContext) -> None:
        c = self.config
        self._lane, self._default = c.lane, c.default_lane
        self._threshold = c.threshold
        # (a budget of 1 selects all: even the lowest score, above which all others are)
        self._budget = math.inf if c.budget is not None and c.budget >= 1 else c.budget
        self._rank = RollingRank(c.window)

    def select(self, declaration: Declaration, border: BorderView) -> str:
        if self._threshold is not None:
            return self._lane if declaration.risk_score >= self._threshold else self._default
        above = self._rank.above(declaration.risk_score)
        return self._lane if above < self._budget else self._default

    def select_many(
        self, ids: np.ndarray, records: RecordsView
    ) -> tuple[np.ndarray, list[str]] | None:
        """:meth:`select` for many declarations at once; only with a threshold (a budget ranks
        each score against the ones before it)."""
        if self._threshold is None:
            return None
        above = records.risk_score[ids] >= self._threshold  # NaN: False, as in select()
        return np.where(above, 0, 1), [self._lane, self._default]


class CapacityAwareConfig(PolicyConfig):
    """``[policy] kind = "capacity_aware"``."""

    kind: Literal["capacity_aware"]
    auc: AUC = Field(description="ROC AUC of the targeting model, as for risk_score.")
    lane: Name = Field("red", description="Lane of the selected declarations.")
    station: Name | None = Field(
        None,
        description="The check whose load is watched; default: the lane's first physical or "
        "scan check.",
    )
    budget: Rate = Field(
        description="Share of declarations selected (the riskiest) while the station keeps up."
    )
    target_wait_hours: PositiveHours = Field(
        description="Wait at the station above which the budget is cut in proportion.",
    )
    min_budget: Rate = Field(0.0, description="The budget is never cut below this.")
    window: Window = Field(1000, description="Declarations the budget looks back over.")


class CapacityAware(Policy):
    """Risk scoring whose budget shrinks as the examination station's wait grows.

    Control rule: the expected wait of a shipment joining the station now is
    W = queue length x mean service time / officers. While W <= target_wait_hours the budget
    is ``budget``; above it, ``budget x target_wait_hours / W`` (at least ``min_budget``).
    Selection is then by rank, as risk_score's budget.
    """

    kind = "capacity_aware"
    Config = CapacityAwareConfig

    @staticmethod
    def watched(config: CapacityAwareConfig, scenario: Scenario) -> str | None:
        if config.station is not None:
            return config.station
        route = scenario.lanes.get(config.lane, [])
        inspections = [c for c in route if scenario.checks[c].kind in INSPECTION_KINDS]
        return (inspections or route or [None])[0]

    @classmethod
    def check(cls, config: CapacityAwareConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        problems.lane("policy.lane", config.lane)
        if config.station is not None:
            problems.check("policy.station", config.station)
        elif config.lane in scenario.lanes and cls.watched(config, scenario) is None:
            msg = f"lane '{config.lane}' has no checks; name the check to watch"
            problems.append(("policy.station", msg))
        if config.min_budget > config.budget:
            msg = f"must be at most budget ({config.budget:g}), got {config.min_budget:g}"
            problems.append(("policy.min_budget", msg))
        return problems

    def start(self, context: PolicyContext) -> None:
        c = self.config
        sc = context.scenario
        self._lane, self._default = c.lane, c.default_lane
        self.station = self.watched(c, sc)
        check = sc.checks[self.station]
        self._hours_per_queued = _mean_service(sc, self.station, c.lane) / check.servers
        self._rank = RollingRank(c.window)

    def budget_now(self, border: BorderView) -> float:
        """The budget under the control rule, from the watched station's queue now."""
        c = self.config
        wait = border.queue_length(self.station) * self._hours_per_queued
        if wait <= c.target_wait_hours:
            return math.inf if c.budget >= 1 else c.budget
        return max(c.min_budget, c.budget * c.target_wait_hours / wait)

    def select(self, declaration: Declaration, border: BorderView) -> str:
        above = self._rank.above(declaration.risk_score)
        return self._lane if above < self.budget_now(border) else self._default


def _mean_service(scenario: Scenario, station: str, lane: str) -> float:
    """Mean hours a shipment sent to ``lane`` takes at ``station``: its commodity's duration
    where the check lists one, else the lane's, else ``duration_hours``, over the commodity
    mix."""
    check = scenario.checks[station]
    if not check.duration_by_lane and not check.duration_by_commodity:
        return check.duration_hours.mean_value
    by_lane = (check.duration_by_lane or {}).get(lane, check.duration_hours)
    by_commodity = check.duration_by_commodity or {}
    return sum(
        c.share * by_commodity.get(name, by_lane).mean_value
        for name, c in scenario.traffic.commodities.items()
    )
