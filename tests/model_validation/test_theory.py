"""The formulas and the verdict rules that every validation case relies on, and negative
controls: a model that is wrong by a few percent must FAIL the same comparison."""

from __future__ import annotations

import math

import pytest

from sim.model.border import Station
from sim.scenario import from_dict
from tools import validation as v
from tools.validation.cases import detection, little, queues


def test_erlang_c_reproduces_the_reference_example():
    """REFERENCE's example: lambda = 10/h, 20-minute checks, c = 4: Wq = 0.329 h and
    P(wait > 0.5 h) = 0.242."""
    assert v.mmc_wq(10.0, 3.0, 4) == pytest.approx(0.329, abs=5e-4)
    assert v.mmc_wait_tail(10.0, 3.0, 4, 0.5) == pytest.approx(0.242, abs=5e-4)


def test_erlang_c_special_cases():
    assert v.erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert v.mmc_wq(0.7, 1.0, 1) == pytest.approx(0.7 / 0.3)  # rho / (mu - lambda)
    assert v.erlang_c(3, 0.0) == 0.0
    assert v.erlang_c(50, 45.0) < v.erlang_c(50, 49.0) < 1  # grows towards saturation
    with pytest.raises(ValueError):
        v.erlang_c(2, 2.0)  # no steady state at rho = 1


def test_pollaczek_khinchine_reduces_to_mm1_and_halves_for_md1():
    lam = 0.6
    assert v.pk_wq(lam, 1.0, 2.0) == pytest.approx(v.mmc_wq(lam, 1.0, 1))
    assert v.pk_wq(lam, 1.0, 1.0) == pytest.approx(v.mmc_wq(lam, 1.0, 1) / 2)
    assert v.lognormal_second_moment(2.0, 0.5) == pytest.approx(4 * 1.25)


@pytest.mark.parametrize("c", [1, 2, 5])
def test_cobham_conserves_the_fcfs_wait(c):
    """The load-weighted mean of the class waits is the FCFS wait (Kleinrock's conservation
    law), for M/M/c and M/G/1 alike; the priority class waits less, the other more."""
    lams = [0.3 * c, 0.45 * c]
    total = sum(lams)
    waits = v.cobham_mmc(lams, 1.0, c)
    fcfs = v.mmc_wq(total, 1.0, c)
    assert sum(lam * w for lam, w in zip(lams, waits, strict=True)) / total == pytest.approx(fcfs)
    assert waits[0] < fcfs < waits[1]
    if c == 1:
        assert v.cobham_mg1(lams, 1.0, 2.0) == pytest.approx(waits)


# ----------------------------------------------------------------------------- verdicts


def test_compare_passes_inside_and_fails_outside_the_interval():
    values = [1.0, 1.1, 0.9, 1.05, 0.95]
    assert v.compare("c", "q", 1.0, values, max_half_width=0.2).verdict == "pass"
    assert v.compare("c", "q", 1.0, values, max_half_width=0.2).inside_95
    outside = v.compare("c", "q", 1.5, values, max_half_width=0.2)
    assert not outside.ok and outside.verdict.startswith("FAIL")


def test_compare_marginal_between_the_95_and_999_intervals():
    values = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.0, 1.01, 0.99]
    mean, half, _ = v.interval(values)
    _, half_999, _ = v.interval(values, v.MARGINAL_CONFIDENCE)
    row = v.compare("c", "q", mean + (half + half_999) / 2, values, max_half_width=1)
    assert row.verdict == "pass (marginal)" and row.ok and row.inside_95 is False


def test_compare_fails_an_interval_too_wide_to_mean_anything():
    """A right answer with a useless interval is not evidence: it fails."""
    row = v.compare("c", "q", 1.0, [0.5, 1.5, 1.0], max_half_width=0.1)
    assert not row.ok and "too wide" in row.verdict
    row = v.compare("c", "q", 1.0, [1.0], max_half_width=0.1)  # one replication: no interval
    assert not row.ok
    absolute = v.compare("c", "q", 0.0, [0.01, -0.01, 0.0], max_half_width=0.1, relative=False)
    assert absolute.ok


def test_identity_and_holds():
    assert v.identity("c", "q", [1.0, 2.0], [1.0, 2.0 * (1 + 1e-12)]).ok
    assert not v.identity("c", "q", [1.0, 2.0], [1.0, 2.0 * (1 + 1e-6)]).ok
    assert not v.identity("c", "q", [], []).ok
    assert v.holds("c", "q", "x", "y", True).ok and not v.holds("c", "q", "x", "y", False).ok
    assert v.not_applicable("c", "q", "why").ok


def test_fmt():
    assert v.fmt(0.32912) == "0.329"
    assert v.fmt(12.345) == "12.3"
    assert v.fmt(1259.2) == "1259"
    assert v.fmt(0.0) == "0" and v.fmt(math.nan) == "n/a"
    assert v.fmt(6.5e-17, 2) == "6.5e-17"


# ----------------------------------------------------------------------------- power


def test_erlang_c_case_detects_a_service_time_five_percent_too_long():
    """Negative control: the M/M/3 case, run as in the suite but with examinations 5% longer
    than the formula assumes, fails its mean wait (so a passing case is evidence)."""
    _, lam, mu, c, days, reps, rel = next(x for x in queues.MMC_CASES if x[0].startswith("M/M/3"))
    rows = queues.mmc_rows(
        "control",
        lam,
        mu,
        c,
        days=days,
        replications=reps,
        seed=2024,
        max_rel=rel,
        service_mean=1.05 / mu,
    )
    wq = next(r for r in rows if r.quantity.startswith("mean wait"))
    assert wq.verdict == "FAIL: outside the interval", wq


def test_detection_case_detects_a_sensitivity_off_by_a_tenth():
    """Negative control: the s = 0.4 detection case's replications reject s x 0.9 d."""
    data = detection.detection_data({"green": [], "red": ["physical"]}, {"red": 0.4})
    values = v.replicate(from_dict(data), detection.detection_measure)["interception_rate"]
    assert v.compare("c", "q", 0.4 * 0.6, values, max_half_width=0.1).ok
    assert not v.compare("c", "q", 0.4 * 0.54, values, max_half_width=0.1).ok


def test_littles_law_exact_form_catches_accounting_outside_the_window(monkeypatch):
    """Negative control: a station that also counted queue time during the warm-up (a plausible
    bug in its running totals) fails the exact form of Little's law."""
    original = Station._account

    def sloppy(self):
        self.t0 = 0.0
        original(self)

    monkeypatch.setattr(Station, "_account", sloppy)
    rows = little.little_rows("control", v.SCENARIOS / "baseline.toml")
    exact = next(r for r in rows if r.quantity.startswith("exact form, every station"))
    assert not exact.ok, exact
