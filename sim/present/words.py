"""What was simulated and how, in plain words: the report's opening and its method notes."""

from __future__ import annotations

from typing import Any

from sim.files.bottom_line import (
    asks,
    bottom_line,
    first_info,
    lever_label,
    lever_value,
    points_said,
    range_words,
    value_range,
)
from sim.files.read import Saved
from sim.files.text import percent
from sim.present.contents import person_label
from sim.present.markup import esc
from sim.present.resolved import MISSING, flatten, toml_value

WORDS_KEYS = ("name", "description", "label", "question", "headline", "levers")
"""Keys of ``[scenario]`` that are words for people, not parameters of the model."""


def _roster_words(scenario: dict[str, Any], roster: str) -> str:
    if roster == "24/7":
        return "around the clock"
    r = (scenario.get("rosters") or {}).get(roster) or {}
    days = r.get("days") or []
    hours = r.get("hours") or []
    shifts = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in hours)
    return f"{roster} hours ({', '.join(d.capitalize() for d in days)} {shifts})"


def _days(n: float) -> str:
    return f"{n:g} day" if n == 1 else f"{n:g} days"


def _clock(h: float) -> str:
    return f"{int(h):02d}:{int(round((h % 1) * 60)):02d}"


def _swept(saved: Saved) -> dict[str, str]:
    """Each key a sweep varies, with the range of its values in words (``0% to 30%``)."""
    if saved.kind != "sweep":
        return {}
    levers = ((saved.points[0].scenario or {}).get("scenario") or {}).get("levers") or {}
    return {
        key: range_words(key, [p.values.get(key) for p in saved.points], levers)
        for key in saved.keys
    }


def _policy_words(policy: dict[str, Any], swept: dict[str, str] | None = None) -> str:
    """The policy in words; a rate a sweep varies is given its range, not the first point's
    value."""
    kind = policy.get("kind", "?")
    swept = swept or {}
    if kind == "random" and isinstance(policy.get("rates"), dict):
        rates = ", ".join(
            f"{swept[f'policy.rates.{lane}']} to {lane} (varied by the sweep)"
            if f"policy.rates.{lane}" in swept
            else f"{percent(v)} to {lane}"
            for lane, v in policy["rates"].items()
        )
        rest = policy.get("default_lane", "green")
        return f"random selection ({rates or 'none'}; the rest to {rest})"
    settings = [
        f"{k} {toml_value(v)}"
        for k, v in policy.items()
        if k != "kind" and not isinstance(v, dict | list) and v not in (None, "")
    ]
    return f"the '{kind}' policy" + (f" ({', '.join(settings[:6])})" if settings else "")


def bottom_line_html(saved: Saved) -> str:
    """The answer to the scenario's question for its headline metrics, with intervals (see
    :mod:`sim.files.bottom_line`): the question in bold, then the sentences."""
    info = first_info(saved.points)
    said = points_said(saved.kind, saved.points)
    lines = bottom_line(saved.kind, info, said)
    if not lines:
        return ""
    asked = asks(saved.kind, info, said)
    out = []
    for line in lines:
        if asked and line == asked:
            out.append(f'<p class="question"><strong>{esc(line)}</strong></p>')
        else:
            out.append(f'<p class="answer">{esc(line)}</p>')
    return '<div class="bottom-line">' + "".join(out) + "</div>"


