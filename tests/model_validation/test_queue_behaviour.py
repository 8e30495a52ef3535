"""Queue behaviour that no formula states on its own: the M/D/1 wait is half the M/M/1 wait on
the same arrivals, priority shipments overtake at a busy station, and more officers never make
the same traffic wait longer."""

from __future__ import annotations

import pytest

import sim

from conftest import build, mmc_data


def test_deterministic_service_halves_the_exponential_wait():
    """P-K's signature: at equal load, M/D/1 waits half as long as M/M/1 (same arrivals)."""
    one = {"lam": 0.75, "c": 1, "days": 200, "warmup_days": 10, "replications": 5, "seed": 99}
    fixed = sim.run(build(mmc_data(**one, duration={"dist": "fixed", "value": 1.0})))
    expo = sim.run(build(mmc_data(**one, duration={"dist": "exponential", "mean": 1.0})))
    ratio = fixed["station.desk.wait_hours_mean"] / expo["station.desk.wait_hours_mean"]
    assert ratio == pytest.approx(0.5, abs=0.08)


def test_priority_shipments_overtake_the_queue_at_a_busy_station():
    """At a near-saturated station, priority shipments wait far less than the others."""
    data = mmc_data(lam=0.95, mu=1.0, c=1, days=60, warmup_days=10, replications=2, seed=5)
    classes = {"vaccine": {"share": 0.2, "priority": True}, "medicine": {"share": 0.8}}
    result = sim.run(build(data, traffic__commodities=classes))
    assert (
        result["priority.clearance_hours_mean"] < 0.2 * result["non_priority.clearance_hours_mean"]
    )


def test_more_officers_never_hurt_on_the_same_traffic():
    """Adding a server on the same arrivals and service times lowers the mean wait."""
    base = mmc_data(lam=2.4, c=3, days=30, replications=3)
    waits = [
        sim.run(build(base, checks__desk__servers=servers))["station.desk.wait_hours_mean"]
        for servers in (3, 4, 5)
    ]
    assert waits[0] > waits[1] > waits[2]
