"""The SimPy model of the border: stations (checks) and each shipment's route through them.

Each check is a station whose officers pull shipments from one priority queue (priority
shipments first, then first come, first served; non-preemptive). A roster sets how many
officers are on duty: at closing time an officer finishes the shipment in hand, then stops;
queued shipments wait for the next opening. A shipment passes each check at most once: a
check already passed on an alarm's referral is not repeated, and an alarm referred to a check
already passed gets that check's verdict. The model only writes timestamps into
:class:`sim.model.records.Records`; every figure is derived from them afterwards.

How a shipment moves (both paths give bit-identical records; ``tests/test_fastpath.py``):

- Shipments are driven by callbacks on SimPy events, not one generator process each: an
  arrival is a :class:`simpy.Timeout` whose callback starts every shipment arriving at that
  instant, a station's service end calls the shipment's continuation, and a shipment moving
  on to another check does so through one event scheduled at the instant its check ended,
  exactly where the process of a one-process-per-shipment model would have resumed.
- **Exact path** (any policy that may read the state of the border: ``capacity_aware``,
  plug-ins): each shipment is selected by the policy at its own event, in simulation order.
- **Fast path** (the built-in policies that never read the border: ``random``, ``quota``,
  ``profiles``, ``risk_score``): the order and the instant of every selection depend on the
  traffic alone, so all selections are made before the run, in that order (vectorised for
  ``random`` and a ``risk_score`` threshold). A shipment whose route has no check is then
  released without any event at all; only shipments with checks enter the event loop, at
  their selection instant. Two actions at the same station at the same instant whose order
  could differ from the exact path's make the replication rerun on the exact path (it takes
  an exact tie of two event times: a fixed service time, say); see :class:`Station`.
"""

from __future__ import annotations

import bisect
import math
from array import array
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.core import URGENT
from simpy.events import Event, Timeout

from sim.heap import release_freed_memory
from sim.model.records import INTERCEPTED, RELEASED, Records, Visits
from sim.model.roster import Schedule, schedule_for
from sim.model.traffic import Traffic, alerts, generate, risk_scores
from sim.policies import (
    Declaration,
    Policy,
    PolicyContext,
    PolicyError,
    Selectivity,
    make_policy,
)
from sim.schema import Check, Scenario
from sim.streams import Streams

HIGH, NORMAL = 0, 1
GOODS_KINDS = frozenset({"scan", "physical", "screening", "lab"})
"""Checks that need the goods themselves: under pre-arrival processing they wait for arrival."""


__all__ = ["Border", "PolicyError", "Station", "capacity_changes", "simulate"]

_BOOL = (False, True)
PLAN_BLOCK = 1 << 16
"""Fast path: shipments selected before the run this many at a time."""
ENTRY_CHUNK = 16384
"""Fast path: entries read as Python tuples this many at a time (the rest stay in compact
arrays). A small replication reads all of its entries at once."""

_NAN_ROWS = array("d", [math.nan]) * 4096
_ZERO_ROWS = array("i", [0]) * 4096
# Kinds of station actions, for the fast path's check of simultaneous actions (Station._tie).
_ENTRY, _ROSTER, _NEXT, _OTHER = 1, 2, 3, 4


class _Tie(Exception):
    """Two actions at one station at the same instant, in an order the fast path cannot vouch
    for: the replication is rerun on the exact path."""


class _Urgent(Event):
    """An event after ``delay`` hours that comes before every ordinary event at its instant
    (as SimPy's own Initialize does): the fast path's shipment entries."""

    def __init__(self, env: simpy.Environment, delay: float, value: object = None):
        self.env = env
        self.callbacks = []
        self._value = value
        self._ok = True
        env.schedule(self, URGENT, delay)


