"""``[adversary]``: traffickers who adapt. Every ``period_days`` they look at what they lost
on each route (the share of their shipments seized) and move part of the illicit flow toward
routes that lost less; how much and how fast is what this table says. The dynamics are in
:mod:`sim.model.adversary`; docs/model.md says what the adversary observes and how it moves.

The illicit volume stays the scenario's own (``[illicit]``): the adversary chooses only where
it goes. Without the table the truth is static, as drawn from ``[illicit]``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from sim.schema.base import _Table

ROUTE_KINDS = ("office", "origin", "commodity", "aeo")
"""What traffickers may choose among: the office of entry (in a ``[network]``), the declared
origin, the commodity declared, and the trader's cover (an AEO's name or not)."""

Route = Literal["office", "origin", "commodity", "aeo"]
_Kind = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]

MAX_SPEED = 100.0
"""Highest ``speed`` accepted: beyond it a period's move is a jump, not an adaptation."""


class Adversary(_Table):
    """``[adversary]``: how the illicit flow moves between routes (see the module)."""

    period_days: float = Field(
        7.0,
        gt=0,
        le=365,
        description="How often traffickers look at their losses and move, in days (the "
        "offices are synchronised at least this often).",
    )
    routes: list[Route] = Field(
        default_factory=lambda: ["office"],
        min_length=1,
        max_length=len(ROUTE_KINDS),
        description="What they choose among: office (the office of entry, in a [network]), "
        "origin, commodity, aeo (trading under an AEO's cover or not). Several: every "
        "combination is a route (office x origin, ...).",
    )
    speed: float = Field(
        0.5,
        ge=0,
        le=MAX_SPEED,
        description="How fast shares move toward routes with lower losses: a route that loses "
        "g more than all others (above switching_cost) sees the odds of its share fall by "
        "exp(-speed x g) a period. 0: nobody moves.",
    )
    switching_cost: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A gap in loss rate (share of shipments seized) below this moves nobody; "
        "above it, only the excess counts.",
    )
    kinds: list[_Kind] = Field(
        default_factory=list,
        max_length=20,
        description="The illicit kinds (of [illicit] kinds) whose traffickers adapt, e.g. "
        "['falsified']: substandard goods are seldom smuggled on purpose; the others keep the "
        "static truth. Empty: every kind.",
    )
    memory: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="Weight of earlier periods in the loss estimate (exponential smoothing): 0 "
        "reads the last period alone.",
    )

    @field_validator("routes", "kinds")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        twice = sorted({x for x in v if v.count(x) > 1})
        if twice:
            raise ValueError(f"each at most once; named more than once: {', '.join(twice)}")
        return v
