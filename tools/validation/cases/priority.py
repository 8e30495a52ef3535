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
    cobham_mg1_classes,
    cobham_mmc,
    first_moment,
    mmc_wq,
    pk_wq,
    second_moment,
)
from tools.validation.verdicts import Row, compare, identity


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


def class_service_rows(
    case: str,
    lam: float,
    high_share: float,
    high: dict[str, Any],
    low: dict[str, Any],
    *,
    days: float,
    replications: int,
) -> list[Row]:
    """Priority vaccines and the other medicines at one officer, each with its own service
    time (``duration_by_commodity``): each class's mean service against its distribution, each
    class's mean wait against Cobham's formula with class-specific service, the load-weighted
    waits against Kleinrock's conservation law, and the per-class wait metrics against the
    records. ``duration_hours`` is never used: each commodity has its own."""
    desk = station(1, exponential(5.0), duration_by_commodity={"vaccine": high, "medicine": low})
    data = queue_data(
        "priority-service",
        per_hour=lam,
        checks={"desk": desk},
        lanes={"all": ["desk"]},
        commodities={
            "vaccine": {"share": high_share, "priority": True},
            "medicine": {"share": 1 - high_share},
        },
        days=days,
        warmup_days=10,
        replications=replications,
        seed=9,
    )
    lams = [high_share * lam, (1 - high_share) * lam]
    means = [first_moment(high), first_moment(low)]
    theory = cobham_mg1_classes(lams, means, [second_moment(high), second_moment(low)])
    loads = [rate * mean for rate, mean in zip(lams, means, strict=True)]
    rho = sum(loads)
    w0 = sum(rate * second_moment(d) for rate, d in zip(lams, (high, low), strict=True)) / 2

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        mask = joined(s, rec, 0)
        w = rec.start[0] - rec.enter[0]
        served = ~np.isnan(rec.end[0])
        service = rec.end[0] - rec.start[0]
        high_w = float(np.mean(w[mask & rec.priority]))
        low_w = float(np.mean(w[mask & ~rec.priority]))
        return {
            "high": high_w,
            "low": low_w,
            "weighted": (loads[0] * high_w + loads[1] * low_w) / rho,
            "high_service": float(np.mean(service[served & rec.priority])),
            "low_service": float(np.mean(service[served & ~rec.priority])),
            "metric_high": m["station.desk.priority.wait_hours_mean"],
            "metric_low": m["station.desk.commodity.medicine.wait_hours_mean"],
        }

    v = replicate(from_dict(data, case), measure)
    return [
        compare(case, "vaccines' mean service (h)", means[0], v["high_service"]),
        compare(case, "medicines' mean service (h)", means[1], v["low_service"]),
        compare(case, "priority class mean wait (h)", theory[0], v["high"]),
        compare(case, "other class mean wait (h)", theory[1], v["low"]),
        compare(
            case,
            "load-weighted mean wait = W0 / (1 - rho) (conservation)",
            w0 / (1 - rho),
            v["weighted"],
        ),
        identity(
            case,
            "station.desk.priority and .commodity.medicine wait_hours_mean = records",
            [*v["metric_high"], *v["metric_low"]],
            [*v["high"], *v["low"]],
        ),
    ]


CLASS_SERVICE_CASES = [
    # (label, lambda, priority share, priority service, other service, days, replications, slow)
    (
        "M/G/1 rho=0.48, class-specific service",
        1.0,
        0.3,
        exponential(0.2),
        {"dist": "lognormal", "mean": 0.6, "cv": 1.2},
        3500,
        20,
        False,
    ),
    (
        "M/G/1 rho=0.72, class-specific service",
        1.5,
        0.3,
        exponential(0.2),
        {"dist": "lognormal", "mean": 0.6, "cv": 1.2},
        2000,
        40,
        True,
    ),
]
for _label, _lam, _share, _high, _low, _days, _reps, _slow in CLASS_SERVICE_CASES:
    _id = f"priority/{_label}"
    register(
        _id,
        "priority",
        f"1 server, vaccines ({_share:.0%}, priority) exponential mean {_high['mean']:g} h, "
        f"medicines lognormal mean {_low['mean']:g} h cv {_low['cv']:g} "
        f"({_days:,} days x {_reps} replications)",
        partial(class_service_rows, _id, _lam, _share, _high, _low, days=_days, replications=_reps),
        slow=_slow,
    )
