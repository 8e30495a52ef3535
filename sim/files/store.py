"""Result folders, written so that none is ever half-written.

- A run's folder is written under a temporary name and renamed when complete.
- A comparison's or sweep's folder fills as it runs: ``experiment.json`` (what is being run)
  first, then one ``points/NNNNN.json`` per point as soon as that point has all its
  replications, each written to a temporary file and renamed; the tables and
  ``manifest.json`` come last. An interrupted run keeps every finished point, and
  ``--resume`` runs only the missing ones.
- A folder is written by one command at a time (:class:`~sim.files.write.FolderLock`).

One rule for a results folder that exists already (``--out``): one that holds the same
inputs, finished, is complete (:class:`AlreadyFinished`: nothing runs again and nothing is
rewritten); a comparison or sweep of the same inputs, unfinished, is continued (only its
missing points run, as ``--resume`` does); a folder of other inputs, or of other files, is
refused. An empty folder is used.

A result comes in through the protocols of :mod:`sim.files.saveable`: it says what it holds,
this module where each piece goes.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from sim.files.layout import (
    MANIFEST,
    PLAN,
    POINTS,
    PROFILE,
    PROFILES,
    SUMMARY,
    TRACE,
    point_file,
)
from sim.files.saveable import Saveable, SaveableExperiment, SaveablePoint, SaveableRun
from sim.files.write import (
    FolderLock,
    OutputError,
    check_destination,
    check_format,
    check_names,
    clean,
    clear_stale,
    default_folder,
    manifest,
    remove_empty,
    save_folder,
    storage_error,
    write_atomic,
    write_json,
    write_table,
)
from sim.measure.figure_data import FigureData

IDENTITY = ("kind", "seed", "replications", "policy", "points")
"""What must match for ``--resume`` to continue a folder."""


WORDS = {"compare": "comparison", "sweep": "sweep", "run": "run"}
"""What a folder's kind is called in a message."""


class AlreadyFinished(OutputError):
    """The results folder asked for holds this run, comparison or sweep, finished: there is
    nothing to run again (a command says so and exits 0)."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind
        super().__init__(
            f"{folder} already holds this {WORDS.get(kind, kind)}, finished; nothing was run again "
            "(choose another --out, or delete the folder, to run it again)"
        )


def finished_run(folder: Path) -> dict[str, Any] | None:
    """The manifest of the run that ``folder`` holds, None when the folder is missing or
    empty; anything else there (a comparison, a sweep, other files) is refused, since a run
    writes its folder whole and would replace it. Called with the folder's lock held: what a
    killed save left there is cleaned up first (results it had moved aside are put back)."""
    check_destination(folder)
    clear_stale(folder)
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
    data = _read_json(folder / MANIFEST)
    if (folder / PLAN).is_file() or not isinstance(data, dict) or "kind" in data:
        raise OutputError(
            f"{folder} holds a {WORDS.get(kind_of(folder))}, not a run; choose another --out"
        )
    return data


# --------------------------------------------------------------------------- one run


def save(
    result: SaveableRun, out: str | Path | None, command: list[str] | None, fmt: str = "csv"
) -> Path:
    """Write every result file of a run; returns the folder."""
    check_format(fmt)
    final = Path(out) if out is not None else default_folder(result.default_name())
    return save_folder(final, lambda tmp: _write_run(result, tmp, command, fmt))


def _write_run(result: SaveableRun, tmp: Path, command: list[str] | None, fmt: str) -> None:
    from sim.model.records import write_trace

    write_json(tmp / SUMMARY, result.summary_json())
    _write_tables(tmp, result, fmt)
    _write_scenarios(tmp, result)
    if result.profile is not None:
        write_json(tmp / PROFILE, result.profile.to_json(), compact=True)
    write_json(tmp / MANIFEST, manifest(result.manifest_fields(), command, result.wall_seconds))
    traced = list(result.trace_tables())
    if traced:
        write_trace(tmp / TRACE, traced)


def _write_tables(folder: Path, result: Saveable, fmt: str) -> None:
    for name, (columns, rows) in result.tables().items():
        write_table(folder, name, columns, rows, fmt)


def _write_scenarios(folder: Path, result: Saveable) -> None:
    for rel, text in result.scenario_files().items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)


# --------------------------------------------------------------------------- comparisons, sweeps


def save_experiment(
    result: SaveableExperiment, out: str | Path | None, command: list[str] | None, fmt: str
) -> Path:
    """Write a whole comparison or sweep into a folder at once (atomically)."""
    check_format(fmt)
    final = (
        Path(out) if out is not None else default_folder(result.default_name(), prefix=result.kind)
    )

    def write(tmp: Path) -> None:
        store = ExperimentStore(tmp, result.plan_dict())
        store.start(result)
        for i, p in enumerate(result.points):
            store.save(i, p)
        store.write_tables(result, command, fmt)

    return save_folder(final, write)


def _difference(stored: dict[str, Any], plan: dict[str, Any]) -> str | None:
    """What differs between a folder's plan and the one asked for now, in words."""
    for key in IDENTITY:
        a, b = stored.get(key), plan.get(key)
        if a == b:
            continue
        if key == "points":
            a, b = a or [], b or []
            if len(a) != len(b):
                return f"it has {len(a)} points, this has {len(b)}"
            for x, y in zip(a, b, strict=True):
                if x.get("label") != y.get("label") or x.get("values") != y.get("values"):
                    return f"its point {x.get('label')!r} is {y.get('label')!r} here"
                if x.get("scenario_sha256") != y.get("scenario_sha256"):
                    return (
                        f"the scenario of point {x.get('label')!r} has changed (the file, or a "
                        "--set)"
                    )
        return f"{key} was {json.dumps(a)}, now {json.dumps(b)}"
    return None


