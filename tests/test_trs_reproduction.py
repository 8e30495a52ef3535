"""scenarios/japan-air-trs.toml reproduces Japan's published air-cargo Time Release Study
(2015) segment by segment: each simulated mean within 10% of the published one, as the
calibration section of docs/validation.md tables it."""

from __future__ import annotations

import math

import pytest

from tools.validation.calibration import (
    JAPAN_AIR,
    JAPAN_SEGMENTS,
    REPRODUCTION_TOLERANCE,
    TRS,
    japan_reproduction,
    japan_section,
)

from conftest import ROOT


@pytest.fixture(scope="module")
def reproduction():
    # The scenario as shipped: 10 replications of 28 days of 400 declarations, about 2 s.
    return japan_reproduction()


def test_every_published_segment_is_reproduced_within_ten_percent(reproduction):
    rows = {r["key"]: r for r in reproduction["rows"]}
    assert set(rows) == {key for key, *_ in JAPAN_SEGMENTS}
    for r in reproduction["rows"]:
        assert r["n"] == 10
        assert math.isfinite(r["mean"]), r
        assert abs(r["mean"] / r["published"] - 1) <= REPRODUCTION_TOLERANCE, (
            f"{r['segment']}: simulated {r['mean']:.3f} h against {r['published']:g} h published"
        )
        assert r["within"]
        # Not by luck: the whole 95% interval lies within the tolerance.
        low, high = r["mean"] - r["half_width"], r["mean"] + r["half_width"]
        band = REPRODUCTION_TOLERANCE * r["published"]
        assert r["published"] - band <= low and high <= r["published"] + band, r


def test_segments_add_up_to_the_whole(reproduction):
    rows = {r["key"]: r["mean"] for r in reproduction["rows"]}
    assert rows["arrival_to_declaration"] + rows["declaration_to_permit"] == pytest.approx(
        rows["arrival_to_permit"], rel=1e-12
    )
    parts = reproduction["parts"]
    assert parts["segment.unloading"][0] + parts["segment.lodgement"][0] == pytest.approx(
        rows["arrival_to_declaration"], rel=1e-12
    )


def test_the_published_figures_are_those_of_the_sources_page():
    """The table's published figures are the ones docs/sources.md gives for the survey."""
    text = (ROOT / "docs" / "sources.md").read_text()
    section = text.split("## Time Release Study segments", 1)[1].split("\n## ", 1)[0]
    assert "**12.8 h**" in section and "**0.3 h**" in section and "**12.5 h**" in section
    assert TRS["japan"]["mean_hours"] == 12.8
    assert TRS["japan"]["declaration_to_permit_hours"] == 0.3
    assert JAPAN_AIR.is_file()


def test_the_sub_table_says_which_segments_are_within(reproduction):
    lines = japan_section(reproduction)
    table = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(table) == len(JAPAN_SEGMENTS)
    assert all(line.endswith("| yes |") for line in table)
    failed = dict(reproduction, rows=[dict(r, within=False) for r in reproduction["rows"]])
    assert all(line.endswith("| no |") for line in japan_section(failed) if "| 12." in line)
