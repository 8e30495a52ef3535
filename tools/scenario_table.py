"""The table of shipped scenarios in ``scenarios/README.md``, made from real runs.

Each file in ``scenarios/`` answers one question (the ``Question:`` paragraph of its header
comment). This module runs every file as ``bordersim compare FILE`` does (the file's own seed,
replications and variants, under common random numbers), and writes the table of scenario,
question and key result, then one section per scenario with its key metrics, the paired
differences of each variant against the base, and whether each variant moved the numbers in
the direction the scenario is meant to show.

    python -m tools.scenario_table                  # rewrite scenarios/README.md (about a minute)
    python -m tools.scenario_table --only pre-arrival --out -    # one scenario, to the screen
    python -m tools.scenario_table --fast --out -   # short runs: checks the code, not the numbers

What each scenario's key result is, and which directions it must show, is :data:`SPECS`; a new
scenario file needs an entry there (the test suite says so).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.measure import names
from sim.measure.statistics import overloaded
from tools.paths import SCENARIOS, is_large, shipped_scenarios

README = SCENARIOS / "README.md"
COMMAND = "python -m tools.scenario_table"
FAST_OVERRIDES = (
    "scenario.days=8",
    "scenario.warmup_days=1",
    "scenario.drain_days=2",
    "scenario.replications=2",
)
"""Shortened runs for ``--fast``: every file and variant runs, the numbers mean nothing."""
FAST_LARGE_OVERRIDES = (
    "scenario.days=1",
    "scenario.warmup_days=0",
    "scenario.drain_days=1",
    "scenario.replications=2",
)
"""``--fast`` runs of a large scenario (:func:`tools.paths.is_large`, a mail centre): one day
holds tens of thousands of shipments already."""


def fast_overrides(path: Path) -> list[str]:
    """The overrides of ``--fast`` for one scenario file: :data:`FAST_OVERRIDES`, or
    :data:`FAST_LARGE_OVERRIDES` for a large one."""
    return list(FAST_LARGE_OVERRIDES if is_large(path) else FAST_OVERRIDES)


@dataclass(frozen=True)
class Expect:
    """``variant`` should move ``metric`` in ``direction`` ("<", ">" or "=") against
    ``reference`` (default: the base scenario). ``quick``: the direction shows even in the
    short runs of the test suite (tests/test_scenarios.py)."""

    variant: str
    metric: str
    direction: str
    reference: str | None = None
    quick: bool = False

    def describe(self) -> str:
        words = {"<": "lowers", ">": "raises", "=": "leaves unchanged"}[self.direction]
        against = f" against {self.reference}" if self.reference else ""
        return f"{self.variant} {words} {label(self.metric)}{against}"


@dataclass(frozen=True)
class Spec:
    """What to report of a scenario: the headline metrics of the table, the rows of its
    section, and the directions its variants must show."""

    headline: tuple[str, ...]
    rows: tuple[str, ...] = ()
    expect: tuple[Expect, ...] = field(default_factory=tuple)


DEFAULT = Spec(
    ("clearance_hours_mean", "interception_rate"),
    ("within_24h_share", "inspection_rate", "leaks", "spoiled", "censored"),
)

SPECS: dict[str, Spec] = {
    "baseline": Spec(
        ("clearance_hours_mean", "within_24h_share", "interception_rate"),
        ("inspection_rate", "hit_rate", "leaks", "spoiled", "censored"),
        (
            Expect("inspect-nothing", "clearance_hours_mean", "<", quick=True),
            Expect("inspect-nothing", "interception_rate", "<"),
            Expect("inspect-everything", "within_24h_share", "<", quick=True),
            Expect("inspect-everything", "censored", ">", quick=True),
            Expect("inspect-everything", "spoiled", ">"),
            Expect("targeted", "interception_rate", ">"),
            Expect("targeted", "interception_rate", ">", reference="inspect-everything"),
        ),
    ),
    "covid-vaccine-surge": Spec(
        ("commodity.vaccine.clearance_hours_mean", "spoiled"),
        (
            "clearance_hours_mean",
            "commodity.medicine.clearance_hours_mean",
            "interception_rate",
            "station.physical.utilisation",
        ),
        (
            Expect("queue-priority-only", "commodity.vaccine.clearance_hours_mean", "<"),
            Expect("priority-lane", "commodity.vaccine.clearance_hours_mean", "<", quick=True),
            Expect("priority-lane", "spoiled", "<"),
            Expect("pre-arrival", "commodity.vaccine.clearance_hours_mean", "<", quick=True),
            Expect(
                "priority-lane-and-pre-arrival",
                "commodity.vaccine.clearance_hours_mean",
                "<",
                reference="priority-lane",
            ),
            Expect("priority-lane", "interception_rate", "="),
        ),
    ),
    "operation-stop": Spec(
        ("interception_rate", "clearance_hours_mean"),
        (
            "intercepted",
            "leaks",
            "inspection_rate",
            "hit_rate",
            "within_24h_share",
            "spoiled",
            "station.physical.wait_hours_mean",
        ),
        (
            Expect("stop", "interception_rate", ">"),
            Expect("stop", "inspection_rate", ">", quick=True),
            Expect("stop", "clearance_hours_mean", ">"),
            Expect("stop-no-extra-officers", "clearance_hours_mean", ">", reference="stop"),
            Expect("stop-untargeted", "interception_rate", "<", reference="stop"),
        ),
    ),
    "aeo-expansion": Spec(
        ("clearance_hours_mean", "inspection_rate", "interception_rate"),
        (
            "trader.aeo.clearance_hours_mean",
            "trader.non_aeo.clearance_hours_mean",
            "hit_rate",
            "leaks",
            "station.physical.utilisation",
        ),
        (
            Expect("aeo-40", "clearance_hours_mean", "<", quick=True),
            Expect("aeo-60", "clearance_hours_mean", "<", reference="aeo-40"),
            Expect("aeo-60", "inspection_rate", "<", quick=True),
            Expect("aeo-60", "interception_rate", "<"),
            Expect("aeo-60", "hit_rate", ">"),
            Expect("aeo-60-reinvested", "interception_rate", ">", reference="aeo-60"),
        ),
    ),
    "pre-arrival": Spec(
        ("clearance_hours_mean", "within_2h_share"),
        (
            "clearance_hours_median",
            "clearance_hours_p90",
            "segment.lodgement",
            "commodity.vaccine.clearance_hours_mean",
            "interception_rate",
        ),
        (
            Expect("prearrival-40", "clearance_hours_mean", "<", quick=True),
            Expect("prearrival-80", "clearance_hours_mean", "<", reference="prearrival-40"),
            Expect(
                "prearrival-80",
                "clearance_hours_mean",
                "<",
                reference="lodged-early-assessed-on-arrival",
            ),
            Expect("prearrival-80", "interception_rate", "=", quick=True),
        ),
    ),
    "cen-intelligence": Spec(
        ("interception_rate", "inspection_rate"),
        (
            "intercepted",
            "hit_rate",
            "alerts.precision",
            "clearance_hours_mean",
            "station.physical.utilisation",
        ),
        (
            Expect("alerts-10", "interception_rate", ">"),
            Expect("alerts-30", "interception_rate", ">", reference="alerts-10"),
            Expect("alerts-30", "interception_rate", ">", quick=True),
            Expect("alerts-30-noisy", "inspection_rate", ">", reference="alerts-30"),
            Expect("alerts-30-noisy", "clearance_hours_mean", ">", reference="alerts-30"),
        ),
    ),
    "staff-shortage": Spec(
        ("clearance_hours_mean", "within_24h_share", "interception_rate"),
        (
            "clearance_hours_p90",
            "spoiled",
            "inspection_rate",
            "station.physical.utilisation",
            "station.physical.wait_hours_mean",
        ),
        (
            Expect("absent-30", "clearance_hours_mean", ">", quick=True),
            Expect("absent-30", "station.physical.wait_hours_mean", ">", quick=True),
            Expect("absent-30", "within_24h_share", "<"),
            Expect("absent-30-fewer-checks", "clearance_hours_mean", "<", reference="absent-30"),
            Expect("absent-30-fewer-checks", "interception_rate", "<", reference="absent-30"),
            Expect(
                "absent-30-targeted",
                "interception_rate",
                ">",
                reference="absent-30-fewer-checks",
            ),
        ),
    ),
    "nii-scanner": Spec(
        ("inspection_rate", "interception_rate", "clearance_hours_mean"),
        (
            "lane.red.clearance_hours_mean",
            "lane.scan.clearance_hours_mean",
            "hit_rate",
            "spoiled",
            "station.physical.utilisation",
            "station.scanner.utilisation",
        ),
        (
            Expect("scan-10", "inspection_rate", ">", quick=True),
            Expect("scan-20", "inspection_rate", ">", reference="scan-10"),
            Expect("scan-20", "interception_rate", ">"),
            Expect("scan-instead-of-red", "inspection_rate", ">"),
            Expect("scan-instead-of-red", "clearance_hours_mean", "<"),
            Expect("scan-instead-of-red", "interception_rate", ">"),
        ),
    ),
    "lmic-airport": Spec(
        ("clearance_hours_mean", "interception_rate", "post_release_detections"),
        (
            "within_48h_share",
            "within_168h_share",
            "kind.falsified.interception_rate",
            "kind.substandard.interception_rate",
            "leaks",
            "lane.red_lab.clearance_hours_mean",
        ),
        (
            Expect("guarantee", "clearance_hours_mean", "<"),
            Expect("guarantee", "within_168h_share", ">"),
            Expect("guarantee", "interception_rate", "<"),
            Expect("guarantee", "post_release_detections", ">"),
            Expect("screening-first", "clearance_hours_mean", "<"),
            Expect("screening-first", "kind.substandard.interception_rate", "<"),
            Expect("screening-first", "interception_rate", ">", reference="guarantee"),
        ),
    ),
    "japan-air-trs": Spec(
        ("clearance_hours_mean", "segment.lodgement", "within_24h_share"),
        (
            "segment.unloading",
            "segment.documents.queue",
            "segment.documents.service",
            "segment.payment",
            "clearance_hours_p90",
        ),
        (
            Expect("brokers-round-the-clock", "segment.lodgement", "<", quick=True),
            Expect("brokers-round-the-clock", "clearance_hours_mean", "<", quick=True),
            Expect("customs-office-hours", "segment.documents.queue", ">", quick=True),
            Expect("customs-office-hours", "clearance_hours_mean", ">", quick=True),
        ),
    ),
    "india-air-trs": Spec(
        ("clearance_hours_mean", "within_24h_share", "segment.lodgement"),
        (
            "inspection_rate",
            "segment.unloading",
            "segment.regulator.queue",
            "segment.payment",
            "clearance_hours_median",
            "clearance_hours_p90",
        ),
        (
            Expect("brokers-round-the-clock", "segment.lodgement", "<", quick=True),
            Expect("brokers-round-the-clock", "clearance_hours_mean", "<", quick=True),
            Expect("regulator-round-the-clock", "segment.regulator.queue", "<", quick=True),
        ),
    ),
    "sea-port-ccp": Spec(
        ("interception_rate", "inspection_rate", "clearance_hours_mean", "cost.total"),
        (
            "hit_rate",
            "leaks",
            "clearance_hours_p90",
            "segment.unloading",
            "segment.lodgement",
            "station.physical.utilisation",
            "station.scanner.utilisation",
            "cost.delay",
            "cost.harm",
        ),
        (
            Expect("pcu-profiling", "interception_rate", ">"),
            Expect("pcu-profiling", "hit_rate", ">"),
            Expect("scan-all-high-risk", "inspection_rate", ">", quick=True),
            Expect("scan-all-high-risk", "interception_rate", ">"),
            Expect("scan-all-high-risk", "clearance_hours_mean", ">"),
            Expect("pcu-scan-riskiest", "inspection_rate", ">", quick=True),
            Expect(
                "pcu-scan-riskiest", "clearance_hours_mean", "<", reference="scan-all-high-risk"
            ),
        ),
    ),
    "postal-hub": Spec(
        ("interception_rate", "inspection_rate", "clearance_hours_mean"),
        (
            "hit_rate",
            "leaks",
            "lane.xray.clearance_hours_mean",
            "station.xray.utilisation",
            "station.xray.wait_hours_mean",
            "station.hand.utilisation",
            "segment.payment",
        ),
        (
            Expect("origin-profile", "interception_rate", ">", quick=True),
            Expect("origin-profile", "hit_rate", ">"),
            Expect("pangea-profile", "interception_rate", ">", quick=True),
            Expect("pangea-profile", "interception_rate", ">", reference="origin-profile"),
            Expect("xray-20", "inspection_rate", ">", quick=True),
            Expect("xray-20", "station.xray.wait_hours_mean", ">", quick=True),
            Expect("xray-20", "interception_rate", "<", reference="pangea-profile"),
        ),
    ),
    "cen-network": Spec(
        ("network.interception_rate", "network.clearance_hours_mean"),
        (
            "network.leaks",
            "network.within_24h_share",
            "office.hub.interception_rate",
            "office.port.interception_rate",
            "office.post.interception_rate",
            "office.hub.clearance_hours_mean",
            "office.port.clearance_hours_mean",
            "office.post.clearance_hours_mean",
            "sharing.seizures",
            "sharing.flagged",
            "sharing.flagged_illicit",
        ),
        (
            Expect("no-sharing", "network.interception_rate", "<"),
            Expect("no-sharing", "network.leaks", ">"),
            Expect("no-sharing", "sharing.flagged", "<", quick=True),
        ),
    ),
    "stop-displacement": Spec(
        ("network.interception_rate", "adversary.displaced", "network.leaks"),
        (
            "network.harm",
            "adversary.shift",
            "office.hub.illicit",
            "office.port.illicit",
            "office.post.illicit",
            "office.hub.interception_rate",
            "office.port.interception_rate",
            "office.post.interception_rate",
            "adversary.share.hub.high_risk",
            "adversary.share.post.high_risk",
            "clearance_hours_mean",
        ),
        (
            Expect("no-adaptation", "adversary.shift", "<", quick=True),
            Expect("no-adaptation", "adversary.displaced", "<"),
            Expect("no-push", "office.hub.interception_rate", "<"),
            Expect("no-push", "office.hub.illicit", ">"),
            Expect("no-adaptation", "office.hub.illicit", ">"),
        ),
    ),
    "learning-floor": Spec(
        ("interception_rate", "targeting.auc", "inspection_rate"),
        (
            "targeting.auc_period_13",
            "targeting.auc_period_20",
            "targeting.auc_period_26",
            "leaks",
            "hit_rate",
            "selected_by.random.share",
            "clearance_hours_mean",
            "targeting.trainings",
        ),
        (
            Expect("floor-1", "selected_by.random.share", "<", quick=True),
            Expect("floor-0", "selected_by.random.share", "<", quick=True),
        ),
    ),
}
# The calibrated scenarios (bordersim calibrate) are their base files with fitted values: the
# same key results and directions.
SPECS["japan-air-calibrated"] = SPECS["japan-air-trs"]
SPECS["india-air-calibrated"] = SPECS["india-air-trs"]

# --------------------------------------------------------------------------- labels and numbers

LABELS = {
    "clearance_hours_mean": "mean clearance",
    "clearance_hours_median": "median clearance",
    "clearance_hours_p90": "P90 clearance",
    "interception_rate": "interception",
    "inspection_rate": "inspection rate",
    "hit_rate": "hit rate",
    "leaks": "leaks",
    "spoiled": "spoiled",
    "censored": "still inside at the end",
    "intercepted": "intercepted",
    "post_release_detections": "found after release",
    "alerts.precision": "alert precision",
    "segment.lodgement": "lodgement segment",
    "segment.unloading": "unloading segment",
    "segment.payment": "payment segment",
    "cost.total": "total cost",
    "cost.delay": "cost of delay",
    "cost.harm": "harm of leaks",
    "cost.officers": "officers' cost",
    "exit.hours_mean": "release to exit",
    "adversary.shift": "flow moved",
    "adversary.displaced": "illicit displaced",
    "targeting.auc": "model AUC",
    "selected_by.random.share": "selected at random",
    "targeting.trainings": "model fits",
}
COUNTS = {
    "leaks",
    "spoiled",
    "censored",
    "intercepted",
    "illicit",
    "shipments",
    "released",
    "post_release_detections",
    "alerts",
}


_NETWORK = ("network.", "office.", "sharing.")
"""Metrics of a network of offices (:mod:`sim.measure.network`) and of its shared seizures."""


def label(metric: str) -> str:
    """A metric's name in words: ``within_24h_share`` is "released within 24 h"."""
    if metric in LABELS:
        return LABELS[metric]
    if metric.startswith("segment."):
        return names.segment_label(metric)
    hours = names.within_hours(metric)
    if hours is not None:
        return f"released within {hours:g} h"
    family, name, stat = names.split(metric) or ("", "", "")
    if family in ("commodity", "lane", "trader") and stat == "clearance_hours_mean":
        return f"{name} mean clearance"
    if family == "kind" and stat == "interception_rate":
        return f"{name} interception"
    if family == "station" and stat in ("utilisation", "wait_hours_mean"):
        return f"{name} {'utilisation' if stat == 'utilisation' else 'mean wait'}"
    if metric.startswith("network."):
        return f"network {label(metric.removeprefix('network.'))}"
    if family == "office":
        return f"{name} {label(stat)}"
    if metric.startswith(names.ADVERSARY_ROUTES):
        what, route = metric.split(".", 2)[1:]
        return f"{'flow share' if what == 'share' else 'loss rate'} {route}"
    if metric.startswith("sharing."):
        return {"sharing.flagged_illicit": "flagged illicit"}.get(metric, metric[8:])
    if metric.startswith("targeting.auc_period_"):
        return f"model AUC, period {metric.rpartition('_')[2]}"
    return metric


