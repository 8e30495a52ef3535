"""A network of offices simulated together: one :class:`~sim.model.border.Border` per office,
run alone when nothing links them, or in lock-step when something does (shared seizures, or
traffickers who adapt), with hooks acting between the steps.

The home office (the scenario's own tables) uses the replication's streams themselves, so a
network of one office with no links gives exactly the standalone numbers; every other office
uses streams spawned from the replication's seed by its name, so it gives the numbers of its
own scenario run from those streams. Linked offices take the exact path (each selection at its
own event), so that what a hook does between steps reaches later selections.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import numpy as np
from simpy.events import Timeout

from sim.model.border import Border
from sim.model.records import INTERCEPTED, Records
from sim.model.traffic import code_dtype, hourly_rates
from sim.policies import Policy
from sim.schema import Scenario
from sim.schema.network import DEFAULT_HOME, Sharing
from sim.streams import PerShipment, Streams

__all__ = ["Hook", "Network", "Office", "SharedSeizures", "office_seed", "simulate_network"]


class Hook(Protocol):
    """Something that acts on linked offices between steps of the run."""

    period_hours: float
    """How often it acts: the offices are synchronised at least this often (at the finest
    period of all hooks; every hook is called at every synchronisation)."""

    def before(self, start: float, end: float) -> None:
        """Called before ``[start, end)`` is simulated (at ``start``, nothing of it done)."""

    def after(self, start: float, end: float) -> None:
        """Called once every office has been simulated up to ``end``."""

    def metrics(self) -> dict[str, float]:
        """Its own figures of the replication, merged into the results."""
        return {}


@dataclass
class Office:
    """One office of the network: its name, words for people, scenario and border (built when
    first asked for: offices that run alone are built one at a time)."""

    name: str
    label: str
    scenario: Scenario
    build: Callable[[], Border] = field(repr=False)
    _border: Border | None = field(default=None, init=False, repr=False)

    @property
    def border(self) -> Border:
        if self._border is None:
            self._border = self.build()
        return self._border


def office_seed(seed_seq: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """The seed sequence of a non-home office: spawned from the replication's by its name."""
    key = zlib.crc32(f"office:{name}".encode())
    return np.random.SeedSequence(seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, key))


class _Streams(Streams):
    """The streams of an office: they keep the per-shipment variates they hand out, so that
    the blocks drawn can be let go now and then (:meth:`forget`, between steps or once a
    simulated day; drawn again, identically, when read), rather than up to
    ``PerShipment.KEEP`` blocks of each."""

    def __init__(self, seed_seq: np.random.SeedSequence):
        super().__init__(seed_seq)
        self._given: list[PerShipment] = []

    def per_shipment(self, name: str, draw=None) -> PerShipment:
        variates = super().per_shipment(name, draw)
        self._given.append(variates)
        return variates

    def forget(self) -> None:
        for variates in self._given:
            variates.forget()


def _forget_daily(border: Border) -> None:
    """Let go of an office's per-shipment variates once a simulated day while it runs alone:
    an event that changes nothing else, nor the order of the others (SimPy orders the events
    of one instant by when they were scheduled, so the others keep theirs)."""

    def forget(_event: object) -> None:
        border.streams.forget()
        Timeout(border.env, 24.0).callbacks.append(forget)

    Timeout(border.env, 24.0).callbacks.append(forget)


def linked(scenario: Scenario) -> bool:
    """Whether a scenario's offices act on each other (then they run in lock-step)."""
    network = scenario.network
    return (network is not None and network.linked) or _adversary(scenario) is not None


def _adversary(scenario: Scenario) -> object | None:
    return getattr(scenario, "adversary", None)


