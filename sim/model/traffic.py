"""The shipments of one replication, drawn before the simulation starts (:class:`Shipments`;
the scenario's ``[traffic]`` table, :class:`sim.schema.Traffic`, says how).

Arrivals are a non-homogeneous Poisson process whose rate is constant within each hour
(hour-of-day profile x day-of-week profile x surges), which is sampled exactly: a Poisson count
per hour, uniform times inside it. The shipments are drawn from their own streams, never the
policy's, so two policies run on the same replication see exactly the same shipments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.model.arrivals import batch_arrivals
from sim.model.roster import schedule_for
from sim.schema import Scenario, profile_weights, risk_groups
from sim.streams import Streams

LEGITIMATE = 0
"""Truth code of a legitimate shipment; illicit kinds are 1, 2, ... in [illicit.kinds] order."""


@dataclass(eq=False)
class Shipments:
    """Columns of shipment attributes, one row per shipment, in arrival order.

    ``lodged``, ``value_usd``, ``units``, ``score_noise`` and ``alert_u`` are drawn from their own
    streams when first read and kept until :meth:`forget`; read again, they are drawn again,
    identically. A long run keeps only the columns it needs.
    """

    arrival: np.ndarray  # hours
    commodity: np.ndarray  # index into scenario.traffic.commodities
    origin: np.ndarray
    compliance: np.ndarray
    aeo: np.ndarray  # bool
    prearrival: np.ndarray  # bool
    priority: np.ndarray  # bool
    truth: np.ndarray  # LEGITIMATE or 1 + index into scenario.illicit.kinds
    scenario: Scenario = field(repr=False)
    streams: Streams = field(repr=False)
    _drawn: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    COLUMNS = (
        "arrival",
        "lodged",
        "ready",
        "commodity",
        "origin",
        "compliance",
        "aeo",
        "prearrival",
        "priority",
        "value_usd",
        "units",
        "truth",
        "score_noise",
        "alert_u",
    )
    """Every column, stored or drawn on demand."""

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def lodged(self) -> np.ndarray:
        """Hours: declaration lodged (= arrival when lodged before arrival)."""
        return self._column("lodged", _lodged)

    @property
    def ready(self) -> np.ndarray:
        """Hours: goods ready in the warehouse (``[unloading]``); ``arrival`` itself without
        it. Goods checks wait for it and release comes no earlier."""
        if self.scenario.unloading is None:
            return self.arrival
        return self._column("ready", _ready)

    @property
    def exit_delay(self) -> np.ndarray:
        """Hours from release to exit drawn for each shipment (``[exit]``; NaN without it):
        exit is the exit roster's next opening after release + this."""
        if self.scenario.exit is None:
            return np.full(len(self), np.nan)
        return self._column(
            "exit_delay",
            lambda t: t.scenario.exit.delay_hours.sample(t.streams.rng("exit"), len(t)),
        )

    @property
    def value_usd(self) -> np.ndarray:
        """Declared value; NaN when the commodity declares no value distribution."""
        return self._column("value_usd", _values)

    @property
    def units(self) -> np.ndarray:
        """Units (doses, packs) held: whole numbers, at least 1; NaN when the commodity
        declares no units."""
        return self._column("units", _units)

    @property
    def score_noise(self) -> np.ndarray:
        """N(0, 1): the risk score of a legitimate shipment (see :func:`risk_scores`)."""
        return self._column(
            "score_noise", lambda t: t.streams.rng("risk_score").standard_normal(len(t))
        )

    @property
    def alert_u(self) -> np.ndarray:
        """U[0, 1): an alert is raised when below the alert probability (see :func:`alerts`)."""
        return self._column("alert_u", lambda t: t.streams.rng("alerts").random(len(t)))

    def _column(self, name: str, draw) -> np.ndarray:
        column = self._drawn.get(name)
        if column is None:
            column = self._drawn[name] = draw(self)
        return column

    def forget(self) -> None:
        """Drop the columns drawn on demand (they are drawn again, identically, if read)."""
        self._drawn.clear()


def code_dtype(count: int) -> np.dtype:
    """The smallest signed integer type for codes 0 to ``count - 1`` and -1 (none)."""
    return np.dtype(np.int8 if count < 128 else np.int16 if count < 32768 else np.int32)


def risk_scores(
    traffic: Shipments, separations: list[float], ids: np.ndarray | None = None
) -> np.ndarray:
    """Binormal risk scores: N(0, 1) for legitimate shipments, N(d_k, 1) for illicit kind k,
    where ``separations[k]`` = d_k = sqrt(2) Phi^-1(AUC_k). The same noise under every AUC, so
    a better model moves illicit scores up and leaves legitimate ones where they were.
    ``ids``: of those shipments only (their truth changed during the run)."""
    shift = np.array([0.0, *separations])
    if ids is None:
        return traffic.score_noise + shift[traffic.truth]
    return traffic.score_noise[ids] + shift[traffic.truth[ids]]


