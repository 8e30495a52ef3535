"""The Time Release Study breakdown: where the hours between arrival and release go.

Each released shipment's clearance time is split into segments that add up to it exactly, along
its milestones in order, each clipped to be no earlier than the one before (telescoping):

- ``segment.unloading`` (with ``[unloading]``): ready - arrival;
- ``segment.lodgement``: max(selected, ready) - ready (lodgement work done while the goods are
  unloaded is not counted twice; work before arrival is not clearance time);
- for each check visit, in time order: waiting (``queue``), checking (``service``) and, with a
  query, awaiting the trader's answer (``query``), each clipped at ready;
- ``segment.payment`` (with ``[payment]``): release - cleared.

A shipment's visits follow one another without a gap (it joins the next check the instant the
last one concluded), so the segments add up to release - arrival. ``segment.*`` metrics are the
means of each segment over released shipments, so they add up to
``released.clearance_hours_mean``. The exit figures (``exit.*``, with ``[exit]``) come after
release and are not clearance time.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.model.records import Records, exit_times
from sim.schema import Scenario


def mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else math.nan


def segments(scenario: Scenario, rec: Records, released: np.ndarray) -> dict[str, float]:
    """Time Release Study breakdown: mean hours per released shipment in each segment; and,
    with ``[exit]``, the exit figures of released shipments."""
    t = rec.traffic
    arrival = t.arrival
    ready = t.ready
    out: dict[str, float] = {}
    if scenario.unloading is not None:
        out[names.UNLOADING] = mean(ready[released] - arrival[released])
    lodgement = rec.selected[released]
    lodgement -= ready[released]
    out[names.LODGEMENT] = mean(np.maximum(lodgement, 0.0, out=lodgement))
    del lodgement
    # Each released shipment's row among the released ones (0 for a shipment not visiting).
    row = np.cumsum(released, dtype=np.int64 if released.size >= 2**31 else np.int32)
    row -= 1
    n_released = int(row[-1]) + 1 if row.size else 0

    def after_ready(visits, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Only time after the goods are ready counts here: work done before (pre-arrival
        # processing, documents checked during unloading) is clipped away, so the segments
        # still add up to the clearance time.
        out = np.zeros(n_released)
        mine = released[visits.sid]
        sid = visits.sid[mine]
        at = ready[sid]
        out[row[sid]] = np.nan_to_num(np.maximum(b[mine], at) - np.maximum(a[mine], at))
        return out

    for k, (name, check) in enumerate(scenario.checks.items()):
        if check.release_on_guarantee:
            continue
        v = rec.visits[k]
        out[names.segment(name, "queue")] = mean(after_ready(v, v.enter, v.start))
        out[names.segment(name, "service")] = mean(after_ready(v, v.start, v.end))
        if check.query is not None:
            out[names.segment(name, names.QUERY)] = mean(after_ready(v, v.end, v.answered_at()))
    if rec.cleared is not None:
        out[names.PAYMENT] = mean(rec.released[released] - rec.cleared[released])
    if scenario.exit is not None and released.any():
        exits = exit_times(scenario, rec)[released]
        out[names.EXIT] = mean(exits - rec.released[released])
        out[names.ARRIVAL_TO_EXIT] = mean(exits - arrival[released])
    return out
