"""Writing files so that none is ever half-written: one file under a temporary name then
renamed (:func:`write_atomic`), JSON and tables (CSV by default, Parquet with
``format="parquet"``, which needs ``bordersim[dataframe]``), a whole folder at once
(:func:`save_folder`), and the manifest that says what made a folder.

Nothing here knows what a result is: :mod:`sim.files.store` says which files a result makes.
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
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.files.layout import FORMATS, MANIFEST

DATAFRAME_HINT = "pip install 'bordersim[dataframe]'"


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


def clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
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


def temporary(path: Path) -> Path:
    """A fresh name next to ``path`` for writing it (hidden, removed if anything fails)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file under a temporary name in the same folder, then rename it into place."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = temporary(path)
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
        write_atomic(path, json.dumps(clean(data), separators=(",", ":")) + "\n")
    else:
        write_atomic(path, json.dumps(clean(data), indent=2) + "\n")


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
        tmp = temporary(path)
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
        remove_empty(created)
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
        remove_empty(created)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {final}: {exc.strerror or exc}") from None
        raise
    return final


def remove_empty(folders: list[Path]) -> None:
    """Remove folders that were created here, innermost first, if they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def manifest(fields: dict[str, Any], command: list[str] | None, wall: float) -> dict[str, Any]:
    """``manifest.json``: the project and its version, what the result says of itself
    (``fields``), then the command, when, how long, and on what."""
    return {
        "project": "bordersim",
        "version": version("bordersim"),
        **fields,
        "command": command,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: version(p) for p in ("numpy", "simpy", "scipy", "pydantic")},
    }
