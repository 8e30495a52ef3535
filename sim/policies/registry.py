"""The policies a scenario file may name by ``kind``: the built-ins and registered plug-ins.

A scenario file is data: it can only select a kind registered here, never name code to load
(a plug-in comes in through :mod:`sim.policies.plugins`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from sim.policies.base import Policy, PolicyConfig
from sim.policies.learning import Learning
from sim.policies.profiles import Profiles
from sim.policies.quota import Quota
from sim.policies.random import RandomSelection
from sim.policies.risk_score import CapacityAware, RiskScore
from sim.policies.selectivity import check_common
from sim.schema import problems_from, quote_name, suggest

if TYPE_CHECKING:
    from sim.schema import Scenario

POLICIES: dict[str, type[Policy]] = {}


def register_policy(cls: type[Policy]) -> type[Policy]:
    """Make a policy class available to scenario files under its ``kind`` (a decorator too)."""
    if not getattr(cls, "kind", None) or not isinstance(cls.kind, str):
        raise TypeError(f"{cls.__name__} needs a 'kind' string")
    config = getattr(cls, "Config", None)
    if not (isinstance(config, type) and issubclass(config, PolicyConfig)):
        raise TypeError(f"{cls.__name__} needs a 'Config' subclass of PolicyConfig")
    POLICIES[cls.kind] = cls
    return cls


for _cls in (RandomSelection, Quota, Profiles, RiskScore, CapacityAware, Learning):
    register_policy(_cls)


def validate_policy(scenario: Scenario) -> tuple[PolicyConfig | None, list[tuple[str, str]]]:
    """Validate ``[policy]`` against its kind's schema and the rest of the scenario."""
    spec = scenario.policy.model_dump()
    kind = spec.get("kind")
    cls = POLICIES.get(kind)
    if cls is None:
        known = sorted(POLICIES)
        hint = suggest(str(kind), known)
        msg = f"unknown policy {quote_name(str(kind))}"
        msg += f" (did you mean '{hint}'?)" if hint else ""
        return None, [("policy.kind", f"{msg}; allowed: {', '.join(known)}")]
    try:
        config = cls.Config.model_validate(spec)
    except ValidationError as err:
        return None, problems_from(err, prefix=("policy",), model=cls.Config)
    return config, check_common(config, scenario) + list(cls.check(config, scenario))


def make_policy(scenario: Scenario) -> Policy:
    """A fresh policy object for one replication of the scenario."""
    config = scenario.policy_config
    return POLICIES[config.kind](config)
