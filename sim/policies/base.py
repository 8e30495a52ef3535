"""What a risk-management policy sees and returns, and the settings every policy shares.

A policy sees what a customs service would see: the declaration (declared attributes, when it
was lodged, and the noisy signals customs has: the targeting model's risk score and any
intelligence alert) and the state of the border (queues, officers on duty). It never sees the
ground truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.policies.fields import AUC, Rate
from sim.policies.modifiers import AEO, Alerts, Operation, Prearrival, Priority
from sim.schema import Name

if TYPE_CHECKING:
    from sim.schema import Scenario
    from sim.streams import PerShipment


class PolicyError(RuntimeError):
    """A policy returned something the scenario cannot route, or cannot be built."""


@dataclass(slots=True)
class Declaration:
    """A shipment as customs knows it at selectivity time.

    ``risk_score`` is the targeting model's score (higher = riskier; NaN when the policy has no
    targeting model, i.e. no ``auc``); ``alert`` whether an intelligence alert flags it.
    """

    id: int
    arrival_hours: float
    lodged_hours: float
    commodity: str
    origin: str
    compliance: str
    aeo: bool
    prearrival: bool
    priority: bool
    value_usd: float
    risk_score: float = math.nan
    alert: bool = False


@dataclass(slots=True, frozen=True)
class Decision:
    """A policy's answer: the lane, and optionally a queue priority other than the commodity's."""

    lane: str
    priority: bool | None = None


class BorderView(Protocol):
    """The live state of the border that a policy may consult."""

    @property
    def now(self) -> float: ...

    def queue_length(self, check: str) -> int: ...

    def busy(self, check: str) -> int: ...

    def on_duty(self, check: str) -> int: ...

    def inspected_outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        """The shipments examined so far (a physical or scan check started) whose outcome is
        known now, and whether each was intercepted: what a learning model may learn from."""
        ...


class RecordsView(Protocol):
    """What :meth:`Policy.select_many` may read of many declarations at once: arrays indexed
    by shipment id (the border's records). ``traffic`` holds the declared attributes (its
    ``commodity``, ``origin`` and ``compliance`` are codes in the scenario's order; ``aeo``,
    ``prearrival``, ``priority`` and ``value_usd`` as in :class:`Declaration`)."""

    @property
    def traffic(self) -> Any: ...

    @property
    def risk_score(self) -> np.ndarray: ...

    @property
    def alert(self) -> np.ndarray: ...


class PolicyContext:
    """What a policy is given at the start of each replication."""

    def __init__(self, scenario: Scenario, uniforms: Any):
        self.scenario = scenario
        self.lanes = list(scenario.lanes)
        self._uniforms = uniforms

    def uniforms(self, name: str) -> PerShipment:
        """Uniform draws on [0, 1) indexed by shipment id: ``u[decl.id]``. The same shipment
        gets the same draw under every policy, so comparisons are paired."""
        return self._uniforms(f"policy:{name}")


class PolicyConfig(BaseModel):
    """Base of every policy's ``[policy]`` table: the keys every kind accepts.

    A kind adds its own keys by subclassing. The modifiers are sub-tables; leaving one out
    switches it off.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    kind: str
    default_lane: Name = Field(
        "green", description="Lane for declarations that nothing selects (usually release)."
    )
    auc: AUC | None = Field(
        None,
        description="Quality of the targeting model that scores every declaration: its ROC AUC, "
        "one number or a table by illicit kind, e.g. { falsified = 0.85, substandard = 0.65 } "
        "(a kind left out: 0.5). 0.6-0.9 is realistic (sources 'Targeting quality').",
    )
    min_random_rate: Rate = Field(
        0.0,
        description="Share of all declarations selected at random into random_lane, whatever "
        "their risk, so that compliance can be measured (TFA Art. 7.4; ASYCUDA).",
    )
    random_lane: Name = Field("red", description="Lane of the random selections.")
    aeo: AEO | None = Field(None, description="AEO fast track ([policy.aeo]).")
    prearrival: Prearrival | None = Field(
        None, description="Pre-arrival processing ([policy.prearrival])."
    )
    priority: Priority | None = Field(
        None, description="Priority lane for essential medicines ([policy.priority])."
    )
    alerts: Alerts | None = Field(None, description="Intelligence alerts ([policy.alerts]).")
    operations: list[Operation] = Field(
        default_factory=list,
        max_length=100,
        description="Time-bounded operations ([[policy.operations]]).",
    )


