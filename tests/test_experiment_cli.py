"""``bordersim run`` with the experiment options: replications auto, executors, policy
plug-ins; ``bordersim validate`` checks variants too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import cli, tiny, write_toml


@pytest.fixture
def file(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_toml(tmp_path / "s.toml", tiny())


def summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text())


def test_run_with_replications_auto_says_where_it_stopped(capsys, tmp_path, file):
    code, out, err = cli(
        capsys, "run", file, "--replications", "auto", "--max-replications", "4", "--out", "r"
    )
    assert code == 0, err
    assert "Replications auto: stopped at the maximum of 4 replications" in out
    s = summary(tmp_path / "r")
    assert s["replications"] == 4 and s["replications_auto"]["reached"] is False
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["replications"] == 4 and manifest["executor"] == "serial"


def test_run_on_worker_processes_gives_the_same_files(capsys, tmp_path, file):
    assert cli(capsys, "run", file, "--out", "a", "--quiet", "--executor", "serial")[0] == 0
    code, _, err = cli(capsys, "run", file, "--out", "b", "--quiet", "--workers", "2")
    assert code == 0, err
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["executor"] == "processes (2 workers)"
    for name in ("summary.json", "summary.csv", "replications.csv", "scenario.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_policy_plugin_replaces_the_policy(capsys, tmp_path, file):
    assert cli(capsys, "run", file, "--out", "file-policy", "--quiet")[0] == 0
    code, out, err = cli(
        capsys, "run", file, "--policy-plugin", "test_executors:EveryOtherRed", "--out", "p"
    )
    assert code == 0, err
    assert "policy test_executors:EveryOtherRed" in out
    red = summary(tmp_path / "p")["metrics"]["lane.red.share"]["mean"]
    assert red == pytest.approx(0.25, abs=0.06)
    assert summary(tmp_path / "file-policy")["metrics"]["lane.red.share"]["mean"] < 0.15


def test_policy_plugin_selected_by_kind_in_a_variant(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tiny()
    data["variants"] = {"plugged": {"policy": {"kind": "every-other-red"}}}
    file = write_toml(tmp_path / "v.toml", data)
    code, _, err = cli(capsys, "validate", file)
    assert code == 2 and "variants.plugged.policy.kind: unknown policy" in err
    plugin = ["--policy-plugin", "test_executors:EveryOtherRed"]
    code, out, err = cli(capsys, "validate", file, *plugin)
    assert code == 0 and "Variants for compare: plugged." in out
    code, out, err = cli(capsys, "compare", file, *plugin, "--out", "cmp", "--quiet")
    assert code == 0, err
    points = summary(tmp_path / "cmp")["points"]
    assert [p["label"] for p in points] == ["small", "plugged"]
    assert points[0]["metrics"]["lane.red.share"]["mean"] < 0.15, "the base keeps its policy"
    assert points[1]["metrics"]["lane.red.share"]["mean"] == pytest.approx(0.25, abs=0.06)


def test_validate_reports_a_bad_variant(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tiny()
    data["variants"] = {"oops": {"checks": {"physical": {"sevrers": 2}}}}
    file = write_toml(tmp_path / "v.toml", data)
    code, out, err = cli(capsys, "validate", file)
    assert code == 2 and not out
    assert err.startswith(f"error: {file}: invalid scenario")
    assert "\n  variants.oops.checks.physical.sevrers: unknown key 'sevrers'" in err
    code, _, err = cli(capsys, "compare", file)
    assert code == 2 and "variants.oops.checks.physical.sevrers" in err
    assert not (tmp_path / "results").exists()


def test_compare_needs_two_points(capsys, tmp_path, file):
    code, _, err = cli(capsys, "compare", file)
    assert code == 2 and "nothing to compare" in err and "[variants.<name>]" in err
    assert not (tmp_path / "results").exists()
