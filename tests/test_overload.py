"""An overloaded sweep point says so everywhere, and every screen shows the same numbers.

A small office with one physical examiner, swept over the red rate: at 60% red the queue at
the physical examination cannot keep up. That point must be flagged in summary.json, in the
trade-off table, in the trade-off figure (never on the frontier), in report.html and on the
trainer's page; and the explore cards, the tables and the illicit figure must agree to the
digit."""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import replace
from pathlib import Path

import matplotlib.colors
import pytest

import sim
from sim.files.read import load_results
from sim.present import explore, plots, tables
from sim.present.figures.style import VERMILLION
from sim.present.report import write_report

from conftest import build, cli, tiny, write_toml

LEVER = "policy.rates.red"
HEAVY = 2  # the point at 60% red


def overloaded_sweep(root: Path) -> Path:
    """A three-point sweep (0, 2% and 60% red) with one physical examiner, saved in ``root``
    with its report and trainer's page."""
    scenario = build(tiny(days=6, replications=2), checks__physical__servers=1)
    result = sim.sweep(scenario, vary=[f"{LEVER}=0,0.02,0.6"], progress=False, executor="serial")
    out = result.save(root / "sweep")
    write_report(out)
    explore.write_explorer(out)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return overloaded_sweep(tmp_path_factory.mktemp("overload"))


def page_data(folder) -> dict:
    """The trainer's page's data, as its script reads it."""
    page = (folder / explore.EXPLORE).read_text()
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page)
    return json.loads(found.group(1))


