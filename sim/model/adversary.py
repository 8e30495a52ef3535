"""Traffickers who adapt (``[adversary]``): the illicit flow moves toward the routes where it
loses least, between the steps of a run.

Two parts. **The dynamics** (:func:`move`, :func:`estimate`) are pure functions of shares and
loss rates. Every period the adversary estimates each route's loss rate (the share of its
shipments seized, smoothed over periods by ``memory``) and moves shares by exponential
weights::

    s_r <- s_r exp(f_r) / sum_q s_q exp(f_q),
    f_r = speed x sum_q s_q [max(0, L_q - L_r - c) - max(0, L_r - L_q - c)]

with ``c`` the switching cost. For small moves, the flow from route r to route q in a period is
``speed x s_r x s_q x max(0, L_r - L_q - c)``; equal losses (or gaps within ``c``, or speed 0)
move nothing, and shares stay positive and sum to 1. Facing one route that loses ``g`` more than
all the others, which lose the same, the odds of its share fall by ``exp(-k)`` a period,
``k = speed x (g - c)``: its share after n periods is the logistic
``s0 e^(-kn) / (s0 e^(-kn) + 1 - s0)``.

**The hook** (:class:`Adversary`) applies them to running borders (the stepped run of a
network, :mod:`sim.model.network`). The static truth (``[illicit]``) is the adversary at rest:
its expected shares by route are the initial shares, and the adversary's shares scale it. A
shipment's chance of being illicit becomes ``p x f_r``, ``f_r = m_r V / sum_q m_q E_q`` with
``m_r = s_r / s0_r``, ``E_q`` the static expected illicit shipments of route q in the period
and ``V`` their sum: the expected illicit volume of every period is the static one, and at
rest (``s = s0``) ``f = 1``. Truth changes by thinning and thickening the static truth with
per-shipment uniforms of the office's stream ``adversary`` (a static illicit shipment stays so
when ``u < f_r``; a legitimate one becomes illicit when ``u < p (f_r - 1) / (1 - p)``, its kind
drawn from the kinds' weights with the stream ``adversary:kind``). With ``kinds``, only the
illicit kinds named move: ``p`` above is then the chance of being illicit of those kinds
(``p_a``; the thickening is ``p_a (f_r - 1) / (1 - p)``), only theirs count as attempts and
losses, and the other kinds keep the static truth. At rest nothing changes, and variants that
move the same shares move the same shipments. A shipment belongs to the period in which
customs first deals with it (arrival, or pre-arrival processing), so its truth is set before
it is selected.

Losses are counted **when the outcome is known**: at the end of each period, every illicit
shipment released or intercepted since the last count adds one attempt to its route, and a
seizure when intercepted. Counting by arrival period instead would leave out the shipments
still held, the inspected ones most of all, and so understate the losses where checks are slow.
A route with no outcome in a period keeps its estimate (the period's pooled loss before its
first). A finding after release (``release_on_guarantee``) is not a seizure: the goods got
through.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from sim.model.records import IN_SYSTEM, INTERCEPTED
from sim.model.traffic import LEGITIMATE, drift_factors, illicit_probability, kind_weights

if TYPE_CHECKING:
    from sim.model.border import Border
    from sim.schema import Scenario
    from sim.streams import Streams

__all__ = ["Adversary", "estimate", "move", "route_names"]

PREFIX = "adversary"


# ----------------------------------------------------------------------------- the dynamics


def move(shares: np.ndarray, losses: np.ndarray, speed: float, switching_cost: float) -> np.ndarray:
    """Shares after one period of moving toward routes with lower ``losses`` (see the
    module): exponential weights of the pairwise gaps beyond ``switching_cost``."""
    s = np.asarray(shares, dtype=float)
    loss = np.asarray(losses, dtype=float)
    gap = loss[:, None] - loss[None, :]  # gap[r, q] = L_r - L_q
    push = np.maximum(0.0, gap - switching_cost)  # r's reason to leave for q
    fitness = speed * ((push.T - push) @ s)
    if not fitness.any():
        return s.copy()
    w = s * np.exp(fitness - fitness.max())
    return w / w.sum()


def estimate(
    previous: np.ndarray | None,
    seized: np.ndarray,
    attempts: np.ndarray,
    memory: float,
) -> np.ndarray | None:
    """Loss rate of each route after a period: the share of its attempts seized, smoothed
    ``memory x previous + (1 - memory) x observed``. A route with no attempts keeps its
    previous estimate (the period's pooled loss when it has none); None while nothing has
    been observed at all."""
    seized = np.asarray(seized, dtype=float)
    attempts = np.asarray(attempts, dtype=float)
    total = attempts.sum()
    if total == 0:
        return previous
    pooled = seized.sum() / total
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(attempts > 0, seized / attempts, np.nan)
    if previous is None:
        return np.where(np.isnan(observed), pooled, observed)
    return np.where(np.isnan(observed), previous, memory * previous + (1.0 - memory) * observed)


def total_variation(a: np.ndarray, b: np.ndarray) -> float:
    """Half the sum of absolute differences: the share displaced from ``a`` to make ``b``."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


# ----------------------------------------------------------------------------- the routes


def _office_parts(scenario: Scenario, office: str, kinds: list[str]) -> list[list[str]]:
    """The names each route kind takes at one office, in the order of ``kinds``."""
    t = scenario.traffic
    values = {
        "office": [office],
        "origin": list(t.origins),
        "commodity": list(t.commodities),
        "aeo": ["non_aeo", "aeo"],
    }
    return [values[k] for k in kinds]


def route_names(scenarios: dict[str, Scenario], kinds: list[str]) -> list[str]:
    """Every route over the offices (name -> office scenario): one per combination of the
    route kinds' names, parts joined by dots (``hub.high_risk``), in a stable order."""
    names: dict[str, None] = {}
    for office, sc in scenarios.items():
        for parts in itertools.product(*_office_parts(sc, office, kinds)):
            names[".".join(parts)] = None
    return list(names)


def _route_of(border: Border, office: str, kinds: list[str], index: dict[str, int]) -> np.ndarray:
    """Each shipment's route index at one office."""
    tr = border.traffic
    parts = _office_parts(border.scenario, office, kinds)
    codes = {
        "office": np.zeros(len(tr), dtype=np.int64),
        "origin": tr.origin.astype(np.int64),
        "commodity": tr.commodity.astype(np.int64),
        "aeo": tr.aeo.astype(np.int64),
    }
    cell = np.zeros(len(tr), dtype=np.int64)
    for k, names in zip(kinds, parts, strict=True):
        cell = cell * len(names) + codes[k]
    lookup = np.array([index[".".join(p)] for p in itertools.product(*parts)], dtype=np.int32)
    return lookup[cell]


# ----------------------------------------------------------------------------- the hook


class _Office:
    """What the adversary keeps of one office: routes, static truth and chances, order."""

    def __init__(
        self,
        border: Border,
        name: str,
        kinds: list[str],
        index: dict[str, int],
        adaptive: list[str],
    ):
        tr = border.traffic
        sc = border.scenario
        self.border = border
        self.route = _route_of(border, name, kinds, index)
        self.static = tr.truth.copy()
        names = list(sc.illicit.kinds)
        self.adaptive = np.array([False, *(k in adaptive for k in names)])  # by truth code
        p = illicit_probability(sc, tr.commodity, tr.origin, tr.compliance, tr.aeo)
        if sc.illicit.drift:  # each shipment's static chance, as the truth was drawn from it
            p = np.minimum(
                1.0, p * drift_factors(sc, tr.commodity, tr.origin, tr.compliance, tr.arrival)
            )
        if sc.illicit.surges:
            p = np.minimum(1.0, p * kind_weights(sc, tr.commodity, tr.arrival).sum(axis=1))
        self.p_any = p  # of being illicit of any kind
        self.p = p  # of being illicit of a kind that adapts
        if not self.adaptive[1:].all():
            w = kind_weights(sc, tr.commodity, tr.arrival)
            total = w.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, w[:, self.adaptive[1:]].sum(axis=1) / total, 0.0)
            self.p = p * share
        first = np.minimum(tr.arrival, border.path.lodged())  # when customs first deals
        self.order = np.argsort(first, kind="stable").astype(np.int32)
        self.first = first[self.order]
        self.u = border.streams.per_shipment(PREFIX)
        self.u_kind = border.streams.per_shipment(f"{PREFIX}:kind")
        self.seen = 0  # shipments (in self.order) whose outcome is watched
        self.pending = np.zeros(0, dtype=np.int32)  # illicit, outcome not yet known

    def period(self, start: float, end: float) -> np.ndarray:
        """Shipments first dealt with in [start, end)."""
        lo, hi = np.searchsorted(self.first, [start, end], side="left")
        return self.order[lo:hi]


