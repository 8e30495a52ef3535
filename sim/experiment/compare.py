"""Comparisons: several scenarios, or variants of one, side by side under common random numbers.

Every point (a scenario file, or one of its ``[variants.<name>]``) runs with the same seed and
the same replications, so replication *i* of each sees the same shipments; the difference of a
metric between a point and the first is then computed replication by replication, and its
95% t-interval is a *paired* one, much narrower than comparing two independent intervals.

A variant overrides only the keys it names, as ``--set`` would: its tables merge into the
base's key by key and any other value replaces the base's. One exception: a variant that
changes ``policy.kind`` replaces the whole ``[policy]`` table, since the settings of one kind
of policy mean nothing to another.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiment.engine import Point
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.points import ExperimentResult, run_points
from sim.experiment.replications import Replications
from sim.files.layout import STATS
from sim.files.text import interval
from sim.measure.names import key_rows
from sim.measure.statistics import overload_reason, overloaded, paired_differences
from sim.scenario import apply_overrides, from_dict, read_toml, set_key
from sim.schema import Scenario, ScenarioError

RESERVED = {
    ("scenario", "seed"): "every point shares one seed (common random numbers): set it in the "
    "base's [scenario] or with --seed",
    ("scenario", "replications"): "every point shares the replications: set them in the base's "
    "[scenario] or with --replications",
    ("variants",): "variants cannot hold variants",
}


def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with the keys ``override`` names replaced (tables merged key by key); a
    distribution (a table with ``dist``) is replaced whole, as ``--set`` does, and a new
    ``policy.kind`` replaces the whole ``[policy]`` table. ``base`` is not changed: the tables
    that ``override`` reaches into are copied, the rest shared (a large distribution is never
    copied, once per variant), and ``override``'s values are copied."""

    def into(dst: dict[str, Any], src: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(dst)
        for key, value in src.items():
            if (
                isinstance(value, Mapping)
                and "dist" not in value
                and isinstance(out.get(key), dict)
            ):
                out[key] = into(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out

    policy = override.get("policy")
    if (
        isinstance(policy, Mapping)
        and "kind" in policy
        and policy["kind"] != (base.get("policy") or {}).get("kind")
    ):
        base = {**base, "policy": {}}
    return into(base, override)


def expand_dotted(table: Mapping[str, Any]) -> dict[str, Any]:
    """``{"policy.rates.red": 0.3}`` as ``{"policy": {"rates": {"red": 0.3}}}`` (for Python
    callers; TOML files nest already). A table given twice, dotted and nested, is merged."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        parts = str(key).split(".")
        if isinstance(value, Mapping):
            value = expand_dotted(value)
            held = _get(out, parts)
            if isinstance(held, dict):
                value = merge(held, value)
        try:
            set_key(out, parts, value, "variants")
        except ScenarioError:
            raise ExperimentError(f"variant key {key!r} conflicts with another key") from None
    return out


def _get(data: dict[str, Any], parts: list[str]) -> Any:
    node: Any = data
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _reserved(table: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    problems = []
    for key, value in table.items():
        path = (*prefix, str(key))
        if path in RESERVED:
            problems.append((".".join(path), RESERVED[path]))
        elif isinstance(value, Mapping):
            problems += _reserved(value, path)
    return problems


@dataclass
class Source:
    """One scenario to compare, as data: its base and its variants."""

    label: str
    origin: str  # names it in error messages
    data: dict[str, Any]  # after --set, without variants
    scenario: Scenario
    variants: dict[str, dict[str, Any]]


def load_source(item: Any, overrides: Sequence[str], label: str | None = None) -> Source:
    """One scenario to compare, read and validated (with its ``--set`` overrides)."""
    from sim.scenario import with_overrides

    if isinstance(item, Scenario):
        origin = f"<{item.scenario.name}>"
        raw = item.to_dict()
    elif isinstance(item, str | Path):
        origin = str(item)
        raw = read_toml(item)
    else:
        raise ExperimentError(f"expected a scenario file or a Scenario to compare, got {item!r}")
    source = origin
    if overrides:
        raw = apply_overrides(raw, list(overrides), origin)
        source = with_overrides(origin, overrides)
    scenario = from_dict(raw, source)
    data = {k: v for k, v in raw.items() if k != "variants"}
    return Source(label or scenario.scenario.name, source, data, scenario, scenario.variants or {})


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._") or "point"


def build_points(sources: list[Source], seed: int, count: int) -> tuple[list[Point], list[str]]:
    """Every base and variant, validated with the common seed and replications."""
    points: list[Point] = []
    notes: list[str] = []
    seen: set[str] = set()

    def unique(label: str) -> str:
        base, k = label, 2
        while label in seen:
            label = f"{base}-{k}"
            k += 1
        seen.add(label)
        return label

    common = {"seed": seed, "replications": count}
    first = sources[0].scenario.scenario
    for source in sources:
        own = source.scenario.scenario
        for key, value in common.items():
            if getattr(own, key) != getattr(first, key):
                notes.append(
                    f"{source.origin} sets {key} {getattr(own, key)}; every scenario runs with "
                    f"{key} {value} (common random numbers)"
                )
        data = dict(source.data)  # merge and from_dict never change their input: no deep copy
        data["scenario"] = {**data.get("scenario", {}), **common}
        base_label = unique(source.label)
        points.append(Point(base_label, from_dict(data, source.origin)))
        for name, table in source.variants.items():
            problems = _reserved(table)
            if problems:
                raise ScenarioError(
                    source.origin, [(f"variants.{name}.{p}", m) for p, m in problems]
                )
            merged = merge(data, table)
            try:
                scenario = from_dict(merged, source.origin)
            except ScenarioError as err:
                raise ScenarioError(
                    source.origin,
                    [(f"variants.{name}" + (f".{p}" if p else ""), m) for p, m in err.problems],
                ) from None
            label = name if len(sources) == 1 else f"{source.label}.{name}"
            points.append(Point(unique(label), scenario, {}))
    return points, notes


@dataclass
class CompareResult(ExperimentResult):
    """Points side by side; :meth:`differences` against the first, paired."""

    kind = "compare"
    origins: list[int] = field(default_factory=list)
    """For each point, which of :attr:`files` (or scenarios given) it came from."""

    @property
    def reference(self) -> str:
        return self.points[0].label

    def differences(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{label: {metric: {"mean", "ci_low", "ci_high", ...}}}`` of each point minus the
        first (the reference), paired by replication."""
        ref = self.points[0].replications
        return {p.label: paired_differences(ref, p.replications) for p in self.points[1:]}

    def id_columns(self) -> list[str]:
        return ["scenario"]

    def own_tables(self) -> dict[str, tuple[list[str], list[list[Any]]]]:
        diffs = self.differences()
        long_rows = [
            [label, self.reference, metric, *(s[k] for k in STATS)]
            for label, by_metric in diffs.items()
            for metric, s in by_metric.items()
        ]
        columns = ["metric"]
        for p in self.points:
            columns += [f"{p.label} mean", f"{p.label} ci_low", f"{p.label} ci_high"]
        for label in diffs:
            d = f"{label} - {self.reference}"
            columns += [f"{d} mean", f"{d} ci_low", f"{d} ci_high"]
        metrics: list[str] = []
        for p in self.points:
            metrics += [m for m in p.stats if m not in metrics]
        wide_rows = []
        for metric in metrics:
            row: list[Any] = [metric]
            for p in self.points:
                s = p.stats.get(metric) or {}
                row += [s.get("mean"), s.get("ci_low"), s.get("ci_high")]
            for by_metric in diffs.values():
                s = by_metric.get(metric) or {}
                row += [s.get("mean"), s.get("ci_low"), s.get("ci_high")]
            wide_rows.append(row)
        return {
            "comparison": (columns, wide_rows),
            "differences": (["scenario", "reference", "metric", *STATS], long_rows),
        }

    def _file_names(self) -> list[str]:
        """Where each point's scenario is written in the folder, in point order."""
        names: list[str] = []
        for p in self.points:
            name = _safe(p.label)
            k = 2
            while f"scenarios/{name}.toml" in names:
                name = f"{_safe(p.label)}-{k}"
                k += 1
            names.append(f"scenarios/{name}.toml")
        return names

    def scenario_files(self) -> dict[str, str]:
        return {
            rel: p.point.scenario.to_toml()
            for rel, p in zip(self._file_names(), self.points, strict=True)
        }

    def point_extras(self, i: int) -> dict[str, Any]:
        where: dict[str, Any] = {"scenario_file": self._file_names()[i]}
        if i < len(self.origins):
            where["source"] = self.origins[i]
        if i == 0:
            return where
        ref = self.points[0].replications
        return {
            **where,
            "reference": self.reference,
            "differences": paired_differences(ref, self.points[i].replications),
        }

    def text(self) -> str:
        """The side-by-side table printed by ``bordersim compare``."""
        first = self.points[0].point.scenario
        counts = sorted({len(p.replications) for p in self.points})
        reps = (
            f"{counts[0]} replications each"
            if len(counts) == 1
            else f"{counts[0]}-{counts[-1]} replications"
        )
        shown = [p.point.scenario.scenario.label or p.label for p in self.points]
        lines = [
            f"Comparison of {len(self.points)} scenarios under common random numbers "
            f"(seed {self.seed}, {reps}).",
            f"Estimates with their 95% confidence intervals. The rows 'vs {shown[0]}' are "
            "paired differences,",
            "replication by replication (* where the interval excludes 0; pp = percentage points).",
        ]
        lines += [f"Note: {n}." for n in self.notes]
        lines.append("")
        diffs = self.differences()
        header = ["", *shown]
        table: list[list[str]] = [header]
        if self.plan.auto:
            table.append(["Replications (auto)", *(str(len(p.replications)) for p in self.points)])
        for label, key, pct in key_rows(first.scenario.target_hours):
            digits = 1 if pct else 2
            table.append([f"{label}", *(cell(p.stats.get(key), digits, pct) for p in self.points)])
            row = [f"  vs {shown[0]}", ""]
            for p in self.points[1:]:
                row.append(_diff(diffs[p.label].get(key), digits, pct))
            table.append(row)
        widths = [max(len(r[c]) for r in table) for c in range(len(header))]
        for r in table:
            cells = [r[0].ljust(widths[0])] + [r[c].rjust(widths[c]) for c in range(1, len(header))]
            lines.append(("  " + "   ".join(cells)).rstrip())
        lines += [
            f"Warning: {p.label} is OVERLOADED: {overload_reason(p.stats)}."
            for p in self.points
            if overloaded(p.stats)
        ]
        if self.plan.auto:
            for p in self.points:
                if p.precision is not None and not p.precision.reached:
                    lines.append(f"{p.label}: {p.precision.describe()}.")
        return "\n".join(lines)


def cell(s: dict[str, Any] | None, digits: int = 2, pct: bool = False) -> str:
    """The estimate with its interval (shares in %), or n/a: see
    :func:`sim.files.text.interval`."""
    return interval(s, digits, pct)


def _diff(s: dict[str, Any] | None, digits: int, pct: bool) -> str:
    if not s or s["mean"] is None:
        return "n/a"
    scale, unit = (100.0, " pp") if pct else (1.0, "")
    text = f"{s['mean'] * scale:+.{digits}f}{unit}"
    half = s["half_width"]
    if half is not None:
        text += f" ± {half * scale:.{digits}f}"
        if s["ci_low"] > 0 or s["ci_high"] < 0:
            text += " *"
        else:
            text += "  "
    return text


def compare(
    scenarios: Any,
    *,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
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
) -> CompareResult:
    """Run scenarios side by side under common random numbers.

    ``scenarios`` is a scenario file (or :class:`Scenario`) whose ``[variants]`` are compared
    with it, a list of them, or a ``{label: file or Scenario}`` mapping. ``variants`` adds
    variants to the first, as ``{name: {"policy.rates.red": 0.3, ...}}``. ``overrides``
    (``--set``) apply to every base before its variants. ``seed`` and ``replications`` default
    to the first scenario's and are shared by every point.

    With ``out`` each point is written to that folder as it finishes, and the tables at the
    end; ``resume`` continues such a folder, running only the points it lacks. The other
    arguments are those of :func:`sim.run`.
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
    return compare_with(scenarios, options, variants)


def compare_with(
    scenarios: Any,
    options: RunOptions,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> CompareResult:
    """:func:`compare` with its arguments as one :class:`RunOptions`."""
    if isinstance(scenarios, Mapping):
        items = [(str(k), v) for k, v in scenarios.items()]
    elif isinstance(scenarios, str | Path | Scenario):
        items = [(None, scenarios)]
    else:
        items = [(None, s) for s in scenarios]
    if not items:
        raise ExperimentError("nothing to compare: give at least one scenario")
    sources = [load_source(item, options.overrides, label) for label, item in items]
    if variants:
        extra = {str(name): expand_dotted(table) for name, table in variants.items()}
        sources[0].variants = {**sources[0].variants, **extra}
    first = sources[0].scenario
    common_seed = options.common_seed(first)
    fixed = options.fixed
    plan = Replications.of(options, fixed if fixed is not None else first.scenario.replications)
    points, notes = build_points(sources, common_seed, plan.count)
    if len(points) < 2:
        raise ExperimentError(
            f"nothing to compare in {sources[0].origin}: give two or more scenario files, or "
            "add [variants.<name>] tables to the file"
        )
    return run_points(  # type: ignore[return-value]
        CompareResult,
        points,
        options,
        seed=common_seed,
        plan=plan,
        notes=notes,
        extra={
            "files": [str(Path(i).resolve()) for _, i in items if isinstance(i, str | Path)],
            "origins": [k for k, src in enumerate(sources) for _ in range(1 + len(src.variants))],
        },
    )


__all__ = [
    "CompareResult",
    "cell",
    "compare",
    "compare_with",
    "expand_dotted",
    "merge",
    "paired_differences",
]
