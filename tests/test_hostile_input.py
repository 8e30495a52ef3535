"""Hostile input never hurts: every generated scenario file and override either runs or is
refused with status 2, one clear message, no traceback and nothing left behind; a scenario too
big for the memory cap is refused before it runs, with the estimate; results stay inside the
results folder whatever the scenario is called; and nothing user-supplied is ever evaluated,
imported or unpickled. (tests/test_scenario_errors.py and tests/test_cli.py cover the messages key
by key; this file drives the whole command with generated input.)"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import json
import math
import os
import pickle
import tempfile
import time
import tomllib
import tracemalloc
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.files.write import default_folder
from sim.schema import (
    BYTES_PER_SHIPMENT,
    BYTES_PER_SHIPMENT_CHECK,
    DEFAULT_MAX_MEMORY_MB,
    MAX_SHIPMENTS,
    MEMORY_ENV,
    ScenarioError,
    ScenarioInfo,
    estimated_memory_bytes,
    expected_shipments,
)

from conftest import ROOT, build, changed, key_paths, override_keys, small_data, write_toml


def cli(*args: Any) -> tuple[int, str, str]:
    """Run the bordersim command in this process: status, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ----------------------------------------------------------------------------- memory cap


def sized(per_day: float, days: float = 14, checks: int = 2) -> dict[str, Any]:
    """small_data() with another volume and, if asked, extra documentary checks."""
    data = changed(traffic__shipments_per_day=per_day, scenario__days=days)
    for k in range(checks - 2):
        data["checks"][f"extra{k}"] = {
            "kind": "documentary",
            "servers": 1,
            "duration_hours": {"dist": "fixed", "value": 0.1},
        }
    return data


def test_memory_estimate_is_close_to_what_a_replication_takes():
    """The constants behind the estimate (BYTES_PER_SHIPMENT, BYTES_PER_SHIPMENT_CHECK) still
    describe the model: a replication's peak, measured with tracemalloc, is within a factor of
    the estimate."""
    scenario = build(sized(120, days=200))
    estimate = estimated_memory_bytes(scenario)
    seed = sim.replication_seeds(1, 1)[0]
    tracemalloc.start()
    try:
        sim.simulate(scenario, seed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert estimate == expected_shipments(scenario) * (
        BYTES_PER_SHIPMENT + BYTES_PER_SHIPMENT_CHECK * len(scenario.checks)
    )
    assert 0.4 < peak / estimate < 1.6, (peak, estimate)


def test_over_the_cap_is_refused_before_it_runs(monkeypatch, tmp_path):
    """With a cap of 100 MB, a scenario estimated at about 230 MB exits 2 naming the estimate,
    the cap and how to raise it, without simulating anything or writing anything."""
    monkeypatch.setenv(MEMORY_ENV, "100")
    monkeypatch.chdir(tmp_path)

    def never(*args, **kwargs):
        raise AssertionError("a refused scenario must not be simulated")

    monkeypatch.setattr(sim.model.border.Border, "run", never)
    file = write_toml(tmp_path / "big.toml", sized(50_000))
    for command in (["validate", file], ["run", file, "--out", tmp_path / "out"], ["run", file]):
        code, out, err = cli(*command)
        assert code == 2 and not out, err
        assert err.startswith(f"error: {file}")
        assert "230 MB" in err and "100 MB" in err and MEMORY_ENV in err
        assert "850,000 shipments x 270 bytes" in err
    assert tree(tmp_path) == ["big.toml"]


def test_default_cap_admits_the_largest_replications_and_a_lower_cap_refuses_them(monkeypatch):
    """By default the memory cap admits what the shipment limit allows (a national year of
    7.4 million shipments, 2.0 GB; 9.6 million with five checks, 2.9 GB); a machine with less
    memory sets a lower cap."""
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    national = sized(20_000, days=365)
    assert estimated_memory_bytes(build(national)) < DEFAULT_MAX_MEMORY_MB * 1e6
    biggest = sized(26_000, days=365, checks=5)
    assert MAX_SHIPMENTS > 26_000 * 368
    sim.from_dict(biggest, "biggest")
    monkeypatch.setenv(MEMORY_ENV, "2048")
    sim.from_dict(national, "national")
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(biggest, "biggest")
    assert "limit of 2,048 MB" in str(info.value)


@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "inf", "1e999", "12 MB"])
def test_bad_memory_cap_is_a_clear_error(monkeypatch, tmp_path, value):
    monkeypatch.setenv(MEMORY_ENV, value)
    file = write_toml(tmp_path / "s.toml", small_data())
    code, out, err = cli("validate", file)
    assert code == 2 and not out
    assert MEMORY_ENV in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["512", " 64 ", "1e4", "0.5e3"])
