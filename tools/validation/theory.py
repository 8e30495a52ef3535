"""Closed forms the cases compare the simulation with: Erlang C (M/M/c), Pollaczek-Khinchine
(M/G/1), Cobham's priority queues, and the first and second moments of every distribution kind
in closed form. Pure functions of the parameters, no simulation, nothing from the model's code."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a = lambda/mu``
    (Erlang C): ``(a^c/c! c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! c/(c-a))``."""
    if not 0 <= a < c:
        raise ValueError(f"offered load {a} must be in [0, c={c})")
    term, head = 1.0, 0.0
    for k in range(c):
        head += term
        term *= a / (k + 1)  # term = a^(k+1) / (k+1)!
    top = term * c / (c - a)
    return top / (head + top)


def mmc_wq(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c: ``C(c, a) / (c mu - lambda)``."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """``P(wait > t) = C(c, a) exp(-(c mu - lambda) t)`` in M/M/c."""
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def pk_wq(lam: float, mean: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of M/G/1: ``lambda E[S^2] / (2 (1 - rho))``."""
    return lam * second_moment / (2 * (1 - lam * mean))


def cobham_mmc(lams: Sequence[float], mu: float, c: int) -> list[float]:
    """Mean wait of each class (highest priority first) in a non-preemptive priority M/M/c
    queue with one service rate: ``W_k = C(c, a) / (c mu (1 - s_{k-1}) (1 - s_k))`` with
    ``s_k`` the load of classes 1..k (Cobham 1954; Gross and Harris)."""
    load = sum(lams) / mu
    w0 = erlang_c(c, load) / (c * mu)
    out, sigma = [], 0.0
    for lam in lams:
        before, sigma = sigma, sigma + lam / (c * mu)
        out.append(w0 / ((1 - before) * (1 - sigma)))
    return out


def cobham_mg1(lams: Sequence[float], mean: float, second_moment: float) -> list[float]:
    """Mean wait of each class in a non-preemptive priority M/G/1 queue with one service
    distribution: ``W_k = W0 / ((1 - s_{k-1}) (1 - s_k))``, ``W0 = lambda E[S^2] / 2``."""
    w0 = sum(lams) * second_moment / 2
    out, sigma = [], 0.0
    for lam in lams:
        before, sigma = sigma, sigma + lam * mean
        out.append(w0 / ((1 - before) * (1 - sigma)))
    return out


def cobham_mg1_classes(
    lams: Sequence[float], means: Sequence[float], second_moments: Sequence[float]
) -> list[float]:
    """Mean wait of each class (highest priority first) in a non-preemptive priority M/G/1
    queue where each class has its own service distribution: ``W_k = W0 / ((1 - s_{k-1})
    (1 - s_k))``, ``W0 = sum_k lambda_k E[S_k^2] / 2``, ``s_k = sum_{i<=k} lambda_i E[S_i]``
    (Cobham 1954; Kleinrock, Queueing Systems II, 3.7)."""
    if not len(lams) == len(means) == len(second_moments):
        raise ValueError("one mean and one second moment per class")
    w0 = sum(lam * m2 for lam, m2 in zip(lams, second_moments, strict=True)) / 2
    out, sigma = [], 0.0
    for lam, mean in zip(lams, means, strict=True):
        before, sigma = sigma, sigma + lam * mean
        if sigma >= 1:
            raise ValueError(f"load of the first {len(out) + 1} classes is {sigma:g} >= 1")
        out.append(w0 / ((1 - before) * (1 - sigma)))
    return out


def lognormal_second_moment(mean: float, cv: float) -> float:
    """E[S^2] of a distribution given by its mean and cv (lognormal, gamma): m^2 (1 + cv^2)."""
    return mean**2 * (1 + cv**2)


# ------------------------------------------------------------------ moments of a distribution
# The theory of a case reads a distribution's *configured parameters* (the table a scenario
# file writes: ``{"dist": "lognormal", "mean": 2.0, "cv": 0.5}``) and never its sampler, so that
# a fault in the code under test cannot move the theory with it.


def _parameters(spec: Any) -> dict[str, Any]:
    """The parameters of a distribution, from its table or its validated model."""
    if isinstance(spec, Mapping):
        return dict(spec)
    return spec.model_dump()


def first_moment(spec: Any) -> float:
    """E[S] of a configured distribution, in closed form."""
    p = _parameters(spec)
    kind = p["dist"]
    if kind in ("exponential", "lognormal", "gamma"):
        return float(p["mean"])
    if kind == "fixed":
        return float(p["value"])
    if kind == "uniform":
        return (p["low"] + p["high"]) / 2
    if kind == "triangular":
        return (p["low"] + p["mode"] + p["high"]) / 3
    if kind == "empirical":
        return math.fsum(p["values"]) / len(p["values"])
    raise ValueError(f"no closed form for the distribution {kind!r}")


def second_moment(spec: Any) -> float:
    """E[S^2] of a configured distribution, in closed form: exponential 2 m^2; lognormal and
    gamma by mean and cv m^2 (1 + cv^2); fixed v^2; uniform (a^2 + ab + b^2) / 3; triangular
    (a^2 + b^2 + c^2 + ab + ac + bc) / 6 (low a, mode c, high b); empirical the mean of the
    squared values."""
    p = _parameters(spec)
    kind = p["dist"]
    if kind == "exponential":
        return 2 * p["mean"] ** 2
    if kind in ("lognormal", "gamma"):
        return lognormal_second_moment(p["mean"], p["cv"])
    if kind == "fixed":
        return float(p["value"]) ** 2
    if kind == "uniform":
        a, b = p["low"], p["high"]
        return (a * a + a * b + b * b) / 3
    if kind == "triangular":
        a, c, b = p["low"], p["mode"], p["high"]
        return (a * a + b * b + c * c + a * b + a * c + b * c) / 6
    if kind == "empirical":
        return math.fsum(x * x for x in p["values"]) / len(p["values"])
    raise ValueError(f"no closed form for the distribution {kind!r}")


def residual(spec: Any) -> float:
    """Mean residual of a service in progress at a random time (the equilibrium excess):
    ``E[S^2] / (2 E[S])``."""
    return second_moment(spec) / (2 * first_moment(spec))


# ------------------------------------------------------------------------ batch arrivals


def batch_size_moments(spec: Any) -> tuple[float, float]:
    """(E[X], E[X^2]) of a configured batch size, in closed form from its parameters: fixed
    v, v^2; geometric on 1, 2, ... (p = 1 / m) m, 2 m^2 - m; Poisson m, m + m^2; negative
    binomial by mean and cv m, m^2 (1 + cv^2)."""
    p = _parameters(spec)
    kind = p["dist"]
    if kind == "fixed":
        v = float(p["value"])
        return v, v * v
    m = float(p["mean"])
    if kind == "geometric":
        return m, 2 * m * m - m
    if kind == "poisson":
        return m, m + m * m
    if kind == "negative_binomial":
        return m, m * m * (1 + p["cv"] ** 2)
    raise ValueError(f"no closed form for the batch size {kind!r}")


def batch_size_empty(spec: Any) -> float:
    """P(X = 0), an empty batch, of a configured batch size: 0 for fixed and geometric sizes;
    Poisson exp(-m); negative binomial by mean and cv ``p^r`` with ``p = 1 / (cv^2 m)``,
    ``r = m / (cv^2 m - 1)``."""
    p = _parameters(spec)
    kind = p["dist"]
    if kind in ("fixed", "geometric"):
        return 0.0
    m = float(p["mean"])
    if kind == "poisson":
        return math.exp(-m)
    if kind == "negative_binomial":
        k = p["cv"] ** 2 * m
        return (1 / k) ** (m / (k - 1))
    raise ValueError(f"no closed form for the batch size {kind!r}")


def mxg1_wq(
    lam: float, batch_mean: float, batch_second: float, mean: float, second: float
) -> float:
    """Mean wait in queue of a random customer of an M^X/G/1 queue (FCFS, batches of size X at
    rate ``lam``, random order within a batch): the wait of the batch's first customer, the
    Pollaczek-Khinchine wait of the batch stream ``lam E[X] E[S^2] / (2 (1 - rho))``, plus the
    service of those ahead of it in its batch, ``(E[X^2] - E[X]) E[S] / (2 E[X] (1 - rho))``
    (the mean number ahead in its own batch, E[X(X-1)] / (2 E[X]), by the size-biased batch a
    customer belongs to), with ``rho = lam E[X] E[S] < 1`` (Gross, Shortle, Thompson and
    Harris, *Fundamentals of Queueing Theory*, M^X/G/1; Burke 1975)."""
    rho = lam * batch_mean * mean
    if not 0 <= rho < 1:
        raise ValueError(f"load {rho:g} must be in [0, 1)")
    first = lam * batch_mean * second / (2 * (1 - rho))
    within = (batch_second - batch_mean) * mean / (2 * batch_mean * (1 - rho))
    return first + within


def mxm1_wq(lam: float, mu: float, batch_mean: float, batch_second: float) -> float:
    """Mean wait in queue of a random customer of an M^X/M/1 queue (batches at rate ``lam``,
    one exponential server of rate ``mu``, ``rho = lam E[X] / mu < 1``):
    ``Wq = rho / (mu (1 - rho)) + (E[X^2] - E[X]) / (2 E[X] mu (1 - rho))``; with X = 1 it is
    the M/M/1 wait ``rho / (mu - lambda)``. The M^X/G/1 form (:func:`mxg1_wq`) with
    E[S] = 1 / mu, E[S^2] = 2 / mu^2."""
    return mxg1_wq(lam, batch_mean, batch_second, 1.0 / mu, 2.0 / mu**2)
