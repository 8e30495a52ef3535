"""Shipments per second on one core: the baseline stretched to a million shipments, trace off.

Target: at least 250,000 shipments/s (median of --runs runs). Prints one line.
"""

from __future__ import annotations

import argparse

from _common import median, stretched_baseline, timed_replication


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shipments", type=float, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    rates, n = [], 0
    for run in range(a.runs):
        seconds, n, _ = timed_replication(stretched_baseline(a.shipments, seed=run + 1))
        rates.append(n / seconds)
    print(
        f"bench=throughput scenario=baseline shipments={n} runs={a.runs} "
        f"shipments_per_s={median(rates):_.0f} target=250_000 "
        f"met={'yes' if median(rates) >= 250_000 else 'no'}"
    )


if __name__ == "__main__":
    main()
