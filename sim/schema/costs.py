"""``[costs]``: prices of delay, officers' hours, spoiled goods and the harm of illicit goods
leaked, from which the cost metrics are computed (``cost.*``, see docs/model.md).

Every price is optional and 0 when missing, in US dollars, never below 0. Tables keyed by a
name (a commodity, a check, an illicit kind) are checked against the scenario's names by
:func:`sim.schema.checks.cross_check`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from sim.schema.base import _Table

MAX_PRICE = 1e12
"""Highest price accepted (US dollars): sums over a long, busy run stay finite."""

Price = Annotated[float, Field(ge=0, le=MAX_PRICE)]
"""A price in US dollars, 0 or more."""

_Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
"""A commodity, check or illicit kind named in a price table (as :data:`tables.Name`)."""


class Costs(_Table):
    """``[costs]``: optional prices (US dollars); a missing price is 0."""

    delay_per_hour: dict[_Key, Price] = Field(
        default_factory=dict,
        max_length=100,
        description="Cost of one hour in custody of one shipment, by commodity (borne by the "
        "trader: storage, demurrage, a patient waiting).",
    )
    value_share_per_day: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Time value of goods: the share of a shipment's declared value (value_usd) "
        "lost per day in custody.",
    )
    officer_hour: Price = Field(
        0.0, description="Cost of one officer-hour on duty at every check (the administration)."
    )
    check_hour: dict[_Key, Price] = Field(
        default_factory=dict,
        max_length=100,
        description="Cost of one hour on duty of one officer or machine, by check, instead of "
        "officer_hour.",
    )
    per_check: dict[_Key, Price] = Field(
        default_factory=dict,
        max_length=100,
        description="Cost of each check carried out, by check (consumables, a laboratory test).",
    )
    spoiled_unit: dict[_Key, Price] = Field(
        default_factory=dict,
        max_length=100,
        description="Value of one spoiled unit (a dose), by commodity; the commodity must declare "
        "units. Without it, a spoiled shipment costs its declared value.",
    )
    harm_per_unit: dict[_Key, Price] = Field(
        default_factory=dict,
        max_length=20,
        description="Harm of one illicit unit released, by illicit kind (borne by the public); "
        "a shipment whose commodity declares no units counts as one unit.",
    )