def test_memory_cap_accepts_numbers(monkeypatch, value):
    monkeypatch.setenv(MEMORY_ENV, value)
    sim.from_dict(small_data())


# ----------------------------------------------------------------------------- paths

NAME_PATTERN = ScenarioInfo.model_json_schema()["properties"]["name"]["pattern"]

TRAVERSALS = [
    "../escape",
    "..",
    ".",
    "/tmp/escape",
    "a/../../escape",
    "a/b",
    "a\\b",
    "..\\escape",
    "~",
    "~root",
    "a\x00b",
    "",
    " ",
    ".hidden",
    "-rf",
    "\u2215etc",  # a division slash that looks like /
    "ünïcode",
    "x" * 65,
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_scenario_names_cannot_leave_the_results_folder(monkeypatch, tmp_path, name):
    """A name that could make a path outside results/<name>/ is refused before anything runs:
    from the file and from --set alike."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    data = small_data()
    data["scenario"]["name"] = name
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<name>")
    assert any(path == "scenario.name" for path, _ in info.value.problems)
    file = write_toml(work / "s.toml", small_data())
    code, out, err = cli("run", file, "--set", f"scenario.name={name}", "--quiet")
    assert code == 2 and not out and "Traceback" not in err
    assert tree(tmp_path) == ["work", "work/s.toml"]


@settings(max_examples=200, deadline=None)
@given(st.from_regex(NAME_PATTERN, fullmatch=True))
def test_any_accepted_name_stays_one_folder_inside_results(name):
    """Every name the schema accepts is one plain path component under the results root."""
    root = Path("/nonexistent-root/results")
    folder = default_folder(name, root)
    assert folder.parent == root / name
    assert Path(name).parts == (name,) and name not in (".", "..")
    assert os.path.normpath(folder).startswith(str(root) + os.sep)


def test_odd_but_valid_name_writes_inside_results(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    data = small_data()
    data["scenario"].update(name="a..b", days=2, replications=1)
    file = write_toml(tmp_path / "s.toml", data)
    code, _, err = cli("run", file, "--quiet", "--executor", "serial")
    assert code == 0, err
    (folder,) = (tmp_path / "results" / "a..b").iterdir()
    assert (folder / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "s.toml"]


# ----------------------------------------------------------------------------- never code

# Calls that evaluate, import or unpickle; each use in sim/ must be listed here with why the
# input is never user-supplied content (a scenario file, an override, a results folder).
FORBIDDEN_NAMES = {"eval", "exec", "compile", "__import__", "breakpoint", "input"}
FORBIDDEN_ATTRIBUTES = {
    "load",  # pickle, marshal, dill, cloudpickle, yaml, numpy (checked below by module)
    "loads",
    "Unpickler",
    "unsafe_load",
    "full_load",
    "import_module",
    "exec_module",
    "spec_from_file_location",
    "run_path",
    "run_module",
    "decode",  # jsonpickle (checked by module)
}
UNSAFE_MODULES = {"pickle", "marshal", "dill", "cloudpickle", "yaml", "jsonpickle", "shelve"}
ALLOWED = {
    ("sim/experiment/engine.py", "pickle.loads"): "a task this program pickled for its own worker",
    ("sim/policies/plugins.py", "importlib.import_module"): "--policy-plugin module:Class, "
    "given explicitly on the command line or in Python, never by a scenario file",
    ("sim/policies/plugins.py", "importlib.util.spec_from_file_location"): "--policy-plugin "
    "path/to/file.py:Class, likewise",
    ("sim/policies/plugins.py", "spec.loader.exec_module"): "likewise",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _risky_calls(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in UNSAFE_MODULES:
            found += [(f"from {node.module} import {a.name}", node.lineno) for a in node.names]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = _dotted(func)
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
            found.append((name, node.lineno))
        elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRIBUTES:
            receiver = name.split(".")[0]
            pickles = any(k.arg == "allow_pickle" for k in node.keywords)
            plain = func.attr in ("load", "loads", "decode") and receiver not in UNSAFE_MODULES
            if plain and not pickles:
                continue  # data (json, tomllib, numpy arrays) or a method of our own objects
            found.append((name, node.lineno))
    return found


def test_no_code_evaluates_imports_or_unpickles_user_content():
    """A static check of sim/: every eval-, import- or unpickle-like call is on the list above,
    with the reason its input is the program's own. A new one fails until someone decides."""
    problems = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for call, line in _risky_calls(path):
            if (rel, call) not in ALLOWED:
                problems.append(f"{rel}:{line}: {call}")
    assert not problems, "calls that could run user content:\n" + "\n".join(problems)


def test_the_static_check_sees_what_it_must(tmp_path):
    """The check above is not blind: it flags each way of running code it knows."""
    code = "\n".join(
        [
            "import pickle, marshal, importlib, yaml, numpy as np",
            "eval('1')",
            "exec('x = 1')",
            "__import__('os')",
            "pickle.loads(b'')",
            "marshal.loads(b'')",
            "importlib.import_module('os')",
            "yaml.load('', Loader=None)",
            "np.load('x.npy', allow_pickle=True)",
            "from pickle import loads",
            "import json; json.loads('{}'); np.load('x.npy')",
        ]
    )
    path = tmp_path / "m.py"
    path.write_text(code)
    found = [call for call, _ in _risky_calls(path)]
    assert len(found) == 9, found


PAYLOADS = [
    "__import__('os').system('touch {m}')",
    "$(touch {m})",
    "`touch {m}`",
    "{{{{ ''.__class__.__mro__ }}}}",
    "!!python/object/apply:os.system ['touch {m}']",
    "'; import os; os.system('touch {m}'); '",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_in_a_scenario_is_only_ever_text(monkeypatch, tmp_path, payload):
    """Code in a description is kept as text, verbatim, in the resolved scenario; code as a
    name, a policy kind or a value is refused. Nothing runs."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    text = payload.format(m=marker)
    data = small_data()
    data["scenario"].update(description=text, days=2, replications=1)
    file = write_toml(tmp_path / "s.toml", data)
    out = tmp_path / "out"
    code, _, err = cli("run", file, "--out", out, "--quiet", "--executor", "serial")
    assert code == 0, err
    assert tomllib.loads((out / "scenario.toml").read_text())["scenario"]["description"] == text
    code, _, err = cli(
        "run", file, "--out", tmp_path / "out2", "--executor", "serial", "--quiet",
        "--no-report", "--set", f"scenario.description={text}",
    )  # fmt: skip
    assert code == 0, err
    for override in (
        f"policy.kind={text}",
        f"scenario.name={text}",
        f"lanes.green={text}",
        f"checks.physical.servers={text}",
        f"traffic.commodities.vaccine.share={text}",
    ):
        code, _, err = cli("validate", file, "--set", override)
        assert code == 2 and "Traceback" not in err, (override, err)
    assert not marker.exists()


def test_a_scenario_cannot_name_code_to_import(monkeypatch, tmp_path):
    """A module on the path that would leave a mark when imported is never imported because a
    scenario file (or an override) names it as a policy kind: only --policy-plugin loads code."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "imported"
    (tmp_path / "evil_policy.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nimport sim\n"
        "class Evil(sim.Policy):\n    kind = 'evil'\n"
        "    def select(self, declaration, border):\n        return 'green'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    data = small_data()
    for kind in ("evil_policy:Evil", "evil_policy", "evil", "tmp/evil_policy.py:Evil"):
        data["policy"] = {"kind": kind}
        file = write_toml(tmp_path / "s.toml", data)
        code, _, err = cli("validate", file)
        assert code == 2 and "Traceback" not in err, (kind, err)
        code, _, err = cli("run", write_toml(tmp_path / "t.toml", small_data()), "--set",
                           f"policy.kind={kind}")  # fmt: skip
        assert code == 2 and "Traceback" not in err, (kind, err)
    assert not marker.exists()


class _Evil:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_given_as_a_scenario_is_never_unpickled(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "unpickled"
    file = tmp_path / "scenario.toml"
    file.write_bytes(pickle.dumps(_Evil(str(marker))))
    for command in (["validate", file], ["run", file]):
        code, out, err = cli(*command)
        assert code == 2 and not out and err.startswith(f"error: {file}")
    assert not marker.exists()
    assert tree(tmp_path) == ["scenario.toml"]


# ----------------------------------------------------------------------------- generated input

WRONG_TYPES = ["", "x", "24/7", "../x", True, False, [], [1, "a"], {}, {"dist": "fixed"}, 1, 0.5]
EXTREMES = [
    -1,
    -1e308,
    1e308,
    0,
    5e-324,
    1e-300,
    2**63,
    -(2**63),
    10**30,
    math.nan,
    math.inf,
    -math.inf,
    1e7,
    3650,
    23.999999,
]
HUGE: list[tuple[tuple[str, ...], Any]] = [
    (("traffic", "shipments_per_day"), 10_000_000),
    (("traffic", "shipments_per_day"), 500_000),
    (("scenario", "days"), 3650),
    (("scenario", "drain_days"), 365),
    (("checks", "physical", "servers"), 100_000),
    (("traffic", "hourly_profile"), [1.0] * 100_000),
    (("scenario", "description"), "x" * 200_000),
    (("scenario", "target_hours"), list(range(1, 1000))),
    (("traffic", "commodities"), {f"c{i}": {"share": 0.001} for i in range(1000)}),
    (("traffic", "surges"), [{"start_day": 0, "end_day": 14, "factor": 1000}]),
    (("checks", "physical", "duration_hours"), {"dist": "fixed", "value": 1e300}),
    (("lodgement", "delay_hours"), {"dist": "lognormal", "mean": 1, "cv": 1e300}),
]
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\xfe\xff"]


def _rename(key: str, how: int) -> str:
    options = [
        key.upper(),
        key[:-1],
        key + "_",
        key.replace("e", "\u0435"),  # a Cyrillic e: looks the same, is another key
        "",
        key + ".x",
        f"{key} ",
        key[::-1],
    ]
    return options[how % len(options)]


@st.composite
def hostile_file(draw) -> bytes:
    """small_data() changed in up to three ways (mutated keys, wrong types, extreme, negative
    and huge numbers, deleted keys, plausible numbers), perhaps deeply nested or with bytes that
    are not UTF-8, as the bytes of a file. Half are only plausible numbers: most of those run."""
    data = changed(scenario__days=7)
    plausible = draw(st.booleans())
    ops = ["tweak"] if plausible else ["rename", "retype", "extreme", "huge", "delete", "tweak"]
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(ops))
        if op == "huge":
            where, value = draw(st.sampled_from(HUGE))
            node = data
            for part in where[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node[where[-1]] = copy.deepcopy(value)
            continue
        path = draw(st.sampled_from(key_paths(data)))
        parent, last = data, path[-1]
        for part in path[:-1]:
            parent = parent[part]
        if op == "rename" and isinstance(parent, dict):
            parent[_rename(last, draw(st.integers(0, 7)))] = parent.pop(last)
        elif op == "retype":
            parent[last] = copy.deepcopy(draw(st.sampled_from(WRONG_TYPES)))
        elif op == "extreme":
            parent[last] = draw(st.sampled_from(EXTREMES))
        elif op == "tweak":
            value = parent[last]
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if isinstance(value, float) and not math.isfinite(value):
                continue  # an earlier "extreme" step left nan or inf: nothing to tweak
            top = 2 * abs(value) + 1
            new = draw(st.floats(0, top) if isinstance(value, float) else st.integers(0, int(top)))
            parent[last] = new
        elif isinstance(parent, dict):
            del parent[last]
    text = tomli_w.dumps(data)
    if plausible:
        return text.encode("utf-8")
    depth = draw(st.sampled_from([10, 200, 3000, 100_000]))
    nesting = draw(st.sampled_from(["", "", "array", "table", "inline"]))
    if nesting == "array":
        text += f"\n[deep]\nx = {'[' * depth}{']' * depth}\n"
    elif nesting == "table":
        text += "\n[" + ".".join(["a"] * min(depth, 5000)) + "]\nx = 1\n"
    elif nesting == "inline":
        text += "\n[deep]\nx = " + "{a = " * depth + "1" + "}" * depth + "\n"
    raw = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from(BAD_BYTES)) + raw[at:]
    return raw


OVERRIDE_KEYS = override_keys(small_data())
OVERRIDES = st.one_of(
    st.tuples(
        st.sampled_from(OVERRIDE_KEYS),
        st.sampled_from(
            ["-1", "nan", "1e400", "[[[[[[]]]]]]", "{a={a={a=1}}}", "../x", "true", "", "{}"]
        )
        | st.text(max_size=10),
    ).map("=".join),
    st.text(max_size=20),
)


def _check_command(content: bytes, overrides: list[str], use_out: bool) -> str:
    """Validate and run one generated input in a fresh folder: both exit 0, or both exit 2 with
    an error and nothing left behind."""
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stack.enter_context(contextlib.chdir(tmp))
        stack.enter_context(mock.patch.dict(os.environ, {MEMORY_ENV: "16"}))
        file = tmp / "scenario.toml"
        file.write_bytes(content)
        # --set=TEXT, as one must write a value that starts with "-".
        sets = [f"--set={o}" for o in [*overrides, "scenario.replications=1"]]
        vcode, vout, verr = cli("validate", file, *sets)
        out = ["--out", tmp / "out"] if use_out else []
        code, stdout, err = cli("run", file, *sets, *out, "--quiet", "--executor", "serial")
        assert "Traceback" not in vout + verr + stdout + err
        assert code in (0, 2), err
        assert vcode == code, (verr, err)
        if code == 2:
            assert err.startswith("error: ") and not stdout, err
            assert tree(tmp) == ["scenario.toml"], "a refused run left something behind"
            return "refused"
        manifests = list(tmp.rglob("manifest.json"))
        assert len(manifests) == 1
        folder = manifests[0].parent
        assert folder == tmp / "out" if use_out else folder.parent.parent == tmp / "results"
        json.loads((folder / "summary.json").read_text())
        return "ran"


SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# A sample in every run of the suite; the slow test below (make validate, CI) draws 500.
@settings(max_examples=15, **SETTINGS)
@given(hostile_file(), st.just([]) | st.lists(OVERRIDES, max_size=2), st.booleans())
def test_generated_files_run_or_exit_2_leaving_nothing(content, overrides, use_out):
    event(_check_command(content, overrides, use_out))


@pytest.mark.slow
@settings(max_examples=500, **SETTINGS)
@given(hostile_file(), st.just([]) | st.lists(OVERRIDES, max_size=3), st.booleans())
def test_many_generated_files_run_or_exit_2_leaving_nothing(content, overrides, use_out):
    event(_check_command(content, overrides, use_out))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"x = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[" + b".".join([b"a"] * 50_000) + b"]\nx = 1\n", "more than 32 parts"),
        (b"\xff\xfe" + "[scenario]".encode("utf-16-le"), "not UTF-8"),
        (b"# " + b"x" * 20_000_001, "larger than 20,000,000 bytes"),
    ],
    ids=["deep-array", "deep-table", "utf-16", "huge-file"],
)
def test_extreme_files_exit_2(monkeypatch, tmp_path, content, words):
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "s.toml"
    file.write_bytes(content)
    code, out, err = cli("run", file)
    assert code == 2 and not out and words in err and "Traceback" not in err
    assert tree(tmp_path) == ["s.toml"]


