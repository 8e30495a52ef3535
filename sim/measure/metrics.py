"""Metrics of one replication, derived from its records, and their summary across replications.

Definitions (see the project's design notes), over the shipments *counted*: those arriving
after the warm-up and before the end of the arrival window.

- clearance time = release - arrival, hours, over released shipments;
- within_<T>h_share = released within T hours / shipments not intercepted (censored ones
  count as not released within T);
- interception_rate = illicit intercepted / illicit arrived;
- hit_rate = inspected shipments found illicit by a scan or physical check / inspected
  shipments;
- inspection_rate = shipments examined physically or by scan / shipments;
- leaks = illicit shipments released; post_release_detections = leaks later found by a test
  run on guarantee; spoiled = cold-chain shipments held longer than their tolerance;
  censored = shipments still inside when the run stopped;
- segment.* = the Time Release Study breakdown: mean hours per released shipment spent in
  lodgement and in each check's queue and service, after arrival (work done before arrival
  under pre-arrival processing is not clearance time); the segments add up to the mean
  clearance time;
- selection_rate = shipments sent to a lane other than the policy's default lane / shipments;
  selected_by.<reason>.share and .hit_rate = the share selected for that reason (policy,
  random, alert, operation) and the share of those intercepted; trader.<aeo|non_aeo>.
  selection_rate and .inspection_rate the same within each trader group;
- risk_score.auc_realised, kind.<kind>.auc_realised = the ROC AUC of the risk scores (illicit,
  or of that kind, against legitimate), by the Mann-Whitney statistic, when the policy has a
  targeting model; alerts, alerts.precision, alerts.coverage = alerted shipments, the share
  of them illicit, the share of illicit shipments alerted, when it has alerts;
- targeting.* = the AUC of a learning policy's model by retraining period and its trainings
  (:mod:`sim.measure.learning`);
- station.<check>.* = time-weighted queue length and utilisation (busy / on-duty officer hours)
  over the window, mean wait of shipments that joined the queue in the window;
- legit.clearance_hours_mean, _median, _p90 = clearance time of released legitimate shipments
  (what the trade-off figure puts against the interception rate);
- kind.<kind>.shipments = illicit shipments of that kind; intercepted_at.<check>.<kind> = those
  intercepted at that check; leaked_via.<lane>.<kind> = those released through that lane
  (where illicit goods were caught, and where they got through).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

from sim.heap import release_freed_memory
from sim.measure import names
from sim.measure.censoring import ClearanceFigures, kaplan_meier
from sim.measure.costs import costs
from sim.measure.names import KEY_METRICS
from sim.measure.segments import segments
from sim.measure.waits import class_waits
from sim.model.records import IN_SYSTEM, INTERCEPTED, RELEASED, Records, StationStats
from sim.schema import INSPECTION_KINDS, Scenario


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else math.nan


def _q(x: np.ndarray, q: float, scratch: bool = False) -> float:
    """The q-quantile; ``scratch``: x may be reordered (no copy; its mean changes in the last
    bits, so take that first)."""
    return float(np.quantile(x, q, overwrite_input=scratch)) if x.size else math.nan


QUANTILES = {0.5: "median", 0.9: "p90", 0.95: "p95"}
"""The clearance-time quantiles reported, by probability, with their names."""


def _held(scenario: Scenario, rec: Records, censored: np.ndarray) -> np.ndarray:
    """Hours in custody so far of the shipments still inside at the end (shipment order)."""
    return scenario.end_hours - rec.traffic.arrival[censored]


def _released_only(clearance: np.ndarray, same: ClearanceFigures | None) -> dict[str, float]:
    """Clearance time of released shipments alone (``released.*``), censored ones left out.
    ``same``: the figures of every shipment not intercepted when none was censored, which are
    these (their quantiles are not computed again)."""
    out = {names.released("clearance_hours_mean"): _mean(clearance)}
    for q, stat in QUANTILES.items():
        value = same.quantiles[q] if same is not None else _q(clearance, q)
        out[names.released(f"clearance_hours_{stat}")] = value
    out[names.released("clearance_hours_max")] = (
        float(clearance.max()) if clearance.size else math.nan
    )
    return out


class _Times:
    """Released shipments' clearance times and censored shipments' hours held, with the
    masks that say whose they are, so a group's figures take no copy of every column."""

    def __init__(self, released: np.ndarray, clearance: np.ndarray, censored, held):
        self.released, self.clearance = released, clearance
        self.censored, self.held = censored, held

    def of(self, group: np.ndarray, probs=(), hours=()) -> ClearanceFigures:
        return kaplan_meier(
            self.clearance[group[self.released]], self.held[group[self.censored]], probs, hours
        )


