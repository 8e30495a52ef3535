"""The border's stations against queueing theory: Erlang C, Little's law, Pollaczek-Khinchine
and Cobham's non-preemptive priority formula, each within a confidence interval that is
asserted to be tight enough to mean something."""

from __future__ import annotations

import copy
import math
from functools import cache

import numpy as np
import pytest

import sim

from conftest import build, mmc_data

CONFIDENCE = 0.99  # a wide interval keeps a correct model from failing by bad luck


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda / mu."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wq(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """P(wait > t) in M/M/c."""
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def pk_wq(lam: float, mean: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of M/G/1."""
    return lam * second_moment / (2 * (1 - lam * mean))


def interval(values: list[float]) -> dict:
    """Mean and CONFIDENCE t-interval of per-replication values."""
    return sim.summarise([{"x": v} for v in values], confidence=CONFIDENCE)["x"]


def desk_waits(scenario: sim.Scenario, rec: sim.Records) -> np.ndarray:
    """Waits at the desk of shipments that joined its queue in the window and started."""
    enter, start = rec.enter[0], rec.start[0]
    joined = (enter >= scenario.warmup_hours) & (enter < scenario.hours) & ~np.isnan(start)
    return (start - enter)[joined]


# (lambda, mu, c, days, replications, largest half-width accepted as a share of Wq)
MMC_CASES = [
    pytest.param(9.0, 1.0, 10, 300, 12, 0.20, id="M/M/10 rho=0.9"),
    pytest.param(0.7, 1.0, 1, 500, 12, 0.15, id="M/M/1 rho=0.7"),
    pytest.param(2.4, 1.0, 3, 400, 12, 0.15, id="M/M/3 rho=0.8"),
]


@cache
def mmc_run(lam: float, mu: float, c: int, days: float, reps: int) -> sim.RunResult:
    """One traced M/M/c run per configuration, shared by the tests that read it."""
    data = mmc_data(lam=lam, mu=mu, c=c, days=days, warmup_days=10, replications=reps, seed=2024)
    return sim.run(build(data), trace=True)


def test_erlang_c_formula_reproduces_reference_example():
    """The test's Erlang C gives REFERENCE.md's example: Wq = 0.329 h, P(wait > 0.5 h) = 0.242."""
    assert mmc_wq(10.0, 3.0, 4) == pytest.approx(0.329, abs=5e-4)
    assert mmc_wait_tail(10.0, 3.0, 4, 0.5) == pytest.approx(0.242, abs=5e-4)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho


@pytest.mark.parametrize(("lam", "mu", "c", "days", "reps", "max_rel_hw"), MMC_CASES)
def test_mmc_mean_wait_matches_erlang_c(lam, mu, c, days, reps, max_rel_hw):
    """The CI of the station's mean wait across replications contains the Erlang C Wq."""
    result = mmc_run(lam, mu, c, days, reps)
    expected = mmc_wq(lam, mu, c)
    ci = interval([r["station.desk.wait_hours_mean"] for r in result.replications])
    assert ci["half_width"] < max_rel_hw * expected, "run too short for a meaningful test"
    assert ci["ci_low"] <= expected <= ci["ci_high"], (expected, ci)


@pytest.mark.parametrize(("lam", "mu", "c", "days", "reps", "max_rel_hw"), MMC_CASES)
def test_mmc_wait_distribution_matches_erlang_c_tail(lam, mu, c, days, reps, max_rel_hw):
    """P(wait > t) from the raw records agrees with C(c, a) exp(-(c mu - lambda) t)."""
    result = mmc_run(lam, mu, c, days, reps)
    scenario = result.scenario
    decay = c * mu - lam
    for t in (0.0, 0.5 / decay, 1.0 / decay):
        expected = mmc_wait_tail(lam, mu, c, t)
        shares = [float(np.mean(desk_waits(scenario, rec) > t)) for rec in result.records]
        ci = interval(shares)
        assert ci["half_width"] < 0.20 * expected, (t, ci)
        assert ci["ci_low"] <= expected <= ci["ci_high"], (t, expected, ci)


