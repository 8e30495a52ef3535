"""docs/validation.md: rendered from evaluated rows, so the report and the tests cannot disagree.
A fresh report is rendered here from the fast cases (the same rows test_cases.py judges, computed
once per process); the committed file is checked only for listing every case with its smallest
detectable error, and for the calibration. Regenerate it with `make validate` after adding or
changing a case."""

from __future__ import annotations

import re

import pytest

from tools import validation as v

REPORT = v.REPORT
REGENERATE = "run `make validate` (or python -m tools.validation --jobs 2)"
FAST = [c.id for c in v.CASES.values() if not c.slow]
PERCENT = re.compile(r"(\d+(?:\.\d+)?)%\)?$")


@pytest.fixture(scope="module")
def committed() -> str:
    assert REPORT.is_file(), f"docs/validation.md is missing: {REGENERATE}"
    return REPORT.read_text()


@pytest.fixture(scope="module")
def fresh() -> tuple[dict[str, tuple[v.Row, ...]], str]:
    """A report rendered now from the fast cases' rows (no calibration run)."""
    results = {case_id: v.evaluate(case_id) for case_id in FAST}
    return results, v.render(results, None)


def _table_rows(text: str) -> list[list[str]]:
    """The cells of every row of the case tables (six columns)."""
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6 and cells[0] != "case" and not cells[0].startswith("---"):
            out.append(cells)
    return out


def _detectable_ok(text: str) -> None:
    """Every comparison's smallest detectable error is shown and at most 5%."""
    rows = _table_rows(text)
    assert rows
    for cells in rows:
        detect, verdict = cells[4], cells[5]
        if verdict.startswith("n/a") or not detect or detect.startswith("exact"):
            continue
        share = PERCENT.search(detect)
        assert share, cells
        assert float(share.group(1)) <= 100 * v.TOLERANCE, cells


def test_fresh_report_of_the_fast_cases_shows_no_failure_and_power_everywhere(fresh):
    results, text = fresh
    assert "| FAIL" not in text, [str(r) for rs in results.values() for r in rs if not r.ok]
    summary = re.search(
        r"\*\*Summary:\*\* (\d+) cases, \d+ comparisons: .* (\d+) FAIL; largest smallest "
        r"detectable error (\d+\.\d)%; (\d+) of (\d+) cases fail both",
        text,
    )
    assert summary, "the summary line changed shape"
    assert summary.group(1) == str(len(FAST)) and summary.group(2) == "0"
    assert float(summary.group(3)) <= 100 * v.TOLERANCE
    assert summary.group(4) == summary.group(5) == str(len(FAST))
    listed = set(re.findall(r"^- `([^`]+)`: ", text, re.M))
    assert listed == set(FAST)
    _detectable_ok(text)


def test_report_lists_every_case_and_no_other(committed):
    listed = set(re.findall(r"^- `([^`]+)`: ", committed, re.M))
    assert listed == set(v.CASES), f"docs/validation.md is out of date: {REGENERATE}"


def test_committed_report_states_each_smallest_detectable_error(committed):
    assert "| case | quantity | theory | simulated | detectable | verdict |" in committed
    _detectable_ok(committed)


def test_report_has_the_calibration_against_both_time_release_studies(committed):
    section = committed.split("## Calibration against published Time Release Studies")[1]
    for words in ("12.8", "44 h 16 min", "55%", "0.3", "Japan", "India", "Where and why"):
        assert words in section, words
    assert "../shared" not in committed and "REFERENCE.md" not in committed


def test_render_counts_and_escapes():
    case = "queues/M/M/1 rho=0.70"
    rows = {
        case: (
            v.compare(case, "a|b", 1.0, [0.99, 1.0, 1.01, 1.0, 1.0, 0.995, 1.005, 1.0]),
            v.Row(case, "c", "1", "2 ± 0.1", "FAIL: outside", False),
        )
    }
    out = v.render(rows, None)
    assert "a\\|b" in out
    assert "1 cases, 2 comparisons: 1 of 2 theory values inside their 95% interval" in out
    assert "1 FAIL" in out and "1 of 1 cases fail both" in out
    assert "## Calibration" not in out
