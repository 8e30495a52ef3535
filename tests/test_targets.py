"""Calibration target files and free parameters: a valid file loads, and every kind of bad input
(in the file, against the scenario's metrics, or on ``--free``) is refused before anything runs,
with one message naming the file, the key and what is allowed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.experiment.free import (
    FreeParameter,
    apply,
    check_targets,
    load_targets,
    overrides,
    parse_free,
    produced_metrics,
)
from sim.reference import render_targets_schema, targets_json_schema
from sim.schema import ScenarioError, Targets

from conftest import ROOT, changed, small_data

SCHEMA = ROOT / "docs" / "targets.schema.json"


def target_data(**figure: Any) -> dict[str, Any]:
    """A valid target file's data with one figure (its keys updated by ``figure``)."""
    first = {"name": "arrival to permit", "metric": "clearance_hours_mean", "value": 12.8}
    return {
        "target": {"name": "test-trs", "source": "a test study", "tolerance": 0.1},
        "figures": [
            {**first, **figure},
            {
                "name": "arrival to declaration",
                "metric": ["segment.lodgement", "segment.documents.queue"],
                "value": 2.5,
                "sd": 0.2,
                "weight": 2,
            },
        ],
    }


def write(tmp_path: Path, data: dict[str, Any], name: str = "trs.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data))
    return path


def refused(call: Any, *args: Any) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        call(*args)
    return info.value


@pytest.fixture(scope="module")
def small() -> sim.Scenario:
    return sim.from_dict(small_data(), "small.toml")


# --------------------------------------------------------------------------- the target file


def test_a_valid_file_loads(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, target_data(tolerance=0.05)))
    assert isinstance(targets, Targets)
    assert targets.target.name == "test-trs" and targets.target.scenario is None
    one, two = targets.figures
    assert one.metric == ["clearance_hours_mean"]  # one name is a list of one
    assert two.metric == ["segment.lodgement", "segment.documents.queue"]
    assert (one.weight, two.weight, two.sd, one.sd) == (1.0, 2.0, 0.2, None)
    assert targets.tolerance_of(one) == 0.05 and targets.tolerance_of(two) == 0.1
    # Met within tolerance x |value|, or with sd within max(that, 1.96 sd).
    assert targets.met(one, 12.8 * 1.049) and not targets.met(one, 12.8 * 1.051)
    assert targets.met(two, 2.5 + 0.39) and not targets.met(two, 2.5 + 0.4)
    assert not targets.met(one, math.nan)


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"colour": "red"}, "figures[0].colour", "unknown key 'colour'; allowed here: metric"),
        ({"value": None}, "figures[0].value", "required key is missing"),
        ({"value": math.inf}, "figures[0].value", "must be a finite number (not nan or inf)"),
        ({"value": "12.8"}, "figures[0].value", "must be a number"),
        ({"tolerance": -0.1}, "figures[0].tolerance", "must be greater than 0, got -0.1"),
        ({"sd": 0}, "figures[0].sd", "must be greater than 0"),
        ({"weight": 0}, "figures[0].weight", "must be greater than 0"),
        ({"metric": []}, "figures[0].metric", "needs at least 1 entry, got 0"),
    ],
)
def test_a_bad_figure_is_named_by_file_and_key(
    tmp_path: Path, change: dict[str, Any], where: str, words: str
) -> None:
    data = target_data(**change)
    if change.get("value", 0) is None:
        del data["figures"][0]["value"]
    path = write(tmp_path, data)
    err = refused(load_targets, path)
    assert str(path) in str(err) and "invalid target file" in str(err)
    assert [p for p, _ in err.problems] == [where], err.problems
    assert words in err.problems[0][1]


def test_bad_target_tables_and_files(tmp_path: Path) -> None:
    data = target_data()
    data["target"]["tolerance"] = 0
    data["target"]["sorce"] = "typo"
    err = refused(load_targets, write(tmp_path, data))
    problems = dict(err.problems)
    assert "did you mean 'source'" in problems["target.sorce"]
    assert "must be greater than 0" in problems["target.tolerance"]
    data = target_data()
    data["target"]["name"] = "two words"
    assert "target.name" in str(refused(load_targets, write(tmp_path, data)))
    err = refused(load_targets, write(tmp_path, {"target": target_data()["target"]}))
    assert err.problems == [("figures", "required key is missing")]
    data = target_data()
    data["figures"][1]["name"] = data["figures"][0]["name"]
    data["figures"].append({"name": "nothing held", "metric": "stuck_share", "value": 0})
    err = refused(load_targets, write(tmp_path, data))
    assert [p for p, _ in err.problems] == ["figures[1].name", "figures[2].sd"]
    assert "already the name of figures[0]" in err.problems[0][1]
    assert "a figure of 0 needs an sd" in err.problems[1][1]
    assert "not a target file" in str(refused(load_targets, tmp_path))
    (tmp_path / "broken.toml").write_text("[target\nname = 1\n")
    assert "not valid TOML" in str(refused(load_targets, tmp_path / "broken.toml"))
    assert "no such file" in str(refused(load_targets, tmp_path / "missing.toml"))


