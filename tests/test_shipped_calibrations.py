"""The shipped calibrated scenarios meet every figure of their target file within its
tolerance, run as shipped (their own seed and replications), their headers name the command
that made them, and that command, run again, makes them again (slow: a minute each)."""

from __future__ import annotations

import shlex
import shutil
import tomllib
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.experiment.calibrate import HEADER, fit_rows
from sim.experiment.free import load_targets

from conftest import ROOT

REPRODUCE = "# Reproduce: "
SHIPPED = [
    ("japan-air-calibrated", "japan-air-2015"),
    ("india-air-calibrated", "india-air"),
]


@pytest.mark.parametrize(("stem", "target"), SHIPPED, ids=[s for s, _ in SHIPPED])
def test_shipped_calibration_meets_every_figure(stem: str, target: str) -> None:
    path = ROOT / "scenarios" / f"{stem}.toml"
    goal = load_targets(ROOT / "targets" / f"{target}.toml")
    result = sim.run(path, progress=False)
    rows = fit_rows(goal, result.replications)
    missed = [
        f"{r['name']}: {r['fitted']:.4g} against {r['value']:g}" for r in rows if not r["met"]
    ]
    assert not missed, f"{stem} misses {missed}"
    header = path.read_text().split("\n[", 1)[0]
    assert f"--write-scenario scenarios/{stem}.toml" in header
    assert f"targets/{target}.toml" in header


def _reproduce_args(path: Path) -> list[str]:
    """The arguments of the command the file's header says made it."""
    line = next(x for x in path.read_text().splitlines() if x.startswith(REPRODUCE))
    words = shlex.split(line.removeprefix(REPRODUCE))
    assert words[:2] == ["bordersim", "calibrate"], line
    return words[1:]


def _fitted(text: str) -> dict[str, object]:
    """Every value of the file, flat (``lodgement.delay_hours.mean``)."""
    flat: dict[str, object] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        else:
            flat[prefix[:-1]] = node

    walk(tomllib.loads(text), "")
    return flat


@pytest.mark.slow
@pytest.mark.parametrize(("stem", "target"), SHIPPED, ids=[s for s, _ in SHIPPED])
def test_shipped_command_reproduces_the_file(
    stem: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command in the header, run as printed (on 2 workers, in a copy of the project's
    scenarios and targets), writes the shipped file again: the same fitted values and the same
    text, apart from the date of the calibration."""
    shipped = ROOT / "scenarios" / f"{stem}.toml"
    args = _reproduce_args(shipped)
    assert f"--write-scenario scenarios/{stem}.toml" in shlex.join(args)
    workers = args[args.index("--workers") + 1] if "--workers" in args else "1"
    assert int(workers) <= 2
    for folder in ("scenarios", "targets"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "scenarios" / f"{stem}.toml").unlink()
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--quiet"]) == 0
    written = (tmp_path / "scenarios" / f"{stem}.toml").read_text()
    want, got = _fitted(shipped.read_text()), _fitted(written)
    free = [args[i + 1].split("=")[0] for i, a in enumerate(args) if a == "--free"]
    assert {k: got[k] for k in free} == {k: want[k] for k in free}
    assert got == want

    def undated(text: str) -> list[str]:
        return [x for x in text.splitlines() if not x.startswith(HEADER)]

    assert undated(written) == undated(shipped.read_text())
