"""Global sensitivity: which uncertain inputs of a scenario its conclusions hinge on.

``sensitivity(scenario, vary=["KEY=LOW:HIGH", ...])`` samples the inputs over their ranges with
SALib (Morris' elementary effects to screen many inputs; Sobol' indices, first-order and total,
for a few), runs every sample point as one evaluation of ``replications`` replications on the
executors, and analyses the mean of each metric. Without ``vary`` it takes every number the
scenario file marks as an assumption within +-``relative`` of its value
(:mod:`sim.experiment.assumptions`).

Every evaluation uses the same replication seeds (common random numbers), so two points differ
by their inputs and not by their luck: an input that does not touch a metric gives elementary
effects, and Sobol' differences, of exactly zero. The sample and the bootstrap of the
confidence intervals are seeded from the run's seed, so the same call gives the same indices
on any executor. Sample points that give the same scenario (whole-number keys are rounded as
:func:`sim.experiment.free.apply` does) are run once.

With ``out`` each evaluation is appended to ``<out>/evaluations.jsonl`` as it finishes, and
the same analysis given that folder again runs only the missing ones (as ``resume=True``,
which insists that the folder hold one); ``sensitivity.json``, ``indices.csv`` and
``manifest.json`` are written atomically at the end. Finished, the same analysis is complete
and one of other inputs is refused (the rule for an existing ``--out``:
:func:`sim.experiment.study.check_finished`).
"""

from __future__ import annotations

import json
import math
import shlex
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.engine import Point, PointResult, execute, open_executor, using
from sim.experiment.free import FreeParameter, apply, parse_free, produced_metrics
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.replications import Replications
from sim.experiment.study import check_finished, digest, sampler_seed
from sim.files.write import (
    FolderLock,
    MissingDependencyError,
    OutputError,
    check_destination,
    manifest,
    write_json,
    write_table,
)
from sim.schema import Scenario, ScenarioError, suggest
from sim.schema.targets import TargetError

METHODS = ("morris", "sobol")
HEADLINE = ("clearance_hours_mean", "within_24h_share", "interception_rate")
"""The metrics analysed when none are named: clearance time, release within 24 h, interception."""
SOBOL_MOST = 4
"""With no method named, Sobol' for at most this many inputs, Morris for more."""
SAMPLES = {"morris": 10, "sobol": 64}
"""Morris trajectories, or Sobol' base samples, when none are given."""
FEWEST = {"morris": 2, "sobol": 16}
LEVELS = 4
"""Morris' grid levels."""
RESAMPLES = 200
"""Bootstrap resamples for the 95% confidence of every index."""
CONFIDENCE = 0.95
EVALUATIONS = "evaluations.jsonl"
RESULT = "sensitivity.json"
INDEX_NAMES = {"morris": "mu_star", "sobol": "ST"}
INSTALL = (
    "bordersim sensitivity needs SALib and tomlkit: run `make test`, or "
    "`.venv/bin/pip install -e '.[sensitivity]'` in the project's folder"
)


# --------------------------------------------------------------------------- the result


