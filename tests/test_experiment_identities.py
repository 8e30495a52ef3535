"""Identities of the experiments: a sweep point is ``sim.run`` with that value set, and two
values give two results; ``--resume`` refuses a point file written for another scenario, and a
comparison resumed after losing a point gives exactly the uninterrupted comparison."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim

from conftest import ROOT, cli, tiny, write_toml

QUIET = ["--quiet", "--executor", "serial", "--no-report"]


def same(a: Any, b: Any) -> bool:
    """Equal, NaN (or a missing value) equal to itself."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def assert_same_summary(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], what: str):
    assert list(a) == list(b), f"{what}: different metrics"
    for metric in a:
        for stat in a[metric]:
            assert same(a[metric][stat], b[metric][stat]), (
                f"{what}: {metric} {stat} is {a[metric][stat]!r} in the sweep, "
                f"{b[metric][stat]!r} in sim.run"
            )


def toml_value(value: Any) -> str:
    return json.dumps(value)  # a number or a boolean reads back the same as TOML


# ------------------------------------------------------------------ a sweep point is a run


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    return write_toml(tmp_path_factory.mktemp("identities") / "s.toml", tiny())


def sweep_and_runs(file: Path, key: str, values: list[Any], seed: int, replications: int):
    result = sim.sweep(
        file,
        {key: values},
        replications=replications,
        seed=seed,
        executor="serial",
        progress=False,
    )
    assert len(result) == len(values)
    summaries = result.summary()
    runs = []
    for label, value in zip(result.labels, values, strict=True):
        run = sim.run(
            file,
            overrides=[f"{key}={toml_value(value)}"],
            replications=replications,
            seed=seed,
            executor="serial",
            progress=False,
        )
        assert_same_summary(summaries[label], run.summary(), f"{key}={value}")
        runs.append(run.summary())
    return summaries, runs


def test_sweep_points_are_runs_with_that_value_and_differ(scenario_file):
    summaries, _ = sweep_and_runs(scenario_file, "policy.rates.red", [0.0, 0.35], 5, 2)
    first, second = summaries.values()
    moved = [m for m in first if not same(first[m]["mean"], second[m]["mean"])]
    assert "lane.red.share" in moved and "inspection_rate" in moved, (
        "a sweep whose points give the same numbers ignores its values"
    )
    assert first["lane.red.share"]["mean"] == 0.0 < second["lane.red.share"]["mean"]
    # Common random numbers: the same shipments arrive at every point.
    assert first["shipments"] == second["shipments"]


VALUES = {
    "policy.rates.red": st.floats(0.0, 0.6).map(lambda v: round(v, 3)),
    "checks.physical.servers": st.integers(1, 6),
    "checks.documents.duration_hours.mean": st.floats(0.1, 2.0).map(lambda v: round(v, 3)),
    "traffic.aeo_share": st.floats(0.0, 1.0).map(lambda v: round(v, 3)),
}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    key=st.sampled_from(sorted(VALUES)),
    seed=st.integers(0, 2**31),
    replications=st.integers(1, 2),
)
def test_any_sweep_point_is_the_run_with_that_set(scenario_file, data, key, seed, replications):
    values = data.draw(st.lists(VALUES[key], min_size=1, max_size=2, unique=True), label="values")
    sweep_and_runs(scenario_file, key, values, seed, replications)


# ------------------------------------------------------------------ resume


def sweep_folder(capsys, file: Path, out: str) -> Path:
    args = ["sweep", file, "--vary", "policy.rates.red=0,0.2,0.4", "--replications", 1, *QUIET]
    code, _, err = cli(capsys, *args, "--out", out)
    assert code == 0, err
    return Path(out)


def test_resume_refuses_a_point_file_written_for_another_scenario(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = write_toml(tmp_path / "mine.toml", tiny())
    other_data = tiny()
    other_data["checks"]["physical"]["servers"] = 5  # same name, same sweep, other scenario
    other = write_toml(tmp_path / "other.toml", other_data)
    folder = sweep_folder(capsys, mine, "mine")
    foreign = sweep_folder(capsys, other, "other")
    point = Path("points") / "00001.json"
    own, theirs = (json.loads((f / point).read_text()) for f in (folder, foreign))
    assert own["label"] == theirs["label"] and own["index"] == theirs["index"] == 1
    assert own["scenario_sha256"] != theirs["scenario_sha256"]
    assert own["replications"] != theirs["replications"]
    summary = (folder / "summary.json").read_bytes()
    shutil.copyfile(foreign / point, folder / point)

    # The command itself, in its own process: exit status, message, no traceback.
    args = ["sweep", str(mine), "--vary", "policy.rates.red=0,0.2,0.4", "--replications", "1"]
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", *args, *QUIET, "--resume", "mine"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0, "resume used a point file of another scenario"
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "00001.json does not belong to this run" in proc.stderr, proc.stderr
    assert "delete it" in proc.stderr
    assert (folder / "summary.json").read_bytes() == summary, "nothing rewritten"
    assert json.loads((folder / point).read_text()) == theirs

    # As the message says: without the foreign file the point runs again, as it first did.
    (folder / point).unlink()
    code, _, err = cli(capsys, *args, *QUIET, "--resume", "mine")
    assert code == 0, err
    assert json.loads((folder / point).read_text()) == own
    assert (folder / "summary.json").read_bytes() == summary


COMPARED = ("summary.json", "summary.csv", "replications.csv", "comparison.csv")


def test_compare_resumed_after_losing_a_point_equals_the_uninterrupted_one(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    base = write_toml(tmp_path / "base.toml", tiny())
    strict_data = tiny()
    strict_data["policy"]["rates"]["red"] = 0.3
    strict_data["checks"]["physical"]["servers"] = 2
    strict = write_toml(tmp_path / "strict.toml", strict_data)
    args = ["compare", base, strict, "--replications", 3, "--seed", 9, *QUIET]
    assert cli(capsys, *args, "--out", "whole")[0] == 0
    assert cli(capsys, *args, "--out", "part")[0] == 0
    part = tmp_path / "part"
    for name in COMPARED:
        assert (part / name).is_file(), name
    # The base point is lost (every paired difference is taken against it); the other is kept.
    for lost in part.glob("*/00000.json"):
        lost.unlink()
    assert not (part / "points" / "00000.json").exists()
    kept = (part / "points" / "00001.json").stat().st_ino

    code, _, err = cli(capsys, *args, "--resume", "part")
    assert code == 0, err
    assert (part / "points" / "00001.json").stat().st_ino == kept, "a finished point ran again"
    whole = tmp_path / "whole"
    for name in ("points/00000.json", "points/00001.json", *COMPARED):
        assert (part / name).read_bytes() == (whole / name).read_bytes(), name
    saved = json.loads((part / "summary.json").read_text())
    assert len(saved["points"]) == 2