def replication_metrics(scenario: Scenario, rec: Records) -> dict[str, float]:
    """Every metric of one replication, by name."""
    t = rec.traffic
    window_lo, window_hi = scenario.warmup_hours, scenario.hours
    counted = (t.arrival >= window_lo) & (t.arrival < window_hi)
    released = counted & (rec.outcome == RELEASED)
    intercepted = counted & (rec.outcome == INTERCEPTED)
    censored = counted & (rec.outcome == IN_SYSTEM)
    illicit = counted & (t.truth > 0)
    # Released shipments' clearance times, in shipment order; a group's are then
    # clearance[group[released]] (the memory of one more column, not of a copy per group).
    clearance = rec.released - t.arrival
    clearance = clearance[released]
    held = _held(scenario, rec, censored)
    targets = sorted({*scenario.scenario.target_hours, 24.0})

    m: dict[str, float] = {}
    m["shipments"] = float(counted.sum())
    m["released"] = float(released.sum())
    m["intercepted"] = float(intercepted.sum())
    m["censored"] = float(censored.sum())
    m["illicit"] = float(illicit.sum())
    m["not_intercepted"] = m["released"] + m["censored"]
    m["censored_share"] = _ratio(m["censored"], m["shipments"])
    every = kaplan_meier(clearance.copy(), held, QUANTILES, targets)
    m.update(_released_only(clearance, None if held.size else every))
    m["clearance_hours_mean"] = every.mean
    for q, stat in QUANTILES.items():
        m[f"clearance_hours_{stat}"] = every.quantiles[q]
    for hours in targets:
        m[names.within(hours)] = every.within[hours]

    m["interception_rate"] = _ratio(intercepted.sum(), illicit.sum())
    for k, kind in enumerate(scenario.illicit.kinds, start=1):
        of_kind = counted & (t.truth == k)
        m[names.kind(kind, "interception_rate")] = _ratio(
            (intercepted & of_kind).sum(), of_kind.sum()
        )
    inspection_rows = [
        k for k, check in enumerate(scenario.checks.values()) if check.kind in INSPECTION_KINDS
    ]
    inspected = np.zeros_like(counted)
    for k in inspection_rows:
        visits = rec.visits[k]
        inspected[visits.sid[~np.isnan(visits.start)]] = True
    inspected &= counted
    found = _found_by(scenario, rec, intercepted, inspection_rows)
    m["inspection_rate"] = _ratio(inspected.sum(), counted.sum())
    m["inspected"] = float(inspected.sum())
    m["hit_rate"] = _ratio(found.sum(), inspected.sum())
    m["leaks"] = float((released & (t.truth > 0)).sum())
    m["post_release_detections"] = float((released & (rec.post_release_at >= 0)).sum())
    m["spoiled"] = float(_spoiled(scenario, rec, released | censored).sum())

    m.update(_selection(scenario, rec, counted, inspected))
    m.update(_targeting(scenario, rec, counted))
    release_freed_memory()  # the temporaries of a million-shipment column: back to the system

    times = _Times(released, clearance, censored, held)
    m.update(_groups(scenario, rec, counted, times))
    m.update(_outcomes(scenario, rec, counted, released, intercepted, times))
    m.update(_alarms(scenario, rec, counted, intercepted))
    m.update(_stability(scenario, rec, m, held))
    del clearance, times
    release_freed_memory()

    m.update(segments(scenario, rec, released))
    m.update(_stations(scenario, rec))
    m.update(class_waits(scenario, rec))
    m.update(costs(scenario, rec, counted, released, censored))
    release_freed_memory()
    return m


def _groups(
    scenario: Scenario, rec: Records, counted: np.ndarray, times: _Times
) -> dict[str, float]:
    """Share and mean clearance time by lane; mean clearance time by commodity, trader and
    priority (Kaplan-Meier restricted means, like the whole border's)."""
    t = rec.traffic
    out = {}
    for i, lane in enumerate(rec.lanes):
        in_lane = rec.lane == i
        out[names.lane(lane, "share")] = _ratio((counted & in_lane).sum(), counted.sum())
        out[names.lane(lane, "clearance_hours_mean")] = times.of(in_lane).mean
    for i, commodity in enumerate(scenario.traffic.commodities):
        out[names.commodity(commodity, "clearance_hours_mean")] = times.of(t.commodity == i).mean
    for label, mask in (("aeo", t.aeo), ("non_aeo", ~t.aeo)):
        out[names.trader(label, "shipments")] = float((counted & mask).sum())
        out[names.trader(label, "clearance_hours_mean")] = times.of(mask).mean
    for label, mask in (("priority", rec.priority), ("non_priority", ~rec.priority)):
        out[names.priority(label, "clearance_hours_mean")] = times.of(mask).mean
    return out


