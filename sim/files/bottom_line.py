"""The bottom line: the answer to a scenario's own question in one or two sentences, with
95% intervals, at the top of what ``bordersim run``, ``compare`` and ``sweep`` print and of
their reports. Built from the statistics already computed (paired differences in a
comparison), for the scenario's headline metrics."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.files.text import difference, estimate, measurable, number, percent, period, show
from sim.measure import names
from sim.schema import HEADLINE

Stats = Mapping[str, Mapping[str, Any]]


@dataclass
class Said:
    """One point as the bottom line reads it: its name for people, its summary and (in a
    comparison) its paired differences against the first point."""

    name: str
    stats: Stats
    differences: Stats | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


def person_name(label: str, info: Mapping[str, Any] | None) -> str:
    """A point's name for people: its ``scenario.label``, else its own label."""
    own = (info or {}).get("label")
    return own if isinstance(own, str) and own.strip() else label


def question(info: Mapping[str, Any]) -> str:
    """The scenario's question: ``question``, else the first sentence of its description
    that asks one, else none."""
    own = info.get("question")
    if isinstance(own, str) and own.strip():
        return own.strip()
    text = " ".join(str(info.get("description") or "").split())
    asked = re.findall(r"[^.?!]*\?", text)
    return asked[0].strip() if asked else ""


def headline(info: Mapping[str, Any], stats: Stats) -> list[str]:
    """The headline metrics the summary has: the scenario's own, else the defaults."""
    chosen = [m for m in (info.get("headline") or HEADLINE) if isinstance(m, str)]
    return [m for m in chosen if m in stats] or [m for m in HEADLINE if m in stats]


def lever_label(key: str, levers: Mapping[str, Any] | None = None) -> str:
    """What a swept key is, for people: its ``[scenario.levers]`` label, else words for the
    usual levers (a lane's selection rate, a check's officers), else the key itself."""
    own = ((levers or {}).get(key) or {}).get("label")
    if isinstance(own, str) and own.strip():
        return own.strip()
    parts = key.split(".")
    if len(parts) == 3 and parts[:2] == ["policy", "rates"]:
        return f"share selected for {parts[2]}"
    if len(parts) == 3 and parts[0] == "checks" and parts[2] == "servers":
        return f"{parts[1]} officers"
    return key


def lever_unit(key: str, levers: Mapping[str, Any] | None = None) -> str:
    """The unit a swept key's values are shown in (see :class:`sim.schema.Lever`)."""
    own = (levers or {}).get(key)
    if own is not None and "unit" in own:
        return str(own.get("unit") or "")
    return "%" if key.startswith("policy.rates.") else ""


def lever_value(key: str, value: Any, levers: Mapping[str, Any] | None = None) -> str:
    """A swept key's value in its unit: ``0.125`` of a share as ``12.5%``."""
    unit = lever_unit(key, levers)
    if unit == "%" and isinstance(value, int | float) and not isinstance(value, bool):
        return percent(value)
    text = show(value)
    return f"{text} {unit}" if unit else text


def value_range(values: Sequence[Any]) -> tuple[Any, Any] | None:
    """The lowest and highest of a swept key's values (the first and the last when they are
    not all numbers); None when there are none."""
    values = [v for v in values if v is not None]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not values:
        return None
    if len(numbers) == len(values):
        return min(numbers), max(numbers)
    return values[0], values[-1]


def range_words(key: str, values: Sequence[Any], levers: Mapping[str, Any] | None = None) -> str:
    """A swept key's values in words and its unit: ``0% to 30%``, ``2 to 9``, or the one
    value."""
    span = value_range(values)
    if span is None:
        return "n/a"
    low, high = (lever_value(key, v, levers) for v in span)
    return low if low == high else f"{low} to {high}"


def point_words(values: Mapping[str, Any], levers: Mapping[str, Any] | None = None) -> str:
    """A sweep point for people: ``share selected for red 5%, physical officers 6``."""
    return ", ".join(
        f"{lever_label(k, levers)} {lever_value(k, v, levers)}" for k, v in values.items()
    )


def _with_unit(metric: str, s: Mapping[str, Any] | None) -> str:
    unit = names.unit(metric)
    return estimate(unit, dict(s) if s else None)


def _the(metric: str) -> str:
    """A metric as the subject of a sentence: "the mean clearance time", "the number of
    illicit shipments released" (a count is a number of things, so the verb is singular)."""
    what = names.words(metric)
    return f"the number of {what}" if names.unit(metric) == "count" else f"the {what}"


