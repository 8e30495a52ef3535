"""Loading a scenario: TOML files and text, ``--set`` overrides, and validation into the
resolved :class:`~sim.schema.Scenario`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import tomli
from pydantic import BaseModel, ValidationError

from sim.schema import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT,
    MAX_KEY_PARTS,
    Scenario,
    ScenarioError,
    covered,
    cross_check,
    holds_date,
    key_parts_problem,
    key_path,
    problems_from,
    quote_name,
    raw_problems,
    retyped,
    show_value,
)
from sim.schema.comments import fill_variant_words


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file within the limits of :mod:`sim.schema.limits` (size, key parts,
    nesting), turning every failure into a :class:`ScenarioError`: the one reader of scenario
    files, bounded in time and memory whatever the file holds."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), [("", "this is a folder, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot be read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        msg = f"larger than {MAX_FILE_BYTES:,} bytes; a scenario file is short text"
        raise ScenarioError(str(path), [("", msg)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (bad byte at offset {exc.start})"
        raise ScenarioError(str(path), [("", msg)]) from None
    return fill_variant_words(_parse_toml(text, str(path)), text)


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as data, or the :class:`ScenarioError` of the first limit it breaks."""
    if len(text) > MAX_FILE_BYTES:
        msg = f"larger than {MAX_FILE_BYTES:,} characters; a scenario is short text"
        raise ScenarioError(source, [("", msg)])
    problem = key_parts_problem(text)
    if problem:
        raise ScenarioError(source, [("", problem)])
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"not valid TOML: {exc}")]) from None
    except RecursionError:
        msg = f"nested too deeply: tables and lists at most {MAX_DEPTH} levels deep"
        raise ScenarioError(source, [("", msg)]) from None
    except ValueError:  # an integer of more than 4300 digits, which Python will not convert
        msg = f"holds a whole number larger than {MAX_INT} in size (TOML integers have 64 bits)"
        raise ScenarioError(source, [("", msg)]) from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as data within the limits of a scenario file (for readers of TOML other than
    :func:`read_toml`), or the :class:`ScenarioError` naming ``source``."""
    return _parse_toml(text, source)


OVERRIDE_USAGE = "an override is KEY=VALUE with a dotted KEY, e.g. --set policy.rates.red=0.1"


def parse_value(text: str) -> Any:
    """A value as ``--set`` and ``--vary`` read it: one TOML value (``3``, ``0.2``,
    ``[1, 2]``, ``true``, ``{dist = "fixed", value = 1}``), else the text itself. A date or
    time, which no scenario key holds, is read as text too, as is anything beyond the limits
    of a file (keys of too many parts, nesting too deep)."""
    doc_text = f"v = {text}"
    if len(doc_text) > MAX_FILE_BYTES or key_parts_problem(doc_text):
        return text
    try:
        doc = tomli.loads(doc_text)
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return text
    # Anything after the value (a newline and more keys) means it was not one TOML value.
    if list(doc) != ["v"] or holds_date(doc["v"]):
        return text
    return doc["v"]


def parse_override(text: str, source: str = "--set") -> tuple[list[str], Any]:
    """Split ``a.b.c=value``; the value is read by :func:`parse_value`."""
    key, sep, value = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key or any(not p for p in parts):
        raise ScenarioError(source, [(key_path(tuple(parts)) if key else "", OVERRIDE_USAGE)])
    if len(parts) > MAX_KEY_PARTS:
        msg = f"a key of {len(parts)} parts; at most {MAX_KEY_PARTS} are allowed"
        raise ScenarioError(source, [(key_path(tuple(parts[:MAX_KEY_PARTS])) + "...", msg)])
    return parts, parse_value(value.strip())


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply ``--set`` overrides to parsed scenario data. ``data`` is not changed: the tables
    on each override's path are copied and the rest is shared (a large distribution is never
    copied)."""
    data = dict(data)
    for text in overrides:
        where = f"{source} (--set {shorten(text)})"
        parts, value = parse_override(text, where)
        _copy_path(data, parts)
        set_key(data, parts, value, where)
    return data


def shorten(text: str, width: int = 80) -> str:
    """A command-line argument as a message quotes it: at most ``width`` characters."""
    return text if len(text) <= width else text[: width - 3] + "..."