class Adversary:
    """The ``[adversary]`` hook of a stepped run (see the module and ``Hook`` in
    :mod:`sim.model.network`). ``after`` each step it counts the outcomes now known and, at
    the end of each of its periods (the first step ending at or after it, when the run steps
    more finely), moves the shares; it sets the truth of shipments ahead, up to the next
    possible move (the first period when made), so before any other hook reads it."""

    def __init__(self, scenario: Scenario, borders: dict[str, Border], streams: Streams):
        spec = scenario.adversary
        self.spec = spec
        self.period_hours = spec.period_days * 24.0
        self.kinds = list(spec.routes)
        scenarios = {name: b.scenario for name, b in borders.items()}
        self.routes = route_names(scenarios, self.kinds)
        index = {r: i for i, r in enumerate(self.routes)}
        self.offices = [
            _Office(b, name, self.kinds, index, spec.kinds or list(b.scenario.illicit.kinds))
            for name, b in borders.items()
        ]
        self.streams = streams
        n = len(self.routes)
        expected = np.zeros(n)
        for o in self.offices:
            expected += np.bincount(o.route, weights=o.p, minlength=n)
        total = expected.sum()
        self.initial = expected / total if total > 0 else np.full(n, 1.0 / n)
        self.shares = self.initial.copy()
        self.history = [self.shares.copy()]
        self.losses: np.ndarray | None = None
        self._seized = np.zeros(n)
        self._attempts = np.zeros(n)
        self._marked_until = 0.0
        self._period_end = self.period_hours
        self._mark_until(self.period_hours)

    # Setting the truth ------------------------------------------------------------------
    def factors(self, expected: np.ndarray) -> np.ndarray:
        """Each route's multiplier of the static chance this period, given the static
        expected illicit shipments of each route in it (see the module)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(self.initial > 0, self.shares / self.initial, 1.0)
        weighted = float((m * expected).sum())
        if weighted <= 0:
            return np.ones(len(m))
        return m * expected.sum() / weighted

    def _mark(self, start: float, end: float) -> None:
        """Set the truth of every office's shipments first dealt with in [start, end)."""
        n = len(self.routes)
        periods = [o.period(start, end) for o in self.offices]
        expected = np.zeros(n)
        for o, sids in zip(self.offices, periods, strict=True):
            expected += np.bincount(o.route[sids], weights=o.p[sids], minlength=n)
        f = self.factors(expected)
        for o, sids in zip(self.offices, periods, strict=True):
            if sids.size:
                self._remark(o, np.sort(sids), f)

    @staticmethod
    def _remark(o: _Office, sids: np.ndarray, f: np.ndarray) -> None:
        fr = f[o.route[sids]]
        static = o.static[sids]
        p, p_any = o.p[sids], o.p_any[sids]
        u = o.u.take(sids)
        with np.errstate(invalid="ignore", divide="ignore"):
            thicken = np.where(p_any < 1.0, p * (fr - 1.0) / (1.0 - p_any), 0.0)
        dropped = o.adaptive[static] & (u >= fr)  # illicit kinds that do not adapt stay
        new = (static == LEGITIMATE) & (fr > 1.0) & (u < thicken)
        truth = np.where(dropped, LEGITIMATE, static).astype(np.int8)
        if new.any():
            sc = o.border.scenario
            tr = o.border.traffic
            born = sids[new]
            w = kind_weights(sc, tr.commodity[born], tr.arrival[born]) * o.adaptive[1:]
            cdf = np.cumsum(w, axis=1)
            cdf /= np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1.0)
            kind = (cdf <= o.u_kind.take(born)[:, None]).sum(axis=1)
            truth[new] = np.minimum(kind, w.shape[1] - 1) + 1
        changed = truth != o.border.traffic.truth[sids]
        if changed.any():
            o.border.set_truth(sids[changed], truth[changed])

    # Observing and moving ---------------------------------------------------------------
    def _observe(self, end: float) -> None:
        """Count the outcomes now known of illicit shipments dealt with before ``end``."""
        n = len(self.routes)
        for o in self.offices:
            hi = int(np.searchsorted(o.first, end, side="left"))
            fresh = o.order[o.seen : hi]
            o.seen = max(o.seen, hi)
            fresh = fresh[o.adaptive[o.border.traffic.truth[fresh]]]
            pending = np.concatenate([o.pending, fresh])
            outcome = o.border.records.outcome[pending]
            done = outcome != IN_SYSTEM
            route = o.route[pending[done]]
            self._attempts += np.bincount(route, minlength=n)
            self._seized += np.bincount(
                route, weights=(outcome[done] == INTERCEPTED).astype(float), minlength=n
            )
            o.pending = pending[~done]

    def _mark_until(self, end: float) -> None:
        """Set the truth of the shipments first dealt with from where it was last set up to
        ``end``, by the shares now."""
        if end > self._marked_until:
            self._mark(self._marked_until, end)
            self._marked_until = end

    def before(self, start: float, end: float) -> None:
        """Set the truth of the shipments of every period that [start, end) reaches (already
        done, at the end of the period before, in a run that calls :meth:`after`)."""
        self._mark_until(end)

    def after(self, start: float, end: float) -> None:
        """Count outcomes; at the first step that ends at or after the end of one of its
        periods, estimate losses and move; then set the truth up to the next possible move
        (the end of the next period, or of the next step if that comes later)."""
        self._observe(end)
        if end + 1e-9 >= self._period_end:
            spec = self.spec
            self._period_end = (np.floor(end / self.period_hours + 1e-9) + 1) * self.period_hours
            self.losses = estimate(self.losses, self._seized, self._attempts, spec.memory)
            self._seized[:] = 0.0
            self._attempts[:] = 0.0
            if self.losses is not None:
                self.shares = move(self.shares, self.losses, spec.speed, spec.switching_cost)
            self.history.append(self.shares.copy())
        # Before any other hook reads it (shared seizures flag declarations by their truth).
        self._mark_until(max(self._period_end, end + (end - start)))

    # Results ------------------------------------------------------------------------------
    def metrics(self) -> dict[str, float]:
        """``adversary.share.<route>`` (at the end), ``adversary.loss.<route>`` (the last
        estimate), ``adversary.shift`` (share displaced from the first shares to the last)
        and ``adversary.displaced`` (counted shipments illicit only because the flow moved
        there)."""
        out: dict[str, float] = {}
        for r, name in enumerate(self.routes):
            out[f"{PREFIX}.share.{name}"] = float(self.shares[r])
            if self.losses is not None:
                out[f"{PREFIX}.loss.{name}"] = float(self.losses[r])
        out[f"{PREFIX}.shift"] = total_variation(self.history[0], self.shares)
        displaced = 0
        for o in self.offices:
            b = o.border
            a = b.traffic.arrival
            counted = (a >= b.window[0]) & (a < b.window[1])
            displaced += int(
                (counted & (o.static == LEGITIMATE) & (b.traffic.truth != LEGITIMATE)).sum()
            )
        out[f"{PREFIX}.displaced"] = float(displaced)
        return out
