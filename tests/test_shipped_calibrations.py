"""The shipped calibrated scenarios meet every figure of their target file within its
tolerance, run as shipped (their own seed and replications), and their headers name the
command that made them."""

from __future__ import annotations

import pytest

import sim
from sim.experiment.calibrate import fit_rows
from sim.experiment.free import load_targets

from conftest import ROOT

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
