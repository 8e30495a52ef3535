"""The free parameters of a calibration (``--free KEY=LOW:HIGH[:int|:log]``) and the checks of
a target file against the scenario it calibrates: all refused before anything runs, with the
file, the key and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sim.experiment.engine import Task, run_replication
from sim.measure.names import at_most_one
from sim.scenario import apply_overrides, from_dict, read_toml
from sim.schema import Scenario, ScenarioError, show_value, suggest
from sim.schema.targets import TargetError, Targets, targets_from_dict
from sim.streams import replication_seeds

Kind = Literal["float", "int", "log"]
KINDS: tuple[Kind, ...] = ("float", "int", "log")
FREE_USAGE = (
    "a free parameter is KEY=LOW:HIGH, optionally with :int or :log, "
    "e.g. --free lodgement.delay_hours.mean=1:20 or --free checks.documents.servers=1:6:int"
)


@dataclass(frozen=True)
class FreeParameter:
    """One key the calibration may move, and the range it searches."""

    key: str
    low: float
    high: float
    kind: Kind = "float"

    def text(self) -> str:
        """The parameter as written on the command line (it parses back to itself)."""
        suffix = "" if self.kind == "float" else f":{self.kind}"
        return f"{self.key}={_number(self.low, self.kind)}:{_number(self.high, self.kind)}{suffix}"


def _number(value: float, kind: str) -> str:
    return str(int(value)) if kind == "int" else repr(float(value))


def load_targets(path: str | Path) -> Targets:
    """Read and validate a target file: TOML read within the limits of a scenario file (size,
    keys, nesting; never evaluated), every problem a :class:`ScenarioError` naming the file
    and the key path (``figures[2].value``)."""
    if Path(path).is_dir():
        raise TargetError(str(path), [("", "this is a folder, not a target file")])
    return targets_from_dict(read_toml(path), str(path))


def _lookup(data: dict[str, Any], parts: list[str]) -> tuple[bool, Any, list[str]]:
    """(found, value, the keys where the walk stopped) for a dotted key in plain data."""
    node: Any = data
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False, None, sorted(node) if isinstance(node, dict) else []
        node = node[part]
    return True, node, []


def _parse_end(text: str, kind: Kind) -> float | None:
    try:
        value = float(text) if kind != "int" else float(int(text))
    except ValueError:
        if kind == "int":
            try:
                value = float(text)
            except ValueError:
                return None
            return value if value.is_integer() else None
        return None
    return value if math.isfinite(value) else None


def parse_free(texts: list[str], scenario: Scenario, source: str = "--free") -> list[FreeParameter]:
    """The free parameters given as ``KEY=LOW:HIGH[:int|:log]``, each checked against the
    resolved ``scenario``: the key exists and holds a number, LOW < HIGH (``:log``: LOW > 0,
    ``:int``: whole numbers), the scenario is valid at both ends, no key is given twice.
    Every problem found is raised together as one :class:`ScenarioError` naming ``source``."""
    data = scenario.to_dict()
    out: list[FreeParameter] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for text in texts:
        param, problem = _parse_one(text, data)
        if problem is not None:
            problems.append(problem)
            continue
        assert param is not None
        if param.key in seen:
            problems.append((param.key, "given twice as a free parameter; give each key once"))
            continue
        seen.add(param.key)
        problems += _ends_problems(param, data, source)
        out.append(param)
    if problems:
        raise TargetError(source, problems, "invalid free parameter")
    return out


def _parse_one(
    text: str, data: dict[str, Any]
) -> tuple[FreeParameter | None, tuple[str, str] | None]:
    key, sep, rng = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key or any(not p for p in parts):
        return None, (key, FREE_USAGE)
    path = ".".join(parts)
    pieces = [p.strip() for p in rng.split(":")]
    kind: Kind = "float"
    if len(pieces) == 3 and pieces[2] in KINDS:
        kind = pieces[2]  # type: ignore[assignment]
        pieces = pieces[:2]
    elif len(pieces) == 3:
        return None, (path, f"unknown kind {show_value(pieces[2])}; allowed: int, log")
    if len(pieces) != 2:
        return None, (path, FREE_USAGE)
    found, value, allowed = _lookup(data, parts)
    if not found:
        msg = "no such key in the scenario"
        at = next(i for i in range(len(parts)) if not _lookup(data, parts[: i + 1])[0])
        if not allowed:  # the walk went through a value that is not a table
            held = _lookup(data, parts[:at])[1]
            msg = f"{'.'.join(parts[:at])} holds {show_value(held)}, not a table of keys"
            return None, (path, f"no such key in the scenario: {msg}")
        hint = suggest(parts[at], allowed)
        if hint:
            msg += f" (did you mean '{hint}'?)"
        if allowed:
            msg += f"; keys here: {', '.join(allowed)}"
        return None, (path, msg)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"holds {show_value(value)}, not a number; only a number can be a free parameter"
        return None, (path, msg)
    if isinstance(value, int) and kind != "int":
        msg = (
            f"holds a whole number ({value}), so its range must be whole numbers marked :int, "
            f"e.g. {path}={pieces[0] or 'LOW'}:{pieces[1] or 'HIGH'}:int"
        )
        return None, (path, msg)
    low, high = _parse_end(pieces[0], kind), _parse_end(pieces[1], kind)
    if low is None or high is None:
        what = "whole numbers" if kind == "int" else "finite numbers"
        return None, (path, f"LOW and HIGH must be {what}, got {show_value(rng)}")
    if not low < high:
        return None, (path, f"LOW must be less than HIGH, got {_g(low)}:{_g(high)}")
    if kind == "log" and low <= 0:
        return None, (path, f"a :log range needs LOW > 0, got {_g(low)}")
    return FreeParameter(path, low, high, kind), None


def _g(x: float) -> str:
    return f"{x:g}"


def _ends_problems(
    param: FreeParameter, data: dict[str, Any], source: str
) -> list[tuple[str, str]]:
    """The scenario's own problems with the key set to LOW, else to HIGH (the first found)."""
    for end, value in (("LOW", param.low), ("HIGH", param.high)):
        texts = overrides({param.key: value}, [param])
        try:
            from_dict(apply_overrides(data, texts, source), source)
        except ScenarioError as err:
            own = [m for p, m in err.problems if p == param.key]
            if own:
                return [(param.key, f"{end}={_g(value)} is not allowed: {m}") for m in own]
            return [
                (param.key, f"{end}={_g(value)} makes the scenario invalid: {p}: {m}")
                for p, m in err.problems[:3]
            ]
    return []