class Network:
    """The offices of one replication and the hooks that link them (see the module)."""

    def __init__(
        self,
        scenario: Scenario,
        seed_seq: np.random.SeedSequence,
        policy: Policy | None = None,
    ):
        self.scenario = scenario
        spec = scenario.network
        exact = linked(scenario)
        self.streams = _Streams(seed_seq)
        home = spec.home if spec is not None else DEFAULT_HOME
        label = spec.home_label if spec is not None else ""
        self.offices = [
            Office(
                home, label, scenario, partial(Border, scenario, self.streams, policy, exact=exact)
            )
        ]
        for name, (label, office) in scenario.offices.items():
            streams = _Streams(office_seed(seed_seq, name))
            self.offices.append(
                Office(name, label, office, partial(Border, office, streams, exact=exact))
            )
        self.hooks: list[Hook] = []
        if not exact:
            return  # nothing links the offices: each is built when its turn to run comes
        borders = self.borders  # linked offices are all built at once, for the hooks
        # The adversary first: the truth of a step's shipments is set before sharing reads it.
        if _adversary(scenario) is not None:
            from sim.model.adversary import Adversary  # the adaptive flow, when it is there

            self.hooks.append(Adversary(scenario, borders, self.streams))
        if spec is not None and spec.sharing is not None:
            self.hooks.append(SharedSeizures(spec.sharing, borders))

    @property
    def home(self) -> Office:
        return self.offices[0]

    @property
    def borders(self) -> dict[str, Border]:
        """Every office's border, by name (building those not built yet)."""
        return {o.name: o.border for o in self.offices}

    def run(self) -> dict[str, Records]:
        """Simulate every office to the end of the run; their records, by office name, home
        first. Offices with no hook between them run one after the other, each built when its
        turn comes, the busiest first: at its peak, no other office's shipments are held (their
        streams are their own, so the order changes no number)."""
        if not self.hooks:
            busiest = sorted(self.offices, key=lambda o: -hourly_rates(o.scenario).sum())
            records = {}
            for o in busiest:
                _forget_daily(o.border)
                records[o.name] = o.border.run()
            return {o.name: records[o.name] for o in self.offices}
        end = max(o.scenario.end_hours for o in self.offices)
        period = min(h.period_hours for h in self.hooks)
        step, start = 0, 0.0
        while start < end:
            step += 1
            stop = min(step * period, end)  # multiples of the period: no drift
            for hook in self.hooks:
                hook.before(start, stop)
            for office in self.offices:
                office.border.advance(stop)
            for hook in self.hooks:
                hook.after(start, stop)
            for office in self.offices:
                office.border.streams.forget()
            start = stop
        return {o.name: o.border.finish() for o in self.offices}

    def metrics(self) -> dict[str, float]:
        """Every hook's own figures."""
        out: dict[str, float] = {}
        for hook in self.hooks:
            out.update(hook.metrics())
        return out


def simulate_network(
    scenario: Scenario, seed_seq: np.random.SeedSequence, policy: Policy | None = None
) -> tuple[Network, dict[str, Records]]:
    """Simulate one replication of a network; the network (for its hooks' metrics) and the
    records by office."""
    network = Network(scenario, seed_seq, policy)
    return network, network.run()


# --------------------------------------------------------------------------- shared seizures


@dataclass
class _Member:
    """What sharing keeps of one office: when customs deals with each declaration, each
    declaration's match key, the draws that decide a flag, and the seizures seen."""

    name: str
    border: Border
    times: np.ndarray  # when customs deals with each shipment (the exact path's own column)
    key: np.ndarray  # match key of each shipment (as few bytes as the keys need)
    flag_u: PerShipment  # U[0, 1) per shipment: flagged when below its truth's chance
    seen: np.ndarray  # bool per shipment: its seizure already shared
    rows_from: list[int] = field(default_factory=list)  # per station: first row maybe unfinished


