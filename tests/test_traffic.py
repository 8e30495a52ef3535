"""The shipments drawn from the [traffic] table: arrival counts, profiles, surges, the
commodity mix, the ground truth, and common random numbers across policies."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.model.traffic import Shipments, generate, hourly_rates

from conftest import build, small_data


def traffic_data(**traffic: Any) -> dict[str, Any]:
    data = {
        "scenario": {"name": "traffic", "days": 28, "warmup_days": 0, "drain_days": 0, "seed": 1},
        "traffic": {"shipments_per_day": 500, "commodities": {"medicine": {"share": 1.0}}},
        "checks": {},
        "lanes": {"green": []},
        "policy": {"kind": "random", "default_lane": "green"},
    }
    data["traffic"].update(traffic)
    return data


def draw(data: dict[str, Any], seed: int = 0) -> Shipments:
    scenario = build(data)
    return generate(scenario, sim.Streams(np.random.SeedSequence(seed)))


def assert_poisson(count: float, mean: float, z: float = 4.0) -> None:
    """A Poisson count within z standard deviations of its mean."""
    assert abs(count - mean) < z * math.sqrt(mean), (count, mean)


def assert_ratio(x1: float, n1: float, x2: float, n2: float, expected: float) -> None:
    """The ratio of two binomial shares (x1 / n1) / (x2 / n2) within 4 standard errors of its
    logarithm (delta method) of the expected ratio."""
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    assert abs(math.log((x1 / n1) / (x2 / n2) / expected)) < 4 * se, (
        (x1 / n1) / (x2 / n2),
        expected,
    )


def assert_binomial(hits: float, n: float, p: float, z: float = 4.0) -> None:
    """A binomial share within z standard errors of p."""
    assert abs(hits / n - p) < z * math.sqrt(p * (1 - p) / n), (hits / n, p)


def test_arrival_counts_match_the_daily_rate():
    """Arrivals in the window are Poisson with mean shipments_per_day x days, over seeds."""
    data = traffic_data(shipments_per_day=120)
    data["scenario"].update(days=30, warmup_days=2, drain_days=3)
    scenario = build(data)
    counts = []
    for seed_seq in sim.replication_seeds(3, 20):
        m = sim.replication_metrics(scenario, sim.simulate(scenario, seed_seq))
        counts.append(m["shipments"])
    mean = 120 * 28
    for c in counts:
        assert_poisson(c, mean)
    assert_poisson(sum(counts), 20 * mean)
    assert 0.3 < np.var(counts, ddof=1) / mean < 2.5  # Poisson: variance = mean
    assert len(set(counts)) > 10


def test_arrivals_are_sorted_and_inside_the_run():
    """Arrival times are non-decreasing and lie in [0, end of the drain]."""
    data = traffic_data()
    data["scenario"]["drain_days"] = 2
    t = draw(data)
    assert np.all(np.diff(t.arrival) >= 0)
    assert t.arrival.min() >= 0 and t.arrival.max() <= (28 + 2) * 24
    assert_poisson(len(t), 500 * 30)
    per_hour = np.bincount(t.arrival.astype(int), minlength=30 * 24)[: 30 * 24]
    assert np.var(per_hour) / np.mean(per_hour) == pytest.approx(1.0, abs=0.25)


def test_hourly_profile_shapes_arrivals_and_keeps_the_daily_mean():
    """The hourly profile shapes arrivals (none at zero weight) and keeps the daily total."""
    profile = [0.0] * 6 + [1.0] * 6 + [3.0] * 6 + [1.0] * 6  # night closed, busy afternoon
    t = draw(traffic_data(hourly_profile=profile))
    hour = np.floor(t.arrival % 24).astype(int)
    counts = np.bincount(hour, minlength=24)
    assert counts[:6].sum() == 0
    total = len(t)
    assert_poisson(total, 500 * 28)
    weights = np.array(profile) / sum(profile)
    for h in range(6, 24):
        assert_binomial(counts[h], total, weights[h])
    assert counts[12:18].sum() == pytest.approx(3 * counts[6:12].sum(), rel=0.1)


def test_weekly_profile_shapes_arrivals():
    """A weekday profile: no arrivals on days of zero weight, Monday twice Tuesday."""
    t = draw(traffic_data(weekly_profile=[2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]))
    weekday = (t.arrival // 24).astype(int) % 7
    counts = np.bincount(weekday, minlength=7)
    assert counts[6] == 0
    assert_poisson(len(t), 500 * 28)
    assert counts[0] / counts[1] == pytest.approx(2.0, rel=0.12)
    assert_poisson(counts[2], 500 * 4)  # weight 1 = the mean weight: the daily rate


def test_commodity_shares():
    """Each commodity's share of arrivals matches its configured share."""
    shares = {"vaccine": 0.1, "medicine": 0.6, "device": 0.3}
    t = draw(traffic_data(commodities={k: {"share": v} for k, v in shares.items()}))
    counts = np.bincount(t.commodity, minlength=3)
    for k, share in enumerate(shares.values()):
        assert_binomial(counts[k], len(t), share)


def risky_data() -> dict[str, Any]:
    data = traffic_data(
        shipments_per_day=4000,
        aeo_share=0.3,
        prearrival_share=0.4,
        commodities={
            "vaccine": {"share": 0.2, "illicit_factor": 0.5, "priority": True},
            "medicine": {"share": 0.8, "illicit_factor": 2.0},
        },
        origins={
            "standard": {"share": 0.8, "illicit_factor": 0.5},
            "high_risk": {"share": 0.2, "illicit_factor": 3.0},
        },
        compliance={"good": {"share": 0.7}, "poor": {"share": 0.3, "illicit_factor": 2.0}},
    )
    data["illicit"] = {
        "prevalence": 0.05,
        "aeo_factor": 0.25,
        "kinds": {"falsified": 0.7, "substandard": 0.3},
    }
    return data


