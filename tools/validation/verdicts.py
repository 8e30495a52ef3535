"""Verdicts: one :class:`Row` per quantity compared, and the rules that decide it.

Rules with power. A formula is compared with the mean of independent replications
(:func:`compare`), and the row FAILS when

- its *smallest detectable error* is larger than the tolerance (5% of the theory value unless
  a case says tighter): the run could not tell a model that far off from a right one;
- the mean is off the theory by more than the tolerance, whatever its interval;
- the theory lies outside the 99.9% t-interval of the mean.

It is *pass (marginal)* outside the 95% interval but inside the 99.9% one, and *pass* inside the
95% interval. The smallest detectable error is the error of the model at which the 99.9% test
fails with probability 95%: ``(t_{0.9995, n-1} + t_{0.95, n-1}) se``, stated as a share of the
theory value (or in the quantity's own units for shares and ratios, whose scale is absolute).

Two computations of one number must agree to rounding (:func:`identity`); a property of a
sequence is stated with its numbers (:func:`holds`). Every row keeps what it was judged on
(the mean, standard deviation and count of its replications, or both sides of an identity), so
that :meth:`Row.judged` can judge it again against another theory value without simulating:
``python -m tools.validation --power`` moves every theory value by +5% and by -5% and requires
each case to fail both ways (:func:`power`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as st

CONFIDENCE = 0.95
"""Level of the t-intervals shown."""
MARGINAL_CONFIDENCE = 0.999
"""A formula outside its 95% interval but inside this one is a *marginal* pass. With about
two hundred comparisons a correct model lands outside a 95% interval about ten times by chance;
0.999 is the Bonferroni level for a family of 50 comparisons at 5%."""
POWER = 0.95
"""The probability with which a model off by the smallest detectable error fails."""
TOLERANCE = 0.05
"""A mean off its theory by more than this share of the theory value fails, whatever its
interval; and every comparison must be able to detect an error this large (its smallest
detectable error is at most this)."""
SHIFT = 0.05
"""The power check moves every theory value by +SHIFT and -SHIFT (a share of the value)."""
IDENTITY_TOLERANCE = 1e-9
"""Relative difference within which two computations of one number agree."""

COMPARE, IDENTITY, PROPERTY, NOT_APPLICABLE = "compare", "identity", "property", "n/a"


def t_quantile(p: float, n: int) -> float:
    """The ``p`` quantile of Student's t with ``n - 1`` degrees of freedom."""
    return float(st.t.ppf(p, n - 1))


def detectable(sd: float, n: int) -> float:
    """Smallest detectable error of the mean of ``n`` values of standard deviation ``sd`` (in
    their units): ``(t_{0.9995, n-1} + t_{0.95, n-1}) sd / sqrt(n)``; infinite below n = 2."""
    if n < 2 or not math.isfinite(sd):
        return math.inf
    level = 0.5 + MARGINAL_CONFIDENCE / 2
    return (t_quantile(level, n) + t_quantile(POWER, n)) * sd / math.sqrt(n)


