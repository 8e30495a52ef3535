"""Reading a results folder back: everything a report or the trainer's page is built from.

Folders written by earlier versions still load: a missing profile or plan leaves that part
empty, and only a folder that is not a results folder at all is refused, with the reason.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.files.layout import MANIFEST, PLAN, PROFILE, PROFILES, SCENARIO, SUMMARY, point_file
from sim.files.store import kind_of, read_profile
from sim.files.write import OutputError
from sim.measure.figure_data import FigureData
from sim.scenario import set_key
from sim.schema import ScenarioError


@dataclass
class SavedPoint:
    """One point of a results folder as read back: a run has one."""

    label: str
    values: dict[str, Any]
    stats: dict[str, dict[str, Any]]
    replications: int
    profile: FigureData | None = None
    scenario: dict[str, Any] | None = None  # the resolved scenario, as data
    scenario_file: str | None = None  # relative to the folder
    differences: dict[str, dict[str, Any]] | None = None
    pareto: bool | None = None
    precision: dict[str, Any] | None = None
    source: int | None = None  # a comparison's point: which scenario file it came from


@dataclass
class Saved:
    """A results folder written by ``run``, ``compare`` or ``sweep``, read back: everything a
    report or the trainer's page is built from."""

    folder: Path
    kind: str  # "run", "compare" or "sweep"
    seed: int | None
    points: list[SavedPoint]
    summary: dict[str, Any]
    manifest: dict[str, Any]
    keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.kind == "run":
            return str(self.summary.get("scenario") or self.points[0].label)
        scenario = self.points[0].scenario or {}
        return str((scenario.get("scenario") or {}).get("name") or self.points[0].label)


def _read_folder_json(path: Path, folder: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise OutputError(
            f"{folder} is not a readable results folder: {path.name} is damaged"
        ) from None


def _read_toml(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        return tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_results(folder: str | Path) -> Saved:
    """Read a results folder; an :class:`OutputError` that says what is wrong when it is not
    one (missing, a file, an unfinished comparison or sweep, damaged)."""
    folder = Path(folder)
    hint = "give a folder written by bordersim run, compare or sweep"
    if not folder.exists():
        raise OutputError(f"{folder}: no such results folder; {hint}")
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a results folder; {hint}")
    if not (folder / SUMMARY).is_file():
        if (folder / PLAN).is_file():
            kind = kind_of(folder)
            raise OutputError(
                f"{folder} holds an unfinished {kind} (no {SUMMARY} yet): finish it with "
                f"bordersim {kind} ... --resume {folder}, then make its report"
            )
        raise OutputError(f"{folder} is not a bordersim results folder (no {SUMMARY}); {hint}")
    summary = _read_folder_json(folder / SUMMARY, folder)
    manifest = _read_folder_json(folder / MANIFEST, folder) if (folder / MANIFEST).is_file() else {}
    if not isinstance(summary, dict) or not isinstance(manifest, dict):
        raise OutputError(f"{folder} is not a readable results folder: {SUMMARY} is damaged")
    try:
        if isinstance(summary.get("metrics"), dict):  # a run
            point = SavedPoint(
                str(summary.get("scenario", "run")),
                {},
                summary["metrics"],
                int(summary.get("replications") or 0),
                read_profile(folder / PROFILE),
                _read_toml(folder / SCENARIO),
                SCENARIO,
                precision=summary.get("replications_auto"),
            )
            return Saved(folder, "run", summary.get("seed"), [point], summary, manifest)
        kind = summary.get("kind")
        if kind not in ("compare", "sweep") or not isinstance(summary.get("points"), list):
            raise KeyError("kind")
        base = _read_toml(folder / SCENARIO) if kind == "sweep" else None
        plan = _read_folder_json(folder / PLAN, folder) if (folder / PLAN).is_file() else {}
        keys = list(plan.get("keys") or []) if isinstance(plan, dict) else []
        if kind == "sweep" and not keys and summary["points"]:
            keys = list(summary["points"][0].get("values") or {})
        points = []
        for i, p in enumerate(summary["points"]):
            rel = p.get("scenario_file")
            if kind == "sweep":
                scenario = _with_values(base, p.get("values") or {})
                rel = SCENARIO
            else:
                scenario = _read_toml(folder / rel) if rel else None
            points.append(
                SavedPoint(
                    str(p["label"]),
                    dict(p.get("values") or {}),
                    dict(p["metrics"]),
                    int(p.get("replications") or 0),
                    read_profile(folder / PROFILES / point_file(i)),
                    scenario,
                    rel,
                    p.get("differences"),
                    p.get("pareto"),
                    p.get("precision"),
                    p.get("source"),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise OutputError(
            f"{folder} is not a readable results folder: {SUMMARY} is not one bordersim wrote"
        ) from None
    if not points:
        raise OutputError(f"{folder} holds no points")
    return Saved(
        folder,
        kind,
        summary.get("seed"),
        points,
        summary,
        manifest,
        keys,
        list(summary.get("notes") or []),
    )


def _with_values(base: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any] | None:
    """A sweep point's scenario: the base with the point's values set as ``--vary`` set them
    (None when the base is missing, or does not take them)."""
    if base is None:
        return None
    data = copy.deepcopy(base)
    try:
        for key, value in values.items():
            set_key(data, key, value, SCENARIO)
    except ScenarioError:
        return None
    return data