def is_money(metric: str) -> bool:
    """US dollars: the cost metrics and the value of goods leaked or spoiled."""
    return metric.startswith("cost.") or metric.endswith((".value_usd", "_value_usd", ".harm"))


def is_share(metric: str) -> bool:
    return metric.endswith(("_rate", "_share", ".share", "utilisation", "precision", "coverage"))


def number(metric: str, value: float | None, signed: bool = False) -> str:
    """A value as the table shows it: shares in %, hours in h, counts per replication."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "+" if signed else ""
    if is_share(metric) or metric.startswith("adversary.") and names.at_most_one(metric):
        unit = " pp" if signed else "%"
        return f"{value * 100:{sign}.1f}{unit}"
    if metric in COUNTS or names.is_count(metric) and metric.startswith((*_NETWORK, "adversary.")):
        return f"{value:{sign}.1f}"
    if metric.startswith("targeting."):  # a learning model's AUC (0.5-1) or its fits
        return f"{value:{sign}.3f}" if "auc" in metric else f"{value:{sign}.1f}"
    if is_money(metric):
        return f"{value:{sign},.0f} $"
    digits = 2 if abs(value) < 10 else (1 if abs(value) < 100 else 0)
    return f"{value:{sign}.{digits}f} h"


def difference(metric: str, d: dict[str, Any] | None) -> str:
    """A paired difference with its 95% half-width, and * when the interval excludes 0."""
    if not d or d.get("mean") is None:
        return "n/a"
    text = number(metric, d["mean"], signed=True)
    half = d.get("half_width")
    if half is None or math.isnan(half):
        return text
    star = " *" if (d["ci_low"] > 0 or d["ci_high"] < 0) else ""
    return f"{text} ± {number(metric, half).removesuffix('%').removesuffix(' h')}{star}"


# --------------------------------------------------------------------------- the scenario files


def shipped() -> list[Path]:
    """The scenario files of ``scenarios/``, baseline first."""
    return sorted(shipped_scenarios(), key=lambda p: (p.stem != "baseline", p.stem))


def question(path: Path) -> str:
    """The ``Question:`` paragraph of a scenario file's header comment, up to its last "?"."""
    lines = []
    for raw in path.read_text().splitlines():
        if not raw.startswith("#"):
            break
        text = raw.lstrip("#").strip()
        if lines:
            if not text or text.startswith("(Source document"):
                break
            lines.append(text)
        elif text.startswith("Question:"):
            lines.append(text.removeprefix("Question:").strip())
    text = " ".join(lines)
    if "?" in text:
        text = text[: text.rindex("?") + 1]
    return text[:1].upper() + text[1:]


