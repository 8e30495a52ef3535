"""Calibration: the free parameters of a scenario fitted to a country's own Time Release Study.

``calibrate(scenario, targets, free)`` searches the free parameters (``KEY=LOW:HIGH``, see
:mod:`sim.experiment.free`) for the scenario whose outputs best match the published figures of a
target file (:mod:`sim.schema.targets`). Optuna's TPE sampler proposes trials through
ask-and-tell, in batches of ``max(1, workers)``; each batch runs on the one executor opened for
the whole search (serial, processes or Dask), every trial with the same replication seeds
(common random numbers), so two trials differ by their parameters and not by their luck.

The loss of a trial is ``sum(weight * ((mean - value) / scale) ** 2)`` over the figures, the
mean over the trial's replications; ``scale`` is the figure's ``sd`` if published, else its
tolerance times its value. After the search the best trial is run again with twice the
replications (the same seeds first), which gives each figure's fitted mean and 95% interval;
the parameter ranges consistent with the targets are those of the trials whose loss is within
the chi-square 95% quantile (one degree of freedom per free parameter) of the best; and each
figure the best misses is set against the figures that the trials meeting it then miss.

With ``out`` the study is kept in ``<out>/study.log`` (Optuna's journal file): every finished
trial is there, and the same search given that folder again runs only the missing ones (as
``resume=True``, which insists that the folder hold one); finished, it is complete
(:class:`~sim.files.store.AlreadyFinished`), and a folder of other inputs is refused: the rule
for an existing ``--out`` that run, compare and sweep follow. Each trial is proposed from
the trials finished before its batch (and its batch's earlier ones, as running), by a sampler
seeded afresh from the seed and the trial's position, so a search resumed anywhere, inside a
batch included, proposes what an uninterrupted one would have. The batch width (``workers``)
is part of the search, and so of its reproduce command.
"""

from __future__ import annotations

import hashlib
import math
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.engine import Point, PointResult, execute, open_executor, using
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.replications import Replications
from sim.experiment.study import (
    STUDY,
    check_finished,
    complete,
    open_study,
    propose,
    require_optuna,
)
from sim.experiment.study import bar as _bar
from sim.experiment.study import digest as _digest
from sim.experiment.study import rounded as _rounded
from sim.experiment.study import sampler_seed as _sampler_seed
from sim.experiment.study import set_key as _set
from sim.files.write import (
    FolderLock,
    OutputError,
    check_destination,
    manifest,
    write_atomic,
    write_json,
    write_table,
)
from sim.measure.statistics import CONFIDENCE, summarise
from sim.schema import Scenario

HEADER = "# Calibrated by bordersim calibrate"
STUDY_NAME = "calibration"
LEVEL = 0.95
"""The chi-square quantile that bounds the trials consistent with the targets."""
FAILED_LOSS = 1e12
"""The loss of a trial whose figures could not be computed (a metric missing, NaN)."""
FEW = 3
"""Fewer trials than this meeting a figure are too few to call the figures it misses a
conflict: the message says more trials may find a fit meeting them all."""
INSTALL = (
    "bordersim calibrate needs optuna and tomlkit: run `make test`, or "
    "`.venv/bin/pip install -e '.[calibrate]'` in the project's folder"
)


# --------------------------------------------------------------------------- the result


