"""Peak memory per shipment, trace off and trace on, at 1 and 5 million shipments.

Each measurement runs in a fresh process: peak resident memory (ru_maxrss) after simulating one
replication of the stretched baseline, minus the resident memory after imports, divided by the
shipments simulated; the median of ``--runs`` processes. Target: at most 100 bytes per
shipment with trace off.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys


def child(shipments: float, trace: bool) -> None:
    from _common import sim, stretched_baseline

    scenario = stretched_baseline(shipments)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = sim.run(scenario, trace=trace, progress=False)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = sum(len(r.traffic) for r in result.records) if trace else None
    print(json.dumps({"kib": after - before, "shipments": n}))


def measure(shipments: float, trace: bool) -> tuple[float, float]:
    args = [sys.executable, __file__, "--child", str(shipments)] + (["--trace"] if trace else [])
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return out["kib"] * 1024.0, shipments


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="1e6,5e6", help="shipments per measurement, comma-separated")
    p.add_argument("--runs", type=int, default=3, help="processes per measurement (median)")
    p.add_argument("--child", type=float, help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child is not None:
        child(a.child, a.trace)
        return
    parts = []
    worst_off = 0.0
    for size in (float(s) for s in a.sizes.split(",")):
        for trace in (False, True):
            per = statistics.median(
                peak / n for peak, n in (measure(size, trace) for _ in range(a.runs))
            )
            if not trace:
                worst_off = max(worst_off, per)
            parts.append(f"{'trace_on' if trace else 'trace_off'}_{size:.0e}={per:.0f}B")
    print(
        f"bench=memory runs={a.runs} {' '.join(parts)} target_trace_off=100B "
        f"met={'yes' if worst_off <= 100 else 'no'}"
    )


if __name__ == "__main__":
    main()
