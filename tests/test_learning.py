"""Targeting that learns, and concept drift, against answers known beforehand.

The learner (:func:`sim.policies.learning.fit`) is tested on arrays: fed unbiased labels it
reaches the best AUC the declared attributes allow (computed exactly from the cells' chances
of being illicit); fed only what its own ranking inspects, with no random floor, a model that
started wrong never learns the riskiest group (the selection-bias result), and a 5% floor
restores it. The policy is tested in the simulator: what it learns from, determinism, its
metrics and its errors. Drift moves the named groups' prevalence by its factor from its start
day, and nothing before.
"""

from __future__ import annotations

import copy
import itertools
import sys

import numpy as np
import pytest

import sim
from sim.measure import names
from sim.measure.metrics import replication_metrics
from sim.model.border import Border
from sim.model.records import INTERCEPTED, RELEASED
from sim.model.traffic import generate
from sim.policies.learning import Attributes, fit
from sim.policies.rules import NOT_SELECTED, POLICY, RANDOM
from sim.schema import ScenarioError
from sim.streams import Streams

from conftest import cli, small_data, write_toml

pytest.importorskip("sklearn")

# --------------------------------------------------------------------------- the learner alone

COMMODITY = ([0.5, 0.5], [1.0, 1.5])  # (shares, illicit factors) of each attribute's groups
ORIGIN = ([0.6, 0.25, 0.15], [0.5, 2.0, 8.0])  # standard, mid, new: new is the riskiest
SAFE_BEFORE = [0.5, 2.0, 0.3]  # ... but was the safest before it drifted
COMPLIANCE = ([0.7, 0.3], [0.6, 2.0])
SIZES = (2, 3, 2)
PREVALENCE = 0.03
DETECT = 0.7  # an inspection finds an illicit shipment with this chance (else labelled 0)


def cells(origin_factors=ORIGIN[1]) -> tuple[Attributes, np.ndarray, np.ndarray]:
    """Every cell of declared attributes (no AEO, none pre-arrival, no value), its share of
    traffic and its chance of being found illicit on inspection."""
    combos = list(itertools.product(range(2), range(3), range(2)))
    c, o, k = (np.array(x) for x in zip(*combos, strict=True))
    share = np.array(COMMODITY[0])[c] * np.array(ORIGIN[0])[o] * np.array(COMPLIANCE[0])[k]
    factor = np.array(COMMODITY[1])[c] * np.array(origin_factors)[o] * np.array(COMPLIANCE[1])[k]
    p = PREVALENCE * factor / np.sum(share * factor) * DETECT
    n = len(combos)
    flags = np.zeros(n, dtype=bool)
    return Attributes(c, o, k, flags, flags, np.full(n, np.nan)), share, p


def exact_auc(score: np.ndarray, share: np.ndarray, p: np.ndarray) -> float:
    """The AUC of a score given per cell, over the whole population (ties count half)."""
    pos, neg = share * p, share * (1 - p)
    pos, neg = pos / pos.sum(), neg / neg.sum()
    above = score[:, None] > score[None, :]
    tied = score[:, None] == score[None, :]
    return float(pos @ (above + 0.5 * tied) @ neg)


def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, Attributes]:
    """``n`` declarations: the index of each one's cell and their attributes."""
    a, share, _ = cells()
    idx = rng.choice(len(share), size=n, p=share)
    return idx, a.take(idx)


TRUE_AUC = exact_auc(cells()[2], cells()[1], cells()[2])
"""The best AUC these attributes allow: the truth's own chances as the score."""


def test_the_best_auc_is_well_above_chance():
    assert 0.8 < TRUE_AUC < 0.85


def test_fed_unbiased_labels_the_learner_reaches_the_best_auc():
    rng = np.random.default_rng(1)
    a, share, p = cells()
    for n, tolerance in ((20_000, 0.02), (200_000, 0.002)):
        idx, x = draw(n, rng)
        found = rng.random(n) < p[idx]
        model = fit(x, found, SIZES, seed=0)
        assert abs(exact_auc(model.many(a), share, p) - TRUE_AUC) < tolerance