@dataclass
class SensitivityResult:
    """What a sensitivity analysis found: the inputs and their ranges, the sample, each
    evaluation's metric means, and per metric the index of every input with its confidence."""

    method: str
    inputs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    metrics: list[str]
    samples: int
    replications: int
    seed: int
    points: list[list[float]]
    values: dict[str, list[float]]
    indices: dict[str, list[dict[str, Any]]]
    notes: dict[str, str]
    evaluations: int
    command: str = ""
    scenario: str = ""
    relative: float | None = None
    folder: Path | None = None
    wall_seconds: float = math.nan

    @property
    def index_name(self) -> str:
        """The index inputs are ranked by: Morris' mu* (in the metric's units), or Sobol'
        total-order ST (a share of the metric's variance)."""
        return INDEX_NAMES[self.method]

    def ranked(self, metric: str) -> list[dict[str, Any]]:
        """The inputs of ``metric``, the largest index first."""
        return sorted(self.indices.get(metric, []), key=lambda r: -_key(r["index"]))

    def to_dict(self) -> dict[str, Any]:
        """Everything of the result, as ``sensitivity.json`` holds it."""
        return {
            "kind": "sensitivity",
            "scenario": self.scenario,
            "method": self.method,
            "index": self.index_name,
            "relative": self.relative,
            "inputs": self.inputs,
            "skipped": self.skipped,
            "metrics": self.metrics,
            "samples": self.samples,
            "replications": self.replications,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "points": self.points,
            "values": self.values,
            "indices": self.indices,
            "notes": self.notes,
            "confidence": CONFIDENCE,
            "command": self.command,
        }

    def text(self) -> str:
        """The ranked indices per metric, as ``bordersim sensitivity`` prints them."""
        name = {"morris": "Morris screening", "sobol": "Sobol' indices"}[self.method]
        lines = [
            f"{name} of {self.scenario or 'the scenario'}: {len(self.inputs)} inputs, "
            f"{len(self.points)} sample points ({self.evaluations} evaluations of "
            f"{self.replications} replications).",
        ]
        taken = [i for i in self.inputs if i.get("origin") == "assumption"]
        if taken:
            lines.append(
                f"Inputs: the {len(taken)} values the file marks as assumptions, "
                f"each within ±{(self.relative or 0):.0%} of its value."
            )
        if self.skipped:
            lines.append(
                "Not varied: " + "; ".join(f"{s['key']} ({s['why']})" for s in self.skipped)
            )
        for metric in self.metrics:
            lines += ["", f"{metric}:"]
            if metric in self.notes:
                lines.append(f"  {self.notes[metric]}")
            rows = self.ranked(metric)
            if not rows:
                continue
            head = [
                "input",
                self.index_name,
                "±95%",
                *(["S1", "±95%"] if self.method == "sobol" else ["sigma"]),
            ]
            table = [head]
            for r in rows:
                extra = (
                    [_num(r["S1"]), _num(r["S1_conf"])]
                    if self.method == "sobol"
                    else [_num(r["sigma"])]
                )
                table.append([r["key"], _num(r["index"]), _num(r["conf"]), *extra])
            widths = [max(len(row[c]) for row in table) for c in range(len(head))]
            for row in table:
                cells = [
                    row[0].ljust(widths[0]),
                    *(row[c].rjust(widths[c]) for c in range(1, len(row))),
                ]
                lines.append(("  " + "   ".join(cells)).rstrip())
        lines += ["", f"Reproduce: {self.command}"]
        return "\n".join(lines)


