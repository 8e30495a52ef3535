"""How an experiment runs: one :class:`RunOptions` object instead of the same keyword
arguments written out at every level.

``sim.run``, ``sim.compare`` and ``sim.sweep`` build it from their keyword arguments, the
command line from its flags, once; the engine reads what it needs from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.executors import Executor
from sim.policies import Policy, PolicyError, load_plugins, policy_factory, register_plugin
from sim.schema import Scenario


class ExperimentError(Exception):
    """Arguments of an experiment that cannot work together (not a scenario problem)."""


@dataclass(frozen=True)
class PolicySource:
    """A policy given from Python instead of the scenario's ``[policy]``: a ``sim.Policy``
    subclass (made with its default settings), a ``"module:Class"`` spec, or a zero-argument
    factory. One fresh object is made for each replication, in the process that runs it."""

    obj: Any

    def make(self) -> Policy:
        return policy_factory(self.obj)()

    def describe(self) -> str:
        obj = self.obj
        if isinstance(obj, str):
            return obj
        name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return f"{getattr(obj, '__module__', '?')}:{name}"

    @classmethod
    def of(cls, policy: Any) -> PolicySource | None:
        """Check ``policy`` here, in this process, so a mistake is reported before any run."""
        if policy is None:
            return None
        if isinstance(policy, PolicySource):
            return policy
        if isinstance(policy, str):
            register_plugin(policy)
            return cls(policy.strip())
        try:
            policy_factory(policy)
        except PolicyError as exc:
            raise ExperimentError(str(exc)) from None
        return cls(policy)


@dataclass(frozen=True)
class RunOptions:
    """Everything ``run``, ``compare`` and ``sweep`` share about how to run (see
    :func:`sim.run` for what each means). Build it with :meth:`of`, which loads the plug-ins
    and checks the policy before anything runs."""

    replications: int | str | None = None
    """A whole number, ``"auto"`` (with ``precision`` and ``max_replications``), or None for
    the scenario's."""
    seed: int | None = None
    precision: float | None = None
    max_replications: int | None = None
    overrides: tuple[str, ...] = ()
    """``--set`` overrides, applied to every scenario before anything else."""
    policy: PolicySource | None = None
    plugins: tuple[str, ...] = ()
    trace: bool = False
    executor: str | Executor | None = None
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None
    out: str | Path | None = None
    resume: str | Path | None = None
    format: str = "csv"
    command: list[str] | None = None
    """The command line, as the manifest records it."""

    @classmethod
    def of(
        cls,
        *,
        policy: Any = None,
        plugins: Iterable[str] = (),
        overrides: Iterable[str] = (),
        **settings: Any,
    ) -> RunOptions:
        """From keyword arguments as the public functions take them: the plug-ins are loaded
        first, so that a policy given by name can be one of them, then the policy is checked."""
        plugins = tuple(plugins)
        load_plugins(plugins)
        return cls(
            policy=PolicySource.of(policy),
            plugins=plugins,
            overrides=tuple(overrides),
            **settings,
        )

    @property
    def fixed(self) -> int | None:
        """The replications, when given as a whole number."""
        count = self.replications
        if isinstance(count, int | np.integer) and not isinstance(count, bool):
            return int(count)
        return None

    def common_seed(self, first: Scenario) -> int:
        """The seed every point shares (common random numbers): this one, else the first
        scenario's."""
        return first.scenario.seed if self.seed is None else int(self.seed)

    def policy_name(self) -> str | None:
        """The policy that replaces the scenarios' ``[policy]``, as results record it."""
        return self.policy.describe() if self.policy is not None else None
