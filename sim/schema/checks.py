"""Checks that span tables (every name used is defined, risks stay below 1, alarms are not
referred in a circle) and the memory a replication would need.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from sim.schema.arrivals import DAILY, WEEK_DAYS, timetable_loads
from sim.schema.errors import quote_name, show_value, suggest
from sim.schema.limits import profile_weights
from sim.schema.tables import ALWAYS_OPEN, Scenario

MAX_SHIPMENTS = 50_000_000
"""Most shipments one replication may simulate (each keeps its traffic and record columns); the
memory cap usually binds first (a year of a mail centre, about 20 million parcels, fits it)."""


def expected_shipments(s: Scenario) -> float:
    """How many shipments one replication simulates on average (arrival window and drain)."""
    return expected_arrivals(s, 0.0, s.end_hours, profiles=False)


def expected_arrivals(s: Scenario, start: float, end: float, profiles: bool = True) -> float:
    """Mean arrivals between hours ``start`` and ``end``, as the model draws them: a rate
    constant within each hour (the profiles, unless ``profiles`` is false, which takes the
    mean rate of a week; surges applying to whole hours, overlapping surges multiplying); inf
    when the rate cannot be represented. Batches arriving as a Poisson stream bring the same
    mean; on a timetable, the mean loads of the slots in the window."""
    t = s.traffic
    if t.batches is not None and t.batches.schedule == "timetable":
        hourly, weekly = profile_weights(t.hourly_profile), profile_weights(t.weekly_profile)
        with np.errstate(all="ignore"):
            times, means = timetable_loads(t, hourly, weekly, min(end, s.end_hours))
            total = float(means[times >= start].sum())
        return total if math.isfinite(total) else math.inf
    week = np.full(168, t.shipments_per_day / 24.0)
    if profiles:
        week *= np.repeat(profile_weights(t.weekly_profile), 24)
        week *= np.tile(profile_weights(t.hourly_profile), 7)
    cumulative = np.concatenate([[0.0], np.cumsum(week)])

    def integral(hour: float) -> float:
        if not profiles:
            return t.shipments_per_day * hour / 24.0
        weeks, rest = divmod(hour, 168.0)
        i = min(int(rest), 167)
        return weeks * cumulative[-1] + cumulative[i] + (rest - i) * week[i]

    names = list(t.commodities)
    shares = np.array([c.share for c in t.commodities.values()])
    edges = {start, end}
    for surge in t.surges:
        edges |= {math.ceil(surge.start_day * 24), math.ceil(surge.end_day * 24)}
    bounds = sorted(e for e in edges if start <= e <= end)
    total = 0.0
    with np.errstate(all="ignore"):
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            hour = math.floor(lo)
            factors = np.ones(len(names))
            for surge in t.surges:
                if surge.start_day * 24 <= hour < surge.end_day * 24:
                    cols = [names.index(c) for c in surge.commodities if c in names]
                    factors[cols if surge.commodities else slice(None)] *= surge.factor
            total += float(shares @ factors) * (integral(hi) - integral(lo))
    return total if math.isfinite(total) else math.inf


MIN_COUNTED = 1e-6
"""Fewest shipments a replication may expect in its counted window: below, it would almost
surely count none, and every figure of the run would be empty."""

MEMORY_ENV = "BORDERSIM_MAX_MEMORY_MB"
DEFAULT_MAX_MEMORY_MB = 8192
"""Memory one replication may take, in MB, unless the environment variable says otherwise."""
BYTES_PER_SHIPMENT = 250
"""Memory of one shipment's traffic and record columns, the selection plan and the metrics'
temporaries: a cautious estimate (the exact path's peak measured about 160 bytes a shipment
with tracemalloc on CPython 3.11 at a million shipments, more in small runs, where the policy's
and stations' blocks of draws weigh more; the fast path about 80);
tests/validation/test_hostile_input.py checks it against a run."""
BYTES_PER_SHIPMENT_CHECK = 10
"""Memory per shipment for each check: a station keeps one row per visit (the shipment and
three timestamps, 28 bytes), and a check is visited by a share of the shipments. A shipment
waiting in a queue holds a little more, so a run whose queues grow without bound can exceed the
estimate."""


def estimated_memory_bytes(s: Scenario) -> float:
    """About how much memory one replication takes (a run that keeps up with its traffic)."""
    per_shipment = BYTES_PER_SHIPMENT + BYTES_PER_SHIPMENT_CHECK * len(s.checks)
    return expected_shipments(s) * per_shipment


def memory_problem(s: Scenario) -> tuple[str, str] | None:
    """Why a replication would take more memory than the cap allows, or None."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    limit = float(DEFAULT_MAX_MEMORY_MB)
    if text:
        try:
            limit = float(text)
        except ValueError:
            limit = math.nan
        if not (math.isfinite(limit) and limit > 0):
            return (
                "",
                f"environment variable {MEMORY_ENV} must be a number of megabytes above "
                f"0, got {show_value(text)}",
            )
    need = estimated_memory_bytes(s)
    if need <= limit * 1e6:
        return None
    per_shipment = BYTES_PER_SHIPMENT + BYTES_PER_SHIPMENT_CHECK * len(s.checks)
    return (
        "traffic.shipments_per_day",
        f"a replication would need about {need / 1e6:,.0f} MB of memory "
        f"({expected_shipments(s):,.0f} shipments x {per_shipment} bytes), more than the "
        f"limit of {limit:,.0f} MB: lower shipments_per_day, days or the surges, or raise "
        f"{MEMORY_ENV}",
    )


_drawn: dict[int, tuple[Any, str | None]] = {}
"""The verdicts of :func:`_distribution_problem` on large distributions (frozen models, kept
alive here so that their ids stay theirs), which variants share."""


def _distribution_problem(dist: Any) -> str | None:
    """Why values cannot be drawn from a distribution (parameters too extreme), or None."""
    if len(getattr(dist, "values", ())) < 1000:
        return _draw_problem(dist)
    kept = _drawn.get(id(dist))
    if kept is None or kept[0] is not dist:
        kept = _drawn[id(dist)] = (dist, _draw_problem(dist))
        while len(_drawn) > 8:
            del _drawn[next(iter(_drawn))]
    return kept[1]


def _draw_problem(dist: Any) -> str | None:
    try:
        with np.errstate(all="ignore"):
            ok = bool(np.all(np.isfinite(dist.sample(np.random.default_rng(0), 64))))
            ok = ok and math.isfinite(dist.mean_value)
    except (ArithmeticError, ValueError):
        ok = False
    return None if ok else "parameters too extreme to draw values from; use ordinary sizes"


MAX_SHARED_CHECKS = 8
"""Most checks required for a share of a commodity's shipments (see :func:`permit_shares`)."""


def permit_shares(required_for: list[str] | dict[str, float]) -> dict[str, float]:
    """The commodities of a ``required_for`` table that only a share of whose shipments need
    the check (0 < share < 1): each shipment then draws whether it does. A list, or a share
    of 0 or 1, needs no draw."""
    if not isinstance(required_for, dict):
        return {}
    return {c: share for c, share in required_for.items() if 0.0 < share < 1.0}


def cross_check(s: Scenario) -> list[tuple[str, str]]:
    """Checks that span tables: every name used is defined, and risks stay below 1."""
    problems: list[tuple[str, str]] = []
    rosters = [ALWAYS_OPEN, *s.rosters]
    checks = list(s.checks)
    commodities = list(s.traffic.commodities)
    kinds = list(s.illicit.kinds)

    def unknown(path: str, what: str, name: str, allowed: list[str]) -> None:
        hint = suggest(name, allowed)
        msg = f"unknown {what} {quote_name(name)}"
        if hint:
            msg += f" (did you mean '{hint}'?)"
        problems.append((path, f"{msg}; defined: {', '.join(allowed) or 'none'}"))

    if ALWAYS_OPEN in s.rosters:
        problems.append(("rosters", f"'{ALWAYS_OPEN}' is built in and cannot be redefined"))
    if s.lodgement.roster not in rosters:
        unknown("lodgement.roster", "roster", s.lodgement.roster, rosters)
    distributions = [("lodgement.delay_hours", s.lodgement.delay_hours)]
    for stage_name in ("unloading", "payment", "exit"):
        stage = getattr(s, stage_name)
        if stage is not None:
            distributions.append((f"{stage_name}.delay_hours", stage.delay_hours))
            if stage.roster not in rosters:
                unknown(f"{stage_name}.roster", "roster", stage.roster, rosters)
    if s.payment is not None:
        for commodity in s.payment.commodities:
            if commodity not in commodities:
                unknown("payment.commodities", "commodity", commodity, commodities)
    shared = [name for name, c in s.checks.items() if permit_shares(c.required_for)]
    if len(shared) > MAX_SHARED_CHECKS:
        problems.append(
            (
                f"checks.{shared[MAX_SHARED_CHECKS]}.required_for",
                f"at most {MAX_SHARED_CHECKS} checks may be required for a share of a "
                f"commodity's shipments (each adds a bit to a shipment's route class, and the "
                f"route table doubles with each), got {len(shared)}: "
                f"{', '.join(shared)}; give the others a list (share 1)",
            )
        )
    distributions += [
        (f"traffic.commodities.{name}.value_usd", c.value_usd)
        for name, c in s.traffic.commodities.items()
    ]
    distributions += [
        (f"traffic.commodities.{name}.units", c.units) for name, c in s.traffic.commodities.items()
    ]
    for name, check in s.checks.items():
        distributions.append((f"checks.{name}.duration_hours", check.duration_hours))
        if check.query is not None:
            distributions.append((f"checks.{name}.query.answer_hours", check.query.answer_hours))
        if check.roster not in rosters:
            unknown(f"checks.{name}.roster", "roster", check.roster, rosters)
        for table, what, allowed in (
            ("duration_by_commodity", "commodity", commodities),
            ("duration_by_lane", "lane", list(s.lanes)),
        ):
            for key, dist in (getattr(check, table) or {}).items():
                path = f"checks.{name}.{table}.{key}"
                distributions.append((path, dist))
                if key not in allowed:
                    unknown(path, what, key, allowed)
        for kind in check.detect:
            if kind not in kinds:
                unknown(f"checks.{name}.detect.{kind}", "illicit kind", kind, kinds)
        for commodity in check.required_for:
            if commodity not in commodities:
                unknown(f"checks.{name}.required_for", "commodity", commodity, commodities)
        if check.on_alarm != "intercept":
            if check.on_alarm not in checks:
                unknown(f"checks.{name}.on_alarm", "check", check.on_alarm, ["intercept", *checks])
            elif check.on_alarm == name:
                problems.append((f"checks.{name}.on_alarm", "a check cannot refer to itself"))
        elif check.false_alarm > 0:
            msg = "needs on_alarm to name the check that resolves an alarm"
            problems.append((f"checks.{name}.false_alarm", msg))
    problems += _referral_loops(s)
    if s.costs is not None:
        problems += _cost_names(s, unknown)
    for path, dist in distributions:
        why = dist is not None and _distribution_problem(dist)
        if why:
            problems.append((path, why))
    for lane, route in s.lanes.items():
        for check in route:
            if check not in checks:
                unknown(f"lanes.{lane}", "check", check, checks)
        if len(set(route)) != len(route):
            problems.append((f"lanes.{lane}", "a check is listed twice"))
    for i, surge in enumerate(s.traffic.surges):
        for commodity in surge.commodities:
            if commodity not in commodities:
                unknown(f"traffic.surges[{i}].commodities", "commodity", commodity, commodities)
    if s.traffic.batches is not None:
        problems += _timetable_problems(s)
    for i, surge in enumerate(s.illicit.surges):
        for kind in surge.kinds:
            if kind not in kinds:
                unknown(f"illicit.surges[{i}].kinds", "illicit kind", kind, kinds)
        for commodity in surge.commodities:
            if commodity not in commodities:
                unknown(f"illicit.surges[{i}].commodities", "commodity", commodity, commodities)
    for i, drift in enumerate(s.illicit.drift):
        if not (drift.commodities or drift.origins or drift.compliance):
            msg = "names no group: give commodities, origins or compliance groups with factors"
            problems.append((f"illicit.drift[{i}]", msg))
        for key, what, names in (
            ("commodities", "commodity", commodities),
            ("origins", "origin group", list(s.traffic.origins)),
            ("compliance", "compliance group", list(s.traffic.compliance)),
        ):
            for name in getattr(drift, key):
                if name not in names:
                    unknown(f"illicit.drift[{i}].{key}", what, name, names)
    n = expected_shipments(s)
    if n > MAX_SHIPMENTS:
        about = f"about {n:,.0f}" if n < 1e15 else f"about {n:.2g}" if n < math.inf else "more"
        problems.append(
            (
                "traffic.shipments_per_day",
                f"a replication would simulate {about} shipments; at most {MAX_SHIPMENTS:,} "
                "are supported: lower shipments_per_day, days or the surges",
            )
        )
    else:
        memory = memory_problem(s)
        if memory:
            problems.append(memory)
    if s.illicit.prevalence > 0:
        top = max_illicit_probability(s)
        if math.isinf(top):
            problems.append(
                (
                    "illicit.prevalence",
                    "every shipment has an illicit_factor of 0 in some group, "
                    "so none can be illicit; set prevalence = 0 or raise the factors",
                )
            )
        elif top > 1 + 1e-9:
            problems.append(
                (
                    "illicit.prevalence",
                    f"with these illicit_factor values the riskiest shipments would be illicit "
                    f"with probability {top:.3g} > 1; lower the prevalence or the factors",
                )
            )
        elif s.illicit.surges and not problems:
            top = max_illicit_probability(s, surges=True)
            if top > 1 + 1e-9:
                problems.append(
                    (
                        "illicit.surges",
                        f"during the surges the riskiest shipments would be illicit with "
                        f"probability {top:.3g} > 1; lower the surge factors or the prevalence",
                    )
                )
    if s.adversary is not None:
        for name in s.adversary.kinds:
            if name not in kinds:
                unknown("adversary.kinds", "illicit kind", name, kinds)
    alone = s.network is None or not s.network.offices
    if s.adversary is not None and s.adversary.routes == ["office"] and alone:
        problems.append(
            (
                "adversary.routes",
                "['office'] is one route when there is one office, so nothing can move: add "
                "offices under [network], or choose among origin, commodity or aeo too",
            )
        )
    return problems


def empty_window(s: Scenario) -> str | None:
    """A warning when a replication would almost surely count no shipment (fewer than
    :data:`MIN_COUNTED` expected in the counted window), or None. A warning, not a refusal:
    a point of a sweep or a variant may legitimately switch traffic off (a surge factor of 0)."""
    if expected_arrivals(s, s.warmup_hours, s.hours) >= MIN_COUNTED:
        return None
    return (
        f"no shipment would arrive between day {s.scenario.warmup_days:g} (the warm-up) and "
        f"day {s.scenario.days:g}, where shipments are counted: the hourly and weekly "
        "profiles and the surges give that window an arrival rate of (nearly) 0, so every "
        "figure of the run would be empty"
    )


def _cost_names(s: Scenario, unknown) -> list[tuple[str, str]]:
    """``[costs]`` prices name commodities, checks and illicit kinds that exist; a price per
    spoiled unit needs the commodity's units. ``unknown`` records an unknown name."""
    c, problems = s.costs, []
    commodities, checks, kinds = list(s.traffic.commodities), list(s.checks), list(s.illicit.kinds)
    tables = [
        ("delay_per_hour", c.delay_per_hour, "commodity", commodities),
        ("check_hour", c.check_hour, "check", checks),
        ("per_check", c.per_check, "check", checks),
        ("spoiled_unit", c.spoiled_unit, "commodity", commodities),
        ("harm_per_unit", c.harm_per_unit, "illicit kind", kinds),
    ]
    for key, prices, what, allowed in tables:
        for name in prices:
            if name not in allowed:
                unknown(f"costs.{key}.{name}", what, name, allowed)
    for name in c.spoiled_unit:
        if name in commodities and s.traffic.commodities[name].units is None:
            problems.append(
                (
                    f"costs.spoiled_unit.{name}",
                    f"prices spoiled units, but traffic.commodities.{name} declares no units; "
                    "add units there or remove this price (a spoiled shipment then costs its "
                    "declared value)",
                )
            )
    return problems


def _timetable_problems(s: Scenario) -> list[tuple[str, str]]:
    """Each ``[traffic.batches]`` timetable slot names a weekday (as in ``[rosters]``) or
    'daily' and an hour of the day; at least one slot falls where the profiles let anything
    arrive."""
    problems = []
    days = [*WEEK_DAYS, DAILY]
    for i, (day, hour) in enumerate(s.traffic.batches.timetable):
        path = f"traffic.batches.timetable[{i}]"
        if day not in days:
            hint = suggest(day, days)
            msg = f"unknown day {quote_name(day)}"
            if hint:
                msg += f" (did you mean '{hint}'?)"
            problems.append((path, f"{msg}; allowed: {', '.join(days)}"))
        if not 0 <= hour < 24:
            problems.append((path, f"the hour must be 0 <= hour < 24 (6.5 is 06:30), got {hour:g}"))
    if s.traffic.batches.timetable and not problems:
        t = s.traffic
        hourly, weekly = profile_weights(t.hourly_profile), profile_weights(t.weekly_profile)
        if not timetable_loads(t, hourly, weekly, 168.0)[0].size:
            problems.append(
                (
                    "traffic.batches.timetable",
                    "every slot falls in an hour whose hourly_profile or weekly_profile weight "
                    "is 0, so no batch could carry anything; move a slot or change the profiles",
                )
            )
    return problems


def _referral_loops(s: Scenario) -> list[tuple[str, str]]:
    """Alarms referred from check to check in a circle would send a shipment round forever."""
    problems = []
    seen_loops: set[frozenset[str]] = set()
    for name in s.checks:
        chain = [name]
        nxt = s.checks[name].on_alarm
        while nxt in s.checks and nxt not in chain:
            chain.append(nxt)
            nxt = s.checks[nxt].on_alarm
        if nxt == name and len(chain) > 1 and frozenset(chain) not in seen_loops:
            seen_loops.add(frozenset(chain))
            loop = " -> ".join([*chain, name])
            problems.append((f"checks.{name}.on_alarm", f"alarms are referred in a circle: {loop}"))
    return problems


def risk_groups(s: Scenario) -> list[tuple[list[float], list[float]]]:
    """(shares, relative risks) of each independent attribute, AEO status last."""
    t = s.traffic
    groups = [
        ([g.share for g in table.values()], [g.illicit_factor for g in table.values()])
        for table in (t.commodities, t.origins, t.compliance)
    ]
    groups.append(([1 - t.aeo_share, t.aeo_share], [1.0, s.illicit.aeo_factor]))
    return groups


def max_illicit_probability(s: Scenario, surges: bool = False) -> float:
    """The highest probability of being illicit that any shipment can have (with ``surges``,
    also inside any overlap of ``[[illicit.surges]]``)."""
    mean = 1.0
    top = 1.0
    groups = risk_groups(s)
    for shares, factors in groups:
        mean *= sum(sh * f for sh, f in zip(shares, factors, strict=True))
        top *= max(f for sh, f in zip(shares, factors, strict=True) if sh > 0)
    if mean <= 0:
        return float("inf")
    if not surges or not s.illicit.surges:
        return s.illicit.prevalence * top / mean
    # Surges change the kind mix by commodity: take the worst commodity at each surge start.
    rest = top / max(f for sh, f in zip(*groups[0], strict=True) if sh > 0)
    kinds = list(s.illicit.kinds.items())
    worst = 0.0
    for at in [0.0] + [g.start_day for g in s.illicit.surges]:
        active = [g for g in s.illicit.surges if g.start_day <= at < g.end_day]
        for name, c in s.traffic.commodities.items():
            if c.share <= 0:
                continue
            mix = 0.0
            for kind, share in kinds:
                f = 1.0
                for g in active:
                    if (not g.kinds or kind in g.kinds) and (
                        not g.commodities or name in g.commodities
                    ):
                        f *= g.factor
                mix += share * f
            worst = max(worst, c.illicit_factor * rest * mix)
    return s.illicit.prevalence * worst / mean
