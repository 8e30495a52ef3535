"""Ranking and selection: the best of a few leading candidates told apart from each other at a
stated confidence, on paired replications (every candidate on the same seeds in each round).

The procedure is sequential elimination with Bonferroni-adjusted paired t-tests. With ``k``
candidates and at most ``rounds`` rounds, each round (1) runs ``batch`` more replications of
every candidate still in contention, on seeds shared by all of them, (2) drops those no longer
feasible (their constraints judged on all their replications, see
:mod:`sim.experiment.constraints`), (3) takes the feasible one with the best mean objective
and (4) eliminates each other candidate whose paired difference from it is beyond the one-sided
t bound at level ``(1 - confidence) / ((k - 1) * rounds)``. It stops when only the best is left
(it is *separated* from each other), when the rest equal it in every replication, or when the
rounds are spent; the candidates left with the best are then *tied* with it.

By Bonferroni's inequality over the at most ``(k - 1) * rounds`` tests that could eliminate the
truly best candidate, it is kept (selected, or among the tied) with probability at least
``confidence`` when the objective's paired differences are about normal (means of
replications). Feasibility is judged separately, each constraint at ``confidence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as st

IN, SEPARATED, EQUAL, INFEASIBLE = "in contention", "separated", "equal", "infeasible"
"""A candidate's standing in the selection."""

Reps = list[dict[str, float]]


@dataclass
class Selection:
    """What the selection found: the best's index (None when no candidate stayed feasible),
    the indices tied with it, each candidate's standing and replications, and every round."""

    best: int | None
    tied: list[int]
    standing: list[str]
    replications: list[Reps]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    level: float = math.nan
    """The one-sided level of each paired test (Bonferroni-adjusted)."""

    @property
    def separated(self) -> bool:
        """Whether the best is told apart from every other candidate."""
        return self.best is not None and not self.tied


def _values(reps: Reps, metric: str) -> np.ndarray:
    return np.array([rep.get(metric, math.nan) for rep in reps], dtype=float)


def _paired(best: np.ndarray, other: np.ndarray, sign: float, alpha: float) -> tuple[str, Any]:
    """How ``best`` stands against ``other`` over their common replications: "equal" in every
    replication, "separated" (the one-sided bound of the mean gain is above 0) or "unsure";
    with the mean gain and its bound."""
    n = min(best.size, other.size)
    gain = sign * (best[:n] - other[:n])
    gain = gain[~np.isnan(gain)]
    if gain.size == 0:
        return "unsure", (math.nan, math.nan)
    if not gain.any():
        return EQUAL, (0.0, 0.0)
    mean = float(gain.mean())
    if gain.size < 2:
        return "unsure", (mean, math.nan)
    bound = mean - float(st.t.ppf(1 - alpha, gain.size - 1) * gain.std(ddof=1) / gain.size**0.5)
    return (SEPARATED if bound > 0 else "unsure"), (mean, bound)


def select(
    count: int,
    more: Callable[[list[int], int], list[Reps]],
    objective: str,
    sign: float,
    feasible: Callable[[Reps], bool],
    *,
    confidence: float = 0.95,
    rounds: int = 5,
) -> Selection:
    """Select the best of ``count`` candidates (see the module's notes). ``more(indices,
    round)`` returns one new batch of replications for each candidate in ``indices``, all on
    the round's shared seeds; ``sign`` is +1 to maximise ``objective``, -1 to minimise it;
    ``feasible(reps)`` judges a candidate's constraints on its replications."""
    reps: list[Reps] = [[] for _ in range(count)]
    standing = [IN] * count
    alpha = (1 - confidence) / (max(1, count - 1) * max(1, rounds))
    log: list[dict[str, Any]] = []
    best: int | None = None
    for r in range(rounds):
        live = [i for i in range(count) if standing[i] in (IN, EQUAL)]
        if not live:
            break
        for i, batch in zip(live, more(live, r), strict=True):
            reps[i] += batch
        for i in live:
            if not feasible(reps[i]):
                standing[i] = INFEASIBLE
        live = [i for i in live if standing[i] != INFEASIBLE]
        entry: dict[str, Any] = {
            "round": r + 1,
            "replications": {i: len(reps[i]) for i in range(count) if reps[i]},
            "infeasible": [i for i in range(count) if standing[i] == INFEASIBLE],
        }
        if not live:
            best = None
            entry["best"] = None
            log.append(entry)
            break
        means = {i: float(np.nanmean(_values(reps[i], objective))) for i in live}
        best = max(live, key=lambda i: (sign * means[i], -i))
        standing[best] = IN
        tests = {}
        for i in live:
            if i == best:
                continue
            verdict, (gain, bound) = _paired(
                _values(reps[best], objective), _values(reps[i], objective), sign, alpha
            )
            standing[i] = verdict if verdict != "unsure" else IN
            tests[i] = {"verdict": verdict, "gain": gain, "bound": bound}
        entry.update(best=best, means=means, tests=tests)
        log.append(entry)
        if all(standing[i] in (SEPARATED, EQUAL) for i in live if i != best):
            break
    tied = [i for i in range(count) if i != best and standing[i] in (IN, EQUAL)]
    return Selection(best, tied if best is not None else [], standing, reps, log, alpha)


def rank(
    means: Sequence[float | None], sign: float, feasible: Sequence[bool], top: int
) -> list[int]:
    """The indices of the ``top`` feasible candidates with the best means, best first."""
    ok = [i for i, m in enumerate(means) if feasible[i] and m is not None and math.isfinite(m)]
    return sorted(ok, key=lambda i: (-sign * means[i], i))[:top]  # type: ignore[operator]


def pareto(points: Sequence[Sequence[float]], signs: Sequence[float]) -> list[bool]:
    """Which points no other point beats on every objective (``signs`` +1 to maximise, -1 to
    minimise): at least as good on all and better on one."""
    arr = np.array(points, dtype=float) * np.array(signs, dtype=float)
    out = []
    for i in range(len(arr)):
        if not np.isfinite(arr[i]).all():
            out.append(False)
            continue
        others = np.delete(arr, i, axis=0)
        others = others[np.isfinite(others).all(axis=1)]
        beaten = ((others >= arr[i]).all(axis=1) & (others > arr[i]).any(axis=1)).any()
        out.append(not bool(beaten))
    return out


__all__ = ["EQUAL", "INFEASIBLE", "IN", "SEPARATED", "Selection", "pareto", "rank", "select"]
