"""Calibration: trials and wall time of fitting Japan's 2015 air-cargo survey on 2 workers, and
what common random numbers buy.

The search is the shipped one (docs/how-to.md, "Calibrate to your own Time Release Study"):
``scenarios/japan-air-trs.toml`` against ``targets/japan-air-2015.toml``, free
``lodgement.delay_hours.mean=2:20`` and ``checks.documents.duration_hours.mean=0.1:2``,
``--trials`` trials of ``--replications`` replications, on ``--workers`` worker processes. It
runs ``--repeats`` times with common random numbers (every trial on the same replication
seeds) and as many without (trial k on seed + k), the seeds of repeat r being the file's + r
for both, so that each pair starts from the same sampler.

A search's own losses cannot judge it: without common random numbers a trial's loss carries
its replications' luck, so the best loss so far falls by luck as well as by fit. So every
point a search would have chosen (its best trial after each number of trials) is scored again
on a shared set of ``--rescore`` fresh replications (seeds no search used; every point on the
same ones), which gives its true loss and whether it truly meets every figure. Printed: the
median true loss of the chosen point after 10, 20, 30, 40 and all trials, with and without;
the trials each search needed until its chosen point truly meets every figure (all of them
plus one when it never does), and the speed-up, the median of (trials without) / (trials
with). Wall time: from the call to ``sim.calibrate`` to its return (workers started and
stopped, the best rerun with twice the replications, included); medians. Prints two lines.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import ROOT, median, sim

from sim.experiment.calibrate import fit_rows, loss_of
from sim.experiment.executors import cpu_count
from sim.experiment.free import apply, load_targets, parse_free
from sim.scenario import from_dict

SCENARIO = ROOT / "scenarios" / "japan-air-trs.toml"
TARGETS = ROOT / "targets" / "japan-air-2015.toml"
FREE = ["lodgement.delay_hours.mean=2:20", "checks.documents.duration_hours.mean=0.1:2"]
FRESH = 1_000_003
"""Added to the file's seed for the fresh replications: far from every seed a search uses."""
AFTER = (10, 20, 30, 40)


def chosen(losses: list[float]) -> list[int]:
    """For each number of trials n, the index of the trial the search would choose after n
    (its lowest loss so far, the first of equals)."""
    out, best = [], 0
    for k, loss in enumerate(losses):
        if loss < losses[best]:
            best = k
        out.append(best)
    return out


def search(crn: bool, seed: int, a: argparse.Namespace) -> tuple[float, list[dict[str, Any]]]:
    """Wall seconds, and the chosen point after each number of trials (its values)."""
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
    params = [p for p, _ in result.trials]
    return seconds, [params[k] for k in chosen([loss for _, loss in result.trials])]


def rescore(points: list[dict[str, Any]], a: argparse.Namespace) -> list[tuple[float, bool]]:
    """Each point's true loss and whether it meets every figure, on the same fresh seeds."""
    data = sim.load_scenario(SCENARIO).to_dict()
    data.pop("variants", None)  # the points alone, not the file's variants of each
    base = from_dict(data, str(SCENARIO))
    goal = load_targets(TARGETS)
    free = parse_free(FREE, base)
    scenarios = {f"p{i}": apply(base, values, free) for i, values in enumerate(points)}
    result = sim.compare(
        scenarios,
        replications=a.rescore,
        seed=base.scenario.seed + FRESH,
        executor="processes",
        workers=a.workers,
        progress=False,
    )
    assert [p.point.label for p in result.points] == list(scenarios)
    out = []
    for point in result.points:
        rows = fit_rows(goal, point.replications)
        out.append((loss_of(goal, [r["fitted"] for r in rows]), all(r["met"] for r in rows)))
    return out


def trials_to_meet(met: list[bool]) -> int:
    """The number of trials until the chosen point truly meets every figure (and stays so
    chosen: a later choice that misses counts against it); all of them plus one if never."""
    for n in range(len(met), 0, -1):
        if not met[n - 1]:
            return n + 1
    return 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--trials", type=int, default=60)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rescore", type=int, default=20, help="fresh replications per point")
    a = p.parse_args()
    base_seed = sim.load_scenario(SCENARIO).scenario.seed
    walls: dict[bool, list[float]] = {True: [], False: []}
    picks: dict[bool, list[list[dict[str, Any]]]] = {True: [], False: []}
    for r in range(a.repeats):
        for crn in (True, False):
            seconds, chosen_points = search(crn, base_seed + r, a)
            walls[crn].append(seconds)
            picks[crn].append(chosen_points)
    keys = sorted(
        {tuple(sorted(v.items())) for runs in picks.values() for run in runs for v in run}
    )
    scores = dict(zip(keys, rescore([dict(k) for k in keys], a), strict=True))

    def score(values: dict[str, Any]) -> tuple[float, bool]:
        return scores[tuple(sorted(values.items()))]

    after = [n for n in AFTER if n < a.trials] + [a.trials]
    loss_after: dict[bool, dict[int, float]] = {True: {}, False: {}}
    to_meet: dict[bool, list[int]] = {True: [], False: []}
    for crn in (True, False):
        for n in after:
            loss_after[crn][n] = median([score(run[n - 1])[0] for run in picks[crn]])
        to_meet[crn] = [trials_to_meet([score(v)[1] for v in run]) for run in picks[crn]]
    ratios = [wo / w for w, wo in zip(to_meet[True], to_meet[False], strict=True)]
    print(
        f"bench=calibrate cpus={cpu_count()} workers={a.workers} trials={a.trials} "
        f"replications={a.replications} repeats={a.repeats} rescore={a.rescore} "
        f"points_rescored={len(keys)} "
        f"wall_crn_s={median(walls[True]):.1f} wall_no_crn_s={median(walls[False]):.1f}"
    )
    print(
        "true_loss_of_chosen(crn/no_crn) "
        + " ".join(f"after{n}={loss_after[True][n]:.3g}/{loss_after[False][n]:.3g}" for n in after)
        + " trials_to_truly_meet_all(crn,no_crn)="
        + ",".join(f"{w}/{wo}" for w, wo in zip(to_meet[True], to_meet[False], strict=True))
        + f" crn_speedup={median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
