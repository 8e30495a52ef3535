"""What a search's report page reads back from its results folder, and where it writes it.

A folder may come from anyone (copied, edited, hostile), so a number is kept only when it is a
finite number and a text only up to a length; the page is written atomically beside the data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.files.read import read_inside
from sim.files.write import OutputError, write_atomic
from sim.present.report import REPORT


def read_object(
    folder: Path, name: str, cap: int, refused: Callable[[Path, str], OutputError]
) -> Any:
    """The JSON value of the file ``name`` inside ``folder`` (at most ``cap`` bytes, never a
    link out of it), or the error ``refused`` makes when it is missing or not JSON."""
    raw = read_inside(folder, name, cap)
    if raw is None:
        raise refused(folder, "there is no such file")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise refused(folder, f"is not JSON ({exc})") from None


def number(value: Any) -> float | None:
    """A finite number, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def text(value: Any, limit: int = 2000) -> str:
    """A string cut to ``limit`` characters, or the empty string for anything else."""
    return value[:limit] if isinstance(value, str) else ""


def write_report(folder: Path, html: str) -> Path:
    """``report.html`` written atomically into ``folder``; its path."""
    path = folder / REPORT
    try:
        write_atomic(path, html)
    except OSError as exc:
        raise OutputError(f"cannot write the report in {folder}: {exc.strerror or exc}") from None
    return path
