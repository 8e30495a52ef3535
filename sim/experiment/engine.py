"""Experiments: replications with confidence intervals under common random numbers, and the
engine that runs them on any executor.

The unit of work is one replication of one *point* (a scenario, a variant of it, or a point of
a sweep): :func:`run_replication` simulates it from the replication's seed sequence and returns
its metrics and its figure data (the small, fixed-size distributions behind the pictures,
see :mod:`sim.measure.figure_data`; never per-shipment arrays).
``numpy.random.SeedSequence(seed)`` spawns one child per replication
(:func:`sim.streams.replication_seeds`), and replication *i* of every point uses child *i*:
every policy, variant and sweep point sees the same shipments, so their differences are paired
(common random numbers). Results are keyed by (point, replication), never by the order in which
they finish, so they are bit-identical whatever the executor and the number of workers.

With ``replications="auto"`` each point starts with the scenario's replications and adds more,
in rounds, until the 95% confidence half-width of every metric in :data:`AUTO_METRICS` is at
most ``precision`` times its mean, or ``max_replications`` is reached; the result says which.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.experiment.executors import Executor, make_executor
from sim.experiment.plugins import load_plugin, load_plugins
from sim.measure.figure_data import FigureData
from sim.measure.metrics import KEY_METRICS, replication_metrics
from sim.measure.statistics import CONFIDENCE, summarise
from sim.model.border import simulate
from sim.model.records import Records
from sim.policies import Policy, PolicyError, policy_factory
from sim.scenario import apply_overrides, from_dict, load_scenario
from sim.schema import Scenario, expected_shipments
from sim.streams import replication_seeds

if TYPE_CHECKING:
    from sim.files.results import ExperimentStore

AUTO_METRICS = ("clearance_hours_mean", "interception_rate")
"""The key metrics whose precision ``replications="auto"`` aims for."""
DEFAULT_PRECISION = 0.05
DEFAULT_MAX_REPLICATIONS = 100
SECONDS_PER_SHIPMENT = 1e-5
"""About how long one shipment takes to simulate (to decide whether worker processes pay)."""


class ExperimentError(Exception):
    """Arguments of an experiment that cannot work together (not a scenario problem)."""


# --------------------------------------------------------------------------- replications


@dataclass(frozen=True)
class Replications:
    """How many replications each point gets: ``count``, or with ``auto`` at least ``count``
    and more until the precision target or ``maximum`` is reached."""

    count: int
    auto: bool = False
    precision: float = DEFAULT_PRECISION
    maximum: int = DEFAULT_MAX_REPLICATIONS

    @classmethod
    def resolve(
        cls,
        replications: int | str | None,
        precision: float | None,
        maximum: int | None,
        default: int,
    ) -> Replications:
        """From the arguments of ``run``/``compare``/``sweep``; ``default`` is the scenario's."""
        if isinstance(replications, str) and replications.strip().lower() == "auto":
            top = DEFAULT_MAX_REPLICATIONS if maximum is None else int(maximum)
            target = DEFAULT_PRECISION if precision is None else float(precision)
            if not 0 < target < 1 or not math.isfinite(target):
                raise ExperimentError(f"precision must be between 0 and 1, got {precision}")
            if top < 2:
                raise ExperimentError(f"max_replications must be at least 2, got {maximum}")
            return cls(max(2, min(default, top)), True, target, top)
        if precision is not None or maximum is not None:
            raise ExperimentError(
                "precision and max_replications apply only with replications='auto'"
            )
        count = default if replications is None else replications
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ExperimentError(
                f"replications must be a whole number of at least 1 or 'auto', got {count!r}"
            )
        return cls(int(count))

    @property
    def most(self) -> int:
        """The most replications a point can get."""
        return self.maximum if self.auto else self.count

    def as_dict(self) -> dict[str, Any]:
        if not self.auto:
            return {"auto": False, "count": self.count}
        return {
            "auto": True,
            "start": self.count,
            "precision": self.precision,
            "maximum": self.maximum,
            "metrics": list(AUTO_METRICS),
        }

    def describe(self) -> str:
        if not self.auto:
            return f"{self.count} replication(s)"
        return (
            f"replications auto (from {self.count}, up to {self.maximum}, until the 95% CI "
            f"half-width of {' and '.join(AUTO_METRICS)} is within {self.precision:.0%} of the "
            "mean)"
        )