class ExperimentStore:
    """A comparison's or sweep's results folder, filled point by point as the run goes; its
    lock is held from :meth:`create` or :meth:`resume` until :meth:`finish` or
    :meth:`abandon`."""

    def __init__(
        self,
        folder: Path,
        plan: dict[str, Any],
        created: list[Path] | None = None,
        lock: FolderLock | None = None,
    ):
        self.folder = folder
        self.plan = plan
        self._created = created  # folders made for a new run (removed if it yields nothing)
        self._lock = lock

    @classmethod
    def create(
        cls, folder: Path, plan: dict[str, Any], draft: SaveableExperiment
    ) -> ExperimentStore:
        """Start a new folder, or continue one that holds the same comparison or sweep
        unfinished (see :meth:`resume`); refuse one that holds anything else, or that another
        command is writing."""
        check_names(folder)
        if (folder / PLAN).is_file():
            return cls.resume(folder, plan)
        created = [p for p in (folder, *folder.parents) if not p.exists()]
        lock = FolderLock.acquire(folder)
        try:
            _check_new(folder)
        except BaseException:
            lock.release()
            raise
        store = cls(folder, plan, created, lock)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            store.start(draft)
        except OSError as exc:
            store.abandon()
            raise OutputError(f"cannot write {folder}: {exc.strerror or exc}") from None
        except BaseException:
            store.abandon()
            raise
        return store

    @classmethod
    def resume(cls, folder: Path, plan: dict[str, Any]) -> ExperimentStore:
        """Continue a folder started with the same plan (and that no other command is
        writing); what a killed writer left half-written there is removed. A folder in which
        every point and the tables are written raises :class:`AlreadyFinished`."""
        lock = FolderLock.acquire(folder)
        try:
            _check_resumable(folder, plan)
            if (folder / MANIFEST).is_file() and count_points(folder) >= len(plan["points"]):
                raise AlreadyFinished(folder, plan["kind"])
            clear_stale(folder)
        except BaseException:
            lock.release()
            raise
        return cls(folder, plan, lock=lock)

    def start(self, draft: SaveableExperiment) -> None:
        """Write what is being run: the plan and the scenario files."""
        (self.folder / POINTS).mkdir(exist_ok=True)
        write_json(self.folder / PLAN, {**self.plan, **draft.plan_notes()})
        _write_scenarios(self.folder, draft)

    def load(self, i: int) -> list[dict[str, float]] | None:
        """The replications of point ``i`` if it finished earlier, else None."""
        path = self.folder / POINTS / point_file(i)
        if not path.is_file():
            return None
        data = _read_json(path)
        expected = self.plan["points"][i]
        if (
            not isinstance(data, dict)
            or data.get("label") != expected["label"]
            or data.get("scenario_sha256") != expected["scenario_sha256"]
            or not isinstance(data.get("replications"), list)
        ):
            raise OutputError(
                f"{path} does not belong to this run (point {expected['label']!r}); "
                "delete it to run that point again"
            )
        return [
            {k: math.nan if v is None else float(v) for k, v in rep.items()}
            for rep in data["replications"]
        ]

    def load_profile(self, i: int) -> FigureData | None:
        """The pooled profile of point ``i`` if it was written (None for a folder written by
        a version without profiles, or a damaged file: the point's numbers still count)."""
        return read_profile(self.folder / PROFILES / point_file(i))

    def save(self, i: int, result: SaveablePoint) -> None:
        """Write one finished point (atomically): its profile first, then its numbers, whose
        file says that the point is finished."""
        if result.profile is not None:
            profile = self.folder / PROFILES / point_file(i)
            try:
                profile.parent.mkdir(exist_ok=True)
                write_json(profile, result.profile.to_json(), True)
            except OSError as exc:
                raise storage_error(profile, exc) from None
        point = self.plan["points"][i]
        data = {
            "index": i,
            "label": point["label"],
            "values": point["values"],
            "scenario_sha256": point["scenario_sha256"],
            "precision": result.precision.as_dict() if result.precision else None,
            "replications": result.replications,
        }
        path = self.folder / POINTS / point_file(i)
        try:
            write_json(path, data)
        except OSError as exc:
            raise storage_error(path, exc) from None

    def done(self) -> int:
        """How many points are finished and written."""
        return count_points(self.folder)

    def finish(self, result: SaveableExperiment, command: list[str] | None, fmt: str) -> None:
        """Write the tables, the summary and the manifest; then let the folder go."""
        try:
            self.write_tables(result, command, fmt)
        except OSError as exc:
            raise storage_error(self.folder, exc) from None
        finally:
            self.release()

    def write_tables(self, result: SaveableExperiment, command: list[str] | None, fmt: str) -> None:
        _write_tables(self.folder, result, fmt)
        write_json(self.folder / SUMMARY, result.summary_json())
        fields = result.manifest_fields()
        write_json(self.folder / MANIFEST, manifest(fields, command, result.wall_seconds))

    def abandon(self) -> None:
        """After a failure: a new folder in which no point finished is removed again; the
        folder is let go."""
        try:
            self._remove_if_empty()
        finally:
            self.release()

    def release(self) -> None:
        """Let another command write the folder."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def _remove_if_empty(self) -> None:
        if self._created is None or self.done():
            return
        if self.folder in self._created:
            shutil.rmtree(self.folder, ignore_errors=True)
            remove_empty(self._created[1:])
        else:  # an empty folder given with --out: leave it empty
            for child in self.folder.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()


def _check_new(folder: Path) -> None:
    """A new comparison or sweep goes into a folder that is missing or empty."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a results folder; choose another --out")
    if any(folder.iterdir()):
        raise OutputError(f"{folder} exists and is not empty; choose another --out")


