"""Risk-management policies, one module per family, found by the ``kind`` of ``[policy]``.

A policy is one base selection (``kind``: random, quota, profiles, risk_score,
capacity_aware, learning, or a registered plug-in) plus any modifiers (aeo, prearrival, priority,
alerts, operations) and a minimum random rate; :mod:`sim.policies.selectivity` combines them.
"""

from __future__ import annotations

from sim.policies.base import (
    COMMON_KEYS,
    BorderView,
    Decision,
    Declaration,
    Policy,
    PolicyConfig,
    PolicyContext,
    PolicyError,
    RecordsView,
)
from sim.policies.learning import Learned, Learning
from sim.policies.plugins import (
    PluginError,
    check_plugin,
    load_plugin,
    load_plugins,
    policy_factory,
    register_plugin,
    replacement,
)
from sim.policies.profiles import Profiles
from sim.policies.quota import Quota
from sim.policies.random import RandomSelection
from sim.policies.registry import POLICIES, make_policy, register_policy, validate_policy
from sim.policies.risk_score import CapacityAware, RiskScore
from sim.policies.selectivity import REASONS, Selectivity, check_common

__all__ = [
    "COMMON_KEYS",
    "POLICIES",
    "REASONS",
    "BorderView",
    "CapacityAware",
    "Declaration",
    "Decision",
    "Learned",
    "Learning",
    "PluginError",
    "Policy",
    "PolicyConfig",
    "PolicyContext",
    "PolicyError",
    "Profiles",
    "Quota",
    "RandomSelection",
    "RecordsView",
    "RiskScore",
    "Selectivity",
    "check_common",
    "check_plugin",
    "load_plugin",
    "load_plugins",
    "make_policy",
    "policy_factory",
    "register_plugin",
    "register_policy",
    "replacement",
    "validate_policy",
]
