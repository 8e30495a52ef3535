"""Batch arrivals (``[traffic.batches]``): flights and vessels bring many shipments at one
instant. The mean a day stays ``shipments_per_day`` in both schedules, a batch's shipments share
its instant, timetable slots land where listed, the profiles and surges still shape arrivals,
the draws follow the seed, bad input gets one clear message, and the fast path gives the exact
path's records."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fastpath import assert_same_records, run

import sim
from sim.model.arrivals import batch_instants
from sim.model.traffic import generate, hourly_rates
from sim.schema import ScenarioError, expected_arrivals, expected_shipments, profile_weights
from sim.schema.arrivals import (
    FixedSize,
    GeometricSize,
    NegativeBinomialSize,
    PoissonSize,
    slot_offsets,
    timetable_loads,
)
from sim.streams import Streams

from conftest import small_data

TIMETABLE = [["daily", 6.5], ["mon", 22.0], ["thu", 14.25]]


def data(batches: dict[str, Any] | None, days: float = 28, per_day: float = 400, **traffic):
    d = small_data()
    d["scenario"].update(days=days, warmup_days=0, drain_days=0)
    d["traffic"]["shipments_per_day"] = per_day
    d["traffic"].update(traffic)
    if batches is not None:
        d["traffic"]["batches"] = batches
    return d


def scenario(batches: dict[str, Any] | None, **kw) -> sim.Scenario:
    return sim.from_dict(data(batches, **kw), "batches")


def shipments(s: sim.Scenario, replication: int = 0):
    seed = sim.replication_seeds(s.scenario.seed, replication + 1)[replication]
    return generate(s, Streams(seed))


def instants(s: sim.Scenario, replication: int = 0):
    seed = sim.replication_seeds(s.scenario.seed, replication + 1)[replication]
    return batch_instants(s, Streams(seed), hourly_rates(s))


def size_variance(spec: dict[str, Any], mean: np.ndarray) -> np.ndarray:
    """Variance of a slot's load with mean ``mean`` (an upper bound for fixed: rounding)."""
    kind = spec["dist"]
    if kind == "poisson":
        return mean
    if kind == "geometric":
        return np.where(mean >= 1, mean**2 - mean, mean)
    if kind == "negative_binomial":
        return np.maximum(spec["cv"] ** 2 * mean**2, mean)
    return np.full(mean.shape, 0.25)


POISSON_SIZES = [
    {"dist": "fixed", "value": 12},
    {"dist": "geometric", "mean": 20},
    {"dist": "poisson", "mean": 8},
    {"dist": "negative_binomial", "mean": 15, "cv": 1.5},
]
TIMETABLE_SIZES = [
    {"dist": "fixed"},
    {"dist": "geometric"},
    {"dist": "poisson"},
    {"dist": "negative_binomial", "cv": 0.8},
]


@pytest.mark.parametrize("size", POISSON_SIZES, ids=lambda s: s["dist"])
def test_poisson_batches_keep_the_mean_a_day(size):
    """Four weeks at 400 a day: the count is compound Poisson, variance rate x T x E[X^2]/E[X];
    within 4.5 standard deviations of shipments_per_day x days, over three replications."""
    s = scenario({"schedule": "poisson", "size": size})
    model = s.traffic.batches.size
    mean = 400 * 28
    sd = math.sqrt(mean * model.second_moment / model.mean_value)
    counts = [len(shipments(s, r)) for r in range(3)]
    assert abs(np.mean(counts) - mean) < 4.5 * sd / math.sqrt(3), counts
    assert expected_shipments(s) == pytest.approx(mean)


@pytest.mark.parametrize("size", TIMETABLE_SIZES, ids=lambda s: s["dist"])
def test_timetable_keeps_the_mean_a_day(size):
    """Whole weeks on a timetable: the slots' mean loads sum to shipments_per_day x 7 a week,
    and the count lands within 4.5 standard deviations of it (each slot's own variance)."""
    hourly = [0.5] * 6 + [2.0] * 12 + [1.0] * 6
    s = scenario(
        {"schedule": "timetable", "size": size, "timetable": TIMETABLE}, hourly_profile=hourly
    )
    mean = 400 * 28
    assert expected_shipments(s) == pytest.approx(mean)
    times, sizes = instants(s)
    slots = slot_offsets(s.traffic.batches)
    assert times.size == 4 * slots.size
    # The mean loads (from the schema) against the draws of three replications.
    _, means = timetable_loads(
        s.traffic, profile_weights(hourly), profile_weights(s.traffic.weekly_profile), s.end_hours
    )
    assert means.sum() == pytest.approx(mean)
    sd = math.sqrt(size_variance(size, means).sum())
    counts = [len(shipments(s, r)) for r in range(3)]
    assert abs(np.mean(counts) - mean) < 4.5 * sd / math.sqrt(3) + 1e-9, counts
    if size["dist"] == "fixed":  # the mean rounded, down or up: never further than 1 off
        assert np.all(np.abs(sizes - means) < 1)