def _check_resumable(folder: Path, plan: dict[str, Any]) -> None:
    """``folder`` holds a comparison or sweep started with ``plan``."""
    file = folder / PLAN
    if not folder.is_dir():
        raise OutputError(f"{folder}: no such results folder to resume")
    if not file.is_file():
        raise OutputError(
            f"{folder} is not a compare or sweep results folder ({PLAN} is missing); "
            "nothing to resume"
        )
    stored = _read_json(file)
    plan = json.loads(json.dumps(clean(plan)))  # as it reads back from the file
    if not isinstance(stored, dict):
        raise OutputError(f"{file} is damaged; choose another --out")
    held = WORDS.get(str(stored.get("kind")), "run")
    if stored.get("kind") != plan["kind"]:
        raise OutputError(
            f"{folder} holds a {held}, not a {WORDS[plan['kind']]}; choose another --out"
        )
    why = _difference(stored, plan)
    if why:
        raise OutputError(
            f"{folder} holds a {held} of other inputs: {why}. Give the arguments it was "
            "started with to continue it, or choose another --out"
        )


def count_points(folder: Path) -> int:
    """How many points of a comparison or sweep are finished and written in ``folder``."""
    points = folder / POINTS
    if not points.is_dir():
        return 0
    return sum(1 for p in points.glob("*.json") if not p.name.startswith("."))


def planned_points(folder: Path) -> int | None:
    """How many points the comparison or sweep in ``folder`` plans, if it has begun."""
    try:
        return len(json.loads((folder / PLAN).read_text())["points"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kind_of(folder: Path) -> str:
    """What a folder with ``experiment.json`` holds: "compare" or "sweep"."""
    try:
        return str(json.loads((folder / PLAN).read_text()).get("kind", "run"))
    except (OSError, ValueError, AttributeError):
        return "run"


def read_profile(path: Path) -> FigureData | None:
    """Figure data written by :meth:`FigureData.to_json`, or None when missing or damaged."""
    try:
        return FigureData.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OutputError(
            f"{path} cannot be read ({exc}); delete it to start that part again"
        ) from None
