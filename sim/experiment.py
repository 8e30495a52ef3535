"""Runs: replications of one scenario, each from its own seed sequence, and their summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.border import simulate
from sim.metrics import KEY_METRICS, replication_metrics, summarise
from sim.policies import Policy
from sim.records import Records
from sim.scenario import Scenario, load_scenario
from sim.streams import replication_seeds


@dataclass
class RunResult:
    """The outcome of ``run``: metrics per replication and their summary."""

    scenario: Scenario
    replications: list[dict[str, float]]
    summary: dict[str, dict[str, Any]]
    wall_seconds: float
    records: list[Records] = field(default_factory=list)

    def __getitem__(self, metric: str) -> float | None:
        """The mean of a metric across replications."""
        return self.summary[metric]["mean"]

    def text(self) -> str:
        """A readable summary: key metrics with their 95% intervals, then the stations."""
        from sim.results import format_summary

        return format_summary(self)

    def save(self, out: str | Path | None = None, command: list[str] | None = None) -> Path:
        """Write the result files atomically; returns the folder."""
        from sim.results import save

        return save(self, out, command)


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    policy: Callable[[], Policy] | None = None,
    trace: bool = False,
    progress: bool | None = None,
) -> RunResult:
    """Simulate every replication of a scenario and summarise them.

    ``scenario`` is a :class:`Scenario` or a path to a scenario file; ``replications`` and
    ``seed`` override the file's; ``policy`` is a factory for a policy object that replaces the
    file's ``[policy]`` (one fresh object per replication); ``trace`` keeps every shipment's
    records in ``result.records``.
    """
    extra = list(overrides)
    if seed is not None:
        extra.append(f"scenario.seed={int(seed)}")
    if replications is not None:
        extra.append(f"scenario.replications={int(replications)}")
    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario, extra)
    elif extra:
        from sim.scenario import apply_overrides, from_dict

        scenario = from_dict(apply_overrides(scenario.to_dict(), extra, "<scenario>"), "<scenario>")
    info = scenario.scenario
    seeds = replication_seeds(info.seed, info.replications)
    started = time.perf_counter()
    per_rep: list[dict[str, float]] = []
    kept: list[Records] = []
    bar = _progress(len(seeds), info.name, progress)
    for seed_seq in seeds:
        records = simulate(scenario, seed_seq, policy() if policy else None)
        per_rep.append(replication_metrics(scenario, records))
        if trace:
            kept.append(records)
        bar.update(1)
    bar.close()
    return RunResult(scenario, per_rep, summarise(per_rep), time.perf_counter() - started, kept)


def _progress(total: int, name: str, enabled: bool | None):
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(
        total=total, desc=name, unit="rep", disable=not enabled, file=sys.stderr, leave=False
    )


__all__ = ["KEY_METRICS", "RunResult", "run"]
