"""Traffickers who adapt (``[adversary]``, sim/model/adversary.py): known answers of the pure
dynamics (no move facing equal losses, within the switching cost or at speed 0; the logistic
decay of one strict route's share; conservation), and of the hook on running borders (speed 0
changes nothing; equal offices stay put; a strict office loses share at about the configured
rate; the illicit volume is kept; the truth reaches everything that reads it; determinism;
clear errors)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.experiment.engine import Task, run_replication
from sim.files.read import load_results
from sim.model.adversary import Adversary, estimate, move, total_variation
from sim.model.border import Border
from sim.model.network import Network
from sim.model.records import IN_SYSTEM, INTERCEPTED, RELEASED
from sim.model.traffic import LEGITIMATE
from sim.present.words import describe

from conftest import build, changed, cli, small_data, write_toml

# ----------------------------------------------------------------------------- pure dynamics

shares_st = st.integers(2, 6).flatmap(
    lambda n: st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n).map(
        lambda w: np.array(w) / sum(w)
    )
)


@given(shares_st, st.floats(0, 1), st.floats(0, 100), st.floats(0, 1))
def test_equal_losses_move_nothing(shares, loss, speed, cost):
    assert np.array_equal(move(shares, np.full(len(shares), loss), speed, cost), shares)


@given(shares_st, st.data(), st.floats(0, 100))
def test_gaps_within_the_switching_cost_move_nothing(shares, data, speed):
    n = len(shares)
    losses = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    cost = float(np.ptp(losses)) + data.draw(st.floats(0, 0.5))
    assert np.array_equal(move(shares, losses, speed, cost), shares)


@given(shares_st, st.data(), st.floats(0, 1))
def test_speed_zero_moves_nothing(shares, data, cost):
    losses = data.draw(st.lists(st.floats(0, 1), min_size=len(shares), max_size=len(shares)))
    assert np.array_equal(move(shares, np.array(losses), 0.0, cost), shares)


@given(shares_st, st.data(), st.floats(0, 100), st.floats(0, 1))
def test_moves_conserve_the_flow_and_go_toward_lower_losses(shares, data, speed, cost):
    n = len(shares)
    losses = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    new = move(shares, losses, speed, cost)
    assert np.all(new >= 0) and math.isclose(new.sum(), 1.0, rel_tol=1e-12)
    # The route with the highest loss never gains, the lowest never loses.
    assert new[np.argmax(losses)] <= shares[np.argmax(losses)] + 1e-12
    assert new[np.argmin(losses)] >= shares[np.argmin(losses)] - 1e-12


@pytest.mark.parametrize("others", [1, 2, 4])
@pytest.mark.parametrize(("speed", "gap", "cost"), [(0.5, 0.3, 0.0), (2.0, 0.25, 0.05)])
def test_one_strict_route_decays_logistically(others, speed, gap, cost):
    """Facing one route that loses ``gap`` more than all others, its share after n periods is
    s0 e^(-kn) / (s0 e^(-kn) + 1 - s0), k = speed x (gap - cost); the others keep their
    proportions."""
    s0 = 0.4
    shares = np.array([s0, *[(1 - s0) / others] * others])
    shares[1:] *= np.linspace(1, 2, others) / np.linspace(1, 2, others).mean()
    losses = np.array([0.1 + gap, *[0.1] * others])
    k = speed * (gap - cost)
    s = shares
    for n in range(1, 21):
        s = move(s, losses, speed, cost)
        expected = s0 * math.exp(-k * n) / (s0 * math.exp(-k * n) + 1 - s0)
        assert s[0] == pytest.approx(expected, rel=1e-9)
        assert s[1:] / s[1:].sum() == pytest.approx(shares[1:] / shares[1:].sum(), rel=1e-9)


def test_a_small_move_is_the_pairwise_flow():
    """For a small speed, the flow from r to q in a period is speed s_r s_q (L_r - L_q - c)."""
    shares = np.array([0.5, 0.3, 0.2])
    losses = np.array([0.4, 0.2, 0.1])
    speed, cost = 1e-4, 0.05
    gain = move(shares, losses, speed, cost) - shares
    gaps = np.maximum(0, losses[:, None] - losses - cost)
    flow = speed * shares[:, None] * shares[None, :] * gaps
    assert gain == pytest.approx(flow.sum(axis=0) - flow.sum(axis=1), rel=1e-3)


def test_loss_estimate_smooths_and_keeps_routes_without_attempts():
    first = estimate(None, np.array([2, 0, 0]), np.array([4, 5, 0]), 0.5)
    assert first == pytest.approx([0.5, 0.0, 2 / 9])  # no attempts: the pooled loss
    second = estimate(first, np.array([0, 5, 0]), np.array([4, 5, 0]), 0.5)
    assert second == pytest.approx([0.25, 0.5, 2 / 9])
    assert estimate(second, np.zeros(3), np.zeros(3), 0.5) is second
    assert estimate(None, np.zeros(3), np.zeros(3), 0.5) is None
    assert estimate(first, np.array([1, 1, 1]), np.array([1, 1, 1]), 0.0) == pytest.approx([1] * 3)


# ----------------------------------------------------------------------------- on borders


def office_data(red: float = 0.1, days: float = 35, **changes) -> dict:
    data = small_data()
    data["scenario"].update(days=days, warmup_days=1, drain_days=3)
    data["policy"]["rates"] = {"red": red, "yellow": 0.2}
    data["checks"]["physical"]["servers"] = 20  # enough for any share sent to red
    return changed(data, **changes)


def stepped(
    offices: dict[str, dict],
    adversary: dict | None,
    seed: int = 1,
    truth: dict[str, np.ndarray] | None = None,
) -> tuple[Adversary | None, dict[str, Border]]:
    """A network of these offices (the first is home) run by :class:`Network`, with this
    ``[adversary]``, if any. ``truth``: every office's truth set to this before the run, as if
    drawn so (its signals and entry path made from it)."""
    (home, data), *others = offices.items()
    data = copy.deepcopy(data)
    offices_tables = {n: copy.deepcopy(d) for n, d in others}
    data["network"] = {**data.get("network", {}), "home": home, "offices": offices_tables}
    if adversary is not None:
        data["adversary"] = adversary
    scenario = sim.from_dict(data, "<test>")
    network = Network(scenario, np.random.SeedSequence(seed))
    if truth is not None:
        for name, b in network.borders.items():
            b.traffic.truth[:] = truth[name]
            b._signals()
            b._setup()
    network.run()
    adv = next((h for h in network.hooks if isinstance(h, Adversary)), None)
    return adv, network.borders


def three(red_a: float = 0.1, days: float = 35, **changes) -> dict[str, dict]:
    return {
        "hub": office_data(red_a, days, **changes),
        "port": office_data(0.1, days, **changes),
        "post": office_data(0.1, days, **changes),
    }


def test_speed_zero_is_the_static_truth_exactly():
    offices = three(0.6)
    _, plain = stepped(offices, None)
    adv, moved = stepped(offices, {"routes": ["office"], "speed": 0.0})
    for name in offices:
        a, b = plain[name].records, moved[name].records
        assert np.array_equal(a.traffic.truth, b.traffic.truth)
        assert np.array_equal(a.outcome, b.outcome)
        assert np.array_equal(a.released, b.released, equal_nan=True)
    assert adv.metrics()["adversary.shift"] == 0.0
    assert adv.metrics()["adversary.displaced"] == 0.0


def test_the_truth_reaches_everything_that_reads_it():
    """A run whose truth moved gives the same records as one whose truth was that from the
    start: every shipment's truth was set before customs dealt with it, and its risk score,
    alert and the exact path's copies followed."""
    data = office_data(0.3)
    data["policy"] = {
        "kind": "risk_score",
        "auc": 0.8,
        "budget": 0.15,
        "lane": "red",
        "alerts": {"coverage": 0.5, "false_alert_rate": 0.01, "lane": "red"},
    }
    offices = {"hub": data, "port": office_data(0.05), "post": office_data()}
    adv, moved = stepped(offices, {"routes": ["office", "commodity"], "speed": 5.0})
    assert adv.metrics()["adversary.displaced"] > 0
    final = {name: b.traffic.truth.copy() for name, b in moved.items()}
    _, fixed = stepped(offices, None, truth=final)
    for name in offices:
        a, b = moved[name].records, fixed[name].records
        assert np.array_equal(a.lane, b.lane)
        assert np.array_equal(a.outcome, b.outcome)
        assert np.array_equal(a.intercepted_at, b.intercepted_at)
    hub = moved["hub"]
    sel = hub.selectivity
    truth = hub.traffic.truth
    assert np.array_equal(
        hub.records.risk_score, hub.traffic.score_noise + np.array([0, *sel.separations])[truth]
    )
    cover, false_rate = sel.alert_p
    assert np.array_equal(
        hub.records.alert, hub.traffic.alert_u < np.array([false_rate, *cover])[truth]
    )