def capacity_changes(
    check: Check, schedule: Schedule, absent: np.ndarray | None, end: float
) -> list[tuple[float, int]]:
    """(time, officers on duty) at each change: openings, closings and daily absences."""
    changes: dict[float, int] = {0.0: 0}
    for a, b in schedule.intervals:
        if a >= end:
            break
        b = min(b, end)
        if absent is None:
            changes[a] = check.servers
        else:
            day = int(a // 24)
            t = a
            while t < b:
                changes[t] = check.servers - int(absent[day])
                day += 1
                t = day * 24.0
        if b < end:
            changes[b] = 0
    out: list[tuple[float, int]] = []
    for t, cap in changes.items():
        if not out or out[-1][1] != cap:
            out.append((t, cap))
    return out


def _tied(ordered: np.ndarray) -> np.ndarray | None:
    """Which of the sorted instants ``ordered`` equal a neighbour (None if none do)."""
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return None
    tied = np.zeros(ordered.size, dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return tied


def _steps_exact(times: np.ndarray) -> bool:
    """Whether SimPy reaches each distinct instant of sorted ``times`` from the one before it
    exactly (``a + (b - a) == b``), as the fast path's plan assumes."""
    for lo in range(0, max(times.size - 1, 0), PLAN_BLOCK):
        a = times[lo : lo + PLAN_BLOCK]
        b = times[lo + 1 : lo + 1 + PLAN_BLOCK]
        a = a[: b.size]
        step = a != b
        a, b = a[step], b[step]
        if not np.array_equal(a + (b - a), b):
            return False
    return True


class Station:
    """One check: a priority queue served by the officers on duty.

    Queue entries are ``(queue class, sequence, shipment id, then)``, the sequence numbering
    the station's visits (the rows of its visit columns); at the end of a service
    the station calls the shipment's continuation (``then``: see :meth:`submit`).

    On the fast path (``watch``) every action (a shipment joining, a service ending, a roster
    change) notes its instant, and two actions at the same instant must be in an order that
    the exact path would give too: entries selected at one instant (in their selection order),
    a roster change against entries by which of the two events was created first in the exact
    path (the roster's earlier change or the shipment's start), and a shipment moving on from
    another check after them (its event is created at that instant). Any other simultaneous
    pair raises :class:`_Tie`.
    """

    def __init__(self, border: Border, index: int, name: str, check: Check, streams: Streams):
        self.env = border.env
        self.index = index
        self.name = name
        self.records = border.records
        self.stats = border.records.stations[name]
        self.t0, self.t1 = border.window
        self.queue: list[tuple[int, int, int, Trip]] = []
        self.seq = 0
        self.busy = 0
        self.capacity = 0  # on duty since the last roster change processed (for the time totals)
        self._last = 0.0
        self.guarantee = check.release_on_guarantee
        self.alone = check.on_alarm == "intercept" and not check.release_on_guarantee
        """A shipment whose route is this check alone can skip its Trip (see submit)."""
        self.needs_goods = check.kind in GOODS_KINDS
        self.refer: int | None = None
        kinds = list(border.scenario.illicit.kinds)
        # Alarm probability by truth code: a false alarm for legitimate goods, else detection.
        self.alarm_p = [check.false_alarm] + [check.detect.get(k, 0.0) for k in kinds]
        self.service = streams.per_shipment(f"service:{name}", check.duration_hours.sample)
        self.alarm_u = streams.per_shipment(f"detect:{name}")
        sc = border.scenario
        absent = None
        if check.absence > 0:
            n_days = int(math.ceil(sc.end_hours / 24.0)) + 1
            absent = streams.rng(f"absence:{name}").binomial(check.servers, check.absence, n_days)
        changes = capacity_changes(check, schedule_for(sc, check.roster), absent, sc.end_hours)
        n_hours = int(math.ceil(sc.end_hours))
        self._hq = [0.0] * n_hours  # area under queue length, busy and on duty, by hour
        self._hb = [0.0] * n_hours
        self._hc = [0.0] * n_hours
        self._n_hours = n_hours
        self._change_times = [t for t, _ in changes]
        self._change_caps = [cap for _, cap in changes]
        self._ci = 0  # index of the roster change in force at the last on_duty() call
        self._cap_now = 0  # officers on duty until _cap_until (cached on_duty())
        self._cap_until = -math.inf
        self._changes = changes
        self._ri = 0  # index of the next roster change to apply
        self._rnext_t = math.inf  # instant of the pending roster event ...
        self._rnext_p = 0.0  # ... and when it was created (see _tie)
        self._released = border._released
        self._outcome = border._outcome
        self._intercepted_at = border._intercepted_at
        # One row per visit, in the order shipments joined (row = the queue entry's sequence).
        self._sid = array("i")
        self._enter = array("d")
        self._start = array("d")
        self._end = array("d")
        self._rows = 0  # rows of the visit columns (NaN until written), a block at a time
        self.watch = border.fast
        self._tie_t = -math.inf  # instant, kind and key of the last action (fast path)
        self._tie_k = 0
        self._tie_c = -math.inf
        self.env.process(self._roster_init())

    def on_duty(self) -> int:
        """Officers on duty now. A roster change counts from its very instant, even before the
        roster event has been processed: no service starts at closing time because a shipment
        finished or arrived at that same instant."""
        now = self.env.now
        times = self._change_times
        i = self._ci
        if times[i] > now:  # never, as time only moves on (kept for safety)
            i = bisect.bisect_right(times, now) - 1
        else:
            last = len(times) - 1
            while i < last and times[i + 1] <= now:
                i += 1
        self._ci = i
        return self._change_caps[i]

    def _account(self) -> None:
        now = self.env.now
        last = self._last
        if now <= last:
            return
        q, b, c = len(self.queue), self.busy, self.capacity
        t0, t1 = self.t0, self.t1
        if t0 <= last and now <= t1:  # inside the measurement window (hi - lo = now - last)
            dt = now - last
            st = self.stats
            st.queue_area += q * dt
            st.busy_area += b * dt
            st.capacity_area += c * dt
        else:
            lo = last if last > t0 else t0
            hi = now if now < t1 else t1
            dt = hi - lo
            if hi > lo:
                st = self.stats
                st.queue_area += q * dt
                st.busy_area += b * dt
                st.capacity_area += c * dt
            dt = now - last
        if q or b or c:
            h = int(last)
            if now <= h + 1 and h < self._n_hours:  # within one hour: the loop below in one step
                self._hq[h] += q * dt
                self._hb[h] += b * dt
                self._hc[h] += c * dt
            else:
                hq, hb, hc = self._hq, self._hb, self._hc
                n = self._n_hours
                while last < now and h < n:
                    edge = now if now < h + 1 else h + 1.0
                    dt = edge - last
                    hq[h] += q * dt
                    hb[h] += b * dt
                    hc[h] += c * dt
                    last = edge
                    h += 1
        self._last = now

    # Roster --------------------------------------------------------------------------------
    def _roster_init(self):
        """At time 0, before any shipment: the roster's first change (a process, so that its
        Initialize event orders it exactly as the roster process of a process-based model)."""
        self._roster_step(-2.0)
        return
        yield  # a generator that never waits

    def _roster_step(self, created: float) -> None:
        """Apply the next roster change now, and schedule the one after it."""
        if self.watch:
            self._tie(_ROSTER, created)
        env = self.env
        changes = self._changes
        while True:
            _, cap = changes[self._ri]
            self._ri += 1
            self._account()
            self.capacity = cap
            self._dispatch(env.now)
            if self._ri >= len(changes):
                self._rnext_t = math.inf
                return
            t = changes[self._ri][0]
            now = env.now
            if t > now:
                timer = Timeout(env, t - now, self._ri)
                timer.callbacks.append(self._roster_event)
                self._rnext_t = now + (t - now)  # the event's instant, as SimPy computes it
                self._rnext_p = now if created > -2.0 else -1.0  # created during start-up
                return

    def _roster_event(self, event: Timeout) -> None:
        if event._value == self._ri:  # not applied early by a simultaneous entry
            self._roster_step(self._rnext_p)

    # Shipments -----------------------------------------------------------------------------
    def _tie(self, kind: int, key: float) -> None:
        """Fast path: check the order of this action against an earlier one at this instant.
        ``key`` orders entries and roster changes: when their event was created in the exact
        path (see Border._entry_plan and _roster_step)."""
        now = self.env.now
        if kind == _ENTRY and self._rnext_t == now:
            # This station's roster changes at this very instant and has not yet: in the
            # exact path the older of the two events goes first.
            if self._rnext_p < key:
                self._roster_step(self._rnext_p)
            elif self._rnext_p == key:
                raise _Tie
        if now != self._tie_t:
            self._tie_t, self._tie_k, self._tie_c = now, kind, key
            return
        last = self._tie_k
        if kind == _ENTRY:
            ok = last == _ENTRY or (last == _ROSTER and self._tie_c < key)
        elif kind == _ROSTER:
            ok = last == _ENTRY and self._tie_c < key
        elif kind == _NEXT:
            ok = last != _NEXT
        else:
            ok = False
        if not ok:
            raise _Tie
        self._tie_k = kind
        if kind != _NEXT:
            self._tie_c = key

    def submit(
        self, sid: int, queue_class: int, then: Trip | int, kind: int = _OTHER, key: float = 0.0
    ) -> None:
        """Queue a shipment. ``then`` says what follows its check: a :class:`Trip`, whose
        ``checked(self, now)`` the station calls, or, for a shipment whose route is this check
        alone (not before arrival, no referral, not on guarantee), its truth code: the station
        then intercepts or releases it itself. ``kind`` and ``key``: see :meth:`_tie`."""
        now = self.env.now
        if self.watch:
            if now == self._tie_t or (kind == _ENTRY and now == self._rnext_t):
                self._tie(kind, key)
            else:
                self._tie_t, self._tie_k, self._tie_c = now, kind, key
        self._account()
        row = self.seq
        if row == self._rows:  # room for the next visits
            self._grow()
        self._sid[row] = sid
        self._enter[row] = now
        entry = (queue_class, row, sid, then)
        self.seq = row + 1
        queue = self.queue
        if not queue and self.busy < (
            self._cap_now if now < self._cap_until else self._on_duty(now)
        ):  # an officer is free and nobody waits: pushed and popped at once
            self.busy += 1
            self._start[entry[1]] = now
            Timeout(self.env, self.service[sid], entry).callbacks.append(self._finish)
            return
        heappush(queue, entry)
        if self.busy < self._on_duty(now):
            self._dispatch(now)
        if self.t0 <= now < self.t1 and len(queue) > self.stats.queue_max:
            self.stats.queue_max = len(queue)

    def _grow(self) -> None:
        self._sid.extend(_ZERO_ROWS)
        for column in (self._enter, self._start, self._end):
            column.extend(_NAN_ROWS)
        self._rows += len(_NAN_ROWS)

    def _on_duty(self, now: float) -> int:
        """on_duty() at ``now``, cached until the next roster change."""
        if now < self._cap_until:
            return self._cap_now
        cap = self.on_duty()
        i = self._ci + 1
        self._cap_now = cap
        self._cap_until = self._change_times[i] if i < len(self._change_times) else math.inf
        return cap

    def _dispatch(self, now: float) -> None:
        queue = self.queue
        on_duty = self._on_duty(now)
        if self.busy >= on_duty or not queue:
            return
        env = self.env
        service = self.service
        finish = self._finish
        start = self._start
        while self.busy < on_duty and queue:
            entry = heappop(queue)
            self.busy += 1
            start[entry[1]] = now
            Timeout(env, service[entry[2]], entry).callbacks.append(finish)

    def _finish(self, event: Timeout) -> None:
        now = self.env.now
        if self.watch:
            if now == self._tie_t:
                self._tie(_OTHER, 0.0)
            else:
                self._tie_t, self._tie_k = now, _OTHER
        self._account()
        self.busy -= 1
        _, row, sid, then = event._value
        self._end[row] = now
        if then.__class__ is int:  # this check was its whole route (see submit)
            p = self.alarm_p[then]
            if p > 0.0 and self.alarm_u[sid] < p:
                self._outcome[sid] = INTERCEPTED
                self._intercepted_at[sid] = self.index
            else:
                self._released[sid] = now
                self._outcome[sid] = RELEASED
        else:
            then.checked(self, now)
        if self.queue:
            self._dispatch(now)

    def alarms(self, sid: int, truth: int) -> bool:
        """Whether checking this shipment raised an alarm (a finding, or a false alarm)."""
        return self.alarm_u[sid] < self.alarm_p[truth]

    def close(self) -> None:
        """Settle the time-weighted totals when the run stops."""
        self._account()
        self.stats.backlog_end = len(self.queue)
        self.stats.in_service_end = self.busy
        # Areas over whole hours are hourly means; the last, partial hour is divided by its length.
        span = np.ones(len(self._hq))
        if len(span):
            span[-1] = self.env.now - (len(span) - 1) or 1.0
        self.stats.hourly_queue = np.asarray(self._hq) / span
        self.stats.hourly_busy = np.asarray(self._hb) / span
        self.stats.hourly_on_duty = np.asarray(self._hc) / span
        self.records.visits[self.index] = self._visits()
        self.service.forget()
        self.alarm_u.forget()

    def _visits(self) -> Visits:
        """The visit columns, in shipment order."""
        if not self.seq:
            return Visits.empty()
        for column in (self._sid, self._enter, self._start, self._end):
            del column[self.seq :]
        sid = np.frombuffer(self._sid, dtype=np.int32)
        order = np.argsort(sid, kind="stable")
        columns = [sid[order]]
        del sid
        self._sid = None
        for name in ("_enter", "_start", "_end"):  # one column at a time: little memory
            columns.append(np.frombuffer(getattr(self, name))[order])
            setattr(self, name, None)
        return Visits(*columns)


class Trip:
    """A selected shipment's way along its route: which checks it has passed, and what it does
    when a check is done. Each step happens where the generator process of a
    one-process-per-shipment model would have run it, without the process."""

    __slots__ = (
        "border",
        "sid",
        "route",
        "pos",
        "visited",
        "queue_class",
        "truth",
        "early",
        "arrival",
        "created",
        "_next",
    )

    def __init__(
        self,
        border: Border,
        sid: int,
        route: tuple[int, ...],
        queue_class: int,
        truth: int,
        early: bool,
        arrival: float,
        created: float,
    ):
        self.border = border
        self.sid = sid
        self.route = route
        self.pos = 1  # the first check is visited at once (see Trip.visit)
        self.visited = 0  # bit k: check k passed (a shipment passes each check at most once)
        self.queue_class = queue_class
        self.truth = truth
        self.early = early  # selected before arrival: checks on the goods wait for them
        self.arrival = arrival
        self.created = created  # fast path: when its entry event was created in the exact path
        self._next: Station | None = None

    def _upcoming(self) -> Station | None:
        """The next check of the route not yet passed (advancing past it), or None."""
        route = self.route
        visited = self.visited
        pos = self.pos
        while pos < len(route):
            k = route[pos]
            pos += 1
            if not visited >> k & 1:
                self.pos = pos
                return self.border.stations[k]
        self.pos = pos
        return None

    def go(self, kind: int) -> None:
        """Move on along the route now (at selection, or after a check), or be released."""
        station = self._upcoming()
        if station is None:
            border = self.border
            border.release(self.sid, self.early, self.arrival, border.env.now)
        else:
            self.visit(station, kind)

    def visit(self, station: Station, kind: int) -> None:
        self.visited |= 1 << station.index
        env = self.border.env
        if self.early and station.needs_goods and env.now < self.arrival:
            self._next = station
            Timeout(env, self.arrival - env.now).callbacks.append(self._goods_arrived)
            return
        station.submit(self.sid, self.queue_class, self, kind, self.created)
        if station.guarantee:  # the shipment goes on while the test runs
            self.go(kind)

    def _goods_arrived(self, _event: Event) -> None:
        station = self._next
        station.submit(self.sid, self.queue_class, self, _OTHER, self.created)
        if station.guarantee:
            self.go(_OTHER)

    def checked(self, station: Station, now: float) -> None:
        """Called by ``station`` at the end of this shipment's check, at ``now``."""
        border = self.border
        sid, truth = self.sid, self.truth
        p = station.alarm_p[truth]  # (a uniform draw is never below 0: no alarm when p is 0)
        if station.guarantee:  # a finding now comes after release
            if truth and p > 0.0 and station.alarm_u[sid] < p:
                border._post_release_at[sid] = station.index
            return
        nxt = None
        if p > 0.0 and station.alarm_u[sid] < p:  # an alarm
            refer = station.refer
            if refer is None or self.visited >> refer & 1:
                if refer is None or border.stations[refer].alarms(sid, truth):
                    border.intercept(sid, station.index)
                    return
            else:
                nxt = border.stations[refer]
        if nxt is None and (self.pos >= len(self.route) or (nxt := self._upcoming()) is None):
            # released: nothing in it depends on what else happens at this instant
            border.release(sid, self.early, self.arrival, now)
            return
        # It joins another check: at the instant this one ended, after the events already
        # due then (a zero-delay event, where a shipment process would have resumed).
        self._next = nxt
        Timeout(border.env, 0.0).callbacks.append(self._resume)

    def _resume(self, _event: Event) -> None:
        self.visit(self._next, _NEXT)


class _Clock:
    """The border as a policy sees it while the fast path selects before the run: only the
    time of the selection (the policies selected there never read anything else)."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0.0

    def queue_length(self, check: str) -> int:
        raise PolicyError("internal: a policy selected before the run read the border")

    busy = on_duty = queue_length


class Border:
    """One replication: the traffic, the stations, the policy, and the records they fill.

    ``exact=True`` forces the exact path (every selection at its own event) whatever the
    policy; results are the same either way.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        policy: Policy | None = None,
        *,
        exact: bool = False,
    ):
        self.scenario = scenario
        self.streams = streams
        self.traffic: Traffic = generate(scenario, streams)
        self.records = Records(self.traffic, list(scenario.checks), list(scenario.lanes))
        self.window = (scenario.warmup_hours, scenario.hours)
        self.lane_index = {name: i for i, name in enumerate(scenario.lanes)}
        self.routes = self._routes()
        self.policy = policy or make_policy(scenario)
        self.selectivity = Selectivity(self.policy, scenario)
        self._signals()
        self._names = (
            list(scenario.traffic.commodities),
            list(scenario.traffic.origins),
            list(scenario.traffic.compliance),
        )
        self.fast = not exact and not self.policy.reads_border
        self._route_lengths: np.ndarray | None = None
        self._setup()

    def _setup(self) -> None:
        """The event loop, the stations and the policy's streams, ready to run."""
        scenario = self.scenario
        self.env = simpy.Environment()
        rec = self.records
        self._released = memoryview(rec.released)
        self._outcome = memoryview(rec.outcome)
        self._intercepted_at = memoryview(rec.intercepted_at)
        self._post_release_at = memoryview(rec.post_release_at)
        self.stations = [
            Station(self, k, name, check, self.streams)
            for k, (name, check) in enumerate(scenario.checks.items())
        ]
        self._by_name = {s.name: s for s in self.stations}
        for station, check in zip(self.stations, scenario.checks.values(), strict=True):
            if check.on_alarm != "intercept":
                station.refer = self._by_name[check.on_alarm].index
        self.selectivity.start(PolicyContext(scenario, self.streams.per_shipment))
        self._decide = self.selectivity.decide
        self._end_hours = scenario.end_hours
        if self.fast:
            self.env.process(self._fast_start())
        else:
            self._cols = self._columns()
            self.env.process(self._exact_start())

    def _lodged(self) -> np.ndarray:
        """When customs deals with each declaration: lodged, or, under pre-arrival
        processing, ``lead_hours`` before arrival for a declaration lodged before it."""
        lodged = self.traffic.lodged
        lead = self.selectivity.prearrival_lead
        if lead is not None:
            lodged = lodged.copy()
            pre = self.traffic.prearrival
            lodged[pre] = np.maximum(self.traffic.arrival[pre] - lead, 0.0)
        return lodged

    def _signals(self) -> None:
        """The risk score and alert of every shipment, from the traffic's own noise and the
        policy's settings (vectorised, once per replication)."""
        sel, tr, rec = self.selectivity, self.traffic, self.records
        if sel.separations is not None:
            rec.risk_score = risk_scores(tr, sel.separations)
            rec.has_score = True
        if sel.alert_p is not None:
            rec.alert = alerts(tr, *sel.alert_p)
            rec.has_alerts = True

    def _routes(self) -> list[list[tuple[int, ...]]]:
        """Station indices visited, by lane and commodity (lane route + required checks)."""
        sc = self.scenario
        index = {name: k for k, name in enumerate(sc.checks)}
        routes = []
        for route in sc.lanes.values():
            per_commodity = []
            for commodity in sc.traffic.commodities:
                extra = [
                    name
                    for name, check in sc.checks.items()
                    if commodity in check.required_for and name not in route
                ]
                per_commodity.append(tuple(index[name] for name in [*route, *extra]))
            routes.append(per_commodity)
        return routes

    # The policy's view of the border --------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def queue_length(self, check: str) -> int:
        return len(self._by_name[check].queue)

    def busy(self, check: str) -> int:
        return self._by_name[check].busy

    def on_duty(self, check: str) -> int:
        return self._by_name[check].on_duty()

    # Outcomes ------------------------------------------------------------------------------
    def release(self, sid: int, early: bool, arrival: float, now: float) -> None:
        """Released ``now``, or on arrival if cleared before it (when that is before the end)."""
        if early and now < arrival:
            now = now + (arrival - now)  # the instant of a timeout until arrival
            if now >= self._end_hours:
                return  # still inside when the run stops
        self._released[sid] = now
        self._outcome[sid] = RELEASED

    def intercept(self, sid: int, station: int) -> None:
        self._outcome[sid] = INTERCEPTED
        self._intercepted_at[sid] = station

    # Exact path ----------------------------------------------------------------------------
    def _start_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Shipments in the order customs first deals with them (at arrival, or before it for
        a declaration processed before arrival), and those instants."""
        start = np.minimum(self.traffic.arrival, self._lodged())
        order = np.argsort(start, kind="stable")
        return order, start[order]

    def _exact_start(self):
        """Start the arrivals at time 0, after the rosters' first changes."""
        order, times = self._start_order()
        self._order = array("q", order.astype(np.int64).tobytes())
        self._times = array("d", times.tobytes())
        self._pos = 0
        if self._times and self._times[0] > self.env.now:
            self._arrival_event(self._times[0] - self.env.now)
        else:
            self._arrive()
        return
        yield  # a generator that never waits

    def _arrival_event(self, delay: float) -> None:
        Timeout(self.env, delay).callbacks.append(self._arrive)

    def _arrive(self, _event: Event | None = None) -> None:
        """Start every shipment due now; the next arrival's event is created first."""
        now = self.env.now
        times = self._times
        p = self._pos
        q = p + 1
        n = len(times)
        while q < n and times[q] <= now:
            q += 1
        if q < n:
            self._arrival_event(times[q] - now)
        self._pos = q
        lodged = self._cols[1]
        for sid in self._order[p:q]:
            t = lodged[sid]
            if t > now:  # lodged later: selected then
                Timeout(self.env, t - now, sid).callbacks.append(self._lodged_event)
            else:
                self._select(sid)

    def _lodged_event(self, event: Timeout) -> None:
        self._select(event._value)

    def _columns(self) -> tuple:
        """What selection reads, as compact Python arrays (8 bytes a float, 1 or 2 a code or
        flag, and far cheaper to index per shipment than numpy arrays)."""
        tr = self.traffic

        def floats(x: np.ndarray) -> array:
            return array("d", np.ascontiguousarray(x, dtype=np.float64).tobytes())

        def codes(x: np.ndarray, kind: str = "h") -> array:
            return array(kind, np.ascontiguousarray(x, dtype=np.dtype(kind)).tobytes())

        return (
            floats(tr.arrival),
            floats(self._lodged()),
            codes(tr.commodity),
            codes(tr.origin),
            codes(tr.compliance),
            codes(tr.aeo, "b"),
            codes(tr.prearrival, "b"),
            codes(tr.priority, "b"),
            floats(tr.value_usd),
            codes(tr.truth, "b"),
            floats(self.records.risk_score),
            codes(self.records.alert, "b"),
        )

    def _declaration(self, sid: int) -> Declaration:
        (arr, lod, com, ori, cmp, aeo, pre, pri, val, _, score, alert) = self._cols
        names = self._names
        return Declaration(
            sid,
            arr[sid],
            lod[sid],
            names[0][com[sid]],
            names[1][ori[sid]],
            names[2][cmp[sid]],
            _BOOL[aeo[sid]],
            _BOOL[pre[sid]],
            _BOOL[pri[sid]],
            val[sid],
            score[sid],
            _BOOL[alert[sid]],
        )

    def _select(self, sid: int) -> None:
        """Selectivity now, then the shipment's route."""
        declaration = self._declaration(sid)
        lane_k, priority, reason = self._decide(declaration, self)
        if priority is None:
            priority = declaration.priority
        rec = self.records
        now = self.env.now
        rec.lane[sid] = lane_k
        rec.selected_by[sid] = reason
        rec.selected[sid] = now
        rec.priority[sid] = priority
        arrival = declaration.arrival_hours
        early = now < arrival
        route = self.routes[lane_k][self._cols[2][sid]]
        if not route:
            self.release(sid, early, arrival, now)
            return
        queue_class = HIGH if priority else NORMAL
        truth = self._cols[9][sid]
        station = self.stations[route[0]]
        if len(route) == 1 and station.alone and not early:
            station.submit(sid, queue_class, truth)
        else:
            Trip(self, sid, route, queue_class, truth, early, arrival, 0.0).visit(station, _OTHER)

    # Fast path -----------------------------------------------------------------------------
    def _entry_plan(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every selection of the run, in the order and at the instant the exact path makes
        them: (shipment ids, instants, creation keys), for selections before the end.

        In the exact path, the shipments starting at one instant are started by one arrival
        event, created when the previous arrival instant was processed; a shipment lodged later
        is selected by its own event, created when it started. Events at one instant are taken
        in the order they were created, so selections are ordered by (instant, when their event
        was created, arrival event first, start order). The instants are computed with SimPy's
        own arithmetic (``now + (t - now)``), so they are bit-identical.
        """
        order, ts = self._start_order()
        n = ts.size
        # Arrival events: now = now + (t - now) at each new instant (exact unless rounding
        # bites, which the loop below then follows step by step).
        first = np.ones(n, dtype=bool)
        if n:
            np.not_equal(ts[1:], ts[:-1], out=first[1:])
        group_t = ts[first]
        exact = group_t.size < 2 or np.array_equal(
            group_t[:-1] + (group_t[1:] - group_t[:-1]), group_t[1:]
        )
        del group_t
        if exact:
            arrive = ts  # every arrival instant is exact
        else:
            arrive_list, first_list = [], []
            now = 0.0
            for p, t in enumerate(ts.tolist()):
                if t > now:  # a timeout until t
                    now = now + (t - now)
                    first_list.append(True)
                else:  # started with the previous ones (or at time 0)
                    first_list.append(p == 0)
                arrive_list.append(now)
            arrive = np.asarray(arrive_list)
            first = np.asarray(first_list, dtype=bool)
            del arrive_list, first_list
        del ts
        # When each group's arrival event was created: at the previous group's instant; the
        # first group's during start-up (-0.5 if it is processed then, at time 0).
        created = np.empty(n)
        if n:
            starts = np.flatnonzero(first)
            made = np.empty(starts.size)
            made[1:] = arrive[starts[:-1]]
            made[0] = -0.5 if arrive[0] == 0 else 0.0
            del starts
            group = np.cumsum(first, dtype=np.int64)
            group -= 1
            np.take(made, group, out=created)
            del made, group
        del first
        lodged = self._lodged()[order]
        later = lodged > arrive
        when = arrive.copy()
        when[later] += lodged[later] - arrive[later]  # arrive + (lodged - arrive), as SimPy
        del lodged
        created[later] = arrive[later]
        del arrive
        keep = when < self._end_hours
        if not keep.all():
            order, when, created, later = order[keep], when[keep], created[keep], later[keep]
        del keep
        # By instant (stable: start order within one), then, among selections at one instant
        # (office openings, time 0), by (creation, arrival event first, start order).
        rank = np.argsort(when, kind="stable")
        tied = _tied(when[rank])
        if tied is not None:
            sub = rank[tied]
            rank[tied] = sub[np.lexsort((sub, later[sub], created[sub], when[sub]))]
        del tied, later
        return order[rank], when[rank], created[rank]

    def _fast_start(self):
        """Select every shipment before the run; release those with no check; queue the entry
        of the others at their selection instants."""
        plan = self._plan_by_shipment()
        if plan is None:
            plan = self._plan_in_order()
        ids, when, created, route, priority = plan
        tr = self.traffic
        tr.forget()  # the lodgement times and the like: not needed during the run
        self._flat_routes = [route for per in self.routes for route in per]
        self._entries = (
            np.asarray(ids, dtype=np.int32),
            when,
            created,
            np.asarray(route, dtype=np.int32),
            np.where(priority, HIGH, NORMAL).astype(np.int8),
        )
        del plan, when, created, route, priority
        release_freed_memory()  # the plan's temporaries
        self._e_pos = 0
        self._e_chunk, self._e_i = self._next_entries(), 0
        if ids.size:
            self._entry_event(self._e_chunk[0][1])
        return
        yield  # a generator that never waits

    def _plan_in_order(self) -> tuple[np.ndarray, ...]:
        """The fast path's plan for any policy: every selection in the exact path's order;
        returns what :meth:`_settle` returns."""
        sids, when, created = self._entry_plan()
        lanes, priority, reasons = self._select_all(sids, when)
        routed, route = self._settle(sids, when, lanes, priority, reasons)
        return sids[routed], when[routed], created[routed], route[routed], priority[routed]

    def _plan_by_shipment(self) -> tuple[np.ndarray, ...] | None:
        """The fast path's plan, in blocks of shipments (little memory), for a policy that
        selects many declarations at once whatever their order (``decide_many``), when every
        arrival instant is exact (see :meth:`_entry_plan`); None otherwise.

        Each shipment's selection instant and the creation key of its entry event follow from
        its own start and lodgement times, and its selection does not depend on the others:
        only the shipments with checks are then put in the exact path's order, by (instant,
        creation, arrival event first, start time, id).
        """
        tr, rec = self.traffic, self.records
        arrival = tr.arrival
        n = len(tr)
        lodged = self._lodged()
        if self.selectivity.prearrival_lead is None and bool(np.all(lodged >= arrival)):
            start = arrival  # nothing starts before its arrival
        else:
            start = np.minimum(arrival, lodged)
        starts = start if bool(np.all(start[1:] >= start[:-1])) else np.sort(start)
        if not _steps_exact(starts):
            return None
        # The entry event of the first arrival instant is created during start-up.
        first = -0.5 if n and starts[0] == 0 else 0.0
        end = self._end_hours
        parts: list[list[np.ndarray]] = [[], [], [], [], []]
        decided = False
        for lo in range(0, n, PLAN_BLOCK):
            s = start[lo : lo + PLAN_BLOCK]
            lod = lodged[lo : lo + PLAN_BLOCK]
            later = lod > s  # selected at lodgement, by its own event created at its start
            when = s.copy()
            when[later] += lod[later] - s[later]  # s + (lodged - s), as SimPy
            keep = when < end
            ids = np.flatnonzero(keep)
            ids += lo
            if not ids.size:
                continue
            when, later, s = when[keep], later[keep], s[keep]
            many = self.selectivity.decide_many(ids, when, rec)
            if many is None:
                if decided:
                    raise PolicyError("internal: a policy stopped selecting many at once")
                return None
            decided = True
            lanes, priority, reasons = many
            priority = np.where(priority < 0, tr.priority[ids], priority > 0)
            routed, route = self._settle(ids, when, lanes, priority, reasons)
            s, later = s[routed], later[routed]
            # Entry events are created at the previous arrival instant (the arrival event),
            # or at the shipment's start (its own lodgement event).
            previous = np.searchsorted(starts, s, side="left") - 1
            created = np.where(previous >= 0, starts[np.maximum(previous, 0)], first)
            created[later] = s[later]
            for column, values in zip(
                parts,
                (ids[routed], when[routed], created, route[routed], priority[routed]),
                strict=True,
            ):
                column.append(values.astype(np.int32) if values.dtype == np.int64 else values)
        del start, starts, lodged
        ids, when, created, route, priority = (
            np.concatenate(parts.pop(0)) if parts[0] else np.zeros(0, dtype)
            for dtype in (np.int32, float, float, np.int32, bool)
        )
        # By instant (stable: shipment order within one); among the few selections at one
        # instant, by (creation, arrival event first, start, id).
        order = np.argsort(when, kind="stable")
        tied = _tied(when[order])
        if tied is not None:
            sub = order[tied]
            sid = ids[sub]
            lod = self._lodged()[sid]
            s = np.minimum(tr.arrival[sid], lod)
            order[tied] = sub[np.lexsort((sid, s, lod > s, created[sub], when[sub]))]
        return ids[order], when[order], created[order], route[order], priority[order]

    def _settle(
        self,
        sids: np.ndarray,
        when: np.ndarray,
        lanes: np.ndarray,
        priority: np.ndarray,
        reasons: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Record the selections of ``sids`` at ``when``; release those whose route has no
        check (at selection, or on arrival when selected before it). Returns which have checks
        and every one's route (an index into the flattened routes)."""
        rec, tr = self.records, self.traffic
        rec.lane[sids] = lanes
        rec.selected_by[sids] = reasons
        rec.selected[sids] = when
        rec.priority[sids] = priority
        if self._route_lengths is None:
            self._route_lengths = np.array(
                [len(r) for per in self.routes for r in per], dtype=np.int64
            )
        route = lanes.astype(np.int64)
        route *= len(self._names[0])
        route += tr.commodity[sids]
        routed = self._route_lengths[route] > 0
        green = ~routed
        ids, t = sids[green], when[green]
        arrival = tr.arrival[ids]
        early = t < arrival
        t[early] += arrival[early] - t[early]  # t + (arrival - t), as a timeout would
        done = t < self._end_hours
        rec.released[ids[done]] = t[done]
        rec.outcome[ids[done]] = RELEASED
        return routed, route

    def _entry_event(self, t: float) -> None:
        """An event at instant ``t`` exactly, before any ordinary event then."""
        env = self.env
        now = env.now
        if now + (t - now) != t:  # not reachable in one step: hop via t / 2^k, each exact
            h = t
            while h * 0.5 > now:
                h *= 0.5
            if h < t:
                _Urgent(env, h - now, t).callbacks.append(self._hop)
                return
        _Urgent(env, t - now).callbacks.append(self._enter)

    def _hop(self, event: Event) -> None:
        t = event._value
        now = self.env.now
        nxt = now * 2.0 if now * 2.0 < t else t
        if nxt < t:
            _Urgent(self.env, nxt - now, t).callbacks.append(self._hop)
        else:
            _Urgent(self.env, t - now).callbacks.append(self._enter)

    def _next_entries(self) -> list[tuple]:
        """The next entries, as tuples: fast to read, and at most ENTRY_CHUNK of them at a
        time (about 4 MB) however long the run."""
        ids, *columns = self._entries
        p = self._e_pos
        q = min(p + ENTRY_CHUNK, len(ids))
        self._e_pos = q
        ids = ids[p:q]
        tr = self.traffic
        return list(
            zip(
                ids.tolist(),
                *(c[p:q].tolist() for c in columns),
                tr.truth[ids].tolist(),
                tr.arrival[ids].tolist(),
                strict=True,
            )
        )

    def _enter(self, _event: Event) -> None:
        """Every shipment selected at this instant joins its first check, in selection order."""
        now = self.env.now
        chunk, i = self._e_chunk, self._e_i
        flat = self._flat_routes
        stations = self.stations
        while True:
            if i == len(chunk):
                chunk, i = self._next_entries(), 0
                self._e_chunk = chunk
                if not chunk:
                    break
            sid, when, created, route, queue_class, truth, a = chunk[i]
            if when != now:  # the next instant: its own event
                if now + (when - now) == when:
                    _Urgent(self.env, when - now).callbacks.append(self._enter)
                else:
                    self._entry_event(when)
                break
            i += 1
            route = flat[route]
            station = stations[route[0]]
            if len(route) == 1 and station.alone and now >= a:
                station.submit(sid, queue_class, truth, _ENTRY, created)
            else:
                Trip(self, sid, route, queue_class, truth, now < a, a, created).visit(
                    station, _ENTRY
                )
        self._e_i = i

    def _select_all(
        self, sids: np.ndarray, when: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lane, queue priority, reason) of each shipment, selected in the given order."""
        if sids.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.astype(bool), empty.astype(np.int8)
        many = self.selectivity.decide_many(sids, when, self.records)
        if many is not None:
            lanes, priority, reasons = many
        else:
            self._cols = self._columns()
            clock = _Clock()
            decide = self._decide
            declaration = self._declaration
            lanes = np.empty(sids.size, dtype=np.int64)
            priority = np.empty(sids.size, dtype=np.int8)
            reasons = np.empty(sids.size, dtype=np.int8)
            for i, (sid, t) in enumerate(zip(sids.tolist(), when.tolist(), strict=True)):
                clock.now = t
                k, pr, reason = decide(declaration(sid), clock)
                lanes[i] = k
                priority[i] = -1 if pr is None else bool(pr)
                reasons[i] = reason
            del self._cols
        own = self.traffic.priority[sids]
        priority = np.where(priority < 0, own, priority > 0)
        return lanes, priority, reasons

    # Running ---------------------------------------------------------------------------------
    def run(self) -> Records:
        """Simulate to the end of the drain period and return the records."""
        try:
            self.env.run(until=self.scenario.end_hours)
        except _Tie:
            # Simultaneous actions the fast path cannot order: start again on the exact path.
            self.fast = False
            self.records.__post_init__()
            self._signals()
            self._setup()
            self.env.run(until=self.scenario.end_hours)
        self._entries = self._flat_routes = self._e_chunk = None
        for station in self.stations:
            station.close()
        release_freed_memory()  # what the run grew and let go, before the metrics need room
        return self.records


def simulate(
    scenario: Scenario,
    seed_seq: np.random.SeedSequence,
    policy: Policy | None = None,
    *,
    exact: bool = False,
) -> Records:
    """Simulate one replication from its seed sequence (``exact``: see :class:`Border`)."""
    return Border(scenario, Streams(seed_seq), policy, exact=exact).run()
