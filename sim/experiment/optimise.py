"""Optimisation: the decision values of a scenario (``--decide KEY=LOW:HIGH``) that do best on
one or more metrics of summary.json, subject to constraints on others, with statistics a
decision can rest on.

``optimise(scenario, maximise=..., minimise=..., subject_to=[...], decide=[...])`` searches
with Optuna's TPE sampler (one objective, or several: its multi-objective form), in batches
of ``max(1, workers)`` trials run on one executor for the whole search (serial, processes or
Dask), every trial on the same replication seeds (common random numbers). The constraints go
to the sampler as Optuna's trial constraints (Optuna 5, ``create_trial(constraints=...)`` as
``Trial.set_constraint`` stores them): each finished trial carries its violations (at most 0
when the constraint holds at the confidence), and the sampler prefers feasible trials.

A trial is *feasible* only when each constraint holds at the stated confidence: the one-sided
bound of the metric's interval over the replications is on the right side of the value
(:mod:`sim.experiment.constraints`), so a mean just meeting it is not enough; and, as in a
sweep, only when its queues keep up (``overloaded`` in fewer than half its replications).

One objective: the leading feasible trials (``select`` of them, distinct values) go to a
ranking-and-selection stage (:mod:`sim.experiment.selection`: sequential elimination with
Bonferroni-adjusted paired t-tests on fresh replications shared by every candidate, ``rounds``
rounds at most); the best left is recommended, and those it cannot be told from are tied with
it. Several objectives: the constrained Pareto set, the feasible trials that no other feasible
trial beats on every objective's mean, each with its intervals.

With ``out`` the study is kept in ``<out>/study.log`` (Optuna's journal file): every finished
trial is there, with its constraints and replications, and the same search given that folder
again runs only the missing ones (as ``resume=True``, which insists that the folder hold one);
finished, it is complete, and a folder of other inputs is refused (the rule for an existing
``--out``: :func:`sim.experiment.study.check_finished`). Each trial is proposed from the trials
finished before its batch (and its batch's earlier ones, as running), by a sampler seeded
afresh from the seed and the trial's position, so a search resumed anywhere, inside a batch
included, ends where an uninterrupted one does, with the same replications counted.
"""

from __future__ import annotations

import math
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.constraints import Constraint, judge_all, parse_constraints, unknown_metric
from sim.experiment.engine import Point, execute, open_executor, using
from sim.experiment.options import ExperimentError, RunOptions
from sim.experiment.replications import Replications
from sim.experiment.selection import pareto, rank, select
from sim.experiment.study import (
    STUDY,
    bar,
    check_finished,
    complete,
    digest,
    open_study,
    propose,
    require_optuna,
    sampler_seed,
    set_commented,
)
from sim.experiment.study import rounded as _rounded
from sim.files.bottom_line import point_words
from sim.files.write import (
    FolderLock,
    check_destination,
    manifest,
    write_atomic,
    write_json,
    write_table,
)
from sim.measure import names as metric_names
from sim.measure.statistics import summarise
from sim.schema import Scenario
from sim.schema.targets import TargetError

HEADER = "# Optimised by bordersim optimise"
STUDY_NAME = "optimisation"
INSTALL = (
    "bordersim optimise needs optuna and tomlkit: run `make test`, or "
    "`.venv/bin/pip install -e '.[optimise]'` in the project's folder"
)
WORST = 1e12
OVERLOADED = "overloaded"
"""The metric that flags a replication whose queues do not keep up: a candidate overloaded in
half its replications or more is infeasible, whatever its constraints (its clearance times are
only lower bounds that grow with the length of the run)."""
"""The objective told for a trial whose objective has no value (worst in its direction)."""
_WORDS = {
    "interception_rate": "share of illicit shipments intercepted",
    "inspection_rate": "share of shipments inspected",
    "selection_rate": "share of shipments selected",
    "clearance_hours_mean": "mean clearance time (hours)",
    "legit.clearance_hours_mean": "mean clearance time of legitimate shipments (hours)",
    "leaks": "illicit shipments released per run",
}