def with_overrides(source: str, overrides: Sequence[str]) -> str:
    """The name of a file with its ``--set`` overrides, for messages (each one shortened)."""
    return f"{source} (with --set {' --set '.join(shorten(o) for o in overrides)})"


def _copy_path(data: dict[str, Any], parts: list[str]) -> None:
    """Replace each table on the way to ``parts[-1]`` by a copy, so that setting it changes
    no table that ``data`` shares with another."""
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            return
        node[part] = node = dict(nxt)


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
    checked, reused = _reuse_distributions(data)
    limits, problems = raw_problems(checked)
    if limits:  # refused before any work that grows with what the limits bound
        raise ScenarioError(source, limits + problems)
    reported = [path for path, _ in problems]
    try:
        scenario = Scenario.model_validate(checked)
    except ValidationError as err:
        problems += [p for p in problems_from(err) if not covered(p[0], reported)]
        raise ScenarioError(source, problems) from None
    if problems:
        raise ScenarioError(source, problems)
    # [policy] is left to its policy's own schema, which may convert values on purpose.
    raw = {k: v for k, v in checked.items() if k != "policy"}
    problems = retyped(raw, scenario.model_dump(mode="json", exclude={"policy"}))
    problems += cross_check(scenario)
    if not problems:
        config, policy_problems = validate_policy(scenario)
        problems += policy_problems
        scenario._policy_config = config
    if problems:
        raise ScenarioError(source, problems)
    _remember_distributions(data, scenario, reused)
    return scenario


LARGE_DISTRIBUTION = 1000
"""Values from which a distribution, once valid, is kept and not validated again: each
variant of a comparison and each point of a sweep shares the base's distributions."""
_KEPT = 8
_valid: dict[tuple[Any, ...], tuple[list[Any], BaseModel]] = {}
"""Large distributions found valid, by a short key: (their values, their model)."""


def _distribution_paths(data: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """The key paths where a scenario holds a distribution, as ``data`` names them."""
    yield ("lodgement", "delay_hours")
    for table, key in (("traffic", "commodities"), ("checks", None)):
        node = data.get(table)
        if key is not None:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            for name in node:
                yield (table, key, name, "value_usd") if key else (table, name, "duration_hours")


def _lookup(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
    return node


def _short_key(table: Any) -> tuple[Any, ...] | None:
    """A key that finds a large distribution table again in :data:`_valid` (its other keys,
    length and ends; the values are compared in full on a hit), or None."""
    values = table.get("values") if isinstance(table, dict) else None
    if not isinstance(values, list) or len(values) < LARGE_DISTRIBUTION:
        return None
    key = (
        tuple(sorted((k, v) for k, v in table.items() if k != "values")),
        len(values),
        tuple(values[:8]),
        tuple(values[-8:]),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _reuse_distributions(data: dict[str, Any]) -> tuple[dict[str, Any], set[tuple[str, ...]]]:
    """``data`` with each large distribution already found valid replaced by its validated
    model (the tables on the way copied, ``data`` unchanged), and the paths replaced."""
    out, reused = data, set()
    for path in _distribution_paths(data):
        table = _lookup(data, path)
        key = _short_key(table)
        kept = _valid.get(key) if key is not None else None
        if kept is None or kept[0] != table["values"]:
            continue
        if out is data:
            out = dict(data)
        node = out
        for part in path[:-1]:
            node[part] = node = dict(node[part])
        node[path[-1]] = kept[1]
        reused.add(path)
    return out, reused


def _remember_distributions(
    data: dict[str, Any], scenario: Scenario, reused: set[tuple[str, ...]]
) -> None:
    for path in _distribution_paths(data):
        table = _lookup(data, path)
        key = _short_key(table) if path not in reused else None
        model = _lookup(scenario, path)
        if key is not None and isinstance(model, BaseModel):
            _valid.pop(key, None)
            _valid[key] = (list(table["values"]), model)
            while len(_valid) > _KEPT:
                del _valid[next(iter(_valid))]


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, override and validate a scenario file."""
    source = str(path)
    data = read_toml(path)
    if overrides:
        data = apply_overrides(data, list(overrides), source)
        source = with_overrides(source, overrides)
    return from_dict(data, source)


def loads_scenario(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as TOML text."""
    return from_dict(_parse_toml(text, source), source)
