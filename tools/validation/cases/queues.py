"""Single stations: M/M/c against Erlang C and M/G/1 against Pollaczek-Khinchine, with
a heavy-traffic M/M/1 among the slow cases.

Sizes: the variance of a mean wait from one run falls like 1 / horizon, so each case runs
replications x days enough for a smallest detectable error of about 4% in its mean wait (5% is
the most a comparison may have); the cheap ones run in the test suite, the rest are slow."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, queue_data, replicate, station, waits
from tools.validation.run import register
from tools.validation.theory import first_moment, mmc_wait_tail, mmc_wq, pk_wq, second_moment
from tools.validation.verdicts import Row, compare, fmt


def mmc_rows(
    case: str,
    lam: float,
    mu: float,
    c: int,
    *,
    days: float,
    replications: int,
    seed: int,
    service_mean: float | None = None,
) -> list[Row]:
    """One 24/7 station with exponential service and Poisson arrivals: M/M/c. The simulation
    uses ``service_mean`` (default ``1/mu``) so that a test can check a wrong model fails."""
    data = queue_data(
        "mmc",
        per_hour=lam,
        checks={"desk": station(c, exponential(service_mean or 1.0 / mu))},
        lanes={"all": ["desk"]},
        days=days,
        warmup_days=10,
        replications=replications,
        seed=seed,
    )
    scenario = from_dict(data, case)
    decay = c * mu - lam
    times = (0.0, 0.5 / decay, 1.0 / decay)

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        w = waits(s, rec)
        rate = m["station.desk.arrivals"] / (s.hours - s.warmup_hours)
        out = {
            "wq": m["station.desk.wait_hours_mean"],
            "util": m["station.desk.utilisation"],
            "busy": m["station.desk.busy_mean"],
            "little": rate * m["station.desk.wait_hours_mean"] / m["station.desk.queue_mean"],
        }
        out.update({f"tail{i}": float(np.mean(w > t)) for i, t in enumerate(times)})
        return out

    v = replicate(scenario, measure)
    rows = [compare(case, "mean wait Wq (h)", mmc_wq(lam, mu, c), v["wq"])]
    for i, t in enumerate(times):
        rows.append(
            compare(
                case,
                f"P(wait > {fmt(t, 2)} h)",
                mmc_wait_tail(lam, mu, c, t),
                v[f"tail{i}"],
                relative=False,
            )
        )
    rows.append(compare(case, "utilisation", lam / (c * mu), v["util"], relative=False))
    rows.append(compare(case, "busy officers = lambda / mu", lam / mu, v["busy"]))
    rows.append(
        compare(
            case,
            "Little: lambda Wq / Lq",
            1.0,
            v["little"],
            tolerance=LITTLE_TOLERANCE,
            relative=False,
            digits=4,
            interval_test=False,
        )
    )
    return rows


LITTLE_TOLERANCE = 0.002
"""Little's law at one 24/7 station over a long run: the ratio's spread is about 1e-4, so a
tolerance of 0.002 (twenty times that) instead of 5%. Judged by the tolerance alone: over a
finite window the ratio is off 1 by about Wq / window (a few 1e-4 at rho = 0.95), which a few
hundred replications resolve."""

MMC_CASES = [
    # (label, lambda, mu, c, days, replications, slow)
    ("M/M/1 rho=0.7", 0.7, 1.0, 1, 2600, 20, False),
    ("M/M/3 rho=0.8", 2.4, 1.0, 3, 3000, 20, True),
    ("M/M/4 textbook example (lambda=10/h, 20 min checks)", 10.0, 3.0, 4, 800, 20, True),
    ("M/M/10 rho=0.9", 9.0, 1.0, 10, 3000, 20, True),
]
for _label, _lam, _mu, _c, _days, _reps, _slow in MMC_CASES:
    _id = f"queues/{_label.split(' ')[0]} rho={_lam / (_c * _mu):.2f}"
    register(
        _id,
        "queues",
        f"{_label}: one 24/7 station, Poisson arrivals, exponential service ({_days:,} days x "
        f"{_reps} replications)",
        partial(mmc_rows, _id, _lam, _mu, _c, days=_days, replications=_reps, seed=2024),
        slow=_slow,
    )


def mg1_rows(
    case: str,
    lam: float,
    duration: dict[str, Any],
    *,
    days: float,
    replications: int,
) -> list[Row]:
    """One 24/7 server with general service: M/G/1, against Pollaczek-Khinchine, with E[S] and
    E[S^2] in closed form from the configured distribution."""
    data = queue_data(
        "mg1",
        per_hour=lam,
        checks={"desk": station(1, duration)},
        lanes={"all": ["desk"]},
        days=days,
        warmup_days=10,
        replications=replications,
        seed=99,
    )
    v = replicate(
        from_dict(data, case),
        lambda s, rec, m: {
            "wq": m["station.desk.wait_hours_mean"],
            "util": m["station.desk.utilisation"],
        },
    )
    mean = first_moment(duration)
    return [
        compare(case, "mean wait Wq (h)", pk_wq(lam, mean, second_moment(duration)), v["wq"]),
        compare(case, "utilisation", lam * mean, v["util"], relative=False),
    ]


MG1_CASES = [
    # (label, lambda, duration, days, replications, slow)
    ("M/D/1 rho=0.6", 0.6, {"dist": "fixed", "value": 1.0}, 1400, 20, False),
    (
        "M/G/1 lognormal cv=0.8 rho=0.6",
        0.6,
        {"dist": "lognormal", "mean": 1.0, "cv": 0.8},
        2000,
        20,
        False,
    ),
    (
        "M/G/1 lognormal cv=2 rho=0.5",
        0.5,
        {"dist": "lognormal", "mean": 1.0, "cv": 2.0},
        3000,
        160,
        True,
    ),
    (
        "M/G/1 uniform(0,2) rho=0.6",
        0.6,
        {"dist": "uniform", "low": 0.0, "high": 2.0},
        1200,
        20,
        True,
    ),
    ("M/G/1 gamma cv=0.5 rho=0.6", 0.6, {"dist": "gamma", "mean": 1.0, "cv": 0.5}, 2000, 20, True),
    (
        "M/G/1 triangular(0.25,0.5,2.25) rho=0.6",
        0.6,
        {"dist": "triangular", "low": 0.25, "mode": 0.5, "high": 2.25},
        1600,
        20,
        True,
    ),
]
for _label, _lam, _dur, _days, _reps, _slow in MG1_CASES:
    _id = f"queues/{_label}"
    register(
        _id,
        "queues",
        f"{_label}: one 24/7 server, Poisson arrivals ({_days:,} days x {_reps} replications)",
        partial(mg1_rows, _id, _lam, _dur, days=_days, replications=_reps),
        slow=_slow,
    )


_ID = "queues/M/M/1 rho=0.95 (heavy traffic)"
register(
    _ID,
    "queues",
    "M/M/1 at rho=0.95: waits of 19 h on average, slow to settle (3,650 days x 300 replications)",
    partial(mmc_rows, _ID, 0.95, 1.0, 1, days=3650, replications=300, seed=7),
    slow=True,
)
