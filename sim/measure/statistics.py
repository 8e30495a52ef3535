"""Statistics across replications: each metric's estimate and interval at one confidence
level, in a form that respects what the metric can be; paired differences under common random
numbers; and the points of a trade-off that no other point beats beyond the noise.

Intervals (``method`` in each summary):

- ``wilson``: a share with a known denominator (``interception_rate`` of the illicit
  shipments, ``within_24h_share`` of those not intercepted): the estimate is the pooled share,
  every replication's successes over every replication's trials, and the interval Wilson's
  score interval with the trials divided by the overdispersion between replications (Pearson's
  chi-square over its degrees of freedom, at least 1), so that it is never narrower than the
  replications' own spread says. It lies in [0, 1] and holds the estimate.
- ``poisson``: a count (leaks, spoiled, censored): the mean per replication, with the exact
  (Garwood) Poisson interval of the total, overdispersion allowed for likewise. Never below 0.
- ``t``: anything else, the mean with Student's t-interval, kept within what the metric can be
  (0 and up; at most 1 for a probability).

Intervals need two replications; with one, ``ci_low`` and ``ci_high`` are None.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as st

from sim.measure import names as metric_names

CONFIDENCE = 0.95
"""Confidence level of every interval bordersim reports."""


def _z(confidence: float) -> float:
    return float(st.norm.ppf(0.5 + confidence / 2))


def wilson(successes: float, trials: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval of a share (successes and trials may be fractional: effective
    counts after allowing for overdispersion)."""
    if trials <= 0:
        return math.nan, math.nan
    p = min(max(successes / trials, 0.0), 1.0)
    z2 = _z(confidence) ** 2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = (
        math.sqrt(z2) / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2))
    )
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def poisson(total: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Garwood) interval of a Poisson mean from one observed total."""
    alpha = 1 - confidence
    low = st.chi2.ppf(alpha / 2, 2 * total) / 2 if total > 0 else 0.0
    high = st.chi2.ppf(1 - alpha / 2, 2 * (total + 1)) / 2
    return min(float(low), total), max(float(high), total)


def _share(
    rates: np.ndarray, trials: np.ndarray, confidence: float
) -> tuple[float, float | None, float | None]:
    """Pooled share and its overdispersed Wilson interval, from each replication's share and
    trials."""
    keep = trials > 0
    rates, trials = rates[keep], trials[keep]
    successes = rates * trials
    total = float(trials.sum())
    p = float(successes.sum() / total)
    if rates.size < 2:
        return p, None, None
    dispersion = 1.0
    if 0.0 < p < 1.0:
        chi2 = float(np.sum((successes - trials * p) ** 2 / (trials * p * (1 - p))))
        dispersion = max(1.0, chi2 / (rates.size - 1))
    low, high = wilson(p * total / dispersion, total / dispersion, confidence)
    return p, low, high


def _count(values: np.ndarray, confidence: float) -> tuple[float, float | None, float | None]:
    """Mean count per replication and its overdispersed Poisson interval."""
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, None, None
    variance = float(values.var(ddof=1))
    dispersion = max(1.0, variance / mean) if mean > 0 else 1.0
    low, high = poisson(float(values.sum()) / dispersion, confidence)
    scale = dispersion / n
    return mean, min(low * scale, mean), max(high * scale, mean)


def _t(
    values: np.ndarray, confidence: float, low_bound: float, high_bound: float
) -> tuple[float, float | None, float | None]:
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, None, None
    half = float(st.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, max(mean - half, low_bound), min(mean + half, high_bound)


def summarise(
    replications: list[dict[str, float]],
    confidence: float = CONFIDENCE,
    bounded: bool = True,
) -> dict[str, dict[str, Any]]:
    """Estimate and interval of each metric across replications (NaN replications left out):
    ``{"mean", "ci_low", "ci_high", "half_width", "sd", "n", "method"}``, where ``mean`` is a
    share's pooled estimate (see the module's notes). ``bounded=False``: plain t-intervals
    with no bounds, for differences between points."""
    order: dict[str, None] = {}
    for rep in replications:
        order.update(dict.fromkeys(rep))
    out: dict[str, dict[str, Any]] = {}
    for name in order:
        values = np.array([rep.get(name, math.nan) for rep in replications], dtype=float)
        keep = ~np.isnan(values)
        values = values[keep]
        n = int(values.size)
        if n == 0:
            out[name] = dict.fromkeys(("mean", "ci_low", "ci_high", "half_width", "sd"), None)
            out[name].update(n=0, method="t")
            continue
        method, estimate = _estimate(name, values, keep, replications, confidence, bounded)
        mean, low, high = estimate
        out[name] = {
            "mean": mean,
            "ci_low": low,
            "ci_high": high,
            "half_width": (high - low) / 2 if low is not None else None,
            "sd": float(values.std(ddof=1)) if n >= 2 else None,
            "n": n,
            "method": method,
        }
    return out


def _estimate(name, values, keep, replications, confidence, bounded):
    """(method, (estimate, low, high)) of one metric: see the module's notes."""
    if not bounded:
        return "t", _t(values, confidence, -math.inf, math.inf)
    denominator = metric_names.denominator(name)
    if denominator is not None:
        trials = np.array([rep.get(denominator, math.nan) for rep in replications], dtype=float)
        trials = trials[keep]
        if not np.isnan(trials).any() and trials.sum() > 0:
            return "wilson", _share(values, trials, confidence)
    if metric_names.is_count(name):
        return "poisson", _count(values, confidence)
    high = 1.0 if metric_names.at_most_one(name) else math.inf
    return "t", _t(values, confidence, 0.0, high)


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
    (over the replications both have; a pair with a missing value is left out). For a share
    pooled over replications (see :func:`summarise`), the difference is that of the two pooled
    shares, so that it is the difference of the figures shown side by side, with the paired
    interval's half-width around it."""
    n = min(len(reference), len(other))
    diffs = [
        {m: other[i][m] - reference[i][m] for m in other[i] if m in reference[i]} for i in range(n)
    ]
    out = summarise(diffs, CONFIDENCE, bounded=False)
    mine, theirs = summarise(other[:n]), summarise(reference[:n])
    for name, d in out.items():
        a, b = mine.get(name) or {}, theirs.get(name) or {}
        if d["mean"] is None or "wilson" not in (a.get("method"), b.get("method")):
            continue
        if a.get("mean") is None or b.get("mean") is None:
            continue
        shift = a["mean"] - b["mean"] - d["mean"]
        d["mean"] += shift
        if d["ci_low"] is not None:
            d["ci_low"] += shift
            d["ci_high"] += shift
    return out