def test_conservation_and_determinism():
    offices = three(0.6)
    spec = {"routes": ["office", "origin", "aeo"], "speed": 3.0}
    adv, borders = stepped(offices, spec, seed=5)
    again, borders2 = stepped(offices, spec, seed=5)
    assert adv.metrics() == again.metrics()
    kinds = len(offices["hub"]["illicit"]["kinds"])
    for name, b in borders.items():
        rec = b.records
        assert np.isin(rec.outcome, [IN_SYSTEM, RELEASED, INTERCEPTED]).all()
        assert ((rec.outcome == RELEASED) == ~np.isnan(rec.released)).all()
        truth = b.traffic.truth
        assert (truth >= 0).all() and (truth <= kinds).all()
        assert np.array_equal(b.traffic.truth, borders2[name].traffic.truth)
    shares = np.array([v for k, v in adv.metrics().items() if k.startswith("adversary.share.")])
    assert len(shares) == 3 * 1 * 2 and shares.sum() == pytest.approx(1.0)
    other, _ = stepped(offices, spec, seed=6)
    assert other.metrics() != adv.metrics()


def test_equal_offices_stay_put():
    """Three offices with the same policy and capacity: the shares wander with the noise of
    the seizures they see, but do not drift (mean change across replications ~ 0)."""
    offices = three(0.1, days=29)
    changes = []
    for seed in range(8):
        adv, _ = stepped(offices, {"routes": ["office"], "speed": 1.0}, seed=seed)
        changes.append(adv.shares - adv.initial)
    changes = np.array(changes)
    mean, se = changes.mean(axis=0), changes.std(axis=0, ddof=1) / math.sqrt(len(changes))
    assert np.all(np.abs(mean) < 3 * se + 0.01), (mean, se)
    assert np.abs(changes).max() < 0.15


