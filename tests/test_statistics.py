"""Statistics a policy officer can quote: censored clearance times, intervals that stay within
what a metric can be, and a trade-off frontier that noise cannot fool."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from sim.measure.censoring import kaplan_meier, plain
from sim.measure.statistics import (
    BAND,
    DOMINATED,
    EFFICIENT,
    OVERLOADED,
    frontier,
    poisson,
    summarise,
    wilson,
)

hours = st.floats(0.0, 500.0, allow_nan=False)
PROBS = (0.5, 0.9, 0.95)
TARGETS = (6.0, 24.0, 48.0)


# --------------------------------------------------------------------------- Kaplan-Meier


@given(st.lists(hours, min_size=1, max_size=200))
def test_with_no_censoring_the_kaplan_meier_figures_are_the_plain_ones_exactly(times):
    x = np.array(times)
    km = kaplan_meier(x.copy(), np.zeros(0), PROBS, TARGETS)
    assert km.mean == float(np.mean(x))
    for q in PROBS:
        assert km.quantiles[q] == float(np.quantile(x, q))
    for t in TARGETS:
        assert km.within[t] == float(np.sum(x <= t) / x.size)
    assert km == plain(x.copy(), PROBS, TARGETS)


@given(st.lists(hours, min_size=1, max_size=100), st.lists(hours, min_size=1, max_size=100))
def test_censored_figures_lie_between_the_released_only_and_the_pessimistic_ones(times, held):
    """Counting those still inside as censored can only lengthen clearance time compared with
    leaving them out, and shortens it compared with counting them as never released."""
    x, c = np.array(times), np.array(held)
    km = kaplan_meier(x.copy(), c, (), TARGETS)
    released_only = plain(x.copy(), (), TARGETS)
    for t in TARGETS:
        never = np.sum(x <= t) / (x.size + c.size)  # those inside: not released within t
        assert never - 1e-12 <= km.within[t] <= released_only.within[t] + 1e-12
    assert 0.0 <= km.mean <= max(x.max(), c.max()) + 1e-9


def test_censoring_far_beyond_every_time_changes_nothing_but_the_mean():
    rng = np.random.default_rng(4)
    x = rng.exponential(3.0, 500)
    km = kaplan_meier(x.copy(), np.full(5, 1e4), PROBS, TARGETS)
    base = plain(x.copy(), (), TARGETS)
    for t in TARGETS:
        assert km.within[t] == pytest.approx(base.within[t] * 500 / 505, rel=1e-12)
    assert km.mean > base.mean


def test_exponential_times_with_independent_censoring_recover_the_true_figures():
    """The known answer: exponential clearance times (mean 5 h) under uniform censoring."""
    rng = np.random.default_rng(11)
    n = 40_000
    true = rng.exponential(5.0, n)
    cut = rng.uniform(0.0, 30.0, n)
    observed = true <= cut
    km = kaplan_meier(true[observed], cut[~observed], (0.5, 0.9), (6.0,))
    assert km.quantiles[0.5] == pytest.approx(5.0 * math.log(2), rel=0.03)
    assert km.quantiles[0.9] == pytest.approx(5.0 * math.log(10), rel=0.03)
    assert km.within[6.0] == pytest.approx(1 - math.exp(-6 / 5), abs=0.01)
    # The restricted mean up to 30 h of an exponential: 5 (1 - e^-6).
    assert km.mean == pytest.approx(5.0 * (1 - math.exp(-6.0)), rel=0.02)
    released_only = float(true[observed].mean())
    assert released_only < 0.85 * km.mean  # leaving them out would make it look fast


def test_nobody_released_yet_gives_no_time_and_no_share():
    km = kaplan_meier(np.zeros(0), np.array([3.0, 4.0]), (0.5,), (24.0,))
    assert math.isnan(km.mean) and math.isnan(km.quantiles[0.5]) and km.within[24.0] == 0.0


# --------------------------------------------------------------------------- intervals


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 400)).map(lambda t: (min(t), max(t))),
        min_size=2,
        max_size=8,
    )
)
def test_every_interval_of_a_share_lies_in_0_1_and_holds_the_pooled_estimate(counts):
    reps = [
        {"interception_rate": (k / n if n else math.nan), "illicit": float(n)} for k, n in counts
    ]
    s = summarise(reps)["interception_rate"]
    trials = sum(n for _, n in counts)
    if not trials:
        assert s["mean"] is None
        return
    pooled = sum(k for k, _ in counts) / trials
    assert s["method"] == "wilson"
    assert s["mean"] == pytest.approx(pooled, abs=1e-12)
    if s["ci_low"] is not None:
        assert 0.0 <= s["ci_low"] <= s["mean"] <= s["ci_high"] <= 1.0


@given(st.lists(st.integers(0, 50), min_size=2, max_size=10))
def test_every_interval_of_a_count_is_never_below_0_and_holds_the_mean(counts):
    s = summarise([{"leaks": float(c)} for c in counts])["leaks"]
    assert s["method"] == "poisson"
    assert s["mean"] == pytest.approx(np.mean(counts))
    assert 0.0 <= s["ci_low"] <= s["mean"] <= s["ci_high"]
    if not any(counts):
        assert s["ci_high"] > 0  # none seen in a few replications is not "never"


@given(st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=2, max_size=10))
def test_other_metrics_stay_within_what_they_can_be(values):
    out = summarise(
        [{"clearance_hours_mean": v, "risk_score.auc_realised": v / 1e3} for v in values]
    )
    assert out["clearance_hours_mean"]["ci_low"] >= 0.0
    assert out["risk_score.auc_realised"]["ci_low"] >= 0.0
    assert out["risk_score.auc_realised"]["ci_high"] <= 1.0


def test_wilson_agrees_with_scipy_for_whole_counts():
    for k, n in ((0, 10), (3, 40), (39, 40), (17, 1000)):
        ci = sps.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_poisson_is_garwood_exact():
    low, high = poisson(0.0)
    assert low == 0.0 and high == pytest.approx(3.6889, abs=1e-4)
    low, high = poisson(10.0)
    assert (low, high) == pytest.approx((4.7954, 18.3904), abs=1e-4)


def test_a_rare_share_no_longer_has_a_negative_interval():
    """Three replications catching 0, 1 and 5 of 20 illicit shipments: a t-interval would
    go below 0; the pooled share's does not, and it is wider than binomial where the
    replications disagree more than chance says."""
    reps = [{"interception_rate": k / 20, "illicit": 20.0} for k in (0, 1, 5)]
    s = summarise(reps)["interception_rate"]
    t_low = (
        np.mean([0, 0.05, 0.25]) - sps.t.ppf(0.975, 2) * np.std([0, 0.05, 0.25], ddof=1) / 3**0.5
    )
    assert t_low < 0 <= s["ci_low"]
    plain_low, plain_high = wilson(6, 60)
    assert s["ci_high"] - s["ci_low"] > plain_high - plain_low


def test_differences_are_not_bounded():
    s = summarise([{"interception_rate": -0.1}, {"interception_rate": -0.2}], bounded=False)
    assert s["interception_rate"]["mean"] == pytest.approx(-0.15)
    assert s["interception_rate"]["ci_low"] < -0.2


# --------------------------------------------------------------------------- the frontier


def _points(noise: float, seed: int = 1, n: int = 5):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, n)  # common random numbers: shared by every point
    times = [10 + common, 10.05 + common + rng.normal(0, noise, n), 14 + common, 8 + common]
    catches = [
        0.30 + rng.normal(0, 0.02, n),
        0.302 + rng.normal(0, 0.02, n),
        0.20 + 0.001 * common,
        0.40 + 0.001 * common,
    ]
    return times, catches


def test_a_lead_that_is_noise_puts_both_points_in_the_band_not_on_a_crisp_line():
    times, catches = _points(0.05)
    out = frontier(times[:3], catches[:3])
    statuses = [s.status for s in out]
    assert statuses[2] == DOMINATED and out[2].behind in (0, 1)
    assert sorted(statuses[:2]) == sorted([EFFICIENT, BAND]) or statuses[:2] == [
        EFFICIENT,
        EFFICIENT,
    ]
    band = [s for s in out if s.status == BAND]
    for s in band:
        assert s.separate_with is None or s.separate_with > 5


def test_an_overloaded_point_is_never_on_the_frontier_and_beats_no_other():
    times, catches = _points(0.05)
    out = frontier(times, catches, [False, False, False, True])
    assert out[3].status == OVERLOADED and not out[3].on_frontier
    # Without the overloaded point (faster and catching more), the others stand as before.
    alone = frontier(times[:3], catches[:3])
    assert [s.status for s in out[:3]] == [s.status for s in alone]
    assert frontier(times, catches)[0].status == DOMINATED  # it would beat them all


def test_points_equal_in_every_replication_do_not_dominate_each_other():
    t = [np.array([1.0, 2.0, 3.0])] * 2
    c = [np.array([0.1, 0.2, 0.3])] * 2
    assert [s.status for s in frontier(t, c)] == [EFFICIENT, EFFICIENT]


def test_one_replication_judges_on_the_means():
    out = frontier([[1.0], [2.0], [0.5]], [[0.5], [0.4], [0.1]])
    assert [s.status for s in out] == [EFFICIENT, DOMINATED, EFFICIENT]


@given(st.integers(2, 6), st.integers(2, 5), st.integers(0, 10_000))
def test_no_point_on_the_frontier_is_dominated_beyond_the_noise_by_another(k, n, seed):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, n)
    times = [rng.uniform(1, 10) + common + rng.normal(0, 0.3, n) for _ in range(k)]
    catches = [rng.uniform(0, 1) + rng.normal(0, 0.05, n) for _ in range(k)]
    out = frontier(times, catches)
    means = [(t.mean(), c.mean()) for t, c in zip(times, catches, strict=True)]
    for i, s in enumerate(out):
        beaten = any(
            means[j][0] <= means[i][0] and means[j][1] >= means[i][1] and means[j] != means[i]
            for j in range(k)
        )
        assert (s.status == EFFICIENT) == (not beaten)
        if s.status == DOMINATED:
            j = s.behind
            assert means[j][0] <= means[i][0] and means[j][1] >= means[i][1]
