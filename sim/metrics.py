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
from typing import Any

import numpy as np
from scipy import stats as st

from sim.records import IN_SYSTEM, INTERCEPTED, RELEASED, Records
from sim.scenario import INSPECTION_KINDS, Scenario

KEY_METRICS = (
    "clearance_hours_mean",
    "clearance_hours_median",
    "clearance_hours_p90",
    "within_24h_share",
    "interception_rate",
    "hit_rate",
    "inspection_rate",
    "leaks",
    "spoiled",
    "censored",
)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else math.nan


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else math.nan


def replication_metrics(scenario: Scenario, rec: Records) -> dict[str, float]:
    """Every metric of one replication, by name."""
    t = rec.traffic
    window_lo, window_hi = scenario.warmup_hours, scenario.hours
    counted = (t.arrival >= window_lo) & (t.arrival < window_hi)
    released = counted & (rec.outcome == RELEASED)
    intercepted = counted & (rec.outcome == INTERCEPTED)
    censored = counted & (rec.outcome == IN_SYSTEM)
    illicit = counted & (t.truth > 0)
    clearance = (rec.released - t.arrival)[released]

    m: dict[str, float] = {}
    m["shipments"] = float(counted.sum())
    m["released"] = float(released.sum())
    m["intercepted"] = float(intercepted.sum())
    m["censored"] = float(censored.sum())
    m["illicit"] = float(illicit.sum())
    m["clearance_hours_mean"] = _mean(clearance)
    m["clearance_hours_median"] = _q(clearance, 0.5)
    m["clearance_hours_p90"] = _q(clearance, 0.9)
    m["clearance_hours_p95"] = _q(clearance, 0.95)
    m["clearance_hours_max"] = float(clearance.max()) if clearance.size else math.nan
    not_intercepted = float((released | censored).sum())
    targets = sorted({*scenario.scenario.target_hours, 24.0})
    for hours in targets:
        m[f"within_{hours:g}h_share"] = _ratio((clearance <= hours).sum(), not_intercepted)

    m["interception_rate"] = _ratio(intercepted.sum(), illicit.sum())
    for k, kind in enumerate(scenario.illicit.kinds, start=1):
        of_kind = counted & (t.truth == k)
        m[f"kind.{kind}.interception_rate"] = _ratio((intercepted & of_kind).sum(), of_kind.sum())
    inspection_rows = [
        k for k, check in enumerate(scenario.checks.values()) if check.kind in INSPECTION_KINDS
    ]
    if inspection_rows:
        inspected = counted & ~np.isnan(rec.start[inspection_rows]).all(axis=0)
    else:
        inspected = np.zeros_like(counted)
    # A hit is a find by the inspection itself, not by a later check of an inspected shipment.
    found = intercepted & np.isin(rec.intercepted_at, inspection_rows)
    m["inspection_rate"] = _ratio(inspected.sum(), counted.sum())
    m["hit_rate"] = _ratio(found.sum(), inspected.sum())
    m["leaks"] = float((released & (t.truth > 0)).sum())
    m["post_release_detections"] = float((released & (rec.post_release_at >= 0)).sum())
    m["spoiled"] = float(_spoiled(scenario, rec, released | censored).sum())

    m.update(_selection(scenario, rec, counted, inspected))
    for i, lane in enumerate(rec.lanes):
        in_lane = counted & (rec.lane == i)
        m[f"lane.{lane}.share"] = _ratio(in_lane.sum(), counted.sum())
        m[f"lane.{lane}.clearance_hours_mean"] = _mean(
            (rec.released - t.arrival)[released & (rec.lane == i)]
        )
    for i, commodity in enumerate(scenario.traffic.commodities):
        mask = released & (t.commodity == i)
        m[f"commodity.{commodity}.clearance_hours_mean"] = _mean((rec.released - t.arrival)[mask])
    for label, mask in (("aeo", t.aeo), ("non_aeo", ~t.aeo)):
        m[f"trader.{label}.clearance_hours_mean"] = _mean(
            (rec.released - t.arrival)[released & mask]
        )
    for label, mask in (("priority", rec.priority), ("non_priority", ~rec.priority)):
        m[f"{label}.clearance_hours_mean"] = _mean((rec.released - t.arrival)[released & mask])

    m.update(_segments(scenario, rec, released))
    m.update(_stations(scenario, rec))
    m.update(_outcomes(scenario, rec, counted, released, intercepted))
    return m


