"""Executors: the same numbers in this process, in spawned worker processes and on a Dask
local cluster, whatever the number of workers; every task's result once, tasks submitted while
iterating included; policies that can or cannot travel; a worker that dies keeps every
finished point; a local Dask cluster starts with its housekeeping turned down."""

from __future__ import annotations

import json
import os
import time
from typing import Any, ClassVar

import numpy as np
import pytest

import sim
from sim.experiment.executors import (
    DaskExecutor,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    WorkerLost,
    make_executor,
    unshippable,
)
from sim.policies import PolicyConfig

from conftest import build, write_toml
from conftest import tiny as shared_tiny


class EveryOtherRed(sim.Policy):
    """A plug-in policy (importable by worker processes as ``test_executors``): red for a
    quarter of the shipments, drawn from its own per-shipment stream."""

    kind: ClassVar[str] = "every-other-red"
    Config: ClassVar[type[PolicyConfig]] = PolicyConfig

    def start(self, context):
        self.u = context.uniforms("every-other-red")

    def select(self, declaration, border):
        return "red" if self.u[declaration.id] < 0.25 else "green"


class CrashingPolicy(EveryOtherRed):
    """Kills the worker process running it on the point with 5 physical officers, while
    the environment variable BORDERSIM_TEST_CRASH is set (a worker killed by the system)."""

    kind: ClassVar[str] = "crash-test"

    def start(self, context):
        import os

        if (
            os.environ.get("BORDERSIM_TEST_CRASH")
            and context.scenario.checks["physical"].servers == 5
        ):
            os._exit(3)
        super().start(context)


def tiny(replications: int = 3) -> dict[str, Any]:
    return shared_tiny(replications=replications)


def numbers(result) -> str:
    """Every replication of every point, exactly."""
    return json.dumps([p.replications for p in result.points])


def two_points(executor, policy=None):
    return sim.compare(
        build(tiny()),
        variants={"staffed": {"checks.physical.servers": 5}},
        executor=executor,
        policy=policy,
        progress=False,
    )


def test_identical_in_process_in_worker_processes_and_on_dask():
    pytest.importorskip("distributed")
    reference = two_points("serial")
    assert reference.executor == "serial"
    with_plugin = two_points("serial", policy=EveryOtherRed)
    assert numbers(with_plugin) != numbers(reference)
    executors = [
        ProcessExecutor(3),  # spawned workers, more workers than tasks at a time
        DaskExecutor(2, processes=False),
    ]
    for executor in executors:
        try:
            assert numbers(two_points(executor)) == numbers(reference), executor.name
            same = two_points(executor, policy=EveryOtherRed)
            assert numbers(same) == numbers(with_plugin), executor.name
            assert same.executor.startswith(executor.name)
        finally:
            executor.close()


def test_identical_on_a_dask_local_cluster_of_processes():
    pytest.importorskip("distributed")
    reference = two_points("serial")
    result = two_points("dask")  # starts a local cluster, and shuts it down afterwards
    assert result.executor.startswith("dask (local cluster")
    assert numbers(result) == numbers(reference)


def draw(seed: int) -> tuple[int, list[float]]:
    """A task: the same numbers wherever it runs."""
    return seed, np.random.default_rng(seed).random(3).tolist()


def drain(executor, first: int, total: int) -> list[tuple[Any, Any]]:
    """As the experiment engine does: ``first`` tasks, then one more each time a result comes
    back, ``total`` in all; every (key, value) in the order they came back."""
    for k in range(first):
        executor.submit(("task", k), draw, k)
    submitted = first
    got = []
    for key, value in executor.results():
        got.append((key, value))
        if submitted < total:
            executor.submit(("task", submitted), draw, submitted)
            submitted += 1
    return got


@pytest.mark.parametrize("kind", ["serial", "processes", "dask"])
def test_every_result_once_including_tasks_submitted_while_iterating(kind):
    if kind == "dask":
        pytest.importorskip("distributed")
    executor = {
        "serial": SerialExecutor,
        "processes": lambda: ProcessExecutor(2),
        "dask": lambda: DaskExecutor(2, processes=False),
    }[kind]()
    try:
        got = drain(executor, first=4, total=11)
        assert list(executor.results()) == [], "nothing left over"
    finally:
        executor.close()
    keys = [key for key, _ in got]
    assert sorted(keys) == [("task", k) for k in range(11)], "each key exactly once"
    assert dict(got) == {("task", k): draw(k) for k in range(11)}


def worker_settings() -> dict[str, Any]:
    import dask

    keys = (
        "distributed.worker.profile.enabled",
        "distributed.admin.tick.interval",
        "distributed.admin.system-monitor.interval",
        "distributed.worker.memory.monitor-interval",
    )
    settings = {key: dask.config.get(key) for key in keys}
    settings["MALLOC_TRIM_THRESHOLD_"] = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    return settings


def test_a_local_dask_cluster_turns_its_housekeeping_down():
    """Its worker processes start with the profiler off, the event-loop health check and the
    monitors slowed down, and without Dask's MALLOC_TRIM_THRESHOLD_."""
    pytest.importorskip("distributed")
    inherited = os.environ.get("MALLOC_TRIM_THRESHOLD_")  # None, unless set before this test
    executor = DaskExecutor(1)
    try:
        (settings,) = executor.client.run(worker_settings).values()
    finally:
        executor.close()
    assert settings.pop("distributed.worker.profile.enabled") is False
    assert settings.pop("distributed.admin.tick.interval") == "1s"
    assert settings.pop("distributed.admin.system-monitor.interval") == "5s"
    assert settings.pop("distributed.worker.memory.monitor-interval") == "500ms"
    assert settings.pop("MALLOC_TRIM_THRESHOLD_") == inherited
    assert not settings


