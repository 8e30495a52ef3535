"""``sim.calibrate`` and ``bordersim calibrate``: known values recovered from their own
figures, common random numbers, a resumed search equal to an uninterrupted one, the calibrated
file reproducing the fit, conflicts named with their size, and bad input refused (status 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.experiment import calibrate as calibration
from sim.experiment.calibrate import calibrate

from conftest import cli, mmc_data, write_toml

pytest.importorskip("optuna")
pytest.importorskip("tomlkit")

KNOWN = {"lodgement.delay_hours.mean": 4.0, "checks.desk.servers": 3}
FREE = ["lodgement.delay_hours.mean=2:8", "checks.desk.servers=2:5:int"]


def tiny_data(delay: float = 4.0, servers: int = 3) -> dict[str, Any]:
    """One desk (2 shipments an hour, one hour each) after an exponential lodgement delay."""
    data = mmc_data(lam=2, mu=1.0, c=servers, days=5, warmup_days=0.5, replications=2, seed=7)
    data["lodgement"] = {"delay_hours": {"dist": "exponential", "mean": delay}, "roster": "24/7"}
    return data


def target_text(figures: list[tuple[str, str, float, float | None]], name: str = "known") -> str:
    lines = [
        "[target]",
        f'name = "{name}"',
        'source = "simulated with known values"',
        "tolerance = 0.10",
    ]
    for label, metric, value, sd in figures:
        lines += ["", "[[figures]]", f'name = "{label}"', f'metric = "{metric}"']
        lines.append(f"value = {value!r}")
        if sd is not None:
            lines.append(f"sd = {sd!r}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The scenario file to calibrate (its own values away from the known ones)."""
    return write_toml(tmp_path / "tiny.toml", tiny_data(delay=7.0, servers=4))


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    """The known values' figures, as a published study gives them: each mean with its
    standard error (4 replications, the calibration's final rerun's count)."""
    truth = write_toml(tmp_path / "truth.toml", tiny_data())
    result = sim.run(str(truth), replications=4, progress=False)
    rows = []
    for label, metric in (
        ("arrival to lodgement", "segment.lodgement"),
        ("waiting for the desk", "segment.desk.queue"),
        ("arrival to release", "clearance_hours_mean"),
    ):
        s = result.stats[metric]
        rows.append((label, metric, s["mean"], s["half_width"] / 1.96))
    path = tmp_path / "targets.toml"
    path.write_text(target_text(rows))
    return path


def test_recovery(base: Path, targets: Path, tmp_path: Path) -> None:
    """Simulated known values are found again: within the reported ranges, every figure met,
    and the folder holds every output."""
    out = tmp_path / "out"
    result = calibrate(base, targets, FREE, trials=30, replications=2, out=out, executor="serial")
    for key, value in KNOWN.items():
        low, high = result.ranges[key]
        assert low <= value <= high, (key, result.ranges)
    assert all(row["met"] for row in result.fit), result.text()
    assert result.conflicts == []
    assert len(result.trials) == 30
    for name in ("calibration.json", "fit.csv", "trials.csv", "calibrated.toml", "study.log"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "calibration.json").read_text())
    assert saved["best"] == result.best and saved["met"] is True
    assert "bordersim calibrate" in result.command and "--trials 30" in result.command


def test_calibrated_file_reproduces_the_fit(base: Path, targets: Path, tmp_path: Path) -> None:
    """calibrated.toml keeps the base's comments, names the figures on each fitted key's
    line, and loads as a scenario that gives the same fit."""
    base.write_text("# the base's own comment\n" + base.read_text())
    out = tmp_path / "out"
    result = calibrate(base, targets, FREE, trials=12, replications=2, out=out, executor="serial")
    text = (out / "calibrated.toml").read_text()
    assert text == result.scenario_toml
    assert "# the base's own comment" in text and "# Reproduce: bordersim calibrate" in text
    noted = [line for line in text.splitlines() if "calibrated to known:" in line]
    assert len(noted) == 2 and all("arrival to release" in line for line in noted)
    fitted = sim.load_scenario(out / "calibrated.toml")
    assert fitted.checks["desk"].servers == result.best["checks.desk.servers"]
    again = sim.run(fitted, replications=4, progress=False)
    for row in result.fit:
        mean = again.stats[row["metric"][0]]["mean"]
        assert mean == pytest.approx(row["fitted"], rel=0.02), row["name"]


