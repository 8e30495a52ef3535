"""A network of offices (``[network]``): the stepped run, shared seizures, its metrics and the
errors of its files."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.experiment.engine import Task, run_replication
from sim.model.network import Network, office_seed
from sim.model.records import IN_SYSTEM, INTERCEPTED, RELEASED, Records

from conftest import cli, small_data, write_toml

COLUMNS = ("lane", "selected_by", "selected", "priority", "released", "outcome", "intercepted_at")


def same_records(a: Records, b: Records) -> bool:
    """Every per-shipment column the model writes, NaN equal to NaN."""
    return all(
        np.array_equal(getattr(a, c), getattr(b, c), equal_nan=c in ("selected", "released"))
        for c in COLUMNS
    )


def office_data(name: str, days: float = 10, **rates: float) -> dict[str, Any]:
    data = small_data()
    data["scenario"].update(name=name, days=days, replications=2)
    if rates:
        data["policy"]["rates"] = rates
    return data


def network_data(
    offices: dict[str, dict[str, Any]], sharing: dict[str, Any] | None = None, **home: Any
) -> dict[str, Any]:
    data = office_data("net", **home)
    data["network"] = {"home": "hub", "offices": copy.deepcopy(offices)}
    if sharing is not None:
        data["network"]["sharing"] = sharing
    return data


def seed_of(scenario: sim.Scenario, replication: int = 0) -> np.random.SeedSequence:
    return sim.replication_seeds(scenario.scenario.seed, replication + 1)[replication]


def test_one_office_without_links_gives_the_standalone_numbers():
    alone = sim.from_dict(office_data("net"))
    network = sim.from_dict(network_data({}))
    seed = seed_of(alone)
    records = Network(network, seed).run()
    assert list(records) == ["hub"]
    assert same_records(records["hub"], sim.simulate(alone, seed))
    m_alone = run_replication(Task(alone, seed))[0]
    m_net = run_replication(Task(network, seed))[0]
    assert {k: m_net[k] for k in m_alone} == pytest.approx(m_alone, nan_ok=True, rel=0, abs=0)
    assert m_net["network.interception_rate"] == m_net["office.hub.interception_rate"]
    assert m_net["office.hub.interception_rate"] == m_alone["interception_rate"]


def test_offices_without_links_give_their_own_scenarios_numbers():
    """An unlinked office runs its own scenario (the network's timing and seed) from streams
    spawned by its name: its records are that scenario's, simulated from those streams."""
    port = office_data("port", days=4, red=0.3)  # its days are replaced by the network's
    data = network_data({"port": {"label": "sea port", **port}})
    network = sim.from_dict(data)
    seed = seed_of(network)
    records = Network(network, seed).run()
    label, office = network.offices["port"]
    assert label == "sea port" and office.scenario.days == network.scenario.days
    port["scenario"].update(days=network.scenario.days, seed=network.scenario.seed)
    assert office.digest() == sim.from_dict(port).digest()
    assert same_records(records["port"], sim.simulate(office, office_seed(seed, "port")))
    assert same_records(records["hub"], sim.simulate(sim.from_dict(office_data("net")), seed))
    assert not same_records(records["port"], records["hub"])


def linked_network(
    coverage: float | None, false_alert_rate: float = 0.0, **sharing: Any
) -> sim.Scenario:
    """A hub and a port; with a ``coverage``, sharing seizures matched on the commodity."""
    spec = {
        "delay_hours": 24,
        "window_days": 30,
        "match": ["commodity"],
        "coverage": coverage,
        "false_alert_rate": false_alert_rate,
        **sharing,
    }
    data = network_data(
        {"port": office_data("port", red=0.2)}, sharing=spec if coverage is not None else None
    )
    data["illicit"]["prevalence"] = 0.1
    data["network"]["offices"]["port"]["illicit"]["prevalence"] = 0.1
    return sim.from_dict(data)


def test_sharing_that_flags_nothing_changes_nothing():
    """Coverage 0 and no false alerts: each office's records are those of the offices run
    unlinked (the stepped exact path and the added [policy.alerts] change no record)."""
    shared, unlinked = linked_network(0.0), linked_network(None)
    seed = seed_of(shared)
    net = Network(shared, seed)
    a, b = net.run(), Network(unlinked, seed).run()
    assert all(same_records(a[name], b[name]) for name in ("hub", "port"))
    counts = net.metrics()
    assert counts["sharing.seizures"] > 0 and counts["sharing.flagged"] == 0


def seizures(rec: Records) -> tuple[np.ndarray, np.ndarray]:
    """Shipments intercepted and when (the end of the check that found them), from records."""
    ids = np.flatnonzero(rec.outcome == INTERCEPTED)
    times = np.full(ids.size, np.nan)
    for k, visits in enumerate(rec.visits):
        here = rec.intercepted_at[ids] == k
        row = np.searchsorted(visits.sid, ids[here])
        times[here] = visits.end[row]
    return ids, times


def test_shared_seizures_flag_matching_declarations_after_the_delay_only():
    scenario = linked_network(1.0)
    net = Network(scenario, seed_of(scenario))
    records = net.run()
    flagged_any = flags_follow_seizures(records, 24.0, 30 * 24.0)
    for rec in records.values():
        flagged = np.flatnonzero(rec.alert)
        assert (rec.selected_by[flagged] == sim.policies.REASONS.index("alert")).all()
        # coverage 1, no false alerts: only illicit declarations are flagged
        assert (rec.traffic.truth[flagged] > 0).all()
    assert flagged_any == net.metrics()["sharing.flagged"] > 0


def flags_follow_seizures(records: dict[str, Records], delay: float, window: float) -> int:
    """Check that every flagged declaration was selected within ``[t + delay, t + delay +
    window)`` of a seizure of the same commodity at another office; how many were flagged."""
    flagged_any = 0
    for name, rec in records.items():
        other = records["port" if name == "hub" else "hub"]
        ids, times = seizures(other)
        assert not np.isnan(times).any()
        flagged = np.flatnonzero(rec.alert)
        flagged_any += flagged.size
        seized = other.traffic.commodity[ids]  # the same names, so the same codes, here
        for sid in flagged.tolist():
            t = rec.selected[sid]
            same = seized == rec.traffic.commodity[sid]
            assert ((times[same] + delay <= t) & (t < times[same] + delay + window)).any()
    return flagged_any


@settings(max_examples=5, deadline=None)
@given(
    delay=st.floats(6.0, 96.0),
    share=st.floats(0.05, 1.0),
    window_days=st.floats(0.5, 10.0),
)
def test_no_declaration_is_flagged_outside_a_seizures_delay_and_window(delay, share, window_days):
    """Whatever the delay, the period (at most the delay) and the window: a flag only ever
    follows a matching seizure by at least the delay and at most the delay and the window."""
    scenario = linked_network(
        1.0, delay_hours=delay, period_hours=delay * share, window_days=window_days
    )
    records = Network(scenario, seed_of(scenario)).run()
    flags_follow_seizures(records, delay, window_days * 24.0)


def test_sharing_raises_interception_at_the_receiving_offices():
    seeds = sim.replication_seeds(3, 3)
    caught = {}
    for coverage in (0.0, 1.0):
        net = [run_replication(Task(linked_network(coverage), s))[0] for s in seeds]
        caught[coverage] = [sum(m[f"office.{o}.intercepted"] for o in ("hub", "port")) for m in net]
    assert all(b > a for a, b in zip(caught[0.0], caught[1.0], strict=True))


def test_network_metrics_add_up_over_offices():
    scenario = linked_network(1.0, 0.05)
    m = run_replication(Task(scenario, seed_of(scenario)))[0]
    offices = ("hub", "port")
    for stat in ("shipments", "released", "intercepted", "illicit", "leaks", "censored"):
        assert m[f"network.{stat}"] == sum(m[f"office.{o}.{stat}"] for o in offices)
    for o in (*(f"office.{o}" for o in offices), "network"):
        # every shipment counted is released, intercepted or still inside
        assert (
            m[f"{o}.shipments"] == m[f"{o}.released"] + m[f"{o}.intercepted"] + m[f"{o}.censored"]
        )
    rate = m["network.intercepted"] / m["network.illicit"]
    assert m["network.interception_rate"] <= rate  # intercepted counts false alarms too
    released = [m[f"office.{o}.released"] for o in offices]
    means = [m[f"office.{o}.clearance_hours_mean"] for o in offices]
    mean = sum(r * x for r, x in zip(released, means, strict=True))
    assert math.isclose(m["network.clearance_hours_mean"], mean / sum(released), rel_tol=1e-12)
    assert m["office.hub.interception_rate"] == m["interception_rate"]  # the home office's keys


def test_every_shipment_of_every_office_is_accounted_for():
    records = Network(linked_network(1.0, 0.05), seed_of(linked_network(1.0))).run()
    for rec in records.values():
        outcome = rec.outcome
        assert np.isin(outcome, (IN_SYSTEM, RELEASED, INTERCEPTED)).all()
        released = outcome == RELEASED
        assert (rec.released[released] >= rec.traffic.arrival[released]).all()
        assert np.isnan(rec.released[~released]).all()
        assert (rec.intercepted_at[outcome == INTERCEPTED] >= 0).all()


def test_a_network_run_is_the_same_on_every_executor():
    scenario = linked_network(1.0, 0.05)
    serial = sim.run(scenario, replications=2, executor="serial", progress=False)
    processes = sim.run(scenario, replications=2, executor="processes", workers=2, progress=False)
    again = sim.run(scenario, replications=2, executor="serial", progress=False)
    for other in (processes, again):
        for a, b in zip(other.replications, serial.replications, strict=True):
            assert a == pytest.approx(b, nan_ok=True, rel=0, abs=0)
    assert any(k.startswith("network.") for k in serial.replications[0])


def test_resolved_network_is_self_contained(tmp_path: Path):
    write_toml(tmp_path / "port.toml", office_data("port", red=0.2))
    data = network_data({"port": {"file": "port.toml", "set": {"policy.rates.red": 0.25}}})
    scenario = sim.load_scenario(write_toml(tmp_path / "net.toml", data))
    _, port = scenario.offices["port"]
    assert port.policy_config.rates["red"] == 0.25
    again = sim.loads_scenario(scenario.to_toml())
    assert again.digest() == scenario.digest()
    seed = seed_of(scenario)
    assert run_replication(Task(again, seed))[0] == pytest.approx(
        run_replication(Task(scenario, seed))[0], nan_ok=True, rel=0, abs=0
    )
    varied = sim.load_scenario(tmp_path / "net.toml", ["network.offices.port.policy.rates.red=0.3"])
    assert varied.offices["port"][1].policy_config.rates["red"] == 0.3


def test_a_problem_in_an_office_is_reported_under_its_key(tmp_path: Path, capsys):
    port = office_data("port")
    port["checks"]["physical"]["sevrers"] = 2
    write_toml(tmp_path / "port.toml", port)
    data = network_data({"port": {"file": "port.toml"}})
    file = write_toml(tmp_path / "net.toml", data)
    code, _, err = cli(capsys, "validate", file)
    assert code == 2
    assert err.startswith(f"error: {file}")
    assert "network.offices.port.checks.physical.sevrers: unknown key 'sevrers'" in err


def bad_network(tmp_path: Path, **network: Any) -> Path:
    write_toml(tmp_path / "port.toml", office_data("port"))
    data = office_data("net")
    data["network"] = network
    return write_toml(tmp_path / "net.toml", data)


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ({"offices": {"port": {"file": "nothere.toml"}}}, "network.offices.port.file: no scenario"),
        ({"offices": {"port": {"file": "../port.toml"}}}, "network.offices.port.file: '../port"),
        (
            {"offices": {"port": {"file": "port.toml"}}, "sharing": {"match": ["colour"]}},
            "network.sharing.match[0]: must be 'commodity'",
        ),
        (
            {"offices": {"port": {"file": "port.toml"}}, "sharing": {"period_hours": 72}},
            "period_hours (72) must not exceed delay_hours (48)",
        ),
        ({"offices": {"port": {"file": "net.toml"}}}, "is itself a network"),
    ],
)
def test_bad_network_files_get_one_clear_message(tmp_path, capsys, network, expected):
    file = bad_network(tmp_path, **network)
    code, out, err = cli(capsys, "validate", file)
    assert code == 2
    assert err.startswith(f"error: {file}")
    assert expected in err


