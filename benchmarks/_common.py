"""Shared helpers of the benchmark scripts: scenarios scaled to a size, and timing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.scenario import apply_overrides, from_dict, read_toml  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"


def stretched_baseline(shipments: float, seed: int = 1) -> sim.Scenario:
    """The baseline with arrivals and every check's officers scaled by the same factor, so that
    one replication simulates about ``shipments`` shipments at the baseline's utilisation."""
    data = read_toml(BASELINE)
    sc = from_dict(data, str(BASELINE))
    span = sc.scenario.days + sc.scenario.drain_days
    factor = shipments / (sc.traffic.shipments_per_day * span)
    overrides = [
        f"traffic.shipments_per_day={sc.traffic.shipments_per_day * factor}",
        "scenario.replications=1",
        f"scenario.seed={seed}",
    ]
    overrides += [
        f"checks.{n}.servers={max(1, round(c.servers * factor))}" for n, c in sc.checks.items()
    ]
    return from_dict(apply_overrides(data, overrides, str(BASELINE)), str(BASELINE))


def mmc_scenario(
    lam: float = 9.0,
    mu: float = 1.0,
    c: int = 10,
    n: int = 200_000,
    warmup: int = 20_000,
    seed: int = 1,
) -> sim.Scenario:
    """One 24/7 M/M/c station visited by every shipment, sized in customers as the reference."""
    hours = (n + warmup) / lam
    return sim.from_dict(
        {
            "scenario": {
                "name": "mmc",
                "days": hours / 24,
                "warmup_days": warmup / lam / 24,
                "drain_days": 0,
                "seed": seed,
                "replications": 1,
            },
            "traffic": {"shipments_per_day": lam * 24, "commodities": {"goods": {"share": 1.0}}},
            "checks": {
                "desk": {
                    "kind": "documentary",
                    "servers": c,
                    "duration_hours": {"dist": "exponential", "mean": 1 / mu},
                }
            },
            "lanes": {"all": ["desk"]},
            "policy": {"kind": "random", "default_lane": "all"},
        },
        "<benchmark>",
    )


def timed_replication(scenario: sim.Scenario) -> tuple[float, int, dict[str, float]]:
    """(seconds, shipments simulated, metrics) of one replication, metrics included in the time."""
    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    t0 = time.perf_counter()
    records = sim.simulate(scenario, seed)
    metrics = sim.replication_metrics(scenario, records)
    return time.perf_counter() - t0, len(records.traffic), metrics


def median(xs: list[float]) -> float:
    return float(np.median(xs))
