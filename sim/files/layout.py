"""What a results folder holds, by name: the one place that says where each file goes."""

from __future__ import annotations

MANIFEST = "manifest.json"
PLAN = "experiment.json"
POINTS = "points"
PROFILES = "profiles"
PROFILE = "profile.json"
SUMMARY = "summary.json"
SCENARIO = "scenario.toml"
TRACE = "shipments.csv.gz"
FORMATS = ("csv", "parquet")
STATS = ("mean", "ci_low", "ci_high", "half_width", "sd", "n")
"""The columns of a metric's summary, in every table."""


def point_file(i: int) -> str:
    """The file of point ``i`` under ``points/`` and ``profiles/``."""
    return f"{i:05d}.json"
