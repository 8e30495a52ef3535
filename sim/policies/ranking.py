"""Ranking a declaration's risk score against the scores of the declarations before it.

A real targeting unit sets a budget as "the riskiest k% of declarations". Online, that is the
share of recent scores above this one: the score's rank from the top among the last ``window``
declarations' scores (its own excluded). Selecting when that share is below k selects, in the
long run, a share k of declarations, and always the riskiest ones.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections import deque


class RollingRank:
    """The scores of the last ``window`` declarations, kept sorted."""

    __slots__ = ("window", "_sorted", "_order")

    def __init__(self, window: int):
        self.window = window
        self._sorted: list[float] = []
        self._order: deque[float] = deque()

    def above(self, score: float) -> float:
        """Share of the remembered scores strictly above ``score`` (0 when none is known yet),
        then remember ``score``."""
        s = self._sorted
        n = len(s)
        share = (n - bisect_right(s, score)) / n if n else 0.0
        if n == self.window:
            old = self._order.popleft()
            del s[bisect_right(s, old) - 1]
        insort(s, score)
        self._order.append(score)
        return share
