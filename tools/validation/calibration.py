"""The baseline against published Time Release Studies: the figures a study reports, from
the baseline as shipped, and the section of the report that sets them side by side; and
``scenarios/japan-air-trs.toml`` against Japan's published air-cargo breakdown, segment by
segment (:func:`japan_reproduction`, :func:`japan_section`).

    python -m tools.validation.calibration     # the Japan sub-table, printed (a few seconds)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim import Records, Scenario
from sim.model.records import RELEASED
from tools.paths import SCENARIOS
from tools.validation.blocks import counted, load_shortened, replicate
from tools.validation.verdicts import fmt, interval

TRS = {
    "japan": {
        "source": "Ministry of Finance Japan, Time Release Study 2015, air cargo (via JIFFA; "
        "COMCEC)",
        "mean_hours": 12.8,
        "declaration_to_permit_hours": 0.3,
    },
    "india": {
        "source": "India National Time Release Study, air cargo complexes (2023 mean; 2025 share; "
        "PIB press release 2025)",
        "mean_hours": 44 + 16 / 60,
        "within_24h_share": 0.55,
        "no_assessment_no_examination": (0.82, 0.93),
    },
}


JAPAN_AIR = SCENARIOS / "japan-air-trs.toml"
REPRODUCTION_TOLERANCE = 0.10
"""A reproduced segment's mean must lie within 10% of the published one."""

JAPAN_SEGMENTS = (
    (
        "arrival_to_declaration",
        "arrival to declaration (arrival to carry-in, then carry-in to declaration)",
        TRS["japan"]["mean_hours"] - TRS["japan"]["declaration_to_permit_hours"],
        "12.8 - 0.3",
    ),
    (
        "declaration_to_permit",
        "declaration to permit",
        TRS["japan"]["declaration_to_permit_hours"],
        "published",
    ),
    ("arrival_to_permit", "arrival to permit (the whole)", TRS["japan"]["mean_hours"], "published"),
)
"""(key, segment, published mean in hours, where the figure comes from): Japan's 2015
air-cargo survey, general declarations (docs/sources.md, "Time Release Study segments")."""


