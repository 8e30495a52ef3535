"""The bottom line, read as a person would: the scenario's question, then the answer for its
headline metrics with 95% intervals, first in the CLI's output and at the top of the report;
a comparison names its columns by the scenarios' own labels (the vaccine surge leads with
vaccine clearance time)."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from pathlib import Path

import pytest

import sim
from sim.files.bottom_line import Said, asks, bottom_line
from sim.measure import names

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHORT = ["--replications", "3", "--set", "scenario.days=7", "--set", "scenario.warmup_days=1"]
INTERVAL = r"\(-?[\d.,]+ to -?[\d.,]+\)"


def _s(mean, low, high):
    return {"mean": mean, "ci_low": low, "ci_high": high, "half_width": (high - low) / 2}


def test_a_comparison_says_what_changes_measurably_and_what_does_not():
    base = Said(
        "fully staffed",
        {"clearance_hours_mean": _s(3.1, 3.0, 3.2), "interception_rate": _s(0.079, 0.07, 0.09)},
    )
    other = Said(
        "3 officers",
        {"clearance_hours_mean": _s(9.4, 9.0, 9.8), "interception_rate": _s(0.081, 0.07, 0.09)},
        {"clearance_hours_mean": _s(6.3, 5.9, 6.7), "interception_rate": _s(0.002, -0.006, 0.01)},
    )
    info = {
        "question": "What does a staff cut cost?",
        "headline": ["clearance_hours_mean", "interception_rate"],
    }
    lines = bottom_line("compare", info, [base, other])
    assert lines[0] == "What does a staff cut cost?"
    said = lines[1]
    assert said.startswith("3 officers (against fully staffed): the mean clearance time rises")
    assert "from 3.1 h (3.0 to 3.2) to 9.4 h (9.0 to 9.8)" in said
    assert "+6.3 h, interval 5.9 to 6.7" in said
    assert (
        "the share of illicit shipments intercepted does not change measurably (8.1% against "
        "7.9%, interval of the difference -0.6 to 1.0 points)" in said
    )


def test_later_points_of_a_comparison_do_not_repeat_the_reference():
    """The first sentence names the reference and its values; the later ones only what
    differs (each runs long otherwise)."""
    base = Said("base", {"clearance_hours_mean": _s(3.1, 3.0, 3.2)})
    others = [
        Said(
            name,
            {"clearance_hours_mean": _s(mean, mean - 0.4, mean + 0.4)},
            {"clearance_hours_mean": _s(mean - 3.1, mean - 3.5, mean - 2.7)},
        )
        for name, mean in (("cut", 9.4), ("deep cut", 12.0))
    ]
    others.append(
        Said(
            "same",
            {"clearance_hours_mean": _s(3.2, 3.0, 3.4)},
            {"clearance_hours_mean": _s(0.1, -0.1, 0.3)},
        )
    )
    info = {"headline": ["clearance_hours_mean"]}
    first, second, third = bottom_line("compare", info, [base, *others])
    assert first.startswith("Cut (against base): the mean clearance time rises from 3.1 h")
    assert second == (
        "Deep cut: the mean clearance time rises to 12.0 h (11.6 to 12.4) (+8.9 h, interval 8.5 "
        "to 9.3)."
    )
    assert third == (
        "Same: the mean clearance time does not change measurably (3.2 h, interval of the "
        "difference -0.10 to 0.30 h)."
    )
    for later in (second, third):
        assert "against" not in later and "3.1" not in later, later
        assert len(later) < len(first)


def test_metrics_that_do_not_change_are_said_together_once():
    both = {"clearance_hours_mean": _s(3.1, 3.0, 3.2), "interception_rate": _s(0.08, 0.07, 0.09)}
    base = Said("base", both)
    other = Said(
        "other",
        {"clearance_hours_mean": _s(3.2, 3.0, 3.4), "interception_rate": _s(0.081, 0.07, 0.09)},
        {"clearance_hours_mean": _s(0.1, -0.1, 0.3), "interception_rate": _s(0.001, -0.01, 0.01)},
    )
    info = {"headline": ["clearance_hours_mean", "interception_rate"]}
    (said,) = bottom_line("compare", info, [base, other])
    assert said == (
        "Other (against base): the mean clearance time (3.2 h against 3.1 h, interval of the "
        "difference -0.10 to 0.30 h) and the share of illicit shipments intercepted (8.1% "
        "against 8.0%, interval of the difference -1.0 to 1.0 points) do not change measurably."
    )


def test_a_sweep_asks_what_it_varies_in_its_levers_words():
    """A sweep's bottom line opens with what the sweep varies, over which range, in the
    words of [scenario.levers], not with the base scenario's own question."""
    levers = {"checks.physical.servers": {"label": "physical examination officers"}}
    info = {"question": "Is the base office staffed well?", "levers": levers}
    points = [
        Said(f"{n}", {"clearance_hours_mean": _s(10 / n, 9 / n, 11 / n)}, None, values)
        for n, values in ((2, {"checks.physical.servers": 2}), (5, {"checks.physical.servers": 5}))
    ]
    lines = bottom_line("sweep", info, points)
    assert lines[0] == "What changes with physical examination officers from 2 to 5 (2 points)?"
    assert "Is the base office staffed well?" not in lines
    rates = [
        Said("x", {"clearance_hours_mean": _s(3, 2, 4)}, None, {"policy.rates.red": r, "x.y": k})
        for r, k in ((0.3, "b"), (0.05, "a"))
    ]
    assert asks("sweep", {}, rates) == (
        "What changes with share selected for red from 5% to 30% and x.y from b to a (2 points)?"
    )
    assert asks("compare", info, rates) == "Is the base office staffed well?"


