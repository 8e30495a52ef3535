"""A year of the international mail centre: shipments a second and peak memory.

Runs one replication of ``scenarios/postal-hub.toml`` (about 55,000 parcels a day) stretched to
``--days`` days of arrivals, in a fresh process, trace off, metrics included, and prints the
shipments simulated, the shipments a second (simulation and metrics, from the call to its
return) and the peak resident memory: the whole process's (ru_maxrss) and the part above the
imports, per shipment. Memory is checked against ``BORDERSIM_MAX_MEMORY_MB``'s estimate.

A year is about 20 million parcels: what ``bordersim run scenarios/postal-hub.toml --days 365
--replications 1`` simulates, within validation's limits (``sim.schema.MAX_SHIPMENTS`` and the
memory cap).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from _common import ROOT, sim

POSTAL = ROOT / "scenarios" / "postal-hub.toml"


def child(days: float) -> None:
    import sim.schema.checks as checks

    scenario = sim.load_scenario(
        POSTAL, [f"scenario.days={days}", "scenario.replications=1", "scenario.warmup_days=2"]
    )
    estimate = checks.estimated_memory_bytes(scenario)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    t0 = time.perf_counter()
    records = sim.simulate(scenario, seed)
    metrics = sim.replication_metrics(scenario, records)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "shipments": len(records.traffic),
                "seconds": seconds,
                "peak_kib": after,
                "above_imports_kib": after - before,
                "estimate_bytes": estimate,
                "overloaded": metrics.get("overloaded"),
                "clearance_hours_mean": metrics.get("clearance_hours_mean"),
            }
        )
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--days", type=float, default=365, help="days of arrivals (default: a year)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.days)
        return
    args = [sys.executable, __file__, "--child", "--days", str(a.days)]
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    n = out["shipments"]
    from sim.schema.checks import DEFAULT_MAX_MEMORY_MB, MEMORY_ENV

    cap = float(os.environ.get(MEMORY_ENV) or DEFAULT_MAX_MEMORY_MB)
    print(
        f"bench=postal days={a.days:g} shipments={n} seconds={out['seconds']:.1f} "
        f"shipments_per_s={n / out['seconds']:,.0f} peak_rss_mb={out['peak_kib'] / 1024:,.0f} "
        f"above_imports_B_per_shipment={out['above_imports_kib'] * 1024 / n:.0f} "
        f"estimate_mb={out['estimate_bytes'] / 1e6:,.0f} cap_mb={cap:,.0f} "
        f"overloaded={out['overloaded']:g} met={'yes' if out['peak_kib'] / 1024 <= cap else 'no'}"
    )


if __name__ == "__main__":
    main()
