"""The fast entry path, for a policy that never reads the border (``random``, ``quota``,
``profiles``, ``risk_score``): every selection is made before the run.

The order and the instant of every selection then depend on the traffic alone, so they are
computed with SimPy's own arithmetic (``now + (t - now)``) and the policy selects for everyone
in that order, vectorised when it can (``decide_many``), else one by one. A shipment whose route
has no check is released without any event at all; only shipments with checks enter the event
loop, at their selection instant, by an event that comes before every ordinary one then. Two
actions at the same station at the same instant whose order could differ from the exact path's
raise :class:`sim.model.station.Tie`, and the replication is rerun on the exact path.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.core import URGENT
from simpy.events import Event

from sim.heap import release_freed_memory
from sim.model.entry import EntryPath
from sim.model.records import RELEASED
from sim.model.station import ENTRY, HIGH, NORMAL
from sim.model.trip import Trip
from sim.policies import PolicyError

if TYPE_CHECKING:
    from sim.model.border import Border

__all__ = ["ENTRY_CHUNK", "PLAN_BLOCK", "FastPath"]

PLAN_BLOCK = 1 << 16
"""Fast path: shipments selected before the run this many at a time."""
ENTRY_CHUNK = 16384
"""Fast path: entries read as Python tuples this many at a time (the rest stay in compact
arrays). A small replication reads all of its entries at once."""


class _Urgent(Event):
    """An event after ``delay`` hours that comes before every ordinary event at its instant
    (as SimPy's own Initialize does): the fast path's shipment entries."""

    def __init__(self, env: simpy.Environment, delay: float, value: object = None):
        self.env = env
        self.callbacks = []
        self._value = value
        self._ok = True
        env.schedule(self, URGENT, delay)


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


class _Clock:
    """The border as a policy sees it while the fast path selects before the run: only the
    time of the selection (the policies selected there never read anything else)."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0.0

    def queue_length(self, check: str) -> int:
        raise PolicyError("internal: a policy selected before the run read the border")

    busy = on_duty = queue_length


class FastPath(EntryPath):
    """Selections planned before the run; entries at their instants (see the module's
    docstring)."""

    def __init__(self, border: Border) -> None:
        super().__init__(border)
        self._route_lengths: np.ndarray | None = None

    def start(self) -> Generator:
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
        order, ts = self.start_order()
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
        lodged = self.lodged()[order]
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
        lodged = self.lodged()
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
            lod = self.lodged()[sid]
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
        border = self.border
        route = lanes.astype(np.int64)
        route *= border.n_classes
        route += border.route_class[sids]
        routed = self._route_lengths[route] > 0
        green = ~routed
        ids, t = sids[green], when[green]
        ready = tr.ready[ids]
        early = t < ready
        t[early] += ready[early] - t[early]  # t + (ready - t), as a timeout would
        done = t < self._end_hours
        ids, t = ids[done], t[done]
        if border.pays:  # customs is done: payment, then release (as Border.release)
            rec.cleared[ids] = t
            t = border.paid(ids, t)
            done = t < self._end_hours
            ids, t = ids[done], t[done]
        rec.released[ids] = t
        rec.outcome[ids] = RELEASED
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
                tr.ready[ids].tolist(),
                strict=True,
            )
        )

    def _enter(self, _event: Event) -> None:
        """Every shipment selected at this instant joins its first check, in selection order."""
        now = self.env.now
        chunk, i = self._e_chunk, self._e_i
        flat = self._flat_routes
        stations = self.stations
        border = self.border
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
                station.submit(sid, queue_class, truth, ENTRY, created)
            else:
                Trip(border, sid, route, queue_class, truth, now < a, a, created).visit(
                    station, ENTRY
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

    def close(self) -> None:
        self._entries = self._flat_routes = self._e_chunk = None