def test_without_a_headline_the_defaults_are_said_in_order():
    stats = {m: _s(0.5, 0.4, 0.6) for m in ("interception_rate", "within_24h_share")}
    stats["clearance_hours_mean"] = _s(3.06, 2.9, 3.2)
    (line,) = bottom_line("run", {}, [Said("x", stats)])
    assert line.index("mean clearance time") < line.index("within 24 h") < line.index("illicit")
    assert len(re.findall(INTERVAL, line)) == 3


def test_every_shipped_scenario_asks_its_question_and_names_measured_headlines():
    for path in sorted(SCENARIOS.glob("*.toml")):
        info = sim.load_scenario(path).scenario
        assert info.question.endswith("?"), path.name
        assert info.headline, path.name
        baseline = Path(__file__).parent / "baselines" / f"{path.stem}.json"
        if baseline.exists():
            measured = json.loads(baseline.read_text())["replications"][0]
            missing = [m for m in info.headline if m not in measured]
            assert not missing, f"{path.name}: headline metrics never measured: {missing}"


def _visible(page: str, section: str) -> str:
    found = re.search(rf'<section id="{section}">(.*?)</section>', page, re.S)
    assert found, section
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


@pytest.fixture(scope="module")
def surge(tmp_path_factory) -> tuple[Path, str]:
    """The vaccine surge compared, shortened: its folder and what the command printed."""
    out = tmp_path_factory.mktemp("surge") / "out"
    from sim.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(
            ["compare", str(SCENARIOS / "covid-vaccine-surge.toml"), *SHORT, "--out", str(out)]
        )
    assert code == 0
    return out, printed.getvalue()


def test_the_vaccine_surge_comparison_leads_with_vaccine_clearance_time(surge):
    _, out = surge
    head, _, rest = out.partition("\n\n")
    assert head.startswith("Bottom line:\n  With vaccine arrivals tripled")
    first = head.splitlines()[2]
    assert first.startswith(
        "  Vaccines first in every queue only (against tripled vaccines, no priority): the "
        "vaccine mean clearance time"
    )
    assert "interval" in first and re.search(r"-?[\d.]+ to -?[\d.]+ h", first), first
    assert "Comparison of 5 scenarios" in rest, "the table follows the bottom line"


def test_the_report_opens_with_the_answer_and_names_columns_by_label(surge):
    page = (surge[0] / "report.html").read_text()
    assert page.index('id="answer"') < page.index('id="simulated"') < page.index('id="numbers"')
    answer = _visible(page, "answer")
    assert "vaccine mean clearance time" in answer
    assert len(re.findall(INTERVAL, answer)) >= 4
    numbers = _visible(page, "numbers")
    for label in ("tripled vaccines, no priority", "priority lane and pre-arrival processing"):
        assert label in numbers
    assert "vs tripled vaccines, no priority" in numbers
    for raw in ("clearance_hours_mean", "interception_rate", "policy.priority"):
        assert raw not in answer + numbers
    row = re.search(r"Leaks \(illicit released\), (per run \(6 counted days\))(.*?)vs", numbers)
    assert row, "counts say their period"
    cells = re.findall(r"([\d.,]+) \(([\d.,]+) to ([\d.,]+)\)", row.group(2))
    assert len(cells) == 5, row.group(2)
    for cell in cells:
        decimals = {len(x.partition(".")[2]) for x in cell}
        assert decimals == ({0} if float(cell[0]) >= 10 else {1}), cell
    simulated = _visible(page, "simulated")
    assert "physical (physical)" not in simulated
    assert "Vaccines go first in every queue, and nothing else" in simulated, "the file's words"
    assert " ..." not in simulated


def test_shares_in_the_bottom_line_are_percentages():
    stats = {"interception_rate": _s(0.125, 0.1, 0.15)}
    (line,) = bottom_line("run", {"headline": ["interception_rate"]}, [Said("x", stats)])
    assert "12.5% (10.0 to 15.0)" in line and "0.125" not in line
    assert names.words("interception_rate") in line


def test_counts_in_the_bottom_line_are_a_number_of_things_per_run():
    """A count is "the number of ... is N per run", never "the illicit shipments ... is"."""
    stats = {"network.leaks": _s(166, 141, 194), "leaks": _s(46, 37, 57)}
    info = {"headline": ["network.leaks", "leaks"], "days": 35, "warmup_days": 7}
    (line,) = bottom_line("run", info, [Said("x", stats)])
    assert "The number of illicit shipments released across the network is 166 (141 to 194)" in (
        line
    )
    assert "the number of illicit shipments released is 46 (37 to 57) per run" in line
    assert not re.search(r"[Tt]he (illicit|shipments)[a-z ]* is ", line)


def test_a_sweep_says_a_figure_that_does_not_move_once():
    """Lowest and highest are named only when they differ as shown; otherwise the figure is
    said once, for every point."""
    points = [
        Said(f"{n}", {"interception_rate": _s(0.073, 0.038, 0.138)}, None, {"x": n}) for n in (1, 2)
    ]
    (_, line) = bottom_line("sweep", {"headline": ["interception_rate"]}, points)
    assert line == (
        "The share of illicit shipments intercepted is 7.3% (3.8 to 13.8) at every point."
    )
    points[1].stats["interception_rate"] = _s(0.2, 0.1, 0.3)
    (_, line) = bottom_line("sweep", {"headline": ["interception_rate"]}, points)
    assert "lowest, 7.3% (3.8 to 13.8), at 1; highest, 20.0% (10.0 to 30.0), at 2" in line
