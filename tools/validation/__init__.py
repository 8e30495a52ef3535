"""Validation: the model against queueing theory and exact identities, and the report
``docs/validation.md``.

    python -m tools.validation                     # run every case, write docs/validation.md
    python -m tools.validation --jobs 2            # the same, in two processes
    python -m tools.validation --case mmc          # only cases whose id contains "mmc"; no report
    python -m tools.validation --list              # the case ids
    python -m tools.validation --power --jobs 2    # every case judged again at theory +-5%

Each *case* simulates a small scenario built for it (or a shipped scenario) with fixed seeds and
returns :class:`Row` objects, one per quantity compared. Three kinds of comparison
(:mod:`.verdicts`):

- :func:`compare`: a formula (:mod:`.theory`) against the mean of independent replications,
  with power: it FAILS when its smallest detectable error is above 5% of the theory value, when
  the mean is off by more than 5% whatever its interval, or when the formula lies outside the
  99.9% t-interval; *pass* inside the 95% interval, *pass (marginal)* between the two;
- :func:`identity`: two ways of computing the same number, which must agree to rounding;
- :func:`holds`: a property of a sequence (increasing, blowing up), stated with its numbers.

The cases live in :mod:`.cases`, one module per section of the report; :mod:`.run` registers
and runs them, :mod:`.report` writes the report. The test suite (``tests/model_validation/``)
runs the same cases and fails on any FAIL, so the report and the tests cannot disagree. To add
a case, write a function returning rows and register it with :func:`register`; a shipped
scenario in ``scenarios/`` is picked up by the Little's law cases by itself. The regression
baselines of the shipped scenarios are :mod:`tools.baselines`.
"""

from tools.paths import SCENARIOS, shipped_scenarios
from tools.validation import cases
from tools.validation.blocks import replicate
from tools.validation.report import REPORT, render, write_report
from tools.validation.run import CASES, SECTIONS, Case, evaluate, register, run_cases
from tools.validation.theory import (
    cobham_mg1,
    cobham_mmc,
    erlang_c,
    first_moment,
    lognormal_second_moment,
    mmc_wait_tail,
    mmc_wq,
    pk_wq,
    second_moment,
)
from tools.validation.verdicts import (
    CONFIDENCE,
    MARGINAL_CONFIDENCE,
    SHIFT,
    TOLERANCE,
    Power,
    Row,
    compare,
    detectable,
    fmt,
    holds,
    identity,
    interval,
    not_applicable,
    power,
    t_quantile,
)

__all__ = [
    "CASES",
    "CONFIDENCE",
    "MARGINAL_CONFIDENCE",
    "REPORT",
    "SHIFT",
    "TOLERANCE",
    "Power",
    "SCENARIOS",
    "SECTIONS",
    "Case",
    "Row",
    "cases",
    "cobham_mg1",
    "cobham_mmc",
    "compare",
    "detectable",
    "erlang_c",
    "evaluate",
    "first_moment",
    "fmt",
    "holds",
    "identity",
    "interval",
    "lognormal_second_moment",
    "mmc_wait_tail",
    "mmc_wq",
    "not_applicable",
    "pk_wq",
    "power",
    "register",
    "render",
    "replicate",
    "run_cases",
    "second_moment",
    "shipped_scenarios",
    "t_quantile",
    "write_report",
]