def test_every_shipment_of_a_batch_shares_its_arrival():
    s = scenario({"schedule": "poisson", "size": {"dist": "geometric", "mean": 20}}, days=7)
    times, sizes = instants(s)
    assert np.all(np.diff(times) > 0) and np.all(sizes >= 1)  # distinct instants, none empty
    arrival = shipments(s).arrival
    np.testing.assert_array_equal(arrival, np.repeat(times, sizes))
    at, count = np.unique(arrival, return_counts=True)
    np.testing.assert_array_equal(at, times)
    np.testing.assert_array_equal(count, sizes)
    assert count.mean() == pytest.approx(20, rel=0.25)


def test_timetable_slots_land_at_the_listed_hours():
    s = scenario(
        {"schedule": "timetable", "size": {"dist": "fixed"}, "timetable": TIMETABLE}, days=21
    )
    arrival = shipments(s).arrival
    expected = {24 * d + 6.5 for d in range(7)} | {22.0, 3 * 24 + 14.25}
    assert set(np.unique(arrival % 168)) == expected
    assert np.unique(arrival).size == 3 * 9  # every slot of three weeks carries something


def test_hourly_profile_and_surges_shape_poisson_batches():
    """No batch in hours of weight 0; a surge of 3 triples the arrivals in its window."""
    hourly = [0.0] * 8 + [1.0] * 16
    surges = [{"start_day": 7, "end_day": 14, "factor": 3.0}]
    s = scenario(
        {"schedule": "poisson", "size": {"dist": "poisson", "mean": 10}},
        hourly_profile=hourly,
        surges=surges,
    )
    arrival = np.concatenate([shipments(s, r).arrival for r in range(2)])
    assert not np.any(arrival % 24 < 8)
    inside = np.sum((arrival >= 7 * 24) & (arrival < 14 * 24))
    before = np.sum(arrival < 7 * 24)
    assert inside / before == pytest.approx(3.0, rel=0.1)
    assert expected_arrivals(s, 7 * 24, 14 * 24) == pytest.approx(3 * 400 * 7)


def test_profiles_and_surges_set_timetable_loads():
    """A slot's mean load follows the profiles' weight at its hour and day; a surge multiplies
    the loads of the slots inside it (fixed sizes: the mean itself, rounded)."""
    hourly = [1.0] * 24
    hourly[6] = 3.0  # the 06:30 slots weigh three times the 22:00 one
    weekly = [1, 1, 1, 1, 1, 1, 1]
    surges = [{"start_day": 7, "end_day": 8, "factor": 2.0}]  # the second Monday
    s = scenario(
        {
            "schedule": "timetable",
            "size": {"dist": "fixed"},
            "timetable": [["daily", 6.5], ["mon", 22.0]],
        },
        days=14,
        per_day=220,
        hourly_profile=hourly,
        weekly_profile=weekly,
        surges=surges,
    )
    times, sizes = instants(s)
    # 7 slots of weight 3 and one of weight 1 share 220 x 7 = 1540: 210 each and 70.
    load = dict(zip(times.tolist(), sizes.tolist(), strict=True))
    assert load[6.5] == 210 and load[30.5] == 210 and load[22.0] == 70
    assert load[168 + 6.5] == 420 and load[168 + 22.0] == 140
    assert load[168 + 30.5] == 210


def test_draws_follow_the_seed_and_leave_one_by_one_arrivals_alone():
    s = scenario({"schedule": "poisson", "size": {"dist": "negative_binomial", "mean": 6, "cv": 1}})
    a, b = shipments(s), shipments(s)
    np.testing.assert_array_equal(a.arrival, b.arrival)
    np.testing.assert_array_equal(a.commodity, b.commodity)
    assert not np.array_equal(shipments(s, 1).arrival[:50], a.arrival[:50])
    # Without batches the "arrivals" stream draws what it always did, untouched by this one.
    plain = scenario(None)
    seed = sim.replication_seeds(plain.scenario.seed, 1)[0]
    rng = Streams(seed).rng("arrivals")
    counts = rng.poisson(hourly_rates(plain).sum(axis=1))
    assert len(shipments(plain)) == counts.sum()


