"""An Optuna study that a search keeps in its results folder, shared by ``calibrate`` and
``optimise``: the rule for an existing ``--out`` folder that run, compare and sweep follow
(:mod:`sim.files.store`: the same inputs finished are complete, unfinished are continued, other
inputs or other files are refused), which ``sensitivity`` follows too; opening (or continuing)
the study from ``<out>/study.log``, the sampler's seed for each
trial and the proposals of a batch from the study as it stood (so a search resumed anywhere,
inside a batch included, proposes what an uninterrupted one would have), a trial's values
from its free keys, the bar counting trials, and a scenario key set and commented in the base
file's own text (tomlkit keeps its comments).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiment.options import ExperimentError
from sim.files.layout import MANIFEST
from sim.files.store import WORDS, AlreadyFinished
from sim.files.write import MissingDependencyError, OutputError, clean

STUDY = "study.log"


def require_optuna(install: str) -> Any:
    """Optuna (and tomlkit, which writes the scenario), quietened; ``install`` says how to get
    them when they are missing."""
    try:
        import optuna
        import tomlkit  # noqa: F401
    except ImportError:
        raise MissingDependencyError(install) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def digest(data: Any) -> str:
    """A short fingerprint of plain data (to tell whether a resumed search has its inputs)."""
    text = json.dumps(clean(data), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_finished(folder: Path | None, kind: str, name: str, inputs: str, result: str) -> None:
    """The rule for an existing ``--out`` folder (:mod:`sim.files.store`) for a search whose
    manifest says ``kind`` and records its ``inputs`` (a :func:`digest`): a folder holding this
    search finished, its ``result`` file written, raises :class:`AlreadyFinished` (nothing runs
    again, nothing is rewritten); one holding the results of another command is refused. A
    folder holding this search unfinished, or finished with other inputs, is left to the search
    to continue or refuse, naming what changed."""
    if folder is None or not (folder / MANIFEST).is_file():
        return
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    held = data.get("kind") if isinstance(data, dict) else None
    if held != kind:
        held = str(held or "run")  # a run's manifest names no kind
        what = {**WORDS, "sensitivity": "sensitivity analysis"}.get(held, held)
        raise OutputError(f"{folder} holds {_a(what)}, not {_a(name)}; choose another --out")
    if data.get("inputs") == inputs and (folder / result).is_file():
        raise AlreadyFinished(folder, name)


def sampler_seed(seed: int, position: int) -> int:
    """The sampler's seed for the trial after ``position`` finished ones."""
    mixed = np.random.SeedSequence([seed % 2**63, position]).generate_state(1)[0]
    return int(mixed)


