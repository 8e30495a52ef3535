"""The policy library: each kind and modifier does what docs/policies.md says, against the
theory where there is one (random sampling, the binormal ROC), with paired comparisons under
common random numbers, and every mistake in [policy] is a plain message at its key path."""

from __future__ import annotations

import copy
import math
import re
import sys
import textwrap
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.stats import norm

import sim
from sim.measure.metrics import auc as mann_whitney_auc
from sim.policies import (
    PluginError,
    PolicyError,
    Profiles,
    check_plugin,
    load_plugin,
    policy_factory,
)
from sim.policies.base import Declaration
from sim.policies.fields import separation
from sim.policies.ranking import RollingRank
from sim.policies.selectivity import ALERT, NOT_SELECTED, OPERATION, POLICY, RANDOM
from sim.schema import ScenarioError

from conftest import build, write_toml

AUC2 = {"falsified": 0.9, "substandard": 0.65}

# --------------------------------------------------------------------------- helpers


def world(
    policy: dict[str, Any],
    *,
    prevalence: float = 0.2,
    days: float = 40,
    per_day: float = 200,
    detect: float = 1.0,
    aeo_share: float = 0.0,
    prearrival_share: float = 0.0,
    seed: int = 5,
    replications: int = 3,
) -> dict[str, Any]:
    """Two commodities of equal risk, ample officers (no queues), a physical check of
    sensitivity ``detect`` on the red lane and a documentary check that finds nothing."""
    return {
        "scenario": {
            "name": "policies",
            "days": days,
            "warmup_days": 1,
            "drain_days": 2,
            "seed": seed,
            "replications": replications,
        },
        "traffic": {
            "shipments_per_day": per_day,
            "aeo_share": aeo_share,
            "prearrival_share": prearrival_share,
            "commodities": {
                "medicine": {"share": 0.7, "value_usd": {"dist": "fixed", "value": 100.0}},
                "vaccine": {"share": 0.3, "priority": True},
            },
            "origins": {"standard": {"share": 0.8}, "high_risk": {"share": 0.2}},
        },
        "illicit": {"prevalence": prevalence, "kinds": {"falsified": 0.5, "substandard": 0.5}},
        "checks": {
            "documents": {
                "kind": "documentary",
                "servers": 500,
                "duration_hours": {"dist": "fixed", "value": 0.25},
            },
            "physical": {
                "kind": "physical",
                "servers": 500,
                "duration_hours": {"dist": "exponential", "mean": 0.5},
                "detect": {"falsified": detect, "substandard": detect},
            },
        },
        "lanes": {"green": [], "yellow": ["documents"], "red": ["physical"]},
        "policy": policy,
    }


def reps(scenario: sim.Scenario, n: int | None = None, seed: int | None = None):
    """(records, metrics) of each replication, simulated directly."""
    info = scenario.scenario
    seeds = sim.replication_seeds(info.seed if seed is None else seed, n or info.replications)
    out = []
    for s in seeds:
        rec = sim.simulate(scenario, s)
        out.append((rec, sim.replication_metrics(scenario, rec)))
    return out


def counted(scenario: sim.Scenario, rec: sim.Records) -> np.ndarray:
    t = rec.traffic.arrival
    return (t >= scenario.warmup_hours) & (t < scenario.hours)


def proportion(x: float, n: float) -> tuple[float, float]:
    """A proportion and its binomial standard error."""
    p = x / n
    return p, math.sqrt(max(p * (1 - p), 1e-12) / n)


def pooled(runs, num: str, den: str) -> tuple[float, float]:
    return proportion(sum(m[num] for _, m in runs), sum(m[den] for _, m in runs))


def assert_close(value: float, expected: float, se: float, tight: float) -> None:
    """Within 4 standard errors of the expectation, and the test precise enough to mean
    something (its standard error at most ``tight``)."""
    assert abs(value - expected) < 4 * se, f"{value:.4f} vs {expected:.4f} (se {se:.4f})"
    assert se < tight, f"standard error {se:.4f} too wide to test anything (want < {tight})"


def lane_code(scenario: sim.Scenario, lane: str) -> int:
    return list(scenario.lanes).index(lane)


def budget_threshold(budget: float, prevalence: float, aucs: list[float]) -> float:
    """Score t with P(score >= t) = budget in a mixture of legitimate N(0,1) and illicit kinds
    N(d_k, 1) in equal shares."""
    ds = [separation(a) for a in aucs]

    def excess(t: float) -> float:
        share = (1 - prevalence) * norm.sf(t)
        share += sum(prevalence / len(ds) * norm.sf(t - d) for d in ds)
        return share - budget

    return brentq(excess, -10, 10)


# --------------------------------------------------------------------------- every kind

EXAMPLES = {
    "random": {"kind": "random", "rates": {"red": 0.05, "yellow": 0.15}},
    "random-min-rate": {"kind": "random", "rates": {"yellow": 0.1}, "min_random_rate": 0.02},
    "quota": {"kind": "quota", "rates": {"red": 0.05, "yellow": 0.15}, "auc": AUC2},
    "profiles": {
        "kind": "profiles",
        "auc": 0.8,
        "rules": [
            {"name": "risky-origin", "lane": "red", "origins": ["high_risk"], "aeo": False},
            {"lane": "yellow", "commodities": ["medicine"], "min_value_usd": 50.0, "rate": 0.2},
            {"lane": "red", "min_score": 2.0},
        ],
    },
    "risk-threshold": {"kind": "risk_score", "auc": AUC2, "threshold": 1.645},
    "risk-budget": {"kind": "risk_score", "auc": 0.8, "budget": 0.05, "window": 500},
    "capacity-aware": {
        "kind": "capacity_aware",
        "auc": AUC2,
        "budget": 0.1,
        "target_wait_hours": 8.0,
    },
    "all-modifiers": {
        "kind": "risk_score",
        "auc": AUC2,
        "budget": 0.05,
        "min_random_rate": 0.01,
        "aeo": {"factor": 0.2},
        "prearrival": {"lead_hours": 6.0},
        "priority": {"exempt_from_random": True, "reroute": {"red": "yellow"}},
        "alerts": {"coverage": {"falsified": 0.3, "substandard": 0.1}, "false_alert_rate": 0.001},
        "operations": [
            {
                "name": "STOP",
                "start_day": 5,
                "end_day": 10,
                "commodities": ["medicine"],
                "rate": 0.2,
            }
        ],
    },
}


@pytest.mark.parametrize("policy", list(EXAMPLES.values()), ids=list(EXAMPLES))
def test_each_kind_validates_runs_and_round_trips(policy):
    """Each example validates, runs, and its resolved form loads back to the same scenario."""
    data = world(policy, days=6, aeo_share=0.3, prearrival_share=0.4)
    scenario = build(data)
    assert scenario.policy_config.kind == policy["kind"]
    again = sim.loads_scenario(scenario.to_toml())
    assert again.digest() == scenario.digest()
    ((rec, m),) = reps(scenario, 1)
    assert m["shipments"] == m["released"] + m["intercepted"] + m["censored"]
    assert np.all(rec.lane[~np.isnan(rec.selected)] >= 0)
    # Selected means "not in the default lane", and the reason says so.
    green = lane_code(scenario, "green")
    done = rec.lane >= 0
    assert np.array_equal((rec.selected_by > 0)[done], (rec.lane != green)[done])


