"""The Time Release Study stages around the checks: unloading to the warehouse, trader queries,
permits for a share of a commodity's shipments, payment of duties and exit from customs control;
and the TRS breakdown, whose segments add up to the clearance time of every released shipment.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastpath import assert_same_records, run

import sim
from sim.files.text import format_summary
from sim.measure import names
from sim.schema import ScenarioError

from conftest import build, changed, small_data

EXP = {"dist": "exponential", "mean": 2.0}
STAGES = {
    "unloading": {"unloading": {"delay_hours": {"dist": "exponential", "mean": 3.0}}},
    "query": {"checks__documents__query": {"share": 0.3, "answer_hours": EXP}},
    "permit": {
        "checks__permit": {
            "kind": "permit",
            "servers": 2,
            "duration_hours": {"dist": "exponential", "mean": 0.5},
            "required_for": {"medicine": 0.3, "vaccine": 1.0},
        }
    },
    "payment": {"payment": {"delay_hours": EXP, "share": 0.8}},
    "exit": {"exit": {"delay_hours": {"dist": "exponential", "mean": 5.0}}},
}
STAGE_METRICS = {
    "unloading": [names.UNLOADING],
    "query": [names.segment("documents", names.QUERY)],
    "permit": [names.segment("permit", "queue"), names.segment("permit", "service")],
    "payment": [names.PAYMENT],
    "exit": [names.EXIT, names.ARRIVAL_TO_EXIT],
}


def short(days: float = 5, **changes: Any) -> dict[str, Any]:
    data = changed(small_data(), **changes)
    data["scenario"].update(days=days, replications=1)
    return data


def every_stage(**changes: Any) -> dict[str, Any]:
    data = short()
    for stage in STAGES.values():
        data = changed(data, **stage)
    return changed(data, **changes)


def clearance_adds_up(scenario: sim.Scenario, rec: sim.Records) -> dict[str, float]:
    """The metrics, after checking that the segments add up to the released mean."""
    m = sim.replication_metrics(scenario, rec)
    total = sum(v for k, v in m.items() if names.is_segment(k))
    assert total == pytest.approx(m["released.clearance_hours_mean"], abs=1e-9)
    return m


@pytest.mark.parametrize("stage", list(STAGES))
def test_each_stage_on_and_off(stage):
    """Off, its metrics are absent and the records are those of the scenario without it; on,
    they appear, the traffic and selections are the same, and the segments add up."""
    off = build(short())
    on = build(short(**STAGES[stage]))
    a, b = run(off, exact=False).records, run(on, exact=False).records
    m_off, m_on = clearance_adds_up(off, a), clearance_adds_up(on, b)
    for metric in STAGE_METRICS[stage]:
        assert metric not in m_off
        assert metric in m_on and m_on[metric] > 0
    np.testing.assert_array_equal(a.traffic.arrival, b.traffic.arrival)
    np.testing.assert_array_equal(a.lane, b.lane)
    assert a.cleared is None  # a column per shipment only with [payment]
    assert (b.cleared is not None) == (stage == "payment")


def test_unloading_delays_goods_checks_and_release_but_not_documents():
    data = short(
        unloading={"delay_hours": {"dist": "uniform", "low": 2.0, "high": 6.0}},
        traffic__prearrival_share=0.0,
    )
    data["rosters"] = {}
    data["checks"]["physical"]["roster"] = "24/7"
    scenario = build(data)
    rec = run(scenario, exact=False).records
    tr = rec.traffic
    assert np.all(tr.ready >= tr.arrival + 2.0)
    docs, phys = rec.visits[0], rec.visits[1]
    # Documents are checked as soon as the declaration is lodged, goods or not.
    np.testing.assert_array_equal(docs.enter, rec.selected[docs.sid])
    assert np.any(docs.enter < tr.ready[docs.sid])
    # The physical examination waits for the goods; release comes no earlier than them.
    assert np.all(phys.enter >= tr.ready[phys.sid])
    released = rec.outcome == sim.model.records.RELEASED
    assert np.all(rec.released[released] >= tr.ready[released])
    clearance_adds_up(scenario, rec)


@pytest.mark.parametrize("deferred", [True, False])
def test_payment_is_deferred_for_aeo_traders(deferred):
    scenario = build(short(payment={"delay_hours": EXP, "deferred_for_aeo": deferred}))
    rec = run(scenario, exact=False).records
    done = ~np.isnan(rec.released)
    aeo = rec.traffic.aeo
    assert np.all(rec.cleared[done] <= rec.released[done])
    paid = rec.released > rec.cleared
    assert np.all(paid[done & ~aeo])  # a positive delay: every other trader waits
    if deferred:
        assert not np.any(paid[done & aeo])
    else:
        assert np.all(paid[done & aeo])


def test_payment_by_commodity_and_share():
    scenario = build(short(payment={"delay_hours": EXP, "commodities": ["vaccine"], "share": 0.5}))
    rec = run(scenario, exact=False).records
    done = ~np.isnan(rec.released) & ~rec.traffic.aeo
    paid = rec.released > rec.cleared
    vaccine = rec.traffic.commodity == 0
    assert not np.any(paid[done & ~vaccine])
    n = int((done & vaccine).sum())
    share = paid[done & vaccine].mean()
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / n)


def test_a_query_adds_exactly_the_answer_time_to_the_clearance():
    """With officers to spare (no queue), a shipment asked a question is released the answer
    time later than without the question; the others at the same time."""
    data = short(traffic__prearrival_share=0.0)
    data["rosters"] = {}
    data["lodgement"] = {}
    data["checks"] = {
        "documents": {"kind": "documentary", "servers": 500, "duration_hours": EXP},
    }
    data["lanes"] = {"yellow": ["documents"]}
    data["policy"] = {"kind": "random", "rates": {}, "default_lane": "yellow"}
    data["illicit"]["prevalence"] = 0.0
    plain = run(build(data), exact=False).records
    asked = build(changed(data, checks__documents__query={"share": 0.4, "answer_hours": EXP}))
    rec = run(asked, exact=False).records
    v = rec.visits[0]
    wait = np.nan_to_num(v.answered - v.end)
    done = ~np.isnan(rec.released[v.sid]) & ~np.isnan(plain.released[v.sid])
    np.testing.assert_allclose(
        rec.released[v.sid][done] - plain.released[v.sid][done], wait[done], atol=1e-9
    )
    asked_share = (~np.isnan(v.answered)).mean()
    assert abs(asked_share - 0.4) < 4 * math.sqrt(0.24 / len(v))
    cols = rec.columns(asked)
    assert "documents.answered" in cols
    assert "documents.answered" not in plain.columns(build(data))
    m = clearance_adds_up(asked, rec)
    assert m[names.segment("documents", names.QUERY)] > 0


def test_permit_shares_give_the_stated_share():
    data = short(days=20, **STAGES["permit"])
    data["policy"] = {"kind": "random", "rates": {}}  # green: only the permit is a check
    scenario = build(data)
    rec = run(scenario, exact=False).records
    permit = np.zeros(len(rec.traffic), dtype=bool)
    permit[rec.visits[2].sid] = True
    commodity = rec.traffic.commodity
    selected = ~np.isnan(rec.selected)  # a shipment still to be lodged has no route yet
    medicine = selected & (commodity == 1)
    share = permit[medicine].mean()
    n = int(medicine.sum())
    assert abs(share - 0.3) < 4 * math.sqrt(0.21 / n)
    assert permit[selected & (commodity == 0)].all()  # vaccines: share 1


def test_a_list_is_a_share_of_one_with_no_draw():
    listed = build(short(**STAGES["permit"], checks__permit__required_for=["vaccine"]))
    table = build(short(**STAGES["permit"], checks__permit__required_for={"vaccine": 1.0}))
    assert_same_records(run(listed, exact=False).records, run(table, exact=False).records)


@pytest.mark.parametrize("unloading_roster", ["24/7", "office"])
def test_fast_path_equals_exact_path_with_every_stage(unloading_roster):
    data = every_stage(unloading__roster=unloading_roster)
    data["policy"]["prearrival"] = {}
    scenario = build(data)
    for replication in range(2):
        fast = run(scenario, exact=False, replication=replication)
        slow = run(scenario, exact=True, replication=replication)
        if unloading_roster == "24/7":
            assert fast.fast, "the fast path gave up: a tie where none was expected"
        assert_same_records(fast.records, slow.records)
        np.testing.assert_array_equal(fast.records.cleared, slow.records.cleared)
        for a, b in zip(fast.records.visits, slow.records.visits, strict=True):
            np.testing.assert_array_equal(a.answered, b.answered)
        m = clearance_adds_up(scenario, slow.records)
        ordered = names.segment_order(m, list(scenario.checks))
        assert ordered[0] == names.UNLOADING and ordered[-1] == names.PAYMENT


def test_exit_comes_after_release():
    scenario = build(short(**STAGES["exit"]))
    rec = run(scenario, exact=False).records
    cols = rec.columns(scenario)
    done = ~np.isnan(rec.released)
    assert np.all(cols["exit"][done] > rec.released[done])
    assert np.isnan(cols["exit"][~done]).all()
    m = sim.replication_metrics(scenario, rec)
    assert m[names.ARRIVAL_TO_EXIT] > m[names.EXIT]


def test_segment_labels_are_the_guides():
    assert names.segment_label(names.UNLOADING) == "Arrival to goods in the warehouse (unloading)"
    assert names.segment_label(names.LODGEMENT) == "Lodgement of the declaration"
    assert names.segment_label(names.segment("scan", "queue")) == "scan: waiting"
    assert names.segment_label(names.segment("scan", "service")) == "scan: checking"
    assert (
        names.segment_label(names.segment("scan", names.QUERY))
        == "scan: awaiting the trader's answer"
    )
    assert names.segment_label(names.PAYMENT) == "Payment of duties and taxes"
    assert names.segment_label(names.EXIT) == "Release to exit (pick-up)"
    assert names.segment_checks([names.UNLOADING, names.PAYMENT, "segment.scan.queue"]) == ["scan"]


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"payment": {"delay_hours": EXP, "roster": "night"}}, "payment.roster", "unknown roster"),
        (
            {"checks__documents__required_for": {"insulin": 0.5}},
            "checks.documents.required_for",
            "unknown commodity",
        ),
        (
            {"checks__documents__required_for": {"vaccine": 1.5}},
            "checks.documents.required_for",
            "share of 'vaccine' must be from 0 to 1, got 1.5",
        ),
        ({"payment": {"delay_hours": EXP, "share": -0.1}}, "payment.share", "0"),
        (
            {"checks__documents__query": {"share": 2, "answer_hours": EXP}},
            "checks.documents.query.share",
            "1",
        ),
        (
            {"payment": {"delay_hours": EXP, "commodities": ["insulin"]}},
            "payment.commodities",
            "unknown commodity",
        ),
    ],
)
def test_bad_stage_input_gives_one_clear_message(changes, path, words):
    with pytest.raises(ScenarioError) as info:
        build(short(), **changes)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0][0] == path and words in problems[0][1], problems


def test_at_most_eight_checks_with_shares():
    data = short()
    for j in range(9):
        data["checks"][f"permit{j}"] = {
            "kind": "permit",
            "servers": 1,
            "duration_hours": EXP,
            "required_for": {"vaccine": 0.5},
        }
    with pytest.raises(ScenarioError) as info:
        build(data)
    assert "at most 8 checks" in str(info.value) and "route" in str(info.value)


delays = st.sampled_from(
    [
        {"dist": "exponential", "mean": 1.5},
        {"dist": "fixed", "value": 2.0},
        {"dist": "uniform", "low": 0.5, "high": 4.0},
    ]
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    unloading=st.none() | delays,
    unloading_roster=st.sampled_from(["24/7", "office"]),
    query=st.none() | st.floats(0.05, 1.0),
    permit=st.none() | st.floats(0.05, 0.95),
    payment=st.none() | st.floats(0.0, 1.0),
    payment_roster=st.sampled_from(["24/7", "office"]),
    prearrival=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_segments_add_up_and_every_shipment_ends_somewhere(
    unloading, unloading_roster, query, permit, payment, payment_roster, prearrival, seed
):
    data = short(days=3, scenario__seed=seed, traffic__shipments_per_day=60)
    data["scenario"]["drain_days"] = 1
    if unloading is not None:
        data["unloading"] = {"delay_hours": unloading, "roster": unloading_roster}
    if query is not None:
        data["checks"]["physical"]["query"] = {"share": query, "answer_hours": EXP}
    if permit is not None:
        data = changed(data, **STAGES["permit"], checks__permit__required_for={"medicine": permit})
    if payment is not None:
        data["payment"] = {"delay_hours": EXP, "share": payment, "roster": payment_roster}
    if prearrival:
        data["policy"]["prearrival"] = {}
    scenario = build(data)
    rec = run(scenario, exact=False).records
    assert set(np.unique(rec.outcome)) <= {0, 1, 2}
    released = rec.outcome == 1
    assert np.isnan(rec.released[~released]).all() and not np.isnan(rec.released[released]).any()
    # Never released before the goods are ready; a release timed by a timeout until then
    # lands at now + (ready - now), which may round one unit in the last place below ready.
    ready = rec.traffic.ready[released]
    assert np.all(rec.released[released] >= ready - 1e-12 * np.maximum(ready, 1.0))
    m = clearance_adds_up(scenario, rec)
    assert m["released"] + m["intercepted"] + m["censored"] == m["shipments"]


def test_the_run_text_shows_the_breakdown_by_the_guides_names_adding_up():
    scenario = build(every_stage())
    result = sim.run(scenario, progress=False)
    summary = result.summary()
    text = format_summary(scenario, summary, 1)
    lines = text.splitlines()
    start = lines.index("  Time Release Study breakdown, mean hours per released shipment:")
    labels = [names.segment_label(m) for m in names.segment_order(summary, scenario.checks)]
    shown = [line.strip() for line in lines[start + 1 : start + 1 + len(labels)]]
    assert [s[: len(label)] for s, label in zip(shown, labels, strict=True)] == labels
    assert labels[0].startswith("Arrival to goods") and labels[-1].startswith("Payment")
    parts = sum(summary[m]["mean"] for m in names.segment_order(summary, scenario.checks))
    total = summary[names.released("clearance_hours_mean")]["mean"]
    assert parts == pytest.approx(total, rel=1e-9)
    assert any(line.strip().startswith("Release to exit (pick-up)") for line in lines)


def test_a_release_timed_to_the_goods_may_round_below_ready_by_one_unit_only():
    """The case that found it: released at now + (ready - now), one unit in the last place
    below ``ready``, on both paths alike."""
    data = short(days=3, scenario__seed=86, traffic__shipments_per_day=60)
    data["scenario"]["drain_days"] = 1
    data["unloading"] = {"delay_hours": {"dist": "exponential", "mean": 1.5}, "roster": "24/7"}
    scenario = build(data)
    fast, exact = run(scenario, exact=False).records, run(scenario, exact=True).records
    assert_same_records(fast, exact)
    released = fast.outcome == 1
    gap = fast.traffic.ready[released] - fast.released[released]
    assert gap.max() <= np.spacing(fast.traffic.ready[released]).max()
