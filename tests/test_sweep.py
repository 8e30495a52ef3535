"""``bordersim sweep`` and ``bordersim compare`` from the command line: bad --vary gets the
clear error of a bad --set; a sweep interrupted midway and resumed gives exactly the results
of an uninterrupted one; the trade-off table marks the Pareto-efficient points."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import ClassVar

import pytest

import sim
from sim.experiment.executors import ProcessExecutor
from sim.experiment.sweep import parse_vary
from sim.files.store import ExperimentStore

from conftest import cli, tiny, write_toml

TABLES = ("tradeoff.csv", "summary.csv", "replications.csv", "summary.json")


@pytest.fixture
def file(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_toml(tmp_path / "s.toml", tiny())


def assert_nothing_written(tmp_path: Path) -> None:
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "s.toml"]
    assert not leftovers, f"left behind: {leftovers}"


# ------------------------------------------------------------------------------- --vary


def test_ranges_and_lists():
    assert parse_vary("policy.rates.red=0:0.3:4").values == (0.0, 0.1, 0.2, 0.3)
    assert parse_vary("policy.rates.red=0:0.3:13").values[1] == 0.025
    assert parse_vary("checks.physical.servers=2:6:5").values == (2, 3, 4, 5, 6)
    assert parse_vary("checks.physical.servers=2, 4,8").values == (2, 4, 8)
    assert parse_vary("policy.default_lane=green,yellow").values == ("green", "yellow")
    dists = parse_vary(
        'checks.documents.duration_hours={dist="fixed", value=0.5},{dist="fixed", value=1}'
    )
    assert dists.values == ({"dist": "fixed", "value": 0.5}, {"dist": "fixed", "value": 1})


@pytest.mark.parametrize(
    ("vary", "key", "words"),
    [
        (["policy.rates.red"], "policy.rates.red", "KEY=START:STOP:COUNT"),
        (["=0:1:3"], None, "KEY=START:STOP:COUNT"),
        (["policy.rates.red="], "policy.rates.red", "no values given"),
        (["policy.rates.red=0:0.3"], "policy.rates.red", "START:STOP:COUNT"),
        (["policy.rates.red=0:0.3:1"], "policy.rates.red", "at least 2"),
        (["policy.rates.red=0:0.3:2.5"], "policy.rates.red", "whole number"),
        (["policy.rates.red=a:b:3"], "policy.rates.red", "must be numbers"),
        (["policy.rates.red=0.1:0.1:3"], "policy.rates.red", "differ"),
        (["policy.rates.red=0:1:100000"], "policy.rates.red", "at most 1000 values"),
        (["policy.rates.red=0.1,,0.2"], "policy.rates.red", "empty value"),
        (["policy.rates.red=0.1,0.1"], "policy.rates.red", "listed twice"),
        (["scenario.seed=1,2"], "scenario.seed", "use --seed"),
        (["scenario.replications=1,2"], "scenario.replications", "use --replications"),
        (["policy.rates.red=0,0.1", "policy.rates.red=0.2,0.3"], "policy.rates.red", "already"),
        (["a=1,2", "b=1,2", "c=1,2"], "c", "at most 2 keys"),
        (["illicit.prevalence=0.1,2"], "illicit.prevalence", "at most 1"),
        (["checks.physical.servers=2:4:4"], "checks.physical.servers", "whole number"),
        (["checks.physical.sevrers=2,3"], "checks.physical.sevrers", "did you mean 'servers'"),
        (["checks.physical.servers.x=2,3"], "checks.physical.servers", "not a table"),
    ],
)
def test_bad_vary_exits_2_naming_file_and_key(capsys, tmp_path, file, vary, key, words):
    args = ["sweep", file]
    for v in vary:
        args += ["--vary", v]
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert err.startswith(f"error: {file} (--vary ")
    assert words in err
    assert key is None or f"\n  {key}: " in err
    assert not out
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "X"],  # no --vary
        ["sweep", "X", "--vary", "policy.rates.red=0,0.1", "--precision", "0.1"],
        [
            "sweep",
            "X",
            "--vary",
            "policy.rates.red=0,0.1",
            "--replications",
            "auto",
            "--precision",
            "2",
        ],
        [
            "sweep",
            "X",
            "--vary",
            "policy.rates.red=0,0.1",
            "--executor",
            "serial",
            "--workers",
            "2",
        ],
        [
            "sweep",
            "X",
            "--vary",
            "policy.rates.red=0,0.1",
            "--executor",
            "processes",
            "--scheduler",
            "tcp://x:1",
        ],
        ["sweep", "X", "--vary", "policy.rates.red=0,0.1", "--format", "xlsx"],
        ["compare", "X", "--replications", "sometimes"],
        ["compare", "X", "--resume", "a", "--out", "b"],
    ],
)
def test_bad_arguments_exit_2_with_usage(capsys, tmp_path, file, args):
    code, _, err = cli(capsys, *[file if a == "X" else a for a in args])
    assert code == 2 and "usage:" in err and "error:" in err
    assert_nothing_written(tmp_path)


def test_bad_plugin_and_missing_dask_are_clear(capsys, tmp_path, file, monkeypatch):
    vary = ["--vary", "policy.rates.red=0,0.1"]
    code, _, err = cli(capsys, "sweep", file, *vary, "--policy-plugin", "nosuchmodule:X")
    assert code == 2 and err.startswith("error: --policy-plugin nosuchmodule:X: ")
    assert "nosuchmodule" in err
    import builtins

    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    code, _, err = cli(capsys, "sweep", file, *vary, "--executor", "dask")
    assert code == 2 and "pip install -e '.[dask]'" in err
    assert_nothing_written(tmp_path)


# ------------------------------------------------------------------------------- results


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_grid_sweep_writes_the_tradeoff_table(capsys, tmp_path, file):
    code, out, err = cli(
        capsys,
        "sweep",
        file,
        "--vary",
        "policy.rates.red=0:0.3:3",
        "--vary",
        "checks.physical.servers=2,4",
        "--out",
        "sw",
    )
    assert code == 0, err
    assert "Sweep of small over policy.rates.red and checks.physical.servers: 6 points" in out
    assert "* = efficient" in out and "Results written to sw/" in out
    rows = read_csv(tmp_path / "sw" / "tradeoff.csv")
    assert [(r["policy.rates.red"], r["checks.physical.servers"]) for r in rows] == [
        ("0", "2"),
        ("0", "4"),
        ("0.15", "2"),
        ("0.15", "4"),
        ("0.3", "2"),
        ("0.3", "4"),
    ]
    for column in ("clearance_hours_mean", "clearance_hours_mean_ci_low", "interception_rate"):
        assert column in rows[0]
    efficient = [r["pareto"] == "true" for r in rows]
    assert any(efficient)
    live = [r["overloaded"] != "true" for r in rows]
    points = [(float(r["clearance_hours_mean"]), float(r["interception_rate"])) for r in rows]
    for i, ((t, c), row) in enumerate(zip(points, rows, strict=True)):
        beaten = any(
            t2 <= t and c2 >= c and (t2, c2) != (t, c)
            for j, (t2, c2) in enumerate(points)
            if live[j] and j != i
        )
        if not live[i]:
            assert row["frontier"] == "overloaded" and row["pareto"] == "false"
        elif not beaten:  # no point beats it even on the means
            assert row["frontier"] == "efficient" and row["pareto"] == "true"
        else:  # beaten on the means: dominated beyond the noise, or in the band
            assert row["frontier"] in ("dominated", "band")
            assert row["pareto"] == ("true" if row["frontier"] == "band" else "false")
    tidy = read_csv(tmp_path / "sw" / "replications.csv")
    assert list(tidy[0]) == [
        "point",
        "policy.rates.red",
        "checks.physical.servers",
        "replication",
        "metric",
        "value",
    ]
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["seed"] == 11
    assert sim.load_scenario(tmp_path / "sw" / "scenario.toml").scenario.name == "small"


def test_compare_files_from_the_command_line(capsys, tmp_path, file):
    data = tiny()
    data["policy"]["rates"]["red"] = 0.3
    strict = write_toml(tmp_path / "strict.toml", data)
    code, out, err = cli(capsys, "compare", file, strict, "--out", "cmp", "--seed", 5)
    assert code == 0, err
    assert "Comparison of 2 scenarios under common random numbers (seed 5" in out
    assert "vs small" in out
    rows = read_csv(tmp_path / "cmp" / "comparison.csv")
    assert rows[0]["metric"] == "shipments"
    assert rows[0]["small-2 - small mean"] == "0", "the same shipments arrive in both"
    assert sorted(p.name for p in (tmp_path / "cmp" / "scenarios").iterdir()) == [
        "small-2.toml",
        "small.toml",
    ]


def test_an_existing_folder_is_not_overwritten(capsys, tmp_path, file):
    """The rule for an existing --out folder: other files or other inputs are refused, the
    same inputs finished are complete (status 0, nothing rewritten)."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    vary = ["--vary", "policy.rates.red=0,0.1"]
    code, _, err = cli(capsys, "sweep", file, *vary, "--out", mine)
    assert code == 2 and "not empty" in err
    assert cli(capsys, "sweep", file, *vary, "--out", "sw", "--quiet", "--no-report")[0] == 0
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / "sw").rglob("*")}
    code, out, err = cli(capsys, "sweep", file, *vary, "--out", "sw")
    assert code == 0 and not err
    assert "sw already holds this sweep, finished; nothing was run again" in out
    assert "bordersim report sw" in out
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "sw").rglob("*")} == written
    for other in (["--out", "sw"], ["--resume", "sw"]):
        code, _, err = cli(capsys, "sweep", file, "--vary", "policy.rates.red=0,0.2", *other)
        assert code == 2 and "sw holds a sweep of other inputs" in err
    code, _, err = cli(capsys, "compare", file, file, "--resume", "sw")
    assert code == 2 and "holds a sweep, not a comparison" in err
    code, _, err = cli(capsys, "run", file, "--out", "sw")
    assert code == 2 and "holds a sweep, not a run" in err
    assert (mine / "notes.txt").read_text() == "keep"
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "sw").rglob("*")} == written


