"""Random selection: each lane gets a fixed share of declarations, drawn at random.

Real practice: the random component of selectivity that WTO TFA Art. 7.4 allows and that
ASYCUDA keeps as a minimum random rate, so that compliance can be measured without bias.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.policies.base import (
    BorderView,
    Declaration,
    Policy,
    PolicyConfig,
    PolicyContext,
    RecordsView,
)
from sim.policies.fields import Problems, Rate
from sim.schema import Name, Scenario


class RandomConfig(PolicyConfig):
    """``[policy] kind = "random"``."""

    kind: Literal["random"]
    rates: dict[Name, Rate] = Field(
        default_factory=dict,
        description="Share of declarations sent to each lane, e.g. { red = 0.05, yellow = 0.15 }.",
    )


class RandomSelection(Policy):
    """Sends each declaration to a lane at random with the configured rates.

    Lanes are filled in the order the rates are written, from one uniform draw per shipment:
    raising one rate keeps every shipment selected before still selected (paired comparisons).
    """

    reads_border = False

    kind = "random"
    Config = RandomConfig
    selects_at_random = True

    @classmethod
    def check(cls, config: RandomConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        for lane in config.rates:
            problems.lane(f"policy.rates.{lane}", lane)
        total = sum(config.rates.values())
        if total > 1 + 1e-9:
            msg = f"rates must sum to at most 1, they sum to {total:.6g}"
            problems.append(("policy.rates", msg))
        return problems

    def start(self, context: PolicyContext) -> None:
        self._u = context.uniforms("random")
        cum = 0.0
        self._cuts = []
        for lane, rate in self.config.rates.items():
            cum += rate
            self._cuts.append((cum, lane))

    def select(self, declaration: Declaration, border: BorderView) -> str:
        u = self._u[declaration.id]
        for cut, lane in self._cuts:
            if u < cut:
                return lane
        return self.config.default_lane

    def select_many(self, ids: np.ndarray, records: RecordsView) -> tuple[np.ndarray, list[str]]:
        """:meth:`select` for many declarations at once: the index of each one's lane in the
        returned names."""
        u = self._u.take(ids)
        names = [lane for _, lane in self._cuts] + [self.config.default_lane]
        choice = np.full(ids.size, len(self._cuts), dtype=np.int64)
        for j in range(len(self._cuts) - 1, -1, -1):  # the first cut above u wins
            choice[u < self._cuts[j][0]] = j
        return choice, names