def _outcomes(
    scenario: Scenario,
    rec: Records,
    counted: np.ndarray,
    released: np.ndarray,
    intercepted: np.ndarray,
    times: _Times,
) -> dict[str, float]:
    """Legitimate shipments' clearance time; where illicit shipments were caught (by check)
    and where they got through (by lane), by kind."""
    t = rec.traffic
    legit = times.of(t.truth == 0, QUANTILES)
    out = {names.legit("clearance_hours_mean"): legit.mean}
    out[names.legit("clearance_hours_median")] = legit.quantiles[0.5]
    out[names.legit("clearance_hours_p90")] = legit.quantiles[0.9]
    for k, kind in enumerate(scenario.illicit.kinds, start=1):
        of_kind = counted & (t.truth == k)
        out[names.kind(kind, "shipments")] = float(of_kind.sum())
        caught = of_kind & intercepted
        for c, check in enumerate(rec.checks):
            out[names.intercepted_at(check, kind)] = float(
                (caught & (rec.intercepted_at == c)).sum()
            )
        leaked = of_kind & released
        for i, lane in enumerate(rec.lanes):
            out[names.leaked_via(lane, kind)] = float((leaked & (rec.lane == i)).sum())
    return out


def _referred(scenario: Scenario, k: int) -> list[int]:
    """The checks that an alarm of check ``k`` is referred to, in turn (a chain, no circle)."""
    rows = {name: i for i, name in enumerate(scenario.checks)}
    checks = list(scenario.checks.values())
    chain = []
    while checks[k].on_alarm != "intercept":
        k = rows[checks[k].on_alarm]
        chain.append(k)
    return chain


def _found_by(
    scenario: Scenario, rec: Records, intercepted: np.ndarray, rows: list[int]
) -> np.ndarray:
    """Shipments found illicit by one of the checks ``rows``: intercepted by it, or by the
    checks its alarm was referred to (a laboratory confirming a physical examination's find);
    not a find by a later, unrelated check of the same shipment."""
    found = intercepted & np.isin(rec.intercepted_at, rows)
    for k in rows:
        chain = _referred(scenario, k)
        if chain:
            alarmed = rec.visits[k].sid[rec.visits[k].alarm]
            confirmed = alarmed[np.isin(rec.intercepted_at[alarmed], chain)]
            found[confirmed] |= intercepted[confirmed]
    return found


def _alarms(
    scenario: Scenario, rec: Records, counted: np.ndarray, intercepted: np.ndarray
) -> dict[str, float]:
    """Per check: alarms raised on shipments counted, and those confirmed (the shipment was
    intercepted by this check or by the checks its alarm was referred to, or, on guarantee,
    found against after release)."""
    out = {}
    for k, name in enumerate(rec.checks):
        v = rec.visits[k]
        alarmed = v.sid[v.alarm & counted[v.sid]]
        where = np.isin(rec.intercepted_at[alarmed], [k, *_referred(scenario, k)])
        confirmed = (intercepted[alarmed] & where) | (rec.post_release_at[alarmed] == k)
        out[names.check(name, "alarms")] = float(alarmed.size)
        out[names.check(name, "alarms_confirmed")] = float(confirmed.sum())
    return out


OVERLOAD_CENSORED_SHARE = 0.01
"""A replication with more than this share of its shipments stuck (see :data:`STUCK_HOURS`)
is overloaded."""
STUCK_HOURS = 24.0
"""A shipment still inside at the end of the run after more than this many hours is stuck; one
that arrived shortly before the end (a run with little or no drain) is only unfinished."""


def _stability(
    scenario: Scenario, rec: Records, m: dict[str, float], held: np.ndarray
) -> dict[str, float]:
    """Whether the border kept up: ``stuck_share`` is the share of shipments still inside at
    the end after more than :data:`STUCK_HOURS`; ``overloaded`` is 1 when it is above
    :data:`OVERLOAD_CENSORED_SHARE` or a station's queue grew through the window
    (``station.<name>.queue_grows``, see :func:`queue_grows`), else 0."""
    grows = {
        names.station(name, "queue_grows"): float(
            queue_grows(s, scenario.warmup_hours, scenario.hours)
        )
        for name, s in rec.stations.items()
    }
    stuck = _ratio((held > STUCK_HOURS).sum(), m["shipments"])
    overloaded = (math.isfinite(stuck) and stuck > OVERLOAD_CENSORED_SHARE) or any(grows.values())
    return {**grows, "stuck_share": stuck, "overloaded": float(overloaded)}


SATURATED = 0.98
"""A station busy for at least this share of its officers' hours is saturated."""