def _run(info: Mapping[str, Any], point: Said, metrics: list[str]) -> str:
    parts = []
    for m in metrics:
        text = f"{_the(m)} is {_with_unit(m, point.stats.get(m))}"
        if names.unit(m) == "count":
            text += " " + period(dict(info))
        parts.append(text)
    return _sentence(_and(parts))


def _mean(metric: str, s: Mapping[str, Any] | None) -> str:
    if not s or s.get("mean") is None:
        return "n/a"
    unit = names.unit(metric)
    return number(unit, s["mean"]) + {"%": "%", "h": " h", "US$": " US$"}.get(unit, "")


def _change(metric: str, ref: Mapping[str, Any], other: Said, again: bool = False) -> str:
    """How one metric moves from the reference to ``other``, judged on the paired
    difference: measurably (with both intervals and the difference's), or not. ``again``:
    the reference's value was said in an earlier sentence, and is not repeated."""
    unit = names.unit(metric)
    a, b = ref.get(metric), other.stats.get(metric)
    d = (other.differences or {}).get(metric)
    what = _the(metric)
    if d is None or d.get("mean") is None:
        against = "" if again else f" against {_with_unit(metric, a)}"
        return f"{what} is {_with_unit(metric, b)}{against}"
    if d.get("ci_low") == d.get("ci_high") == d["mean"] == 0:
        return f"{what} is the same in every replication ({_mean(metric, b)})"
    quiet = _quiet(metric, ref, other, again)
    if quiet is not None:
        return f"{what} does not change measurably ({quiet})"
    verb = "rises" if d["mean"] > 0 else "falls"
    by = difference(unit, dict(d)).replace(" (", ", interval ", 1).removesuffix(")")
    start = "" if again else f" from {_with_unit(metric, a)}"
    return f"{what} {verb}{start} to {_with_unit(metric, b)} ({by})"


def _quiet(metric: str, ref: Mapping[str, Any], other: Said, again: bool) -> str | None:
    """The values and the interval of the difference of a metric that does not change
    measurably (``4.9 h against 5.0 h, interval of the difference -0.42 to 0.35 h``); None
    when it does, or when there is nothing to judge."""
    d = (other.differences or {}).get(metric)
    if d is None or d.get("mean") is None or measurable(d):
        return None
    if d.get("ci_low") == d.get("ci_high") == d["mean"] == 0:
        return None
    unit = names.unit(metric)
    span = f"{number(unit, d['ci_low'])} to {number(unit, d['ci_high'])}"
    after = {"%": " points", "h": " h"}.get(unit, "")
    against = "" if again else f" against {_mean(metric, ref.get(metric))}"
    value = _mean(metric, other.stats.get(metric))
    return f"{value}{against}, interval of the difference {span}{after}"


def _against(base: Said, other: Said, metrics: list[str], again: bool) -> str:
    """What changes from ``base`` to ``other``, metric by metric in the headline's order; two
    or more metrics that do not change measurably are said together, once, where the first of
    them comes."""
    quiet = {m: _quiet(m, base.stats, other, again) for m in metrics}
    if sum(q is not None for q in quiet.values()) < 2:
        return "; ".join(_change(m, base.stats, other, again) for m in metrics)
    still = _and([f"{_the(m)} ({q})" for m, q in quiet.items() if q is not None])
    first = next(m for m in metrics if quiet[m] is not None)
    return "; ".join(
        f"{still} do not change measurably" if m == first else _change(m, base.stats, other, again)
        for m in metrics
        if m == first or quiet[m] is None
    )


def _compare(base: Said, others: Sequence[Said], metrics: list[str]) -> list[str]:
    """One sentence for each point against the first; the first sentence names the
    reference and its values, the later ones only what differs (they run long otherwise)."""
    return [
        _sentence(
            (other.name if k else f"{other.name} (against {base.name})")
            + ": "
            + _against(base, other, metrics, again=k > 0)
        )
        for k, other in enumerate(others)
    ]


