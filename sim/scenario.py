"""Loading a scenario: TOML files and text, ``--set`` overrides, and validation into the
resolved :class:`~sim.schema.Scenario`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import tomli
from pydantic import BaseModel, ValidationError

from sim.schema import (
    DEFAULT_MAX_MEMORY_MB,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_INT,
    MAX_KEY_PARTS,
    MEMORY_ENV,
    Scenario,
    ScenarioError,
    covered,
    cross_check,
    estimated_memory_bytes,
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
from sim.schema.network import DEFAULT_HOME, OFFICE_WORDS, TIMING


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file within the limits of :mod:`sim.schema.limits` (size, key parts,
    nesting), turning every failure into a :class:`ScenarioError`: the one reader of scenario
    files, bounded in time and memory whatever the file holds. A network's offices named by
    ``file`` are read too (:func:`_inline_offices`)."""
    path = Path(path)
    data = _read_file(path)
    return _inline_offices(data, path) if isinstance(data.get("network"), dict) else data


def _read_file(path: Path) -> dict[str, Any]:
    """One TOML file as data, within the limits (see :func:`read_toml`)."""
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


def _inline_offices(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """A network file's data with each office's ``file`` read (from the same folder) and its
    tables taken, keys written next to ``file`` winning: self-contained data (see
    :mod:`sim.schema.network`). A bad ``file`` is one error naming this file and the key."""
    offices = data["network"].get("offices")
    if not isinstance(offices, dict):
        return data
    resolved = {}
    for name, office in offices.items():
        if not isinstance(office, dict) or "file" not in office:
            resolved[name] = office
            continue
        key = f"network.offices.{name}.file"
        given = office["file"]
        if not isinstance(given, str) or not given:
            raise ScenarioError(str(path), [(key, f"a file name is text, got {show_value(given)}")])
        other = path.parent / given
        if (
            Path(given).name != given
            or given in (".", "..")
            or other.resolve().parent != path.resolve().parent  # a link leaving the folder
        ):
            msg = f"{given!r} is not a file in this file's folder; only such a file is read"
            raise ScenarioError(str(path), [(key, msg)])
        if not other.is_file():
            msg = f"no scenario file {given!r} in this file's folder ({path.parent})"
            raise ScenarioError(str(path), [(key, msg)])
        tables = _read_file(other)
        if "network" in tables:
            msg = f"{given!r} is itself a network; an office is one office's scenario"
            raise ScenarioError(str(path), [(key, msg)])
        tables.pop("variants", None)
        inline = {k: v for k, v in office.items() if k not in ("file", "set")}
        resolved[name] = _set_in_office(_merged(tables, inline), office.get("set"), path, name)
    return {**data, "network": {**data["network"], "offices": resolved}}


def _set_in_office(
    office: dict[str, Any], overrides: Any, source: Any, name: str
) -> dict[str, Any]:
    """An office's tables after its ``set`` (dotted keys and values, as ``--set``), the tables
    on the way copied: applied when its file is read, so ``--set`` and variants win."""
    if overrides is None:
        return office
    where = f"network.offices.{name}.set"
    if not isinstance(overrides, dict):
        msg = 'a table of dotted keys and values, e.g. set = { "policy.rates.red" = 0.1 }'
        raise ScenarioError(str(source), [(where, msg)])
    office = dict(office)
    for key, value in overrides.items():
        _copy_path(office, key.split("."))
        set_key(office, key, value, f"{source} ({where})")
    return office


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys, tables merged key by key (``over`` wins)."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


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
    data = _with_shared_alerts(data)
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
    if scenario.network is not None:
        scenario._offices = _resolve_offices(data, scenario, source)
    _remember_distributions(data, scenario, reused)
    return scenario


def _with_shared_alerts(data: dict[str, Any]) -> dict[str, Any]:
    """With ``[network.sharing]``, the home office's data as :func:`_alerted` makes it, when
    the home office shares."""
    network = data.get("network")
    sharing = network.get("sharing") if isinstance(network, dict) else None
    if not isinstance(sharing, dict):
        return data
    shared = sharing.get("offices") or []
    if isinstance(shared, list) and shared and network.get("home", DEFAULT_HOME) not in shared:
        return data
    return _alerted(data, sharing.get("lane", "red"))


def _alerted(data: dict[str, Any], lane: Any) -> dict[str, Any]:
    """An office that receives shared seizures: its policy given ``[policy.alerts]`` when it
    has none (coverage 0, no false alerts, flagged declarations to ``lane``; see
    :mod:`sim.schema.network`)."""
    policy = data.get("policy")
    if not isinstance(policy, dict) or "alerts" in policy:
        return data
    return {**data, "policy": {**policy, "alerts": {"coverage": 0.0, "lane": lane}}}


def _resolve_offices(
    data: dict[str, Any], home: Scenario, source: str
) -> dict[str, tuple[str, Scenario]]:
    """The other offices of a valid ``[network]``, each validated as a scenario of its own
    (its ``set`` applied, the network's timing, no variants); a problem in one is reported
    under ``network.offices.<name>`` of ``source``."""
    network = home.network
    assert network is not None
    timing = {k: v for k, v in home.scenario.model_dump(mode="json").items() if k in TIMING}
    sharing = network.sharing
    out = {}
    for name, table in network.offices.items():
        where = f"network.offices.{name}"
        if "file" in table:
            msg = "an office's file is read only from a scenario file; give its tables inline"
            raise ScenarioError(source, [(f"{where}.file", msg)])
        if "network" in table:
            raise ScenarioError(source, [(f"{where}.network", "an office holds no network")])
        label = table.get("label", "")
        if not isinstance(label, str):
            raise ScenarioError(source, [(f"{where}.label", "must be text")])
        office = {k: v for k, v in table.items() if k not in OFFICE_WORDS and k != "variants"}
        if sharing is not None and (not sharing.offices or name in sharing.offices):
            office = _alerted(office, sharing.lane)
        office = _set_in_office(office, table.get("set"), source, name)
        if "adversary" in office:
            msg = "an office holds no adversary: the network file's [adversary] moves the flow"
            raise ScenarioError(source, [(f"{where}.adversary", msg + " among every office")])
        info = office.get("scenario")
        office["scenario"] = {**info, **timing} if isinstance(info, dict) else info
        try:
            out[name] = (label, from_dict(office, source))
        except ScenarioError as err:
            raise ScenarioError(
                source, [(f"{where}.{p}" if p else where, m) for p, m in err.problems]
            ) from None
    _network_memory(home, [office for _, office in out.values()], source)
    return out


LINKED_MEMORY_FACTOR = 2.0
"""How much more memory linked offices take than the same offices alone, on the exact path
(benchmarks/bench_network.py measured 224 bytes a shipment against 108)."""


def _network_memory(home: Scenario, offices: list[Scenario], source: str) -> None:
    """Refuse a network whose offices together would need more memory than the cap (each
    office alone is checked with its own tables)."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    try:
        limit = float(text) if text else float(DEFAULT_MAX_MEMORY_MB)
    except ValueError:
        return  # the home office's own check says so
    need = sum(estimated_memory_bytes(s) for s in (home, *offices))
    if home.network is not None and home.network.linked:
        need *= LINKED_MEMORY_FACTOR
    if need > limit * 1e6:
        msg = (
            f"the {len(offices) + 1} offices together would need about {need / 1e6:,.0f} MB "
            f"of memory a replication, more than the limit of {limit:,.0f} MB: shorten the "
            f"run or lower the offices' shipments_per_day, or raise {MEMORY_ENV}"
        )
        raise ScenarioError(source, [("network", msg)])


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
