"""The calibration report (sim.present.calibration) from a hand-written calibration.json: the
verdict in plain words at the top, the fit table, the figure, the ranges, the conflicts and
the command; a folder's text escaped, a folder that is not a calibration refused by name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.files.write import OutputError
from sim.present.calibration import load_calibration, summary, write_calibration_report

ROWS = [
    {
        "name": "arrival to permit",
        "metric": ["clearance_hours_mean"],
        "value": 12.8,
        "fitted": 12.9,
        "ci_low": 12.7,
        "ci_high": 13.1,
        "error": 0.0078,
        "tolerance": 0.10,
        "met": True,
    },
    {
        "name": "declaration to permit",
        "metric": ["segment.documents.queue", "segment.documents.service", "segment.payment"],
        "value": 0.3,
        "fitted": 0.301,
        "ci_low": 0.29,
        "ci_high": 0.31,
        "error": 0.0033,
        "tolerance": 0.10,
        "met": True,
    },
]


def calibration(**changes) -> dict:
    data = {
        "target": {"name": "japan-air-2015", "source": "Ministry of Finance Japan, TRS 2015"},
        "scenario": {"name": "japan-air-trs", "file": "scenarios/japan-air-trs.toml"},
        "best": {"lodgement.delay_hours.mean": 7.4},
        "ranges": {"lodgement.delay_hours.mean": [6.9, 7.8]},
        "conflicts": [],
        "trials": [
            {"params": {"lodgement.delay_hours.mean": 7.4}, "loss": 0.1},
            {"params": {"lodgement.delay_hours.mean": 12.0}, "loss": 40.0},
        ],
        "command": "bordersim calibrate scenarios/japan-air-trs.toml targets/japan-air-2015.toml",
        "fit": ROWS,
    }
    data.update(changes)
    return data


def folder_with(tmp_path: Path, data) -> Path:
    out = tmp_path / "cal"
    out.mkdir()
    text = data if isinstance(data, str) else json.dumps(data)
    (out / "calibration.json").write_text(text)
    return out


def test_report_when_every_figure_is_met(tmp_path):
    path = write_calibration_report(folder_with(tmp_path, calibration()))
    page = path.read_text()
    assert path.name == "report.html"
    top = page.split('<section id="fit">', 1)[0]
    assert "Every published figure met within 10%" in top
    for part in ("arrival to permit", "12.8", "12.9", "12.7 to 13.1", "+0.8%", "±1.28 (10.0%)"):
        assert part in page, part
    assert "<code>segment.documents.queue</code> + <code>segment.documents.service</code>" in page
    assert 'src="data:image/png;base64,' in page
    assert "6.9" in page and "7.8" in page  # the consistent range
    assert "the best trial meets every figure at once" in page
    assert "bordersim calibrate scenarios/japan-air-trs.toml targets/japan-air-2015.toml" in page
    assert "2 trials in all" in page
    assert "http" not in page.split("<style>", 1)[0]  # self-contained


def test_report_says_which_figures_are_missed_and_the_conflicts(tmp_path):
    missed = dict(ROWS[1], fitted=0.5, ci_low=0.45, ci_high=0.55, error=0.667, met=False)
    conflict = "declaration to permit conflicts with arrival to permit: meeting it misses it by 15%"
    data = calibration(fit=[ROWS[0], missed], conflicts=[conflict])
    page = write_calibration_report(folder_with(tmp_path, data)).read_text()
    top = page.split('<section id="fit">', 1)[0]
    assert "1 of 2 published figures met within 10%; not met: declaration to permit" in top
    assert "fitted 0.500 against 0.300 published: +66.7%, allowed ±10.0%" in top
    assert conflict in page
    assert ">NO<" in page


def test_shares_read_in_percent_and_tolerances_differ():
    rows = [
        dict(ROWS[0]),
        {
            "name": "green lane",
            "metric": ["lane.green.share"],
            "value": 0.875,
            "fitted": 0.80,
            "error": -0.0857,
            "tolerance": 0.063,
            "allowed": 0.055,
            "met": False,
            "ci_low": None,
            "ci_high": None,
        },
    ]
    text = summary([load_row(r) for r in rows])
    assert text.startswith("1 of 2 published figures met within its tolerance")
    assert "fitted 80.0% against 87.5% published" in text


def load_row(raw: dict) -> dict:
    from sim.present.calibration import _row

    return _row(Path("."), 0, raw)


def test_the_folders_text_is_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    data = calibration(
        fit=[dict(ROWS[0], name=evil)],
        conflicts=[evil],
        command=evil,
        target={"name": evil, "source": evil},
    )
    page = write_calibration_report(folder_with(tmp_path, data)).read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_untyped_values_are_read_as_missing(tmp_path):
    data = calibration(
        fit=[dict(ROWS[0], fitted="12.9", ci_low=None, ci_high=float("nan"), met="yes")],
        best={"a": True},
        ranges={"a": "wide"},
        trials="many",
        conflicts=[3, "a real one"],
    )
    text = json.dumps(data).replace("NaN", "null")
    loaded = load_calibration(folder_with(tmp_path, text))
    row = loaded["fit"][0]
    assert row["fitted"] is None and row["ci_high"] is None and row["met"] is False
    assert loaded["best"] == {"a": None} and loaded["ranges"] == {} and loaded["trials"] == []
    assert loaded["conflicts"] == ["a real one"]
    write_calibration_report(tmp_path / "cal")  # n/a where missing, no traceback


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "there is no such file"),
        ("{not json", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"fit": []}', "has no 'fit' list"),
        (json.dumps(calibration(fit=[{"name": "x", "value": "12"}])), "fit[0].value"),
    ],
)
def test_a_folder_that_is_not_a_calibration_is_refused(tmp_path, content, words):
    out = tmp_path / "cal"
    out.mkdir()
    if content is not None:
        (out / "calibration.json").write_text(content)
    with pytest.raises(OutputError) as err:
        write_calibration_report(out)
    message = str(err.value)
    assert words in message and "calibration.json" in message
    assert not (out / "report.html").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps(calibration()))
    out = tmp_path / "cal"
    out.mkdir()
    (out / "calibration.json").symlink_to(outside)
    with pytest.raises(OutputError, match="outside the folder"):
        write_calibration_report(out)


def test_not_a_folder_is_refused(tmp_path):
    with pytest.raises(OutputError, match="not a folder"):
        write_calibration_report(tmp_path / "missing")