def test_offices_that_together_need_more_memory_than_the_cap_are_refused(monkeypatch):
    """Each office alone fits the cap, the linked network does not: one message naming it."""
    scenario = linked_network(1.0)
    alone = max(
        sim.schema.estimated_memory_bytes(s) for s in (scenario, scenario.offices["port"][1])
    )
    monkeypatch.setenv(sim.schema.MEMORY_ENV, f"{alone * 2.5 / 1e6}")
    with pytest.raises(sim.ScenarioError, match="the 2 offices together would need about"):
        linked_network(1.0)
    linked_network(None)  # not linked: the offices' memory adds up, and fits


def test_an_office_file_linked_from_outside_the_folder_is_refused(tmp_path: Path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_toml(outside / "port.toml", office_data("port"))
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / "port.toml").symlink_to(outside / "port.toml")
    file = write_toml(folder / "net.toml", network_data({"port": {"file": "port.toml"}}))
    code, _, err = cli(capsys, "validate", file)
    assert code == 2
    assert "network.offices.port.file: 'port.toml' is not a file in this file's folder" in err


def test_run_prints_each_office_and_the_whole_network(tmp_path: Path, capsys):
    """``bordersim run`` of a network says the table above is the home office's and lists
    every office with the network's totals, whose counts add up."""
    write_toml(tmp_path / "port.toml", office_data("port", red=0.2))
    data = network_data({"port": {"file": "port.toml", "label": "sea port"}}, days=4)
    data["network"]["home_label"] = "air hub"
    path = write_toml(tmp_path / "net.toml", data)
    code, out, _ = cli(capsys, "run", path, "--replications", "2", "--out", tmp_path / "out")
    assert code == 0
    assert "The figures above are the home office's (air hub)" in out
    lines = out.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.strip().startswith("Office")) :]
    rows = {line[:17].strip(): line[17:].split() for line in lines[1:4]}
    assert list(rows) == ["air hub", "sea port", "whole network"]
    shipments = {k: int(v[0].replace(",", "")) for k, v in rows.items()}
    assert abs(shipments["air hub"] + shipments["sea port"] - shipments["whole network"]) <= 1
    header = lines[0]
    for line in lines[1:4]:  # every column ends where its header ends
        assert len(line) == len(header)
