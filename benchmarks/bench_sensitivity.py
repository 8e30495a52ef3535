"""Sensitivity: evaluations and wall time of the worked example of docs/how-to.md ("Find which
assumptions matter"), serially, on worker processes and on a local Dask cluster.

The analysis is the shipped one: ``scenarios/staff-shortage.toml`` with every number its file
marks as an assumption varied within +-20% (Morris screening, ``--samples`` trajectories,
``--replications`` replications per sample point, the headline metrics). Wall time: from the
call to ``sim.sensitivity`` to its return (workers started and stopped included). Every
executor must give the same indices (the same seeds everywhere); the line says whether they
did. Prints one line.
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, sim

from sim.experiment.executors import cpu_count

SCENARIO = ROOT / "scenarios" / "staff-shortage.toml"


def timed(executor: str, a: argparse.Namespace) -> tuple[float, sim.SensitivityResult]:
    t0 = time.perf_counter()
    result = sim.sensitivity(
        SCENARIO,
        samples=a.samples,
        replications=a.replications,
        executor=executor,
        workers=None if executor == "serial" else a.workers,
        progress=False,
    )
    return time.perf_counter() - t0, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--executors", default="serial,processes,dask", help="comma-separated, in this order"
    )
    a = p.parse_args()
    walls, results = {}, {}
    for executor in a.executors.split(","):
        walls[executor], results[executor] = timed(executor, a)
    first = next(iter(results.values()))
    same = all(r.indices == first.indices for r in results.values())
    print(
        f"bench=sensitivity cpus={cpu_count()} workers={a.workers} method={first.method} "
        f"inputs={len(first.inputs)} points={len(first.points)} "
        f"evaluations={first.evaluations} replications={a.replications} "
        + " ".join(f"wall_{e}_s={w:.1f}" for e, w in walls.items())
        + f" same_indices={'yes' if same else 'NO'}"
    )


if __name__ == "__main__":
    main()