def text_of(markup: str) -> str:
    """What a reader sees of some HTML: the text, tags gone, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def row(markup: str, header: str) -> list[str]:
    """The cells of the table row whose header is ``header``, as text."""
    found = re.search(
        rf'<tr><th scope="row">{re.escape(html.escape(header))}</th>(.*?)</tr>', markup
    )
    assert found, f"no row {header!r}"
    return [text_of(c) for c in re.findall(r"<td>(.*?)</td>", found.group(1))]


def test_summary_and_tradeoff_table_flag_the_overloaded_point(folder):
    saved = load_results(folder)
    flags = [p.stats["overloaded"]["mean"] for p in saved.points]
    assert flags[HEAVY] >= 0.5 and flags[0] == flags[1] == 0.0
    with open(folder / "tradeoff.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["overloaded"] for r in rows] == ["false", "false", "true"]
    assert rows[HEAVY]["pareto"] == "false" and rows[HEAVY]["frontier"] == "overloaded"
    assert saved.points[HEAVY].frontier["mean"] == "overloaded"
    assert saved.points[HEAVY].pareto is False


def _markers(fig) -> dict[str, object]:
    return {
        line.get_gid(): line
        for line in fig.axes[0].lines
        if (line.get_gid() or "").startswith("point-")
    }


@pytest.mark.parametrize("time", ["mean", "p90"])
def test_tradeoff_figure_marks_it_and_keeps_it_off_the_frontier(folder, time):
    saved = load_results(folder)
    fig, caption = plots.run_figures(saved, time)["tradeoff"]
    markers = _markers(fig)
    heavy = markers[f"point-{HEAVY}-overloaded"]
    assert heavy.get_markerfacecolor() == "white"
    assert matplotlib.colors.same_color(heavy.get_markeredgecolor(), VERMILLION)
    assert not any(g.startswith(f"point-{HEAVY}-") and g.endswith("efficient") for g in markers)
    [front] = [line for line in fig.axes[0].lines if line.get_gid() == "frontier"]
    assert heavy.get_xdata()[0] not in list(front.get_xdata())
    assert "overloaded" in fig.get_suptitle()
    assert "overloaded" in caption
    # A folder written before standings were saved: the means decide, the overload still tells.
    old = replace(saved, points=[replace(p, frontier=None) for p in saved.points])
    fig = plots.run_figures(old, time)["tradeoff"][0]
    assert f"point-{HEAVY}-overloaded" in _markers(fig)


def test_report_warns_at_the_top_and_marks_the_tables(folder):
    page = (folder / "report.html").read_text()
    top = page[: page.index("<nav")]
    warning = text_of(top[top.index('class="warning"') :])
    assert "1 of 3 points is OVERLOADED" in warning
    assert f"{LEVER}=0.6" in warning and "still inside at the end" in warning
    cells = row(page, "0.6")
    assert cells[-1] == "! ⚠ OVERLOADED", "the sweep table's standing"
    assert row(page, "0")[-1] == "* efficient"
    assert "0.6 ⚠ OVERLOADED" in text_of(page), "detail tables mark the point's column"
    method = text_of(page[page.index('id="method"') :])
    assert "Wilson" in method and "Poisson" in method and "Kaplan-Meier" in method
    assert "OVERLOADED when at least half its replications were" in method


def test_explore_page_shows_a_warning_card(folder):
    data = page_data(folder)
    heavy = data["points"][HEAVY]
    assert heavy["overloaded"] and heavy["standing"] == "overloaded" and not heavy["pareto"]
    assert "still inside at the end" in heavy["overload"]
    assert heavy["standing_text"].startswith("OVERLOADED")
    assert not data["points"][0]["overloaded"] and data["points"][0]["standing"] == "efficient"
    assert data["start"] != HEAVY
    page = (folder / explore.EXPLORE).read_text()
    assert 'id="overload"' in page and "⚠ OVERLOADED" in text_of(page)


def test_explore_cards_and_tables_show_the_same_clearance_number(folder):
    saved = load_results(folder)
    data = page_data(folder)
    page = (folder / "report.html").read_text()
    head = re.search(r'<table class="numbers sweep"><thead><tr>(.*?)</tr>', page).group(1)
    columns = [text_of(c) for c in re.findall(r"<th>(.*?)</th>", head)]
    hours, caught = columns.index("clearance h (mean)"), columns.index("interception")
    for p, shown in zip(saved.points, data["points"], strict=True):
        cells = row(page, sim.files.text.show(p.values[LEVER]))
        n = shown["numbers"]
        assert cells[hours - 1].split(" ")[0] == n["hours_text"], "the same figure, same digits"
        assert cells[caught - 1].split(" ")[0] == n["caught_text"] + "%"
        assert n["hours"] == p.stats["clearance_hours_mean"]["mean"]


def test_illicit_figure_agrees_with_the_table_to_the_digit(folder):
    saved = load_results(folder)
    fig = plots.run_figures(saved)["illicit"][0]
    details = tables.detail_tables(saved)
    kinds = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert kinds == ["falsified", "substandard"]
    for ax in fig.axes[: len(kinds)]:
        shown = [t.get_text() for t in ax.texts if t.get_text().endswith(" caught")]
        table = row(details, f"{ax.get_title()}: share intercepted")
        expect = [cell.split(" ")[0] + " caught" for cell in table]
        assert shown == expect


def test_the_command_line_warns_of_the_overloaded_point(capsys, tmp_path):
    data = tiny(days=6, replications=2)
    data["checks"]["physical"]["servers"] = 1
    file = write_toml(tmp_path / "office.toml", data)
    out_dir = tmp_path / "sw"
    code, out, err = cli(capsys, "sweep", file, "--vary", f"{LEVER}=0,0.02,0.6", "--out", out_dir)
    assert code == 0, err
    lines = out.splitlines()
    heavy = next(line for line in lines if line.strip().startswith("0.6 "))
    assert heavy.rstrip().endswith("!"), "the table marks it"
    assert not any(
        line.strip().startswith("0.6 ") and line.rstrip().endswith("*") for line in lines
    )
    assert f"Warning: {LEVER}=0.6 is OVERLOADED:" in out
    assert "still inside at the end" in out or "grows through the run" in out