def test_fit_needs_both_outcomes():
    _, x = draw(100, np.random.default_rng(2))
    assert fit(x, np.zeros(100, bool), SIZES) is None
    assert fit(x, np.ones(100, bool), SIZES) is None


def test_one_and_many_score_alike():
    rng = np.random.default_rng(3)
    idx, x = draw(5000, rng)
    value = np.where(rng.random(5000) < 0.5, rng.lognormal(9, 1, 5000), np.nan)
    x = Attributes(x.commodity, x.origin, x.compliance, rng.random(5000) < 0.3,
                   rng.random(5000) < 0.4, value)  # fmt: skip
    model = fit(x, rng.random(5000) < cells()[2][idx] * 3, SIZES, seed=0)
    many = model.many(x)
    for i in range(0, 5000, 97):
        one = model.one(int(x.commodity[i]), int(x.origin[i]), int(x.compliance[i]),
                        bool(x.aeo[i]), bool(x.prearrival[i]), float(x.value_usd[i]))  # fmt: skip
        assert one == pytest.approx(many[i], abs=1e-9)


def learn_from_inspections(floor: float, periods: int = 12, budget: float = 0.05) -> list[float]:
    """A model first fitted on a random sample taken while the new origin was the safest,
    then, once it has become the riskiest, refitted each period on every outcome inspected so
    far (its own top ``budget`` and a random ``floor``); the exact AUC after each refit."""
    rng = np.random.default_rng(7)
    a, share, p = cells()
    idx, x = draw(20_000, rng)
    sample = idx[rng.random(idx.size) < budget]
    seen = [sample]
    found = [rng.random(sample.size) < cells(SAFE_BEFORE)[2][sample]]
    model = fit(a.take(sample), found[0], SIZES, seed=0)
    assert model.origin[2] < model.origin[0] < model.origin[1], "it learnt the world before"
    aucs = []
    for _ in range(periods):
        idx, x = draw(20_000, rng)
        u = rng.random(idx.size)
        score = model.many(x) + 1e-9 * u  # ties broken by the declaration's own draw
        chosen = (score >= np.quantile(score, 1 - budget)) | (rng.random(idx.size) < floor)
        seen.append(idx[chosen])
        found.append(rng.random(chosen.sum()) < p[idx[chosen]])
        model = fit(a.take(np.concatenate(seen)), np.concatenate(found), SIZES, seed=0)
        aucs.append(exact_auc(model.many(a), share, p))
    return aucs


def test_with_no_random_floor_a_wrong_start_is_never_corrected():
    """The classic selection bias: the origin learnt as the safest, now the riskiest, is never
    inspected, so never learnt again; the model stays far below the best AUC."""
    aucs = learn_from_inspections(floor=0.0)
    assert max(aucs) < TRUE_AUC - 0.1


def test_a_five_percent_floor_restores_the_best_auc():
    aucs = learn_from_inspections(floor=0.05)
    assert min(aucs[-6:]) > TRUE_AUC - 0.01


# --------------------------------------------------------------------------- the policy


def learning_data(**policy) -> dict:
    """small_data() with origins, a scanner-free physical check and a learning policy."""
    data = small_data()
    data["scenario"].update(days=28, warmup_days=7, replications=2)
    data["traffic"]["origins"] = {
        "standard": {"share": 0.8, "illicit_factor": 0.6},
        "high_risk": {"share": 0.2, "illicit_factor": 2.6},
    }
    data["traffic"]["compliance"] = {
        "good": {"share": 0.7, "illicit_factor": 0.7},
        "poor": {"share": 0.3, "illicit_factor": 1.7},
    }
    data["policy"] = {"kind": "learning", "budget": 0.08, "min_random_rate": 0.02, **policy}
    return data


def scenario(**policy) -> sim.Scenario:
    return sim.from_dict(learning_data(**policy), "<test>")