def test_a_strict_office_loses_share_at_about_the_configured_speed():
    """One office examines 60% of its declarations, the others 10%: the strict office's share
    falls every replication, and its log-odds fall at about speed x (its loss gap) a period,
    the gap read from the interception rates of the run."""
    offices = three(0.6, days=36)
    speed = 1.0
    falls, predicted = [], []
    for seed in range(4):
        adv, borders = stepped(offices, {"routes": ["office"], "speed": speed, "memory": 0.0}, seed)
        s0, s1 = adv.initial[0], adv.shares[0]
        assert s1 < s0
        logit = lambda s: math.log(s / (1 - s))  # noqa: E731
        falls.append(logit(s0) - logit(s1))
        rates = []
        for b in borders.values():
            ill = b.traffic.truth != LEGITIMATE
            done = b.records.outcome[ill]
            rates.append((done == INTERCEPTED).sum() / (done != IN_SYSTEM).sum())
        gap = rates[0] - (rates[1] + rates[2]) / 2
        predicted.append(speed * gap * (len(adv.history) - 1))
    assert np.mean(falls) == pytest.approx(np.mean(predicted), rel=0.5)


def test_the_illicit_volume_is_kept():
    """Moving the flow keeps each period's expected illicit volume: exactly in expectation
    (the factors), and in runs (the total illicit count against the static truth's)."""
    offices = three(0.8, days=29)
    diffs, statics = [], []
    for seed in range(6):
        adv, borders = stepped(offices, {"routes": ["office", "origin"], "speed": 20.0}, seed)
        assert adv.metrics()["adversary.shift"] > 0.1
        moved = sum(int((b.traffic.truth != 0).sum()) for b in borders.values())
        static = sum(int((o.static != 0).sum()) for o in adv.offices)
        diffs.append(moved - static)
        statics.append(static)
        expected = np.array([1.0, 2.0, 0.5, 3.0, 0.0, 1.5])[: len(adv.routes)]
        f = adv.factors(expected)
        assert (f * expected).sum() == pytest.approx(expected.sum())
    # The difference is noise: within 3 standard errors of 0, and small against the volume.
    se = np.std(diffs, ddof=1) / math.sqrt(len(diffs))
    assert abs(np.mean(diffs)) < 3 * se + 1
    assert abs(np.mean(diffs)) < 0.05 * np.mean(statics)