NOTHING = {
    "random": {"kind": "random", "rates": {"red": 0.0}},
    "quota": {"kind": "quota", "rates": {"red": 0.0}},
    "risk_budget": {"kind": "risk_score", "budget": 0.0},
    "risk_threshold": {"kind": "risk_score", "threshold": 10.0},
    "capacity_aware": {"kind": "capacity_aware", "budget": 0.0, "target_wait_hours": 1.0},
    "profiles": {"kind": "profiles", "rules": [{"lane": "red", "rate": 0.0}]},
}
EVERYTHING = {
    "random": {"kind": "random", "rates": {"red": 1.0}},
    "quota": {"kind": "quota", "rates": {"red": 1.0}},
    "risk_budget": {"kind": "risk_score", "budget": 1.0},
    "risk_threshold": {"kind": "risk_score", "threshold": -10.0},
    "capacity_aware": {"kind": "capacity_aware", "budget": 1.0, "target_wait_hours": 100.0},
    "profiles": {"kind": "profiles", "rules": [{"lane": "red"}]},
    "min_random_rate": {"kind": "risk_score", "budget": 0.0, "min_random_rate": 1.0},
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    everything=st.booleans(),
    name=st.sampled_from(sorted(set(NOTHING) | set(EVERYTHING))),
    auc=st.floats(0.5, 0.99),
    prevalence=st.floats(0.05, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_select_nothing_intercepts_nothing_and_everything_with_detection_1_all(
    everything, name, auc, prevalence, seed
):
    """Selection rate 0: interception 0. Everything selected into a check of detection 1:
    interception 1. For every base kind, whatever the targeting model's quality."""
    table = EVERYTHING if everything else NOTHING
    assume(name in table)
    policy = dict(table[name])
    if policy["kind"] != "random":
        policy["auc"] = auc
    scenario = build(world(policy, prevalence=prevalence, days=6, per_day=80, seed=seed))
    ((_, m),) = reps(scenario, 1)
    assume(m["illicit"] > 0)
    expected = 1.0 if everything else 0.0
    assert m["interception_rate"] == expected
    assert m["inspection_rate"] == expected
    assert m["selection_rate"] == expected


# --------------------------------------------------------------------------- random sampling


@pytest.mark.parametrize(
    "base",
    [
        {"kind": "risk_score", "auc": 0.9, "budget": 0.0},
        {"kind": "profiles", "rules": [{"lane": "yellow", "rate": 0.0}]},
    ],
    ids=["risk_score", "profiles"],
)
def test_minimum_random_rate_is_a_random_sample(base):
    """A minimum random rate s into a check of sensitivity d: interception = s d and hit rate
    = prevalence x d, as random selection (sources 'Formulas'), whatever the base policy."""
    s, d, p = 0.3, 0.6, 0.2
    policy = {**base, "min_random_rate": s}
    scenario = build(world(policy, prevalence=p, detect=d))
    runs = reps(scenario)
    interception, se_i = pooled(runs, "intercepted", "illicit")
    assert_close(interception, s * d, se_i, 0.1 * s * d)
    inspected = sum(m["inspection_rate"] * m["shipments"] for _, m in runs)
    hits = sum(m["hit_rate"] * m["inspection_rate"] * m["shipments"] for _, m in runs)
    hit, se_h = proportion(hits, inspected)
    assert_close(hit, p * d, se_h, 0.1 * p * d)
    assert all(m["selected_by.random.share"] == m["selection_rate"] for _, m in runs)


def test_random_selection_at_rate_s_gives_interception_s_times_d():
    """The base random kind: interception = s d, hit rate = prevalence x d."""
    s, d, p = 0.25, 0.8, 0.1
    scenario = build(world({"kind": "random", "rates": {"red": s}}, prevalence=p, detect=d))
    runs = reps(scenario)
    interception, se_i = pooled(runs, "intercepted", "illicit")
    assert_close(interception, s * d, se_i, 0.1 * s * d)
    inspected = sum(m["inspection_rate"] * m["shipments"] for _, m in runs)
    hits = sum(m["hit_rate"] * m["inspection_rate"] * m["shipments"] for _, m in runs)
    hit, se_h = proportion(hits, inspected)
    assert_close(hit, p * d, se_h, 0.1 * p * d)


# --------------------------------------------------------------------------- AEO


@pytest.mark.parametrize("factor", [0.2, 0.5])
def test_aeo_factor_scales_the_selection_rate_of_aeo_traders(factor):
    """AEO selection rate / non-AEO selection rate = factor."""
    policy = {"kind": "random", "rates": {"red": 0.4}, "aeo": {"factor": factor}}
    scenario = build(world(policy, aeo_share=0.5, days=60))
    runs = reps(scenario)
    sel = {True: [0, 0], False: [0, 0]}
    for rec, _ in runs:
        c = counted(scenario, rec)
        for aeo in (True, False):
            group = c & (rec.traffic.aeo == aeo)
            sel[aeo][0] += int((group & (rec.selected_by > 0)).sum())
            sel[aeo][1] += int(group.sum())
    p_aeo, se_a = proportion(*sel[True])
    p_non, se_n = proportion(*sel[False])
    ratio = p_aeo / p_non
    se = ratio * math.sqrt((se_a / p_aeo) ** 2 + (se_n / p_non) ** 2)  # delta method
    assert_close(ratio, factor, se, 0.1 * factor)
    assert p_non == pytest.approx(0.4, abs=4 * se_n)
    # The metrics say the same.
    m = runs[0][1]
    assert m["trader.aeo.selection_rate"] < m["trader.non_aeo.selection_rate"]


def test_aeo_factor_never_waives_an_alert():
    """With factor 0 no AEO declaration is selected, except the alerted ones, all of which are."""
    policy = {
        "kind": "random",
        "rates": {"yellow": 0.5},
        "aeo": {"factor": 0.0},
        "alerts": {"coverage": 1.0},
    }
    scenario = build(world(policy, aeo_share=0.5, days=10))
    ((rec, m),) = reps(scenario, 1)
    aeo = rec.traffic.aeo & (rec.lane >= 0)
    illicit = rec.traffic.truth > 0
    red = lane_code(scenario, "red")
    assert (aeo & illicit).sum() > 30
    assert np.all(rec.lane[aeo & illicit] == red)
    assert np.all(rec.selected_by[aeo & illicit] == ALERT)
    assert np.all(rec.selected_by[aeo & ~illicit] == NOT_SELECTED)
    assert m["trader.aeo.selection_rate"] > 0


# --------------------------------------------------------------------------- risk score


def test_risk_score_with_auc_half_is_random_selection():
    """AUC 0.5: the score carries no information, so a budget s behaves as random selection at
    s: interception = s d and hit rate = prevalence x d."""
    s, d, p = 0.3, 0.6, 0.2
    scenario = build(world({"kind": "risk_score", "auc": 0.5, "budget": s}, prevalence=p, detect=d))
    runs = reps(scenario)
    interception, se_i = pooled(runs, "intercepted", "illicit")
    assert_close(interception, s * d, se_i, 0.1 * s * d)
    n = sum(m["shipments"] for _, m in runs)
    rate, se_r = proportion(sum(m["selection_rate"] * m["shipments"] for _, m in runs), n)
    assert_close(rate, s, se_r, 0.01)
    inspected = sum(m["inspection_rate"] * m["shipments"] for _, m in runs)
    hits = sum(m["hit_rate"] * m["inspection_rate"] * m["shipments"] for _, m in runs)
    hit, se_h = proportion(hits, inspected)
    assert_close(hit, p * d, se_h, 0.1 * p * d)


AUCS = [0.5, 0.65, 0.8, 0.95]


@pytest.fixture(scope="module")
def auc_sweep():
    """A budget of 15% under targeting models of rising quality, same traffic (CRN)."""
    budget, p = 0.15, 0.1
    out = {}
    for a in AUCS:
        policy = {"kind": "risk_score", "auc": a, "budget": budget, "window": 2000}
        scenario = build(world(policy, prevalence=p, days=60))
        out[a] = (scenario, reps(scenario))
    return budget, p, out


def test_budget_selects_its_share_and_interception_follows_the_binormal_roc(auc_sweep):
    """At a budget b, the selection rate is b and each kind's interception (detection 1) is the
    binormal true positive rate at the score quantile that selects b."""
    budget, p, sweep = auc_sweep
    for a, (_, runs) in sweep.items():
        n = sum(m["shipments"] for _, m in runs)
        rate, se_r = proportion(sum(m["selection_rate"] * m["shipments"] for _, m in runs), n)
        assert_close(rate, budget, se_r, 0.005)
        t = budget_threshold(budget, p, [a, a])
        tpr = norm.sf(t - separation(a))
        interception, se = pooled(runs, "intercepted", "illicit")
        # (the window's quantile is an estimate: allow it 0.01 on top of sampling noise)
        assert abs(interception - tpr) < 4 * se + 0.01, (a, interception, tpr)
        assert se < 0.02


def test_a_better_targeting_model_never_intercepts_less(auc_sweep):
    """At equal inspection rate a higher AUC never gives a lower interception rate, beyond
    noise; paired replications (CRN) make the differences precise."""
    _, _, sweep = auc_sweep
    rates = []
    for a in AUCS:
        _, runs = sweep[a]
        rates.append(np.array([m["interception_rate"] for _, m in runs]))
    for lo, hi in zip(rates, rates[1:], strict=False):
        diff = hi - lo
        se = diff.std(ddof=1) / math.sqrt(diff.size) if diff.size > 1 else 0.0
        assert diff.mean() > -3 * se - 1e-12
    assert (rates[-1] - rates[0]).min() > 0.3  # 0.95 against chance: far more interceptions


def test_realised_auc_matches_the_parameter_by_kind():
    """The realised AUC over a run (Mann-Whitney) matches each kind's parameter, within its
    Hanley-McNeil standard error, and the overall one is the kinds' weighted mean."""
    scenario = build(world({"kind": "risk_score", "auc": AUC2, "budget": 0.1}, days=60))
    for rec, m in reps(scenario, 2):
        c = counted(scenario, rec)
        n0 = (c & (rec.traffic.truth == 0)).sum()
        weights = []
        for k, kind in enumerate(scenario.illicit.kinds, start=1):
            a = AUC2[kind]
            n1 = (c & (rec.traffic.truth == k)).sum()
            weights.append(n1)
            q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
            se = math.sqrt(
                (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
            )
            assert_close(m[f"kind.{kind}.auc_realised"], a, se, 0.02)
        mixed = np.average(
            [m[f"kind.{k}.auc_realised"] for k in scenario.illicit.kinds], weights=weights
        )
        assert m["risk_score.auc_realised"] == pytest.approx(mixed, abs=1e-9)


def test_mann_whitney_auc_counts_ties_half():
    assert mann_whitney_auc(np.array([2.0, 3.0]), np.array([1.0, 0.0])) == 1.0
    assert mann_whitney_auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert mann_whitney_auc(np.array([0.0]), np.array([1.0, 2.0])) == 0.0
    assert math.isnan(mann_whitney_auc(np.array([]), np.array([1.0])))


def test_threshold_selects_the_binormal_share():
    """A threshold t selects (1 - prevalence) P(N(0,1) >= t) + the illicit kinds' shares."""
    t, p = 1.0, 0.2
    scenario = build(world({"kind": "risk_score", "auc": AUC2, "threshold": t}, prevalence=p))
    runs = reps(scenario)
    n = sum(m["shipments"] for _, m in runs)
    rate, se = proportion(sum(m["selection_rate"] * m["shipments"] for _, m in runs), n)
    expected = (1 - p) * norm.sf(t) + sum(p / 2 * norm.sf(t - separation(a)) for a in AUC2.values())
    assert_close(rate, expected, se, 0.005)
    for rec, _ in runs:  # exactly the declarations scoring at least t
        done = rec.lane >= 0
        assert np.array_equal(rec.selected_by[done] > 0, rec.risk_score[done] >= t)


def test_every_policy_sees_the_same_signals():
    """Scores and alerts come from streams of their own: the legitimate shipments' scores are
    the same under every AUC, illicit ones only move up, and alerts do not depend on the kind."""
    seed = sim.replication_seeds(3, 1)[0]
    alerts = {"coverage": 0.5, "false_alert_rate": 0.01}
    a = sim.Border(
        build(world({"kind": "risk_score", "auc": 0.6, "budget": 0.1, "alerts": alerts})),
        sim.Streams(seed),
    )
    b = sim.Border(
        build(world({"kind": "quota", "auc": 0.9, "rates": {"red": 0.2}, "alerts": alerts})),
        sim.Streams(seed),
    )
    legit = a.traffic.truth == 0
    assert legit.sum() > 1000
    np.testing.assert_array_equal(a.records.risk_score[legit], b.records.risk_score[legit])
    assert np.all(b.records.risk_score[~legit] > a.records.risk_score[~legit])
    np.testing.assert_array_equal(a.records.alert, b.records.alert)
    # A policy without a targeting model gets no score, and the traffic is the same.
    c = sim.Border(build(world({"kind": "random", "rates": {"red": 0.1}})), sim.Streams(seed))
    assert np.isnan(c.records.risk_score).all() and not c.records.alert.any()
    np.testing.assert_array_equal(a.traffic.score_noise, c.traffic.score_noise)


def test_rolling_rank():
    """The share of remembered scores above a score, over the last `window` scores only."""
    r = RollingRank(3)
    assert r.above(5.0) == 0.0
    assert r.above(1.0) == 1.0
    assert r.above(3.0) == 0.5
    assert r.above(2.0) == 2 / 3  # window: 5, 1, 3
    assert r.above(4.0) == 0.0  # 5 has left: window 1, 3, 2
    assert r.above(3.5) == 1 / 3  # window 3, 2, 4: only 4 is above


# --------------------------------------------------------------------------- capacity


def cliff(policy: dict[str, Any]) -> dict[str, Any]:
    """One examination station of 2 officers, 1 h an examination (2 an hour), 100 arrivals a
    day: a budget of 0.7 sends 2.9 an hour, utilisation 1.46 (sources 'Capacity cliff')."""
    data = world(policy, days=30, per_day=100, seed=9)
    data["checks"]["physical"]["servers"] = 2
    data["checks"]["physical"]["duration_hours"] = {"dist": "exponential", "mean": 1.0}
    return data


def test_capacity_aware_keeps_the_queue_bounded_where_a_fixed_budget_explodes():
    budget, target = 0.7, 4.0
    fixed = build(cliff({"kind": "risk_score", "auc": 0.8, "budget": budget}))
    aware = build(
        cliff(
            {
                "kind": "capacity_aware",
                "auc": 0.8,
                "budget": budget,
                "target_wait_hours": target,
            }
        )
    )
    ((rf, mf),) = reps(fixed, 1)
    ((ra, ma),) = reps(aware, 1)
    # Fixed: the queue grows all along (about 0.9 an hour): hundreds waiting, waits of days.
    assert mf["station.physical.backlog_end"] > 300
    assert mf["station.physical.wait_hours_mean"] > 50
    # Capacity-aware: the wait settles near budget x arrivals / capacity x target (about 1.5 x
    # target), the station stays busy, and selection falls to what it can handle.
    assert ma["station.physical.wait_hours_mean"] < 3 * target
    assert ma["station.physical.queue_max"] < 60
    assert ma["station.physical.backlog_end"] < 60
    assert ma["station.physical.utilisation"] > 0.85
    capacity_share = 2 * 24 / 100
    assert 0.85 * capacity_share < ma["selection_rate"] < 1.1 * capacity_share
    assert ma["clearance_hours_mean"] < 0.1 * mf["clearance_hours_mean"]
    # While the station keeps up it selects as the fixed budget: until 10 are selected, the
    # queue cannot pass 8 (a wait of 4 h), so the first 10 selections are the fixed budget's.
    red = lane_code(fixed, "red")
    first = np.flatnonzero(rf.lane == red)[:10]
    assert np.all(ra.lane[: first[-1] + 1] == rf.lane[: first[-1] + 1])
    assert not np.array_equal(ra.lane, rf.lane)


def test_capacity_aware_control_rule():
    """budget while the expected wait is within target, budget x target / wait above it."""
    policy = sim.policies.CapacityAware(
        sim.policies.CapacityAware.Config(
            kind="capacity_aware", auc=0.8, budget=0.2, target_wait_hours=2.0, min_budget=0.02
        )
    )
    scenario = build(cliff({"kind": "random"}))
    policy.start(sim.PolicyContext(scenario, lambda name: None))
    assert policy.station == "physical"

    class Queue:
        def __init__(self, n: int):
            self.n = n

        def queue_length(self, check: str) -> int:
            return self.n

    # 2 officers, 1 h each: a queue of q means a wait of q / 2 hours.
    assert policy.budget_now(Queue(0)) == 0.2
    assert policy.budget_now(Queue(4)) == 0.2
    assert policy.budget_now(Queue(8)) == pytest.approx(0.1)
    assert policy.budget_now(Queue(1000)) == 0.02


# --------------------------------------------------------------------------- quota


def test_quota_fills_each_lane_to_its_rate_with_the_riskiest():
    """Lanes get their expected rates; the riskiest go to the first lane; with a good model it
    intercepts far more than random selection at the same rates (paired)."""
    rates = {"red": 0.1, "yellow": 0.2}
    quota = build(world({"kind": "quota", "auc": 0.85, "rates": rates}, days=30))
    random = build(world({"kind": "random", "rates": rates}, days=30))
    q_runs, r_runs = reps(quota), reps(random)
    for rec, m in q_runs:
        assert m["lane.red.share"] == pytest.approx(0.1, abs=0.01)
        assert m["lane.yellow.share"] == pytest.approx(0.2, abs=0.015)
        c = counted(quota, rec)
        score = {
            lane: rec.risk_score[c & (rec.lane == lane_code(quota, lane))].mean()
            for lane in ("red", "yellow", "green")
        }
        assert score["red"] > score["yellow"] > score["green"]
    for (_, mq), (_, mr) in zip(q_runs, r_runs, strict=True):
        assert mq["interception_rate"] > mr["interception_rate"] + 0.15


def test_quota_tops_up_from_would_be_green_declarations():
    """Ranked against a window of scores, a lane falls behind its rate only by chance; when it
    does, the next would-be-green declarations make it up: no stretch of `window` declarations
    is short of its expected count by more than one (after the first window)."""
    window = 50
    policy = sim.policies.Quota(
        sim.policies.Quota.Config(kind="quota", auc=0.5, rates={"red": 0.3}, window=window)
    )
    policy.start(sim.PolicyContext(build(world({"kind": "random"})), lambda name: None))
    rng = np.random.default_rng(1)
    # Scores that drift downwards: each new one ranks low against the window, so ranking alone
    # would fill the lane far below its rate.
    scores = -np.arange(3000) * 0.01 + rng.normal(0, 0.5, 3000)
    lanes = []
    for i, s in enumerate(scores):
        decl = Declaration(
            i, 0.0, 0.0, "medicine", "standard", "unknown", False, False, False, 0.0, float(s)
        )
        lanes.append(policy.select(decl, None) == "red")
    lanes = np.array(lanes)
    counts = np.convolve(lanes, np.ones(window), "valid")[window:]
    assert counts.min() >= 0.3 * window - 1 - 1e-9
    assert lanes.mean() == pytest.approx(0.3, abs=0.02)


# --------------------------------------------------------------------------- profiles


def decl(**kw: Any) -> Declaration:
    base = dict(
        id=0,
        arrival_hours=0.0,
        lodged_hours=0.0,
        commodity="medicine",
        origin="standard",
        compliance="unknown",
        aeo=False,
        prearrival=False,
        priority=False,
        value_usd=100.0,
        risk_score=0.0,
    )
    base.update(kw)
    return Declaration(**base)


def test_profiles_first_matching_rule_wins():
    rules = [
        {"lane": "red", "origins": ["high_risk"], "aeo": False},
        {
            "lane": "yellow",
            "commodities": ["medicine"],
            "min_value_usd": 50.0,
            "max_value_usd": 500.0,
        },
        {"lane": "red", "min_score": 2.0},
        {"lane": "yellow", "prearrival": True, "priority": True},
    ]
    scenario = build(world({"kind": "profiles", "auc": 0.8, "rules": rules}))
    policy = Profiles(scenario.policy_config)
    policy.start(sim.PolicyContext(scenario, lambda name: None))
    select = lambda **kw: policy.select(decl(**kw), None)  # noqa: E731
    assert select(origin="high_risk") == "red"  # rule 1, although rule 2 matches too
    assert select(origin="high_risk", aeo=True) == "yellow"  # rule 1 fails, rule 2 holds
    assert select(value_usd=500.0) == "green"  # max is exclusive
    assert select(value_usd=math.nan) == "green"  # no declared value: no value rule holds
    assert select(commodity="vaccine", risk_score=2.5) == "red"
    assert select(commodity="vaccine", risk_score=math.nan) == "green"
    assert select(commodity="vaccine", prearrival=True, priority=True) == "yellow"
    assert select(commodity="vaccine", prearrival=True) == "green"


def test_profile_rate_selects_that_share_and_falls_through():
    """A rule at rate r selects r of what it matches; the rest go on to the next rules."""
    rules = [
        {"lane": "red", "commodities": ["medicine"], "rate": 0.3},
        {"lane": "yellow", "commodities": ["medicine"]},
    ]
    scenario = build(world({"kind": "profiles", "rules": rules}))
    runs = reps(scenario, 2)
    red, yellow, n = 0, 0, 0
    for rec, _ in runs:
        med = counted(scenario, rec) & (rec.traffic.commodity == 0)
        red += (rec.lane[med] == lane_code(scenario, "red")).sum()
        yellow += (rec.lane[med] == lane_code(scenario, "yellow")).sum()
        n += med.sum()
        other = counted(scenario, rec) & (rec.traffic.commodity == 1)
        assert np.all(rec.selected_by[other] == NOT_SELECTED)
    p, se = proportion(red, n)
    assert_close(p, 0.3, se, 0.01)
    assert red + yellow == n


# --------------------------------------------------------------------------- alerts


def test_alerts_raise_interception_and_flag_at_their_rates():
    coverage, false_rate = 0.4, 0.01
    base = {"kind": "random", "rates": {"red": 0.1}}
    alerted = {**base, "alerts": {"coverage": coverage, "false_alert_rate": false_rate}}
    without = reps(build(world(base, detect=0.8)))
    with_alerts_sc = build(world(alerted, detect=0.8))
    with_alerts = reps(with_alerts_sc)
    for (_, a), (_, b) in zip(without, with_alerts, strict=True):
        assert b["interception_rate"] > a["interception_rate"]  # every replication, paired
    # Interception with alerts: 1 - (1 - 0.1)(1 - coverage) selected, times detection.
    interception, se = pooled(with_alerts, "intercepted", "illicit")
    assert_close(interception, 0.8 * (1 - 0.9 * (1 - coverage)), se, 0.02)
    flagged, illicit, false, legit = 0, 0, 0, 0
    for rec, m in with_alerts:
        c = counted(with_alerts_sc, rec)
        bad = rec.traffic.truth > 0
        flagged += (c & bad & rec.alert).sum()
        illicit += (c & bad).sum()
        false += (c & ~bad & rec.alert).sum()
        legit += (c & ~bad).sum()
        assert np.all(rec.lane[rec.alert & (rec.lane >= 0)] == lane_code(with_alerts_sc, "red"))
        assert m["alerts"] == (c & rec.alert).sum()
    p, se = proportion(flagged, illicit)
    assert_close(p, coverage, se, 0.03)
    p, se = proportion(false, legit)
    assert_close(p, false_rate, se, 0.002)


def test_alert_coverage_by_kind():
    policy = {"kind": "random", "alerts": {"coverage": {"falsified": 0.5}}}
    scenario = build(world(policy))
    ((rec, m),) = reps(scenario, 1)
    truth = rec.traffic.truth
    assert not rec.alert[truth == 2].any() and not rec.alert[truth == 0].any()
    p, se = proportion(rec.alert[truth == 1].sum(), (truth == 1).sum())
    assert_close(p, 0.5, se, 0.03)


# --------------------------------------------------------------------------- operations


def test_operations_change_selection_only_inside_their_window():
    """Same traffic with and without an operation on medicines from day 10 to 20: lanes
    differ only for medicines assessed in the window, where `rate` of those not selected are."""
    base = {"kind": "risk_score", "auc": 0.8, "budget": 0.1}
    op = {"start_day": 10, "end_day": 20, "commodities": ["medicine"], "rate": 0.5}
    plain, stop = build(world(base, days=30)), build(world({**base, "operations": [op]}, days=30))
    seed = sim.replication_seeds(4, 1)[0]
    a, b = sim.simulate(plain, seed), sim.simulate(stop, seed)
    done = (a.lane >= 0) & (b.lane >= 0)
    inside = (b.selected >= 240) & (b.selected < 480) & (b.traffic.commodity == 0)
    np.testing.assert_array_equal(a.lane[done & ~inside], b.lane[done & ~inside])
    assert not np.any(b.selected_by[~inside] == OPERATION)
    candidates = done & inside & (a.selected_by == NOT_SELECTED)
    p, se = proportion((b.selected_by[candidates] == OPERATION).sum(), candidates.sum())
    assert_close(p, 0.5, se, 0.03)
    # The base selection is untouched inside too.
    kept = done & inside & (a.selected_by == POLICY)
    assert kept.sum() > 50 and np.all(b.selected_by[kept] == POLICY)


def test_illicit_surge_changes_the_truth_only_in_its_window():
    """[[illicit.surges]] (the ground truth, not the policy): inside the window, falsified
    medicines are `factor` times as common; elsewhere every shipment's truth is unchanged."""
    data = world({"kind": "random"}, days=60, prevalence=0.1)
    surged = copy.deepcopy(data)
    surged["illicit"]["surges"] = [
        {
            "start_day": 10,
            "end_day": 40,
            "factor": 3.0,
            "kinds": ["falsified"],
            "commodities": ["medicine"],
        }
    ]
    seed = sim.replication_seeds(8, 1)[0]
    ta = sim.Border(build(data), sim.Streams(seed)).traffic
    tb = sim.Border(build(surged), sim.Streams(seed)).traffic
    window = (ta.arrival >= 240) & (ta.arrival < 960) & (ta.commodity == 0)
    np.testing.assert_array_equal(ta.truth[~window], tb.truth[~window])
    n = window.sum()
    p, se = proportion((tb.truth[window] == 1).sum(), n)
    assert_close(p, 0.1 * 0.5 * 3, se, 0.01)
    p, se = proportion((tb.truth[window] == 2).sum(), n)
    assert_close(p, 0.1 * 0.5, se, 0.01)
    # Shipments illicit without the surge stay illicit with it (coupled draws).
    assert np.all(tb.truth[window][ta.truth[window] > 0] > 0)


# --------------------------------------------------------------------------- pre-arrival


def prearrival_world(modifier: bool) -> dict[str, Any]:
    policy: dict[str, Any] = {"kind": "random", "rates": {"red": 0.2, "yellow": 0.3}}
    if modifier:
        policy["prearrival"] = {"lead_hours": 4.0}
    data = world(policy, days=10, prearrival_share=0.5, detect=0.0)
    data["lodgement"] = {"delay_hours": {"dist": "fixed", "value": 3.0}}
    data["checks"]["physical"]["duration_hours"] = {"dist": "fixed", "value": 2.0}
    data["checks"]["documents"]["duration_hours"] = {"dist": "fixed", "value": 1.0}
    data["lanes"]["red"] = ["documents", "physical"]
    return data


def test_prearrival_processing_releases_green_on_arrival_and_does_papers_before():
    """Pre-lodged declarations are assessed lead_hours before arrival: papers are checked
    before the goods arrive, goods checks wait for them, and the segments still add up."""
    seed = sim.replication_seeds(2, 1)[0]
    before, after = build(prearrival_world(False)), build(prearrival_world(True))
    a, b = sim.simulate(before, seed), sim.simulate(after, seed)
    t = b.traffic
    pre = t.prearrival & (b.outcome == 1) & (t.arrival > 4)  # (earlier: assessed at time 0)
    clearance = b.released - t.arrival
    lanes = {name: lane_code(after, name) for name in after.lanes}
    # No queues (ample officers), fixed durations: exact times.
    np.testing.assert_allclose(clearance[pre & (b.lane == lanes["green"])], 0, atol=1e-9)
    np.testing.assert_allclose(clearance[pre & (b.lane == lanes["yellow"])], 0, atol=1e-9)
    np.testing.assert_allclose(clearance[pre & (b.lane == lanes["red"])], 2, atol=1e-9)
    np.testing.assert_allclose(
        (a.released - t.arrival)[pre & (a.lane == lanes["red"])], 3, atol=1e-9
    )
    physical = list(after.checks).index("physical")
    started = ~np.isnan(b.start[physical])
    assert np.all(b.start[physical][started] >= t.arrival[started] - 1e-9)
    assert np.all(
        b.selected[t.prearrival & (t.arrival > 4)] < t.arrival[t.prearrival & (t.arrival > 4)]
    )
    # Declarations lodged after arrival are treated exactly as before.
    late = ~t.prearrival
    np.testing.assert_array_equal(a.lane[late], b.lane[late])
    np.testing.assert_allclose(a.released[late], b.released[late])
    m = sim.replication_metrics(after, b)
    parts = m["segment.lodgement"] + sum(
        v for k, v in m.items() if k.startswith("segment.") and k != "segment.lodgement"
    )
    assert parts == pytest.approx(m["clearance_hours_mean"], rel=1e-9)
    assert m["clearance_hours_mean"] < sim.replication_metrics(before, a)["clearance_hours_mean"]


# --------------------------------------------------------------------------- priority


def test_priority_lane_queue_priority_exemption_and_reroute():
    data = world(
        {
            "kind": "risk_score",
            "auc": 0.8,
            "budget": 0.2,
            "min_random_rate": 0.2,
            "priority": {
                "commodities": ["medicine"],
                "exempt_from_random": True,
                "reroute": {"red": "cold"},
            },
        }
    )
    data["checks"]["cold_exam"] = dict(data["checks"]["physical"])
    data["lanes"]["cold"] = ["cold_exam"]
    scenario = build(data)
    ((rec, m),) = reps(scenario, 1)
    med = (rec.traffic.commodity == 0) & (rec.lane >= 0)
    vac = (rec.traffic.commodity == 1) & (rec.lane >= 0)
    assert np.all(rec.priority[med]) and not np.any(rec.priority[vac & ~rec.traffic.priority])
    assert not np.any(rec.selected_by[med] == RANDOM)
    assert np.any(rec.selected_by[vac] == RANDOM)
    assert not np.any(rec.lane[med] == lane_code(scenario, "red"))
    assert np.any(rec.lane[med] == lane_code(scenario, "cold"))
    assert not np.any(rec.lane[vac] == lane_code(scenario, "cold"))


# --------------------------------------------------------------------------- bad input

INTERNALS = re.compile(r"Input should|Value error|function-|pydantic|Traceback|<class|Config\b")


def problems(policy: dict[str, Any], **world_changes: Any) -> list[tuple[str, str]]:
    data = world(policy)
    for key, value in world_changes.items():
        node = data
        *parents, last = key.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<test>")
    for _, msg in info.value.problems:
        assert "\n" not in msg and not INTERNALS.search(msg), msg
    return info.value.problems


BAD = [
    (
        "unknown-kind",
        {"kind": "risk-score"},
        "policy.kind",
        ["did you mean 'risk_score'", "capacity_aware"],
    ),
    ("no-auc", {"kind": "risk_score", "budget": 0.1}, "policy.auc", ["required"]),
    (
        "auc-too-high",
        {"kind": "risk_score", "auc": 1.0, "budget": 0.1},
        "policy.auc",
        ["less than 1", "got 1"],
    ),
    (
        "auc-below-chance",
        {"kind": "risk_score", "auc": {"falsified": 0.3}, "budget": 0.1},
        "policy.auc",
        ["'falsified'", "at least 0.5"],
    ),
    (
        "auc-text",
        {"kind": "risk_score", "auc": "high", "budget": 0.1},
        "policy.auc",
        ["a number", "table"],
    ),
    (
        "auc-unknown-kind",
        {"kind": "risk_score", "auc": {"falsifed": 0.8}, "budget": 0.1},
        "policy.auc.falsifed",
        ["did you mean 'falsified'"],
    ),
    (
        "threshold-and-budget",
        {"kind": "risk_score", "auc": 0.8, "budget": 0.1, "threshold": 1.0},
        "policy",
        ["either threshold", "not both"],
    ),
    ("neither", {"kind": "risk_score", "auc": 0.8}, "policy", ["threshold", "budget"]),
    (
        "bool-budget",
        {"kind": "risk_score", "auc": 0.8, "budget": True},
        "policy.budget",
        ["number"],
    ),
    (
        "text-rate",
        {"kind": "random", "min_random_rate": "0.1"},
        "policy.min_random_rate",
        ["number"],
    ),
    (
        "random-lane",
        {"kind": "random", "min_random_rate": 0.1, "random_lane": "redd"},
        "policy.random_lane",
        ["did you mean 'red'"],
    ),
    (
        "lane",
        {"kind": "risk_score", "auc": 0.8, "budget": 0.1, "lane": "rd"},
        "policy.lane",
        ["unknown lane 'rd'"],
    ),
    (
        "aeo-typo",
        {"kind": "random", "aeo": {"factr": 0.2}},
        "policy.aeo.factr",
        ["did you mean 'factor'", "allowed here: factor"],
    ),
    ("aeo-factor", {"kind": "random", "aeo": {"factor": 2}}, "policy.aeo.factor", ["at most 1"]),
    (
        "alerts-lane",
        {"kind": "random", "alerts": {"coverage": 0.1, "lane": "blue"}},
        "policy.alerts.lane",
        ["unknown lane 'blue'"],
    ),
    (
        "alerts-no-coverage",
        {"kind": "random", "alerts": {}},
        "policy.alerts.coverage",
        ["required"],
    ),
    (
        "op-commodity",
        {
            "kind": "random",
            "operations": [
                {"start_day": 1, "end_day": 2, "rate": 0.1, "commodities": ["medicines"]}
            ],
        },
        "policy.operations[0].commodities",
        ["did you mean 'medicine'"],
    ),
    (
        "op-order",
        {"kind": "random", "operations": [{"start_day": 3, "end_day": 2, "rate": 0.1}]},
        "policy.operations[0].end_day",
        ["after start_day"],
    ),
    (
        "op-too-late",
        {"kind": "random", "operations": [{"start_day": 100, "end_day": 200, "rate": 0.1}]},
        "policy.operations[0].start_day",
        ["never starts"],
    ),
    (
        "op-typo",
        {
            "kind": "random",
            "operations": [{"start_day": 1, "end_day": 2, "rate": 0.1, "lanes": "red"}],
        },
        "policy.operations[0].lanes",
        ["did you mean 'lane'"],
    ),
    (
        "priority-reroute",
        {"kind": "random", "priority": {"reroute": {"red": "cold"}}},
        "policy.priority.reroute.red",
        ["unknown lane 'cold'"],
    ),
    (
        "quota-sum",
        {"kind": "quota", "auc": 0.8, "rates": {"red": 0.6, "yellow": 0.6}},
        "policy.rates",
        ["at most 1"],
    ),
    (
        "quota-default",
        {"kind": "quota", "auc": 0.8, "rates": {"green": 0.5}},
        "policy.rates.green",
        ["default lane"],
    ),
    ("rules-empty", {"kind": "profiles", "rules": []}, "policy.rules", ["at least 1"]),
    (
        "rule-origin",
        {"kind": "profiles", "rules": [{"lane": "red", "origins": ["risky"]}]},
        "policy.rules[0].origins",
        ["unknown origin group 'risky'"],
    ),
    (
        "rule-score",
        {"kind": "profiles", "rules": [{"lane": "red", "min_score": 1.0}]},
        "policy.rules[0].min_score",
        ["policy.auc"],
    ),
    (
        "rule-values",
        {
            "kind": "profiles",
            "rules": [{"lane": "red", "min_value_usd": 10.0, "max_value_usd": 5.0}],
        },
        "policy.rules[0].max_value_usd",
        ["above min_value_usd"],
    ),
    (
        "rule-names",
        {"kind": "profiles", "rules": [{"lane": "red", "name": "a"}, {"lane": "red", "name": "a"}]},
        "policy.rules[1].name",
        ["already called 'a'"],
    ),
    (
        "cap-station",
        {
            "kind": "capacity_aware",
            "auc": 0.8,
            "budget": 0.1,
            "target_wait_hours": 2.0,
            "station": "physcal",
        },
        "policy.station",
        ["did you mean 'physical'"],
    ),
    (
        "cap-min",
        {
            "kind": "capacity_aware",
            "auc": 0.8,
            "budget": 0.1,
            "target_wait_hours": 2.0,
            "min_budget": 0.2,
        },
        "policy.min_budget",
        ["at most budget"],
    ),
    (
        "cap-no-checks",
        {
            "kind": "capacity_aware",
            "auc": 0.8,
            "budget": 0.1,
            "target_wait_hours": 2.0,
            "lane": "green",
        },
        "policy.station",
        ["no checks"],
    ),
]


@pytest.mark.parametrize(("policy", "path", "words"), [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_bad_policy_is_reported_at_its_key(policy, path, words):
    found = [msg for p, msg in problems(policy) if p == path]
    assert found, f"nothing at {path}: {problems(policy)}"
    for word in words:
        assert word in found[0], (word, found[0])


def test_priority_without_priority_commodities_is_reported():
    found = problems(
        {"kind": "random", "priority": {}}, traffic__commodities__vaccine__priority=False
    )
    assert found[0][0] == "policy.priority.commodities" and "priority = true" in found[0][1]


@pytest.mark.parametrize(
    ("surge", "path", "words"),
    [
        (
            {"start_day": 1, "end_day": 2, "factor": 2.0, "kinds": ["fake"]},
            "illicit.surges[0].kinds",
            ["unknown illicit kind 'fake'"],
        ),
        (
            {"start_day": 1, "end_day": 2, "factor": 2.0, "commodities": ["vacine"]},
            "illicit.surges[0].commodities",
            ["did you mean 'vaccine'"],
        ),
        ({"start_day": 1, "end_day": 2, "factor": 20.0}, "illicit.surges", ["probability", "> 1"]),
        (
            {"start_day": 2, "end_day": 1, "factor": 2.0},
            "illicit.surges[0].end_day",
            ["after start_day"],
        ),
    ],
)
def test_bad_illicit_surge_is_reported(surge, path, words):
    found = [msg for p, msg in problems({"kind": "random"}, illicit__surges=[surge]) if p == path]
    assert found
    for word in words:
        assert word in found[0]


def test_overlapping_surges_multiply_in_the_probability_check():
    """Two surges that are fine alone but overlap beyond probability 1 are refused."""
    surges = [
        {"start_day": 1, "end_day": 5, "factor": 3.0},
        {"start_day": 4, "end_day": 8, "factor": 3.0},
    ]
    data = world({"kind": "random"}, prevalence=0.2)
    data["illicit"]["surges"] = surges[:1]
    build(data)
    data["illicit"]["surges"] = surges
    with pytest.raises(ScenarioError, match="illicit.surges"):
        build(data)


# --------------------------------------------------------------------------- plug-ins

PLUGIN = """
import sim


class Flagged(sim.Policy):
    '''Red for alerts and for scores above 1, else green.'''

    kind = "flagged"

    def select(self, declaration, border):
        if declaration.alert or declaration.risk_score > 1.0:
            return "red"
        return "green"


class NotAPolicy:
    def select(self, declaration, border):
        return "red"


class NoSelect(sim.Policy):
    kind = "noselect"
"""


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    """A module of plug-ins in the working folder, importable as `bsplugin_<n>`."""
    name = f"bsplugin_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def test_load_plugin_from_module_and_from_file(plugin_module, tmp_path):
    cls = load_plugin(f"{plugin_module}:Flagged")
    assert cls.kind == "flagged" and issubclass(cls, sim.Policy)
    by_path = load_plugin(f"{tmp_path / plugin_module}.py:Flagged")
    assert by_path.__name__ == "Flagged"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("no_colon", ["not module:Class"]),
        ("{mod}:Flaged", ["has no 'Flaged'", "did you mean 'Flagged'", "policies in it"]),
        ("{mod}:NotAPolicy", ["not a policy", "subclass sim.Policy"]),
        ("{mod}:NoSelect", ["does not define select"]),
        ("{mod}:sim", ["not a class"]),
        ("no_such_module_xyz:Policy", ["no module named 'no_such_module_xyz'"]),
        ("missing/file.py:Policy", ["not found"]),
    ],
)
def test_bad_plugin_gets_a_plain_error(plugin_module, spec, words):
    with pytest.raises(PluginError) as info:
        load_plugin(spec.format(mod=plugin_module))
    for word in words:
        assert word in str(info.value), str(info.value)


def test_policy_factory_accepts_a_class_a_factory_or_text(plugin_module):
    cls = load_plugin(f"{plugin_module}:Flagged")
    for given_ in (cls, lambda: cls(), f"{plugin_module}:Flagged"):
        policy = policy_factory(given_)()
        assert isinstance(policy, cls) and policy.config.kind == "flagged"
    assert policy_factory(None) is None
    with pytest.raises(PluginError, match="fresh one"):
        policy_factory(cls())
    with pytest.raises(PluginError):
        check_plugin(int, "int")


def test_plugin_runs_from_python_with_the_signals_it_asks_for(plugin_module):
    """A plug-in runs in place of [policy]; it gets risk scores when its config names a
    targeting model, and the modifiers of its config apply to it."""
    cls = load_plugin(f"{plugin_module}:Flagged")
    scenario = build(world({"kind": "random", "rates": {"red": 0.1}}, days=10))
    seed = sim.replication_seeds(1, 1)[0]
    rec = sim.simulate(scenario, seed, cls())
    assert np.isnan(rec.risk_score).all() and not np.any(rec.selected_by > 0)  # no score: green
    config = sim.PolicyConfig(kind="flagged", auc=0.9, alerts={"coverage": 0.5})
    rec = sim.simulate(scenario, seed, cls(config))
    m = sim.replication_metrics(scenario, rec)
    done = rec.lane >= 0
    assert np.array_equal(rec.lane[done] == 2, (rec.risk_score > 1.0)[done] | rec.alert[done])
    assert m["alerts"] > 0 and m["interception_rate"] > 0.5
    result = sim.run(scenario, replications=2, policy=lambda: cls(config), progress=False)
    reps = result.replications  # pooled: every replication's catches over their illicit ones
    assert result["interception_rate"] == pytest.approx(
        sum(r["interception_rate"] * r["illicit"] for r in reps) / sum(r["illicit"] for r in reps)
    )


class Needs(sim.Policy):
    """A plug-in with a setting that has no default."""

    kind = "needs"

    class Config(sim.PolicyConfig):
        kind: Literal["needs"]
        level: float

    def select(self, declaration, border):
        return "green"


def test_plugin_without_defaults_says_how_to_configure_it():
    with pytest.raises(PolicyError, match="level"):
        Needs()
    assert Needs(Needs.Config(kind="needs", level=1.0)).config.level == 1.0


def test_plugin_choosing_an_unknown_lane_is_a_policy_error():
    class Purple(sim.Policy):
        def select(self, declaration, border):
            return "purple"

    scenario = build(world({"kind": "random"}, days=3))
    with pytest.raises(PolicyError, match="purple"):
        sim.simulate(scenario, sim.replication_seeds(1, 1)[0], Purple())


def _cli_has_plugin_flag() -> bool:
    from sim.cli import build_parser

    return "--policy-plugin" in build_parser().format_help() or any(
        "--policy-plugin" in (a.format_help() if hasattr(a, "format_help") else "")
        for a in build_parser()._subparsers._group_actions[0].choices.values()
    )


def test_plugin_runs_from_the_cli(plugin_module, tmp_path, capsys):
    """bordersim run --policy-plugin module:Class runs the plug-in (a CLI without the flag
    fails here rather than skipping)."""
    from sim.cli import main

    assert _cli_has_plugin_flag(), "bordersim run has no --policy-plugin flag"
    file = write_toml(
        tmp_path / "s.toml", world({"kind": "random", "auc": 0.9}, days=5, replications=2)
    )
    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(file),
            "--policy-plugin",
            f"{plugin_module}:Flagged",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (out / "summary.json").exists()
    bad = main(["run", str(file), "--policy-plugin", f"{plugin_module}:Nope", "--quiet"])
    assert bad == 2
    assert "Nope" in capsys.readouterr().err


def test_one_plugin_error_names_the_spec_when_given_by_name(plugin_module):
    """The loader an experiment uses registers the plug-in's kind; its errors are the same
    PluginError, prefixed with the --policy-plugin spec, and survive a trip from a worker."""
    import pickle

    from sim.policies import register_plugin, replacement

    assert issubclass(PluginError, PolicyError)
    cls = register_plugin(f"{plugin_module}:Flagged")
    assert sim.POLICIES["flagged"] is cls and register_plugin(f"{plugin_module}:Flagged") is cls
    with pytest.raises(PluginError) as info:
        register_plugin("no_such_module_xyz:Policy")
    err = info.value
    assert str(err).startswith("--policy-plugin no_such_module_xyz:Policy: no module named")
    assert err.spec == "no_such_module_xyz:Policy" and not err.message.startswith("--")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.spec) == (PluginError, str(err), err.spec)
    with pytest.raises(PluginError) as info:
        load_plugin("no_such_module_xyz:Policy")  # sim.load_plugin: the plain message
    assert info.value.spec is None and str(info.value).startswith("no module named")
    two = [f"{plugin_module}:Flagged", f"{plugin_module}:Flagged"]
    with pytest.raises(PluginError, match=f"^--policy-plugin {plugin_module}:Flagged: several"):
        replacement(two, ["random"])
    assert replacement(two, ["flagged"]) is None
    assert replacement(two[:1], ["random"]) == two[0]


# --------------------------------------------------------------------------- how a policy runs


def test_the_policy_interface_defaults():
    """Policy: reads the border and selects one by one unless it says otherwise; the pure
    built-ins say otherwise, and random and a risk-score threshold select many at once."""
    assert sim.Policy.reads_border
    assert sim.Policy().select_many(np.arange(3), None) is None
    for cls in (sim.RandomSelection, sim.Quota, sim.Profiles, sim.RiskScore):
        assert not cls.reads_border, cls
    assert sim.CapacityAware.reads_border
    has_hook = {c for c in sim.POLICIES.values() if c.select_many is not sim.Policy.select_many}
    assert has_hook == {sim.RandomSelection, sim.RiskScore}


class EveryOther(sim.RandomSelection):
    """A subclass of a pure policy with its own select: the parent's hook no longer fits."""

    def select(self, declaration, border):
        return "red" if declaration.id % 2 else "green"


class EveryOtherPure(EveryOther):
    reads_border = False


class HighValue(sim.Policy):
    """The example of docs/policies.md (the policy interface), at this world's values."""

    kind = "high-value"
    reads_border = False

    def select(self, declaration, border):
        return "red" if declaration.value_usd > 50 else "green"

    def select_many(self, ids, records):
        high = records.traffic.value_usd[ids] > 50  # NaN (no value): False, as above
        return np.where(high, 0, 1), ["red", "green"]


def _border(scenario: sim.Scenario, policy: sim.Policy, exact: bool = False):
    from sim.model.border import Border
    from sim.streams import Streams

    border = Border(scenario, Streams(sim.replication_seeds(3, 1)[0]), policy, exact=exact)
    border.run()
    return border


def test_a_subclass_that_overrides_select_is_selected_during_the_run_unless_it_says_not():
    scenario = build(world({"kind": "random", "rates": {"red": 0.5}}, days=5))
    assert EveryOther.reads_border and EveryOther.select_many is sim.Policy.select_many
    assert not EveryOtherPure.reads_border
    assert EveryOtherPure.select_many is sim.Policy.select_many  # one by one, before the run
    slow = _border(scenario, EveryOther())
    fast = _border(scenario, EveryOtherPure())
    assert not slow.fast and fast.fast
    rec = fast.records
    done = rec.lane >= 0
    red = lane_code(scenario, "red")
    assert np.array_equal((rec.lane == red)[done], (np.arange(len(rec.traffic)) % 2 == 1)[done])
    for name in ("lane", "selected_by", "selected", "released"):
        np.testing.assert_array_equal(getattr(slow.records, name), getattr(rec, name))


def test_a_policy_with_select_many_gives_what_select_gives():
    scenario = build(world({"kind": "random", "min_random_rate": 0.1, "aeo": {}}, days=5))
    policy = HighValue(HighValue.Config(kind="high-value", min_random_rate=0.1, aeo={}))
    fast = _border(scenario, policy)
    policy = HighValue(HighValue.Config(kind="high-value", min_random_rate=0.1, aeo={}))
    slow = _border(scenario, policy, exact=True)
    assert fast.fast and not slow.fast
    for name in ("lane", "selected_by", "selected", "priority", "released", "outcome"):
        np.testing.assert_array_equal(getattr(fast.records, name), getattr(slow.records, name))
    assert (fast.records.lane == lane_code(scenario, "red")).any()


def _declarations(scenario: sim.Scenario, rec: sim.Records) -> list[Declaration]:
    t = rec.traffic
    names = [list(getattr(scenario.traffic, k)) for k in ("commodities", "origins", "compliance")]
    columns = (t.arrival, t.lodged, t.commodity, t.origin, t.compliance, t.aeo, t.prearrival)
    columns += (t.priority, t.value_usd, rec.risk_score, rec.alert)
    out = []
    for sid, (arr, lod, com, ori, cmp, aeo, pre, pri, val, score, alert) in enumerate(
        zip(*(c.tolist() for c in columns), strict=True)
    ):
        decl = (names[0][com], names[1][ori], names[2][cmp], aeo, pre, pri, val, score, alert)
        out.append(Declaration(sid, arr, lod, *decl))
    return out


class _Clock:
    now = 0.0


MODIFIERS = st.fixed_dictionaries(
    {},
    optional={
        "min_random_rate": st.sampled_from([0.0, 0.05, 0.3]),
        "aeo": st.fixed_dictionaries({"factor": st.sampled_from([0.0, 0.2, 1.0])}),
        "priority": st.fixed_dictionaries(
            {
                "queue_priority": st.booleans(),
                "exempt_from_random": st.booleans(),
                "reroute": st.sampled_from([{}, {"red": "yellow"}, {"green": "yellow"}]),
            }
        ),
        "alerts": st.fixed_dictionaries(
            {"coverage": st.sampled_from([0.3, 1.0]), "lane": st.sampled_from(["red", "yellow"])}
        ),
        "operations": st.lists(
            st.fixed_dictionaries(
                {
                    "start_day": st.sampled_from([0.0, 1.0]),
                    "end_day": st.sampled_from([2.0, 4.0]),
                    "rate": st.sampled_from([0.2, 1.0]),
                    "lane": st.sampled_from(["red", "yellow"]),
                    "commodities": st.sampled_from([[], ["vaccine"]]),
                    "origins": st.sampled_from([[], ["high_risk"]]),
                }
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modifiers=MODIFIERS, threshold=st.booleans())
def test_each_modifier_gives_the_same_one_by_one_and_many_at_once(modifiers, threshold):
    """Selectivity's two evaluators of the modifiers' rules (one declaration, many at once)
    agree on any combination of modifiers, in any order of declarations."""
    from sim.policies import PolicyContext, Selectivity
    from sim.streams import Streams

    for i, op in enumerate(modifiers.get("operations", [])):
        op["name"] = f"op{i}"
    if threshold:
        base = {"kind": "risk_score", "auc": 0.8, "threshold": 0.5, "lane": "red"}
    else:
        base = {"kind": "random", "rates": {"red": 0.1, "yellow": 0.2}}
    data = world({**base, **modifiers}, days=4, per_day=150, aeo_share=0.4, replications=1)
    scenario = build(data)
    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    rec = sim.simulate(scenario, seed)
    sel = Selectivity(sim.policies.make_policy(scenario), scenario)
    sel.start(PolicyContext(scenario, Streams(seed).per_shipment))
    n = len(rec.traffic)
    ids = np.random.default_rng(n).permutation(n)
    when = np.linspace(0.0, scenario.end_hours, n)
    lanes, priority, reasons = sel.decide_many(ids, when, rec)
    declarations = _declarations(scenario, rec)
    clock = _Clock()
    for i, sid in enumerate(ids.tolist()):
        clock.now = float(when[i])
        k, pr, reason = sel.decide(declarations[sid], clock)
        assert (lanes[i], priority[i], reasons[i]) == (k, -1 if pr is None else int(pr), reason)
