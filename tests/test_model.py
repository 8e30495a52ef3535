"""The border model's behaviour: determinism, the invariants of one replication
(``assert_conserved``, which tests/test_properties.py checks over generated scenarios),
selection identities, rosters, guarantee release, required checks and cold chain."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.model.records import IN_SYSTEM, INTERCEPTED, RELEASED
from sim.model.roster import schedule_for
from sim.model.station import GOODS_KINDS, capacity_changes
from sim.model.traffic import generate

from conftest import build, small_data

# --------------------------------------------------------------------------- helpers


def one_rep(scenario: sim.Scenario, seed: int = 1, index: int = 0) -> tuple[sim.Records, dict]:
    """Records and metrics of one replication."""
    seed_seq = sim.replication_seeds(seed, index + 1)[index]
    rec = sim.simulate(scenario, seed_seq)
    return rec, sim.replication_metrics(scenario, rec)


def counted(scenario: sim.Scenario, rec: sim.Records) -> np.ndarray:
    t = rec.traffic.arrival
    return (t >= scenario.warmup_hours) & (t < scenario.hours)


def same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metric dicts, NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    return all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in ((a[k], b[k]) for k in a))


def check_index(scenario: sim.Scenario) -> dict[str, int]:
    return {name: k for k, name in enumerate(scenario.checks)}


def reachable(scenario: sim.Scenario, lane: str, commodity: str) -> set[int]:
    """Checks a shipment of this lane and commodity can visit: its route, its required checks
    and every check an alarm can refer it to."""
    index = check_index(scenario)
    names = list(scenario.lanes[lane])
    names += [n for n, c in scenario.checks.items() if commodity in c.required_for]
    out: set[int] = set()
    while names:
        name = names.pop()
        if index[name] in out:
            continue
        out.add(index[name])
        if scenario.checks[name].on_alarm != "intercept":
            names.append(scenario.checks[name].on_alarm)
    return out


def window_overlap(scenario: sim.Scenario, lo: np.ndarray, hi: np.ndarray) -> float:
    """Total length of the intervals [lo, hi) inside the measurement window (NaN hi: the end)."""
    mask = ~np.isnan(lo)
    hi = np.where(np.isnan(hi), scenario.end_hours, hi)[mask]
    a = np.clip(lo[mask], scenario.warmup_hours, scenario.hours)
    b = np.clip(hi, scenario.warmup_hours, scenario.hours)
    return float((b - a).sum())


def assert_conserved(scenario: sim.Scenario, rec: sim.Records, m: dict[str, float]) -> None:
    """Every invariant of one replication's records and metrics."""
    t = rec.traffic
    checks = list(scenario.checks.values())
    lanes = list(scenario.lanes)
    commodities = list(scenario.traffic.commodities)
    guarantee = np.array([c.release_on_guarantee for c in checks], dtype=bool)

    # Each shipment has exactly one outcome, and the columns agree with it.
    assert set(np.unique(rec.outcome)) <= {IN_SYSTEM, RELEASED, INTERCEPTED}
    released = rec.outcome == RELEASED
    intercepted = rec.outcome == INTERCEPTED
    in_system = rec.outcome == IN_SYSTEM
    assert np.array_equal(~np.isnan(rec.released), released)
    assert np.array_equal(rec.intercepted_at >= 0, intercepted)
    assert np.all(rec.released[released] >= t.arrival[released] - 1e-9)  # (rounding of now)
    assert np.all(rec.released[released] <= scenario.end_hours)

    # Arrivals in order, inside the run; lodgement after arrival; selection at lodgement, or
    # under pre-arrival processing lead_hours before the arrival of a pre-lodged declaration.
    assert np.all(np.diff(t.arrival) >= 0)
    assert np.all((t.arrival >= 0) & (t.arrival <= scenario.end_hours))
    assert np.all(t.lodged >= t.arrival)
    assert np.array_equal(t.lodged[t.prearrival], t.arrival[t.prearrival])
    dealt = t.lodged.copy()
    prearrival = getattr(scenario.policy_config, "prearrival", None)
    if prearrival is not None:
        pre = t.prearrival
        dealt[pre] = np.maximum(t.arrival[pre] - prearrival.lead_hours, 0.0)
    selected = ~np.isnan(rec.selected)
    # (equal up to rounding: SimPy reaches a time by adding a delay to the current time)
    np.testing.assert_allclose(rec.selected[selected], dealt[selected], rtol=1e-12)
    assert np.array_equal(rec.lane >= 0, selected)
    assert np.all(dealt[~selected] >= scenario.end_hours)  # not dealt with before the end
    assert np.all(in_system[~selected])

    # Station timestamps are ordered and only exist for shipments that were selected.
    enter, start, end = rec.enter, rec.start, rec.end
    assert np.all(np.isnan(start) | (start >= enter))
    assert np.all(np.isnan(end) | (end >= start))
    assert not np.any(~np.isnan(start) & np.isnan(enter))
    assert not np.any(~np.isnan(end) & np.isnan(start))
    assert not np.any(~np.isnan(enter[:, ~selected]))

    visited = ~np.isnan(enter)
    # Checks on the goods start when the goods are there, even if selected before arrival
    # (at the instant of a timeout until arrival, which may fall an ulp short of it).
    for k, check in enumerate(checks):
        if check.kind in GOODS_KINDS:
            assert np.all(enter[k][visited[k]] >= t.arrival[visited[k]] - 1e-9), check.kind
    # Chance of an alarm at each check, by truth (legitimate: a false alarm; each kind: detect).
    kinds = list(scenario.illicit.kinds)
    alarm = [[c.false_alarm, *(c.detect.get(kind, 0.0) for kind in kinds)] for c in checks]
    for i in np.flatnonzero(selected):
        lane, commodity = lanes[rec.lane[i]], commodities[t.commodity[i]]
        allowed = reachable(scenario, lane, commodity)
        assert set(np.flatnonzero(visited[:, i])) <= allowed
        if intercepted[i]:
            k = rec.intercepted_at[i]
            assert k in allowed and not guarantee[k]
            assert end[k, i] <= scenario.end_hours  # intercepted when its check was done
            assert alarm[k][t.truth[i]] > 0, "intercepted by a check that cannot find it"
        if released[i]:
            # Released the moment the last check it waited for was done: nothing in between.
            waited = visited[:, i] & ~guarantee
            assert not np.isnan(end[waited, i]).any()
            last = max([rec.selected[i], *end[waited, i]])
            if last < t.arrival[i]:  # cleared before arrival: released when the goods arrive
                assert rec.released[i] == pytest.approx(t.arrival[i], abs=1e-9)
            else:
                assert rec.released[i] == last
        if in_system[i]:
            # Nothing lost: a shipment inside is queued or in service at a check it waits for.
            stuck = visited[:, i] & np.isnan(end[:, i]) & ~guarantee
            assert stuck.any()

    # Only illicit shipments are intercepted; guarantee findings only of illicit goods.
    assert np.all(t.truth[intercepted] > 0)
    post = rec.post_release_at >= 0
    assert np.all(t.truth[post] > 0)
    assert np.all(guarantee[rec.post_release_at[post]])

    # Stations: never more in service than officers, never start while the roster is closed,
    # and the end-of-run backlog is exactly the shipments still queued.
    for k, (name, check) in enumerate(scenario.checks.items()):
        schedule = schedule_for(scenario, check.roster)
        starts = start[k][~np.isnan(start[k])]
        assert all(schedule.is_open(s) for s in starts), name
        ends = np.where(np.isnan(end[k]), np.inf, end[k])[~np.isnan(start[k])]
        times = np.concatenate([starts, ends])
        steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
        order = np.lexsort((steps, times))  # at equal times, ends (-1) before starts (+1)
        assert np.cumsum(steps[order]).max(initial=0) <= check.servers, name
        stats = rec.stations[name]
        assert stats.backlog_end == int((visited[k] & np.isnan(start[k])).sum())
        assert stats.in_service_end == int((~np.isnan(start[k]) & np.isnan(end[k])).sum())
        # The time-weighted totals are the raw intervals clipped to the measurement window.
        assert stats.queue_area == pytest.approx(window_overlap(scenario, enter[k], start[k]))
        assert stats.busy_area == pytest.approx(window_overlap(scenario, start[k], end[k]))
        if check.absence == 0:
            open_hours = schedule.open_hours(scenario.warmup_hours, scenario.hours)
            assert stats.capacity_area == pytest.approx(check.servers * open_hours)

    # Metrics: counted arrivals are released, intercepted or censored; nothing else.
    c = counted(scenario, rec)
    assert m["shipments"] == c.sum()
    assert m["shipments"] == m["released"] + m["intercepted"] + m["censored"]
    assert m["released"] == (c & released).sum()
    assert m["censored"] == (c & in_system).sum()
    assert m["intercepted"] == (c & intercepted).sum()
    assert m["illicit"] == (c & (t.truth > 0)).sum()
    assert m["leaks"] == (c & released & (t.truth > 0)).sum()
    assert m["leaks"] + m["intercepted"] <= m["illicit"]
    for name in ("interception_rate", "inspection_rate", "hit_rate"):
        assert math.isnan(m[name]) or 0 <= m[name] <= 1

    # The Time Release Study segments add up to the mean clearance time.
    segments = sum(v for k, v in m.items() if k.startswith("segment."))
    if m["released"]:
        assert segments == pytest.approx(m["released.clearance_hours_mean"], abs=1e-9)
    else:
        assert math.isnan(m["clearance_hours_mean"])


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_results():
    """Two runs with the same seed give identical metrics in every replication."""
    scenario = build(small_data())
    a = sim.run(scenario, replications=2, seed=3)
    b = sim.run(scenario, replications=2, seed=3)
    for x, y in zip(a.replications, b.replications, strict=True):
        assert same_metrics(x, y)
    assert a.summary().keys() == b.summary().keys()


