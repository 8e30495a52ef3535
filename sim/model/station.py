"""A check as a station: a priority queue served by the officers on duty, and its roster.

Officers pull shipments from one priority queue (priority shipments first, then first come,
first served; non-preemptive). A roster sets how many officers are on duty: at closing time an
officer finishes the shipment in hand, then stops; queued shipments wait for the next opening.
A station writes one row per visit and its time-weighted totals into the records.

The fast path needs one more thing of a station: the order of two actions at the same instant
(see :meth:`Station._tie`); when it cannot vouch for it, :class:`Tie` sends the replication
back to the exact path.
"""

from __future__ import annotations

import bisect
import math
from array import array
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np
from simpy.events import Timeout

from sim.model.records import INTERCEPTED, RELEASED, Visits
from sim.model.roster import Schedule, schedule_for
from sim.schema import Check
from sim.streams import PerShipment, Streams

if TYPE_CHECKING:
    from sim.model.border import Border
    from sim.model.records import Records
    from sim.model.trip import Trip

HIGH, NORMAL = 0, 1
"""Queue classes: priority shipments first."""
GOODS_KINDS = frozenset({"scan", "physical", "screening", "lab"})
"""Checks that need the goods themselves: under pre-arrival processing they wait for arrival."""

__all__ = [
    "ENTRY",
    "GOODS_KINDS",
    "HIGH",
    "NEXT",
    "NORMAL",
    "OTHER",
    "ROSTER",
    "Station",
    "Tie",
    "capacity_changes",
]

_NAN_ROWS = array("d", [math.nan]) * 4096
_ZERO_ROWS = array("i", [0]) * 4096
# Kinds of station actions, for the fast path's check of simultaneous actions (Station._tie).
ENTRY, ROSTER, NEXT, OTHER = 1, 2, 3, 4


class Tie(Exception):
    """Two actions at one station at the same instant, in an order the fast path cannot vouch
    for: the replication is rerun on the exact path."""


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


class GoodsService:
    """Service times of a check with durations by commodity or by lane: shipment ``sid``'s
    time is the ``sid``-th variate of the stream of the distribution that applies to it (its
    commodity's, else its lane's, else ``duration_hours``'s, the check's own stream
    ``service:<check>``). Each variate belongs to its shipment whatever order shipments are
    served in, and is the same under every policy that sends it to the same lane. The lane is
    read from the records, set at selection, before any check starts."""

    __slots__ = ("_by_commodity", "_by_lane", "_commodity", "_records", "_streams")

    def __init__(
        self,
        by_commodity: list[PerShipment | None],
        by_lane: list[PerShipment],
        commodity: np.ndarray,
        records: Records,
    ):
        self._by_commodity = by_commodity  # by commodity code; None: by lane
        self._by_lane = by_lane  # by lane code
        self._commodity = commodity
        self._records = records
        self._streams = [s for s in {id(s): s for s in [*by_commodity, *by_lane]}.values() if s]

    def __getitem__(self, sid: int) -> float:
        stream = self._by_commodity[self._commodity[sid]]
        if stream is None:
            stream = self._by_lane[self._records.lane[sid]]
        return stream[sid]

    def forget(self) -> None:
        """Drop the blocks kept by every stream."""
        for stream in self._streams:
            stream.forget()