def overloaded(stats: dict[str, dict[str, Any]]) -> bool:
    """Whether a point's summary says it is overloaded: at least half its replications were
    (``overloaded``); for a summary without that metric (written by an earlier version), more
    than 1% of its shipments still inside at the end."""
    flagged = (stats.get("overloaded") or {}).get("mean")
    if flagged is not None:
        return flagged >= 0.5
    censored = (stats.get("censored") or {}).get("mean")
    shipments = (stats.get("shipments") or {}).get("mean")
    return bool(censored and shipments and censored / shipments > 0.01)


def overload_reason(stats: dict[str, dict[str, Any]]) -> str:
    """Why a point is overloaded, in words (for a warning line)."""
    share = (stats.get("stuck_share") or {}).get("mean")
    if share is None:
        censored = (stats.get("censored") or {}).get("mean") or 0.0
        shipments = (stats.get("shipments") or {}).get("mean") or 0.0
        share = censored / shipments if shipments else 0.0
    growing = [
        m.split(".")[1]
        for m, s in stats.items()
        if m.startswith("station.") and m.endswith(".queue_grows") and (s.get("mean") or 0) >= 0.5
    ]
    parts = []
    if share > 0.01:
        parts.append(f"{share:.1%} of shipments still inside at the end after more than a day")
    if growing:
        parts.append(
            f"the queue at {', '.join(growing)} grows through the run, its officers saturated"
        )
    return "; ".join(parts) or "its queues do not keep up"


EFFICIENT, BAND, DOMINATED, OVERLOADED, MISSING = (
    "efficient",
    "band",
    "dominated",
    "overloaded",
    "missing",
)
"""A trade-off point's standing (see :func:`frontier`)."""


@dataclass
class Standing:
    """Where a point stands in a trade-off: ``status`` (efficient, band, dominated, overloaded,
    missing); for a point in the band, the point that beats it on the means (``behind``, an
    index) and about how many replications would tell the two apart (``separate_with``)."""

    status: str
    behind: int | None = None
    separate_with: int | None = None

    @property
    def on_frontier(self) -> bool:
        """Whether no other point is shown to beat it: efficient, or in the band."""
        return self.status in (EFFICIENT, BAND)


