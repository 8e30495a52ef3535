"""The shipped scenarios: each validates, runs with every variant, states its question, comments
every number, and its variants move the numbers the way its question says (the robust ones, on
short runs); scenarios/README.md lists exactly the shipped files and its generator runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim
from sim.experiment.compare import build_points, load_source
from tools import scenario_table as table
from tools.paths import is_large

from conftest import ROOT

FILES = table.shipped()
IDS = [p.stem for p in FILES]
SHORT = [
    "scenario.days=14",
    "scenario.warmup_days=2",
    "scenario.drain_days=3",
    "scenario.replications=3",
]
"""Short enough for the suite, long enough for every lane and check to see shipments."""
SHORT_LARGE = [
    "scenario.days=3",
    "scenario.warmup_days=1",
    "scenario.drain_days=1",
    "scenario.replications=2",
]
"""For a scenario of tens of thousands of shipments a day (the mail centre): two counted
days already hold over 100,000 shipments a replication."""


def short(path: Path) -> list[str]:
    """The shortened run of one scenario file in this suite."""
    return SHORT_LARGE if is_large(path) else SHORT


def test_scenarios_are_shipped():
    assert {"baseline", "covid-vaccine-surge", "operation-stop", "aeo-expansion"} <= set(IDS)
    assert {"pre-arrival", "cen-intelligence", "staff-shortage", "nii-scanner"} <= set(IDS)
    assert "lmic-airport" in IDS
    assert {"japan-air-trs", "sea-port-ccp", "postal-hub"} <= set(IDS)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_scenario_and_its_variants_run(path: Path):
    """Validates (variants included) and runs shortened; the quick directions hold."""
    overrides = short(path)
    cmp = sim.compare(path, overrides=overrides, executor="serial", progress=False)
    variants = list(sim.load_scenario(path).variants or {})
    assert variants, f"{path.name} has no [variants.<name>] tables to show its trade-off"
    assert cmp.labels[1:] == variants
    for label in cmp.labels:
        stats = cmp[label].summary()
        assert stats["shipments"]["mean"] > 500
        assert stats["released"]["mean"] > 0
    outcome = table.Outcome(
        path=path,
        spec=table.SPECS[path.stem],
        labels=cmp.labels,
        stats=cmp.summary(),
        replications={p.label: p.replications for p in cmp.points},
        seed=cmp.seed,
        count=len(cmp.points[0].replications),
        days=cmp.points[0].point.scenario.scenario.days,
        seconds=0.0,
    )
    for expect in outcome.spec.expect:
        ok, d = outcome.check(expect)
        assert ok is not None, f"{expect.describe()}: no such variant or metric"
        if expect.quick:
            assert ok, f"{path.name}: {expect.describe()} fails on a short run: {d}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_variant_changes_something(path: Path):
    """A variant that merges into nothing (``policy.rates = {}`` merges key by key, so it
    changes no rate) would compare the base with itself."""
    source = load_source(path, [])
    points, _ = build_points([source], 1, 1)
    digests = [p.scenario.digest() for p in points]
    same = [p.label for p, d in zip(points[1:], digests[1:], strict=True) if d == digests[0]]
    assert not same, f"{path.name}: variants identical to the base: {same}"
    assert len(set(digests)) == len(digests), f"{path.name}: two variants are identical"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_header_states_the_question(path: Path):
    text = path.read_text()
    assert text.startswith("#"), f"{path.name} must open with a comment stating its question"
    q = table.question(path)
    assert q.endswith("?") and len(q) > 40, f"{path.name}: no 'Question: ...?' in its header"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_header_states_its_calibration(path: Path):
    """Each header says which published range the scenario represents, or that it is not
    calibrated and why; scenarios/README.md repeats it."""
    note = table.calibration_note(path)
    assert len(note) > 40, f"{path.name}: no 'Calibration: ...' paragraph in its header"
    assert note.lower().startswith(("calibrated", "not calibrated")), note
    if note.lower().startswith("not calibrated"):
        assert len(note) > len("not calibrated") + 20, f"{path.name}: say why it is not"


_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\"]+)\s*=\s*(.*)$")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")


def _uncommented_numbers(text: str) -> list[str]:
    """Lines giving a number with no comment: neither on the line nor above it in the same
    family of tables (``[traffic.origins.*]`` share the comment above the first one)."""
    lines = text.splitlines()
    bad = []
    for i, line in enumerate(lines):
        m = _ASSIGNMENT.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        value = re.sub(r'"[^"]*"', '""', m.group(2))
        code, _, comment = value.partition("#")
        if not re.search(r"\d", code) or comment.strip():
            continue
        family = None
        covered = False
        for above in reversed(lines[:i]):
            stripped = above.strip()
            if stripped.startswith("#"):
                covered = True
                break
            h = _HEADER.match(above)
            if h:
                parent = h.group(1).rsplit(".", 1)[0]
                if family is None:
                    family = parent
                elif parent != family:
                    break
        if not covered:
            bad.append(f"line {i + 1}: {line.strip()}")
    return bad


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_number_has_a_comment(path: Path):
    """Every number cites its source or says it is an assumption, on its line or in the
    comment above its table."""
    bad = _uncommented_numbers(path.read_text())
    assert not bad, f"{path.name}: numbers without a comment:\n  " + "\n  ".join(bad)


def test_comment_check_catches_a_bare_number():
    text = "# about\n[scenario]\ndays = 3  # assumption\n\n[checks.x]\nservers = 4\n"
    assert _uncommented_numbers(text) == ["line 6: servers = 4"]
    text = "# groups (assumption)\n[t.g.a]\nshare = 0.5\n\n[t.g.b]\nshare = 0.5\n"
    assert _uncommented_numbers(text) == []


def test_every_scenario_has_a_spec():
    """Each scenario's key result is chosen in tools/scenario_table.py (SPECS)."""
    assert set(table.SPECS) == set(IDS), "add or remove the entry in tools.scenario_table.SPECS"