# ------------------------------------------------------------ the faults of the hostile-files issue

BASELINE = ROOT / "scenarios" / "baseline.toml"
HUGE_INT = "1" + "0" * 400


def _exits_2(*args: Any, words: str) -> str:
    """The command exits 2 with one message holding ``words``, no traceback, nothing printed."""
    code, out, err = cli(*args)
    assert code == 2 and not out, err
    assert err.startswith("error: ") and words in err and "Traceback" not in err, err
    return err


@contextlib.contextmanager
def _fast(seconds: float = 1.0):
    """Each hostile case must finish well under ``seconds`` of this process's CPU time (about
    0.06 s for the worst case on a quiet machine), so that other work on a loaded machine does
    not count against it; a parser gone quadratic takes minutes either way."""
    start = time.process_time()
    yield
    assert time.process_time() - start < seconds


def test_a_huge_integer_in_a_file_is_refused_by_name(tmp_path):
    text = BASELINE.read_text().replace("days = 28 ", f"days = {HUGE_INT} ", 1)
    (file := tmp_path / "s.toml").write_text(text)
    err = _exits_2("validate", file, words="scenario.days: must be a number of ordinary size")
    assert "1.00e+400" in err


def test_a_huge_integer_in_set_is_refused_by_name():
    err = _exits_2(
        "validate", BASELINE, "--set", f"scenario.days={HUGE_INT}", words="ordinary size"
    )
    assert "scenario.days" in err and len(err) < 600


