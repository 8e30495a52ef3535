"""Queue behaviour that no formula states on its own: the M/D/1 wait is half the M/M/1 wait on
the same arrivals, priority shipments overtake at a busy station, and more officers never make
the same traffic wait longer."""

from __future__ import annotations

import copy

import pytest

import sim

from conftest import build, mmc_data


def mg1_data(lam: float, duration: dict, days: float, replications: int) -> dict:
    data = mmc_data(lam=lam, c=1, days=days, warmup_days=10, replications=replications, seed=99)
    data["checks"]["desk"]["duration_hours"] = duration
    return data


def test_deterministic_service_halves_the_exponential_wait():
    """P-K's signature: at equal load, M/D/1 waits half as long as M/M/1 (same arrivals)."""
    fixed = sim.run(build(mg1_data(0.75, {"dist": "fixed", "value": 1.0}, 200, 5)))
    expo = sim.run(build(mg1_data(0.75, {"dist": "exponential", "mean": 1.0}, 200, 5)))
    ratio = fixed["station.desk.wait_hours_mean"] / expo["station.desk.wait_hours_mean"]
    assert ratio == pytest.approx(0.5, abs=0.08)


def test_priority_shipments_overtake_the_queue_at_a_busy_station():
    """At a near-saturated station, priority shipments wait far less than the others."""
    data = mmc_data(lam=0.95, mu=1.0, c=1, days=60, warmup_days=10, replications=2, seed=5)
    data["traffic"]["commodities"] = {
        "vaccine": {"share": 0.2, "priority": True},
        "medicine": {"share": 0.8},
    }
    result = sim.run(build(data))
    assert (
        result["priority.clearance_hours_mean"] < 0.2 * result["non_priority.clearance_hours_mean"]
    )


def test_more_officers_never_hurt_on_the_same_traffic():
    """Adding a server on the same arrivals and service times lowers the mean wait."""
    base = mmc_data(lam=2.4, c=3, days=30, replications=3)
    waits = []
    for servers in (3, 4, 5):
        data = copy.deepcopy(base)
        data["checks"]["desk"]["servers"] = servers
        waits.append(sim.run(build(data))["station.desk.wait_hours_mean"])
    assert waits[0] > waits[1] > waits[2]
