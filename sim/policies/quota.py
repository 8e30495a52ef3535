"""Quotas: an expected rate per lane, matched to capacity, filled by risk.

Real practice: ASYCUDA's selectivity, where each lane has an expected rate set to what its
checks can handle; declarations selected by risk fill the lanes, and a lane that falls short
of its expected rate is topped up from declarations that would have gone green.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

from pydantic import Field

from sim.policies.base import BorderView, Declaration, Policy, PolicyConfig, PolicyContext
from sim.policies.fields import AUC, Problems, Rate, Window
from sim.policies.ranking import RollingRank
from sim.schema import Name, Scenario


class QuotaConfig(PolicyConfig):
    """``[policy] kind = "quota"``."""

    kind: Literal["quota"]
    rates: dict[Name, Rate] = Field(
        min_length=1,
        max_length=50,
        description="Expected rate of each lane, riskiest lane first, e.g. "
        "{ red = 0.05, yellow = 0.15 }; set each to what its checks can handle.",
    )
    auc: AUC = Field(description="ROC AUC of the targeting model that ranks declarations.")
    window: Window = Field(
        1000, description="Declarations the ranking and the expected rates look back over."
    )


class Quota(Policy):
    """Fills each lane to its expected rate with the riskiest declarations, topping up from
    would-be-green ones.

    A declaration's score is ranked against the last `window` scores: the top ``rates[0]``
    share goes to the first lane, the next ``rates[1]`` to the second, and so on. A declaration
    left for the default lane is instead sent to the first lane that is a whole declaration
    behind its expected count over the last `window` declarations (the top-up).
    """

    reads_border = False

    kind = "quota"
    Config = QuotaConfig

    @classmethod
    def check(cls, config: QuotaConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        for lane in config.rates:
            problems.lane(f"policy.rates.{lane}", lane)
        if config.default_lane in config.rates:
            msg = f"'{config.default_lane}' is the default lane; it takes what the rates leave"
            problems.append((f"policy.rates.{config.default_lane}", msg))
        total = sum(config.rates.values())
        if total > 1 + 1e-9:
            msg = f"rates must sum to at most 1, they sum to {total:.6g}"
            problems.append(("policy.rates", msg))
        return problems

    def start(self, context: PolicyContext) -> None:
        c = self.config
        self._lanes = list(c.rates)
        self._rates = list(c.rates.values())
        cum, self._cuts = 0.0, []
        for rate in self._rates:
            cum += rate
            self._cuts.append(math.inf if cum >= 1 - 1e-12 else cum)  # all that is left
        self._rank = RollingRank(c.window)
        self._recent: deque[int] = deque()
        self._counts = [0] * len(self._lanes)
        self._window = c.window

    def select(self, declaration: Declaration, border: BorderView) -> str:
        above = self._rank.above(declaration.risk_score)
        chosen = -1
        for i, cut in enumerate(self._cuts):
            if above < cut:
                chosen = i
                break
        recent, counts = self._recent, self._counts
        if len(recent) == self._window:
            old = recent.popleft()
            if old >= 0:
                counts[old] -= 1
        if chosen < 0:
            n = len(recent) + 1
            for i, rate in enumerate(self._rates):
                if rate * n - counts[i] >= 1.0:
                    chosen = i
                    break
        recent.append(chosen)
        if chosen < 0:
            return self.config.default_lane
        counts[chosen] += 1
        return self._lanes[chosen]
