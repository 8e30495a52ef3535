"""Opening hours as intervals of simulation time (hours from Monday 00:00 of week 1)."""

from __future__ import annotations

import bisect
import math

from sim.schema import ALWAYS_OPEN, WEEKDAYS, Roster, Scenario


class Schedule:
    """When a roster is open: intervals over the run and a week more, drawn further on demand
    (a payment or an exit may end after the run)."""

    def __init__(self, roster: Roster | None, horizon_hours: float):
        self.always = roster is None
        self.intervals: list[tuple[float, float]] = []
        self._roster = roster
        self._days = 0  # days whose intervals are drawn
        if roster is None:
            self.intervals = [(0.0, math.inf)]
        else:
            self._open_days = {WEEKDAYS.index(d) for d in roster.days}
            self._draw(int(math.ceil(horizon_hours / 24.0)) + 7)
        self._starts = [a for a, _ in self.intervals]

    def _draw(self, n_days: int) -> None:
        """Draw the intervals of days up to ``n_days`` (exactly as if drawn at the start)."""
        for day in range(self._days, n_days):
            if day % 7 not in self._open_days:
                continue
            for start, end in self._roster.hours:
                a, b = day * 24.0 + start, day * 24.0 + end
                if self.intervals and self.intervals[-1][1] >= a:
                    self.intervals[-1] = (self.intervals[-1][0], b)
                else:
                    self.intervals.append((a, b))
        self._days = max(self._days, n_days)
        self._starts = [a for a, _ in self.intervals]

    def is_open(self, t: float) -> bool:
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self.intervals[i][1]

    def next_open(self, t: float) -> float:
        """``t`` itself when open, otherwise the next opening (``inf`` if none)."""
        if not self.always and math.isfinite(t) and t >= (self._days - 7) * 24.0:
            self._draw(int(t // 24.0) + 8)  # a time past the days drawn (after the run)
        i = bisect.bisect_right(self._starts, t) - 1
        if i >= 0 and t < self.intervals[i][1]:
            return t
        return self._starts[i + 1] if i + 1 < len(self._starts) else math.inf

    def open_hours(self, start: float, end: float) -> float:
        """Hours open within [start, end)."""
        total = 0.0
        for a, b in self.intervals:
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        return total


def schedule_for(scenario: Scenario, roster: str) -> Schedule:
    """The schedule of a roster named in the scenario ('24/7' or a [rosters] table)."""
    if roster == ALWAYS_OPEN:
        return Schedule(None, scenario.end_hours)
    return Schedule(scenario.rosters[roster], scenario.end_hours)