def test_it_learns_only_from_inspected_outcomes_known_by_then():
    sc = scenario()
    border = Border(sc, Streams(np.random.SeedSequence(5)), exact=True)
    border.advance(15 * 24.0)
    ids, found = border.inspected_outcomes()
    rec = border.records
    examined = set()
    for k, check in enumerate(sc.checks.values()):
        station = border.stations[k]
        if check.kind == "physical":
            sid = np.frombuffer(station._sid, dtype=np.int32, count=station.seq).copy()
            start = np.frombuffer(station._start, count=station.seq).copy()
            examined |= set(sid[~np.isnan(start)].tolist())
    assert ids.size > 50 and set(ids.tolist()) <= examined
    assert np.array_equal(found, rec.outcome[ids] == INTERCEPTED)
    released = rec.outcome[ids] == RELEASED
    assert np.all(rec.released[ids[released]] <= border.now)
    truth = rec.traffic.truth[ids]
    assert np.any((truth > 0) & ~found), "an illicit shipment the check missed reads as 0"
    assert not np.any(found & (truth == 0))
    records = border.finish()
    assert [t.outcomes for t in records.learning.trainings] == sorted(
        t.outcomes for t in records.learning.trainings
    )


def test_its_metrics_measure_the_model_against_the_truth():
    sc = scenario()
    rec = sim.simulate(sc, np.random.SeedSequence(9))
    m = replication_metrics(sc, rec)
    assert m["targeting.trainings"] >= 2
    assert 0.5 < m["targeting.auc"] < 1
    periods = [k for k in m if k.startswith("targeting.auc_period_")]
    assert periods == [names.targeting_period(k) for k in (2, 3, 4)]
    assert 0 < m["targeting.training_illicit_share"] < 1
    assert names.unit("targeting.auc_period_3") == "%" and names.unit("targeting.trainings")
    assert "period 3" in names.words("targeting.auc_period_3")
    scores = rec.learning.scores
    before = rec.selected < rec.learning.period_hours
    assert np.all(np.isnan(scores[before])) and not np.any(
        np.isnan(scores[~before & ~np.isnan(rec.selected)])
    )


def test_a_run_is_a_function_of_its_seed():
    sc = scenario()
    a = sim.simulate(sc, np.random.SeedSequence(4))
    b = sim.simulate(sc, np.random.SeedSequence(4))
    c = sim.simulate(sc, np.random.SeedSequence(6))
    assert np.array_equal(a.lane, b.lane)
    assert np.array_equal(a.learning.scores, b.learning.scores, equal_nan=True)
    assert a.learning.trainings == b.learning.trainings
    assert not np.array_equal(a.lane, c.lane)


def test_cold_start_none_selects_nothing_before_the_first_training():
    sc = scenario(cold_start="none", min_random_rate=0.05)
    rec = sim.simulate(sc, np.random.SeedSequence(4))
    first = rec.learning.trainings[0].hours
    early = rec.selected < first
    assert early.sum() > 100 and set(rec.selected_by[early].tolist()) == {NOT_SELECTED, RANDOM}
    assert np.any(rec.selected_by[~early & ~np.isnan(rec.selected)] == POLICY)
    alone = sim.simulate(
        scenario(cold_start="none", min_random_rate=0.0), np.random.SeedSequence(4)
    )
    assert not alone.learning.trainings, "with neither a floor nor a start, nothing is learnt"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"budget": None}, "policy.budget", "required"),
        ({"lane": "blue"}, "policy.lane", "blue"),
        ({"auc": 0.8}, "policy.auc", "leave auc out"),
        ({"retrain_days": 0}, "policy.retrain_days", "greater than 0"),
        ({"cold_start": "prior"}, "policy.cold_start", "random"),
    ],
)
def test_bad_settings_are_named(change, path, words):
    data = learning_data()
    for key, value in change.items():
        if value is None:
            del data["policy"][key]
        else:
            data["policy"][key] = value
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<test>")
    found = dict(info.value.problems)
    assert path in found and words in found[path], info.value.problems


