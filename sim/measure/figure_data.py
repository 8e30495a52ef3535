"""Profiles: the little more than single numbers that the pictures need, per replication and
pooled per point (a run, a scenario of a comparison, a point of a sweep).

A replication's metrics are single numbers; its *profile* keeps, small and of fixed size
whatever the traffic, what the figures of :mod:`sim.present.plots` draw:

- ``hist``: clearance times of released shipments counted in fixed bins (:data:`EDGES`, the
  same for every scenario, so histograms add up across replications and points), for all
  shipments, legitimate ones, each lane and each commodity; ``held``, the hours spent inside so
  far by the shipments of each group still inside at the end, in the same bins, so that the
  cumulative distribution is the Kaplan-Meier estimate that ``within_<T>h_share`` reads
  (at the bins' resolution: within a bin, shipments still inside count after those released);
- ``stations``: each station's queue length, busy officers and officers on duty, hour by hour
  over the whole run (averaged over blocks of several hours when a run is longer than
  :data:`MAX_STEPS` hours), from :class:`sim.model.records.StationStats`;
- ``cold``: cold-chain shipments' hours in custody against their tolerance: every spoiled one
  (up to :data:`COLD_SPOILED` a replication) and an even sample of the others (up to
  :data:`COLD_SAMPLE` in all), with the counts of cold-chain and spoiled shipments by commodity.

A profile is a pure function of the scenario and the replication's records, computed where the
replication runs; only the profile (never per-shipment arrays) travels back. Pooling adds the
counts and averages the series in replication order, so pooled profiles are bit-identical
whatever the executor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.heap import release_freed_memory
from sim.measure import names
from sim.model.records import IN_SYSTEM, RELEASED, Records
from sim.schema import Scenario

FORMAT = 1
NICE_HOURS = (0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336, 720)
EDGES = np.unique(np.concatenate([[0.0], 10.0 ** (np.arange(-48, 121) / 24.0), NICE_HOURS]))
"""Upper edges of the clearance-time bins, hours: 0 (released on arrival), then 24 bins a
decade from 36 seconds to 100,000 hours, plus round numbers of hours; a last bin holds anything
longer. Bin *j* holds times in ``(EDGES[j-1], EDGES[j]]``, so the cumulative count at an edge is
the number released within that many hours."""
MAX_STEPS = 2400
"""The longest hourly series kept; a longer run is averaged over blocks of whole hours."""
COLD_SAMPLE = 100
COLD_SPOILED = 50
COLD_POOLED = 1000


def bin_counts(hours: np.ndarray) -> np.ndarray:
    """Counts of ``hours`` in the bins of :data:`EDGES` (one more for the overflow)."""
    counts = np.zeros(EDGES.size + 1, dtype=np.int64)
    for lo in range(0, hours.size, 1 << 16):  # in blocks: little memory
        idx = np.searchsorted(EDGES, hours[lo : lo + (1 << 16)], side="left")
        counts += np.bincount(idx, minlength=EDGES.size + 1)
    return counts


@dataclass
class FigureData:
    """A replication's profile, or the pool of several (``replications`` of them)."""

    replications: int
    info: dict[str, Any]
    hist: dict[str, np.ndarray] = field(default_factory=dict)
    unreleased: dict[str, int] = field(default_factory=dict)
    held: dict[str, np.ndarray] = field(default_factory=dict)
    step_hours: int = 1
    stations: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    cold: dict[str, np.ndarray] = field(default_factory=dict)
    cold_counts: dict[str, dict[str, float]] = field(default_factory=dict)

    # ----------------------------------------------------------------- one replication

    @classmethod
    def of(cls, scenario: Scenario, rec: Records) -> FigureData:
        """The profile of one replication."""
        t = rec.traffic
        counted = (t.arrival >= scenario.warmup_hours) & (t.arrival < scenario.hours)
        released = counted & (rec.outcome == RELEASED)
        censored = counted & (rec.outcome == IN_SYSTEM)
        clearance = rec.released - t.arrival
        clearance = clearance[released]  # a group's: clearance[group[released]]
        commodities = list(scenario.traffic.commodities)

        def groups():  # one mask at a time: little memory
            yield "all", None
            yield "legit", t.truth == 0
            for i, lane in enumerate(rec.lanes):
                yield names.lane(lane), rec.lane == i
            for i, name in enumerate(commodities):
                yield names.commodity(name), t.commodity == i

        held_hours = scenario.end_hours - t.arrival[censored]
        hist, unreleased, held = {}, {}, {}
        for g, m in groups():
            hist[g] = bin_counts(clearance if m is None else clearance[m[released]])
            held[g] = bin_counts(held_hours if m is None else held_hours[m[censored]])
            unreleased[g] = int(held[g].sum())
        del clearance, held_hours
        release_freed_memory()  # the temporaries of a million-shipment column

        n_hours = min(len(s.hourly_queue) for s in rec.stations.values()) if rec.stations else 0
        step = max(1, math.ceil(n_hours / MAX_STEPS))
        stations = {
            name: {
                "queue": _blocks(s.hourly_queue[:n_hours], step),
                "busy": _blocks(s.hourly_busy[:n_hours], step),
                "on_duty": _blocks(s.hourly_on_duty[:n_hours], step),
            }
            for name, s in rec.stations.items()
        }

        tolerance_of = np.array(
            [c.cold_chain_hours or math.inf for c in scenario.traffic.commodities.values()]
        )
        cold = (counted & (released | censored)) & np.isfinite(tolerance_of)[t.commodity]
        ids = np.flatnonzero(cold)
        spoiled = np.zeros_like(cold)
        spoiled[ids] = rec.held_hours(ids, scenario.end_hours) > tolerance_of[t.commodity[ids]]
        del ids
        cold_counts = {
            name: {
                "shipments": float((cold & (t.commodity == i)).sum()),
                "spoiled": float((spoiled & (t.commodity == i)).sum()),
            }
            for i, name in enumerate(commodities)
            if math.isfinite(tolerance_of[i])
        }
        chosen = _cold_sample(np.flatnonzero(spoiled), np.flatnonzero(cold & ~spoiled))
        sample = {
            "hours": rec.held_hours(chosen, scenario.end_hours).astype(float),
            "tolerance": tolerance_of[t.commodity[chosen]].astype(float),
            "spoiled": spoiled[chosen],
            "censored": censored[chosen],
            "commodity": t.commodity[chosen].astype(np.int16),
        }
        info = {
            "checks": {name: c.kind for name, c in scenario.checks.items()},
            "lanes": list(rec.lanes),
            "commodities": commodities,
            "cold_chain_hours": {
                n: c.cold_chain_hours
                for n, c in scenario.traffic.commodities.items()
                if c.cold_chain_hours
            },
            "kinds": list(scenario.illicit.kinds),
            "warmup_hours": scenario.warmup_hours,
            "hours": scenario.hours,
            "end_hours": scenario.end_hours,
            "target_hours": sorted({*scenario.scenario.target_hours, 24.0}),
        }
        return cls(1, info, hist, unreleased, held, step, stations, sample, cold_counts)

    # ----------------------------------------------------------------- pooling

    @classmethod
    def pool(cls, profiles: list[FigureData]) -> FigureData | None:
        """The pool of several replications' profiles (given in replication order): counts
        added, series averaged, cold-chain samples joined (at most :data:`COLD_POOLED`)."""
        profiles = [p for p in profiles if p is not None]
        if not profiles:
            return None
        if len(profiles) == 1:
            return profiles[0]
        n = sum(p.replications for p in profiles)
        first = profiles[0]
        hist: dict[str, np.ndarray] = {}
        unreleased: dict[str, int] = {}
        held: dict[str, np.ndarray] = {}
        for p in profiles:
            for g, counts in p.hist.items():
                hist[g] = hist[g] + counts if g in hist else counts.copy()
                unreleased[g] = unreleased.get(g, 0) + p.unreleased.get(g, 0)
                held[g] = held[g] + p.held_of(g) if g in held else p.held_of(g).copy()
        stations: dict[str, dict[str, np.ndarray]] = {}
        for name, series in first.stations.items():
            stations[name] = {}
            for key in series:
                total = np.zeros_like(series[key])
                for p in profiles:
                    total = total + p.stations[name][key] * p.replications
                stations[name][key] = total / n
        each = max(1, COLD_POOLED // len(profiles))
        cold = {key: np.concatenate([p.cold[key][:each] for p in profiles]) for key in first.cold}
        cold_counts: dict[str, dict[str, float]] = {}
        for p in profiles:
            for name, c in p.cold_counts.items():
                into = cold_counts.setdefault(name, {"shipments": 0.0, "spoiled": 0.0})
                into["shipments"] += c["shipments"]
                into["spoiled"] += c["spoiled"]
        return cls(
            n, first.info, hist, unreleased, held, first.step_hours, stations, cold, cold_counts
        )

    # ----------------------------------------------------------------- reading

    def held_of(self, group: str) -> np.ndarray:
        """Binned hours held by the group's shipments still inside at the end; a profile
        without them (written by an earlier version) has them all in the last bin, so that
        they count as not released at any time, as that version counted them."""
        if group in self.held:
            return self.held[group]
        counts = np.zeros(EDGES.size + 1, dtype=np.int64)
        counts[-1] = int(self.unreleased.get(group, 0))
        return counts

    def ecdf(self, group: str) -> tuple[np.ndarray, np.ndarray, int]:
        """``(hours, estimated share released within them, shipments)`` of a group, at every
        bin edge: the Kaplan-Meier estimate from the binned times, shipments still inside
        counted as censored (after the releases of their bin)."""
        released, held = self.hist[group], self.held_of(group)
        total = int(released.sum() + held.sum())
        if not total:
            return EDGES.copy(), np.full(EDGES.size, np.nan), total
        at_risk = total - np.concatenate([[0], np.cumsum(released + held)[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(at_risk > 0, 1.0 - released / at_risk, 1.0)
        surviving = np.cumprod(step)[: EDGES.size]
        return EDGES.copy(), 1.0 - surviving, total

    def quantile(self, group: str, q: float) -> float:
        """The bin edge at which the group's estimated share released reaches ``q``; NaN when
        it never does."""
        hours, share, _ = self.ecdf(group)
        j = int(np.searchsorted(np.nan_to_num(share, nan=-1.0), q - 1e-12, side="left"))
        return float(hours[j]) if j < hours.size else math.nan

    def hours_axis(self) -> np.ndarray:
        """Start of each step of the station series, hours."""
        n = len(next(iter(self.stations.values()))["queue"]) if self.stations else 0
        return np.arange(n) * float(self.step_hours)

    # ----------------------------------------------------------------- files

    def to_json(self) -> dict[str, Any]:
        """As plain data for ``profile.json`` (counts exact, series to 6 significant digits)."""
        return {
            "format": FORMAT,
            "replications": self.replications,
            "info": self.info,
            "edges": [float(e) for e in EDGES],
            "hist": {g: _trim(c) for g, c in self.hist.items()},
            "unreleased": self.unreleased,
            "held": {g: _trim(c) for g, c in self.held.items()},
            "step_hours": self.step_hours,
            "stations": {
                name: {k: [_g(v) for v in arr] for k, arr in series.items()}
                for name, series in self.stations.items()
            },
            "cold": {
                "hours": [_g(v) for v in self.cold.get("hours", [])],
                "tolerance": [_g(v) for v in self.cold.get("tolerance", [])],
                "spoiled": [bool(v) for v in self.cold.get("spoiled", [])],
                "censored": [bool(v) for v in self.cold.get("censored", [])],
                "commodity": [int(v) for v in self.cold.get("commodity", [])],
            },
            "cold_counts": self.cold_counts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FigureData:
        """Read back :meth:`to_json`; a ``ValueError`` when it is not a profile of this
        format (its bins must be the same as :data:`EDGES`)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a bordersim profile of a known format")
        if len(data["edges"]) != EDGES.size or not np.allclose(data["edges"], EDGES):
            raise ValueError("the profile's clearance-time bins are not this version's")
        size = EDGES.size + 1
        hist = {}
        for g, counts in data["hist"].items():
            arr = np.zeros(size, dtype=np.int64)
            arr[: len(counts)] = counts
            hist[g] = arr
        held = {}
        for g, counts in data.get("held", {}).items():
            arr = np.zeros(size, dtype=np.int64)
            arr[: len(counts)] = counts
            held[g] = arr
        cold = data.get("cold", {})
        return cls(
            int(data["replications"]),
            dict(data["info"]),
            hist,
            {g: int(v) for g, v in data.get("unreleased", {}).items()},
            held,
            int(data.get("step_hours", 1)),
            {
                name: {k: np.asarray(v, dtype=float) for k, v in series.items()}
                for name, series in data.get("stations", {}).items()
            },
            {
                "hours": np.asarray(cold.get("hours", []), dtype=float),
                "tolerance": np.asarray(cold.get("tolerance", []), dtype=float),
                "spoiled": np.asarray(cold.get("spoiled", []), dtype=bool),
                "censored": np.asarray(cold.get("censored", []), dtype=bool),
                "commodity": np.asarray(cold.get("commodity", []), dtype=np.int16),
            },
            {k: dict(v) for k, v in data.get("cold_counts", {}).items()},
        )


def _blocks(series: np.ndarray, step: int) -> np.ndarray:
    series = np.asarray(series, dtype=float)
    if step == 1:
        return series.copy()
    pad = (-len(series)) % step
    if pad:
        series = np.concatenate([series, np.full(pad, series[-1] if len(series) else 0.0)])
    return series.reshape(-1, step).mean(axis=1)


def _cold_sample(spoiled: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Every spoiled shipment (up to COLD_SPOILED, evenly spread), then an even sample of the
    others up to COLD_SAMPLE in all: deterministic, no random numbers drawn."""
    take = _even(spoiled, COLD_SPOILED)
    rest = _even(others, COLD_SAMPLE - take.size)
    return np.sort(np.concatenate([take, rest])).astype(np.int64)


def _even(idx: np.ndarray, k: int) -> np.ndarray:
    if k <= 0 or idx.size == 0:
        return idx[:0]
    if idx.size <= k:
        return idx
    return idx[np.unique(np.linspace(0, idx.size - 1, k).round().astype(np.int64))]


def _trim(counts: np.ndarray) -> list[int]:
    nz = np.flatnonzero(counts)
    end = int(nz[-1]) + 1 if nz.size else 0
    return [int(c) for c in counts[:end]]


def _g(value: float) -> float | None:
    value = float(value)
    return float(f"{value:.6g}") if math.isfinite(value) else None


__all__ = ["EDGES", "FigureData", "bin_counts"]