@pytest.mark.parametrize("spec", ["1979-05-27", "1979-05-27,1980-01-01", "[1979-05-27]"])
def test_a_date_in_vary_is_text_refused_by_the_key(tmp_path, spec):
    _exits_2(
        "sweep", BASELINE, "--vary", f"scenario.days={spec}", "--out", tmp_path / "o",
        words="scenario.days: must be a number",
    )  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (f"1:{HUGE_INT}:3", "must be numbers"),
        ("-1e308:1e308:3", "too wide"),
        (f"{HUGE_INT}", "ordinary size"),
    ],
)
def test_a_huge_range_in_vary_is_refused(tmp_path, spec, words):
    _exits_2(
        "sweep", BASELINE, "--vary", f"scenario.days={spec}", "--out", tmp_path / "o",
        words=words,
    )  # fmt: skip


def test_vary_values_from_python_must_be_scenario_values():
    import datetime

    from sim.experiment.sweep import parse_all

    with pytest.raises(ScenarioError, match="the values must be"):
        parse_all({"scenario.days": [datetime.date(1979, 5, 27)]}, "api")


def _profiled(days: float = 7, **traffic: Any) -> sim.Scenario:
    data = small_data()
    data["traffic"].update(traffic)
    data["scenario"].update(days=days, warmup_days=0, drain_days=1, replications=1)
    return sim.from_dict(data, "<profile>")


