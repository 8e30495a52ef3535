"""Shared fixtures and scenario builders: small scenarios built as data, so each test states
only what it changes. Test files import the builders from here (``from conftest import ...``):
``mmc_data`` (one M/M/c or M/G/1 station), ``small_data`` (a small complete office), ``tiny``
(the same, a few days long), ``changed`` (a copy with dotted changes), ``build`` (changed and
validated), ``write_toml``, and ``key_paths`` / ``override_keys`` (every key of a scenario, for
generated input)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w

import sim

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"


def mmc_data(
    lam: float = 9.0,
    mu: float = 1.0,
    c: int = 10,
    days: float = 60,
    warmup_days: float = 5,
    replications: int = 5,
    seed: int = 7,
    duration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One 24/7 station with exponential service that every shipment visits: an M/M/c queue
    (M/G/c with another ``duration``, e.g. ``{"dist": "fixed", "value": 1.0}``)."""
    return {
        "scenario": {
            "name": "mmc",
            "days": days,
            "warmup_days": warmup_days,
            "drain_days": 2,
            "seed": seed,
            "replications": replications,
        },
        "traffic": {"shipments_per_day": lam * 24, "commodities": {"goods": {"share": 1.0}}},
        "checks": {
            "desk": {
                "kind": "documentary",
                "servers": c,
                "duration_hours": duration or {"dist": "exponential", "mean": 1.0 / mu},
            }
        },
        "lanes": {"all": ["desk"]},
        "policy": {"kind": "random", "rates": {}, "default_lane": "all"},
    }


def small_data() -> dict[str, Any]:
    """A small complete scenario: two commodities, illicit goods, three lanes, office hours."""
    return {
        "scenario": {
            "name": "small",
            "days": 14,
            "warmup_days": 1,
            "drain_days": 3,
            "seed": 11,
            "replications": 3,
            "target_hours": [6, 24],
        },
        "traffic": {
            "shipments_per_day": 120,
            "prearrival_share": 0.3,
            "aeo_share": 0.3,
            "commodities": {
                "vaccine": {"share": 0.2, "cold_chain_hours": 24, "priority": True},
                "medicine": {"share": 0.8, "illicit_factor": 1.5},
            },
        },
        "illicit": {
            "prevalence": 0.05,
            "aeo_factor": 0.2,
            "kinds": {"falsified": 0.6, "substandard": 0.4},
        },
        "lodgement": {"delay_hours": {"dist": "lognormal", "mean": 2.0, "cv": 1.0}},
        "rosters": {
            "office": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": [[8.5, 17.0]]}
        },
        "checks": {
            "documents": {
                "kind": "documentary",
                "servers": 2,
                "duration_hours": {"dist": "lognormal", "mean": 0.5, "cv": 0.6},
                "detect": {"falsified": 0.2, "substandard": 0.05},
            },
            "physical": {
                "kind": "physical",
                "servers": 3,
                "roster": "office",
                "duration_hours": {"dist": "gamma", "mean": 1.5, "cv": 0.5},
                "detect": {"falsified": 0.7, "substandard": 0.2},
            },
        },
        "lanes": {"green": [], "yellow": ["documents"], "red": ["documents", "physical"]},
        "policy": {"kind": "random", "rates": {"red": 0.1, "yellow": 0.2}},
    }


def tiny(days: float = 3, replications: int = 2, **scenario: Any) -> dict[str, Any]:
    """small_data() shortened to a few days and replications, for tests of the machinery."""
    data = small_data()
    data["scenario"].update(days=days, replications=replications, **scenario)
    return data


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    """Run ``bordersim ARGS`` in this process: (exit status, stdout, stderr), never a traceback."""
    from sim.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


DELETE = object()
"""A value for :func:`changed` that removes the key."""


def changed(data: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A copy of ``data`` (by default small_data()) after ``changes``, keyed by dotted paths
    (``a__b`` = ``a.b``; missing tables are made); the value ``DELETE`` removes the key."""
    data = copy.deepcopy(data) if data is not None else small_data()
    for key, value in changes.items():
        node = data
        *parents, last = key.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def build(data: dict[str, Any], **changes: Any) -> sim.Scenario:
    """Validate scenario data after ``changes`` (as :func:`changed`)."""
    return sim.from_dict(changed(data, **changes), "<test>")


def key_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every value below the root of scenario data, tables and lists included."""
    out: list[tuple] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        items = []
    for key, value in items:
        out.append((*prefix, key))
        out += key_paths(value, (*prefix, key))
    return out


def override_keys(data: dict[str, Any]) -> list[str]:
    """Every dotted key of scenario data that ``--set`` can name (no list positions)."""
    return [".".join(p) for p in key_paths(data) if all(isinstance(x, str) for x in p)]


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Scenario data written as a TOML file."""
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.fixture
def small() -> dict[str, Any]:
    return small_data()


# --------------------------------------------------------------------------- slow tests


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runslow", action="store_true", help="also run tests marked slow (make validate)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow are skipped unless --runslow is given or -m selects them."""
    if config.getoption("--runslow") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (make validate)")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _restore_policy_registry():
    """Plug-ins a test registers (e.g. through --policy-plugin) do not leak into other tests."""
    saved = dict(sim.POLICIES)
    yield
    sim.POLICIES.clear()
    sim.POLICIES.update(saved)
