"""Regression baselines: a fixed-seed summary of each shipped scenario, kept in
tests/baselines/<scenario>.json. A change that moves the numbers fails here; when the move is
meant, refresh them with `make baselines` (python -m tools.baselines) and
commit the new files with the change that explains them."""

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
    assert stored["overrides"] == b.BASELINE_OVERRIDES, f"baseline is stale: run {b.REFRESH}"
    fresh = b.snapshot(path)
    differences = b.baseline_differences(stored, fresh)
    assert not differences, (
        f"{path.name} no longer gives its baseline numbers. If the change is meant to move "
        f"them, run {b.REFRESH} and commit tests/baselines/. Differences:\n  "
        + "\n  ".join(differences[:20])
        + (f"\n  ... and {len(differences) - 20} more" if len(differences) > 20 else "")
    )


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