@dataclass
class CalibrationResult:
    """What a calibration found: the best values, the fit per figure, the consistent ranges,
    the conflicts, every trial, the reproduce command and the calibrated scenario's text."""

    best: dict[str, Any]
    fit: list[dict[str, Any]]
    ranges: dict[str, tuple[float, float]]
    conflicts: list[str]
    trials: list[tuple[dict[str, Any], float]]
    command: str
    scenario_toml: str
    best_loss: float = math.nan
    threshold: float = math.nan
    info: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    details: list[dict[str, Any]] = field(default_factory=list)
    """Per trial (as ``trials``): its number, each figure's mean, and whether it is consistent."""

    def _details(self) -> list[dict[str, Any]]:
        return self.details if len(self.details) == len(self.trials) else [{}] * len(self.trials)

    @property
    def met(self) -> bool:
        """Whether the best meets every figure within its tolerance."""
        return all(row["met"] for row in self.fit)

    def to_dict(self) -> dict[str, Any]:
        """Everything of the result, as ``calibration.json`` holds it."""
        return {
            **self.info,
            "best": self.best,
            "best_loss": self.best_loss,
            "threshold": self.threshold,
            "met": self.met,
            "fit": self.fit,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "conflicts": self.conflicts,
            "trials": [
                {"params": p, "loss": loss, **extra}
                for (p, loss), extra in zip(self.trials, self._details(), strict=True)
            ],
            "command": self.command,
        }

    def text(self) -> str:
        """The fit table, the ranges and the conflicts, as ``bordersim calibrate`` prints."""
        name = self.info.get("target", {}).get("name", "the targets")
        lines = [
            f"Calibration to {name}: {len(self.trials)} trials, best loss {self.best_loss:.3g}.",
            "",
        ]
        table = [["figure", "published", "fitted (95% interval)", "error", "tolerance", ""]]
        for row in self.fit:
            fitted = _num(row["fitted"])
            if row["ci_low"] is not None and row["ci_high"] is not None:
                fitted += f" ({_num(row['ci_low'])}-{_num(row['ci_high'])})"
            table.append(
                [
                    row["name"],
                    _num(row["value"]),
                    fitted,
                    f"{row['error_share']:+.1%}" if _finite(row["error_share"]) else "-",
                    f"±{row['tolerance']:.0%}",
                    "met" if row["met"] else "MISSED",
                ]
            )
        widths = [max(len(r[c]) for r in table) for c in range(len(table[0]))]
        for r in table:
            cells = [r[0].ljust(widths[0]), *(r[c].rjust(widths[c]) for c in range(1, len(r)))]
            lines.append(("  " + "   ".join(cells)).rstrip())
        lines += ["", "Best values, and the range consistent with the targets:"]
        for key, value in self.best.items():
            low, high = self.ranges.get(key, (value, value))
            lines.append(f"  {key} = {_num(value)}   ({_num(low)} to {_num(high)})")
        if self.conflicts:
            lines += ["", "Figures that cannot all be met with these free parameters:"]
            lines += [f"  {c}" for c in self.conflicts]
        else:
            lines += ["", "Every figure is met within its tolerance."]
        lines += ["", f"Reproduce: {self.command}"]
        return "\n".join(lines)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _num(x: Any) -> str:
    if not _finite(x):
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- figures and loss


def _figure_values(figures: Sequence[Any], reps: list[dict[str, float]]) -> list[list[float]]:
    """Each figure's value in each replication (its metrics summed; NaN where one is missing)."""
    return [[sum(rep.get(m, math.nan) for m in f.metric) for rep in reps] for f in figures]


def _scale(targets: Any, figure: Any) -> float:
    return float(targets.scale_of(figure))


def _allowed(targets: Any, figure: Any) -> float:
    """How far the fitted mean may be from the published value and still meet it."""
    return float(targets.allowed_error(figure))


def _meets(targets: Any, figure: Any, mean: float) -> bool:
    return bool(targets.met(figure, mean))


def _means(figures: Sequence[Any], reps: list[dict[str, float]]) -> list[float]:
    out = []
    for values in _figure_values(figures, reps):
        arr = np.array(values, dtype=float)
        out.append(float(arr.mean()) if arr.size and not np.isnan(arr).any() else math.nan)
    return out


def loss_of(targets: Any, means: Sequence[float]) -> float:
    """``sum(weight * ((mean - value) / scale) ** 2)``; :data:`FAILED_LOSS` if a mean is NaN."""
    total = 0.0
    for figure, mean in zip(targets.figures, means, strict=True):
        if not math.isfinite(mean):
            return FAILED_LOSS
        weight = 1.0 if figure.weight is None else float(figure.weight)
        total += weight * ((mean - figure.value) / _scale(targets, figure)) ** 2
    return min(total, FAILED_LOSS)


# --------------------------------------------------------------------------- the search


def _require() -> Any:
    return require_optuna(INSTALL)


def _open_study(optuna: Any, out: Path | None, resume: bool, inputs: dict[str, Any]) -> Any:
    """The study: in ``<out>/study.log`` (new, or resumed with the same inputs) or in memory."""
    return open_study(
        optuna,
        out,
        resume,
        inputs,
        name=STUDY_NAME,
        same="the same scenario, targets, --free, --replications, --seed and --workers",
    )


