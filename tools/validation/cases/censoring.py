"""Clearance time with shipments still inside at the end: the Kaplan-Meier estimate against a
known answer, and the overload diagnosis on each side of the capacity cliff."""

from __future__ import annotations

import math

import numpy as np

from sim import Records, Scenario, from_dict
from tools.validation.blocks import exponential, queue_data, replicate, station
from tools.validation.cases.cliff import _red_rate, cliff_data
from tools.validation.run import register
from tools.validation.verdicts import Row, compare, fmt, holds

EXAM = {"per_hour": 40.0, "mean": 10.0, "servers": 800, "window_hours": 24.0}
"""Exponential 10-hour examinations with officers to spare (800 for an offered load of 400:
nobody waits), so clearance time is exponential with mean 10 h. The run stops at the end of
the 24-hour window (no drain): a shipment arriving u hours before the end is censored when its
time exceeds u, independently of it, and about (10 / 24) (1 - e^-2.4) = 38% are."""


def exam_data(replications: int, seed: int = 61) -> dict:
    e = EXAM
    data = queue_data(
        "censored-exam",
        per_hour=e["per_hour"],
        checks={"exam": station(e["servers"], exponential(e["mean"]), kind="physical")},
        lanes={"all": ["exam"]},
        days=3 + e["window_hours"] / 24,
        warmup_days=3,
        drain_days=0,
        replications=replications,
        seed=seed,
    )
    data["scenario"]["target_hours"] = [6.0, 12.0]
    return data


def _exam_measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
    return {
        "median": m["clearance_hours_median"],
        "within6": m["within_6h_share"],
        "within12": m["within_12h_share"],
        "censored": m["censored_share"],
        "mean": m["clearance_hours_mean"],
        "released_median": m["released.clearance_hours_median"],
        "overloaded": m["overloaded"],
    }


def censored_rows(case: str, replications: int = 40) -> list[Row]:
    """Kaplan-Meier figures of exponential clearance times under independent censoring
    against the exponential distribution; the released-only median against the same, to show
    the bias the estimate removes."""
    e = EXAM
    v = replicate(from_dict(exam_data(replications), case), _exam_measure)
    mean, window = e["mean"], e["window_hours"]
    median = mean * math.log(2)
    rows = [
        compare(
            case,
            "share still inside at the end",
            mean / window * (1 - math.exp(-window / mean)),
            v["censored"],
        ),
        compare(case, "median clearance (h), Kaplan-Meier", median, v["median"]),
        compare(case, "released within 6 h, Kaplan-Meier", 1 - math.exp(-6 / mean), v["within6"]),
        compare(
            case, "released within 12 h, Kaplan-Meier", 1 - math.exp(-12 / mean), v["within12"]
        ),
    ]
    released = float(np.mean(v["released_median"]))
    rows.append(
        holds(
            case,
            "released-only median (h): biased low, what the estimate corrects",
            f"< {fmt(0.8 * median)} (80% of {fmt(median)})",
            fmt(released),
            released < 0.8 * median,
        )
    )
    restricted = float(np.mean(v["mean"]))
    floor = mean * (1 - math.exp(-window / mean))
    rows.append(
        holds(
            case,
            "restricted mean (h): below the true mean, near the mean restricted to 24 h",
            f"{fmt(0.97 * floor)} to {fmt(mean)}",
            fmt(restricted),
            0.97 * floor <= restricted <= mean,
        )
    )
    rows.append(
        holds(
            case,
            "not overloaded (censored by the horizon only, queues empty)",
            "0 replications flagged",
            f"{int(sum(v['overloaded']))} flagged",
            not any(v["overloaded"]),
        )
    )
    return rows


def overload_flag_rows(case: str, replications: int = 5) -> list[Row]:
    """The overload diagnosis: the examination of the capacity cliff at rho = 0.7 is never
    flagged; at rho = 1.2 (no steady state) every replication is."""

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        return {"overloaded": m["overloaded"], "censored": m["censored_share"]}

    rows = []
    for rho, days, expected in ((0.7, 30, 0.0), (1.2, 20, 1.0)):
        scenario = from_dict(cliff_data(_red_rate(rho), days, 2, replications), case)
        v = replicate(scenario, measure)
        flagged = float(np.mean(v["overloaded"]))
        rows.append(
            holds(
                case,
                f"replications flagged overloaded at rho={rho} ({days} days)",
                "none" if expected == 0 else "all",
                f"{flagged:.0%} (still inside at the end: {np.mean(v['censored']):.1%})",
                flagged == expected,
            )
        )
    return rows


_ID = "censoring/exponential times censored by the horizon; the overload flag"


def _rows(case: str = _ID) -> list[Row]:
    return censored_rows(case) + overload_flag_rows(case)


register(
    _ID,
    "censoring",
    "Exponential 10-hour examinations with no wait, a 24-hour window and no drain: 38% of the "
    "shipments are still inside at the end (40 replications of 960 shipments); and the "
    "capacity cliff's examination at rho = 0.7 and 1.2 (5 replications each), flagged "
    "overloaded only beyond capacity",
    _rows,
)
