"""Two priority classes at one station, non-preemptive: each class against Cobham, and
their mean against the FCFS wait (the conservation law). A light case (rho = 0.5) runs in the
test suite; the busier ones, sized for a smallest detectable error of about 4% in the other
class's wait, are slow."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, joined, queue_data, replicate, station
from tools.validation.run import register
from tools.validation.theory import (
    cobham_mg1,
    cobham_mmc,
    first_moment,
    mmc_wq,
    pk_wq,
    second_moment,
)
from tools.validation.verdicts import Row, compare


def priority_rows(
    case: str,
    lam: float,
    high_share: float,
    c: int,
    duration: dict[str, Any],
    *,
    days: float,
    replications: int,
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
    mean, moment2 = first_moment(duration), second_moment(duration)
    if c == 1:
        theory = cobham_mg1(lams, mean, moment2)
        fcfs = pk_wq(lam, mean, moment2)
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
        compare(case, "priority class mean wait (h)", theory[0], v["high"]),
        compare(case, "other class mean wait (h)", theory[1], v["low"]),
        compare(case, "overall mean wait = FCFS wait (conservation)", fcfs, v["all"]),
    ]


PRIORITY_CASES = [
    # (label, lambda, priority share, servers, duration, days, replications, slow)
    ("M/M/1 rho=0.5, 30% priority", 0.5, 0.3, 1, exponential(1.0), 3500, 20, False),
    ("M/M/1 rho=0.7, 30% priority", 0.7, 0.3, 1, exponential(1.0), 2000, 40, True),
    ("M/M/3 rho=0.85, 20% priority", 2.55, 0.2, 3, exponential(1.0), 2000, 40, True),
    (
        "M/G/1 lognormal rho=0.7, 30% priority",
        0.7,
        0.3,
        1,
        {"dist": "lognormal", "mean": 1.0, "cv": 0.8},
        3500,
        20,
        True,
    ),
]
for _label, _lam, _share, _c, _dur, _days, _reps, _slow in PRIORITY_CASES:
    _id = f"priority/{_label}"
    _service = "exponential" if _dur["dist"] == "exponential" else f"{_dur['dist']} (cv 0.8)"
    register(
        _id,
        "priority",
        f"{_c} server{'s' if _c > 1 else ''}, {_service} service, {_share:.0%} of shipments "
        f"with priority ({_days:,} days x {_reps} replications)",
        partial(priority_rows, _id, _lam, _share, _c, _dur, days=_days, replications=_reps),
        slow=_slow,
    )
