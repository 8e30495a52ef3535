"""The baseline against published Time Release Studies: the figures a study reports, from
the baseline as shipped, and the section of the report that sets them side by side."""

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


def calibration(path: Path = SCENARIOS / "baseline.toml") -> dict[str, Any]:
    """The baseline as shipped (its own horizon, seed and replications): the figures a Time
    Release Study reports, with their 95% intervals."""
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
        "(`segment.*` in `summary.json`) one by one.",
        "",
    ]
    return lines
