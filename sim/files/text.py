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
    rows = key_rows(sc.scenario.target_hours)
    width = max(len(r[0]) for r in rows) + 2
    for label, key, pct in rows:
        lines.append(f"  {label:<{width}}{_fmt(s.get(key), 1 if pct else 2, pct)}")
    lines += trs_lines(sc, s)
    lines += cost_lines(s)
    lines += ["", f"  {'Station':<14}{'wait h (mean)':>18}{'utilisation':>18}{'queue max':>12}"]
    for name in sc.checks:
        wait = _fmt(s[station(name, "wait_hours_mean")])
        utilisation = _fmt(s[station(name, "utilisation")], 1, True)
        queue = s[station(name, "queue_max")]["mean"] or 0
        lines.append(f"  {name:<14}{wait:>18}{utilisation:>18}{queue:>12.1f}")
    return "\n".join(lines)