def calibration_note(path: Path) -> str:
    """The ``Calibration:`` paragraph of a scenario file's header comment: which published
    range the scenario represents, or why it is not calibrated."""
    lines: list[str] = []
    for raw in path.read_text().splitlines():
        if not raw.startswith("#"):
            break
        text = raw.lstrip("#").strip()
        if lines:
            if not text:
                break
            lines.append(text)
        elif text.startswith("Calibration:"):
            lines.append(text.removeprefix("Calibration:").strip())
    text = " ".join(lines)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """One scenario's comparison, reduced to what the README shows."""

    path: Path
    spec: Spec
    labels: list[str]
    stats: dict[str, dict[str, dict[str, Any]]]
    replications: dict[str, list[dict[str, float]]]
    seed: int
    count: int
    days: float
    seconds: float

    @property
    def base(self) -> str:
        return self.labels[0]

    def diff(self, label: str, metric: str, reference: str | None = None) -> dict[str, Any]:
        from sim.experiment.compare import paired_differences

        ref = self.replications[reference or self.base]
        return paired_differences(ref, self.replications[label]).get(metric) or {}

    def check(self, e: Expect) -> tuple[bool | None, dict[str, Any]]:
        """Whether the variant moved the metric as expected (None: no such variant or data)."""
        if e.variant not in self.replications or (
            e.reference and e.reference not in self.replications
        ):
            return None, {}
        d = self.diff(e.variant, e.metric, e.reference)
        mean = d.get("mean")
        if mean is None:
            return None, d
        ok = {"<": mean < 0, ">": mean > 0, "=": abs(mean) < 1e-12}[e.direction]
        return ok, d


