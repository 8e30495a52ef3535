"""Every duration distribution draws what its parameters say: the sample mean and coefficient
of variation (and the shape where the family has one: the gamma shape 1/cv^2, the lognormal
sigma^2 = log(1 + cv^2) seen in the variance of the log samples) agree with the parameters.

Each comparison allows Z standard errors of the estimate, the standard error computed from the
sample size (and, for a variance, the sample's fourth central moment): with 200,000 draws from a
fixed seed a correct sampler never fails, while a gamma shape of 1/cv or a lognormal sigma^2 of
log(1 + cv) (both exact at cv = 1, so the cases avoid it) move the variance by far more.
Distributions are built through a scenario file's ``duration_hours`` table, as a user gives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim

from conftest import mmc_data

N = 200_000
Z = 5.0  # standard errors allowed: about 1 in 1.7 million per comparison by chance


def distribution(spec: dict[str, Any]):
    """The distribution a scenario file's ``duration_hours = {spec}`` gives."""
    data = mmc_data()
    data["checks"]["desk"]["duration_hours"] = spec
    return sim.from_dict(data, "<distribution>").checks["desk"].duration_hours


@dataclass
class Moments:
    n: int
    mean: float
    var: float
    se_mean: float
    se_var: float

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        n = x.size
        mean = float(x.mean())
        d = x - mean
        var = float(np.mean(d**2))
        m4 = float(np.mean(d**4))
        # sd(sample variance) = sqrt((mu4 - sigma^4) / n), estimated from the sample
        return cls(n, mean, var, math.sqrt(var / n), math.sqrt(max(m4 - var**2, 0.0) / n))


def assert_within(observed: float, expected: float, se: float, what: str) -> None:
    assert abs(observed - expected) <= Z * se + 1e-12 * (1 + abs(expected)), (
        f"{what}: {observed:.6g}, expected {expected:.6g} "
        f"({(observed - expected) / se if se else math.inf:+.1f} standard errors)"
    )


def assert_mean_and_cv(x: np.ndarray, mean: float, cv: float) -> Moments:
    """Sample mean = mean; sample variance = (cv * mean)^2, i.e. the sample cv = cv."""
    m = Moments.of(x)
    assert_within(m.mean, mean, math.sqrt((cv * mean) ** 2 / m.n), "mean")
    observed_cv = math.sqrt(m.var) / m.mean
    assert_within(
        m.var, (cv * mean) ** 2, m.se_var, f"variance (cv {observed_cv:.4f} for {cv:.4f})"
    )
    return m


def draw(spec: dict[str, Any], seed: int, n: int = N) -> tuple[Any, np.ndarray]:
    d = distribution(spec)
    x = np.asarray(d.sample(np.random.default_rng(seed), n), dtype=float)
    assert x.shape == (n,)
    assert np.all(np.isfinite(x)) and np.all(x >= 0), "durations are finite and never negative"
    return d, x


# ------------------------------------------------------------------ each family


@pytest.mark.parametrize("mean", [0.1, 2.5])
def test_exponential_mean_cv_and_memorylessness(mean):
    d, x = draw({"dist": "exponential", "mean": mean}, seed=101)
    assert d.mean_value == mean
    assert_mean_and_cv(x, mean, 1.0)
    # The exponential's shape: P(X > t) = exp(-t / mean), at the mean and at twice the mean.
    for t in (mean, 2 * mean):
        p = math.exp(-t / mean)
        assert_within(float((x > t).mean()), p, math.sqrt(p * (1 - p) / N), f"P(X > {t:g})")


@pytest.mark.parametrize(("mean", "cv"), [(1.5, 0.5), (0.2, 2.0), (8.0, 0.25)])
def test_gamma_mean_cv_and_shape(mean, cv):
    d, x = draw({"dist": "gamma", "mean": mean, "cv": cv}, seed=202)
    assert d.mean_value == mean
    m = assert_mean_and_cv(x, mean, cv)
    # shape = mean^2 / variance = 1 / cv^2; its relative error bounded by twice the mean's
    # plus the variance's.
    shape = m.mean**2 / m.var
    rel = 2 * Z * m.se_mean / m.mean + Z * m.se_var / m.var
    assert abs(shape / (1 / cv**2) - 1) <= rel, f"gamma shape {shape:.4f}, expected {1 / cv**2:.4f}"
    # The gamma family (not another with the same two moments): skewness = 2 cv.
    skew = float(np.mean((x - m.mean) ** 3)) / m.var**1.5
    assert skew == pytest.approx(2 * cv, rel=0.1), "gamma skewness is 2 cv"


@pytest.mark.parametrize(("mean", "cv"), [(0.5, 0.6), (2.0, 0.3), (3.0, 2.0), (0.05, 0.9)])
def test_lognormal_mean_cv_and_sigma(mean, cv):
    d, x = draw({"dist": "lognormal", "mean": mean, "cv": cv}, seed=303)
    assert d.mean_value == mean
    assert_lognormal(x, mean, cv)