@dataclass(frozen=True)
class Row:
    """One comparison: what, the theory, the simulation, and the verdict, with what it was
    judged on (``kind`` says which fields are set)."""

    case: str
    quantity: str
    theory: str
    simulated: str
    verdict: str  # "pass", "pass (marginal)", "n/a: ...", "FAIL: ..."
    inside_95: bool | None = None  # for interval comparisons
    kind: str = PROPERTY
    value: float | None = None  # the theory value (compare rows)
    mean: float = math.nan
    sd: float = math.nan
    n: int = 0
    tolerance: float = TOLERANCE  # a share of the theory value
    relative: bool = True  # the smallest detectable error stated as a share of the theory
    interval_test: bool = True  # False: judged by the tolerance alone (a known small bias)
    digits: int = 3
    lhs: tuple[float, ...] = ()  # identity rows: both computations
    rhs: tuple[float, ...] = ()
    rel_tol: float = IDENTITY_TOLERANCE

    @property
    def ok(self) -> bool:
        return not self.verdict.startswith("FAIL")

    @property
    def has_theory(self) -> bool:
        """A row with a theory value to move: a comparison with a formula or an identity."""
        return self.kind in (COMPARE, IDENTITY)

    @property
    def detectable(self) -> float:
        """Smallest detectable error in the quantity's units (compare rows; NaN otherwise)."""
        return detectable(self.sd, self.n) if self.kind == COMPARE else math.nan

    @property
    def detectable_share(self) -> float:
        """Smallest detectable error as a share of the theory value (compare rows)."""
        if self.kind != COMPARE or not self.value:
            return math.nan
        return self.detectable / abs(self.value)

    @property
    def detectable_text(self) -> str:
        """The smallest detectable error as the report shows it."""
        if self.kind == IDENTITY:
            return f"exact (to {self.rel_tol:.0e})"
        if self.kind != COMPARE:
            return ""
        share = self.detectable_share
        if not math.isfinite(share):
            return "n/a"
        if self.relative:
            return f"{share:.1%}"
        return f"±{fmt(self.detectable, 2)} ({share:.1%})"

    def judged(self, factor: float) -> Row:
        """This row judged again against its theory value times ``factor`` (from the values it
        kept; no simulation). Properties and n/a rows have no theory value: returned as they
        are."""
        if self.kind == COMPARE and self.value is not None:
            return judge(
                self.case,
                self.quantity,
                self.value * factor,
                self.mean,
                self.sd,
                self.n,
                tolerance=self.tolerance,
                relative=self.relative,
                digits=self.digits,
                interval_test=self.interval_test,
            )
        if self.kind == IDENTITY:
            return identity(
                self.case,
                self.quantity,
                self.lhs,
                [x * factor for x in self.rhs],
                rel_tol=self.rel_tol,
            )
        return self

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