def describe(saved: Saved) -> str:
    """What was simulated, in plain words (HTML paragraphs)."""
    first = saved.points[0]
    sc = first.scenario or {}
    info = sc.get("scenario") or {}
    traffic = sc.get("traffic") or {}
    illicit = sc.get("illicit") or {}
    paras = []
    swept = _swept(saved)
    if info.get("description"):
        text = info["description"]
        if saved.kind == "sweep" and saved.keys:
            levers = info.get("levers") or {}
            varied = ", ".join(lever_label(k, levers) for k in saved.keys)
            text += f" (The base scenario's own words: the sweep varies {varied}.)"
        paras.append(f'<p class="question">{esc(text)}</p>')
    days = info.get("days")
    warm = info.get("warmup_days", 0)
    if days is not None:
        counted = days - warm
        commodities = ", ".join(
            f"{name} {c.get('share', 0):.0%}"
            + (f" (cold chain, {c['cold_chain_hours']:g} h)" if c.get("cold_chain_hours") else "")
            for name, c in (traffic.get("commodities") or {}).items()
        )
        kinds = ", ".join(f"{k} {v:.0%}" for k, v in (illicit.get("kinds") or {}).items())
        daily = swept.get("traffic.shipments_per_day")
        daily = (
            f"{daily} (varied by the sweep)"
            if daily
            else f"{traffic.get('shipments_per_day', 0):,.0f}"
        )
        share = f"{illicit.get('prevalence', 0):.1%}"
        if "illicit.prevalence" in swept:
            span = value_range([p.values.get("illicit.prevalence") for p in saved.points])
            share = f"{span[0]:.1%} to {span[1]:.1%} (varied by the sweep)" if span else share
        paras.append(
            "<p>"
            + esc(
                f"One customs office, '{info.get('name', first.label)}', over {days:g} days of "
                f"arrivals: about {daily} shipments a day "
                f"({commodities}). About {share} of them are illicit "
                f"({kinds}). The first {_days(warm)} warm the office up and are not counted, so "
                f"each replication counts {_days(counted)}; {_days(info.get('drain_days', 0))} "
                "more are simulated so that late arrivals can finish."
            )
            + "</p>"
        )
    checks = sc.get("checks") or {}
    if checks:
        items = []
        for name, c in checks.items():
            what = name if name == c.get("kind") else f"{name} ({c.get('kind')})"
            servers = swept.get(f"checks.{name}.servers")
            staff = (
                f"{servers} officer(s) or machine(s) (varied by the sweep)"
                if servers
                else f"{c.get('servers')} officer(s) or machine(s)"
            )
            text = f"{what}: {staff}, {_roster_words(sc, c.get('roster', '24/7'))}"
            detect = c.get("detect") or {}
            if detect:
                text += "; finds " + ", ".join(f"{v:.0%} of {k}" for k, v in detect.items())
            if c.get("required_for"):
                text += f"; required for {', '.join(c['required_for'])}"
            items.append(f"<li>{esc(text)}</li>")
        lanes = "; ".join(
            f"{lane}: {' then '.join(route) if route else 'release'}"
            for lane, route in (sc.get("lanes") or {}).items()
        )
        paras.append(
            "<p>"
            + esc(
                "Each declaration is risk-assessed by "
                + _policy_words(sc.get("policy") or {}, swept)
                + f" and sent to a lane ({lanes}). The checks:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    if isinstance(sc.get("network"), dict):
        paras.append(_network_words(sc["network"]))
    if isinstance(sc.get("adversary"), dict):
        paras.append(_adversary_words(sc["adversary"]))
    n = sorted({p.replications for p in saved.points})
    reps = f"{n[0]}" if len(n) == 1 else f"{n[0]} to {n[-1]}"
    if saved.kind == "run":
        paras.append(f"<p>{esc(f'{reps} replications with seed {saved.seed}.')}</p>")
    elif saved.kind == "compare":
        items = []
        for i, p in enumerate(saved.points[1:], start=1):
            items.append(
                f"<li><strong>{esc(person_label(saved, i))}</strong> "
                f"(<code>{esc(p.label)}</code>): {esc(variant_words(first.scenario, p.scenario))}"
                "</li>"
            )
        paras.append(
            "<p>"
            + esc(
                f"{len(saved.points)} scenarios compared under common random numbers, "
                f"{reps} replications each with seed {saved.seed}. The reference is "
                f"'{person_label(saved, 0)}' ({first.label}); what the others change:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    else:
        items = []
        levers = info.get("levers") or {}
        for key in saved.keys:
            values = _merged(lever_value(key, p.values.get(key), levers) for p in saved.points)
            items.append(
                f"<li>{esc(lever_label(key, levers))} (<code>{esc(key)}</code>): "
                f"{esc(', '.join(values))}</li>"
            )
        paras.append(
            "<p>"
            + esc(
                f"A sweep of {len(saved.points)} points under common random numbers, {reps} "
                f"replications each with seed {saved.seed}, varying:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    return "\n".join(paras)


def _adversary_words(adversary: dict[str, Any]) -> str:
    """``[adversary]`` in words (an HTML paragraph): who adapts, among what, how fast."""
    kinds = " and ".join(adversary.get("kinds") or [])
    who = f"Traffickers of {kinds} goods" if kinds else "Traffickers"
    text = (
        f"{who} adapt: every {_days(adversary.get('period_days', 7))} they read the share of "
        f"their shipments seized on each route (by {' x '.join(adversary.get('routes') or [])}) "
        f"and move toward the routes that lose less, at speed {adversary.get('speed', 0):g} "
        f"(a gap in loss rate under {adversary.get('switching_cost', 0) * 100:g} points moves "
        "nobody). The illicit "
        "volume stays the scenario's; only where it goes changes (the adversary.* metrics)."
    )
    return f"<p>{esc(text)}</p>"


def _network_words(network: dict[str, Any]) -> str:
    """The offices of a ``[network]`` and what they share, in words (an HTML paragraph and
    list): the office above is its home office."""
    home = network.get("home", "home")
    label = network.get("home_label") or home
    offices = network.get("offices") or {}
    items = []
    for name, office in offices.items():
        info = office.get("scenario") or {}
        traffic = office.get("traffic") or {}
        checks = ", ".join(office.get("checks") or {}) or "none"
        text = (
            f"{office.get('label') or name} ('{name}', the scenario '{info.get('name', name)}'): "
            f"about {traffic.get('shipments_per_day', 0):,.0f} shipments a day; checks: {checks}; "
            f"{_policy_words(office.get('policy') or {})}"
        )
        items.append(f"<li>{esc(text)}</li>")
    sharing = network.get("sharing")
    if isinstance(sharing, dict):
        shared = (
            f"A seizure at one office flags, {sharing.get('delay_hours', 0):g} h later and for "
            f"{_days(sharing.get('window_days', 0))}, the declarations of the others with the "
            f"same {' and '.join(sharing.get('match') or [])}: "
            f"{percent(sharing.get('coverage', 0))} of the illicit ones and "
            f"{percent(sharing.get('false_alert_rate', 0))} of the legitimate ones."
        )
    else:
        shared = "The offices share nothing."
    head = (
        f"The office above is the home office, '{home}' ({label}), of a network of "
        f"{len(offices) + 1} offices simulated together over the same days. The others:"
    )
    figures = (
        " The figures and traces are the home office's; the network's and each office's are "
        "the network.* and office.* metrics."
    )
    return f"<p>{esc(head)}</p><ul>{''.join(items)}</ul><p>{esc(shared + figures)}</p>"


def _merged(values: Any) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def variant_words(base: dict[str, Any] | None, other: dict[str, Any] | None) -> str:
    """What a variant changes, in its own words: its description (from the file, or the
    comment above its table), else its changed keys, whole, never cut mid-word."""
    own = ((other or {}).get("scenario") or {}).get("description")
    if (
        isinstance(own, str)
        and own.strip()
        and own != ((base or {}).get("scenario") or {}).get("description")
    ):
        return own.strip()
    differ = changes(base, other)
    if not differ:
        return "no parameter differs"
    shown = "; ".join(differ[:8])
    return shown + (f"; and {len(differ) - 8} more keys" if len(differ) > 8 else "")


def changes(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    """The keys that differ between two resolved scenarios, as ``key: old → new``."""
    if a is None or b is None:
        return []
    fa, fb = flatten(a), flatten(b)
    out = []
    for key in [*fa, *(k for k in fb if k not in fa)]:
        if key.startswith("scenario.") and key.split(".")[1] in WORDS_KEYS:
            continue
        va, vb = fa.get(key, MISSING), fb.get(key, MISSING)
        if va != vb:
            old = "(none)" if va is MISSING else toml_value(va)
            new = "(none)" if vb is MISSING else toml_value(vb)
            out.append(f"{key}: {old} → {new}")
    return out


INTERVALS = [
    "Every number is an estimate across replications with its 95% confidence interval: how "
    "far the estimate may be from what infinitely many replications would give, not how much "
    "single days vary. It is written ± half-width where the interval is symmetric, and "
    "(low to high) where it is not.",
    "Shares with a known denominator (the interception rate of the illicit shipments, the "
    "share released within a target time, the hit rate of the inspections) are pooled: every "
    "replication's successes over every replication's trials. Their interval is Wilson's, "
    "with the trials divided by the overdispersion between replications, so it is never "
    "narrower than the replications' own spread says; it stays between 0% and 100%.",
    "Counts (leaks, spoiled shipments, shipments still inside, interceptions at a check) are "
    "means per replication with the exact Poisson interval of their total, overdispersion "
    "allowed for likewise: never below 0, and not empty when every replication counted 0.",
    "Everything else (times, queue lengths, utilisation) is the mean with its Student-t "
    "interval (mean ± t × sd / √n), kept within what the metric can be.",
]
"""How the intervals are made, in plain words (see :mod:`sim.measure.statistics`)."""

CLEARANCE = [
    "Clearance time counts every shipment not intercepted. A shipment still inside when the "
    "run stops has not been released yet: its clearance time is at least the hours it has "
    "spent inside, and leaving it out would make a congested border look fast. So the "
    "clearance figures (mean, median, 90th percentile, released within T hours) are read from "
    "the Kaplan-Meier estimate, with those shipments counted as censored; the mean is the "
    "restricted mean, a lower bound when some are censored. With none censored they are the "
    "plain figures of released shipments. The distribution curves count censored shipments as "
    "not released, and then end below 100%.",
    "The Time Release Study breakdown is of released shipments only: its segments add up to "
    "their mean clearance time, which is shorter than the clearance time above when shipments "
    "were still inside at the end (the figure says how many).",
    "A replication is overloaded when more than 1% of its shipments were still inside at the "
    "end, or a check's queue grew through the run (its mean over each quarter of the counted "
    "window rose every time, the last more than twice the first plus one shipment). A point is "
    "OVERLOADED when at least half its replications were: its queues do not keep up, its "
    "clearance figures depend on how long the run lasts, and it is marked ⚠ in every table and "
    "figure.",
]
"""Censored clearance times and overload, in plain words (see :mod:`sim.measure.censoring`)."""

FRONTIER = (
    "Where each point stands on the trade-off of clearance time against interception is "
    "judged on the paired replications (common random numbers), not on the means alone. A "
    "point is dominated when another beats it beyond the paired interval on one axis and is "
    "at least as good on the other; of the rest, those that no other beats on both means are "
    "efficient (joined by the frontier in the trade-off figure), and those beaten on the means "
    "but not beyond the noise are in the band (shaded): they cannot be told from the frontier "
    "with these replications, and the report says about how many would separate them. An "
    "overloaded point is never on the frontier. The trade-off figure judges each point on the "
    "clearance time on its axis (mean or 90th percentile); the sweep's table on the mean."
)


def method(saved: Saved) -> str:
    """Method notes: run length, replications and their streams, intervals, censoring."""
    sc = saved.points[0].scenario or {}
    info = sc.get("scenario") or {}
    n = sorted({p.replications for p in saved.points})
    items = [
        f"Each replication simulates {info.get('days', '?'):g} days of arrivals and "
        f"{info.get('drain_days', 0):g} more days with traffic continuing, so that late arrivals "
        f"can finish. Shipments arriving in the first {info.get('warmup_days', 0):g} days "
        "(the warm-up, while the office fills from empty) or after the arrival window are "
        "simulated but not counted."
        if info
        else "Warm-up and run length: see the scenario below.",
        f"{n[0] if len(n) == 1 else f'{n[0]} to {n[-1]}'} replications, each from its own random "
        f"streams: numpy's SeedSequence({saved.seed}) spawns one child per replication, and each "
        "purpose (arrivals, attributes, each check's service and detection, the policy's draws) "
        "draws from its own named stream of it. The results do not depend on the executor or "
        "the number of workers.",
        *INTERVALS,
    ]
    if saved.kind == "run":
        items.append(
            "Common random numbers: another scenario run with the same seed sees the same "
            "shipments, service times and detection draws, so bordersim compare can pair their "
            "differences replication by replication."
        )
    auto = [p.precision for p in saved.points if p.precision]
    if auto:
        first = auto[0]
        items.append(
            f"Replications were added until the 95% half-width of the clearance time and the "
            f"interception rate was within {first.get('target', 0):.0%} of the mean, or "
            f"{first.get('maximum')} replications were reached."
        )
    if saved.kind != "run":
        items.append(
            "Common random numbers: replication i of every "
            + ("scenario" if saved.kind == "compare" else "point")
            + " uses the same seed, so it sees the same shipments arriving at the same times, "
            "with the same service times and detection draws: only the policy or parameter "
            "differs."
            + (
                " Differences against the reference are therefore computed replication by "
                "replication, with a paired t-interval (* where it excludes zero; pp = percentage "
                "points)."
                if saved.kind == "compare"
                else ""
            )
        )
        if saved.kind == "sweep":
            items.append(FRONTIER)
    items += [
        *CLEARANCE,
        "The distribution curves are drawn from counts in fixed bins (24 a decade, plus round "
        "hours such as 6, 24 and 48), exact at every bin edge. Queues over time are the hour-by-"
        "hour means over the replications. The cold-chain figure draws every spoiled shipment "
        "and an even sample of the others.",
    ]
    return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"
