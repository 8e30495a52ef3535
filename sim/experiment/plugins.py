"""Policies written in Python, given by name: ``--policy-plugin module:Class``.

Scenario files stay data: code only ever comes in through this explicit flag (or from Python),
never from a file's contents. Loading is :func:`sim.policies.load_plugin`'s job; this module
adds what experiments need on top of it:

- a plug-in class with a ``kind`` is registered, so that a scenario file or a variant can
  select it with ``[policy] kind = "..."`` and give it settings;
- worker processes load the same plug-ins before they run a replication (by name: classes
  travel by reference, never as pickled code from a file).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from sim.policies import POLICIES, Policy, PolicyConfig, register_policy
from sim.policies import load_plugin as _load


class PluginError(Exception):
    """A plug-in that cannot be loaded or used: names the spec and what is wrong."""

    def __init__(self, spec: str, message: str):
        self.spec = spec
        super().__init__(f"--policy-plugin {spec}: {message}")


def load_plugin(spec: str) -> type[Policy]:
    """Import ``module:Class`` and return the class, registered under its ``kind`` if it has
    one (idempotent: loading it again, in any process, is cheap)."""
    try:
        cls = _load(spec)
    except Exception as exc:  # the policy library's PluginError: a plain message
        raise PluginError(spec, str(exc)) from None
    kind = getattr(cls, "kind", "")
    config = getattr(cls, "Config", None)
    registrable = inspect.isclass(config) and issubclass(config, PolicyConfig)
    if isinstance(kind, str) and kind and registrable:
        taken = POLICIES.get(kind)
        if taken is not None and _origin(taken) != _origin(cls):
            raise PluginError(spec, f"kind {kind!r} is already used by {_origin(taken)}")
        if taken is not cls:
            register_policy(cls)
    return cls


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def load_plugins(specs: Iterable[str]) -> list[type[Policy]]:
    return [load_plugin(spec) for spec in specs]


def replacement(specs: list[str], kinds: Iterable[str]) -> str | None:
    """Which plug-in replaces the scenarios' ``[policy]`` on the command line, if any.

    A plug-in that a scenario (or variant) selects by its ``kind`` is used there with that
    file's settings, and then no plug-in replaces anything. Otherwise the one plug-in given
    replaces ``[policy]`` everywhere, with its default settings.
    """
    if not specs:
        return None
    used = set(kinds)
    classes = load_plugins(specs)
    if any(getattr(c, "kind", "") in used for c in classes):
        return None
    if len(specs) > 1:
        raise PluginError(
            specs[1],
            "several plug-ins were given but no scenario selects any of them by kind: give "
            'one to replace [policy], or select each with [policy] kind = "..." in a variant',
        )
    return specs[0]


__all__ = ["PluginError", "load_plugin", "load_plugins", "replacement"]
