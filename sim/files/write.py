"""Writing files so that none is ever half-written: one file under a temporary name then
renamed (:func:`write_atomic`), JSON and tables (CSV by default, Parquet with
``format="parquet"``, which needs ``bordersim[dataframe]``), a whole folder at once
(:func:`save_folder`), and the manifest that says what made a folder.

One writer at a time: a command holds a :class:`FolderLock` on its results folder while it
writes it, so a second command aimed at the same folder is refused instead of overwriting it;
and whatever a killed writer left behind there (a hidden ``.partial`` folder or ``.tmp`` file)
is provably stale once the lock is held, so the next writer removes it.

Nothing here knows what a result is: :mod:`sim.files.store` says which files a result makes.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import platform
import re
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

DATAFRAME_HINT = "pip install -e '.[dataframe]' in the project's folder (make test installs it)"


class OutputError(Exception):
    """The results folder cannot be written (or resumed) where asked."""


class FolderBusy(OutputError):
    """Another command is writing the same results folder."""


class StorageError(OutputError):
    """Writing results failed while running (a full disk, a quota, a vanished folder): not bad
    input, so the command exits with status 1; what was written before is kept."""


def storage_error(path: Path, exc: OSError) -> StorageError:
    """An :class:`OutputError` for a write that failed, saying what to do when the disk is
    full."""
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why += " (the disk or your quota is full: free some space)"
    return StorageError(f"cannot write {path}: {why}")


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
    """``results/<name>/[<prefix>-]<timestamp>``, with a suffix when that folder exists or
    another command is about to write it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"{prefix}-{stamp}" if prefix else stamp
    folder = root / name / stem
    k = 2
    while folder.exists() or lock_path(folder).exists():
        folder = root / name / f"{stem}-{k}"
        k += 1
    return folder


SPARE = 24
"""Characters a folder's name must leave free for the hidden names written beside it
(``.<name>.XXXXXXXX.partial``, ``.<name>.old-<pid>``, ``.<name>.lock``)."""


def check_destination(final: Path) -> None:
    """Refuse, before anything runs, a results folder that would overwrite something other
    than earlier results, whose name the file system cannot hold, or where this user cannot
    write."""
    try:
        check_names(final)
        if final.exists() and not final.is_dir():
            raise OutputError(f"{final} is a file, not a results folder; choose another --out")
        if final.is_dir() and any(final.iterdir()) and not (final / MANIFEST).is_file():
            raise OutputError(f"{final} exists and is not a results folder; choose another --out")
        _check_writable(final)
    except OSError as exc:
        raise OutputError(
            f"cannot use {final} as a results folder: {exc.strerror or exc}"
        ) from None


def check_names(final: Path) -> None:
    """Each part of the path fits the file system (usually 255 bytes), the last with room
    for the hidden names made beside it."""
    limit = _name_max(final)
    parts = final.parts
    for i, part in enumerate(parts):
        room = limit - (SPARE if i == len(parts) - 1 else 0)
        if len(os.fsencode(part)) > room:
            shown = part if len(part) <= 40 else f"{part[:20]}...{part[-12:]}"
            raise OutputError(
                f"the name {shown!r} in --out is {len(os.fsencode(part))} bytes long; a results "
                f"folder's name may have at most {room} here; choose a shorter --out"
            )


def _name_max(path: Path) -> int:
    """The longest file name the file system holding ``path`` takes, in bytes."""
    for folder in (path, *path.parents):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if folder.is_dir():
                return os.pathconf(folder, "PC_NAME_MAX")
    return 255


def _check_writable(final: Path) -> None:
    """Make and remove a hidden folder where the results will go (in the nearest folder that
    exists): the one sure test of writing, whatever permissions, ACLs or read-only mounts say."""
    base = next(p for p in (final, *final.parents) if p.exists() or p == Path(p.anchor))
    if not base.is_dir():
        raise OutputError(
            f"cannot create {final}: {base} is a file, not a folder; choose another --out"
        )
    where = base if base != final else final.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".bordersim-probe-", dir=where))
    except OSError as exc:
        raise OutputError(
            f"cannot create {final}: {where} is not writable ({exc.strerror or exc}); "
            "choose another --out"
        ) from None