def test_different_seed_gives_different_results():
    """Another seed gives other shipments and other metrics."""
    scenario = build(small_data())
    a = sim.run(scenario, replications=1, seed=3).replications[0]
    b = sim.run(scenario, replications=1, seed=4).replications[0]
    assert (
        a["shipments"] != b["shipments"] or a["clearance_hours_mean"] != b["clearance_hours_mean"]
    )
    assert not same_metrics(a, b)


def test_a_replication_does_not_depend_on_how_many_are_run():
    """Replication k gets the same numbers whether 2 or 5 replications are run."""
    scenario = build(small_data())
    two = sim.run(scenario, replications=2, seed=8).replications
    five = sim.run(scenario, replications=5, seed=8).replications
    assert same_metrics(two[1], five[1])
    assert not same_metrics(five[1], five[2])


def test_small_scenario_is_conserved():
    """The fixture scenario satisfies every invariant, and exercises the interesting paths."""
    scenario = build(small_data())
    rec, m = one_rep(scenario, seed=11)
    assert_conserved(scenario, rec, m)
    assert m["intercepted"] > 0 and m["released"] > 0 and m["leaks"] > 0
    assert m["station.physical.arrivals"] > 0


# --------------------------------------------------------------------------- referrals
# (assert_conserved over generated scenarios, every policy kind and modifier: test_properties.py)


