"""How selected shipments enter the stations: the hooks an entry path fills, and what both
paths share (when customs deals with each declaration, and the declaration a policy reads).

A :class:`sim.model.border.Border` chooses its path once, from the policy's class:
:class:`sim.model.exact.ExactPath` selects each shipment at its own event, in simulation
order (any policy); :class:`sim.model.fast.FastPath` selects every shipment before the run
(a policy that never reads the border). Both give bit-identical records.
"""

from __future__ import annotations

from array import array
from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from sim.policies import Declaration

if TYPE_CHECKING:
    from sim.model.border import Border

__all__ = ["EntryPath"]

_BOOL = (False, True)


class EntryPath:
    """The base of the two entry paths: :meth:`start` (the hook each path fills) runs at time
    0, after the rosters' first changes, and brings every selected shipment to its first
    check; :meth:`close` lets go of what the run needed once it stops."""

    def __init__(self, border: Border):
        scenario = border.scenario
        self.border = border
        self.env = border.env
        self.records = border.records
        self.traffic = border.traffic
        self.stations = border.stations
        self.routes = border.routes
        self.selectivity = border.selectivity
        self._decide = border.selectivity.decide
        self._end_hours = scenario.end_hours
        self._names = (
            list(scenario.traffic.commodities),
            list(scenario.traffic.origins),
            list(scenario.traffic.compliance),
        )

    def start(self) -> Generator:
        """The process started at time 0 (a generator that need never wait)."""
        raise NotImplementedError

    def close(self) -> None:
        """The run has stopped: drop what it needed."""

    def lodged(self) -> np.ndarray:
        """When customs deals with each declaration: lodged, or, under pre-arrival
        processing, ``lead_hours`` before arrival for a declaration lodged before it."""
        lodged = self.traffic.lodged
        lead = self.selectivity.prearrival_lead
        if lead is not None:
            lodged = lodged.copy()
            pre = self.traffic.prearrival
            lodged[pre] = np.maximum(self.traffic.arrival[pre] - lead, 0.0)
        return lodged

    def start_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Shipments in the order customs first deals with them (at arrival, or before it for
        a declaration processed before arrival), and those instants."""
        start = np.minimum(self.traffic.arrival, self.lodged())
        order = np.argsort(start, kind="stable")
        return order, start[order]

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
            floats(self.lodged()),
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

    def _ready_and_class(self) -> tuple[array, array]:
        """When each shipment's goods are ready and its route class, as compact arrays: the
        arrival and commodity columns of :meth:`_columns` themselves when there is no
        ``[unloading]`` and no share of a commodity needs a check."""
        tr, border = self.traffic, self.border
        ready = self._cols[0]
        if tr.ready is not tr.arrival:
            ready = array("d", np.ascontiguousarray(tr.ready, dtype=np.float64).tobytes())
        cls = self._cols[2]
        if border.route_class is not tr.commodity:
            cls = array("i", np.ascontiguousarray(border.route_class, dtype=np.int32).tobytes())
        return ready, cls

    def _declaration(self, sid: int) -> Declaration:
        """What the policy reads of shipment ``sid`` (from :meth:`_columns`, kept in ``_cols``
        while selections are made one by one)."""
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
