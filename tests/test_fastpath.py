"""The fast per-shipment path gives exactly the numbers of the slow (exact) path.

- The two benchmark scenarios (benchmarks/: the M/M/c queue with 220,000 customers and the
  baseline stretched to 200,000 shipments) match golden values computed with the engine as it
  was before the fast path (one SimPy process per shipment), on both paths: every record
  column bit for bit (a SHA-256 of them) and every summary metric exactly.
- On small scenarios covering every feature (policies, modifiers, office-hours lodgement,
  pre-arrival processing, referrals, release on guarantee, absences, fixed service times that
  make events coincide, a run ending mid-hour, a plug-in reading the border), the fast path's
  records equal the slow path's (``simulate(..., exact=True)``), and both equal the old
  engine's (digests in the golden file, with the scenarios themselves).

If sim/measure/metrics.py changes what a metric means, its golden value here goes stale: the record
digests still pin the engine; recompute the metrics part with the slow path.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.model.border import Border
from sim.model.fast import _Clock
from sim.model.traffic import generate
from sim.policies.selectivity import Selectivity
from sim.streams import PerShipment, Streams

from conftest import build, changed, small_data

GOLDEN_FILE = json.loads((Path(__file__).with_name("fastpath_golden.json")).read_text())
GOLDEN = GOLDEN_FILE["cases"]
COLUMNS = (
    "lane",
    "selected_by",
    "selected",
    "priority",
    "released",
    "outcome",
    "intercepted_at",
    "post_release_at",
    "enter",
    "start",
    "end",
)


def digest(rec: sim.Records) -> str:
    """SHA-256 of every column the model writes and of the stations' totals and series."""
    h = hashlib.sha256()
    for name in COLUMNS:
        # The codes as the golden values were written (the records may use smaller types).
        dtype = np.int16 if name in ("lane", "intercepted_at", "post_release_at") else None
        h.update(np.ascontiguousarray(getattr(rec, name), dtype=dtype).tobytes())
    for name, s in rec.stations.items():
        totals = (s.queue_area, s.busy_area, s.capacity_area, s.queue_max)
        h.update(repr((name, *totals, s.backlog_end, s.in_service_end)).encode())
        for series in (s.hourly_queue, s.hourly_busy, s.hourly_on_duty):
            h.update(np.ascontiguousarray(series).tobytes())
    return h.hexdigest()


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def run(scenario: sim.Scenario, exact: bool, replication: int = 0, policy=None) -> Border:
    seed = sim.replication_seeds(scenario.scenario.seed, replication + 1)[replication]
    border = Border(scenario, Streams(seed), policy, exact=exact)
    border.run()
    return border


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "slow"])
@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_benchmark_scenarios_match_the_engine_before_the_fast_path(case, exact):
    golden = GOLDEN[case]
    scenario = sim.from_dict(golden["scenario"], case)
    border = run(scenario, exact)
    assert border.fast is not exact  # the path asked for, with no fallback
    rec = border.records
    assert len(rec.traffic) == golden["shipments"]
    assert digest(rec) == golden["records_sha256"]
    metrics = sim.replication_metrics(scenario, rec)
    differ = {
        k: (metrics.get(k), v) for k, v in golden["metrics"].items() if not same(metrics.get(k), v)
    }
    assert not differ


class QueueWatch(sim.Policy):
    """A plug-in that reads the border (queue length, time): selected during the run."""

    kind = "queue_watch"

    def start(self, context):
        self._u = context.uniforms("queue_watch")

    def select(self, declaration, border):
        if self._u[declaration.id] < 0.3 and border.queue_length("documents") < 3:
            return "red" if border.now % 24 < 12 else "yellow"
        return "green"


VARIANTS = GOLDEN_FILE["variants"]


