"""The record schema: raw timestamps of every shipment and every station, nothing derived.

The SimPy model writes these columns; :mod:`sim.measure.metrics` derives every figure from them
afterwards. One row per shipment (in arrival order, ``id`` = row), and for each check one row
per visit (``Visits``: the shipment and when it joined the queue, started and ended its check),
so a run's memory grows with the visits, not with shipments times checks. ``Records.enter``,
``start`` and ``end`` spread the visits over every shipment (NaN where a shipment never got
there), for export and tests.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

import numpy as np

from sim.model.roster import schedule_for
from sim.model.traffic import Shipments, code_dtype
from sim.policies.selectivity import REASONS

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
class Visits:
    """One check's visits, in shipment order (a shipment visits a check at most once)."""

    sid: np.ndarray  # int32 shipment ids, increasing
    enter: np.ndarray  # hours: joined the queue
    start: np.ndarray  # service started; NaN if still queued when the run stopped
    end: np.ndarray  # service ended; NaN if not yet
    alarm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Whether the check raised an alarm (a finding or a false alarm); False until it ended."""
    answered: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Hours: the trader answered the check's query (``[checks.<name>.query]``); NaN for a
    visit with no query, and empty (every visit NaN) for a check that asks none."""

    def answered_at(self) -> np.ndarray:
        """``answered`` with one value per visit (NaN where no query was asked)."""
        if len(self.answered) == len(self.sid):
            return self.answered
        return np.full(len(self.sid), np.nan)

    @classmethod
    def empty(cls) -> Visits:
        return cls(np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.sid)


@dataclass
class Records:
    """Everything that happened in one replication."""

    traffic: Shipments  # the shipments simulated
    checks: list[str]
    lanes: list[str]
    lane: np.ndarray = field(init=False)  # index into lanes, -1 before selectivity
    selected_by: np.ndarray = field(init=False)  # code into sim.policies.REASONS (0: not selected)
    selected: np.ndarray = field(init=False)  # hours
    priority: np.ndarray = field(init=False)  # bool, as queued
    released: np.ndarray = field(init=False)  # hours, NaN unless released
    outcome: np.ndarray = field(init=False)  # IN_SYSTEM, RELEASED or INTERCEPTED
    intercepted_at: np.ndarray = field(init=False)  # check index or -1
    post_release_at: np.ndarray = field(init=False)  # check index of a finding after release, or -1
    cleared: np.ndarray | None = field(init=False)  # hours: customs done, before payment (NaN
    # unless done); only with [payment] (a float a shipment otherwise spared)
    visits: list[Visits] = field(init=False)  # by check
    stations: dict[str, StationStats] = field(init=False)
    has_score: bool = False  # the policy has a targeting model: risk_score is filled
    has_alerts: bool = False  # the policy has intelligence alerts: alert is filled
    learning: object | None = None  # a learning policy's scores (sim.policies.learning.Learned)
    _score: np.ndarray | None = field(default=None, init=False, repr=False)
    _alert: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        n, c = len(self.traffic), len(self.checks)
        self.lane = np.full(n, -1, dtype=code_dtype(len(self.lanes)))
        self.selected_by = np.zeros(n, dtype=np.int8)
        self._score = self._alert = None
        self.selected = np.full(n, np.nan)
        self.priority = self.traffic.priority.copy()
        self.released = np.full(n, np.nan)
        self.outcome = np.zeros(n, dtype=np.int8)
        self.intercepted_at = np.full(n, -1, dtype=code_dtype(c))
        self.post_release_at = np.full(n, -1, dtype=code_dtype(c))
        self.cleared = None if self.traffic.scenario.payment is None else np.full(n, np.nan)
        self.visits = [Visits.empty() for _ in range(c)]
        self.stations = {name: StationStats() for name in self.checks}

    @property
    def risk_score(self) -> np.ndarray:
        """The targeting model's score of each shipment; NaN without one."""
        if self._score is None:
            return np.full(len(self.traffic), np.nan)
        return self._score

    @risk_score.setter
    def risk_score(self, value: np.ndarray) -> None:
        self._score = value

    @property
    def alert(self) -> np.ndarray:
        """Whether an intelligence alert flagged each shipment (all False without alerts)."""
        if self._alert is None:
            return np.zeros(len(self.traffic), dtype=bool)
        return self._alert

    @alert.setter
    def alert(self, value: np.ndarray) -> None:
        self._alert = value

    def held_hours(self, ids: np.ndarray, end_hours: float) -> np.ndarray:
        """Hours in custody of shipments ``ids``: to release, or to ``end_hours`` if not
        released (what spoils cold-chain goods)."""
        released = self.released[ids]
        return np.where(np.isnan(released), end_hours, released) - self.traffic.arrival[ids]

    def _spread(self, what: str) -> np.ndarray:
        out = np.full((len(self.checks), len(self.traffic)), np.nan)
        for k, visits in enumerate(self.visits):
            out[k, visits.sid] = getattr(visits, what)
        return out

    @property
    def enter(self) -> np.ndarray:
        """(checks, shipments): when each shipment joined each check's queue (NaN: never)."""
        return self._spread("enter")

    @property
    def start(self) -> np.ndarray:
        """(checks, shipments): when each check's service started."""
        return self._spread("start")

    @property
    def end(self) -> np.ndarray:
        """(checks, shipments): when each check's service ended."""
        return self._spread("end")

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
        if self.cleared is not None:
            cols["cleared"] = self.cleared
        if scenario.exit is not None:
            cols["exit"] = exit_times(scenario, self)
        if any(c.units is not None for c in scenario.traffic.commodities.values()):
            cols["units"] = t.units  # only then, so that traces without units keep their columns
        for k, name in enumerate(self.checks):
            for what in ("enter", "start", "end"):
                col = np.full(len(t), np.nan)
                col[self.visits[k].sid] = getattr(self.visits[k], what)
                cols[f"{name}.{what}"] = col
            alarm = np.zeros(len(t), dtype=bool)
            alarm[self.visits[k].sid] = self.visits[k].alarm
            cols[f"{name}.alarm"] = alarm
            if scenario.checks[name].query is not None:
                col = np.full(len(t), np.nan)
                col[self.visits[k].sid] = self.visits[k].answered_at()
                cols[f"{name}.answered"] = col
        return cols


def exit_times(scenario, rec: Records) -> np.ndarray:
    """When each released shipment leaves customs control (``[exit]``): the exit roster's
    next opening after release + its drawn delay; NaN if not released or with no ``[exit]``."""
    released = rec.released
    out = np.full(len(released), np.nan)
    if scenario.exit is None:
        return out
    done = ~np.isnan(released)
    t = released[done] + rec.traffic.exit_delay[done]
    schedule = schedule_for(scenario, scenario.exit.roster)
    if not schedule.always:
        t = np.array([schedule.next_open(x) for x in t.tolist()])
    out[done] = t
    return out


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
