"""The engine: one replication of one point as the unit of work, and :func:`execute`, which
runs every replication of every point on any executor.

The unit of work is one replication of one *point* (a scenario, a variant of it, or a point of
a sweep): :func:`run_replication` simulates it from the replication's seed sequence and returns
its metrics and its figure data (the small, fixed-size distributions behind the pictures,
see :mod:`sim.measure.figure_data`; never per-shipment arrays).
``numpy.random.SeedSequence(seed)`` spawns one child per replication
(:func:`sim.streams.replication_seeds`), and replication *i* of every point uses child *i*:
every policy, variant and sweep point sees the same shipments, so their differences are paired
(common random numbers). Results are keyed by (point, replication), never by the order in which
they finish, so they are bit-identical whatever the executor and the number of workers.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiment.executors import Executor, make_executor
from sim.experiment.options import PolicySource, RunOptions
from sim.experiment.replications import Precision, Replications, next_count
from sim.files.store import ExperimentStore
from sim.measure.figure_data import FigureData
from sim.measure.metrics import replication_metrics
from sim.measure.network import network_metrics
from sim.measure.statistics import CONFIDENCE, summarise
from sim.model.border import simulate
from sim.model.network import linked, simulate_network
from sim.model.records import Records
from sim.policies import register_plugin
from sim.schema import Scenario, expected_shipments
from sim.streams import replication_seeds

SECONDS_PER_SHIPMENT = 1e-5
"""About how long one shipment takes to simulate (to decide whether worker processes pay)."""


# --------------------------------------------------------------------------- the unit of work


@dataclass(frozen=True)
class Task:
    """One replication of one point: everything a worker needs, and nothing else."""

    scenario: Scenario
    seed: np.random.SeedSequence
    policy: PolicySource | None = None
    plugins: tuple[str, ...] = ()
    trace: bool = False


Outcome = tuple[dict[str, float], FigureData, Records | None]
"""What one replication hands back: its metrics, its profile and, with ``trace``, its records."""


def run_replication(task: Task) -> Outcome:
    """Simulate one replication; its metrics (plain floats), its profile and, with ``trace``,
    its records. A pure function of the task: the same task gives the same numbers in any
    process."""
    for spec in task.plugins:
        register_plugin(spec)
    policy = task.policy.make() if task.policy is not None else None
    scenario = task.scenario
    if scenario.network is None and not linked(scenario):
        records = simulate(scenario, task.seed, policy)
        metrics = {k: float(v) for k, v in replication_metrics(scenario, records).items()}
    else:  # the home office's metrics as ever, then the network's, its offices' and hooks'
        network, by_office = simulate_network(scenario, task.seed, policy)
        records = by_office[network.home.name]
        metrics = {k: float(v) for k, v in replication_metrics(scenario, records).items()}
        offices = {o.name: (o.scenario, by_office[o.name]) for o in network.offices}
        metrics.update(network_metrics(offices))
        metrics.update(network.metrics())
    profile = FigureData.of(scenario, records)  # the home office's
    return metrics, profile, (records if task.trace else None)


def run_packed(packed: tuple[tuple[str, ...], bytes]) -> Outcome:
    """:func:`run_replication` in a worker process: load the plug-ins first, so that the
    classes the task refers to can be found, then read the task (pickled by this program)."""
    import pickle

    plugins, data = packed
    for spec in plugins:
        register_plugin(spec)
    return run_replication(pickle.loads(data))


# --------------------------------------------------------------------------- points and the engine


@dataclass(frozen=True)
class Point:
    """What one column of a comparison or one point of a sweep runs."""

    label: str
    scenario: Scenario
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class PointResult:
    """The replications of one point, their summary, where ``auto`` stopped, and the pooled
    profile of its replications (None for a point read from a folder written without one)."""

    point: Point
    replications: list[dict[str, float]]
    precision: Precision | None = None
    records: list[Records] = field(default_factory=list)
    profile: FigureData | None = None
    stats: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.stats = summarise(self.replications, CONFIDENCE)

    @property
    def label(self) -> str:
        return self.point.label


def estimated_seconds(points: list[Point], count: int) -> float:
    """A rough guess of the simulation time, serially (to choose an executor and a bar)."""
    return sum(expected_shipments(p.scenario) for p in points) * count * SECONDS_PER_SHIPMENT


def open_executor(options: RunOptions, points: list[Point], plan: Replications) -> Executor:
    """The executor to use (see :func:`sim.experiment.executors.make_executor` for the default)."""
    # What must travel by reference: the policy, and the classes of the scenarios' settings.
    payload = (options.policy, list({type(p.scenario.policy_config) for p in points}))
    return make_executor(
        options.executor,
        workers=options.workers,
        scheduler=options.scheduler,
        tasks=len(points) * plan.count,
        seconds=estimated_seconds(points, plan.count),
        payload=payload,
    )


@contextmanager
def using(ex: Executor, given: Any) -> Iterator[Executor]:
    """Close the executor afterwards, unless the caller passed it in (then it is only
    stopped after a failure, so that no abandoned task keeps running)."""
    try:
        yield ex
    except BaseException:
        ex.close(cancel=True)
        raise
    if ex is not given:
        ex.close()


def execute(
    points: list[Point],
    options: RunOptions,
    *,
    seed: int,
    replications: Replications,
    executor: Executor,
    store: ExperimentStore | None = None,
    desc: str = "",
) -> list[PointResult]:
    """Run every replication of every point on ``executor``, with the policy, plug-ins, trace
    and progress bar of ``options``; each point is handed to ``store`` (written) as soon as it
    is complete, and points already in ``store`` are not run again."""
    policy, plugins, trace = options.policy, options.plugins, options.trace
    seeds = replication_seeds(seed, replications.most)
    results: list[PointResult | None] = [None] * len(points)
    if store is not None:
        for i, point in enumerate(points):
            reps = store.load(i)
            if reps is not None:
                results[i] = _finish(point, reps, replications, [], store.load_profile(i))
    target = {i: replications.count for i, r in enumerate(results) if r is None}
    got: dict[int, dict[int, Outcome]] = {i: {} for i in target}
    # Tasks are handed over a few at a time, in order: points finish (and are written) one
    # after the other, and a huge sweep never holds all its tasks in memory at once.
    waiting: deque[tuple[int, int]] = deque((i, r) for i in target for r in range(target[i]))
    limit = max(4, 2 * executor.workers) if executor.remote else 1
    in_flight = 0

    def feed() -> None:
        nonlocal in_flight
        while waiting and in_flight < limit:
            i, r = waiting.popleft()
            task = Task(points[i].scenario, seeds[r], policy, plugins, trace)
            if executor.remote:
                executor.submit((i, r), run_packed, (plugins, executor.dumps(task)))
            else:
                executor.submit((i, r), run_replication, task)
            in_flight += 1

    feed()
    bar = _progress(len(waiting) + in_flight, desc, options.progress)
    try:
        for key, outcome in executor.results():
            in_flight -= 1
            i, r = key  # type: ignore[misc]
            got[i][r] = outcome
            bar.update(1)
            n = target[i]
            if len(got[i]) == n:
                reps = [got[i][k][0] for k in range(n)]
                more = next_count(reps, replications)[0] if replications.auto else n
                if more > n:  # this point first: it finishes (and is saved) sooner
                    waiting.extendleft((i, k) for k in reversed(range(n, more)))
                    target[i] = more
                    bar.total += more - n
                    bar.refresh()
                else:
                    kept = [got[i][k][2] for k in range(n)] if trace else []
                    profile = FigureData.pool([got[i][k][1] for k in range(n)])
                    result = _finish(points[i], reps, replications, kept, profile)
                    if store is not None:
                        store.save(i, result)
                    results[i] = result
                    del got[i]
            feed()
    finally:
        bar.close()
    return [r for r in results if r is not None]


def _finish(
    point: Point,
    reps: list[dict[str, float]],
    plan: Replications,
    records: list,
    profile: FigureData | None = None,
) -> PointResult:
    precision = next_count(reps, plan)[1] if plan.auto else None
    return PointResult(point, reps, precision, [r for r in records if r is not None], profile)


def _progress(total: int, name: str, enabled: bool | None):
    """A tqdm bar on stderr: shown after a second of work, only on a terminal."""
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=name or None,
        unit="rep",
        disable=not enabled,
        file=sys.stderr,
        leave=False,
        delay=1.0,
    )


__all__ = [
    "Outcome",
    "Point",
    "PointResult",
    "PolicySource",
    "Task",
    "execute",
    "open_executor",
    "run_replication",
    "using",
]
