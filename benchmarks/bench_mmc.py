"""The M/M/c reference queue (lambda 9/h, mu 1/h, c 10; 200,000 customers after 20,000 warm-up)
in bordersim and in idiomatic SimPy (benchmarks/simpy_mmc.py), in the same run.

Target: bordersim at least 1.5x the customers per second of idiomatic SimPy, with the full
model's bookkeeping on (records and metrics). Prints one line with both rates and the ratio.
"""

from __future__ import annotations

import argparse

import simpy_mmc
from _common import median, mmc_scenario, timed_replication


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--warmup", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    ours, theirs, wq, simpy_wq = [], [], [], []
    for run in range(a.runs):
        seconds, n, metrics = timed_replication(mmc_scenario(n=a.n, warmup=a.warmup, seed=run + 1))
        ours.append(n / seconds)
        wq.append(metrics["station.desk.wait_hours_mean"])
        rate, mean_wait = simpy_mmc.run(9.0, 1.0, 10, a.n, a.warmup, seed=run + 1)
        theirs.append(rate)
        simpy_wq.append(mean_wait)
    ratio = median(ours) / median(theirs)
    print(
        f"bench=mmc lam=9 mu=1 c=10 measured={a.n} warmup={a.warmup} runs={a.runs} "
        f"Wq={median(wq):.4f} simpy_Wq={median(simpy_wq):.4f} erlangC_Wq=0.6687 "
        f"ours_per_s={median(ours):_.0f} "
        f"simpy_per_s={median(theirs):_.0f} ratio={ratio:.2f} target=1.5 "
        f"met={'yes' if ratio >= 1.5 else 'no'}"
    )


if __name__ == "__main__":
    main()
