"""Sweep speed-up from 1 to 2 worker processes, and Dask's overhead against local processes.

The sweep: ``policy.rates.red`` over ``--points`` values (13, as ``--vary
policy.rates.red=0:0.3:13``), ``--replications`` each, of the baseline stretched to
``--shipments`` shipments a replication (about 0.8 s a task on one core).
It runs with local worker processes (``executor="processes"``) on 1 and on 2 workers, and on
a local Dask cluster of 2 workers (``executor="dask"``), each timed from the call to
``sim.sweep`` to its return (starting and stopping the workers included), ``--runs`` times in
turn; the figures are medians. The three must give bit-identical summaries.

Targets: speed-up (1 worker / 2 workers) at least 1.8; Dask overhead (Dask / processes, both
on 2 workers, minus 1) at most 10%. Prints one line.
"""

from __future__ import annotations

import argparse
import json
import time

from _common import median, sim, stretched_baseline

from sim.experiment.executors import cpu_count


def timed_sweep(scenario, executor: str, workers: int, points: int, reps: int):
    t0 = time.perf_counter()
    result = sim.sweep(
        scenario,
        vary=[f"policy.rates.red=0:0.3:{points}"],
        replications=reps,
        executor=executor,
        workers=workers,
        progress=False,
    )
    seconds = time.perf_counter() - t0
    return seconds, json.dumps(result.summary(), sort_keys=True, default=str)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shipments", type=float, default=250_000)
    p.add_argument("--points", type=int, default=13)
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    scenario = stretched_baseline(a.shipments)
    configs = [("processes", 1), ("processes", 2), ("dask", 2)]
    seconds: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    summaries = set()
    for _ in range(a.runs):
        for executor, workers in configs:
            s, summary = timed_sweep(scenario, executor, workers, a.points, a.replications)
            seconds[(executor, workers)].append(s)
            summaries.add(summary)
    one, two, dask = (median(seconds[c]) for c in configs)
    speedup = one / two
    overhead = dask / two - 1
    print(
        f"bench=sweep cpus={cpu_count()} tasks={a.points * a.replications} "
        f"shipments_per_task={a.shipments:.0f} runs={a.runs} processes_1w_s={one:.2f} "
        f"processes_2w_s={two:.2f} dask_2w_s={dask:.2f} speedup={speedup:.2f} target=1.8 "
        f"met={'yes' if speedup >= 1.8 else 'no'} dask_overhead={overhead:+.1%} target=10% "
        f"met={'yes' if overhead <= 0.10 else 'no'} "
        f"identical={'yes' if len(summaries) == 1 else 'NO'}"
    )


if __name__ == "__main__":
    main()