def shown(metric: str, value: Any) -> str:
    """A metric's value as the answer says it: a share in per cent, else 4 digits."""
    if _finite(value) and metric_names.at_most_one(metric):
        return f"{value:.1%}"
    return _num(value)


def rule(metric: str, op: str, value: float) -> str:
    """A constraint in plain words: "at least 90% released within 24 h"."""
    limit = shown(metric, value).replace(".0%", "%")  # a limit as it was given: 90%, not 90.0%
    bound = f"{'at least' if op == '>=' else 'at most'} {limit}"
    hours = metric_names.within_hours(metric)
    if hours is not None and metric == f"within_{hours:g}h_share":
        return f"{bound} released within {hours:g} h"
    return f"{words(metric)} {bound}"


def words(metric: str) -> str:
    """A metric in plain words, where it has them (else its name)."""
    hours = metric_names.within_hours(metric)
    if hours is not None and metric == f"within_{hours:g}h_share":
        return f"share released within {hours:g} h"
    return _WORDS.get(metric, metric)


@dataclass(frozen=True)
class Objective:
    """A metric to maximise (``sign`` +1) or minimise (-1)."""

    metric: str
    sign: float

    @property
    def direction(self) -> str:
        return "maximize" if self.sign > 0 else "minimize"

    @property
    def verb(self) -> str:
        return "maximise" if self.sign > 0 else "minimise"


# --------------------------------------------------------------------------- the result


@dataclass
class OptimisationResult:
    """What an optimisation found: every trial, the selection (one objective) or the Pareto
    set (several), the recommendation, the plain-words answer, the reproduce command and the
    recommended scenario's text."""

    info: dict[str, Any]
    trials: list[dict[str, Any]]
    recommendation: dict[str, Any] | None
    selection: dict[str, Any] | None
    pareto: list[dict[str, Any]]
    command: str
    scenario_toml: str | None = None
    folder: Path | None = None
    answer: str = ""
    evaluations: int = 0
    """Replications run in all (search and selection), each a simulation of the scenario."""
    wall: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """Everything of the result, as ``optimisation.json`` holds it."""
        return {
            **self.info,
            "trials": self.trials,
            "selection": self.selection,
            "recommendation": self.recommendation,
            "pareto": self.pareto,
            "answer": self.answer,
            "evaluations": self.evaluations,
            "command": self.command,
        }

    def text(self) -> str:
        """The answer in a few lines, as ``bordersim optimise`` prints it."""
        feasible = sum(t["feasible"] for t in self.trials)
        lines = [
            f"Optimisation: {len(self.trials)} trials, {feasible} feasible at "
            f"{self.info['confidence']:.0%} confidence, {self.evaluations} replications run.",
            "",
            self.answer,
        ]
        if self.pareto:
            lines += ["", "Constrained Pareto set (means, with their intervals):"]
            for row in self.pareto:
                cells = [f"{k} = {_num(v)}" for k, v in row["params"].items()]
                cells += [
                    f"{o['metric']} {_num(o['mean'])} ({_num(o['ci_low'])}-{_num(o['ci_high'])})"
                    for o in row["objectives"]
                ]
                lines.append("  " + ", ".join(cells))
        lines += ["", f"Reproduce: {self.command}"]
        return "\n".join(lines)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _num(x: Any) -> str:
    if not _finite(x):
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- checks