# --------------------------------------------------------------------------- against the scenario


def test_metric_names_and_shares_are_checked_against_the_scenario(small: sim.Scenario) -> None:
    known = produced_metrics(small)
    assert {"clearance_hours_mean", "segment.lodgement", "within_24h_share"} <= known
    good = Targets.model_validate(target_data())
    check_targets(good, small, "trs.toml")  # nothing to say
    data = target_data(metric="clearance_hour_mean")
    data["figures"].append({"name": "within a day", "metric": "within_24h_share", "value": 1.3})
    data["figures"][1]["metric"] = ["segment.lodgment", "segment.documents.queue"]
    err = refused(check_targets, Targets.model_validate(data), small, "targets/trs.toml")
    text = str(err)
    assert text.startswith("targets/trs.toml: invalid target file")
    problems = dict(err.problems)
    assert "did you mean 'clearance_hours_mean'?" in problems["figures[0].metric"]
    assert "did you mean 'segment.lodgement'?" in problems["figures[1].metric[0]"]
    assert "between 0 and 1, got 1.3" in problems["figures[2].value"]
    assert len(err.problems) == 3


# --------------------------------------------------------------------------- free parameters


def test_free_parameters_parse(small: sim.Scenario) -> None:
    free = parse_free(
        [
            "lodgement.delay_hours.mean=1:20",
            "checks.documents.servers=1:6:int",
            "checks.physical.duration_hours.mean = 0.5 : 4 : log",
        ],
        small,
    )
    assert free == [
        FreeParameter("lodgement.delay_hours.mean", 1.0, 20.0, "float"),
        FreeParameter("checks.documents.servers", 1.0, 6.0, "int"),
        FreeParameter("checks.physical.duration_hours.mean", 0.5, 4.0, "log"),
    ]
    values = {"lodgement.delay_hours.mean": 7.5, "checks.documents.servers": 4.0}
    assert overrides(values, free) == [
        "lodgement.delay_hours.mean=7.5",
        "checks.documents.servers=4",
    ]
    assert overrides({"checks.documents.servers": 4}) == ["checks.documents.servers=4"]
    fitted = apply(small, values, free)
    assert fitted.checks["documents"].servers == 4
    assert fitted.lodgement.delay_hours.mean == 7.5
    assert small.checks["documents"].servers == 2  # the base is unchanged


@pytest.mark.parametrize(
    ("texts", "key", "words"),
    [
        (["checks.documents.srvers=1:4"], "checks.documents.srvers", "did you mean 'servers'?"),
        (["nosuch.key=1:2"], "nosuch.key", "no such key in the scenario; keys here: checks"),
        (["scenario.name=1:2"], "scenario.name", "not a number"),
        (
            ["checks.documents.servers.x=1:2"],
            "checks.documents.servers.x",
            "checks.documents.servers holds 2, not a table",
        ),
        (["checks.documents.servers=4:2:int"], "checks.documents.servers", "LOW must be less"),
        (["lodgement.delay_hours.mean=3:3"], "lodgement.delay_hours.mean", "LOW must be less"),
        (
            ["checks.documents.servers=0:4:int"],
            "checks.documents.servers",
            "LOW=0 is not allowed: must be at least 1, got 0",
        ),
        (["lodgement.delay_hours.mean=0:4:log"], "lodgement.delay_hours.mean", "LOW > 0"),
        (["checks.documents.servers=1.5:4:int"], "checks.documents.servers", "whole numbers"),
        (
            ["checks.documents.servers=1:6"],
            "checks.documents.servers",
            "holds a whole number (2), so its range must be whole numbers marked :int, "
            "e.g. checks.documents.servers=1:6:int",
        ),
        (["checks.documents.servers=1:6:log"], "checks.documents.servers", "marked :int"),
        (["lodgement.delay_hours.mean=1:nan"], "lodgement.delay_hours.mean", "finite numbers"),
        (["checks.documents.servers=1:4:cube"], "checks.documents.servers", "allowed: int, log"),
        (["checks.documents.servers"], "checks.documents.servers", "KEY=LOW:HIGH"),
        (
            ["checks.documents.servers=1:4:int", "checks.documents.servers=2:3:int"],
            "checks.documents.servers",
            "given twice",
        ),
        (
            ["scenario.days=0.5:20"],
            "scenario.days",
            "LOW=0.5 makes the scenario invalid: scenario.warmup_days: must be less than days",
        ),
    ],
)
def test_a_bad_free_parameter_is_refused(
    small: sim.Scenario, texts: list[str], key: str, words: str
) -> None:
    err = refused(parse_free, texts, small, "--free")
    assert str(err).startswith("--free: invalid free parameter")
    assert [p for p, _ in err.problems] == [key], err.problems
    assert words in err.problems[0][1]


