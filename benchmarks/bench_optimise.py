"""Optimisation: evaluations and wall time to the recommendation on 2 cores, serially and on
a local Dask cluster of 2 workers.

The search is the worked example of docs/how-to.md ("Find the best selection rates under a
clearance-time target"): ``scenarios/staff-shortage.toml``, maximise ``interception_rate``
subject to ``within_24h_share>=0.9``, deciding ``policy.rates.red=0:0.3`` and
``policy.rates.yellow=0:0.6``; ``--trials`` trials of ``--replications`` replications, then
the ranking-and-selection stage. Both runs ask trials in batches of 2 (the serial executor is
given as an object with ``workers=2``), so that they make the same search and the same
recommendation, which the script checks. Wall time: from the call to ``sim.optimise`` to its
return (the Dask cluster started and stopped included); evaluations: replications run in all
(search and selection). Prints one line.
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, sim

from sim.experiment.executors import cpu_count

SCENARIO = ROOT / "scenarios" / "staff-shortage.toml"
DECIDE = ["policy.rates.red=0:0.3", "policy.rates.yellow=0:0.6"]


def timed(executor: object, a: argparse.Namespace) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = sim.optimise(
        SCENARIO,
        maximise="interception_rate",
        subject_to="within_24h_share>=0.9",
        decide=DECIDE,
        trials=a.trials,
        replications=a.replications,
        workers=a.workers,
        executor=executor,
        progress=False,
    )
    return time.perf_counter() - t0, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--trials", type=int, default=40)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args()
    serial_s, serial = timed(sim.SerialExecutor(), a)
    dask_s, dask = timed("dask", a)
    same = serial.recommendation == dask.recommendation  # type: ignore[attr-defined]
    rec = serial.recommendation or {}  # type: ignore[attr-defined]
    values = ",".join(f"{k}={v:.4g}" for k, v in (rec.get("params") or {}).items())
    print(
        f"bench=optimise cpus={cpu_count()} workers={a.workers} trials={a.trials} "
        f"replications={a.replications} evaluations={serial.evaluations} "  # type: ignore[attr-defined]
        f"wall_serial_s={serial_s:.1f} wall_dask_s={dask_s:.1f} "
        f"speedup={serial_s / dask_s:.2f} same_recommendation={same} recommended={values}"
    )


if __name__ == "__main__":
    main()
