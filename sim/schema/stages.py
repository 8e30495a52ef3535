"""Time Release Study stages around the checks that need no officers of the station kind:
unloading to the warehouse, payment of duties, exit from customs control, and a trader's answer
to a check's query. Each is a delay drawn from a distribution, optionally ending in a roster's
opening hours."""

from __future__ import annotations

from pydantic import Field

from sim.distributions import Distribution
from sim.schema.base import _Table

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


class Exit(Stage):
    """``[exit]``: release to exit from customs control (pick-up by the importer)."""


class Query(_Table):
    """``[checks.<name>.query]``: a question to the trader."""

    share: float = Field(ge=0, le=1, description="Chance that the check asks a question.")
    answer_hours: Distribution = Field(description="The trader's time to answer, in hours.")