def _key(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else -math.inf


def _num(x: Any) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "-"
    return f"{x:.3g}"


def measurable(row: dict[str, Any]) -> bool:
    """Whether an input's index is above zero beyond its 95% confidence."""
    index, conf = row.get("index"), row.get("conf")
    return _key(index) > 0 and _key(index) - max(_key(conf), 0.0) > 0


# --------------------------------------------------------------------------- checks


def _require() -> tuple[Any, Any]:
    try:
        import tomlkit  # noqa: F401
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise MissingDependencyError(INSTALL) from None
    return (morris_sample, morris_analyze), (sobol_sample, sobol_analyze)


def _whole(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ExperimentError(f"{name} must be a whole number of at least {least}, got {value!r}")
    return int(value)


def check_method(method: str | None, inputs: int) -> str:
    """The method: the one named (morris or sobol), else Sobol' for few inputs, Morris for many."""
    if method is None:
        return "sobol" if inputs <= SOBOL_MOST else "morris"
    if method not in METHODS:
        raise ExperimentError(f"--method {method!r} is not known; allowed: {', '.join(METHODS)}")
    return method


def check_samples(method: str, samples: int | None) -> int:
    """Morris trajectories (at least 2), or Sobol' base samples (a power of two, at least 16:
    the Sobol' sequence balances only at powers of two, and fewer give no usable interval)."""
    if samples is None:
        return SAMPLES[method]
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise ExperimentError(f"--samples must be a whole number, got {samples!r}")
    least = FEWEST[method]
    if method == "morris" and samples < least:
        raise ExperimentError(
            f"--samples {samples} is too few for Morris: at least {least} trajectories are "
            "needed for a confidence interval"
        )
    if method == "sobol" and (samples < least or samples & (samples - 1)):
        raise ExperimentError(
            f"--samples {samples} is too few for Sobol' or not a power of two: give a power of "
            f"two of at least {least} (16, 32, 64, 128...), the base samples of the Sobol' "
            "sequence"
        )
    return int(samples)


def check_metrics(metrics: Sequence[str] | None, scenario: Scenario) -> list[str]:
    """The metrics to analyse (the headline ones by default), each one the scenario produces;
    every unknown name refused together, with the nearest known one."""
    chosen = list(HEADLINE) if not metrics else list(dict.fromkeys(metrics))
    known = produced_metrics(scenario)
    problems = []
    for name in chosen:
        if name not in known:
            hint = suggest(name, sorted(known))
            problems.append(
                (
                    name,
                    "not a metric of this scenario's summary.json"
                    + (f" (did you mean '{hint}'?)" if hint else "")
                    + "; e.g. "
                    + ", ".join(HEADLINE),
                )
            )
    if problems:
        raise TargetError("--metric", problems, "unknown metric")
    return chosen


def _inputs(
    vary: Sequence[str] | None, base: Scenario, path: Path | None, relative: float
) -> tuple[list[FreeParameter], list[dict[str, Any]], list[dict[str, Any]]]:
    """The parameters, how each is described, and the assumptions that are not varied."""
    from sim.experiment import assumptions

    if vary:
        try:
            params = parse_free(list(vary), base, "--vary")
        except TargetError as err:  # said of --vary, not of calibrate's --free
            problems = [
                (key, text.replace("--free", "--vary").replace("free parameter", "input"))
                for key, text in err.problems
            ]
            raise TargetError("--vary", problems, "invalid input to vary") from None
        described = [
            {"key": p.key, "low": p.low, "high": p.high, "kind": p.kind, "origin": "vary"}
            for p in params
        ]
        return params, described, []
    if path is None:
        raise ExperimentError(
            "without --vary the inputs are the values the scenario file marks as assumptions: "
            "give the scenario as a file, or give --vary KEY=LOW:HIGH"
        )
    if not (isinstance(relative, int | float) and 0 < relative < 1):
        raise ExperimentError(f"--relative must be between 0 and 1 (a share), got {relative!r}")
    taken = assumptions.ranges(assumptions.find(path), base, float(relative))
    params, described, skipped = [], [], []
    for t in taken:
        a = t.assumption
        if t.param is None:
            skipped.append({"key": a.key, "value": a.value, "why": t.note})
            continue
        params.append(t.param)
        described.append(
            {
                "key": a.key,
                "low": t.param.low,
                "high": t.param.high,
                "kind": t.param.kind,
                "origin": "assumption",
                "value": a.value,
                "comment": a.comment,
                "note": t.note,
            }
        )
    if not params:
        raise ExperimentError(
            f"{path} marks no number as an assumption that can be varied: give --vary KEY=LOW:HIGH"
        )
    return params, described, skipped


# --------------------------------------------------------------------------- sampling


def problem(params: Sequence[FreeParameter]) -> dict[str, Any]:
    """SALib's problem: each input's bounds (a :log input's in log space)."""
    bounds = [
        [math.log(p.low), math.log(p.high)] if p.kind == "log" else [p.low, p.high] for p in params
    ]
    return {"num_vars": len(params), "names": [p.key for p in params], "bounds": bounds}


def values_at(row: Sequence[float], params: Sequence[FreeParameter]) -> dict[str, float]:
    """The inputs' values at one sample point (a :log input back from log space)."""
    return {
        p.key: math.exp(x) if p.kind == "log" else float(x)
        for p, x in zip(params, row, strict=True)
    }


def _seed(seed: int, purpose: int) -> int:
    """A seed for SALib derived from the run's seed (never 0: SALib's Sobol' analysis would
    then draw from numpy's global state)."""
    return sampler_seed(seed, purpose) % (2**31 - 1) + 1


def sample(method: str, params: Sequence[FreeParameter], samples: int, seed: int) -> np.ndarray:
    """The sample points (one row each), deterministic from ``seed``."""
    (morris_sample, _), (sobol_sample, _) = _require()
    spec = problem(params)
    if method == "morris":
        return morris_sample.sample(spec, samples, num_levels=LEVELS, seed=_seed(seed, 1))
    return sobol_sample.sample(spec, samples, calc_second_order=False, seed=_seed(seed, 1))


def analyse(
    method: str, params: Sequence[FreeParameter], points: np.ndarray, y: np.ndarray, seed: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Every input's index and its 95% confidence for one metric's values ``y`` (one per
    point); a note instead when the values cannot be analysed (missing, or all equal)."""
    (_, morris_analyze), (_, sobol_analyze) = _require()
    keys = [p.key for p in params]
    if not np.isfinite(y).all():
        missing = int((~np.isfinite(y)).sum())
        return [], (
            f"not analysed: the metric has no value at {missing} of the {y.size} sample points "
            "(e.g. a share of nothing)"
        )
    if np.ptp(y) == 0:
        rows = [{"key": k, "index": 0.0, "conf": 0.0} for k in keys]
        for r in rows:
            r.update(
                {"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
                if method == "sobol"
                else {"mu": 0.0, "mu_star": 0.0, "mu_star_conf": 0.0, "sigma": 0.0}
            )
        return rows, f"the metric is {y[0]:.6g} at every sample point: no input moves it"
    spec = problem(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "morris":
            out = morris_analyze.analyze(
                spec,
                points,
                y,
                num_resamples=RESAMPLES,
                conf_level=CONFIDENCE,
                num_levels=LEVELS,
                seed=_seed(seed, 2),
            )
            return [
                {
                    "key": k,
                    "index": _f(out["mu_star"][i]),
                    "conf": _f(out["mu_star_conf"][i]),
                    "mu": _f(out["mu"][i]),
                    "mu_star": _f(out["mu_star"][i]),
                    "mu_star_conf": _f(out["mu_star_conf"][i]),
                    "sigma": _f(out["sigma"][i]),
                }
                for i, k in enumerate(keys)
            ], None
        out = sobol_analyze.analyze(
            spec,
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            seed=_seed(seed, 2),
        )
    return [
        {
            "key": k,
            "index": _f(out["ST"][i]),
            "conf": _f(out["ST_conf"][i]),
            "S1": _f(out["S1"][i]),
            "S1_conf": _f(out["S1_conf"][i]),
            "ST": _f(out["ST"][i]),
            "ST_conf": _f(out["ST_conf"][i]),
        }
        for i, k in enumerate(keys)
    ], None


def _f(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- evaluations


class _Evaluations:
    """The finished evaluations in ``<out>/evaluations.jsonl``: one line per evaluation (its
    number and each replication's metrics), appended as it finishes; what ``execute`` needs
    of a store to skip the ones already there."""

    def __init__(self, path: Path | None, identity: str, metrics: Sequence[str], resume: bool):
        self.path = path
        self.metrics = list(metrics)
        self.done: dict[int, list[dict[str, float]]] = {}
        if path is None:
            return
        if resume and not path.exists():
            raise OutputError(
                f"{path.parent} holds no sensitivity analysis to resume (no {EVALUATIONS}); "
                "drop --resume"
            )
        if path.exists():
            self._read(identity)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"inputs": identity}) + "\n", encoding="utf-8")

    def _read(self, identity: str) -> None:
        assert self.path is not None
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            head = json.loads(lines[0]) if lines else {}
        except ValueError:
            head = {}
        if head.get("inputs") != identity:
            raise ExperimentError(
                f"{self.path.parent} holds a sensitivity analysis of other inputs; use the same "
                "scenario, inputs, --method, --metric, --samples, --replications and --seed to "
                "continue it, or choose another --out"
            )
        for line in lines[1:]:
            try:  # a line cut short by an interruption is run again
                item = json.loads(line)
                self.done[int(item["i"])] = [
                    {m: (math.nan if v is None else float(v)) for m, v in rep.items()}
                    for rep in item["reps"]
                ]
            except (ValueError, KeyError, TypeError, AttributeError):
                continue

    def load(self, i: int) -> list[dict[str, float]] | None:
        return self.done.get(i)

    def load_profile(self, i: int) -> None:
        return None

    def save(self, i: int, result: PointResult) -> None:
        reps = [{m: rep.get(m, math.nan) for m in self.metrics} for rep in result.replications]
        self.done[i] = reps
        if self.path is None:
            return
        plain = [{m: (v if math.isfinite(v) else None) for m, v in rep.items()} for rep in reps]
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"i": i, "reps": plain}) + "\n")


# --------------------------------------------------------------------------- the analysis


def sensitivity(
    scenario: str | Path | Scenario,
    vary: Sequence[str] | None = None,
    *,
    method: str | None = None,
    metrics: Sequence[str] | None = None,
    samples: int | None = None,
    replications: int = 5,
    seed: int | None = None,
    relative: float = 0.2,
    out: str | Path | None = None,
    resume: bool = False,
    executor: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: str | None = None,
) -> SensitivityResult:
    """The sensitivity of ``metrics`` (default: clearance time mean, within-24h share,
    interception rate) to the inputs ``vary`` (``"KEY=LOW:HIGH[:int|:log]"``; default: every
    number the scenario file marks as an assumption, within +-``relative``), by ``method``
    (``"morris"`` or ``"sobol"``; default Sobol' for at most four inputs). ``samples`` is
    Morris' trajectories or Sobol' base samples (a power of two); each sample point is run
    with ``replications`` replications on common random numbers. Every input is checked
    before anything runs; see the module's notes for ``out`` and ``resume``."""
    started = time.perf_counter()
    _require()
    replications = _whole("replications", replications, 1)
    if isinstance(vary, str):
        vary = [vary]
    path = None if isinstance(scenario, Scenario) else Path(scenario)
    if path is not None:
        from sim.scenario import load_scenario

        base = load_scenario(path)
    else:
        base = scenario  # type: ignore[assignment]
    params, described, skipped = _inputs(vary, base, path, relative)
    method = check_method(method, len(params))
    samples = check_samples(method, samples)
    chosen = check_metrics(metrics, base)
    common = base.scenario.seed if seed is None else int(seed)
    folder = Path(out) if out is not None else None
    if folder is not None and not (folder / EVALUATIONS).exists():
        check_destination(folder)
    points = sample(method, params, samples, common)
    command = command or _command(
        path, vary, method, chosen, samples, replications, common, relative, out
    )
    # One evaluation per distinct scenario: rounding whole-number keys merges sample points.
    scenarios: dict[str, int] = {}
    unique: list[Point] = []
    which: list[int] = []
    for row in points:
        values = values_at(row, params)
        try:
            applied = apply(base, values, list(params))
        except ScenarioError as err:
            raise ExperimentError(
                f"the inputs' ranges together make an invalid scenario at {values}: {err}"
            ) from None
        fingerprint = digest(applied.to_dict())
        if fingerprint not in scenarios:
            scenarios[fingerprint] = len(unique)
            unique.append(Point(f"evaluation {len(unique)}", applied, values))
        which.append(scenarios[fingerprint])
    identity = digest(
        {
            "scenario": base.to_dict(),
            "inputs": [[p.key, p.low, p.high, p.kind] for p in params],
            "method": method,
            "metrics": chosen,
            "samples": samples,
            "replications": replications,
            "seed": common,
        }
    )
    lock = FolderLock.acquire(folder) if folder is not None else None
    try:
        check_finished(folder, "sensitivity", "sensitivity analysis", identity, RESULT)
        store = _Evaluations(folder / EVALUATIONS if folder else None, identity, chosen, resume)
        options = RunOptions.of(
            executor=executor, workers=workers, scheduler=scheduler, progress=progress
        )
        plan = Replications(replications)
        ex = open_executor(options, unique, plan)
        with using(ex, executor):
            execute(
                unique,
                options,
                seed=common,
                replications=plan,
                executor=ex,
                store=store,  # type: ignore[arg-type]
                desc="evaluations",
            )
        means = {
            m: np.array([_mean(store.done[which[k]], m) for k in range(len(which))]) for m in chosen
        }
        indices, notes = {}, {}
        for m in chosen:
            rows, note = analyse(method, params, points, means[m], common)
            indices[m] = rows
            if note:
                notes[m] = note
        result = SensitivityResult(
            method=method,
            inputs=described,
            skipped=skipped,
            metrics=chosen,
            samples=samples,
            replications=replications,
            seed=common,
            points=[[float(x) for x in row] for row in points],
            values={m: [_f(v) for v in means[m]] for m in chosen},  # type: ignore[misc]
            indices=indices,
            notes=notes,
            evaluations=len(unique),
            command=command,
            scenario=base.scenario.name,
            relative=None if vary else float(relative),
        )
        result.wall_seconds = time.perf_counter() - started
        if folder is not None:
            write_outputs(folder, result, identity)
            result.folder = folder
    finally:
        if lock is not None:
            lock.release()
    return result


def _mean(reps: list[dict[str, float]], metric: str) -> float:
    values = np.array([rep.get(metric, math.nan) for rep in reps], dtype=float)
    return float(values.mean()) if values.size else math.nan


# --------------------------------------------------------------------------- the outputs


def _command(
    path: Path | None,
    vary: Sequence[str] | None,
    method: str,
    metrics: Sequence[str],
    samples: int,
    replications: int,
    seed: int,
    relative: float,
    out: str | Path | None,
) -> str:
    words = ["bordersim", "sensitivity", str(path) if path is not None else "<scenario>"]
    for text in vary or []:
        words += ["--vary", text]
    if not vary:
        words += ["--relative", f"{relative:g}"]
    words += ["--method", method]
    for m in metrics:
        words += ["--metric", m]
    words += ["--samples", str(samples), "--replications", str(replications)]
    words += ["--seed", str(seed)]
    if out is not None:
        words += ["--out", str(out)]
    return shlex.join(words)


def write_outputs(folder: Path, result: SensitivityResult, inputs: str | None = None) -> None:
    """``sensitivity.json``, ``indices.csv`` and ``manifest.json`` in ``folder`` (beside
    ``evaluations.jsonl``), each written atomically; the manifest records the digest of the
    analysis' ``inputs`` (a rerun of them is complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / RESULT, result.to_dict())
    extra = ["S1", "S1_conf"] if result.method == "sobol" else ["mu", "sigma"]
    columns = ["metric", "rank", "input", result.index_name, "conf", *extra, "measurable"]
    rows = []
    for m in result.metrics:
        for rank, r in enumerate(result.ranked(m), 1):
            rows.append(
                [
                    m,
                    rank,
                    r["key"],
                    r["index"],
                    r["conf"],
                    *(r.get(c) for c in extra),
                    measurable(r),
                ]
            )
    write_table(folder, "indices", columns, rows)
    fields = {
        "kind": "sensitivity",
        "scenario": result.scenario,
        "method": result.method,
        "inputs": inputs,
    }
    write_json(
        folder / "manifest.json",
        manifest(fields, shlex.split(result.command), result.wall_seconds),
    )


__all__ = [
    "HEADLINE",
    "METHODS",
    "SensitivityResult",
    "analyse",
    "check_method",
    "check_metrics",
    "check_samples",
    "measurable",
    "sample",
    "sensitivity",
]
