"""Every validation case of :mod:`tools.validation` (the ones in docs/validation.md): each
simulation agrees with its formula by the rules with power (a smallest detectable error of at
most 5%, within 5% of the theory, inside the 99.9% interval), each identity holds to rounding,
each property holds, and the case fails when its theory values are moved by +5% or by -5%.
Cases marked slow run with --runslow (``make validate``; in CI, ``make validate-ci``)."""

from __future__ import annotations

import pytest

from tools import validation as v


def _params():
    for case in v.CASES.values():
        marks = [pytest.mark.slow] if case.slow else []
        yield pytest.param(case.id, id=case.id, marks=marks)


@pytest.mark.parametrize("case_id", list(_params()))
def test_case(case_id):
    rows = v.evaluate(case_id)
    assert rows, "a case must compare something"
    assert all(r.case == case_id for r in rows)
    failed = [str(r) for r in rows if not r.ok]
    assert not failed, "\n".join(failed)
    # Every case compares at least one number with theory or an identity, not only n/a rows.
    assert any(not r.verdict.startswith("n/a") for r in rows)
    # ... and fails at its theory values moved by +5% and by -5% (the power check).
    check = v.power(case_id, rows)
    assert check.ok, check.line()


def test_every_shipped_scenario_has_a_littles_law_case():
    """New files in scenarios/ are picked up by the glob, without editing the validation."""
    scenarios = v.shipped_scenarios()
    assert scenarios, "no scenario is shipped"
    for path in scenarios:
        assert f"little/{path.stem}" in v.CASES


def test_every_section_has_a_quick_case():
    """`make test` exercises every family of validation, not only `make validate`."""
    for section in v.SECTIONS:
        assert any(c.section == section and not c.slow for c in v.CASES.values()), section


def test_register_refuses_duplicates_and_unknown_sections():
    case = next(iter(v.CASES.values()))
    with pytest.raises(ValueError):
        v.register(case.id, case.section, "again", case.run)
    with pytest.raises(ValueError):
        v.register("new/case", "nowhere", "x", case.run)