# --------------------------------------------------------------------------- one writer at a time


def lock_path(folder: Path) -> Path:
    """The lock file of a results folder: beside it, so that it outlives the folder's renames."""
    return folder.with_name(f".{folder.name}.lock")


class FolderLock:
    """An exclusive lock on a results folder, held while one command writes it.

    The lock is ``flock`` on a hidden file beside the folder: the system drops it when the
    process ends, however it ends, so a lock is never stale; the file names the process that
    holds it, for the message. Locks are re-entrant within a process (the command line takes
    the folder's lock before simulating, and saving takes it again). Where ``fcntl`` is missing
    (Windows) there is no lock."""

    _held: dict[Path, FolderLock] = {}

    def __init__(self, path: Path, fd: int, created: list[Path]) -> None:
        self.path = path
        self._fd = fd
        self._created = created
        self._depth = 1

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock:
        """Lock ``folder`` (creating the folders above it if needed), or raise
        :class:`FolderBusy` naming the process that writes it."""
        path = lock_path(Path(os.path.abspath(folder)))
        held = cls._held.get(path)
        if held is not None:
            held._depth += 1
            return held
        check_names(folder)
        created = [p for p in path.parents if not p.exists()][::-1]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = _lock_file(path, folder)
        except OSError as exc:
            remove_empty(created[::-1])
            raise OutputError(f"cannot create {folder}: {exc.strerror or exc}") from None
        except BaseException:
            remove_empty(created[::-1])
            raise
        lock = cls(path, fd, created[::-1])
        cls._held[path] = lock
        return lock

    def release(self) -> None:
        """Give the lock up (the outermost release removes the lock file)."""
        self._depth -= 1
        if self._depth > 0 or self._fd < 0:
            return
        FolderLock._held.pop(self.path, None)
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still locked: nobody can be holding this file
        os.close(self._fd)
        self._fd = -1
        remove_empty(self._created)

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_file(path: Path, folder: Path) -> int:
    """Open and lock ``path``; retry when its holder removed it meanwhile (the file locked
    must be the one at ``path``)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        return os.open(os.devnull, os.O_RDONLY)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~UMASK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise FolderBusy(
                f"{folder} is being written by another bordersim command{holder}; wait for it "
                "to finish, or choose another --out"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {datetime.now().isoformat(timespec='seconds')}\n".encode())
            return fd
        os.close(fd)


def _read_holder(fd: int) -> str:
    """ " (pid N, since T)", from a lock file's text, or nothing."""
    with contextlib.suppress(OSError, ValueError):
        pid, since = os.pread(fd, 100, 0).decode().split()
        return f" (process {int(pid)}, since {since})"
    return ""


def clear_stale(final: Path) -> None:
    """With ``final``'s lock held: remove what killed writers left beside and in it (hidden
    ``.partial`` folders, ``.tmp`` files), and put back earlier results a killed save had
    moved aside. Only a writer holding the lock makes these, so they are stale."""
    parent = final.parent
    if not parent.is_dir():
        return
    partial = re.compile(re.escape(f".{final.name}.") + r"[a-z0-9_]{8}\.partial")
    moved = re.compile(re.escape(f".{final.name}.old-") + r"\d+")
    for entry in parent.iterdir():
        if partial.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif moved.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.rename(final)
    if final.is_dir() and not final.is_symlink():
        for folder in (final, *(p for p in final.iterdir() if p.is_dir() and not p.is_symlink())):
            for tmp in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()


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
    ``final`` (replacing earlier results there); nothing is left behind on failure. The
    folder's lock is held throughout."""
    check_destination(final)
    with FolderLock.acquire(final):
        clear_stale(final)
        return _save_locked(final, write)


def _save_locked(final: Path, write: Callable[[Path], None]) -> Path:
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
        tmp.chmod(0o777 & ~UMASK)  # mkdtemp makes it private; results are ordinary folders
    except OSError as exc:
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
        if isinstance(exc, OSError):
            raise storage_error(final, exc) from None
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
