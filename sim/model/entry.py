"""How selected shipments enter the stations: the hooks an entry path fills, and what both
paths share (when customs deals with each declaration, and the declaration a policy reads).

A :class:`sim.model.border.Border` chooses its path once, from the policy's class:
:class:`sim.model.exact.ExactPath` selects each shipment at its own event, in simulation
order (any policy); :class:`sim.model.fast.FastPath` selects every shipment before the run
(a policy that never reads the border). Both give bit-identical records.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from sim.policies import Declaration

if TYPE_CHECKING:
    from sim.model.border import Border

__all__ = ["EntryPath"]

_BOOL = (False, True)
_NAN = float("nan")


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

    def alerts_raised(self) -> None:
        """The records have just gained an alert column (a shared seizure flagged the office's
        first declarations during the run): selection reads it from now on."""

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

    def _columns(self) -> list:
        """What selection reads, as memoryviews of the traffic's and the records' own columns:
        no copy (a shipment costs nothing more here), each as cheap to index per shipment as
        a Python array and far cheaper than numpy. A column written during the run (the truth
        of traffickers who adapt, alerts from shared seizures) is read as it stands. The risk
        score and the alert are ``None`` when the policy has none (read as NaN and False)."""
        tr, rec = self.traffic, self.records
        return [
            memoryview(tr.arrival),
            memoryview(self.lodged()),
            memoryview(tr.commodity),
            memoryview(tr.origin),
            memoryview(tr.compliance),
            memoryview(tr.aeo),
            memoryview(tr.prearrival),
            memoryview(tr.priority),
            memoryview(tr.value_usd),
            memoryview(tr.truth),
            memoryview(rec.risk_score) if rec.has_score else None,
            memoryview(rec.alert) if rec.has_alerts else None,
        ]

    def _ready_and_class(self) -> tuple[memoryview, memoryview]:
        """When each shipment's goods are ready and its route class, as memoryviews of the
        traffic's and the border's own columns."""
        return memoryview(self.traffic.ready), memoryview(self.border.route_class)

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
            _NAN if score is None else score[sid],
            alert is not None and alert[sid],
        )