def test_trace_and_run_in_worker_processes():
    scenario = build(tiny(replications=2))
    here = sim.run(scenario, trace=True, executor="serial", progress=False)
    there = sim.run(scenario, trace=True, executor="processes", workers=2, progress=False)
    assert there.executor == "processes (2 workers)"
    assert json.dumps(here.replications) == json.dumps(there.replications)
    for a, b in zip(here.records, there.records, strict=True):
        np.testing.assert_array_equal(a.released, b.released)
        np.testing.assert_array_equal(a.outcome, b.outcome)


def test_lambda_policies_run_here_unless_processes_are_asked_for():
    factory = lambda: EveryOtherRed()  # noqa: E731
    assert unshippable(factory) is not None
    assert unshippable(EveryOtherRed) is None
    result = sim.run(build(tiny()), policy=factory, workers=None, progress=False)
    assert result.executor == "serial"
    with pytest.raises(ExecutorError, match="cannot be sent to worker processes"):
        sim.run(build(tiny()), policy=factory, executor="processes", progress=False)
    with pytest.raises(ExecutorError, match="cannot be sent to worker processes"):
        sim.run(build(tiny()), policy=factory, workers=2, progress=False)


def test_dask_takes_lambdas_too():
    pytest.importorskip("distributed")
    factory = lambda: EveryOtherRed()  # noqa: E731
    executor = DaskExecutor(2, processes=False)
    try:
        there = sim.run(build(tiny()), policy=factory, executor=executor, progress=False)
    finally:
        executor.close()
    here = sim.run(build(tiny()), policy=EveryOtherRed, executor="serial", progress=False)
    assert json.dumps(there.replications) == json.dumps(here.replications)


def test_the_default_executor_starts_processes_only_when_they_pay():
    def chosen(**kw):
        ex = make_executor(None, **kw)
        ex.close()
        return ex.name, ex.workers

    assert chosen(tasks=8, seconds=0.1) == ("serial", 1)
    assert chosen(tasks=1, seconds=100.0) == ("serial", 1)
    assert chosen(tasks=8, seconds=100.0, workers=1) == ("serial", 1)
    assert chosen(tasks=2, seconds=0.1, workers=2) == ("processes", 2)
    assert chosen(tasks=3, seconds=100.0, workers=8) == ("processes", 3)
    assert chosen(tasks=8, seconds=100.0, payload=lambda: 1) == ("serial", 1)
    assert make_executor("serial").name == "serial"
    assert isinstance(make_executor(SerialExecutor()), SerialExecutor)
    with pytest.raises(ExecutorError, match="unknown executor"):
        make_executor("cluster")


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        DaskExecutor(address="tcp://127.0.0.1:9", timeout=1)


def test_a_killed_worker_keeps_finished_points_and_resume_finishes(tmp_path, monkeypatch, capsys):
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    file = write_toml(tmp_path / "s.toml", tiny(replications=2))
    args = [
        "sweep",
        str(file),
        "--vary",
        "checks.physical.servers=3,4,5",
        "--policy-plugin",
        "test_executors:CrashingPolicy",
        "--quiet",
    ]
    monkeypatch.setenv("BORDERSIM_TEST_CRASH", "1")
    code = main([*args, "--out", "sw", "--executor", "processes", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "worker process stopped" in err and "Traceback" not in err
    assert "2 of 3 points finished and kept in sw/" in err
    assert sorted(p.name for p in (tmp_path / "sw" / "points").iterdir()) == [
        "00000.json",
        "00001.json",
    ]
    assert not list(tmp_path.rglob("*.tmp")), "no half-written file"
    monkeypatch.delenv("BORDERSIM_TEST_CRASH")
    assert main([*args, "--resume", "sw"]) == 0
    assert main([*args, "--out", "whole", "--executor", "serial"]) == 0
    for name in ("tradeoff.csv", "summary.csv", "replications.csv", "summary.json"):
        assert (tmp_path / "sw" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_joining_a_running_scheduler():
    distributed = pytest.importorskip("distributed")
    reference = sim.run(build(tiny()), executor="serial", progress=False)
    with distributed.LocalCluster(
        n_workers=1, processes=False, dashboard_address=":0", silence_logs=50
    ) as cluster:
        result = sim.run(build(tiny()), scheduler=cluster.scheduler_address, progress=False)
    assert result.executor.startswith("dask (scheduler ")
    assert json.dumps(result.replications) == json.dumps(reference.replications)


def _double(x: int) -> int:
    return 2 * x


def _exit_now(_: Any) -> None:
    os._exit(3)  # a worker killed by the system


def test_a_task_handed_over_after_a_worker_died_loses_no_finished_result():
    """The engine hands over the next task as soon as a result comes back; if a worker died in
    between, the finished results still in the pool come out first, then the failure (it was
    raised at once, and a point whose last replication was among them was lost)."""
    executor = ProcessExecutor(workers=1)
    try:
        executor.submit("a", _double, 1)
        executor.submit("b", _exit_now, None)
        pool = executor._pool
        deadline = time.monotonic() + 120
        while not pool._broken and time.monotonic() < deadline:  # the pool sees the death
            time.sleep(0.01)
        assert pool._broken
        executor.submit("c", _double, 2)
        got = []
        with pytest.raises(WorkerLost):
            for key, value in executor.results():
                got.append((key, value))
        assert got == [("a", 2)]
    finally:
        executor.close(cancel=True)
