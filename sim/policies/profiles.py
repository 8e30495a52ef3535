"""Risk profiles: rules on declared attributes that send matching declarations to a lane.

Real practice: selectivity criteria (ASYCUDA; the Revised Kyoto Convention's risk
management): "medicines from a high-risk origin by traders with a poor history go red".
A rule may select only a share of what it matches (a criterion with a percentage).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.policies.base import BorderView, Declaration, Policy, PolicyConfig, PolicyContext
from sim.policies.fields import Problems, Rate
from sim.schema import Name, Scenario

Money = Annotated[float, Field(ge=0, le=1e15, strict=True)]
Score = Annotated[float, Field(ge=-10, le=10, strict=True)]


class Rule(BaseModel):
    """``[[policy.rules]]``: one profile. Every condition given must hold; a list condition
    holds when the declaration's value is in the list."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: Name | None = Field(None, description="Name of the rule; default ruleN.")
    lane: Name = Field(description="Lane of the declarations the rule selects.")
    rate: Rate = Field(1.0, description="Share of the matching declarations it selects.")
    commodities: list[Name] = Field(default_factory=list, max_length=100)
    origins: list[Name] = Field(default_factory=list, max_length=100)
    compliance: list[Name] = Field(
        default_factory=list, max_length=100, description="Traders' compliance history groups."
    )
    aeo: bool | None = Field(None, strict=True, description="AEO trader (true) or not (false).")
    prearrival: bool | None = Field(None, strict=True, description="Lodged before arrival.")
    priority: bool | None = Field(None, strict=True, description="Priority commodity.")
    min_value_usd: Money | None = Field(None, description="Declared value at least this.")
    max_value_usd: Money | None = Field(None, description="Declared value below this.")
    min_score: Score | None = Field(None, description="Risk score at least this (needs auc).")


class ProfilesConfig(PolicyConfig):
    """``[policy] kind = "profiles"``."""

    kind: Literal["profiles"]
    rules: list[Rule] = Field(
        min_length=1,
        max_length=1000,
        description="The profiles, tried in the order written: the first that matches and "
        "selects wins.",
    )


def rule_name(rule: Rule, i: int) -> str:
    return rule.name or f"rule{i + 1}"


class Profiles(Policy):
    """Sends a declaration to the lane of the first rule that matches it and selects it.

    Rules are tried in the order written. A rule with ``rate`` below 1 selects that share of the
    declarations it matches (one draw per shipment and rule); a matching rule that does not
    select leaves the declaration to the next rules. Write the strictest rules first.
    A condition on the value never holds for a commodity without a declared value.
    """

    reads_border = False

    kind = "profiles"
    Config = ProfilesConfig

    @classmethod
    def check(cls, config: ProfilesConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        t = scenario.traffic
        seen: set[str] = set()
        for i, rule in enumerate(config.rules):
            p = f"policy.rules[{i}]"
            name = rule_name(rule, i)
            if name in seen:
                problems.append((f"{p}.name", f"another rule is already called '{name}'"))
            seen.add(name)
            problems.lane(f"{p}.lane", rule.lane)
            problems.commodities(f"{p}.commodities", rule.commodities)
            problems.names(f"{p}.origins", rule.origins, "origin group", list(t.origins))
            problems.names(
                f"{p}.compliance", rule.compliance, "compliance group", list(t.compliance)
            )
            if rule.min_score is not None and config.auc is None:
                msg = "needs a targeting model: set policy.auc"
                problems.append((f"{p}.min_score", msg))
            lo, hi = rule.min_value_usd, rule.max_value_usd
            if lo is not None and hi is not None and hi <= lo:
                msg = f"must be above min_value_usd ({lo:g}), got {hi:g}"
                problems.append((f"{p}.max_value_usd", msg))
        return problems

    def start(self, context: PolicyContext) -> None:
        self._rules = []
        for i, r in enumerate(self.config.rules):
            u = context.uniforms(f"profiles:{rule_name(r, i)}") if r.rate < 1 else None
            self._rules.append(
                (
                    frozenset(r.commodities),
                    frozenset(r.origins),
                    frozenset(r.compliance),
                    r.aeo,
                    r.prearrival,
                    r.priority,
                    -math.inf if r.min_value_usd is None else r.min_value_usd,
                    math.inf if r.max_value_usd is None else r.max_value_usd,
                    r.min_value_usd is not None or r.max_value_usd is not None,
                    r.min_score,
                    r.rate,
                    u,
                    r.lane,
                )
            )

    def select(self, declaration: Declaration, border: BorderView) -> str:
        d = declaration
        for com, ori, cmp, aeo, pre, pri, lo, hi, valued, score, rate, u, lane in self._rules:
            if (
                (com and d.commodity not in com)
                or (ori and d.origin not in ori)
                or (cmp and d.compliance not in cmp)
                or (aeo is not None and d.aeo != aeo)
                or (pre is not None and d.prearrival != pre)
                or (pri is not None and d.priority != pri)
                or (valued and not lo <= d.value_usd < hi)
                or (score is not None and not d.risk_score >= score)
            ):
                continue
            if u is None or u[d.id] < rate:
                return lane
        return self.config.default_lane