def alerts(
    traffic: Shipments,
    coverage: list[float],
    false_alert_rate: float,
    ids: np.ndarray | None = None,
) -> np.ndarray:
    """Which shipments an intelligence alert flags: illicit kind k with probability
    ``coverage[k]``, legitimate ones with ``false_alert_rate``. ``ids``: of those only."""
    p = np.array([false_alert_rate, *coverage])
    if ids is None:
        return traffic.alert_u < p[traffic.truth]
    return traffic.alert_u[ids] < p[traffic.truth[ids]]


def hourly_rates(scenario: Scenario) -> np.ndarray:
    """Arrival rate (shipments an hour) by commodity for each hour of the run: shape (hours, C)."""
    t = scenario.traffic
    n_hours = int(np.ceil(scenario.end_hours))
    hour = np.arange(n_hours)
    hourly = profile_weights(t.hourly_profile)
    weekly = profile_weights(t.weekly_profile)
    base = t.shipments_per_day / 24.0 * hourly[hour % 24] * weekly[(hour // 24) % 7]
    shares = np.array([c.share for c in t.commodities.values()])
    rates = base[:, None] * shares[None, :]
    names = list(t.commodities)
    for surge in t.surges:
        window = (hour >= surge.start_day * 24) & (hour < surge.end_day * 24)
        cols = [names.index(c) for c in surge.commodities] if surge.commodities else slice(None)
        rates[np.ix_(window, np.arange(len(names))[cols])] *= surge.factor
    return rates


def generate(scenario: Scenario, streams: Streams) -> Shipments:
    """Draw every shipment of one replication."""
    t = scenario.traffic
    rates = hourly_rates(scenario)
    n_hours = rates.shape[0]

    total = rates.sum(axis=1)
    if t.batches is not None:  # flights, vessels: from the "batches" stream alone
        arrival, hour_of = batch_arrivals(scenario, streams, rates)
    else:
        rng = streams.rng("arrivals")
        counts = rng.poisson(total)
        hour_of = np.repeat(np.arange(n_hours, dtype=np.int32), counts)
        arrival = rng.random(hour_of.size)
        arrival += hour_of
        np.minimum(arrival, scenario.end_hours, out=arrival)
        order = np.argsort(arrival, kind="stable")
        arrival, hour_of = arrival[order], hour_of[order]
        del order
    n = arrival.size

    # Commodity mix may vary by hour (commodity-specific surges): inverse CDF per hour.
    rng = streams.rng("attributes")
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = np.where(total[:, None] > 0, rates / total[:, None], 0.0)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(n)
    # How many of the hour's cumulative shares u reaches (column by column: less memory).
    commodity = np.zeros(n, dtype=code_dtype(len(t.commodities)))
    for j in range(cum.shape[1]):
        commodity += u >= cum[hour_of, j]
    np.minimum(commodity, len(t.commodities) - 1, out=commodity)
    del u, hour_of
    origin = _choose(rng, n, [g.share for g in t.origins.values()])
    origin = origin.astype(code_dtype(len(t.origins)))
    compliance = _choose(rng, n, [g.share for g in t.compliance.values()])
    compliance = compliance.astype(code_dtype(len(t.compliance)))
    aeo = rng.random(n) < t.aeo_share
    prearrival = rng.random(n) < t.prearrival_share

    commodities = list(t.commodities.values())
    priority = np.array([c.priority for c in commodities], dtype=bool)[commodity]
    truth = _ground_truth(scenario, streams, commodity, origin, compliance, aeo, arrival)
    return Shipments(
        arrival=arrival,
        commodity=commodity,
        origin=origin,
        compliance=compliance,
        aeo=aeo,
        prearrival=prearrival,
        priority=priority,
        truth=truth.astype(np.int8),
        scenario=scenario,
        streams=streams,
    )


def _values(traffic: Shipments) -> np.ndarray:
    """Declared values, by commodity, from the "values" stream."""
    value = np.full(len(traffic), np.nan)
    rng = traffic.streams.rng("values")
    for k, c in enumerate(traffic.scenario.traffic.commodities.values()):
        if c.value_usd is not None:
            mask = traffic.commodity == k
            value[mask] = c.value_usd.sample(rng, int(mask.sum()))
    return value


def _units(traffic: Shipments) -> np.ndarray:
    """Units held, by commodity, from the "units" stream: each draw rounded to a whole number
    of units, at least 1 (a shipment holds something)."""
    units = np.full(len(traffic), np.nan)
    rng = traffic.streams.rng("units")
    for k, c in enumerate(traffic.scenario.traffic.commodities.values()):
        if c.units is not None:
            mask = traffic.commodity == k
            units[mask] = np.maximum(np.rint(c.units.sample(rng, int(mask.sum()))), 1.0)
    return units


def _ready(traffic: Shipments) -> np.ndarray:
    """When the goods are ready in the warehouse: the unloading delay after arrival, at the
    next opening of the unloading roster."""
    unloading = traffic.scenario.unloading
    ready = traffic.arrival + unloading.delay_hours.sample(
        traffic.streams.rng("unloading"), len(traffic)
    )
    schedule = schedule_for(traffic.scenario, unloading.roster)
    if not schedule.always:
        ready = np.array([schedule.next_open(x) for x in ready.tolist()])
    return ready


def _lodged(traffic: Shipments) -> np.ndarray:
    """When each declaration is lodged: on arrival if lodged before it, else after the
    broker's delay, at the next opening of the lodgement roster."""
    scenario = traffic.scenario
    lodged = traffic.arrival.copy()
    late = ~traffic.prearrival
    if scenario.lodgement.delay_hours is not None:
        rng = traffic.streams.rng("lodgement")
        lodged[late] += scenario.lodgement.delay_hours.sample(rng, int(late.sum()))
    schedule = schedule_for(scenario, scenario.lodgement.roster)
    if not schedule.always:
        lodged[late] = [schedule.next_open(x) for x in lodged[late]]
    return lodged


def _choose(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def illicit_probability(scenario: Scenario, commodity, origin, compliance, aeo) -> np.ndarray:
    """Each shipment's chance of being illicit: prevalence x its relative risk / the mean risk,
    so that ``illicit.prevalence`` is the expected share over all traffic."""
    groups = risk_groups(scenario)
    codes = [commodity, origin, compliance, aeo.astype(int)]
    rel = np.ones(len(commodity))
    mean = 1.0
    for (shares, factors), code in zip(groups, codes, strict=True):
        rel *= np.asarray(factors)[code]
        mean *= sum(s * f for s, f in zip(shares, factors, strict=True))
    if scenario.illicit.prevalence == 0:
        return np.zeros(len(commodity))
    return np.minimum(1.0, scenario.illicit.prevalence * rel / mean)


def kind_weights(scenario: Scenario, commodity: np.ndarray, arrival: np.ndarray) -> np.ndarray:
    """Each shipment's share of each illicit kind times the ``[[illicit.surges]]`` factors
    active at its arrival: shape (shipments, kinds); rows sum to 1 outside any surge."""
    kinds = list(scenario.illicit.kinds)
    names = list(scenario.traffic.commodities)
    w = np.tile(np.array(list(scenario.illicit.kinds.values())), (len(commodity), 1))
    for surge in scenario.illicit.surges:
        rows = (arrival >= surge.start_day * 24) & (arrival < surge.end_day * 24)
        if surge.commodities:
            rows &= np.isin(commodity, [names.index(c) for c in surge.commodities])
        cols = [kinds.index(k) for k in surge.kinds] if surge.kinds else slice(None)
        w[np.ix_(rows, np.arange(len(kinds))[cols])] *= surge.factor
    return w


def drift_factors(scenario: Scenario, commodity, origin, compliance, arrival) -> np.ndarray:
    """Each shipment's factor from the ``[[illicit.drift]]`` entries begun by its arrival: the
    product of its commodity's, origin group's and compliance group's factors (1 if unnamed)."""
    f = np.ones(len(commodity))
    t = scenario.traffic
    for drift in scenario.illicit.drift:
        after = arrival >= drift.start_day * 24
        for table, groups, codes in (
            (drift.commodities, t.commodities, commodity),
            (drift.origins, t.origins, origin),
            (drift.compliance, t.compliance, compliance),
        ):
            if table:
                factor = np.array([table.get(name, 1.0) for name in groups])
                f[after] *= factor[codes[after]]
    return f


def _ground_truth(scenario, streams, commodity, origin, compliance, aeo, arrival) -> np.ndarray:
    rng = streams.rng("truth")
    n = len(commodity)
    p = illicit_probability(scenario, commodity, origin, compliance, aeo)
    if scenario.illicit.drift:  # the same draws: only the chance they are compared with moves
        p = np.minimum(1.0, p * drift_factors(scenario, commodity, origin, compliance, arrival))
    if not scenario.illicit.surges:
        illicit = rng.random(n) < p
        kinds = list(scenario.illicit.kinds.values())
        kind = _choose(rng, n, kinds)
        return np.where(illicit, kind + 1, 0)
    # The same draws as without surges (rng.choice is an inverse CDF of one uniform), so a
    # shipment arriving outside every surge has exactly the truth it would have without them.
    w = kind_weights(scenario, commodity, arrival)
    total = w.sum(axis=1)
    illicit = rng.random(n) < np.minimum(1.0, p * total)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf = np.cumsum(w / np.where(total > 0, total, 1.0)[:, None], axis=1)
    cdf /= np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1.0)
    kind = np.minimum((cdf <= rng.random(n)[:, None]).sum(axis=1), w.shape[1] - 1)
    return np.where(illicit, kind + 1, 0)