def test_referral_to_a_check_on_the_route_examines_once():
    """A scan alarm referred to a physical check also on the route examines only once."""
    data = {
        "scenario": {"name": "nii", "days": 40, "warmup_days": 0, "drain_days": 2, "seed": 1},
        "traffic": {"shipments_per_day": 50, "commodities": {"goods": {"share": 1.0}}},
        "illicit": {"prevalence": 0.2, "kinds": {"falsified": 1.0}},
        "checks": {
            "scan": {
                "kind": "scan",
                "servers": 2,
                "duration_hours": {"dist": "fixed", "value": 0.1},
                "detect": {"falsified": 0.9},
                "false_alarm": 0.3,
                "on_alarm": "physical",
            },
            "physical": {
                "kind": "physical",
                "servers": 2,
                "duration_hours": {"dist": "exponential", "mean": 0.5},
                "detect": {"falsified": 0.5},
            },
        },
        "lanes": {"nii": ["scan", "physical"]},
        "policy": {"kind": "random", "default_lane": "nii"},
    }
    scenario = build(data)
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    done = rec.outcome != IN_SYSTEM
    # Everyone passes physical once: with 0.5 detection half the illicit ones are caught.
    assert m["interception_rate"] == pytest.approx(0.5, abs=0.12)
    assert not np.isnan(rec.end[1, done]).any()


