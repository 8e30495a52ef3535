"""Field types shared by the policies' settings, and the checks they share against a scenario.

Every number in ``[policy]`` is strict: ``true`` is not 1 and ``"0.1"`` is not 0.1, so a
mistyped value is reported instead of silently converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field

from sim.schema import quote_name, suggest

if TYPE_CHECKING:
    from sim.schema import Scenario

Rate = Annotated[float, Field(ge=0, le=1, strict=True)]
"""A share of declarations, 0-1."""

PositiveHours = Annotated[float, Field(gt=0, le=24 * 3650, strict=True)]
Day = Annotated[float, Field(ge=0, le=3650, strict=True)]
Window = Annotated[int, Field(ge=10, le=1_000_000, strict=True)]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _per_kind(rule: str, ok: Callable[[float], bool]) -> Callable[[Any], Any]:
    """A validator for a number, or a table of numbers by illicit kind, each obeying ``rule``."""

    def validate(value: Any) -> Any:
        if _number(value):
            if not ok(float(value)):
                raise ValueError(f"must be {rule}, got {value:g}")
            return float(value)
        if isinstance(value, dict):
            if not value:
                raise ValueError("needs at least one illicit kind, e.g. { falsified = 0.8 }")
            out = {}
            for kind, v in value.items():
                if not _number(v):
                    raise ValueError(f"{quote_name(str(kind))}: must be a number, got {v!r}")
                if not ok(float(v)):
                    raise ValueError(f"{quote_name(str(kind))}: must be {rule}, got {v:g}")
                out[kind] = float(v)
            return out
        raise ValueError(
            f"must be a number ({rule}) or a table of them by illicit kind, "
            "e.g. { falsified = 0.85, substandard = 0.65 }"
        )

    return validate


AUC_RULE = "at least 0.5 and less than 1"
AUC = Annotated[
    float | dict[str, float],
    BeforeValidator(_per_kind(AUC_RULE, lambda x: 0.5 <= x < 1)),
]
"""ROC AUC of the targeting model: one number for every illicit kind, or a table by kind."""

KindShare = Annotated[
    float | dict[str, float],
    BeforeValidator(_per_kind("between 0 and 1", lambda x: 0 <= x <= 1)),
]
"""A share, one number for every illicit kind or a table by kind."""


def by_kind(value: float | dict[str, float], kinds: Iterable[str], missing: float) -> list[float]:
    """A per-kind setting as a list in ``kinds`` order (``missing`` for kinds not given)."""
    if isinstance(value, dict):
        return [value.get(k, missing) for k in kinds]
    return [float(value)] * len(list(kinds))


def separation(auc: float) -> float:
    """Mean score of an illicit kind under the binormal ROC with unit variances:
    AUC = Phi(d / sqrt(2)), so d = sqrt(2) Phi^-1(AUC)."""
    from scipy.stats import norm

    return math.sqrt(2.0) * float(norm.ppf(auc))


class Problems(list):
    """(key path, message) pairs, with helpers for the usual cross-references."""

    def __init__(self, scenario: Scenario):
        super().__init__()
        self.scenario = scenario

    def _unknown(self, path: str, what: str, name: str, allowed: list[str]) -> None:
        hint = suggest(name, allowed)
        msg = f"unknown {what} {quote_name(name)}"
        msg += f" (did you mean '{hint}'?)" if hint else ""
        self.append((path, f"{msg}; defined: {', '.join(allowed) or 'none'}"))

    def lane(self, path: str, lane: str) -> None:
        lanes = list(self.scenario.lanes)
        if lane not in lanes:
            self._unknown(path, "lane", lane, lanes)

    def names(self, path: str, names: Iterable[str], what: str, allowed: list[str]) -> None:
        for name in names:
            if name not in allowed:
                self._unknown(path, what, name, allowed)

    def commodities(self, path: str, names: Iterable[str]) -> None:
        self.names(path, names, "commodity", list(self.scenario.traffic.commodities))

    def kinds(self, path: str, value: Any) -> None:
        if isinstance(value, dict):
            kinds = list(self.scenario.illicit.kinds)
            for kind in value:
                if kind not in kinds:
                    self._unknown(f"{path}.{kind}", "illicit kind", kind, kinds)

    def check(self, path: str, check: str) -> None:
        checks = list(self.scenario.checks)
        if check not in checks:
            self._unknown(path, "check", check, checks)
