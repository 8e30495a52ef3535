"""Batch arrivals (``[traffic.batches]``): flights and vessels that bring many shipments at one
instant, for one replication.

- ``schedule = "poisson"``: batches arrive as a non-homogeneous Poisson process whose rate in
  each hour is the hour's shipment rate (profiles x surges, :func:`sim.model.traffic.
  hourly_rates`) divided by the mean batch size, sampled exactly as one-by-one arrivals are (a
  Poisson count per hour, uniform times inside it); each batch draws its size.
- ``schedule = "timetable"``: a batch at every weekly slot, its size drawn around the slot's
  mean load (:func:`sim.schema.arrivals.timetable_loads`).

Every shipment of a batch arrives at the batch's instant. All draws come from the "batches"
stream, and only when batches are set, so a scenario without them draws exactly what it drew
before. Vectorised: a postal hub draws tens of millions of parcels in one replication.
"""

from __future__ import annotations

import numpy as np

from sim.schema import Scenario, profile_weights
from sim.schema.arrivals import timetable_loads
from sim.streams import Streams

__all__ = ["batch_arrivals", "batch_instants"]


def batch_instants(
    scenario: Scenario, streams: Streams, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every batch of one replication: (instants in hours, sorted; sizes). ``rates`` is the
    shipment rate by hour and commodity (:func:`sim.model.traffic.hourly_rates`)."""
    t = scenario.traffic
    batches = t.batches
    rng = streams.rng("batches")
    if batches.schedule == "poisson":
        total = rates.sum(axis=1)
        counts = rng.poisson(total / batches.size.mean_value)
        hour = np.repeat(np.arange(total.size, dtype=np.int32), counts)
        times = rng.random(hour.size)
        times += hour
        np.minimum(times, scenario.end_hours, out=times)
        times.sort(kind="stable")
        sizes = batches.size.sample(rng, times.size)
        return times, sizes
    hourly = profile_weights(t.hourly_profile)
    weekly = profile_weights(t.weekly_profile)
    times, means = timetable_loads(t, hourly, weekly, scenario.end_hours)
    return times, batches.size.loads(rng, means)


def batch_arrivals(
    scenario: Scenario, streams: Streams, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The shipments of every batch of one replication: (arrival hours, sorted; the hour of
    the run each arrived in, which sets its commodity mix), a batch's shipments side by side
    at its instant."""
    times, sizes = batch_instants(scenario, streams, rates)
    arrival = np.repeat(times, sizes)
    hour_of = np.minimum(arrival.astype(np.int32), max(rates.shape[0] - 1, 0))
    return arrival, hour_of