@pytest.mark.parametrize(("lam", "mu", "c", "days", "reps", "max_rel_hw"), MMC_CASES)
def test_littles_law_at_a_station(lam, mu, c, days, reps, max_rel_hw):
    """Time-average queue length = arrival rate x mean wait (Lq = lambda Wq), per replication."""
    result = mmc_run(lam, mu, c, days, reps)
    span = result.scenario.hours - result.scenario.warmup_hours
    for m in result.replications:
        rate = m["station.desk.arrivals"] / span
        assert rate == pytest.approx(lam, rel=0.03)
        assert m["station.desk.queue_mean"] == pytest.approx(
            rate * m["station.desk.wait_hours_mean"], rel=0.02
        )
        # The busy officers obey Little's law too: L_service = lambda / mu.
        assert m["station.desk.busy_mean"] == pytest.approx(lam / mu, rel=0.03)
        assert m["station.desk.utilisation"] == pytest.approx(lam / (c * mu), rel=0.03)


def mg1_data(lam: float, duration: dict, days: float, replications: int) -> dict:
    data = mmc_data(lam=lam, c=1, days=days, warmup_days=10, replications=replications, seed=99)
    data["checks"]["desk"]["duration_hours"] = duration
    return data


@pytest.mark.parametrize(
    ("duration", "mean", "second_moment"),
    [
        pytest.param({"dist": "fixed", "value": 1.0}, 1.0, 1.0, id="M/D/1"),
        pytest.param(
            {"dist": "lognormal", "mean": 1.0, "cv": 0.8}, 1.0, 1.0 + 0.8**2, id="M/G/1 lognormal"
        ),
        pytest.param(
            {"dist": "uniform", "low": 0.0, "high": 2.0}, 1.0, 4.0 / 3.0, id="M/G/1 uniform"
        ),
    ],
)
def test_mg1_mean_wait_matches_pollaczek_khinchine(duration, mean, second_moment):
    """A single server with general service: the mean-wait CI contains the P-K formula."""
    lam = 0.6
    result = sim.run(build(mg1_data(lam, duration, days=800, replications=12)))
    expected = pk_wq(lam, mean, second_moment)
    ci = interval([r["station.desk.wait_hours_mean"] for r in result.replications])
    assert ci["half_width"] < 0.10 * expected, "run too short for a meaningful test"
    assert ci["ci_low"] <= expected <= ci["ci_high"], (expected, ci)


def test_deterministic_service_halves_the_exponential_wait():
    """P-K's signature: at equal load, M/D/1 waits half as long as M/M/1 (same arrivals)."""
    fixed = sim.run(build(mg1_data(0.75, {"dist": "fixed", "value": 1.0}, 200, 5)))
    expo = sim.run(build(mg1_data(0.75, {"dist": "exponential", "mean": 1.0}, 200, 5)))
    ratio = fixed["station.desk.wait_hours_mean"] / expo["station.desk.wait_hours_mean"]
    assert ratio == pytest.approx(0.5, abs=0.08)


def priority_data(lam: float, share: float, days: float, replications: int) -> dict:
    data = mmc_data(
        lam=lam, mu=1.0, c=1, days=days, warmup_days=10, replications=replications, seed=5
    )
    data["traffic"]["commodities"] = {
        "vaccine": {"share": share, "priority": True},
        "medicine": {"share": 1.0 - share},
    }
    return data


def test_priority_class_waits_match_cobham():
    """Non-preemptive priority M/M/1: each class's mean wait agrees with Cobham's formula."""
    lam, share, mu = 0.7, 0.3, 1.0
    result = sim.run(build(priority_data(lam, share, days=500, replications=12)), trace=True)
    scenario = result.scenario
    rho, rho_high = lam / mu, share * lam / mu
    w0 = rho / mu  # residual service seen by an arrival: sum(lambda_i E[S_i^2]) / 2
    expected = {True: w0 / (1 - rho_high), False: w0 / ((1 - rho_high) * (1 - rho))}
    for high, want in expected.items():
        per_rep = []
        for rec in result.records:
            enter, start = rec.enter[0], rec.start[0]
            mask = (enter >= scenario.warmup_hours) & (enter < scenario.hours) & ~np.isnan(start)
            mask &= rec.priority == high
            per_rep.append(float(np.mean((start - enter)[mask])))
        ci = interval(per_rep)
        assert ci["half_width"] < 0.15 * want, (high, ci)
        assert ci["ci_low"] <= want <= ci["ci_high"], (high, want, ci)
    # The conservation law: the load-weighted mean wait is the FCFS M/M/1 wait.
    overall = share * expected[True] + (1 - share) * expected[False]
    assert overall == pytest.approx(mmc_wq(lam, mu, 1))


def test_priority_shipments_overtake_the_queue_at_a_busy_station():
    """At a saturated-looking station, priority shipments wait far less than the others."""
    data = priority_data(lam=0.95, share=0.2, days=60, replications=2)
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