def service_times(
    border: Border, name: str, check: Check, streams: Streams
) -> PerShipment | GoodsService:
    """A check's service time by shipment id (``times[sid]``): its own variate of the stream
    ``service:<check>`` when the check has no durations by commodity or lane (exactly as
    before they existed); else a :class:`GoodsService`, whose commodity and lane streams are
    ``service:<check>:commodity:<name>`` and ``service:<check>:lane:<name>``."""
    default = streams.per_shipment(f"service:{name}", check.duration_hours.sample)
    if not check.duration_by_commodity and not check.duration_by_lane:
        return default
    sc = border.scenario
    own = check.duration_by_commodity or {}
    by_lane = check.duration_by_lane or {}
    return GoodsService(
        [
            streams.per_shipment(f"service:{name}:commodity:{c}", own[c].sample)
            if c in own
            else None
            for c in sc.traffic.commodities
        ],
        [
            streams.per_shipment(f"service:{name}:lane:{lane}", by_lane[lane].sample)
            if lane in by_lane
            else default
            for lane in sc.lanes
        ],
        border.traffic.commodity,
        border.records,
    )


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
    pair raises :class:`Tie`.
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
        self.alone = (
            check.on_alarm == "intercept"
            and not check.release_on_guarantee
            and check.query is None
            and border.scenario.payment is None
        )
        """A shipment whose route is this check alone can skip its Trip (see submit)."""
        self.needs_goods = check.kind in GOODS_KINDS
        self.query = check.query
        if check.query is not None:  # a question to the trader: its own per-shipment streams
            self.query_u = streams.per_shipment(f"query:{name}")
            self.answer = streams.per_shipment(f"answer:{name}", check.query.answer_hours.sample)
        self.refer: int | None = None
        kinds = list(border.scenario.illicit.kinds)
        # Alarm probability by truth code: a false alarm for legitimate goods, else detection.
        self.alarm_p = [check.false_alarm] + [check.detect.get(k, 0.0) for k in kinds]
        self.service = service_times(border, name, check, streams)
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
        self._answered = array("d") if check.query is not None else None
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
            self._tie(ROSTER, created)
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
        path (see FastPath._entry_plan and _roster_step)."""
        now = self.env.now
        if kind == ENTRY and self._rnext_t == now:
            # This station's roster changes at this very instant and has not yet: in the
            # exact path the older of the two events goes first.
            if self._rnext_p < key:
                self._roster_step(self._rnext_p)
            elif self._rnext_p == key:
                raise Tie
        if now != self._tie_t:
            self._tie_t, self._tie_k, self._tie_c = now, kind, key
            return
        last = self._tie_k
        if kind == ENTRY:
            ok = last == ENTRY or (last == ROSTER and self._tie_c < key)
        elif kind == ROSTER:
            ok = last == ENTRY and self._tie_c < key
        elif kind == NEXT:
            ok = last != NEXT
        else:
            ok = False
        if not ok:
            raise Tie
        self._tie_k = kind
        if kind != NEXT:
            self._tie_c = key

    def submit(
        self, sid: int, queue_class: int, then: Trip | int, kind: int = OTHER, key: float = 0.0
    ) -> None:
        """Queue a shipment. ``then`` says what follows its check: a :class:`Trip`, whose
        ``checked(self, now)`` the station calls, or, for a shipment whose route is this check
        alone (not before arrival, no referral, not on guarantee), its truth code: the station
        then intercepts or releases it itself. ``kind`` and ``key``: see :meth:`_tie`."""
        now = self.env.now
        if self.watch:
            if now == self._tie_t or (kind == ENTRY and now == self._rnext_t):
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
        if self._answered is not None:
            self._answered.extend(_NAN_ROWS)
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
                self._tie(OTHER, 0.0)
            else:
                self._tie_t, self._tie_k = now, OTHER
        self._account()
        self.busy -= 1
        _, row, sid, then = event._value
        self._end[row] = now
        query = self.query
        if query is not None and self.query_u[sid] < query.share:
            # The trader is asked; the check concludes when the answer comes.
            wait = self.answer[sid]
            self._answered[row] = now + wait
            Timeout(self.env, wait, then).callbacks.append(self._answer)
        elif then.__class__ is int:  # this check was its whole route (see submit)
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

    def _answer(self, event: Timeout) -> None:
        """The trader's answer has come: the check concludes (an ordinary event, kind OTHER)."""
        now = self.env.now
        if self.watch:
            if now == self._tie_t:
                self._tie(OTHER, 0.0)
            else:
                self._tie_t, self._tie_k = now, OTHER
        event._value.checked(self, now)

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
        if self.query is not None:
            self.query_u.forget()
            self.answer.forget()

    def started(self) -> np.ndarray:
        """Ids of the shipments whose visit here has started so far (during the run: what a
        targeting unit has examined)."""
        if not self.seq:
            return np.zeros(0, dtype=np.int32)
        sid = np.frombuffer(self._sid, dtype=np.int32, count=self.seq)
        start = np.frombuffer(self._start, count=self.seq)
        return sid[~np.isnan(start)]

    def _visits(self) -> Visits:
        """The visit columns, in shipment order."""
        if not self.seq:
            return Visits.empty()
        asks = self._answered is not None
        for column in (self._sid, self._enter, self._start, self._end, self._answered):
            if column is not None:
                del column[self.seq :]
        sid = np.frombuffer(self._sid, dtype=np.int32)
        order = np.argsort(sid, kind="stable")
        columns = [sid[order]]
        del sid
        self._sid = None
        names = ("_enter", "_start", "_end", "_answered") if asks else ("_enter", "_start", "_end")
        for name in names:  # one column at a time: little memory
            columns.append(np.frombuffer(getattr(self, name))[order])
            setattr(self, name, None)
        answered = columns.pop() if asks else np.zeros(0)
        concluded = columns[3]
        if asks:  # a visit whose answer had not come when the run stopped has not concluded
            concluded = np.where(answered >= self.env.now, np.nan, concluded)
        alarm = self._alarms(columns[0], concluded)
        return Visits(*columns, alarm=alarm, answered=answered)

    def _alarms(self, sid: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Whether each ended visit raised an alarm: the same draws the run decided by, read
        again for the record (a run decides alarms one by one and keeps none)."""
        p = np.asarray(self.alarm_p)[self.records.traffic.truth[sid]]
        return ~np.isnan(end) & (self.alarm_u.take(sid) < p)
