"""Two priority classes at one station, non-preemptive: each class against Cobham, and
their mean against the FCFS wait (the conservation law)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, joined, queue_data, replicate, station
from tools.validation.run import register
from tools.validation.theory import cobham_mg1, cobham_mmc, lognormal_second_moment, mmc_wq, pk_wq
from tools.validation.verdicts import Row, compare


def priority_rows(
    case: str,
    lam: float,
    high_share: float,
    c: int,
    duration: dict[str, Any],
    mean: float,
    second_moment: float,
    *,
    days: float,
    replications: int,
    max_rel: float = 0.15,
) -> list[Row]:
    """Priority shipments (vaccines) and the others at one station: each class's mean wait
    against Cobham's formula, and the overall mean against FCFS (the conservation law)."""
    data = queue_data(
        "priority",
        per_hour=lam,
        checks={"desk": station(c, duration)},
        lanes={"all": ["desk"]},
        commodities={
            "vaccine": {"share": high_share, "priority": True},
            "medicine": {"share": 1 - high_share},
        },
        days=days,
        warmup_days=10,
        replications=replications,
        seed=5,
    )
    lams = [high_share * lam, (1 - high_share) * lam]
    if c == 1:
        theory = cobham_mg1(lams, mean, second_moment)
        fcfs = pk_wq(lam, mean, second_moment)
    else:  # Cobham's M/M/c form needs exponential service
        theory = cobham_mmc(lams, 1 / mean, c)
        fcfs = mmc_wq(lam, 1 / mean, c)

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        mask = joined(s, rec, 0)
        w = rec.start[0] - rec.enter[0]
        return {
            "high": float(np.mean(w[mask & rec.priority])),
            "low": float(np.mean(w[mask & ~rec.priority])),
            "all": float(np.mean(w[mask])),
        }

    v = replicate(from_dict(data, case), measure)
    return [
        compare(case, "priority class mean wait (h)", theory[0], v["high"], max_half_width=max_rel),
        compare(case, "other class mean wait (h)", theory[1], v["low"], max_half_width=max_rel),
        compare(
            case,
            "overall mean wait = FCFS wait (conservation)",
            fcfs,
            v["all"],
            max_half_width=max_rel,
        ),
    ]


register(
    "priority/M/M/1 rho=0.7, 30% priority",
    "priority",
    "One exponential server, 30% of shipments with priority (500 days x 12 replications)",
    partial(
        priority_rows,
        "priority/M/M/1 rho=0.7, 30% priority",
        0.7,
        0.3,
        1,
        exponential(1.0),
        1.0,
        2.0,
        days=500,
        replications=12,
    ),
)
register(
    "priority/M/M/3 rho=0.85, 20% priority",
    "priority",
    "Three exponential servers, 20% of shipments with priority (400 days x 12 replications)",
    partial(
        priority_rows,
        "priority/M/M/3 rho=0.85, 20% priority",
        2.55,
        0.2,
        3,
        exponential(1.0),
        1.0,
        2.0,
        days=400,
        replications=12,
    ),
)
register(
    "priority/M/G/1 lognormal rho=0.7, 30% priority",
    "priority",
    "One server, lognormal service (cv 0.8), 30% with priority (500 days x 12 replications)",
    partial(
        priority_rows,
        "priority/M/G/1 lognormal rho=0.7, 30% priority",
        0.7,
        0.3,
        1,
        {"dist": "lognormal", "mean": 1.0, "cv": 0.8},
        1.0,
        lognormal_second_moment(1.0, 0.8),
        days=500,
        replications=12,
    ),
)