@pytest.mark.parametrize(
    "traffic",
    [{"weekly_profile": [5e-324, 0, 0, 0, 0, 0, 0]}, {"hourly_profile": [1e308] * 24}],
    ids=["tiny-weekly", "huge-hourly"],
)
def test_extreme_profiles_validate_and_simulate_shipments(traffic):
    """Weights are scaled by a power of two before their mean is taken: 5e-324 no longer gives
    an infinite rate, 24 x 1e308 no longer a rate of 0."""
    from sim.model.traffic import hourly_rates

    s = _profiled(**traffic)
    rates = hourly_rates(s)
    assert np.isfinite(rates).all() and rates.sum() > 0
    result = sim.run(s, progress=False)
    assert result.summary()["shipments"]["mean"] > 0


def test_overlapping_surges_multiply_in_the_shipment_estimate():
    """Ten surges of x1000 over the same day are 1e30 times the traffic, not 10,000 times: refused
    by the shipment limit rather than crashing the Poisson draw."""
    surge = {"start_day": 1, "end_day": 2, "factor": 1000}
    with pytest.raises(ScenarioError, match=f"at most {MAX_SHIPMENTS:,} are supported"):
        _profiled(surges=[surge] * 10)


def test_a_window_without_traffic_is_warned_about():
    from sim.schema import empty_window

    assert empty_window(_profiled(days=5, weekly_profile=[0, 0, 0, 0, 0, 0, 1])) is not None
    assert empty_window(_profiled()) is None


