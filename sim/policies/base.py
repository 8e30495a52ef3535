"""What a risk-management policy sees and returns.

A policy sees what a customs service would see: the declaration (declared attributes, when it
was lodged) and the state of the border (queues, officers on duty). It never sees the ground
truth. Later additions (a risk score, intelligence alerts) arrive as new attributes of the
declaration, so a policy written today keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.streams import PerShipment


@dataclass(slots=True)
class Declaration:
    """A shipment as customs knows it at selectivity time."""

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
    """Base of every policy's ``[policy]`` table."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    kind: str


class Policy:
    """Base class of risk-management policies.

    Subclasses set ``kind`` (the name typed in scenario files) and ``Config`` (a pydantic model
    of their ``[policy]`` table), and implement :meth:`select`.
    """

    kind: ClassVar[str]
    Config: ClassVar[type[PolicyConfig]]

    def __init__(self, config: PolicyConfig):
        self.config = config

    @classmethod
    def check(cls, config: PolicyConfig, scenario: Scenario) -> list[tuple[str, str]]:
        """Problems of a valid config against the rest of the scenario, as (key path, message)."""
        return []

    def start(self, context: PolicyContext) -> None:
        """Called at the start of each replication, before any shipment."""

    def select(self, declaration: Declaration, border: BorderView) -> Decision | str:
        """The lane for this declaration (a lane name or a :class:`Decision`)."""
        raise NotImplementedError
