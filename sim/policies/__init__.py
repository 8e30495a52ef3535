"""Risk-management policies, one module per family, found by the ``kind`` of ``[policy]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from sim.policies.base import BorderView, Decision, Declaration, Policy, PolicyConfig, PolicyContext
from sim.policies.random import RandomSelection

if TYPE_CHECKING:
    from sim.scenario import Scenario

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


register_policy(RandomSelection)


def validate_policy(scenario: Scenario) -> tuple[PolicyConfig | None, list[tuple[str, str]]]:
    """Validate ``[policy]`` against its kind's schema and the rest of the scenario."""
    from sim.scenario import problems_from, quote_name, suggest

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
    return config, cls.check(config, scenario)


def make_policy(scenario: Scenario) -> Policy:
    """A fresh policy object for one replication of the scenario."""
    config = scenario.policy_config
    return POLICIES[config.kind](config)


__all__ = [
    "POLICIES",
    "BorderView",
    "Declaration",
    "Decision",
    "Policy",
    "PolicyConfig",
    "PolicyContext",
    "RandomSelection",
    "make_policy",
    "register_policy",
    "validate_policy",
]