def japan_segments(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
    """One replication's means over released shipments in the survey's segments: arrival to
    declaration is unloading plus lodgement (``segment.unloading`` + ``segment.lodgement``: the
    declaration once the goods are in the bonded area), declaration to permit every segment
    after it (the checks' queues and service, payment); they add up to arrival to permit,
    ``released.clearance_hours_mean``."""
    before = m.get("segment.unloading", 0.0) + m["segment.lodgement"]
    total = m["released.clearance_hours_mean"]
    out = {
        "arrival_to_declaration": before,
        "declaration_to_permit": total - before,
        "arrival_to_permit": total,
    }
    for key in ("segment.unloading", "segment.lodgement", "segment.payment"):
        if key in m:
            out[key] = m[key]
    return out


def japan_reproduction(
    path: Path = JAPAN_AIR, overrides: list[str] | None = None
) -> dict[str, Any]:
    """``scenarios/japan-air-trs.toml`` as shipped (or with ``overrides``): each published
    segment of Japan's 2015 air-cargo survey next to the simulated mean with its 95% interval,
    and whether the mean lies within :data:`REPRODUCTION_TOLERANCE` of the published one."""
    scenario = load_shortened(path, overrides or [])
    v = replicate(scenario, japan_segments)
    rows = []
    for key, segment, published, origin in JAPAN_SEGMENTS:
        mean, half, n = interval(v[key])
        rows.append(
            {
                "key": key,
                "segment": segment,
                "published": published,
                "origin": origin,
                "mean": mean,
                "half_width": half,
                "n": n,
                "error": mean / published - 1,
                "within": abs(mean / published - 1) <= REPRODUCTION_TOLERANCE,
            }
        )
    parts = {k: interval(x)[:2] for k, x in v.items() if k.startswith("segment.")}
    return {
        "file": f"scenarios/{path.name}",
        "days": scenario.scenario.days,
        "replications": scenario.scenario.replications,
        "rows": rows,
        "parts": parts,
    }


def japan_section(rep: dict[str, Any]) -> list[str]:
    """The sub-table of the calibration section: Japan's published segments against the
    scenario that reproduces them."""
    tol = f"{REPRODUCTION_TOLERANCE:.0%}"
    lines = [
        "### Japan's air-cargo Time Release Study, reproduced",
        "",
        f"`{rep['file']}` as shipped ({rep['days']:g} days, {rep['replications']} "
        "replications) against the segments of Japan's 2015 survey of general air-cargo "
        f"declarations; a segment is reproduced when its simulated mean lies within {tol} of the "
        "published mean.",
        "",
        "| segment | published (h) | simulated (95% CI, h) | error | within " + tol + " |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rep["rows"]:
        lines.append(
            f"| {r['segment']} | {r['published']:g} ({r['origin']}) | {fmt(r['mean'])} ± "
            f"{fmt(r['half_width'], 2)} | {r['error']:+.1%} | {'yes' if r['within'] else 'no'} |"
        )
    parts = rep["parts"]
    if "segment.unloading" in parts and "segment.lodgement" in parts:
        unloading, lodgement = parts["segment.unloading"][0], parts["segment.lodgement"][0]
        lines += [
            "",
            f"Arrival to declaration is {fmt(unloading, 2)} h of unloading (arrival to carry-in "
            f"to the bonded area) and {fmt(lodgement, 2)} h of the broker's time and hours "
            "(carry-in to declaration): their split is an assumption, only their sum is "
            "published in what we could read. Sources: "
            + TRS["japan"]["source"]
            + '; docs/sources.md, "Time Release Study segments".',
        ]
    lines.append("")
    return lines


def calibration(path: Path = SCENARIOS / "baseline.toml") -> dict[str, Any]:
    """The baseline as shipped (its own horizon, seed and replications): the figures a Time
    Release Study reports, with their 95% intervals; and, when the scenario is shipped, the
    reproduction of Japan's air-cargo segments (:func:`japan_reproduction`)."""
    scenario = load_shortened(path, [])

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        done = counted(s, rec) & (rec.outcome == RELEASED)
        after = (rec.released - rec.traffic.lodged)[done]
        keys = [
            "clearance_hours_mean",
            "clearance_hours_median",
            "clearance_hours_p90",
            "within_24h_share",
            "within_48h_share",
            "segment.lodgement",
            "lane.green.share",
            "inspection_rate",
        ]
        out = {k: m[k] for k in keys if k in m}
        out["lodged_to_release"] = float(np.mean(after))
        return out

    v = replicate(scenario, measure)
    return {
        "scenario": scenario.scenario.name,
        "file": f"scenarios/{path.name}",
        "replications": scenario.scenario.replications,
        "days": scenario.scenario.days,
        "values": {k: interval(x)[:2] for k, x in v.items()},
        "japan": japan_reproduction() if JAPAN_AIR.is_file() else None,
    }


def calibration_section(cal: dict[str, Any]) -> list[str]:
    v = cal["values"]

    def show(key: str, scale: float = 1.0, unit: str = "") -> str:
        if key not in v:
            return "n/a"
        mean, half = v[key]
        return f"{fmt(mean * scale)}{unit} ± {fmt(half * scale, 2)}{unit}"

    japan, india = TRS["japan"], TRS["india"]
    lo, hi = india["no_assessment_no_examination"]
    green = v.get("lane.green.share", (math.nan, math.nan))[0]
    lines = [
        "## Calibration against published Time Release Studies",
        "",
        f"`{cal['file']}` as shipped ({cal['days']:g} days, {cal['replications']} replications), "
        "next to the Time Release Study (TRS) figures for air cargo. The TRS measures from the "
        "arrival of the goods to their release, as bordersim's clearance time does.",
        "",
        "| measure | baseline (95% CI) | Japan, air cargo 2015 | India, air cargo |",
        "| --- | --- | --- | --- |",
        f"| mean arrival to release (h) | {show('clearance_hours_mean')} | "
        f"{japan['mean_hours']:g} (arrival to import permit) | "
        f"{fmt(india['mean_hours'])} (44 h 16 min, 2023) |",
        f"| median arrival to release (h) | {show('clearance_hours_median')} | not published | "
        "not published |",
        f"| released within 24 h | {show('within_24h_share', 100, '%')} | not published | "
        f"{india['within_24h_share']:.0%} (2025) |",
        f"| released within 48 h | {show('within_48h_share', 100, '%')} | not published | "
        "not published |",
        f"| lodgement (declaration) to release (h) | {show('lodged_to_release')} | "
        f"{japan['declaration_to_permit_hours']:g} (declaration to permit) | not published |",
        f"| arrival to lodgement (h, all shipments) | {show('segment.lodgement')} | about "
        f"{japan['mean_hours'] - japan['declaration_to_permit_hours']:g} (12.8 - 0.3) | "
        "not published |",
        f"| released with no documentary check and no examination | {fmt(green * 100)}% (green "
        f"lane) | not published | {lo:.0%}-{hi:.0%} of declarations |",
        "",
        "Sources: Japan: " + japan["source"] + ". India: " + india["source"] + ".",
        "",
        "**Where and why they differ.** The baseline clears far faster than either study: "
        f"about {fmt(v['clearance_hours_mean'][0], 2)} h on average against 12.8 h in Japan and "
        f"44 h in India, and {v['within_24h_share'][0]:.0%} within 24 h against India's 55%. "
        "It is not calibrated to either country; it is a well-staffed hub that runs 24/7 for "
        "everything except the physical examination, lodges 40% of declarations before "
        "arrival, assumes a broker needs 3 h on average to lodge the rest, and releases the 80% "
        "green lane at lodgement. The differences come from three places:",
        "",
        "1. *Time before lodgement.* In Japan, declaration to permit took 0.3 h of the 12.8 h: "
        "almost all of the time passed before the declaration was lodged (unloading, "
        "storage, the importer and broker preparing documents). The baseline's time after "
        f"lodgement ({fmt(v['lodged_to_release'][0], 2)} h, mostly the 5% red shipments "
        "waiting for the examination's office hours) is about an hour longer than Japan's "
        "0.3 h; the large gap is before lodgement: "
        f"{fmt(v['segment.lodgement'][0], 2)} h against about 12.5 h. Raising "
        "`lodgement.delay_hours` (or lowering `prearrival_share`) is the lever to reproduce "
        "Japan.",
        "2. *Steps the baseline leaves out.* India's TRS names other government agencies' "
        "clearances as a main source of delay, with duty payment and cargo handling; the "
        "baseline requires a regulator's permit only for vaccines (10% of shipments) and has no "
        "duty payment or terminal handling. India's 55% within 24 h next to a 44 h mean also "
        "shows a long tail that the baseline has only for the 5% sent to office-hours "
        "examination.",
        f"3. *Selectivity.* The baseline's {fmt(green * 100)}% green lane is just below "
        f"India's {lo:.0%}-{hi:.0%} with no assessment and no examination, so selectivity is "
        "not what separates them.",
        "",
        "To use the simulator for a given administration, set the lodgement delay, the "
        "other-agency permits (a `permit` check with `required_for`), rosters and selection "
        "rates from its own TRS, then compare the segments of the TRS breakdown "
        "(`segment.*` in `summary.json`) one by one. `scenarios/japan-air-trs.toml` does so "
        "for Japan (below): unloading and the brokers' hours before the declaration, a 24/7 "
        "customs office and payment after it.",
        "",
    ]
    if cal.get("japan"):
        lines += japan_section(cal["japan"])
    return lines


if __name__ == "__main__":
    print("\n".join(japan_section(japan_reproduction())))