@dataclass(frozen=True)
class Precision:
    """Where ``replications="auto"`` stopped for one point, and why."""

    target: float
    maximum: int
    replications: int
    relative: dict[str, float | None]  # half-width / |mean| by metric; None: not measurable

    @property
    def reached(self) -> bool:
        return all(r is None or r <= self.target for r in self.relative.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "maximum": self.maximum,
            "replications": self.replications,
            "reached": self.reached,
            "relative_half_width": {
                k: (None if v is None or not math.isfinite(v) else v)
                for k, v in self.relative.items()
            },
        }

    def describe(self) -> str:
        measured = {k: v for k, v in self.relative.items() if v is not None}
        parts = ", ".join(f"{k} ±{_pct(v)}" for k, v in measured.items())
        missing = [k for k, v in self.relative.items() if v is None]
        note = f"; {', '.join(missing)} had no data, so it was not used" if missing else ""
        if self.reached:
            return (
                f"{self.replications} replications reached the target "
                f"(±{self.target:.0%} of the mean): {parts}{note}"
            )
        return (
            f"stopped at the maximum of {self.maximum} replications before reaching the target "
            f"(±{self.target:.0%} of the mean): {parts}{note}"
        )


def _pct(v: float) -> str:
    return "inf" if not math.isfinite(v) else f"{v:.1%}"


def _relative(stats: dict[str, Any]) -> float | None:
    """Half-width over |mean|; None when the metric has no data at all."""
    if not stats or stats["n"] == 0:
        return None
    half, mean = stats["half_width"], stats["mean"]
    if half is None or not math.isfinite(half):
        return math.inf
    if half == 0:
        return 0.0
    return half / abs(mean) if mean else math.inf


def next_count(reps: list[dict[str, float]], plan: Replications) -> tuple[int, Precision | None]:
    """With ``auto``: how many replications the point needs next, or (its count, the final
    precision) when it is done. Depends only on the values, never on timing or workers."""
    n = len(reps)
    stats = summarise(reps, CONFIDENCE)
    relative = {m: _relative(stats.get(m, {})) for m in AUTO_METRICS}
    report = Precision(plan.precision, plan.maximum, n, relative)
    if report.reached or n >= plan.maximum:
        return n, report
    needed = n
    for rel in relative.values():
        if rel is not None and rel > plan.precision:
            # The half-width shrinks as 1/sqrt(n).
            guess = n * (rel / plan.precision) ** 2 if math.isfinite(rel) else 2 * n
            needed = max(needed, math.ceil(guess))
    return min(plan.maximum, max(n + 1, min(needed, 2 * n))), None


# --------------------------------------------------------------------------- the unit of work


@dataclass(frozen=True)
class PolicySource:
    """A policy given from Python instead of the scenario's ``[policy]``: a ``sim.Policy``
    subclass (made with its default settings), a ``"module:Class"`` spec, or a zero-argument
    factory. One fresh object is made for each replication, in the process that runs it."""

    obj: Any

    def make(self) -> Policy:
        return policy_factory(self.obj)()

    def describe(self) -> str:
        obj = self.obj
        if isinstance(obj, str):
            return obj
        name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return f"{getattr(obj, '__module__', '?')}:{name}"

    @classmethod
    def of(cls, policy: Any) -> PolicySource | None:
        """Check ``policy`` here, in this process, so a mistake is reported before any run."""
        if policy is None:
            return None
        if isinstance(policy, str):
            load_plugin(policy)
            return cls(policy.strip())
        try:
            policy_factory(policy)
        except PolicyError as exc:
            raise ExperimentError(str(exc)) from None
        return cls(policy)


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
        load_plugin(spec)
    policy = task.policy.make() if task.policy is not None else None
    records = simulate(task.scenario, task.seed, policy)
    metrics = {k: float(v) for k, v in replication_metrics(task.scenario, records).items()}
    profile = FigureData.of(task.scenario, records)
    return metrics, profile, (records if task.trace else None)


def run_packed(packed: tuple[tuple[str, ...], bytes]) -> Outcome:
    """:func:`run_replication` in a worker process: load the plug-ins first, so that the
    classes the task refers to can be found, then read the task (pickled by this program)."""
    import pickle

    plugins, data = packed
    for spec in plugins:
        load_plugin(spec)
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