def _sweep(info: Mapping[str, Any], points: Sequence[Said], metrics: list[str]) -> list[str]:
    sentences = []
    for m in metrics[:2]:
        have = [p for p in points if (p.stats.get(m) or {}).get("mean") is not None]
        if not have:
            continue
        low = min(have, key=lambda p: p.stats[m]["mean"])
        high = max(have, key=lambda p: p.stats[m]["mean"])
        if _with_unit(m, low.stats[m]) == _with_unit(m, high.stats[m]):
            every = "at every point" if len(have) == len(points) else "wherever it is measured"
            text = f"{_the(m)} is {_with_unit(m, low.stats[m])} {every}"
        else:
            text = (
                f"{_the(m)} is lowest, {_with_unit(m, low.stats[m])}, at {low.name}; "
                f"highest, {_with_unit(m, high.stats[m])}, at {high.name}"
            )
        sentences.append(_sentence(text))
    return sentences


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def asks(kind: str, info: Mapping[str, Any], points: Sequence[Said]) -> str:
    """The question the bottom line answers: the scenario's own; for a sweep, what the sweep
    varies over which range, in its levers' words (the base scenario's question is about the
    base, not about the sweep)."""
    if kind != "sweep":
        return question(info)
    levers = info.get("levers") or {}
    keys = list(dict.fromkeys(k for p in points for k in p.values))
    if not keys:
        return question(info)
    spans = {k: range_words(k, [p.values.get(k) for p in points], levers) for k in keys}
    varied = _and([f"{lever_label(k, levers)} from {spans[k]}" for k in keys])
    return f"What changes with {varied} ({len(points)} points)?"


def bottom_line(kind: str, info: Mapping[str, Any], points: Sequence[Said]) -> list[str]:
    """The answer, as sentences: the question (:func:`asks`), then for a run its headline
    metrics with their intervals, for a comparison each point against the first (what
    changes measurably and what does not, with the interval of the paired difference), for a
    sweep the range of the headline metrics over the points. ``info`` is the first point's
    ``[scenario]`` table."""
    if not points:
        return []
    metrics = headline(info, points[0].stats)
    if not metrics:
        return []
    asked = asks(kind, info, points)
    if kind == "run":
        said = [_run(info, points[0], metrics)]
    elif kind == "compare":
        said = _compare(points[0], points[1:], metrics)
    else:
        said = _sweep(info, points, metrics)
    return ([asked] if asked else []) + said


def bottom_line_text(kind: str, info: Mapping[str, Any], points: Sequence[Said]) -> str:
    """:func:`bottom_line` for a terminal: a heading and the sentences, each on its lines."""
    lines = bottom_line(kind, info, points)
    if not lines:
        return ""
    return "\n".join(["Bottom line:", *(f"  {line}" for line in lines)])


def _info(scenario: Any) -> dict[str, Any]:
    if isinstance(scenario, Mapping):
        return dict(scenario.get("scenario") or {})
    return scenario.scenario.model_dump(mode="json") if scenario is not None else {}


def points_said(kind: str, points: Sequence[Any], differences: Stats | None = None) -> list[Said]:
    """The points of a result (``PointResult``) or of a saved folder (``SavedPoint``) as the
    bottom line reads them; ``differences`` by label, for a result's comparison."""
    if not points:
        return []
    first = points[0]
    scenario0 = getattr(first, "scenario", None)
    if scenario0 is None and hasattr(first, "point"):
        scenario0 = first.point.scenario
    levers = _info(scenario0).get("levers") or {}
    said = []
    for p in points:
        scenario = getattr(p, "scenario", None)
        if scenario is None and hasattr(p, "point"):
            scenario = p.point.scenario
        values = getattr(p, "values", None)
        if values is None and hasattr(p, "point"):
            values = p.point.values
        label = getattr(p, "label", None) or _info(scenario).get("name", "")
        name = person_name(label, _info(scenario))
        if kind == "sweep" and values:
            name = point_words(values, levers)
        diffs = getattr(p, "differences", None)
        if differences is not None:
            diffs = differences.get(label)
        said.append(Said(name, p.stats, diffs, values or {}))
    return said


def first_info(points: Sequence[Any]) -> dict[str, Any]:
    """The first point's ``[scenario]`` table, as data."""
    if not points:
        return {}
    p = points[0]
    scenario = getattr(p, "scenario", None)
    if scenario is None and hasattr(p, "point"):
        scenario = p.point.scenario
    return _info(scenario)


def result_bottom_line(result: Any) -> str:
    """:func:`bottom_line_text` of a finished run, comparison or sweep."""
    kind = getattr(result, "kind", "run")
    points = getattr(result, "points", None)
    if points is None:  # a run: one point
        points = [result]
    diffs = result.differences() if kind == "compare" else None
    return bottom_line_text(kind, first_info(points), points_said(kind, points, diffs))


__all__ = [
    "Said",
    "asks",
    "bottom_line",
    "bottom_line_text",
    "headline",
    "person_name",
    "question",
    "range_words",
    "value_range",
]