@pytest.mark.parametrize(
    "text",
    [
        "[" + ".".join(["a"] * 300_000) + "]\n",
        ".".join(["a"] * 30_000) + " = 1\n",
        "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "x = 1" + "0" * 5000 + "\n",
    ],
    ids=["header-300k-parts", "key-30k-parts", "deep-array", "5000-digits"],
)
def test_pathological_toml_is_refused_in_well_under_a_second(text):
    with _fast(), pytest.raises(ScenarioError):
        sim.loads_scenario(text)


def test_long_keys_in_set_and_vary_are_refused_quickly(tmp_path):
    key = ".".join(["a"] * 30_000)
    with _fast():
        _exits_2("validate", BASELINE, "--set", f"{key}=1", words="at most 32")
    with _fast():
        _exits_2("validate", BASELINE, "--set", f"x={{{key} = 1}}", words="x")


def test_a_large_distribution_is_validated_once_not_per_variant(monkeypatch, tmp_path):
    """A distribution of 200,000 values and 40 variants: the variants share the base's
    distribution, validated as data only when read anew (each read of the file, and the one
    copy that compare makes), never once per variant."""
    data = small_data()
    values = [round(0.01 + (i % 997) / 500, 3) for i in range(200_000)]
    data["checks"]["documents"]["duration_hours"] = {"dist": "empirical", "values": values}
    data["variants"] = {f"v{i}": {"illicit": {"prevalence": i / 1000}} for i in range(40)}
    file = write_toml(tmp_path / "big.toml", data)
    calls: list[bool] = []
    validate = sim.Scenario.model_validate

    def counting(obj, *args, **kwargs):
        calls.append(isinstance(obj["checks"]["documents"]["duration_hours"], dict))
        return validate(obj, *args, **kwargs)

    monkeypatch.setattr(sim.Scenario, "model_validate", counting)
    code, out, err = cli("validate", file)
    assert code == 0 and "valid" in out, err
    assert len(calls) > 40 and sum(calls) <= 3, (len(calls), sum(calls))


def test_validate_and_run_warn_of_a_window_without_traffic(tmp_path):
    data = small_data()
    data["traffic"]["weekly_profile"] = [0, 0, 0, 0, 0, 0, 1]
    data["scenario"].update(days=5, warmup_days=0, drain_days=1, replications=1)
    path = write_toml(tmp_path / "quiet.toml", data)
    code, out, err = cli("validate", str(path))
    assert code == 0 and "valid" in out
    assert err.startswith("warning: no shipment would arrive") and err.count("\n") == 1
    code, out, err = cli("run", str(path), "--out", str(tmp_path / "r"), "--no-report")
    assert code == 0 and "warning: no shipment would arrive" in err
