"""What a result offers to be saved: the small protocol through which :mod:`sim.files.store`
writes results without knowing the experiment layer that makes them.

A result says which tables, summary, scenario files and manifest entries it has; the files
wing decides only where and how they are written (atomically, CSV or Parquet).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from sim.measure.figure_data import FigureData

Table = tuple[list[str], list[list[Any]]]
"""A table as (columns, rows)."""


class Described(Protocol):
    """Anything that says itself as JSON data (a replication plan, where ``auto`` stopped)."""

    def as_dict(self) -> dict[str, Any]: ...


class Saveable(Protocol):
    """A result with a folder of its own: a run, a comparison or a sweep."""

    wall_seconds: float

    def default_name(self) -> str:
        """The scenario's name: the folder goes to ``results/<name>/`` by default."""
        ...

    def tables(self) -> dict[str, Table]:
        """Every table of the folder, by name."""
        ...

    def summary_json(self) -> dict[str, Any]:
        """``summary.json``: each metric's mean and interval, and how it was run."""
        ...

    def scenario_files(self) -> dict[str, str]:
        """The scenarios as run, as TOML text by path inside the folder."""
        ...

    def manifest_fields(self) -> dict[str, Any]:
        """What ``manifest.json`` says of this result (scenarios, seed, executor, ...)."""
        ...


class SaveableRun(Saveable, Protocol):
    """One scenario's replications, written into its folder at once."""

    profile: FigureData | None

    def trace_tables(self) -> Iterable[tuple[int, dict[str, np.ndarray]]]:
        """Every shipment of each traced replication (nothing without ``trace``)."""
        ...


class SaveablePoint(Protocol):
    """One finished point of a comparison or sweep."""

    replications: list[dict[str, float]]
    precision: Described | None
    profile: FigureData | None


class SaveableExperiment(Saveable, Protocol):
    """A comparison or a sweep, written point by point as it runs."""

    kind: str
    points: list[Any]  # SaveablePoint each

    def plan_dict(self) -> dict[str, Any]:
        """What ``experiment.json`` records: enough to check that a resumed run is the same."""
        ...

    def plan_notes(self) -> dict[str, Any]:
        """What ``experiment.json`` adds for a reader (notes, swept keys)."""
        ...
