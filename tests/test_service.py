"""Service times that depend on the goods (``duration_by_commodity``) and on the lane
(``duration_by_lane``), and the waits at each station by queue class and commodity.

A shipment's time at a check is its commodity's if listed, else its lane's, else
``duration_hours``; it is its own (the same under every policy that sends it to the same lane,
on both entry paths, run after run), and a check without these tables draws exactly what it
drew before they existed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fastpath import assert_same_records, digest, run
from test_scenario_errors import message_at, problems_of

import sim
from sim.measure import names
from sim.measure.statistics import summarise
from sim.measure.waits import class_waits
from sim.model.border import Border
from sim.schema import ScenarioError
from sim.streams import PerShipment, Streams

from conftest import changed, mmc_data

VACCINE = {"dist": "exponential", "mean": 0.2}
RED = {"dist": "gamma", "mean": 0.6, "cv": 0.5}
OWN = {"dist": "lognormal", "mean": 1.5, "cv": 0.4}


def goods_data(days: float = 30, **extra) -> dict:
    """One 24/7 check with ample officers (service times as drawn, hardly any wait), two
    commodities and two lanes through it: vaccines take their own time, medicines sent red
    take the red lane's, other medicines duration_hours."""
    data = mmc_data(lam=6.0, c=40, days=days, warmup_days=1, replications=2, duration=OWN)
    data["traffic"]["commodities"] = {
        "vaccine": {"share": 0.3, "priority": True},
        "medicine": {"share": 0.7},
    }
    data["lanes"] = {"yellow": ["desk"], "red": ["desk"]}
    data["policy"] = {"kind": "random", "rates": {"red": 0.4}, "default_lane": "yellow"}
    data["checks"]["desk"]["duration_by_commodity"] = {"vaccine": VACCINE}
    data["checks"]["desk"]["duration_by_lane"] = {"red": RED}
    return changed(data, **extra)


def service_by_class(rec: sim.Records) -> dict[str, np.ndarray]:
    """Service times (end - start) of ended visits at the first check, by which duration
    applies: vaccines, red medicines, other medicines."""
    v = rec.visits[0]
    done = ~np.isnan(v.end)
    sid = v.sid[done]
    service = (v.end - v.start)[done]
    vaccine = rec.traffic.commodity[sid] == 0
    red = rec.lane[sid] == rec.lanes.index("red")
    return {
        "vaccine": service[vaccine],
        "red": service[~vaccine & red],
        "other": service[~vaccine & ~red],
    }


def test_each_shipment_takes_its_commodity_else_its_lane_else_the_checks_duration():
    """Mean service by class within 5 standard errors of its distribution's mean; vaccines
    sent red keep their own time (the commodity's comes first)."""
    scenario = sim.from_dict(goods_data(), "goods")
    rec = run(scenario, exact=False).records
    groups = service_by_class(rec)
    for group, dist, sd in (
        ("vaccine", VACCINE, 0.2),
        ("red", RED, 0.3),
        ("other", OWN, 0.6),
    ):
        times = groups[group]
        assert times.size > 1000, group
        se = sd / math.sqrt(times.size)
        assert abs(times.mean() - dist["mean"]) < 5 * se, (group, times.mean())
    # Vaccines in the red lane: exponential with mean 0.2, not the red lane's gamma.
    v = rec.visits[0]
    red_vaccines = (rec.lane[v.sid] == 1) & (rec.traffic.commodity[v.sid] == 0)
    red_vaccines &= ~np.isnan(v.end)
    assert (v.end - v.start)[red_vaccines].mean() < 0.3


def test_a_check_without_goods_durations_draws_as_before():
    """No tables (or empty ones): the check's one per-shipment stream, the same records."""
    plain = mmc_data(lam=6.0, c=8, days=5, warmup_days=1)
    scenario = sim.from_dict(plain, "plain")
    border = run(scenario, exact=False)
    assert isinstance(border.stations[0].service, PerShipment)
    empty = changed(
        plain, checks__desk__duration_by_commodity={}, checks__desk__duration_by_lane={}
    )
    again = run(sim.from_dict(empty, "plain"), exact=False)
    assert isinstance(again.stations[0].service, PerShipment)
    assert digest(again.records) == digest(border.records)
    # A lane table naming a lane no shipment is sent to: every time is duration_hours' own.
    two_lanes = changed(plain, lanes={"all": ["desk"], "other": ["desk"]})
    listed = changed(two_lanes, checks__desk__duration_by_lane={"other": OWN})
    with_table = run(sim.from_dict(listed, "plain"), exact=False)
    assert not isinstance(with_table.stations[0].service, PerShipment)
    without = run(sim.from_dict(two_lanes, "plain"), exact=False)
    assert digest(with_table.records) == digest(without.records)


