"""The capacity cliff of a 24/7 examination: M/M/4 up to saturation, the fluid limit beyond
it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, queue_data, replicate, station
from tools.validation.run import register
from tools.validation.theory import mmc_wq
from tools.validation.verdicts import Row, compare, fmt, holds, increasing

CLIFF = {"per_hour": 2.5, "servers": 4, "mean": 2.0}
"""The M/M/c cliff: 2.5 shipments an hour; the red lane is a 24/7 physical examination with 4
officers and exponential 2-hour examinations, so capacity is 2 an hour and the examination's
utilisation is rho = 1.25 s at red rate s: the cliff is at s = 0.8."""


def cliff_data(
    s: float,
    days: float,
    warmup_days: float,
    replications: int,
    seed: int = 41,
    drain_days: float = 5,
) -> dict[str, Any]:
    c = CLIFF
    return queue_data(
        "cliff",
        per_hour=c["per_hour"],
        checks={"physical": station(c["servers"], exponential(c["mean"]), kind="physical")},
        lanes={"green": [], "red": ["physical"]},
        rates={"red": s},
        default_lane="green",
        days=days,
        warmup_days=warmup_days,
        drain_days=drain_days,
        replications=replications,
        seed=seed,
    )


def _red_measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
    return {
        "red": m["lane.red.clearance_hours_mean"],
        "backlog": m["station.physical.backlog_end"],
        "util": m["station.physical.utilisation"],
    }


def _red_rate(rho: float) -> float:
    c = CLIFF
    return rho * c["servers"] / c["mean"] / c["per_hour"]


def _mm4_clearance(rho: float) -> float:
    c = CLIFF
    mu = 1 / c["mean"]
    return mmc_wq(rho * c["servers"] * mu, mu, c["servers"]) + c["mean"]


def mmc_cliff_rows(
    case: str, loads: Sequence[float], *, days: float, replications: int, max_rel: float
) -> list[Row]:
    """Sweep the red rate: the red lane's clearance time against M/M/4 (W = Wq + 1/mu) at each
    load, strictly increasing, and blowing up like 1/(1 - rho) towards rho = 1."""
    rows: list[Row] = []
    means = []
    for rho in loads:
        s = _red_rate(rho)
        v = replicate(from_dict(cliff_data(s, days, 10, replications), case), _red_measure)
        rows.append(
            compare(
                case,
                f"red clearance (h) at s={s:.3f}, rho={rho}",
                _mm4_clearance(rho),
                v["red"],
                max_half_width=max_rel if rho < 0.9 else 1.5 * max_rel,
            )
        )
        means.append(float(np.mean(v["red"])))
    rows.append(increasing(case, "red clearance increases with the red rate (h)", means))
    theory = _mm4_clearance(loads[-1]) / _mm4_clearance(loads[0])
    rows.append(
        holds(
            case,
            f"blow-up: clearance at rho={loads[-1]} / at rho={loads[0]}",
            f"{fmt(theory)} (M/M/4)",
            fmt(means[-1] / means[0]),
            means[-1] / means[0] > 0.8 * theory,
        )
    )
    return rows


def overload_rows(case: str, rho: float = 1.2, horizons: tuple[int, int] = (20, 40)) -> list[Row]:
    """Beyond capacity there is no steady state: the examination queue grows at
    lambda s - c mu an hour (the fluid limit) and the mean clearance of the shipments arriving in
    [0, T] grows in proportion to T."""
    c = CLIFF
    cap = c["servers"] / c["mean"]
    s = _red_rate(rho)
    growth = s * c["per_hour"] - cap
    runs = []
    for days in horizons:
        # A drain long enough for the last counted shipments to leave (they wait about
        # growth / capacity x days).
        scenario = from_dict(cliff_data(s, days, 0, 10, drain_days=0.25 * days), case)
        runs.append((days, scenario.end_hours, replicate(scenario, _red_measure)))
    fluid = [growth / cap * days * 24 / 2 + c["mean"] for days in horizons]
    ratio = float(np.mean(runs[1][2]["red"]) / np.mean(runs[0][2]["red"]))
    rows = [
        holds(
            case,
            f"mean red clearance over {horizons[1]} days / over {horizons[0]} days",
            f"{fmt(fluid[1] / fluid[0])} (fluid limit; 1 in steady state)",
            fmt(ratio),
            abs(ratio - fluid[1] / fluid[0]) < 0.2 * fluid[1] / fluid[0],
        )
    ]
    for days, end, v in runs:
        backlog = float(np.mean(v["backlog"]))
        rows.append(
            holds(
                case,
                f"queue when a {days}-day run stops at {end:g} h",
                f"(lambda s - c mu) t = {fmt(growth * end)}",
                fmt(backlog),
                abs(backlog - growth * end) < 0.15 * growth * end,
            )
        )
    return rows


_ID = "cliff/M/M/4 examination: red rate swept to rho=0.9"
register(
    _ID,
    "cliff",
    "Red rate s swept so that the 24/7 examination (4 officers, exponential 2 h, 2.5 arrivals "
    "an hour) runs at rho = 1.25 s = 0.2 ... 0.9 (300 days x 10 replications a point)",
    partial(mmc_cliff_rows, _ID, (0.2, 0.5, 0.8, 0.9), days=300, replications=10, max_rel=0.10),
)
_ID = "cliff/M/M/4 examination near saturation: rho=0.95, 0.98"
register(
    _ID,
    "cliff",
    "The same examination at rho = 0.5, 0.95, 0.98 (3,000 days x 10 replications a point)",
    partial(mmc_cliff_rows, _ID, (0.5, 0.95, 0.98), days=3000, replications=10, max_rel=0.20),
    slow=True,
)
_ID = "cliff/M/M/4 examination beyond capacity: rho=1.2"
register(
    _ID,
    "cliff",
    "The same examination at rho = 1.2 (96% red), from empty, over 20 and 40 days "
    "(10 replications)",
    partial(overload_rows, _ID),
)
