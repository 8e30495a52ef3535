"""The register of cases and running them: each case belongs to a section of the report, and
its rows are computed once per process, in one process or several."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

from tools.validation.verdicts import Row


@dataclass(frozen=True)
class Case:
    """A validation case: a simulation and the rows comparing it with theory."""

    id: str
    section: str
    title: str
    run: Callable[[], list[Row]]
    slow: bool = False


SECTIONS = {
    "queues": "Single stations: M/M/c (Erlang C) and M/G/1 (Pollaczek-Khinchine)",
    "priority": "Two priority classes, non-preemptive (Cobham)",
    "network": "A network with routing probabilities (Jackson)",
    "little": "Little's law in every shipped scenario",
    "detection": "Detection identities",
    "cliff": "The capacity cliff",
    "censoring": "Shipments still inside at the end: censored clearance times and overload",
    "batches": "Batch arrivals (flights, vessels): M^X/M/1",
}
CASES: dict[str, Case] = {}


def register(
    id: str, section: str, title: str, run: Callable[[], list[Row]], slow: bool = False
) -> Case:
    """Add a case; ``run`` returns its rows (each row's ``case`` should be ``id``)."""
    if id in CASES:
        raise ValueError(f"case {id!r} is registered twice")
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}; add it to SECTIONS")
    CASES[id] = Case(id, section, title, run, slow)
    return CASES[id]


@cache
def evaluate(case_id: str) -> tuple[Row, ...]:
    """The rows of one case (computed once per process)."""
    return tuple(CASES[case_id].run())


def run_cases(ids: Sequence[str], jobs: int = 1) -> dict[str, tuple[Row, ...]]:
    """The rows of each case, in ``jobs`` processes (the registry order is kept)."""
    if jobs <= 1 or len(ids) <= 1:
        return {i: evaluate(i) for i in ids}
    order = sorted(ids, key=lambda i: not CASES[i].slow)  # the long ones first
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = dict(zip(order, pool.map(evaluate, order), strict=True))
    return {i: done[i] for i in ids}