def test_every_bad_free_parameter_is_reported_at_once(small: sim.Scenario) -> None:
    err = refused(parse_free, ["a.b=1:2", "scenario.seed=5:1"], small)
    assert [p for p, _ in err.problems] == ["a.b", "scenario.seed"]


_SMALL = sim.from_dict(small_data(), "small.toml")
_KEYS = {"float": "lodgement.delay_hours.mean", "log": "checks.physical.duration_hours.mean"}


@st.composite
def free_ranges(draw: st.DrawFn) -> tuple[str, FreeParameter]:
    """A valid free range as typed on the command line, and what it means."""
    kind = draw(st.sampled_from(["float", "log", "int"]))
    if kind == "int":
        low = draw(st.integers(1, 50))
        high = draw(st.integers(low + 1, 60))
        param = FreeParameter("checks.documents.servers", float(low), float(high), "int")
        return f"{param.key}={low}:{high}:int", param
    ends = st.floats(0.01, 500, allow_nan=False, allow_infinity=False)
    low, high = sorted(draw(st.lists(ends, min_size=2, max_size=2, unique=True)))
    param = FreeParameter(_KEYS[kind], low, high, kind)  # type: ignore[arg-type]
    suffix = ":log" if kind == "log" else ""
    return f"{param.key}={low!r}:{high!r}{suffix}", param


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(free_ranges())
def test_parse_free_round_trips_any_valid_range(case: tuple[str, FreeParameter]) -> None:
    text, expected = case
    assert parse_free([text], _SMALL) == [expected]
    assert parse_free([expected.text()], _SMALL) == [expected]


# --------------------------------------------------------------------------- schema and shipped


def test_targets_schema_is_current() -> None:
    """docs/targets.schema.json is what `python -m sim.reference --targets-schema` writes now."""
    hint = "run: python -m sim.reference --targets-schema > docs/targets.schema.json"
    assert SCHEMA.read_text() == render_targets_schema(), hint


def test_targets_schema_agrees_with_the_loader(tmp_path: Path) -> None:
    """The schema accepts what the loader accepts and refuses its mistakes; every shipped target
    file passes both, and names only metrics its base scenario produces."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = targets_json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema)
    assert not list(validator.iter_errors(target_data()))
    for change in ({"colour": 1}, {"sd": -1.0}, {"metric": []}, {"value": "high"}):
        assert list(validator.iter_errors(target_data(**change))), change
    shipped = sorted((ROOT / "targets").glob("*.toml"))
    for path in shipped:
        targets = load_targets(path)
        assert not list(validator.iter_errors(tomli.loads(path.read_text()))), path
        if targets.target.scenario is not None:  # its metric names are the scenario's own
            base = sim.load_scenario(path.parent / targets.target.scenario)
            check_targets(targets, base, str(path))


def test_the_metric_names_come_from_the_scenario_itself() -> None:
    """A scenario without a physical check produces no physical segment: a target naming one
    is refused for that scenario (the key set comes from the scenario itself)."""
    data = changed(small_data(), lanes={"green": [], "yellow": ["documents"], "red": ["documents"]})
    del data["checks"]["physical"]
    scenario = sim.from_dict(data, "one-check.toml")
    targets = Targets.model_validate(target_data(metric="segment.physical.queue"))
    err = refused(check_targets, targets, scenario, "trs.toml")
    assert [p for p, _ in err.problems] == ["figures[0].metric"]
    assert json.dumps(err.problems)  # plain data, for calibration.json
