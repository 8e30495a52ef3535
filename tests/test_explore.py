"""The trainer's page as data and as a file: small enough to e-mail for a 31-point sweep (its
figures drawn in the page from each point's few numbers, not embedded), the lever in words
and percentages starting at the scenario file's value, a notice without JavaScript, and a
replay day inside the counting window."""

from __future__ import annotations

import re

import pytest

import sim
from sim.files.read import load_results
from sim.present import explore

from conftest import build, cli, tiny

LIMIT = 1_500_000


@pytest.fixture(scope="module")
def sweep31(tmp_path_factory):
    """A 31-point sweep of the tiny scenario (red rate from 0 to 30%; the file says 10%)."""
    result = sim.sweep(
        build(tiny(replications=1)),
        vary=["policy.rates.red=0:0.3:31"],
        progress=False,
        executor="serial",
    )
    folder = result.save(tmp_path_factory.mktemp("explore") / "sweep")
    return folder, explore.write_explorer(folder)


def test_a_31_point_sweep_makes_a_page_under_one_and_a_half_megabytes(sweep31):
    _, page = sweep31
    html = page.read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < LIMIT, f"{len(html):,} bytes"
    assert "data:image/png" not in html, "figures are drawn in the page, not embedded"
    assert html.count('<figure data-slot="') == len(explore.SLOTS)


def test_the_lever_is_in_words_and_percent_and_starts_at_the_files_value(sweep31):
    folder, page = sweep31
    data = explore.page_data(load_results(folder))
    lever = data["levers"][0]
    assert lever["label"] == "share selected for red (percent)"
    assert lever["values"][0] == "0%" and lever["values"][-1] == "30%"
    assert "12%" in lever["values"] and all(re.fullmatch(r"[\d.]+%", v) for v in lever["values"])
    assert lever["file"] == "10%" and lever["values"][lever["start"]] == "10%"
    start = data["points"][data["start"]]
    assert start["index"] == [lever["start"]]
    html = page.read_text(encoding="utf-8")
    assert f'value="{lever["start"]}"' in html and 'id="now-0" aria-live="polite">10%<' in html
    assert "policy.rates.red</label>" not in html and "0.125" not in lever["values"]


def test_without_javascript_the_page_says_so_and_shows_the_files_point(sweep31):
    folder, page = sweep31
    html = page.read_text(encoding="utf-8")
    notice = re.search(r"<noscript>(.*?)</noscript>", html, re.S)
    assert notice and "JavaScript is off" in notice.group(1) and "report.html" in notice.group(1)
    data = explore.page_data(load_results(folder))
    first = data["points"][data["start"]]["numbers"]
    assert f'<span id="hours">{first["hours_text"]}</span>' in html
    assert f'<span id="caught">{first["caught_text"]}</span>' in html


def test_the_replay_day_is_a_whole_day_inside_the_counting_window(sweep31):
    folder, _ = sweep31
    data = explore.page_data(load_results(folder))
    window = data["window_end"] / 24
    for p in data["points"]:
        q = p["figures"]["queues"]
        per_day = 24 // q["step"]
        assert data["warmup_hours"] / 24 <= q["day"] < window
        for s in q["stations"].values():
            assert len(s["queue"]) >= (q["day"] + 1) * per_day
            assert len(s["duty"]) == per_day, "officers on duty: the replayed day's only"
            assert min(v for v in s["queue"] if v is not None) >= 0


def test_explore_help_offers_only_sweep_folders(capsys):
    _, out, _ = cli(capsys, "explore", "--help")
    words = " ".join(out.split())
    assert "sweep" in words and "compare" not in words and "run folder" not in words
