"""A resolved scenario as saved (nested tables): flattened to dotted keys, a dotted key looked
up, a value shown as TOML writes it. The report's words and its parameters read it so."""

from __future__ import annotations

from typing import Any

MISSING = object()
"""What :func:`lookup` returns for a key the scenario does not have."""


def lookup(data: Any, dotted: str) -> Any:
    """The value at a dotted key, or :data:`MISSING`."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def toml_value(value: Any) -> str:
    """A value as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Every value by its dotted key (a distribution's table counts as one value)."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v and "dist" not in v:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out
