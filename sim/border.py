"""The SimPy model of the border: stations (checks) and each shipment's route through them.

Each check is a station whose officers pull shipments from one priority queue (priority
shipments first, then first come, first served; non-preemptive). A roster sets how many
officers are on duty: at closing time an officer finishes the shipment in hand, then stops;
queued shipments wait for the next opening. A shipment passes each check at most once: a
check already passed on an alarm's referral is not repeated, and an alarm referred to a check
already passed gets that check's verdict. The model only writes timestamps into
:class:`sim.records.Records`; every figure is derived from them afterwards.
"""

from __future__ import annotations

import bisect
import math
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import Event

from sim.policies import Declaration, Policy, PolicyContext, PolicyError, Selectivity, make_policy
from sim.records import INTERCEPTED, RELEASED, Records
from sim.roster import Schedule, schedule_for
from sim.scenario import Check, Scenario
from sim.streams import Streams
from sim.traffic import Traffic, alerts, generate, risk_scores

HIGH, NORMAL = 0, 1
GOODS_KINDS = frozenset({"scan", "physical", "screening", "lab"})
"""Checks that need the goods themselves: under pre-arrival processing they wait for arrival."""

__all__ = ["Border", "PolicyError", "Station", "capacity_changes", "simulate"]


def capacity_changes(
    check: Check, schedule: Schedule, absent: np.ndarray | None, end: float
) -> list[tuple[float, int]]:
    """(time, officers on duty) at each change: openings, closings and daily absences."""
    changes: dict[float, int] = {0.0: 0}
    for a, b in schedule.intervals:
        if a >= end:
            break
        b = min(b, end)
        if absent is None:
            changes[a] = check.servers
        else:
            day = int(a // 24)
            t = a
            while t < b:
                changes[t] = check.servers - int(absent[day])
                day += 1
                t = day * 24.0
        if b < end:
            changes[b] = 0
    out: list[tuple[float, int]] = []
    for t, cap in changes.items():
        if not out or out[-1][1] != cap:
            out.append((t, cap))
    return out


class Station:
    """One check: a priority queue served by the officers on duty."""

    def __init__(self, border: Border, index: int, name: str, check: Check, streams: Streams):
        self.env = border.env
        self.index = index
        self.name = name
        self.records = border.records
        self.stats = border.records.stations[name]
        self.t0, self.t1 = border.window
        self.queue: list[tuple[int, int, int, Event]] = []
        self.seq = 0
        self.busy = 0
        self.capacity = 0  # on duty since the last roster change processed (for the time totals)
        self._last = 0.0
        self.guarantee = check.release_on_guarantee
        self.needs_goods = check.kind in GOODS_KINDS
        self.refer: int | None = None
        kinds = list(border.scenario.illicit.kinds)
        # Alarm probability by truth code: a false alarm for legitimate goods, else detection.
        self.alarm_p = [check.false_alarm] + [check.detect.get(k, 0.0) for k in kinds]
        self.service = streams.per_shipment(f"service:{name}", check.duration_hours.sample)
        self.alarm_u = streams.per_shipment(f"detect:{name}")
        sc = border.scenario
        absent = None
        if check.absence > 0:
            n_days = int(math.ceil(sc.end_hours / 24.0)) + 1
            absent = streams.rng(f"absence:{name}").binomial(check.servers, check.absence, n_days)
        changes = capacity_changes(check, schedule_for(sc, check.roster), absent, sc.end_hours)
        n_hours = int(math.ceil(sc.end_hours))
        self._hq = [0.0] * n_hours  # area under queue length, busy and on duty, by hour
        self._hb = [0.0] * n_hours
        self._hc = [0.0] * n_hours
        self._change_times = [t for t, _ in changes]
        self._change_caps = [cap for _, cap in changes]
        self.env.process(self._roster(changes))

    def on_duty(self) -> int:
        """Officers on duty now. A roster change counts from its very instant, even before the
        roster process has run: no service starts at closing time because a shipment finished
        or arrived at that same instant."""
        return self._change_caps[bisect.bisect_right(self._change_times, self.env.now) - 1]

    def _account(self) -> None:
        now = self.env.now
        last = self._last
        if now <= last:
            return
        q, b, c = len(self.queue), self.busy, self.capacity
        lo, hi = max(last, self.t0), min(now, self.t1)
        if hi > lo:
            dt = hi - lo
            st = self.stats
            st.queue_area += q * dt
            st.busy_area += b * dt
            st.capacity_area += c * dt
        if q or b or c:
            hq, hb, hc = self._hq, self._hb, self._hc
            h = int(last)
            while last < now and h < len(hq):
                edge = now if now < h + 1 else h + 1.0
                dt = edge - last
                hq[h] += q * dt
                hb[h] += b * dt
                hc[h] += c * dt
                last = edge
                h += 1
        self._last = now

    def _roster(self, changes: list[tuple[float, int]]):
        env = self.env
        for t, cap in changes:
            if t > env.now:
                yield env.timeout(t - env.now)
            self._account()
            self.capacity = cap
            self._dispatch()

    def submit(self, sid: int, priority: int) -> Event:
        """Queue a shipment; the returned event fires when its check is done."""
        self._account()
        now = self.env.now
        done = Event(self.env)
        self.records.enter[self.index, sid] = now
        heappush(self.queue, (priority, self.seq, sid, done))
        self.seq += 1
        self._dispatch()
        if self.t0 <= now < self.t1 and len(self.queue) > self.stats.queue_max:
            self.stats.queue_max = len(self.queue)
        return done

    def _dispatch(self) -> None:
        env = self.env
        on_duty = self.on_duty()
        while self.busy < on_duty and self.queue:
            _, _, sid, done = heappop(self.queue)
            self.busy += 1
            self.records.start[self.index, sid] = env.now
            timer = env.timeout(self.service[sid])
            timer.callbacks.append(lambda _ev, sid=sid, done=done: self._finish(sid, done))

    def _finish(self, sid: int, done: Event) -> None:
        self._account()
        self.busy -= 1
        self.records.end[self.index, sid] = self.env.now
        done.succeed()
        self._dispatch()

    def alarms(self, sid: int, truth: int) -> bool:
        """Whether checking this shipment raised an alarm (a finding, or a false alarm)."""
        return self.alarm_u[sid] < self.alarm_p[truth]

    def close(self) -> None:
        """Settle the time-weighted totals when the run stops."""
        self._account()
        self.stats.backlog_end = len(self.queue)
        self.stats.in_service_end = self.busy
        # Areas over whole hours are hourly means; the last, partial hour is divided by its length.
        span = np.ones(len(self._hq))
        if len(span):
            span[-1] = self.env.now - (len(span) - 1) or 1.0
        self.stats.hourly_queue = np.asarray(self._hq) / span
        self.stats.hourly_busy = np.asarray(self._hb) / span
        self.stats.hourly_on_duty = np.asarray(self._hc) / span


class Border:
    """One replication: the traffic, the stations, the policy, and the records they fill."""

    def __init__(self, scenario: Scenario, streams: Streams, policy: Policy | None = None):
        self.scenario = scenario
        self.env = simpy.Environment()
        self.traffic: Traffic = generate(scenario, streams)
        self.records = Records(self.traffic, list(scenario.checks), list(scenario.lanes))
        self.window = (scenario.warmup_hours, scenario.hours)
        self.stations = [
            Station(self, k, name, check, streams)
            for k, (name, check) in enumerate(scenario.checks.items())
        ]
        self._by_name = {s.name: s for s in self.stations}
        for station, check in zip(self.stations, scenario.checks.values(), strict=True):
            if check.on_alarm != "intercept":
                station.refer = self._by_name[check.on_alarm].index
        self.lane_index = {name: i for i, name in enumerate(scenario.lanes)}
        self.routes = self._routes()
        self.policy = policy or make_policy(scenario)
        self.selectivity = Selectivity(self.policy, scenario)
        self._signals()
        self.selectivity.start(PolicyContext(scenario, streams.per_shipment))
        self._decide = self.selectivity.decide
        self._names = (
            list(scenario.traffic.commodities),
            list(scenario.traffic.origins),
            list(scenario.traffic.compliance),
        )
        self._lodged = self.traffic.lodged.copy()
        lead = self.selectivity.prearrival_lead
        if lead is not None:  # pre-lodged declarations are processed before arrival
            pre = self.traffic.prearrival
            self._lodged[pre] = np.maximum(self.traffic.arrival[pre] - lead, 0.0)
        self._cols = self._columns()
        self.env.process(self._arrivals())

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

    def _routes(self) -> list[list[tuple[int, ...]]]:
        """Station indices visited, by lane and commodity (lane route + required checks)."""
        sc = self.scenario
        index = {name: k for k, name in enumerate(sc.checks)}
        routes = []
        for route in sc.lanes.values():
            per_commodity = []
            for commodity in sc.traffic.commodities:
                extra = [
                    name
                    for name, check in sc.checks.items()
                    if commodity in check.required_for and name not in route
                ]
                per_commodity.append(tuple(index[name] for name in [*route, *extra]))
            routes.append(per_commodity)
        return routes

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

    # Processes ---------------------------------------------------------------------------
    def _arrivals(self):
        """Start each shipment's process when customs first deals with it: at arrival, or
        before it for a declaration processed before arrival."""
        env = self.env
        process = env.process
        shipment = self._shipment
        start = np.minimum(self.traffic.arrival, self._lodged)
        order = np.argsort(start, kind="stable")
        for sid, t in zip(order.tolist(), start[order].tolist(), strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            process(shipment(sid))

    def _columns(self) -> tuple[list, ...]:
        """What the shipment process reads, as Python lists (far cheaper to index per shipment
        than numpy arrays)."""
        tr = self.traffic
        names = self._names
        return (
            tr.arrival.tolist(),
            self._lodged.tolist(),
            tr.commodity.tolist(),
            [names[0][k] for k in tr.commodity.tolist()],
            [names[1][k] for k in tr.origin.tolist()],
            [names[2][k] for k in tr.compliance.tolist()],
            tr.aeo.tolist(),
            tr.prearrival.tolist(),
            tr.priority.tolist(),
            tr.value_usd.tolist(),
            tr.truth.tolist(),
            self.records.risk_score.tolist(),
            self.records.alert.tolist(),
        )

    def _shipment(self, sid: int):
        env = self.env
        rec = self.records
        (arr, lod, com, com_n, ori_n, cmp_n, aeo, pre, pri, val, tru, score, alert) = self._cols
        lodged = lod[sid]
        if lodged > env.now:
            yield env.timeout(lodged - env.now)
        arrival = arr[sid]
        declaration = Declaration(
            sid,
            arrival,
            lodged,
            com_n[sid],
            ori_n[sid],
            cmp_n[sid],
            aeo[sid],
            pre[sid],
            pri[sid],
            val[sid],
            score[sid],
            alert[sid],
        )
        lane_k, priority, reason = self._decide(declaration, self)
        if priority is None:
            priority = declaration.priority
        rec.lane[sid] = lane_k
        rec.selected_by[sid] = reason
        rec.selected[sid] = env.now
        rec.priority[sid] = priority
        queue_class = HIGH if priority else NORMAL
        truth = tru[sid]
        early = env.now < arrival  # processed before arrival: goods checks wait for the goods
        stations = self.stations
        visited: set[int] = set()  # a shipment passes each check at most once
        for k in self.routes[lane_k][com[sid]]:
            if k in visited:
                continue  # already passed on an alarm's referral
            station = stations[k]
            while True:
                visited.add(station.index)
                if early and station.needs_goods and env.now < arrival:
                    yield env.timeout(arrival - env.now)
                done = station.submit(sid, queue_class)
                if station.guarantee:
                    done.callbacks.append(
                        lambda _ev, st=station: self._late_finding(st, sid, truth)
                    )
                    break
                yield done
                if not station.alarms(sid, truth):
                    break
                refer = station.refer
                if refer in visited and not stations[refer].alarms(sid, truth):
                    break  # the check it refers to has already cleared this shipment
                if refer is None or refer in visited:
                    rec.outcome[sid] = INTERCEPTED
                    rec.intercepted_at[sid] = station.index
                    return
                station = stations[refer]
        if early and env.now < arrival:
            yield env.timeout(arrival - env.now)  # cleared before arrival: released on arrival
        rec.released[sid] = env.now
        rec.outcome[sid] = RELEASED

    def _late_finding(self, station: Station, sid: int, truth: int) -> None:
        if truth and station.alarms(sid, truth):
            self.records.post_release_at[sid] = station.index

    def run(self) -> Records:
        """Simulate to the end of the drain period and return the records."""
        self.env.run(until=self.scenario.end_hours)
        for station in self.stations:
            station.close()
        return self.records


def simulate(
    scenario: Scenario, seed_seq: np.random.SeedSequence, policy: Policy | None = None
) -> Records:
    """Simulate one replication from its seed sequence."""
    return Border(scenario, Streams(seed_seq), policy).run()
