"""One scenario's replications: :func:`run` and its :class:`RunResult`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiment.engine import Point, execute, open_executor, using
from sim.experiment.executors import Executor
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.replications import Precision, Replications
from sim.files.layout import SCENARIO, STATS
from sim.files.saveable import Table
from sim.files.store import save
from sim.files.text import format_summary
from sim.files.write import file_record, require_pandas
from sim.measure.figure_data import FigureData
from sim.measure.statistics import CONFIDENCE
from sim.model.records import Records
from sim.scenario import apply_overrides, from_dict, load_scenario
from sim.schema import Scenario


def to_frame(tables: dict[str, Table], which: str):
    """One of ``tables`` as a pandas DataFrame (needs ``bordersim[dataframe]``)."""
    pd = require_pandas()
    if which not in tables:
        raise ValueError(f"which must be one of {', '.join(tables)}, got {which!r}")
    columns, rows = tables[which]
    return pd.DataFrame(rows, columns=columns)


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
        described = self.precision.describe() if self.precision is not None else None
        return format_summary(
            self.scenario, self.stats, len(self.replications), self.policy, described
        )

    def tables(self) -> dict[str, Table]:
        """``summary`` (one row per metric) and ``replications`` (one row per replication,
        one column per metric)."""
        stats = self.stats
        summary = (
            ["metric", *STATS],
            [[name, *(s[k] for k in STATS)] for name, s in stats.items()],
        )
        names = list(stats)
        reps = (
            ["replication", *names],
            [[i, *(rep.get(n) for n in names)] for i, rep in enumerate(self.replications)],
        )
        return {"summary": summary, "replications": reps}

    def to_dataframe(self, which: str = "summary"):
        """``"summary"``: one row per metric with its interval; ``"replications"``: one row
        per replication, one column per metric. Needs pandas (``bordersim[dataframe]``)."""
        return to_frame(self.tables(), which)

    def save(
        self,
        out: str | Path | None = None,
        command: list[str] | None = None,
        format: str = "csv",
    ) -> Path:
        """Write the result files atomically (``format`` "csv" or "parquet"); returns the
        folder."""
        return save(self, out, command, format)

    # What the results folder holds (see sim.files.saveable).
    def default_name(self) -> str:
        return self.scenario.scenario.name

    def summary_json(self) -> dict[str, Any]:
        sc = self.scenario
        summary: dict[str, Any] = {
            "scenario": sc.scenario.name,
            "seed": sc.scenario.seed,
            "replications": len(self.replications),
            "confidence": CONFIDENCE,
        }
        if self.precision is not None:
            summary["replications_auto"] = self.precision.as_dict()
        summary["metrics"] = self.stats
        return summary

    def scenario_files(self) -> dict[str, str]:
        return {SCENARIO: self.scenario.to_toml()}

    def manifest_fields(self) -> dict[str, Any]:
        sc = self.scenario
        return {  # a run's manifest has no "kind"
            "scenario": sc.scenario.name,
            "scenario_file": file_record(self.source),
            "scenario_sha256": sc.digest(),
            "seed": sc.scenario.seed,
            "replications": len(self.replications),
            "executor": self.executor,
            "policy": self.policy,
        }

    def trace_tables(self) -> list[tuple[int, dict[str, Any]]]:
        return [(i, r.columns(self.scenario)) for i, r in enumerate(self.records)]


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
    options = RunOptions.of(
        replications=replications,
        seed=seed,
        overrides=overrides,
        policy=policy,
        trace=trace,
        progress=progress,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        precision=precision,
        max_replications=max_replications,
        plugins=plugins,
    )
    return run_with(scenario, options)


def run_with(scenario: Scenario | str | Path, options: RunOptions) -> RunResult:
    """:func:`run` with its arguments as one :class:`RunOptions`."""
    extra = list(options.overrides)
    if options.seed is not None:
        extra.append(f"scenario.seed={int(options.seed)}")
    if options.fixed is not None:
        extra.append(f"scenario.replications={options.fixed}")
    file = str(Path(scenario).resolve()) if isinstance(scenario, str | Path) else None
    scenario = _scenario(scenario, extra)
    info = scenario.scenario
    plan = Replications.of(options, info.replications)
    point = Point(info.name, scenario)
    started = time.perf_counter()
    with using(open_executor(options, [point], plan), options.executor) as ex:
        name = ex.describe()
        [result] = execute(
            [point], options, seed=info.seed, replications=plan, executor=ex, desc=info.name
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
        options.policy_name(),
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


def run_difference(
    manifest: dict[str, Any], scenario: Scenario, policy: str | None, auto: bool = False
) -> str | None:
    """How the run a results folder's ``manifest`` records differs from running ``scenario``
    (seed and replications set, as loaded for the run) with ``policy``, in words; None when it
    is the same run. With ``auto`` replications any count the folder holds is the same."""
    if manifest.get("seed") != scenario.scenario.seed:
        return f"its seed is {manifest.get('seed')}, this one's {scenario.scenario.seed}"
    held = manifest.get("replications")
    if auto and isinstance(held, int) and held > 0:
        scenario = with_settings(scenario, replications=held)
    elif held != scenario.scenario.replications:
        return f"it has {held} replications, this one {scenario.scenario.replications}"
    if manifest.get("policy") != policy:
        return f"its policy plug-in was {manifest.get('policy')}, this one's is {policy}"
    if manifest.get("scenario_sha256") != scenario.digest():
        return "its scenario differs (the file, or a --set)"
    return None


def with_settings(scenario: Scenario, **settings: Any) -> Scenario:
    """The scenario with keys of its ``[scenario]`` table changed (seed, replications)."""
    data = scenario.to_dict()
    data["scenario"].update(settings)
    return from_dict(data, f"<{scenario.scenario.name}>")


__all__ = ["RunResult", "run", "run_difference", "run_with", "to_frame", "with_settings"]
