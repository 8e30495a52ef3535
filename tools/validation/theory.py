"""Closed forms the cases compare the simulation with: Erlang C (M/M/c), Pollaczek-Khinchine
(M/G/1) and Cobham's priority queues. Pure functions of the parameters, no simulation."""

from __future__ import annotations

import math
from collections.abc import Sequence


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


def lognormal_second_moment(mean: float, cv: float) -> float:
    return mean**2 * (1 + cv**2)
