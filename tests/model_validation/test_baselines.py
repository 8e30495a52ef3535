"""Regression baselines: a fixed-seed summary of each shipped scenario, kept in
tests/baselines/<scenario>.json, and of each of its [variants.<name>] (applied as `bordersim
compare` applies them), in tests/baselines/<scenario>/<name>.json. A change that moves the
numbers fails here; when the move is meant, refresh them with `make baselines` (python -m
tools.baselines) and commit the new files with the change that explains them."""

from __future__ import annotations

import copy
import json

import pytest

from tools import baselines as b
from tools.paths import BASELINES, shipped_scenarios

SCENARIOS = shipped_scenarios()


def _stored(path):
    file = b.baseline_path(path)
    assert file.is_file(), f"no baseline for {path.name}: run {b.REFRESH}"
    return json.loads(file.read_text())


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_matches_its_baseline(path):
    stored = _stored(path)
    assert stored["overrides"] == b.overrides_for(path), f"baseline is stale: run {b.REFRESH}"
    fresh = b.snapshot(path)
    differences = b.baseline_differences(stored, fresh)
    assert not differences, (
        f"{path.name} no longer gives its baseline numbers. If the change is meant to move "
        f"them, run {b.REFRESH} and commit tests/baselines/. Differences:\n  "
        + "\n  ".join(differences[:20])
        + (f"\n  ... and {len(differences) - 20} more" if len(differences) > 20 else "")
    )


WITH_VARIANTS = [p for p in SCENARIOS if b.variant_names(p)]


@pytest.mark.parametrize("path", WITH_VARIANTS, ids=[p.stem for p in WITH_VARIANTS])
def test_shipped_scenario_variants_match_their_baselines(path):
    """Every variant of the file, run as `bordersim compare` runs it, gives its pinned numbers;
    each variant has a baseline and each baseline a variant."""
    fresh = b.variant_snapshots(path)
    stored_files = sorted((BASELINES / path.stem).glob("*.json"))
    assert sorted(fresh) == sorted(f.stem for f in stored_files), f"run {b.REFRESH}"
    differences = []
    for name, snap in fresh.items():
        stored = json.loads(b.variant_baseline_path(path, name).read_text())
        assert stored["overrides"] == b.overrides_for(path), f"baseline is stale: run {b.REFRESH}"
        assert stored["variant"] == name and stored["seed"] == snap["seed"]
        differences += [f"{name}: {d}" for d in b.baseline_differences(stored, snap)]
    assert not differences, (
        f"variants of {path.name} no longer give their baseline numbers. If the change is "
        f"meant to move them, run {b.REFRESH} and commit tests/baselines/. Differences:\n  "
        + "\n  ".join(differences[:20])
        + (f"\n  ... and {len(differences) - 20} more" if len(differences) > 20 else "")
    )


def test_variant_baselines_are_meaningful():
    """Every shipped variant is pinned, with the base's replications and seed, traffic and
    checks, and numbers of its own: a variant that gave its base's numbers would pin nothing
    the base does not."""
    assert len(WITH_VARIANTS) >= 5
    for path in WITH_VARIANTS:
        base = _stored(path)
        for name in b.variant_names(path):
            file = b.variant_baseline_path(path, name)
            assert file.is_file(), f"no baseline for variant {name} of {path.name}: run {b.REFRESH}"
            variant = json.loads(file.read_text())
            reps = variant["replications"]
            assert len(reps) == len(base["replications"]) >= 2, (path.name, name)
            assert variant["seed"] == base["seed"], (path.name, name)
            assert variant["digest"] != base["digest"], (path.name, name)
            for m in reps:
                assert m["shipments"] > 500 and m["released"] > 0, (path.name, name)
                assert any(k.endswith(".arrivals") and (x or 0) > 0 for k, x in m.items())
            assert reps != base["replications"], f"{path.name}: {name} gives the base's numbers"


def test_baselines_are_meaningful():
    """Each baseline holds several replications with traffic, checks and interceptions, so a
    change in any of them shows."""
    for path in SCENARIOS:
        reps = _stored(path)["replications"]
        assert len(reps) >= 2
        for m in reps:
            assert m["shipments"] > 500
            assert m["released"] > 0
            assert any(k.endswith(".arrivals") and (x or 0) > 0 for k, x in m.items())


def test_no_baseline_without_its_scenario():
    stems = {p.stem for p in SCENARIOS}
    orphans = [p.name for p in BASELINES.glob("*.json") if p.stem not in stems]
    assert not orphans, f"baselines of scenarios that are gone: {orphans}; run {b.REFRESH}"
    variants = {p.stem: set(b.variant_names(p)) for p in SCENARIOS}
    orphans = [
        f"{folder.name}/{file.name}"
        for folder in BASELINES.iterdir()
        if folder.is_dir()
        for file in folder.glob("*.json")
        if file.stem not in variants.get(folder.name, set())
    ]
    assert not orphans, f"baselines of variants that are gone: {orphans}; run {b.REFRESH}"


def _snap(**metrics) -> dict:
    base = {"shipments": 100.0, "released": 90.0, "clearance_hours_mean": 3.25, "hit_rate": None}
    base.update(metrics)
    return {"digest": "d", "replications": [base]}


def test_baseline_comparison_rules():
    """Counts must be equal; other numbers to a relative 1e-9 (platforms may differ in the last
    bits); a metric that disappears is a difference, a new one is not; NaN equals NaN."""
    stored = _snap()
    assert b.baseline_differences(stored, _snap()) == []
    assert b.baseline_differences(stored, _snap(clearance_hours_mean=3.25 * (1 + 1e-12))) == []
    assert b.baseline_differences(stored, _snap(new_metric=1.0)) == []
    assert b.baseline_differences(stored, _snap(clearance_hours_mean=3.25 * (1 + 1e-7)))
    assert b.baseline_differences(stored, _snap(released=91.0))
    assert b.baseline_differences(stored, _snap(hit_rate=0.1))
    gone = copy.deepcopy(_snap())
    del gone["replications"][0]["clearance_hours_mean"]
    assert "no longer computed" in b.baseline_differences(stored, gone)[0]
    more = {"digest": "d", "replications": [_snap()["replications"][0]] * 2}
    assert b.baseline_differences(stored, more)
    changed = _snap(released=91.0)
    changed["digest"] = "other"
    assert "scenario changed" in b.baseline_differences(stored, changed)[-1]
    assert b.is_count("station.physical.arrivals") and not b.is_count("station.x.utilisation")
