"""The documentation stays true: the generated reference and JSON Schema are current, the
code examples run (Python blocks, and the shell blocks marked for testing), every shell block
runs as printed in a fresh copy of the project (slow), and the commands, make targets and
repository paths the docs name exist."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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
        if argv == [".", ".venv/bin/activate"]:
            continue  # this process runs in the project's environment already
        assert argv[0] == "bordersim", f"only bordersim commands can be tested: {argv}"
        if argv[1] in ("run", "compare", "sweep"):
            argv = [*argv, *shlex.split(extra or "")]
        assert cli.main(argv[1:]) == 0, shlex.join(argv)


FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)[ \t]*$")
NOT_RUN = re.compile(r"^ *<!-- not run: (?P<why>\S.*?) -->$")
"""A shell block is run as printed unless the line above it says why not: a synopsis whose
FILE stands for yours, a cluster of your own, or the test suite itself."""
ACTIVATES = ("README.md", "how-to.md", "tutorial-trainer.md")
"""Pages that say themselves how to put bordersim on the PATH; a reader of another page has
done it as the README says."""


def sh_blocks(text: str) -> list[tuple[int, str | None, str]]:
    """Every ```sh block of a page: its line, why it is not run (None: it is run) and its
    text, indented blocks (in lists) included."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if FENCE.match(lines[j]))
        if opened["lang"] == "sh":
            marker = NOT_RUN.match(lines[i - 1]) if i else None
            body = [line[len(opened["indent"]) :] for line in lines[i + 1 : end]]
            blocks.append((i + 1, marker["why"] if marker else None, "\n".join(body) + "\n"))
        i = end + 1
    return blocks


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    """The project as a newcomer gets it (the files git tracks or would add, nothing built),
    set up by the README's first command, `make run`, which makes its own .venv."""
    copy = tmp_path_factory.mktemp("fresh") / "bordersim"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    made = subprocess.run(["make", "run"], cwd=copy, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_every_shell_block_runs_as_printed_in_a_fresh_copy(page, fresh_copy):
    """Each page's shell blocks, in order, in one bash from the project's folder of a fresh
    copy after `make run`, exactly as printed: every command exits with status 0."""
    blocks = [(line, text) for line, why, text in sh_blocks(page.read_text()) if why is None]
    if not blocks:
        pytest.skip(f"{page.name} has no shell block to run")
    script = ["set -euo pipefail"]
    if page.name not in ACTIVATES:
        script.append(". .venv/bin/activate  # as the README says, once per terminal")
    for line, text in blocks:
        script += [f"echo '>>> {page.name}:{line}' >&2", text]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=fresh_copy, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_every_shell_block_is_run_or_says_why_not():
    """A block that is not run gives its reason; the ones that are run use only commands a
    reader has after `make run` and the activation line."""
    assert sh_blocks("x\n<!-- not run: a synopsis -->\n```sh\nbordersim run FILE\n```\n") == [
        (3, "a synopsis", "bordersim run FILE\n")
    ]
    assert sh_blocks("1. step:\n\n   ```sh\n   bordersim schema\n   ```\n") == [
        (3, None, "bordersim schema\n")
    ]
    run = 0
    for page in DOCS:
        for line, why, text in sh_blocks(page.read_text()):
            if why is not None:
                continue
            run += 1
            for argv in shell_commands(text):
                allowed = ("bordersim", ".", "python", "make", "pip")  # pip: an optional extra
                assert argv[0] in allowed, f"{page.name}:{line}"
    assert run >= 8, "most shell blocks run"


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