def assert_lognormal(x: np.ndarray, mean: float, cv: float) -> None:
    sigma2 = math.log1p(cv**2)
    # The log samples are normal: mean log(mean) - sigma^2 / 2, variance sigma^2
    # (sd of a normal sample's variance: sigma^2 sqrt(2 / n)).
    logs = Moments.of(np.log(x))
    assert_within(logs.var, sigma2, sigma2 * math.sqrt(2 / logs.n), "variance of log samples")
    assert_within(
        logs.mean, math.log(mean) - sigma2 / 2, math.sqrt(sigma2 / logs.n), "mean of log samples"
    )
    if cv <= 1:  # beyond, the sample variance's tail is too long for a normal approximation
        assert_mean_and_cv(x, mean, cv)
    else:  # the mean alone, with the standard error of the true sd
        assert_within(float(x.mean()), mean, cv * mean / math.sqrt(x.size), "mean")


@pytest.mark.parametrize(("low", "mode", "high"), [(0.0, 1.0, 4.0), (2.0, 2.0, 3.0), (1, 5, 5)])
def test_triangular_mean_and_cv(low, mode, high):
    d, x = draw({"dist": "triangular", "low": low, "mode": mode, "high": high}, seed=404)
    mean = (low + mode + high) / 3
    var = (low**2 + mode**2 + high**2 - low * mode - low * high - mode * high) / 18
    assert d.mean_value == pytest.approx(mean, rel=1e-12)
    assert_mean_and_cv(x, mean, math.sqrt(var) / mean)
    assert x.min() >= low and x.max() <= high
    # The shape: P(X <= mode) = (mode - low) / (high - low).
    p = (mode - low) / (high - low)
    assert_within(float((x <= mode).mean()), p, math.sqrt(p * (1 - p) / N), "P(X <= mode)")


@pytest.mark.parametrize(("low", "high"), [(1.0, 5.0), (0.0, 0.5)])
def test_uniform_mean_and_cv(low, high):
    d, x = draw({"dist": "uniform", "low": low, "high": high}, seed=505)
    mean = (low + high) / 2
    assert d.mean_value == pytest.approx(mean, rel=1e-12)
    assert_mean_and_cv(x, mean, (high - low) / math.sqrt(12) / mean)
    assert x.min() >= low and x.max() < high
    # Flat: each quarter of the range holds a quarter of the draws.
    quarter = np.floor((x - low) / (high - low) * 4)
    for q in range(4):
        assert_within(float((quarter == q).mean()), 0.25, math.sqrt(0.25 * 0.75 / N), f"{q}")


def test_fixed_is_always_its_value():
    d, x = draw({"dist": "fixed", "value": 0.75}, seed=606, n=1000)
    assert d.mean_value == 0.75
    assert np.all(x == 0.75)


@pytest.mark.parametrize("values", [[1.0, 2.0, 2.0, 7.0, 0.0], [0.3], [5.0, 0.5]])
def test_empirical_resamples_the_values_uniformly(values):
    d, x = draw({"dist": "empirical", "values": values}, seed=707)
    v = np.asarray(values)
    mean = float(v.mean())
    assert d.mean_value == pytest.approx(mean, rel=1e-12)
    assert_mean_and_cv(x, mean, float(v.std()) / mean)
    assert set(np.unique(x)) <= set(values)
    for value in set(values):
        p = values.count(value) / len(values)
        assert_within(float((x == value).mean()), p, math.sqrt(p * (1 - p) / N), f"P(X = {value})")


def dist_names(node: Any) -> set[str]:
    """Every ``dist`` a scenario file may give, read from the scenario's JSON schema."""
    names: set[str] = set()
    if isinstance(node, dict):
        dist = node.get("properties", {}).get("dist")
        if isinstance(dist, dict):
            names.update([dist["const"]] if "const" in dist else dist.get("enum", []))
        for value in node.values():
            names |= dist_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= dist_names(value)
    return names


def test_every_distribution_is_tested_here():
    tested = {"exponential", "gamma", "lognormal", "triangular", "uniform", "fixed", "empirical"}
    tested |= {"geometric", "poisson", "negative_binomial"}  # batch sizes: tests/test_arrivals.py
    offered = dist_names(sim.Scenario.model_json_schema())
    assert offered == tested, "a new distribution needs its test of mean and cv here"


# ------------------------------------------------------------------ any parameters


@settings(max_examples=25, deadline=None)
@given(
    mean=st.floats(0.01, 100.0),
    cv=st.floats(0.1, 2.5).filter(lambda c: abs(c - 1) > 0.1),
    seed=st.integers(0, 2**32 - 1),
)
def test_gamma_and_lognormal_of_any_mean_and_cv(mean, cv, seed):
    """Away from cv = 1 (where a shape of 1/cv equals 1/cv^2, and log(1 + cv) equals
    log(1 + cv^2)) every mean and cv is drawn as configured."""
    d, x = draw({"dist": "gamma", "mean": mean, "cv": cv}, seed)
    assert d.mean_value == mean
    assert_mean_and_cv(x, mean, cv)
    d, x = draw({"dist": "lognormal", "mean": mean, "cv": cv}, seed)
    assert d.mean_value == mean
    assert_lognormal(x, mean, cv)
