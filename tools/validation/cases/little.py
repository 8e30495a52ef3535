"""Little's law at every station and for the whole system of each shipped scenario, in its
steady-state and its exact (sample-path) form."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np

from sim import Records, Scenario
from tools.paths import is_large, shipped_scenarios
from tools.validation.blocks import counted, departure, load_shortened, overlap, replicate, window
from tools.validation.run import register
from tools.validation.verdicts import Row, compare, identity, not_applicable

LITTLE_OVERRIDES = [
    "scenario.warmup_days=7",
    "scenario.days=91",
    "scenario.drain_days=7",
    "scenario.replications=10",
    "traffic.surges=[]",
]
"""A shipped scenario shortened for Little's law: a week of warm-up from empty, then twelve whole
weeks measured (so the window starts and ends at the same point of the weekly cycle), a week of
drain so that every counted shipment leaves, and no surges (the steady-state form needs a
stationary, or periodic, process; the exact form below holds whatever the traffic)."""
LITTLE_TOLERANCE = 0.03
"""The steady-state form differs from 1 by the shipments that straddle the window's edges,
about (time in the station) / (window) in relative terms: up to 2% at an office-hours
examination over two weeks, under 1% over twelve. The ratios must lie within 0.03 of 1 (not the
5% of a formula), each comparison able to detect an error of 0.03; judged by that tolerance
alone, not by the interval, since the edge bias is real and enough replications resolve it."""


def little_rows(case: str, path: Path) -> list[Row]:
    """Little's law at every station and for the whole system of a shipped scenario.

    Steady-state form, per replication: L (time-average number, from the stations' own running
    totals) against lambda W (arrivals in the window times their mean time), for the queue
    (Lq = lambda Wq) and for the whole station (L = lambda W); for the system, L is the number
    waiting for lodgement plus the stations' totals, W the mean time from arrival to release or
    interception. Exact form (sample path, the window's edges included): the stations' running
    totals equal the time the records put inside the window, and the system's total equals
    lodgement plus stations plus the stages with no station (waiting for the goods to be
    unloaded, for a trader's answer, for payment: :func:`_stage_time`), so no time is lost
    between checks."""
    scenario = load_shortened(path, LITTLE_OVERRIDES)
    names = list(scenario.checks)
    guarantee = [c.release_on_guarantee for c in scenario.checks.values()]

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        lo, hi = window(s)
        span, end = hi - lo, s.end_hours
        t = rec.traffic
        out: dict[str, float] = {}
        station_total = 0.0
        for k, name in enumerate(names):
            stats = rec.stations[name]
            enter = rec.enter[k]
            inside = (enter >= lo) & (enter < hi)
            unfinished = inside & np.isnan(rec.end[k])
            lam = inside.sum() / span
            out[f"{k}.n"] = float(inside.sum())
            out[f"{k}.unfinished"] = float(unfinished.sum())
            wq = np.mean((rec.start[k] - enter)[inside]) if inside.any() else math.nan
            w = np.mean((rec.end[k] - enter)[inside]) if inside.any() else math.nan
            # A station where nobody ever queued has no ratio to check (0 / 0).
            lq, l_ = stats.queue_area / span, (stats.queue_area + stats.busy_area) / span
            out[f"{k}.lq_ratio"] = lam * wq / lq if lq > 0 else math.nan
            out[f"{k}.l_ratio"] = lam * w / l_ if l_ > 0 else math.nan
            out[f"{k}.queue_area"] = stats.queue_area
            out[f"{k}.queue_records"] = overlap(enter, rec.start[k], lo, hi, end)
            out[f"{k}.busy_area"] = stats.busy_area
            out[f"{k}.busy_records"] = overlap(rec.start[k], rec.end[k], lo, hi, end)
            if not guarantee[k]:
                station_total += stats.queue_area + stats.busy_area
        dep = departure(rec)
        lodging = overlap(t.arrival, rec.selected, lo, hi, end)
        stages = _stage_time(rec, guarantee, dep, lo, hi, end)
        out["system_records"] = overlap(t.arrival, dep, lo, hi, end)
        out["system_parts"] = lodging + station_total + stages
        arrived = counted(s, rec)
        out["system.unfinished"] = float((arrived & np.isnan(dep)).sum())
        lam = arrived.sum() / span
        w = float(np.mean((dep - t.arrival)[arrived]))
        out["system.l_ratio"] = lam * w / ((lodging + station_total + stages) / span)
        return out

    v = replicate(scenario, measure)
    rows: list[Row] = []
    kw = {"tolerance": LITTLE_TOLERANCE, "relative": False, "digits": 4, "interval_test": False}
    for k, name in enumerate(names):
        if min(v[f"{k}.n"]) == 0:
            rows.append(not_applicable(case, f"{name}", "no shipment joined it in a replication"))
            continue
        if max(v[f"{k}.unfinished"]) > 0:
            why = "shipments still inside at the end (no steady state)"
            rows.append(not_applicable(case, f"{name}: L = lambda W", why))
            continue
        rows.append(compare(case, f"{name}: lambda Wq / Lq", 1.0, v[f"{k}.lq_ratio"], **kw))
        rows.append(compare(case, f"{name}: lambda W / L", 1.0, v[f"{k}.l_ratio"], **kw))
    if max(v["system.unfinished"]) > 0:
        why = "shipments still inside at the end (no steady state)"
        rows.append(not_applicable(case, "system: L = lambda W", why))
    else:
        rows.append(compare(case, "system: lambda W / L", 1.0, v["system.l_ratio"], **kw))
    lhs = [v[f"{k}.queue_area"] for k in range(len(names))] + [
        v[f"{k}.busy_area"] for k in range(len(names))
    ]
    rhs = [v[f"{k}.queue_records"] for k in range(len(names))] + [
        v[f"{k}.busy_records"] for k in range(len(names))
    ]
    rows.append(
        identity(
            case,
            "exact form, every station: running totals = time in the records",
            np.ravel(lhs),
            np.ravel(rhs),
        )
    )
    rows.append(
        identity(
            case,
            "exact form, system: time inside = lodgement + stations + stages",
            v["system_records"],
            v["system_parts"],
        )
    )
    return rows


def _stage_time(
    rec: Records, guarantee: list[bool], dep: np.ndarray, lo: float, hi: float, end: float
) -> float:
    """Time in the window that shipments spend inside in none of the stations: awaiting a
    trader's answer (end of the check to the answer), paying (customs done to release), and
    waiting for the goods (``[unloading]``): from the last of its selection and the checks it
    finished before the goods were ready, to the goods ready (or its departure, if sooner),
    unless a check was under way when they became ready. Each from the model's own
    definitions, not as what is left over."""
    t = rec.traffic
    ready = t.ready
    total = 0.0
    last = rec.selected.copy()  # the latest milestone no later than ready
    busy_at_ready = np.zeros(len(t), dtype=bool)
    for k, visits in enumerate(rec.visits):
        if guarantee[k] or not len(visits):
            continue
        answered = visits.answered_at()
        total += overlap(visits.end, answered, lo, hi, end) if np.any(~np.isnan(answered)) else 0
        done = np.where(np.isnan(answered), visits.end, answered)
        r = ready[visits.sid]
        before = done <= r
        sid = visits.sid[before]
        last[sid] = np.fmax(last[sid], done[before])
        busy_at_ready[visits.sid[(visits.enter < r) & ~(done <= r)]] = True
    if rec.cleared is not None:
        total += overlap(rec.cleared, rec.released, lo, hi, end)
    waits = (last < ready) & ~busy_at_ready
    upto = np.fmin(ready, np.where(np.isnan(dep), np.inf, dep))
    total += overlap(np.where(waits, last, np.nan), np.where(waits, upto, np.nan), lo, hi, end)
    return total


for _path in shipped_scenarios():
    _id = f"little/{_path.stem}"
    register(
        _id,
        "little",
        f"scenarios/{_path.name}, shortened: 7 days warm-up, 84 days measured, 7 days drain, "
        "no surges, 10 replications",
        partial(little_rows, _id, _path),
        slow=is_large(_path),  # twelve weeks of a mail centre, ten times: 50 million parcels
    )
