"""Loading a scenario: TOML files and text, ``--set`` overrides, and validation into the
resolved :class:`~sim.schema.Scenario`.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sim.schema import (
    Scenario,
    ScenarioError,
    covered,
    cross_check,
    key_path,
    non_finite,
    problems_from,
    quote_name,
    retyped,
    show_value,
)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a :class:`ScenarioError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), [("", "this is a folder, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot be read: {exc.strerror or exc}")]) from None
    if len(raw) > 50_000_000:
        raise ScenarioError(str(path), [("", "larger than 50 MB; a scenario file is short text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (bad byte at offset {exc.start})"
        raise ScenarioError(str(path), [("", msg)]) from None
    return _parse_toml(text, str(path))


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(source, [("", "nested too deeply")]) from None


OVERRIDE_USAGE = "an override is KEY=VALUE with a dotted KEY, e.g. --set policy.rates.red=0.1"


def parse_override(text: str, source: str = "--set") -> tuple[list[str], Any]:
    """Split ``a.b.c=value``; the value is read as TOML (``3``, ``0.2``, ``[1, 2]``, ``true``,
    ``{dist = "fixed", value = 1}``) and otherwise taken as a plain string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key or any(not p for p in parts):
        raise ScenarioError(source, [(key_path(tuple(parts)) if key else "", OVERRIDE_USAGE)])
    value = value.strip()
    try:
        doc = tomllib.loads(f"v = {value}")
    except (tomllib.TOMLDecodeError, RecursionError):
        doc = {}
    # Anything after the value (a newline and more keys) means it was not one TOML value.
    parsed = doc["v"] if list(doc) == ["v"] else value
    return parts, parsed


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply ``--set`` overrides to parsed scenario data (a deep copy is returned)."""
    try:
        data = copy.deepcopy(data)
    except RecursionError:  # a file nested thousands of tables deep
        raise ScenarioError(source, [("", "nested too deeply")]) from None
    for text in overrides:
        where = f"{source} (--set {text})"
        parts, value = parse_override(text, where)
        set_key(data, parts, value, where)
    return data


def set_key(data: dict[str, Any], key: str | Sequence[str], value: Any, source: str) -> None:
    """Set a dotted key (``"policy.rates.red"`` or its parts) in nested scenario data, making
    the tables on the way. The one place that does it, for ``--set``, ``--vary``, variants and
    result folders: a key that goes through a value that is not a table raises the
    :class:`ScenarioError` of ``--set``, naming ``source``. ``value`` is copied."""
    parts = key.split(".") if isinstance(key, str) else list(key)
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            inner = quote_name(parts[i + 1])
            msg = f"holds {show_value(nxt)}, not a table, so it has no key {inner}"
            raise ScenarioError(source, [(key_path(tuple(parts[: i + 1])), msg)])
        node = nxt
    node[parts[-1]] = copy.deepcopy(value)


def from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate parsed scenario data, including the cross-references between tables."""
    try:
        return _validate(data, source)
    except RecursionError:
        raise ScenarioError(source, [("", "nested too deeply")]) from None


def _validate(data: dict[str, Any], source: str) -> Scenario:
    from sim.policies import validate_policy

    if not isinstance(data, dict):
        msg = f"a scenario must be a table of tables, got {show_value(data)}"
        raise ScenarioError(source, [("", msg)])
    problems = non_finite(data)
    reported = [path for path, _ in problems]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        problems += [p for p in problems_from(err) if not covered(p[0], reported)]
        raise ScenarioError(source, problems) from None
    if problems:
        raise ScenarioError(source, problems)
    # [policy] is left to its policy's own schema, which may convert values on purpose.
    raw = {k: v for k, v in data.items() if k != "policy"}
    problems = retyped(raw, scenario.model_dump(mode="json", exclude={"policy"}))
    problems += cross_check(scenario)
    if not problems:
        config, policy_problems = validate_policy(scenario)
        problems += policy_problems
        scenario._policy_config = config
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, override and validate a scenario file."""
    source = str(path)
    data = read_toml(path)
    if overrides:
        data = apply_overrides(data, list(overrides), source)
        source = f"{source} (with --set {' --set '.join(overrides)})"
    return from_dict(data, source)


def loads_scenario(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as TOML text."""
    return from_dict(_parse_toml(text, source), source)
