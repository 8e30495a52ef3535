"""The exact entry path: each shipment is selected by the policy at its own event, in
simulation order, so a policy may read the state of the border (``capacity_aware``,
plug-ins). Any policy may take it; ``exact=True`` forces it.

The shipments starting at one instant are started by one arrival event, which first creates
the next instant's; a shipment lodged later is selected by its own event, created when it
started. A selected shipment joins its first check at once, or is released.
"""

from __future__ import annotations

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
        self._lodged = super().lodged()
        self._cols = self._columns()
        self._ready, self._class = self._ready_and_class()
        # What selection reads lives on in those views; the traffic's other columns drawn on
        # demand (the noise of the risk score, units...) are drawn again if read.
        self.traffic.forget()

    def lodged(self) -> np.ndarray:
        """As :meth:`EntryPath.lodged`, computed once while the run needs it (the column
        selection reads)."""
        return super().lodged() if self._lodged is None else self._lodged

    def start(self) -> Generator:
        """Start the arrivals at time 0, after the rosters' first changes."""
        self._order, self._times = self._start_order()
        self._pos = 0
        if self._times and self._times[0] > self.env.now:
            self._arrival_event(self._times[0] - self.env.now)
        else:
            self._arrive()
        return
        yield  # a generator that never waits

    def _start_order(self) -> tuple[memoryview | None, memoryview]:
        """:meth:`start_order` kept small: no order (``None``) when customs first deals with
        every shipment at its arrival, in arrival order (no declaration processed before
        arrival), and then the arrival column itself for the instants; else the order as
        4-byte ids (or 8 when there are too many) and the instants."""
        arrival = self.traffic.arrival
        start = np.minimum(arrival, self._lodged)
        if np.array_equal(start, arrival) and not (arrival[1:] < arrival[:-1]).any():
            return None, self._cols[0]  # a stable sort of sorted instants changes nothing
        del start
        order, times = self.start_order()
        ids = order.astype(np.int32 if len(order) < 2**31 else np.int64)
        return memoryview(ids), memoryview(times)

    def _arrival_event(self, delay: float) -> None:
        Timeout(self.env, delay).callbacks.append(self._arrive)

    def _arrive(self, _event: Event | None = None) -> None:
        """Start every shipment due now; the next arrival's event is created first."""
        now = self.env.now
        times = self._times
        p = self._pos
        n = len(times)
        q = min(p + 1, n)  # no shipment at all: nothing to start
        while q < n and times[q] <= now:
            q += 1
        if q < n:
            self._arrival_event(times[q] - now)
        self._pos = q
        lodged = self._cols[1]
        order = self._order
        for sid in range(p, q) if order is None else order[p:q]:
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

    def alerts_raised(self) -> None:
        self._cols[11] = memoryview(self.records.alert)

    def close(self) -> None:
        self._cols = self._order = self._times = self._ready = self._class = None
        self._lodged = None
