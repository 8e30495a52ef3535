"""How values read in result folders' text and tables."""

from __future__ import annotations

import json
from typing import Any


def show(value: Any) -> str:
    """A value as typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.1f}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"))