def queue_grows(station: StationStats, start: float, stop: float) -> bool:
    """Whether a station's queue grew through the window [start, stop) because it could not
    keep up: in the window's last quarter its officers were busy for at least
    :data:`SATURATED` of their hours on duty, and its mean queue was more than twice that of
    the first quarter plus one shipment. (A queue that only fluctuates, however widely, does
    not keep its officers saturated.)"""
    lo, hi = int(start), int(stop)
    queue = station.hourly_queue[lo:hi]
    if queue.size < 8:
        return False
    quarters = np.array_split(np.arange(queue.size), 4)
    first, last = float(queue[quarters[0]].mean()), float(queue[quarters[-1]].mean())
    on_duty = float(station.hourly_on_duty[lo:hi][quarters[-1]].sum())
    busy = float(station.hourly_busy[lo:hi][quarters[-1]].sum())
    saturated = on_duty > 0 and busy >= SATURATED * on_duty
    return saturated and last > 2.0 * first + 1.0


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Area under the ROC curve of scores, by the Mann-Whitney statistic (ties count half):
    the chance that a random positive scores above a random negative."""
    n1, n0 = positive.size, negative.size
    if not n1 or not n0:
        return math.nan
    ranks = st.rankdata(np.concatenate([positive, negative]))
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _selection(
    scenario: Scenario, rec: Records, counted: np.ndarray, inspected: np.ndarray
) -> dict[str, float]:
    """Who was selected and why, by trader group, and the quality of the signals."""
    from sim.policies.selectivity import REASONS

    t = rec.traffic
    n = counted.sum()
    selected = counted & (rec.selected_by > 0)
    out = {"selection_rate": _ratio(selected.sum(), n)}
    intercepted = rec.outcome == INTERCEPTED
    for code, reason in enumerate(REASONS):
        if code:
            chosen = counted & (rec.selected_by == code)
            out[names.selected_by(reason, "shipments")] = float(chosen.sum())
            out[names.selected_by(reason, "share")] = _ratio(chosen.sum(), n)
            out[names.selected_by(reason, "hit_rate")] = _ratio(
                (chosen & intercepted).sum(), chosen.sum()
            )
    for label, mask in (("aeo", t.aeo), ("non_aeo", ~t.aeo)):
        group = counted & mask
        out[names.trader(label, "selection_rate")] = _ratio((selected & mask).sum(), group.sum())
        out[names.trader(label, "inspection_rate")] = _ratio((inspected & mask).sum(), group.sum())
    if rec.has_score:
        scores = rec.risk_score
        legit = scores[counted & (t.truth == 0)]
        out["risk_score.auc_realised"] = auc(scores[counted & (t.truth > 0)], legit)
        for k, kind in enumerate(scenario.illicit.kinds, start=1):
            out[names.kind(kind, "auc_realised")] = auc(scores[counted & (t.truth == k)], legit)
    if rec.has_alerts:
        alerted = counted & rec.alert
        illicit = counted & (t.truth > 0)
        out["alerts"] = float(alerted.sum())
        out["alerts.precision"] = _ratio((alerted & illicit).sum(), alerted.sum())
        out["alerts.coverage"] = _ratio((alerted & illicit).sum(), illicit.sum())
    return out


def _targeting(scenario: Scenario, rec: Records, counted: np.ndarray) -> dict[str, float]:
    """A learning policy's model, measured against the truth (:mod:`sim.measure.learning`)."""
    from sim.measure.learning import targeting_metrics  # it reads auc() from here

    return targeting_metrics(scenario, rec, counted)


def _spoiled(scenario: Scenario, rec: Records, candidates: np.ndarray) -> np.ndarray:
    t = rec.traffic
    spoiled = np.zeros_like(candidates)
    for k, commodity in enumerate(scenario.traffic.commodities.values()):
        if commodity.cold_chain_hours:
            ids = np.flatnonzero(candidates & (t.commodity == k))
            spoiled[ids] = rec.held_hours(ids, scenario.end_hours) > commodity.cold_chain_hours
    return spoiled


def _stations(scenario: Scenario, rec: Records) -> dict[str, float]:
    lo, hi = scenario.warmup_hours, scenario.hours
    span = hi - lo
    out: dict[str, float] = {}
    for k, name in enumerate(rec.checks):
        s = rec.stations[name]
        v = rec.visits[k]
        joined = (v.enter >= lo) & (v.enter < hi)
        started = joined & ~np.isnan(v.start)
        waits = (v.start - v.enter)[started]
        values = {
            "arrivals": float(joined.sum()),
            "wait_hours_mean": _mean(waits),
            "wait_hours_p90": _q(waits, 0.9),
            "queue_mean": s.queue_area / span,
            "queue_max": float(s.queue_max),
            "busy_mean": s.busy_area / span,
            "utilisation": _ratio(s.busy_area, s.capacity_area),
            "backlog_end": float(s.backlog_end),
        }
        out.update((names.station(name, stat), v) for stat, v in values.items())
    return out


__all__ = ["KEY_METRICS", "auc", "replication_metrics"]