def _better(mine: np.ndarray, other: np.ndarray, sign: float, confidence: float) -> str:
    """How ``other`` compares with ``mine`` replication by replication on one axis (``sign``
    +1: higher is better, -1: lower is better): "better" beyond the paired interval, "equal"
    in every replication, "worse" beyond it, or "unsure"."""
    gain = sign * (other - mine)
    if not gain.any():
        return "equal"
    n = gain.size
    if n < 2:
        return "better" if gain[0] > 0 else "worse"
    half = float(st.t.ppf(0.5 + confidence / 2, n - 1) * gain.std(ddof=1) / math.sqrt(n))
    mean = float(gain.mean())
    if mean - half > 0:
        return "better"
    if mean + half < 0:
        return "worse"
    return "unsure"


def _needed(mine: np.ndarray, other: np.ndarray, confidence: float) -> float:
    """About how many paired replications would make the difference's interval exclude 0."""
    gain = other - mine
    n = gain.size
    mean = abs(float(gain.mean()))
    if n < 2 or mean == 0:
        return math.inf
    sd = float(gain.std(ddof=1))
    return (_z(confidence) * sd / mean) ** 2


def frontier(
    times: Sequence[Sequence[float]],
    catches: Sequence[Sequence[float]],
    overloaded: Sequence[bool] | None = None,
    confidence: float = CONFIDENCE,
) -> list[Standing]:
    """Each point's standing in the trade-off of clearance time (lower is better) against
    interception (higher is better), from its replications' values, paired replication by
    replication under common random numbers.

    A point is *dominated* only when another beats it beyond the paired interval on one axis
    and on the other beats it beyond the interval or equals it in every replication. Of the
    rest, the points that no other beats on both means are *efficient*; those beaten on the
    means, but not beyond the noise, are in the *band*: they cannot be told from the frontier
    with these replications. An *overloaded* point (shipments left inside, a queue that grows:
    its clearance time is not to be trusted) is never on the frontier and beats no other; a
    point with a missing value is *missing*. With one replication the means decide alone."""
    k = len(times)
    overloaded = list(overloaded) if overloaded is not None else [False] * k
    values = []
    for t, c in zip(times, catches, strict=True):
        t, c = np.asarray(t, dtype=float), np.asarray(c, dtype=float)
        values.append(
            (t, c) if t.size and c.size and np.isfinite(t).all() and np.isfinite(c).all() else None
        )
    live = [i for i in range(k) if values[i] is not None and not overloaded[i]]
    mean_t = np.array([values[i][0].mean() if i in live else np.nan for i in range(k)])
    mean_c = np.array([values[i][1].mean() if i in live else np.nan for i in range(k)])
    out = []
    for i in range(k):
        if values[i] is None:
            out.append(Standing(MISSING))
        elif overloaded[i]:
            out.append(Standing(OVERLOADED))
        else:
            # Only a point at least as good on both means can beat it, beyond the noise or not.
            ahead = (mean_t <= mean_t[i]) & (mean_c >= mean_c[i])
            ahead[i] = False
            out.append(_standing(i, np.flatnonzero(ahead), values, mean_t, mean_c, confidence))
    return out


def _standing(i, ahead, values, mean_t, mean_c, confidence) -> Standing:
    best: tuple[float, int] | None = None
    for j in ahead:
        j = int(j)
        n = min(values[i][0].size, values[j][0].size)
        mine_t, mine_c = values[i][0][:n], values[i][1][:n]
        other_t, other_c = values[j][0][:n], values[j][1][:n]
        on_time = _better(mine_t, other_t, -1.0, confidence)
        on_catch = _better(mine_c, other_c, 1.0, confidence)
        if {on_time, on_catch} <= {"better", "equal"} and "better" in (on_time, on_catch):
            return Standing(DOMINATED, behind=j)
        if mean_t[j] == mean_t[i] and mean_c[j] == mean_c[i]:
            continue  # the same on both means: neither beats the other
        needed = max(
            _needed(mine_t, other_t, confidence) if on_time in ("worse", "unsure") else 0.0,
            _needed(mine_c, other_c, confidence) if on_catch in ("worse", "unsure") else 0.0,
        )
        if best is None or needed < best[0]:
            best = (needed, j)
    if best is None:
        return Standing(EFFICIENT)
    needed, j = best
    return Standing(
        BAND, behind=j, separate_with=math.ceil(needed) if math.isfinite(needed) else None
    )