def _targets_digest(targets: Any, path: Path | None) -> str:
    if path is not None:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    figures = [
        (f.name, list(f.metric), f.value, f.sd, targets.tolerance_of(f), f.weight)
        for f in targets.figures
    ]
    return _digest(figures)


def calibrate(
    scenario: str | Path | Scenario,
    targets: Any,
    free: Sequence[str],
    *,
    trials: int = 60,
    replications: int = 5,
    seed: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    executor: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    crn: bool = True,
    command: str | None = None,
    write_scenario: str | Path | None = None,
) -> CalibrationResult:
    """Fit the ``free`` parameters (``"KEY=LOW:HIGH[:int|:log]"``) of ``scenario`` to the
    figures of ``targets`` (a target file or a loaded ``Targets``); see the module's notes.
    Every input is checked before anything runs. With ``out`` the results are written there
    (``calibration.json``, ``fit.csv``, ``trials.csv``, ``calibrated.toml``, ``study.log``,
    ``manifest.json``); ``resume`` continues a search interrupted there. With
    ``write_scenario`` the calibrated scenario file is also written to that path (in a folder
    that exists), and named in its own reproduce command."""
    from sim.experiment.free import apply, check_targets, load_targets, parse_free

    optuna = _require()
    started = time.perf_counter()
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ExperimentError(f"trials must be a whole number of at least 1, got {trials!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ExperimentError(
            f"replications must be a whole number of at least 1, got {replications!r}"
        )
    if isinstance(free, str):
        free = [free]
    base_path = None if isinstance(scenario, Scenario) else Path(scenario)
    if base_path is not None:
        from sim.scenario import load_scenario

        base = load_scenario(base_path)
    else:
        base = scenario
    target_path = Path(targets) if isinstance(targets, str | Path) else None
    goal = load_targets(target_path) if target_path is not None else targets
    params = parse_free(list(free), base)
    if not params:
        raise ExperimentError("nothing to calibrate: give at least one --free KEY=LOW:HIGH")
    check_targets(goal, base, str(target_path) if target_path is not None else "targets")
    common = base.scenario.seed if seed is None else int(seed)
    folder = Path(out) if out is not None else None
    if folder is not None and not (folder / STUDY).exists():
        check_destination(folder)  # a folder holding a study is checked by _open_study
    written = Path(write_scenario) if write_scenario is not None else None
    if written is not None and (written.is_dir() or not written.parent.is_dir()):
        raise OutputError(
            f"--write-scenario {written}: a file's path in an existing folder is needed"
        )
    inputs = {
        "scenario": _digest(base.to_dict()),
        "targets": _targets_digest(goal, target_path),
        "free": [[p.key, p.low, p.high, p.kind] for p in params],
        "replications": replications,
        "seed": common,
        "crn": crn,
    }
    width = max(1, workers or 1)
    if width > 1:  # the batch width shapes the search (absent: one, as in older study logs)
        inputs["workers"] = width
    command = command or _command(
        base_path, target_path, free, trials, replications, common, width, out, written
    )
    finished = _digest({**inputs, "trials": trials})  # what a finished folder's manifest says
    lock = FolderLock.acquire(folder) if folder is not None else None
    try:
        check_finished(folder, "calibration", STUDY_NAME, finished, "calibration.json")
        study = _open_study(optuna, folder, resume, inputs)

        def applied(scenario: Scenario, values: dict[str, Any]) -> Scenario:
            return apply(scenario, values, list(params))

        options = RunOptions.of(executor=executor, workers=workers, progress=False)
        plan = Replications(replications)
        probe = [Point("trial", base)] * width
        ex = open_executor(options, probe, plan)
        with using(ex, executor):
            _search(
                optuna,
                study,
                goal,
                base,
                params,
                trials,
                width,
                ex,
                options,
                plan,
                common,
                crn,
                progress,
                applied,
            )
            result = _conclude(
                study, goal, base, params, ex, options, replications, common, applied
            )
        result.command = command
        result.scenario_toml = calibrated_toml(base, base_path, params, result.best, goal, command)
        result.info = {
            "target": {
                "name": goal.target.name,
                "source": goal.target.source,
                "file": str(target_path) if target_path is not None else None,
            },
            "scenario": {
                "name": base.scenario.name,
                "file": str(base_path) if base_path is not None else None,
            },
            "free": [{"key": p.key, "low": p.low, "high": p.high, "kind": p.kind} for p in params],
            "replications": replications,
            "seed": common,
            "crn": crn,
        }
        if folder is not None:
            write_outputs(folder, result, study, time.perf_counter() - started, finished)
            result.folder = folder
        if written is not None:
            write_atomic(written, result.scenario_toml)
    finally:
        if lock is not None:
            lock.release()
    return result