def test_interrupted_sweep_resumed_gives_exactly_the_uninterrupted_results(
    capsys, tmp_path, file, monkeypatch
):
    args = ["sweep", file, "--vary", "policy.rates.red=0:0.2:5", "--quiet", "--executor", "serial"]
    assert cli(capsys, *args, "--out", "whole")[0] == 0

    saved = ExperimentStore.save
    calls = []

    def interrupt_after_two(self, i, result):
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third point finishes
        calls.append(i)
        saved(self, i, result)

    monkeypatch.setattr(ExperimentStore, "save", interrupt_after_two)
    code, out, err = cli(capsys, *args, "--out", "part")
    assert code == 130
    assert "interrupted: 2 of 5 points finished and kept in part/" in err
    assert "--resume part" in err
    assert len(list((tmp_path / "part" / "points").glob("*.json"))) == 2
    assert not (tmp_path / "part" / "tradeoff.csv").exists()
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob(".*"))
    monkeypatch.setattr(ExperimentStore, "save", saved)

    ran = []
    monkeypatch.setattr(
        "sim.experiment.engine.run_replication",
        lambda task, real=sim.experiment.engine.run_replication: ran.append(1) or real(task),
    )
    assert cli(capsys, *args, "--resume", "part")[0] == 0
    assert len(ran) == 3 * 2, "only the three missing points ran"
    for name in TABLES:
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    ran.clear()
    assert cli(capsys, *args, "--resume", "part")[0] == 0, "resuming a finished sweep is fine"
    assert not ran


