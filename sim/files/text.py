"""How values and summaries read in result folders' text, tables and on the terminal."""

from __future__ import annotations

import json
from typing import Any

from sim.measure import names
from sim.measure.names import cost_rows, key_rows, station
from sim.measure.statistics import overload_reason, overloaded
from sim.schema import Scenario

OVERLOAD_ADVICE = (
    "The queues do not keep up with the traffic: the backlog grows, and the clearance figures "
    "depend on how long\nthe run lasts (those still inside are counted as censored; the mean "
    "is a lower bound). Add officers or inspect less."
)


def show(value: Any) -> str:
    """A value as typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.1f}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def interval(s: dict[str, Any] | None, digits: int = 2, pct: bool = False, gap: str = " ") -> str:
    """An estimate with its interval: ``mean ± half-width`` when the interval is symmetric,
    ``mean (low to high)`` when it is not (shares and counts, whose intervals stay within what
    they can be); shares in %; thousands grouped; n/a without an estimate."""
    if not s or s.get("mean") is None:
        return "n/a"
    scale, unit = (100.0, "%") if pct else (1.0, "")

    def show(value: float) -> str:
        return f"{value * scale:,.{digits}f}"

    text = f"{show(s['mean'])}{unit}"
    low, high = s.get("ci_low"), s.get("ci_high")
    if low is None or high is None:
        return text
    half = (high - low) / 2
    if show(s["mean"] - half) == show(low) and show(s["mean"] + half) == show(high):
        return f"{text}{gap}± {show(half)}"
    return f"{text} ({show(low)} to {show(high)})"


def _fmt(s: dict[str, Any] | None, digits: int = 2, pct: bool = False) -> str:
    return interval(s, digits, pct, gap="  ")


def count_interval(s: dict[str, Any] | None) -> str:
    """A count per run and its interval, as whole numbers (see :func:`whole`): ``38 (33 to
    44)``; n/a without an estimate."""
    if not s or s.get("mean") is None:
        return "n/a"
    digits = 0 if abs(s["mean"]) >= 10 else 1
    if s.get("ci_low") is None or s.get("ci_high") is None:
        return whole(s["mean"], digits)
    low, high = whole(s["ci_low"], digits), whole(s["ci_high"], digits)
    return f"{whole(s['mean'], digits)} ({low} to {high})"


def cost_lines(s: dict[str, dict[str, Any]]) -> list[str]:
    """The costs and harms of a summary with ``cost.*`` metrics (a scenario with ``[costs]``),
    over the counting window: money in US dollars with thousands grouped and no cents; none
    without them."""
    rows = [(label, key) for label, key in cost_rows() if key in s]
    if not any(key.startswith("cost.") for _, key in rows):
        return []
    width = max(len(label) for label, _ in rows) + 2
    lines = ["", "  Costs and harms over the counted shipments and window, per replication:"]
    lines += [f"  {label:<{width}}{_fmt(s[key], 0)}" for label, key in rows]
    return lines


def trs_lines(sc: Scenario, s: dict[str, dict[str, Any]]) -> list[str]:
    """The Time Release Study breakdown of a summary: each segment's mean hours per released
    shipment, by the Guide's names and in the order of the milestones, adding up to the mean
    clearance time of released shipments; then release to exit, with ``[exit]``."""
    order = names.segment_order(s, sc.checks)
    if not order:
        return []
    total = names.released("clearance_hours_mean")
    rows = [(names.segment_label(m), m) for m in order]
    rows.append(("Arrival to release (the segments' sum)", total))
    rows += [(names.segment_label(m), m) for m in (names.EXIT, names.ARRIVAL_TO_EXIT) if m in s]
    width = max(len(label) for label, _ in rows) + 2
    lines = ["", "  Time Release Study breakdown, mean hours per released shipment:"]
    lines += [f"  {label:<{width}}{_fmt(s.get(key))}" for label, key in rows]
    return lines


def format_summary(
    sc: Scenario,
    s: dict[str, dict[str, Any]],
    n: int,
    policy: str | None = None,
    precision: str | None = None,
) -> str:
    """The summary printed by ``bordersim run``: the scenario ``sc`` as run, the summary
    ``s`` of its ``n`` replications, the policy that replaced its own (if any) and, with
    ``replications="auto"``, where the replications stopped."""
    shipments = s["shipments"]["mean"] or 0
    info = sc.scenario
    lines = [
        f"{info.name}: {n} replication(s) of {info.days:g} days, seed {info.seed}, "
        f"policy {policy or sc.policy.kind}; about {shipments:,.0f} shipments counted each",
    ]
    if overloaded(s):
        lines += [f"Warning: OVERLOADED: {overload_reason(s)}.", OVERLOAD_ADVICE]
    if precision is not None:
        lines.append(f"Replications auto: {precision}.")
    lines += [
        "Estimates across replications with their 95% confidence intervals: ± half-width, or "
        "(low to high) where",
        "the interval is not symmetric (shares and counts stay within what they can be).",
        "",
    ]
    info = sc.scenario.model_dump()
    rows = [
        (f"{label}, per run" if names.unit(key) == "count" else label, key, pct)
        for label, key, pct in key_rows(sc.scenario.target_hours)
    ]
    width = max(len(r[0]) for r in rows) + 2
    for label, key, pct in rows:
        if names.unit(key) == "count":
            lines.append(f"  {label:<{width}}{count_interval(s.get(key))}")
        else:
            lines.append(f"  {label:<{width}}{_fmt(s.get(key), 1 if pct else 2, pct)}")
    lines.append(f"  {period_note(info)}")
    lines += trs_lines(sc, s)
    lines += cost_lines(s)
    rows = [
        (
            name,
            _fmt(s[station(name, "wait_hours_mean")]),
            _fmt(s[station(name, "utilisation")], 1, True),
            whole(s[station(name, "queue_max")]["mean"] or 0),
        )
        for name in sc.checks
    ]
    lines += [""] + table(("Station", "wait h (mean)", "utilisation", "queue max"), rows)
    lines += office_lines(sc, s)
    return "\n".join(lines)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of text under a header, indented: the first column to the left, the others to the
    right, each as wide as its widest cell (an interval may be long) plus a gap."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [f"{row[0]:<{widths[0]}}"]
        cells += [f"{cell:>{w}}" for cell, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  " + "   ".join(cells).rstrip())
    return out


def office_lines(sc: Scenario, s: dict[str, dict[str, Any]]) -> list[str]:
    """A network's offices side by side, and the network as a whole (none for one office):
    the figures above are the home office's alone."""
    network = getattr(sc, "network", None)
    if network is None or names.network("shipments") not in s:
        return []
    offices = [(network.home, network.home_label or network.home)]
    offices += [(name, label or name) for name, (label, _) in sc.offices.items()]
    rows = [(label, f"office.{name}") for name, label in offices] + [("whole network", "network")]
    body = []
    for label, prefix in rows:

        def get(stat: str, prefix: str = prefix) -> dict[str, Any] | None:
            return s.get(f"{prefix}.{stat}")

        body.append(
            (
                label,
                whole((get("shipments") or {}).get("mean") or 0),
                _fmt(get("interception_rate"), 1, True),
                count_interval(get("leaks")),
                _fmt(get("clearance_hours_mean")),
            )
        )
    header = ("Office", "shipments", "interception", "leaks", "clearance h (mean)")
    return [
        "",
        f"  The figures above are the home office's ({offices[0][1]}); the network's offices, "
        "per run:",
        *table(header, body),
    ]