def test_fast_and_exact_paths_give_the_same_records():
    scenario = sim.from_dict(goods_data(days=10), "goods")
    for replication in (0, 1):
        fast = run(scenario, exact=False, replication=replication)
        slow = run(scenario, exact=True, replication=replication)
        assert fast.fast, "the fast path gave up"
        assert_same_records(fast.records, slow.records)


def test_the_same_run_twice_gives_the_same_records():
    scenario = sim.from_dict(goods_data(days=5), "goods")
    assert digest(run(scenario, exact=False).records) == digest(run(scenario, False).records)


def test_a_shipment_checked_under_two_policies_takes_the_same_time():
    """Common random numbers: two selection rates send different shipments red; a shipment
    that both send red (or both yellow) takes the same time at the desk under both."""
    scenario_a = sim.from_dict(goods_data(days=10), "a")
    scenario_b = sim.from_dict(goods_data(days=10, policy__rates={"red": 0.7}), "b")
    a, b = run(scenario_a, exact=False), run(scenario_b, exact=False)
    va, vb = a.records.visits[0], b.records.visits[0]
    both, ia, ib = np.intersect1d(va.sid, vb.sid, return_indices=True)
    same_lane = a.records.lane[both] == b.records.lane[both]
    ended = ~np.isnan(va.end[ia]) & ~np.isnan(vb.end[ib])
    keep = same_lane & ended
    assert keep.sum() > 500 and (~same_lane).sum() > 100
    np.testing.assert_allclose(
        (va.end - va.start)[ia][keep], (vb.end - vb.start)[ib][keep], rtol=1e-9, atol=1e-9
    )
    # The drawn times themselves are equal to the bit, lane by lane, for every shipment.
    sa, sb = a.stations[0].service, b.stations[0].service
    for sid in both[same_lane][:200]:
        assert sa[int(sid)] == sb[int(sid)]
    # Vaccines take their own time whatever their lane.
    vaccines = both[a.records.traffic.commodity[both] == 0]
    assert vaccines.size and all(sa[int(s)] == sb[int(s)] for s in vaccines[:200])


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ("duration_by_commodity", "vacine", ["unknown commodity", "did you mean 'vaccine'"]),
        ("duration_by_lane", "redd", ["unknown lane", "did you mean 'red'", "yellow"]),
    ],
)
def test_an_unknown_name_is_refused_with_its_key_path(table, key, words):
    data = goods_data(**{f"checks__desk__{table}": {key: VACCINE}})
    msg = message_at(problems_of(data), f"checks.desk.{table}.{key}")
    for word in words:
        assert word in msg, msg


def test_a_distribution_too_extreme_to_draw_from_is_refused():
    huge = {"dist": "lognormal", "mean": 1, "cv": 1e200}
    data = goods_data(checks__desk__duration_by_lane={"red": huge})
    assert "too extreme" in message_at(problems_of(data), "checks.desk.duration_by_lane.red")
    data = goods_data(checks__desk__duration_by_commodity={"vaccine": {"dist": "fixed"}})
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<test>")
    assert any("duration_by_commodity.vaccine" in path for path, _ in info.value.problems)


# ------------------------------------------------------------------------- per-class waits


def busy_goods_data() -> dict:
    """The goods scenario at a busy check (6 officers busy 86% of the time), so that classes
    wait differently."""
    return goods_data(days=20, checks__desk__servers=6)


def test_class_waits_equal_a_direct_computation_from_the_records():
    scenario = sim.from_dict(busy_goods_data(), "busy")
    rec = sim.simulate(scenario, sim.replication_seeds(3, 1)[0])
    m = sim.replication_metrics(scenario, rec)
    lo, hi = scenario.warmup_hours, scenario.hours
    enter, start = rec.enter[0], rec.start[0]
    joined = (enter >= lo) & (enter < hi)
    wait = start - enter
    groups = {
        names.station_class("desk", "priority", ""): joined & rec.priority,
        names.station_class("desk", "non_priority", ""): joined & ~rec.priority,
        names.station_commodity("desk", "vaccine", ""): joined & (rec.traffic.commodity == 0),
        names.station_commodity("desk", "medicine", ""): joined & (rec.traffic.commodity == 1),
    }
    for prefix, mask in groups.items():
        assert m[prefix + "arrivals"] == mask.sum()
        assert m[prefix + "wait_hours_mean"] == pytest.approx(np.nanmean(wait[mask]), rel=1e-12)
    # Priority shipments wait less; the classes' arrivals add up to the station's.
    assert (
        m["station.desk.priority.wait_hours_mean"] < m["station.desk.non_priority.wait_hours_mean"]
    )
    total = m["station.desk.priority.arrivals"] + m["station.desk.non_priority.arrivals"]
    assert total == m["station.desk.arrivals"]
    # The classes' waits, weighted by their visits started, give the station's mean wait.
    started = joined & ~np.isnan(start)
    weighted = sum(
        m[prefix + "wait_hours_mean"] * (mask & started).sum()
        for prefix, mask in list(groups.items())[:2]
    )
    assert weighted / started.sum() == pytest.approx(m["station.desk.wait_hours_mean"], rel=1e-9)