def open_executor(
    executor: str | Executor | None,
    workers: int | None,
    scheduler: str | None,
    points: list[Point],
    plan: Replications,
    policy: PolicySource | None,
) -> Executor:
    """The executor to use (see :func:`sim.experiment.executors.make_executor` for the default)."""
    # What must travel by reference: the policy, and the classes of the scenarios' settings.
    payload = (policy, list({type(p.scenario.policy_config) for p in points}))
    return make_executor(
        executor,
        workers=workers,
        scheduler=scheduler,
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
    *,
    seed: int,
    replications: Replications,
    executor: Executor,
    policy: PolicySource | None = None,
    plugins: tuple[str, ...] = (),
    trace: bool = False,
    progress: bool | None = None,
    store: ExperimentStore | None = None,
    desc: str = "",
) -> list[PointResult]:
    """Run every replication of every point; each point is handed to ``store`` (written) as
    soon as it is complete, and points already in ``store`` are not run again."""
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
    bar = _progress(len(waiting) + in_flight, desc, progress)
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


# --------------------------------------------------------------------------- results


def _require_pandas():
    from sim.files.results import require_pandas

    return require_pandas()


@dataclass
class RunResult:
    """The outcome of :func:`run`: metrics per replication and their summary.

    ``result.summary()`` gives every metric's mean, 95% t-interval, sd and n;
    ``result["metric"]`` its mean; ``result.text()`` the printed summary.
    """

    scenario: Scenario
    replications: list[dict[str, float]]
    stats: dict[str, dict[str, Any]]
    wall_seconds: float
    records: list[Records] = field(default_factory=list)
    executor: str = "serial"
    precision: Precision | None = None
    policy: str | None = None
    profile: FigureData | None = None
    """The replications' pooled figure data: what the pictures draw."""
    source: str | None = None
    """The scenario file it came from, if any (the report shows its comments)."""

    def summary(self) -> dict[str, dict[str, Any]]:
        """Every metric: ``{"mean", "ci_low", "ci_high", "half_width", "sd", "n"}``."""
        return self.stats

    def __getitem__(self, metric: str) -> float | None:
        """The mean of a metric across replications."""
        return self.stats[metric]["mean"]

    def text(self) -> str:
        """A readable summary: key metrics with their 95% intervals, then the stations."""
        from sim.files.results import format_summary

        return format_summary(self)

    def to_dataframe(self, which: str = "summary"):
        """``"summary"``: one row per metric with its interval; ``"replications"``: one row
        per replication, one column per metric. Needs pandas (``bordersim[dataframe]``)."""
        from sim.files.results import run_tables

        pd = _require_pandas()
        tables = run_tables(self)
        if which not in tables:
            raise ValueError(f"which must be one of {', '.join(tables)}, got {which!r}")
        columns, rows = tables[which]
        return pd.DataFrame(rows, columns=columns)

    def save(
        self,
        out: str | Path | None = None,
        command: list[str] | None = None,
        format: str = "csv",
    ) -> Path:
        """Write the result files atomically (``format`` "csv" or "parquet"); returns the
        folder."""
        from sim.files.results import save

        return save(self, out, command, format)


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | str | None = None,
    seed: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    policy: Any = None,
    trace: bool = False,
    progress: bool | None = None,
    executor: str | Executor | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    plugins: list[str] | tuple[str, ...] = (),
) -> RunResult:
    """Simulate every replication of a scenario and summarise them.

    ``scenario`` is a :class:`Scenario` or a path to a scenario file; ``replications`` (a
    number, or ``"auto"`` with ``precision`` and ``max_replications``) and ``seed`` override
    the file's. ``policy`` replaces the file's ``[policy]``: a ``sim.Policy`` subclass, a
    ``"module:Class"`` spec, or a zero-argument factory (one fresh object per replication; a
    lambda or a class defined in a notebook runs in this process). ``trace`` keeps every
    shipment's records in ``result.records``.

    ``executor`` is "serial", "processes" or "dask" (or an :class:`~.executors.Executor`);
    by default worker processes on every CPU when the run is long enough to gain from them.
    ``plugins`` are ``"module:Class"`` policies to register first.
    """
    load_plugins(tuple(plugins))
    source = PolicySource.of(policy)
    fixed = isinstance(replications, int | np.integer) and not isinstance(replications, bool)
    extra = list(overrides)
    if seed is not None:
        extra.append(f"scenario.seed={int(seed)}")
    if fixed:
        extra.append(f"scenario.replications={int(replications)}")
    file = str(Path(scenario).resolve()) if isinstance(scenario, str | Path) else None
    scenario = _scenario(scenario, extra)
    info = scenario.scenario
    plan = Replications.resolve(replications, precision, max_replications, info.replications)
    point = Point(info.name, scenario)
    started = time.perf_counter()
    with using(open_executor(executor, workers, scheduler, [point], plan, source), executor) as ex:
        name = ex.describe()
        [result] = execute(
            [point],
            seed=info.seed,
            replications=plan,
            executor=ex,
            policy=source,
            plugins=tuple(plugins),
            trace=trace,
            progress=progress,
            desc=info.name,
        )
    if plan.auto:  # the scenario as it ran: rerunning it gives the same numbers
        scenario = with_settings(scenario, replications=len(result.replications))
    return RunResult(
        scenario,
        result.replications,
        result.stats,
        time.perf_counter() - started,
        result.records,
        name,
        result.precision,
        source.describe() if source else None,
        result.profile,
        file,
    )