# --------------------------------------------------------------------------- numbers for people


def _trim(text: str) -> str:
    """``12.0`` as ``12``, ``0.50`` as ``0.5``; a whole number stays as it is."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(share: float, digits: int = 1) -> str:
    """A share of 0-1 as a percentage: ``0.125`` is ``12.5%``, ``1.0`` is ``100%``."""
    return _trim(f"{share * 100:.{digits}f}") + "%"


def whole(count: float, digits: int | None = None) -> str:
    """A count of shipments or events: whole from 10 up (``38``, ``1,204``); below 10 with one
    decimal (``0.3``, ``2.0``), since a mean of a few per run rounded to whole misleads.
    ``digits`` forces the decimals (the ends of an interval take its estimate's)."""
    if digits is None:
        digits = 0 if abs(count) >= 10 else 1
    return f"{count:,.{digits}f}"


def hours(value: float) -> str:
    """Hours: whole from 100 up, one decimal from 1, two below (``106``, ``3.1``, ``0.45``)."""
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 1 else 2
    return f"{value:,.{digits}f}"


def number(unit: str, value: float, sign: bool = False) -> str:
    """A value of a metric of ``unit`` (see :func:`sim.measure.names.unit`) without its unit
    word: a share in percent (or percentage points with ``sign``), hours, a count."""
    shown = number(unit, abs(value)) if sign else ""
    plus = "+" if sign and value > 0 and shown.strip("0.,") else ""
    if unit == "%":
        return plus + f"{value * 100:.1f}"
    if unit == "h":
        return plus + hours(value)
    if unit == "count":
        return plus + whole(value)
    if unit == "US$":
        return plus + f"{value:,.0f}"
    return plus + _trim(f"{value:.3g}") if abs(value) < 1000 else plus + f"{value:,.0f}"


def _span(unit: str, low: float, high: float) -> str:
    """An interval's ends, ``low to high`` (a hyphen between numbers reads as a minus)."""
    return f"{number(unit, low)} to {number(unit, high)}"


def estimate(unit: str, s: dict[str, Any] | None) -> str:
    """An estimate and its 95% interval for a sentence: ``3.1 h (3.0 to 3.2)``, ``7.9% (6.5
    to 9.6)``, ``38 (33 to 44)``; n/a without an estimate."""
    if not s or s.get("mean") is None:
        return "n/a"
    after = {"%": "%", "h": " h", "US$": " US$"}.get(unit, "")
    text = number(unit, s["mean"]) + after
    if s.get("ci_low") is None or s.get("ci_high") is None:
        return text
    return f"{text} ({_span(unit, s['ci_low'], s['ci_high'])})"


def difference(unit: str, s: dict[str, Any] | None) -> str:
    """A paired difference and its 95% interval: ``+6.3 h (5.9 to 6.7)``; shares in
    percentage points, ``-0.2 points (-0.6 to 1.0)``."""
    if not s or s.get("mean") is None:
        return "n/a"
    after = {"%": " points", "h": " h", "US$": " US$"}.get(unit, "")
    text = number(unit, s["mean"], sign=True) + after
    if s.get("ci_low") is None or s.get("ci_high") is None:
        return text
    low, high = number(unit, s["ci_low"]), number(unit, s["ci_high"])
    return f"{text} ({low} to {high})"


def measurable(s: dict[str, Any] | None) -> bool:
    """Whether a paired difference's 95% interval excludes zero."""
    if not s or s.get("ci_low") is None or s.get("ci_high") is None:
        return False
    return s["ci_low"] > 0 or s["ci_high"] < 0


def period(info: dict[str, Any]) -> str:
    """The counting window of a run in a few words, said the same way everywhere: ``per run
    (26 counted days)``; a run is ``days`` of arrivals, of which the first ``warmup_days`` warm
    the office up and are not counted (see :func:`period_note`)."""
    days, warm = info.get("days"), info.get("warmup_days", 0) or 0
    if days is None:
        return "per run"
    return f"per run ({days - warm:g} counted days)"


def period_note(info: dict[str, Any]) -> str:
    """Which period is which, in one sentence: the run's days of arrivals, the warm-up left
    out, the counted days that counts are over."""
    days, warm = info.get("days"), info.get("warmup_days", 0) or 0
    if days is None:
        return "Counts are per run."
    if not warm:
        return f"Counts are per run: {days:g} days of arrivals, every one counted."
    return (
        f"Counts are per run: a run has {days:g} days of arrivals; the first {warm:g} warm the "
        f"office up and are not counted, so counts cover {days - warm:g} days."
    )