def run_one(path: Path, fast: bool = False, executor: Any = None) -> Outcome:
    """``bordersim compare FILE`` with the file's own settings (shortened with ``fast``)."""
    import sim

    overrides = fast_overrides(path) if fast else []
    start = time.perf_counter()
    cmp = sim.compare(path, overrides=overrides, progress=False, executor=executor)
    seconds = time.perf_counter() - start
    first = cmp.points[0].point.scenario.scenario
    return Outcome(
        path=path,
        spec=SPECS.get(path.stem, DEFAULT),
        labels=cmp.labels,
        stats=cmp.summary(),
        replications={p.label: p.replications for p in cmp.points},
        seed=cmp.seed,
        count=len(cmp.points[0].replications),
        days=first.days,
        seconds=seconds,
    )


# --------------------------------------------------------------------------- the README


def _mean(outcome: Outcome, label: str, metric: str) -> float | None:
    return (outcome.stats[label].get(metric) or {}).get("mean")


def key_result(o: Outcome) -> str:
    """The table's cell: the headline metrics of the base, then of each variant with its
    paired difference."""
    metrics = o.spec.headline
    parts = [
        "**base**: " + ", ".join(f"{label(m)} {number(m, _mean(o, o.base, m))}" for m in metrics)
    ]
    for name in o.labels[1:]:
        cells = []
        for m in metrics:
            d = o.diff(name, m)
            star = (
                "*"
                if d and d.get("ci_low") is not None and (d["ci_low"] > 0 or d["ci_high"] < 0)
                else ""
            )
            delta = number(m, d.get("mean"), signed=True) if d else "n/a"
            cells.append(f"{number(m, _mean(o, name, m))} ({delta}{star})")
        parts.append(f"**{name}**{_flag(o, name)}: " + ", ".join(cells))
    return "<br>".join(parts)


