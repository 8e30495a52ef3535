"""Sweeps: one scenario run over a grid of one or two keys, under common random numbers.

``--vary KEY=START:STOP:COUNT`` takes COUNT evenly spaced values from START to STOP (both
included; whole numbers when they fall on whole numbers); ``--vary KEY=V1,V2,...`` takes the
values listed, each read as TOML like a ``--set`` value. Two ``--vary`` make a grid. Every
point runs with the same seed, so replication *i* of every point sees the same shipments.

The trade-off table has one row per point: clearance time (``clearance_hours_mean``, every
shipment not intercepted, those still inside counted as censored) against interception rate
with their intervals, and where the point stands (:func:`sim.measure.statistics.frontier`):
*efficient*, in the *band* of points that cannot be told from the frontier with these
replications, *dominated* beyond the noise by another point, or *overloaded* (its queues do
not keep up: never on the frontier). ``pareto`` is true for efficient points and those in the
band.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.compare import cell
from sim.experiment.engine import Point, PointResult
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.points import ExperimentResult, run_points
from sim.experiment.replications import Replications
from sim.files.bottom_line import lever_label, lever_value
from sim.files.text import show
from sim.measure.names import within
from sim.measure.statistics import (
    BAND,
    EFFICIENT,
    OVERLOADED,
    Standing,
    frontier,
    overload_reason,
    overloaded,
    pareto_efficient,
)
from sim.scenario import (
    apply_overrides,
    from_dict,
    parse_value,
    read_toml,
    set_key,
    shorten,
    with_overrides,
)
from sim.schema import MAX_INT, Scenario, ScenarioError, raw_problems, show_value

VARY_USAGE = (
    "a --vary is KEY=START:STOP:COUNT (e.g. policy.rates.red=0:0.3:13) or KEY=V1,V2,... "
    "(e.g. checks.physical.servers=2,4,6)"
)
MAX_KEYS = 2
MAX_VALUES = 1000
MAX_POINTS = 10_000
FIXED_KEYS = {
    "scenario.seed": "every point shares one seed (common random numbers); use --seed",
    "scenario.replications": "every point has the same replications; use --replications",
}
TIME = "clearance_hours_mean"
P90 = "clearance_hours_p90"
CATCH = "interception_rate"
WITHIN_DAY = within(24)
TRADEOFF = (
    TIME,
    CATCH,
    P90,
    WITHIN_DAY,
    "inspection_rate",
    "hit_rate",
    "censored",
)


MARKS = {EFFICIENT: "*", BAND: "~", OVERLOADED: "!"}


@dataclass(frozen=True)
class Vary:
    """One swept key and its values."""

    key: str
    values: tuple[Any, ...]
    text: str = ""


def _value(text: str) -> Any:
    """A value as ``--set`` reads it: TOML if it is one, else plain text (see
    :func:`sim.scenario.parse_value`: a date is text too)."""
    return parse_value(text)


def _number(text: str) -> int | float | None:
    """A range's START or STOP: a finite number of ordinary size, else None."""
    value = _value(text.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > MAX_INT:
        return None
    return value if math.isfinite(value) else None


def parse_vary(text: str, source: str = "--vary") -> Vary:
    """Parse ``KEY=START:STOP:COUNT`` or ``KEY=V1,V2,...``; a mistake raises the
    :class:`ScenarioError` of a bad ``--set``: the source, the key and what is allowed."""
    where = f"{source} (--vary {shorten(text)})"
    key, sep, spec = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key or any(not p for p in parts):
        raise ScenarioError(where, [(key, VARY_USAGE)])
    key = ".".join(parts)
    if key in FIXED_KEYS:
        raise ScenarioError(where, [(key, f"cannot be varied: {FIXED_KEYS[key]}")])
    if parts[0] == "variants":
        raise ScenarioError(where, [(key, "cannot be varied: sweep a key of the scenario")])
    spec = spec.strip()
    if not spec:
        raise ScenarioError(where, [(key, f"no values given; {VARY_USAGE}")])

    def bad(message: str) -> ScenarioError:
        return ScenarioError(where, [(key, message)])

    values: list[Any]
    as_list = _value(f"[{spec}]")
    if isinstance(as_list, list):
        values = as_list
    elif re.fullmatch(r"[^,:]*:[^,:]*(:[^,:]*)?", spec):
        pieces = spec.split(":")
        if len(pieces) != 3:
            raise bad(f"a range is START:STOP:COUNT, e.g. 0:0.3:13; got {shorten(spec)!r}")
        start, stop, count = (_number(p) for p in pieces)
        if start is None or stop is None:
            raise bad(
                f"a range's START and STOP must be numbers (finite; whole numbers at most "
                f"{MAX_INT} in size), got {shorten(spec)!r}"
            )
        if not isinstance(count, int) or count < 2:
            raise bad(f"a range's COUNT must be a whole number of at least 2, got {pieces[2]!r}")
        if count > MAX_VALUES:
            raise bad(f"at most {MAX_VALUES} values per key, got {count}")
        if start == stop:
            raise bad(f"a range needs START and STOP to differ, got {shorten(spec)!r}")
        values = _range(start, stop, count)
        if not values:
            raise bad(f"a range from {show_value(start)} to {show_value(stop)} is too wide")
    else:
        items = [item.strip() for item in spec.split(",")]
        if any(not item for item in items):
            raise bad(f"an empty value in the list {shorten(spec)!r}; {VARY_USAGE}")
        if any(":" in item for item in items):
            raise bad(f"{shorten(spec)!r} is neither a range nor a list; {VARY_USAGE}")
        values = [_value(item) for item in items]
    if not values:
        raise bad(f"no values given; {VARY_USAGE}")
    if len(values) > MAX_VALUES:
        raise bad(f"at most {MAX_VALUES} values per key, got {len(values)}")
    seen: list[Any] = []
    for v in values:
        if any(_same(v, w) for w in seen):
            raise bad(f"the value {show(v)} is listed twice")
        seen.append(v)
    return Vary(key, tuple(values), text)


def _same(a: Any, b: Any) -> bool:
    return (
        type(a) is type(b)
        and a == b
        or (isinstance(a, int | float) and isinstance(b, int | float) and a == b)
    )


def _range(start: float, stop: float, count: int) -> list[Any]:
    """``count`` evenly spaced values, whole numbers when every one is whole; empty when
    they cannot all be represented (a range wider than the largest float)."""
    if isinstance(start, int) and isinstance(stop, int) and (stop - start) % (count - 1) == 0:
        step = (stop - start) // (count - 1)
        return [start + k * step for k in range(count)]
    with np.errstate(all="ignore"):
        spaced = np.linspace(float(start), float(stop), count)
    if not np.isfinite(spaced).all():
        return []
    # 12 significant digits: 0.025 rather than 0.025000000000000001.
    return [float(f"{v:.12g}") for v in spaced]


def _check_plain(values: Any, where: str, key: str) -> None:
    """Values given from Python must be what a scenario file could hold: numbers of ordinary
    size, text, true or false, lists and tables of them."""
    items = list(values) if isinstance(values, Sequence) else None
    ok = items is not None and len(items) <= MAX_VALUES
    if ok:
        limits, non_finite = raw_problems(items)
        ok = not limits and not non_finite and all(_plain(v) for v in items)
    if not ok:
        msg = (
            f"the values must be a list of at most {MAX_VALUES} numbers of ordinary size, "
            "text, true or false, or lists and tables of them"
        )
        raise ScenarioError(where, [(key, msg)])


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, bool | int | float | str)