def _count(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ExperimentError(f"{name} must be a whole number of at least {least}, got {value!r}")
    return value


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def parse_objectives(
    maximise: Sequence[str], minimise: Sequence[str], known: set[str]
) -> list[Objective]:
    """The objectives, maximised first: each a metric the scenario produces, none twice."""
    out: list[Objective] = []
    problems: list[tuple[str, str]] = []
    for flag, metrics, sign in (("--maximise", maximise, 1.0), ("--minimise", minimise, -1.0)):
        for metric in metrics:
            metric = metric.strip()
            if metric not in known:
                problems.append((f"{flag} {metric}", unknown_metric(metric, known)))
            elif any(o.metric == metric for o in out):
                problems.append((f"{flag} {metric}", "already an objective; give each once"))
            else:
                out.append(Objective(metric, sign))
    if problems:
        raise TargetError("objectives", problems, "invalid objective")
    if not out:
        raise ExperimentError("nothing to optimise: give --maximise METRIC or --minimise METRIC")
    return out


def _decisions(texts: list[str], base: Scenario, parse: Any) -> list[Any]:
    """The decided keys, parsed and checked as calibration's free parameters are; their
    messages worded for ``--decide``."""
    try:
        return parse(texts, base, source="--decide")
    except TargetError as err:
        problems = [
            (key, msg.replace("--free", "--decide").replace("free parameter", "decided key"))
            for key, msg in err.problems
        ]
        raise TargetError("--decide", problems, "invalid decided key") from None


# --------------------------------------------------------------------------- the search


def _round_seed(seed: int, round_: int) -> int:
    """The seed shared by every candidate in one round of the selection (apart from the
    search's own seeds)."""
    return int(np.random.SeedSequence([seed % 2**63, 1, round_]).generate_state(1)[0])


def _kept(metrics: Sequence[str]) -> list[str]:
    """The metrics a trial keeps per replication: the objectives' and constraints', and the
    counts their shares are pooled over."""
    out = dict.fromkeys([*metrics, OVERLOADED])
    for m in metrics:
        d = metric_names.denominator(m)
        if d is not None:
            out[d] = None
    return list(out)


def _overload(reps: list[dict[str, float]]) -> float:
    """The share of replications whose queues do not keep up (0 when none says)."""
    flags = [r.get(OVERLOADED, math.nan) for r in reps]
    flags = [f for f in flags if _finite(f)]
    return float(np.mean(flags)) if flags else 0.0


def _pack(reps: list[dict[str, float]], metrics: Sequence[str]) -> dict[str, list[float | None]]:
    return {m: [None if not _finite(r.get(m)) else float(r[m]) for r in reps] for m in metrics}


def _unpack(packed: dict[str, list[float | None]]) -> list[dict[str, float]]:
    n = max((len(v) for v in packed.values()), default=0)
    return [
        {m: math.nan if v[i] is None else float(v[i]) for m, v in packed.items()} for i in range(n)
    ]


def _estimates(
    objectives: Sequence[Objective], reps: list[dict[str, float]], confidence: float
) -> list[dict[str, Any]]:
    stats = summarise(reps, confidence)
    return [
        {
            "metric": o.metric,
            **{k: (stats.get(o.metric) or {}).get(k) for k in ("mean", "ci_low", "ci_high")},
        }
        for o in objectives
    ]


def optimise(
    scenario: str | Path | Scenario,
    *,
    maximise: str | Sequence[str] | None = None,
    minimise: str | Sequence[str] | None = None,
    subject_to: str | Sequence[str] | None = None,
    decide: str | Sequence[str] = (),
    trials: int = 40,
    replications: int = 5,
    seed: int | None = None,
    confidence: float = 0.95,
    select_top: int = 5,
    rounds: int = 5,
    out: str | Path | None = None,
    resume: bool = False,
    executor: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: str | None = None,
) -> OptimisationResult:
    """Search the ``decide`` keys (``"KEY=LOW:HIGH[:int|:log]"``) of ``scenario`` for the best
    ``maximise``/``minimise`` metrics subject to the ``subject_to`` constraints
    (``"METRIC>=VALUE"``, ``"METRIC<=VALUE"``); see the module's notes. Every input is checked
    before anything runs. With ``out`` the results are written there (``optimisation.json``,
    ``trials.csv``, ``pareto.csv`` with several objectives, ``recommended.toml`` with one,
    ``study.log``, ``manifest.json``); ``resume`` continues a search interrupted there."""
    from sim.experiment.free import apply, parse_free, produced_metrics

    optuna = require_optuna(INSTALL)
    started = time.perf_counter()
    _count("trials", trials, 1)
    if isinstance(replications, int) and not isinstance(replications, bool) and replications == 1:
        raise ExperimentError(
            "replications must be at least 2: each candidate is judged on an interval over its "
            "replications, got 1"
        )
    _count("replications", replications, 2)
    _count("select_top", select_top, 1)
    _count("rounds", rounds, 1)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, float | int)
        or not (0.5 <= confidence < 1)
    ):
        raise ExperimentError(f"confidence must be within 0.5-1 (e.g. 0.95), got {confidence!r}")
    confidence = float(confidence)
    base_path = None if isinstance(scenario, Scenario) else Path(scenario)
    if base_path is not None:
        from sim.scenario import load_scenario

        base = load_scenario(base_path)
    else:
        base = scenario
    decide = _as_list(decide)
    params = _decisions(decide, base, parse_free)
    if not params:
        raise ExperimentError("nothing to decide: give at least one --decide KEY=LOW:HIGH")
    known = produced_metrics(base)
    objectives = parse_objectives(_as_list(maximise), _as_list(minimise), known)
    constraints = parse_constraints(_as_list(subject_to), known)
    common = base.scenario.seed if seed is None else int(seed)
    folder = Path(out) if out is not None else None
    if folder is not None and not (folder / STUDY).exists():
        check_destination(folder)  # a folder holding a study is checked by open_study
    inputs = {
        "scenario": digest(base.to_dict()),
        "objectives": [[o.metric, o.sign] for o in objectives],
        "constraints": [c.text() for c in constraints],
        "decide": [[p.key, p.low, p.high, p.kind] for p in params],
        "replications": replications,
        "seed": common,
        "confidence": confidence,
    }
    command = command or _command(
        base_path,
        objectives,
        constraints,
        decide,
        trials,
        replications,
        common,
        confidence,
        select_top,
        rounds,
        out,
    )
    settings = {"trials": trials, "select": select_top, "rounds": rounds}
    finished = digest({**inputs, **settings})  # what a finished folder's manifest says
    lock = FolderLock.acquire(folder) if folder is not None else None
    try:
        check_finished(folder, "optimisation", STUDY_NAME, finished, "optimisation.json")
        study = open_study(
            optuna,
            folder,
            resume,
            inputs,
            name=STUDY_NAME,
            directions=[o.direction for o in objectives],
            same="the same scenario, objectives, --subject-to, --decide, --replications, "
            "--confidence and --seed",
        )
        search = _Search(
            optuna,
            study,
            base,
            params,
            objectives,
            constraints,
            replications,
            common,
            confidence,
            apply,
        )
        options = RunOptions.of(
            executor=executor, workers=workers, scheduler=scheduler, progress=False
        )
        width = max(1, workers or 1)
        plan = Replications(replications)
        ex = open_executor(options, [Point("trial", base)] * width, plan)
        with using(ex, executor):
            search.run(trials, width, ex, options, plan, progress)
            result = search.conclude(ex, options, select_top, rounds)
        result.command = command
        result.info = {
            "scenario": {
                "name": base.scenario.name,
                "file": str(base_path) if base_path is not None else None,
                "levers": {k: v.model_dump() for k, v in (base.scenario.levers or {}).items()},
            },
            "objectives": [{"metric": o.metric, "sense": o.verb} for o in objectives],
            "constraints": [
                {"metric": c.metric, "op": c.op, "value": c.value} for c in constraints
            ],
            "decide": [
                {"key": p.key, "low": p.low, "high": p.high, "kind": p.kind} for p in params
            ],
            "replications": replications,
            "seed": common,
            "confidence": confidence,
            "select": select_top,
            "rounds": rounds,
        }
        result.answer = answer(result.info, result.recommendation, result.selection, result.pareto)
        if result.recommendation is not None:
            result.scenario_toml = recommended_toml(
                base, base_path, params, result.recommendation, command
            )
        result.wall = time.perf_counter() - started
        if folder is not None:
            write_outputs(folder, result, result.wall, finished)
            result.folder = folder
    finally:
        if lock is not None:
            lock.release()
    return result


