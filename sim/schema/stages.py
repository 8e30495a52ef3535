"""Time Release Study stages around the checks that need no officers of the station kind:
unloading to the warehouse, payment of duties, exit from customs control, and a trader's answer
to a check's query. Each is a delay drawn from a distribution, optionally ending in a roster's
opening hours."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from sim.distributions import Distribution
from sim.schema.base import _Table

_Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]

ALWAYS_OPEN = "24/7"


class Stage(_Table):
    """A delay with no queue: it ends ``delay_hours`` after it starts, at the next opening of
    ``roster`` if that is closed then."""

    delay_hours: Distribution = Field(description="How long the stage takes, in hours.")
    roster: str = Field(ALWAYS_OPEN, description="'24/7' or the name of a [rosters] table.")


class Unloading(Stage):
    """``[unloading]``: arrival of the means of transport to the goods ready in the warehouse."""


class Payment(Stage):
    """``[payment]``: payment of duties and taxes, after the checks and before release."""

    share: float = Field(
        1.0, ge=0, le=1, description="Share of declarations that pay at the border (0-1)."
    )
    deferred_for_aeo: bool = Field(
        True,
        description="AEO traders pay later, by periodic account, and skip the stage.",
    )
    commodities: list[_Name] = Field(
        default_factory=list, description="Commodities whose shipments pay; empty means all."
    )


class Exit(Stage):
    """``[exit]``: release to exit from customs control (pick-up by the importer)."""


class Query(_Table):
    """``[checks.<name>.query]``: a question to the trader."""

    share: float = Field(ge=0, le=1, description="Chance that the check asks a question.")
    answer_hours: Distribution = Field(description="The trader's time to answer, in hours.")
