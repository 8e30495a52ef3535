"""Processes: a sweep killed with kill -9 leaves no worker process and no resource tracker
behind; Ctrl-C (SIGINT), SIGTERM and SIGHUP stop a sweep while its worker processes run
(status 130 at once, the finished points kept, no half-written file, the --resume command,
the workers stopped) and resuming gives the uninterrupted tables;
cancelling a pool whose result pipe holds half a message does not hang; a --scheduler address
that is not a Dask scheduler is a clear error within the timeout.

Real processes are synchronised on conditions (files the held workers leave, process states),
never on sleeps, with generous deadlines: the tests hold under load on two cores."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from sim.experiment.executors import DaskExecutor, ExecutorError

from conftest import ROOT, cli, tiny, write_toml

TABLES = ("tradeoff.csv", "summary.csv", "replications.csv", "summary.json")
HOLD_AFTER = "BORDERSIM_TEST_HOLD_AFTER"  # see test_sweep.HeldPolicy
HELD = "BORDERSIM_TEST_HELD"
DEADLINE = 120.0
POINTS = 4  # two held and at least one kept leave at least one to resume


def wait_until(condition: Callable[[], bool], what: str, seconds: float = DEADLINE) -> None:
    """Wait for ``condition`` (checked every 10 ms), or fail saying ``what`` did not happen."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.01)


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its new parent to reap it has ended)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@contextmanager
def held_sweep(tmp_path: Path, points: int = POINTS) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A sweep in a real process with two worker processes, started with --out sw and
    yielded once at least one point is kept and both workers are held midway through a
    replication (test_sweep.HeldPolicy); killed at the end if it is still running.

    Deterministic whatever the machine's speed: the plug-in policy holds every replication
    that starts once the first point is kept, and the sweep is yielded when both workers say
    they are held, so it is always midway, with at least one point kept and two running."""
    file = write_toml(tmp_path / "s.toml", tiny(replications=2))
    held = tmp_path / "held"
    held.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
        HOLD_AFTER: str(tmp_path / "sw" / "points"),
        HELD: str(held),
    }
    command = [
        sys.executable,
        "-m",
        "sim.cli",
        *sweep_args(file, points),
        "--executor",
        "processes",
        "--workers",
        "2",
        "--out",
        "sw",
    ]
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it, even where the tests run with SIGINT ignored (a
        # background job inherits that, and Python then leaves it ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_until(
            lambda: len(list(held.iterdir())) >= 2 or proc.poll() is not None,
            "both workers held",
        )
        assert proc.poll() is None, f"the sweep ended before its workers were held: {proc.stderr}"
        yield proc, held
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def sweep_args(file: Path, points: int = POINTS) -> list[str]:
    vary = f"checks.physical.servers=2:{points + 1}:{points}"
    return ["sweep", str(file), "--vary", vary, "--quiet", "--no-report"] + [
        "--policy-plugin",
        "test_sweep:HeldPolicy",
    ]


def held_pids(held: Path) -> list[int]:
    """The worker processes that said they are held (their files are held-<pid>-<servers>)."""
    return [int(p.name.split("-")[1]) for p in held.iterdir()]


def test_kill_9_of_a_sweep_leaves_no_worker_and_no_resource_tracker(tmp_path):
    with held_sweep(tmp_path) as (proc, held):
        children = psutil.Process(proc.pid).children(recursive=True)
        pids = {c.pid for c in children}
        assert set(held_pids(held)) <= pids
        assert any("resource_tracker" in " ".join(c.cmdline()) for c in children), (
            "the resource tracker runs beside the workers"
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=DEADLINE)
        wait_until(lambda: all(gone(pid) for pid in pids), "every worker and the tracker ended")
    assert len(list((tmp_path / "sw" / "points").glob("*.json"))) >= 1, "finished points kept"


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(signal.SIGINT, id="SIGINT"),
        pytest.param(signal.SIGTERM, id="SIGTERM"),
        pytest.param(signal.SIGHUP, id="SIGHUP", marks=pytest.mark.slow),  # SIGTERM's path
    ],
)
def test_a_signal_stops_a_sweep_with_workers_and_resume_finishes_it(
    capsys, tmp_path, monkeypatch, signum
):
    """Ctrl-C (SIGINT), SIGTERM or SIGHUP reaches the command while worker processes run: it
    exits at once with 130, keeps the finished points, stops the workers, leaves no
    half-written file; after Ctrl-C, --resume finishes the sweep with the tables of an
    uninterrupted one. (A worker stopped while it hands over a result leaves the pool's result
    pipe half-written; cancelling closes the pipe so that cannot hang: see below.)"""
    monkeypatch.chdir(tmp_path)
    with held_sweep(tmp_path) as (proc, held):
        workers = held_pids(held)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 130, err
    points = tmp_path / "sw" / "points"
    kept = len(list(points.glob("*.json")))
    assert 1 <= kept < POINTS
    assert f"interrupted: {kept} of {POINTS} points finished and kept in sw/" in err
    assert "to run the rest: bordersim sweep" in err and "--resume sw" in err
    assert "Traceback" not in err
    assert all(gone(pid) for pid in workers), "the workers were stopped"
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.glob(".*"))
    if signum != signal.SIGINT:
        return  # the same path from here on
    args = sweep_args(tmp_path / "s.toml")
    # In this process nothing is held (the environment variables are the child's only).
    assert cli(capsys, *args, "--resume", "sw", "--executor", "serial")[0] == 0
    assert len(list(points.glob("*.json"))) == POINTS
    assert cli(capsys, *args, "--out", "whole", "--executor", "serial")[0] == 0
    for name in TABLES:
        assert (tmp_path / "sw" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


HALF_WRITTEN = textwrap.dedent(
    """
    import os, struct, sys
    from sim.experiment.executors import ProcessExecutor

    if __name__ == "__main__":
        ex = ProcessExecutor(2)
        ex.submit(0, abs, -1)
        assert list(ex.results()) == [(0, 1)]
        # What a worker killed while it writes a result leaves: a message's length, and less
        # than that. The pool's manager thread starts reading it and waits for the rest.
        writer = ex._pool._result_queue._writer
        os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
        ex.close(cancel=True)
        print("closed", flush=True)
    """
)


def test_cancelling_a_pool_with_a_half_written_result_does_not_hang(tmp_path):
    script = tmp_path / "half.py"
    script.write_text(HALF_WRITTEN)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        out, _ = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:  # it hung at exit: fail without leaving it running
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and out == "closed\n"


# ------------------------------------------------------------------------------- --scheduler


@contextmanager
def server(answer: bytes | None) -> Iterator[str]:
    """A local TCP server that accepts and sends ``answer`` (None: says nothing); its
    address."""
    listener = socket.create_server(("127.0.0.1", 0))
    conns: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conns.append(conn)
            if answer is not None:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for conn in conns:
            conn.close()


GARBAGE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + b"\xff" * 64
HUGE = (1 << 36).to_bytes(8, "little")  # "a message of 64 GiB follows"


@pytest.mark.parametrize("answer", [GARBAGE, HUGE, None], ids=["garbage", "huge", "silent"])
def test_a_scheduler_address_that_is_not_dask_fails_within_the_timeout(answer):
    pytest.importorskip("distributed")
    with server(answer) as address:
        started = time.monotonic()
        with pytest.raises(ExecutorError, match="did not answer as a Dask scheduler|without a"):
            DaskExecutor(address=address, timeout=2)
        assert time.monotonic() - started < 30


def test_a_bogus_scheduler_on_the_command_line_is_a_clear_error(capsys, tmp_path):
    pytest.importorskip("distributed")
    file = write_toml(tmp_path / "s.toml", tiny())
    with server(GARBAGE) as address:
        code, out, err = cli(capsys, "run", file, "--scheduler", address, "--out", tmp_path / "o")
    assert code == 2, err
    assert err.startswith(f"error: cannot join the Dask scheduler at {address}: ")
    assert "did not answer as a Dask scheduler" in err and not out
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".*"))
