"""Regression baselines: every metric of each replication of each shipped scenario, shortened
and with its own seed, kept in ``tests/baselines/<scenario>.json``; and those of each of its
``[variants.<name>]``, in ``tests/baselines/<scenario>/<name>.json``, the variant applied as
``bordersim compare`` applies it (merged into the shortened base, run with the base's seed and
replications). The test suite compares a fresh run with them, so a change that moves a number
shows; when the move is meant, rewrite them and commit them with the change that explains it.

    python -m tools.baselines            # rewrite tests/baselines/ (make baselines)
    python -m tools.baselines --only baseline   # one scenario, by file stem
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import compare, load_scenario, replication_seeds
from sim.experiment.engine import Task, run_replication
from tools.paths import BASELINES, is_large, shipped_scenarios, shown

BASELINE_OVERRIDES = [
    "scenario.warmup_days=2",
    "scenario.days=14",
    "scenario.drain_days=3",
    "scenario.replications=3",
]
"""A shipped scenario shortened for its regression baseline: fast, but long enough that every
check and lane sees shipments."""
LARGE_OVERRIDES = [
    "scenario.warmup_days=1",
    "scenario.days=2",
    "scenario.drain_days=2",
    "scenario.replications=2",
]
"""A large scenario (a mail centre, :func:`tools.paths.is_large`) shortened for its baseline:
two counted days hold over 100,000 shipments a replication."""
REFRESH = "make baselines  (or: python -m tools.baselines)"
EXACT = (
    "shipments",
    "released",
    "intercepted",
    "censored",
    "illicit",
    "leaks",
    "spoiled",
    "post_release_detections",
)
EXACT_SUFFIXES = (".arrivals", ".queue_max", ".backlog_end")
REL_TOL = 1e-9


def overrides_for(scenario_file: Path) -> list[str]:
    """How a scenario file is shortened for its baselines."""
    return list(LARGE_OVERRIDES if is_large(scenario_file) else BASELINE_OVERRIDES)


def baseline_path(scenario_file: Path) -> Path:
    """Where the baseline of a scenario file is kept."""
    return BASELINES / f"{scenario_file.stem}.json"


def variant_baseline_path(scenario_file: Path, variant: str) -> Path:
    """Where the baseline of one of a scenario file's variants is kept."""
    return BASELINES / scenario_file.stem / f"{variant}.json"


def _stored_form(metrics: dict[str, float]) -> dict[str, float | None]:
    """One replication's metrics as the JSON keeps them: sorted, NaN as null."""
    return {k: (None if math.isnan(x) else x) for k, x in sorted(metrics.items())}


def snapshot(scenario_file: Path) -> dict[str, Any]:
    """Every metric of each replication of the shortened scenario, with what produced them."""
    scenario = load_scenario(scenario_file, overrides_for(scenario_file))
    info = scenario.scenario
    reps = []
    for seed_seq in replication_seeds(info.seed, info.replications):
        # The engine's unit of work: a network's offices and links too, not the home alone.
        reps.append(_stored_form(run_replication(Task(scenario, seed_seq))[0]))
    return {
        "scenario_file": f"scenarios/{scenario_file.name}",
        "overrides": overrides_for(scenario_file),
        "seed": info.seed,
        "digest": scenario.digest(),
        "refresh": REFRESH,
        "replications": reps,
    }


def variant_names(scenario_file: Path) -> list[str]:
    """The ``[variants.<name>]`` of a scenario file, in the file's order."""
    return list(load_scenario(scenario_file).variants or {})


def variant_snapshots(scenario_file: Path) -> dict[str, dict[str, Any]]:
    """Every metric of each replication of each variant of the shortened scenario, by variant
    name, with what produced them: the points of ``bordersim compare FILE --set ...`` with
    the baseline's overrides (the variant applied to the shortened base, run with its seed
    and replications); empty for a file without variants."""
    if not variant_names(scenario_file):
        return {}
    result = compare(scenario_file, overrides=overrides_for(scenario_file), progress=False)
    return {
        p.label: {
            "scenario_file": f"scenarios/{scenario_file.name}",
            "variant": p.label,
            "overrides": overrides_for(scenario_file),
            "seed": result.seed,
            "digest": p.point.scenario.digest(),
            "refresh": REFRESH,
            "replications": [_stored_form(m) for m in p.replications],
        }
        for p in result.points[1:]
    }


def _write(path: Path, snap: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snap, indent=1, sort_keys=True) + "\n")
    return path


def write_baselines(files: Sequence[Path] | None = None) -> list[Path]:
    """Rewrite the baseline of every shipped scenario and of each of its variants; remove
    those of variants now gone, and of scenarios now gone."""
    BASELINES.mkdir(parents=True, exist_ok=True)
    files = list(files) if files is not None else shipped_scenarios()
    written = []
    for path in files:
        written.append(_write(baseline_path(path), snapshot(path)))
        variants = variant_snapshots(path)
        for name, snap in variants.items():
            written.append(_write(variant_baseline_path(path, name), snap))
        folder = BASELINES / path.stem
        for old in folder.glob("*.json"):
            if old.stem not in variants:
                old.unlink()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if files == shipped_scenarios():
        keep = {p.stem for p in files}
        for old in BASELINES.glob("*.json"):
            if old.stem not in keep:
                old.unlink()
        for folder in BASELINES.iterdir():
            if folder.is_dir() and folder.name not in keep:
                for old in folder.glob("*.json"):
                    old.unlink()
                if not any(folder.iterdir()):
                    folder.rmdir()
    return written


def is_count(metric: str) -> bool:
    """Whether a metric counts things, so must be equal rather than close."""
    return metric in EXACT or metric.endswith(EXACT_SUFFIXES)


def baseline_differences(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """How a fresh snapshot differs from the stored one: counts must be equal, other numbers
    equal to a relative 1e-9 (numpy's floating point may differ in the last digits across
    platforms); a metric missing from the fresh run is a difference, a new one is not."""
    out: list[str] = []
    old_reps, new_reps = stored["replications"], fresh["replications"]
    if len(old_reps) != len(new_reps):
        return [f"{len(new_reps)} replications, baseline has {len(old_reps)}"]
    for i, (old, new) in enumerate(zip(old_reps, new_reps, strict=True)):
        for metric, want in old.items():
            if metric not in new:
                out.append(f"replication {i}: {metric} is no longer computed")
                continue
            got = new[metric]
            if want is None or got is None:
                same = want is None and got is None
            elif is_count(metric):
                same = want == got
            else:
                same = math.isclose(got, want, rel_tol=REL_TOL, abs_tol=1e-12)
            if not same:
                out.append(f"replication {i}: {metric} = {got!r}, baseline {want!r}")
    if out and stored.get("digest") != fresh.get("digest"):
        out.append("the resolved scenario changed since the baseline was written")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.baselines",
        description="Rewrite the regression baselines tests/baselines/*.json (and "
        "tests/baselines/<scenario>/<variant>.json) from the shipped scenarios and their "
        "variants (after a change meant to move the numbers).",
    )
    parser.add_argument(
        "--only", action="append", metavar="STEM", help="only this scenario (file stem); repeat"
    )
    args = parser.parse_args(argv)
    files = shipped_scenarios()
    if args.only:
        unknown = sorted(set(args.only) - {p.stem for p in files})
        if unknown:
            print(f"no scenario file named {', '.join(unknown)} in scenarios/", file=sys.stderr)
            return 2
        files = [p for p in files if p.stem in args.only]
    for path in write_baselines(files):
        print(f"wrote {shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
