"""Figures of a network of offices: per office (``office.<name>.*``) and for the whole network
(``network.*``), each from counts and sums that add up over offices, never an average of
averages.

An office's counts are over its measurement window (arrivals after the warm-up and before the
end of the arrival window), as the home office's own metrics. Clearance times here are over
released shipments only (the network's ``clearance_hours_mean`` is the mean of every released
shipment of every office), unlike the home office's Kaplan-Meier ``clearance_hours_mean``,
which also counts the time of shipments still inside.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.measure.costs import costs
from sim.model.records import IN_SYSTEM, INTERCEPTED, RELEASED, Records
from sim.schema import Scenario

__all__ = ["COUNTS", "network_metrics", "office_counts"]

COUNTS = ("shipments", "released", "intercepted", "illicit", "leaks", "censored")
"""Counts of each office, added up over the network."""
_SUMS = ("clearance_hours_sum", "within_24h")
_AMOUNTS = {"harm": names.cost("harm"), "leaked_value_usd": names.goods("leaked", "value_usd")}
"""Amounts added up over offices, by the ``[costs]`` metric each is taken from."""


def office_counts(scenario: Scenario, rec: Records) -> dict[str, float]:
    """The additive figures of one office: counts, the sum of released shipments' clearance
    hours and how many were released within 24 h, and (with ``[costs]`` or declared values)
    the harm and declared value of the illicit goods leaked."""
    t = rec.traffic
    counted = (t.arrival >= scenario.warmup_hours) & (t.arrival < scenario.hours)
    released = counted & (rec.outcome == RELEASED)
    intercepted = counted & (rec.outcome == INTERCEPTED)
    censored = counted & (rec.outcome == IN_SYSTEM)
    hours = rec.released[released] - t.arrival[released]
    out = {
        "shipments": float(counted.sum()),
        "released": float(released.sum()),
        "intercepted": float(intercepted.sum()),
        "illicit": float((counted & (t.truth > 0)).sum()),
        "leaks": float((released & (t.truth > 0)).sum()),
        "censored": float(censored.sum()),
        "clearance_hours_sum": float(hours.sum()),
        "within_24h": float((hours <= 24.0).sum()),
    }
    priced = costs(scenario, rec, counted, released, censored)
    for stat, metric in _AMOUNTS.items():
        if metric in priced:
            out[stat] = priced[metric]
    return out


def _figures(counts: dict[str, float]) -> dict[str, float]:
    """The figures shown of a group of offices, from its summed counts."""
    released = counts["released"]
    out = {k: counts[k] for k in COUNTS}
    out["interception_rate"] = _ratio(counts["intercepted"], counts["illicit"])
    out["clearance_hours_mean"] = _ratio(counts["clearance_hours_sum"], released)
    out["within_24h_share"] = _ratio(counts["within_24h"], released)
    out.update({k: counts[k] for k in _AMOUNTS if k in counts})
    return out


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def network_metrics(offices: dict[str, tuple[Scenario, Records]]) -> dict[str, float]:
    """``office.<name>.*`` of every office and ``network.*`` of them all (see the module)."""
    out: dict[str, float] = {}
    total: dict[str, float] = {}
    for name, (scenario, rec) in offices.items():
        counts = office_counts(scenario, rec)
        for k, v in counts.items():
            total[k] = total.get(k, 0.0) + v
        out.update({names.office(name, k): v for k, v in _figures(counts).items()})
    if any(k in total for k in _AMOUNTS):  # an office without prices adds nothing
        for k in _AMOUNTS:
            total.setdefault(k, 0.0)
    out.update({names.network(k): v for k, v in _figures(total).items()})
    return {k: float(np.float64(v)) for k, v in out.items()}
