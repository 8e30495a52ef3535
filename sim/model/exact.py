"""The exact entry path: each shipment is selected by the policy at its own event, in
simulation order, so a policy may read the state of the border (``capacity_aware``,
plug-ins). Any policy may take it; ``exact=True`` forces it.

The shipments starting at one instant are started by one arrival event, which first creates
the next instant's; a shipment lodged later is selected by its own event, created when it
started. A selected shipment joins its first check at once, or is released.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np
from simpy.events import Event, Timeout

from sim.model.entry import EntryPath
from sim.model.station import HIGH, NORMAL, OTHER
from sim.model.trip import Trip

if TYPE_CHECKING:
    from sim.model.border import Border

__all__ = ["ExactPath"]


class ExactPath(EntryPath):
    """Selections one by one, each at its own event (see the module's docstring)."""

    def __init__(self, border: Border) -> None:
        super().__init__(border)
        self._release = border.release
        self._cols = self._columns()
        self._ready, self._class = self._ready_and_class()

    def start(self) -> Generator:
        """Start the arrivals at time 0, after the rosters' first changes."""
        order, times = self.start_order()
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

    def _select(self, sid: int) -> None:
        """Selectivity now (the policy sees the border), then the shipment's route."""
        declaration = self._declaration(sid)
        lane_k, priority, reason = self._decide(declaration, self.border)
        if priority is None:
            priority = declaration.priority
        rec = self.records
        now = self.env.now
        rec.lane[sid] = lane_k
        rec.selected_by[sid] = reason
        rec.selected[sid] = now
        rec.priority[sid] = priority
        ready = self._ready[sid]
        early = now < ready
        route = self.routes[lane_k][self._class[sid]]
        if not route:
            self._release(sid, early, ready, now)
            return
        queue_class = HIGH if priority else NORMAL
        truth = self._cols[9][sid]
        station = self.stations[route[0]]
        if len(route) == 1 and station.alone and not early:
            station.submit(sid, queue_class, truth)
        else:
            Trip(self.border, sid, route, queue_class, truth, early, ready, 0.0).visit(
                station, OTHER
            )

    def close(self) -> None:
        self._cols = self._order = self._times = self._ready = self._class = None
