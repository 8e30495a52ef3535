"""Clearance time when some shipments are still in custody at the end of a run.

A shipment still inside when the run stops has a clearance time longer than the time it has
spent inside so far: a right-censored observation. Leaving it out (the released-only figures)
makes a congested border look fast, because the slowest shipments are the ones missing. The
Kaplan-Meier estimate of the clearance-time distribution counts every shipment that was not
intercepted, censored ones as "at least this long", and the mean, quantiles and within-T
shares are read from it (``scipy.stats.ecdf`` with ``CensoredData``).

- mean: the restricted mean, the area under the survival curve up to the longest time
  observed (``tau``); with censored shipments it is a lower bound of the true mean;
- quantile q: the smallest time by which the estimated share released reaches q; NaN when
  the estimate never reaches it (too many shipments still inside);
- within T: the estimated share released within T hours.

With no shipment censored, the Kaplan-Meier estimate is the empirical distribution, and the
figures are the plain ones (mean, ``numpy.quantile``, share within T), computed as such.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as st


@dataclass
class ClearanceFigures:
    """Mean, quantiles (by probability) and shares within T hours (by T) of one group."""

    mean: float
    quantiles: dict[float, float] = field(default_factory=dict)
    within: dict[float, float] = field(default_factory=dict)


def plain(times: np.ndarray, probs: Iterable[float] = (), hours: Iterable[float] = ()):
    """The figures of fully observed times (``times`` may be reordered: it is sorted here)."""
    n = times.size
    if not n:
        return ClearanceFigures(math.nan, dict.fromkeys(probs, math.nan), dict.fromkeys(hours, 0.0))
    mean = float(np.mean(times))  # before sorting: the sum's last bits depend on the order
    times.sort()
    quantiles = {q: float(np.quantile(times, q)) for q in probs}
    within = {h: np.searchsorted(times, h, side="right") / n for h in hours}
    return ClearanceFigures(mean, quantiles, {h: float(v) for h, v in within.items()})


def kaplan_meier(
    times: np.ndarray,
    held: np.ndarray,
    probs: Iterable[float] = (),
    hours: Iterable[float] = (),
) -> ClearanceFigures:
    """The figures of released shipments' clearance ``times`` and of the hours ``held`` so far
    by shipments still inside (right-censored), by the Kaplan-Meier estimate; the plain
    figures when none is censored. ``times`` may be reordered."""
    probs, hours = list(probs), list(hours)
    if not held.size:
        return plain(times, probs, hours)
    if not times.size:  # nobody released yet: nothing is known but "longer than held"
        return ClearanceFigures(math.nan, dict.fromkeys(probs, math.nan), dict.fromkeys(hours, 0.0))
    sf = st.ecdf(st.CensoredData(uncensored=times, right=held)).sf
    at, surviving = np.asarray(sf.quantiles), np.asarray(sf.probabilities)
    # Area under the step function S: 1 until the first time, then surviving[k] on
    # [at[k], at[k + 1]), up to tau = at[-1].
    mean = float(at[0] + np.sum(surviving[:-1] * np.diff(at)))
    released = 1.0 - surviving
    quantiles = {}
    for q in probs:
        k = int(np.searchsorted(released, q - 1e-12, side="left"))
        quantiles[q] = float(at[k]) if k < at.size else math.nan
    within = {h: float(1.0 - sf.evaluate(h)) for h in hours}
    return ClearanceFigures(mean, quantiles, within)


__all__ = ["ClearanceFigures", "kaplan_meier", "plain"]