def _flag(o: Outcome, label: str) -> str:
    """`` (OVERLOADED)`` after a point whose queues do not keep up, else nothing."""
    return " (OVERLOADED)" if overloaded(o.stats[label]) else ""


def section(o: Outcome) -> list[str]:
    """One scenario's section: its command, a table of its metrics, its direction checks."""
    name = o.path.stem
    metrics = list(dict.fromkeys([*o.spec.headline, *o.spec.rows]))
    note = calibration_note(o.path)
    out = [
        f"### {name}",
        "",
        *([f"**Calibration.** {note}", ""] if note else []),
        f"`bordersim compare scenarios/{o.path.name}`: seed {o.seed}, {o.count} replications "
        f"of {o.days:g} days for each of {len(o.labels)} points (the base, `{o.base}`, and its "
        "variants), under common random numbers. Estimates (shares pooled over replications, "
        "clearance time counting shipments still inside as censored); under each variant, its "
        "paired difference against the base ± the half-width of its 95% interval (* where the "
        "interval excludes 0). OVERLOADED: its queues do not keep up, and its clearance time is "
        "a lower bound that grows with the length of the run.",
        "",
        "| metric | base | " + " | ".join(o.labels[1:]) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in o.labels[1:]) + " |",
    ]
    if any(_flag(o, v) for v in o.labels):
        cells = ["**no: OVERLOADED**" if _flag(o, v) else "yes" for v in o.labels]
        out.append("| queues keep up | " + " | ".join(cells) + " |")
    for m in metrics:
        cells = [number(m, _mean(o, o.base, m))]
        for v in o.labels[1:]:
            cells.append(f"{number(m, _mean(o, v, m))}<br>{difference(m, o.diff(v, m))}")
        out.append(f"| {label(m)} | " + " | ".join(cells) + " |")
    if o.spec.expect:
        out += ["", "Directions the variants are meant to show:", ""]
        for e in o.spec.expect:
            ok, d = o.check(e)
            verdict = {True: "yes", False: "**no**", None: "n/a"}[ok]
            shown = difference(e.metric, d) if d else "n/a"
            out.append(f"- {e.describe()}: {verdict} ({shown})")
    return out + [""]


