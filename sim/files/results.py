"""Result files, written so that none is ever half-written.

- A run's folder is written under a temporary name and renamed when complete.
- A comparison's or sweep's folder fills as it runs: ``experiment.json`` (what is being run)
  first, then one ``points/NNNNN.json`` per point as soon as that point has all its
  replications, each written to a temporary file and renamed; the tables and
  ``manifest.json`` come last. An interrupted run keeps every finished point, and
  ``--resume`` runs only the missing ones.

Tables are CSV by default, Parquet with ``format="parquet"`` (needs ``bordersim[dataframe]``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.experiment.engine import ExperimentResult, PointResult, RunResult

from sim.measure.figure_data import FigureData
from sim.measure.names import key_rows

MANIFEST = "manifest.json"
PLAN = "experiment.json"
POINTS = "points"
PROFILES = "profiles"
PROFILE = "profile.json"
SUMMARY = "summary.json"
FORMATS = ("csv", "parquet")
STATS = ("mean", "ci_low", "ci_high", "half_width", "sd", "n")
DATAFRAME_HINT = "pip install 'bordersim[dataframe]'"
IDENTITY = ("kind", "seed", "replications", "policy", "points")
"""What must match for ``--resume`` to continue a folder."""


class OutputError(Exception):
    """The results folder cannot be written (or resumed) where asked."""


class MissingDependencyError(ImportError):
    """An optional package is needed: the message says which extra installs it."""


def require_pandas():
    """pandas, or a :class:`MissingDependencyError` that says how to install it."""
    try:
        import pandas
    except ImportError:
        raise MissingDependencyError(f"this needs pandas: {DATAFRAME_HINT}") from None
    return pandas


def check_format(fmt: str) -> None:
    """Refuse an unknown table format, or Parquet without pandas and pyarrow, before running."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if fmt == "parquet":
        try:
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                f"--format parquet needs pandas and pyarrow: {DATAFRAME_HINT}"
            ) from None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def default_folder(name: str, root: Path = Path("results"), prefix: str = "") -> Path:
    """``results/<name>/[<prefix>-]<timestamp>``, with a suffix when that folder exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"{prefix}-{stamp}" if prefix else stamp
    folder = root / name / stem
    k = 2
    while folder.exists():
        folder = root / name / f"{stem}-{k}"
        k += 1
    return folder


def check_destination(final: Path) -> None:
    """Refuse a results folder that would overwrite something other than earlier results."""
    if not final.exists():
        return
    if not final.is_dir():
        raise OutputError(f"{final} is a file, not a results folder; choose another --out")
    if any(final.iterdir()) and not (final / MANIFEST).is_file():
        raise OutputError(f"{final} exists and is not a results folder; choose another --out")


# --------------------------------------------------------------------------- writing files


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _umask()


def _temporary(path: Path) -> Path:
    """A fresh name next to ``path`` for writing it (hidden, removed if anything fails)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file under a temporary name in the same folder, then rename it into place."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _temporary(path)
    try:
        with open(tmp, "xb") as fh:  # permissions as for any new file (the umask's)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any, compact: bool = False) -> None:
    if compact:  # profiles: long lists of numbers
        write_atomic(path, json.dumps(_clean(data), separators=(",", ":")) + "\n")
    else:
        write_atomic(path, json.dumps(_clean(data), indent=2) + "\n")