def test_readme_lists_every_scenario_and_variant():
    """scenarios/README.md is regenerated after scenarios or variants change."""
    text = (ROOT / "scenarios" / "README.md").read_text()
    assert "Generated by `python -m tools.scenario_table`" in text
    hint = "run: python -m tools.scenario_table"
    assert table.table_scenarios(text) == IDS, hint
    for path in FILES:
        variants = list(sim.load_scenario(path).variants or {})
        section = text.split(f"### {path.stem}\n", 1)[1]
        header = next(line for line in section.splitlines() if line.startswith("| metric |"))
        assert header == "| metric | base | " + " | ".join(variants) + " |", hint


@pytest.mark.parametrize(
    "only",
    [
        pytest.param(["baseline", "japan-air-trs"], id="two"),
        pytest.param([], id="all", marks=pytest.mark.slow),
    ],
)
def test_generator_runs_in_fast_mode(tmp_path, only):
    """The README's generator renders what it runs: two scenarios in the quick suite (every
    scenario is run on its own by test_scenario_and_its_variants_run), all of them when slow."""
    out = tmp_path / "README.md"
    chosen = [p for p in FILES if not only or p.stem in only]
    args = [a for name in only for a in ("--only", name)]
    assert table.main(["--fast", "--executor", "serial", "--out", str(out), *args]) == 0
    text = out.read_text()
    assert "Fast mode" in text
    assert table.table_scenarios(text) == [p.stem for p in chosen]
    for path in chosen:
        assert f"### {path.stem}" in text
        assert f"**Calibration.** {table.calibration_note(path)}" in text
    kept = table.written_by_hand((ROOT / "scenarios" / "README.md").read_text())
    assert kept and kept in text, "the part written by hand survives a regeneration"


def test_generator_refuses_fast_numbers_in_the_readme(capsys):
    with pytest.raises(SystemExit):
        table.main(["--fast"])
    assert "--out" in capsys.readouterr().err


def test_number_formats():
    assert table.number("interception_rate", 0.064) == "6.4%"
    assert table.number("interception_rate", -0.046, signed=True) == "-4.6 pp"
    assert table.number("clearance_hours_mean", 3.061) == "3.06 h"
    assert table.number("clearance_hours_mean", 106.3) == "106 h"
    assert table.number("spoiled", 3.5) == "3.5"
    assert table.number("spoiled", None) == "n/a"
    assert table.number("cost.total", 33714819.08) == "33,714,819 $"
    assert table.label("segment.documents.queue") == "documents: waiting"
    d = {"mean": -1.04, "half_width": 0.1, "ci_low": -1.14, "ci_high": -0.94}
    assert table.difference("clearance_hours_mean", d) == "-1.04 h ± 0.10 *"
    assert table.label("within_24h_share") == "released within 24 h"
    assert table.label("commodity.vaccine.clearance_hours_mean") == "vaccine mean clearance"


def documented_metrics() -> list[re.Pattern[str]]:
    """The metric names defined in docs/model.md's metric tables, as patterns (``<check>``
    and the like stand for any name)."""
    text = (ROOT / "docs" / "model.md").read_text()
    section = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    patterns = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ")[0]
        for name in re.findall(r"`([^`]+)`", first):
            parts = re.split(r"(<[^>]+>)", name)
            regex = "".join(
                r"[A-Za-z0-9_.-]+" if p.startswith("<") else re.escape(p) for p in parts
            )
            patterns.append(re.compile(regex))
    return patterns


def test_every_metric_is_defined_in_the_docs():
    """Every metric that a run reports (every shipped scenario and variant, shortened) has
    its definition in docs/model.md."""
    patterns = documented_metrics()
    assert len(patterns) > 40
    names: set[str] = set()
    for path in FILES:
        cmp = sim.compare(path, overrides=table.fast_overrides(path), executor="serial")
        for label in cmp.labels:
            names |= set(cmp[label].summary())
    missing = sorted(n for n in names if not any(p.fullmatch(n) for p in patterns))
    assert not missing, "metrics without a definition in docs/model.md: " + ", ".join(missing)