def _search(
    optuna: Any,
    study: Any,
    goal: Any,
    base: Scenario,
    params: Sequence[Any],
    trials: int,
    width: int,
    ex: Any,
    options: RunOptions,
    plan: Replications,
    seed: int,
    crn: bool,
    progress: bool | None,
    apply: Callable[[Scenario, dict[str, Any]], Scenario],
) -> None:
    """Propose, run and record batches of trials until ``trials`` are finished.

    A trial is proposed from a copy in memory of the study as it stood when its batch was
    proposed: the trials finished before the batch, and the batch's earlier trials still
    running (the sampler's constant liar counts them), the sampler seeded by the trial's
    position. A trial enters the study only once run, complete. So a search resumed inside a
    batch (stopped after a number of trials that is not a multiple of the width, or with
    trials asked and never told) proposes what an uninterrupted one would have."""
    from optuna.samplers import TPESampler

    def sampler(position: int) -> Any:
        return TPESampler(seed=_sampler_seed(seed, position))

    done = complete(optuna, study)
    bar = _bar(trials, min(len(done), trials), progress)
    try:
        position = len(done)
        while position < trials:
            start = position - position % width  # batches aligned on multiples of the width
            size = min(start + width - position, trials - position)
            proposals = propose(optuna, done[:start], done[start:position], params, sampler, size)
            points = [
                Point(f"trial {position + k}", apply(base, values), values)
                for k, (values, _) in enumerate(proposals)
            ]
            results = _run(points, options, seed, plan, ex, crn, position)
            for (values, distributions), res in zip(proposals, results, strict=True):
                means = _means(goal.figures, res.replications)
                frozen = optuna.trial.create_trial(
                    params=values,
                    distributions=distributions,
                    value=loss_of(goal, means),
                    user_attrs={"figures": [m if math.isfinite(m) else None for m in means]},
                )
                study.add_trial(frozen)
            done = complete(optuna, study)
            position += size
            bar.update(size)
    finally:
        bar.close()


def _run(
    points: list[Point],
    options: RunOptions,
    seed: int,
    plan: Replications,
    ex: Any,
    crn: bool,
    position: int,
) -> list[PointResult]:
    """Every trial with the same seeds (common random numbers), or the trial at position k
    with seed + k."""
    if crn:
        return execute(points, options, seed=seed, replications=plan, executor=ex)
    return [
        execute([p], options, seed=seed + position + k, replications=plan, executor=ex)[0]
        for k, p in enumerate(points)
    ]


