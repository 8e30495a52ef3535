"""Where the repository keeps what the tools read and write. The tools run from a checkout of
the repository (``python -m tools.<name>`` at its root), never from an installed package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINES = ROOT / "tests" / "baselines"
DOCS = ROOT / "docs"


LARGE_PER_DAY = 10_000
"""Shipments a day above which a shipped scenario is large (a mail centre): the tools shorten
its runs further, since a few days already hold hundreds of thousands of shipments."""


def is_large(path: Path) -> bool:
    """Whether a scenario file has more than :data:`LARGE_PER_DAY` shipments a day."""
    from sim import load_scenario

    return load_scenario(path).traffic.shipments_per_day > LARGE_PER_DAY


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped in ``scenarios/``."""
    return sorted(SCENARIOS.glob("*.toml"))


def shown(path: Path) -> str:
    """A path as printed: relative to the repository when it lies inside it."""
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
