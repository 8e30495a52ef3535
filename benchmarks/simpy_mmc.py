"""The M/M/c queue written the way a SimPy user would write it: the yardstick for bordersim's speed.

`bench_mmc.py` runs the same queue (arrivals at rate lam, c servers, exponential service at
rate mu) as a bordersim scenario and compares customers per second with this engine, so the
target "at least 1.5x idiomatic SimPy" is measured against plain SimPy, not a tuned variant:
a `simpy.Resource` of capacity c, a source process that waits exponential interarrival times,
and one generator process per customer that requests a server, records its wait, and holds it
for an exponential service time. Random numbers come from two numpy `default_rng` streams
(arrivals and services) spawned from the seed; no global random state. Each stream is drawn
in one vectorised call (the same values as drawing one at a time): a scalar numpy call per
variate would cost SimPy about a fifth of its speed and make the yardstick easier to beat.

Run as a script it prints the rate and the mean wait (Erlang C gives Wq = 0.6687 h for
lam 9/h, mu 1/h, c 10).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy


def source(env, desk, interarrivals, services, warmup, waits):
    """Create one customer process per interarrival time, with its service time."""
    for i, (gap, service) in enumerate(zip(interarrivals, services, strict=True)):
        yield env.timeout(gap)
        env.process(customer(env, desk, service, i >= warmup, waits))


def customer(env, desk, service, measured, waits):
    """Wait for a server, record the wait if measured, hold the server for `service`."""
    arrived = env.now
    with desk.request() as req:
        yield req
        if measured:
            waits.append(env.now - arrived)
        yield env.timeout(service)


def run(
    lam: float = 9.0,
    mu: float = 1.0,
    c: int = 10,
    n: int = 200_000,
    warmup: int = 20_000,
    seed: int = 1,
) -> tuple[float, float]:
    """(customers simulated per second of wall time, mean wait of the n measured customers).

    The run simulates warmup + n customers until the last leaves; the rate counts all of them,
    as bordersim's side of the benchmark counts every shipment of its replication. The draws
    are inside the timed run.
    """
    arrivals, services = np.random.default_rng(seed).spawn(2)
    waits: list[float] = []
    t0 = time.perf_counter()
    total = warmup + n
    interarrivals = arrivals.exponential(1 / lam, total).tolist()
    service_times = services.exponential(1 / mu, total).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=c)
    env.process(source(env, desk, interarrivals, service_times, warmup, waits))
    env.run()
    seconds = time.perf_counter() - t0
    return (warmup + n) / seconds, sum(waits) / len(waits)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lam", type=float, default=9.0)
    p.add_argument("--mu", type=float, default=1.0)
    p.add_argument("--c", type=int, default=10)
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--warmup", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rate, wq = run(a.lam, a.mu, a.c, a.n, a.warmup, a.seed)
    print(f"engine=simpy customers_per_s={rate:_.0f} Wq={wq:.4f}")


if __name__ == "__main__":
    main()