def test_alarm_referred_back_to_a_check_already_passed_gets_its_verdict():
    """An alarm referred to a check already passed takes its verdict, without a second visit."""
    data = {
        "scenario": {"name": "back", "days": 60, "warmup_days": 0, "drain_days": 2, "seed": 1},
        "traffic": {"shipments_per_day": 50, "commodities": {"goods": {"share": 1.0}}},
        "illicit": {"prevalence": 0.2, "kinds": {"falsified": 1.0}},
        "checks": {
            "physical": {
                "kind": "physical",
                "servers": 5,
                "duration_hours": {"dist": "exponential", "mean": 0.5},
                "detect": {"falsified": 0.5},
            },
            "scan": {
                "kind": "scan",
                "servers": 5,
                "duration_hours": {"dist": "fixed", "value": 0.1},
                "detect": {"falsified": 1.0},
                "false_alarm": 1.0,
                "on_alarm": "physical",
            },
        },
        "lanes": {"all": ["physical", "scan"]},
        "policy": {"kind": "random", "default_lane": "all"},
    }
    scenario = build(data)
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    assert m["interception_rate"] == pytest.approx(0.5, abs=0.08)
    assert np.all(rec.intercepted_at[rec.outcome == INTERCEPTED] == 0)
    assert m["released"] > 0.8 * m["shipments"]


# --------------------------------------------------------------------------- selection


def no_selection_data(prevalence: float) -> dict[str, Any]:
    data = small_data()
    data["illicit"]["prevalence"] = prevalence
    data["policy"] = {"kind": "random", "rates": {}, "default_lane": "green"}
    return data


def test_no_selection_releases_everything_at_lodgement():
    """All green and no required checks: nothing inspected or intercepted, release at lodgement."""
    scenario = build(no_selection_data(0.05))
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    assert m["illicit"] > 0
    assert m["interception_rate"] == 0
    assert m["inspection_rate"] == 0
    assert math.isnan(m["hit_rate"])
    assert m["leaks"] == m["illicit"]
    released = rec.outcome == RELEASED
    np.testing.assert_allclose(rec.released[released], rec.traffic.lodged[released], rtol=1e-12)
    assert m["clearance_hours_mean"] == pytest.approx(m["segment.lodgement"], abs=1e-12)
    assert np.isnan(rec.enter).all()
    # Only shipments lodged after the end of the run are still inside.
    assert np.all(rec.traffic.lodged[rec.outcome == IN_SYSTEM] >= scenario.end_hours)


def test_no_illicit_goods_gives_undefined_interception_rate():
    """Without illicit shipments the interception rate is undefined (NaN), not 0 or 1."""
    _, m = one_rep(build(no_selection_data(0.0)))
    assert m["illicit"] == 0 and math.isnan(m["interception_rate"])