HAND_START = "<!-- Written by hand: kept as it is when the file is regenerated. -->"
HAND_END = "<!-- End of the part written by hand. -->"


def written_by_hand(text: str) -> str:
    """The part of a README written by hand (worked examples of other commands, with their
    numbers from real runs), markers included; empty when there is none."""
    start, end = text.find(HAND_START), text.find(HAND_END)
    if start < 0 or end < start:
        return ""
    return text[start : end + len(HAND_END)]


def render(outcomes: Sequence[Outcome], fast: bool = False, kept: str = "") -> str:
    """The whole README; ``kept`` is the part written by hand, placed after the introduction."""
    from sim.files.write import version

    total = sum(o.seconds for o in outcomes)
    lines = [
        "# Scenarios",
        "",
        f"<!-- Generated by `{COMMAND}` from real runs; do not edit by hand, except the part "
        "marked as written by hand. -->",
        "",
        "Each file here answers one question that the source document (the WCO Secretary "
        "General's speaking points, Kyoto Crime Congress, March 2021) raises. Its header "
        "comment states the question; every number in it cites its source (as in the "
        "project's domain reference, `sources.md`) or says it is an assumption; its "
        "`[variants.<name>]` tables change only what the question is about, so that "
        "`bordersim compare FILE` shows the trade-off on the same shipments.",
        "",
        "Run one: `bordersim compare scenarios/NAME.toml` (the base and its variants), or "
        "`bordersim run scenarios/NAME.toml` (the base alone). Check one: "
        "`bordersim validate scenarios/NAME.toml`. Write your own: copy the closest file; "
        "every key is in [the scenario reference](../docs/scenario-reference.md).",
        "",
        *([kept, ""] if kept else []),
        f"The table and the sections below come from `{COMMAND}`, which runs every file exactly "
        "as `bordersim compare FILE` does, with the file's own seed and replications "
        f"(bordersim {version('bordersim')}; about {max(1, round(total / 60))} min in all on "
        "the machine that made it). Key result: the base's headline metrics, then each "
        "variant's, with the paired difference against the base in brackets (* where its 95% "
        "interval excludes 0; pp = percentage points). Counts (leaks, spoiled, intercepted) "
        "are per replication.",
        "",
    ]
    if fast:
        lines += [
            "**Fast mode: shortened runs (" + ", ".join(f"`{o}`" for o in FAST_OVERRIDES) + "); "
            "these numbers check the code, not the questions.**",
            "",
        ]
    lines += [
        "| scenario | question | key result | made by |",
        "| --- | --- | --- | --- |",
    ]
    for o in outcomes:
        name = o.path.stem
        q = question(o.path).replace("|", "\\|")
        made = (
            f"`bordersim compare scenarios/{o.path.name}`<br>seed {o.seed}, "
            f"{o.count} replications of {o.days:g} days"
        )
        lines.append(f"| [{name}]({o.path.name}) | {q} | {key_result(o)} | {made} |")
    lines += ["", "## Results by scenario", ""]
    for o in outcomes:
        lines += section(o)
    return "\n".join(lines).rstrip() + "\n"


