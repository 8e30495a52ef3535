"""Costs and harms of one replication, priced by the scenario's ``[costs]`` table."""

from __future__ import annotations

import numpy as np

from sim.model.records import Records
from sim.schema import Scenario


def costs(
    scenario: Scenario,
    rec: Records,
    counted: np.ndarray,
    released: np.ndarray,
    censored: np.ndarray,
) -> dict[str, float]:
    """Cost metrics (not yet measured)."""
    return {}
