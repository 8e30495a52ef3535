"""The capacity cliff of a 24/7 examination: M/M/4 up to saturation, the fluid limit beyond
it. Each load point runs the days its mean clearance needs for a smallest detectable error of
about 4-5% (the variance of a mean wait grows like 1 / (1 - rho)^4 near saturation)."""

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
    case: str, points: Sequence[tuple[float, float]], *, replications: int
) -> list[Row]:
    """Sweep the red rate (``points``: load rho and the days run at it): the red lane's
    clearance time against M/M/4 (W = Wq + 1/mu) at each load, strictly increasing, and blowing
    up like 1/(1 - rho) towards rho = 1."""
    rows: list[Row] = []
    means = []
    loads = [rho for rho, _ in points]
    for rho, days in points:
        s = _red_rate(rho)
        v = replicate(from_dict(cliff_data(s, days, 10, replications), case), _red_measure)
        rows.append(
            compare(
                case,
                f"red clearance (h) at s={s:.3f}, rho={rho} ({days:,} days)",
                _mm4_clearance(rho),
                v["red"],
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


SATURATED_FROM = 120.0
"""Hours after which the overloaded examination is taken to be busy for good (its queue then
holds about 50 shipments and drifts up by 0.4 an hour)."""


def overload_rows(
    case: str, rho: float = 1.2, horizons: tuple[int, int] = (20, 40), replications: int = 20
) -> list[Row]:
    """Beyond capacity there is no steady state: four officers always busy complete c mu
    examinations an hour (exponential times: a Poisson stream), the queue grows at
    lambda s - c mu an hour (the fluid limit) and the mean clearance of the shipments arriving
    in [0, T] grows in proportion to T."""
    c = CLIFF
    cap = c["servers"] / c["mean"]
    s = _red_rate(rho)
    growth = s * c["per_hour"] - cap

    def measure(sc: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        lo, hi = SATURATED_FROM, sc.hours
        out = _red_measure(sc, rec, m)
        out["arrive"] = float(np.sum((rec.enter[0] >= lo) & (rec.enter[0] < hi))) / (hi - lo)
        out["depart"] = float(np.sum((rec.end[0] >= lo) & (rec.end[0] < hi))) / (hi - lo)
        return out

    runs = []
    for days in horizons:
        # A drain long enough for the last counted shipments to leave (they wait about
        # growth / capacity x days).
        scenario = from_dict(cliff_data(s, days, 0, replications, drain_days=0.25 * days), case)
        runs.append((days, scenario.end_hours, replicate(scenario, measure)))
    longest = runs[-1]
    window = f"hours {SATURATED_FROM:g}-{longest[0] * 24} of the {longest[0]}-day runs"
    rates = [
        compare(
            case,
            f"arrivals at the examination (/h) = lambda s, {window}",
            s * c["per_hour"],
            longest[2]["arrive"],
        ),
        compare(
            case,
            f"examinations completed (/h) = c mu when saturated, {window}",
            cap,
            longest[2]["depart"],
        ),
    ]
    fluid = [growth / cap * days * 24 / 2 + c["mean"] for days in horizons]
    ratio = float(np.mean(runs[1][2]["red"]) / np.mean(runs[0][2]["red"]))
    rows = [
        *rates,
        holds(
            case,
            f"mean red clearance over {horizons[1]} days / over {horizons[0]} days",
            f"{fmt(fluid[1] / fluid[0])} (fluid limit, within 20%; 1 in steady state)",
            fmt(ratio),
            abs(ratio - fluid[1] / fluid[0]) < 0.2 * fluid[1] / fluid[0],
        ),
    ]
    for days, end, v in runs:
        backlog = float(np.mean(v["backlog"]))
        rows.append(
            holds(
                case,
                f"queue when a {days}-day run stops at {end:g} h",
                f"(lambda s - c mu) t = {fmt(growth * end)} (fluid limit, within 15%)",
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
    "an hour) runs at rho = 1.25 s = 0.2 ... 0.9 (100 to 3,000 days a point x 30 replications)",
    partial(
        mmc_cliff_rows,
        _ID,
        ((0.2, 100), (0.5, 150), (0.8, 600), (0.9, 3000)),
        replications=30,
    ),
    slow=True,
)
_ID = "cliff/M/M/4 examination near saturation: rho=0.95"
register(
    _ID,
    "cliff",
    "The same examination at rho = 0.5 and 0.95 (150 and 3,000 days x 120 replications; at "
    "rho = 0.98 a 5% error would take about four times as long to detect)",
    partial(mmc_cliff_rows, _ID, ((0.5, 150), (0.95, 3000)), replications=120),
    slow=True,
)
_ID = "cliff/M/M/4 examination beyond capacity: rho=1.2"
register(
    _ID,
    "cliff",
    "The same examination at rho = 1.2 (96% red), from empty, over 20 and 40 days "
    "(20 replications)",
    partial(overload_rows, _ID),
)
