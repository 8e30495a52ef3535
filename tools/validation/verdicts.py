"""Verdicts: one :class:`Row` per quantity compared, and the rules that decide it. A formula
passes when it lies inside the 95% t-interval of the replications and the interval is narrow
enough to mean something; two computations of one number must agree to rounding; a property
is stated with the numbers that show it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

CONFIDENCE = 0.95
"""Level of the t-intervals shown and used for the verdict."""
MARGINAL_CONFIDENCE = 0.999
"""A formula outside its 95% interval but inside this one is a *marginal* pass. With about
a hundred comparisons a correct model lands outside a 95% interval about five times by chance;
0.999 is the Bonferroni level for a family of 50 comparisons at 5%."""


@dataclass(frozen=True)
class Row:
    """One comparison: what, the theory, the simulation, and the verdict."""

    case: str
    quantity: str
    theory: str
    simulated: str
    verdict: str  # "pass", "pass (marginal)", "n/a: ...", "FAIL: ..."
    inside_95: bool | None = None  # for interval comparisons

    @property
    def ok(self) -> bool:
        return not self.verdict.startswith("FAIL")

    def __str__(self) -> str:
        return (
            f"{self.case}: {self.quantity}: theory {self.theory}, simulated {self.simulated}: "
            f"{self.verdict}"
        )


def fmt(x: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, without exponent for ordinary sizes."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    if abs(x) >= 1e6 or abs(x) < 1e-4:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{decimals}f}"


def interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, int]:
    """Mean, t-interval half-width and count of per-replication values (NaN left out)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n < 2:
        return (float(x.mean()) if n else math.nan), math.inf, n
    half = float(st.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return float(x.mean()), half, n


def compare(
    case: str,
    quantity: str,
    theory: float,
    values: Sequence[float],
    *,
    max_half_width: float,
    relative: bool = True,
    digits: int = 3,
) -> Row:
    """Theory against the mean of per-replication ``values``.

    ``max_half_width`` bounds the 95% half-width (a share of the theory when ``relative``): an
    interval wider than that could not tell a right model from a wrong one, and fails."""
    mean, half, n = interval(values)
    _, half_m, _ = interval(values, MARGINAL_CONFIDENCE)
    bound = max_half_width * abs(theory) if relative else max_half_width
    shown = f"{fmt(mean, digits)} ± {fmt(half, 2)} (n={n})"
    if not half <= bound:
        verdict = f"FAIL: interval too wide to test (half-width {fmt(half, 2)} > {fmt(bound, 2)})"
        return Row(case, quantity, fmt(theory, digits), shown, verdict)
    err = abs(mean - theory)
    inside = err <= half
    if inside:
        verdict = "pass"
    elif err <= half_m:
        verdict = "pass (marginal)"
    else:
        verdict = "FAIL: outside the interval"
    return Row(case, quantity, fmt(theory, digits), shown, verdict, inside)


def identity(
    case: str,
    quantity: str,
    lhs: Sequence[float],
    rhs: Sequence[float],
    *,
    rel_tol: float = 1e-9,
) -> Row:
    """Two computations of the same numbers (one per replication) that must agree to rounding."""
    a, b = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    worst = float(np.max(np.abs(a - b) / scale)) if a.size else math.inf
    verdict = "pass" if worst <= rel_tol else "FAIL: they differ"
    shown = f"largest relative difference {worst:.1e} over {a.size} replications"
    return Row(case, quantity, f"equal (to {rel_tol:.0e})", shown, verdict)


def holds(case: str, quantity: str, expected: str, observed: str, ok: bool) -> Row:
    """A property, stated with the numbers that show it."""
    return Row(case, quantity, expected, observed, "pass" if ok else "FAIL: does not hold")


def not_applicable(case: str, quantity: str, why: str) -> Row:
    return Row(case, quantity, "", "", f"n/a: {why}")


def increasing(case: str, quantity: str, means: Sequence[float]) -> Row:
    return holds(
        case,
        quantity,
        "strictly increasing",
        " < ".join(fmt(x) for x in means),
        all(a < b for a, b in zip(means, means[1:], strict=False)),
    )
