"""Numbers and names as a person reads them: shares as percentages, counts whole with their
period, metrics in words, and a variant's label taken from the scenario file (its own key, else
the comment above its table), never cut mid-word."""

from __future__ import annotations

import re

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from sim.files.text import count_interval, difference, estimate, percent, period, period_note, whole
from sim.measure import names
from sim.scenario import read_toml
from sim.schema import ScenarioError
from sim.schema.comments import fill_variant_words
from sim.schema.tables import LABEL_LENGTH

from conftest import small_data

SHARE = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(SHARE)
def test_a_share_reads_as_a_percentage_of_the_same_value(share):
    text = percent(share)
    assert re.fullmatch(r"\d{1,3}(\.\d)?%", text), text
    assert abs(float(text[:-1]) - share * 100) <= 0.05 + 1e-9


@given(st.floats(min_value=10, max_value=1e9, allow_nan=False))
def test_a_count_from_ten_up_is_a_whole_number(count):
    text = whole(count)
    assert "." not in text and "e" not in text, text
    assert abs(int(text.replace(",", "")) - count) <= 0.5


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.floats(0, 1), st.floats(0, 1))
def test_a_count_and_its_interval_share_their_decimals(mean, a, b):
    low, high = mean * min(a, b), mean * (1 + max(a, b))
    text = count_interval({"mean": mean, "ci_low": low, "ci_high": high})
    found = re.fullmatch(r"([\d,.]+) \(([\d,.]+) to ([\d,.]+)\)", text)
    assert found, text
    decimals = {len(x.partition(".")[2]) for x in found.groups()}
    assert decimals == ({0} if mean >= 10 else {1}), text


@given(SHARE, SHARE, SHARE)
def test_a_share_estimate_and_difference_read_in_percent_and_points(m, a, b):
    low, high = min(a, b), max(a, b)
    text = estimate("%", {"mean": m, "ci_low": low, "ci_high": high})
    assert re.fullmatch(r"\d+\.\d% \(\d+\.\d to \d+\.\d\)", text), text
    diff = difference("%", {"mean": m - 0.5, "ci_low": low - 0.5, "ci_high": high - 0.5})
    assert re.fullmatch(r"[+-]?\d+\.\d points \(-?\d+\.\d to -?\d+\.\d\)", diff), diff


def test_the_period_says_which_days_are_counted():
    info = {"days": 28, "warmup_days": 2}
    assert period(info) == "per run (26 counted days)"
    note = period_note(info)
    assert "28 days of arrivals" in note and "first 2" in note and "cover 26 days" in note


@pytest.mark.parametrize(
    "metric",
    [
        "clearance_hours_mean",
        "within_24h_share",
        "interception_rate",
        "leaks",
        "commodity.vaccine.clearance_hours_mean",
        "commodity.vaccine.within_48h_share",
        "kind.falsified.interception_rate",
        "lane.red.share",
    ],
)
def test_metrics_read_as_words(metric):
    words = names.words(metric)
    assert "_" not in words and "." not in words, words
    assert names.unit(metric) in ("h", "%", "count")


VARIANTS = """
[scenario]
name = "small"

# Twice the officers at the physical check; the same selection.
[variants.more-officers]
checks.physical.servers = 6

# A comment long enough that its first clause cannot be a label whole, so it is cut at a word
# boundary before the label's length, and never inside a word.
[variants.long.policy]
kind = "random"

[variants.own]
label = "its own label"
"""


def test_a_variant_takes_its_label_and_description_from_its_comment():
    data = fill_variant_words({"variants": {"more-officers": {}, "long": {}, "own": {}}}, VARIANTS)
    more = data["variants"]["more-officers"]
    assert more["label"] == "Twice the officers at the physical check"
    assert more["description"] == "Twice the officers at the physical check; the same selection."
    long = data["variants"]["long"]["label"]
    assert len(long) <= LABEL_LENGTH and long.endswith("…")
    assert long[:-1].split()[-1] in VARIANTS.split(), "cut at a word, not inside one"
    assert "label" not in data["variants"]["own"], "a variant's own key is not overwritten"


def test_a_scenario_file_gives_each_variant_its_words(tmp_path):
    data = small_data()
    text = tomli_w.dumps({k: v for k, v in data.items()})
    text += "\n# Five officers instead of three.\n[variants.five]\nchecks.physical.servers = 5\n"
    text += '\n[variants.six]\nlabel = "six officers"\nchecks.physical.servers = 6\n'
    path = tmp_path / "s.toml"
    path.write_text(text)
    import sim

    sc = sim.load_scenario(path)
    assert sc.variants["five"]["scenario"] == {
        "label": "Five officers instead of three",
        "description": "Five officers instead of three.",
    }
    assert sc.variants["six"]["scenario"] == {"label": "six officers", "description": ""}
    assert read_toml(path)["variants"]["five"]["label"] == "Five officers instead of three"


def test_a_variant_label_that_is_not_text_is_refused():
    import sim

    data = small_data()
    data["variants"] = {"five": {"label": 5, "checks": {"physical": {"servers": 5}}}}
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "s.toml")
    assert "five.label must be text" in str(info.value)


def test_a_headline_metric_must_be_a_metric_name():
    import sim

    data = small_data()
    data["scenario"]["headline"] = ["mean clearance time"]
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "s.toml")
    assert "scenario.headline" in str(info.value)