def selection_data(rate: float, route: list[str], prevalence: float = 0.2) -> dict[str, Any]:
    """Random selection at ``rate`` to a lane with the given checks, all with ample capacity."""
    return {
        "scenario": {
            "name": "sel",
            "days": 40,
            "warmup_days": 1,
            "drain_days": 2,
            "seed": 17,
            "replications": 4,
        },
        "traffic": {"shipments_per_day": 200, "commodities": {"medicine": {"share": 1.0}}},
        "illicit": {"prevalence": prevalence, "kinds": {"falsified": 0.5, "substandard": 0.5}},
        "checks": {
            "documents": {
                "kind": "documentary",
                "servers": 30,
                "duration_hours": {"dist": "exponential", "mean": 0.5},
                "detect": {"falsified": 0.3, "substandard": 0.3},
            },
            "physical": {
                "kind": "physical",
                "servers": 60,
                "duration_hours": {"dist": "lognormal", "mean": 2.0, "cv": 0.5},
                "detect": {"falsified": 0.6, "substandard": 0.6},
            },
        },
        "lanes": {"green": [], "red": route},
        "policy": {"kind": "random", "rates": {"red": rate}, "default_lane": "green"},
    }


def pooled(result: sim.RunResult, num: str, den: str) -> tuple[float, float]:
    """A ratio pooled over replications and its binomial standard error."""
    n = sum(r[den] for r in result.replications)
    x = sum(r[num] for r in result.replications)
    p = x / n
    return p, math.sqrt(p * (1 - p) / n)


def rate_and_hits(result: sim.RunResult) -> tuple[tuple[float, float], tuple[float, float]]:
    reps = result.replications
    interception = pooled(result, "intercepted", "illicit")
    inspected = sum(r["inspection_rate"] * r["shipments"] for r in reps)
    hits = sum(r["hit_rate"] * r["inspection_rate"] * r["shipments"] for r in reps)
    p = hits / inspected
    return interception, (p, math.sqrt(p * (1 - p) / inspected))


@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_random_selection_interception_is_rate_times_detection(rate):
    """Random selection s, detection d: interception = s d, hit rate = prevalence d."""
    prevalence, d = 0.2, 0.6
    result = sim.run(build(selection_data(rate, ["physical"], prevalence)))
    (interception, se_i), (hit, se_h) = rate_and_hits(result)
    assert result["censored"] == 0
    assert result["inspection_rate"] == pytest.approx(rate, abs=0.01)
    assert interception == pytest.approx(rate * d, abs=4 * se_i)
    assert hit == pytest.approx(prevalence * d, abs=4 * se_h)
    assert se_i < 0.1 * rate * d and se_h < 0.1 * prevalence * d  # tight enough to mean something


def test_independent_layers_combine_and_hits_count_only_the_inspection():
    """Two layers: interception = s(1-(1-d1)(1-d2)); hits count only the inspection's finds."""
    prevalence, s, d_phys, d_docs = 0.2, 0.4, 0.6, 0.3
    result = sim.run(build(selection_data(s, ["physical", "documents"], prevalence)))
    (interception, se_i), (hit, se_h) = rate_and_hits(result)
    assert interception == pytest.approx(s * (1 - (1 - d_phys) * (1 - d_docs)), abs=4 * se_i)
    assert hit == pytest.approx(prevalence * d_phys, abs=4 * se_h)


def test_documents_before_inspection_thin_the_inspected_stream():
    """A documentary check first thins the illicit stream that the inspection sees."""
    p, s, d_docs, d_phys = 0.2, 0.4, 0.3, 0.6
    result = sim.run(build(selection_data(s, ["documents", "physical"], p)))
    (interception, se_i), (hit, se_h) = rate_and_hits(result)
    assert interception == pytest.approx(s * (1 - (1 - d_phys) * (1 - d_docs)), abs=4 * se_i)
    assert hit == pytest.approx(p * (1 - d_docs) * d_phys / (1 - p * d_docs), abs=4 * se_h)


