"""The record schema: raw timestamps of every shipment and every station, nothing derived.

The SimPy model writes these columns; :mod:`sim.metrics` derives every figure from them
afterwards. One row per shipment (in arrival order, ``id`` = row), one set of
``enter``/``start``/``end`` columns per check, NaN where a shipment never got there.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

import numpy as np

from sim.policies.selectivity import REASONS
from sim.traffic import Traffic

IN_SYSTEM, RELEASED, INTERCEPTED = 0, 1, 2
OUTCOMES = ("in_system", "released", "intercepted")


@dataclass
class StationStats:
    """Time-weighted totals of one station over the measurement window."""

    queue_area: float = 0.0  # integral of queue length dt
    busy_area: float = 0.0  # integral of busy servers dt
    capacity_area: float = 0.0  # integral of servers on duty dt
    queue_max: int = 0
    backlog_end: int = 0  # queued when the run stopped
    in_service_end: int = 0
    # Hour by hour over the whole run (warm-up and drain included): mean queue length, mean busy
    # officers and mean officers on duty in each hour, for pictures of queues over time.
    hourly_queue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hourly_busy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hourly_on_duty: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Records:
    """Everything that happened in one replication."""

    traffic: Traffic
    checks: list[str]
    lanes: list[str]
    lane: np.ndarray = field(init=False)  # index into lanes, -1 before selectivity
    selected_by: np.ndarray = field(init=False)  # code into sim.policies.REASONS (0: not selected)
    risk_score: np.ndarray = field(init=False)  # the targeting model's score; NaN without one
    alert: np.ndarray = field(init=False)  # bool: flagged by an intelligence alert
    selected: np.ndarray = field(init=False)  # hours
    priority: np.ndarray = field(init=False)  # bool, as queued
    released: np.ndarray = field(init=False)  # hours, NaN unless released
    outcome: np.ndarray = field(init=False)  # IN_SYSTEM, RELEASED or INTERCEPTED
    intercepted_at: np.ndarray = field(init=False)  # check index or -1
    post_release_at: np.ndarray = field(init=False)  # check index of a finding after release, or -1
    enter: np.ndarray = field(init=False)  # (checks, shipments): joined the queue
    start: np.ndarray = field(init=False)  # service started
    end: np.ndarray = field(init=False)  # service ended
    stations: dict[str, StationStats] = field(init=False)
    has_score: bool = False  # the policy has a targeting model: risk_score is filled
    has_alerts: bool = False  # the policy has intelligence alerts: alert is filled

    def __post_init__(self) -> None:
        n, c = len(self.traffic), len(self.checks)
        self.lane = np.full(n, -1, dtype=np.int16)
        self.selected_by = np.zeros(n, dtype=np.int8)
        self.risk_score = np.full(n, np.nan)
        self.alert = np.zeros(n, dtype=bool)
        self.selected = np.full(n, np.nan)
        self.priority = self.traffic.priority.copy()
        self.released = np.full(n, np.nan)
        self.outcome = np.zeros(n, dtype=np.int8)
        self.intercepted_at = np.full(n, -1, dtype=np.int16)
        self.post_release_at = np.full(n, -1, dtype=np.int16)
        self.enter = np.full((c, n), np.nan)
        self.start = np.full((c, n), np.nan)
        self.end = np.full((c, n), np.nan)
        self.stations = {name: StationStats() for name in self.checks}

    def columns(self, scenario) -> dict[str, np.ndarray]:
        """The shipment table with names in place of codes, for export."""
        t = self.traffic
        commodities = np.array(list(scenario.traffic.commodities))
        origins = np.array(list(scenario.traffic.origins))
        compliance = np.array(list(scenario.traffic.compliance))
        truths = np.array(["legitimate", *scenario.illicit.kinds])
        lanes = np.array([*self.lanes, ""])
        checks = np.array([*self.checks, ""])
        cols = {
            "id": np.arange(len(t)),
            "arrival": t.arrival,
            "lodged": t.lodged,
            "selected": self.selected,
            "released": self.released,
            "commodity": commodities[t.commodity],
            "origin": origins[t.origin],
            "compliance": compliance[t.compliance],
            "aeo": t.aeo,
            "prearrival": t.prearrival,
            "priority": self.priority,
            "value_usd": t.value_usd,
            "truth": truths[t.truth],
            "risk_score": self.risk_score,
            "alert": self.alert,
            "lane": lanes[self.lane],
            "selected_by": np.array([*REASONS, ""])[np.where(self.lane >= 0, self.selected_by, -1)],
            "outcome": np.array(OUTCOMES)[self.outcome],
            "intercepted_at": checks[self.intercepted_at],
            "post_release_at": checks[self.post_release_at],
        }
        for k, name in enumerate(self.checks):
            cols[f"{name}.enter"] = self.enter[k]
            cols[f"{name}.start"] = self.start[k]
            cols[f"{name}.end"] = self.end[k]
        return cols


def write_trace(path, tables: list[tuple[int, dict[str, np.ndarray]]]) -> None:
    """Write shipment tables of several replications to one gzip CSV (``replication`` first)."""
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        header_written = False
        for rep, cols in tables:
            names = list(cols)
            if not header_written:
                fh.write(",".join(["replication", *names]) + "\n")
                header_written = True
            n = len(cols["id"])
            buf = io.StringIO()
            text_cols = []
            for name in names:
                col = cols[name]
                if col.dtype.kind == "f":
                    text_cols.append(np.char.mod("%.6f", col).astype(object))
                    text_cols[-1][np.isnan(col)] = ""
                elif col.dtype.kind == "b":
                    text_cols.append(np.where(col, "true", "false").astype(object))
                else:
                    text_cols.append(col.astype(str).astype(object))
            rep_col = np.full(n, str(rep), dtype=object)
            for row in zip(rep_col, *text_cols, strict=True):
                buf.write(",".join(row))
                buf.write("\n")
            fh.write(buf.getvalue())