def test_only_the_kinds_that_adapt_move():
    """With kinds = ["falsified"], substandard goods keep the static truth exactly; only
    falsified shipments are moved (and counted as the adversary's losses)."""
    offices = three(0.8, days=22)
    adv, borders = stepped(offices, {"routes": ["office"], "speed": 20.0, "kinds": ["falsified"]})
    assert adv.metrics()["adversary.displaced"] > 0
    falsified, substandard = 1, 2
    for o in adv.offices:
        truth = o.border.traffic.truth
        assert np.array_equal(truth == substandard, o.static == substandard)
        assert np.isin(truth[truth != o.static], [LEGITIMATE, falsified]).all()


def test_a_switching_cost_above_the_gap_moves_nobody():
    offices = three(0.6, days=22)
    adv, _ = stepped(offices, {"routes": ["office"], "speed": 5.0, "switching_cost": 1.0})
    assert adv.metrics()["adversary.shift"] == 0.0


def test_total_variation():
    assert total_variation([0.5, 0.5], [0.2, 0.8]) == pytest.approx(0.3)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("table", "path", "words"),
    [
        ({"speed": -1}, "adversary.speed", "at least 0"),
        ({"speed": 1000}, "adversary.speed", "at most 100"),
        ({"routes": ["office", "office"]}, "adversary.routes", "at most once"),
        ({"routes": ["port"]}, "adversary.routes[0]", "'origin'"),
        ({"routes": []}, "adversary.routes", "at least 1"),
        ({"memory": 1}, "adversary.memory", "less than 1"),
        ({"period_days": 0}, "adversary.period_days", "greater than 0"),
        ({"switching_cost": 2}, "adversary.switching_cost", "at most 1"),
        ({"spede": 1}, "adversary.spede", "did you mean 'speed'"),
        ({"routes": ["office"]}, "adversary.routes", "one route when there is one office"),
        ({"kinds": ["fake"]}, "adversary.kinds", "unknown illicit kind 'fake'"),
        ({"kinds": ["falsified"] * 2}, "adversary.kinds", "more than once: falsified"),
    ],
)
def test_bad_adversary_names_the_key_and_what_is_allowed(table, path, words):
    with pytest.raises(sim.ScenarioError) as info:
        build(small_data(), adversary={"routes": ["origin"], **table})
    problems = info.value.problems
    assert len(problems) == 1
    assert problems[0][0] == path and words in problems[0][1], problems


def test_an_office_holds_no_adversary():
    data = office_data()
    data["network"] = {"home": "hub", "offices": {"port": {**office_data(), "adversary": {}}}}
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, "<test>")
    assert info.value.problems[0][0] == "network.offices.port.adversary"
    assert "network file's [adversary]" in info.value.problems[0][1]


