"""Bad scenario input never hurts: every mistake is a ScenarioError naming the key path and what
is allowed, in one plain line per problem; nothing else escapes, and what is accepted runs."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario import apply_overrides, parse_override
from sim.schema import MAX_SHIPMENTS, ScenarioError, expected_shipments

from conftest import (
    BASELINE,
    DELETE,
    build,
    changed,
    key_paths,
    mmc_data,
    override_keys,
    small_data,
    write_toml,
)

# Words that would mean Python's or pydantic's internals leaked into a message.
INTERNALS = re.compile(
    r"Input should|Value error|function-|pydantic|Traceback|<class|"
    r"Lognormal|Gamma|Exponential|Triangular|Uniform|Fixed|Empirical|ScenarioInfo|PolicySpec|"
    r"RandomConfig|Commodity\b|Check\b|Roster\b|Traffic\b|Illicit\b|instance of|dict_type|"
    r"\[key\]|after validation"
)


def assert_clean(err: ScenarioError) -> None:
    """Each problem is a (key path, message) pair of one plain line without Python internals."""
    assert err.problems, "a ScenarioError must carry at least one problem"
    for path, msg in err.problems:
        assert isinstance(path, str) and isinstance(msg, str)
        assert msg and "\n" not in msg and "\n" not in path, (path, msg)
        assert not INTERNALS.search(_unquoted(msg)), msg
        assert not INTERNALS.search(_unquoted(path)), path
    assert str(err).startswith(err.source)


def _unquoted(text: str) -> str:
    """``text`` without the quoted names and values it echoes back from the input."""
    return re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*(\"|$)", "", text)


def problems_of(data: Any, source: str = "<test>") -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, source)
    assert_clean(info.value)
    return info.value.problems


def message_at(problems: list[tuple[str, str]], path: str) -> str:
    found = [msg for p, msg in problems if p == path]
    assert found, f"no problem reported at {path!r}; got {problems}"
    return found[0]


# (id, scenario data, key path, words the message must contain: what is wrong or what is allowed)
BAD = [
    (
        "typo-in-key",
        changed(checks__physical__sevrers=3),
        "checks.physical.sevrers",
        ["unknown key 'sevrers'", "did you mean 'servers'", "allowed here:", "duration_hours"],
    ),
    (
        "unknown-table",
        changed(trafic={"shipments_per_day": 1}),
        "trafic",
        ["unknown key 'trafic'", "did you mean 'traffic'", "lanes", "rosters"],
    ),
    (
        "commodity-shares",
        changed(traffic__commodities={"vaccine": {"share": 0.2}, "medicine": {"share": 0.7}}),
        "traffic.commodities",
        ["must sum to 1", "0.9"],
    ),
    (
        "illicit-kinds",
        changed(illicit__kinds={"falsified": 0.6, "substandard": 0.6}),
        "illicit.kinds",
        ["must sum to 1", "1.2"],
    ),
    (
        "negative-rate",
        changed(traffic__shipments_per_day=-5),
        "traffic.shipments_per_day",
        ["greater than 0", "-5"],
    ),
    (
        "zero-servers",
        changed(checks__physical__servers=0),
        "checks.physical.servers",
        ["at least 1", "0"],
    ),
    (
        "negative-mean",
        changed(checks__physical__duration_hours={"dist": "gamma", "mean": -1.5, "cv": 0.5}),
        "checks.physical.duration_hours.mean",
        ["greater than 0", "-1.5"],
    ),
    (
        "zero-mean",
        changed(checks__documents__duration_hours={"dist": "exponential", "mean": 0}),
        "checks.documents.duration_hours.mean",
        ["greater than 0"],
    ),
    (
        "zero-fixed",
        changed(checks__documents__duration_hours={"dist": "fixed", "value": 0}),
        "checks.documents.duration_hours.value",
        ["greater than 0"],
    ),
    (
        "unknown-distribution",
        changed(checks__physical__duration_hours={"dist": "normal", "mean": 1, "sd": 0.2}),
        "checks.physical.duration_hours",
        ['"normal"', "lognormal", "gamma", "exponential"],
    ),
    (
        "distribution-without-dist",
        changed(lodgement__delay_hours={"mean": 1}),
        "lodgement.delay_hours",
        ["'dist'", "missing", "lognormal"],
    ),
    (
        "distribution-typo",
        changed(checks__physical__duration_hours={"dist": "gamma", "mean": 1, "vc": 0.5}),
        "checks.physical.duration_hours.vc",
        ["unknown key 'vc'", "did you mean 'cv'", "mean"],
    ),
    (
        "unknown-roster",
        changed(checks__physical__roster="offce"),
        "checks.physical.roster",
        ["unknown roster 'offce'", "did you mean 'office'", "24/7"],
    ),
    (
        "unknown-lodgement-roster",
        changed(lodgement__roster="nights"),
        "lodgement.roster",
        ["unknown roster 'nights'", "24/7, office"],
    ),
    (
        "lane-undefined-check",
        changed(lanes__red=["documents", "phyiscal"]),
        "lanes.red",
        ["unknown check 'phyiscal'", "did you mean 'physical'", "documents, physical"],
    ),
    (
        "lane-check-twice",
        changed(lanes__red=["documents", "documents"]),
        "lanes.red",
        ["listed twice"],
    ),
    (
        "unknown-policy",
        changed(policy={"kind": "randon"}),
        "policy.kind",
        ["unknown policy 'randon'", "random"],
    ),
    (
        "policy-key-typo",
        changed(policy__rate={"red": 0.1}),
        "policy.rate",
        ["unknown key 'rate'", "did you mean 'rates'", "default_lane"],
    ),
    (
        "policy-unknown-lane",
        changed(policy__rates={"purple": 0.1}),
        "policy.rates.purple",
        ["unknown lane 'purple'", "green, yellow, red"],
    ),
    (
        "policy-unknown-default",
        changed(policy__default_lane="gren"),
        "policy.default_lane",
        ["unknown lane 'gren'", "did you mean 'green'"],
    ),
    (
        "policy-rates-over-1",
        changed(policy__rates={"red": 0.7, "yellow": 0.5}),
        "policy.rates",
        ["at most 1", "1.2"],
    ),
    (
        "policy-negative-rate",
        changed(policy__rates={"red": -0.1}),
        "policy.rates.red",
        ["at least 0", "-0.1"],
    ),
    (
        "warmup-too-long",
        changed(scenario__warmup_days=14),
        "scenario.warmup_days",
        ["less than days (14)"],
    ),
    (
        "hourly-profile-23",
        changed(traffic__hourly_profile=[1.0] * 23),
        "traffic.hourly_profile",
        ["exactly 24", "23"],
    ),
    (
        "weekly-profile-8",
        changed(traffic__weekly_profile=[1.0] * 8),
        "traffic.weekly_profile",
        ["exactly 7", "8"],
    ),
    (
        "profile-all-zero",
        changed(traffic__weekly_profile=[0] * 7),
        "traffic.weekly_profile",
        ["above 0"],
    ),
    (
        "shift-backwards",
        changed(rosters__office__hours=[[17, 8.5]]),
        "rosters.office.hours",
        ["start < end", "[17, 8.5]"],
    ),
    (
        "shift-past-midnight",
        changed(rosters__office__hours=[[20, 26]]),
        "rosters.office.hours",
        ["<= 24"],
    ),
    (
        "shifts-overlap",
        changed(rosters__office__hours=[[8, 12], [11, 17]]),
        "rosters.office.hours",
        ["overlap"],
    ),
    (
        "bad-weekday",
        changed(rosters__office__days=["mon", "funday"]),
        "rosters.office.days[1]",
        ['"funday"', "'mon'", "'sun'"],
    ),
    (
        "detect-unknown-kind",
        changed(checks__physical__detect={"counterfeit": 0.5}),
        "checks.physical.detect.counterfeit",
        ["unknown illicit kind", "falsified, substandard"],
    ),
    (
        "required-for-unknown",
        changed(checks__physical__required_for=["vacine"]),
        "checks.physical.required_for",
        ["unknown commodity 'vacine'", "did you mean 'vaccine'"],
    ),
    (
        "false-alarm-without-on-alarm",
        changed(checks__documents__false_alarm=0.02),
        "checks.documents.false_alarm",
        ["on_alarm"],
    ),
    (
        "on-alarm-unknown",
        changed(checks__documents__on_alarm="physcal"),
        "checks.documents.on_alarm",
        ["unknown check 'physcal'", "intercept, documents, physical"],
    ),
    (
        "prevalence-too-high",
        changed(illicit__prevalence=0.9),
        "illicit.prevalence",
        ["probability", "> 1", "lower the prevalence"],
    ),
    (
        "name-path-traversal",
        changed(scenario__name="../../etc"),
        "scenario.name",
        ['"../../etc"', "letters, digits"],
    ),
    ("name-with-slash", changed(scenario__name="a/b"), "scenario.name", ["letters, digits"]),
    (
        "bad-table-name",
        changed(lanes={"green": [], "red lane": ["documents"]}),
        'lanes."red lane"',
        ['"red lane"', "letters, digits"],
    ),
    ("missing-table", changed(traffic=DELETE), "traffic", ["required key is missing"]),
    (
        "missing-key",
        changed(checks__physical__servers=DELETE),
        "checks.physical.servers",
        ["required key is missing"],
    ),
    ("table-not-value", changed(scenario="small"), "scenario", ["must be a table", '"small"']),
    (
        "value-not-table",
        changed(traffic__shipments_per_day={"a": 1}),
        "traffic.shipments_per_day",
        ["must be a number", "a table"],
    ),
    (
        "text-for-number",
        changed(scenario__days="abc"),
        "scenario.days",
        ["must be a number", '"abc"'],
    ),
    ("quoted-number", changed(scenario__days="14"), "scenario.days", ["must be a number", '"14"']),
    (
        "fraction-for-whole",
        changed(scenario__replications=2.5),
        "scenario.replications",
        ["whole number", "2.5"],
    ),
    (
        "bool-for-whole",
        changed(checks__physical__servers=True),
        "checks.physical.servers",
        ["whole number", "true"],
    ),
    (
        "bool-for-number",
        changed(traffic__shipments_per_day=True),
        "traffic.shipments_per_day",
        ["must be a number", "true"],
    ),
    (
        "bool-in-distribution",
        changed(checks__physical__duration_hours={"dist": "fixed", "value": True}),
        "checks.physical.duration_hours.value",
        ["must be a number", "true"],
    ),
    (
        "bool-in-list",
        changed(scenario__target_hours=[6, True]),
        "scenario.target_hours[1]",
        ["must be a number", "true"],
    ),
    (
        "number-for-bool",
        changed(traffic__commodities__vaccine__priority=1),
        "traffic.commodities.vaccine.priority",
        ["true or false", "1"],
    ),
    (
        "text-for-bool",
        changed(traffic__commodities__vaccine__priority="yes"),
        "traffic.commodities.vaccine.priority",
        ["true or false", '"yes"'],
    ),
    (
        "bool-policy-rate",
        changed(policy__rates={"red": True}),
        "policy.rates.red",
        ["must be a number", "true"],
    ),
    ("number-for-text", changed(scenario__name=5), "scenario.name", ["text", "5"]),
    (
        "nan-rate",
        changed(traffic__shipments_per_day=math.nan),
        "traffic.shipments_per_day",
        ["finite", "nan"],
    ),
    (
        "inf-rate",
        changed(traffic__shipments_per_day=math.inf),
        "traffic.shipments_per_day",
        ["finite", "inf"],
    ),
    ("nan-days", changed(scenario__days=math.nan), "scenario.days", ["finite"]),
    ("inf-policy-rate", changed(policy__rates={"red": math.inf}), "policy.rates.red", ["finite"]),
    (
        "nan-in-profile",
        changed(traffic__hourly_profile=[1.0] * 23 + [math.nan]),
        "traffic.hourly_profile[23]",
        ["finite"],
    ),
    (
        "inf-in-distribution",
        changed(checks__physical__duration_hours={"dist": "fixed", "value": math.inf}),
        "checks.physical.duration_hours.value",
        ["finite"],
    ),
    (
        "inf-empirical",
        changed(checks__physical__duration_hours={"dist": "empirical", "values": [1, math.inf]}),
        "checks.physical.duration_hours.values[1]",
        ["finite"],
    ),
    (
        "nan-shift",
        changed(rosters__office__hours=[[math.nan, 17]]),
        "rosters.office.hours[0][0]",
        ["finite"],
    ),
    (
        "inf-target",
        changed(scenario__target_hours=[-math.inf]),
        "scenario.target_hours[0]",
        ["finite"],
    ),
    (
        "huge-cv",
        changed(checks__physical__duration_hours={"dist": "lognormal", "mean": 1, "cv": 1e200}),
        "checks.physical.duration_hours",
        ["too extreme"],
    ),
    (
        "tiny-cv",
        changed(checks__physical__duration_hours={"dist": "gamma", "mean": 1, "cv": 1e-200}),
        "checks.physical.duration_hours",
        ["too extreme"],
    ),
    (
        "huge-value",
        changed(
            traffic__commodities__medicine__value_usd={"dist": "lognormal", "mean": 1e308, "cv": 2}
        ),
        "traffic.commodities.medicine.value_usd",
        ["too extreme"],
    ),
    (
        "too-many-shipments",
        changed(traffic__shipments_per_day=1e7, scenario__days=365),
        "traffic.shipments_per_day",
        ["shipments", f"at most {MAX_SHIPMENTS:,}"],
    ),
    (
        "surge-backwards",
        changed(traffic__surges=[{"start_day": 5, "end_day": 3, "factor": 2}]),
        "traffic.surges[0].end_day",
        ["after start_day (5)"],
    ),
    (
        "surge-unknown-commodity",
        changed(
            traffic__surges=[
                {"start_day": 1, "end_day": 3, "factor": 2, "commodities": ["vaccines"]}
            ]
        ),
        "traffic.surges[0].commodities",
        ["unknown commodity 'vaccines'", "did you mean 'vaccine'"],
    ),
    ("no-lanes", changed(lanes={}), "lanes", ["at least 1"]),
    ("absence-1", changed(checks__physical__absence=1), "checks.physical.absence", ["less than 1"]),
    (
        "long-description",
        changed(scenario__description="x" * 10_001),
        "scenario.description",
        ["at most 10000 characters"],
    ),
    (
        "unknown-check-kind",
        changed(checks__physical__kind="physicals"),
        "checks.physical.kind",
        ['"physicals"', "'documentary'", "'permit'"],
    ),
]


@pytest.mark.parametrize(("data", "path", "words"), [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_bad_scenario_names_key_and_what_is_allowed(data, path, words):
    msg = message_at(problems_of(data), path)
    for word in words:
        assert word in msg, f"{word!r} not in {msg!r}"


def test_every_problem_is_reported_at_once():
    data = changed(checks__physical__sevrers=3, traffic__shipments_per_day=-1, scenario__days="abc")
    paths = [p for p, _ in problems_of(data)]
    assert {"checks.physical.sevrers", "traffic.shipments_per_day", "scenario.days"} <= set(paths)


def test_referral_in_a_circle_is_refused():
    data = small_data()
    data["checks"]["documents"].update(false_alarm=0.01, on_alarm="physical")
    data["checks"]["physical"].update(on_alarm="documents")
    msg = message_at(problems_of(data), "checks.documents.on_alarm")
    assert "circle" in msg and "documents -> physical -> documents" in msg
    data["checks"]["physical"]["on_alarm"] = "physical"
    assert "itself" in message_at(problems_of(data), "checks.physical.on_alarm")


def test_all_risk_factors_zero_is_explained():
    data = small_data()
    for c in data["traffic"]["commodities"].values():
        c["illicit_factor"] = 0
    assert "illicit_factor of 0" in message_at(problems_of(data), "illicit.prevalence")


def test_scenario_that_is_not_a_table():
    assert_clean(pytest.raises(ScenarioError, sim.from_dict, [1, 2], "<list>").value)


def test_deep_nesting_is_a_scenario_error():
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    data = changed(policy__deep=deep)
    err = pytest.raises(ScenarioError, sim.from_dict, data, "<deep>").value
    assert_clean(err)
    text = "x = " + "[" * 5000 + "]" * 5000
    assert "nested too deeply" in str(pytest.raises(ScenarioError, sim.loads_scenario, text).value)


def test_messages_give_the_source_and_each_path(tmp_path):
    path = write_toml(tmp_path / "bad.toml", changed(checks__physical__sevrers=3))
    err = pytest.raises(ScenarioError, sim.load_scenario, path).value
    text = str(err)
    assert text.splitlines()[0] == f"{path}: invalid scenario"
    assert "  checks.physical.sevrers: unknown key 'sevrers'" in text


# ------------------------------------------------------------------------------- files


def _file_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(path)
    err = info.value
    assert_clean(err)
    assert str(path) in str(err)
    return err


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(tomli_w.dumps(small_data()).replace("small", "sm\u00e4ll").encode("latin-1"))
    assert "UTF-8" in str(_file_error(path))


def test_invalid_toml_syntax(tmp_path):
    path = tmp_path / "syntax.toml"
    path.write_text("[scenario]\nname = small\n")
    err = _file_error(path)
    assert "not valid TOML" in str(err) and "line 2" in str(err)


def test_duplicate_key_is_a_toml_error(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text(tomli_w.dumps(small_data()) + "\n[scenario]\nname = 'x'\n")
    assert "not valid TOML" in str(_file_error(path))


def test_missing_file(tmp_path):
    assert "no such file" in str(_file_error(tmp_path / "nothere.toml"))


def test_folder_given_as_file(tmp_path):
    assert "folder" in str(_file_error(tmp_path))


def test_scenario_files_are_data_never_code(tmp_path):
    """A file that looks like Python is only ever parsed as TOML."""
    marker = tmp_path / "ran"
    path = tmp_path / "code.toml"
    path.write_text(f"import os; os.mkdir({str(marker)!r})\n")
    _file_error(path)
    data = changed(scenario__description=f"__import__('os').mkdir({str(marker)!r})")
    sim.from_dict(data)
    assert not marker.exists()


# ------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "make",
    [
        lambda: sim.load_scenario(BASELINE),
        lambda: sim.from_dict(small_data()),
        lambda: sim.from_dict(mmc_data()),
    ],
    ids=["baseline", "small", "mmc"],
)
def test_resolved_scenario_round_trips(make):
    s = make()
    again = sim.loads_scenario(s.to_toml())
    assert again.digest() == s.digest()
    assert again.to_dict() == s.to_dict()
    assert again.to_toml() == s.to_toml()


# ------------------------------------------------------------------------------- --set


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("policy.rates.red=0.1", ["policy", "rates", "red"], 0.1),
        ("checks.physical.servers = 6", ["checks", "physical", "servers"], 6),
        (
            'checks.documents.duration_hours={dist="fixed", value=0.25}',
            ["checks", "documents", "duration_hours"],
            {"dist": "fixed", "value": 0.25},
        ),
        ("traffic.hourly_profile=[1, 2]", ["traffic", "hourly_profile"], [1, 2]),
        (
            "traffic.commodities.vaccine.priority=false",
            ["traffic", "commodities", "vaccine", "priority"],
            False,
        ),
        ("policy.default_lane=green", ["policy", "default_lane"], "green"),
        ('scenario.name="2024"', ["scenario", "name"], "2024"),
        ("scenario.description=a b = c", ["scenario", "description"], "a b = c"),
        ("scenario.description=", ["scenario", "description"], ""),
        ("scenario.description=1\n[x]", ["scenario", "description"], "1\n[x]"),
    ],
)
def test_override_values_are_toml_or_text(text, key, value):
    assert parse_override(text) == (key, value)


def test_override_changes_exactly_the_key(tmp_path):
    data = small_data()
    path = write_toml(tmp_path / "s.toml", data)
    out = apply_overrides(data, ["checks.physical.servers=6", "policy.rates.red=0.2"], "s.toml")
    assert data == small_data(), "the input must not be modified"
    expected = small_data()
    expected["checks"]["physical"]["servers"] = 6
    expected["policy"]["rates"]["red"] = 0.2
    assert out == expected

    base = sim.load_scenario(path).to_dict()
    over = sim.load_scenario(path, ["checks.physical.servers=6"]).to_dict()
    assert over["checks"]["physical"]["servers"] == 6
    over["checks"]["physical"]["servers"] = base["checks"]["physical"]["servers"]
    assert over == base


def test_override_can_add_a_table(tmp_path):
    path = write_toml(tmp_path / "s.toml", small_data())
    s = sim.load_scenario(path, ["traffic.origins.all.share=1"])
    assert list(s.traffic.origins) == ["all"]


@pytest.mark.parametrize(
    ("override", "path", "words"),
    [
        ("policy.rates.red=-1", "policy.rates.red", ["at least 0", "-1"]),
        ("scenario.days=abc", "scenario.days", ["must be a number", '"abc"']),
        ("scenario.days=nan", "scenario.days", ["finite"]),
        ("scenario.seed=true", "scenario.seed", ["whole number", "true"]),
        ("nokey", "nokey", ["KEY=VALUE"]),
        ("=5", "", ["KEY=VALUE"]),
        ("checks..servers=1", 'checks."".servers', ["KEY=VALUE"]),
        ("a b.c=1", '"a b"', ['unknown key "a b"']),
        ("checks.physical.servers.x=1", "checks.physical.servers", ["not a table", "'x'"]),
        ("scenario.target_hours.0=1", "scenario.target_hours", ["not a table", "'0'"]),
        ("checks.physical.sevrers=3", "checks.physical.sevrers", ["did you mean 'servers'"]),
        ("nokey.x=1", "nokey", ["unknown key 'nokey'"]),
        ('lanes.red=["documents", "xray"]', "lanes.red", ["unknown check 'xray'"]),
    ],
)
def test_bad_override_names_the_key(tmp_path, override, path, words):
    file = write_toml(tmp_path / "s.toml", small_data())
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(file, [override])
    err = info.value
    assert_clean(err)
    assert str(file) in err.source
    msg = message_at(err.problems, path)
    for word in words:
        assert word in msg, f"{word!r} not in {msg!r}"


def test_run_api_overrides_are_validated():
    with pytest.raises(ScenarioError):
        sim.run(sim.from_dict(small_data()), overrides=["policy.rates.red=2"])


# ------------------------------------------------------------------------------- properties

SPECIAL = [
    0,
    -1,
    1,
    2,
    0.5,
    -0.5,
    1e308,
    -1e308,
    5e-324,
    2**63,
    10**7,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "24/7",
    "office",
    "documents",
    "physical",
    "green",
    "red",
    "falsified",
    "vaccine",
    "lognormal",
    "fixed",
    "random",
    "intercept",
    "mon",
    "../x",
    "nan",
]
SCALARS = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "share",
            "servers",
            "roster",
            "dist",
            "mean",
            "cv",
            "on_alarm",
            "kind",
            "x",
            "detect",
            "surges",
            "rates",
            "origins",
            "values",
            "hours",
            "days",
        ]
    ),
    st.text(max_size=6),
)


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@st.composite
def mutated(draw, values=VALUES, ops=("replace", "delete", "add"), numbers_only=False) -> dict:
    """small_data() with one to three random edits: replace a value, delete a key, add a key
    (or, with ``numbers_only``, replace numbers only)."""
    data = small_data()
    for _ in range(draw(st.integers(1, 3))):
        paths = key_paths(data)
        if numbers_only:
            paths = [p for p in paths if _is_number(_get(data, p))]
        path = draw(st.sampled_from(paths))
        parent, last = _get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(ops))
        if op == "replace":
            parent[last] = draw(values)
        elif op == "delete":
            del parent[last]
        else:
            target = _get(data, path) if isinstance(_get(data, path), dict) else parent
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(values)
            else:
                target.append(draw(values))
    return data


def _validate_or_scenario_error(data: dict[str, Any]) -> sim.Scenario | None:
    """The scenario (which must round-trip through its TOML), or None after a clean error."""
    try:
        s = sim.from_dict(copy.deepcopy(data), "<generated>")
    except ScenarioError as err:
        assert_clean(err)
        return None
    assert sim.loads_scenario(s.to_toml()).digest() == s.digest()
    return s


@settings(max_examples=100, deadline=None)
@given(mutated())
def test_mutated_scenarios_raise_only_scenario_error(data):
    _validate_or_scenario_error(data)


NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 0.5, 1e-9, 1e-300, 5e-324, 1e6, 1e12, 1e300, 23.99]),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=20),
    st.floats(min_value=0, max_value=1e6),
)


def _run_short(s: sim.Scenario) -> bool:
    """Run one replication of two days (plus a day of drain) of an accepted scenario."""
    data = s.to_dict()
    data["scenario"].update(days=2, warmup_days=0, drain_days=1, replications=1)
    data["traffic"]["surges"] = [
        {**surge, "start_day": min(surge["start_day"], 1.0), "end_day": min(surge["end_day"], 2.0)}
        for surge in data["traffic"].get("surges", [])
    ]
    short = sim.from_dict(data, "<short>")
    if expected_shipments(short) * max(1, len(short.checks)) > 50_000:
        return False  # valid, but too big for a unit test
    result = sim.run(short, progress=False)
    assert len(result.replications) == 1
    assert result.summary()["shipments"]["n"] == 1
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(values=NUMBERS, ops=("replace",), numbers_only=True))
def test_accepted_scenarios_run(data):
    """A generated scenario that validates also runs (on a short window, to keep tests quick)."""
    s = _validate_or_scenario_error(data)
    event("refused" if s is None else "ran" if _run_short(s) else "too big to run")


EDGES = {
    "many-servers": changed(checks__physical__servers=100_000),
    "tiny-durations": changed(checks__documents__duration_hours={"dist": "fixed", "value": 1e-12}),
    "huge-durations": changed(
        checks__physical__duration_hours={"dist": "gamma", "mean": 1e9, "cv": 0.01}
    ),
    "extreme-cv": changed(
        checks__physical__duration_hours={"dist": "lognormal", "mean": 1, "cv": 1e6}
    ),
    "almost-all-absent": changed(checks__physical__absence=0.999),
    "one-hour-a-week": changed(rosters__office={"days": ["sun"], "hours": [[23, 24]]}),
    "closed-lodgement": changed(lodgement__roster="office", traffic__prearrival_share=0),
    "no-illicit": changed(illicit__prevalence=0),
    "all-illicit": changed(
        illicit__prevalence=1,
        illicit__aeo_factor=1,
        traffic__aeo_share=0,
        traffic__commodities={"medicine": {"share": 1.0}},
    ),
    "no-checks": changed(checks={}, lanes={"green": []}, policy={"kind": "random"}),
    "all-red": changed(policy__rates={"red": 1.0}),
    "everything-required": changed(checks__physical__required_for=["vaccine", "medicine"]),
    "zero-surge": changed(traffic__surges=[{"start_day": 0, "end_day": 2, "factor": 0}]),
    "huge-surge": changed(
        traffic__surges=[
            {"start_day": 0, "end_day": 0.05, "factor": 1000, "commodities": ["vaccine"]}
        ]
    ),
    "single-hour-profile": changed(traffic__hourly_profile=[0] * 23 + [1]),
    "weekend-only": changed(traffic__weekly_profile=[0, 0, 0, 0, 0, 1, 1]),
    "empirical": changed(
        checks__documents__duration_hours={"dist": "empirical", "values": [0, 0, 3]}
    ),
    "referral": changed(checks__documents__false_alarm=0.5, checks__documents__on_alarm="physical"),
    "guarantee": changed(checks__physical__release_on_guarantee=True),
    "tiny-window": changed(scenario__days=1e-6, scenario__warmup_days=0),
}


@pytest.mark.parametrize("data", list(EDGES.values()), ids=list(EDGES))
def test_edge_scenarios_run(data):
    s = sim.from_dict(data)
    if data["scenario"]["days"] < 1:
        sim.run(s, replications=1, progress=False)
    else:
        _run_short(s)


def test_shipment_limit_is_generous():
    """The limit stops typos (1,800,000 a day) but not a large national scenario."""
    big = build(small_data(), traffic__shipments_per_day=20_000, scenario__days=365)
    assert expected_shipments(big) < MAX_SHIPMENTS


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated") / "scenario.toml"


TOML_TEXT = tomli_w.dumps(small_data())


@st.composite
def damaged_toml(draw) -> bytes:
    """The small scenario's TOML with a stretch replaced by random text or bytes."""
    start = draw(st.integers(0, len(TOML_TEXT)))
    end = draw(st.integers(start, min(len(TOML_TEXT), start + 20)))
    insert = draw(
        st.text(max_size=12)
        | st.sampled_from(
            ["=", "[", "]", '"', "nan", "inf", "-1", "true", "{", "}", "\n[x]\n", "'''"]
        )
    )
    text = (TOML_TEXT[:start] + insert + TOML_TEXT[end:]).encode()
    if draw(st.booleans()):
        return text
    return text + draw(st.binary(max_size=4))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode), damaged_toml()))
def test_any_file_content_raises_only_scenario_error(scratch, content):
    scratch.write_bytes(content)
    try:
        sim.load_scenario(scratch)
    except ScenarioError as err:
        assert_clean(err)
        assert str(scratch) in str(err)


OVERRIDE_KEYS = override_keys(small_data())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=40),
        st.tuples(st.sampled_from(OVERRIDE_KEYS), st.text(max_size=15)).map("=".join),
        st.tuples(st.sampled_from(OVERRIDE_KEYS), st.sampled_from([str(v) for v in SPECIAL])).map(
            "=".join
        ),
    )
)
def test_any_override_raises_only_scenario_error(scratch, override):
    scratch.write_text(TOML_TEXT)
    try:
        sim.load_scenario(scratch, [override])
    except ScenarioError as err:
        assert_clean(err)
        assert str(scratch) in err.source
