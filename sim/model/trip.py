"""A selected shipment's way along its route through the stations, by callbacks.

Each step happens where the generator process of a one-process-per-shipment model would have
run it, without the process: a station calls :meth:`Trip.checked` at the end of its check,
and a shipment moving on to another check does so through one zero-delay event created at
that instant, where the process would have resumed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simpy.events import Event, Timeout

from sim.model.station import NEXT, OTHER, Station

if TYPE_CHECKING:
    from sim.model.border import Border

__all__ = ["Trip"]


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
        "ready",
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
        ready: float,
        created: float,
    ):
        self.border = border
        self.sid = sid
        self.route = route
        self.pos = 1  # the first check is visited at once (see Trip.visit)
        self.visited = 0  # bit k: check k passed (a shipment passes each check at most once)
        self.queue_class = queue_class
        self.truth = truth
        self.early = early  # selected before the goods are ready: checks on them wait
        self.ready = ready  # goods in the warehouse (arrival, or after [unloading])
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
            border.release(self.sid, self.early, self.ready, border.env.now)
        else:
            self.visit(station, kind)

    def visit(self, station: Station, kind: int) -> None:
        self.visited |= 1 << station.index
        env = self.border.env
        if self.early and station.needs_goods and env.now < self.ready:
            self._next = station
            Timeout(env, self.ready - env.now).callbacks.append(self._goods_arrived)
            return
        station.submit(self.sid, self.queue_class, self, kind, self.created)
        if station.guarantee:  # the shipment goes on while the test runs
            self.go(kind)

    def _goods_arrived(self, _event: Event) -> None:
        station = self._next
        station.submit(self.sid, self.queue_class, self, OTHER, self.created)
        if station.guarantee:
            self.go(OTHER)

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
                if refer is None or self._verdict(refer):
                    border.intercept(sid, station.index)
                    return
            else:
                nxt = border.stations[refer]
        if nxt is None and (self.pos >= len(self.route) or (nxt := self._upcoming()) is None):
            # released: nothing in it depends on what else happens at this instant
            border.release(sid, self.early, self.ready, now)
            return
        # It joins another check: at the instant this one ended, after the events already
        # due then (a zero-delay event, where a shipment process would have resumed).
        self._next = nxt
        Timeout(border.env, 0.0).callbacks.append(self._resume)

    def _verdict(self, k: int) -> bool:
        """Whether check ``k``, already passed, found against the shipment: its alarm as
        confirmed by the checks its alarms are referred to (a referral that cleared the shipment
        cleared it). Referrals never run in a circle (the scenario's checks refuse one)."""
        stations = self.border.stations
        station = stations[k]
        while station.alarms(self.sid, self.truth):
            if station.refer is None:
                return True
            station = stations[station.refer]
        return False

    def _resume(self, _event: Event) -> None:
        self.visit(self._next, NEXT)