def test_with_shared_seizures_the_truth_is_set_before_sharing_reads_it():
    """Run with shared seizures, synchronised every 2 days, more finely than the adversary's
    week: it moves once a week, and the records are those of the same network whose truth
    was the moved one from the start (sharing flagged by the truth the shipments had)."""
    offices = three(0.6, days=22)
    for data in offices.values():
        data["policy"]["alerts"] = {"coverage": 0.0, "lane": "red"}

    def with_sharing(adversary, truth=None):
        first = copy.deepcopy(offices["hub"])
        first["network"] = {"sharing": {"delay_hours": 48, "coverage": 1.0}}
        return stepped({**offices, "hub": first}, adversary, seed=3, truth=truth)

    adv, moved = with_sharing({"routes": ["office"], "speed": 5.0})
    assert len(adv.history) == 1 + int((22 + 3) // 7)  # a move at the end of each week
    assert adv.metrics()["adversary.displaced"] > 0
    final = {name: b.traffic.truth.copy() for name, b in moved.items()}
    _, fixed = with_sharing(None, truth=final)
    for name in offices:
        a, b = moved[name].records, fixed[name].records
        assert a.alert.any()
        assert np.array_equal(a.alert, b.alert)
        assert np.array_equal(a.lane, b.lane) and np.array_equal(a.outcome, b.outcome)


def test_one_office_with_an_adversary_runs_as_a_network_of_one():
    """A scenario with [adversary] and no [network]: its own metrics, the adversary's, the
    same on every run from the seed; at speed 0, its own metrics are the static run's."""
    data = office_data(0.6, days=15)
    data["traffic"]["origins"] = {
        "standard": {"share": 0.8, "illicit_factor": 0.5},
        "high_risk": {"share": 0.2, "illicit_factor": 3.0},
    }
    scenario = build(data, adversary={"routes": ["origin", "aeo"], "speed": 2.0})
    seed = sim.replication_seeds(1, 1)[0]
    metrics = run_replication(Task(scenario, seed))[0]
    assert metrics == run_replication(Task(scenario, seed))[0]
    shares = {k: v for k, v in metrics.items() if k.startswith("adversary.share.")}
    assert set(shares) == {
        f"adversary.share.{o}.{a}" for o in ("standard", "high_risk") for a in ("non_aeo", "aeo")
    }
    assert sum(shares.values()) == pytest.approx(1.0)
    assert metrics["adversary.shift"] > 0 and "interception_rate" in metrics
    still = build(data, adversary={"routes": ["origin", "aeo"], "speed": 0.0})
    static = run_replication(Task(build(data), seed))[0]
    at_rest = run_replication(Task(still, seed))[0]
    assert {k: at_rest[k] for k in static} == pytest.approx(static, nan_ok=True, rel=0, abs=0)


def test_a_bad_adversary_file_exits_2_with_one_message(tmp_path, capsys):
    path = write_toml(tmp_path / "bad.toml", changed(small_data(), adversary={"speed": -0.5}))
    code, out, err = cli(capsys, "validate", path)
    assert code == 2
    assert "bad.toml" in err and "adversary.speed" in err and "at least 0" in err


def test_an_adaptive_network_gives_the_same_numbers_from_its_resolved_file():
    """resolved.toml holds the [adversary] table: run from it, the same numbers (every
    executor runs the same pure function of a replication's seed: tests/test_network.py)."""
    data = copy.deepcopy(three(0.6, days=12)["hub"])
    data["network"] = {"home": "hub", "offices": {"port": office_data(0.1, days=12)}}
    data["adversary"] = {"routes": ["office", "aeo"], "speed": 5.0, "kinds": ["falsified"]}
    scenario = sim.from_dict(data, "<test>")
    serial = sim.run(scenario, replications=2, executor="serial", progress=False)
    resolved = sim.loads_scenario(scenario.to_toml(), "resolved.toml")
    assert resolved.digest() == scenario.digest()
    again = sim.run(resolved, replications=2, executor="serial", progress=False)
    for a, b in zip(again.replications, serial.replications, strict=True):
        assert a == pytest.approx(b, nan_ok=True, rel=0, abs=0)
    assert serial.replications[0]["adversary.shift"] > 0


def test_the_report_says_that_traffickers_adapt(tmp_path, capsys):
    data = changed(office_data(0.3, days=4), scenario__replications=1)
    data["traffic"]["origins"] = {"a": {"share": 0.5}, "b": {"share": 0.5}}
    data["adversary"] = {"routes": ["origin"], "speed": 2.0, "kinds": ["falsified"]}
    path = write_toml(tmp_path / "adapt.toml", data)
    out = tmp_path / "out"
    code, _, _ = cli(capsys, "run", path, "--quiet", "--no-report", "--out", out)
    assert code == 0
    simulated = describe(load_results(out))
    assert "Traffickers of falsified goods adapt: every 7 days" in simulated
    assert "(by origin)" in simulated and "speed 2" in simulated
