"""Results folders shared, full or badly named: a second command writing a folder is refused
and nothing is lost; a full disk while a sweep runs keeps the finished points and prints the
--resume command; an --out name the file system cannot hold, or a folder that cannot be
written, is refused before anything runs; what a killed save left behind is cleaned by the
next; an unexpected failure is one message with status 1."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim.files.write as write
from sim.files.write import FolderLock

from conftest import ROOT, cli, tiny, write_toml

TABLES = ("tradeoff.csv", "summary.csv", "replications.csv", "summary.json")
VARY = ["--vary", "policy.rates.red=0:0.2:5"]


@pytest.fixture
def file(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_toml(tmp_path / "s.toml", tiny())


def never_runs(monkeypatch) -> None:
    """Fail if a replication is simulated: refusals come before anything runs."""

    def refuse(task):
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr("sim.experiment.engine.run_replication", refuse)


# ------------------------------------------------------------------------------- two writers

HOLD = """
import sys
from pathlib import Path
from sim.files.write import FolderLock
lock = FolderLock.acquire(Path(sys.argv[1]))
print("held", flush=True)
sys.stdin.read()
lock.release()
"""


def test_a_second_writer_is_refused_and_nothing_is_lost(capsys, tmp_path, file, monkeypatch):
    assert cli(capsys, "run", file, "--out", "out", "--quiet", "--no-report")[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, "out"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        never_runs(monkeypatch)
        for args in (
            ["run", file, "--out", "out", "--set", "scenario.seed=3"],
            ["sweep", file, *VARY, "--out", "out"],
            ["compare", file, file, "--out", "out"],
        ):
            code, out, err = cli(capsys, *args)
            assert code == 2, err
            assert err.startswith("error: out is being written by another bordersim command")
            assert f"(process {holder.pid}, since " in err and "choose another --out" in err
            assert not out
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert not list(tmp_path.glob(".*")), "the lock file goes with its holder"
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "run", file, "--out", "out", "--no-report")
    assert code == 0 and "out already holds this run, finished" in out, err  # no longer busy


def test_a_lock_is_reentrant_and_leaves_nothing(tmp_path):
    folder = tmp_path / "a" / "b" / "out"
    with FolderLock.acquire(folder), FolderLock.acquire(folder):
        assert write.lock_path(folder).exists()
    assert not (tmp_path / "a").exists(), "folders made for the lock are removed with it"


# ------------------------------------------------------------------------------- a full disk


def test_a_full_disk_mid_sweep_keeps_the_points_and_says_how_to_resume(
    capsys, tmp_path, file, monkeypatch
):
    args = ["sweep", file, *VARY, "--quiet", "--executor", "serial", "--no-report"]
    assert cli(capsys, *args, "--out", "whole")[0] == 0
    real = write.write_atomic
    points = []

    def fills_up(path: Path, data) -> None:
        if path.parent.name == "points":
            points.append(path)
            if len(points) == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(write, "write_atomic", fills_up)
    code, out, err = cli(capsys, *args, "--out", "part")
    assert code == 1, err
    assert err.startswith("error: cannot write part/points/00002.json: No space left on device")
    assert "free some space" in err
    assert "2 of 5 points finished and kept in part/" in err
    assert "to run the rest: bordersim sweep" in err and "--resume part" in err
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.glob(".*"))
    monkeypatch.setattr(write, "write_atomic", real)
    assert cli(capsys, *args, "--resume", "part")[0] == 0
    for name in TABLES:
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_a_full_disk_while_saving_a_run_is_status_1(capsys, tmp_path, file, monkeypatch):
    def full(path: Path, data) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write, "write_atomic", full)
    code, out, err = cli(capsys, "run", file, "--out", "out", "--quiet")
    assert code == 1
    assert err.startswith("error: cannot write out: No space left on device")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".*"))


@pytest.fixture
def tmpfs(tmp_path: Path):
    """A 200 KiB tmpfs, if this process may mount one (root in a container that allows it)."""
    where = tmp_path / "small"
    where.mkdir()
    if not shutil.which("mount") or not shutil.which("umount"):
        pytest.skip("no mount command: the full-disk case is covered with a simulated ENOSPC")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "cannot mount a tmpfs here (needs root and a system that allows it; "
            f"mount said: {mounted.stderr.strip()}): the full-disk case is covered with a "
            "simulated ENOSPC"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_real_full_filesystem_is_a_clear_error(capsys, tmp_path, file, tmpfs):
    (tmpfs / "filler").write_bytes(b"\0" * 150_000)
    args = ["sweep", file, "--vary", "policy.rates.red=0:0.2:9", "--executor", "serial"]
    code, out, err = cli(capsys, *args, "--quiet", "--out", tmpfs / "sw")
    assert code in (1, 2), err
    assert "No space left on device" in err and "Traceback" not in err
    if "points finished and kept" in err:
        assert f"--resume {tmpfs / 'sw'}" in err
    assert not list(tmpfs.rglob("*.tmp"))


# ------------------------------------------------------------------------------- --out


@pytest.mark.parametrize("command", ["run", "sweep", "compare"])
def test_an_out_name_of_300_characters_is_refused_before_running(
    capsys, tmp_path, file, monkeypatch, command
):
    never_runs(monkeypatch)
    name = "r" * 300
    extra = {"run": [], "sweep": VARY, "compare": [file]}[command]
    code, out, err = cli(capsys, command, file, *extra, "--out", name)
    assert code == 2, err
    assert "is 300 bytes long" in err and "choose a shorter --out" in err
    assert not out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_an_out_that_cannot_be_written_is_refused_before_running(
    capsys, tmp_path, file, monkeypatch
):
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make the system refuse instead
        real = write.tempfile.mkdtemp

        def refused(*args, **kwargs):
            if str(kwargs.get("dir", "")).startswith(str(locked)):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            return real(*args, **kwargs)

        monkeypatch.setattr(write.tempfile, "mkdtemp", refused)
    else:
        locked.chmod(0o500)
    never_runs(monkeypatch)
    try:
        code, out, err = cli(capsys, "run", file, "--out", locked / "out")
    finally:
        locked.chmod(0o700)
    assert code == 2, err
    assert f"{locked} is not writable (Permission denied)" in err and not out
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------------------------- killed saves


def test_what_a_killed_save_left_is_cleaned_by_the_next(capsys, tmp_path, file):
    assert cli(capsys, "run", file, "--out", "out", "--quiet", "--no-report")[0] == 0
    partial = tmp_path / ".out.k1ll3d_x.partial"  # as mkdtemp names it
    partial.mkdir()
    (partial / "summary.json").write_text("{")
    other = tmp_path / ".outer.abcdefgh.partial"  # another folder's: not ours to touch
    other.mkdir()
    assert cli(capsys, "run", file, "--out", "out", "--quiet", "--no-report")[0] == 0
    assert not partial.exists() and other.exists()


def test_a_save_killed_between_its_renames_gets_its_results_back(capsys, tmp_path, file):
    assert cli(capsys, "run", file, "--out", "out", "--quiet", "--no-report")[0] == 0
    before = (tmp_path / "out" / "summary.json").read_bytes()
    (tmp_path / "out").rename(tmp_path / ".out.old-99999")  # killed after moving it aside
    code, _, err = cli(capsys, "run", file, "--out", "out", "--set", "scenario.days=-1")
    assert code == 2, "bad input: nothing runs, nothing is touched"
    with FolderLock.acquire(tmp_path / "out"):
        write.clear_stale(tmp_path / "out")
    assert (tmp_path / "out" / "summary.json").read_bytes() == before
    assert not list(tmp_path.glob(".*"))


def test_half_written_point_files_of_a_killed_sweep_are_cleaned_on_resume(capsys, tmp_path, file):
    args = ["sweep", file, *VARY, "--quiet", "--executor", "serial", "--no-report"]
    assert cli(capsys, *args, "--out", "sw")[0] == 0
    (tmp_path / "sw" / "points" / "00004.json").unlink()
    stale = tmp_path / "sw" / "points" / ".00004.json.12345-abcd1234.tmp"
    stale.write_text('{"index": 4, "lab')
    assert cli(capsys, *args, "--resume", "sw")[0] == 0
    assert not stale.exists()
    assert json.loads((tmp_path / "sw" / "points" / "00004.json").read_text())["index"] == 4


# ------------------------------------------------------------------------------- the guard


def test_an_unexpected_failure_is_one_message_with_status_1(capsys, tmp_path, file, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("sim.experiment.run.run_with", broken)
    code, out, err = cli(capsys, "run", file, "--out", "out")
    assert code == 1
    assert err.startswith(f"error: bordersim failed while running {file}: ZeroDivisionError: ")
    assert "fault of bordersim" in err and "bordersim --version" in err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".*"))

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("sim.experiment.run.run_with", no_memory)
    code, _, err = cli(capsys, "run", file, "--out", "out")
    assert code == 1 and err.startswith(f"error: out of memory while running {file}")


def test_help_lists_the_exit_statuses_and_the_trust_note(capsys):
    code, out, _ = cli(capsys, "--help")
    assert code == 0
    for words in ("exit statuses:", "130", "bad input", "a fault of bordersim", "trust"):
        assert words in out
