"""Costs and harms of one replication, priced by the scenario's ``[costs]`` table.

Quantities (whenever a commodity declares ``value_usd`` or ``units``, or the scenario has
``[costs]``), over the shipments counted:

- ``spoiled.value_usd``, ``spoiled.units``: declared value and units of the spoiled shipments
  (cold-chain shipments not intercepted held longer than their tolerance, as ``spoiled``);
- ``leaked.value_usd``, ``leaked.units``: the same of the illicit shipments released (as
  ``leaks``);
- ``officer_hours``: officer-hours (or machine-hours) on duty at every check in the window.

Costs (with ``[costs]`` only), US dollars: ``cost.delay`` (traders), ``cost.officers`` and
``cost.checks`` (the administration), ``cost.spoiled`` (traders), ``cost.harm`` (the public),
``cost.total`` (their sum) and ``cost.per_shipment`` (total / shipments counted). Every cost is
linear in its prices and never below 0. A shipment whose commodity declares no value or no
units has none (NaN in its column): it adds nothing to a value or a units sum; to the harm it
adds one unit.
"""

from __future__ import annotations

import math

import numpy as np

from sim.measure import names
from sim.model.records import Records
from sim.schema import Scenario


def _sum(x: np.ndarray) -> float:
    """Sum, values missing (NaN) left out."""
    return float(np.nansum(x))


def costs(
    scenario: Scenario,
    rec: Records,
    counted: np.ndarray,
    released: np.ndarray,
    censored: np.ndarray,
) -> dict[str, float]:
    """The quantities and, with ``[costs]``, the costs of one replication (see the module's
    notes); nothing for a scenario with no value, no units and no ``[costs]``, so that its
    summary keeps the metrics it had."""
    t = rec.traffic
    commodities = scenario.traffic.commodities
    has_value = any(c.value_usd is not None for c in commodities.values())
    has_units = any(c.units is not None for c in commodities.values())
    prices = scenario.costs
    if not (has_value or has_units or prices is not None):
        return {}
    kept = np.flatnonzero(released | censored)  # counted and not intercepted, shipment order
    hours = rec.held_hours(kept, scenario.end_hours)
    commodity = t.commodity[kept]
    tolerance = np.array([c.cold_chain_hours or math.inf for c in commodities.values()])
    spoiled = kept[hours > tolerance[commodity]]
    leaked = np.flatnonzero(released & (t.truth > 0))
    value = t.value_usd if has_value else None
    units = t.units if has_units else None

    out: dict[str, float] = {}
    for outcome, ids in (("spoiled", spoiled), ("leaked", leaked)):
        if value is not None:
            out[names.goods(outcome, "value_usd")] = _sum(value[ids])
        if units is not None:
            out[names.goods(outcome, "units")] = _sum(units[ids])
    out[names.OFFICER_HOURS] = float(sum(s.capacity_area for s in rec.stations.values()))
    if prices is None:
        return out

    per_hour = np.array([prices.delay_per_hour.get(name, 0.0) for name in commodities])
    delay = float(np.bincount(commodity, weights=hours, minlength=len(per_hour)) @ per_hour)
    if value is not None and prices.value_share_per_day > 0:
        delay += prices.value_share_per_day * _sum(value[kept] * hours) / 24.0
    del hours, commodity, kept

    officers = sum(
        s.capacity_area * prices.check_hour.get(name, prices.officer_hour)
        for name, s in rec.stations.items()
    )
    lo, hi = scenario.warmup_hours, scenario.hours
    checks = 0.0
    for k, name in enumerate(rec.checks):
        price = prices.per_check.get(name, 0.0)
        if price:
            start = rec.visits[k].start
            checks += price * float(((start >= lo) & (start < hi)).sum())

    # A spoiled shipment costs its units at the commodity's unit price, else its declared value.
    unit_price = np.array([prices.spoiled_unit.get(name, math.nan) for name in commodities])
    per_unit = unit_price[t.commodity[spoiled]]
    by_unit = ~np.isnan(per_unit)
    spoilage = _sum(units[spoiled[by_unit]] * per_unit[by_unit]) if units is not None else 0.0
    if value is not None:
        spoilage += _sum(value[spoiled[~by_unit]])

    harm_price = np.array(
        [0.0, *(prices.harm_per_unit.get(k, 0.0) for k in scenario.illicit.kinds)]
    )
    leaked_units = np.ones(leaked.size) if units is None else np.nan_to_num(units[leaked], nan=1.0)
    harm = float(harm_price[t.truth[leaked]] @ leaked_units)

    parts = {"delay": delay, "officers": officers, "checks": checks, "spoiled": spoilage}
    parts["harm"] = harm
    for part in names.COST_PARTS:
        out[names.cost(part)] = float(parts[part])
    total = float(sum(parts[part] for part in names.COST_PARTS))
    out[names.cost("total")] = total
    shipments = int(counted.sum())
    out[names.cost("per_shipment")] = total / shipments if shipments else math.nan
    return out