class SharedSeizures:
    """``[network.sharing]``: a seizure at one office flags the declarations of the other
    sharing offices that match it (``match``: the same commodity, origin... by name), that
    customs deals with from ``delay_hours`` after the seizure for ``window_days``; an illicit
    one with chance ``coverage``, a legitimate one with ``false_alert_rate`` (one draw per
    declaration, stream ``sharing``). A flag is an intelligence alert: the office's
    ``[policy.alerts]`` lane applies when it is selected."""

    def __init__(self, spec: Sharing, borders: dict[str, Border]):
        self.spec = spec
        self.period_hours = spec.period
        names = spec.offices or list(borders)
        vocab = {a: sorted({n for b in borders.values() for n in _names(b, a)}) for a in spec.match}
        self.members = [self._member(name, borders[name], vocab) for name in names]
        self.chance = np.array([spec.false_alert_rate, *([spec.coverage] * 256)])
        self.shared: list[tuple[float, float, int, int]] = []  # from, to, key, source member
        self.counts = {"seizures": 0, "flagged": 0, "flagged_illicit": 0}

    def _member(self, name: str, border: Border, vocab: dict[str, list[str]]) -> _Member:
        tr = border.traffic
        key = np.zeros(len(tr), dtype=np.int32)  # at most 100 names of 4 attributes: < 2**31
        for attr, words in vocab.items():
            ids = np.array([words.index(n) for n in _names(border, attr)], dtype=np.int32)
            key *= np.int32(len(words) + 1)
            key += ids[_column(border, attr)]
        keys = math.prod(len(words) + 1 for words in vocab.values())
        key = key.astype(code_dtype(keys))  # as few bytes as the keys need
        u = border.streams.per_shipment("sharing")
        seen = np.zeros(len(tr), dtype=bool)
        times = border.path.lodged()
        return _Member(name, border, times, key, u, seen, [0] * len(border.stations))

    def before(self, start: float, end: float) -> None:
        """Flag this step's declarations that match a seizure shared with their office."""
        self.shared = [s for s in self.shared if s[1] > start]
        if not self.shared:
            return
        for m, member in enumerate(self.members):
            active = [s for s in self.shared if s[3] != m and s[0] < end]
            if not active:
                continue
            # The step's declarations, found by a pass over the instants (rather than kept in
            # their order: 12 bytes a shipment); which are flagged does not depend on the order.
            times = member.times
            ids = np.flatnonzero((times >= start) & (times < end))
            when = times[ids]
            keys = member.key[ids]
            hit = np.zeros(len(ids), dtype=bool)
            for begin, until, key, _ in active:
                hit |= (keys == key) & (when >= begin) & (when < until)
            ids = ids[hit]
            truth = member.border.traffic.truth[ids]
            ids = ids[member.flag_u.take(ids) < self.chance[truth]]
            if ids.size:
                member.border.flag(ids)
                self.counts["flagged"] += int(ids.size)
                self.counts["flagged_illicit"] += int((member.border.traffic.truth[ids] > 0).sum())

    def after(self, start: float, end: float) -> None:
        """Share the seizures made in ``[start, end)``: each flags from its time plus the
        delay (no earlier than ``end``, as the period is at most the delay)."""
        delay, window = self.spec.delay_hours, self.spec.window_days * 24.0
        for m, member in enumerate(self.members):
            sids, times = _new_seizures(member)
            self.counts["seizures"] += int(sids.size)
            for key, t in zip(member.key[sids].tolist(), times.tolist(), strict=True):
                self.shared.append((t + delay, t + delay + window, key, m))

    def metrics(self) -> dict[str, float]:
        return {f"sharing.{k}": float(v) for k, v in self.counts.items()}


def _names(border: Border, attr: str) -> list[str]:
    """The names an office gives the values of a declared attribute, by code."""
    traffic = border.scenario.traffic
    groups = {"commodity": traffic.commodities, "origin": traffic.origins}
    groups["compliance"] = traffic.compliance
    return ["no", "yes"] if attr == "aeo" else list(groups[attr])


def _column(border: Border, attr: str) -> np.ndarray:
    """Each shipment's code of a declared attribute (the traffic's own column)."""
    tr = border.traffic
    columns = {"commodity": tr.commodity, "origin": tr.origin, "compliance": tr.compliance}
    return tr.aeo.view(np.int8) if attr == "aeo" else columns[attr]


def _new_seizures(member: _Member) -> tuple[np.ndarray, np.ndarray]:
    """The shipments intercepted at ``member``'s office since the last call, and when (the end
    of the check that found them, read from the station's visit rows)."""
    rec = member.border.records
    new = np.flatnonzero((rec.outcome == INTERCEPTED) & ~member.seen)
    member.seen[new] = True
    if not new.size:
        return new, np.zeros(0)
    at = rec.intercepted_at[new]
    times = np.zeros(new.size)
    for k, station in enumerate(member.border.stations):
        # Rows before rows_from[k] were finished at an earlier call: only later ones can hold
        # a seizure made since (a station's visit rows, read as copies).
        lo, hi = member.rows_from[k], station.seq
        sid = np.array(station._sid[lo:hi], dtype=np.int64)
        end = np.array(station._end[lo:hi])
        open_rows = np.flatnonzero(np.isnan(end))
        member.rows_from[k] = lo + (int(open_rows[0]) if open_rows.size else hi - lo)
        here = at == k
        if here.any():
            pos = {s: i for i, s in enumerate(sid.tolist())}
            times[here] = end[[pos[s] for s in new[here].tolist()]]
    return new, times
