"""Constraints of an optimisation (``--subject-to 'METRIC>=VALUE'``) and how a candidate is
judged against them: feasible only when the constraint holds at the stated confidence, that is
when the one-sided bound of the metric's interval over the replications (``ci_low`` for
``>=``, ``ci_high`` for ``<=``, from :func:`sim.measure.statistics.summarise` at level
``2 * confidence - 1``, so each side leaves out ``1 - confidence``) is on the right side of the
value. A candidate whose mean meets the constraint but whose bound does not is infeasible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.measure.statistics import summarise
from sim.schema import show_value, suggest
from sim.schema.targets import TargetError

OPERATORS = (">=", "<=")
CONSTRAINT_USAGE = (
    "a constraint is METRIC>=VALUE or METRIC<=VALUE, e.g. --subject-to 'within_24h_share>=0.9'"
)
VIOLATED = 1e12
"""The violation of a constraint whose metric has no value (no replication produced one)."""
_FORM = re.compile(r"^\s*([^<>=\s]+)\s*(>=|<=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """A metric of summary.json held at or above (``>=``) or at or below (``<=``) a value."""

    metric: str
    op: str
    value: float

    def text(self) -> str:
        """The constraint as written on the command line."""
        return f"{self.metric}{self.op}{self.value:g}"

    @property
    def at_least(self) -> bool:
        return self.op == ">="


def unknown_metric(name: str, known: Iterable[str]) -> str:
    """The message for a metric name a run does not produce."""
    known = sorted(known)
    hint = suggest(name, known)
    msg = "no such metric in a run of this scenario"
    if hint:
        msg += f" (did you mean '{hint}'?)"
    return msg + "; summary.csv of a run lists every metric by name"


def parse_constraints(
    texts: Sequence[str], known: set[str], source: str = "--subject-to"
) -> list[Constraint]:
    """The constraints, each checked: the form, a metric the scenario produces, a finite value
    (within 0-1 for a share). Every problem is raised together, naming ``source``."""
    from sim.measure.names import at_most_one

    out: list[Constraint] = []
    problems: list[tuple[str, str]] = []
    for text in texts:
        match = _FORM.match(text)
        if match is None:
            problems.append((text, CONSTRAINT_USAGE))
            continue
        metric, op, raw = match.groups()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append((metric, f"VALUE must be a finite number, got {show_value(raw)}"))
        elif metric not in known:
            problems.append((metric, unknown_metric(metric, known)))
        elif at_most_one(metric) and not 0 <= value <= 1:
            problems.append((metric, f"is a share: VALUE must be within 0-1, got {value:g}"))
        else:
            out.append(Constraint(metric, op, value))
    if problems:
        raise TargetError(source, problems, "invalid constraint")
    return out


def one_sided(reps: list[dict[str, float]], metric: str, confidence: float) -> dict[str, Any]:
    """The metric's estimate and its interval whose each side is a one-sided bound at
    ``confidence`` (None without two replications)."""
    stats = summarise(reps, 2 * confidence - 1).get(metric) or {}
    return {k: stats.get(k) for k in ("mean", "ci_low", "ci_high")}


def judge(
    constraint: Constraint, reps: list[dict[str, float]], confidence: float
) -> dict[str, Any]:
    """The constraint on a candidate's replications: its mean, the one-sided bound, whether
    the mean meets it, whether it holds at ``confidence`` (the bound meets it), and the
    violation (bound minus value the wrong way: at most 0 when it holds), which Optuna's
    constrained samplers read."""
    stats = one_sided(reps, constraint.metric, confidence)
    mean = stats["mean"]
    bound = stats["ci_low"] if constraint.at_least else stats["ci_high"]
    if mean is None or not math.isfinite(mean):
        return {
            "mean": None,
            "bound": None,
            "mean_meets": False,
            "holds": False,
            "violation": VIOLATED,
        }
    sign = 1.0 if constraint.at_least else -1.0
    mean_meets = sign * (mean - constraint.value) >= 0
    if bound is None:  # one replication: no interval, so never feasible at a confidence
        return {
            "mean": mean,
            "bound": None,
            "mean_meets": mean_meets,
            "holds": False,
            "violation": VIOLATED,
        }
    violation = sign * (constraint.value - bound)
    return {
        "mean": mean,
        "bound": bound,
        "mean_meets": mean_meets,
        "holds": violation <= 0,
        "violation": violation,
    }


def judge_all(
    constraints: Sequence[Constraint], reps: list[dict[str, float]], confidence: float
) -> list[dict[str, Any]]:
    """:func:`judge` of each constraint."""
    return [judge(c, reps, confidence) for c in constraints]


__all__ = [
    "CONSTRAINT_USAGE",
    "Constraint",
    "judge",
    "judge_all",
    "one_sided",
    "parse_constraints",
    "unknown_metric",
]