def file_record(path: str | None) -> dict[str, Any] | None:
    """A scenario file as the manifest records it: its absolute path and the SHA-256 of its
    bytes, so that the report can tell whether it still holds what was run."""
    if not path:
        return None
    import hashlib

    record: dict[str, Any] = {"path": str(Path(path).resolve()), "sha256": None}
    with contextlib.suppress(OSError):
        record["sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return record


def _csv(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def write_table(
    folder: Path, name: str, columns: list[str], rows: list[list[Any]], fmt: str = "csv"
) -> Path:
    """One table, as ``<name>.csv`` or ``<name>.parquet``, written atomically."""
    if fmt == "parquet":
        path = folder / f"{name}.parquet"
        frame = _frame(columns, rows)
        tmp = _temporary(path)
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
    path = folder / f"{name}.csv"
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(columns)
    for row in rows:
        w.writerow([_csv(v) for v in row])
    write_atomic(path, buf.getvalue())
    return path


def _frame(columns: list[str], rows: list[list[Any]]):
    """A DataFrame with one type per column (mixed columns become text), NaN for missing."""
    pd = require_pandas()
    data: dict[str, list[Any]] = {}
    for k, col in enumerate(columns):
        values = [row[k] for row in rows]
        present = [v for v in values if v is not None]
        if all(isinstance(v, bool) for v in present):
            pass
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
            values = [math.nan if v is None else v for v in values]
        else:
            values = [None if v is None else _text(v) for v in values]
        data[col] = values
    return pd.DataFrame(data, columns=columns)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def save_folder(final: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` into a temporary folder next to ``final``, then rename it to
    ``final`` (replacing earlier results there); nothing is left behind on failure."""
    check_destination(final)
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
        tmp.chmod(0o777 & ~UMASK)  # mkdtemp makes it private; results are ordinary folders
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(f"cannot create {final}: {exc.strerror or exc}") from None
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    try:
        write(tmp)
        if final.exists():
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not final.exists():
            old.rename(final)  # put the earlier results back
        _remove_empty(created)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {final}: {exc.strerror or exc}") from None
        raise
    return final


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders that were created here, innermost first, if they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _manifest(kind: str, command: list[str] | None, wall: float, **extra: Any) -> dict[str, Any]:
    return {
        "project": "bordersim",
        "version": version("bordersim"),
        "kind": kind,
        **extra,
        "command": command,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: version(p) for p in ("numpy", "simpy", "scipy", "pydantic")},
    }


# --------------------------------------------------------------------------- one run


def run_tables(result: RunResult) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """A run's tables: ``summary`` (one row per metric) and ``replications`` (one row per
    replication, one column per metric)."""
    stats = result.stats
    summary = (["metric", *STATS], [[name, *(s[k] for k in STATS)] for name, s in stats.items()])
    names = list(stats)
    reps = (
        ["replication", *names],
        [[i, *(rep.get(n) for n in names)] for i, rep in enumerate(result.replications)],
    )
    return {"summary": summary, "replications": reps}


def save(
    result: RunResult, out: str | Path | None, command: list[str] | None, fmt: str = "csv"
) -> Path:
    """Write every result file of a run; returns the folder."""
    check_format(fmt)
    final = Path(out) if out is not None else default_folder(result.scenario.scenario.name)
    return save_folder(final, lambda tmp: _write_run(result, tmp, command, fmt))


def _write_run(result: RunResult, tmp: Path, command: list[str] | None, fmt: str) -> None:
    from sim.model.records import write_trace

    sc = result.scenario
    summary: dict[str, Any] = {
        "scenario": sc.scenario.name,
        "seed": sc.scenario.seed,
        "replications": len(result.replications),
        "confidence": 0.95,
    }
    if result.precision is not None:
        summary["replications_auto"] = result.precision.as_dict()
    summary["metrics"] = result.stats
    write_json(tmp / SUMMARY, summary)
    for name, (columns, rows) in run_tables(result).items():
        write_table(tmp, name, columns, rows, fmt)
    write_atomic(tmp / "scenario.toml", sc.to_toml())
    if result.profile is not None:
        write_json(tmp / PROFILE, result.profile.to_json(), compact=True)
    manifest = _manifest(
        "run",
        command,
        result.wall_seconds,
        scenario=sc.scenario.name,
        scenario_file=file_record(result.source),
        scenario_sha256=sc.digest(),
        seed=sc.scenario.seed,
        replications=len(result.replications),
        executor=result.executor,
        policy=result.policy,
    )
    del manifest["kind"]  # a run's manifest keeps its original keys
    write_json(tmp / MANIFEST, manifest)
    if result.records:
        write_trace(
            tmp / "shipments.csv.gz",
            [(i, r.columns(sc)) for i, r in enumerate(result.records)],
        )


def _fmt(s: dict[str, Any] | None, digits: int = 2, pct: bool = False) -> str:
    if not s or s["mean"] is None:
        return "n/a"
    scale = 100.0 if pct else 1.0
    unit = "%" if pct else ""
    text = f"{s['mean'] * scale:.{digits}f}{unit}"
    if s["half_width"] is not None:
        text += f"  ± {s['half_width'] * scale:.{digits}f}"
    return text


def format_summary(result: RunResult) -> str:
    """The summary printed by ``bordersim run``."""
    sc = result.scenario
    s = result.stats
    shipments = s["shipments"]["mean"] or 0
    info = sc.scenario
    n = len(result.replications)
    lines = [
        f"{info.name}: {n} replication(s) of {info.days:g} days, seed {info.seed}, "
        f"policy {result.policy or sc.policy.kind}; about {shipments:,.0f} shipments counted each",
    ]
    if result.precision is not None:
        lines.append(f"Replications auto: {result.precision.describe()}.")
    lines += ["Means across replications, ± half-width of the 95% confidence interval.", ""]
    rows = key_rows(sc.scenario.target_hours)
    width = max(len(r[0]) for r in rows) + 2
    for label, key, pct in rows:
        lines.append(f"  {label:<{width}}{_fmt(s.get(key), 1 if pct else 2, pct)}")
    lines += ["", f"  {'Station':<14}{'wait h (mean)':>18}{'utilisation':>18}{'queue max':>12}"]
    for name in sc.checks:
        p = f"station.{name}."
        wait = _fmt(s[p + "wait_hours_mean"])
        utilisation = _fmt(s[p + "utilisation"], 1, True)
        lines.append(
            f"  {name:<14}{wait:>18}{utilisation:>18}{(s[p + 'queue_max']['mean'] or 0):>12.1f}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- comparisons, sweeps


def experiment_tables(result: ExperimentResult) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """``summary``: one row per point and metric; ``replications``: one row per point,
    replication and metric (tidy); then the kind's own tables."""
    ids = result.id_columns()
    summary_rows = []
    rep_rows = []
    for p in result.points:
        head = result.id_values(p)
        for metric, s in p.stats.items():
            summary_rows.append([*head, metric, *(s[k] for k in STATS)])
        for r, rep in enumerate(p.replications):
            for metric, value in rep.items():
                rep_rows.append([*head, r, metric, value])
    tables = {
        "summary": ([*ids, "metric", *STATS], summary_rows),
        "replications": ([*ids, "replication", "metric", "value"], rep_rows),
    }
    tables.update(result.own_tables())
    return tables


def save_experiment(
    result: ExperimentResult, out: str | Path | None, command: list[str] | None, fmt: str
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


def _point_file(i: int) -> str:
    return f"{i:05d}.json"


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
    """A comparison's or sweep's results folder, filled point by point as the run goes."""

    def __init__(self, folder: Path, plan: dict[str, Any], created: list[Path] | None = None):
        self.folder = folder
        self.plan = plan
        self._created = created  # folders made for a new run (removed if it yields nothing)

    @classmethod
    def create(cls, folder: Path, plan: dict[str, Any], draft: ExperimentResult) -> ExperimentStore:
        """Start a new folder; refuse one that holds anything already."""
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"{folder} is a file, not a results folder; choose another --out")
            if (folder / PLAN).is_file():
                raise OutputError(
                    f"{folder} already holds a {_kind_of(folder)}; continue it with "
                    f"--resume {folder}, or choose another --out"
                )
            if any(folder.iterdir()):
                raise OutputError(f"{folder} exists and is not empty; choose another --out")
        created = [p for p in (folder, *folder.parents) if not p.exists()]
        store = cls(folder, plan, created)
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
        """Continue a folder started with the same plan."""
        file = folder / PLAN
        if not folder.is_dir():
            raise OutputError(f"{folder}: no such results folder to resume")
        if not file.is_file():
            raise OutputError(
                f"{folder} is not a compare or sweep results folder ({PLAN} is missing); "
                "nothing to resume"
            )
        stored = _read_json(file)
        plan = json.loads(json.dumps(_clean(plan)))  # as it reads back from the file
        why = _difference(stored, plan) if isinstance(stored, dict) else "it is damaged"
        if isinstance(stored, dict) and stored.get("kind") != plan["kind"]:
            why = f"it holds a {stored.get('kind')}, not a {plan['kind']}"
        if why:
            raise OutputError(
                f"{folder} was started with different arguments: {why}. Resume with the "
                "arguments it was started with, or choose another --out"
            )
        return cls(folder, plan)

    def start(self, draft: ExperimentResult) -> None:
        """Write what is being run: the plan and the scenario files."""
        (self.folder / POINTS).mkdir(exist_ok=True)
        write_json(self.folder / PLAN, {**self.plan, **draft.plan_notes()})
        for rel, text in draft.scenario_files().items():
            path = self.folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)

    def load(self, i: int) -> list[dict[str, float]] | None:
        """The replications of point ``i`` if it finished earlier, else None."""
        path = self.folder / POINTS / _point_file(i)
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
        from sim.measure.figure_data import FigureData

        path = self.folder / PROFILES / _point_file(i)
        try:
            return FigureData.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, i: int, result: PointResult) -> None:
        """Write one finished point (atomically): its profile first, then its numbers, whose
        file says that the point is finished."""
        if result.profile is not None:
            (self.folder / PROFILES).mkdir(exist_ok=True)
            write_json(self.folder / PROFILES / _point_file(i), result.profile.to_json(), True)
        point = self.plan["points"][i]
        data = {
            "index": i,
            "label": point["label"],
            "values": point["values"],
            "scenario_sha256": point["scenario_sha256"],
            "precision": result.precision.as_dict() if result.precision else None,
            "replications": result.replications,
        }
        write_json(self.folder / POINTS / _point_file(i), data)

    def done(self) -> int:
        """How many points are finished and written."""
        folder = self.folder / POINTS
        if not folder.is_dir():
            return 0
        return sum(1 for p in folder.glob("*.json") if not p.name.startswith("."))

    def finish(self, result: ExperimentResult, command: list[str] | None, fmt: str) -> None:
        try:
            self.write_tables(result, command, fmt)
        except OSError as exc:
            raise OutputError(f"cannot write {self.folder}: {exc.strerror or exc}") from None

    def write_tables(self, result: ExperimentResult, command: list[str] | None, fmt: str) -> None:
        for name, (columns, rows) in result.tables().items():
            write_table(self.folder, name, columns, rows, fmt)
        write_json(self.folder / SUMMARY, result.summary_json())
        write_json(
            self.folder / MANIFEST,
            _manifest(
                result.kind,
                command,
                result.wall_seconds,
                scenarios=sorted({p.point.scenario.scenario.name for p in result.points}),
                scenario_files=[file_record(f) for f in result.files],
                seed=result.seed,
                replications=result.plan.as_dict(),
                executor=result.executor,
                policy=result.policy,
            ),
        )

    def abandon(self) -> None:
        """After a failure: a new folder in which no point finished is removed again."""
        if self._created is None or self.done():
            return
        if self.folder in self._created:
            shutil.rmtree(self.folder, ignore_errors=True)
            _remove_empty(self._created[1:])
        else:  # an empty folder given with --out: leave it empty
            for child in self.folder.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()


def _kind_of(folder: Path) -> str:
    try:
        return str(json.loads((folder / PLAN).read_text()).get("kind", "run"))
    except (OSError, ValueError, AttributeError):
        return "run"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise OutputError(
            f"{path} cannot be read ({exc}); delete it to start that part again"
        ) from None


# --------------------------------------------------------------------------- reading a folder


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
    from sim.measure.figure_data import FigureData

    folder = Path(folder)
    hint = "give a folder written by bordersim run, compare or sweep"
    if not folder.exists():
        raise OutputError(f"{folder}: no such results folder; {hint}")
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a results folder; {hint}")
    if not (folder / SUMMARY).is_file():
        if (folder / PLAN).is_file():
            kind = _kind_of(folder)
            raise OutputError(
                f"{folder} holds an unfinished {kind} (no {SUMMARY} yet): finish it with "
                f"bordersim {kind} ... --resume {folder}, then make its report"
            )
        raise OutputError(f"{folder} is not a bordersim results folder (no {SUMMARY}); {hint}")
    summary = _read_folder_json(folder / SUMMARY, folder)
    manifest = _read_folder_json(folder / MANIFEST, folder) if (folder / MANIFEST).is_file() else {}
    if not isinstance(summary, dict) or not isinstance(manifest, dict):
        raise OutputError(f"{folder} is not a readable results folder: {SUMMARY} is damaged")

    def profile(path: Path) -> FigureData | None:
        try:
            return FigureData.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    try:
        if isinstance(summary.get("metrics"), dict):  # a run
            point = SavedPoint(
                str(summary.get("scenario", "run")),
                {},
                summary["metrics"],
                int(summary.get("replications") or 0),
                profile(folder / PROFILE),
                _read_toml(folder / "scenario.toml"),
                "scenario.toml",
                precision=summary.get("replications_auto"),
            )
            return Saved(folder, "run", summary.get("seed"), [point], summary, manifest)
        kind = summary.get("kind")
        if kind not in ("compare", "sweep") or not isinstance(summary.get("points"), list):
            raise KeyError("kind")
        base = _read_toml(folder / "scenario.toml") if kind == "sweep" else None
        plan = _read_folder_json(folder / PLAN, folder) if (folder / PLAN).is_file() else {}
        keys = list(plan.get("keys") or []) if isinstance(plan, dict) else []
        if kind == "sweep" and not keys and summary["points"]:
            keys = list(summary["points"][0].get("values") or {})
        points = []
        for i, p in enumerate(summary["points"]):
            rel = p.get("scenario_file")
            if kind == "sweep":
                scenario = _with_values(base, p.get("values") or {})
                rel = "scenario.toml"
            else:
                scenario = _read_toml(folder / rel) if rel else None
            points.append(
                SavedPoint(
                    str(p["label"]),
                    dict(p.get("values") or {}),
                    dict(p["metrics"]),
                    int(p.get("replications") or 0),
                    profile(folder / PROFILES / _point_file(i)),
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
    """A sweep point's scenario: the base with the point's values set."""
    import copy

    if base is None:
        return None
    data = copy.deepcopy(base)
    for key, value in values.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        node[parts[-1]] = value
    return data
