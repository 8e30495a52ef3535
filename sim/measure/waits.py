"""Waits at each station by class of shipment (priority or not, by commodity)."""

from __future__ import annotations

from sim.model.records import Records
from sim.schema import Scenario


def class_waits(scenario: Scenario, rec: Records) -> dict[str, float]:
    """Mean wait at each station by class of shipment (not yet measured)."""
    return {}