def test_detection_applies_per_illicit_kind():
    """A check finds each illicit kind at its own rate (here none of the substandard)."""
    data = selection_data(1.0, ["physical"])
    data["checks"]["physical"]["detect"] = {"falsified": 0.8}
    data["scenario"]["replications"] = 1
    _, m = one_rep(build(data))
    assert m["kind.substandard.interception_rate"] == 0
    assert m["kind.falsified.interception_rate"] == pytest.approx(0.8, abs=0.06)


# --------------------------------------------------------------------------- rosters


def roster_data(**check: Any) -> dict[str, Any]:
    physical = {
        "kind": "physical",
        "servers": 2,
        "roster": "office",
        "duration_hours": {"dist": "lognormal", "mean": 2.0, "cv": 0.5},
    }
    physical.update(check)
    return {
        "scenario": {"name": "roster", "days": 21, "warmup_days": 1, "drain_days": 7, "seed": 4},
        "traffic": {"shipments_per_day": 4, "commodities": {"goods": {"share": 1.0}}},
        "rosters": {
            "office": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": [[8.5, 17.0]]}
        },
        "checks": {"physical": physical},
        "lanes": {"red": ["physical"]},
        "policy": {"kind": "random", "default_lane": "red"},
    }


def test_office_hours_station_starts_only_when_open():
    """Office-hours check: starts only when open, finishes work in hand, night arrivals wait."""
    scenario = build(roster_data())
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    schedule = schedule_for(scenario, "office")
    start, end = rec.start[0], rec.end[0]
    started = ~np.isnan(start)
    assert started.sum() > 60
    assert all(schedule.is_open(s) for s in start[started])
    assert any(not schedule.is_open(e) for e in end[started]), "no service ran past closing"
    assert np.nanmax(start - rec.enter[0]) > 48  # weekend arrivals wait for Monday
    # On-duty capacity is the roster's open hours times the officers, exactly.
    open_hours = schedule.open_hours(scenario.warmup_hours, scenario.hours)
    assert rec.stations["physical"].capacity_area == pytest.approx(2 * open_hours)


def test_absence_halves_on_duty_capacity():
    """With absence 0.5, officer-hours on duty are about half of the full roster's."""
    data = roster_data(servers=20, roster="24/7", absence=0.5)
    data["scenario"]["days"] = 200
    data["traffic"]["shipments_per_day"] = 2
    scenario = build(data)
    rec, m = one_rep(scenario)
    full = 20 * (scenario.hours - scenario.warmup_hours)
    assert rec.stations["physical"].capacity_area / full == pytest.approx(0.5, abs=0.03)
    assert rec.stations["physical"].capacity_area / full != 0.5


