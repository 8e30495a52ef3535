"""Modifiers: settings that any base selection can carry, as sub-tables of ``[policy]``.

- ``[policy.aeo]``: Authorized Economic Operators are selected less often;
- ``[policy.prearrival]``: declarations lodged before arrival are processed before arrival;
- ``[policy.priority]``: a priority lane for essential medicines and vaccines;
- ``[policy.alerts]``: CEN-like intelligence alerts send flagged shipments to a lane;
- ``[[policy.operations]]``: time-bounded operations (Operation STOP) add scrutiny.

How they combine with the base selection is :class:`sim.policies.selectivity.Selectivity`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sim.policies.fields import Day, KindShare, PositiveHours, Rate
from sim.schema import Name, end_after_start


class Modifier(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class AEO(Modifier):
    """``[policy.aeo]``: AEO fast track. An AEO trader's declaration that would be selected is
    selected only with probability ``factor`` (one draw per shipment); alerts are exempt."""

    factor: Rate = Field(
        0.2,
        description="Chance that a selection of an AEO trader's declaration stands; 0.2 makes "
        "AEO traders 5 times less likely to be selected (US C-TPAT: 4-6 times).",
    )


class Prearrival(Modifier):
    """``[policy.prearrival]``: pre-arrival processing. Declarations lodged before arrival are
    risk-assessed ``lead_hours`` before the goods arrive; checks on papers (documentary,
    permit) may run before arrival, checks on the goods wait for them, and a shipment cleared
    before arrival is released on arrival."""

    lead_hours: PositiveHours = Field(
        4.0,
        description="Hours before arrival at which customs starts on a pre-lodged declaration "
        "(assumption).",
    )


class Priority(Modifier):
    """``[policy.priority]``: a priority lane for essential medicines and vaccines."""

    commodities: list[Name] | None = Field(
        None,
        max_length=100,
        description="Commodities in the priority lane; default: those with priority = true.",
    )
    queue_priority: bool = Field(
        True,
        description="Priority shipments go first in every queue (WCO Council Resolution, 2020).",
    )
    exempt_from_random: bool = Field(
        False,
        description="Priority shipments are never selected by the minimum random rate or by "
        "operations, only by risk or alerts (risk-based rather than random examination).",
    )
    reroute: dict[Name, Name] = Field(
        default_factory=dict,
        description='Lanes replaced for priority shipments, e.g. { red = "cold_store" }: a '
        "priority shipment selected red is examined in the cold store instead.",
    )


class Alerts(Modifier):
    """``[policy.alerts]``: CEN-like intelligence. A share of illicit shipments is flagged
    before arrival (and some legitimate ones by mistake); flagged shipments go to ``lane``."""

    coverage: KindShare = Field(
        description="Share of illicit shipments flagged, one number or a table by illicit kind "
        "(a kind left out: 0)."
    )
    false_alert_rate: Rate = Field(0.0, description="Share of legitimate shipments flagged.")
    lane: Name = Field("red", description="Lane for alerted shipments, whatever else applies.")


class Operation(Modifier):
    """``[[policy.operations]]``: a time-bounded operation (WCO Operation STOP): from
    ``start_day`` to ``end_day``, declarations of the named commodities and origins not already
    selected are sent to ``lane`` with probability ``rate``."""

    name: Name | None = Field(None, description="Name of the operation; default operationN.")
    start_day: Day = Field(description="Day the operation starts (by selection time).")
    end_day: Annotated[
        float, Field(gt=0, le=3650, strict=True), AfterValidator(end_after_start)
    ] = Field(description="Day the operation ends.")
    commodities: list[Name] = Field(
        default_factory=list, max_length=100, description="Commodities targeted; empty: all."
    )
    origins: list[Name] = Field(
        default_factory=list, max_length=100, description="Origin groups targeted; empty: all."
    )
    rate: Rate = Field(description="Extra selection rate of the targeted declarations.")
    lane: Name = Field("red", description="Lane the operation selects into.")


__all__ = ["AEO", "Alerts", "Modifier", "Operation", "Prearrival", "Priority"]