COMMON_KEYS = tuple(PolicyConfig.model_fields)
"""Keys every kind of policy accepts (``kind`` first)."""


class Policy:
    """Base class of risk-management policies.

    Subclasses set ``kind`` (the name typed in scenario files), optionally ``Config`` (a
    pydantic model of their ``[policy]`` table, a subclass of :class:`PolicyConfig`), and
    implement :meth:`select`. ``Policy()`` without a config uses the defaults of ``Config``.

    Two declarations choose how the border runs a policy: ``reads_border`` (does
    :meth:`select` look at queues or officers?) and :meth:`select_many` (can it select many
    declarations at once?). A subclass that overrides ``select`` reads the border and selects
    one by one unless it declares otherwise, so an inherited shortcut never disagrees with it.
    """

    kind: ClassVar[str] = ""
    Config: ClassVar[type[PolicyConfig]] = PolicyConfig
    selects_at_random: ClassVar[bool] = False
    """True when the base selection is itself random (its selections count as random ones)."""
    reads_border: ClassVar[bool] = True
    """Whether :meth:`select` reads the border (queues, officers on duty). A policy that never
    does is selected before the run, on the fast path. A subclass that overrides ``select``
    reads the border unless it says otherwise."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "select" in vars(cls):
            if "reads_border" not in vars(cls):
                cls.reads_border = True
            if "select_many" not in vars(cls):
                cls.select_many = Policy.select_many

    def __init__(self, config: PolicyConfig | None = None):
        self.config = config if config is not None else self.default_config()

    @classmethod
    def default_config(cls) -> PolicyConfig:
        """The settings of ``Policy()``: every key at its default."""
        try:
            return cls.Config.model_validate({"kind": cls.kind or cls.__name__})
        except ValidationError as err:
            keys = sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]})
            raise PolicyError(
                f"{cls.__name__} has settings without defaults ({', '.join(keys)}): "
                f"pass them, e.g. {cls.__name__}({cls.__name__}.Config(kind=..., ...))"
            ) from None

    @classmethod
    def check(cls, config: PolicyConfig, scenario: Scenario) -> list[tuple[str, str]]:
        """Problems of a valid config against the rest of the scenario, as (key path, message)."""
        return []

    def start(self, context: PolicyContext) -> None:
        """Called at the start of each replication, before any shipment."""

    def select(self, declaration: Declaration, border: BorderView) -> Decision | str:
        """The lane for this declaration (a lane name or a :class:`Decision`)."""
        raise NotImplementedError

    def finish(self, records: Any) -> None:
        """Called when the run stops, with its records: a policy that learned during the run
        leaves there what it learned (see :mod:`sim.policies.learning`)."""

    def select_many(
        self, ids: np.ndarray, records: RecordsView
    ) -> tuple[np.ndarray, list[str]] | None:
        """:meth:`select` for many declarations at once, vectorised: ``(choice, names)``, where
        ``names[choice[i]]`` is the lane of declaration ``ids[i]``; or None (the default) to be
        selected one by one.

        Only for a policy that does not read the border and whose selection of a declaration
        does not depend on the declarations before it (no rolling rank, no quota count): the
        answer must be exactly what :meth:`select` would give for each id. ``records`` holds
        the declarations' attributes and signals as arrays indexed by shipment id.
        """
        return None
