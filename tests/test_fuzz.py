"""Fuzzing the input side: mutations of the shipped scenarios (keys deleted, types swapped,
huge, tiny, negative, nan and inf numbers, long text, deep nesting, dates, keys of many parts),
``--set`` texts and ``--vary`` texts. The only allowed outcomes are success or a clean refusal
(a ScenarioError, or exit status 2 with one message and no traceback), each case within a time
and memory limit; a scenario that validates also runs, on a tiny horizon.

The default profile is quick (part of ``make test``); the ``slow`` tests draw many more cases
(``make validate``, ``make validate-ci``).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.experiment.options import ExperimentError
from sim.experiment.sweep import parse_all, sweep_points
from sim.scenario import read_toml
from sim.schema import ScenarioError, expected_shipments

from conftest import ROOT, key_paths

SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
DOCS = {path.name: read_toml(path) for path in SHIPPED}
SECONDS = 5.0
"""Most time one case may take (parse and validate; the tests with a tiny run get twice)."""
MEGABYTES = 200
"""Most memory one case may allocate (traced)."""

HOSTILE = st.one_of(
    st.sampled_from(
        [
            0,
            -1,
            1,
            10**400,
            -(10**400),
            2**63,
            2**63 - 1,
            -(2**63),
            0.0,
            -0.0,
            5e-324,
            1e-300,
            1e300,
            1e308,
            -1e308,
            float("nan"),
            float("inf"),
            float("-inf"),
            True,
            False,
            "",
            "x" * 200_000,
            "24/7",
            "../..",
            datetime.date(1979, 5, 27),
            datetime.datetime(1979, 5, 27, 7, 32),
            datetime.time(7, 32),
            [],
            {},
            [1e308] * 24,
            [5e-324, 0, 0, 0, 0, 0, 0],
            [0] * 24,
            [[[[[[[[[[[[[]]]]]]]]]]]]],
            {"dist": "empirical", "values": [1e308, 1e308]},
            {"dist": "fixed", "value": 1e-320},
            {"dist": "lognormal", "mean": 1e300, "cv": 1e300},
        ]
    ),  # fmt: skip
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=30),
)
"""Values that a mistaken or hostile file may hold."""


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@st.composite
def mutated_document(draw) -> str:
    """A shipped scenario with a few of its keys deleted or replaced by hostile values, as
    TOML text, sometimes with a hostile line added to the text itself."""
    name = draw(st.sampled_from(sorted(DOCS)))
    data = _copy(DOCS[name])
    paths = [p for p in key_paths(data) if p]
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        _mutate(data, path, draw(st.sampled_from(["delete", "replace", "add", "deep"])), draw)
    text = tomli_w.dumps(data)
    extra = draw(
        st.sampled_from(
            [
                "",
                "[" + ".".join(["a"] * 40) + "]\nx = 1\n",
                ".".join(["k"] * 5000) + " = 1\n",
                "deep = " + "[" * 500 + "]" * 500 + "\n",
                "big = 1" + "0" * 5000 + "\n",
                'text = """' + "x" * 1000,
            ]
        )
    )
    return text + extra


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _mutate(data: dict[str, Any], path: tuple, how: str, draw) -> None:
    parent: Any = data
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if not isinstance(parent, dict | list):
        return
    if isinstance(parent, dict) and not isinstance(last, str):
        return  # a list's position, where an earlier mutation put a table: TOML keys are text
    with contextlib.suppress(KeyError, IndexError, TypeError):
        if how == "delete":
            del parent[last]
        elif how == "replace":
            parent[last] = draw(HOSTILE)
        elif how == "deep":
            parent[last] = _nested(draw(st.integers(20, 60)))
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["x", "days", "dist", "values", "kind"]))] = draw(HOSTILE)


@contextlib.contextmanager
def bounded(seconds: float = SECONDS, megabytes: float = MEGABYTES) -> Iterator[None]:
    """The case must finish within ``seconds`` of this process's CPU time (other work on a loaded
    machine does not count) and allocate at most ``megabytes``."""
    tracemalloc.start()
    start = time.process_time()
    try:
        yield
    finally:
        took = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert took < seconds, f"took {took:.1f} s"
    assert peak < megabytes * 1e6, f"allocated {peak / 1e6:.0f} MB"


