"""The Time Release Study breakdown: where the hours between arrival and release go.

Each released shipment's clearance time is split into segments that add up to it exactly;
``segment.*`` metrics are the means of each segment over released shipments, so they add up to
``released.clearance_hours_mean``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.model.records import Records
from sim.schema import Scenario


def mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else math.nan


def segments(scenario: Scenario, rec: Records, released: np.ndarray) -> dict[str, float]:
    """Time Release Study breakdown: mean hours per released shipment in each segment."""
    t = rec.traffic
    arrival = t.arrival
    lodgement = rec.selected[released]
    lodgement -= arrival[released]
    out = {names.LODGEMENT: mean(np.maximum(lodgement, 0.0, out=lodgement))}
    del lodgement
    # Each released shipment's row among the released ones (0 for a shipment not visiting).
    row = np.cumsum(released, dtype=np.int64 if released.size >= 2**31 else np.int32)
    row -= 1
    n_released = int(row[-1]) + 1 if row.size else 0

    def after_arrival(visits, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Only time after arrival is clearance time: work done before arrival (pre-arrival
        # processing) is clipped away, so the segments still add up to the clearance time.
        out = np.zeros(n_released)
        mine = released[visits.sid]
        sid = visits.sid[mine]
        at = arrival[sid]
        out[row[sid]] = np.nan_to_num(np.maximum(b[mine], at) - np.maximum(a[mine], at))
        return out

    for k, (name, check) in enumerate(scenario.checks.items()):
        if check.release_on_guarantee:
            continue
        v = rec.visits[k]
        out[names.segment(name, "queue")] = mean(after_arrival(v, v.enter, v.start))
        out[names.segment(name, "service")] = mean(after_arrival(v, v.start, v.end))
    return out
