"""The values a scenario file marks as assumptions, and a range around each one.

Shipped scenarios say where a value has no source by a comment on its line containing the word
"assumption" (``illicit_factor = 0.5  # vaccines come through few makers (assumption)``). The
file is read with tomlkit, which keeps the comments; every number on such a line is taken (a
plain value, or each number of an inline table such as ``detect = { falsified = 0.6 }``).
``[scenario]`` (how long and how often to simulate, not what is simulated) and ``[variants]``
(alternatives to the base, not the base) are left out, and so are numbers in arrays.

:func:`ranges` turns them into ranges of +-``relative`` around each value, clipped to what the
scenario accepts: an end the scenario refuses (a share above 1, a count below 1, shares that
must add up) is moved towards the value until the scenario is valid again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.free import FreeParameter, overrides
from sim.scenario import apply_overrides, from_dict
from sim.schema import Scenario, ScenarioError

WORD = "assumption"
LEFT_OUT = ("scenario", "variants")
"""Top-level tables whose values are never taken (run control; alternatives to the base)."""
NARROWEST = 0.01
"""A clipped range narrower than this share of the one asked for is not varied (shares that
must add up to 1 cannot move one at a time)."""
STEPS = 30
"""Halvings of the distance to a refused end when clipping a range (about 1e-9 of it)."""


@dataclass(frozen=True)
class Assumption:
    """A number the file marks as an assumption: its dotted key, value and the line's comment."""

    key: str
    value: float
    comment: str


@dataclass(frozen=True)
class Taken:
    """An assumption and the range it is varied over (``param``), or why it is not varied."""

    assumption: Assumption
    param: FreeParameter | None
    note: str = ""


def find(path: str | Path) -> list[Assumption]:
    """Every number on a line of ``path`` whose comment contains "assumption", in file order
    (see the module's notes for what is left out)."""
    import tomlkit
    from tomlkit.items import AoT, Array, Bool, Float, InlineTable, Integer, Table

    doc = tomlkit.parse(Path(path).read_text(encoding="utf-8"))
    found: list[Assumption] = []

    def numbers(item: Any, key: list[str], comment: str) -> None:
        if isinstance(item, Bool):
            return
        if isinstance(item, Integer | Float):
            found.append(Assumption(".".join(key), item.unwrap(), comment))
        elif isinstance(item, InlineTable):
            for k, v in item.value.body:
                if k is not None:
                    numbers(v, [*key, k.key], comment)

    def walk(container: Any, key: list[str]) -> None:
        for k, item in container.value.body if isinstance(container, Table) else container.body:
            if k is None:
                continue
            path_ = [*key, *(part.key for part in getattr(k, "_keys", [k]))]
            if not key and path_[0] in LEFT_OUT:
                continue
            if isinstance(item, Table):
                walk(item, path_)
                continue
            if isinstance(item, AoT | Array):
                continue
            comment = item.trivia.comment.lstrip("#").strip()
            if WORD in comment.lower():
                numbers(item, path_, comment)

    walk(doc, [])
    return found


def ranges(found: list[Assumption], scenario: Scenario, relative: float) -> list[Taken]:
    """Each assumption with its range: +-``relative`` of its value (whole numbers rounded out
    to at least one step each way), each end clipped to what ``scenario`` accepts; or a note
    saying why it cannot be varied."""
    data = scenario.to_dict()
    out: list[Taken] = []
    for a in found:
        value = _resolved(data, a.key)
        if value is None:
            out.append(Taken(a, None, "not a number of the resolved scenario"))
            continue
        if value == 0:
            out.append(Taken(a, None, "is 0, so a relative range is empty"))
            continue
        whole = isinstance(value, int)
        low, high = sorted(_round(value * (1 + s * relative)) for s in (-1, 1))
        if whole:
            low, high = math.floor(low), math.ceil(high)
            low, high = min(low, value - 1), max(high, value + 1)
        kind = "int" if whole else "float"
        low = _clip(data, a.key, value, low, kind)
        high = _clip(data, a.key, value, high, kind)
        wanted = sorted((value * (1 - relative), value * (1 + relative)))
        if not high - low > NARROWEST * (wanted[1] - wanted[0]):
            out.append(Taken(a, None, "the scenario accepts hardly any other value on its own"))
            continue
        note = ""
        if low > wanted[0] + 1e-12 * abs(value) and not whole:
            note = f"low end clipped to {low:g}"
        if high < wanted[1] - 1e-12 * abs(value) and not whole:
            note = (note + "; " if note else "") + f"high end clipped to {high:g}"
        out.append(Taken(a, FreeParameter(a.key, float(low), float(high), kind), note))
    return out


def _round(x: float) -> float:
    """``x`` to 12 significant digits (0.32, not 0.32000000000000006)."""
    return float(f"{x:.12g}")


def _resolved(data: dict[str, Any], key: str) -> float | int | None:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return node


def _valid(data: dict[str, Any], key: str, value: float, kind: str) -> bool:
    param = FreeParameter(key, 0.0, 1.0, kind)  # type: ignore[arg-type]
    try:
        from_dict(apply_overrides(data, overrides({key: value}, [param]), key), key)
    except ScenarioError:
        return False
    return True


def _clip(data: dict[str, Any], key: str, value: float, end: float, kind: str) -> float:
    """``end`` if the scenario accepts it, else the accepted value nearest to it on the way
    to ``value`` (which the scenario accepts)."""
    if _valid(data, key, end, kind):
        return end
    good, bad = float(value), float(end)
    if kind == "int":
        step = 1 if bad > good else -1
        while good + step != bad and _valid(data, key, good + step, kind):
            good += step
        return good
    for _ in range(STEPS):
        middle = (good + bad) / 2
        if _valid(data, key, middle, kind):
            good = middle
        else:
            bad = middle
    return float(f"{good:.6g}") if _valid(data, key, float(f"{good:.6g}"), kind) else good


__all__ = ["Assumption", "Taken", "find", "ranges"]
