"""Building blocks of the cases: small scenarios built as data (one 24/7 station, Poisson
arrivals), running every replication of one, and reading waits, windows and departures from
the records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim import Records, Scenario, load_scenario, replication_metrics, replication_seeds, simulate
from sim.model.records import INTERCEPTED


def exponential(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def station(
    servers: int, duration: dict[str, Any], kind: str = "documentary", **extra: Any
) -> dict[str, Any]:
    return {"kind": kind, "servers": servers, "duration_hours": duration, **extra}


def queue_data(
    name: str,
    *,
    per_hour: float,
    checks: dict[str, Any],
    lanes: dict[str, list[str]],
    days: float,
    warmup_days: float,
    replications: int,
    seed: int,
    drain_days: float = 2,
    rates: dict[str, float] | None = None,
    default_lane: str | None = None,
    commodities: dict[str, Any] | None = None,
    illicit: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A 24/7 scenario with flat Poisson arrivals at ``per_hour``, built as data."""
    return {
        "scenario": {
            "name": name,
            "days": days,
            "warmup_days": warmup_days,
            "drain_days": drain_days,
            "seed": seed,
            "replications": replications,
        },
        "traffic": {
            "shipments_per_day": per_hour * 24,
            "commodities": commodities or {"goods": {"share": 1.0}},
        },
        "illicit": illicit or {"prevalence": 0.0},
        "checks": checks,
        "lanes": lanes,
        "policy": {
            "kind": "random",
            "rates": rates or {},
            "default_lane": default_lane or next(iter(lanes)),
        },
    }


def replicate(
    scenario: Scenario, measure: Callable[[Scenario, Records, dict[str, float]], dict[str, float]]
) -> dict[str, list[float]]:
    """Run every replication of ``scenario`` and collect ``measure(scenario, records, metrics)``
    by name; records are dropped after each replication, so long runs stay small in memory."""
    out: dict[str, list[float]] = {}
    info = scenario.scenario
    for seed_seq in replication_seeds(info.seed, info.replications):
        rec = simulate(scenario, seed_seq)
        for key, value in measure(scenario, rec, replication_metrics(scenario, rec)).items():
            out.setdefault(key, []).append(float(value))
    return out


def window(scenario: Scenario) -> tuple[float, float]:
    return scenario.warmup_hours, scenario.hours


def joined(scenario: Scenario, rec: Records, k: int) -> np.ndarray:
    """Shipments that joined check ``k``'s queue in the measurement window and were served."""
    lo, hi = window(scenario)
    enter = rec.enter[k]
    return (enter >= lo) & (enter < hi) & ~np.isnan(rec.start[k])


def waits(scenario: Scenario, rec: Records, k: int = 0) -> np.ndarray:
    mask = joined(scenario, rec, k)
    return (rec.start[k] - rec.enter[k])[mask]


def counted(scenario: Scenario, rec: Records) -> np.ndarray:
    lo, hi = window(scenario)
    t = rec.traffic.arrival
    return (t >= lo) & (t < hi)


def departure(rec: Records) -> np.ndarray:
    """When each shipment left: released, intercepted (end of that check, or the trader's
    answer when it asked one), or NaN if inside."""
    out = rec.released.copy()
    caught = np.flatnonzero(rec.outcome == INTERCEPTED)
    out[caught] = rec.end[rec.intercepted_at[caught], caught]
    for k, visits in enumerate(rec.visits):  # a check that asked the trader ends at the answer
        answered = visits.answered_at()
        if np.any(~np.isnan(answered)):
            at = np.full(len(rec.traffic), np.nan)
            at[visits.sid] = answered
            mine = caught[(rec.intercepted_at[caught] == k) & ~np.isnan(at[caught])]
            out[mine] = at[mine]
    return out


def overlap(lo: np.ndarray, hi: np.ndarray, a: float, b: float, end: float) -> float:
    """Total length of [lo, hi) inside [a, b]; NaN ``lo`` is skipped, NaN ``hi`` means ``end``."""
    mask = ~np.isnan(lo)
    hi = np.where(np.isnan(hi), end, hi)[mask]
    return float((np.clip(hi, a, b) - np.clip(lo[mask], a, b)).sum())


def load_shortened(path: Path, overrides: Sequence[str]) -> Scenario:
    """A scenario file with overrides applied (as ``--set``), validated."""
    return load_scenario(path, list(overrides))