def _validated(text: str) -> sim.Scenario | None:
    """The scenario, or None when refused cleanly; anything else fails the test."""
    try:
        return sim.loads_scenario(text, "<fuzz>")
    except ScenarioError as err:
        assert str(err).startswith("<fuzz>") and "Traceback" not in str(err)
        return None


def _runs_briefly(s: sim.Scenario) -> None:
    """An accepted scenario runs one replication of a day (when small enough for a test)."""
    data = s.to_dict()
    data["scenario"].update(days=1, warmup_days=0, drain_days=0.5, replications=1)
    data.pop("variants", None)
    try:
        short = sim.from_dict(data, "<short>")
    except ScenarioError:
        return  # the short horizon itself can break a rule (a surge starting later)
    if expected_shipments(short) * max(1, len(short.checks)) > 20_000:
        return
    assert len(sim.run(short, progress=False).replications) == 1


def check_document(text: str, run: bool) -> None:
    with bounded():
        s = _validated(text)
    if s is not None and run:
        with bounded(2 * SECONDS, megabytes=10 * MEGABYTES):
            _runs_briefly(s)


def cli(*args: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


KEYS = sorted(
    {
        ".".join(p)
        for doc in DOCS.values()
        for p in key_paths(doc)
        if all(isinstance(x, str) for x in p)
    }
)
VALUE_TEXTS = st.one_of(
    st.sampled_from(
        [
            "1" + "0" * 400,
            "-1" + "0" * 400,
            "1979-05-27",
            "1979-05-27T07:32:00",
            "07:32:00",
            "nan",
            "inf",
            "-inf",
            "1e308",
            "5e-324",
            "[" * 300 + "]" * 300,
            "[1979-05-27]",
            "{a = 1}",
            "true",
            '"x"',
            "0:1:3",
            "1:" + "1" * 400 + ":3",
            "-1e308:1e308:3",
            "1,2,3",
            "1,,2",
            ",",
            ":",
            "0:1:100000",
            "a:b:c",
            ".".join(["a"] * 5000),
            "{" + ".".join(["a"] * 5000) + " = 1}",
            "x" * 100_000,
            "[1e308, 1e308]",
        ]
    ),  # fmt: skip
    st.text(max_size=40),
)
KEY_TEXTS = st.one_of(
    st.sampled_from(KEYS), st.sampled_from(["", ".", "a..b", ".".join(["a"] * 5000)]), st.text()
)


def check_set(key: str, value: str) -> None:
    with bounded():
        code, out, err = cli(
            "validate", ROOT / "scenarios" / "baseline.toml", f"--set={key}={value}"
        )
    assert code in (0, 2), err
    if code == 2:
        assert not out and err.startswith("error: ") and "Traceback" not in err, err


def check_vary(key: str, spec: str) -> None:
    base = DOCS["baseline.toml"]
    with bounded(3 * SECONDS):
        try:
            vary = parse_all([f"{key}={spec}"], "<fuzz>")
            sweep_points({k: v for k, v in base.items() if k != "variants"}, vary, "<fuzz>", 1, 1)
        except (ScenarioError, ExperimentError) as err:
            assert "Traceback" not in str(err)


FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
MANY = settings(
    max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@FAST
@given(mutated_document())
def test_mutated_scenarios_validate_or_are_refused(text):
    check_document(text, run=True)


@FAST
@given(KEY_TEXTS, VALUE_TEXTS)
def test_set_texts_validate_or_exit_2(key, value):
    check_set(key, value)


@FAST
@given(st.sampled_from(KEYS), VALUE_TEXTS)
def test_vary_texts_parse_or_are_refused(key, spec):
    check_vary(key, spec)


@pytest.mark.slow
@MANY
@given(mutated_document())
def test_many_mutated_scenarios_validate_or_are_refused(text):
    check_document(text, run=True)


@pytest.mark.slow
@MANY
@given(KEY_TEXTS, VALUE_TEXTS)
def test_many_set_texts_validate_or_exit_2(key, value):
    check_set(key, value)


@pytest.mark.slow
@MANY
@given(st.sampled_from(KEYS), VALUE_TEXTS)
def test_many_vary_texts_parse_or_are_refused(key, spec):
    check_vary(key, spec)