def _conclude(
    study: Any,
    goal: Any,
    base: Scenario,
    params: Sequence[Any],
    ex: Any,
    options: RunOptions,
    replications: int,
    seed: int,
    apply: Callable[[Scenario, dict[str, Any]], Scenario],
) -> CalibrationResult:
    """Rerun the best trial with twice the replications; the fit, ranges and conflicts."""
    import optuna
    from scipy.stats import chi2

    done = complete(optuna, study)
    best_trial = min(done, key=lambda t: (t.value, t.number))
    best = {p.key: best_trial.params[p.key] for p in params}
    plan = Replications(2 * replications)
    point = Point("best", apply(base, best), best)
    rerun = execute([point], options, seed=seed, replications=plan, executor=ex)[0]
    fit = fit_rows(goal, rerun.replications)
    best_loss = float(best_trial.value)
    threshold = best_loss + float(chi2.ppf(LEVEL, len(params)))
    consistent = [t for t in done if t.value <= threshold]
    ranges = {
        p.key: (
            min(t.params[p.key] for t in consistent),
            max(t.params[p.key] for t in consistent),
        )
        for p in params
    }
    history = [(t.params, [_nan(m) for m in t.user_attrs.get("figures", [])]) for t in done]
    return CalibrationResult(
        best=best,
        fit=fit,
        ranges=ranges,
        conflicts=conflicts(goal, fit, history),
        trials=[({p.key: t.params[p.key] for p in params}, float(t.value)) for t in done],
        details=[
            {
                "number": t.number,
                "figures": t.user_attrs.get("figures"),
                "consistent": t.value <= threshold,
            }
            for t in done
        ],
        command="",
        scenario_toml="",
        best_loss=best_loss,
        threshold=threshold,
    )


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def fit_rows(goal: Any, reps: list[dict[str, float]]) -> list[dict[str, Any]]:
    """One row per figure: published, fitted mean and 95% interval, error, tolerance, met."""
    rows = []
    for figure, values in zip(goal.figures, _figure_values(goal.figures, reps), strict=True):
        if len(figure.metric) == 1:  # the summary's own estimate (a share's pooled one)
            name = figure.metric[0]
            stats = summarise([{name: v} for v in values], CONFIDENCE)[name]
        else:
            stats = summarise([{"sum": v} for v in values], CONFIDENCE)["sum"]
        mean = _nan(stats["mean"])
        error = (mean - figure.value) / abs(figure.value) if figure.value else mean
        rows.append(
            {
                "name": figure.name,
                "metric": list(figure.metric),
                "value": figure.value,
                "sd": figure.sd,
                "fitted": mean,
                "ci_low": stats["ci_low"],
                "ci_high": stats["ci_high"],
                "error_share": error,
                "tolerance": goal.tolerance_of(figure),
                "allowed": _allowed(goal, figure),
                "weight": 1.0 if figure.weight is None else figure.weight,
                "met": _meets(goal, figure, mean),
            }
        )
    return rows


def conflicts(
    goal: Any, fit: list[dict[str, Any]], history: list[tuple[dict[str, Any], list[float]]]
) -> list[str]:
    """For each figure the best misses, in plain words: either no trial met it (and how close
    the nearest came), or the trials that met it missed other figures (and by how much)."""
    figures = goal.figures
    out = []
    for i, row in enumerate(fit):
        if row["met"]:
            continue
        f = figures[i]
        meeting = [m for _, m in history if len(m) == len(figures) and _meets(goal, f, m[i])]
        miss = f"'{f.name}' (published {_num(f.value)}, fitted {_num(row['fitted'])}, " + (
            f"{row['error_share']:+.0%})" if _finite(row["error_share"]) else "no value)"
        )
        if not meeting:
            closest = [m[i] for _, m in history if len(m) == len(figures) and _finite(m[i])]
            near = min(closest, key=lambda v: abs(v - f.value)) if closest else math.nan
            out.append(
                f"{miss} is met by none of the {len(history)} trials; the nearest came to "
                f"{_num(near)} ({_off(near, f.value)}): run more trials (--trials), widen a "
                "range or free another key."
            )
            continue
        costs = []
        for j, g in enumerate(figures):
            if j == i:
                continue
            misses = [m[j] for m in meeting if not _meets(goal, g, m[j])]
            if len(misses) == len(meeting):  # every trial meeting f misses g
                nearest = min(misses, key=lambda v: abs(v - g.value))
                costs.append(
                    f"'{g.name}' (published {_num(g.value)}; at best {_num(nearest)}, "
                    f"{_off(nearest, g.value)}, tolerance ±{goal.tolerance_of(g):.0%})"
                )
        if costs and len(meeting) < FEW:
            out.append(
                f"{miss} is met by only {len(meeting)} of the {len(history)} trials, which "
                f"miss {'; '.join(costs)}: too few to call it a conflict; run more trials "
                "(--trials) before widening a range or freeing another key."
            )
        elif costs:
            out.append(
                f"{miss} conflicts with {'; '.join(costs)}: the {len(meeting)} trial(s) that "
                f"meet it all miss {'these' if len(costs) > 1 else 'this'}."
            )
        else:
            out.append(
                f"{miss} is met by {len(meeting)} trial(s) that miss no single other figure "
                "every time; more trials may find a fit that meets them all."
            )
    return out


def _off(value: float, published: float) -> str:
    if not _finite(value) or not published:
        return "no value"
    return f"{(value - published) / abs(published):+.0%} off"


