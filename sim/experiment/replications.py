"""How many replications a point gets: a fixed count, or with ``replications="auto"`` more,
in rounds, until the 95% confidence half-width of every metric in :data:`AUTO_METRICS` is at
most ``precision`` times its mean, or ``max_replications`` is reached; :class:`Precision`
says which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.experiment.options import ExperimentError, RunOptions
from sim.measure.statistics import CONFIDENCE, summarise

AUTO_METRICS = ("clearance_hours_mean", "interception_rate")
"""The key metrics whose precision ``replications="auto"`` aims for."""
DEFAULT_PRECISION = 0.05
DEFAULT_MAX_REPLICATIONS = 100


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

    @classmethod
    def of(cls, options: RunOptions, default: int) -> Replications:
        """From the options; ``default`` is the scenario's count."""
        return cls.resolve(
            options.replications, options.precision, options.max_replications, default
        )

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