def test_bordersim_run_reports_the_model_by_period(tmp_path, capsys):
    """The plain command line path: the summary holds the targeting metrics, and the report
    a table of the model's AUC period by period."""
    path = write_toml(tmp_path / "learning.toml", learning_data())
    code, out, err = cli(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 0, err
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert "targeting.auc_period_3," in summary and "targeting.trainings," in summary
    report = (tmp_path / "out" / "report.html").read_text()
    assert "Targeting that learns" in report and "model AUC, period 4" in report


def test_without_scikit_learn_it_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    path = write_toml(tmp_path / "learning.toml", learning_data())
    code, out, err = cli(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 2
    assert "policy.kind" in err and "pip install 'bordersim[learning]'" in err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- concept drift


def drift_data(*drift: dict) -> dict:
    data = learning_data()
    data["scenario"]["days"] = 200
    data["policy"] = {"kind": "random", "rates": {"red": 0.05}}
    data["illicit"]["drift"] = list(drift)
    return data


def truth_of(data: dict, seed: int = 3):
    tr = generate(sim.from_dict(data, "<test>"), Streams(np.random.SeedSequence(seed)))
    return tr


def test_drift_moves_the_named_groups_from_its_start_day_and_nothing_before():
    plain = truth_of(drift_data())
    drifted = truth_of(drift_data({"start_day": 100, "origins": {"standard": 3.0}}))
    before = plain.arrival < 100 * 24
    assert np.array_equal(plain.truth[before], drifted.truth[before])
    assert np.array_equal(plain.arrival, drifted.arrival)
    for origin, factor in ((0, 3.0), (1, 1.0)):
        after = ~before & (plain.origin == origin)
        p0, p1 = (plain.truth[after] > 0).mean(), (drifted.truth[after] > 0).mean()
        n = after.sum()
        se = np.sqrt(factor * p0 * (1 - factor * p0) / n + factor**2 * p0 * (1 - p0) / n)
        assert abs(p1 - factor * p0) < 4 * se, (origin, p0, p1)
    # every drifted shipment only gains illicit goods under a factor above 1
    assert np.all(drifted.truth[plain.truth > 0] > 0)


def test_a_drift_of_factor_one_changes_no_draw():
    plain = truth_of(drift_data())
    same = truth_of(drift_data({"start_day": 10, "commodities": {"medicine": 1.0}}))
    assert np.array_equal(plain.truth, same.truth)


def test_drift_multiplies_over_groups_and_entries():
    data = drift_data(
        {"start_day": 50, "compliance": {"good": 2.0}},
        {"start_day": 100, "commodities": {"medicine": 0.5}, "origins": {"high_risk": 0.0}},
    )
    tr = truth_of(data)
    late = tr.arrival >= 100 * 24
    assert not np.any(tr.truth[late & (tr.origin == 1)] > 0)
    assert np.any(tr.truth[~late & (tr.origin == 1)] > 0)


@pytest.mark.parametrize(
    ("drift", "path", "words"),
    [
        ({"start_day": 5, "origins": {"hig_risk": 2.0}}, "illicit.drift[0].origins", "high_risk"),
        (
            {"start_day": 5, "commodities": {"vacine": 2.0}},
            "illicit.drift[0].commodities",
            "vaccine",
        ),  # fmt: skip
        ({"start_day": 5, "compliance": {"bad": 2.0}}, "illicit.drift[0].compliance", "'bad'"),
        ({"start_day": 5}, "illicit.drift[0]", "names no group"),
        ({"start_day": 5, "origins": {"standard": -1.0}}, "illicit.drift[0].origins.standard", "0"),
    ],
)
def test_bad_drift_is_named(drift, path, words):
    data = drift_data(drift)
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<test>")
    found = dict(info.value.problems)
    assert path in found and words in found[path], info.value.problems


def test_a_scenario_without_drift_draws_as_before():
    data = drift_data()
    del data["illicit"]["drift"]
    again = copy.deepcopy(data)
    again["illicit"]["drift"] = []
    assert np.array_equal(truth_of(data).truth, truth_of(again).truth)