@dataclass
class _Search:
    """One optimisation's study and what its trials need."""

    optuna: Any
    study: Any
    base: Scenario
    params: Sequence[Any]
    objectives: Sequence[Objective]
    constraints: Sequence[Constraint]
    replications: int
    seed: int
    confidence: float
    apply_values: Any
    evaluations: int = 0
    metrics: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.metrics = _kept(
            [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        )

    def scenario(self, values: dict[str, Any]) -> Scenario:
        return self.apply_values(self.base, values, list(self.params))

    def run(
        self,
        trials: int,
        width: int,
        ex: Any,
        options: RunOptions,
        plan: Replications,
        progress: bool | None,
    ) -> None:
        """Propose, run and record batches of trials until ``trials`` are finished.

        Each trial is proposed from the study as it stood when its batch was proposed
        (:func:`sim.experiment.study.propose`) and enters the study only once run, complete
        with its constraints and replications; so a search resumed inside a batch (stopped
        after a number of trials that is not a multiple of the width, or with trials asked and
        never told) proposes what an uninterrupted one would have. ``evaluations`` counts the
        replications of the trials already in the study too."""
        from optuna.samplers import TPESampler

        startup = min(10, max(2, trials // 4))

        def sampler(position: int) -> Any:
            return TPESampler(seed=sampler_seed(self.seed, position), n_startup_trials=startup)

        done = complete(self.optuna, self.study)
        self.evaluations = sum(len(_unpack(t.user_attrs.get("reps", {}))) for t in done)
        directions = [o.direction for o in self.objectives]
        shown = bar(trials, min(len(done), trials), progress)
        try:
            position = len(done)
            while position < trials:
                start = position - position % width  # batches aligned on multiples of the width
                size = min(start + width - position, trials - position)
                proposals = propose(
                    self.optuna,
                    done[:start],
                    done[start:position],
                    self.params,
                    sampler,
                    size,
                    directions,
                )
                points = [
                    Point(f"trial {position + k}", self.scenario(v), v)
                    for k, (v, _) in enumerate(proposals)
                ]
                results = execute(points, options, seed=self.seed, replications=plan, executor=ex)
                self.evaluations += size * plan.count
                for (values, distributions), res in zip(proposals, results, strict=True):
                    self.study.add_trial(self._frozen(values, distributions, res.replications))
                done = complete(self.optuna, self.study)
                position += size
                shown.update(size)
        finally:
            shown.close()

    def _frozen(
        self, values: dict[str, Any], distributions: dict[str, Any], reps: list[dict[str, float]]
    ) -> Any:
        """A finished trial: its objectives' means (the worst in their direction where a mean
        has no value), its constraints' violations (at most 0 when one holds) and its
        replications."""
        judged = judge_all(self.constraints, reps, self.confidence)
        constraints = {
            c.text(): j["violation"] for c, j in zip(self.constraints, judged, strict=True)
        }
        constraints["queues keep up"] = _overload(reps) - 0.5 + 1e-9
        told = [
            est["mean"] if _finite(est["mean"]) else -o.sign * WORST
            for est, o in zip(
                _estimates(self.objectives, reps, self.confidence), self.objectives, strict=True
            )
        ]
        return self.optuna.trial.create_trial(
            params=values,
            distributions=distributions,
            values=told,
            user_attrs={"reps": _pack(reps, self.metrics)},
            constraints=constraints,
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every finished trial: its values, each objective's mean and interval, each
        constraint judged, and whether it is feasible."""
        out = []
        for t in complete(self.optuna, self.study):
            reps = _unpack(t.user_attrs.get("reps", {}))
            out.append(self.row(t.number, {p.key: t.params[p.key] for p in self.params}, reps))
        return out

    def row(
        self, number: int | None, values: dict[str, Any], reps: list[dict[str, float]]
    ) -> dict[str, Any]:
        judged = judge_all(self.constraints, reps, self.confidence)
        return {
            "number": number,
            "params": values,
            "replications": len(reps),
            "objectives": _estimates(self.objectives, reps, self.confidence),
            "constraints": [
                {"constraint": c.text(), **j} for c, j in zip(self.constraints, judged, strict=True)
            ],
            "overloaded": _overload(reps) >= 0.5,
            "feasible": all(j["holds"] for j in judged) and _overload(reps) < 0.5,
        }

    def conclude(self, ex: Any, options: RunOptions, top: int, rounds: int) -> OptimisationResult:
        rows = self.rows()
        feasible = [r["feasible"] for r in rows]
        if len(self.objectives) > 1:
            means = [
                [o["mean"] if _finite(o["mean"]) else math.nan for o in r["objectives"]]
                for r in rows
            ]
            signs = [o.sign for o in self.objectives]
            live = [i for i in range(len(rows)) if feasible[i]]
            marks = pareto([means[i] for i in live], signs) if live else []
            chosen = [live[k] for k, m in enumerate(marks) if m]
            seen: set[str] = set()
            front = []
            for i in sorted(chosen, key=lambda i: -signs[0] * means[i][0]):
                key = repr(sorted(rows[i]["params"].items()))
                if key not in seen:
                    seen.add(key)
                    front.append(rows[i])
            for i in chosen:
                rows[i]["pareto"] = True
            return OptimisationResult({}, rows, None, None, front, "", evaluations=self.evaluations)
        return self._select(rows, ex, options, top, rounds)

    def _select(
        self, rows: list[dict[str, Any]], ex: Any, options: RunOptions, top: int, rounds: int
    ) -> OptimisationResult:
        objective = self.objectives[0]
        means = [r["objectives"][0]["mean"] for r in rows]
        order = rank(means, objective.sign, [r["feasible"] for r in rows], len(rows))
        leaders: list[int] = []
        seen: set[str] = set()
        for i in order:
            key = repr(sorted(rows[i]["params"].items()))
            if key not in seen:
                seen.add(key)
                leaders.append(i)
            if len(leaders) == top:
                break
        if not leaders:
            return OptimisationResult(
                {},
                rows,
                None,
                {"candidates": [], "rounds": []},
                [],
                "",
                evaluations=self.evaluations,
            )
        plan = Replications(self.replications)

        def more(indices: list[int], round_: int) -> list[list[dict[str, float]]]:
            points = [
                Point(
                    f"candidate {k}",
                    self.scenario(rows[leaders[k]]["params"]),
                    rows[leaders[k]]["params"],
                )
                for k in indices
            ]
            res = execute(
                points, options, seed=_round_seed(self.seed, round_), replications=plan, executor=ex
            )
            self.evaluations += len(points) * plan.count
            return [r.replications for r in res]

        def holds(reps: list[dict[str, float]]) -> bool:
            judged = judge_all(self.constraints, reps, self.confidence)
            return all(j["holds"] for j in judged) and _overload(reps) < 0.5

        chosen = select(
            len(leaders),
            more,
            objective.metric,
            objective.sign,
            holds,
            confidence=self.confidence,
            rounds=rounds,
        )
        candidates = []
        for k, i in enumerate(leaders):
            row = self.row(rows[i]["number"], rows[i]["params"], chosen.replications[k])
            row["standing"] = (
                "selected"
                if k == chosen.best
                else "tied"
                if k in chosen.tied
                else chosen.standing[k]
            )
            candidates.append(row)
        selection = {
            "procedure": "sequential elimination, Bonferroni-adjusted paired t-tests",
            "level": chosen.level,
            "candidates": candidates,
            "rounds": [
                {
                    **r,
                    "replications": {str(k): v for k, v in r["replications"].items()},
                    "means": {str(k): v for k, v in r.get("means", {}).items()},
                    "tests": {str(k): v for k, v in r.get("tests", {}).items()},
                }
                for r in chosen.rounds
            ],
            "best": chosen.best,
            "tied": chosen.tied,
            "separated": chosen.separated,
        }
        recommendation = None
        if chosen.best is not None:
            recommendation = {
                **candidates[chosen.best],
                "tied": [candidates[k]["params"] for k in chosen.tied],
                "separated": chosen.separated,
            }
        return OptimisationResult(
            {}, rows, recommendation, selection, [], "", evaluations=self.evaluations
        )


# --------------------------------------------------------------------------- in plain words


def answer(
    info: dict[str, Any],
    recommendation: dict[str, Any] | None,
    selection: dict[str, Any] | None,
    front: list[dict[str, Any]],
) -> str:
    """The answer in plain words: what the best feasible values achieve, under which
    constraints, at which confidence, and whether it is told apart from the runners-up."""
    level = f"{info['confidence']:.0%}"
    rules = [rule(c["metric"], c["op"], c["value"]) for c in info["constraints"]]
    each = "each " if len(rules) > 1 else ""
    keeping = f" while keeping {' and '.join(rules)} ({each}at {level} confidence)" if rules else ""
    name = info["scenario"]["name"]
    if len(info["objectives"]) > 1:
        if not front:
            return f"In {name}, no trial met every constraint{keeping.replace('keeping', 'at')}."
        goals = " against ".join(f"{o['sense']} {words(o['metric'])}" for o in info["objectives"])
        return (
            f"In {name}, {len(front)} choice(s) trade {goals}{keeping}: none of them is beaten "
            "on every objective by another feasible trial (the constrained Pareto set below)."
        )
    objective = info["objectives"][0]
    most = "highest" if objective["sense"] == "maximise" else "lowest"
    if recommendation is None:
        return (
            f"In {name}, no trial met every constraint at {level} confidence: loosen a "
            "constraint, widen a --decide range, or run more trials or replications."
        )
    o = recommendation["objectives"][0]
    levers = info["scenario"].get("levers") or {}
    choice = point_words(recommendation["params"], levers)
    metric = objective["metric"]
    interval = ""
    if _finite(o.get("ci_low")) and _finite(o.get("ci_high")):
        interval = (
            f" ({level} interval {shown(metric, o['ci_low'])} to {shown(metric, o['ci_high'])})"
        )
    text = (
        f"In {name}, the {most} {words(metric)}{keeping} is {shown(metric, o['mean'])}"
        f"{interval}, with {choice}."
    )
    n = len(selection["candidates"]) if selection else 1
    if n == 1:
        return text + " It was the only feasible candidate."
    if recommendation["separated"]:
        return text + (
            f" It is better than each of the other {n - 1} leading candidates at {level} "
            f"confidence ({recommendation['replications']} paired replications)."
        )
    tied = recommendation["tied"]
    alts = "; ".join(point_words(t, levers) for t in tied)
    return text + (
        f" It cannot be told apart from {len(tied)} other candidate(s) at {level} confidence "
        f"after {recommendation['replications']} paired replications (a tie): {alts}."
    )


# --------------------------------------------------------------------------- the outputs


def _command(
    base_path: Path | None,
    objectives: Sequence[Objective],
    constraints: Sequence[Constraint],
    decide: Sequence[str],
    trials: int,
    replications: int,
    seed: int,
    confidence: float,
    top: int,
    rounds: int,
    out: str | Path | None,
) -> str:
    words_ = ["bordersim", "optimise", str(base_path) if base_path is not None else "<scenario>"]
    for o in objectives:
        words_ += [f"--{o.verb}", o.metric]
    for c in constraints:
        words_ += ["--subject-to", c.text()]
    for text in decide:
        words_ += ["--decide", text]
    words_ += ["--trials", str(trials), "--replications", str(replications), "--seed", str(seed)]
    if confidence != 0.95:
        words_ += ["--confidence", f"{confidence:g}"]
    if top != 5:
        words_ += ["--select", str(top)]
    if rounds != 5:
        words_ += ["--rounds", str(rounds)]
    if out is not None:
        words_ += ["--out", str(out)]
    return shlex.join(words_)


def recommended_toml(
    base: Scenario,
    base_path: Path | None,
    params: Sequence[Any],
    recommendation: dict[str, Any],
    command: str,
) -> str:
    """The base file's own text (its comments kept) with each decided key set to the
    recommended value (floats to 4 significant digits), commented with the objective and the
    constraints, under a header with the reproduce command and the date."""
    import tomlkit

    text = base_path.read_text(encoding="utf-8") if base_path is not None else base.to_toml()
    doc = tomlkit.parse(text)
    o = recommendation["objectives"][0]
    held = "; ".join(
        f"{c['constraint']} (mean {_num(c['mean'])}, bound {_num(c['bound'])})"
        for c in recommendation["constraints"]
    )
    note = f"optimised: {o['metric']} {_num(o['mean'])}" + (f" subject to {held}" if held else "")
    for p in params:
        set_commented(doc, p.key.split("."), _rounded(recommendation["params"][p.key]), note)
    header = f"{HEADER} on {date.today().isoformat()}.\n# Reproduce: {command}\n"
    lines = [
        line
        for line in tomlkit.dumps(doc).splitlines(keepends=True)
        if not line.startswith((HEADER, "# Reproduce: bordersim optimise"))
    ]
    if lines and lines[0].startswith("#:schema"):
        return lines[0] + header + "".join(lines[1:])
    return header + "".join(lines)


def write_outputs(
    folder: Path, result: OptimisationResult, wall: float, inputs: str | None = None
) -> None:
    """``optimisation.json``, ``trials.csv``, ``pareto.csv`` (several objectives),
    ``recommended.toml`` (one) and ``manifest.json`` in ``folder`` (beside ``study.log``),
    each written atomically; the manifest records the digest of the search's ``inputs`` (a
    rerun of them is complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "optimisation.json", result.to_dict())
    keys = [d["key"] for d in result.info["decide"]]
    columns, _ = _columns(result, keys)
    write_table(folder, "trials", columns, [_cells(r, keys) for r in result.trials])
    if len(result.info["objectives"]) > 1:
        write_table(folder, "pareto", columns, [_cells(r, keys) for r in result.pareto])
    if result.scenario_toml is not None:
        write_atomic(folder / "recommended.toml", result.scenario_toml)
    fields = {"kind": "optimisation", "answer": result.answer, "inputs": inputs}
    write_json(folder / "manifest.json", manifest(fields, shlex.split(result.command), wall))


def _columns(result: OptimisationResult, keys: list[str]) -> tuple[list[str], None]:
    columns = ["trial", *keys]
    for o in result.info["objectives"]:
        columns += [o["metric"], f"{o['metric']}_ci_low", f"{o['metric']}_ci_high"]
    for c in result.info["constraints"]:
        name = f"{c['metric']}{c['op']}{c['value']:g}"
        columns += [f"{name} bound", f"{name} holds"]
    return [*columns, "overloaded", "feasible"], None


def _cells(row: dict[str, Any], keys: list[str]) -> list[Any]:
    cells: list[Any] = [row["number"], *(row["params"][k] for k in keys)]
    for o in row["objectives"]:
        cells += [o["mean"], o["ci_low"], o["ci_high"]]
    for c in row["constraints"]:
        cells += [c["bound"], c["holds"]]
    return [*cells, row.get("overloaded", False), row["feasible"]]


__all__ = [
    "Objective",
    "OptimisationResult",
    "answer",
    "optimise",
    "parse_objectives",
    "recommended_toml",
    "words",
]
