"""The capacity cliff of the baseline's office-hours examination: its rostered and effective
capacity, and the red rate swept through it."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from sim import Records, Scenario
from tools.paths import SCENARIOS
from tools.validation.blocks import load_shortened, replicate
from tools.validation.run import register
from tools.validation.theory import first_moment, residual
from tools.validation.verdicts import Row, compare, fmt, holds, increasing

OFFICE_RATES = (0.04, 0.05, 0.06, 0.07)
"""Red rates swept below the examination's capacity. (At 1% the examination sees two shipments a
day: detecting a 5% error in its utilisation would take decades of simulated days.)"""
OFFICE_OVERLOAD = 0.09
OFFICE_DAYS = 7 + 29 * 7
OFFICE_OVERRIDES = [
    "scenario.warmup_days=7",
    f"scenario.days={OFFICE_DAYS}",
    "scenario.drain_days=21",
    "scenario.replications=20",
    "traffic.surges=[]",
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def office_capacity(scenario: Scenario, check: str = "physical", lane: str = "red") -> dict:
    """The capacity of an office-hours check, and the red rate at which it saturates.

    Rostered capacity = officers x open hours a week / mean time. Officers finish the shipment
    in hand at closing time, so a saturated officer works on past each closing by the residual
    service time, E[S^2] / (2 E[S]) on average: the effective capacity adds that per shift, and
    a saturated check's utilisation (busy / rostered hours) tends to
    1 + E[S^2] / (2 E[S] x shift length). The load a red rate s offers is s x arrivals a week x
    the share reaching the check (earlier checks on the lane intercept some) x mean time.

    Everything here comes from the scenario's parameters: open hours from the roster's table,
    E[S] and E[S^2] in closed form from the configured distribution (never the model's
    schedule or sampler)."""
    sc = scenario
    chk = sc.checks[check]
    roster = sc.rosters[chk.roster]
    days_open = sum(1 for d in WEEKDAYS if d in roster.days)
    open_hours = days_open * sum(b - a for a, b in roster.hours)
    shifts = days_open * len(roster.hours)
    mean = first_moment(chk.duration_hours)
    overtime = residual(chk.duration_hours)
    officers = chk.servers * (1 - chk.absence)
    rostered = officers * open_hours / mean
    effective = officers * (open_hours + shifts * overtime) / mean
    reach = 1.0
    route = sc.lanes[lane]
    for name in route[: route.index(check)]:
        found = sum(
            share * sc.checks[name].detect.get(k, 0) for k, share in sc.illicit.kinds.items()
        )
        reach *= 1 - sc.illicit.prevalence * found
    per_week = sc.traffic.shipments_per_day * 7 * reach
    return {
        "open_hours": open_hours,
        "shifts": shifts,
        "residual": overtime,
        "rostered": rostered,
        "effective": effective,
        "per_week": per_week,
        "critical": rostered / per_week,
        "critical_effective": effective / per_week,
        "saturated_utilisation": effective / rostered,
    }


def _office_policy(s: float) -> str:
    return f'policy={{kind = "random", rates = {{red = {s}, yellow = 0.15}}}}'


def _office_measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
    return {
        "red": m["lane.red.clearance_hours_mean"],
        "util": m["station.physical.utilisation"],
        "backlog": m["station.physical.backlog_end"],
    }


def office_cliff_rows(case: str, path: Path) -> list[Row]:
    """The baseline's examination in office hours, with the red rate swept through its
    capacity: utilisation = offered load / rostered capacity below it, saturation at the
    overtime-adjusted capacity above it, and a queue that grows without bound."""
    rows: list[Row] = []
    means = []
    cap: dict[str, float] = {}
    for s in OFFICE_RATES:
        scenario = load_shortened(path, [*OFFICE_OVERRIDES, _office_policy(s)])
        cap = office_capacity(scenario)
        v = replicate(scenario, _office_measure)
        means.append(float(np.mean(v["red"])))
        rows.append(
            compare(
                case,
                f"utilisation at s={s} (rho = s / {cap['critical']:.4f})",
                s / cap["critical"],
                v["util"],
                relative=False,
            )
        )
    rows.append(increasing(case, "red clearance increases with the red rate (h)", means))
    s = OFFICE_OVERLOAD
    runs = []
    for weeks in (4, 8):
        overrides = [*OFFICE_OVERRIDES, f"scenario.days={7 + 7 * weeks}", _office_policy(s)]
        scenario = load_shortened(path, overrides)
        runs.append((weeks, scenario.end_hours, replicate(scenario, _office_measure)))
    rows.append(
        compare(
            case,
            f"s={s}: saturated utilisation = 1 + E[S^2] / (2 E[S] x shift)",
            cap["saturated_utilisation"],
            runs[1][2]["util"],
            relative=False,
        )
    )
    growth = (s * cap["per_week"] - cap["effective"]) / 168.0
    for weeks, end, v in runs:
        backlog = float(np.mean(v["backlog"]))
        rows.append(
            holds(
                case,
                f"s={s}: queue when a {weeks}-week run stops at {end:g} h",
                f"(arrivals - effective capacity) t = {fmt(growth * end)} (fluid limit, within "
                "25%)",
                fmt(backlog),
                abs(backlog - growth * end) < 0.25 * growth * end,
            )
        )
    reds = [float(np.mean(v["red"])) for _, _, v in runs]
    rows.append(
        holds(
            case,
            f"s={s}: red clearance over 8 weeks / over 4 weeks, and / at s={OFFICE_RATES[0]}",
            "grows with the horizon (> 1.3); far above low load (> 5)",
            f"{fmt(reds[1] / reds[0])}; {fmt(reds[1] / means[0])}",
            reds[1] / reds[0] > 1.3 and reds[1] / means[0] > 5,
        )
    )
    return rows


if (SCENARIOS / "baseline.toml").is_file():
    _ID = "cliff/baseline examination in office hours"
    register(
        _ID,
        "cliff",
        "scenarios/baseline.toml (4 officers, 08:30-17:00 on weekdays, lognormal 2 h, 180 "
        "shipments a day) with the red rate swept through the examination's capacity "
        f"({OFFICE_DAYS - 7} days measured x 20 replications a point)",
        partial(office_cliff_rows, _ID, SCENARIOS / "baseline.toml"),
        slow=True,
    )