def _scenario(scenario: Scenario | str | Path, overrides: list[str]) -> Scenario:
    if isinstance(scenario, str | Path):
        return load_scenario(scenario, overrides)
    if not isinstance(scenario, Scenario):
        raise ExperimentError(f"expected a Scenario or a path to a scenario file, got {scenario!r}")
    if overrides:
        return from_dict(apply_overrides(scenario.to_dict(), overrides, "<scenario>"), "<scenario>")
    return scenario


def with_settings(scenario: Scenario, **settings: Any) -> Scenario:
    """The scenario with keys of its ``[scenario]`` table changed (seed, replications)."""
    data = scenario.to_dict()
    data["scenario"].update(settings)
    return from_dict(data, f"<{scenario.scenario.name}>")


# --------------------------------------------------------------------------- comparisons, sweeps


@dataclass
class ExperimentResult:
    """Shared by :class:`~.compare.CompareResult` and :class:`~.sweep.SweepResult`:
    several points, each with its replications under common random numbers."""

    kind: ClassVar[str] = "experiment"

    points: list[PointResult]
    seed: int
    plan: Replications
    wall_seconds: float = 0.0
    executor: str = "serial"
    policy: str | None = None
    notes: list[str] = field(default_factory=list)
    folder: Path | None = None
    files: list[str] = field(default_factory=list)
    """The scenario files it came from (the report shows their comments)."""

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.points]

    def summary(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{point label: {metric: {"mean", "ci_low", "ci_high", "half_width", "sd", "n"}}}``."""
        return {p.label: p.stats for p in self.points}

    def __getitem__(self, label: str) -> RunResult:
        """One point as a :class:`RunResult` (``result["strict"]["interception_rate"]``)."""
        for p in self.points:
            if p.label == label:
                return RunResult(
                    p.point.scenario,
                    p.replications,
                    p.stats,
                    self.wall_seconds,
                    executor=self.executor,
                    precision=p.precision,
                    policy=self.policy,
                    profile=p.profile,
                )
        raise KeyError(f"no point {label!r}; points: {', '.join(self.labels)}")

    def __len__(self) -> int:
        return len(self.points)

    def plan_dict(self) -> dict[str, Any]:
        """What ``experiment.json`` records: enough to check that a resumed run is the same."""
        return {
            "kind": self.kind,
            "seed": self.seed,
            "replications": self.plan.as_dict(),
            "policy": self.policy,
            "points": [
                {
                    "label": p.label,
                    "values": p.point.values,
                    "scenario_sha256": p.point.scenario.digest(),
                }
                for p in self.points
            ],
        }

    def tables(self) -> dict[str, tuple[list[str], list[list[Any]]]]:
        """Every table written to the results folder, by name, as (columns, rows)."""
        from sim.files.results import experiment_tables

        return experiment_tables(self)

    def to_dataframe(self, which: str = "summary"):
        """One of :meth:`tables` as a pandas DataFrame (``bordersim[dataframe]``):
        ``"summary"`` (point x metric, tidy), ``"replications"`` (point x replication x metric,
        tidy), and the kind's own table."""
        pd = _require_pandas()
        tables = self.tables()
        if which not in tables:
            raise ValueError(f"which must be one of {', '.join(tables)}, got {which!r}")
        columns, rows = tables[which]
        return pd.DataFrame(rows, columns=columns)

    def save(
        self, out: str | Path | None = None, command: list[str] | None = None, format: str = "csv"
    ) -> Path:
        """Write every result file atomically into ``out`` (default
        ``results/<name>/<kind>-<timestamp>``); returns the folder."""
        from sim.files.results import save_experiment

        return save_experiment(self, out, command, format)

    def text(self) -> str:
        raise NotImplementedError

    def default_name(self) -> str:
        return self.points[0].point.scenario.scenario.name

    # What the result files hold; the kinds add their own.
    def id_columns(self) -> list[str]:
        return ["point"]

    def id_values(self, p: PointResult) -> list[Any]:
        return [p.label]

    def own_tables(self) -> dict[str, tuple[list[str], list[list[Any]]]]:
        return {}

    def scenario_files(self) -> dict[str, str]:
        return {}

    def plan_notes(self) -> dict[str, Any]:
        return {"notes": self.notes}

    def point_extras(self, i: int) -> dict[str, Any]:
        return {}

    def summary_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seed": self.seed,
            "replications": self.plan.as_dict(),
            "confidence": CONFIDENCE,
            "policy": self.policy,
            "notes": self.notes,
            "points": [
                {
                    "label": p.label,
                    "values": p.point.values,
                    "replications": len(p.replications),
                    "precision": p.precision.as_dict() if p.precision else None,
                    **self.point_extras(i),
                    "metrics": p.stats,
                }
                for i, p in enumerate(self.points)
            ],
        }


