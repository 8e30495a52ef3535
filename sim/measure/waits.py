"""Waits at each station by class of shipment: priority or not (as queued), and by commodity.

A station's overall mean wait mixes classes that a priority queue treats very differently:
vaccines queued with priority overtake the rest, and goods with long checks make everyone
behind them wait. These figures say who waits how long, over the same visits as
``station.<check>.wait_hours_mean``: those that joined the queue in the window and started.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.model.records import Records
from sim.schema import Scenario


def class_waits(scenario: Scenario, rec: Records) -> dict[str, float]:
    """For each station, by queue class (``priority``, ``non_priority``) and by commodity:
    shipments joining its queue in the window (``arrivals``) and their mean wait in queue,
    start - enter, over those that started (``wait_hours_mean``; NaN when none did)."""
    lo, hi = scenario.warmup_hours, scenario.hours
    commodities = list(scenario.traffic.commodities)
    out: dict[str, float] = {}
    for k, name in enumerate(rec.checks):
        v = rec.visits[k]
        joined = (v.enter >= lo) & (v.enter < hi)
        sid = v.sid[joined]
        wait = (v.start - v.enter)[joined]
        started = ~np.isnan(wait)
        priority = rec.priority[sid]
        for group, members in zip(names.QUEUE_CLASSES, (priority, ~priority), strict=True):
            out.update(_figures(names.station_class, name, group, members, wait, started))
        commodity = rec.traffic.commodity[sid]
        for c, cname in enumerate(commodities):
            members = commodity == c
            out.update(_figures(names.station_commodity, name, cname, members, wait, started))
    return out


def _figures(name_of, station: str, group: str, members, wait, started) -> dict[str, float]:
    """``arrivals`` and ``wait_hours_mean`` of one class's visits at one station."""
    waits = wait[members & started]
    return {
        name_of(station, group, "arrivals"): float(members.sum()),
        name_of(station, group, "wait_hours_mean"): float(waits.mean()) if waits.size else math.nan,
    }
