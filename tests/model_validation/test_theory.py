"""The formulas and the verdict rules that every validation case relies on, and negative
controls: a model that is wrong by a few percent must FAIL the same comparison."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.distributions import Lognormal
from sim.model.border import Station
from sim.scenario import from_dict
from tools import validation as v
from tools.validation import theory
from tools.validation.cases import detection, little, queues


def test_erlang_c_reproduces_the_reference_example():
    """The textbook example of docs/sources.md ("Formulas"): lambda = 10/h, 20-minute checks,
    c = 4: Wq = 0.329 h and P(wait > 0.5 h) = 0.242."""
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


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "exponential", "mean": 1.5},
        {"dist": "lognormal", "mean": 2.0, "cv": 0.5},
        {"dist": "gamma", "mean": 2.0, "cv": 0.7},
        {"dist": "fixed", "value": 1.2},
        {"dist": "uniform", "low": 0.5, "high": 2.0},
        {"dist": "triangular", "low": 0.25, "mode": 0.5, "high": 2.25},
        {"dist": "empirical", "values": [0.5, 1.0, 1.0, 3.0]},
    ],
)
def test_closed_form_moments_agree_with_numerical_integration(spec):
    """E[S] and E[S^2] in closed form (from the parameters, never the model's sampler) against
    scipy's distributions with the same parameters."""
    kind = spec["dist"]
    if kind == "exponential":
        d = stats.expon(scale=spec["mean"])
    elif kind == "lognormal":
        s2 = math.log1p(spec["cv"] ** 2)
        d = stats.lognorm(math.sqrt(s2), scale=spec["mean"] * math.exp(-s2 / 2))
    elif kind == "gamma":
        k = 1 / spec["cv"] ** 2
        d = stats.gamma(k, scale=spec["mean"] / k)
    elif kind == "uniform":
        d = stats.uniform(spec["low"], spec["high"] - spec["low"])
    elif kind == "triangular":
        a, c, b = spec["low"], spec["mode"], spec["high"]
        d = stats.triang((c - a) / (b - a), loc=a, scale=b - a)
    else:  # fixed and empirical: the moments of the listed values
        values = np.asarray(spec.get("values", [spec.get("value")]), dtype=float)
        xs, counts = np.unique(values, return_counts=True)
        d = stats.rv_discrete(values=(xs, counts / counts.sum()))
    assert theory.first_moment(spec) == pytest.approx(d.moment(1))
    assert theory.second_moment(spec) == pytest.approx(d.moment(2))
    assert theory.residual(spec) == pytest.approx(d.moment(2) / (2 * d.moment(1)))


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


def test_cobham_with_class_specific_service():
    """Each class its own service: one distribution for all gives the plain form back; one
    class is Pollaczek-Khinchine; the load-weighted waits keep Kleinrock's conservation law
    (sum rho_k W_k = rho W0 / (1 - rho)); and a hand-worked example: vaccines (exponential,
    mean 0.2 h) at 0.3/h before medicines (lognormal, mean 0.6 h, cv 1.2) at 0.7/h."""
    lams = [0.3, 0.45]
    assert theory.cobham_mg1_classes(lams, [1.0, 1.0], [2.0, 2.0]) == pytest.approx(
        v.cobham_mg1(lams, 1.0, 2.0)
    )
    assert theory.cobham_mg1_classes([0.6], [1.2], [3.0]) == pytest.approx([v.pk_wq(0.6, 1.2, 3.0)])
    means = [0.2, 0.6]
    moments = [2 * 0.2**2, v.lognormal_second_moment(0.6, 1.2)]
    lams = [0.3, 0.7]
    waits = theory.cobham_mg1_classes(lams, means, moments)
    w0 = (0.3 * 0.08 + 0.7 * 0.36 * 2.44) / 2  # 0.31944
    rho1, rho = 0.3 * 0.2, 0.3 * 0.2 + 0.7 * 0.6  # 0.06, 0.48
    assert waits == pytest.approx([w0 / (1 - rho1), w0 / ((1 - rho1) * (1 - rho))])
    assert waits[0] == pytest.approx(0.3398298, rel=1e-6)
    assert rho1 * waits[0] + (rho - rho1) * waits[1] == pytest.approx(rho * w0 / (1 - rho))
    with pytest.raises(ValueError):
        theory.cobham_mg1_classes([1.0, 1.0], [0.6, 0.6], [1.0, 1.0])  # load 1.2


# ----------------------------------------------------------------------------- verdicts


def _values(mean: float, sd: float, n: int = 20, seed: int = 1) -> np.ndarray:
    """``n`` values with exactly this mean and standard deviation (ddof 1)."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


def test_compare_passes_inside_and_fails_outside_the_interval():
    values = _values(1.0, 0.02)
    row = v.compare("c", "q", 1.0, values)
    assert row.verdict == "pass" and row.inside_95
    outside = v.compare("c", "q", 1.04, values)  # within 5%, outside the 99.9% interval
    assert outside.verdict == "FAIL: outside the 99.9% interval", outside


def test_compare_marginal_between_the_95_and_999_intervals():
    values = _values(1.0, 0.02)
    mean, half, n = v.interval(values)
    _, half_999, _ = v.interval(values, v.MARGINAL_CONFIDENCE)
    row = v.compare("c", "q", mean + (half + half_999) / 2, values)
    assert row.verdict == "pass (marginal)" and row.ok and row.inside_95 is False


def test_compare_fails_without_power():
    """A right answer from a run that could not detect a 5% error is not evidence: it fails."""
    wide = _values(1.0, 0.06)  # smallest detectable error (3.9 + 1.7) x 0.06 / sqrt(20) = 7.5%
    row = v.compare("c", "q", 1.0, wide)
    assert not row.ok and "no power" in row.verdict
    assert row.detectable_share == pytest.approx(
        (v.t_quantile(0.9995, 20) + v.t_quantile(0.95, 20)) * 0.06 / math.sqrt(20)
    )
    assert not v.compare("c", "q", 1.0, [1.0]).ok  # one replication: no interval
    # A tighter tolerance asks for more power.
    tight = _values(1.0, 0.01)
    assert v.compare("c", "q", 1.0, tight).ok
    assert "no power" in v.compare("c", "q", 1.0, tight, tolerance=0.01).verdict


def test_compare_fails_a_mean_off_by_more_than_the_tolerance():
    row = v.compare("c", "q", 1.0, _values(1.06, 0.001))
    assert row.verdict.startswith("FAIL: off by 6.0%"), row


def test_a_relation_with_a_known_small_bias_is_judged_by_its_tolerance_alone():
    """Little's law over a finite window is off 1 by about W / window: hundreds of replications
    resolve that bias, so such rows are judged by a tight tolerance (and must fail at +-5%)."""
    values = _values(1.0003, 0.0001, n=200)
    assert not v.compare("c", "q", 1.0, values, tolerance=0.002).ok  # outside the interval
    row = v.compare("c", "q", 1.0, values, tolerance=0.002, interval_test=False)
    assert row.ok and row.verdict == "pass (within 0.2%)" and row.inside_95 is None
    assert not row.judged(1.05).ok and not row.judged(0.95).ok
    assert not v.compare(
        "c", "q", 1.0, _values(1.003, 0.0001), tolerance=0.002, interval_test=False
    ).ok


def test_detectable_error_is_detected_with_95_percent_probability():
    """The definition: a model off by the smallest detectable error fails about 95% of the
    time (simulated with normal replications). Exactly, the t-test's power there is the
    noncentral t's tail, 93% with 20 replications: the formula treats the spread as known."""
    rng = np.random.default_rng(7)
    n, sd, theory = 20, 0.03, 1.0
    sde = v.detectable(sd, n)
    fails = 0
    for _ in range(2000):
        x = theory + sde + sd * rng.standard_normal(n)
        fails += not v.compare("c", "q", theory, x, tolerance=1.0).ok
    exact = stats.nct.sf(
        v.t_quantile(0.9995, n), n - 1, v.t_quantile(0.9995, n) + v.t_quantile(0.95, n)
    )
    assert exact == pytest.approx(0.93, abs=0.01)
    assert fails / 2000 == pytest.approx(exact, abs=0.02)


def test_absolute_rows_state_their_error_in_units_and_still_fail_at_five_percent():
    values = _values(0.06, 0.0015)
    row = v.compare("c", "share", 0.06, values, relative=False)
    assert row.ok and row.detectable_text.startswith("±0.0019 (")
    assert not row.judged(1.05).ok and not row.judged(0.95).ok


def test_rejudging_fails_every_theory_row_at_plus_and_minus_five_percent():
    """The power check judges the kept values again, without simulating: a well sized row fails
    at theory x 1.05 and x 0.95 and passes at theory; identities fail; properties stay as they
    are and do not count."""
    good = v.compare("c", "mean wait", 2.0, _values(2.0, 0.05))  # detectable 3.1%
    assert good.ok and good.detectable_share < 0.05
    for factor in (1.05, 0.95):
        moved = good.judged(factor)
        assert not moved.ok and moved.value == pytest.approx(2.0 * factor)
    assert good.judged(1.0).verdict == good.verdict
    same = v.identity("c", "exact", [1.0, 2.0], [1.0, 2.0])
    assert same.ok and not same.judged(1.05).ok and not same.judged(0.95).ok
    prop = v.holds("c", "increasing", "x", "y", True)
    assert prop.judged(1.05) is prop and not prop.has_theory
    check = v.power("c", [good, same, prop])
    assert check.ok and check.rows == 2
    assert check.fail_up == check.fail_down == ("mean wait", "exact")
    assert "smallest detectable error 3.1%" in check.line()


def test_power_check_names_a_row_that_survives_a_five_percent_shift():
    """A row just within the rules whose mean fell 2% above the theory still passes at +5%:
    the case does not fail both ways."""
    lucky = v.compare("c", "weak", 1.0, _values(1.02, 0.039))  # detectable 4.9%
    assert lucky.ok and lucky.judged(1.05).ok and not lucky.judged(0.95).ok
    check = v.power("c", [lucky])
    assert not check.ok and check.survive_up == ("weak",) and check.survive_down == ()
    assert "still passing at +5%: weak" in check.line()
    assert not v.power("c", [v.holds("c", "p", "x", "y", True)]).ok  # nothing to move


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
    """Negative control: the M/M/1 case, run as in the suite but with services 5% longer than
    the formula assumes, fails its mean wait and its utilisation (so a passing case is
    evidence)."""
    _, lam, mu, c, days, reps, _ = next(x for x in queues.MMC_CASES if x[0].startswith("M/M/1"))
    rows = queues.mmc_rows(
        "control", lam, mu, c, days=days, replications=reps, seed=2024, service_mean=1.05 / mu
    )
    for quantity in ("mean wait Wq (h)", "utilisation"):
        row = next(r for r in rows if r.quantity == quantity)
        assert not row.ok, row


def test_pollaczek_khinchine_case_detects_a_lognormal_sigma_from_cv_not_cv_squared(monkeypatch):
    """Negative control: lognormal service drawn with sigma^2 = log(1 + cv) instead of
    log(1 + cv^2) keeps the mean (utilisation unchanged) but raises E[S^2] by 10% at cv 0.8:
    the M/G/1 case fails its mean wait, which the old rules passed as marginal."""

    def wrong(self, rng, n):
        sigma2 = math.log1p(self.cv)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), n)

    monkeypatch.setattr(Lognormal, "sample", wrong)
    label, lam, duration, days, reps, _ = next(
        x for x in queues.MG1_CASES if x[0].startswith("M/G/1 lognormal cv=0.8")
    )
    rows = queues.mg1_rows("control", lam, duration, days=days, replications=reps)
    wait = next(r for r in rows if r.quantity.startswith("mean wait"))
    util = next(r for r in rows if r.quantity == "utilisation")
    assert not wait.ok and util.ok, (wait, util)