def parse_all(vary: Sequence[str] | Mapping[str, Any] | str, source: str) -> list[Vary]:
    """The ``--vary`` arguments (strings, or ``{key: values or spec}`` from Python)."""
    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, Mapping):
        parsed = []
        for key, values in vary.items():
            if isinstance(values, str):
                parsed.append(parse_vary(f"{key}={values}", source))
            else:
                _check_plain(values, f"{source} (--vary {key}=...)", str(key))
                text = f"{key}={','.join(show(v) for v in values)}"
                checked = parse_vary(text, source)  # the key's checks, and duplicates
                parsed.append(Vary(checked.key, tuple(values), text))
    else:
        parsed = [parse_vary(str(text), source) for text in vary]
    if not parsed:
        raise ExperimentError(f"nothing to sweep: give --vary KEY=... ({VARY_USAGE})")
    if len(parsed) > MAX_KEYS:
        extra = parsed[MAX_KEYS]
        raise ScenarioError(
            f"{source} (--vary {shorten(extra.text)})",
            [(extra.key, f"at most {MAX_KEYS} keys can be varied at once, got {len(parsed)}")],
        )
    keys = [v.key for v in parsed]
    for i, v in enumerate(parsed):
        for other in keys[:i]:
            if v.key == other or v.key.startswith(other + ".") or other.startswith(v.key + "."):
                raise ScenarioError(
                    f"{source} (--vary {shorten(v.text)})",
                    [(v.key, f"already varied by --vary {other}=...")],
                )
    total = math.prod(len(v.values) for v in parsed)
    if total > MAX_POINTS:
        raise ScenarioError(
            f"{source} (--vary {shorten(parsed[-1].text)})",
            [(parsed[-1].key, f"at most {MAX_POINTS} points in a sweep, this grid has {total}")],
        )
    return parsed