def assert_same_records(a: sim.Records, b: sim.Records) -> None:
    for name in (*COLUMNS, "risk_score", "alert"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in a.stations:
        sa, sb = a.stations[name], b.stations[name]
        for key in ("queue_area", "busy_area", "capacity_area", "queue_max", "backlog_end"):
            assert getattr(sa, key) == getattr(sb, key), (name, key)
        np.testing.assert_array_equal(sa.hourly_queue, sb.hourly_queue)
        np.testing.assert_array_equal(sa.hourly_busy, sb.hourly_busy)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_both_paths_match_the_engine_before_them_on_every_feature(name):
    """Each variant (its "what" in the golden file says what it exercises), two replications:
    fast and slow paths give the old engine's records, bit for bit."""
    variant = VARIANTS[name]
    scenario = sim.from_dict(variant["scenario"], name)
    for replication, golden in enumerate(variant["digests"]):
        policy = QueueWatch() if name == "queue_watch_plugin" else None
        fast = run(scenario, exact=False, replication=replication, policy=policy)
        policy = QueueWatch() if name == "queue_watch_plugin" else None
        slow = run(scenario, exact=True, replication=replication, policy=policy)
        assert_same_records(fast.records, slow.records)
        assert digest(slow.records) == golden
        if name in ("capacity_aware", "queue_watch_plugin"):
            assert not fast.fast  # they read the border: selected during the run
        elif name == "fixed_times_ties":
            assert not fast.fast  # coinciding events: rerun on the exact path
        else:
            assert fast.fast, "the fast path gave up: a tie where none was expected"


def test_vectorised_selection_equals_one_by_one():
    """Selectivity.decide_many, on every modifier at once, against decide() per declaration."""
    scenario = sim.from_dict(VARIANTS["random_and_modifiers"]["scenario"], "modifiers")
    seed = sim.replication_seeds(3, 1)[0]
    border = Border(scenario, Streams(seed), exact=True)
    sel: Selectivity = border.selectivity
    n = len(border.traffic)
    ids = np.random.default_rng(0).permutation(n)
    when = np.linspace(0, scenario.end_hours, n)
    lanes, priority, reasons = sel.decide_many(ids, when, border.records)
    clock = _Clock()
    for i, sid in enumerate(ids.tolist()):
        clock.now = float(when[i])
        k, pr, reason = sel.decide(border.path._declaration(sid), clock)
        assert (lanes[i], priority[i], reasons[i]) == (k, -1 if pr is None else int(pr), reason)


def test_per_shipment_draws_do_not_depend_on_access_order_or_eviction():
    streams = Streams(np.random.SeedSequence(5))
    u = streams.per_shipment("x")
    ids = np.random.default_rng(1).integers(0, 100 * 4096, 5000)
    one_by_one = [u[i] for i in ids.tolist()]  # evicts blocks (more than PerShipment.KEEP)
    assert len(u._blocks) <= PerShipment.KEEP
    again = streams.per_shipment("x")
    assert np.array_equal(again.take(ids), np.array(one_by_one))
    assert [again[i] for i in ids[::-1].tolist()] == one_by_one[::-1]


def test_an_entry_lands_on_its_instant_exactly_even_when_one_step_cannot_reach_it():
    """now + (t - now) can miss t by an ulp (t far above now); the fast path then hops through
    t / 2^k, each step exact, so the entry happens at t itself, as in the exact path."""
    import simpy

    now, t = 1.0948862729435938, 36.39413380814191
    assert now + (t - now) != t
    path = Border(build(small_data()), Streams(np.random.SeedSequence(1))).path
    path.env = simpy.Environment(initial_time=now)
    seen = []
    path._enter = lambda _event: seen.append(path.env.now)
    path._entry_event(t)
    path.env.run()
    assert seen == [t]


@pytest.mark.parametrize(
    "name",
    [
        "random",
        "threshold",
        "random_and_modifiers",
        "office_lodgement",
        "prearrival_lead",
        "ends_mid_hour",
    ],
)
def test_plan_by_shipment_equals_the_plan_in_selection_order(name):
    """The plan made in blocks of shipments (little memory) is the plan made over every
    selection in the exact path's order: same shipments with checks, same order, instants,
    creation keys, routes and priorities; and the same selections written to the records."""
    scenario = sim.from_dict(VARIANTS[name]["scenario"], name)
    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    blocks = Border(scenario, Streams(seed))
    in_order = Border(scenario, Streams(seed))
    by_shipment = blocks.path._plan_by_shipment()
    assert by_shipment is not None, "a vectorised policy should be planned by shipment"
    for a, b in zip(by_shipment, in_order.path._plan_in_order(), strict=True):
        np.testing.assert_array_equal(a, b)
    for column in ("lane", "selected_by", "selected", "priority", "released", "outcome"):
        np.testing.assert_array_equal(
            getattr(blocks.records, column), getattr(in_order.records, column), err_msg=column
        )


def test_policies_selected_one_by_one_are_planned_in_order():
    scenario = sim.from_dict(VARIANTS["quota"]["scenario"], "quota")
    border = Border(scenario, Streams(sim.replication_seeds(1, 1)[0]))
    assert border.path._plan_by_shipment() is None
    assert (border.records.lane == -1).all()  # nothing written before giving up


def test_visits_are_one_row_per_shipment_and_check_in_shipment_order():
    scenario = sim.from_dict(VARIANTS["referral_guarantee_absence"]["scenario"], "visits")
    rec = run(scenario, exact=False).records
    for k, visits in enumerate(rec.visits):
        assert np.all(np.diff(visits.sid) > 0), rec.checks[k]
        started, ended = ~np.isnan(visits.start), ~np.isnan(visits.end)
        assert np.all(visits.enter[started] <= visits.start[started])
        assert np.all(visits.start[ended] <= visits.end[ended]) and np.all(started[ended])
        # Not started or not ended: still inside when the run stopped (or on guarantee).
        waiting = visits.sid[~ended]
        assert np.all(
            (rec.outcome[waiting] == 0) | scenario.checks[rec.checks[k]].release_on_guarantee
        )
        assert ended.any()
        # A shipment that never joined this check has no row; the spread columns say NaN.
        absent = np.setdiff1d(np.arange(len(rec.traffic)), visits.sid)
        assert np.isnan(rec.enter[k, absent]).all()
        np.testing.assert_array_equal(rec.enter[k, visits.sid], visits.enter)


def test_traffic_columns_drawn_on_demand_are_the_same_when_drawn_again():
    scenario = sim.from_dict(VARIANTS["budget_and_modifiers"]["scenario"], "drawn")
    traffic = generate(scenario, Streams(sim.replication_seeds(3, 1)[0]))
    first = {name: getattr(traffic, name).copy() for name in traffic.COLUMNS}
    traffic.forget()
    assert not traffic._drawn
    for name in traffic.COLUMNS:
        np.testing.assert_array_equal(getattr(traffic, name), first[name], err_msg=name)


def test_a_check_nobody_visits_has_no_rows_and_nan_timestamps():
    data = small_data()
    data["policy"] = {"kind": "random", "rates": {}}  # everyone green
    rec = run(build(data), exact=False).records
    assert [len(v) for v in rec.visits] == [0, 0]
    assert rec.enter.shape == (2, len(rec.traffic)) and np.isnan(rec.enter).all()
    assert (rec.outcome[rec.released < 1e9] == 1).all()


@pytest.mark.parametrize("step_hours", [7.25, 24.0])
def test_a_border_advanced_in_steps_is_the_border_run_at_once(step_hours):
    """Stepping the exact path (for learning, adaptation and offices that share seizures)
    changes nothing by itself: the same records as one run to the end."""
    scenario = sim.load_scenario(
        "scenarios/baseline.toml", ["scenario.days=6", "scenario.warmup_days=1"]
    )
    seed = sim.replication_seeds(scenario.scenario.seed, 1)[0]
    whole = Border(scenario, Streams(seed), exact=True).run()
    stepped = Border(scenario, Streams(seed), exact=True)
    t = 0.0
    while t < scenario.end_hours:
        t += step_hours
        stepped.advance(t)
    assert_same_records(whole, stepped.finish())
    with pytest.raises(RuntimeError, match="exact path"):
        Border(scenario, Streams(seed)).advance(1.0)


def test_a_run_without_a_single_shipment_ends_empty_on_both_paths():
    data = changed()
    data["traffic"]["shipments_per_day"] = 0.001
    data["scenario"].update(days=1, warmup_days=0)
    scenario = sim.from_dict(data)
    for exact in (False, True):
        border = run(scenario, exact=exact)
        assert len(border.records.outcome) == 0
