"""Regression baselines: every metric of each replication of each shipped scenario, shortened
and with its own seed, kept in ``tests/baselines/<scenario>.json``. The test suite compares a
fresh run with them, so a change that moves a number shows; when the move is meant, rewrite
them and commit them with the change that explains it.

    python -m tools.baselines            # rewrite tests/baselines/*.json (make baselines)
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

from sim import load_scenario, replication_metrics, replication_seeds, simulate
from tools.paths import BASELINES, shipped_scenarios, shown

BASELINE_OVERRIDES = [
    "scenario.warmup_days=2",
    "scenario.days=14",
    "scenario.drain_days=3",
    "scenario.replications=3",
]
"""A shipped scenario shortened for its regression baseline: fast, but long enough that every
check and lane sees shipments."""
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


def baseline_path(scenario_file: Path) -> Path:
    """Where the baseline of a scenario file is kept."""
    return BASELINES / f"{scenario_file.stem}.json"


def snapshot(scenario_file: Path) -> dict[str, Any]:
    """Every metric of each replication of the shortened scenario, with what produced them."""
    scenario = load_scenario(scenario_file, list(BASELINE_OVERRIDES))
    info = scenario.scenario
    reps = []
    for seed_seq in replication_seeds(info.seed, info.replications):
        m = replication_metrics(scenario, simulate(scenario, seed_seq))
        reps.append({k: (None if math.isnan(x) else x) for k, x in sorted(m.items())})
    return {
        "scenario_file": f"scenarios/{scenario_file.name}",
        "overrides": BASELINE_OVERRIDES,
        "seed": info.seed,
        "digest": scenario.digest(),
        "refresh": REFRESH,
        "replications": reps,
    }


def write_baselines(files: Sequence[Path] | None = None) -> list[Path]:
    """Rewrite the baseline of every shipped scenario; remove those of scenarios now gone."""
    BASELINES.mkdir(parents=True, exist_ok=True)
    files = list(files) if files is not None else shipped_scenarios()
    written = []
    for path in files:
        out = baseline_path(path)
        out.write_text(json.dumps(snapshot(path), indent=1, sort_keys=True) + "\n")
        written.append(out)
    if files == shipped_scenarios():
        keep = {p.name for p in written}
        for old in BASELINES.glob("*.json"):
            if old.name not in keep:
                old.unlink()
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
        description="Rewrite the regression baselines tests/baselines/*.json from the shipped "
        "scenarios (after a change meant to move the numbers).",
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
