"""Statistics across replications: means with t-intervals at one confidence level, paired
differences under common random numbers, and the Pareto-efficient points of a trade-off."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as st

CONFIDENCE = 0.95
"""Confidence level of every interval bordersim reports."""


def summarise(
    replications: list[dict[str, float]], confidence: float = CONFIDENCE
) -> dict[str, dict[str, Any]]:
    """Mean and t-interval of each metric across replications (NaN replications left out)."""
    names: list[str] = []
    for rep in replications:
        names += [k for k in rep if k not in names]
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        values = np.array([rep.get(name, math.nan) for rep in replications], dtype=float)
        values = values[~np.isnan(values)]
        n = int(values.size)
        if n == 0:
            out[name] = {
                "mean": None,
                "ci_low": None,
                "ci_high": None,
                "half_width": None,
                "sd": None,
                "n": 0,
            }
            continue
        mean = float(values.mean())
        if n >= 2:
            sd = float(values.std(ddof=1))
            half = float(st.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
        else:
            sd = half = math.nan
        out[name] = {
            "mean": mean,
            "ci_low": mean - half if n >= 2 else None,
            "ci_high": mean + half if n >= 2 else None,
            "half_width": half if n >= 2 else None,
            "sd": sd if n >= 2 else None,
            "n": n,
        }
    return out


def pareto_efficient(times: Sequence[float | None], catches: Sequence[float | None]) -> list[bool]:
    """Which points no other point beats on both (lower time, higher catch); a point with a
    missing value is not efficient."""
    idx = [
        i
        for i, (t, c) in enumerate(zip(times, catches, strict=True))
        if t is not None and c is not None and math.isfinite(t) and math.isfinite(c)
    ]
    out = [False] * len(times)
    best = -math.inf  # the highest catch among points strictly faster
    idx.sort(key=lambda i: times[i])  # type: ignore[arg-type, return-value]
    for _, group in itertools.groupby(idx, key=lambda i: times[i]):
        members = list(group)
        top = max(catches[i] for i in members)  # type: ignore[type-var]
        for i in members:
            out[i] = catches[i] == top and top > best
        best = max(best, top)  # type: ignore[type-var]
    return out


def paired_differences(
    reference: list[dict[str, float]], other: list[dict[str, float]]
) -> dict[str, dict[str, Any]]:
    """Mean and paired t-interval of ``other - reference``, replication by replication
    (over the replications both have; a pair with a missing value is left out)."""
    n = min(len(reference), len(other))
    diffs = [
        {m: other[i][m] - reference[i][m] for m in other[i] if m in reference[i]} for i in range(n)
    ]
    return summarise(diffs, CONFIDENCE)