# --------------------------------------------------------------------------- the outputs


def _command(
    base_path: Path | None,
    target_path: Path | None,
    free: Sequence[str],
    trials: int,
    replications: int,
    seed: int,
    width: int,
    out: str | Path | None,
    written: Path | None,
) -> str:
    """The command that makes the same search: every input that moves a number spelled out
    (the batch width, ``--workers``, among them: a batch is proposed before any of its trials
    is run), with where it writes."""
    words = [
        "bordersim",
        "calibrate",
        str(base_path) if base_path is not None else "<scenario>",
        str(target_path) if target_path is not None else "<targets>",
    ]
    for text in free:
        words += ["--free", text]
    words += ["--trials", str(trials), "--replications", str(replications), "--seed", str(seed)]
    if width > 1:
        words += ["--workers", str(width)]
    if out is not None:
        words += ["--out", str(out)]
    if written is not None:
        words += ["--write-scenario", str(written)]
    return shlex.join(words)


def calibrated_toml(
    base: Scenario,
    base_path: Path | None,
    params: Sequence[Any],
    best: dict[str, Any],
    goal: Any,
    command: str,
) -> str:
    """The base file's own text (its comments kept) with each free key set to its fitted
    value (floats to 4 significant digits), under a header with the reproduce command and the
    date. The comment of each line holding a fitted key says what was fitted there and the
    published figures it serves, in place of the base's comment about its own value."""
    import tomlkit

    text = base_path.read_text(encoding="utf-8") if base_path is not None else base.to_toml()
    doc = tomlkit.parse(text)
    figures = ", ".join(f"{f.name} {f.value:g}" for f in goal.figures)
    lines: dict[int, tuple[Any, list[str]]] = {}
    for p in params:
        item, fitted = _set(doc, p.key.split("."), _rounded(best[p.key]))
        lines.setdefault(id(item), (item, []))[1].append(fitted)
    for item, fitted in lines.values():
        if hasattr(item, "comment"):
            item.comment(f"{', '.join(fitted)} calibrated to {goal.target.name}: {figures}")
    header = (
        f"{HEADER} on {date.today().isoformat()} to "
        f"{goal.target.name} ({goal.target.source}).\n# Reproduce: {command}\n"
    )
    body = tomlkit.dumps(doc)
    # A file calibrated before: its header is replaced, not stacked.
    lines = [
        line
        for line in body.splitlines(keepends=True)
        if not line.startswith((HEADER, "# Reproduce: bordersim calibrate"))
    ]
    if lines and lines[0].startswith("#:schema"):
        return lines[0] + header + "".join(lines[1:])
    return header + "".join(lines)


def write_outputs(
    folder: Path, result: CalibrationResult, study: Any, wall: float, inputs: str | None = None
) -> None:
    """``calibration.json``, ``fit.csv``, ``trials.csv``, ``calibrated.toml`` and
    ``manifest.json`` in ``folder`` (beside ``study.log``), each written atomically; the
    manifest records the digest of the search's ``inputs`` (a rerun of them is complete)."""
    import optuna

    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "calibration.json", result.to_dict())
    columns = [
        "name",
        "metric",
        "value",
        "fitted",
        "ci_low",
        "ci_high",
        "error_share",
        "tolerance",
        "met",
    ]
    rows = [[r[c] if c != "metric" else "+".join(r[c]) for c in columns] for r in result.fit]
    write_table(folder, "fit", columns, rows)
    keys = list(result.best)
    names = [r["name"] for r in result.fit]
    columns = ["trial", *keys, "loss", "consistent", *names]
    rows = []
    for t in complete(optuna, study):
        figs = t.user_attrs.get("figures") or [None] * len(names)
        rows.append(
            [t.number, *(t.params[k] for k in keys), t.value, t.value <= result.threshold, *figs]
        )
    write_table(folder, "trials", columns, rows)
    write_atomic(folder / "calibrated.toml", result.scenario_toml)
    fields = {"kind": "calibration", "target": result.info.get("target"), "inputs": inputs}
    write_json(folder / "manifest.json", manifest(fields, shlex.split(result.command), wall))


__all__ = ["CalibrationResult", "calibrate", "calibrated_toml", "conflicts", "fit_rows", "loss_of"]
