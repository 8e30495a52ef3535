"""Batch arrivals: one 24/7 exponential server fed by a Poisson stream of batches (flights),
M^X/M/1, against its closed form.

Batches of size X arrive at rate lambda (``[traffic.batches]``, schedule "poisson"), each
shipment of a batch at the batch's instant, served first come, first served (a batch in the
order its shipments were drawn, which is random). A random shipment waits
``Wq = rho / (mu (1 - rho)) + (E[X^2] - E[X]) / (2 E[X] mu (1 - rho))`` on average,
``rho = lambda E[X] / mu``; the share that does not wait at all is ``(1 - rho) P(X > 0) / E[X]``
(the first of a batch, not empty, that finds the server idle, by PASTA); E[X], E[X^2] and
P(X = 0) in closed form from the configured size (:mod:`tools.validation.theory`).

Sizes: the service takes 6 minutes (mu = 10 an hour), so that a day holds many relaxation
times and the cost is the shipments simulated; replications x days give a smallest detectable
error of about 3% in the mean wait (the quick case, in the test suite) and 4% in the busier
slow one, whose negatively binomial flights of 10 make waits ten times more variable."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, queue_data, replicate, station, waits
from tools.validation.run import register
from tools.validation.theory import batch_size_empty, batch_size_moments, mxm1_wq
from tools.validation.verdicts import Row, compare


def mxm1_rows(
    case: str,
    lam: float,
    mu: float,
    size: dict[str, Any],
    *,
    days: float,
    replications: int,
    seed: int,
    service_mean: float | None = None,
) -> list[Row]:
    """Batches of ``size`` at ``lam`` an hour into one exponential server of rate ``mu``:
    M^X/M/1. The simulation uses ``service_mean`` (default ``1/mu``) so that a test can check
    that a wrong model fails."""
    ex, ex2 = batch_size_moments(size)
    data = queue_data(
        "mxm1",
        per_hour=lam * ex,
        checks={"desk": station(1, exponential(service_mean or 1.0 / mu))},
        lanes={"all": ["desk"]},
        days=days,
        warmup_days=2,
        drain_days=1,
        replications=replications,
        seed=seed,
    )
    data["traffic"]["batches"] = {"schedule": "poisson", "size": size}
    scenario = from_dict(data, case)

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        hours = s.hours - s.warmup_hours
        return {
            "wq": m["station.desk.wait_hours_mean"],
            "idle": float(np.mean(waits(s, rec) == 0.0)),
            "util": m["station.desk.utilisation"],
            "rate": m["station.desk.arrivals"] / hours,
        }

    v = replicate(scenario, measure)
    rho = lam * ex / mu
    return [
        compare(case, "mean wait Wq (h)", mxm1_wq(lam, mu, ex, ex2), v["wq"]),
        compare(
            case,
            "P(wait = 0) = (1 - rho) P(X > 0) / E[X]",
            (1 - rho) * (1 - batch_size_empty(size)) / ex,
            v["idle"],
            relative=False,
        ),
        compare(case, "utilisation", rho, v["util"], relative=False),
        compare(case, "shipments an hour = lambda E[X]", lam * ex, v["rate"]),
    ]


MXM1_CASES = [
    # (label, batches an hour, mu, size, days, replications, slow)
    (
        "M^X/M/1 geometric batches of 2, rho=0.5",
        2.5,
        10.0,
        {"dist": "geometric", "mean": 2.0},
        200,
        30,
        False,
    ),
    (
        "M^X/M/1 negative binomial batches of 10 (cv 1), rho=0.7",
        0.7,
        10.0,
        {"dist": "negative_binomial", "mean": 10.0, "cv": 1.0},
        1200,
        40,
        True,
    ),
]
for _label, _lam, _mu, _size, _days, _reps, _slow in MXM1_CASES:
    _id = f"batches/{_label}"
    register(
        _id,
        "batches",
        f"{_label}: one 24/7 exponential server (6 min), a Poisson stream of {_lam:g} "
        f"batches an hour ({_days:,} days x {_reps} replications)",
        partial(mxm1_rows, _id, _lam, _mu, _size, days=_days, replications=_reps, seed=31),
        slow=_slow,
    )