@pytest.mark.parametrize(
    ("batches", "path", "words"),
    [
        (
            {"schedule": "timetable", "size": {"dist": "poisson"}, "timetable": [["mnd", 6.0]]},
            "traffic.batches.timetable[0]",
            "unknown day 'mnd' (did you mean 'mon'?)",
        ),
        (
            {"schedule": "timetable", "size": {"dist": "poisson"}, "timetable": [["daily", 25.0]]},
            "traffic.batches.timetable[0]",
            "0 <= hour < 24",
        ),
        (
            {"size": {"dist": "geometric", "mean": 0.5}},
            "traffic.batches.size.mean",
            "must be at least 1",
        ),
        ({"size": {"dist": "geometric"}}, "traffic.batches", "set size.mean"),
        ({"size": {"dist": "fixed", "value": 0}}, "traffic.batches.size.value", "at least 1"),
        (
            {
                "schedule": "timetable",
                "size": {"dist": "poisson", "mean": 3},
                "timetable": TIMETABLE,
            },
            "traffic.batches",
            "leave out size.mean",
        ),
        ({"schedule": "timetable", "size": {"dist": "poisson"}}, "traffic.batches", "slot"),
        (
            {"size": {"dist": "poisson", "mean": 3}, "timetable": TIMETABLE},
            "traffic.batches",
            "schedule = 'timetable'",
        ),
        ({"size": {"dist": "lognormal", "mean": 3}}, "traffic.batches.size", "fixed, geometric"),
        (
            {"size": {"dist": "negative_binomial", "mean": 4, "cv": 0.2}},
            "traffic.batches.size",
            "cv > 1 / sqrt(mean)",
        ),
    ],
)
def test_bad_batches_get_one_clear_message(batches, path, words):
    with pytest.raises(ScenarioError) as err:
        sim.from_dict(data(batches), "flights.toml")
    problems = err.value.problems
    assert len(problems) == 1, problems
    assert problems[0][0] == path and words in problems[0][1], problems
    assert "flights.toml" in str(err.value)
    assert "Input should" not in str(err.value) and "Value error" not in str(err.value)


@settings(max_examples=30, deadline=None)
@given(
    size=st.sampled_from(["fixed", "geometric", "poisson", "negative_binomial"]),
    mean=st.floats(1.5, 50.0),
    cv=st.floats(1.05, 3.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_sizes_have_their_stated_mean_and_second_moment(size, mean, cv, seed):
    """The closed-form E[X] and E[X^2] of each size against 20,000 draws (within 6 standard
    errors); sizes are whole numbers >= 0 (>= 1 but for poisson and negative binomial)."""
    model = {
        "fixed": lambda: FixedSize(dist="fixed", value=round(mean)),
        "geometric": lambda: GeometricSize(dist="geometric", mean=mean),
        "poisson": lambda: PoissonSize(dist="poisson", mean=mean),
        "negative_binomial": lambda: NegativeBinomialSize(
            dist="negative_binomial", mean=mean, cv=cv
        ),
    }[size]()
    x = model.sample(np.random.default_rng(seed), 20_000).astype(float)
    assert x.min() >= (0 if size in ("poisson", "negative_binomial") else 1)
    var = model.second_moment - model.mean_value**2
    assert abs(x.mean() - model.mean_value) <= 6 * math.sqrt(var / x.size) + 1e-12
    # Loads around a varying mean (a timetable) keep each mean on average.
    means = np.repeat([0.3, 0.9, mean], 5000)
    y = model.loads(np.random.default_rng(seed), means).astype(float)
    assert y.min() >= 0
    for m in (0.3, 0.9, mean):
        sel = y[means == m]
        assert abs(sel.mean() - m) <= 6 * math.sqrt(max(m, m * m * cv * cv) / sel.size) + 0.01


def test_fast_path_gives_the_exact_records_on_batches_without_falling_back():
    """Dozens of shipments at each instant, continuous service times: the fast path orders the
    selections of one instant as the exact path does, with no rerun on the exact path."""
    d = data(
        {"schedule": "poisson", "size": {"dist": "geometric", "mean": 20}}, days=10, per_day=150
    )
    d["scenario"]["drain_days"] = 2
    s = sim.from_dict(d, "batches")
    for replication in range(2):
        fast = run(s, exact=False, replication=replication)
        slow = run(s, exact=True, replication=replication)
        assert_same_records(fast.records, slow.records)
        assert fast.fast, "the fast path gave up on batch arrivals"


def test_fast_path_on_a_timetable_at_roster_changes_reruns_exactly():
    """Flights landing exactly when a check's roster opens and closes (08:30 and 17:00, the
    office hours), straight into that check: the entry and the roster change at 17:00 were both
    created at 08:30, an order the fast path cannot vouch for (Station._tie raises Tie), so the
    replication is rerun on the exact path; the records are the exact ones."""
    d = data(
        {
            "schedule": "timetable",
            "size": {"dist": "poisson"},
            "timetable": [["daily", 8.5], ["daily", 17.0]],
        },
        days=7,
        per_day=150,
    )
    d["lanes"]["red"] = ["physical"]
    d["policy"]["rates"] = {"red": 0.5, "yellow": 0.2}
    del d["lodgement"]
    s = sim.from_dict(d, "batches")
    fast = run(s, exact=False)
    slow = run(s, exact=True)
    assert_same_records(fast.records, slow.records)
