"""Reading a results folder back: everything a report or the trainer's page is built from.

Folders written by earlier versions still load: a missing profile or plan leaves that part
empty, and only a folder that is not a results folder at all is refused, with the reason.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.files.layout import MANIFEST, PLAN, PROFILE, PROFILES, SCENARIO, SUMMARY, point_file
from sim.files.write import OutputError
from sim.measure.figure_data import FigureData
from sim.scenario import parse_toml, set_key
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
    frontier: dict[str, str] | None = None  # a sweep point's standing by time axis
    separate_with: int | None = None  # in the band: about how many replications would tell
    behind: int | None = None  # in the band: the point ahead of it


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


MB = 1_000_000
SUMMARY_CAP = 512 * MB
"""summary.json and experiment.json: a sweep of the most points allowed (10,000) writes about
200 MB."""
MANIFEST_CAP = 16 * MB
"""manifest.json: a few kB as written."""
PROFILE_CAP = 64 * MB
"""A profile: its series are at most 2,400 steps long, a few MB in all."""
TOML_CAP = 64 * MB
"""A scenario file, in the folder or named by the manifest: scenario files above 50 MB are
refused when they are run."""
ALLOWED = "bordersim reads only regular files inside a results folder, each within its size cap"

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO put in place of a file must not block the open
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _refused(folder: Path, rel: str, problem: str) -> OutputError:
    return OutputError(f"{folder} is not a readable results folder: {rel} {problem}; {ALLOWED}")


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


def _what(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((words for test, words in kinds if test(mode)), "not a plain file")


def inside(folder: Path, rel: Any) -> Path:
    """The real path of ``rel`` inside ``folder``; an :class:`OutputError` when ``rel`` is not
    a relative path, climbs out with ``..``, or leads outside through a symbolic link (or a
    loop of them). Files a folder names are data from whoever wrote it."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise _refused(folder, repr(rel), "is not the name of a file")
    path = Path(rel)
    if path.is_absolute() or path.anchor:
        raise _refused(folder, rel, "is an absolute path, outside the folder")
    if ".." in path.parts:
        raise _refused(folder, rel, "climbs out of the folder with '..'")
    root = folder.resolve()
    try:
        real = (root / path).resolve()
    except (RuntimeError, OSError):  # RuntimeError: a loop of symbolic links (Python < 3.13)
        raise _refused(folder, rel, "is a loop of symbolic links") from None
    if not real.is_relative_to(root):
        raise _refused(folder, rel, f"is a symbolic link that leads outside the folder ({real})")
    return real