def test_overall_illicit_share_is_the_prevalence():
    """Whatever the relative risks, the overall illicit share is the prevalence."""
    t = draw(risky_data())
    n = len(t)
    illicit = t.truth > 0
    assert_binomial(illicit.sum(), n, 0.05)
    assert_binomial((t.truth == 1).sum(), illicit.sum(), 0.7)
    # Within the medicine / high-risk group the risk is far above the average.
    medicine_high = (t.commodity == 1) & (t.origin == 1)
    assert illicit[medicine_high].mean() > 3 * illicit.mean()


def test_relative_risks_scale_illicit_shares():
    """Illicit shares by commodity and AEO status follow the ratio of their risk factors."""
    t = draw(risky_data())
    illicit = t.truth > 0
    medicine, vaccine = t.commodity == 1, t.commodity == 0
    assert_ratio(
        illicit[medicine].sum(), medicine.sum(), illicit[vaccine].sum(), vaccine.sum(), 4.0
    )
    assert_ratio(illicit[t.aeo].sum(), t.aeo.sum(), illicit[~t.aeo].sum(), (~t.aeo).sum(), 0.25)
    assert_binomial(t.aeo.sum(), len(t), 0.3)
    assert_binomial(t.prearrival.sum(), len(t), 0.4)
    assert np.array_equal(t.priority, t.commodity == 0)
    assert np.array_equal(t.lodged[t.prearrival], t.arrival[t.prearrival])


def test_surge_multiplies_arrivals_in_its_window():
    """A surge multiplies the arrival rate in its days only."""
    t = draw(traffic_data(surges=[{"start_day": 7, "end_day": 14, "factor": 3.0}]))
    day = (t.arrival // 24).astype(int)
    inside = ((day >= 7) & (day < 14)).sum()
    outside = ((day < 7) | (day >= 14)).sum()
    assert_poisson(inside, 3 * 500 * 7)
    assert_poisson(outside, 500 * 21)


def test_commodity_surge_multiplies_only_that_commodity():
    """A surge naming a commodity multiplies its arrivals and leaves the others unchanged."""
    commodities = {"vaccine": {"share": 0.2}, "medicine": {"share": 0.8}}
    surge = {"start_day": 7, "end_day": 14, "factor": 5.0, "commodities": ["vaccine"]}
    t = draw(traffic_data(commodities=commodities, surges=[surge]))
    day = (t.arrival // 24).astype(int)
    window = (day >= 7) & (day < 14)
    vaccine = t.commodity == 0
    assert_poisson((window & vaccine).sum(), 5 * 0.2 * 500 * 7)
    assert_poisson((window & ~vaccine).sum(), 0.8 * 500 * 7)
    assert_poisson((~window & vaccine).sum(), 0.2 * 500 * 21)
    rates = hourly_rates(build(traffic_data(commodities=commodities, surges=[surge])))
    assert rates[7 * 24, 0] == pytest.approx(5 * rates[0, 0])
    assert rates[7 * 24, 1] == pytest.approx(rates[0, 1])


def two_policies() -> tuple[sim.Scenario, sim.Scenario]:
    a = small_data()
    b = copy.deepcopy(a)
    b["policy"]["rates"] = {"red": 0.4, "yellow": 0.1}
    return build(a), build(b)


def test_traffic_does_not_depend_on_the_policy():
    """Two scenarios that differ only in the policy see exactly the same shipments."""
    a, b = two_policies()
    seed_seq = sim.replication_seeds(12, 3)[2]
    ta = sim.Border(a, sim.Streams(seed_seq)).traffic
    tb = sim.Border(b, sim.Streams(seed_seq)).traffic
    for name in ta.COLUMNS:
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    # ... and adding a check leaves the traffic alone too (streams are keyed by name).
    data = small_data()
    data["checks"]["lab"] = {
        "kind": "lab",
        "servers": 1,
        "duration_hours": {"dist": "fixed", "value": 1.0},
    }
    tc = sim.Border(build(data), sim.Streams(seed_seq)).traffic
    np.testing.assert_array_equal(ta.truth, tc.truth)
    np.testing.assert_array_equal(ta.lodged, tc.lodged)
    # A different replication has different traffic.
    other = sim.Border(a, sim.Streams(sim.replication_seeds(12, 3)[1])).traffic
    assert len(other) != len(ta) or not np.array_equal(other.arrival, ta.arrival)


def test_a_shipment_examined_under_two_policies_gets_the_same_draws():
    """CRN: a shipment examined under two policies gets the same service time and verdict."""
    a, b = two_policies()
    seed_seq = sim.replication_seeds(12, 1)[0]
    ra, rb = sim.simulate(a, seed_seq), sim.simulate(b, seed_seq)
    for k in range(len(a.checks)):
        both = ~np.isnan(ra.end[k]) & ~np.isnan(rb.end[k])
        assert both.sum() > 20
        np.testing.assert_allclose(
            (ra.end[k] - ra.start[k])[both], (rb.end[k] - rb.start[k])[both], rtol=1e-9, atol=1e-12
        )
        # Different policies give different queues, so the same service at other times.
        assert not np.array_equal(ra.start[k][both], rb.start[k][both])
        caught_a = (ra.intercepted_at == k)[both]
        caught_b = (rb.intercepted_at == k)[both]
        np.testing.assert_array_equal(caught_a, caught_b)
    # Every shipment red under a is red under b too (b's red rate is higher): paired selection.
    red = list(a.lanes).index("red")
    assert np.all(rb.lane[ra.lane == red] == red)
