"""One rule for a results folder that exists already, for run, compare and sweep, and for the
searches (calibrate, optimise, sensitivity): the same inputs finished are complete (status 0,
nothing run or rewritten), the same inputs unfinished are continued, other inputs or other
files are refused; so the command a report prints to reproduce it works as printed, and
`bordersim validate` gives the digest a manifest records."""

from __future__ import annotations

import html
import json
import re
import shlex
from pathlib import Path

import pytest

import sim
from sim import cli as bordersim
from sim.files.store import ExperimentStore

from conftest import cli, tiny, write_toml

FAST = ["--executor", "serial", "--quiet"]


@pytest.fixture
def file(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_toml(tmp_path / "s.toml", tiny())


def stamps(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_validate_prints_the_digest_a_run_records(capsys, file):
    code, out, _ = cli(capsys, "validate", file, "--set", "scenario.seed=3")
    assert code == 0
    [digest] = re.findall(r"SHA-256 of the resolved scenario: ([0-9a-f]{64})", out)
    assert cli(capsys, "run", file, "--seed", "3", "--out", "r", *FAST, "--no-report")[0] == 0
    assert json.loads(Path("r/manifest.json").read_text())["scenario_sha256"] == digest
    assert cli(capsys, "validate", file)[1].count(digest) == 0, "another seed, another digest"


def test_run_into_its_own_folder_is_complete_and_into_another_is_refused(capsys, file):
    run = ["run", file, "--out", "r", "--no-report", "--executor", "serial"]
    assert cli(capsys, *run, "--quiet")[0] == 0
    before = stamps(Path("r"))
    code, out, err = cli(capsys, *run)
    assert code == 0 and not err
    assert "r already holds this run, finished; nothing was run again" in out
    assert stamps(Path("r")) == before
    for other, why in [
        (["--seed", "9"], "its seed is"),
        (["--replications", "3"], "it has 2 replications, this one 3"),
        (["--set", "checks.physical.servers=5"], "its scenario differs"),
    ]:
        code, _, err = cli(capsys, *run, *other)
        assert code == 2 and "error: r holds a run of other inputs: " in err and why in err
    assert stamps(Path("r")) == before
    Path("notes").mkdir()
    (Path("notes") / "mine.txt").write_text("keep")
    code, _, err = cli(capsys, "run", file, "--out", "notes", *FAST)
    assert code == 2 and "notes exists and is not a results folder" in err
    assert (Path("notes") / "mine.txt").read_text() == "keep"


def test_an_unfinished_comparison_is_continued_by_the_same_command(capsys, file, monkeypatch):
    compare = ["compare", file, "--set", "variants.more.checks.physical.servers=6", *FAST]
    saved = ExperimentStore.save

    def interrupt_after_one(self, i, result):
        if i > 0:
            raise KeyboardInterrupt
        saved(self, i, result)

    monkeypatch.setattr(ExperimentStore, "save", interrupt_after_one)
    assert cli(capsys, *compare, "--out", "part")[0] == 130
    monkeypatch.setattr(ExperimentStore, "save", saved)
    ran = []
    monkeypatch.setattr(
        "sim.experiment.engine.run_replication",
        lambda task, real=sim.experiment.engine.run_replication: ran.append(1) or real(task),
    )
    assert cli(capsys, *compare, "--out", "part", "--no-report")[0] == 0
    assert len(ran) == 2, "only the missing point's two replications ran"
    assert cli(capsys, *compare, "--out", "whole", "--no-report")[0] == 0
    for name in ("comparison.csv", "summary.csv", "replications.csv"):
        assert Path("part", name).read_bytes() == Path("whole", name).read_bytes()


@pytest.mark.parametrize("out", [["--out", "cmp"], []], ids=["out", "default-folder"])
def test_the_reproduce_command_of_a_report_works_as_printed(capsys, file, out):
    compare = ["compare", file, "--set", "variants.more.checks.physical.servers=6"]
    code, stdout, _ = cli(capsys, *compare, "--executor", "serial", *out)
    assert code == 0
    folder = Path(re.findall(r"Results written to (.+)/\n", stdout)[-1])
    page = (folder / "report.html").read_text()
    [command] = re.findall(r'<pre class="command">(.*?)</pre>', page, re.S)
    argv = shlex.split(html.unescape(command))
    assert argv[:2] == ["bordersim", "compare"]
    before = stamps(folder)
    code, stdout, err = cli(capsys, *argv[1:])
    assert code == 0, err
    if out:
        assert "already holds this comparison, finished" in stdout
        assert stamps(folder) == before
    again = Path(re.findall(r"Results (?:written to|in) (.+)/\n", stdout)[-1])
    assert (again / "comparison.csv").read_bytes() == (folder / "comparison.csv").read_bytes()
    assert bordersim.main(["report", str(again)]) == 0


TARGETS = """[target]
name = "made-up"
source = "a test"
tolerance = 0.5

[[figures]]
name = "arrival to release"
metric = "clearance_hours_mean"
value = 20.0
"""
SEARCHES = {
    "calibrate": (
        "calibration",
        "calibration.json",
        ["targets.toml", "--free", "checks.physical.servers=2:5:int", "--trials", "2"],
    ),
    "optimise": (
        "optimisation",
        "optimisation.json",
        ["--maximise", "inspection_rate", "--decide", "policy.rates.red=0.05:0.2"]
        + ["--trials", "2", "--select", "1", "--rounds", "1"],
    ),
    "sensitivity": (
        "sensitivity analysis",
        "sensitivity.json",
        ["--vary", "checks.physical.servers=2:5:int", "--method", "morris", "--samples", "2"]
        + ["--metric", "interception_rate", "--replications", "1"],
    ),
}


@pytest.mark.parametrize("command", list(SEARCHES))
def test_a_search_follows_the_same_rule_for_its_folder(capsys, file, command):
    """calibrate, optimise and sensitivity: the same inputs finished are complete (status 0,
    nothing rewritten, with or without --resume), unfinished are continued without --resume,
    other inputs and another command's folder are refused with the reason."""
    pytest.importorskip("SALib" if command == "sensitivity" else "optuna")
    pytest.importorskip("tomlkit")
    Path("targets.toml").write_text(TARGETS)
    word, result, extra = SEARCHES[command]
    search = [command, file, *extra, "--executor", "serial"]
    if command != "sensitivity":
        search += ["--replications", "2"]
    assert cli(capsys, *search, "--out", "s", "--quiet")[0] == 0
    before = stamps(Path("s"))
    for again in ([], ["--resume"]):
        code, out, err = cli(capsys, *search, "--out", "s", *again)
        assert code == 0 and not err, err
        assert f"s already holds this {word}, finished; nothing was run again" in out
        assert "Report: s/report.html" in out
        assert stamps(Path("s")) == before
    code, _, err = cli(capsys, *search, "--out", "s", "--seed", "9")
    assert code == 2 and re.search(f"error: s holds an? {word} of other inputs", err), err
    assert "seed" in err or command == "sensitivity"
    assert stamps(Path("s")) == before
    # Unfinished (stopped before its tables and manifest): the same command continues it.
    Path("s", "manifest.json").unlink()
    Path("s", result).unlink()
    code, out, err = cli(capsys, *search, "--out", "s", "--quiet")
    assert code == 0 and "Results written to s/" in out, err
    assert Path("s", "manifest.json").is_file() and Path("s", result).is_file()
    # Another command's folder, and this one given to another command, are refused.
    assert cli(capsys, "run", file, "--out", "r", *FAST, "--no-report")[0] == 0
    code, _, err = cli(capsys, *search, "--out", "r")
    assert code == 2 and re.search(f"error: r holds a run, not an? {word}; choose another", err)
    other = "sensitivity" if command != "sensitivity" else "calibrate"
    _, _, extra = SEARCHES[other]
    code, _, err = cli(capsys, other, file, *extra, "--executor", "serial", "--out", "s")
    assert code == 2 and re.search(f"error: s holds an? {word}, not an? ", err), err
