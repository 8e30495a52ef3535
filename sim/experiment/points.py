"""Several points under common random numbers: :class:`ExperimentResult`, shared by
comparisons and sweeps, and :func:`run_points`, which runs them and fills their folder."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sim.experiment.engine import Point, PointResult, execute, open_executor, using
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.replications import Replications
from sim.experiment.run import RunResult, to_frame
from sim.files.layout import STATS
from sim.files.saveable import Table
from sim.files.store import ExperimentStore, save_experiment
from sim.files.write import check_format, file_record
from sim.measure.statistics import CONFIDENCE


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

    def tables(self) -> dict[str, Table]:
        """Every table written to the results folder, by name, as (columns, rows):
        ``summary``, one row per point and metric; ``replications``, one row per point,
        replication and metric (tidy); then the kind's own tables."""
        ids = self.id_columns()
        summary_rows = []
        rep_rows = []
        for p in self.points:
            head = self.id_values(p)
            for metric, s in p.stats.items():
                summary_rows.append([*head, metric, *(s[k] for k in STATS)])
            for r, rep in enumerate(p.replications):
                for metric, value in rep.items():
                    rep_rows.append([*head, r, metric, value])
        tables = {
            "summary": ([*ids, "metric", *STATS], summary_rows),
            "replications": ([*ids, "replication", "metric", "value"], rep_rows),
        }
        tables.update(self.own_tables())
        return tables

    def to_dataframe(self, which: str = "summary"):
        """One of :meth:`tables` as a pandas DataFrame (``bordersim[dataframe]``):
        ``"summary"`` (point x metric, tidy), ``"replications"`` (point x replication x metric,
        tidy), and the kind's own table."""
        return to_frame(self.tables(), which)

    def save(
        self, out: str | Path | None = None, command: list[str] | None = None, format: str = "csv"
    ) -> Path:
        """Write every result file atomically into ``out`` (default
        ``results/<name>/<kind>-<timestamp>``); returns the folder."""
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

    def own_tables(self) -> dict[str, Table]:
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

    def manifest_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scenarios": sorted({p.point.scenario.scenario.name for p in self.points}),
            "scenario_files": [file_record(f) for f in self.files],
            "seed": self.seed,
            "replications": self.plan.as_dict(),
            "executor": self.executor,
            "policy": self.policy,
        }


def run_points(
    result_cls: type[ExperimentResult],
    points: list[Point],
    options: RunOptions,
    *,
    seed: int,
    plan: Replications,
    notes: list[str],
    extra: Mapping[str, Any] | None = None,
) -> ExperimentResult:
    """Run the points of a comparison or sweep; with ``options.out`` or ``options.resume``
    each finished point is written at once, and at the end every table."""
    out, resume = options.out, options.resume
    check_format(options.format)
    if out is not None and resume is not None and Path(out) != Path(resume):
        raise ExperimentError("give either out or resume, not both")
    policy = options.policy_name()
    draft = result_cls(
        [PointResult(p, []) for p in points],
        seed,
        plan,
        policy=policy,
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
        ex = open_executor(options, points, plan)
        with using(ex, options.executor):
            results = execute(
                points,
                options,
                seed=seed,
                replications=plan,
                executor=ex,
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
        policy,
        notes,
        **(extra or {}),
    )
    if store is not None:
        store.finish(result, options.command, options.format)
        result.folder = store.folder
    return result


__all__ = ["ExperimentResult", "run_points"]
