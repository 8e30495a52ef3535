"""Shipments per second of a network of three offices sharing seizures, against its home office
alone; and peak memory per shipment of the network, against the 100-byte target.

The network is ``scenarios/cen-network.toml`` (an air hub, a sea port and a postal centre,
sharing seizures) over ``--weeks`` weeks of arrivals, one replication, trace off, metrics
included (as the engine runs a network). The home office alone is the
same file without ``[network]``, on the exact path (every selection at its own event, as a
linked office) and on its normal path. Rates count every office's shipments; medians of
``--runs`` runs. Memory as ``bench_memory.py`` measures it: in a fresh process, peak resident
memory after the replication minus that after the imports, over the shipments simulated.
The same offices with nothing shared (each on its normal path, one after the other, the
busiest first) show what linking them costs in memory. The issue's targets: the network at
no less than half the single office's rate, and memory per shipment within the existing
target. Prints one line.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from _common import ROOT, median, sim

NETWORK = ROOT / "scenarios" / "cen-network.toml"


def network(weeks: float, seed: int) -> sim.Scenario:
    return sim.load_scenario(NETWORK, [f"scenario.days={weeks * 7:g}", f"scenario.seed={seed}"])


def home_alone(scenario: sim.Scenario) -> sim.Scenario:
    data = scenario.to_dict()
    del data["network"]
    return sim.from_dict(data, "<home office>")


def timed(scenario: sim.Scenario, exact: bool | None = None) -> tuple[float, int]:
    """Seconds and shipments simulated (every office's) of one replication, metrics included:
    the network as the engine runs it, or (``exact`` given) one office on the chosen path."""
    from sim.measure.network import network_metrics
    from sim.model.border import Border
    from sim.model.network import simulate_network

    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    t0 = time.perf_counter()
    if exact is None:
        net, by_office = simulate_network(scenario, seed)
        sim.replication_metrics(scenario, by_office[net.home.name])
        network_metrics({o.name: (o.scenario, by_office[o.name]) for o in net.offices})
        n = sum(len(r.traffic) for r in by_office.values())
        return time.perf_counter() - t0, n
    records = Border(scenario, sim.Streams(seed), exact=exact).run()
    sim.replication_metrics(scenario, records)
    return time.perf_counter() - t0, len(records.traffic)


def child(weeks: float, linked: bool) -> None:
    scenario = network(weeks, 1)
    if not linked:  # the same offices, nothing shared: each on its normal path, one at a time
        data = scenario.to_dict()
        del data["network"]["sharing"]
        scenario = sim.from_dict(data, "<unlinked>")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sim.run(scenario, replications=1, progress=False, executor="serial")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kib": after - before}))


def memory(weeks: float, linked: bool, runs: int) -> float:
    """Peak resident memory of one replication above the imports, in bytes: the median of
    ``runs`` fresh processes."""
    args = [sys.executable, __file__, "--child", str(weeks)] + ([] if linked else ["--unlinked"])
    kib = [
        json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)["kib"]
        for _ in range(runs)
    ]
    return median(kib) * 1024.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--weeks", type=float, default=8)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--child", type=float, help=argparse.SUPPRESS)
    p.add_argument("--unlinked", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child is not None:
        child(a.child, not a.unlinked)
        return
    # Memory first: a process forked from this one once it has grown starts with its peak
    # (Linux keeps the peak resident memory across exec), which would hide the child's own.
    memory_linked = memory(a.weeks, True, a.runs)
    memory_unlinked = memory(a.weeks, False, a.runs)
    rates: dict[str, list[float]] = {"network": [], "home_exact": [], "home_normal": []}
    sizes: dict[str, int] = {}
    for run in range(a.runs):
        net = network(a.weeks, run + 1)
        home = home_alone(net)
        for name, (seconds, n) in (
            ("network", timed(net)),
            ("home_exact", timed(home, exact=True)),
            ("home_normal", timed(home, exact=False)),
        ):
            rates[name].append(n / seconds)
            sizes[name] = n
    rate = {k: median(v) for k, v in rates.items()}
    ratio = rate["network"] / rate["home_normal"]
    per = memory_linked / sizes["network"]
    per_unlinked = memory_unlinked / sizes["network"]
    print(
        f"bench=network weeks={a.weeks:g} runs={a.runs} shipments_network={sizes['network']} "
        f"shipments_home={sizes['home_normal']} "
        f"network_per_s={rate['network']:_.0f} home_exact_per_s={rate['home_exact']:_.0f} "
        f"home_normal_per_s={rate['home_normal']:_.0f} ratio_to_home={ratio:.2f} "
        f"target_ratio=0.5 met={'yes' if ratio >= 0.5 else 'no'} "
        f"memory_per_shipment={per:.0f}B unlinked={per_unlinked:.0f}B target_memory=100B "
        f"memory_met={'yes' if per <= 100 else 'no'}"
    )


if __name__ == "__main__":
    main()
