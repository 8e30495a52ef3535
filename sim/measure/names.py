"""Metric names: the one place that says what the keys of a summary are called and how they
read to a person."""

from __future__ import annotations


def key_rows(target_hours: list[float]) -> list[tuple[str, str, bool]]:
    """(label, metric, is a share) of the metrics every summary shows."""
    rows = [
        ("Clearance time, mean (h)", "clearance_hours_mean", False),
        ("Clearance time, median (h)", "clearance_hours_median", False),
        ("Clearance time, 90th percentile (h)", "clearance_hours_p90", False),
    ]
    rows += [
        (f"Released within {h:g} h", f"within_{h:g}h_share", True)
        for h in sorted({*target_hours, 24.0})
    ]
    rows += [
        ("Interception rate (illicit caught)", "interception_rate", True),
        ("Hit rate (inspections finding illicit)", "hit_rate", True),
        ("Inspection rate (physical or scan)", "inspection_rate", True),
        ("Leaks (illicit released)", "leaks", False),
        ("Spoiled cold-chain shipments", "spoiled", False),
        ("Censored (still inside at the end)", "censored", False),
    ]
    return rows