def run_points(
    result_cls: type[ExperimentResult],
    points: list[Point],
    *,
    seed: int,
    plan: Replications,
    policy: PolicySource | None,
    plugins: tuple[str, ...],
    executor: str | Executor | None,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
    out: str | Path | None,
    resume: str | Path | None,
    notes: list[str],
    extra: Mapping[str, Any] | None = None,
    command: list[str] | None = None,
    format: str = "csv",
) -> ExperimentResult:
    """Run the points of a comparison or sweep; with ``out`` or ``resume`` each finished point
    is written at once, and at the end every table."""
    from sim.files.results import ExperimentStore, check_format

    check_format(format)
    if out is not None and resume is not None and Path(out) != Path(resume):
        raise ExperimentError("give either out or resume, not both")
    draft = result_cls(
        [PointResult(p, []) for p in points],
        seed,
        plan,
        policy=source_name(policy),
        notes=notes,
        **(extra or {}),
    )
    plan_data = draft.plan_dict()
    started = time.perf_counter()
    store = None  # the folder is checked before any worker starts
    if resume is not None:
        store = ExperimentStore.resume(Path(resume), plan_data)
    elif out is not None:
        store = ExperimentStore.create(Path(out), plan_data, draft)
    try:
        ex = open_executor(executor, workers, scheduler, points, plan, policy)
        with using(ex, executor):
            results = execute(
                points,
                seed=seed,
                replications=plan,
                executor=ex,
                policy=policy,
                plugins=plugins,
                progress=progress,
                store=store,
                desc=result_cls.kind,
            )
    except BaseException:
        if store is not None:
            store.abandon()  # a new folder in which nothing finished goes away
        raise
    result = result_cls(
        results,
        seed,
        plan,
        time.perf_counter() - started,
        ex.describe(),
        source_name(policy),
        notes,
        **(extra or {}),
    )
    if store is not None:
        store.finish(result, command, format)
        result.folder = store.folder
    return result


def source_name(policy: PolicySource | None) -> str | None:
    return policy.describe() if policy is not None else None


def settle(
    seed: int | None, replications: int | str | None, first: Scenario
) -> tuple[int, int | None]:
    """The seed and fixed replication count shared by every point (common random numbers):
    the arguments', else the first scenario's."""
    common_seed = first.scenario.seed if seed is None else int(seed)
    fixed = None
    if isinstance(replications, int | np.integer) and not isinstance(replications, bool):
        fixed = int(replications)
    return common_seed, fixed


__all__ = [
    "AUTO_METRICS",
    "KEY_METRICS",
    "ExperimentError",
    "ExperimentResult",
    "Point",
    "PointResult",
    "PolicySource",
    "Precision",
    "Replications",
    "RunResult",
    "Task",
    "execute",
    "next_count",
    "run",
    "run_replication",
]
