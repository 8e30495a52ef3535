"""``[costs]``: prices of delay, officers' hours, spoiled goods and the harm of illicit goods
leaked, from which the cost metrics are computed."""

from __future__ import annotations

from sim.schema.base import _Table


class Costs(_Table):
    """``[costs]``: optional prices (US dollars); a missing price is 0."""
