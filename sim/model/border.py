"""The SimPy model of the border: one replication's stations, policy and records, tied together.

Each check is a :class:`sim.model.station.Station`; a selected shipment goes along its route
by a :class:`sim.model.trip.Trip`. A shipment passes each check at most once: a check already
passed on an alarm's referral is not repeated, and an alarm referred to a check already passed
gets that check's verdict. The model only writes timestamps into
:class:`sim.model.records.Records`; every figure is derived from them afterwards.

Shipments are driven by callbacks on SimPy events, not one generator process each: an arrival
is a :class:`simpy.Timeout` whose callback starts every shipment arriving at that instant, a
station's service end calls the shipment's continuation, and a shipment moving on to another
check does so through one event scheduled at the instant its check ended, exactly where the
process of a one-process-per-shipment model would have resumed.

How shipments enter is chosen once, from the policy's class (both paths give bit-identical
records; ``tests/test_fastpath.py``):

- the **exact path** (:mod:`sim.model.exact`), for a policy that may read the state of the
  border (``capacity_aware``, plug-ins): each shipment is selected at its own event;
- the **fast path** (:mod:`sim.model.fast`), for a policy that never reads it (``random``,
  ``quota``, ``profiles``, ``risk_score``): every selection is made before the run, and only
  shipments with checks enter the event loop. Should two actions at one station coincide in
  an order it cannot vouch for (:class:`sim.model.station.Tie`), the replication is rerun on
  the exact path.
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.heap import release_freed_memory
from sim.model.entry import EntryPath
from sim.model.exact import ExactPath
from sim.model.fast import FastPath
from sim.model.records import INTERCEPTED, RELEASED, Records
from sim.model.roster import schedule_for
from sim.model.station import Station, Tie, capacity_changes
from sim.model.traffic import Shipments, alerts, generate, risk_scores
from sim.policies import Policy, PolicyContext, PolicyError, Selectivity, make_policy
from sim.schema import INSPECTION_KINDS, Scenario
from sim.schema.checks import permit_shares
from sim.streams import Streams

__all__ = ["Border", "PolicyError", "Station", "capacity_changes", "simulate"]


class Border:
    """One replication: the shipments, the stations, the policy, and the records they fill;
    also the view of the border a policy reads while it selects (:class:`sim.BorderView`).

    ``exact=True`` forces the exact path (every selection at its own event) whatever the
    policy; results are the same either way.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        policy: Policy | None = None,
        *,
        exact: bool = False,
    ):
        self.scenario = scenario
        self.streams = streams
        self.traffic: Shipments = generate(scenario, streams)
        self.records = Records(self.traffic, list(scenario.checks), list(scenario.lanes))
        self.window = (scenario.warmup_hours, scenario.hours)
        self.lane_index = {name: i for i, name in enumerate(scenario.lanes)}
        self.route_class, self.n_classes = self._route_classes()
        self.routes = self._routes()
        self._payment()
        self.policy = policy or make_policy(scenario)
        self.selectivity = Selectivity(self.policy, scenario)
        self._signals()
        self.fast = not exact and not self.policy.reads_border
        self._setup()

    def _setup(self) -> None:
        """The event loop, the stations, the policy's streams and the entry path, ready to
        run."""
        scenario = self.scenario
        self.env = simpy.Environment()
        rec = self.records
        self._released = memoryview(rec.released)
        self._outcome = memoryview(rec.outcome)
        self._intercepted_at = memoryview(rec.intercepted_at)
        self._post_release_at = memoryview(rec.post_release_at)
        self.stations = [
            Station(self, k, name, check, self.streams)
            for k, (name, check) in enumerate(scenario.checks.items())
        ]
        self._by_name = {s.name: s for s in self.stations}
        for station, check in zip(self.stations, scenario.checks.values(), strict=True):
            if check.on_alarm != "intercept":
                station.refer = self._by_name[check.on_alarm].index
        self.selectivity.start(PolicyContext(scenario, self.streams.per_shipment))
        self._end_hours = scenario.end_hours
        self.path: EntryPath = (FastPath if self.fast else ExactPath)(self)
        self.env.process(self.path.start())  # after the rosters' first changes

    def _signals(self) -> None:
        """The risk score and alert of every shipment, from the traffic's own noise and the
        policy's settings (vectorised, once per replication)."""
        sel, tr, rec = self.selectivity, self.traffic, self.records
        if sel.separations is not None:
            rec.risk_score = risk_scores(tr, sel.separations)
            rec.has_score = True
        if sel.alert_p is not None:
            rec.alert = alerts(tr, *sel.alert_p)
            rec.has_alerts = True

    def _route_classes(self) -> tuple[np.ndarray, int]:
        """Each shipment's route class and how many classes there are. A check required for a
        share of a commodity's shipments (``required_for = { medicine = 0.3 }``) is drawn once
        per shipment (stream ``required:<check>``) and sets bit j of the class, j counting
        such checks: class = commodity x 2^(checks with shares) + bits. With no shares, the
        class is the commodity itself (no draw, no copy)."""
        sc = self.scenario
        tr = self.traffic
        self._shared = [name for name, c in sc.checks.items() if permit_shares(c.required_for)]
        n_commodities = len(sc.traffic.commodities)
        if not self._shared:
            return tr.commodity, n_commodities
        width = len(self._shared)
        cls = tr.commodity.astype(np.int32) << width
        names = list(sc.traffic.commodities)
        for j, name in enumerate(self._shared):
            required = sc.checks[name].required_for
            share = np.array([float(required.get(c, 0.0)) for c in names])
            u = self.streams.rng(f"required:{name}").random(len(tr))
            cls |= (u < share[tr.commodity]).astype(np.int32) << j
        return cls.astype(np.int16 if n_commodities << width < 32768 else np.int32), (
            n_commodities << width
        )

    def _routes(self) -> list[list[tuple[int, ...]]]:
        """Station indices visited, by lane and route class (lane route + required checks; see
        :meth:`_route_classes`)."""
        sc = self.scenario
        index = {name: k for k, name in enumerate(sc.checks)}
        shared = self._shared
        width = len(shared)
        routes = []
        for route in sc.lanes.values():
            per_class = []
            for commodity in sc.traffic.commodities:
                for bits in range(1 << width):
                    extra = [
                        name
                        for name, check in sc.checks.items()
                        if name not in route
                        and (
                            bits >> shared.index(name) & 1
                            if name in shared
                            else commodity in check.required_for
                            and (
                                not isinstance(check.required_for, dict)
                                or check.required_for[commodity] > 0
                            )
                        )
                    ]
                    per_class.append(tuple(index[name] for name in [*route, *extra]))
            routes.append(per_class)
        return routes

    def _payment(self) -> None:
        """``[payment]``: who pays at the border, the delay and the roster (see :meth:`paid`)."""
        pay = self.scenario.payment
        self.pays = pay is not None
        if pay is None:
            return
        self._pay_delay = self.streams.per_shipment("payment", pay.delay_hours.sample)
        self._pay_u = self.streams.per_shipment("payment:share") if pay.share < 1 else None
        self._pay_schedule = schedule_for(self.scenario, pay.roster)
        tr = self.traffic
        names = list(self.scenario.traffic.commodities)
        mask = np.ones(len(tr), dtype=bool)
        if pay.commodities:
            mask = np.isin(tr.commodity, [names.index(c) for c in pay.commodities])
        if pay.deferred_for_aeo:
            mask &= ~tr.aeo
        self._payer = mask

    def paid(self, sids: np.ndarray, done: np.ndarray) -> np.ndarray:
        """When shipments ``sids``, done with customs at ``done``, are released: after paying
        (``next_open(done + delay)``) for those who pay at the border, else at once. The same
        draws, one by one (:meth:`release`) or many at once (the fast path)."""
        out = done.copy()
        pays = self._payer[sids]
        if self._pay_u is not None:
            pays &= self._pay_u.take(sids) < self.scenario.payment.share
        if pays.any():
            t = done[pays] + self._pay_delay.take(sids[pays])
            if not self._pay_schedule.always:
                t = np.array([self._pay_schedule.next_open(x) for x in t.tolist()])
            out[pays] = t
        return out

    # The policy's view of the border --------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def queue_length(self, check: str) -> int:
        return len(self._by_name[check].queue)

    def busy(self, check: str) -> int:
        return self._by_name[check].busy

    def on_duty(self, check: str) -> int:
        return self._by_name[check].on_duty()

    def inspected_outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        """The shipments examined so far (a physical or scan check started) whose outcome is
        known now, and whether each was intercepted: what a targeting unit learns from (an
        illicit shipment the examination missed was released, and reads as legitimate). During
        the run, for a learning policy (:mod:`sim.policies.learning`)."""
        now = self.env.now
        examined = np.zeros(len(self.traffic), dtype=bool)
        for station in self.stations:
            if self.scenario.checks[station.name].kind in INSPECTION_KINDS:
                examined[station.started()] = True
        rec = self.records
        found = rec.outcome == INTERCEPTED
        known = found | ((rec.outcome == RELEASED) & (rec.released <= now))
        ids = np.flatnonzero(examined & known)
        return ids, found[ids]

    # Outcomes ------------------------------------------------------------------------------
    def release(self, sid: int, early: bool, ready: float, now: float) -> None:
        """Released ``now``, or when the goods are ready if cleared before (when that is before
        the end); with ``[payment]``, customs is done then and release follows payment."""
        if early and now < ready:
            now = now + (ready - now)  # the instant of a timeout until the goods are ready
            if now >= self._end_hours:
                return  # still inside when the run stops
        if self.pays:
            self.records.cleared[sid] = now
            if self._payer[sid] and (
                self._pay_u is None or self._pay_u[sid] < self.scenario.payment.share
            ):
                now = now + self._pay_delay[sid]
                if not self._pay_schedule.always:
                    now = self._pay_schedule.next_open(now)
                if now >= self._end_hours:
                    return  # paying when the run stops: still inside
        self._released[sid] = now
        self._outcome[sid] = RELEASED

    def intercept(self, sid: int, station: int) -> None:
        self._outcome[sid] = INTERCEPTED
        self._intercepted_at[sid] = station

    def flag(self, sids: np.ndarray) -> None:
        """Raise an intelligence alert on declarations not yet selected (a seizure shared by
        another office): the policy reads it as ``Declaration.alert`` when it selects them.
        Exact path only, as :meth:`advance`."""
        if self.fast:
            raise RuntimeError("declarations are flagged during the run on the exact path only")
        rec = self.records
        if not rec.has_alerts:
            rec.alert, rec.has_alerts = np.zeros(len(self.traffic), dtype=bool), True
            self.path.alerts_raised()
        rec.alert[sids] = True  # the column the exact path reads at selection

    # Running ---------------------------------------------------------------------------------
    def run(self) -> Records:
        """Simulate to the end of the drain period and return the records."""
        try:
            self.env.run(until=self.scenario.end_hours)
        except Tie:
            # Simultaneous actions the fast path cannot order: start again on the exact path.
            self.fast = False
            self.records.__post_init__()
            self._signals()
            self._setup()
            self.env.run(until=self.scenario.end_hours)
        return self.finish()

    def advance(self, until: float) -> None:
        """Simulate up to ``until`` hours (at most the end of the run), to act between steps:
        a learning model retrained, traffickers who adapt, offices that share what they
        seize. Only on the exact path (``exact=True``): the fast path selects everything
        before the run, so nothing done between steps could reach its selections."""
        if self.fast:
            raise RuntimeError("a border simulated in steps must take the exact path")
        until = min(until, self._end_hours)
        if until > self.env.now:
            self.env.run(until=until)

    def set_truth(self, sids: np.ndarray, truth: np.ndarray) -> None:
        """Change the ground truth of shipments not yet selected (traffickers who adapt,
        between steps) and all that reads it: their risk score and alert, from their own noise
        as at the start (:func:`risk_scores`, :func:`alerts`; an alert raised by :meth:`flag`
        before is drawn again: set the truth first). The exact path reads these columns
        themselves."""
        if self.fast:
            raise RuntimeError("the truth can change during a run on the exact path only")
        sids = np.asarray(sids, dtype=np.int64)
        truth = np.asarray(truth, dtype=np.int8)
        tr, rec, sel = self.traffic, self.records, self.selectivity
        tr.truth[sids] = truth
        if rec.has_score:
            rec.risk_score[sids] = risk_scores(tr, sel.separations, sids)
        if sel.alert_p is not None:
            rec.alert[sids] = alerts(tr, *sel.alert_p, sids)

    def finish(self) -> Records:
        """Simulate what is left of the run (nothing, when :meth:`run` did it) and return the
        records, closed."""
        if self.env.now < self._end_hours:
            self.env.run(until=self._end_hours)
        self.path.close()
        for station in self.stations:
            station.close()
        self.policy.finish(self.records)  # what a learning policy learned
        release_freed_memory()  # what the run grew and let go, before the metrics need room
        return self.records


def simulate(
    scenario: Scenario,
    seed_seq: np.random.SeedSequence,
    policy: Policy | None = None,
    *,
    exact: bool = False,
) -> Records:
    """Simulate one replication from its seed sequence (``exact``: see :class:`Border`)."""
    return Border(scenario, Streams(seed_seq), policy, exact=exact).run()