def _value(value: float, param: FreeParameter | None) -> float | int:
    if param is not None and param.kind == "int":
        return int(round(value))
    return float(value)


def overrides(values: dict[str, float], free: list[FreeParameter] | None = None) -> list[str]:
    """The values as ``--set`` texts (``key=value``), a whole number written as one: an int
    parameter (or, without ``free``, a value that is an int) as ``3``, never ``3.0``."""
    kinds = {p.key: p for p in free or []}
    out = []
    for key, value in values.items():
        param = kinds.get(key)
        if param is None and isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        else:
            v = _value(value, param)
            text = str(v) if isinstance(v, int) else repr(v)
        out.append(f"{key}={text}")
    return out


def apply(
    scenario: Scenario, values: dict[str, float], free: list[FreeParameter] | None = None
) -> Scenario:
    """The base scenario with the values set (as ``--set`` would), validated."""
    texts = overrides(values, free)
    source = f"{scenario.scenario.name} (with --set {' --set '.join(texts)})"
    return from_dict(apply_overrides(scenario.to_dict(), texts, source), source)


def produced_metrics(scenario: Scenario) -> set[str]:
    """The names of the metrics the scenario produces: one replication of one day, no warm-up
    (a fraction of a second), run before the search so that a bad name is refused at once."""
    data = scenario.to_dict()
    data["scenario"] = {**data["scenario"], "days": 1, "warmup_days": 0, "replications": 1}
    short = from_dict(data, f"{scenario.scenario.name} (one day)")
    metrics, _, _ = run_replication(Task(short, replication_seeds(short.scenario.seed, 1)[0]))
    return set(metrics)


def check_targets(targets: Targets, scenario: Scenario, source: str = "targets") -> None:
    """Raise one :class:`ScenarioError` naming the target file (``source``) for every metric
    name the scenario does not produce and every share outside 0-1."""
    problems = targets.check_metrics(produced_metrics(scenario), at_most_one)
    if problems:
        raise TargetError(source, problems)


__all__ = [
    "FREE_USAGE",
    "FreeParameter",
    "KINDS",
    "apply",
    "check_targets",
    "load_targets",
    "overrides",
    "parse_free",
    "produced_metrics",
]