def test_interrupt_before_any_point_leaves_nothing(capsys, tmp_path, file, monkeypatch):
    def interrupt(self, i, result):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExperimentStore, "save", interrupt)
    code, _, err = cli(capsys, "sweep", file, "--vary", "policy.rates.red=0,0.1", "--quiet")
    assert code == 130 and "no results written" in err
    assert_nothing_written(tmp_path)


HOLD_AFTER = "BORDERSIM_TEST_HOLD_AFTER"
HELD = "BORDERSIM_TEST_HELD"


class HeldPolicy(sim.Policy):
    """A plug-in policy (importable by worker processes as ``test_sweep``; the process tests of
    tests/test_processes.py stop a sweep that it holds): red for a fifth of
    the shipments, drawn from its own per-shipment stream. While the environment variable
    BORDERSIM_TEST_HOLD_AFTER names a sweep's points folder that already holds a point, every
    replication that starts is held: it leaves a file in the folder BORDERSIM_TEST_HELD names
    and waits until its process is ended (at most five minutes)."""

    kind: ClassVar[str] = "held-test"
    Config: ClassVar[type[sim.PolicyConfig]] = sim.PolicyConfig

    def start(self, context):
        self.u = context.uniforms("held-test")
        points = os.environ.get(HOLD_AFTER)
        if points and any(Path(points).glob("*.json")):
            servers = context.scenario.checks["physical"].servers
            (Path(os.environ[HELD]) / f"held-{os.getpid()}-{servers}").touch()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                time.sleep(0.01)
            raise RuntimeError("held for five minutes: nobody ended this process")

    def select(self, declaration, border):
        return "red" if self.u[declaration.id] < 0.2 else "green"


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signals reach the main thread",
)
def test_ctrl_c_is_raised_where_the_pool_holds_no_lock():
    """Ctrl-C while waiting for worker processes surfaces from the executor's own code, not
    from inside concurrent.futures or threading, where it could leave a lock held that the
    pool's manager thread needs (the command then hung at exit, after saying it was
    interrupted)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt) as caught, ProcessExecutor(1) as ex:
            ex.submit("held", time.sleep, 300)  # ended by the executor, not by time
            timer.start()
            for _ in ex.results():
                pass
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "handler put back"
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    frames = traceback.extract_tb(caught.value.__traceback__)
    where = [f"{f.filename}:{f.name}" for f in frames]
    assert frames[-1].filename.endswith("executors.py"), where
    assert not any("concurrent" in f.filename or "threading" in f.filename for f in frames), where


def test_parquet_and_auto_replications_in_a_sweep(capsys, tmp_path, file):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    code, out, err = cli(
        capsys,
        "sweep",
        file,
        "--vary",
        "checks.physical.servers=3,4",
        "--replications",
        "auto",
        "--precision",
        "0.1",
        "--max-replications",
        "5",
        "--format",
        "parquet",
        "--out",
        "sw",
    )
    assert code == 0, err
    assert "stopped at the maximum of 5 replications" in out or "reached" in out
    frame = pd.read_parquet(tmp_path / "sw" / "tradeoff.parquet")
    assert frame["checks.physical.servers"].tolist() == [3, 4]
    assert frame["pareto"].dtype == bool
    assert not (tmp_path / "sw" / "tradeoff.csv").exists()