def propose(
    optuna: Any,
    before: list[Any],
    batch: list[Any],
    params: Sequence[Any],
    sampler: Callable[[int], Any],
    size: int,
    directions: Sequence[str] = ("minimize",),
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The values (and their distributions) of the next ``size`` trials, each proposed by
    ``sampler(position)`` (a sampler seeded for the trial's position) from a copy in memory of
    the study as it stood when their batch was proposed: the trials finished ``before`` it and
    the ``batch``'s trials already run, those as if still running (the sampler's constant liar
    counts them). So a search resumed inside a batch proposes what an uninterrupted one did."""
    running = optuna.trial.TrialState.RUNNING
    draft = optuna.create_study(directions=list(directions))
    draft.add_trials(before)
    for t in batch:
        draft.add_trial(
            optuna.trial.create_trial(state=running, params=t.params, distributions=t.distributions)
        )
    position = len(before) + len(batch)
    out = []
    for k in range(size):
        draft.sampler = sampler(position + k)
        trial = draft.ask()  # left running, as the batch's later trials saw it
        out.append((suggest(trial, params), dict(trial.distributions)))
    return out


def suggest(trial: Any, free: Sequence[Any]) -> dict[str, Any]:
    """The trial's value of each free parameter (:class:`sim.experiment.free.FreeParameter`)."""
    values: dict[str, Any] = {}
    for p in free:
        if p.kind == "int":
            values[p.key] = trial.suggest_int(p.key, int(p.low), int(p.high))
        else:
            values[p.key] = trial.suggest_float(
                p.key, float(p.low), float(p.high), log=p.kind == "log"
            )
    return values


def open_study(
    optuna: Any,
    out: Path | None,
    resume: bool,
    inputs: dict[str, Any],
    *,
    name: str = "calibration",
    directions: Sequence[str] = ("minimize",),
    same: str = "the same scenario, targets, --free, --replications and --seed",
) -> Any:
    """The study: in ``<out>/study.log`` (new, or continued when it holds the same ``inputs``;
    ``resume`` insists that it be there) or in memory. ``name`` says what the folder holds in
    messages; ``same`` what a continued search must be given again."""
    storage, study = None, None
    if out is not None:
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        log = out / STUDY
        if resume and not log.exists():
            raise OutputError(f"{out} holds no {name} to resume (no {STUDY}); drop --resume")
        out.mkdir(parents=True, exist_ok=True)
        held = log.exists()
        storage = JournalStorage(JournalFileBackend(str(log)))
        names = optuna.get_all_study_names(storage) if held else [name]
        if name not in names:
            kept = ", ".join(names) or "nothing"
            raise OutputError(
                f"{out} holds {_a(kept)} ({STUDY}), not {_a(name)}; choose another --out"
            )
        if held:  # loaded, not created again: a refused folder is left as it was
            study = optuna.load_study(study_name=name, storage=storage)
    if study is None:
        study = optuna.create_study(study_name=name, storage=storage, directions=list(directions))
    stored = study.user_attrs.get("inputs")
    if stored is None:
        study.set_user_attr("inputs", inputs)
    elif stored != inputs:
        changed = sorted(k for k in {*inputs, *stored} if stored.get(k) != inputs.get(k))
        raise ExperimentError(
            f"{out} holds {_a(name)} of other inputs ({', '.join(changed)} changed); use "
            f"{same} to continue it, or choose another --out"
        )
    # Trials asked but never told (an interrupted batch) are marked failed: run again.
    for t in study.get_trials(deepcopy=False):
        if t.state == optuna.trial.TrialState.RUNNING:
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    return study


def _a(name: str) -> str:
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


def complete(optuna: Any, study: Any) -> list[Any]:
    """The study's finished trials, by number."""
    states = (optuna.trial.TrialState.COMPLETE,)
    return sorted(study.get_trials(deepcopy=False, states=states), key=lambda t: t.number)


def bar(total: int, done: int, enabled: bool | None) -> Any:
    """A tqdm bar of trials on stderr: shown after a second of work, only on a terminal."""
    import sys

    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(
        total=total,
        initial=done,
        desc="trials",
        unit="trial",
        disable=not enabled,
        file=sys.stderr,
        leave=False,
        delay=1.0,
    )


def rounded(value: Any) -> Any:
    """A value as a written scenario holds it: whole numbers (and true, false) as they are,
    other numbers to 4 significant digits."""
    if isinstance(value, int):
        return value
    return float(f"{float(value):.4g}")


def set_key(doc: Any, parts: list[str], value: Any) -> tuple[Any, str]:
    """Set a dotted key in a tomlkit document; the item of the line that holds it (the key
    itself, or the inline table it sits in) and the key's name on that line."""
    import tomlkit
    from tomlkit.items import InlineTable

    node = doc
    line: tuple[Any, int] | None = None  # the inline table holding the key, and its depth
    for depth, part in enumerate(parts[:-1]):
        if part not in node:
            node[part] = tomlkit.table() if not isinstance(node, InlineTable) else {}
        if line is None and isinstance(node[part], InlineTable):
            line = (node[part], depth)
        node = node[part]
    node[parts[-1]] = value
    if line is None:
        return node[parts[-1]], parts[-1]
    return line[0], ".".join(parts[line[1] + 1 :])


def set_commented(doc: Any, parts: list[str], value: Any, note: str) -> None:
    """Set a dotted key in a tomlkit document and comment the line that holds it, keeping the
    line's own comment."""
    item, _ = set_key(doc, parts, value)
    if hasattr(item, "comment"):
        own = item.trivia.comment.lstrip("#").strip() if hasattr(item, "trivia") else ""
        if note in own:  # written before: the same note, not twice
            own = own[: own.index(note)].rstrip("; ")
        item.comment(f"{own}; {note}" if own else note)


__all__ = [
    "STUDY",
    "bar",
    "check_finished",
    "complete",
    "digest",
    "open_study",
    "propose",
    "require_optuna",
    "sampler_seed",
    "set_commented",
    "rounded",
    "set_key",
    "suggest",
]