def _outcomes(
    scenario: Scenario,
    rec: Records,
    counted: np.ndarray,
    released: np.ndarray,
    intercepted: np.ndarray,
) -> dict[str, float]:
    """Legitimate shipments' clearance time; where illicit shipments were caught (by check)
    and where they got through (by lane), by kind."""
    t = rec.traffic
    legit = (rec.released - t.arrival)[released & (t.truth == 0)]
    out = {
        "legit.clearance_hours_mean": _mean(legit),
        "legit.clearance_hours_median": _q(legit, 0.5),
        "legit.clearance_hours_p90": _q(legit, 0.9),
    }
    for k, kind in enumerate(scenario.illicit.kinds, start=1):
        of_kind = counted & (t.truth == k)
        out[f"kind.{kind}.shipments"] = float(of_kind.sum())
        caught = of_kind & intercepted
        for c, check in enumerate(rec.checks):
            out[f"intercepted_at.{check}.{kind}"] = float(
                (caught & (rec.intercepted_at == c)).sum()
            )
        leaked = of_kind & released
        for i, lane in enumerate(rec.lanes):
            out[f"leaked_via.{lane}.{kind}"] = float((leaked & (rec.lane == i)).sum())
    return out


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
            out[f"selected_by.{reason}.share"] = _ratio(chosen.sum(), n)
            out[f"selected_by.{reason}.hit_rate"] = _ratio(
                (chosen & intercepted).sum(), chosen.sum()
            )
    for label, mask in (("aeo", t.aeo), ("non_aeo", ~t.aeo)):
        group = counted & mask
        out[f"trader.{label}.selection_rate"] = _ratio((selected & mask).sum(), group.sum())
        out[f"trader.{label}.inspection_rate"] = _ratio((inspected & mask).sum(), group.sum())
    if rec.has_score:
        scores = rec.risk_score
        legit = scores[counted & (t.truth == 0)]
        out["risk_score.auc_realised"] = auc(scores[counted & (t.truth > 0)], legit)
        for k, kind in enumerate(scenario.illicit.kinds, start=1):
            out[f"kind.{kind}.auc_realised"] = auc(scores[counted & (t.truth == k)], legit)
    if rec.has_alerts:
        alerted = counted & rec.alert
        illicit = counted & (t.truth > 0)
        out["alerts"] = float(alerted.sum())
        out["alerts.precision"] = _ratio((alerted & illicit).sum(), alerted.sum())
        out["alerts.coverage"] = _ratio((alerted & illicit).sum(), illicit.sum())
    return out


def _spoiled(scenario: Scenario, rec: Records, candidates: np.ndarray) -> np.ndarray:
    t = rec.traffic
    tolerance = np.array(
        [c.cold_chain_hours or math.inf for c in scenario.traffic.commodities.values()]
    )[t.commodity]
    held = np.where(np.isnan(rec.released), scenario.end_hours, rec.released) - t.arrival
    return candidates & (held > tolerance)


def _segments(scenario: Scenario, rec: Records, released: np.ndarray) -> dict[str, float]:
    """Time Release Study breakdown: mean hours per released shipment in each segment."""
    t = rec.traffic
    # Only time after arrival is clearance time: work done before arrival (pre-arrival
    # processing) is clipped away, so the segments still add up to the clearance time.
    arrival = t.arrival

    def after_arrival(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.nan_to_num(np.maximum(b, arrival) - np.maximum(a, arrival))[released]

    out = {"segment.lodgement": _mean(np.maximum(rec.selected - arrival, 0.0)[released])}
    for k, (name, check) in enumerate(scenario.checks.items()):
        if check.release_on_guarantee:
            continue
        wait = after_arrival(rec.enter[k], rec.start[k])
        service = after_arrival(rec.start[k], rec.end[k])
        out[f"segment.{name}.queue"] = _mean(wait)
        out[f"segment.{name}.service"] = _mean(service)
    return out


def _stations(scenario: Scenario, rec: Records) -> dict[str, float]:
    lo, hi = scenario.warmup_hours, scenario.hours
    span = hi - lo
    out: dict[str, float] = {}
    for k, name in enumerate(rec.checks):
        s = rec.stations[name]
        joined = (rec.enter[k] >= lo) & (rec.enter[k] < hi)
        started = joined & ~np.isnan(rec.start[k])
        waits = (rec.start[k] - rec.enter[k])[started]
        p = f"station.{name}."
        out[p + "arrivals"] = float(joined.sum())
        out[p + "wait_hours_mean"] = _mean(waits)
        out[p + "wait_hours_p90"] = _q(waits, 0.9)
        out[p + "queue_mean"] = s.queue_area / span
        out[p + "queue_max"] = float(s.queue_max)
        out[p + "busy_mean"] = s.busy_area / span
        out[p + "utilisation"] = _ratio(s.busy_area, s.capacity_area)
        out[p + "backlog_end"] = float(s.backlog_end)
    return out


def summarise(
    replications: list[dict[str, float]], confidence: float = 0.95
) -> dict[str, dict[str, Any]]:
    """Mean and t-interval of each metric across replications (NaN replications left out)."""
    names: list[str] = []
    for rep in replications:
        names += [k for k in rep if k not in names]
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        values = np.array([rep.get(name, math.nan) for rep in replications], dtype=float)
        values = values[~np.isnan(values)]
        n = int(values.size)
        if n == 0:
            out[name] = {
                "mean": None,
                "ci_low": None,
                "ci_high": None,
                "half_width": None,
                "sd": None,
                "n": 0,
            }
            continue
        mean = float(values.mean())
        if n >= 2:
            sd = float(values.std(ddof=1))
            half = float(st.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
        else:
            sd = half = math.nan
        out[name] = {
            "mean": mean,
            "ci_low": mean - half if n >= 2 else None,
            "ci_high": mean + half if n >= 2 else None,
            "half_width": half if n >= 2 else None,
            "sd": sd if n >= 2 else None,
            "n": n,
        }
    return out