def test_detection_case_detects_a_sensitivity_five_percent_low():
    """Negative control: the s = 0.4 detection case's replications reject s x 0.95 d."""
    data = detection.detection_data({"green": [], "red": ["physical"]}, {"red": 0.4})
    values = v.replicate(from_dict(data), detection.detection_measure)["interception_rate"]
    assert v.compare("c", "q", 0.4 * 0.6, values, relative=False).ok
    assert not v.compare("c", "q", 0.4 * 0.6 * 0.95, values, relative=False).ok


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


# ------------------------------------------------------------------------ batch arrivals


def test_batch_poisson_queue_wait_reduces_and_agrees_with_the_textbook_queue_length():
    """M^X/M/1: with X = 1 it is M/M/1; it is M^X/G/1 with exponential service; and it agrees
    with Gross and Harris's number in system ``L = (rho + lambda E[X^2] / mu) / (2 (1 - rho))``
    through Little's law, ``Wq = L / (lambda E[X]) - 1 / mu``. Hand-worked: batches of 3 at
    0.2/h, mu = 1: rho = 0.6, Wq = 0.6 / 0.4 + 6 / 2.4 = 4 h."""
    assert theory.mxm1_wq(0.7, 1.0, 1.0, 1.0) == pytest.approx(v.mmc_wq(0.7, 1.0, 1))
    assert theory.mxm1_wq(0.2, 1.0, 3.0, 9.0) == pytest.approx(4.0)
    for lam, mu, spec in [
        (0.1, 2.0, {"dist": "geometric", "mean": 5.0}),
        (0.05, 1.0, {"dist": "negative_binomial", "mean": 10.0, "cv": 1.2}),
        (0.3, 3.0, {"dist": "poisson", "mean": 4.0}),
        (0.25, 1.0, {"dist": "fixed", "value": 3}),
    ]:
        ex, ex2 = theory.batch_size_moments(spec)
        rho = lam * ex / mu
        ell = (rho + lam * ex2 / mu) / (2 * (1 - rho))
        wq = theory.mxm1_wq(lam, mu, ex, ex2)
        assert wq == pytest.approx(ell / (lam * ex) - 1 / mu)
        assert wq == pytest.approx(theory.mxg1_wq(lam, ex, ex2, 1 / mu, 2 / mu**2))
    with pytest.raises(ValueError):
        theory.mxm1_wq(0.5, 1.0, 2.0, 5.0)  # rho = 1


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "fixed", "value": 7},
        {"dist": "geometric", "mean": 4.5},
        {"dist": "poisson", "mean": 3.2},
        {"dist": "negative_binomial", "mean": 6.0, "cv": 1.3},
    ],
)
def test_batch_size_moments_agree_with_scipy(spec):
    """E[X], E[X^2] and P(X = 0) of each batch size (from the parameters) against scipy's
    distributions, and the moments against the model's own closed forms."""
    from sim.schema.arrivals import Batches

    ex, ex2 = theory.batch_size_moments(spec)
    kind = spec["dist"]
    if kind == "fixed":
        assert (ex, ex2) == (7.0, 49.0) and theory.batch_size_empty(spec) == 0
    else:
        m = spec["mean"]
        if kind == "geometric":
            d = stats.geom(1 / m)
        elif kind == "poisson":
            d = stats.poisson(m)
        else:
            k = spec["cv"] ** 2 * m
            d = stats.nbinom(m / (k - 1), 1 / k)
        assert ex == pytest.approx(d.mean()) and ex2 == pytest.approx(d.moment(2))
        assert theory.batch_size_empty(spec) == pytest.approx(d.pmf(0), abs=1e-15)
    size = Batches(size=spec).size
    assert (size.mean_value, size.second_moment) == pytest.approx((ex, ex2))
