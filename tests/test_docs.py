"""The documentation stays true: the generated reference and JSON Schema are current, the
code examples run (Python blocks, and the shell blocks marked for testing), and the commands,
make targets and repository paths the docs name exist."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import tomllib

import pytest

from sim import cli
from sim.reference import json_schema, render, render_json_schema

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCHEMA = ROOT / "docs" / "scenario.schema.json"
MAKEFILE = ROOT / "Makefile"
NAMING = [*DOCS, *sorted(ROOT.glob("*/README.md")), MAKEFILE]
"""Files whose commands and paths are checked: the docs, each folder's README, the Makefile."""


def test_scenario_reference_is_current():
    """docs/scenario-reference.md is what `python -m sim.reference` generates now."""
    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == render(), "run: python -m sim.reference > docs/scenario-reference.md"


def test_json_schema_is_current():
    """docs/scenario.schema.json is what `python -m sim.reference --json-schema` writes now."""
    hint = "run: python -m sim.reference --json-schema > docs/scenario.schema.json"
    assert SCHEMA.read_text() == render_json_schema(), hint


def test_json_schema_is_draft_4_with_every_policy_kind():
    """Draft 4 is what Taplo (Even Better TOML) reads; [policy] is checked by kind."""
    schema = json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    text = json.dumps(schema)
    for later in ('"const"', '"prefixItems"', '"$defs"', '"discriminator"'):
        assert later not in text, f"{later} is not draft 4"
    assert not re.search(r'"exclusiveM(in|ax)imum": [-0-9]', text), "draft 4 takes true/false"
    kinds = {
        ref["$ref"].rsplit("/", 1)[1]
        for ref in schema["properties"]["policy"]["oneOf"]
        if "$ref" in ref
    }
    assert {"RandomConfig", "QuotaConfig", "ProfilesConfig", "RiskScoreConfig"} <= kinds
    assert "CapacityAwareConfig" in kinds
    assert schema["additionalProperties"] is False


def test_json_schema_accepts_the_shipped_scenarios_and_refuses_mistakes():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema)
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        errors = [e.message for e in validator.iter_errors(tomllib.loads(path.read_text()))]
        assert not errors, f"{path.name}: {errors[:3]}"
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    mistakes = {
        "an unknown key": text.replace("servers = 4", "sevrers = 4"),
        "a wrong type": text.replace("servers = 4", 'servers = "four"'),
        "out of range": text.replace("prevalence = 0.01", "prevalence = 1.5"),
        "a key of another policy kind": text.replace(
            'default_lane = "green"', 'default_lane = "green"\nbudget = 0.1', 1
        ),
        "a duration without its dist": text.replace('dist = "lognormal", mean = 0.5', "mean = 0.5"),
    }
    for what, bad in mistakes.items():
        assert bad != text, what
        assert list(validator.iter_errors(tomllib.loads(bad))), f"{what} passes the schema"


def _python_blocks():
    for path in DOCS:
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S)):
            yield pytest.param(block, id=f"{path.name}-{i}")


@pytest.mark.parametrize("code", list(_python_blocks()))
def test_python_examples_run(code, tmp_path, monkeypatch):
    """Every Python example in the README and docs/ runs as written, from a project checkout."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})


SHELL_BLOCK = re.compile(r"<!-- test(?:: (.*?))? -->\n```sh\n(.*?)```", re.S)
"""A shell block preceded by ``<!-- test -->`` runs in the tests; ``<!-- test: ARGS -->``
appends ARGS (a shorter run, say) to its run, compare and sweep commands."""


def _shell_blocks():
    for path in DOCS:
        for i, (extra, block) in enumerate(SHELL_BLOCK.findall(path.read_text())):
            yield pytest.param(block, extra, id=f"{path.name}-sh{i}")


def shell_commands(block: str) -> list[list[str]]:
    """The commands of a shell block, continuation lines joined, comments dropped."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if argv:
            commands.append(argv)
    return commands


@pytest.mark.parametrize("block,extra", list(_shell_blocks()))
def test_shell_examples_run(block, extra, tmp_path, monkeypatch):
    """The shell examples marked for testing run, each command exiting with status 0."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    commands = shell_commands(block)
    assert commands
    for argv in commands:
        assert argv[0] == "bordersim", f"only bordersim commands can be tested: {argv}"
        if argv[1] in ("run", "compare", "sweep"):
            argv = [*argv, *shlex.split(extra or "")]
        assert cli.main(argv[1:]) == 0, shlex.join(argv)


def test_shell_blocks_are_found():
    assert shell_commands("bordersim a \\\n  b  # note\n\n# only a comment\nbordersim c\n") == [
        ["bordersim", "a", "b"],
        ["bordersim", "c"],
    ]
    assert list(_shell_blocks()), "no shell block is marked <!-- test -->"


# ----------------------------------------------------------------------------- names


def _named(pattern: str, flags: int = 0) -> list:
    return [
        pytest.param(path, name, id=f"{path.relative_to(ROOT)}:{name}")
        for path in NAMING
        for name in sorted(set(re.findall(pattern, path.read_text(), flags)))
    ]


@pytest.mark.parametrize("path,module", _named(r"python3? -m ([A-Za-z_]\w*(?:\.\w+)*)"))
def test_module_commands_name_modules_that_exist(path, module):
    """Every ``python -m NAME`` in the docs and the Makefile names a module there is, so the
    commands follow when a module moves."""
    assert importlib.util.find_spec(module) is not None, f"{path.name}: python -m {module}"


@pytest.mark.parametrize("path,target", _named(r"(?:`|^)make ([a-z][\w-]*)", re.M))
def test_make_targets_the_docs_name_exist(path, target):
    targets = set(re.findall(r"^([\w-]+):", MAKEFILE.read_text(), re.M))
    assert target in targets, f"{path.name}: make {target}"


@pytest.mark.parametrize(
    "path,named", _named(r"`((?:sim|tools|tests|docs|scenarios|benchmarks)/[\w./-]*)`")
)
def test_repository_paths_the_docs_name_exist(path, named):
    """A path in backticks (``sim/model/``, ``tests/test_docs.py``) is there, after any move."""
    assert (ROOT / named).exists(), f"{path.name} names {named}, which is not there"
