"""The ``bordersim`` command: bad input gets exit status 2, one clear message and no results
folder; a good run writes every result file, reproducibly."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_scenario_errors import BAD

import sim
from sim.cli import main

from conftest import BASELINE, cli, tiny, write_toml

STATS = ("mean", "ci_low", "ci_high", "n")
KEY_METRICS = [
    "clearance_hours_mean",
    "clearance_hours_median",
    "clearance_hours_p90",
    "within_24h_share",
    "interception_rate",
    "hit_rate",
    "inspection_rate",
    "leaks",
    "spoiled",
    "censored",
]
FILES = [
    "summary.json",
    "summary.csv",
    "replications.csv",
    "scenario.toml",
    "manifest.json",
    "profile.json",
    "report.html",  # the command writes the report unless --no-report
    "figures",
]


@pytest.fixture
def short_file(tmp_path: Path) -> Path:
    return write_toml(tmp_path / "short.toml", tiny())


def assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not list(tmp_path.rglob("*.partial")), "a temporary results folder was left behind"
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------------------------- bad input


def test_validate_baseline(capsys):
    code, out, err = cli(capsys, "validate", BASELINE)
    assert code == 0, err
    assert "valid" in out and "baseline-air-hub" in out and not err


@pytest.mark.parametrize(("data", "path"), [pytest.param(c[1], c[2], id=c[0]) for c in BAD])
def test_bad_file_exits_2_naming_file_and_key(capsys, tmp_path, monkeypatch, data, path):
    monkeypatch.chdir(tmp_path)
    file = write_toml(tmp_path / "bad.toml", data)
    out = tmp_path / "out"
    for command in (["validate", file], ["run", file, "--out", out]):
        code, stdout, err = cli(capsys, *command)
        assert code == 2
        assert err.startswith(f"error: {file}")
        assert f"\n  {path}: " in err
        assert not stdout
    assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "missing.toml", "no such file"),
        (lambda d: d, "folder"),
        (lambda d: _write(d / "latin1.toml", "name = 'caf\u00e9'".encode("latin-1")), "UTF-8"),
        (lambda d: _write(d / "syntax.toml", b"[scenario\nname = 1\n"), "not valid TOML"),
        (lambda d: _write(d / "empty.toml", b""), "required key is missing"),
        (lambda d: _write(d / "binary.toml", bytes(range(256))), "UTF-8"),
    ],
    ids=["missing", "folder", "not-utf8", "bad-syntax", "empty", "binary"],
)
def test_unreadable_file_exits_2(capsys, tmp_path, make, words):
    file = make(tmp_path)
    out = tmp_path / "out"
    for command in (["validate", file], ["run", file, "--out", out]):
        code, _, err = cli(capsys, *command)
        assert code == 2
        assert str(file) in err and words in err
    assert_nothing_written(tmp_path, out)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("policy.rates.red=-1", "policy.rates.red"),
        ("scenario.days=abc", "scenario.days"),
        ("nokey", "nokey"),
        ("checks.physical.servers.x=1", "checks.physical.servers"),
        ("checks.physical.sevrers=2", "checks.physical.sevrers"),
        ("traffic.shipments_per_day=inf", "traffic.shipments_per_day"),
    ],
)
def test_bad_override_exits_2_and_writes_nothing(
    capsys, tmp_path, monkeypatch, short_file, override, path
):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    for command in (
        ["validate", short_file, "--set", override],
        ["run", short_file, "--set", override, "--out", out],
        ["run", short_file, "--set", override],
    ):
        code, stdout, err = cli(capsys, *command)
        assert code == 2
        assert str(short_file) in err and f"  {path}: " in err
        assert not stdout
    assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "X", "--replications", "0"],
        ["run", "X", "--replications", "two"],
        ["run", "X", "--seed", "-1"],
        ["run", "X", "--seed", str(2**63)],
        ["run", "X", "--bogus"],
        ["simulate", "X"],
        [],
    ],
)
def test_bad_arguments_exit_2(capsys, tmp_path, monkeypatch, short_file, args):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = cli(capsys, *[short_file if a == "X" else a for a in args])
    assert code == 2
    assert "usage:" in err and "error:" in err
    assert not (tmp_path / "results").exists()


def test_help_and_version_exit_0(capsys):
    assert cli(capsys, "--help")[0] == 0
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.startswith("bordersim ")


def test_existing_folder_that_is_not_results_is_refused_before_running(
    capsys, tmp_path, short_file
):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    code, stdout, err = cli(capsys, "run", short_file, "--out", mine)
    assert code == 2
    assert str(mine) in err and "not a results folder" in err
    assert not stdout, "refused before running, so no summary is printed"
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    assert (mine / "thesis.tex").read_text() == "precious"
    assert not list(tmp_path.rglob("*.partial"))


def test_out_that_is_a_file_is_refused(capsys, tmp_path, short_file):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    code, _, err = cli(capsys, "run", short_file, "--out", target)
    assert code == 2 and "not a results folder" in err
    assert target.read_text() == "keep"


def test_out_under_a_file_is_refused(capsys, tmp_path, short_file):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep")
    code, _, err = cli(capsys, "run", short_file, "--out", blocker / "sub" / "out", "--quiet")
    assert code == 2 and "cannot create" in err and str(blocker) in err
    assert blocker.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "short.toml"]


# ------------------------------------------------------------------------------- good runs


def test_run_writes_every_result_file(capsys, tmp_path, short_file):
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "run", short_file, "--out", out)
    assert code == 0, err
    assert f"Results written to {out}/" in stdout
    assert "Clearance time, mean (h)" in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert not list(tmp_path.rglob("*.partial"))

    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "small" and summary["replications"] == 2
    metrics = summary["metrics"]
    wanted = KEY_METRICS + [
        f"station.{c}.{m}"
        for c in ("documents", "physical")
        for m in ("wait_hours_mean", "utilisation")
    ]
    for name in wanted:
        assert set(STATS) <= set(metrics[name]), name
        assert metrics[name]["n"] <= 2
    assert metrics["shipments"]["n"] == 2 and metrics["shipments"]["mean"] > 0

    with open(out / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["metric"] for r in rows] == list(metrics)
    assert {"mean", "ci_low", "ci_high", "half_width", "sd", "n"} <= set(rows[0])

    with open(out / "replications.csv", newline="") as fh:
        reps = list(csv.DictReader(fh))
    assert [r["replication"] for r in reps] == ["0", "1"]
    assert set(wanted) <= set(reps[0])

    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("version", "seed", "scenario_sha256", "python", "wall_seconds", "command"):
        assert key in manifest, key
    assert {"numpy", "simpy"} <= set(manifest["packages"])
    assert manifest["seed"] == 11 and manifest["replications"] == 2
    assert manifest["wall_seconds"] >= 0

    resolved = sim.load_scenario(out / "scenario.toml")
    assert resolved.digest() == manifest["scenario_sha256"]
    assert resolved.digest() == sim.load_scenario(short_file).digest()
    assert cli(capsys, "validate", out / "scenario.toml")[0] == 0


def test_trace_has_one_row_per_shipment(capsys, tmp_path, short_file):
    out = tmp_path / "out"
    code, _, err = cli(capsys, "run", short_file, "--out", out, "--trace", "--quiet")
    assert code == 0, err
    with gzip.open(out / "shipments.csv.gz", "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    direct = sim.run(sim.load_scenario(short_file), trace=True, progress=False)
    assert len(rows) == sum(len(r.traffic) for r in direct.records)
    assert {r["replication"] for r in rows} == {"0", "1"}
    assert {"id", "arrival", "released", "outcome", "physical.start"} <= set(rows[0])


def test_seed_and_replications_flags_override_the_file(capsys, tmp_path, short_file):
    out = tmp_path / "out"
    code, _, err = cli(
        capsys, "run", short_file, "--out", out, "--seed", 99, "--replications", 3, "--quiet"
    )
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 99 and manifest["replications"] == 3
    assert len((out / "replications.csv").read_text().splitlines()) == 1 + 3
    resolved = sim.load_scenario(out / "scenario.toml")
    assert resolved.scenario.seed == 99 and resolved.scenario.replications == 3


def test_same_seed_same_results(capsys, tmp_path, short_file):
    metrics = []
    for name in ("a", "b"):
        code, _, err = cli(
            capsys, "run", short_file, "--out", tmp_path / name, "--quiet", "--seed", 5
        )
        assert code == 0, err
        metrics.append(json.loads((tmp_path / name / "summary.json").read_text())["metrics"])
    assert metrics[0] == metrics[1]
    code, _, _ = cli(capsys, "run", short_file, "--out", tmp_path / "c", "--quiet", "--seed", 6)
    assert json.loads((tmp_path / "c" / "summary.json").read_text())["metrics"] != metrics[0]


def test_out_into_results_of_other_inputs_is_refused(capsys, tmp_path, short_file):
    out = tmp_path / "out"
    assert cli(capsys, "run", short_file, "--out", out, "--quiet", "--trace")[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, _, err = cli(
        capsys, "run", short_file, "--out", out, "--quiet", "--set", "scenario.seed=3"
    )
    assert code == 2 and f"{out} holds a run of other inputs: its seed is" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "short.toml"], "no leftovers"


def test_empty_folder_is_used(capsys, tmp_path, short_file):
    out = tmp_path / "empty"
    out.mkdir()
    assert cli(capsys, "run", short_file, "--out", out, "--quiet")[0] == 0
    assert (out / "summary.json").exists()


def test_default_folder_is_results_name_timestamp(capsys, tmp_path, monkeypatch, short_file):
    monkeypatch.chdir(tmp_path)
    folders = []
    for _ in range(2):
        code, stdout, err = cli(capsys, "run", short_file, "--quiet")
        assert code == 0, err
        assert stdout.startswith("Results written to results/small/")
        assert stdout.count("\n") == 1, "--quiet prints only where the results went"
        folders.append(Path(stdout.split("Results written to ", 1)[1].strip()))
    assert folders[0] != folders[1], "a second run in the same second gets its own folder"
    for folder in folders:
        assert folder.parent == Path("results/small")
        assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?", folder.name)
        assert (tmp_path / folder / "summary.json").exists()


# ------------------------------------------------------------------------------- processes


def _process(args: list[Any], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_real_process_bad_input(tmp_path):
    file = write_toml(tmp_path / "bad.toml", dict(BAD[0][1]))
    for command in (
        [sys.executable, "-m", "sim.cli", "validate", file],
        [sys.executable, "-m", "sim.cli", "run", file, "--set", "x=1"],
    ):
        proc = _process(command, tmp_path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"error: {file}")
        assert "checks.physical.sevrers: unknown key 'sevrers'" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_real_console_script(tmp_path):
    script = Path(sys.executable).with_name("bordersim")
    assert script.exists(), (
        f"no bordersim console script next to {sys.executable}: install the package "
        "(make test does: pip install -e '.[dev]')"
    )
    proc = _process([script, "validate", BASELINE], tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _process([script, "run", tmp_path / "nothere.toml"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {tmp_path / 'nothere.toml'}: no such file\n"


def test_schema_command_prints_the_committed_json_schema(capsys):
    """`bordersim schema` prints the JSON Schema that docs/scenario.schema.json holds."""
    from conftest import ROOT

    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "docs" / "scenario.schema.json").read_text()