def read_inside(folder: Path, rel: Any, cap: int) -> bytes | None:
    """The bytes of the regular file ``rel`` inside ``folder``, or None when there is none; an
    :class:`OutputError` naming the folder, the file and what is wrong when it is outside the
    folder (see :func:`inside`), not a regular file (a FIFO, a device, a folder) or larger
    than ``cap`` bytes. Never reads more than ``cap`` bytes."""
    path = inside(folder, rel)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link after it was resolved
            raise _refused(folder, rel, "is a symbolic link") from None
        raise _refused(folder, rel, f"cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refused(folder, rel, f"is {_what(info.st_mode)}, not a regular file")
        if info.st_size > cap:
            raise _too_large(folder, rel, info.st_size, cap)
        chunks, total = [], 0
        while chunk := os.read(fd, min(cap + 1 - total, 1 << 20)):
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:  # grew while being read
                raise _too_large(folder, rel, total, cap)
    except OSError as exc:
        raise _refused(folder, rel, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def source_problem(record: Mapping[str, Any]) -> str | None:
    """Why a report must not open a scenario file that the manifest names (the file the folder
    was run from, outside it), or None when it may. It may open only a regular file of at most
    :data:`TOML_CAP` bytes, named by an absolute path, with a recorded SHA-256: the report shows
    the file's words only when its bytes match that hash, so a folder from someone else can
    bring into a report only a file its writer already had. A missing or unreadable file may be
    tried: the report then says it cannot be read."""
    path, digest = record.get("path"), record.get("sha256")
    if not isinstance(path, str) or "\x00" in path or not Path(path).is_absolute():
        return "the manifest does not give its absolute path"
    if not isinstance(digest, str) or not digest:
        return (
            "the manifest records no SHA-256 of it, so nothing shows that the file there now is "
            "the one that ran (and a folder from someone else could name any file of yours)"
        )
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"it is {_what(info.st_mode)}, not a regular file"
    if info.st_size > TOML_CAP:
        return (
            f"it is {_size(info.st_size)}, more than the {_size(TOML_CAP)} a scenario file may be"
        )
    return None


def _too_large(folder: Path, rel: str, size: int, cap: int) -> OutputError:
    return _refused(folder, rel, f"is {_size(size)}, more than the {_size(cap)} it may be")


def _read_folder_json(folder: Path, rel: str, cap: int) -> Any:
    """A JSON file of the folder (None when missing); an :class:`OutputError` when damaged."""
    raw = read_inside(folder, rel, cap)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise OutputError(f"{folder} is not a readable results folder: {rel} is damaged") from None


def _read_toml(folder: Path, rel: Any) -> dict[str, Any] | None:
    """A scenario saved in the folder, or None when missing or damaged."""
    raw = read_inside(folder, rel, TOML_CAP)
    if raw is None:
        return None
    try:  # within the limits of a scenario file: a small file cannot exhaust the parser
        return parse_toml(raw.decode("utf-8"), str(folder / str(rel)))
    except (ScenarioError, ValueError, RecursionError):
        return None


def _read_profile(folder: Path, rel: str) -> FigureData | None:
    """A point's figure data, or None when missing or damaged (its figures are left out)."""
    raw = read_inside(folder, rel, PROFILE_CAP)
    if raw is None:
        return None
    try:
        return FigureData.from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return None


def _stats(data: Any) -> dict[str, dict[str, Any]]:
    """A point's metrics as written: a table of tables (a KeyError when not)."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise KeyError("metrics")
    return dict(data)


STANDINGS = ("efficient", "band", "dominated", "overloaded", "missing")
"""A sweep point's standings as :func:`sim.measure.statistics.frontier` names them."""


def _frontier(data: Any) -> dict[str, str] | None:
    """A sweep point's standing by time axis (``{"mean": "efficient", "p90": "band"}``), the
    axes and standings bordersim writes only; None for a folder written without them."""
    if not isinstance(data, dict):
        return None
    out = {k: v for k, v in data.items() if k in ("mean", "p90") and v in STANDINGS}
    return out or None


def _whole(value: Any, least: int, most: int | None = None) -> int | None:
    """A whole number within bounds, else None (a folder from an earlier version, or edited)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if value < least or (most is not None and value > most):
        return None
    return value


def load_results(folder: str | Path) -> Saved:
    """Read a results folder; an :class:`OutputError` that says what is wrong when it is not
    one (missing, a file, an unfinished comparison or sweep, damaged, or holding a file that
    is outside it, not a regular file or too large: see :func:`read_inside`)."""
    folder = Path(folder)
    hint = "give a folder written by bordersim run, compare or sweep"
    if not folder.exists():
        raise OutputError(f"{folder}: no such results folder; {hint}")
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a results folder; {hint}")
    summary = _read_folder_json(folder, SUMMARY, SUMMARY_CAP)
    plan = _read_folder_json(folder, PLAN, SUMMARY_CAP)
    if summary is None:
        if plan is not None:
            kind = str(plan.get("kind", "run")) if isinstance(plan, dict) else "run"
            raise OutputError(
                f"{folder} holds an unfinished {kind} (no {SUMMARY} yet): finish it with "
                f"bordersim {kind} ... --resume {folder}, then make its report"
            )
        raise OutputError(f"{folder} is not a bordersim results folder (no {SUMMARY}); {hint}")
    manifest = _read_folder_json(folder, MANIFEST, MANIFEST_CAP)
    manifest = {} if manifest is None else manifest
    for name, data in ((SUMMARY, summary), (MANIFEST, manifest)):
        if not isinstance(data, dict):
            raise OutputError(f"{folder} is not a readable results folder: {name} is damaged")
    try:
        if isinstance(summary.get("metrics"), dict):  # a run
            point = SavedPoint(
                str(summary.get("scenario", "run")),
                {},
                _stats(summary["metrics"]),
                int(summary.get("replications") or 0),
                _read_profile(folder, PROFILE),
                _read_toml(folder, SCENARIO),
                SCENARIO,
                precision=summary.get("replications_auto"),
            )
            return Saved(folder, "run", summary.get("seed"), [point], summary, manifest)
        kind = summary.get("kind")
        if kind not in ("compare", "sweep") or not isinstance(summary.get("points"), list):
            raise KeyError("kind")
        base = _read_toml(folder, SCENARIO) if kind == "sweep" else None
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
                scenario = _read_toml(folder, rel) if rel is not None else None
            points.append(
                SavedPoint(
                    str(p["label"]),
                    dict(p.get("values") or {}),
                    _stats(p["metrics"]),
                    int(p.get("replications") or 0),
                    _read_profile(folder, f"{PROFILES}/{point_file(i)}"),
                    scenario,
                    rel,
                    p.get("differences"),
                    p.get("pareto"),
                    p.get("precision"),
                    p.get("source"),
                    _frontier(p.get("frontier")),
                    _whole(p.get("separate_with"), 1),
                    _whole(p.get("behind"), 0, len(summary["points"]) - 1),
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


@contextmanager
def values_of(folder: Path) -> Iterator[None]:
    """Turn a failure on a value of the wrong shape while a page is drawn from ``folder`` (text
    where a number belongs, say) into an :class:`OutputError` that names the folder: bordersim
    writes no such value, so the folder was edited or damaged."""
    try:
        yield
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
        raise OutputError(
            f"{folder} is not a readable results folder: it holds a value bordersim does not "
            f"write ({type(exc).__name__}: {exc})"
        ) from None


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