def test_a_class_with_no_visit_has_no_wait():
    """A class nobody is queued in: 0 arrivals, no mean wait (NaN, left out of the summary)."""
    scenario = sim.from_dict(goods_data(days=4), "goods")
    rec = sim.simulate(scenario, sim.replication_seeds(1, 1)[0])
    rec.priority[:] = False  # as if nothing had been queued with priority
    m = class_waits(scenario, rec)
    assert m["station.desk.priority.arrivals"] == 0
    assert math.isnan(m["station.desk.priority.wait_hours_mean"])
    assert (
        m["station.desk.non_priority.arrivals"]
        == m["station.desk.commodity.vaccine.arrivals"]
        + (m["station.desk.commodity.medicine.arrivals"])
    )
    assert summarise([m, m])["station.desk.priority.wait_hours_mean"]["n"] == 0


def test_summaries_treat_class_waits_as_means_and_their_arrivals_as_counts():
    scenario = sim.from_dict(busy_goods_data(), "busy")
    reps = [
        sim.replication_metrics(scenario, sim.simulate(scenario, seed))
        for seed in sim.replication_seeds(4, 2)
    ]
    summary = summarise(reps)
    for key in (
        "station.desk.priority.wait_hours_mean",
        "station.desk.commodity.vaccine.wait_hours_mean",
    ):
        assert summary[key]["method"] == "t"
        assert summary[key]["ci_low"] >= 0
    assert summary["station.desk.non_priority.arrivals"]["method"] == "poisson"
    assert summary["station.desk.commodity.medicine.arrivals"]["method"] == "poisson"
    assert names.stations(summary) == ["desk"]
    assert names.station_commodities(summary, "desk") == ["vaccine", "medicine"]


@settings(max_examples=50, deadline=None)
@given(
    check=st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True),
    group=st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True),
)
def test_class_names_read_back(check, group):
    """A class's metric names split to their station, count arrivals, and never pass as
    shares."""
    for metric in (
        names.station_commodity(check, group, "arrivals"),
        names.station_class(check, group, "arrivals"),
    ):
        assert names.split(metric)[:2] == ("station", check)
        assert names.is_count(metric)
        assert names.stations([metric]) == [check]
    for metric in (
        names.station_commodity(check, group, "wait_hours_mean"),
        names.station_class(check, group, "wait_hours_mean"),
    ):
        assert not names.is_count(metric) and not names.at_most_one(metric)
    assert names.station_commodities([names.station_commodity(check, group, "x")], check) == [group]


def test_streams_of_goods_durations_are_their_own():
    """A commodity's durations come from a stream named after the check and the commodity:
    adding a commodity's table leaves the other commodities' times untouched."""
    base = sim.from_dict(goods_data(days=3), "a")
    more = sim.from_dict(
        goods_data(
            days=3, checks__desk__duration_by_commodity={"vaccine": VACCINE, "medicine": RED}
        ),
        "b",
    )
    seed = sim.replication_seeds(1, 1)[0]
    a, b = Border(base, Streams(seed)), Border(more, Streams(seed))
    vaccines = np.flatnonzero(a.traffic.commodity == 0)[:100]
    assert [a.stations[0].service[int(s)] for s in vaccines] == [
        b.stations[0].service[int(s)] for s in vaccines
    ]


def test_the_reports_station_table_shows_class_waits_where_classes_differ():
    """Rows for the queue classes and the commodities a station saw, only where it saw more
    than one (one class's wait would repeat the station's)."""
    from types import SimpleNamespace

    from sim.present.tables import _class_wait_rows

    def stat(mean):
        return {"mean": mean, "n": 2 if mean is not None else 0}

    stats = {
        "station.desk.priority.wait_hours_mean": stat(0.1),
        "station.desk.non_priority.wait_hours_mean": stat(0.5),
        "station.desk.commodity.vaccine.wait_hours_mean": stat(0.1),
        "station.desk.commodity.medicine.wait_hours_mean": stat(0.5),
        "station.lab.priority.wait_hours_mean": stat(None),
        "station.lab.non_priority.wait_hours_mean": stat(2.0),
        "station.lab.commodity.vaccine.wait_hours_mean": stat(None),
        "station.lab.commodity.medicine.wait_hours_mean": stat(2.0),
    }
    saved = SimpleNamespace(points=[SimpleNamespace(stats=stats)])
    rows = _class_wait_rows(saved, "desk", ["vaccine", "medicine"])
    assert [label for label, _, _ in rows] == [
        "desk: wait, priority (h)",
        "desk: wait, other than priority (h)",
        "desk: wait, vaccine (h)",
        "desk: wait, medicine (h)",
    ]
    assert all(metric in stats for _, metric, _ in rows)
    assert _class_wait_rows(saved, "lab", ["vaccine", "medicine"]) == []