def test_common_random_numbers(base: Path, targets: Path) -> None:
    """Under common random numbers the same parameters give the same loss; without them
    (crn=False) they need not."""
    free = ["checks.desk.servers=2:4:int"]
    by_crn = {}
    for crn in (True, False):
        result = calibrate(
            base, targets, free, trials=6, replications=2, executor="serial", crn=crn
        )
        losses: dict[int, set[float]] = {}
        for params, loss in result.trials:
            losses.setdefault(params["checks.desk.servers"], set()).add(loss)
        assert any(len(v) > 0 for v in losses.values())
        by_crn[crn] = losses
    repeated = [v for v in by_crn[True].values()]
    assert all(len(v) == 1 for v in repeated), by_crn[True]
    assert any(len(v) > 1 for v in by_crn[False].values()), by_crn[False]


def test_resume_runs_only_the_missing_trials(
    base: Path, targets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search stopped after 5 trials and resumed to 10 runs 5 more (and the final rerun),
    and ends exactly where an uninterrupted search of 10 does."""
    whole = calibrate(base, targets, FREE, trials=10, replications=2, executor="serial")
    out = tmp_path / "out"
    calibrate(base, targets, FREE, trials=5, replications=2, out=out, executor="serial")
    ran: list[str] = []
    real = calibration.execute

    def counted(points: list, *args: Any, **kwargs: Any) -> Any:
        ran.extend(p.label for p in points)
        return real(points, *args, **kwargs)

    monkeypatch.setattr(calibration, "execute", counted)
    resumed = calibrate(
        base, targets, FREE, trials=10, replications=2, out=out, resume=True, executor="serial"
    )
    assert ran == [f"trial {n}" for n in range(5, 10)] + ["best"]
    assert resumed.trials == whole.trials
    assert resumed.best == whole.best and resumed.fit == whole.fit


def test_interrupted_search_exits_130_and_resumes(
    capsys: pytest.CaptureFixture[str],
    base: Path,
    targets: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C in the middle of a batch: status 130, the finished trials kept in study.log and
    the command that continues printed; continuing it ends where an uninterrupted search does."""
    whole = calibrate(base, targets, FREE, trials=6, replications=2, executor="serial")
    real = calibration.execute
    calls = []

    def interrupted(points: list, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(points, *args, **kwargs)

    monkeypatch.setattr(calibration, "execute", interrupted)
    out = tmp_path / "out"
    args = ["calibrate", base, targets, *(f"--free={f}" for f in FREE), "--trials", "6"]
    args += ["--replications", "2", "--executor", "serial", "--out", out, "--quiet"]
    code, _, err = cli(capsys, *args)
    assert code == 130, err
    assert "to continue: bordersim calibrate" in err and "--resume" in err
    assert (out / "study.log").is_file()
    monkeypatch.setattr(calibration, "execute", real)
    resumed = calibrate(
        base, targets, FREE, trials=6, replications=2, out=out, resume=True, executor="serial"
    )
    assert resumed.trials == whole.trials and resumed.best == whole.best


@pytest.mark.parametrize(("width", "stop"), [(2, 11), (3, 13)])
def test_resume_with_batches_ends_where_an_uninterrupted_search_does(
    base: Path, targets: Path, tmp_path: Path, width: int, stop: int
) -> None:
    """Batches of ``width`` trials, stopped after ``stop`` trials (not a multiple of the width,
    so inside a batch of the uninterrupted search; past the sampler's 10 random trials) and
    resumed: the same trials, in the same order, with the same losses, the same best and fit."""
    run = {"replications": 2, "executor": sim.SerialExecutor(), "workers": width}
    whole = calibrate(base, targets, FREE, trials=15, **run)
    out = tmp_path / "out"
    calibrate(base, targets, FREE, trials=stop, out=out, **run)
    resumed = calibrate(base, targets, FREE, trials=15, out=out, resume=True, **run)
    assert resumed.trials == whole.trials
    assert resumed.best == whole.best and resumed.fit == whole.fit


@pytest.mark.parametrize("crn", [True, False])
def test_resume_after_trials_asked_and_never_told(
    base: Path, targets: Path, tmp_path: Path, crn: bool
) -> None:
    """A study.log holding trials that were asked but never told (a process killed inside a
    batch: trial 10 told, trial 11 not): resumed, it is run again, and the search ends where
    an uninterrupted one does, with or without common random numbers."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    run = {"replications": 2, "executor": sim.SerialExecutor(), "workers": 2, "crn": crn}
    whole = calibrate(base, targets, FREE, trials=14, **run)
    out = tmp_path / "out"
    calibrate(base, targets, FREE, trials=11, out=out, **run)
    storage = JournalStorage(JournalFileBackend(str(out / calibration.STUDY)))
    study = optuna.load_study(study_name=calibration.STUDY_NAME, storage=storage)
    study.ask({"lodgement.delay_hours.mean": optuna.distributions.FloatDistribution(2, 8)})
    resumed = calibrate(base, targets, FREE, trials=14, out=out, resume=True, **run)
    assert resumed.trials == whole.trials
    assert resumed.best == whole.best and resumed.fit == whole.fit
    numbers = [row["number"] for row in resumed.to_dict()["trials"]]
    assert len(numbers) == 14 and numbers == sorted(numbers)


def test_resume_refuses_other_inputs(base: Path, targets: Path, tmp_path: Path) -> None:
    """Resumed with other replications, or another batch width (--workers), the search would
    not be the one started: refused, naming what changed."""
    out = tmp_path / "out"
    calibrate(base, targets, FREE, trials=2, replications=2, out=out, executor="serial")
    with pytest.raises(sim.ExperimentError, match="replications"):
        calibrate(
            base,
            targets,
            FREE,
            trials=4,
            replications=3,
            out=out,
            resume=True,
            executor="serial",
        )
    with pytest.raises(sim.ExperimentError, match=r"holds a calibration of other inputs"):
        calibrate(base, targets, FREE, trials=4, replications=3, out=out, executor="serial")
    with pytest.raises(sim.ExperimentError, match=r"\(workers changed\)"):
        calibrate(
            base,
            targets,
            FREE,
            trials=4,
            replications=2,
            out=out,
            resume=True,
            executor=sim.SerialExecutor(),
            workers=2,
        )


def test_conflicting_figures_are_named_with_their_size(base: Path, tmp_path: Path) -> None:
    """One free key cannot make lodgement 2 h and the whole clearance 8 h (the desk takes
    about an hour): the conflict names both figures and how far apart they are."""
    path = tmp_path / "conflict.toml"
    path.write_text(
        target_text(
            [
                ("arrival to lodgement", "segment.lodgement", 2.0, None),
                ("arrival to release", "clearance_hours_mean", 8.0, None),
            ],
            name="conflict",
        )
    )
    result = calibrate(
        base,
        path,
        ["lodgement.delay_hours.mean=1:10"],
        trials=12,
        replications=2,
        executor="serial",
    )
    assert not result.met
    assert result.conflicts
    text = " ".join(result.conflicts)
    assert "'arrival to lodgement'" in text and "'arrival to release'" in text
    assert "conflicts with" in text and "% off" in text


def test_a_figure_met_by_few_trials_is_not_called_a_conflict(targets: Path) -> None:
    """Fewer than FEW trials meeting a figure, all missing another: the message says so and
    asks for more trials, instead of declaring the two figures in conflict."""
    from sim.experiment.free import load_targets

    goal = load_targets(targets)
    values = [f.value for f in goal.figures]
    off = [v * 2 for v in values]
    meets_first = [values[0], off[1], off[2]]
    fit = [{"met": False, "fitted": o, "error_share": 1.0} for o in off]
    for count in (calibration.FEW - 1, calibration.FEW):
        history = [({}, meets_first)] * count + [({}, off)] * 10
        text = calibration.conflicts(goal, fit, history)[0]
        few = count < calibration.FEW
        assert ("too few to call it a conflict" in text) == few, text
        assert ("conflicts with" in text) == (not few), text
        assert f"'{goal.figures[1].name}'" in text


def test_cli_calibrates_and_writes_the_scenario(
    capsys: pytest.CaptureFixture[str], base: Path, targets: Path, tmp_path: Path
) -> None:
    out, written = tmp_path / "out", tmp_path / "calibrated.toml"
    args = ["calibrate", base, targets, "--trials", "4", "--replications", "2"]
    args += [f"--free={FREE[0]}", "--out", out, "--executor", "serial"]
    code, stdout, err = cli(capsys, *args, "--write-scenario", written, "--quiet")
    assert code == 0, err
    assert written.read_text() == (out / "calibrated.toml").read_text()
    assert f"Results written to {out}/" in stdout
    code, stdout, err = cli(capsys, *args)
    assert code == 0 and "already holds this calibration, finished" in stdout, err
    written.unlink()  # complete, the scenario asked for is still written, from the folder's
    code, stdout, err = cli(capsys, *args, "--write-scenario", written)
    assert code == 0 and "already holds this calibration, finished" in stdout, err
    assert written.read_text() == (out / "calibrated.toml").read_text()
    code, _, err = cli(capsys, *args, "--write-scenario", tmp_path / "none" / "x.toml")
    assert code == 2 and "--write-scenario" in err


@pytest.mark.parametrize(
    ("free", "figure", "expected"),
    [
        ("checks.desk.sevrers=1:4:int", None, "checks.desk.sevrers"),
        ("checks.desk.servers=0:4:int", None, "checks.desk.servers"),
        ("lodgement.delay_hours.mean=5:1", None, "LOW must be less than HIGH"),
        (FREE[0], ("lodgement", "segment.lodgment", 4.0), "segment.lodgement"),
        (FREE[0], ("within a day", "within_24h_share", 1.5), "within_24h_share"),
    ],
)
def test_cli_refuses_bad_input(
    capsys: pytest.CaptureFixture[str],
    base: Path,
    tmp_path: Path,
    free: str,
    figure: tuple[str, str, float] | None,
    expected: str,
) -> None:
    """Refused before anything runs, status 2, one message naming the key; nothing written."""
    path = tmp_path / "targets.toml"
    label, metric, value = figure or ("lodgement", "segment.lodgement", 4.0)
    path.write_text(target_text([(label, metric, value, None)]))
    out = tmp_path / "out"
    code, _, err = cli(capsys, "calibrate", base, path, f"--free={free}", "--out", out)
    assert code == 2, err
    assert expected in err and "Traceback" not in err
    assert not (out / "study.log").exists()


def test_cli_says_how_to_install_optuna(
    capsys: pytest.CaptureFixture[str],
    base: Path,
    targets: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without optuna: status 2 and how to install it in this project (not from an index)."""
    import sys

    monkeypatch.setitem(sys.modules, "optuna", None)
    code, _, err = cli(capsys, "calibrate", base, targets, f"--free={FREE[0]}", "--out", tmp_path)
    assert code == 2
    assert "make test" in err and ".venv/bin/pip install -e '.[calibrate]'" in err


def test_batches_give_the_same_search_on_any_executor(base: Path, targets: Path) -> None:
    """Batches of two trials (workers=2): the same trials and fit in this process as on two
    worker processes, since every trial's numbers depend on its seeds alone."""
    here = calibrate(
        base, targets, FREE, trials=6, replications=2, executor=sim.SerialExecutor(), workers=2
    )
    there = calibrate(
        base, targets, FREE, trials=6, replications=2, executor="processes", workers=2
    )
    assert here.trials == there.trials and here.fit == there.fit