def table_scenarios(text: str) -> list[str]:
    """The scenario names listed in a README's table."""
    return re.findall(r"^\| \[([^\]]+)\]\(\1\.toml\) \|", text, re.M)


def build(
    paths: Sequence[Path] | None = None,
    fast: bool = False,
    executor: Any = None,
    log: Any = None,
) -> tuple[str, list[Outcome]]:
    """Run the scenarios and return the README text and the outcomes."""
    outcomes = []
    for path in paths if paths is not None else shipped():
        o = run_one(path, fast=fast, executor=executor)
        if log is not None:
            failed = [e.describe() for e in o.spec.expect if o.check(e)[0] is False]
            note = f"; direction not shown: {'; '.join(failed)}" if failed else ""
            print(f"{path.name}: {len(o.labels)} points in {o.seconds:.1f} s{note}", file=log)
        outcomes.append(o)
    kept = written_by_hand(README.read_text()) if README.exists() else ""
    return render(outcomes, fast, kept), outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Run every shipped scenario and write scenarios/README.md."
    )
    parser.add_argument(
        "--out",
        default=str(README),
        help="file to write, or - for the screen (default: %(default)s)",
    )
    parser.add_argument("--only", action="append", default=[], help="only this scenario (stem)")
    parser.add_argument("--fast", action="store_true", help="shortened runs, to check the code")
    parser.add_argument(
        "--executor", default=None, help="serial, processes or dask (default: as bordersim)"
    )
    args = parser.parse_args(argv)
    paths = shipped()
    if args.only:
        unknown = sorted(set(args.only) - {p.stem for p in paths})
        if unknown:
            parser.error(
                f"no scenario {', '.join(unknown)}; shipped: {', '.join(p.stem for p in paths)}"
            )
        paths = [p for p in paths if p.stem in args.only]
    if args.fast and args.out == str(README):
        parser.error("--fast numbers must not replace the README: give --out FILE or --out -")
    text, _ = build(paths, fast=args.fast, executor=args.executor, log=sys.stderr)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