def test_absences_change_capacity_once_a_day_within_the_roster():
    """Daily absences change the officers on duty only at openings, closings and midnight."""
    scenario = build(roster_data(servers=4, absence=0.5))
    check = scenario.checks["physical"]
    schedule = schedule_for(scenario, "office")
    absent = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4] * 5)
    changes = capacity_changes(check, schedule, absent, scenario.end_hours)
    for t, cap in changes:
        day = int(t // 24)
        if schedule.is_open(t):
            assert cap == 4 - absent[day]
        else:
            assert cap == 0
    assert all(b[1] != a[1] for a, b in zip(changes, changes[1:], strict=False))


def test_lodgement_roster_delays_lodgement_to_next_opening():
    """Late declarations are lodged at the roster's next opening; pre-arrival ones at arrival."""
    data = small_data()
    data["lodgement"]["roster"] = "office"
    scenario = build(data)
    always = build(small_data())
    seed_seq = sim.replication_seeds(5, 1)[0]
    office = generate(scenario, sim.Streams(seed_seq)).lodged
    traffic = generate(always, sim.Streams(seed_seq))
    schedule = schedule_for(scenario, "office")
    late = ~traffic.prearrival
    expected = [schedule.next_open(x) for x in traffic.lodged[late]]
    assert np.array_equal(office[late], expected)
    assert np.array_equal(office[~late], traffic.arrival[~late])
    assert all(schedule.is_open(x) for x in office[late])
    assert (office[late] - traffic.lodged[late]).max() > 48  # Friday night to Monday
    rec, m = one_rep(scenario, seed=5)
    assert_conserved(scenario, rec, m)


# --------------------------------------------------------------------------- checks


def guarantee_data(guarantee: bool) -> dict[str, Any]:
    return {
        "scenario": {"name": "lab", "days": 10, "warmup_days": 1, "drain_days": 4, "seed": 2},
        "traffic": {"shipments_per_day": 40, "commodities": {"medicine": {"share": 1.0}}},
        "illicit": {"prevalence": 0.2, "kinds": {"falsified": 0.5, "substandard": 0.5}},
        "checks": {
            "lab": {
                "kind": "lab",
                "servers": 300,
                "release_on_guarantee": guarantee,
                "duration_hours": {"dist": "fixed", "value": 72.0},
                "detect": {"falsified": 1.0, "substandard": 1.0},
            },
        },
        "lanes": {"test": ["lab"]},
        "policy": {"kind": "random", "default_lane": "test"},
    }


def test_release_on_guarantee_releases_without_waiting():
    """A guarantee lab test releases at once and reports finds as post-release detections."""
    scenario = build(guarantee_data(True))
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    assert m["illicit"] > 20
    assert m["intercepted"] == 0 and m["interception_rate"] == 0
    assert m["released.clearance_hours_max"] == pytest.approx(0.0, abs=1e-9)
    assert m["leaks"] == m["illicit"]
    assert m["post_release_detections"] == m["illicit"]  # drain > 72 h: every test finished
    assert "segment.lab.queue" not in m
    held = build(guarantee_data(False))
    rec_held, m_held = one_rep(held)
    assert_conserved(held, rec_held, m_held)
    assert m_held["interception_rate"] == 1.0
    assert m_held["clearance_hours_mean"] == pytest.approx(72.0)
    assert m_held["post_release_detections"] == 0


def test_required_check_is_visited_whatever_the_lane():
    """A commodity in a check's required_for passes it even in the green lane; others do not."""
    data = small_data()
    data["checks"]["regulator"] = {
        "kind": "permit",
        "servers": 5,
        "required_for": ["vaccine"],
        "duration_hours": {"dist": "exponential", "mean": 1.0},
        "detect": {"falsified": 0.5},
    }
    scenario = build(data)
    rec, m = one_rep(scenario)
    assert_conserved(scenario, rec, m)
    k = list(scenario.checks).index("regulator")
    vaccine = rec.traffic.commodity == list(scenario.traffic.commodities).index("vaccine")
    green = rec.lane == list(scenario.lanes).index("green")
    released = rec.outcome == RELEASED
    assert (vaccine & green).sum() > 50
    assert not np.isnan(rec.enter[k, vaccine & green]).any()
    assert not np.isnan(rec.end[k, vaccine & released]).any()
    assert np.isnan(rec.enter[k, ~vaccine]).all()
    assert m["segment.regulator.service"] > 0


def test_cold_chain_shipments_held_too_long_spoil():
    """Cold-chain shipments held beyond their tolerance count as spoiled, and only those."""
    data = {
        "scenario": {"name": "cold", "days": 10, "warmup_days": 1, "drain_days": 2, "seed": 3},
        "traffic": {
            "shipments_per_day": 40,
            "commodities": {
                "vaccine": {"share": 0.3, "cold_chain_hours": 5.0},
                "insulin": {"share": 0.3, "cold_chain_hours": 20.0},
                "device": {"share": 0.4},
            },
        },
        "checks": {
            "permit": {
                "kind": "permit",
                "servers": 100,
                "duration_hours": {"dist": "fixed", "value": 10.0},
            }
        },
        "lanes": {"all": ["permit"]},
        "policy": {"kind": "random", "default_lane": "all"},
    }
    scenario = build(data)
    rec, m = one_rep(scenario)
    c = counted(scenario, rec)
    vaccines = (c & (rec.traffic.commodity == 0)).sum()
    assert vaccines > 50
    assert m["released.clearance_hours_max"] == pytest.approx(10.0)
    assert m["spoiled"] == vaccines
    faster = copy.deepcopy(data)
    faster["checks"]["permit"]["duration_hours"]["value"] = 4.0
    assert one_rep(build(faster))[1]["spoiled"] == 0


def test_hourly_station_series_add_up_to_the_window_averages():
    """The hour-by-hour queue, busy and on-duty means agree with the window's time averages,
    and an office-hours station has no officer on duty at night."""
    s = build(small_data())
    rec = sim.simulate(s, sim.replication_seeds(5, 1)[0])
    lo, hi = int(s.warmup_hours), int(s.hours)
    span = s.hours - s.warmup_hours
    for name in s.checks:
        st = rec.stations[name]
        assert len(st.hourly_queue) == int(np.ceil(s.end_hours))
        assert st.hourly_queue[lo:hi].sum() == pytest.approx(st.queue_area, rel=1e-9)
        assert st.hourly_busy[lo:hi].sum() == pytest.approx(st.busy_area, rel=1e-9)
        assert st.hourly_on_duty[lo:hi].sum() == pytest.approx(st.capacity_area, rel=1e-9)
        assert st.busy_area / span > 0
    night = [h for h in range(len(rec.stations["physical"].hourly_on_duty)) if h % 24 < 8]
    assert not rec.stations["physical"].hourly_on_duty[night].any()


def test_a_find_confirmed_by_the_laboratory_is_a_hit_of_the_examination():
    """A physical examination refers its alarms to a laboratory, which confirms or clears them:
    every confirmed find is a hit of the examination (the hit rate was 0 when only finds at the
    inspection itself counted), and each check counts the alarms it raised and those confirmed."""
    data = small_data()
    data["illicit"]["prevalence"] = 0.2
    data["checks"]["physical"].update(on_alarm="lab", false_alarm=0.1)
    data["checks"]["lab"] = {
        "kind": "lab",
        "servers": 4,
        "duration_hours": {"dist": "fixed", "value": 2.0},
        "detect": {"falsified": 0.9, "substandard": 0.9},
    }
    scenario = build(data)
    rec, m = one_rep(scenario)
    t = rec.traffic
    counted = (t.arrival >= scenario.warmup_hours) & (t.arrival < scenario.hours)
    phys, lab = rec.checks.index("physical"), rec.checks.index("lab")
    examined = counted & np.isin(np.arange(len(t)), rec.visits[phys].sid)
    confirmed = counted & (rec.outcome == INTERCEPTED) & (rec.intercepted_at == lab)
    assert confirmed.sum() > 5 and not np.any(rec.intercepted_at == phys)
    assert m["hit_rate"] == pytest.approx((confirmed & examined).sum() / m["inspected"])
    # Alarms of the examination: every one went to the laboratory; those it confirmed are the
    # examination's confirmed alarms, the rest were cleared (false alarms or missed there).
    v = rec.visits[phys]
    alarmed = v.sid[v.alarm & counted[v.sid]]
    assert m["check.physical.alarms"] == alarmed.size > m["check.physical.alarms_confirmed"]
    assert m["check.physical.alarms_confirmed"] == confirmed[alarmed].sum() > 0
    assert np.isin(alarmed, rec.visits[lab].sid).all()
    assert m["check.lab.alarms_confirmed"] == m["check.lab.alarms"] == confirmed.sum()