def label_of(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={show(v)}" for k, v in values.items())


def sweep_points(
    data: dict[str, Any], vary: list[Vary], source: str, seed: int, count: int
) -> list[Point]:
    """Every point of the grid, validated (the first bad one raises a ScenarioError that
    names the ``--vary`` value)."""
    points = []
    base = copy.deepcopy(data)
    base["scenario"] = {**base.get("scenario", {}), "seed": seed, "replications": count}
    for combo in itertools.product(*(v.values for v in vary)):
        values = {v.key: value for v, value in zip(vary, combo, strict=True)}
        where = f"{source} (--vary {label_of(values)})"
        point = copy.deepcopy(base)
        for key, value in values.items():
            set_key(point, key, value, where)
        points.append(Point(label_of(values), from_dict(point, where), values))
    return points


@dataclass
class SweepResult(ExperimentResult):
    """Points of a grid; :meth:`tradeoff` and :attr:`pareto` read the trade-off."""

    kind = "sweep"
    keys: list[str] = field(default_factory=list)
    base: Scenario | None = None
    _standings: dict[Any, list[Standing]] = field(default_factory=dict, repr=False, compare=False)

    def standings(self, time: str = TIME) -> list[Standing]:
        """Where each point stands in the trade-off of ``time`` against interception, judged
        on the paired replications (see the module's documentation)."""
        key = (time, tuple(len(p.replications) for p in self.points))
        if key not in self._standings:  # one judgement per axis, not one per point asking
            self._standings[key] = frontier(
                [[r.get(time, math.nan) for r in p.replications] for p in self.points],
                [[r.get(CATCH, math.nan) for r in p.replications] for p in self.points],
                [overloaded(p.stats) for p in self.points],
            )
        return self._standings[key]

    @property
    def pareto(self) -> list[bool]:
        """Whether each point is on the frontier: efficient, or in the band of points that
        cannot be told from it (see the module's documentation)."""
        return [s.on_frontier for s in self.standings()]

    def tradeoff(self) -> tuple[list[str], list[list[Any]]]:
        """One row per point: its values, replications, each trade-off metric's estimate and
        interval, where it stands, and whether it is overloaded."""
        columns = ["point", *self.keys, "replications"]
        for m in TRADEOFF:
            columns += [m, f"{m}_ci_low", f"{m}_ci_high"]
        columns += ["pareto", "frontier", "frontier_p90", "separate_with", "overloaded"]
        rows = []
        p90 = self.standings(P90)
        for p, standing, by_p90 in zip(self.points, self.standings(), p90, strict=True):
            row: list[Any] = [*self.id_values(p), len(p.replications)]
            for m in TRADEOFF:
                s = p.stats.get(m) or {}
                row += [s.get("mean"), s.get("ci_low"), s.get("ci_high")]
            row += [standing.on_frontier, standing.status, by_p90.status]
            rows.append([*row, standing.separate_with, standing.status == OVERLOADED])
        return columns, rows

    def id_columns(self) -> list[str]:
        return ["point", *self.keys]

    def id_values(self, p: PointResult) -> list[Any]:
        return [p.label, *(p.point.values.get(k) for k in self.keys)]

    def own_tables(self) -> dict[str, tuple[list[str], list[list[Any]]]]:
        return {"tradeoff": self.tradeoff()}

    def scenario_files(self) -> dict[str, str]:
        return {"scenario.toml": self.base.to_toml()} if self.base is not None else {}

    def plan_notes(self) -> dict[str, Any]:
        return {"notes": self.notes, "keys": self.keys}

    def point_extras(self, i: int) -> dict[str, Any]:
        standing = self.standings()[i]
        return {
            "pareto": standing.on_frontier,
            "frontier": {"mean": standing.status, "p90": self.standings(P90)[i].status},
            "separate_with": standing.separate_with,
            "behind": standing.behind,
        }

    def text(self) -> str:
        """The trade-off table printed by ``bordersim sweep``."""
        name = self.default_name()
        counts = sorted({len(p.replications) for p in self.points})
        reps = (
            f"{counts[0]} replications each"
            if len(counts) == 1
            else f"{counts[0]}-{counts[-1]} replications"
        )
        lines = [
            f"Sweep of {name} over {' and '.join(self.keys)}: {len(self.points)} points under "
            f"common random numbers (seed {self.seed}, {reps}).",
            "Estimates ± half-width of the 95% confidence interval; clearance time counts "
            "shipments still inside as censored.",
            "* = efficient: no other point beats it on both.  ~ = in the band: beaten on the "
            "means, but not beyond the noise.",
            "! = OVERLOADED: its queues do not keep up, its figures are not to be trusted, "
            "never efficient.",
        ]
        lines += [f"Note: {n}." for n in self.notes]
        lines.append("")
        levers = self.points[0].point.scenario.scenario.levers if self.points else {}
        levers = {k: v.model_dump() for k, v in levers.items()}
        header = [
            *(lever_label(k, levers) for k in self.keys),
            *(["reps"] if self.plan.auto else []),
            "clearance h (mean)",
            "interception",
            "inspection",
            "within 24 h",
            "",
        ]
        table = [header]
        standings = self.standings()
        for p, standing in zip(self.points, standings, strict=True):
            s = p.stats
            table.append(
                [
                    *(lever_value(k, p.point.values[k], levers) for k in self.keys),
                    *([str(len(p.replications))] if self.plan.auto else []),
                    cell(s.get(TIME)),
                    cell(s.get(CATCH), 1, True),
                    cell(s.get("inspection_rate"), 1, True),
                    cell(s.get(WITHIN_DAY), 1, True),
                    MARKS.get(standing.status, ""),
                ]
            )
        widths = [max(len(r[c]) for r in table) for c in range(len(header))]
        nkeys = len(self.keys)
        for r in table:
            cells = [
                r[c].ljust(widths[c]) if c < nkeys else r[c].rjust(widths[c])
                for c in range(len(header))
            ]
            lines.append(("  " + "   ".join(cells)).rstrip())
        lines += [
            f"Warning: {p.label} is OVERLOADED: {overload_reason(p.stats)}."
            for p in self.points
            if overloaded(p.stats)
        ]
        band = [(p, st) for p, st in zip(self.points, standings, strict=True) if st.status == BAND]
        if band:
            lines.append(
                f"{len(band)} point(s) in the band: they cannot be told from the frontier with "
                f"these replications (about how many would tell each from the point ahead):"
            )
            for p, st in band[:10]:
                ahead = self.points[st.behind].label if st.behind is not None else "?"
                needed = f"about {st.separate_with}" if st.separate_with else "many more"
                lines.append(f"  {p.label}: {needed} replications, against {ahead}")
        if self.plan.auto:
            missed = [p for p in self.points if p.precision and not p.precision.reached]
            if missed:
                lines.append(
                    f"{len(missed)} point(s) stopped at the maximum of {self.plan.maximum} "
                    f"replications before reaching ±{self.plan.precision:.0%}: "
                    + ", ".join(p.label for p in missed[:5])
                    + (" ..." if len(missed) > 5 else "")
                )
            else:
                lines.append(
                    f"Every point reached the precision target (±{self.plan.precision:.0%} of "
                    "the mean)."
                )
        return "\n".join(lines)


def sweep(
    scenario: str | Path | Scenario,
    vary: Sequence[str] | Mapping[str, Any] | str,
    *,
    replications: int | str | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    policy: Any = None,
    progress: bool | None = None,
    executor: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    plugins: Sequence[str] = (),
    out: str | Path | None = None,
    resume: str | Path | None = None,
    format: str = "csv",
    command: list[str] | None = None,
) -> SweepResult:
    """Run a scenario over a grid of one or two keys.

    ``vary`` is a list of ``"KEY=START:STOP:COUNT"`` or ``"KEY=V1,V2,..."`` texts (as on the
    command line) or a ``{key: [values] or "spec"}`` mapping. ``overrides`` (``--set``) apply
    before the sweep. A scenario's ``[variants]`` are not part of a sweep.

    With ``out`` each point is written to that folder as it finishes, and the tables at the
    end; ``resume`` continues such a folder, running only the points it lacks, with exactly
    the results an uninterrupted sweep gives. The other arguments are those of
    :func:`sim.run`.
    """
    options = RunOptions.of(
        replications=replications,
        seed=seed,
        overrides=overrides,
        policy=policy,
        progress=progress,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        precision=precision,
        max_replications=max_replications,
        plugins=plugins,
        out=out,
        resume=resume,
        format=format,
        command=command,
    )
    return sweep_with(scenario, vary, options)


def sweep_with(
    scenario: str | Path | Scenario,
    vary: Sequence[str] | Mapping[str, Any] | str,
    options: RunOptions,
) -> SweepResult:
    """:func:`sweep` with its arguments as one :class:`RunOptions`."""
    if isinstance(scenario, Scenario):
        origin = f"<{scenario.scenario.name}>"
        raw = scenario.to_dict()
    else:
        origin = str(scenario)
        raw = read_toml(scenario)
    where = origin
    overrides = options.overrides
    if overrides:
        raw = apply_overrides(raw, list(overrides), origin)
        where = with_overrides(origin, overrides)
    base = from_dict(raw, where)
    parsed = parse_all(vary, origin)
    data = {k: v for k, v in raw.items() if k != "variants"}
    common_seed = options.common_seed(base)
    fixed = options.fixed
    plan = Replications.of(options, fixed if fixed is not None else base.scenario.replications)
    notes = []
    if base.variants:
        notes.append(f"the file's variants ({', '.join(base.variants)}) are not part of a sweep")
    points = sweep_points(data, parsed, origin, common_seed, plan.count)
    base_data = copy.deepcopy(data)
    base_data["scenario"] = {
        **base_data["scenario"],
        "seed": common_seed,
        "replications": plan.count,
    }
    return run_points(  # type: ignore[return-value]
        SweepResult,
        points,
        options,
        seed=common_seed,
        plan=plan,
        notes=notes,
        extra={
            "keys": [v.key for v in parsed],
            "base": from_dict(base_data, where),
            "files": [] if isinstance(scenario, Scenario) else [str(Path(scenario).resolve())],
        },
    )


__all__ = [
    "SweepResult",
    "Vary",
    "pareto_efficient",
    "parse_all",
    "parse_vary",
    "sweep",
    "sweep_with",
]
