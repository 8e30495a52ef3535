"""Calibration: trials and wall time of fitting Japan's 2015 air-cargo survey on 2 workers, and
the speed-up from common random numbers.

The search is the shipped one (docs/how-to.md, "Calibrate to your own Time Release Study"):
``scenarios/japan-air-trs.toml`` against ``targets/japan-air-2015.toml``, free
``lodgement.delay_hours.mean=2:20`` and ``checks.documents.duration_hours.mean=0.1:2``,
``--trials`` trials of ``--replications`` replications, on ``--workers`` worker processes. It
runs ``--repeats`` times with common random numbers (every trial on the same replication
seeds) and as many without (trial k on seed + k), the seeds of repeat r being the file's + r
for both, so that each pair starts from the same sampler.

Trials to reach the same loss: for each pair, the loss both searches reach (the larger of their
two best losses); the trials each needed to first reach it; the speed-up is the median of
(trials without) / (trials with). Wall time: from the call to ``sim.calibrate`` to its return
(workers started and stopped, the best rerun with twice the replications, included); medians.
Prints one line.
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT, median, sim

from sim.experiment.executors import cpu_count

SCENARIO = ROOT / "scenarios" / "japan-air-trs.toml"
TARGETS = ROOT / "targets" / "japan-air-2015.toml"
FREE = ["lodgement.delay_hours.mean=2:20", "checks.documents.duration_hours.mean=0.1:2"]


def trials_to_reach(losses: list[float], goal: float) -> int:
    """The number of trials until the best loss so far is at most ``goal`` (all of them plus
    one when it never is)."""
    best = float("inf")
    for k, loss in enumerate(losses, start=1):
        best = min(best, loss)
        if best <= goal:
            return k
    return len(losses) + 1


def timed(crn: bool, seed: int, a: argparse.Namespace) -> tuple[float, list[float], bool]:
    """Wall seconds, the trials' losses in trial order, and whether every figure is met."""
    t0 = time.perf_counter()
    result = sim.calibrate(
        SCENARIO,
        TARGETS,
        FREE,
        trials=a.trials,
        replications=a.replications,
        seed=seed,
        workers=a.workers,
        executor="processes",
        progress=False,
        crn=crn,
    )
    seconds = time.perf_counter() - t0
    met = all(row["met"] for row in result.fit)
    return seconds, [loss for _, loss in result.trials], met


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--trials", type=int, default=60)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    base_seed = sim.load_scenario(SCENARIO).scenario.seed
    walls: dict[bool, list[float]] = {True: [], False: []}
    met: dict[bool, list[bool]] = {True: [], False: []}
    ratios, reached = [], []
    for r in range(a.repeats):
        runs = {}
        for crn in (True, False):
            seconds, losses, ok = timed(crn, base_seed + r, a)
            walls[crn].append(seconds)
            met[crn].append(ok)
            runs[crn] = losses
        goal = max(min(runs[True]), min(runs[False]))
        with_crn, without = trials_to_reach(runs[True], goal), trials_to_reach(runs[False], goal)
        reached.append((with_crn, without))
        ratios.append(without / with_crn)
    print(
        f"bench=calibrate cpus={cpu_count()} workers={a.workers} trials={a.trials} "
        f"replications={a.replications} repeats={a.repeats} "
        f"wall_crn_s={median(walls[True]):.1f} wall_no_crn_s={median(walls[False]):.1f} "
        f"all_met_crn={sum(met[True])}/{a.repeats} all_met_no_crn={sum(met[False])}/{a.repeats} "
        "trials_to_same_loss(crn,no_crn)="
        + ",".join(f"{w}/{wo}" for w, wo in reached)
        + f" crn_speedup={median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
