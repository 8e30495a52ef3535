"""The documentation stays true: the generated reference is current and code examples run."""

from __future__ import annotations

import re
import shutil

import pytest

from sim.reference import render

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_scenario_reference_is_current():
    """docs/scenario-reference.md is what `python -m sim.reference` generates now."""
    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == render(), "run: python -m sim.reference > docs/scenario-reference.md"


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