def summary(values: Sequence[float]) -> tuple[float, float, int]:
    """Mean, standard deviation (ddof 1) and count of per-replication values (NaN left out)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n >= 2 else math.inf
    return mean, sd, n


def interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, int]:
    """Mean, t-interval half-width and count of per-replication values (NaN left out)."""
    mean, sd, n = summary(values)
    return mean, half_width(sd, n, confidence), n


def half_width(sd: float, n: int, confidence: float = CONFIDENCE) -> float:
    if n < 2:
        return math.inf
    return t_quantile(0.5 + confidence / 2, n) * sd / math.sqrt(n)


def judge(
    case: str,
    quantity: str,
    theory: float,
    mean: float,
    sd: float,
    n: int,
    *,
    tolerance: float = TOLERANCE,
    relative: bool = True,
    digits: int = 3,
    interval_test: bool = True,
) -> Row:
    """The verdict on a mean (of ``n`` values with standard deviation ``sd``) against a theory
    value: the rules of this module (without ``interval_test``, the tolerance alone)."""
    if theory == 0:
        raise ValueError(f"{quantity}: a theory value of 0 has no relative tolerance")
    half = half_width(sd, n)
    half_m = half_width(sd, n, MARGINAL_CONFIDENCE)
    band = tolerance * abs(theory)
    sde = detectable(sd, n)
    shown = f"{fmt(mean, digits)} ± {fmt(half, 2)} (n={n})"
    row = Row(
        case,
        quantity,
        fmt(theory, digits),
        shown,
        "",
        None,
        COMPARE,
        float(theory),
        float(mean),
        float(sd),
        int(n),
        tolerance,
        relative,
        digits,
        interval_test,
    )
    err = abs(mean - theory)
    if n < 2:
        verdict = "FAIL: one replication, no interval"
    elif not sde <= band:
        verdict = (
            f"FAIL: no power (smallest detectable error {sde / abs(theory):.1%} > {tolerance:.0%})"
        )
    elif not err <= band:
        verdict = f"FAIL: off by {err / abs(theory):.1%} of the theory (> {tolerance:.0%})"
    elif not interval_test:
        verdict = f"pass (within {tolerance:.1%})"
    elif err > half_m:
        verdict = "FAIL: outside the 99.9% interval"
    elif err > half:
        verdict = "pass (marginal)"
    else:
        verdict = "pass"
    inside = err <= half if n >= 2 and sde <= band and interval_test else None
    return replace(row, verdict=verdict, inside_95=inside)


def compare(
    case: str,
    quantity: str,
    theory: float,
    values: Sequence[float],
    *,
    tolerance: float = TOLERANCE,
    relative: bool = True,
    digits: int = 3,
    interval_test: bool = True,
) -> Row:
    """Theory against the mean of per-replication ``values`` (the rules of this module).

    ``tolerance`` is a share of the theory value (5% unless a case can promise tighter);
    ``relative=False`` states the smallest detectable error in the quantity's own units, for
    shares and ratios whose scale is absolute. ``interval_test=False`` judges by the tolerance
    alone (with the same demand on power), for a relation that holds only up to a known small
    bias which enough replications resolve: Little's law over a finite window is off by the
    shipments straddling its edges, about W / window."""
    mean, sd, n = summary(values)
    return judge(
        case,
        quantity,
        theory,
        mean,
        sd,
        n,
        tolerance=tolerance,
        relative=relative,
        digits=digits,
        interval_test=interval_test,
    )


def identity(
    case: str,
    quantity: str,
    lhs: Sequence[float],
    rhs: Sequence[float],
    *,
    rel_tol: float = IDENTITY_TOLERANCE,
) -> Row:
    """Two computations of the same numbers (one per replication) that must agree to rounding."""
    a, b = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    worst = float(np.max(np.abs(a - b) / scale)) if a.size else math.inf
    verdict = "pass" if worst <= rel_tol else "FAIL: they differ"
    shown = f"largest relative difference {worst:.1e} over {a.size} replications"
    return Row(
        case,
        quantity,
        f"equal (to {rel_tol:.0e})",
        shown,
        verdict,
        kind=IDENTITY,
        lhs=tuple(float(x) for x in a),
        rhs=tuple(float(x) for x in b),
        rel_tol=rel_tol,
    )


def holds(case: str, quantity: str, expected: str, observed: str, ok: bool) -> Row:
    """A property, stated with the numbers that show it (no theory value to move)."""
    return Row(case, quantity, expected, observed, "pass" if ok else "FAIL: does not hold")


def not_applicable(case: str, quantity: str, why: str) -> Row:
    return Row(case, quantity, "", "", f"n/a: {why}", kind=NOT_APPLICABLE)


def increasing(case: str, quantity: str, means: Sequence[float]) -> Row:
    return holds(
        case,
        quantity,
        "strictly increasing",
        " < ".join(fmt(x) for x in means),
        all(a < b for a, b in zip(means, means[1:], strict=False)),
    )


@dataclass(frozen=True)
class Power:
    """The power check of one case: its theory rows judged against theory x (1 + SHIFT) and
    theory x (1 - SHIFT). The case *fails both ways* when it has a theory row and every theory
    row (comparisons with a formula and identities) fails at both shifts; properties have no
    theory value and do not count."""

    case: str
    rows: int  # theory rows
    fail_up: tuple[str, ...]  # quantities of the theory rows that fail at +SHIFT
    fail_down: tuple[str, ...]
    survive_up: tuple[str, ...]  # theory rows that still pass at +SHIFT
    survive_down: tuple[str, ...]
    weakest: Row | None  # the compare row with the largest smallest detectable error

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not self.survive_up and not self.survive_down

    def line(self) -> str:
        """One line: the case, how many theory rows fail each way (and which do not), and the
        weakest row's smallest detectable error."""
        parts = [
            f"{'ok  ' if self.ok else 'WEAK'} {self.case}:",
            f"+{SHIFT:.0%} fails {len(self.fail_up)}/{self.rows},",
            f"-{SHIFT:.0%} fails {len(self.fail_down)}/{self.rows} theory rows;",
        ]
        if self.weakest is not None:
            parts.append(
                f"weakest: {self.weakest.quantity}, smallest detectable error "
                f"{self.weakest.detectable_text}"
            )
        else:
            parts.append("identities only")
        for sign, names in (("+", self.survive_up), ("-", self.survive_down)):
            if names:
                parts.append(f"| still passing at {sign}{SHIFT:.0%}: " + "; ".join(names))
        if not self.rows:
            parts.append("| no theory row to move")
        return " ".join(parts)


def power(case: str, rows: Sequence[Row], shift: float = SHIFT) -> Power:
    """Judge every theory row of a case again at theory x (1 + shift) and x (1 - shift)."""
    theory_rows = [r for r in rows if r.has_theory]
    up = [r.judged(1 + shift) for r in theory_rows]
    down = [r.judged(1 - shift) for r in theory_rows]
    compares = [r for r in theory_rows if r.kind == COMPARE]
    weakest = max(compares, key=lambda r: r.detectable_share, default=None)
    return Power(
        case,
        len(theory_rows),
        tuple(r.quantity for r in up if not r.ok),
        tuple(r.quantity for r in down if not r.ok),
        tuple(r.quantity for r in up if r.ok),
        tuple(r.quantity for r in down if r.ok),
        weakest,
    )
